"""The `fabplan` command line: thin wrappers over the run modes (optimizer.run) and the
report, verify and compare commands; exit codes and error display.

Exit codes: 0 success; 1 a run that could not produce a plan (infeasible, solver failure,
verification failed); 2 bad input or usage. Errors go to stderr without a traceback unless
--debug is given.
"""

from __future__ import annotations

import shutil
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from optimizer import __version__, console
from optimizer.errors import FabplanError, InputError

app = typer.Typer(
    name="fabplan",
    help="Plan a chip-fab build-out: where and when to build fabs, how big, which energy "
    "contracts power them and which partners fund what share, at least cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}
DEFAULT_DATA = Path("data")
SET_HELP = (
    "Override an input for this run: a parameter (discount_rate=0.05) or a column, all rows or "
    "rows by id, set/scale/add (sites.capex_usd_per_wspm*=1.2, sites.max_wspm[US_AZ]=150000, "
    "demand.gpus[high]*=0.8); repeatable, applied in order, validated like the files."
)
SOLVER_OPTION_HELP = (
    "Pass a HiGHS option, e.g. mip_heuristic_effort=0.3, presolve=off, solver=ipm; repeatable, "
    "checked by HiGHS before loading (README: Solver options)."
)


def _version(value: bool) -> None:
    if value:
        console.out.print(f"fabplan {__version__}")
        raise typer.Exit(0)


@app.callback()
def _global(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    quiet: Annotated[
        bool, typer.Option("-q", "--quiet", help="Print only warnings and errors.")
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "-v", "--verbose", help="Print more detail (model sizes, coefficient ranges)."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show Python tracebacks on errors.")
    ] = False,
) -> None:
    """Global options apply to every command."""
    console.set_verbosity(0 if quiet else 2 if verbose else 1)
    _state["debug"] = debug


def _print_problems(error: InputError) -> None:
    for w in error.warnings:
        console.warn(str(w))
    from optimizer.inputs.checks import shown_problems  # at most 20 per column unless -v

    for line in shown_problems(error.problems, every=console.verbosity() >= 2):
        console.err.print(line, markup=False)
    console.error(str(error))


def _print_warnings(warnings: list) -> None:
    for w in warnings:
        console.warn(str(w))


@app.command()
def validate(
    data_dir: Annotated[Path, typer.Argument(help="Data folder to check.")] = DEFAULT_DATA,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help=SET_HELP),
    ] = None,
) -> None:
    """Load and check a data folder; print an inventory or every problem found. Writes nothing."""
    from optimizer.inputs import load_case, parse_overrides
    from optimizer.inputs.stage_checks import stage_warnings

    case = load_case(data_dir, parse_overrides(set_ or []))
    _print_warnings(case.warnings + stage_warnings(case))
    inv = case.inventory()
    p = case.params
    console.info(f"{data_dir}: valid")
    console.info(", ".join(f"{n} {k}" for k, n in inv.items()) + f" ({p.first_year}-{p.last_year})")


@app.command()
def init(
    new_dir: Annotated[
        Path, typer.Argument(help="Folder to create with a copy of the default dataset.")
    ],
) -> None:
    """Copy the default dataset into NEW_DIR to start a new case."""
    from optimizer.inputs import default_data_dir
    from optimizer.outputs import check_writable

    if new_dir.exists() and not new_dir.is_dir():
        raise _usage(f"{new_dir} is a file, not a folder; choose a new folder")
    if new_dir.exists() and any(new_dir.iterdir()):
        raise _usage(f"{new_dir} exists and is not empty; choose a new folder")
    check_writable(new_dir, "NEW_DIR")
    src = default_data_dir()
    new_dir.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir()):
        if f.is_file() and (f.suffix == ".csv" or f.name == "README.md"):
            shutil.copy2(f, new_dir / f.name)
    console.info(
        f"copied the default dataset from {src} to {new_dir}; edit the CSV files, then "
        f"`fabplan validate {new_dir}`"
    )


@app.command()
def solve(
    data_dir: Annotated[Path, typer.Argument(help="Data folder to plan from.")] = DEFAULT_DATA,
    scenario: Annotated[
        str | None,
        typer.Option(
            help="Demand scenario to plan for (default: parameters.csv default_scenario)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Plan folder to write (default: reports/<scenario>/ for the repository's data/, "
            "reports/<case folder name>-<scenario>/ for any other case).",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help=SET_HELP),
    ] = None,
    integer: Annotated[
        bool, typer.Option("--integer", help="Binary site opening and whole build modules (MIP).")
    ] = False,
    stochastic: Annotated[
        bool,
        typer.Option(
            "--stochastic",
            help="Hedge across all demand scenarios: builds, contracts and funding decided "
            "before parameters.csv stage_year shared, later ones per scenario (no stage_year: "
            "all shared, two-stage); operations per scenario; also EVPI, VSS and regret.",
        ),
    ] = False,
    cvar: Annotated[
        float | None,
        typer.Option(
            "--cvar", help="CVaR level ALPHA in (0,1) for risk aversion (with --stochastic)."
        ),
    ] = None,
    risk_weight: Annotated[
        float | None,
        typer.Option(
            help="Weight LAMBDA in [0,1] of CVaR against expected cost (with --cvar; default 0.5)."
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(help="Stop the solver after this many seconds (best plan is kept)."),
    ] = None,
    mip_gap: Annotated[
        float | None,
        typer.Option(
            help="Relative MIP gap in [0, 1) at which to stop (integer mode; default 1e-4)."
        ),
    ] = None,
    threads: Annotated[
        int | None, typer.Option(help="Threads HiGHS may use (1 to 4 per CPU).")
    ] = None,
    solver_log: Annotated[
        Path | None, typer.Option(help="Write the HiGHS log to this file.")
    ] = None,
    write_model: Annotated[
        Path | None,
        typer.Option(help="Also write the model as FILE.mps or FILE.lp for other solvers."),
    ] = None,
    report: Annotated[
        str,
        typer.Option(
            help="Report formats to write with the plan (comma list of html,md,xlsx; "
            "'none' for none)."
        ),
    ] = "html,md,xlsx",
    solver_option: Annotated[
        list[str] | None,
        typer.Option("--solver-option", metavar="KEY=VALUE", help=SOLVER_OPTION_HELP),
    ] = None,
) -> None:
    """Solve a case and write the plan (tables, summary.json and report) atomically."""
    from optimizer import options
    from optimizer.inputs import parse_overrides
    from optimizer.run import SolveRequest, run_solve

    options.time_limit(time_limit)
    options.mip_gap(mip_gap)
    options.parallel("--threads", threads)
    options.cvar_alpha(cvar)
    if risk_weight is not None and cvar is None:
        raise _usage("--risk-weight needs --cvar ALPHA (the risk measure it weights)")
    if risk_weight is None:
        risk_weight = 0.5 if cvar is not None else 0.0
    options.risk_weight(risk_weight)
    options.output_file("--solver-log", solver_log)
    options.output_file("--write-model", write_model, options.MODEL_SUFFIXES)
    highs_options = options.solver_options(solver_option or [])
    if mip_gap is not None and not integer:
        raise _usage("--mip-gap applies to integer plans; add --integer")
    if integer and mip_gap is None:
        mip_gap = 1e-4
    req = SolveRequest(
        data_dir=data_dir,
        out_dir=out,
        scenario=scenario,
        overrides=parse_overrides(set_ or []),
        integer=integer,
        stochastic=stochastic,
        cvar_alpha=cvar,
        risk_weight=risk_weight,
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=threads,
        solver_log=solver_log,
        write_model=write_model,
        highs_options=highs_options,
        report_formats=_formats(report),
    )
    result = run_solve(req)
    if result.previous is not None:
        console.info(f"replaced the previous plan in {result.out_dir} (kept in {result.previous})")
    if console.verbosity() >= 1:
        from optimizer.report import print_summary

        print_summary(result.out_dir)


@app.command()
def verify(
    plan_dir: Annotated[Path, typer.Argument(help="Plan folder written by `fabplan solve`.")],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Data folder to check against (default: the one in summary.json)."
        ),
    ] = None,
) -> None:
    """Check independently (pandas only) that a plan honours every constraint and adds up."""
    from optimizer.verify import run_verify_command

    code = run_verify_command(plan_dir, data)
    if code:
        raise typer.Exit(code)


@app.command("report")
def report_cmd(
    plan_dir: Annotated[Path, typer.Argument(help="Plan folder written by `fabplan solve`.")],
    format_: Annotated[
        str, typer.Option("--format", help="Comma list of html, md, xlsx.")
    ] = "html,md,xlsx",
) -> None:
    """Write report.html, report.md and plan.xlsx into a plan folder from its tables only."""
    from optimizer.outputs import check_plan_folder, lock_output
    from optimizer.report import write_reports

    formats = list(_formats(format_))
    check_plan_folder(plan_dir)  # reports go only into plan folders fabplan wrote
    with lock_output(plan_dir, "PLAN_DIR"):  # not while a solve replaces the folder
        paths = write_reports(plan_dir, formats)
    if console.verbosity() >= 1:
        from optimizer.report import print_summary

        print_summary(plan_dir, paths)


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the synthetic case into.")],
    size: Annotated[
        str, typer.Option("--size", help="S (~10k variables), M (~100k) or L (~1M).")
    ] = "S",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 0,
) -> None:
    """Write a synthetic but valid data folder of a given size (for benchmarks)."""
    from optimizer.generate import SIZES, generate_case

    if size.upper() not in SIZES:
        raise _usage(f"--size {size}: expected one of {', '.join(SIZES)}")
    if seed < 0:
        raise _usage(f"--seed {seed}: expected a whole number >= 0")
    generate_case(size.upper(), out_dir, seed=seed)
    console.info(f"wrote a size-{size.upper()} synthetic case to {out_dir}")


@app.command()
def compare(
    plan_a: Annotated[Path, typer.Argument(help="Plan folder A (the reference).")],
    plan_b: Annotated[Path, typer.Argument(help="Plan folder B (compared with A).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write (default: reports/compare-<A>-vs-<B>/)."),
    ] = None,
) -> None:
    """Compare two plans decision by decision: comparison.md and comparison.html."""
    from optimizer.compare import run_compare_command

    code = run_compare_command(plan_a, plan_b, out)
    if code:
        raise typer.Exit(code)


@app.command()
def sweep(
    data_dir: Annotated[Path, typer.Argument(help="Data folder to sweep over.")] = DEFAULT_DATA,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary",
            help="An override with a comma list of values, e.g. "
            "--vary sites.capex_usd_per_wspm*=0.8,1.0,1.2; several --vary give every "
            "combination.",
        ),
    ] = None,
    cases: Annotated[
        Path | None,
        typer.Option(
            "--cases",
            help="CSV with one case per row: columns case, overrides (';'-separated --set "
            "expressions). Instead of --vary.",
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for sweep.csv, the report and cases/.")
    ] = Path("reports/sweep"),
    workers: Annotated[
        int | None,
        typer.Option(
            help="Local worker processes, 1 to 4 per CPU (default: min(2, number of CPUs))."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Address of an existing Dask scheduler (e.g. tcp://10.0.0.5:8786) to run the "
            "cases on instead of local processes; needs fabplan[sweep] and a shared filesystem."
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume/--no-resume",
            help="Keep the cases already solved in OUT/cases (same overrides, same input "
            "files); --no-resume solves every case again.",
        ),
    ] = True,
    scenario: Annotated[
        str | None, typer.Option(help="Demand scenario every case plans for.")
    ] = None,
    stochastic: Annotated[
        bool,
        typer.Option("--stochastic", help="Every case is a hedged plan (staged under stage_year)."),
    ] = False,
    integer: Annotated[
        bool, typer.Option("--integer", help="Every case in integer mode (MIP).")
    ] = False,
    time_limit: Annotated[
        float | None, typer.Option(help="Solver time limit per case, in seconds.")
    ] = None,
    solver_option: Annotated[
        list[str] | None,
        typer.Option("--solver-option", metavar="KEY=VALUE", help=SOLVER_OPTION_HELP),
    ] = None,
) -> None:
    """Solve many what-if cases in parallel; write sweep.csv and a sensitivity report."""
    from optimizer import options
    from optimizer.run.sweep import run_sweep_command

    options.time_limit(time_limit)
    options.parallel("--workers", workers)
    own = {
        k: f for k, f in options.OWN_SOLVER_OPTIONS.items() if k not in ("mip_rel_gap", "threads")
    }
    highs_options = options.solver_options(solver_option or [], own)
    code = run_sweep_command(
        data_dir,
        vary or [],
        cases,
        out,
        workers,
        scheduler,
        resume=resume,
        scenario=scenario,
        stochastic=stochastic,
        integer=integer,
        time_limit=time_limit,
        highs_options=highs_options,
    )
    if code:
        raise typer.Exit(code)


@app.command()
def alternatives(
    data_dir: Annotated[Path, typer.Argument(help="Data folder.")] = DEFAULT_DATA,
    slack: Annotated[
        float, typer.Option(help="Cost slack over the least cost (0.05: at most 5% dearer).")
    ] = 0.05,
    by: Annotated[
        str, typer.Option(help="Dimension to range over: partner, region, site, operator, process.")
    ] = "partner",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder to write (default: reports/alternatives-<by>/)."),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Local worker processes.")] = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of an existing Dask scheduler to solve on.")
    ] = None,
    scenario: Annotated[str | None, typer.Option(help="Demand scenario planned for.")] = None,
    keep_delivery: Annotated[
        bool,
        typer.Option(
            "--keep-delivery",
            help="Alternatives leave no more GPUs unmet than the least-cost plan (the slack "
            "is not spent on serving less).",
        ),
    ] = False,
) -> None:
    """Near-optimal alternatives: each item's range within the cost slack, and one maximally
    different plan (alternatives.csv, alternatives.md, different/)."""
    from optimizer.alternatives import run_alternatives

    run_alternatives(data_dir, slack, by, out, workers, scheduler, scenario, keep_delivery)


def _formats(text: str) -> tuple[str, ...]:
    if text.strip().lower() == "none":
        return ()
    items = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in items if f not in ("html", "md", "xlsx")]
    if bad:
        raise _usage(f"unknown report format(s) {', '.join(bad)}; expected html, md, xlsx or none")
    return items


def _usage(message: str) -> FabplanError:
    from optimizer.errors import UsageError

    return UsageError(message)


GLOBAL_FLAGS = ("-q", "--quiet", "-v", "--verbose", "--debug")


def _hoist_global_flags(argv: list[str]) -> list[str]:
    """Accept -q/-v/--debug anywhere (`fabplan solve -v` as well as `fabplan -v solve`)."""
    if "--" in argv:
        cut = argv.index("--")
        head, tail = argv[:cut], argv[cut:]
    else:
        head, tail = argv, []
    flags = [a for a in head if a in GLOBAL_FLAGS]
    rest = [a for a in head if a not in GLOBAL_FLAGS]
    return flags + rest + tail


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app and map errors to exit codes.

    Usage errors are reported by click (exit 2); FabplanError carries its own exit code;
    anything unexpected is an internal error (exit 1) shown without a traceback unless --debug.
    """
    from optimizer.interrupt import Interrupted, handle_signals

    args = _hoist_global_flags(list(sys.argv[1:] if argv is None else argv))
    with handle_signals():  # SIGINT/SIGTERM raise Interrupted: temp folders are cleaned up
        try:
            app(args=args, prog_name="fabplan")
        except Interrupted as e:
            _interrupted(e.exit_code)
        except FabplanError as e:
            if _state["debug"]:
                traceback.print_exc()
            if isinstance(e, InputError):
                _print_problems(e)
            else:
                console.error(str(e))
                for line in getattr(e, "details", []):
                    console.err.print(f"  {line}", markup=False)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            _interrupted(130)
        except Exception as e:
            if _state["debug"]:
                traceback.print_exc()
            console.error(f"internal error: {type(e).__name__}: {e} (run with --debug for details)")
            sys.exit(1)


def _interrupted(code: int) -> None:
    """Say what an interruption left behind (optimizer.outputs) and exit 130 or 143."""
    from optimizer.outputs import interrupted_message

    if _state["debug"]:
        traceback.print_exc()
    console.error(interrupted_message())
    sys.exit(code)
