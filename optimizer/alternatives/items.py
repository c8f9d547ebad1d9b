"""What each item of a dimension totals, as a sparse objective over the compiled LP's columns.

- partner: capital funded, USD: sum of its fund[partner, site, year] (+ pfund[partner, project,
  year] power funds when present).
- operator: capacity built and run by the operator over the horizon, wspm: run[s, o, y], or
  build[s, y] at a site it runs alone (the model has no per-operator capital column; the capital
  of its builds is capex x factor x these wspm).
- region, site, process: capacity built over the horizon, wspm: sum of build[s, y] of the item's
  sites (process: the site's node). Existing capacity is a constant, so it moves no range; it is
  left out of the totals (the table says "built").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimizer.model.context import ModelContext
from optimizer.solve.highs import Compiled

UNITS = {
    "partner": "USD capital",
    "operator": "wspm built",
    "region": "wspm built",
    "site": "wspm built",
    "process": "wspm built",
}


@dataclass
class ItemObjective:
    """One item's total as sum(coef x column) in model units; `unit` domain units per model
    unit of that sum."""

    item: str
    cols: np.ndarray
    coefs: np.ndarray
    unit: float


def item_objectives(ctx: ModelContext, compiled: Compiled, by: str) -> list[ItemObjective]:
    """One objective per item of dimension `by`, items sorted by name."""
    parts = _terms(ctx, by)
    if parts.empty:
        return []
    parts = parts.astype({"pos": np.int64, "coef": float})
    cols = np.concatenate(
        [compiled.col_block[b][g["pos"].to_numpy()] for b, g in parts.groupby("block")]
    )
    frame = pd.concat([g for _, g in parts.groupby("block")], ignore_index=True)
    frame["col"] = cols
    frame = frame[frame["col"] >= 0]
    unit = ctx.scale.usd if by in ("partner",) else ctx.scale.wspm
    out = []
    for item, g in frame.groupby("item", sort=True):
        agg = g.groupby("col")["coef"].sum()
        out.append(ItemObjective(str(item), agg.index.to_numpy(np.int32), agg.to_numpy(), unit))
    return out


def _block(ctx: ModelContext, block: str, key: str, what: pd.Series | None = None) -> pd.DataFrame:
    """(item, block, pos, coef 1) for every variable of `block`, item from column `key` (or
    mapped through `what`)."""
    if block not in ctx.blocks:
        return pd.DataFrame(columns=["item", "block", "pos", "coef"])
    index = ctx.blocks[block].index
    item = index[key] if what is None else index[key].map(what)
    return pd.DataFrame(
        {"item": item.to_numpy(), "block": block, "pos": np.arange(len(index)), "coef": 1.0}
    ).dropna(subset=["item"])


def _terms(ctx: ModelContext, by: str) -> pd.DataFrame:
    sites = ctx.case.sites.set_index("site")
    if by == "partner":
        return pd.concat([_block(ctx, "fund", "partner"), _block(ctx, "pfund", "partner")])
    if by == "site":
        return _block(ctx, "build", "site")
    if by == "region":
        return _block(ctx, "build", "site", sites["region"])
    if by == "process":
        return _block(ctx, "build", "site", sites["node"])
    if by == "operator":
        u = ctx.data.get("operator_units")
        if u is None or len(u) == 0:
            return pd.DataFrame(columns=["item", "block", "pos", "coef"])
        run = u["col"].to_numpy() >= 0
        return pd.DataFrame(
            {
                "item": u["operator"].to_numpy(),
                "block": np.where(run, "run", "build"),
                "pos": np.where(run, u["col"], u["build_pos"]),
                "coef": 1.0,
            }
        )
    raise ValueError(f"unknown dimension {by!r}")


def cost_row(ctx: ModelContext, compiled: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """(columns, coefs) of the total cost in model money units: every cost term except the risk
    and elastic-penalty ones (the row cost <= (1 + slack) x C*)."""
    from optimizer.model.context import RISK_COMPONENTS

    cols, coefs = [], []
    for component, block, pos, coef in ctx.costs:
        if component in RISK_COMPONENTS:
            continue
        cols.append(compiled.col_block[block][pos])
        coefs.append(coef)
    if not cols:
        return np.zeros(0, np.int32), np.zeros(0)
    c = pd.Series(np.concatenate(coefs)).groupby(np.concatenate(cols)).sum()
    c = c[(c.index >= 0) & (c != 0.0)]
    return c.index.to_numpy(np.int32), c.to_numpy(float)


def unmet_row(ctx: ModelContext, compiled: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """(columns, coefs 1) of all unmet-demand columns: --keep-delivery holds their sum at the
    least-cost plan's, so an alternative may not buy its difference with GPUs not delivered."""
    if "unmet" not in ctx.blocks:
        return np.zeros(0, np.int32), np.zeros(0)
    cols = compiled.col_block["unmet"]
    cols = cols[cols >= 0].astype(np.int32)
    return cols, np.ones(len(cols))
