"""prices.csv and binding.csv: the shadow prices of the plan, checked against what any optimal
plan's duals must satisfy.

For every plan: each row names an existing constraint row (a demand row of the plan; a limit
row of a known family), values are finite, and signs follow the row's sense (a minimisation's
dual is <= 0 on a `<=` row and >= 0 on a `>=` row, so prices of demand are >= 0); binding.csv's
unit and the amount written in its meaning agree with the row, and rows are ranked by impact.
Without risk aversion a GPU price never exceeds the unmet-demand penalty.

Signs and the penalty bound need duals of an LP solved to optimality (dual_feasible). For
optimal LP plans (the duals belong to the plan's own solution; an integer plan's duals come
from a re-solved LP whose continuous part may differ) complementary slackness is checked too: a row
with a shadow price is tight in the plan; where demand is left unmet the price is the penalty
(the unmet variable is positive: reduced cost 0); and a demand row served from a site (the site
makes the product, its region ships it on the market's lane) has the price that the reduced
costs of 0 of make and ship imply, the region balance's price cancelling between them:
  price x gpw = opex + shipping x gpw + (-capacity shadow + MWh/wafer x energy value) / (p df),
  energy value (NPV per MWh) = p df (price + CO2 x carbon price) - contract_supply shadow,
all shadow prices in NPV USD as binding.csv writes them (rows not listed have a price of 0).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from optimizer.inputs.policy_inputs import penalty_of
from optimizer.verify.context import Context
from optimizer.verify.energy_slices import energy_values
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import binding_labels, labelled_rows, limit_families
from optimizer.verify.tolerance import ABS_TOL, REL_TOL, allowed

DUALS_AVAILABLE = ("lp", "lp with integer decisions fixed")
SIGN_TOL = 1e-3  # NPV USD per unit: a dual of the wrong sign within solver tolerance
PRICE_FLOOR = 0.01  # USD per GPU
SLACK_REL_TOL = 1e-5  # a binding row's two sides, relative to the row (HiGHS: 1e-7 scaled)


def _risk_neutral(ctx: Context) -> bool:
    return not (ctx.plan.summary.get("risk") or {}).get("risk_weight")


def dual_feasible(ctx: Context) -> bool:
    """The duals are those of an LP solved to optimality: the plan's own (optimal LP plan) or
    the LP re-solved with an integer plan's decisions fixed (fabplan writes no duals when that
    re-solve fails). An LP stopped by a time limit may hand over duals of any sign."""
    return ctx.plan.mode == "integer" or ctx.plan.summary.get("status") == "optimal"


def slackness(ctx: Context) -> bool:
    """Complementary slackness ties the duals to the plan's own values: optimal LP plans only."""
    return ctx.plan.mode == "lp" and ctx.plan.summary.get("status") == "optimal"


def _price_tol(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    return np.maximum(
        10 * REL_TOL * np.maximum(np.abs(a), np.abs(b)),
        PRICE_FLOOR,
    )


# --- binding.csv ------------------------------------------------------------------------------


def check_binding(ctx: Context) -> None:
    table = ctx.plan.derived.get("binding.csv")
    f = ctx.findings
    if table is None:
        f.warn("binding", "the plan has no binding.csv; not checked")
        return
    if ctx.plan.summary.get("duals") == "unavailable" and len(table):
        f.violate(
            "binding",
            f"binding.csv lists {len(table)} row(s) but summary.json says the duals are "
            f"unavailable",
        )
    table = table.assign(label=binding_labels(table))
    families = limit_families()
    where = "binding.csv line {0.csv_line}: {0.family} {0.label}"
    for r in each(table[table.duplicated(["family", "label"], keep="first")]):
        f.violate("binding", f"{where.format(r)}: a second row for this constraint")
    for r in each(table[~table["family"].isin(list(families))]):
        f.violate(
            "binding",
            f"{where.format(r)}: family '{r.family}' is not a limit family ({', '.join(families)})",
        )
    for r in each(table[~np.isfinite(table["shadow_price"])]):
        f.violate("binding", f"{where.format(r)}: shadow_price {r.shadow_price} is not finite")
    table = table[np.isfinite(table["shadow_price"])]
    for name, rows in table[table["family"].isin(list(families))].groupby("family", sort=False):
        _check_family(ctx, str(name), rows)
    _check_text(ctx, table)
    f.checked("binding", len(table))


def _check_family(ctx: Context, name: str, rows: pd.DataFrame) -> None:
    """Keys exist, the sign follows the sense, and (LP plans) the row is tight."""
    fam = limit_families()[name]
    f = ctx.findings
    known = labelled_rows(ctx, name)
    where = "binding.csv line {0.csv_line}: {0.family} {0.label}"
    exists = rows["label"].isin(known.index)
    for r in each(rows[~exists]):
        f.violate(
            "binding",
            f"{where.format(r)}: no such {name} row in this case (keys {', '.join(fam.keys)})",
        )
    wrong = (
        rows["shadow_price"] > SIGN_TOL if fam.sense == "<=" else rows["shadow_price"] < -SIGN_TOL
    ) & dual_feasible(ctx)
    for r in each(rows[wrong]):
        f.violate(
            "binding",
            f"{where.format(r)}: shadow_price {fmt(r.shadow_price)} has the wrong sign for a "
            f"'{fam.sense}' limit (relaxing it can only lower the cost: expected "
            f"{'<= 0' if fam.sense == '<=' else '>= 0'})",
        )
    if not slackness(ctx):
        return
    rows = rows[exists]
    sides = known.loc[rows["label"]]
    lhs, rhs = sides["lhs"].to_numpy(dtype=float), sides["rhs"].to_numpy(dtype=float)
    slack = np.abs(lhs - rhs)
    limit = np.maximum(
        SLACK_REL_TOL * np.maximum(np.abs(lhs), np.abs(rhs)), allowed(0.0, fam.floor)
    )
    loose = ~(slack <= limit)
    for r, a, b in zip(each(rows[loose]), lhs[loose], rhs[loose], strict=True):
        f.violate(
            "binding",
            f"{where.format(r)}: listed as binding (shadow_price {fmt(r.shadow_price)}) but "
            f"the plan leaves it slack: {fmt(a)} {fam.sense} {fmt(b)} recomputed from the plan "
            f"tables (slack {fmt(abs(b - a))} {fam.unit})",
        )


_AMOUNT = re.compile(r"\$([0-9][0-9,]*(?:\.([0-9]+))?)([BM]?)\s*$")


def _check_text(ctx: Context, table: pd.DataFrame) -> None:
    """unit names the family's unit; the meaning's amount is |shadow_price|; impact ranks."""
    f = ctx.findings
    where = "binding.csv line {0.csv_line}: {0.family} {0.label}"
    families = limit_families()
    known = table[table["family"].isin(list(families))]
    if "unit" in table.columns:
        expected = "USD (NPV) per " + known["family"].map(lambda n: families[n].unit)
        for r, x in zip(
            each(known[known["unit"] != expected]), expected[known["unit"] != expected], strict=True
        ):
            f.violate("binding", f"{where.format(r)}: unit '{r.unit}', expected '{x}'")
    if "meaning" in table.columns:
        for r in each(table):
            m = _AMOUNT.search(str(r.meaning))
            if m is None:
                f.violate(
                    "binding", f"{where.format(r)}: meaning does not end with the amount in USD"
                )
                continue
            scale = {"B": 1e9, "M": 1e6, "": 1.0}[m.group(3)]
            amount = float(m.group(1).replace(",", "")) * scale
            rounding = 0.5 * 10.0 ** -len(m.group(2) or "") * scale
            if abs(amount - abs(r.shadow_price)) > rounding * (1 + 1e-9) + 1e-12:
                f.violate(
                    "binding",
                    f"{where.format(r)}: meaning says {m.group(0).strip()} but shadow_price is "
                    f"{fmt(r.shadow_price)}",
                )
    if "impact_usd" in table.columns:
        impact = table["impact_usd"].to_numpy(dtype=float)
        for r in each(table[~(impact >= 0) | ~np.isfinite(impact)]):
            f.violate(
                "binding",
                f"{where.format(r)}: impact_usd {fmt(r.impact_usd)}, expected a finite amount >= 0",
            )
        rises = np.flatnonzero(np.diff(impact) > 0)
        if rises.size:
            r = table.iloc[rises[0] + 1]
            f.violate(
                "binding",
                f"binding.csv line {r.csv_line}: impact_usd {fmt(r.impact_usd)} is larger than "
                f"the row above ({fmt(impact[rises[0]])}); rows are ranked by impact",
            )


# --- prices.csv -------------------------------------------------------------------------------


def check_prices(ctx: Context) -> None:
    table = ctx.plan.derived.get("prices.csv")
    f = ctx.findings
    if table is None:
        f.warn("prices", "the plan has no prices.csv; not checked")
        return
    if "usd_per_gpu" not in table.columns:
        f.violate("prices", "prices.csv: missing column usd_per_gpu in the header")
        return
    keys = ["scenario", "product", "market", "year"]
    dem = ctx.case.demand
    dem = dem[dem["scenario"].isin(ctx.probs.index) & (dem["gpus"] > 0)]
    demand_keys = pd.MultiIndex.from_frame(dem[keys])
    listed = pd.MultiIndex.from_frame(table[keys])
    where = (
        "prices.csv line {0.csv_line} (scenario {0.scenario}, product {0.product}, market "
        "{0.market}, {0.year})"
    )
    for r in each(table[listed.duplicated(keep="first")]):
        f.violate("prices", f"{where.format(r)}: a second row for this demand row")
    for r in each(table[~listed.isin(demand_keys)]):
        f.violate("prices", f"{where.format(r)}: not a demand row of this plan (demand.csv)")
    duals = ctx.plan.summary.get("duals")
    price = table["usd_per_gpu"].to_numpy(dtype=float)
    if duals == "unavailable":
        for r in each(table[~np.isnan(price)]):
            f.violate(
                "prices",
                f"{where.format(r)}: usd_per_gpu {fmt(r.usd_per_gpu)} but summary.json says "
                f"the duals are unavailable",
            )
        f.checked("prices", len(table))
        return
    if duals in DUALS_AVAILABLE:
        for key in demand_keys[~demand_keys.isin(listed)]:
            f.violate("prices", f"prices.csv: no row for the demand row {', '.join(map(str, key))}")
        for r in each(table[np.isnan(price)]):
            f.violate("prices", f"{where.format(r)}: usd_per_gpu is empty, expected the price")
    for r in each(table[np.isinf(price)]):
        f.violate("prices", f"{where.format(r)}: usd_per_gpu {r.usd_per_gpu} is not finite")
    for r in each(table[(price < -PRICE_FLOOR) & dual_feasible(ctx)]):
        f.violate(
            "prices",
            f"{where.format(r)}: usd_per_gpu {fmt(r.usd_per_gpu)} < 0 (one more GPU of demand "
            f"can never lower the cost)",
        )
    ok = table[np.isfinite(price) & listed.isin(demand_keys)]
    if _risk_neutral(ctx) and dual_feasible(ctx):
        _check_penalty(ctx, ok, where, tight=slackness(ctx))
        if slackness(ctx):
            _check_marginal_cost(ctx, ok, where)
    f.checked("prices", len(table))


def _check_penalty(ctx: Context, table: pd.DataFrame, where: str, tight: bool) -> None:
    """price <= unmet penalty (dual feasibility); with `tight` (complementary slackness holds)
    also price = penalty where the plan leaves demand unmet."""
    f = ctx.findings
    # the product's own penalty (products.csv unmet_penalty_usd_per_gpu, else the parameter)
    table = table.assign(penalty=penalty_of(ctx.case, table["product"]).to_numpy())
    penalty = table["penalty"]
    tol = _price_tol(table["usd_per_gpu"], penalty)
    for r in each(table[table["usd_per_gpu"] - penalty > tol]):
        f.violate(
            "prices",
            f"{where.format(r)}: usd_per_gpu {fmt(r.usd_per_gpu)} > the unmet penalty "
            f"{fmt(r.penalty)} USD/GPU (leaving one more GPU unmet would cost only the penalty)",
        )
    if not tight:
        return
    keys = ["scenario", "product", "market", "year"]
    unmet = ctx["unmet.csv"].groupby(keys)["gpus"].sum()
    at = pd.MultiIndex.from_frame(table[keys]).map(unmet).to_numpy(dtype=float)
    short = np.nan_to_num(at, nan=0.0) > ABS_TOL
    off = short & (np.abs(table["usd_per_gpu"] - penalty) > tol)
    for r, gpus in zip(each(table[off]), at[off], strict=True):
        f.violate(
            "prices",
            f"{where.format(r)}: usd_per_gpu {fmt(r.usd_per_gpu)} but {fmt(gpus)} GPUs are "
            f"left unmet there, so the price is the unmet penalty {fmt(r.penalty)} USD/GPU",
        )


def _binding_prices(ctx: Context, family: str) -> pd.Series:
    b = ctx.plan.derived.get("binding.csv")
    if b is None:
        return pd.Series(dtype=float)
    b = b[(b["family"] == family) & np.isfinite(b["shadow_price"])]
    b = b.assign(label=binding_labels(b))
    return b.drop_duplicates("label").set_index("label")["shadow_price"].astype(float)


_STAGE_KEYS = ["scenario", "product", "year"]


def implied_prices(ctx: Context) -> pd.DataFrame:
    """Per route site -> market the plan uses (and per energy contract the site draws from):
    the price of the market's demand row that reduced costs of 0 on make and ship imply (the
    region balance price cancels), in that year's USD per GPU."""
    p = ctx.deliveries.copy()
    p["pdf"] = ctx.probs.reindex(p["scenario"]).to_numpy(dtype=float) * ctx.df(p["year"])
    p["opex"] = p["site"].map(ctx.sites["opex_usd_per_wafer"]).astype(float)
    p["mwh_per_wafer"] = p["site"].map(ctx.sites["energy_mwh_per_wafer"]).astype(float)
    label = p["scenario"].astype(str) + " / " + p["site"] + " / " + p["year"].astype(str)
    p["capacity_shadow"] = label.map(_binding_prices(ctx, "capacity")).fillna(0.0).to_numpy()
    p["energy_value"] = 0.0
    if ctx.contracts is not None:
        # per MWh of need, from contract_supply / take_or_pay shadows (slices: issue 14)
        e = energy_values(ctx, lambda family: _binding_prices(ctx, family))
        p = p.merge(
            e[["scenario", "site", "year", "contract", "value"]],
            on=["scenario", "site", "year"],
            how="left",
        )
        needs = p["mwh_per_wafer"] > 0
        p["energy_value"] = np.where(needs, p["value"], 0.0)  # NaN: no energy drawn (flagged)
    # upstream stages: per_gpu x the stage balance's shadow price (stages.csv, NPV USD per unit)
    st = ctx.plan.derived.get("stages.csv")
    st = (
        pd.DataFrame(columns=[*_STAGE_KEYS, "final", "per_gpu", "shadow_price_usd_per_unit"])
        if st is None
        else st
    )
    st = st[st["final"] == 0].fillna({"shadow_price_usd_per_unit": 0.0})
    per_gpu = (st["per_gpu"] * st["shadow_price_usd_per_unit"]).groupby(
        [st[k] for k in _STAGE_KEYS]
    )
    stage_npv = per_gpu.sum().rename("stage_npv").reset_index()
    p = p.merge(stage_npv, on=["scenario", "product", "year"], how="left")
    p["stage_npv"] = p["stage_npv"].fillna(0.0)
    from optimizer.verify.operators import marginal_opex  # operators.csv opex_factor

    p["operator_npv"] = marginal_opex(ctx, p)
    npv = (
        p["pdf"] * (p["opex"] + p["ship_usd_per_gpu"] * p["gpus_per_wafer"])
        + p["stage_npv"] * p["gpus_per_wafer"]
        - p["capacity_shadow"]
        + p["mwh_per_wafer"] * p["energy_value"]
        + p["operator_npv"]
    )
    p["implied"] = npv / p["gpus_per_wafer"] / p["pdf"]
    return p[p["implied"].notna()]


def _check_marginal_cost(ctx: Context, table: pd.DataFrame, where: str) -> None:
    """Each served demand row's price equals the marginal cost of every site serving it."""
    keys = ["scenario", "product", "market", "year"]
    implied = implied_prices(ctx)
    pairs = table.merge(implied, on=keys, suffixes=("", "_production"))
    if pairs.empty:
        return
    pairs["gap"] = (pairs["usd_per_gpu"] - pairs["implied"]).abs()
    pairs = pairs[pairs["gap"] > _price_tol(pairs["usd_per_gpu"], pairs["implied"])]
    worst = pairs.sort_values("gap", ascending=False).drop_duplicates("csv_line")
    for r in each(worst.sort_values("csv_line")):
        via = (
            f", energy from {r.contract}"
            if "contract" in pairs and isinstance(getattr(r, "contract", None), str)
            else ""
        )
        ctx.findings.violate(
            "prices",
            f"{where.format(r)}: usd_per_gpu {fmt(r.usd_per_gpu)} but the plan's marginal cost "
            f"there is {fmt(r.implied)} USD/GPU (site {r.site}, production.csv line "
            f"{r.csv_line_production}: opex, shipping{via} and the capacity shadow price of "
            f"binding.csv)",
        )


# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {170: check_prices, 180: check_binding}
