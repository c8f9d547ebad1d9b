"""Why a case is infeasible, for the energy concern's families (energy balance, contract supply)."""

from __future__ import annotations

from optimizer.diagnose.rows import generic_text, groups, lookup, scenarios_text
from optimizer.diagnose.text import LINE, cell, num, ref, years_text
from optimizer.model.registry import Sentence


def energy_balance(case, family, rows) -> list[Sentence]:
    """A region's shortfall per slice: what its contracts could deliver there, and how many MW
    the need in that slice exceeds it by ("US-AZ in slice winter_night: solar 0 MW
    available, ... 400 MW short")."""
    keys = ["region", "slice"] if "slice" in rows.columns else ["region"]
    hours = case.slices.set_index("slice")["hours"] if case.slices is not None else None
    out = []
    for key, g, size in groups(rows, keys):
        region = key["region"]
        contracts = (
            case.energy[case.energy["region"] == region] if case.energy is not None else None
        )
        h = (
            float(hours.get(key["slice"], 8760.0))
            if hours is not None and "slice" in key
            else 8760.0
        )
        short_mw = float(g["amount"].max()) / h
        where = f"{region} in slice {key['slice']}" if "slice" in key else region
        if contracts is None or not len(contracts):
            supply = "no contract of energy.csv serves it"
        else:
            parts = []
            for _, c in contracts.iterrows():
                f = _factor(case, c, key.get("slice"))
                parts.append(f"{c['source']} {c['contract']} {num(f * c['max_mw'])} MW available")
            supply = ref("energy.csv", list(contracts[LINE])) + ": " + ", ".join(parts)
        out.append(
            (
                size,
                f"{where}: {supply}; the fabs lack {num(g['amount'].max())} MWh "
                f"({num(short_mw)} MW short) in {years_text(g['year'])}{scenarios_text(g)}",
            )
        )
    return out


def _factor(case, contract, slice_id) -> float:
    """Availability of a contract in a slice (availability.csv, else capacity_factor)."""
    a = case.availability
    if slice_id is not None and a is not None and not a.empty:
        hit = a[(a["source"] == contract["source"]) & (a["slice"] == slice_id)]
        own = hit[hit["region"] == contract["region"]]
        blank = hit[hit["region"].fillna("") == ""]
        for h in (own, blank):
            if len(h):
                return float(h["factor"].iloc[0])
    return float(contract["capacity_factor"])


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
