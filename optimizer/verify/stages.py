"""Supply-chain stages (docs/model.md "Supply chain stages"), recomputed from production.csv,
shipments.csv and the recipes and yields of the plan's inputs: per scenario, product, upstream
process and year, the units its sites make (wafers x per_wafer x yield factor) cover per_gpu x the
GPUs assembled (shipped). stages.csv, when the plan has it, must list the same figures.
"""

from __future__ import annotations

import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.formatting import each, fmt
from optimizer.verify.tolerance import differs, exceeds

ROW = ["scenario", "product", "process", "year"]


def stage_rows(ctx: Context) -> pd.DataFrame:
    """Every stage of each product in each (scenario, year) with GPUs shipped or units made:
    wafers, units_made, units_needed (final stages too, for stages.csv)."""
    assembled = ctx.shipments.groupby(["scenario", "product", "year"], as_index=False)["gpus"].sum()
    p = ctx.production.dropna(subset=["per_wafer"]).drop(columns="process", errors="ignore")
    p = p.rename(columns={"site_process": "process"})
    p = p.assign(units=p["wafers"] * p["per_wafer"])
    bought = ctx["purchases.csv"].merge(ctx.stages, on=["product", "process", "year"])
    bought = bought.assign(units=bought["wafers"] * bought["per_wafer"])  # bought units count
    both = pd.concat([p[[*ROW, "wafers", "units"]], bought[[*ROW, "wafers", "units"]]])
    made = both.groupby(ROW, as_index=False)[["wafers", "units"]].sum()
    keys = pd.concat([assembled[["scenario", "product", "year"]], made[ROW[:2] + ["year"]]])
    rows = keys.drop_duplicates().merge(ctx.stages, on=["product", "year"])
    rows = rows.merge(assembled, on=["scenario", "product", "year"], how="left")
    rows = rows.merge(made, on=ROW, how="left").fillna({"gpus": 0.0, "wafers": 0.0, "units": 0.0})
    return rows.assign(
        units_made=rows["units"], units_needed=rows["per_gpu"] * rows["gpus"]
    ).sort_values(ROW)


def check_stage_balance(ctx: Context) -> None:
    """Units made of each upstream stage >= per_gpu x GPUs shipped (scenario/product/process/
    year); stages.csv agrees with the recomputed wafers and units."""
    rows = stage_rows(ctx)
    up = rows[~rows["final"]]
    for r in each(up[exceeds(up["units_needed"], up["units_made"])]):
        ctx.findings.violate(
            "stage balance",
            f"scenario {r.scenario}, product {r.product}, {r.process}, {r.year}: "
            f"{fmt(r.wafers)} wafers x {fmt(r.per_wafer)} good units per wafer = "
            f"{fmt(r.units_made)} units made < {fmt(r.per_gpu)} per GPU x {fmt(r.gpus)} GPUs "
            f"shipped = {fmt(r.units_needed)}, short by {fmt(r.units_needed - r.units_made)}",
        )
    ctx.findings.checked("stage balance", len(up))
    table = ctx.plan.derived.get("stages.csv")
    if table is None or table.empty:
        return
    both = table.merge(rows, on=ROW, how="left", suffixes=("", "_recomputed"))
    for col in ("wafers", "units_made", "units_needed"):
        bad = differs(both[col], both[f"{col}_recomputed"].fillna(0.0))
        for r, x in zip(each(both[bad]), both.loc[bad, f"{col}_recomputed"], strict=True):
            ctx.findings.violate(
                "stage balance",
                f"stages.csv line {r.csv_line}: {r.product}, {r.process}, {r.year} "
                f"({r.scenario}): {col} {fmt(getattr(r, col))} but production.csv and "
                f"shipments.csv give {fmt(x)}",
            )
    ctx.findings.checked("stages table", len(table))


COVERS = ("stage_balance",)
# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {27: check_stage_balance}
