"""Run modes (optimizer/run): the scenarios a run plans over live in the case, and the scenario
options that contradict each other are refused before anything is loaded or solved."""

from __future__ import annotations

import pandas as pd
import pytest
from fixtures import write_tiny_case

from optimizer.errors import UsageError
from optimizer.inputs import load_case
from optimizer.run import SolveRequest, run_solve
from optimizer.run.hedged import hedged_case, mean_demand_case

TWO_SCENARIOS = {
    "demand": """\
scenario,year,product,market,gpus
low,2025,GPU_N3,global,100000
low,2026,GPU_N3,global,200000
high,2025,GPU_N3,global,300000
high,2026,GPU_N3,global,400000
zero,2025,GPU_N3,global,1
""",
    "scenarios": """\
scenario,probability,description
low,0.25,a slow market
high,0.75,a fast market
zero,0,never happens
""",
}


@pytest.fixture
def case(tmp_path):
    return load_case(write_tiny_case(tmp_path / "case", **TWO_SCENARIOS))


def test_the_case_carries_its_scenario_probabilities(case):
    assert case.scenario_probabilities == {"low": 0.25, "high": 0.75, "zero": 0.0}


def test_a_view_over_some_scenarios_keeps_the_rest_of_the_case(case):
    view = case.for_scenarios({"high": 1.0, "mean": 0.5})
    assert view.scenario_probabilities == {"high": 1.0, "mean": 0.5}
    table = view.scenarios.set_index("scenario")
    assert table.loc["high", "description"] == "a fast market"
    assert (table.loc["mean", "description"], table.loc["mean", "_line"]) == ("", -1)
    assert view.demand is case.demand and view.sites is case.sites
    assert case.scenario_probabilities == {"low": 0.25, "high": 0.75, "zero": 0.0}  # untouched


def test_a_hedged_run_leaves_out_scenarios_of_probability_zero(case):
    assert hedged_case(case).scenario_probabilities == {"low": 0.25, "high": 0.75}


def test_the_mean_demand_case_is_one_scenario_of_weighted_demand(case):
    mean = mean_demand_case(hedged_case(case))
    assert mean.scenario_probabilities == {"mean": 1.0}
    gpus = mean.demand.set_index("year")["gpus"]
    assert gpus.to_dict() == pytest.approx(
        {2025: 0.25 * 1e5 + 0.75 * 3e5, 2026: 0.25 * 2e5 + 0.75 * 4e5}
    )
    assert isinstance(mean.demand, pd.DataFrame) and set(mean.demand["scenario"]) == {"mean"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"stochastic": True, "scenario": "low"}, "drop --scenario"),
        ({"cvar_alpha": 0.9}, "--cvar needs --stochastic"),
    ],
)
def test_contradicting_scenario_options_fail_before_loading(tmp_path, options, message):
    missing = tmp_path / "no such folder"
    request = SolveRequest(data_dir=missing, out_dir=tmp_path / "plan", **options)
    with pytest.raises(UsageError, match=message):
        run_solve(request)
    assert not (tmp_path / "plan").exists()
