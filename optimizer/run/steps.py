"""The steps every run mode shares: load -> (screen) -> build + solve -> extract -> write.

One function per stage boundary, each timed into `timings` (summary.json and the benchmarks
read them), so a mode only chooses its scenarios and adds its own passes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from optimizer import console
from optimizer.errors import NoPlanError, UsageError
from optimizer.inputs import Case
from optimizer.run.diagnosis import diagnose_infeasible, no_plan, trivial
from optimizer.run.summary import case_name

if TYPE_CHECKING:
    from optimizer.model import ModelContext, ModelOptions
    from optimizer.solve import Solution, SolverOptions
    from optimizer.solve.highs import Compiled

    Solved = tuple[ModelContext, Compiled, Solution]


def load(data_dir: Path, overrides: dict[str, str], timings: dict[str, float]) -> Case:
    """The validated case with the overrides applied; its warnings are shown once, here."""
    from optimizer.inputs import load_case

    with console.step("load and validate inputs", timings, "load_s"):
        case = load_case(data_dir, overrides)
    for w in case.warnings:
        console.warn(str(w))
    return case


def default_out_dir(data_dir: Path, label: str) -> Path:
    """reports/<label>/ for the repository's default dataset, reports/<case>-<label>/ for any
    other case, so solving another case never silently replaces the default plans."""
    from optimizer.inputs import default_data_dir

    if Path(data_dir).resolve() == default_data_dir().resolve():
        return Path("reports") / label
    return Path("reports") / f"{case_name(data_dir)}-{label}"


def build_and_solve(
    case: Case,
    m_opts: ModelOptions,
    s_opts: SolverOptions,
    out_dir: Path,
    timings: dict[str, float] | None = None,
    write_model: Path | None = None,
) -> Solved:
    """Build, hand off and solve over the case's scenarios (under a stage year the stacked
    staged model, optimizer/staged); diagnose and raise NoPlanError when there is no plan. A
    staged model without a plan is diagnosed on the two-stage model, a restriction of it: if
    the staged plan is infeasible so is that one, and its diagnosis names the same limits."""
    from optimizer.model import TrivialInfeasibility
    from optimizer.solve import compile_model, solve
    from optimizer.staged import build_for

    timings = {} if timings is None else timings
    what = "build model"
    if case.params.staged(len(case.scenarios)):
        what += f" (one copy per scenario, stage year {case.params.stage_year})"
    with console.step(what, timings, "build_s"):
        try:
            ctx = build_for(case, m_opts)
        except TrivialInfeasibility as e:
            raise diagnose_infeasible(case, out_dir, trivial(e)) from None
    with console.step("hand-off to HiGHS", timings, "handoff_s"):
        try:
            compiled = compile_model(ctx)
        except _infeasible_at_hand_off() as e:
            error = NoPlanError(f"infeasible before solving: {e}", "infeasible")
            raise diagnose_infeasible(case, out_dir, error) from None
    lp = compiled.lp
    console.detail(
        f"model: {lp.num_col_:,} variables, {lp.num_row_:,} constraints, "
        f"{compiled.nnz:,} nonzeros; "
        f"|A| in [{compiled.coef_range[0]:.3g}, {compiled.coef_range[1]:.3g}], "
        f"|rhs| in [{compiled.rhs_range[0]:.3g}, {compiled.rhs_range[1]:.3g}], "
        f"|cost| in [{compiled.cost_range[0]:.3g}, {compiled.cost_range[1]:.3g}]"
    )
    if write_model:
        save_model(compiled, write_model)
    with console.step("solve (HiGHS)", timings, "solve_s"):
        sol = solve(ctx, compiled, s_opts)
    if not sol.has_solution:
        error = no_plan(sol, ctx)
        if sol.status in ("infeasible", "infeasible_or_unbounded"):
            error = diagnose_infeasible(case, out_dir, error)
        raise error
    return ctx, compiled, sol


def _infeasible_at_hand_off() -> tuple[type[Exception], ...]:
    """What the hand-off raises for a model infeasible before solving: ValueError, and Pyomo's
    InfeasibleConstraintException if Pyomo is in use (a plain solve never imports Pyomo)."""
    if "pyomo" not in sys.modules:
        return (ValueError,)
    from pyomo.common.errors import InfeasibleConstraintException

    return (ValueError, InfeasibleConstraintException)


def save_model(compiled: Compiled, path: Path) -> None:
    """Write the model for other solvers; a failed write is an error, never "model written"."""
    import highspy

    from optimizer.solve.highs import new_highs

    path = Path(path)
    if path.suffix.lower() not in (".mps", ".lp"):
        raise UsageError(f"--write-model {path}: the file must end in .mps or .lp")
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.passModel(compiled.lp)
    status = h.writeModel(str(path))
    if status == highspy.HighsStatus.kError or not path.is_file():
        raise UsageError(f"--write-model {path}: the model could not be written (HiGHS: {status})")
    console.info(f"model written to {path}")


def extract(ctx: ModelContext, sol: Solution, timings: dict[str, float]) -> dict[str, pd.DataFrame]:
    """The plan tables of a solved model (a staged one's cut back into one plan)."""
    from optimizer.solve.extract import extract_plan
    from optimizer.staged import StackedContext, staged_plan

    with console.step("extract plan", timings, "extract_s"):
        if isinstance(ctx, StackedContext):
            return staged_plan(ctx, sol)
        return extract_plan(ctx, sol)


def write(
    out_dir: Path,
    tables: dict[str, pd.DataFrame],
    summary: dict,
    report_formats: tuple[str, ...],
    timings: dict[str, float],
) -> Path | None:
    """Write the plan (and its report) atomically; return where the previous plan went."""
    from optimizer.plan import write_plan

    def add_report(tmp: Path) -> None:
        if report_formats:
            from optimizer.report import write_reports

            write_reports(tmp, list(report_formats))

    with console.step("write plan and report", timings, "write_s"):
        return write_plan(out_dir, tables, summary, add_report)


def rewrite_timings(out_dir: Path, timings: dict[str, float]) -> None:
    """Put the final timings (which include writing) into the plan's summary.json."""
    from optimizer.atomic import write_file_atomic
    from optimizer.plan.write import json_text

    path = out_dir / "summary.json"
    summary = json.loads(path.read_text())
    summary["timings"] = timings
    write_file_atomic(path, json_text(summary))
