"""The capital-budget sweep (issue 13): what each budget buys and what limits it beyond money.

The world (as in tests/test_capital.py): one site A (N3, lead 0, utilization 1, capex 1,000 USD
per wspm, every other cost 0, max_wspm 110,000), one GPU per wafer, demand 1,560,000 GPUs in
2025 only, penalty $1,000 per unmet GPU, discount rate 0 and asset life 1, so a dollar raised in
2025 costs exactly 1 dollar of financing (paid in 2026). A wspm makes 12 wafers a year.

    budget $50M:  50,000,000 / 1,000 = 50,000 wspm  -> 50,000 x 12 = 600,000 GPUs (budget binds)
    budget $100M: 100,000 wspm -> 1,200,000 GPUs (budget binds)
    budget $200M: the site holds 110,000 wspm -> 1,320,000 GPUs; only $110M is raised
                  (site_size binds, money does not)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from casebuilder import write_case

from optimizer.run.sweep import run_sweep

BUDGET = "capital_budget_musd"
DEMAND = 1_560_000
M = 1e6


def approx(x: float):
    return pytest.approx(x, rel=1e-6, abs=1e-3)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_case(
        tmp_path_factory.mktemp("capital_sweep") / "data",
        parameters={"last_year": 2026, "asset_life_years": 1, "unmet_penalty_usd_per_gpu": 1000},
        sites=[
            {
                "site": "A",
                "capex_usd_per_wspm": 1000,
                "first_build_year": 2025,
                "max_wspm": 110_000,
            }
        ],
        demand=[{"year": 2025, "gpus": DEMAND}],
    )


@pytest.fixture(scope="module")
def swept(data, tmp_path_factory):
    return run_sweep(data, [f"{BUDGET}=50,100,200"], out=tmp_path_factory.mktemp("out"), workers=1)


def test_each_budget_buys_what_hand_arithmetic_says(swept):
    t = swept.table.set_index(BUDGET)
    assert list(t.index) == ["50", "100", "200"]
    assert set(t["status"]) == {"optimal"}
    # delivered = min(budget / $1,000, 110,000 wspm) x 12 wafers x 1 GPU
    assert t.loc["50", "gpus_delivered"] == approx(50_000 * 12)  # 600,000
    assert t.loc["100", "gpus_delivered"] == approx(100_000 * 12)  # 1,200,000
    assert t.loc["200", "gpus_delivered"] == approx(110_000 * 12)  # 1,320,000: flat at the site
    for budget, delivered in [("50", 600_000), ("100", 1_200_000), ("200", 1_320_000)]:
        assert t.loc[budget, "gpus_demanded"] == approx(DEMAND)
        assert t.loc[budget, "unmet_gpus"] == approx(DEMAND - delivered)
    # capital raised: the whole budget while it binds, then only the site's 110,000 x $1,000
    assert t.loc["50", "capital_raised_usd"] == approx(50 * M)
    assert t.loc["100", "capital_raised_usd"] == approx(100 * M)
    assert t.loc["200", "capital_raised_usd"] == approx(110 * M)
    # cost without the unmet penalty = financing at 1 dollar per dollar raised; the objective
    # adds $1,000 per unmet GPU: 50M + 960,000 x 1,000 = $1,010M
    assert t.loc["50", "cost_excl_unmet_usd"] == approx(50 * M)
    assert t.loc["200", "cost_excl_unmet_usd"] == approx(110 * M)
    assert t.loc["50", "objective_usd"] == approx(50 * M + 960_000 * 1000)
    # what limits delivery: money, then the site's size
    assert list(t["binding_stage"]) == ["capital_budget", "capital_budget", "site_size"]
    # the varied parameter is an input column, not mistaken for a partner's capital column
    assert list(swept.table.columns).count(BUDGET) == 1
    on_disk = pd.read_csv(swept.out_dir / "sweep.csv", dtype={BUDGET: str}).set_index(BUDGET)
    assert list(on_disk["binding_stage"]) == list(t["binding_stage"])


def test_report_has_the_capital_curve_section_and_chart(swept):
    out = swept.out_dir
    md = (out / "sweep.md").read_text()
    assert "## What each capital budget buys" in md
    assert "| $50M | 600,000 | 960,000 | $50M | $50M | capital_budget |" in md
    assert "| $200M | 1,320,000 | 240,000 | $110M | $110M | site_size |" in md
    assert "From $200M up, money is no longer the limit: site_size is." in md
    assert "![What each capital budget buys](charts/capital_curve.svg)" in md
    svg = (out / "charts" / "capital_curve.svg").read_text()
    assert svg.count("<svg") == 1 and "limit: site_size" in svg
    html = (out / "sweep.html").read_text()
    assert "What each capital budget buys" in html and html.count("<svg") == 2  # + tornado


def test_a_sweep_without_the_budget_has_no_curve(data, tmp_path):
    # max_wspm 110,000 leaves 240,000 GPUs unmet (site_size); 200,000 > 130,000 wspm needed
    # (1,560,000 / 12) meets demand, so nothing limits delivery
    r = run_sweep(data, ["sites.max_wspm=110000,200000"], out=tmp_path / "out", workers=1)
    t = r.table.set_index("sites.max_wspm")
    assert t.loc["110000", "binding_stage"] == "site_size"
    assert t.loc["200000", "binding_stage"] == "none (demand met)"
    assert t.loc["200000", "gpus_delivered"] == approx(DEMAND)
    assert t.loc["200000", "capital_raised_usd"] == approx(130_000 * 1000)
    assert "capital budget buys" not in (r.out_dir / "sweep.md").read_text()
    assert not (r.out_dir / "charts").exists()
