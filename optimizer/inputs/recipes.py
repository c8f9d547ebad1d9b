"""The supply chain of a product as tables: its stages (recipes), their yields, process groups.

recipes.csv is optional: without it every product is one final stage, its products.csv node at
gpus_per_wafer units per wafer and 1 per GPU, which is exactly today's model. With it,
products.csv's node and gpus_per_wafer are those of the final stage, so code that reads them
keeps meaning "the assembly stage".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.inputs.csvio import LINE

if TYPE_CHECKING:
    from optimizer.inputs.case import Case

DEFAULT_GROUP = "logic"  # the group of a process processes.csv does not list
SYNTHESISED = -1  # LINE of rows fabplan adds itself
STAGE_COLUMNS = ["product", "process", "year", "per_wafer", "per_gpu", "final"]


def derived_recipes(products: pd.DataFrame) -> pd.DataFrame:
    """One final stage per product: its node at gpus_per_wafer per wafer, one per GPU."""
    return pd.DataFrame(
        {
            "product": products["product"].to_numpy(),
            "process": products["node"].to_numpy(),
            "per_wafer": products["gpus_per_wafer"].astype("float64").to_numpy(),
            "per_gpu": 1.0,
            "final": True,
            LINE: SYNTHESISED,
        }
    )


def filled_products(products: pd.DataFrame, recipes: pd.DataFrame) -> pd.DataFrame:
    """products.csv with node and gpus_per_wafer of each product's final stage (validated to
    agree where given, so this only fills blanks)."""
    final = recipes[recipes["final"]].set_index("product")
    out = products.copy()
    out["node"] = out["product"].map(final["process"]).astype("str")
    out["gpus_per_wafer"] = out["product"].map(final["per_wafer"] / final["per_gpu"])
    return out


def case_processes(
    listed: pd.DataFrame | None, sites: pd.DataFrame, recipes: pd.DataFrame
) -> pd.DataFrame:
    """process, group, LINE: processes.csv's rows, then every other process a site runs or a
    recipe names, in group logic (so a blank regions.csv process means what it did before)."""
    columns = ["process", "group", LINE]
    listed = pd.DataFrame(columns=columns) if listed is None else listed[columns]
    used = pd.unique(pd.concat([sites["node"], recipes["process"]], ignore_index=True))
    missing = [p for p in used if p not in set(listed["process"])]
    extra = pd.DataFrame({"process": missing, "group": DEFAULT_GROUP, LINE: SYNTHESISED})
    out = pd.concat([listed, extra], ignore_index=True) if len(listed) else extra
    return out.astype({"process": "str", "group": "str", LINE: "int64"})


def stage_table(case: Case, years: list[int]) -> pd.DataFrame:
    """Every stage of every product in every year, per_wafer times the process's yield factor.

    The factor is linear between the years yields.csv lists, constant before the first and
    after the last, and 1 for a process without rows (np.interp holds the ends constant).
    """
    stages = case.recipes[["product", "process", "per_wafer", "per_gpu", "final"]]
    table = stages.merge(pd.DataFrame({"year": list(years)}, dtype="int64"), how="cross")
    factor = pd.Series(1.0, index=table.index)
    for process, rows in case.yields.sort_values("year").groupby("process"):
        mine = table["process"] == process
        factor[mine] = np.interp(
            table.loc[mine, "year"].to_numpy(dtype=float),
            rows["year"].to_numpy(dtype=float),
            rows["factor"].to_numpy(dtype=float),
        )
    table["per_wafer"] = table["per_wafer"] * factor
    return table[STAGE_COLUMNS].reset_index(drop=True)


def processes_of(case: Case, spec: str) -> set[str]:
    """The processes a regions.csv `process` value names: process or group names separated by
    ';'; blank means group logic (every process when processes.csv is absent)."""
    parts = [p.strip() for p in str(spec).split(";") if p.strip()] or [DEFAULT_GROUP]
    table = case.processes
    names = set(table["process"])
    return {p for p in parts if p in names} | set(table.loc[table["group"].isin(parts), "process"])
