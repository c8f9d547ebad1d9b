"""Reading a staged plan (parameters.csv stage_year): one scenario's view, expected sums.

The decision tables of a staged plan (optimizer.plan.schema.STAGED_TABLES) have a `scenario`
column: "all" for a decision taken before the stage year, the same in every scenario, and the
scenario's name for one taken later. A reader that sums them takes one scenario's view (the
plan that scenario gets: the shared rows plus its own) or weighs rows by probability (an
expected figure). Plans without a stage year have no such column and read unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.plan.schema import ALL_SCENARIOS, STAGED_TABLES


def scenario_rows(frame: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """The rows of a staged table that scenario `scenario` gets, without the scenario column
    (the frame itself when it has none)."""
    if "scenario" not in frame.columns:
        return frame
    keep = frame["scenario"].isin([ALL_SCENARIOS, scenario])
    return frame[keep].drop(columns="scenario").reset_index(drop=True)


def scenario_view(tables: dict[str, pd.DataFrame], scenario: str) -> dict[str, pd.DataFrame]:
    """The plan scenario `scenario` gets: its decision rows (shared and its own) in the decision
    tables; every other table unchanged."""
    return {
        name: scenario_rows(frame, scenario) if name in STAGED_TABLES else frame
        for name, frame in tables.items()
    }


def decide_now(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows decided before the stage year (all rows of an unstaged table)."""
    if "scenario" not in frame.columns:
        return frame
    return frame[frame["scenario"] == ALL_SCENARIOS].drop(columns="scenario")


def row_weights(frame: pd.DataFrame, probabilities: dict[str, float]) -> np.ndarray:
    """Weight of each row in an expected sum: 1 for a shared row (or an unstaged table), the
    scenario's probability for a decide-later row."""
    if "scenario" not in frame.columns:
        return np.ones(len(frame))
    p = frame["scenario"].map({**probabilities, ALL_SCENARIOS: 1.0})
    return p.fillna(0.0).to_numpy(dtype=float)


def expected_sum(frame: pd.DataFrame, column: str, probabilities: dict[str, float]) -> float:
    """Probability-weighted total of `column` over a decision table."""
    return float((frame[column].to_numpy(dtype=float) * row_weights(frame, probabilities)).sum())
