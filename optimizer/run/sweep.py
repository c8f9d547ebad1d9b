"""`fabplan sweep`: solve many what-if cases of one data folder and tabulate what moves.

OUT/cases/<case_id>/ holds each case's plan (run_solve, no report); OUT/sweep.csv the table,
rewritten after every finished case; OUT/sensitivity.csv the tornado ranges; OUT/sweep.md,
OUT/tornado.svg and OUT/sweep.html the report. A case is finished when its plan folder has a
summary.json (plans are written atomically) made from the same overrides and the same input
files (SHA-256) by the same fabplan source (summary.json code_sha256); those are not solved
again unless resume is off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from optimizer import console
from optimizer.atomic import write_file_atomic
from optimizer.errors import InputError, Problem, UsageError
from optimizer.interrupt import Interrupted
from optimizer.outputs import SWEEP, check_output, claim_output
from optimizer.run.request import check_scenario_options
from optimizer.sweep.cases import Design, csv_design, vary_design
from optimizer.sweep.execute import default_workers, run_dask, run_local
from optimizer.sweep.report import write_report
from optimizer.sweep.table import sweep_table, write_table
from optimizer.sweep.tornado import sensitivity
from optimizer.sweep.worker import SOLVE_OPTIONS, CaseOutcome, CaseTask, finished_outcome

DEFAULT_OUT = Path("reports") / "sweep"
CASES_DIR = "cases"


@dataclass
class SweepResult:
    out_dir: Path
    design: Design
    table: pd.DataFrame  # sweep.csv
    ranges: pd.DataFrame  # sensitivity.csv
    solved: list[str] = field(default_factory=list)  # case ids solved by this run
    resumed: list[str] = field(default_factory=list)  # case ids found finished

    @property
    def failed(self) -> pd.DataFrame:
        return self.table[self.table["objective_usd"].isna()]


def run_sweep(
    data_dir: Path,
    vary: list[str] | None = None,
    cases: Path | None = None,
    out: Path = DEFAULT_OUT,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = True,
    **solve_options,
) -> SweepResult:
    """Solve every case not yet finished (in parallel), then write the table and the report."""
    options = _solve_options(solve_options)
    if cases is not None and vary:
        raise UsageError("give either --vary or --cases, not both")
    design = csv_design(cases, options) if cases is not None else vary_design(vary or [], options)
    data_dir, out = Path(data_dir).resolve(), Path(out)
    if not data_dir.is_dir():
        raise InputError(
            [Problem(str(data_dir), None, None, None, "expected a folder holding the CSV files")]
        )
    if workers is not None and workers < 1:
        raise UsageError("--workers must be >= 1")
    with claim_output(out, SWEEP, [("data folder", data_dir)]):  # one sweep per folder at once
        return _run_cases(data_dir, design, options, out, workers, scheduler, resume)


def _run_cases(
    data_dir: Path,
    design: Design,
    options: dict,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    resume: bool,
) -> SweepResult:
    cases_dir = (out / CASES_DIR).resolve()
    inputs = _input_hashes(data_dir)
    outcomes: dict[str, CaseOutcome] = {}
    result = SweepResult(out, design, pd.DataFrame(), pd.DataFrame())
    tasks = []
    for case in design.cases:
        plan_dir = cases_dir / case.case_id
        if resume and _finished(plan_dir, case.overrides, inputs):
            outcomes[case.case_id] = finished_outcome(case.case_id, plan_dir)
            result.resumed.append(case.case_id)
        else:
            tasks.append(
                CaseTask(case.case_id, str(data_dir), str(plan_dir), case.overrides, options)
            )
    write_table(sweep_table(design, outcomes), out)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console.out, disable=console.verbosity() < 1) as progress:
        bar = progress.add_task("sweep", total=len(design.cases), completed=len(result.resumed))

        def on_done(outcome: CaseOutcome) -> None:
            outcomes[outcome.case_id] = outcome
            result.solved.append(outcome.case_id)
            write_table(sweep_table(design, outcomes), out)
            failed = sum(not o.ok for o in outcomes.values())
            progress.update(
                bar, advance=1, description=f"sweep ({failed} failed)" if failed else "sweep"
            )

        if scheduler:
            run_dask(tasks, scheduler, on_done)
        else:
            run_local(tasks, workers or default_workers(), on_done)
    result.table = sweep_table(design, outcomes)
    result.ranges = sensitivity(result.table, design)
    write_table(result.table, out)
    ranges = result.ranges.to_csv(index=False, lineterminator="\n")
    write_file_atomic(out / "sensitivity.csv", ranges)
    write_report(out, data_dir, design, result.table, result.ranges)
    return result


def run_sweep_command(
    data_dir: Path,
    vary: list[str],
    cases: Path | None,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    resume: bool = True,
    **solve_options,
) -> int:
    """The CLI's sweep: 0 when every case has a plan, 1 when some failed (recorded in
    sweep.csv), 130 when interrupted (finished cases are kept: run again to resume).
    Bad usage (--vary syntax, cases.csv problems) raises UsageError/InputError: exit code 2."""
    check_output(out, SWEEP, [("data folder", Path(data_dir))])  # before loading anything
    _show_data_warnings(data_dir)
    try:
        result = run_sweep(data_dir, vary, cases, out, workers, scheduler, resume, **solve_options)
    except (KeyboardInterrupt, Interrupted) as e:
        console.error(
            f"interrupted; finished cases are kept in {Path(out) / CASES_DIR} and "
            f"{Path(out) / 'sweep.csv'}: run the same command again to resume"
        )
        return e.exit_code if isinstance(e, Interrupted) else 130
    n, failed = len(result.table), result.failed
    console.info(
        f"{n} cases: {len(result.solved)} run now, {len(result.resumed)} already finished, "
        f"{len(failed)} failed; wrote {out / 'sweep.csv'}, {out / 'sweep.md'}, "
        f"{out / 'sweep.html'}"
    )
    for _, row in failed.iterrows():
        message = row["message"] if len(row["message"]) <= 300 else row["message"][:297] + "..."
        console.warn(
            f"case {row['case']} ({row['overrides'] or 'no overrides'}): {row['status']}: {message}"
        )
    return 1 if len(failed) else 0


def _solve_options(options: dict) -> dict:
    unknown = sorted(set(options) - set(SOLVE_OPTIONS))
    if unknown:
        raise TypeError(f"unknown solve option(s) for a sweep: {', '.join(unknown)}")
    check_scenario_options(
        options.get("scenario"), bool(options.get("stochastic")), options.get("cvar_alpha")
    )
    return {k: v for k, v in options.items() if v is not None}


def _input_hashes(data_dir: Path) -> dict[str, str]:
    from optimizer.inputs.schema import FILES
    from optimizer.run.summary import sha256

    return {name: sha256(data_dir / name) for name in sorted(FILES) if (data_dir / name).is_file()}


def _finished(plan_dir: Path, overrides: dict[str, str], inputs: dict[str, str]) -> bool:
    """A complete plan of this case made from the current input files by this same program
    (a plan of an older fabplan may differ in its tables or numbers: solved again)."""
    from optimizer.run.summary import code_sha256

    try:
        summary = json.loads((plan_dir / "summary.json").read_text())
    except (OSError, ValueError):
        return False
    recorded = summary.get("overrides") or {}
    same = list(recorded.items()) == list(overrides.items())  # order: applied in order
    return same and summary.get("inputs") == inputs and summary.get("code_sha256") == code_sha256()


def _show_data_warnings(data_dir: Path) -> None:
    """The data's warnings, once (cases run quietly); problems are each case's to report."""
    from optimizer.inputs import load_case

    try:
        case = load_case(data_dir)
    except InputError:
        return
    for w in case.warnings:
        console.warn(str(w))
