"""Sentences for the power-build families (issue 14): generation output and storage power say
what binds in a slice; an unfunded power build says which partners could have paid for it."""

from __future__ import annotations

from optimizer.diagnose.rows import generic_text, groups
from optimizer.diagnose.text import years_text
from optimizer.model.registry import Sentence
from optimizer.render.fmt import usd


def generation_limit_binds(row) -> str:
    """One generation_limit row: the project delivers all it can in the slice."""
    return (
        f"generation {row.project} delivers all its built MW allow (availability x MW online x"
        f" hours) in {row.year}, slice {row.slice} ({row.scenario})"
    )


def storage_power_binds(row) -> str:
    """One storage_power row: the battery charges or discharges at full power in the slice."""
    return (
        f"storage {row.project} charges or discharges at its full MW in {row.year}, slice"
        f" {row.slice} ({row.scenario})"
    )


def power_funding(case, family, rows) -> list[Sentence]:
    """A power build that partners cannot (or need not) fund in full."""
    out = []
    pr = case.partner_regions
    for key, g, size in groups(rows, ["project", "direction"]):
        if "direction" not in g or "year" not in g:
            out.append((size, generic_text(family, key, g)))
            continue
        head = f"the power build of {key['project']} in {years_text(g['year'])}"
        if key["direction"] == "over":
            out.append((size, f"{head} would be over-funded by {usd(g['amount'].sum())}"))
            continue
        barred = sorted(pr[pr["max_share"] <= 0]["partner"].unique())
        tail = f" (barred by partner_regions.csv: {', '.join(barred)})" if barred else ""
        out.append(
            (
                size,
                f"{head} lacks {usd(g['amount'].sum())} of funding: partners of kind energy or "
                f"allowed in its region are at their commitment or share limits{tail}",
            )
        )
    return out
