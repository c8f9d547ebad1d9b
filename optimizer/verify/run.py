"""verify_plan: load the plan and its data, run every check, collect the findings."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from optimizer.verify import costs, provenance, references, staged
from optimizer.verify.context import Context
from optimizer.verify.plan import read_plan
from optimizer.verify.result import Findings, VerifyResult

Check = Callable[[Context], None]


def modules() -> list[ModuleType]:
    """Every module of optimizer.verify (a new checker module is found without a list)."""
    import optimizer.verify as package

    return [
        importlib.import_module(f"{package.__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)
    ]


def checks() -> list[Check]:
    """The CHECKS every module declares (rank -> check), in rank order: the order violations
    are listed in."""
    ranked: dict[int, Check] = {}
    for module in modules():
        for rank, check in getattr(module, "CHECKS", {}).items():
            if rank in ranked:
                raise ValueError(
                    f"verify checks {ranked[rank].__name__} and {check.__name__} share rank {rank}"
                )
            ranked[rank] = check
    return [ranked[r] for r in sorted(ranked)]


def covered() -> dict[str, str]:
    """Model family -> the verify module whose checks re-implement it (its COVERS)."""
    return {
        family: module.__name__ for module in modules() for family in getattr(module, "COVERS", ())
    }


def verify_plan(plan_dir: Path, data_dir: Path | None = None) -> VerifyResult:
    """Check a plan folder against its inputs without any model code.

    Raises InputError when a plan table or summary.json is missing or unreadable, or when the
    data folder cannot be loaded. Every constraint violation is collected in the result.
    """
    from optimizer.inputs import load_case  # the shared input contract, not the model

    plan_dir = Path(plan_dir)
    plan = read_plan(plan_dir)
    folder = provenance.data_dir_of(plan, Path(data_dir) if data_dir is not None else None)
    overrides = plan.summary.get("overrides") or {}
    case = load_case(folder, {str(k): str(v) for k, v in overrides.items()})
    findings = Findings()
    for w in getattr(case, "warnings", []):
        findings.warn("data", str(w))
    provenance.check_status(plan, findings)
    unchanged = provenance.check_inputs(plan, case, folder, findings)
    provenance.check_parameters(plan, case, findings)
    probs = provenance.scenario_probabilities(plan, case, findings)

    if staged.is_staged_plan(plan):  # per scenario view (optimizer/verify/staged.py)
        cost_table, recomputed = staged.verify_staged(case, plan, probs, findings, checks())
    else:
        ctx = Context(case=case, plan=plan, probs=probs, findings=findings)
        references.clean_tables(ctx)
        for check in checks():
            check(ctx)
        cost_table, recomputed = costs.check_costs(ctx)
    return VerifyResult(
        plan_dir=plan_dir,
        data_dir=folder,
        violations=findings.violations,
        warnings=findings.warnings,
        checks=findings.checks,
        costs=cost_table,
        objective_usd=float(plan.summary["objective_usd"]),
        recomputed_objective_usd=recomputed,
        inputs_unchanged=unchanged,
    )
