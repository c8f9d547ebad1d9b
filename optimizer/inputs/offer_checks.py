"""Cross-file checks of supply_offers.csv (issue 13, make or buy).

An offer must name a process the case knows (a site runs it or a recipe names it) and a region
the case knows (a site's region or a shipping.csv lane's), with first_year <= last_year. An offer
of a product's final (assembly) process sells GPUs its region ships like made ones, so its region
needs a shipping.csv lane (docs/model.md "Supply offers"); an offer whose window lies outside
the horizon is only a warning (it is never used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.inputs.convert import did_you_mean
from optimizer.inputs.references import check_window, each, ids, known_text, rows

if TYPE_CHECKING:
    from optimizer.inputs.checks import Findings, Inputs

FILE = "supply_offers.csv"


def _union(*sets: set[str] | None) -> set[str] | None:
    """The union, or None when any part cannot be known (an unreadable id cell)."""
    if any(s is None for s in sets):
        return None
    return set().union(*sets)


def _final_processes(inp: Inputs) -> set[str] | None:
    """Processes that assemble some GPU: recipes.csv final rows, else products.csv node."""
    if "recipes.csv" in inp.tables:
        df = rows(inp.tables.get("recipes.csv"), "process", "final")
        return set(df.loc[df["final"] == 1, "process"])
    return ids(inp, "products.csv", "node")


def check_offers(inp: Inputs, horizon: tuple[int, int] | None, found: Findings) -> None:
    """Every check of supply_offers.csv that needs another file (its cells are typed already)."""
    if FILE not in inp.tables or inp.tables.get(FILE) is None:
        return
    table = inp.tables[FILE]
    recipes = ids(inp, "recipes.csv", "process") if "recipes.csv" in inp.tables else set()
    known = _union(ids(inp, "sites.csv", "node"), recipes)
    if known is not None:
        df = rows(table, "process")
        for value, line in each(df[~df["process"].isin(known)], "process"):
            found.error(
                FILE,
                line,
                "process",
                value,
                "expected a process some site of sites.csv runs or recipes.csv names"
                f"{did_you_mean(value, known)} ({known_text(known)})",
            )
    # without shipping.csv every site region has lanes to every market (inputs/case.py)
    lanes = (
        ids(inp, "shipping.csv", "region")
        if "shipping.csv" in inp.tables
        else ids(inp, "sites.csv", "region")
    )
    regions = _union(ids(inp, "sites.csv", "region"), lanes)
    final = _final_processes(inp)
    if final and lanes is not None:
        # bought GPUs of a final-stage offer leave its region on shipping.csv lanes (an unknown
        # region is reported once, below)
        df = rows(table, "process", "region")
        known_region = df["region"].isin(regions) if regions is not None else True
        bad = df["process"].isin(final) & ~df["region"].isin(lanes) & known_region
        for value, line in each(df[bad], "region"):
            found.error(
                FILE,
                line,
                "region",
                value,
                "expected a region with a shipping.csv lane: the offer's process assembles "
                f"GPUs, which leave {value} only on its lanes ({known_text(lanes)})",
            )
    if regions is not None:
        df = rows(table, "region")
        for value, line in each(df[~df["region"].isin(regions)], "region"):
            found.error(
                FILE,
                line,
                "region",
                value,
                "expected a region of sites.csv or shipping.csv"
                f"{did_you_mean(value, regions)} ({known_text(regions)})",
            )
    check_window(table, FILE, horizon, found, "the offer runs only outside {}-{}: it is never used")
