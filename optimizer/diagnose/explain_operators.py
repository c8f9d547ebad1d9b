"""Why a case is infeasible, for the operators concern's limits (ramp, stake, capacity)."""

from __future__ import annotations

from optimizer.diagnose.rows import groups, per_input_row
from optimizer.diagnose.text import LINE, cell, num, ref
from optimizer.model.registry import Sentence
from optimizer.render.fmt import usd

OPERATORS = "operators.csv"


@per_input_row(lambda case: case.operators, ["operator", "year"], by=["operator"])
def operator_ramp(case, o, key, g) -> str:
    """'operators.csv line 2: A max_new_wspm_per_year 1000 is 500 wspm short in 2027 ...'."""
    return (
        f"{ref(OPERATORS, o[LINE])}: {key['operator']} max_new_wspm_per_year "
        f"{cell(o['max_new_wspm_per_year'])} is {num(float(g['amount'].sum()))} wspm short in "
        f"{key['year']}: the builds the case requires bring up more new capacity that year"
    )


@per_input_row(lambda case: case.operators, ["operator"])
def operator_stake(case, o, key, g) -> str:
    """'operators.csv line 2: A min_stake 0.5 needs $30M more of partner P's capital ...'."""
    return (
        f"{ref(OPERATORS, o[LINE])}: {key['operator']} min_stake {cell(o['min_stake'])} "
        f"needs {usd(float(g['amount'].sum()))} more capital from partner {o['partner']} than "
        "its commitments and shares allow"
    )


def operator_capacity(case, family, rows) -> list[Sentence]:
    """'site_operators.csv: A at S1 runs 1,000 wafers more than its capacity in 2027'."""
    out = []
    for key, g, size in groups(rows, ["site", "operator"]):
        a = float(g["amount"].sum())
        out.append(
            (
                size,
                f"site_operators.csv: {key['operator']} at {key['site']} would have to run "
                f"{num(a)} wafers more than the capacity it operates (the first operator of a "
                "site runs its existing capacity)",
            )
        )
    return out
