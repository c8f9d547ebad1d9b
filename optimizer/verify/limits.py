"""The limit rows binding.csv may name, recomputed from the plan tables and the inputs.

Each verify module declares `LIMITS = {family: Family(...)}` for the limit families of docs/model.md
it covers (the rows users could relax, which binding.csv lists): the row function returns the
rows that exist for this case with their key columns and both sides of the row (lhs `sense` rhs)
in the units of binding.csv. The module's own check compares the same two sides, so a constraint
is recomputed once. verify knows these families the way it knows every constraint: from the
documented formulation, never from the model code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pandas as pd

from optimizer.plan.schema import BINDING_KEYS
from optimizer.verify.context import Context
from optimizer.verify.run import modules


@dataclass(frozen=True)
class Family:
    """One limit family: how binding.csv labels its rows and how to recompute them."""

    keys: tuple[str, ...]
    sense: str  # "<=" or ">="
    unit: str  # binding.csv unit: "USD (NPV) per <unit>"
    floor: float  # absolute tolerance of the row's unit
    rows: Callable[[Context], pd.DataFrame]  # key columns + lhs + rhs
    check: Callable[[Context], None]  # the module's CHECKS entry that compares these rows


@cache
def limit_families() -> dict[str, Family]:
    """Every verify module's LIMITS merged (a new module's limits are found without a list),
    in the order their checks run."""
    ranked: list[tuple[int, str, Family]] = []
    owner: dict[str, str] = {}
    for module in modules():
        rank_of = {check: rank for rank, check in getattr(module, "CHECKS", {}).items()}
        for name, fam in getattr(module, "LIMITS", {}).items():
            if name in owner:
                raise ValueError(
                    f"verify modules {owner[name]} and {module.__name__} both declare limit {name}"
                )
            if fam.check not in rank_of:
                raise ValueError(
                    f"limit {name} of {module.__name__}: {fam.check.__name__} is not in its CHECKS"
                )
            owner[name] = module.__name__
            ranked.append((rank_of[fam.check], name, fam))
    ranked.sort(key=lambda item: item[0])  # stable: a module's declaration order within a check
    return {name: fam for _, name, fam in ranked}


def labelled_rows(ctx: Context, name: str) -> pd.DataFrame:
    """The family's rows indexed by their label: the key values joined ('base / TW_A / 2027'),
    blank keys left out (a concentration cap without `process`: 'TW / 2027')."""
    fam = limit_families()[name]
    rows = fam.rows(ctx).reset_index(drop=True)
    if rows.empty:
        return rows.assign(label=[]).set_index("label")
    label = rows[list(fam.keys)].astype(str).agg(_join, axis=1)
    return rows.assign(label=label.to_numpy()).set_index("label")


def binding_labels(table: pd.DataFrame) -> pd.Series:
    """The label of each binding.csv row: its family's key columns joined like labelled_rows
    (the key columns binding.csv has filled, for a family verify does not know)."""
    keys = [k for k in BINDING_KEYS if k in table.columns]
    cells = {k: table[k].astype("string").fillna("").tolist() for k in keys}
    families = limit_families()
    labels = []
    for i, name in enumerate(table["family"].tolist()):
        fam = families.get(name)
        own = fam.keys if fam else [k for k in keys if cells[k][i]]
        labels.append(_join(cells[k][i] if k in cells else "" for k in own))
    return pd.Series(labels, index=table.index, dtype=object)


def _join(values) -> str:
    """Key values joined by ' / ', blank ones left out (the same on both sides of a match)."""
    return " / ".join(v for v in values if v)
