"""References to regions, markets, nodes and partners that nothing uses: warnings, not errors.

Deleting a row is the most natural what-if ("no fab in Germany"): the rows of other files that
name what was deleted (DE's energy contracts, lanes and partner limits) are then unused, which
is worth one short warning, not errors that make a user edit four files. The model ignores such
rows (it only builds variables for site regions, demanded markets and nodes some site runs).
Only a reference that is certainly a typo stays an error: one equal to a defined id but for
case or separators (`us_az` for `US-AZ`). References to a file that is the only definition (a
product of demand.csv, a partner of partner_regions.csv) are checked in checks.py and stay errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from optimizer import console
from optimizer.errors import Problem
from optimizer.inputs.convert import did_you_mean
from optimizer.inputs.csvio import BAD, LINE

if TYPE_CHECKING:
    from optimizer.inputs.checks import Findings, Inputs

_SEPARATORS = re.compile(r"[\s_\-./]+")
_SHOWN_LINES = 12  # line numbers a detail lists per file
_LISTED = 8  # how many known ids a message lists


@dataclass(frozen=True)
class Noted(Problem):
    """A one-line problem whose details (usually the lines concerned) only `-v` prints."""

    detail: str = ""

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} ({self.detail})" if self.detail and console.verbosity() >= 2 else text


def each(df: pd.DataFrame, *columns: str) -> Iterable[tuple]:
    """(value of each of `columns`..., line) for every row of `df`: what a message cites."""
    return zip(*(df[c].tolist() for c in (*columns, LINE)), strict=True)


def check_window(
    table: pd.DataFrame,
    file: str,
    horizon: tuple[int, int] | None,
    found: Findings,
    never: str,
) -> None:
    """A first_year..last_year window: last_year before first_year is an error; a window wholly
    outside the planning horizon is a warning (`never` says what that means for the row)."""
    df = rows(table, "first_year", "last_year")
    backwards = df[df["first_year"] > df["last_year"]]
    for value, start, line in each(backwards, "last_year", "first_year"):
        expected = f"expected a year ≥ first_year ({int(start)}) of the row"
        found.error(file, line, "last_year", value, expected)
    if horizon is None:
        return
    df = df[df["first_year"] <= df["last_year"]]
    outside = df[(df["last_year"] < horizon[0]) | (df["first_year"] > horizon[1])]
    for value, line in each(outside, "first_year"):
        found.warn(file, line, "first_year", value, never.format(*horizon))


def rows(df: pd.DataFrame | None, *columns: str) -> pd.DataFrame:
    """The cells of `columns` (and LINE) of the rows where they were read fine.

    Bad rows and NaN cells were reported already. Only the columns asked for are copied, so a
    check on a million-row demand.csv copies one column, not the whole table.
    """
    if df is None:
        return pd.DataFrame(columns=[*columns, LINE])
    return df.loc[~df[BAD], [*dict.fromkeys([*columns, LINE])]].dropna(subset=list(columns))


def ids(inp: Inputs, file: str, column: str) -> set[str] | None:
    """Ids defined by a file (all rows, even bad ones); None when they cannot be known.

    An unreadable id cell makes the set unknowable: any reference might have meant it.
    """
    df = inp.tables.get(file)
    if df is None or df[column].isna().any():
        return None
    return set(df[column].unique().tolist())


def known_text(values: Iterable[str]) -> str:
    """'known: A, B, C' (the first _LISTED, sorted) or 'none are defined'."""
    values = sorted(values)
    shown = ", ".join(values[:_LISTED]) + (", ..." if len(values) > _LISTED else "")
    return f"known: {shown}" if values else "none are defined"


def certain_typos(values: pd.Series, known: set[str]) -> pd.Series:
    """For each value: the known id it equals but for case and separators, else None."""
    normal = {_normal(k): k for k in known}
    return values.map(lambda v: normal.get(_normal(v)))


def _normal(value: str) -> str:
    return _SEPARATORS.sub("", str(value)).casefold()


def lines_text(file: str, lines: list[int]) -> str:
    """'energy.csv lines 16, 17' (at most _SHOWN_LINES numbers, then '...')."""
    shown = ", ".join(str(n) for n in lines[:_SHOWN_LINES])
    more = ", ..." if len(lines) > _SHOWN_LINES else ""
    return f"{file} line{'s' if len(lines) > 1 else ''} {shown}{more}"


def counted(n: int, noun: str) -> str:
    """'1 lane', '2 lanes', '2 energy contracts'."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def joined(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def unused_regions(uses: dict[str, list[tuple[str, str, list[int]]]], sites: set[str]) -> list:
    """One warning per region named by other files but by no site, counting what is unused.

    uses: region -> [(file, noun, lines)] in file order, e.g. DE -> [("energy.csv",
    "energy contract", [16, 17]), ("shipping.csv", "lane", [15, 16])].
    """
    warnings = []
    for region, found in uses.items():
        total = sum(len(lines) for _, _, lines in found)
        what = joined([counted(len(lines), noun) for _, noun, lines in found])
        warnings.append(
            Noted(
                "sites.csv",
                None,
                None,
                None,
                f"region {region} has no site: {what} {'is' if total == 1 else 'are'} "
                f"unused{did_you_mean(region, sites)}",
                "warning",
                "; ".join(lines_text(file, lines) for file, _, lines in found),
            )
        )
    return warnings


# --- the checks -------------------------------------------------------------------------------

# Files whose rows name a site region, and what one row of each is, in the order of messages.
_REGION_USES = (
    ("energy.csv", "energy contract"),
    ("shipping.csv", "lane"),
    ("partner_regions.csv", "partner limit"),
    ("regions.csv", "capacity cap"),
    ("subsidies.csv", "subsidy program"),
)


def check_regions(inp: Inputs, found: Findings) -> None:
    """Region references: a certain typo is an error; a region without a site, one warning."""
    sites = ids(inp, "sites.csv", "region")
    if sites is None:
        return
    uses: dict[str, list[tuple[str, str, list[int]]]] = {}
    for file, noun in _REGION_USES:
        if file not in inp.tables:
            continue
        off = _typos(inp, found, file, "region", sites, "a region of sites.csv")
        for region, lines in off.groupby("region", sort=False)[LINE]:
            uses.setdefault(region, []).append((file, noun, [int(n) for n in lines]))
    found.warnings += unused_regions(uses, sites)


def check_markets(inp: Inputs, found: Findings) -> None:
    """Lanes to a market without demand: a certain typo is an error, otherwise one warning."""
    f = "shipping.csv"
    markets = ids(inp, "demand.csv", "market")
    if f not in inp.tables or markets is None:
        return
    off = _typos(inp, found, f, "market", markets, "a market of demand.csv")
    for market, lines in off.groupby("market", sort=False)[LINE]:
        lines = [int(n) for n in lines]
        n = len(lines)
        found.warnings.append(
            Noted(
                f,
                lines[0],
                "market",
                market,
                f"no demand for this market in demand.csv: {counted(n, 'lane')} "
                f"{'is' if n == 1 else 'are'} unused{did_you_mean(market, markets)}",
                "warning",
                lines_text(f, lines),
            )
        )


def check_nodes(inp: Inputs, found: Findings) -> None:
    """Products of a node no site runs: a certain typo is an error, otherwise one warning."""
    f = "products.csv"
    nodes = ids(inp, "sites.csv", "node")
    if nodes is None:
        return
    off = _typos(inp, found, f, "node", nodes, "a node that some site of sites.csv runs")
    products = inp.tables[f]["product"] if inp.tables.get(f) is not None else None
    for node, lines in off.groupby("node", sort=False)[LINE]:
        made = [] if products is None else products.loc[lines.index].dropna().tolist()
        found.warnings.append(
            Noted(
                f,
                int(lines.iloc[0]),
                "node",
                node,
                f"no site of sites.csv runs this node: {joined(made) if made else 'its products'}"
                f" cannot be made (demand for {'it' if len(made) == 1 else 'them'} goes unmet)"
                f"{did_you_mean(node, nodes)}",
                "warning",
                lines_text(f, [int(n) for n in lines]),
            )
        )


def check_barred_partners(inp: Inputs, found: Findings) -> None:
    """A partner that partner_regions.csv bars (max_share 0) from every site region funds nothing.

    Partners held to a min_share are left to the screening before a solve, which says what the
    barred minimum does to every build.
    """
    sites = ids(inp, "sites.csv", "region")
    limits = inp.tables.get("partner_regions.csv")
    partners = inp.tables.get("partners.csv")
    if sites is None or limits is None or partners is None:
        return
    zero = rows(limits, "partner", "region", "max_share")
    zero = zero[(zero["max_share"] <= 0) & zero["region"].isin(sites)]
    barred = zero.groupby("partner")["region"].nunique()
    barred = set(barred[barred >= len(sites)].index)
    df = rows(partners, "partner", "min_share")
    df = df[df["partner"].isin(barred) & (df["min_share"] <= 0)]
    for partner, line in zip(df["partner"].tolist(), df[LINE].tolist(), strict=True):
        found.warn(
            "partners.csv",
            line,
            "partner",
            partner,
            "partner_regions.csv bars this partner (max_share 0) from every region with a site: "
            "it funds nothing",
        )


def _typos(
    inp: Inputs, found: Findings, file: str, column: str, known: set[str], what: str
) -> pd.DataFrame:
    """Report references of `file`.`column` outside `known` that are certainly typos (errors);
    return the other references outside `known` (column and LINE), for a warning."""
    df = rows(inp.tables.get(file), column)
    off = df[~df[column].isin(known)]
    meant = certain_typos(off[column], known)
    listed = known_text(known)
    typo = meant.notna()
    for value, target, line in zip(
        off.loc[typo, column].tolist(),
        meant[typo].tolist(),
        off.loc[typo, LINE].tolist(),
        strict=True,
    ):
        found.error(
            file,
            line,
            column,
            value,
            f"expected {what}; did you mean '{target}'? (ids are case-sensitive; {listed})",
        )
    return off[~typo]
