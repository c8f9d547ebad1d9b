"""The staged hedged solve (`fabplan solve --stochastic` with parameters.csv stage_year).

Same steps as a two-stage hedged solve (optimizer/run/steps.py) on the extensive form of
optimizer/staged: build one copy per scenario and stack them, hand off, solve, cut the solution
back into one plan. A case without a plan is diagnosed on the two-stage model, which is a
restriction of the staged one: if the staged plan is infeasible, so is that one, and its
diagnosis names the same limits.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from optimizer import console
from optimizer.errors import NoPlanError
from optimizer.inputs import Case
from optimizer.model import ModelOptions, TrivialInfeasibility, risk
from optimizer.run.diagnosis import diagnose_infeasible, no_plan, trivial
from optimizer.solve import SolverOptions


def applies(case: Case, req) -> bool:
    """True when this solve makes a staged plan: hedged, several scenarios and a stage year
    inside the horizon."""
    return bool(req.stochastic and case.params.staged(len(case.scenarios)))


def least_expected_cost_at_cvar(case, req, out_dir: Path, solved, timings: dict[str, float]):
    """As optimizer/run/hedged.py's: at risk weight 1, solve again with the CVaR held at its
    optimum to make the expected cost least; returns the solved triple and the objective in USD."""
    m_opts = req.model_options()
    staged, _, sol = solved
    if not risk.needs_second_pass(m_opts):
        return solved, sol.objective * staged.stacked.scale.usd
    cap = risk.cvar_value(staged.stacked, sol)
    m_opts = replace(m_opts, cvar_cap=cap * (1 + 1e-9) + 1e-9)
    with console.step("second pass: least expected cost at that CVaR", timings, "pass2_s"):
        solved = build_and_solve(case, m_opts, req.solver_options(), out_dir, timings)
    staged, _, sol = solved
    return solved, risk.cvar_value(staged.stacked, sol) * staged.stacked.scale.usd


def build_and_solve(
    case: Case,
    m_opts: ModelOptions,
    s_opts: SolverOptions,
    out_dir: Path,
    timings: dict[str, float],
    write_model: Path | None = None,
):
    """(staged model, compiled, solution) of the case's scenarios under its stage year."""
    from optimizer.run.steps import save_model
    from optimizer.solve import compile_model, solve
    from optimizer.staged import build_staged

    year = int(case.params.stage_year)
    with console.step(
        f"build model (one copy per scenario, stage year {year})", timings, "build_s"
    ):
        try:
            staged = build_staged(case, m_opts, year)
        except TrivialInfeasibility as e:
            raise diagnose_infeasible(case, out_dir, trivial(e)) from None
    with console.step("hand-off to HiGHS", timings, "handoff_s"):
        compiled = compile_model(staged.stacked)
    lp = compiled.lp
    tied = sum(int(m.sum()) for m in staged.now.values())
    console.detail(
        f"model: {lp.num_col_:,} variables, {lp.num_row_:,} constraints, {compiled.nnz:,} "
        f"nonzeros; {tied:,} decisions before {year} shared by {len(staged.copies)} scenarios"
    )
    if write_model:
        save_model(compiled, write_model)
    with console.step("solve (HiGHS)", timings, "solve_s"):
        sol = solve(staged.stacked, compiled, s_opts)
    if not sol.has_solution:
        error = no_plan(sol, staged.stacked)
        if sol.status in ("infeasible", "infeasible_or_unbounded"):
            error = diagnose_infeasible(case, out_dir, error)
        raise error
    return staged, compiled, sol


def extract(staged, sol, timings: dict[str, float]) -> dict[str, pd.DataFrame]:
    from optimizer.staged import staged_plan

    with console.step("extract plan", timings, "extract_s"):
        return staged_plan(staged, sol)


def decide_now_values(staged, sol) -> dict:
    """The decide-now decisions of the staged plan (first copy), NaN where decided later: what
    an evaluation fixes (optimizer/run/hedged.py)."""
    from optimizer.staged.stack import stacked_name

    out = {}
    for name, mask in staged.now.items():
        x = sol.x[stacked_name(name, staged.first)]
        out[name] = x.copy()
        out[name][~mask] = float("nan")
    return out


__all__ = ["NoPlanError", "applies", "build_and_solve", "decide_now_values", "extract"]
