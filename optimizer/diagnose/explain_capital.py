"""Why a case is infeasible, for the capital concern's families (tranches, capital budget)."""

from __future__ import annotations

import pandas as pd

from optimizer.diagnose.rows import per_input_row
from optimizer.diagnose.text import LINE, cell, ref
from optimizer.model.registry import Sentence
from optimizer.render.fmt import usd

TRANCHES = "capital_tranches.csv"


@per_input_row(lambda case: case.capital_tranches, ["partner", "tranche"])
def tranche_limit(case, t, key, g) -> str:
    """'capital_tranches.csv line 2: tranche b of P max_musd 50 is $30M short ...'."""
    a = float(g["amount"].sum())
    return (
        f"{ref(TRANCHES, t[LINE])}: tranche {key['tranche']} of {key['partner']} "
        f"max_musd {cell(t['max_musd'])} is {usd(a)} short: it would have to provide "
        f"{usd(t['max_musd'] * 1e6 + a)}"
    )


def capital_budget(case, family, rows) -> list[Sentence]:
    """'parameters.csv capital_budget_musd 100 is $30M short: the builds need $130M'."""
    budget = float(case.params.capital_budget_musd)
    a = float(rows["amount"].sum())
    return [
        (
            float(rows["size"].sum()),
            f"parameters.csv capital_budget_musd {cell(budget)} is {usd(a)} short: the builds "
            f"the case requires need {usd(budget * 1e6 + a)} of capital",
        )
    ]


def reachable_musd(case, partners) -> pd.Series:
    """Most capital each partner of `partners` can give, million USD: its commitment plus its
    tranches (capital_tranches.csv; inf without a commitment limit), in the frame's order."""
    commitment = partners["max_commitment_musd"].astype(float)
    t = case.capital_tranches
    if t is None or t.empty:
        return commitment
    extra = t.groupby("partner")["max_musd"].sum()
    return commitment + partners["partner"].map(extra).fillna(0.0).astype(float)


def screen_budget(case, capital_usd: float, clause: str) -> list:
    """An error when capital the case cannot avoid raising exceeds capital_budget_musd."""
    from optimizer.diagnose.text import problem

    budget = float(case.params.capital_budget_musd)
    if not budget * 1e6 < capital_usd * (1 - 1e-9):
        return []
    return [
        problem(
            "parameters.csv",
            None,
            "capital_budget_musd",
            budget,
            f"{clause}, but capital_budget_musd caps all capital at {usd(budget * 1e6)}",
        )
    ]
