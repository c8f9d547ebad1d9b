"""Why a case is infeasible, for the production concern's families (fab capacity)."""

from __future__ import annotations

from optimizer.diagnose import why
from optimizer.diagnose.rows import per_site, scenarios_text
from optimizer.diagnose.text import LINE, cell, num, ref, years_text


@per_site
def capacity(case, s, key, g) -> str:
    return (
        f"{ref(why.SITES, s[LINE])}: {key['site']} would have to make "
        f"{num(g['amount'].max())} wafers a year more than its capacity (12 x "
        f"utilization {cell(s['utilization'])} x available wspm, max_wspm "
        f"{cell(s['max_wspm'])}) in {years_text(g['year'])}{scenarios_text(g)}"
    )
