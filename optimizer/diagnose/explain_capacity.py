"""Why a case is infeasible, for the capacity concern's families (site size, staying open)."""

from __future__ import annotations

from optimizer.diagnose import why
from optimizer.diagnose.rows import groups, lookup, per_site
from optimizer.diagnose.text import LINE, cell, num, ref, years_text
from optimizer.model.registry import Sentence


@per_site
def site_size(case, s, key, g) -> str:
    return (
        f"{ref(why.SITES, s[LINE])}: {key['site']} max_wspm {cell(s['max_wspm'])} is "
        f"{num(g['amount'].max())} wspm short in {years_text(g['year'])} (existing_wspm "
        f"{cell(s['existing_wspm'])} plus the builds the other limits require)"
    )


def stay_open(case, family, rows) -> list[Sentence]:
    out = []
    for key, g, size in groups(rows, ["site"]):
        s = lookup(case.sites, site=key["site"])
        where = ref(why.SITES, s[LINE]) if s is not None else why.SITES
        out.append(
            (
                size,
                f"{where}: {key['site']} would have to close in {years_text(g['year'])} after "
                "being open (a site once open stays open)",
            )
        )
    return out
