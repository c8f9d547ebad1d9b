"""verify_plan: load the plan and its data, run every check, collect the findings."""

from __future__ import annotations

from pathlib import Path

from optimizer.verify import (
    copies,
    costs,
    duals,
    finance,
    investment,
    operations,
    provenance,
    references,
    scenario_costs,
)
from optimizer.verify.context import Context
from optimizer.verify.plan import read_plan
from optimizer.verify.result import Findings, VerifyResult

# Order of the checks is the order violations are listed in.
CHECKS = (
    operations.check_demand,
    operations.check_production,
    operations.check_capacity,
    investment.check_capacity_table,
    investment.check_build_timing,
    investment.check_builds_table,
    investment.check_site_size,
    operations.check_energy,
    finance.check_funding,
    finance.check_partners,
    investment.check_concentration,
    investment.check_integer,
    investment.check_nonnegative,
    costs.check_partner_summary,
    copies.check_copies,
    scenario_costs.check_scenario_costs,
    duals.check_prices,
    duals.check_binding,
)


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

    ctx = Context(case=case, plan=plan, probs=probs, findings=findings)
    references.clean_tables(ctx)
    for check in CHECKS:
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
