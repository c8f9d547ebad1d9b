"""Non-anticipativity: under a stage year, what is decided before it is the same in every scenario.

A staged hedged plan (parameters.csv `stage_year`, optimizer/staged) is the extensive form of a
multi-stage problem: one copy of the whole model per scenario, each copy's costs weighted by its
probability, and one row per decide-now variable and scenario after the first

    x[b, k, w] - x[b, k, w0] = 0      for every first-stage block b, key k decided before stage_year

The copies are the model a one-scenario plan builds, so nothing here adds rows to a single
model: the rows are added where the copies are stacked (optimizer/staged/stack.py). What a
variable's decision year is comes from its block: the `year` column of a first-stage block, else
the year the block declares (`ModelContext.add_vars(decided=...)`: a contract when its window
opens, an operator choice at the start, NaN for a total that is no decision of its own).
"""

from __future__ import annotations

import numpy as np

from optimizer.model.context import VarBlock
from optimizer.model.registry import Concern, Family

NONANTICIPATIVITY = Family(
    "nonanticipativity",
    "balance",
    False,
    "parameters.csv stage_year",
    "unit",
    "decisions taken before the stage year, the same in every scenario",
    "{block} {key}, decided before the stage year, is the same in scenario {scenario}",
    None,
)


def decision_years(block: VarBlock) -> np.ndarray | None:
    """The year each variable of a first-stage block is decided; None for a second-stage block
    (indexed by scenario: made per scenario anyway)."""
    if "scenario" in block.index.columns:
        return None
    if block.decided is not None:
        return block.decided
    if "year" in block.index.columns:
        return block.index["year"].to_numpy(dtype=float)
    raise ValueError(
        f"first-stage block {block.name} has no year column and declares no decision year: "
        "give add_vars(decided=...) so a stage year knows when it is decided"
    )


def decided_before(block: VarBlock, stage_year: int) -> np.ndarray | None:
    """Mask of the variables decided before `stage_year` (decide-now); None: second stage."""
    years = decision_years(block)
    if years is None:
        return None
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(years, nan=np.inf) < stage_year


def _no_rows(ctx) -> None:
    """A single model has no rows of this family: the stacking of scenario copies adds them."""


CONCERN = Concern("nonanticipativity", (NONANTICIPATIVITY,), _no_rows)
