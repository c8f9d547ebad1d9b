"""Verify a staged plan (summary.json stage_year; docs/plan-tables.md): non-anticipativity, then
every constraint check once per scenario on the plan that scenario gets.

A staged plan's decision tables (optimizer.plan.schema.STAGED_TABLES) carry a `scenario` column:
"all" for a decision dated before the stage year (shared by every scenario), the scenario's name
for a later one. This module checks that labelling against the dates (the property the model's
non-anticipativity rows enforce), then runs the ordinary checks on each scenario's view (shared
rows plus its own, optimizer.plan.staged_view.scenario_rows; operational and derived tables
restricted to that scenario, at the scenario's probability) so capacity, balances, funding,
energy, power and operators are checked against that scenario's own operations. Costs:
scenario_costs.csv rows are recomputed per view; costs.csv and site_costs.csv must be their
probability-weighted sums. Findings found in several views are listed once, naming the
scenarios.

The shadow-price checks (duals.py) run per view too: they rest on reduced costs of operational
variables (make, ship, unmet) and on the sign and tightness of limit rows, none of which the
non-anticipativity rows touch (they bind first-stage variables only); binding.csv is read with
the view's own rows plus the shared ("all") ones, at the expected-cost scale it is written in.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from optimizer.inputs.case import Case
from optimizer.plan.schema import ALL_SCENARIOS, STAGED_TABLES
from optimizer.plan.staged_view import scenario_rows
from optimizer.verify import costs, references, site_costs
from optimizer.verify.context import Context
from optimizer.verify.copies import check_copies
from optimizer.verify.formatting import each, fmt
from optimizer.verify.plan import Plan
from optimizer.verify.result import Findings
from optimizer.verify.tolerance import (
    ABS_TOL_USD,
    COMPONENT_OBJECTIVE_REL_TOL,
    OBJECTIVE_REL_TOL,
    differs,
)

FAMILY = "non-anticipativity"
# checks of the whole plan, not of one scenario's view: run once (copies of inputs) or replaced
# here by their probability-weighted form (site_costs.csv)
ONCE: tuple[Callable[[Context], None], ...] = (check_copies,)
REPLACED: tuple[Callable[[Context], None], ...] = (site_costs.check_site_costs,)


def is_staged_plan(plan: Plan) -> bool:
    """A staged plan: summary.json names a stage year, or builds.csv has a scenario column."""
    builds = plan.tables.get("builds.csv")
    return plan.summary.get("stage_year") is not None or (
        builds is not None and "scenario" in builds.columns
    )


def _staged(name: str) -> bool:
    return name.removesuffix(".csv") in STAGED_TABLES


def view_table(name: str, table: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The rows of one plan table that scenario `scenario` gets: decision tables through
    scenario_rows (shared + own, no scenario column), binding.csv its own and shared limits,
    every other table with a scenario column its own rows."""
    if "scenario" not in table.columns:
        return table
    if _staged(name):
        return scenario_rows(table, scenario)
    s = table["scenario"]
    keep = s == scenario
    if name == "binding.csv":  # a decide-now limit is listed once with scenario "all"
        keep |= s.isna() | s.isin(["", ALL_SCENARIOS])
    return table[keep].reset_index(drop=True)


def view_plan(plan: Plan, scenario: str, probability: float) -> Plan:
    """The plan scenario `scenario` gets (site_costs.csv left out: checked weighted, here).
    stages.csv shadow prices are on the expected-cost scale, as in a two-stage plan."""
    tables = {n: view_table(n, t, scenario) for n, t in plan.tables.items()}
    derived = {
        n: view_table(n, t, scenario) for n, t in plan.derived.items() if n != "site_costs.csv"
    }
    return Plan(plan.plan_dir, plan.summary, tables, derived)


def check_labels(plan: Plan, probs: pd.Series, findings: Findings) -> None:
    """Every decision row dated before the stage year is shared ("all"), none later is; every
    scenario label is a scenario of the plan; a table without a year column has rows for
    every scenario and none shared; every scenario has its scenario_costs.csv row."""
    stage = plan.summary.get("stage_year")
    known = set(probs.index)
    rows = 0
    if stage is None:
        findings.violate(
            FAMILY, "builds.csv has a scenario column but summary.json has no stage_year"
        )
    for name, table in {**plan.tables, **plan.derived}.items():
        if not _staged(name) and "scenario" in table.columns:
            _own_rows_only(name, table, known, findings)  # a view drops rows of no scenario
            continue
        if not _staged(name) or (table.empty and "scenario" not in table.columns):
            continue
        if "scenario" not in table.columns:
            findings.violate(
                FAMILY, f"{name}: no scenario column, but a staged plan's {name} has one"
            )
            continue
        rows += len(table)
        s = table["scenario"].astype(str)
        for r in each(table[~s.isin(known | {ALL_SCENARIOS})]):
            findings.violate(
                FAMILY,
                f"{name} line {r.csv_line}: scenario '{r.scenario}' is neither "
                f"'{ALL_SCENARIOS}' nor a scenario of this plan ({', '.join(sorted(known))})",
            )
        if "year" in table.columns and stage is not None:
            year = table["year"].to_numpy(dtype=float)
            early = (year < int(stage)) & (s != ALL_SCENARIOS).to_numpy()
            for r in each(table[early]):
                findings.violate(
                    FAMILY,
                    f"{name} line {r.csv_line}: year {r.year} is before the stage year {stage} "
                    f"but the row is for scenario '{r.scenario}'; a decision taken then is the "
                    f"same in every scenario (scenario '{ALL_SCENARIOS}')",
                )
            late = (year >= int(stage)) & (s == ALL_SCENARIOS).to_numpy()
            for r in each(table[late]):
                findings.violate(
                    FAMILY,
                    f"{name} line {r.csv_line}: year {r.year} is not before the stage year "
                    f"{stage} but the row is '{ALL_SCENARIOS}'; later decisions are made per "
                    "scenario",
                )
        elif "year" not in table.columns:
            for r in each(table[s == ALL_SCENARIOS]):
                findings.violate(
                    FAMILY,
                    f"{name} line {r.csv_line}: scenario '{ALL_SCENARIOS}' in a table without a "
                    "year; its rows are per scenario",
                )
            if len(table):
                for w in sorted(known - set(s)):
                    findings.violate(FAMILY, f"{name}: no rows for scenario {w}")
    listed = plan.derived.get("scenario_costs.csv")
    if listed is not None:
        for w in sorted(known - set(listed["scenario"].astype(str))):
            findings.violate(FAMILY, f"scenario_costs.csv: no row for scenario {w} of this plan")
    findings.checked(FAMILY, rows)


def _own_rows_only(name: str, table: pd.DataFrame, known: set[str], findings: Findings) -> None:
    """An operational or derived table's scenario is one of the plan's (binding.csv: or "all"
    or blank, a limit of the shared decisions)."""
    ok = known | ({ALL_SCENARIOS, "", "nan"} if name == "binding.csv" else set())
    s = table["scenario"].astype(str)
    for r in each(table[~s.isin(ok)]):
        findings.violate(
            FAMILY,
            f"{name} line {r.csv_line}: scenario '{r.scenario}' is not a scenario of this plan "
            f"({', '.join(sorted(known))})",
        )


def verify_staged(
    case: Case,
    plan: Plan,
    probs: pd.Series,
    findings: Findings,
    checks: list[Callable[[Context], None]],
) -> tuple[pd.DataFrame, float]:
    """Labels, then every check per scenario view, then the weighted costs; returns the cost
    table and the recomputed objective like costs.check_costs."""
    check_labels(plan, probs, findings)
    full = Context(case=case, plan=plan, probs=probs, findings=findings)
    for check in ONCE:
        check(full)
    per: dict[str, pd.DataFrame] = {}
    site_parts: list[pd.DataFrame] = []
    found: dict[str, list[str]] = {}
    warned: dict[str, None] = {}
    for w in probs.index:
        f = Findings()
        view = view_plan(plan, w, float(probs[w]))
        ctx = Context(case=case, plan=view, probs=probs[[w]], findings=f)
        references.clean_tables(ctx)
        for check in checks:
            if check not in ONCE and check not in REPLACED:
                check(ctx)
        per[w] = costs.recompute_by_scenario(ctx).loc[w]
        own = Context(case, view, pd.Series({w: 1.0}), Findings(), tables=ctx.tables)
        site_parts.append(site_costs.recompute(own).assign(p=float(probs[w])))  # at p = 1
        for v in f.violations:
            found.setdefault(v, []).append(str(w))
        warned.update(dict.fromkeys(f.warnings))
        for fam, n in f.checks.items():
            findings.checked(fam, n)
    for v, ws in found.items():
        fam, text = v.split(": ", 1)
        who = "every scenario" if len(ws) == len(probs) else "scenario " + ", ".join(ws)
        named = len(ws) == 1 and f"scenario {ws[0]}" in text  # the check said which already
        findings.violate(fam, text if named or len(probs) == 1 else f"{who}: {text}")
    for w in warned:
        findings.warn(*w.split(": ", 1))
    by = pd.DataFrame(per).T.reindex(columns=list(costs.COMPONENTS)).astype(float)
    _check_weighted(plan, probs, by, findings)
    _check_site_costs(plan, pd.concat(site_parts, ignore_index=True), findings)
    return _check_costs(full, by, findings)


def _check_weighted(plan: Plan, probs: pd.Series, by: pd.DataFrame, findings: Findings) -> None:
    """costs.csv = sum over scenarios of probability x scenario_costs.csv, by component."""
    table = plan.derived.get("scenario_costs.csv")
    if table is None:
        return
    objective = float(plan.summary.get("objective_usd") or 0.0)
    floor = max(ABS_TOL_USD, COMPONENT_OBJECTIVE_REL_TOL * abs(objective))
    given = plan["costs.csv"].drop_duplicates("component").set_index("component")["npv_usd"]
    t = table.drop_duplicates("scenario").set_index("scenario")
    p = t.index.map(probs).to_numpy(dtype=float)
    for c in costs.COMPONENTS:
        col = f"{c}_usd"
        if col not in t.columns:
            continue
        weighted = float(np.nansum(t[col].to_numpy(dtype=float) * p))
        listed = float(given.get(c, 0.0))
        if bool(differs(listed, weighted, floor)):
            findings.violate(
                "costs",
                f"component {c}: costs.csv says {fmt(listed)} USD but the probability-weighted "
                f"sum of scenario_costs.csv {col} is {fmt(weighted)} USD (difference "
                f"{fmt(listed - weighted)})",
            )
    findings.checked("costs", len(costs.COMPONENTS))


def _check_site_costs(plan: Plan, parts: pd.DataFrame, findings: Findings) -> None:
    """site_costs.csv: each site's component = sum over scenarios of p x its view's cost."""
    table = plan.derived.get("site_costs.csv")
    if table is None:
        findings.warn(site_costs.FAMILY, "the plan has no site_costs.csv; not checked")
        return
    mine = (
        parts.assign(npv_usd=parts["npv_usd"] * parts["p"])
        .groupby(["site", "component"], as_index=False)["npv_usd"]
        .sum()
    )
    costs = plan["costs.csv"].set_index("component")["npv_usd"].astype(float)
    words = "the scenarios' plan tables weighted by probability give"
    site_costs.compare(table, mine, costs, findings, words)


def _check_costs(full: Context, by: pd.DataFrame, findings: Findings) -> tuple[pd.DataFrame, float]:
    """costs.csv against the expected recomputation; both against objective_usd."""
    plan, probs = full.plan, full.probs
    mine = by.mul(probs.reindex(by.index).astype(float), axis=0).sum()
    objective = float(plan.summary["objective_usd"])
    given = plan["costs.csv"].drop_duplicates("component").set_index("component")["npv_usd"]
    table = pd.DataFrame(
        {
            "component": list(costs.COMPONENTS),
            "plan_npv_usd": given.reindex(list(costs.COMPONENTS)).to_numpy(dtype=float),
            "recomputed_npv_usd": mine.reindex(list(costs.COMPONENTS)).to_numpy(dtype=float),
        }
    )
    floor = max(ABS_TOL_USD, COMPONENT_OBJECTIVE_REL_TOL * abs(objective))
    for r in each(table):
        if np.isnan(r.plan_npv_usd) or differs(r.plan_npv_usd, r.recomputed_npv_usd, floor):
            findings.violate(
                "costs",
                f"component {r.component}: costs.csv says {fmt(r.plan_npv_usd)} USD, the "
                f"scenarios' plan tables weighted by probability give "
                f"{fmt(r.recomputed_npv_usd)} USD",
            )
    findings.checked("costs", len(table))
    recomputed = float(mine.sum())
    risk = plan.summary.get("risk") or {}
    if risk.get("risk_weight"):
        lam, alpha = float(risk["risk_weight"]), float(risk["cvar_alpha"])
        recomputed = (1.0 - lam) * recomputed + lam * costs.cvar(by.sum(axis=1), probs, alpha)
    tol = max(OBJECTIVE_REL_TOL * abs(objective), ABS_TOL_USD)
    listed = float(given.sum())
    for what, x in (("costs.csv components sum to", listed), ("recomputed cost", recomputed)):
        if abs(x - objective) > tol:
            findings.violate(
                "objective",
                f"{what} {fmt(x)} USD but summary.json objective_usd is {fmt(objective)} USD "
                f"(difference {fmt(x - objective)})",
            )
    findings.checked("objective", 2)
    return table, recomputed


# check_labels re-implements the non-anticipativity rows from the plan tables alone
COVERS = ("nonanticipativity",)
