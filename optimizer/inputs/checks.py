"""Checks that need more than one row or file: references, horizons, sums, consistency.

Inputs are the typed tables of convert.py: a cell that could not be read is NaN and every check
here skips it, and a table that is None (present but unreadable) is skipped as a reference
target, so one mistake gives one message. Absent optional files are simply not in `tables`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from optimizer.errors import Problem
from optimizer.inputs.capital_checks import check_capital
from optimizer.inputs.case import IMPLICIT_PARTNER
from optimizer.inputs.convert import did_you_mean
from optimizer.inputs.energy_checks import check_energy_slices
from optimizer.inputs.offer_checks import check_offers
from optimizer.inputs.operator_checks import check_operators
from optimizer.inputs.params import Origin
from optimizer.inputs.policy_inputs import check_policy
from optimizer.inputs.power_checks import check_power
from optimizer.inputs.references import (
    check_barred_partners,
    check_markets,
    check_nodes,
    check_regions,
    each,
    ids,
    known_text,
    rows,
)
from optimizer.inputs.subsidy_checks import check_subsidies
from optimizer.inputs.supply_checks import check_supply_chain, has_recipes, needed_processes

PROBABILITY_TOLERANCE = 1e-6
SHARE_TOLERANCE = 1e-9
SHOWN_PER_COLUMN = 20  # problems printed per file and column unless -v


@dataclass
class Inputs:
    """What the cross-file checks read."""

    tables: dict[str, pd.DataFrame | None]  # file -> typed table; None = present but unreadable
    params: dict[str, object]  # None = missing or invalid (already reported)
    origins: dict[str, Origin]


@dataclass
class Findings:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, file: str, line: object, column: str | None, value: object, expected: str):
        self.errors.append(Problem(file, _line(line), column, _show(value), expected))

    def warn(self, file: str, line: object, column: str | None, value: object, expected: str):
        self.warnings.append(Problem(file, _line(line), column, _show(value), expected, "warning"))


def cross_check(inp: Inputs) -> Findings:
    """Run every cross-file check; return errors and warnings."""
    found = Findings()
    horizon = _horizon(inp, found)
    _sites(inp, horizon, found)
    _products(inp, found)
    _demand(inp, horizon, found)
    _scenarios(inp, found)
    _shipping(inp, found)
    _energy(inp, horizon, found)
    _partners(inp, found)
    _partner_regions(inp, found)
    _regions(inp, horizon, found)
    check_regions(inp, found)
    check_markets(inp, found)
    if not has_recipes(inp):  # with recipes, their processes are checked (errors) instead
        check_nodes(inp, found)
    check_barred_partners(inp, found)
    check_supply_chain(inp, horizon, found)
    check_capital(inp, found)
    check_energy_slices(inp, found)
    check_power(inp, found)
    check_offers(inp, horizon, found)
    check_policy(inp, horizon, found)
    check_subsidies(inp, horizon, found)
    check_operators(inp, found)
    return found


def shown_problems(problems: list[Problem], every: bool = False) -> list[str]:
    """The lines to print for `problems`: at most SHOWN_PER_COLUMN per file and column (all
    with `every`), then one '... and N more' line per column cut short.

    A file with a bad value on every row must not print a million lines (and printing them
    cost more than finding them).
    """
    if every:
        return [str(p) for p in problems]
    seen: dict[tuple[str, str | None], int] = {}
    lines = []
    for p in problems:
        key = (p.file, p.column)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] <= SHOWN_PER_COLUMN:
            lines.append(str(p))
    for (file, column), n in seen.items():
        if n > SHOWN_PER_COLUMN:
            where = file if column is None else f"{file} column '{column}'"
            lines.append(
                f"{where}: ... and {n - SHOWN_PER_COLUMN:,} more problems like these "
                "(-v lists them all)"
            )
    return lines


# --- helpers ----------------------------------------------------------------------------------


def _unknown(
    inp: Inputs, found: Findings, file: str, column: str, known: set[str] | None, what: str
) -> None:
    """An error for each reference in `file`.`column` that is not in `known`.

    The hint is worked out once per distinct value and the list of known ids once: a mistake
    repeated on every row of a large file costs one lookup, not one per row.
    """
    if known is None:
        return
    df = rows(inp.tables.get(file), column)
    listed = known_text(known)
    hints: dict[str, str] = {}
    for value, line in each(df[~df[column].isin(known)], column):
        if value not in hints:
            hints[value] = did_you_mean(value, known)
        found.error(file, line, column, value, f"expected {what}{hints[value]} ({listed})")


def _line(line: object) -> int | None:
    return None if line is None or pd.isna(line) else int(line)


def _show(value: object) -> str | None:
    """A value as a user would type it: 4000 not 4000.0, 1.1 not 1.0999999999999999."""
    if value is None:
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.10g}"
    return str(value)


def _first_by(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """The first row of each value of `column` (where a warning about that value points)."""
    return df.drop_duplicates(subset=[column])


# --- the checks -------------------------------------------------------------------------------


def _horizon(inp: Inputs, found: Findings) -> tuple[int, int] | None:
    first, last = inp.params.get("first_year"), inp.params.get("last_year")
    if first is None or last is None:
        return None
    if first > last:
        found.errors.append(
            inp.origins["last_year"].problem(
                "last_year", _show(last), f"expected last_year to be ≥ first_year ({first})"
            )
        )
        return None
    return int(first), int(last)


def _outside(df: pd.DataFrame, column: str, horizon: tuple[int, int]) -> pd.DataFrame:
    return df[(df[column] < horizon[0]) | (df[column] > horizon[1])]


def _sites(inp: Inputs, horizon: tuple[int, int] | None, found: Findings) -> None:
    f = "sites.csv"
    df = rows(inp.tables.get(f), "existing_wspm", "max_wspm")
    over = df[df["existing_wspm"] > df["max_wspm"]]
    for value, cap, line in each(over, "existing_wspm", "max_wspm"):
        found.error(
            f, line, "existing_wspm", value, f"expected at most max_wspm ({_show(cap)}) of the row"
        )
    if horizon is not None:
        late = rows(inp.tables.get(f), "first_build_year")
        late = late[late["first_build_year"] > horizon[1]]
        for value, line in each(late, "first_build_year"):
            found.warn(
                f,
                line,
                "first_build_year",
                value,
                f"after last_year ({horizon[1]}): no build is possible at this site",
            )
    needed = needed_processes(inp)
    if needed is not None:
        idle = _first_by(rows(inp.tables.get(f), "node"), "node")
        which = "no recipe of recipes.csv" if has_recipes(inp) else "no product of products.csv"
        for value, line in each(idle[~idle["node"].isin(needed)], "node"):
            found.warn(f, line, "node", value, f"{which} needs this node")


def _products(inp: Inputs, found: Findings) -> None:
    f = "products.csv"
    demanded = ids(inp, "demand.csv", "product")
    if demanded is not None:
        df = rows(inp.tables.get(f), "product")
        for value, line in each(df[~df["product"].isin(demanded)], "product"):
            found.warn(f, line, "product", value, "no demand for this product in demand.csv")


def _demand(inp: Inputs, horizon: tuple[int, int] | None, found: Findings) -> None:
    f = "demand.csv"
    _unknown(
        inp, found, f, "product", ids(inp, "products.csv", "product"), "a product of products.csv"
    )
    if "scenarios.csv" in inp.tables:
        known = ids(inp, "scenarios.csv", "scenario")
        _unknown(inp, found, f, "scenario", known, "a scenario of scenarios.csv")
    if horizon is not None:
        df = _outside(rows(inp.tables.get(f), "year"), "year", horizon)
        for value, line in each(df, "year"):
            found.error(
                f,
                line,
                "year",
                value,
                f"expected a year in [{horizon[0]}, {horizon[1]}] "
                "(first_year and last_year of parameters.csv)",
            )


def _scenarios(inp: Inputs, found: Findings) -> None:
    f = "scenarios.csv"
    demand_scenarios = ids(inp, "demand.csv", "scenario")
    if f in inp.tables and inp.tables[f] is not None:
        df = inp.tables[f]
        usable = rows(df, "probability")
        if len(usable) == len(df):  # every probability was read: the sum means something
            total = float(usable["probability"].sum())
            if abs(total - 1.0) > PROBABILITY_TOLERANCE:
                found.error(
                    f,
                    None,
                    "probability",
                    total,
                    f"expected probabilities summing to 1 (within {PROBABILITY_TOLERANCE:g}); "
                    "the value shown is their sum",
                )
        if demand_scenarios is not None:
            idle = rows(df, "scenario")
            idle = idle[~idle["scenario"].isin(demand_scenarios)]
            for value, line in each(idle, "scenario"):
                found.warn(f, line, "scenario", value, "no demand for this scenario in demand.csv")
    chosen = inp.params.get("default_scenario")
    if chosen:
        known = ids(inp, f, "scenario") if f in inp.tables else demand_scenarios
        if known is not None and chosen not in known:
            source = f if f in inp.tables else "demand.csv"
            found.errors.append(
                inp.origins["default_scenario"].problem(
                    "default_scenario",
                    chosen,
                    f"expected default_scenario to be a scenario of {source} ({known_text(known)})",
                )
            )


def _shipping(inp: Inputs, found: Findings) -> None:
    f = "shipping.csv"
    if f not in inp.tables:
        return
    served = ids(inp, f, "market")
    if served is not None:
        demand = _first_by(rows(inp.tables.get("demand.csv"), "market"), "market")
        for value, line in each(demand[~demand["market"].isin(served)], "market"):
            found.warn(
                "demand.csv",
                line,
                "market",
                value,
                "no lane of shipping.csv reaches this market: all its demand will go unmet",
            )


def _energy(inp: Inputs, horizon: tuple[int, int] | None, found: Findings) -> None:
    f = "energy.csv"
    if f not in inp.tables:
        return
    df = rows(inp.tables.get(f), "first_year", "last_year")
    backwards = df[df["first_year"] > df["last_year"]]
    for value, start, line in each(backwards, "last_year", "first_year"):
        found.error(
            f, line, "last_year", value, f"expected a year ≥ first_year ({_show(start)}) of the row"
        )
    if horizon is not None:
        df = df[df["first_year"] <= df["last_year"]]
        never = df[(df["last_year"] < horizon[0]) | (df["first_year"] > horizon[1])]
        for value, line in each(never, "first_year"):
            found.warn(
                f,
                line,
                "first_year",
                value,
                f"the contract delivers only outside {horizon[0]}-{horizon[1]}: it is never used",
            )
    contracted = ids(inp, f, "region")
    if contracted is not None:
        sites = _first_by(rows(inp.tables.get("sites.csv"), "region"), "region")
        for value, line in each(sites[~sites["region"].isin(contracted)], "region"):
            found.warn(
                "sites.csv",
                line,
                "region",
                value,
                "no contract of energy.csv serves this region: its sites cannot get energy",
            )


def _partners(inp: Inputs, found: Findings) -> None:
    f = "partners.csv"
    df = inp.tables.get(f)
    if df is None:
        return
    both = rows(df, "min_share", "max_share")
    wrong = both[both["min_share"] > both["max_share"]]
    for value, top, line in each(wrong, "min_share", "max_share"):
        found.error(
            f, line, "min_share", value, f"expected at most max_share ({_show(top)}) of the row"
        )
    if len(rows(df, "min_share")) == len(df):
        total = float(df["min_share"].sum())
        if total > 1 + SHARE_TOLERANCE:
            found.error(
                f,
                None,
                "min_share",
                total,
                "expected min_share values summing to at most 1; the value shown is their sum",
            )
    if len(rows(df, "max_share")) == len(df):
        total = float(df["max_share"].sum())
        if total < 1 - SHARE_TOLERANCE:
            found.warn(
                f,
                None,
                "max_share",
                total,
                "the partners together may fund less than all capital: any build is infeasible",
            )


def _partner_regions(inp: Inputs, found: Findings) -> None:
    f = "partner_regions.csv"
    if f not in inp.tables:
        return
    if "partners.csv" in inp.tables:
        partners = ids(inp, "partners.csv", "partner")
        what = "a partner of partners.csv"
    else:
        partners = {IMPLICIT_PARTNER}
        what = f"the implicit partner '{IMPLICIT_PARTNER}' (partners.csv is absent)"
    _unknown(inp, found, f, "partner", partners, what)


def _regions(inp: Inputs, horizon: tuple[int, int] | None, found: Findings) -> None:
    f = "regions.csv"
    if f not in inp.tables:
        return
    if horizon is not None:
        late = rows(inp.tables.get(f), "from_year")
        late = late[late["from_year"] > horizon[1]]
        for value, line in each(late, "from_year"):
            found.warn(
                f,
                line,
                "from_year",
                value,
                f"after last_year ({horizon[1]}): the limit never applies",
            )
