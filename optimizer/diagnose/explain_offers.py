"""Why a case is infeasible, for the offers concern's family (offer limits, supply_offers.csv).

Buying is never forced (bought wafers only add to a >= stage balance), so an offer limit alone
cannot make a case infeasible; an elastic solve violates one only when buying more is the
cheapest way around another limit, and the sentence says so.
"""

from __future__ import annotations

import pandas as pd

from optimizer.diagnose.rows import groups
from optimizer.diagnose.text import LINE, num, ref, years_text
from optimizer.model.registry import Sentence

OFFERS = "supply_offers.csv"


def offer_limit(case, family, rows) -> list[Sentence]:
    """One sentence per offer: the wafers the plan would need beyond its yearly limit."""
    out = []
    table = case.supply_offers.set_index("offer")
    for key, g, size in groups(rows, ["offer"]):
        offer = key["offer"]
        o = table.loc[offer]
        out.append(
            (
                size,
                f"offer {offer} ({o['process']}, {ref(OFFERS, [int(o[LINE])])}) would have to "
                f"sell up to {num(float(g['amount'].max()))} wafers more than its "
                f"{num(float(o['max_wafers_per_year']))} a year in {years_text(g['year'])}: "
                f"raise max_wafers_per_year or find {o['process']} capacity elsewhere",
            )
        )
    return out


def offered_wafers(case) -> pd.Series:
    """Wafers the offers could sell per (year, process) in the horizon: what screening adds to
    the wafers a process's sites could make (optimizer/diagnose/stages.py)."""
    offers = case.supply_offers
    years = pd.DataFrame({"year": list(case.years)})
    grid = offers[["process", "first_year", "last_year", "max_wafers_per_year"]].merge(
        years, how="cross"
    )
    grid = grid[(grid["year"] >= grid["first_year"]) & (grid["year"] <= grid["last_year"])]
    out = grid.groupby(["year", "process"])["max_wafers_per_year"].sum().astype(float)
    return out.rename_axis(["year", "node"])
