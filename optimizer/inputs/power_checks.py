"""Checks of power builds (issue 14): generation.csv and storage.csv.

Generation has no capacity_factor column: its output per slice comes only from availability.csv,
so a generation project needs slices.csv and an availability row (its region's or a blank-region
one) for every slice of its source. A project serves the fabs of its region, so a region without
a site of sites.csv is a warning (nothing to serve). Project ids are shared by power_builds.csv
and power_funding.csv, so a project may not be in both files. Per-column checks are in schema.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.inputs.references import each, ids, rows

if TYPE_CHECKING:
    from optimizer.inputs.checks import Findings, Inputs

GENERATION = "generation.csv"
STORAGE = "storage.csv"


def check_power(inp: Inputs, found: Findings) -> None:
    """Every cross-file check of generation.csv and storage.csv that are present."""
    regions = ids(inp, "sites.csv", "region")
    for name in (GENERATION, STORAGE):
        table = inp.tables.get(name)
        if table is None or regions is None:
            continue
        df = rows(table, "region")
        for value, line in each(df[~df["region"].isin(regions)], "region"):
            found.warn(name, line, "region", value, "a region with a site of sites.csv (unused)")
    _generation_availability(inp, found)
    gen, sto = ids(inp, GENERATION, "project"), ids(inp, STORAGE, "project")
    if gen and sto:
        df = rows(inp.tables[STORAGE], "project")
        for value, line in each(df[df["project"].isin(gen)], "project"):
            found.error(STORAGE, line, "project", value, "a project id not used in generation.csv")


def _generation_availability(inp: Inputs, found: Findings) -> None:
    table = inp.tables.get(GENERATION)
    if table is None:
        return
    slices = inp.tables.get("slices.csv")
    avail = inp.tables.get("availability.csv")
    need = "slices.csv and availability.csv rows for its source in its region"
    if slices is None or avail is None:
        df = rows(table, "source")
        for value, line in each(df, "source"):
            found.error(GENERATION, line, "source", value, need)
        return
    known = set(rows(slices, "slice")["slice"])
    a = rows(avail, "source", "region", "slice")
    a["region"] = a["region"].fillna("")
    df = rows(table, "source", "region")
    for source, region, line in each(df, "source", "region"):
        own = a[(a["source"] == source) & a["region"].isin([region, ""])]
        missing = sorted(known - set(own["slice"]))
        if missing:
            found.error(
                GENERATION,
                line,
                "source",
                source,
                f"availability.csv rows for source {source} in region {region} "
                f"(missing slices: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''})",
            )
