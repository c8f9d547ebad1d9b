"""Explain the violations of an elastic (diagnosis) solve in domain terms.

The elastic solve lets every hard limit be exceeded at a large penalty and so finds the least
violation that makes a plan possible. Each violated input row becomes one sentence: the file and
line to change, the value there, and by how much it is exceeded. Each family brings its own
explanation (`Family.infeasible` in the registry, declared by its concern); families without one
get the generic sentence. Sentences are ordered by size: the violation in model units, which is
what the solve minimised.
"""

from __future__ import annotations

import pandas as pd

from optimizer.diagnose.rows import generic
from optimizer.model.context import Scale
from optimizer.model.registry import Sentence, find


def explain(case, violations: dict[str, pd.DataFrame]) -> list[str]:
    """One plain sentence per violated input row of an elastic solve, largest first."""
    sentences: list[Sentence] = []
    units = Scale().units  # domain units per model unit, to rank violations as the solve did
    for family, rows in violations.items():
        if rows.empty:
            continue
        rows = rows.assign(size=rows["amount"] / rows["unit"].map(units).fillna(1.0))
        declared = find(family)
        template = declared.infeasible if declared and declared.infeasible else generic
        sentences += template(case, family, rows)
    sentences.sort(key=lambda s: -s[0])
    return [text for _size, text in sentences]
