"""Checks of power by time slice (issue 14): slices.csv, availability.csv, energy.csv min_mw.

Slices stand for the whole year, so their hours must add up to 8760 (else the flat fab load
and the contracts' deliverable energy would not be a year's). A slice's `order` places it in
its representative day (storage shifts energy between slices of one day), so it is unique
within a day. Availability names a slice of slices.csv, so it is meaningless without one.
Per-column checks (ranges, the duplicate (source, region, slice) key) are in schema.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.inputs.convert import did_you_mean
from optimizer.inputs.references import each, known_text, rows

if TYPE_CHECKING:
    from optimizer.inputs.checks import Findings, Inputs

SLICES = "slices.csv"
AVAILABILITY = "availability.csv"
HOURS_PER_YEAR = 8760.0
HOURS_TOL = 1e-6


def check_energy_slices(inp: Inputs, found: Findings) -> None:
    """Every check of slices.csv, availability.csv and energy.csv min_mw that are present."""
    _slices(inp, found)
    _availability(inp, found)
    _min_mw(inp, found)


def _slices(inp: Inputs, found: Findings) -> None:
    table = inp.tables.get(SLICES)
    if table is None:
        return
    df = rows(table, "slice", "day", "order", "hours")
    total = float(df["hours"].sum())
    if len(df) and abs(total - HOURS_PER_YEAR) > HOURS_TOL:
        found.error(
            SLICES,
            None,
            "hours",
            f"{total:g}",
            "hours of all slices adding up to 8760 (a year)",
        )
    twice = df[df.duplicated(["day", "order"], keep=False)]
    for value, day, line in each(twice, "order", "day"):
        found.error(
            SLICES, line, "order", value, f"an order not used by another slice of day {day}"
        )


def _availability(inp: Inputs, found: Findings) -> None:
    table = inp.tables.get(AVAILABILITY)
    if table is None:
        return
    if SLICES not in inp.tables:
        found.error(AVAILABILITY, None, None, AVAILABILITY, "slices.csv next to it (its slices)")
        return
    if inp.tables[SLICES] is None:
        return
    known = set(rows(inp.tables[SLICES], "slice")["slice"])
    df = rows(table, "slice")
    for value, line in each(df[~df["slice"].isin(known)], "slice"):
        found.error(
            AVAILABILITY,
            line,
            "slice",
            value,
            f"a slice of slices.csv{did_you_mean(value, known)} ({known_text(known)})",
        )
    energy = inp.tables.get("energy.csv")
    if energy is None:
        return
    sources = set(rows(energy, "source")["source"])
    gen = inp.tables.get("generation.csv")  # power builds (power_checks.py) use rows too
    sources |= set() if gen is None else set(rows(gen, "source")["source"])
    df = rows(table, "source")
    for value, line in each(df[~df["source"].isin(sources)], "source"):
        expected = "a source of energy.csv or generation.csv (row unused)"
        found.warn(AVAILABILITY, line, "source", value, expected)


def _min_mw(inp: Inputs, found: Findings) -> None:
    energy = inp.tables.get("energy.csv")
    if energy is None or "min_mw" not in energy.columns:
        return
    df = rows(energy, "min_mw", "max_mw")
    for value, top, line in each(df[df["min_mw"] > df["max_mw"]], "min_mw", "max_mw"):
        found.error("energy.csv", line, "min_mw", value, f"a value ≤ max_mw ({top:g})")
