"""The report of a staged plan (parameters.csv stage_year, issue 15 §1): the Decide now, decide
later section, and sections that read one scenario's view without double counting.

Hand case: one site A (no existing capacity, capex $1,000/wspm, opex $10/wafer, no lead time,
one GPU per wafer), horizon 2025-2027, discount 0, stage year 2026, penalty $1M per GPU unmet.
Demand (GPUs): 2025 1,200 in both scenarios; 2026 and 2027: low (p 0.25) 600, high (p 0.75)
2,400. 1,200 GPUs a year need 1,200 / 12 = 100 wspm.
- 2025 is decided now (before 2026), the same in both scenarios: build 100 wspm ($100,000),
  funded by BANK.
- From 2026, per scenario: low needs 600 / 12 = 50 wspm < 100 -> builds nothing; high needs
  2,400 / 12 = 200 wspm -> builds 100 more ($100,000).
Utilisation (wafers / (12 x the scenario's OWN available wspm)):
- 2025: 1,200 / (12 x 100) = 100% in both;
- 2026: low 600 / (12 x 100) = 50%; high 2,400 / (12 x 200) = 100%.
  Pooling both scenarios' capacity rows (100 + 200 = 300 wspm) would give high
  2,400 / 3,600 = 67%: the test tells the two apart.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from casebuilder import approx, write_case

from optimizer.plan import figures, statistics
from optimizer.plan.read import read_plan
from optimizer.render import markdown
from optimizer.report.sections import build_document, staged_plan_view, stages
from optimizer.run import SolveRequest, run_solve

DEMAND = {"low": {2025: 1200, 2026: 600, 2027: 600}, "high": {2025: 1200, 2026: 2400, 2027: 2400}}


def staged_case(path: Path) -> Path:
    return write_case(
        path,
        parameters={"last_year": 2027, "stage_year": 2026},
        sites=[{"site": "A", "capex_usd_per_wspm": 1000, "opex_usd_per_wafer": 10}],
        partners=[{"partner": "BANK"}],
        demand=[
            {"scenario": s, "year": y, "gpus": g}
            for s, row in DEMAND.items()
            for y, g in row.items()
        ],
        scenarios=[
            {"scenario": "low", "probability": 0.25},
            {"scenario": "high", "probability": 0.75},
        ],
    )


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    root = tmp_path_factory.mktemp("staged_report")
    out = root / "plan"
    result = run_solve(
        SolveRequest(
            data_dir=staged_case(root / "data"),
            stochastic=True,
            out_dir=out,
            report_formats=("html", "md"),
        )
    )
    assert result.summary["status"] == "optimal"
    return read_plan(out)


def test_decide_now_lists_the_shared_build(plan):
    n = stages.numbers(plan)
    assert n.stage_year == 2026
    b = n.builds_now
    assert list(b["site"]) == ["A"] and list(b["year"]) == [2025]
    assert float(b["wspm"].sum()) == approx(100)  # 1,200 GPUs / 12
    assert float(b["capex_usd"].sum()) == approx(100 * 1000)
    assert list(b["partners"]) == ["BANK"]
    assert n.capital_now_usd == approx(100_000)
    later = n.later.set_index("scenario")
    assert later.loc["low", "wspm"] == approx(0)  # 50 wspm needed, 100 installed
    assert later.loc["high", "wspm"] == approx(100)  # 200 needed - 100 installed
    assert later.loc["high", "capital_usd"] == approx(100_000)
    assert later.loc["high", "probability"] == approx(0.75)


def test_section_text_names_the_decisions(plan):
    doc = build_document(plan)
    titles = [s.title for s in doc.sections]
    assert "Decide now, decide later" in titles
    md = markdown.render(doc)
    assert "Commit $100,000 to 1 build (100 wspm) at A before 2026" in md
    assert "build 0 wspm more if low comes true and 100 wspm if high does" in md
    # the builds section shows the most probable scenario's plan (high: 100 + 100), labelled
    assert "Plan for scenario high (the most probable, 75%)" in md
    assert "| Capital raised from partners for fabs | $200,000 |" in md


def test_view_is_the_most_probable_scenario(plan):
    assert staged_plan_view(plan).summary["view_scenario"] == "high"
    assert stages.stage_year(staged_plan_view(plan)) is None  # a view has no scenario column


def test_utilisation_uses_each_scenarios_own_capacity(plan):
    long = statistics.utilization_by_scenario_site(plan).set_index(["scenario", "year"])
    assert long.loc[("low", 2025), "load"] == approx(1.0)  # 1,200 / (12 x 100)
    assert long.loc[("low", 2026), "load"] == approx(0.5)  # 600 / (12 x 100)
    assert long.loc[("high", 2026), "load"] == approx(1.0)  # 2,400 / (12 x 200), not 2/3
    wide = figures.utilisation_by_scenario(plan)
    assert wide.loc["low", 2026] == approx(0.5)
    assert wide.loc["high", 2027] == approx(1.0)
    # the view of scenario high: its own wafers against its own capacity
    view = statistics.utilization(staged_plan_view(plan))
    assert view.loc["A", 2026] == approx(1.0)
    assert view.loc["A", 2025] == approx(1.0)


def test_headline_of_the_view_counts_each_build_once(plan):
    head = statistics.headline(staged_plan_view(plan))
    assert head.wspm_built == approx(100 + 100)  # shared 2025 + high's 2026, not + low's
    assert head.capital_usd == approx(200_000)
    assert head.builds == 2
