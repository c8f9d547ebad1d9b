"""Warnings about parameters.csv stage_year, shown where stages apply (`fabplan validate` and
hedged solves), never in a one-scenario solve, where a stage year changes nothing.

A stage year splits a hedged plan's decisions into decide-now (dated before it, shared by every
scenario) and decide-later (per scenario). Two inputs deserve a word: a stage year that splits
nothing (at or before the first year every decision waits: the wait-and-see plans; after the last
year every decision is shared: the two-stage plan), and scenarios whose demand already differs
before the stage year (the decide-now decisions cannot see that difference, though operations in
those years do).
"""

from __future__ import annotations

import pandas as pd

from optimizer.errors import Problem
from optimizer.inputs.case import Case
from optimizer.inputs.overrides import SET

PARAMETERS = "parameters.csv"
DEMAND = "demand.csv"


def stage_warnings(case: Case) -> list[Problem]:
    """What a user should know about the case's stage year; empty without one or with fewer
    than two scenarios (no hedged plan to stage)."""
    year = case.params.stage_year
    scenarios = list(case.scenario_probabilities)
    if year is None or len(scenarios) < 2:
        return []
    first, last = case.params.first_year, case.params.last_year
    where = SET if "stage_year" in case.overrides else PARAMETERS  # where the value was given
    if year <= first:
        return [
            _outside(
                where,
                year,
                f"at or before first_year {first}: no decision is taken before it, "
                "every scenario gets its own plan (the wait-and-see plans)",
            )
        ]
    if year > last:
        return [
            _outside(
                where,
                year,
                f"after last_year {last}: every decision is shared by all "
                "scenarios (the two-stage hedged plan, as without a stage year)",
            )
        ]
    differ = _early_difference(case.demand, scenarios, first, year)
    return [] if differ is None else [differ]


def _outside(where: str, year: int, meaning: str) -> Problem:
    return Problem(where, None, "stage_year", year, meaning, "warning")


def _early_difference(
    demand: pd.DataFrame, scenarios: list[str], first: int, stage_year: int
) -> Problem | None:
    """The first year before the stage year in which the scenarios' demand differs, and which
    scenarios differ from the first one then."""
    early = demand[(demand["year"] < stage_year) & demand["scenario"].isin(scenarios)]
    table = early.pivot_table(
        index=["year", "product", "market"], columns="scenario", values="gpus", aggfunc="sum"
    )
    table = table.reindex(columns=scenarios).fillna(0.0)
    if table.empty:
        return None
    rows = table.sub(table[scenarios[0]], axis=0).abs().gt(1e-9 * table.abs().max(axis=1), axis=0)
    differs = rows.any(axis=1)
    if not differs.any():
        return None
    year = int(differs[differs].index.get_level_values("year").min())
    in_year = rows[differs & (rows.index.get_level_values("year") == year)]
    others = [w for w in scenarios if in_year[w].any()]
    return Problem(
        DEMAND,
        None,
        "gpus",
        None,
        f"{'scenarios' if len(others) > 1 else 'scenario'} {', '.join(others)} "
        f"{'differ' if len(others) > 1 else 'differs'} from {scenarios[0]} in {year}, "
        f"before stage_year {stage_year}: decisions before {stage_year} are taken "
        "without knowing this (operations in those years still see it)",
        "warning",
    )
