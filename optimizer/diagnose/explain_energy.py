"""Why a case is infeasible, for the energy concern's families (energy need, contract supply)."""

from __future__ import annotations

from optimizer.diagnose import why
from optimizer.diagnose.rows import generic_text, groups, lookup, per_site, scenarios_text
from optimizer.diagnose.text import LINE, cell, num, ref, years_text
from optimizer.model.registry import Sentence


@per_site
def energy_need(case, s, key, g) -> str:
    region = s["region"]
    contracts = case.energy[case.energy["region"] == region] if case.energy is not None else None
    serving = (
        ref("energy.csv", list(contracts[LINE]))
        if contracts is not None and len(contracts)
        else "no contract of energy.csv"
    )
    return (
        f"{ref(why.SITES, s[LINE])}: {key['site']} lacks {num(g['amount'].max())} MWh of "
        f"energy in {years_text(g['year'])}{scenarios_text(g)} (energy_mwh_per_wafer "
        f"{cell(s['energy_mwh_per_wafer'])}; {region} contracts: {serving})"
    )


def contract_supply(case, family, rows) -> list[Sentence]:
    out = []
    for key, g, size in groups(rows, ["contract"]):
        c = lookup(case.energy, contract=key["contract"]) if case.energy is not None else None
        if c is None:
            out.append((size, generic_text(family, key, g)))
            continue
        most = 8760 * c["capacity_factor"] * c["max_mw"]
        out.append(
            (
                size,
                f"{ref('energy.csv', c[LINE])}: contract {key['contract']} max_mw "
                f"{cell(c['max_mw'])} (at most {num(most)} MWh a year at capacity_factor "
                f"{cell(c['capacity_factor'])}) would have to deliver {num(g['amount'].max())} MWh "
                f"more in {years_text(g['year'])}{scenarios_text(g)}",
            )
        )
    return out
