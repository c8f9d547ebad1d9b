"""One sweep case, run where a worker runs it: solve, then read the headline numbers back.

`solve_case` is a plain top-level function of picklable arguments, so the same code runs in a
local process pool and on a Dask worker. It never raises for a case that fails: the failure is
the case's result (status and message), so one bad case does not stop the others. The numbers
of a finished case are read from its plan folder (`plan_metrics`), the same way for a case
solved now and for one solved by an earlier, interrupted run.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: Solve options a sweep may pass on to every case (fields of run.SolveRequest).
SOLVE_OPTIONS = (
    "scenario",
    "integer",
    "stochastic",
    "cvar_alpha",
    "risk_weight",
    "time_limit",
    "mip_gap",
    "threads",
    "highs_options",
)

#: Headline outputs of every case (besides the per-region and per-partner columns).
HEADLINE = ("objective_usd", "wspm_built", "unmet_gpus", "capital_usd", "co2_t")


@dataclass(frozen=True)
class CaseTask:
    """What a worker needs: paths must be visible to the worker (shared filesystem)."""

    case_id: str
    data_dir: str
    plan_dir: str
    overrides: dict[str, str]
    options: dict = field(default_factory=dict)


@dataclass
class CaseOutcome:
    """A case's result: status is the plan's status ("optimal", ...) or why there is none
    ("bad_input" for exit code 2, the termination such as "infeasible" for exit code 1)."""

    case_id: str
    status: str
    exit_code: int
    message: str = ""
    metrics: dict[str, object] = field(default_factory=dict)  # numbers, binding_stage text

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def solve_case(task: CaseTask) -> CaseOutcome:
    """Solve one case into its plan folder (no report) and return its outcome."""
    from optimizer.errors import FabplanError, InputError, NoPlanError
    from optimizer.run import SolveRequest, run_solve

    request = SolveRequest(
        data_dir=Path(task.data_dir),
        out_dir=Path(task.plan_dir),
        overrides=dict(task.overrides),
        report_formats=(),
        **task.options,
    )
    try:
        with _quiet():
            run_solve(request)
    except InputError as e:
        return CaseOutcome(task.case_id, "bad_input", 2, "; ".join(str(p) for p in e.problems))
    except NoPlanError as e:
        message = " ".join([str(e), *e.details])
        return CaseOutcome(task.case_id, e.termination or "no_plan", 1, message)
    except FabplanError as e:
        return CaseOutcome(
            task.case_id, "bad_input" if e.exit_code == 2 else "error", e.exit_code, str(e)
        )
    except Exception as e:  # a bug in one case must not stop the sweep: record it
        return CaseOutcome(task.case_id, "error", 1, f"internal error: {type(e).__name__}: {e}")
    return finished_outcome(task.case_id, Path(task.plan_dir))


def finished_outcome(case_id: str, plan_dir: Path) -> CaseOutcome:
    """The outcome of a case whose plan folder is complete."""
    summary = json.loads((plan_dir / "summary.json").read_text())
    return CaseOutcome(
        case_id, str(summary.get("status", "optimal")), 0, "", plan_metrics(plan_dir)
    )


def plan_metrics(plan_dir: Path) -> dict[str, object]:
    """Headline numbers of a plan folder (docs/plan-tables.md); scenario quantities (unmet GPUs,
    CO2, GPUs delivered) are expected values over the scenarios solved, weighted by their
    probabilities; so are the decisions (wspm built, capital, capacity) of a staged plan, whose
    decision tables list the rows after the stage year once per scenario
    (optimizer/plan/staged_view.py); plus what limits delivery (sweep/delivery.py)."""
    from optimizer.plan.staged_view import row_weights
    from optimizer.sweep.delivery import delivery_metrics

    plan_dir = Path(plan_dir)
    summary = json.loads((plan_dir / "summary.json").read_text())
    probability = {str(k): float(v) for k, v in summary["scenarios"].items()}
    last_year = int(summary["parameters"]["last_year"])
    builds = _read(plan_dir, "builds", "site")
    unmet = _read(plan_dir, "unmet", "scenario")
    energy = _read(plan_dir, "energy", "scenario")
    partners = _read(plan_dir, "partner_summary", "partner")
    capacity = _read(plan_dir, "capacity", "site")
    for frame, column in ((builds, "wspm"), (partners, "usd"), (capacity, "installed_wspm")):
        frame[column] = frame[column] * row_weights(frame, probability)  # expected (staged)
    partners = partners.groupby("partner", as_index=False, sort=False)["usd"].sum()
    region = _read(plan_dir, "sites", "site", "region").set_index("site")["region"]
    metrics: dict[str, object] = {
        "objective_usd": float(summary["objective_usd"]),
        "wspm_built": float(builds["wspm"].sum()),
        "unmet_gpus": float((unmet["gpus"] * unmet["scenario"].map(probability)).sum()),
        "capital_usd": float(partners["usd"].sum()),
        # as summary.json totals count it (contracts and, from issue 15 on, built generation)
        "co2_t": float(summary["totals"]["co2_t"])
        if "co2_t" in summary.get("totals", {})
        else float((energy["co2_t"] * energy["scenario"].map(probability)).sum())
        if len(energy)
        else 0.0,
    }
    last = capacity[capacity["year"] == last_year]
    by_region = last.groupby(last["site"].map(region))["installed_wspm"].sum()
    for name in sorted(set(region)):
        metrics[f"capacity_{name}_wspm"] = float(by_region.get(name, 0.0))
    for name, usd in zip(partners["partner"], partners["usd"], strict=True):
        metrics[f"capital_{name}_usd"] = float(usd)
    metrics.update(delivery_metrics(plan_dir))
    return metrics


def _read(plan_dir: Path, table: str, *ids: str) -> pd.DataFrame:
    text = {c: "str" for c in (*ids, "scenario")}
    return pd.read_csv(plan_dir / f"{table}.csv", dtype=text)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence the solve's progress lines and warnings inside a worker (the sweep shows one
    progress bar; the data's warnings are the same for every case and were shown once)."""
    from rich.console import Console

    from optimizer import console

    saved = console.out, console.err, console.verbosity()
    console.out = Console(file=io.StringIO())
    console.err = Console(file=io.StringIO())
    console.set_verbosity(0)
    try:
        yield
    finally:
        console.out, console.err = saved[0], saved[1]
        console.set_verbosity(saved[2])
