"""Recompute every cost component of docs/plan-tables.md from the plan tables and the inputs,
and compare with costs.csv, summary.json objective_usd and partner_summary.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.contract import COST_COMPONENTS
from optimizer.inputs.policy_inputs import penalty_of
from optimizer.verify.formatting import each, fmt
from optimizer.verify.tolerance import (
    ABS_TOL_FRACTION,
    ABS_TOL_USD,
    COMPONENT_OBJECTIVE_REL_TOL,
    OBJECTIVE_REL_TOL,
    differs,
)

COMPONENTS = COST_COMPONENTS


def tranche_premium(ctx) -> pd.Series:
    """Per partner, what its tranche draws add to the financing (optimizer/verify/capital.py)."""
    from optimizer.verify.capital import tranche_premium as premium

    return premium(ctx)


def df_sum(ctx, first: int, last: int) -> float:
    """Sum of discount factors over the years first..last clipped to the horizon."""
    p = ctx.case.params
    years = np.arange(max(first, p.first_year), min(last, p.last_year) + 1)
    return float(ctx.df(years).sum()) if len(years) else 0.0


def financing_rows(ctx) -> pd.DataFrame:
    """funding.csv with each row's NPV of its ordinary-annuity payments inside the horizon:
    usd x A(r) x sum_{j=1}^{L, y+j <= last_year} df(y+j), A(r) = r/(1-(1+r)^-L). Payments fall
    at the end of each loan year, from the year after funding, so at r = discount rate and
    y+L <= last_year a dollar funded in y is worth df(y): the dollar itself."""
    from optimizer.verify.finance import annuity_factor

    life = int(ctx.case.params.asset_life_years)
    fund = ctx["funding.csv"].copy()
    fund["rate"] = fund["partner"].map(ctx.partners["cost_of_capital"]).astype(float)
    windows = {y: df_sum(ctx, int(y) + 1, int(y) + life) for y in fund["year"].unique()}
    fund["pv_per_usd"] = annuity_factor(fund["rate"], life) * fund["year"].map(windows).astype(
        float
    )
    fund["npv_usd"] = fund["usd"] * fund["pv_per_usd"]
    from optimizer.verify.power_builds import power_financing_rows  # issue 14: power capital

    power = power_financing_rows(ctx)
    return fund if power.empty else pd.concat([fund, power], ignore_index=True)


def recompute_by_scenario(ctx) -> pd.DataFrame:
    """Cost of each scenario by component in NPV USD (not weighted by probability), from the
    tables and the inputs only. First-stage components are the same in every scenario."""
    case = ctx.case
    scen = pd.Index(ctx.probs.index, name="scenario")
    out = pd.DataFrame(0.0, index=scen, columns=list(COMPONENTS))
    out["financing"] = float(financing_rows(ctx)["npv_usd"].sum())
    out["financing"] += float(tranche_premium(ctx).sum())  # tranche draws at their own rates

    g = ctx.grid
    fixed = g["site"].map(ctx.sites["fixed_cost_usd_per_year"]).astype(float)
    out["site_fixed"] = float((fixed * g["open"] * ctx.df(g["year"])).sum())

    def by_scenario(frame: pd.DataFrame, values) -> pd.Series:
        v = pd.Series(np.asarray(values, dtype=float) * ctx.df(frame["year"]), index=frame.index)
        return v.groupby(frame["scenario"]).sum().reindex(scen, fill_value=0.0)

    prod = ctx.production
    opex = prod["site"].map(ctx.sites["opex_usd_per_wafer"]).astype(float)
    out["operations"] = by_scenario(prod, prod["wafers"] * opex)
    from optimizer.verify.offers import purchase_costs  # after costs: offers imports limits

    out["purchases"] = purchase_costs(ctx).reindex(scen, fill_value=0.0)
    from optimizer.verify.operators import opex_costs

    out["operator_opex"] = opex_costs(ctx).reindex(scen, fill_value=0.0)
    lanes = ctx.shipments
    ship = lanes["ship_usd_per_gpu"].fillna(0.0)  # a missing lane is a shipments violation
    out["shipping"] = by_scenario(lanes, lanes["gpus"] * ship)

    unmet = ctx["unmet.csv"]
    # the penalty of each GPU's product (products.csv unmet_penalty_usd_per_gpu, else the parameter)
    out["unmet_demand"] = by_scenario(unmet, unmet["gpus"] * penalty_of(case, unmet["product"]))

    if ctx.contracts is not None:
        c = ctx.contracts
        e = ctx["energy.csv"]
        price = e["contract"].map(c["price_usd_per_mwh"]).astype(float)
        co2 = e["contract"].map(c["co2_t_per_mwh"]).astype(float)
        out["energy"] = by_scenario(e, e["mwh"] * price)
        out["carbon"] = by_scenario(e, e["mwh"] * co2 * case.params.carbon_price_usd_per_t)
        years = [
            df_sum(ctx, int(a), int(b))
            for a, b in zip(c["first_year"], c["last_year"], strict=True)
        ]
        charge = c["fixed_usd_per_mw_year"].astype(float) * ctx.mw.reindex(c.index).astype(float)
        out["energy_capacity"] = float((charge * np.asarray(years)).sum())
        cy = ctx["contract_years.csv"]  # issue 14: take-or-pay paid unused; MW per year
        if len(cy):
            out["energy"] += by_scenario(cy, cy["unused_paid_usd"])
            yearly = c.index[c["min_mw"].notna()] if "min_mw" in c.columns else c.index[:0]
            m = cy[cy["contract"].isin(yearly)].drop_duplicates(["contract", "year"])
            fix = m["contract"].map(c["fixed_usd_per_mw_year"]).astype(float)
            out["energy_capacity"] += float((fix * m["mw"] * ctx.df(m["year"])).sum())
            mw = ctx.mw.reindex(yearly).astype(float)  # contracts.csv mw of these is their max
            out["energy_capacity"] -= float(
                (c.loc[yearly, "fixed_usd_per_mw_year"].astype(float) * mw).to_numpy()
                @ np.asarray(years)[c.index.get_indexer(yearly)]
            )
        from optimizer.verify.power_builds import power_costs  # issue 14: generation builds

        power_costs(ctx, out)
    return out


def recompute(ctx) -> pd.Series:
    """Every cost component in NPV USD, expected over the plan's scenarios."""
    by = recompute_by_scenario(ctx)
    return by.mul(ctx.probs.reindex(by.index).astype(float), axis=0).sum()


def cvar(costs: pd.Series, probs: pd.Series, alpha: float) -> float:
    """CVaR_alpha of a discrete cost distribution: min over eta of eta + E[(c-eta)+]/(1-alpha);
    the minimum of this convex piecewise-linear function lies at one of the outcomes."""
    c = costs.to_numpy(dtype=float)
    p = probs.reindex(costs.index).to_numpy(dtype=float)
    return float(min(eta + (p * np.maximum(c - eta, 0.0)).sum() / (1.0 - alpha) for eta in c))


def check_costs(ctx) -> tuple[pd.DataFrame, float]:
    """Compare costs.csv with the recomputation and both with objective_usd."""
    f = ctx.findings
    mine = recompute(ctx)
    objective = float(ctx.plan.summary["objective_usd"])
    table = ctx["costs.csv"].set_index("component")
    costs = pd.DataFrame(
        {
            "component": list(COMPONENTS),
            "plan_npv_usd": table["npv_usd"].reindex(list(COMPONENTS)).to_numpy(dtype=float),
            "recomputed_npv_usd": mine.to_numpy(dtype=float),
        }
    )
    floor = max(ABS_TOL_USD, COMPONENT_OBJECTIVE_REL_TOL * abs(objective))
    # a plan written before a component existed (e.g. purchases) lacks its row: 0 if nothing
    # recomputes to it
    older = costs["plan_npv_usd"].isna() & (costs["recomputed_npv_usd"].abs() <= floor)
    costs.loc[older, "plan_npv_usd"] = 0.0
    for r in each(costs):
        if np.isnan(r.plan_npv_usd):
            f.violate(
                "costs",
                f"component {r.component} missing from costs.csv (recomputed "
                f"{fmt(r.recomputed_npv_usd)} USD)",
            )
        elif differs(r.plan_npv_usd, r.recomputed_npv_usd, floor):
            f.violate(
                "costs",
                f"component {r.component}: costs.csv says {fmt(r.plan_npv_usd)} USD, "
                f"recomputed from the plan tables {fmt(r.recomputed_npv_usd)} USD (difference "
                f"{fmt(r.plan_npv_usd - r.recomputed_npv_usd)})",
            )
    f.checked("costs", len(costs))

    listed = float(table["npv_usd"].sum())
    recomputed = float(mine.sum())
    risk = ctx.plan.summary.get("risk") or {}
    if risk.get("risk_weight"):
        # objective = (1-l) E[cost] + l CVaR_alpha(cost); costs.csv adds risk_adjustment = that - E
        lam, alpha = float(risk["risk_weight"]), float(risk["cvar_alpha"])
        totals = recompute_by_scenario(ctx).sum(axis=1)
        recomputed = (1.0 - lam) * recomputed + lam * cvar(totals, ctx.probs, alpha)
        f.checked("risk", 1)
    objective_floor = max(OBJECTIVE_REL_TOL * abs(objective), ABS_TOL_USD)
    if abs(listed - objective) > objective_floor:
        f.violate(
            "objective",
            f"costs.csv components sum to {fmt(listed)} USD but summary.json objective_usd is "
            f"{fmt(objective)} USD (difference {fmt(listed - objective)})",
        )
    if abs(recomputed - objective) > objective_floor:
        f.violate(
            "objective",
            f"recomputed cost {fmt(recomputed)} USD differs from summary.json objective_usd "
            f"{fmt(objective)} USD by {fmt(recomputed - objective)} (more than "
            f"{OBJECTIVE_REL_TOL:g} relative)",
        )
    f.checked("objective", 2)
    return costs, recomputed


def check_partner_summary(ctx) -> None:
    """partner_summary.csv agrees with funding.csv, partners.csv and the financing cost."""
    f = ctx.findings
    fund = financing_rows(ctx)
    total = float(fund["usd"].sum())
    by_partner = fund.groupby("partner")[["usd", "npv_usd"]].sum()
    table = ctx["partner_summary.csv"].set_index("partner")
    for partner in by_partner.index.difference(table.index):
        f.violate(
            "partner summary",
            f"partner {partner} funds {fmt(by_partner.loc[partner, 'usd'])} USD but has no row "
            f"in partner_summary.csv",
        )
    p = ctx.partners.loc[table.index]
    expected = pd.DataFrame(index=table.index)
    expected["usd"] = by_partner["usd"].reindex(table.index).fillna(0.0)
    expected["share"] = expected["usd"] / total if total > 0 else 0.0
    expected["financing_cost_npv_usd"] = by_partner["npv_usd"].reindex(table.index).fillna(0.0)
    premium = tranche_premium(ctx).reindex(table.index).fillna(0.0)
    expected["financing_cost_npv_usd"] += premium  # tranche draws (verify/capital.py)
    expected["max_share"] = p["max_share"].astype(float)
    expected["min_share"] = p["min_share"].astype(float)
    expected["cost_of_capital"] = p["cost_of_capital"].astype(float)
    expected["max_commitment_usd"] = p["max_commitment_musd"].astype(float) * 1e6
    fraction = {"share", "max_share", "min_share", "cost_of_capital"}
    for col in expected.columns:
        if col not in table.columns:
            continue
        floor = ABS_TOL_FRACTION if col in fraction else ABS_TOL_USD
        theirs = table[col].to_numpy(dtype=float)
        ours = expected[col].to_numpy(dtype=float)
        if col == "max_commitment_usd":  # an empty cell means no limit
            theirs = np.where(np.isnan(theirs), np.inf, theirs)
        bad = differs(theirs, ours, floor)
        for partner, x, y in zip(table.index[bad], theirs[bad], ours[bad], strict=True):
            line = table.loc[partner, "csv_line"]
            f.violate(
                "partner summary",
                f"partner_summary.csv line {line}: partner {partner} {col} {fmt(x)}, expected "
                f"{fmt(y)}",
            )
    if "kind" in table.columns:
        kind = p["kind"].astype(str)
        for partner in table.index[table["kind"] != kind]:
            f.violate(
                "partner summary",
                f"partner_summary.csv line {table.loc[partner, 'csv_line']}: partner {partner} "
                f"kind '{table.loc[partner, 'kind']}', expected '{kind[partner]}'",
            )
    f.checked("partner summary", len(table))


# check_costs runs last (its result is the verify result's cost table); it recomputes the
# objective with the CVaR of the scenario costs when the plan is risk-averse
COVERS = ("cvar", "cvar_cap")
# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {140: check_partner_summary}
