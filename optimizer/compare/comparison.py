"""The decision-level difference of two plan folders, as tidy pandas frames (no formatting).

Reads only the plan folders (CSV tables + summary.json, through the report's reader) and never
the input data or the model, so any two plans written by `fabplan solve` can be compared later.
Scenario tables (energy, unmet) are reduced to expected values with each plan's own scenario
probabilities; with one scenario that is the scenario itself. The decision tables of a staged plan
(a `scenario` column: "all" before the stage year, one row per scenario after it) are reduced the
same way (`decisions`): a shared row counts once, a scenario's row with its probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.compare.noise import GPU_TOL, MW_TOL, MWH_TOL, WSPM_TOL, money_differs_series
from optimizer.compare.sentences import headline_sentences, warnings
from optimizer.errors import InputError
from optimizer.plan import statistics
from optimizer.plan.read import Plan, read_plan
from optimizer.plan.staged_view import row_weights


@dataclass
class Comparison:
    """Plan B against plan A: every frame has `_a`, `_b` and `diff_` (B minus A) columns."""

    plan_a: Plan
    plan_b: Plan
    sites: pd.DataFrame  # site, region, greenfield, first_year_a/_b, shift_years, wspm_a/_b, ...
    builds: pd.DataFrame  # site, region, year, wspm_a, wspm_b, diff_wspm
    capacity: pd.DataFrame  # region, year, installed_wspm_a, installed_wspm_b, diff_wspm
    partners: pd.DataFrame  # partner, kind, usd_a, usd_b, diff_usd, share_a, share_b, diff_share
    contracts: pd.DataFrame  # contract, source, mw_a, mw_b, diff_mw
    energy: pd.DataFrame  # source, year, mwh_a, mwh_b, diff_mwh (expected over scenarios)
    costs: pd.DataFrame  # component, label, npv_usd_a, npv_usd_b, diff_usd, change
    unmet: pd.DataFrame  # year, gpus_a, gpus_b, diff_gpus (expected over scenarios)
    inputs: pd.DataFrame  # kind, item, a, b: only what differs
    headline: pd.DataFrame  # measure, unit, a, b, diff
    warnings: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)

    @property
    def total_cost_a(self) -> float:
        return float(self.costs["npv_usd_a"].sum())

    @property
    def total_cost_b(self) -> float:
        return float(self.costs["npv_usd_b"].sum())

    @property
    def cost_diff_usd(self) -> float:
        return self.total_cost_b - self.total_cost_a

    @property
    def cost_change(self) -> float:
        """Relative change of the total cost (NaN when plan A costs nothing)."""
        a = self.total_cost_a
        return self.cost_diff_usd / a if a else float("nan")

    @property
    def stochastic(self) -> bool:
        return len(self.plan_a.scenario_weights) > 1 or len(self.plan_b.scenario_weights) > 1

    @property
    def decisions_differ(self) -> bool:
        """True when any build, capacity, funding, contract, energy use or unmet demand moves."""
        return bool(
            (self.builds["diff_wspm"].abs() > WSPM_TOL).any()
            or (self.capacity["diff_wspm"].abs() > WSPM_TOL).any()
            or money_differs_series(self.partners["usd_a"], self.partners["usd_b"]).any()
            or (self.contracts["diff_mw"].abs() > MW_TOL).any()
            or (self.energy["diff_mwh"].abs() > MWH_TOL).any()
            or (self.unmet["diff_gpus"].abs() > GPU_TOL).any()
        )


def compare_plans(plan_a: Path, plan_b: Path) -> Comparison:
    """Read two plan folders and compute their differences (B minus A) and headline sentences."""
    a, b = _read_both(Path(plan_a), Path(plan_b))
    info = _site_info(a, b)
    builds = _builds(a, b, info)
    comparison = Comparison(
        plan_a=a,
        plan_b=b,
        sites=_sites(builds, info),
        builds=builds,
        capacity=_capacity(a, b, info),
        partners=_partners(a, b),
        contracts=_contracts(a, b),
        energy=_energy(a, b),
        costs=_costs(a, b),
        unmet=_unmet(a, b),
        inputs=input_changes(a.summary, b.summary),
        headline=pd.DataFrame(),
    )
    comparison.headline = _headline(comparison)
    comparison.warnings = warnings(comparison)
    comparison.sentences = headline_sentences(comparison)
    return comparison


# ---------------------------------------------------------------------------------------------
# reading


def _read_both(folder_a: Path, folder_b: Path) -> tuple[Plan, Plan]:
    """Both plans, or one InputError listing the problems of both."""
    plans, problems = [], []
    for folder in (folder_a, folder_b):
        try:
            plans.append(read_plan(folder))
        except InputError as e:
            problems += e.problems
    if problems:
        raise InputError(problems)
    return plans[0], plans[1]


def _site_info(a: Plan, b: Plan) -> pd.DataFrame:
    """site, region, existing_wspm: plan A's sites.csv first, plan B's for sites A lacks."""
    cols = ["site", "region", "existing_wspm"]
    info_a = statistics.site_info(a)[cols].set_index("site")
    info_b = statistics.site_info(b)[cols].set_index("site")
    info_a["region"] = info_a["region"].replace("", np.nan)
    info_b["region"] = info_b["region"].replace("", np.nan)
    info = info_a.combine_first(info_b)
    info["region"] = info["region"].fillna("").astype(str)
    return info.reset_index()


# ---------------------------------------------------------------------------------------------
# decisions


def _pair(
    frame_a: pd.DataFrame, frame_b: pd.DataFrame, keys: list[str], value: str, diff: str
) -> pd.DataFrame:
    """Outer-join one value of two plans on `keys`: `value_a`, `value_b` (0 when absent), diff."""
    left = frame_a.groupby(keys, as_index=False)[value].sum()
    right = frame_b.groupby(keys, as_index=False)[value].sum()
    out = left.merge(right, on=keys, how="outer", suffixes=("_a", "_b"))
    out[[f"{value}_a", f"{value}_b"]] = out[[f"{value}_a", f"{value}_b"]].fillna(0.0)
    out[diff] = out[f"{value}_b"] - out[f"{value}_a"]
    return out.sort_values(keys).reset_index(drop=True)


def decisions(plan: Plan, name: str, values: list[str]) -> pd.DataFrame:
    """A decision table with `values` as expected values over the plan's scenarios and no
    scenario column: a staged plan's shared rows count once, its per-scenario rows with the
    scenario's probability (so nothing is counted once per scenario). Unstaged tables come back
    unchanged."""
    frame = plan[name]
    if "scenario" not in frame.columns:
        return frame
    weights = row_weights(frame, plan.scenario_weights)
    out = frame.drop(columns="scenario")
    out[values] = out[values].astype("float64").mul(weights, axis=0)
    return out


def _builds(a: Plan, b: Plan, info: pd.DataFrame) -> pd.DataFrame:
    """Every site-year with a build in either plan (expected wspm for a staged plan)."""
    ba, bb = (decisions(p, "builds", ["wspm", "capex_usd"]) for p in (a, b))
    frame = _pair(ba, bb, ["site", "year"], "wspm", "diff_wspm")
    frame = frame[(frame["wspm_a"] > WSPM_TOL) | (frame["wspm_b"] > WSPM_TOL)]
    frame = frame.merge(info[["site", "region"]], on="site", how="left")
    frame["region"] = frame["region"].fillna("")
    return frame[["site", "region", "year", "wspm_a", "wspm_b", "diff_wspm"]].reset_index(drop=True)


def _sites(builds: pd.DataFrame, info: pd.DataFrame) -> pd.DataFrame:
    """One row per site built in either plan: first build year and total wspm in each plan,
    and how plan B differs (`change`: added, dropped, later, earlier, more, fewer, rescheduled,
    same)."""
    g = builds.groupby("site")
    out = pd.DataFrame({"wspm_a": g["wspm_a"].sum(), "wspm_b": g["wspm_b"].sum()})
    for side in ("a", "b"):
        built = builds[builds[f"wspm_{side}"] > WSPM_TOL]
        out[f"first_year_{side}"] = built.groupby("site")["year"].min().astype("float64")
    out["rescheduled"] = (builds["diff_wspm"].abs() > WSPM_TOL).groupby(builds["site"]).any()
    out = out.reset_index().merge(info, on="site", how="left")
    out["region"] = out["region"].fillna("")
    out["greenfield"] = out["existing_wspm"].fillna(0.0) <= WSPM_TOL
    out["diff_wspm"] = out["wspm_b"] - out["wspm_a"]
    out["shift_years"] = out["first_year_b"] - out["first_year_a"]
    in_a = out["first_year_a"].notna()
    in_b = out["first_year_b"].notna()
    out["change"] = np.select(
        [
            in_b & ~in_a,
            in_a & ~in_b,
            out["shift_years"] > 0,
            out["shift_years"] < 0,
            out["diff_wspm"] > WSPM_TOL,
            out["diff_wspm"] < -WSPM_TOL,
            out["rescheduled"],
        ],
        ["added", "dropped", "later", "earlier", "more", "fewer", "rescheduled"],
        default="same",
    )
    cols = [
        "site",
        "region",
        "greenfield",
        "first_year_a",
        "first_year_b",
        "shift_years",
        "wspm_a",
        "wspm_b",
        "diff_wspm",
        "change",
    ]
    return out[cols].sort_values("site").reset_index(drop=True)


def _capacity(a: Plan, b: Plan, info: pd.DataFrame) -> pd.DataFrame:
    """Installed wspm by region and year (sites without a known region are grouped as '')."""
    region = info.set_index("site")["region"]

    def by_region(plan: Plan) -> pd.DataFrame:
        cap = decisions(plan, "capacity", ["installed_wspm"])[["site", "year", "installed_wspm"]]
        cap = cap.copy()
        cap["region"] = cap["site"].map(region).fillna("")
        return cap

    frame = _pair(by_region(a), by_region(b), ["region", "year"], "installed_wspm", "diff_wspm")
    keep = (frame["installed_wspm_a"] > WSPM_TOL) | (frame["installed_wspm_b"] > WSPM_TOL)
    return frame[keep].reset_index(drop=True)


def _partners(a: Plan, b: Plan) -> pd.DataFrame:
    """Capital and share per partner (0 in a plan that does not list the partner; expected
    values over the scenarios of a staged plan)."""
    cols = ["partner", "usd", "share"]
    left, right = (decisions(p, "partner_summary", ["usd", "share"]) for p in (a, b))
    ga, gb = (f[cols].groupby("partner", as_index=False, sort=False).sum() for f in (left, right))
    out = ga.merge(gb, on="partner", how="outer", suffixes=("_a", "_b"))
    num = ["usd_a", "usd_b", "share_a", "share_b"]
    out[num] = out[num].astype("float64").fillna(0.0)
    kinds = pd.concat([_kinds(right), _kinds(left)]).groupby(level=0).last()
    out["kind"] = out["partner"].map(kinds).fillna("")
    out["diff_usd"] = out["usd_b"] - out["usd_a"]
    out["diff_share"] = out["share_b"] - out["share_a"]
    out = out.sort_values(["usd_a", "partner"], ascending=[False, True])
    cols = ["partner", "kind", "usd_a", "usd_b", "diff_usd", "share_a", "share_b", "diff_share"]
    return out[cols].reset_index(drop=True)


def _kinds(frame: pd.DataFrame) -> pd.Series:
    if "kind" not in frame.columns:
        return pd.Series(dtype="str")
    return frame.set_index("partner")["kind"].fillna("").astype(str)


def _contracts(a: Plan, b: Plan) -> pd.DataFrame:
    """Contracted MW per contract, for contracts with MW in either plan (expected MW over the
    scenarios of a staged plan)."""
    ca, cb = (decisions(p, "contracts", ["mw"]) for p in (a, b))
    frame = _pair(ca, cb, ["contract"], "mw", "diff_mw")
    sources = pd.concat(
        [
            b["contracts"].set_index("contract")["source"],
            a["contracts"].set_index("contract")["source"],
        ]
    )
    frame["source"] = frame["contract"].map(sources.groupby(level=0).last()).fillna("")
    frame = frame[(frame["mw_a"] > MW_TOL) | (frame["mw_b"] > MW_TOL)]
    return frame[["contract", "source", "mw_a", "mw_b", "diff_mw"]].reset_index(drop=True)


def _energy_by_source(plan: Plan) -> pd.DataFrame:
    """Expected MWh by source and year; a contract missing from contracts.csv counts as
    source 'unknown'."""
    # a staged plan lists a contract once per scenario: one source per contract
    sources = plan["contracts"][["contract", "source"]].drop_duplicates("contract")
    use = plan["energy"].merge(sources, on="contract", how="left")
    use["source"] = use["source"].fillna("unknown")
    return statistics.expected(use, ["source", "year"], ["mwh"], plan)


def _energy(a: Plan, b: Plan) -> pd.DataFrame:
    frame = _pair(_energy_by_source(a), _energy_by_source(b), ["source", "year"], "mwh", "diff_mwh")
    keep = (frame["mwh_a"] > MWH_TOL) | (frame["mwh_b"] > MWH_TOL)
    return frame[keep].reset_index(drop=True)


def _costs(a: Plan, b: Plan) -> pd.DataFrame:
    """NPV by component in the documented order; `change` is relative to plan A (NaN at 0)."""
    frame = _pair(a["costs"], b["costs"], ["component"], "npv_usd", "diff_usd")
    order = {c: i for i, c in enumerate(statistics.COST_ORDER)}
    frame["_order"] = frame["component"].map(order).fillna(len(order))
    frame = frame.sort_values(["_order", "component"]).drop(columns="_order")
    frame["label"] = frame["component"].map(statistics.COST_LABELS).fillna(frame["component"])
    base = frame["npv_usd_a"].where(frame["npv_usd_a"] != 0)
    frame["change"] = frame["diff_usd"] / base
    cols = ["component", "label", "npv_usd_a", "npv_usd_b", "diff_usd", "change"]
    return frame[cols].reset_index(drop=True)


def _unmet(a: Plan, b: Plan) -> pd.DataFrame:
    """Expected unmet GPUs by year, for years with unmet demand in either plan."""
    ua = statistics.expected(a["unmet"], ["year"], ["gpus"], a)
    ub = statistics.expected(b["unmet"], ["year"], ["gpus"], b)
    frame = _pair(ua, ub, ["year"], "gpus", "diff_gpus")
    keep = (frame["gpus_a"] > GPU_TOL) | (frame["gpus_b"] > GPU_TOL)
    return frame[keep].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# inputs and headline


RUN_SETTINGS = ("scenario", "scenarios", "mode", "stochastic", "risk", "data_dir")


def input_changes(sa: dict, sb: dict) -> pd.DataFrame:
    """What differs in how the two plans were made: parameters, overrides, input files (by
    SHA-256) and run settings. Values are kept as recorded (None when absent)."""
    rows: list[tuple[str, str, object, object]] = []
    for kind, key in (
        ("parameter", "parameters"),
        ("override", "overrides"),
        ("input file", "inputs"),
    ):
        da, db = sa.get(key) or {}, sb.get(key) or {}
        for name in sorted(set(da) | set(db)):
            va, vb = da.get(name), db.get(name)
            if va != vb:
                rows.append((kind, str(name), va, vb))
    for name in RUN_SETTINGS:
        va, vb = sa.get(name), sb.get(name)
        if va != vb:
            rows.append(("run setting", name, va, vb))
    # object dtype keeps None (absent) apart from NaN and lists (ramp_up) as they are
    return pd.DataFrame(rows, columns=["kind", "item", "a", "b"], dtype=object)


def _headline(c: Comparison) -> pd.DataFrame:
    """The plans' headline numbers side by side (EVPI and VSS when either plan has them)."""

    def measures(plan: Plan) -> dict[str, float]:
        energy = statistics.expected(plan["energy"], ["year"], ["mwh", "co2_t"], plan)
        unmet = statistics.expected(plan["unmet"], ["year"], ["gpus"], plan)
        built = decisions(plan, "builds", ["wspm"])
        built = built[built["wspm"] > WSPM_TOL]
        out = {
            "total_cost": float(plan["costs"]["npv_usd"].sum()),
            "wspm_built": float(built["wspm"].sum()),
            "sites_built": float(built["site"].nunique()),
            "capital": float(decisions(plan, "partner_summary", ["usd"])["usd"].sum()),
            "unmet": float(unmet["gpus"].sum()),
            "energy": float(energy["mwh"].sum()),
            "co2": float(energy["co2_t"].sum()),
        }
        for key in ("evpi_usd", "vss_usd"):
            value = plan.summary.get(key)
            out[key] = float(value) if isinstance(value, int | float) else np.nan
        return out

    ma, mb = measures(c.plan_a), measures(c.plan_b)
    rows = [
        ("total_cost", "Total cost (NPV)", "usd"),
        ("wspm_built", "Capacity built (wspm)", "wspm"),
        ("sites_built", "Sites built at", "count"),
        ("capital", "Capital raised from partners for fabs", "usd"),
        ("unmet", "Unmet demand (GPUs)", "gpus"),
        ("energy", "Energy drawn (MWh)", "mwh"),
        ("co2", "CO2 emitted (t)", "t"),
        ("evpi_usd", "EVPI (expected value of perfect information)", "usd"),
        ("vss_usd", "VSS (value of the stochastic solution)", "usd"),
    ]
    frame = pd.DataFrame(
        [
            (label, unit, ma[key], mb[key])
            for key, label, unit in rows
            if not (np.isnan(ma[key]) and np.isnan(mb[key]))
        ],
        columns=["measure", "unit", "a", "b"],
    )
    frame["diff"] = frame["b"] - frame["a"]
    return frame


__all__ = ["Comparison", "compare_plans", "decisions", "input_changes"]
