"""Cross-file checks of operators.csv and site_operators.csv (issue 13, who runs each fab).

site_operators.csv names sites of sites.csv and operators of operators.csv (duplicate pairs are
caught by the file's key); an operator's partner must be a partner of partners.csv, and a
min_stake above 0 needs one (whose capital would it be?). site_operators.csv needs
operators.csv (the factors and limits live there); operators.csv alone has no effect, which is
worth a warning, not an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from optimizer.inputs.case import IMPLICIT_PARTNER
from optimizer.inputs.convert import did_you_mean
from optimizer.inputs.references import each, ids, known_text, rows

if TYPE_CHECKING:
    from optimizer.inputs.checks import Findings, Inputs

FILE = "operators.csv"
PAIRS = "site_operators.csv"


def _unknown(found: Findings, file: str, df, column: str, known: set[str], what: str) -> None:
    for value, line in each(df[~df[column].isin(known)], column):
        found.error(
            file,
            line,
            column,
            value,
            f"expected {what}{did_you_mean(value, known)} ({known_text(known)})",
        )


def check_operators(inp: Inputs, found: Findings) -> None:
    """Every check of the two files that needs another file (cells are typed already)."""
    has_ops, has_pairs = FILE in inp.tables, PAIRS in inp.tables
    if has_pairs and not has_ops:
        found.error(
            PAIRS, None, None, "", "expected operators.csv beside it (the operators it names)"
        )
    if has_ops and not has_pairs and inp.tables.get(FILE) is not None:
        found.warn(
            FILE, None, None, "", "without site_operators.csv no site has an operator: no effect"
        )
    ops = inp.tables.get(FILE)
    if ops is not None:
        if "partners.csv" in inp.tables:
            partners = ids(inp, "partners.csv", "partner")
        else:
            partners = {IMPLICIT_PARTNER}
        df = rows(ops, "partner")
        df = df[df["partner"].astype(str) != ""]
        if partners is not None:
            _unknown(found, FILE, df, "partner", partners, "a partner of partners.csv or blank")
        df = rows(ops, "partner", "min_stake")
        bad = df[(df["min_stake"] > 0) & (df["partner"].astype(str) == "")]
        for value, line in each(bad, "min_stake"):
            found.error(
                FILE, line, "min_stake", value, "expected 0 when partner is blank (whose stake?)"
            )
    pairs = inp.tables.get(PAIRS)
    if pairs is None:
        return
    sites = ids(inp, "sites.csv", "site")
    if sites is not None:
        _unknown(found, PAIRS, rows(pairs, "site"), "site", sites, "a site of sites.csv")
    if has_ops:
        known = ids(inp, FILE, "operator")
        if known is not None:
            df = rows(pairs, "operator")
            _unknown(found, PAIRS, df, "operator", known, "an operator of operators.csv")
