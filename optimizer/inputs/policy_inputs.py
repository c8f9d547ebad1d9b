"""Regional share floors and per-product unmet penalties (issue 13): their tables and checks.

regions.csv rows may give max_capacity_share (a cap, the `concentration` family), or
min_capacity_share (a floor, the `min_capacity_share` family), or both. The case keeps the two
apart, so code written for caps reads `case.regions` exactly as before. products.csv's optional
unmet_penalty_usd_per_gpu overrides the parameter per product; a blank cell means the parameter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from optimizer.inputs.csvio import BAD, LINE
from optimizer.inputs.references import rows

if TYPE_CHECKING:
    from optimizer.inputs.case import Case
    from optimizer.inputs.checks import Findings, Inputs

CAP_COLUMNS = ["region", "max_capacity_share", "from_year", "process", LINE]
FLOOR_COLUMNS = ["region", "min_capacity_share", "from_year", "process", LINE]
SHARE_TOLERANCE = 1e-9


def split_regions(regions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(caps, floors): the rows giving max_capacity_share, and those giving min_capacity_share."""
    if "min_capacity_share" not in regions:
        regions = regions.assign(min_capacity_share=float("nan"))
    caps = regions[regions["max_capacity_share"].notna()][CAP_COLUMNS]
    floors = regions[regions["min_capacity_share"].notna()][FLOOR_COLUMNS]
    return caps.reset_index(drop=True), floors.reset_index(drop=True)


def unmet_penalties(case: Case) -> pd.Series:
    """USD per GPU not delivered, by product: products.csv's value, else the parameter."""
    products = case.products.set_index("product")
    own = products.get("unmet_penalty_usd_per_gpu")
    default = float(case.params.unmet_penalty_usd_per_gpu)
    if own is None:
        return pd.Series(default, index=products.index, dtype=float)
    return own.astype(float).fillna(default)


def penalty_of(case: Case, product: pd.Series) -> pd.Series:
    """The unmet penalty of each product in `product` (aligned to it)."""
    return product.map(unmet_penalties(case)).astype(float)


def group_key(spec: object) -> str:
    """The process spec of a regions.csv row, normalised: rows with the same key count the same
    processes (blank = group logic), so their floors share one total."""
    parts = sorted({p.strip() for p in str(spec).split(";") if p.strip()})
    return ";".join(parts) or "logic"


def check_policy(inp: Inputs, horizon: tuple[int, int] | None, found: Findings) -> None:
    """regions.csv: min < max on a row, floors of one group sum to <= 1 (else no plan exists),
    a row giving neither limit is a warning."""
    f = "regions.csv"
    df = inp.tables.get(f)
    if df is None:
        return
    if "min_capacity_share" not in df:
        return
    both = rows(df, "max_capacity_share", "min_capacity_share")
    bad = both[both["min_capacity_share"] >= both["max_capacity_share"]]
    for lo, hi, line in zip(
        bad["min_capacity_share"], bad["max_capacity_share"], bad[LINE], strict=True
    ):
        found.error(
            f,
            line,
            "min_capacity_share",
            lo,
            f"expected a share below this row's max_capacity_share {hi:g}",
        )
    # a warning, not an error: a cell left NaN by a bad value was reported already
    empty = df[df["max_capacity_share"].isna() & df["min_capacity_share"].isna() & ~df[BAD]]
    for line in empty[LINE]:
        found.warn(
            f,
            line,
            "max_capacity_share",
            "",
            "neither max_capacity_share nor min_capacity_share is given: the row limits nothing",
        )
    floors = rows(df, "min_capacity_share", "from_year", "process")
    if horizon is not None:
        floors = floors[floors["from_year"] <= horizon[1]]
    floors = floors.assign(group=floors["process"].map(group_key))
    for group, g in floors.groupby("group", sort=True):
        total = float(g["min_capacity_share"].sum())
        if total > 1 + SHARE_TOLERANCE:
            lines = ", ".join(str(int(x)) for x in g[LINE])
            found.error(
                f,
                int(g[LINE].max()),
                "min_capacity_share",
                f"{total:g}",
                f"min_capacity_share of lines {lines} ({group}) sums to more than 1 once all "
                "apply: no mix of regions can hold them all (the value shown is the sum)",
            )
