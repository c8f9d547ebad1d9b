"""Cross-row checks of subsidies.csv (issue 13): kinds, windows, one cap per program.

A program may list several regions (one row each) but has one kind and one cap shared by all
its builds, so those must agree across its rows. The flat sites.csv subsidy_rate of a site is a
program named after the site (optimizer/model/subsidies.py): a subsidies.csv program of that
name would merge two caps silently, so it is an error. Region references are checked with the
other files' (references.py): a certain typo is an error, a region without sites a warning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from optimizer.inputs.csvio import LINE
from optimizer.inputs.references import check_window, each, rows

if TYPE_CHECKING:
    from optimizer.inputs.checks import Findings, Inputs

FILE = "subsidies.csv"
KINDS = ("grant", "tax_credit")


def check_subsidies(inp: Inputs, horizon: tuple[int, int] | None, found: Findings) -> None:
    """Every check of subsidies.csv when it is present."""
    if FILE not in inp.tables or inp.tables.get(FILE) is None:
        return
    table = inp.tables[FILE]
    kinds = rows(table, "kind")
    for value, line in each(kinds[~kinds["kind"].isin(KINDS)], "kind"):
        found.error(FILE, line, "kind", value, "expected grant or tax_credit")
    check_window(table, FILE, horizon, found, "the window lies outside {}-{}: no build qualifies")
    _one_per_program(table, "kind", found)
    _one_per_program(table, "cap_musd", found)
    _site_programs(inp, table, found)


def _one_per_program(table: pd.DataFrame, column: str, found: Findings) -> None:
    """A program's rows must agree on `column` (its first row's value is the program's)."""
    df = rows(table, "program", column)
    first = df.drop_duplicates("program").set_index("program")[[column, LINE]]
    own = df["program"].map(first[column])
    line0 = df["program"].map(first[LINE])
    off = df[column] != own  # a blank cap is inf, and inf == inf: two blanks agree
    cells = (df[column][off], own[off], line0[off], df[LINE][off])
    for value, expect, at, line in zip(*cells, strict=True):
        shown = "blank" if column == "cap_musd" and expect == float("inf") else expect
        found.error(
            FILE,
            line,
            column,
            "" if value == float("inf") else value,
            f"expected {shown}, the {column} of the program on line {at}: a program has one "
            f"{'kind' if column == 'kind' else 'cap, shared by all its regions'}",
        )


def _site_programs(inp: Inputs, table: pd.DataFrame, found: Findings) -> None:
    """A program may not be named after a site with a sites.csv subsidy (that is its program)."""
    sites = rows(inp.tables.get("sites.csv"), "site", "subsidy_rate")
    flat = set(sites.loc[sites["subsidy_rate"] > 0, "site"])
    df = rows(table, "program")
    for value, line in each(df[df["program"].isin(flat)], "program"):
        found.error(
            FILE,
            line,
            "program",
            value,
            "expected a name other than a site with a sites.csv subsidy_rate (that subsidy is "
            "already the program named after its site)",
        )
