"""Capital sources (issue 13): tranches beyond a partner's commitment, and the capital budget.

Market capital needs nothing here: market_cost_of_capital adds a partner `market` (no
commitment, no share limits) at load time (optimizer/inputs/capital_checks.py), which finance
treats as any partner. Tranches (capital_tranches.csv) add draw[p,k,y] >= 0, the capital of
partner p's tranche k raised in year y, only for partners with a finite commitment and only in
years p may fund some build:

    tranche_use[p,y]:   sum_k draw[p,k,y] - sum_s fund[p,s,y] <= 0
    tranche_limit[p,k]: sum_y draw[p,k,y] <= max_musd
    commitment[p]:      sum_{s,y} fund[p,s,y] - sum_{k,y} draw[p,k,y] <= max_commitment_musd
                        (finance.py; the draw terms come from `commitment_terms`)
    capital_budget:     capital (= all partner capital, finance.py) <= capital_budget_musd

Each fund dollar costs pv(r_p, y) (finance.py); each draw dollar adds pv(r_k, y) - pv(r_p, y),
so the tranche's dollars are paid at r_k. Tranches are never cheaper than r_p (a validation
error), so the LP draws no more than the part beyond the commitment.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.diagnose import explain_capital
from optimizer.inputs.capital_checks import MARKET
from optimizer.model.context import ModelContext, terms_frame
from optimizer.model.registry import Concern, Family

TINY = 1e-6  # USD


def tranche_rows(ctx: ModelContext, fund: pd.DataFrame) -> pd.DataFrame:
    """(partner, tranche, year, cost_of_capital, own_rate, max_musd): one draw per tranche of a
    partner with a finite commitment and per year that partner may fund a build."""
    tranches = ctx.case.capital_tranches
    if tranches is None or tranches.empty:
        return pd.DataFrame(columns=["partner", "tranche", "year", "cost_of_capital", "own_rate"])
    p = ctx.case.partners.set_index("partner")
    finite = p.index[np.isfinite(p["max_commitment_musd"].to_numpy(dtype=float))]
    t = tranches[tranches["partner"].isin(finite)][
        ["partner", "tranche", "max_musd", "cost_of_capital"]
    ]
    years = fund[["partner", "year"]].drop_duplicates()
    draws = t.merge(years, on="partner").sort_values(["partner", "tranche", "year"])
    draws["own_rate"] = draws["partner"].map(p["cost_of_capital"]).astype(float)
    return draws.reset_index(drop=True)


def add_draws(ctx: ModelContext, fund: pd.DataFrame) -> None:
    """The draw block (called by finance before its commitment rows, which subtract draws)."""
    draws = tranche_rows(ctx, fund)
    ctx.data["draws"] = draws
    if not draws.empty:
        ctx.add_vars("draw", draws[["partner", "tranche", "year"]], ctx.scale.usd)


def commitment_terms(ctx: ModelContext, partners: pd.DataFrame) -> pd.DataFrame:
    """-draw terms of the commitment rows (one row per partner of `partners`, in order)."""
    draws = ctx.data.get("draws")
    if draws is None or draws.empty:
        return terms_frame([], "fund", [], 1.0).iloc[:0]
    row_of = dict(zip(partners["partner"], range(len(partners)), strict=True))
    row = draws["partner"].map(row_of)
    ok = row.notna().to_numpy()
    return terms_frame(row[ok].astype(int), "draw", np.flatnonzero(ok), -1.0)


def add(ctx: ModelContext) -> None:
    from optimizer.model.finance import financing_pv

    s = ctx.scale
    budget = float(ctx.case.params.capital_budget_musd)
    if math.isfinite(budget):
        ctx.add_constraints(
            "capital_budget",
            pd.DataFrame(index=[0]),
            terms_frame([0], "capital", [0], 1.0),
            "<=",
            budget * 1e6 / s.usd,
        )
    draws = ctx.data.get("draws")
    if draws is None or draws.empty:
        return
    fund = ctx.data["fund"]
    pos = np.arange(len(draws))
    # tranche_use[p,y]: draws of p in y <= p's funds in y
    use = draws[["partner", "year"]].drop_duplicates().reset_index(drop=True)
    key = use.reset_index(names="row")
    d = draws[["partner", "year"]].reset_index(names="pos").merge(key, on=["partner", "year"])
    f = fund[["partner", "year"]].reset_index(names="pos").merge(key, on=["partner", "year"])
    terms = pd.concat(
        [
            terms_frame(d["row"], "draw", d["pos"], 1.0),
            terms_frame(f["row"], "fund", f["pos"], -1.0),
        ]
    )
    ctx.add_constraints("tranche_use", use, terms, "<=", 0.0)
    # tranche_limit[p,k]: sum_y draw <= max_musd
    lim = draws[["partner", "tranche", "max_musd"]].drop_duplicates(["partner", "tranche"])
    lim = lim.reset_index(drop=True)
    d = draws[["partner", "tranche"]].reset_index(names="pos")
    d = d.merge(lim[["partner", "tranche"]].reset_index(names="row"), on=["partner", "tranche"])
    ctx.add_constraints(
        "tranche_limit",
        lim[["partner", "tranche"]],
        terms_frame(d["row"], "draw", d["pos"], 1.0),
        "<=",
        lim["max_musd"].to_numpy(dtype=float) * 1e6 / s.usd,
    )
    year = draws["year"].to_numpy()
    premium = financing_pv(ctx, draws["cost_of_capital"].to_numpy(dtype=float), year)
    premium = premium - financing_pv(ctx, draws["own_rate"].to_numpy(dtype=float), year)
    ctx.add_cost("financing", "draw", pos, premium)


def sources(ctx: ModelContext, sol) -> pd.DataFrame:
    """capital_sources.csv: per partner, source and year the capital raised, its rate and the
    NPV of its financing (source: commitment, a tranche id, or market for the market partner)."""
    from optimizer.model.finance import financing_pv

    partners = ctx.case.partners.set_index("partner")
    fund = ctx.data["fund"][["partner", "year"]].assign(usd=sol.value("fund"))
    own = fund.groupby(["partner", "year"], as_index=False)["usd"].sum()
    draws = ctx.data.get("draws")
    parts = []
    if draws is not None and not draws.empty:
        drawn = draws[["partner", "tranche", "year", "cost_of_capital"]].assign(
            usd=sol.value("draw")
        )
        per = drawn.groupby(["partner", "year"])["usd"].sum()
        at = pd.MultiIndex.from_frame(own[["partner", "year"]])
        own["usd"] -= np.nan_to_num(at.map(per).to_numpy(dtype=float), nan=0.0)
        parts.append(drawn.rename(columns={"tranche": "source"}))
    own["source"] = np.where(own["partner"] == MARKET, MARKET, "commitment")
    own["cost_of_capital"] = own["partner"].map(partners["cost_of_capital"]).astype(float)
    table = pd.concat([own, *parts], ignore_index=True)
    table = table[table["usd"] > TINY].reset_index(drop=True)
    pv = financing_pv(ctx, table["cost_of_capital"].to_numpy(dtype=float), table["year"])
    table["financing_cost_npv_usd"] = table["usd"] * pv
    cols = ["partner", "source", "year", "usd", "cost_of_capital", "financing_cost_npv_usd"]
    from optimizer.model.power_finance import power_funds  # source `power`: at project lives

    power = power_funds(ctx, sol)
    if len(power):
        power = power.groupby(["partner", "year", "cost_of_capital"], as_index=False)[
            ["usd", "financing_cost_npv_usd"]
        ].sum()
        power = power[power["usd"] > TINY].assign(source="power")
        table = pd.concat([table, power[cols]], ignore_index=True)
    return table[cols].sort_values(["partner", "year", "source"]).reset_index(drop=True)


def premium_by_partner(ctx: ModelContext, sol) -> pd.Series:
    """NPV USD each partner's tranche draws add to its financing cost (partner_summary.csv)."""
    from optimizer.model.finance import financing_pv

    draws = ctx.data.get("draws")
    if draws is None or draws.empty:
        return pd.Series(dtype=float)
    year = draws["year"].to_numpy()
    extra = financing_pv(ctx, draws["cost_of_capital"].to_numpy(dtype=float), year)
    extra = extra - financing_pv(ctx, draws["own_rate"].to_numpy(dtype=float), year)
    return (draws.assign(npv=sol.value("draw") * extra)).groupby("partner")["npv"].sum()


def extract(ctx: ModelContext, sol) -> dict[str, pd.DataFrame]:
    return {"capital_sources": sources(ctx, sol)}


CONCERN = Concern(
    name="capital",
    requires=("finance",),  # the fund and capital blocks; the draw block is made by finance
    families=(
        Family(
            name="tranche_use",
            kind="balance",
            elastic=False,
            source="capital_tranches.csv",
            unit="USD",
            words="tranche draws within the partner's funding (capital_tranches.csv)",
            binds="partner {partner} draws on its tranches in {year} only what it funds",
            infeasible=None,
        ),
        Family(
            name="tranche_limit",
            kind="limit",
            elastic=True,
            source="capital_tranches.csv max_musd",
            unit="USD",
            words="capital tranches (capital_tranches.csv max_musd)",
            binds="partner {partner} has drawn all of tranche {tranche}",
            infeasible=explain_capital.tranche_limit,
        ),
        Family(
            name="capital_budget",
            kind="limit",
            elastic=True,
            source="parameters.csv capital_budget_musd",
            unit="USD",
            words="the capital budget (parameters.csv capital_budget_musd)",
            binds=lambda row: "all capital raised is at the budget",
            infeasible=explain_capital.capital_budget,
        ),
    ),
    add=add,
    extract=extract,
)
