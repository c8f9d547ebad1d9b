"""What a sweep case delivers and what limits it (issue 13): read from the case's plan tables.

The capital sweep asks "what does $5T buy, and what limits it beyond money". Per case:
gpus_delivered / gpus_demanded (shipments, probability-weighted like the report's headline),
capital_raised_usd (capital_sources.csv, else partner_summary.csv), cost_excl_unmet_usd (the
expected cost less the unmet-demand penalty: what the GPUs delivered cost) and binding_stage:

- `capital_budget` when the capital budget binds (a row of that family in binding.csv): money is
  the limit;
- else, when some demand is unmet, the limit family with the largest summed |impact| among the
  binding rows of the shortfall years (rows without a year count too). The capacity rows
  (production <= installed) bind whenever a fab runs full, so they name the limit only when no
  deeper limit (site_size, tool supply, ...) binds. A capacity row at a site built out to its
  max_wspm counts as `site_size`: in the LP the site-size row's dual often sits on the open
  variable's bound instead, so binding.csv shows only the full fab. With a supply chain the
  stage whose rows carry most of that impact is added: `site_size (memory)`;
- else `none (demand met)`.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from optimizer.plan import statistics, supply_chain
from optimizer.plan.read import Plan, read_plan
from optimizer.plan.staged_view import expected_sum

CAPITAL = "capital_budget"
MET = "none (demand met)"
PROXIMATE = ("capacity",)  # bind whenever a fab runs full: not the deeper limit
SIZE_TOLERANCE = 1e-6  # relative: installed within this of max_wspm is built out
UNMET_TOLERANCE = 0.5  # GPUs: less unmet than this is demand met (solver noise)

#: Numeric columns this module adds to sweep.csv (binding_stage is text, after them).
NUMBERS = ("gpus_delivered", "gpus_demanded", "capital_raised_usd", "cost_excl_unmet_usd")
COLUMNS = (*NUMBERS, "binding_stage")


def delivery_metrics(plan_dir: Path) -> dict[str, object]:
    """The capital-curve numbers of one plan folder (docs/plan-tables.md tables only)."""
    plan = read_plan(Path(plan_dir))
    head = statistics.headline(plan)
    return {
        "gpus_delivered": head.gpus_delivered,
        "gpus_demanded": head.gpus_demanded,
        "capital_raised_usd": capital_raised(plan),
        "cost_excl_unmet_usd": head.expected_cost_usd - head.unmet_penalty_usd,
        "binding_stage": binding_stage(plan, head.gpus_unmet),
    }


def capital_raised(plan: Plan) -> float:
    """All capital raised: capital_sources.csv (commitments, tranches, market), else the
    partners' totals (plans without capital sources); expected over the scenarios of a staged
    plan (a row decided before the stage year counts once, a later one with its probability)."""
    weights = plan.scenario_weights
    if plan.has("capital_sources"):
        return expected_sum(plan["capital_sources"], "usd", weights)
    if plan.has("partner_summary"):
        return expected_sum(plan["partner_summary"], "usd", weights)
    return 0.0


def binding_stage(plan: Plan, unmet_gpus: float) -> str:
    """What limits delivery in this plan (module docstring)."""
    bind = plan["binding"] if plan.has("binding") else pd.DataFrame(columns=["family"])
    if (bind["family"] == CAPITAL).any():
        return CAPITAL
    if not unmet_gpus > UNMET_TOLERANCE:
        return MET
    rows = bind.loc[_in_shortfall_years(plan, bind)].copy()
    if rows.empty:
        return "unknown"
    rows["impact"] = pd.to_numeric(rows["impact_usd"], errors="coerce").abs().fillna(0.0)
    rows.loc[_at_site_size(plan, rows), "family"] = "site_size"
    deeper = rows[~rows["family"].isin(PROXIMATE)]
    rows = deeper if not deeper.empty else rows
    by_family = rows.groupby("family", sort=True)["impact"].sum()
    family = str(by_family.sort_values(ascending=False, kind="stable").index[0])
    stage = _stage(plan, rows[rows["family"] == family])
    return f"{family} ({stage})" if stage else family


def _in_shortfall_years(plan: Plan, bind: pd.DataFrame) -> pd.Series:
    """Binding rows in a year with unmet demand (any scenario), or without a year."""
    unmet = plan["unmet"]
    years = set(unmet.loc[unmet["gpus"] > UNMET_TOLERANCE, "year"].astype(int))
    year = pd.to_numeric(bind["year"], errors="coerce") if "year" in bind else None
    if year is None:
        return pd.Series(True, index=bind.index)
    return year.isna() | year.isin(years)


def _at_site_size(plan: Plan, rows: pd.DataFrame) -> pd.Series:
    """Capacity rows of a site whose installed wspm that year is at its max_wspm."""
    if "site" not in rows or not plan.has("sites") or "max_wspm" not in plan["sites"]:
        return pd.Series(False, index=rows.index)
    limit = plan["sites"].set_index("site")["max_wspm"].astype(float)
    cap = _scenario_capacity(plan)
    keys = ["site", "year"]
    keyed = rows[["site"]].assign(year=pd.to_numeric(rows["year"], errors="coerce"))
    if "scenario" in cap.columns:
        if "scenario" in rows.columns:  # a capacity row is a scenario's: its own capacity
            keys.append("scenario")
            keyed["scenario"] = rows["scenario"].astype(str).to_numpy()
        else:  # no scenario named: built out in the scenario that builds most
            cap = cap.groupby(keys, as_index=False)["installed_wspm"].max()
    installed = keyed.merge(cap, on=keys, how="left")["installed_wspm"].to_numpy()
    full = installed >= keyed["site"].map(limit).to_numpy() * (1 - SIZE_TOLERANCE)
    return (rows["family"] == "capacity") & pd.Series(full, index=rows.index)


def _scenario_capacity(plan: Plan) -> pd.DataFrame:
    """site, year, installed_wspm (plus scenario for a staged plan: each scenario's own
    capacity, its shared rows and its own: statistics.per_scenario)."""
    cap = statistics.per_scenario(plan["capacity"], plan)
    cols = [c for c in ("scenario", "site", "year", "installed_wspm") if c in cap.columns]
    return cap[cols].astype({"year": int})


def _stage(plan: Plan, rows: pd.DataFrame) -> str:
    """The supply-chain stage carrying most of the rows' impact ('' without a supply chain or
    when the rows name no site or process)."""
    if not supply_chain.modelled(plan):
        return ""
    stages = supply_chain.site_stages(plan)
    by_site = stages.set_index("site")["stage"]
    by_process = stages.drop_duplicates("process").set_index("process")["stage"]
    stage = pd.Series("", index=rows.index, dtype="str")
    if "site" in rows:
        stage = rows["site"].map(by_site).fillna("").astype(str)
    if "process" in rows:
        from_process = rows["process"].map(by_process).fillna("").astype(str)
        stage = stage.where(stage != "", from_process)
    named = rows.assign(stage=stage)[stage != ""]
    if named.empty:
        return ""
    total = named.groupby("stage", sort=True)["impact"].sum()
    return str(total.sort_values(ascending=False, kind="stable").index[0])


def is_missing(value: object) -> bool:
    """An empty table cell (a failed or pending case)."""
    return value is None or (isinstance(value, float) and math.isnan(value))
