"""The binding limits of a plan, for the report: rows that shape the plan, grouped and said.

Split from statistics.py (which re-exports these names): binding.csv rows with non-zero impact,
grouped per family and key over years, each group as one sentence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.plan.read import Plan
from optimizer.plan.schema import BINDING_KEYS


def binding(plan: Plan) -> pd.DataFrame:
    """binding.csv in its ranked order, with where each row binds (its key values joined, e.g.
    "base / TW_N2 / 2040") and a sentence for every row."""
    frame = plan["binding"].copy()
    frame["where"] = _labels(frame, BINDING_KEYS)
    frame["sentence"] = [
        _sentence(f, i, p, u, m)
        for f, i, p, u, m in zip(
            frame["family"],
            frame["where"],
            frame["shadow_price"],
            frame["unit"],
            frame["meaning"],
            strict=True,
        )
    ]
    return frame.reset_index(drop=True)


def binding_groups(plan: Plan, rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Binding rows that are the same limit in different years, merged into one finding.

    A capacity limit binding in ten years reads better as one sentence with its years than as ten
    sentences. Groups are ranked by their summed impact and keep the sentence of their
    highest-impact row.
    """
    frame = binding(plan) if rows is None else rows.copy()  # rows: a subset of binding(plan)
    if frame.empty:
        return pd.DataFrame(columns=["family", "key", "years", "rows", "impact", "sentence"])
    others = [k for k in BINDING_KEYS if k != "year"]
    frame["key"] = frame["family"].astype(str) + "|" + _labels(frame, others)
    frame["impact"] = pd.to_numeric(frame["impact_usd"], errors="coerce").abs().fillna(0.0)
    frame["rank"] = np.arange(len(frame))
    rows = []
    for key, g in frame.groupby("key", sort=False):
        top = g.sort_values(["impact", "rank"], ascending=[False, True]).iloc[0]
        years = sorted({int(y) for y in g["year"].dropna()})
        sentence = top["sentence"]
        if len(years) > 1:
            sentence += f" It binds in {len(years)} years in all: {year_list(years)}."
        rows.append(
            {
                "family": top["family"],
                "key": key,
                "years": years,
                "rows": len(g),
                "impact": g["impact"].sum(),
                "first": g["rank"].min(),
                "sentence": sentence,
            }
        )
    out = pd.DataFrame(rows).sort_values(["impact", "first"], ascending=[False, True])
    return out.drop(columns="first").reset_index(drop=True)


def _labels(frame: pd.DataFrame, keys: tuple[str, ...] | list[str]) -> pd.Series:
    """Each row's filled key columns joined with " / " (years as whole numbers)."""
    parts = []
    for k in (k for k in keys if k in frame.columns):  # process/tool: absent in older plans
        column = frame[k]
        if k == "year":
            column = column.astype("Int64")
        parts.append(column.astype("string").fillna("").tolist())
    labels = [" / ".join(v for v in values if v) for values in zip(*parts, strict=True)]
    return pd.Series(labels, index=frame.index, dtype="object")


def year_list(years: list[int]) -> str:
    """2028, 2030–2033, 2035: runs of consecutive years compressed."""
    parts, ys = [], sorted(set(years))
    start = prev = ys[0] if ys else None
    for y in ys[1:] + [None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        start = prev = y
    return ", ".join(parts)


def _sentence(family: str, index: str, price: float, unit: str, meaning: str) -> str:
    """The plan writer's one-line meaning, else one composed from the other columns."""
    text = str(meaning or "").strip()
    if text:
        return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
    family_text = str(family).replace("_", " ")
    return (
        f"The {family_text} constraint for {index} is binding: relaxing it by one unit "
        f"changes the cost by {price:,.4g} {unit}."
    )
