"""Plan rows must name things that exist: known sites, products, partners, contracts, scenarios.

Rows that name something unknown are violations and are set aside so the constraint checks
run on the rest; rows repeating a key are violations and are summed (flows) or the first kept
(states). The result is the cleaned tables every other check reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.verify.context import Context
from optimizer.verify.costs import COMPONENTS
from optimizer.verify.formatting import each, fmt, lines_of
from optimizer.verify.tolerance import ABS_TOL

# table -> (key columns, how duplicate rows combine)
KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "builds.csv": (("site", "year"), "sum"),
    "capacity.csv": (("site", "year"), "first"),
    "production.csv": (("scenario", "site", "product", "year"), "sum"),
    "shipments.csv": (("scenario", "region", "product", "market", "year"), "sum"),
    "unmet.csv": (("scenario", "product", "market", "year"), "sum"),
    "energy.csv": (("scenario", "contract", "site", "year"), "sum"),
    "contracts.csv": (("contract",), "first"),
    "funding.csv": (("partner", "site", "year"), "sum"),
    "grants.csv": (("site", "year", "program"), "sum"),
    "partner_summary.csv": (("partner",), "first"),
    "costs.csv": (("component",), "first"),
    "purchases.csv": (("scenario", "offer", "product", "year"), "sum"),
    "dispatch.csv": (("scenario", "region", "year", "slice", "supplier", "source"), "sum"),
    "contract_years.csv": (("scenario", "contract", "year"), "first"),
    "power_builds.csv": (("project", "year"), "sum"),  # issue 14: power builds
    "power_funding.csv": (("partner", "project", "year"), "sum"),
    "generation_output.csv": (("scenario", "project", "year"), "sum"),
    "storage_operation.csv": (("scenario", "project", "year", "slice"), "first"),
    "operators.csv": (("site", "operator", "year"), "sum"),
    "operator_summary.csv": (("operator",), "first"),
    "operator_wafers.csv": (("scenario", "site", "operator", "year"), "sum"),
}


def _risk_averse(ctx: Context) -> bool:
    """A CVaR plan lists `risk_adjustment` in costs.csv (objective minus expected cost)."""
    return bool((ctx.plan.summary.get("risk") or {}).get("risk_weight"))


def clean_tables(ctx: Context) -> None:
    """Check every reference in the plan tables; fill ctx.tables with the usable rows."""
    case, f = ctx.case, ctx.findings
    sites = set(case.sites["site"])
    known = {
        "site": (sites, "sites.csv"),
        "product": (set(case.products["product"]), "products.csv"),
        "partner": (set(case.partners["partner"]), "partners.csv"),
        "scenario": (set(ctx.probs.index), "the scenarios of this plan (summary.json)"),
        "component": (
            set(COMPONENTS) | ({"risk_adjustment"} if _risk_averse(ctx) else set()),
            "the cost components of docs/plan-tables.md",
        ),
        "contract": (
            set() if case.energy is None else set(case.energy["contract"]),
            "energy.csv",
        ),
        "project": (  # issue 14: generation.csv and storage.csv
            {
                str(x)
                for t in (case.generation, case.storage)
                if t is not None
                for x in t["project"]
            },
            "generation.csv or storage.csv",
        ),
    }
    in_horizon = {"capacity.csv", "production.csv", "shipments.csv", "unmet.csv", "energy.csv"}
    in_horizon.update({"purchases.csv", "dispatch.csv", "contract_years.csv"})
    in_horizon.update({"power_builds.csv", "power_funding.csv", "storage_operation.csv"})
    first, last = case.params.first_year, case.params.last_year
    for name, table in ctx.plan.tables.items():
        if name == "grants.csv" and "program" not in table.columns:  # a plan before issue 13
            table = table.assign(program=table["site"], kind="grant")
        if name in ("energy.csv", "contracts.csv") and case.energy is None:
            table = _energy_not_modelled(ctx, name, table)
        ok = np.ones(len(table), dtype=bool)
        for col, (valid, source) in known.items():
            if col not in table.columns:
                continue
            bad = ~table[col].isin(valid).to_numpy()
            if name == "operator_summary.csv" and col == "partner":  # blank: no partner
                bad &= table[col].notna().to_numpy() & (table[col] != "").to_numpy()
            for row in each(table[bad]):
                f.violate(
                    "references",
                    f"{name} line {row.csv_line}: {col} '{getattr(row, col)}' is not in {source}",
                )
            ok &= ~bad
        if name in in_horizon:
            bad = ~table["year"].between(first, last).to_numpy()
            for row in each(table[bad]):
                f.violate(
                    "references",
                    f"{name} line {row.csv_line}: year {row.year} is outside the horizon "
                    f"{first}-{last}",
                )
            ok &= ~bad
        f.checked("references", len(table))
        ctx.tables[name] = _combine_duplicates(ctx, name, table[ok])


def _energy_not_modelled(ctx: Context, name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Without energy.csv in the data, the plan may not draw or contract any energy."""
    qty = "mwh" if name == "energy.csv" else "mw"
    used = table[table[qty].abs() > ABS_TOL]
    if len(used):
        ctx.findings.violate(
            "energy",
            f"energy is not modelled (the data folder has no energy.csv) but the plan's {name} "
            f"has {len(used)} row(s) with {qty} > 0 (first: {lines_of(used['csv_line'].iloc[0])}, "
            f"{fmt(used[qty].iloc[0])} {qty.upper() if qty == 'mw' else 'MWh'})",
        )
    return table.iloc[0:0]


def _combine_duplicates(ctx: Context, name: str, table: pd.DataFrame) -> pd.DataFrame:
    keys, how = KEYS[name]
    dup = table.duplicated(list(keys), keep=False)
    if not dup.any():
        return table.reset_index(drop=True)
    for key, rows in table[dup].groupby(list(keys), sort=False):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{k} {v}" for k, v in zip(keys, key, strict=True))
        ctx.findings.violate(
            "duplicates",
            f"{name} {lines_of(rows['csv_line'])}: more than one row for {label} "
            f"({'summed' if how == 'sum' else 'the first is used'})",
        )
    numeric = [c for c in table.columns if c not in keys and table[c].dtype.kind in "fi"]
    agg = {
        c: ("sum" if how == "sum" and c not in ("csv_line", "online_year") else "first")
        for c in table.columns
        if c not in keys
    }
    agg.update({c: "first" for c in table.columns if c not in keys and c not in numeric})
    return table.groupby(list(keys), sort=False, as_index=False).agg(agg)
