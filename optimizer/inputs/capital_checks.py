"""Capital sources (issue 13): the synthetic market partner and the checks of capital_tranches.csv.

A tranche is capital a partner offers *beyond* its partners.csv commitment. The model lets the
LP label any of the partner's dollars as tranche dollars, so a tranche is only drawn once the
commitment is used up when it is not cheaper than the partner's own cost_of_capital: a cheaper
tranche would contradict the contract, so it is an error (lower the partner's cost_of_capital or
raise its commitment instead). A tranche of a partner without a commitment limit is never
needed: a warning, and the model ignores it. `market_cost_of_capital` adds a partner `market`,
so a partners.csv id `market` would collide with it: an error.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.inputs.csvio import LINE
from optimizer.inputs.references import ids, known_text, rows

if TYPE_CHECKING:
    from optimizer.inputs.checks import Findings, Inputs

MARKET = "market"  # id of the synthetic partner for market_cost_of_capital
TRANCHES = "capital_tranches.csv"


def with_market(partners: pd.DataFrame, rate: float | None) -> pd.DataFrame:
    """partners plus the synthetic partner `market` (no commitment, no share limits) when
    market_cost_of_capital is given; unchanged otherwise."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return partners
    row = {
        "partner": MARKET,
        "kind": MARKET,
        "max_commitment_musd": math.inf,
        "cost_of_capital": float(rate),
        "min_share": 0.0,
        "max_share": 1.0,
        LINE: -1,  # synthesised (no line of a file)
    }
    extra = pd.DataFrame([{c: row.get(c) for c in partners.columns}])
    return pd.concat([partners, extra.astype(partners.dtypes.to_dict())], ignore_index=True)


def check_capital(inp: Inputs, found: Findings) -> None:
    """Every check of the capital sources that are present."""
    _market_collision(inp, found)
    _tranches(inp, found)


def _market_collision(inp: Inputs, found: Findings) -> None:
    rate = inp.params.get("market_cost_of_capital")
    partners = inp.tables.get("partners.csv")
    if rate is None or math.isnan(float(rate)) or partners is None:
        return
    clash = rows(partners, "partner")
    for line in clash.loc[clash["partner"] == MARKET, LINE].tolist():
        found.error(
            "partners.csv",
            line,
            "partner",
            MARKET,
            f"expected another id: '{MARKET}' is the partner market_cost_of_capital "
            "(parameters.csv) adds for capital from public markets",
        )


def _tranches(inp: Inputs, found: Findings) -> None:
    df = inp.tables.get(TRANCHES)
    if df is None:
        return
    partners = inp.tables.get("partners.csv")
    if "partners.csv" not in inp.tables:
        for partner, line in zip(df["partner"].tolist(), df[LINE].tolist(), strict=True):
            found.error(
                TRANCHES,
                line,
                "partner",
                partner,
                "expected a partner of partners.csv (it is absent: the implicit partner has no "
                "commitment limit, so no tranche can go beyond it)",
            )
        return
    if partners is None:
        return
    known = ids(inp, "partners.csv", "partner")
    t = rows(df, "partner")
    if known is not None:
        off = t[~t["partner"].isin(known)]
        for partner, line in zip(off["partner"].tolist(), off[LINE].tolist(), strict=True):
            found.error(
                TRANCHES,
                line,
                "partner",
                partner,
                f"expected a partner of partners.csv ({known_text(known)})",
            )
    p = partners.drop_duplicates("partner").set_index("partner")
    t = t[t["partner"].isin(p.index)]
    commitment = t["partner"].map(p["max_commitment_musd"]).astype(float)
    unlimited = t[commitment == math.inf]
    for partner, line in zip(unlimited["partner"].tolist(), unlimited[LINE].tolist(), strict=True):
        found.warn(
            TRANCHES,
            line,
            "partner",
            partner,
            "this partner has no commitment limit (partners.csv max_commitment_musd empty): the "
            "tranche is never needed and is ignored",
        )
    priced = rows(df, "partner", "cost_of_capital")
    priced = priced[priced["partner"].isin(p.index)]
    own = priced["partner"].map(p["cost_of_capital"]).astype(float)
    own_line = priced["partner"].map(p[LINE])
    cheap = priced[priced["cost_of_capital"] < own]
    for value, line, rate, at in zip(
        cheap["cost_of_capital"].tolist(),
        cheap[LINE].tolist(),
        own[cheap.index].tolist(),
        own_line[cheap.index].tolist(),
        strict=True,
    ):
        found.error(
            TRANCHES,
            line,
            "cost_of_capital",
            value,
            f"expected at least the partner's own cost_of_capital {rate:g} (partners.csv line "
            f"{at}): a tranche is capital beyond the commitment, so a cheaper one would be drawn "
            "first; lower the partner's cost_of_capital or raise its commitment instead",
        )
