"""Capital sources (docs/model.md "Capital sources"), from capital_sources.csv, funding.csv and
the inputs: per partner and year the sources add up to its funding; tranche rows name a tranche
of capital_tranches.csv at its rate, drawn within max_musd; commitment and market rows carry the
partner's rate; each row's financing NPV is usd x pv(rate, year); all partner capital is within
capital_budget_musd. `tranche_premium` is what tranche draws add to the financing cost (their
rate instead of the partner's), which costs.py adds to the financing it recomputes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.limits import Family
from optimizer.verify.tolerance import ABS_TOL_USD, differs, exceeds

NAME = "capital_sources.csv"
OWN = ("commitment", "market")  # sources at the partner's own cost_of_capital


def _sources(ctx: Context) -> pd.DataFrame | None:
    s = ctx.plan.derived.get(NAME)  # source `power` (issue 14): power_funding.csv, power_builds.py
    return s if s is None else s[s["source"] != "power"]


def _tranches(ctx: Context) -> pd.DataFrame:
    t = ctx.case.capital_tranches
    cols = ["partner", "tranche", "max_musd", "cost_of_capital"]
    return pd.DataFrame(columns=cols) if t is None else t[cols]


def pv_per_usd(ctx: Context, rate: pd.Series, year: pd.Series) -> np.ndarray:
    """NPV per dollar raised in `year` at `rate`: the ordinary annuity inside the horizon."""
    from optimizer.verify.costs import df_sum
    from optimizer.verify.finance import annuity_factor

    life = int(ctx.case.params.asset_life_years)
    windows = {y: df_sum(ctx, int(y) + 1, int(y) + life) for y in pd.unique(year)}
    return annuity_factor(np.asarray(rate, dtype=float), life) * year.map(windows).to_numpy(
        dtype=float
    )


def draws(ctx: Context) -> pd.DataFrame:
    """Tranche rows of capital_sources.csv with the tranche's and the partner's rates."""
    s = _sources(ctx)
    if s is None:
        return pd.DataFrame(columns=["partner", "source", "year", "usd", "rate", "own_rate"])
    d = s[~s["source"].isin(OWN)].merge(
        _tranches(ctx).rename(columns={"tranche": "source", "cost_of_capital": "rate"}),
        on=["partner", "source"],
        how="left",
    )
    return d.assign(own_rate=d["partner"].map(ctx.partners["cost_of_capital"]).astype(float))


def tranche_premium(ctx: Context) -> pd.Series:
    """NPV USD per partner that its tranche draws add to the financing at its own rate."""
    d = draws(ctx)
    if d.empty:
        return pd.Series(dtype=float)
    extra = pv_per_usd(ctx, d["rate"], d["year"]) - pv_per_usd(ctx, d["own_rate"], d["year"])
    return d.assign(npv=d["usd"].to_numpy(dtype=float) * extra).groupby("partner")["npv"].sum()


def drawn_by_partner(ctx: Context) -> pd.Series:
    """USD drawn on tranches per partner (0 where none): what goes beyond the commitment."""
    d = draws(ctx)
    return d.groupby("partner")["usd"].sum() if not d.empty else pd.Series(dtype=float)


def tranche_limit_rows(ctx: Context) -> pd.DataFrame:
    """sum_y draws of a tranche <= max_musd x 1e6 (every tranche of a limited partner)."""
    t = _tranches(ctx).reset_index(drop=True)
    d = draws(ctx)
    used = d.groupby(["partner", "source"])["usd"].sum() if not d.empty else pd.Series(dtype=float)
    at = pd.MultiIndex.from_frame(t[["partner", "tranche"]])
    lhs = np.nan_to_num(at.map(used).to_numpy(dtype=float), nan=0.0)
    return t.assign(lhs=lhs, rhs=t["max_musd"].astype(float) * 1e6)


def capital_budget_rows(ctx: Context) -> pd.DataFrame:
    """all partner capital <= capital_budget_musd x 1e6 (one row when a budget is given)."""
    budget = float(ctx.case.params.capital_budget_musd)
    if not math.isfinite(budget):
        return pd.DataFrame(columns=["lhs", "rhs"])
    total = float(ctx["funding.csv"]["usd"].sum())
    if "power_funding.csv" in ctx.tables:  # issue 14: power capital counts in the budget
        total += float(ctx["power_funding.csv"]["usd"].sum())
    return pd.DataFrame({"lhs": [total], "rhs": [budget * 1e6]})


def check_capital(ctx: Context) -> None:
    """Budget; and, when capital_sources.csv is present, sources against funding, tranches
    and the financing NPV of each row."""
    f = ctx.findings
    for r in each(capital_budget_rows(ctx).pipe(lambda b: b[exceeds(b["lhs"], b["rhs"], 1.0)])):
        f.violate(
            "capital budget",
            f"all partner capital {fmt(r.lhs)} USD > capital_budget_musd x 1e6 = {fmt(r.rhs)} USD",
        )
    f.checked("capital budget", len(capital_budget_rows(ctx)))
    s = _sources(ctx)
    if s is None:
        return
    keys = ["partner", "year"]
    funded = ctx["funding.csv"].groupby(keys)["usd"].sum()
    listed = s.groupby(keys)["usd"].sum()
    every = funded.index.union(listed.index)
    both = pd.DataFrame(
        {"funded": funded.reindex(every), "listed": listed.reindex(every)}, index=every
    ).fillna(0.0)
    both = both.reset_index()
    for r in each(both[differs(both["listed"], both["funded"], ABS_TOL_USD)]):
        f.violate(
            "capital sources",
            f"partner {r.partner} {r.year}: capital_sources.csv lists {fmt(r.listed)} USD but "
            f"funding.csv has {fmt(r.funded)} USD",
        )
    d = draws(ctx)
    for r in each(d[d["rate"].isna()]):
        f.violate(
            "capital sources",
            f"{NAME} line {r.csv_line}: source {r.source} is neither commitment, market nor a "
            f"tranche of partner {r.partner} in capital_tranches.csv",
        )
    d = d[d["rate"].notna()]
    tranche_used = d.groupby(keys)["usd"].sum()
    over = tranche_used[exceeds(tranche_used, funded.reindex(tranche_used.index).fillna(0.0), 1.0)]
    for (partner, year), usd in over.items():
        f.violate(
            "capital sources",
            f"partner {partner} {year}: {fmt(usd)} USD drawn on tranches > its funding",
        )
    lim = tranche_limit_rows(ctx)
    for r in each(lim[exceeds(lim["lhs"], lim["rhs"], ABS_TOL_USD)]):
        f.violate(
            "capital sources",
            f"tranche {r.tranche} of {r.partner}: {fmt(r.lhs)} USD drawn > max_musd "
            f"{fmt(r.max_musd)} (= {fmt(r.rhs)} USD)",
        )
    rate = s["partner"].map(ctx.partners["cost_of_capital"]).astype(float)
    tr = _tranches(ctx).set_index(["partner", "tranche"])["cost_of_capital"]
    own = s["source"].isin(OWN)
    at = pd.MultiIndex.from_frame(s[["partner", "source"]])
    rate = rate.where(own, pd.Series(at.map(tr).to_numpy(dtype=float), index=s.index))
    expected = s["usd"].to_numpy(dtype=float) * pv_per_usd(ctx, rate, s["year"])
    checked = s.assign(expected=expected, rate=rate)
    bad = differs(checked["cost_of_capital"], checked["rate"], 1e-9) & checked["rate"].notna()
    bad |= differs(checked["financing_cost_npv_usd"], checked["expected"], ABS_TOL_USD)
    for r in each(checked[bad & checked["rate"].notna()]):
        f.violate(
            "capital sources",
            f"{NAME} line {r.csv_line}: {r.partner} {r.source} {r.year} cost_of_capital "
            f"{fmt(r.cost_of_capital)}, financing {fmt(r.financing_cost_npv_usd)} USD; expected "
            f"{fmt(r.rate)} and {fmt(r.expected)} USD",
        )
    f.checked("capital sources", len(both) + len(lim) + len(s))


COVERS = ("tranche_use", "tranche_limit", "capital_budget")
CHECKS = {105: check_capital}
LIMITS = {
    "tranche_limit": Family(
        ("partner", "tranche"), "<=", "USD", ABS_TOL_USD, tranche_limit_rows, check_capital
    ),
    "capital_budget": Family((), "<=", "USD", ABS_TOL_USD, capital_budget_rows, check_capital),
}
