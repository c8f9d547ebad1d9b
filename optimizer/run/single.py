"""`fabplan solve`: load -> screen -> build + solve -> extract -> write, for one scenario or,
with --stochastic, hedged over all of them (the hedged passes are in run/hedged.py).

The plan folder is checked before anything is loaded (optimizer.outputs: only a new, empty or
previous plan folder, never the data folder) and locked from before the solve until the plan is
in place.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from optimizer import console
from optimizer.errors import InputError, Problem
from optimizer.inputs import Case
from optimizer.run import hedged, steps
from optimizer.run.diagnosis import screen_inputs
from optimizer.run.request import SolveRequest, SolveResult, check_scenario_options
from optimizer.run.summary import plan_summary


def run_solve(req: SolveRequest) -> SolveResult:
    """Solve one case and write its plan atomically; raise NoPlanError if there is no plan."""
    from optimizer.options import check_request
    from optimizer.outputs import PLAN, check_output

    check_request(req)  # numbers and files of the options, before anything is loaded
    check_scenario_options(req.scenario, req.stochastic, req.cvar_alpha)
    if req.out_dir is not None:
        check_output(req.out_dir, PLAN, [("data folder", Path(req.data_dir))])
    with ExitStack() as claims:
        return _run_solve(req, claims)


def pick_scenario(case: Case, requested: str | None) -> str:
    """The scenario a single solve plans for: --scenario, else the default one."""
    names = list(case.scenarios["scenario"])
    name = requested or case.params.default_scenario or names[0]
    if name not in names:
        where = "--scenario" if requested else "parameters.csv default_scenario"
        raise InputError(
            [
                Problem(
                    where,
                    None,
                    None,
                    name,
                    f"one of the scenarios in demand.csv: {', '.join(names)}",
                )
            ]
        )
    return name


def _planned_case(case: Case, req: SolveRequest) -> tuple[str, Case]:
    """(label, the case over the scenarios planned for): one scenario, or all for --stochastic."""
    if req.stochastic:
        return "stochastic", hedged.hedged_case(case)
    name = pick_scenario(case, req.scenario)
    return name, case.for_scenarios({name: 1.0})


def _run_solve(req: SolveRequest, claims: ExitStack) -> SolveResult:
    from optimizer.outputs import PLAN, claim_output

    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    case = steps.load(req.data_dir, req.overrides, timings)
    label, case = _planned_case(case, req)
    out_dir = req.out_dir or steps.default_out_dir(req.data_dir, label)
    claims.enter_context(claim_output(out_dir, PLAN, [("data folder", Path(req.data_dir))]))
    screen_inputs(case, out_dir)
    solved = steps.build_and_solve(
        case, req.model_options(), req.solver_options(), out_dir, timings, req.write_model
    )
    if req.solver_log is not None and not Path(req.solver_log).is_file():
        console.warn(f"--solver-log {req.solver_log}: HiGHS could not write the log")
    solved, objective_usd = hedged.least_expected_cost_at_cvar(case, req, out_dir, solved, timings)
    ctx, _, sol = solved
    tables = steps.extract(ctx, sol, timings)
    summary = plan_summary(req, case, label, solved, tables, objective_usd, out_dir, timings)
    if req.stochastic:
        hedged.add_value_measures(case, req, solved, summary, tables, timings)
    if not summary["optimal"]:
        gap = "unknown" if sol.mip_gap is None else f"{sol.mip_gap:.2%}"
        console.warn(
            f"the solver stopped before proving optimality ({sol.termination}); the plan "
            f"written is the best found, gap {gap}"
        )
    previous = steps.write(out_dir, tables, summary, req.report_formats, timings)
    timings["total_s"] = time.perf_counter() - t_start
    steps.rewrite_timings(out_dir, timings)
    return SolveResult(out_dir, summary, tables, previous)
