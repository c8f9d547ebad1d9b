"""summary.json of a plan: how it was made (status, options, solver, inputs) and its totals.

The report, compare, sweeps and verify read it; the input hashes let verify and a resumed sweep
tell whether the data changed since.
"""

from __future__ import annotations

import hashlib
import math
import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer import __version__
from optimizer.inputs import Case
from optimizer.inputs.policy_inputs import unmet_penalties
from optimizer.plan.staged_view import expected_sum
from optimizer.staged import StackedContext

if TYPE_CHECKING:
    from optimizer.run.request import SolveRequest
    from optimizer.run.steps import Solved


def plan_summary(
    req: SolveRequest,
    case: Case,
    label: str,
    solved: Solved,
    tables: dict[str, pd.DataFrame],
    objective_usd: float,
    out_dir: Path,
    timings: dict[str, float],
) -> dict:
    """The summary of a solved plan, `solved` being (ctx, compiled, sol); a hedged run adds its
    value measures after it."""
    ctx, compiled, sol = solved
    lp = compiled.lp
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
        "scenarios": case.scenario_probabilities,
        "solver": {"name": "HiGHS", "version": sol.solver_version, "interface": "highspy"},
        "fabplan_version": __version__,
        "code_sha256": code_sha256(),  # the program that made the plan (a sweep resumes on it)
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
        "solver_options": _solver_options(req.highs_options),
        "size": {"variables": lp.num_col_, "constraints": lp.num_row_, "nonzeros": compiled.nnz},
        "coefficient_ranges": {
            "matrix": compiled.coef_range,
            "rhs": compiled.rhs_range,
            "cost": compiled.cost_range,
        },
        "totals": _totals(tables, case.scenario_probabilities),
        "timings": timings,
    }
    if isinstance(ctx, StackedContext):  # a staged plan (optimizer/staged)
        summary["stage_year"] = ctx.stage_year
    return summary


@cache
def code_sha256() -> str:
    """SHA-256 of fabplan's own source (the package's .py, templates and stylesheet, by relative
    path): two plans with the same inputs and overrides are the same plan only if the same code
    made them, so `sweep --resume` keeps a finished case only when this matches too."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.suffix in (".py", ".j2", ".css") and p.is_file())
    for path in files:
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def case_name(data_dir: Path) -> str:
    """The case a plan is of: its data folder's name, `default` for the default dataset."""
    from optimizer.inputs import default_data_dir

    folder = Path(data_dir).resolve()
    if folder == default_data_dir().resolve():
        return "default"
    return folder.name or "case"


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


def _solver_options(options: dict[str, object]) -> dict[str, object]:
    """--solver-option values as HiGHS read them; JSON has no infinity, so those as text."""
    return {
        k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v)
        for k, v in options.items()
    }


def _duals_label(sol, integer: bool) -> str:
    """Where prices.csv and binding.csv come from (or that they are missing)."""
    if any(np.isnan(d).any() for d in sol.duals.values()):
        return "unavailable"
    return "lp with integer decisions fixed" if integer else "lp"


def _params(case: Case) -> dict:
    p = asdict(case.params)
    p["ramp_up"] = list(p["ramp_up"])
    own = case.products.get("unmet_penalty_usd_per_gpu")
    if own is not None and own.notna().any():  # products.csv overrides it: the report says so
        p["unmet_penalty_by_product"] = unmet_penalties(case).to_dict()
    return p


def _totals(tables: dict[str, pd.DataFrame], probabilities: dict[str, float]) -> dict:
    """Headline totals; quantities that depend on the scenario are expected values."""

    def expected(frame: pd.DataFrame, column: str) -> float:
        if frame.empty:
            return 0.0
        return float((frame[column] * frame["scenario"].map(probabilities)).sum())

    generated = tables.get("generation_output", pd.DataFrame(columns=["scenario", "mwh", "co2_t"]))
    return {
        "gpus_demanded": expected(tables["demand"], "gpus"),
        # delivered to markets: production also counts upstream stages' output
        "gpus_supplied": expected(tables["shipments"], "gpus"),
        "gpus_unmet": expected(tables["unmet"], "gpus"),
        # a staged plan's decide-later rows count with their scenario's probability
        "wspm_built": expected_sum(tables["builds"], "wspm", probabilities),
        "sites_built": int(tables["builds"]["site"].nunique()),  # in any scenario
        "capital_usd": expected_sum(tables["funding"], "usd", probabilities),
        "grants_usd": expected_sum(tables["grants"], "usd", probabilities),
        # contracts (energy.csv) and generation the partners build (generation_output.csv),
        # as the report's headline counts them
        "energy_mwh": expected(tables["energy"], "mwh") + expected(generated, "mwh"),
        "co2_t": expected(tables["energy"], "co2_t") + expected(generated, "co2_t"),
        "expected_over_scenarios": len(probabilities) > 1,
    }
