"""Why a case is infeasible, for the subsidies concern's families (grant_rate, grant_cap).

A program is either a subsidies.csv program (its rows there) or the flat sites.csv subsidy of a
site (the program named after the site): each sentence cites the input row to change.
"""

from __future__ import annotations

from optimizer.diagnose import why
from optimizer.diagnose.explain_finance import forced_by_caps
from optimizer.diagnose.rows import generic_text, groups, lookup
from optimizer.diagnose.text import LINE, cell, ref, share, years_text
from optimizer.model.registry import Sentence
from optimizer.render.fmt import usd

SUBSIDIES = "subsidies.csv"


def _program_rows(case, program: str):
    """The subsidies.csv rows of `program` (empty when it is a flat site subsidy)."""
    return case.subsidies[case.subsidies["program"] == program]


@forced_by_caps
def grant_rate(case, family, rows) -> list[Sentence]:
    out = []
    for key, g, size in groups(rows, ["site", "program"]):
        more = f"{usd(g['amount'].sum())} more of its builds in {years_text(g['year'])}"
        site = lookup(case.sites, site=key["site"])
        prog = _program_rows(case, key["program"])
        if site is not None and key["program"] == key["site"] and prog.empty:
            text = (
                f"{ref(why.SITES, site[LINE])}: {key['site']} subsidy_rate "
                f"{share(site['subsidy_rate'])} would have to cover {more}"
            )
        elif site is not None and not prog.empty:
            row = lookup(prog, region=site["region"])
            row = prog.iloc[0] if row is None else row
            text = (
                f"{ref(SUBSIDIES, row[LINE])}: program {key['program']} rate "
                f"{share(row['rate'])} would have to cover, at {key['site']}, {more}"
            )
        else:
            text = generic_text(family, key, g)
        out.append((size, text))
    return out


@forced_by_caps
def grant_cap(case, family, rows) -> list[Sentence]:
    out = []
    for key, g, size in groups(rows, ["program"]):
        short = usd(g["amount"].sum())
        prog = _program_rows(case, key["program"])
        site = lookup(case.sites, site=key["program"])
        if not prog.empty:
            cap = float(prog["cap_musd"].iloc[0])
            where, column = ref(SUBSIDIES, list(prog[LINE])), f"program {key['program']} cap_musd"
        elif site is not None:
            cap = float(site["subsidy_cap_musd"])
            where, column = ref(why.SITES, site[LINE]), f"{key['program']} subsidy_cap_musd"
        else:
            out.append((size, generic_text(family, key, g)))
            continue
        out.append(
            (
                size,
                f"{where}: {column} {cell(cap)} is {short} short: the grants would have to "
                f"reach {usd(cap * 1e6 + g['amount'].sum())}",
            )
        )
    return out
