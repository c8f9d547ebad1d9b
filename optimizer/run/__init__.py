"""Run modes: what `fabplan solve` and `fabplan sweep` do, each mode one module.

    request    SolveRequest / SolveResult: the options of a solve and what it gives back
    steps      the shared steps: load, build + solve, extract, write (each timed)
    single     `fabplan solve`: one scenario, or hedged over all of them with --stochastic
    hedged     the hedged passes: scenario weights, the CVaR second pass, EVPI/VSS/regret
    diagnosis  why there is no plan: the screen, trivial infeasibility, the elastic re-solve
    summary    summary.json: how the plan was made and its totals
    sweep      `fabplan sweep`: many single solves in parallel (parts in optimizer/sweep/)

The scenarios a run plans over and their weights live in the case (`Case.for_scenarios`).
"""

from optimizer.run.request import SolveRequest, SolveResult
from optimizer.run.single import run_solve

__all__ = ["SolveRequest", "SolveResult", "run_solve"]
