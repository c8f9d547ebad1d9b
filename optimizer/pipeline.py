"""The solve pipeline: load -> build -> hand-off -> solve -> extract -> write (-> report).

One function per stage boundary keeps the CLI thin and lets benchmarks time each stage.
"""

from __future__ import annotations

import hashlib
import os
import platform
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer import __version__, console
from optimizer.errors import InputError, NoPlanError, Problem, UsageError
from optimizer.model import risk

FAMILY_WORDS = {
    "site_size": "site capacity limits (sites.csv max_wspm)",
    "stay_open": "sites staying open once opened",
    "build_modules": "whole build modules (sites.csv module_wspm)",
    "demand": "demand (demand.csv)",
    "capacity": "fab capacity (sites.csv utilization, existing_wspm, lead_time_years)",
    "energy_need": "energy needed by the fabs (sites.csv energy_mwh_per_wafer)",
    "contract_supply": "energy contract volumes (energy.csv max_mw, capacity_factor)",
    "funding": "funding of every build (partners.csv, partner_regions.csv)",
    "grant_rate": "grant rates (sites.csv subsidy_rate)",
    "grant_cap": "grant caps (sites.csv subsidy_cap_musd)",
    "capital_total": "total capital raised",
    "commitment": "partner commitments (partners.csv max_commitment_musd)",
    "max_share": "partner maximum shares (partners.csv max_share)",
    "min_share": "partner minimum shares (partners.csv min_share)",
    "region_share": "partner shares per region (partner_regions.csv)",
    "concentration": "regional concentration caps (regions.csv)",
}


@dataclass
class SolveRequest:
    data_dir: Path
    out_dir: Path | None = None
    scenario: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    integer: bool = False
    stochastic: bool = False
    cvar_alpha: float | None = None
    risk_weight: float = 0.0
    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    solver_log: Path | None = None
    write_model: Path | None = None
    report_formats: tuple[str, ...] = ("html", "md", "xlsx")


@dataclass
class SolveResult:
    out_dir: Path
    summary: dict
    tables: dict[str, pd.DataFrame]
    previous: Path | None


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pick_scenario(case, requested: str | None) -> str:
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


def pick_scenarios(case, req: SolveRequest) -> tuple[str, dict[str, float]]:
    """(label, scenario -> probability): one scenario, or all of them for --stochastic."""
    if req.stochastic:
        if req.scenario:
            raise UsageError("--stochastic plans over all scenarios; drop --scenario")
        probs = dict(zip(case.scenarios["scenario"], case.scenarios["probability"], strict=True))
        dropped = [k for k, v in probs.items() if v <= 0]
        if dropped:
            # a scenario with probability 0 carries no weight: its operations would be arbitrary
            console.warn(f"scenarios with probability 0 are left out: {', '.join(dropped)}")
        return "stochastic", {k: float(v) for k, v in probs.items() if v > 0}
    if req.cvar_alpha is not None:
        raise UsageError("--cvar needs --stochastic (risk is measured across scenarios)")
    name = pick_scenario(case, req.scenario)
    return name, {name: 1.0}


def solver_options(req: SolveRequest):
    from optimizer.solve import SolverOptions

    return SolverOptions(
        time_limit=req.time_limit,
        mip_gap=req.mip_gap,
        threads=req.threads,
        solver_log=req.solver_log,
        log_to_console=console.verbosity() >= 2,
    )


def model_options(req: SolveRequest):
    from optimizer.model import ModelOptions

    return ModelOptions(integer=req.integer, cvar_alpha=req.cvar_alpha, risk_weight=req.risk_weight)


def build_and_solve(case, scenarios, m_opts, s_opts, out_dir, timings=None, write_model=None):
    """Build, hand off and solve; diagnose and raise NoPlanError when there is no plan."""
    from pyomo.common.errors import InfeasibleConstraintException

    from optimizer.model import TrivialInfeasibility, build_model
    from optimizer.solve import compile_model, solve

    timings = {} if timings is None else timings
    with console.step("build model", timings, "build_s"):
        try:
            ctx = build_model(case, scenarios, m_opts)
        except TrivialInfeasibility as e:
            raise diagnose_infeasible(case, scenarios, out_dir, _trivial(e)) from None
    with console.step("hand-off to HiGHS", timings, "handoff_s"):
        try:
            compiled = compile_model(ctx)
        except (ValueError, InfeasibleConstraintException) as e:
            error = NoPlanError(f"infeasible before solving: {e}", "infeasible")
            raise diagnose_infeasible(case, scenarios, out_dir, error) from None
    lp = compiled.lp
    console.detail(
        f"model: {lp.num_col_:,} variables, {lp.num_row_:,} constraints, "
        f"{compiled.nnz:,} nonzeros; "
        f"|A| in [{compiled.coef_range[0]:.3g}, {compiled.coef_range[1]:.3g}], "
        f"|rhs| in [{compiled.rhs_range[0]:.3g}, {compiled.rhs_range[1]:.3g}], "
        f"|cost| in [{compiled.cost_range[0]:.3g}, {compiled.cost_range[1]:.3g}]"
    )
    if write_model:
        _write_model(compiled, write_model)
    with console.step("solve (HiGHS)", timings, "solve_s"):
        sol = solve(ctx, compiled, s_opts)
    if not sol.has_solution:
        error = _no_plan(sol, ctx)
        if sol.status in ("infeasible", "infeasible_or_unbounded"):
            error = diagnose_infeasible(case, scenarios, out_dir, error)
        raise error
    return ctx, compiled, sol


def run_solve(req: SolveRequest) -> SolveResult:
    """Solve one case and write its plan atomically; raise NoPlanError if there is no plan.

    The plan folder is checked before anything is loaded (optimizer.outputs: only a new, empty
    or previous plan folder, never the data folder) and locked from before the solve until the
    plan is in place."""
    from optimizer.options import check_request
    from optimizer.outputs import PLAN, check_output

    check_request(req)  # numbers and files of the options, before anything is loaded
    if req.out_dir is not None:
        check_output(req.out_dir, PLAN, [("data folder", Path(req.data_dir))])
    with ExitStack() as claims:
        return _run_solve(req, claims)


def _run_solve(req: SolveRequest, claims: ExitStack) -> SolveResult:
    from optimizer.inputs import load_case
    from optimizer.outputs import PLAN, claim_output
    from optimizer.plan import extract_plan, write_plan

    timings: dict[str, float] = {}
    t_start = time.perf_counter()
    with console.step("load and validate inputs", timings, "load_s"):
        case = load_case(req.data_dir, req.overrides)
    for w in case.warnings:
        console.warn(str(w))
    label, scenarios = pick_scenarios(case, req)
    out_dir = req.out_dir or default_out_dir(req.data_dir, label)
    claims.enter_context(claim_output(out_dir, PLAN, [("data folder", Path(req.data_dir))]))
    screen_inputs(case, scenarios, out_dir)
    s_opts = solver_options(req)
    m_opts = model_options(req)
    ctx, compiled, sol = build_and_solve(
        case, scenarios, m_opts, s_opts, out_dir, timings, req.write_model
    )
    if req.solver_log is not None and not Path(req.solver_log).is_file():
        console.warn(f"--solver-log {req.solver_log}: HiGHS could not write the log")
    objective_usd = sol.objective * ctx.scale.usd
    if risk.needs_second_pass(m_opts):
        # pure CVaR: hold CVaR at its optimum and make the expected cost least (lexicographic)
        cap = risk.cvar_value(ctx, sol)
        m_opts = replace(m_opts, cvar_cap=cap * (1 + 1e-9) + 1e-9)
        with console.step("second pass: least expected cost at that CVaR", timings, "pass2_s"):
            ctx, compiled, sol = build_and_solve(case, scenarios, m_opts, s_opts, out_dir)
        objective_usd = risk.cvar_value(ctx, sol) * ctx.scale.usd
    lp = compiled.lp

    with console.step("extract plan", timings, "extract_s"):
        tables = extract_plan(ctx, sol)
    summary = {
        "status": sol.status,
        "termination": sol.termination,
        "optimal": sol.status == "optimal",
        "objective_usd": objective_usd,
        "cost_components_usd": float(tables["costs"]["npv_usd"].sum()),
        "mip_gap": sol.mip_gap,
        "mode": "integer" if req.integer else "lp",
        "duals": _duals_label(sol, req.integer),
        "stochastic": req.stochastic,
        "risk": {"cvar_alpha": req.cvar_alpha, "risk_weight": req.risk_weight}
        if req.cvar_alpha is not None
        else None,
        "scenario": label,
        "scenarios": scenarios,
        "solver": {"name": "HiGHS", "version": sol.solver_version, "interface": "highspy"},
        "fabplan_version": __version__,
        "python": platform.python_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "case": case_name(req.data_dir),
        "data_dir": recorded_data_dir(req.data_dir, out_dir),
        "inputs": {name: sha256(path) for name, path in sorted(case.files.items())},
        "parameters": _params(case),
        "overrides": dict(case.overrides),
        "options": {
            "time_limit": req.time_limit,
            "mip_gap": req.mip_gap,
            "threads": req.threads,
            "integer": req.integer,
        },
        "size": {"variables": lp.num_col_, "constraints": lp.num_row_, "nonzeros": compiled.nnz},
        "coefficient_ranges": {
            "matrix": compiled.coef_range,
            "rhs": compiled.rhs_range,
            "cost": compiled.cost_range,
        },
        "totals": _totals(tables, scenarios),
        "timings": timings,
    }
    if req.stochastic and len(scenarios) > 1:
        from optimizer.stochastic import value_measures

        with console.step("EVPI, VSS and regret", timings, "measures_s"):
            measures = value_measures(case, scenarios, model_options(req), s_opts, ctx, sol)
        summary.update(measures.summary)
        tables["regret"] = measures.regret
    if not summary["optimal"]:
        gap = "unknown" if sol.mip_gap is None else f"{sol.mip_gap:.2%}"
        console.warn(
            f"the solver stopped before proving optimality ({sol.termination}); the plan "
            f"written is the best found, gap {gap}"
        )

    def add_report(tmp: Path) -> None:
        if req.report_formats:
            from optimizer.report import write_reports

            write_reports(tmp, list(req.report_formats))

    with console.step("write plan and report", timings, "write_s"):
        previous = write_plan(out_dir, tables, summary, add_report)
    timings["total_s"] = time.perf_counter() - t_start
    _rewrite_timings(out_dir, timings)
    return SolveResult(out_dir, summary, tables, previous)


def screen_inputs(case, scenarios: dict[str, float], out_dir: Path) -> None:
    """Say before building anything when the inputs cannot work (or will leave demand unmet)."""
    from optimizer.diagnose import screen

    findings = screen(case, scenarios)
    errors = [f for f in findings if f.severity == "error"]
    for f in findings:
        if f.severity != "error":
            console.warn(str(f))
    if errors:
        error = NoPlanError(
            "no plan is possible with these inputs (found before building the model):",
            "infeasible",
            [str(f) for f in errors],
        )
        _save_diagnosis(out_dir, error)
        raise error


def diagnose_infeasible(case, scenarios: dict[str, float], out_dir: Path, error: NoPlanError):
    """Re-solve with every hard constraint elastic and explain the smallest violations."""
    from optimizer.diagnose import explain
    from optimizer.model import ModelOptions, build_model
    from optimizer.model.elastic import violations
    from optimizer.solve import SolverOptions, compile_model, solve

    with console.step("diagnose (elastic re-solve)"):
        ctx = build_model(case, scenarios, ModelOptions(elastic=True))
        sol = solve(ctx, compile_model(ctx), SolverOptions())
    if sol.has_solution:
        lines = explain(case, violations(ctx, sol))
        if lines:
            error = NoPlanError(
                "no plan satisfies every constraint. The smallest changes to the inputs that "
                "would make one possible:",
                "infeasible",
                lines,
            )
    _save_diagnosis(out_dir, error)
    return error


def _save_diagnosis(out_dir: Path, error: NoPlanError) -> None:
    """Keep the diagnosis beside (not inside) the plan folder: the previous plan stays intact."""
    from optimizer.plan.write import diagnosis_path

    path = diagnosis_path(out_dir)  # removed again by the next successful write_plan
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join([str(error), *[f"  {line}" for line in error.details]]) + "\n"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    error.details.append(f"(diagnosis saved to {path})")


def _rewrite_timings(out_dir: Path, timings: dict[str, float]) -> None:
    import json

    from optimizer.plan.write import json_text

    path = out_dir / "summary.json"
    summary = json.loads(path.read_text())
    summary["timings"] = timings
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json_text(summary))
    tmp.replace(path)


def case_name(data_dir: Path) -> str:
    """The case a plan is of: its data folder's name, `default` for the default dataset."""
    from optimizer.inputs import default_data_dir

    folder = Path(data_dir).resolve()
    if folder == default_data_dir().resolve():
        return "default"
    return folder.name or "case"


def default_out_dir(data_dir: Path, label: str) -> Path:
    """reports/<label>/ for the repository's default dataset, reports/<case>-<label>/ for any
    other case, so solving another case never silently replaces the default plans."""
    from optimizer.inputs import default_data_dir

    if Path(data_dir).resolve() == default_data_dir().resolve():
        return Path("reports") / label
    return Path("reports") / f"{case_name(data_dir)}-{label}"


def recorded_data_dir(data_dir: Path, out_dir: Path) -> str:
    """The data folder as summary.json records it, never as an absolute path (which would leak
    the author's machine into committed plans; the input hashes identify the data): relative
    to the current folder when inside it, else relative to the plan folder when both lie in a
    common folder below the filesystem root (`../../cases/x`), else its name only. verify
    looks for it from the current folder, the plan folder and the folders above the plan."""
    full = Path(data_dir).resolve()
    here = Path.cwd().resolve()
    if full.is_relative_to(here):
        return full.relative_to(here).as_posix() or "."
    plan = Path(out_dir).resolve()
    try:
        common = Path(os.path.commonpath([full, plan]))
    except ValueError:  # different drives
        return full.name
    if common != Path(common.anchor):
        return Path(os.path.relpath(full, plan)).as_posix()
    return full.name


def _duals_label(sol, integer: bool) -> str:
    """Where prices.csv and binding.csv come from (or that they are missing)."""
    if any(np.isnan(d).any() for d in sol.duals.values()):
        return "unavailable"
    return "lp with integer decisions fixed" if integer else "lp"


def _params(case) -> dict:
    p = asdict(case.params)
    p["ramp_up"] = list(p["ramp_up"])
    return p


def _totals(tables: dict[str, pd.DataFrame], scenarios: dict[str, float]) -> dict:
    """Headline totals; quantities that depend on the scenario are expected values."""

    def expected(frame: pd.DataFrame, column: str) -> float:
        if frame.empty:
            return 0.0
        return float((frame[column] * frame["scenario"].map(scenarios)).sum())

    return {
        "gpus_demanded": expected(tables["demand"], "gpus"),
        "gpus_supplied": expected(tables["production"], "gpus"),
        "gpus_unmet": expected(tables["unmet"], "gpus"),
        "wspm_built": float(tables["builds"]["wspm"].sum()),
        "sites_built": int(tables["builds"]["site"].nunique()),
        "capital_usd": float(tables["funding"]["usd"].sum()),
        "grants_usd": float(tables["grants"]["usd"].sum()),
        "energy_mwh": expected(tables["energy"], "mwh"),
        "co2_t": expected(tables["energy"], "co2_t"),
        "expected_over_scenarios": len(scenarios) > 1,
    }


def _write_model(compiled, path: Path) -> None:
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


def _trivial(e) -> NoPlanError:
    fam = e.family
    rows = fam.index.iloc[e.rows[:5]]
    what = FAMILY_WORDS.get(fam.name, fam.name)
    details = [", ".join(f"{k}={v}" for k, v in r.items()) for _, r in rows.iterrows()]
    return NoPlanError(
        f"no plan is possible: {what} cannot hold for the input data even before solving "
        f"(e.g. existing capacity already above a concentration cap). Rows:",
        "infeasible",
        details,
    )


def _no_plan(sol, ctx) -> NoPlanError:
    if sol.status in ("infeasible", "infeasible_or_unbounded"):
        hard = [FAMILY_WORDS.get(n, n) for n in ctx.families if n not in ("demand",)]
        return NoPlanError(
            "no plan satisfies all constraints (HiGHS: "
            f"{sol.termination}). Unmet demand is always allowed at a penalty, so the conflict is "
            "among the hard limits; check these inputs first:",
            "infeasible",
            hard,
        )
    if sol.status == "unbounded":
        return NoPlanError(
            f"the model is unbounded (HiGHS: {sol.termination}): a cost coefficient is negative "
            "somewhere (e.g. a negative price or penalty); check the inputs",
            "unbounded",
        )
    if sol.status == "time_limit":
        return NoPlanError(
            "the time limit was reached before any feasible plan was found; raise --time-limit",
            "time_limit",
        )
    return NoPlanError(f"the solver stopped without a plan: {sol.termination}", sol.status)


__all__ = ["SolveRequest", "SolveResult", "run_solve"]
