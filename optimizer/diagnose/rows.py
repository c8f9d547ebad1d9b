"""What every explanation of an infeasible case shares: grouping violated rows by the input
row they point at, looking that row up, and the generic sentence for families without their own.

The explanations themselves live with their concern (see `Family.infeasible` in
optimizer/model/registry.py and the explain_* modules of this package).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from optimizer.diagnose.text import num
from optimizer.model.registry import Sentence


def lookup(table: pd.DataFrame, **keys) -> pd.Series | None:
    mask = pd.Series(True, index=table.index)
    for k, v in keys.items():
        mask &= table[k] == v
    hit = table[mask]
    return None if hit.empty else hit.iloc[0]


def groups(rows: pd.DataFrame, keys: list[str]):
    """(key values, rows) per input row the violations point at, with their total size."""
    for key, g in rows.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        yield dict(zip(keys, key, strict=True)), g, float(g["size"].sum())


def scenarios_text(g: pd.DataFrame) -> str:
    if "scenario" not in g:
        return ""
    names = list(dict.fromkeys(g["scenario"]))
    return f" (scenario {', '.join(names)})"


def per_input_row(table: Callable, keys: list[str], by: list[str] | None = None) -> Callable:
    """A family explained one input row at a time: violated rows grouped by `keys`, the input
    row of `table(case)` found by the `by` keys (default: all of `keys`), and
    `text(case, input_row, key, rows)` gives the sentence; a row the inputs do not have gets
    the generic sentence."""
    match = keys if by is None else by

    def decorate(text: Callable) -> Callable:
        def explain_rows(case, family, rows) -> list[Sentence]:
            out = []
            frame = table(case)
            for key, g, size in groups(rows, keys):
                row = None if frame is None else lookup(frame, **{k: key[k] for k in match})
                sentence = generic_text(family, key, g) if row is None else text(case, row, key, g)
                out.append((size, sentence))
            return out

        return explain_rows

    return decorate


def per_site(text: Callable) -> Callable:
    """A family explained one site at a time: `text(case, site_row, key, rows)` gives the
    sentence; a site the inputs do not know gets the generic sentence."""
    return per_input_row(lambda case: case.sites, ["site"])(text)


def generic(case, family, rows) -> list[Sentence]:
    keys = [c for c in rows.columns if c not in ("direction", "amount", "unit", "size")]
    out = []
    for r in rows.itertuples(index=False):
        key = {k: getattr(r, k) for k in keys}
        out.append((float(r.size), generic_text(family, key, pd.DataFrame([r._asdict()]))))
    return out


def generic_text(family: str, key: dict, g: pd.DataFrame) -> str:
    where = ", ".join(f"{k}={v}" for k, v in key.items())
    first = g.iloc[0]
    return f"{family} ({where}): {first['direction']} by {num(g['amount'].sum())} {first['unit']}"
