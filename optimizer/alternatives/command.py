"""`fabplan alternatives DATA_DIR --slack S --by DIM`: the range of each item within the slack.

1. The least-cost plan over one scenario (the usual build + solve, with its diagnosis when
   there is no plan); C* = its total cost (every cost term but risk and elastic penalties).
2. The same LP solved again in this process for its basis (solve() keeps no HiGHS instance).
3. For each item: minimise and maximise its total under cost <= (1 + slack) x C* (2N solves in
   parallel, warm-started from that basis; optimizer/alternatives/lp.py).
4. One maximally different plan: minimise sum_j x_j / x*_j over the decision columns the
   least-cost plan uses (x*_j > 0), under the same cap; written as a plan folder, `different/`.
The output folder is checked before anything is loaded and filled atomically.
"""

from __future__ import annotations

import math
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer import console
from optimizer.alternatives.items import UNITS, cost_row, item_objectives, unmet_row
from optimizer.alternatives.lp import CostCap, LpArrays, Outcome, Task, run_task
from optimizer.errors import NoPlanError, UsageError

DIMENSIONS = tuple(UNITS)
# decision columns the maximally different plan moves away from (physical and financial)
DECISION_BLOCKS = ("build", "fund", "pfund", "run", "gen_build", "sto_mw", "sto_mwh", "buy")
USED_TOL = 1e-7  # model units: a column above this is "used" by the least-cost plan


def run_alternatives(
    data_dir: Path,
    slack: float,
    by: str,
    out_dir: Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    scenario: str | None = None,
    keep_delivery: bool = False,
) -> Path:
    """Write OUT/alternatives.csv, alternatives.md and OUT/different/; return OUT.

    keep_delivery: every alternative leaves no more GPUs unmet than the least-cost plan (else
    part of the slack may be spent on the unmet-demand penalty, i.e. on serving less)."""
    from optimizer.outputs import ALTERNATIVES, check_output, claim_output
    from optimizer.run import steps

    if not (isinstance(slack, float | int) and math.isfinite(slack) and 0 <= slack <= 10):
        raise UsageError(f"--slack {slack}: expected a number from 0 to 10 (0.05 is 5%)")
    if by not in DIMENSIONS:
        raise UsageError(f"--by {by}: expected one of {', '.join(DIMENSIONS)}")
    if workers is not None and not 1 <= workers <= 64:
        raise UsageError(f"--workers {workers}: expected 1 to 64")
    out_dir = Path(out_dir) if out_dir else steps.default_out_dir(data_dir, f"alternatives-{by}")
    check_output(out_dir, ALTERNATIVES, [("data folder", Path(data_dir))])
    with ExitStack() as claims:
        claims.enter_context(claim_output(out_dir, ALTERNATIVES, [("data folder", data_dir)]))
        return _run(
            Path(data_dir), float(slack), by, out_dir, workers, scheduler, scenario, keep_delivery
        )


def _run(
    data_dir: Path,
    slack: float,
    by: str,
    out_dir: Path,
    workers: int | None,
    scheduler: str | None,
    scenario: str | None,
    keep_delivery: bool = False,
) -> Path:
    from optimizer.alternatives import report
    from optimizer.alternatives.parallel import run_all
    from optimizer.atomic import replace_folder
    from optimizer.run import steps
    from optimizer.run.request import SolveRequest
    from optimizer.run.single import pick_scenario
    from optimizer.sweep.execute import default_workers

    timings: dict[str, float] = {}
    req = SolveRequest(data_dir=data_dir, scenario=scenario, report_formats=("md",))
    case = steps.load(data_dir, {}, timings)
    name = pick_scenario(case, scenario)
    case = case.for_scenarios({name: 1.0})
    ctx, compiled, sol = steps.build_and_solve(
        case, req.model_options(), req.solver_options(), out_dir, timings
    )
    objectives = item_objectives(ctx, compiled, by)
    if not objectives:
        raise UsageError(f"--by {by}: this case has no {by}s with decisions to range over")
    cap_cols, cap_coefs = cost_row(ctx, compiled)
    lp = LpArrays.of(compiled)
    with console.step("least-cost basis", timings, "basis_s"):
        least = run_task(Task(("", "least_cost"), lp, None, None, None))
    if least.x is None:
        raise NoPlanError(f"the least-cost LP re-solve ended {least.status}", least.status)
    x0 = least.x
    c_star = float(cap_coefs @ x0[cap_cols])
    cap = CostCap(cap_cols, cap_coefs, _cap(c_star, slack))
    delivery = None
    if keep_delivery:
        u_cols, u_coefs = unmet_row(ctx, compiled)
        u_star = float(u_coefs @ x0[u_cols])
        delivery = CostCap(u_cols, u_coefs, u_star + 1e-9 * max(1.0, u_star))
    tasks = [
        replace(
            Task((o.item, sense), lp, o.cols, sign * o.coefs, cap, least.basis), delivery=delivery
        )
        for o in objectives
        for sense, sign in (("min", 1.0), ("max", -1.0))
    ]
    different = _different_task(ctx, compiled, lp, x0, cap, least.basis)
    tasks.append(replace(different, delivery=delivery))
    n = workers or default_workers()
    with console.step(f"{len(tasks)} near-optimal solves ({n} workers)", timings, "mga_s"):
        outcomes = run_all(tasks, n, scheduler)
    failed = [o for o in outcomes if o.x is None]
    if failed:
        f = failed[0]
        raise NoPlanError(
            f"{len(failed)} near-optimal solve(s) failed, e.g. {f.key[0]} {f.key[1]}: "
            f"{f.status} {f.error}".strip(),
            f.status,
        )
    table = range_table(objectives, x0, outcomes[:-1], by)
    different = outcomes[-1]
    warm = sum(o.warm for o in outcomes)
    console.detail(f"warm starts accepted: {warm} of {len(outcomes)}")

    def fill(tmp: Path) -> None:
        table.to_csv(tmp / "alternatives.csv", index=False, lineterminator="\n")
        plan = _write_different(
            ctx, compiled, case, req, different, c_star, slack, tmp, name, out_dir
        )
        text = report.markdown(table, by, slack, c_star * ctx.scale.usd, name, plan)
        (tmp / "alternatives.md").write_text(text)

    replace_folder(out_dir, fill)
    console.info(f"alternatives written to {out_dir}")
    return out_dir


def _cap(c_star: float, slack: float) -> float:
    """(1 + slack) x C*, plus a hair of solver tolerance so slack 0 stays feasible."""
    return (1.0 + slack) * c_star + 1e-9 * max(1.0, abs(c_star))


def _different_task(ctx, compiled, lp: LpArrays, x0: np.ndarray, cap: CostCap, basis) -> Task:
    """Minimise sum_j x_j / x*_j over the decision columns the least-cost plan uses."""
    cols = [
        compiled.col_block[b][compiled.col_block[b] >= 0]
        for b in DECISION_BLOCKS
        if b in ctx.blocks
    ]
    cols = np.unique(np.concatenate(cols)) if cols else np.zeros(0, np.int64)
    used = cols[x0[cols] > USED_TOL]
    return Task(("", "different"), lp, used.astype(np.int32), 1.0 / x0[used], cap, basis)


def range_table(objectives, x0: np.ndarray, outcomes: list[Outcome], by: str) -> pd.DataFrame:
    """item, minimum, least_cost_value, maximum, unit, min_share, least_cost_share, max_share."""
    found = {o.key: o.x for o in outcomes}

    def total(o, x) -> float:
        return float(o.coefs @ x[o.cols]) * o.unit

    rows = []
    for o in objectives:
        rows.append(
            {
                "item": o.item,
                "minimum": total(o, found[(o.item, "min")]),
                "least_cost_value": total(o, x0),
                "maximum": total(o, found[(o.item, "max")]),
                "unit": UNITS[by],
            }
        )
    table = pd.DataFrame(rows)
    # the item's share of the dimension's total (all partners' capital, all wspm built) in the
    # plan that minimises (maximises) it: the items of a dimension partition that total
    totals = {key: sum(total(o, x) for o in objectives) for key, x in found.items()}
    least_total = sum(total(o, x0) for o in objectives)

    def share(value: float, whole: float) -> float:
        return value / whole if whole > 1e-9 else 0.0

    table["min_share"] = [
        share(v, totals[(i, "min")]) for i, v in zip(table["item"], table["minimum"], strict=True)
    ]
    table["least_cost_share"] = [share(v, least_total) for v in table["least_cost_value"]]
    table["max_share"] = [
        share(v, totals[(i, "max")]) for i, v in zip(table["item"], table["maximum"], strict=True)
    ]
    num = table.select_dtypes("number").columns
    table[num] = table[num].where(table[num].abs() > 1e-6, 0.0)  # solver dust
    return table


def _write_different(ctx, compiled, case, req, outcome: Outcome, c_star, slack, tmp, name, out_dir):
    """The maximally different plan as an ordinary plan folder (tmp/different)."""
    from optimizer.alternatives.solution import as_solution
    from optimizer.plan import write_plan
    from optimizer.run.summary import plan_summary
    from optimizer.solve.extract import extract_plan

    sol = as_solution(ctx, compiled, outcome.x)
    tables = extract_plan(ctx, sol)
    cap_cols, cap_coefs = cost_row(ctx, compiled)
    cost_usd = float(cap_coefs @ outcome.x[cap_cols]) * ctx.scale.usd
    solved = (ctx, compiled, sol)
    summary = plan_summary(req, case, name, solved, tables, cost_usd, out_dir / "different", {})
    summary["alternative"] = {
        "slack": slack,
        "least_cost_usd": c_star * ctx.scale.usd,
        "objective": "least use of the decisions the least-cost plan uses "
        "(sum of x / x_least_cost over them), total cost <= (1 + slack) x least cost",
    }

    def add_report(folder: Path) -> None:
        from optimizer.report import write_reports

        write_reports(folder, ["md"])

    write_plan(tmp / "different", tables, summary, add_report)
    return {"cost_usd": cost_usd, "folder": "different"}
