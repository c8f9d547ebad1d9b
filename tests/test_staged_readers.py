"""Readers of a staged plan's decision tables besides the report (issue 15, section 1): compare,
sweep metrics, the workbook, alternatives and Plan's stage properties.

Hand case (module `staged_case`): one site X (N3, capex $12,000/wspm, opex $100/wafer, lead
time 1 year, asset life 1, discount 0, so a dollar of capex costs one dollar of financing),
horizon 2025-2027, two scenarios of probability 0.5:
    demand 2026: 1,200 GPUs in both; 2027: low 1,200, high 2,400 (one GPU per wafer, 12 wafers
    per wspm-year, so 100 wspm serve 1,200 GPUs a year). Unmet GPUs cost $3,750.
One more wspm costs 12,000 and serves 12 GPUs: $1,000 per GPU, less than the 0.5 x 3,750
expected penalty it saves, so a plan that must decide everything now builds for the high demand.

- Two-stage plan (no stage year): 200 wspm built in 2025 (online 2026), in every scenario.
  Capital 200 x 12,000 = 2,400,000. Cost 2,400,000 + opex (1,200 + 0.5 x 1,200 + 0.5 x 2,400)
  x 100 = 300,000 -> 2,700,000.
- Staged plan (stage_year 2026): the 2025 build (decided now) is 100 wspm for 2026's demand;
  the 2026 build is per scenario: high builds 100 more (online 2027), low nothing.
  Expected build in 2026: 0.5 x 100 = 50 wspm; expected wspm built 100 + 50 = 150.
  Expected capital 1,200,000 + 0.5 x 1,200,000 = 1,800,000; cost 1,800,000 + 300,000 =
  2,100,000. Installed 2027: low 100, high 200 -> expected 150.

Both plans pass the independent checker (optimizer.verify) before any reader sees them.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from casebuilder import approx, write_case

from optimizer.compare import compare_plans
from optimizer.plan.read import read_plan
from optimizer.report.excel import write_workbook
from optimizer.run import SolveRequest, run_solve
from optimizer.sweep import delivery
from optimizer.sweep.worker import plan_metrics
from optimizer.verify import verify_plan

SITE = {"site": "X", "capex_usd_per_wspm": 12_000, "opex_usd_per_wafer": 100, "lead_time_years": 1}
DEMAND = [("low", 2026, 1200), ("high", 2026, 1200), ("low", 2027, 1200), ("high", 2027, 2400)]


def staged_case(path: Path, stage_year: int | None = None) -> Path:
    params: dict[str, object] = {
        "last_year": 2027,
        "asset_life_years": 1,
        "unmet_penalty_usd_per_gpu": 3750,
    }
    if stage_year is not None:
        params["stage_year"] = stage_year
    return write_case(
        path,
        parameters=params,
        sites=[SITE],
        partners=[{"partner": "BANK"}],
        demand=[{"scenario": s, "year": y, "gpus": g} for s, y, g in DEMAND],
        scenarios=[
            {"scenario": "low", "probability": 0.5},
            {"scenario": "high", "probability": 0.5},
        ],
    )


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> dict[str, Path]:
    """The two-stage and the staged plan folders of the hand case."""
    root = tmp_path_factory.mktemp("staged_readers")
    data = staged_case(root / "data")
    out = {}
    for name, overrides in (("two", {}), ("staged", {"stage_year": "2026"})):
        request = SolveRequest(
            data_dir=data,
            out_dir=root / name,
            stochastic=True,
            overrides=overrides,
            report_formats=(),
        )
        result = run_solve(request)
        assert result.summary["status"] == "optimal"
        check = verify_plan(result.out_dir)  # the independent checker passes both plans
        assert check.ok, check.violations
        out[name] = result.out_dir
    return out


def test_the_case_is_staged_as_derived(plans):
    b = read_plan(plans["staged"])["builds"]
    rows = {(s, y): w for s, y, w in zip(b["scenario"], b["year"], b["wspm"], strict=True)}
    assert rows[("all", 2025)] == approx(100)
    assert rows[("high", 2026)] == approx(100)
    assert rows.get(("low", 2026), 0.0) == approx(0)


def test_plan_stage_properties(plans):
    staged, two = read_plan(plans["staged"]), read_plan(plans["two"])
    assert staged.stage_year == 2026 and staged.staged
    assert two.stage_year is None and not two.staged


def test_compare_staged_against_two_stage_by_hand(plans):
    c = compare_plans(plans["two"], plans["staged"])
    builds = c.builds.set_index(["site", "year"])
    # 2025: 200 (two-stage) vs 100 decided now; 2026: 0 vs 0.5 x 100 = 50 expected
    assert builds.loc[("X", 2025), "diff_wspm"] == approx(100 - 200)
    assert builds.loc[("X", 2026), "wspm_b"] == approx(50)
    assert c.sites.set_index("site").loc["X", "wspm_b"] == approx(150)  # not 100 + 100 + 0
    cap = c.capacity.set_index(["region", "year"])
    assert cap.loc[("R1", 2026), "installed_wspm_b"] == approx(100)
    assert cap.loc[("R1", 2027), "installed_wspm_b"] == approx(0.5 * 100 + 0.5 * 200)
    partners = c.partners.set_index("partner")
    assert partners.loc["BANK", "usd_a"] == approx(2_400_000)
    assert partners.loc["BANK", "usd_b"] == approx(1_200_000 + 0.5 * 1_200_000)
    assert partners.loc["BANK", "share_b"] == approx(1.0)  # 0.5 x 100% + 0.5 x 100%
    head = c.headline.set_index("measure")
    assert head.loc["Capacity built (wspm)", "diff"] == approx(150 - 200)
    assert head.loc["Capital raised from partners for fabs", "b"] == approx(1_800_000)
    assert c.cost_diff_usd == approx(2_100_000 - 2_700_000)
    staged = [w for w in c.warnings if "is staged" in w]
    assert len(staged) == 1 and "Plan B is staged" in staged[0] and "2026" in staged[0]
    assert "plan A makes every decision now" in staged[0]


def test_compare_a_staged_plan_with_itself_finds_nothing(plans):
    c = compare_plans(plans["staged"], plans["staged"])
    assert not c.decisions_differ
    assert not any("staged" in w for w in c.warnings)
    assert c.headline.set_index("measure").loc["Capacity built (wspm)", "a"] == approx(150)


def test_sweep_metrics_are_expected_values(plans):
    m = plan_metrics(plans["staged"])
    assert m["wspm_built"] == approx(100 + 0.5 * 100)
    assert m["capital_usd"] == approx(1_800_000)
    assert m["capital_BANK_usd"] == approx(1_800_000)
    assert m["capital_raised_usd"] == approx(1_800_000)  # capital_sources: 1.2M all + 0.5 x 1.2M
    assert m["capacity_R1_wspm"] == approx(150)  # 2027: 0.5 x 100 + 0.5 x 200
    two = plan_metrics(plans["two"])
    assert two["wspm_built"] == approx(200) and two["capital_usd"] == approx(2_400_000)


def test_site_size_check_uses_each_scenarios_own_capacity(plans):
    cap = delivery._scenario_capacity(read_plan(plans["staged"]))
    got = cap.set_index(["scenario", "site", "year"])["installed_wspm"]
    assert got[("low", "X", 2027)] == approx(100)
    assert got[("high", "X", 2027)] == approx(200)
    assert got[("low", "X", 2025)] == approx(0)  # the shared 2025 row, in each scenario
    assert got[("high", "X", 2025)] == approx(0)


def test_workbook_keeps_the_scenario_column(plans, tmp_path):
    path = write_workbook(read_plan(plans["staged"]), tmp_path / "plan.xlsx")
    ws = openpyxl.load_workbook(path)["builds"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "scenario"
    csv = pd.read_csv(plans["staged"] / "builds.csv", keep_default_na=False)
    assert [r[0] for r in rows[1:]] == list(csv["scenario"])
    assert "all" in [r[0] for r in rows[1:]]
    summary = {
        r[0]: r[1:] for r in openpyxl.load_workbook(path)["summary"].iter_rows(values_only=True)
    }
    assert summary["stage year"][0] == 2026 and "before 2026" in summary["stage year"][1]


def test_alternatives_ignore_the_stage_year_of_one_scenario(tmp_path):
    # alternatives solves one scenario (--scenario), where a stage year changes nothing: the
    # run succeeds and its plans are unstaged. In scenario high the least cost is the 200 wspm
    # for 2,400 GPUs in 2027 (capital 2,400,000), wherever it is dated.
    from optimizer.alternatives import run_alternatives

    data = staged_case(tmp_path / "data", stage_year=2026)
    out = run_alternatives(data, 0.0, "site", tmp_path / "out", workers=1, scenario="high")
    different = read_plan(out / "different")
    assert not different.staged and "scenario" not in different["builds"].columns
    assert float(different["builds"]["wspm"].sum()) == approx(200)
