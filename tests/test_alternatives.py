"""`fabplan alternatives` (issue 15 §4): each item's range within a cost slack, and a
maximally different plan that verifies. Every expected number is worked out by hand below.

The world (close to tests/test_capital.py): horizon 2025-2026 at discount rate 0, demand only
in 2026, 1,560,000 GPUs, one GPU per wafer, utilization 1, lead time 1 (so every build is decided
and funded in 2025: a 2026 build would be online after the horizon), every cost but capex zero,
asset life 1. 1,560,000 GPUs = 12 x 130,000 wspm. A dollar a partner raises in 2025 at cost of
capital r costs 1 + r (one annuity payment in 2026, undiscounted); without partners.csv the
implicit partner raises it at the discount rate 0, i.e. 1 USD per USD.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from casebuilder import approx, fabplan, write_case

from optimizer.alternatives import run_alternatives
from optimizer.errors import UsageError
from optimizer.verify import verify_plan

M = 1e6
A = {"site": "A", "capex_usd_per_wspm": 1000}


def case(path: Path, sites: list[dict] | None = None, **tables: object) -> Path:
    return write_case(
        path,
        parameters={"last_year": 2026, "asset_life_years": 1},
        sites=[{"first_build_year": 2025, "lead_time_years": 1, **s} for s in sites or [A]],
        demand=[{"year": 2026, "gpus": 1_560_000}],
        **tables,
    )


def run(data: Path, out: Path, by: str, slack: float, **options: object) -> pd.DataFrame:
    """Run in this process (one worker), check the different plan verifies, return the table."""
    run_alternatives(data, slack, by, out, workers=1, **options)
    check = verify_plan(out / "different")
    assert check.ok, check.violations
    assert any("near-optimal alternative" in w for w in check.warnings)
    return pd.read_csv(out / "alternatives.csv").set_index("item")


def test_two_equally_cheap_partners_range_from_none_to_all(tmp_path):
    # A and B both raise capital at 5%: the $130M build can be funded in any split at the
    # same cost 130M x 1.05 = 136.5M, so at slack 0 each ranges over 0 .. $130M = 0 .. 100%.
    data = case(
        tmp_path / "case",
        partners=[
            {"partner": "A", "cost_of_capital": 0.05},
            {"partner": "B", "cost_of_capital": 0.05},
        ],
    )
    t = run(data, tmp_path / "out", "partner", 0.0)
    for p in ("A", "B"):
        assert t.loc[p, "minimum"] == approx(0.0, abs_=1.0)
        assert t.loc[p, "maximum"] == approx(130 * M)
        assert t.loc[p, "min_share"] == approx(0.0)
        assert t.loc[p, "max_share"] == approx(1.0)
    assert t.loc["A", "unit"] == "USD capital"
    text = (tmp_path / "out" / "alternatives.md").read_text()
    assert "A can fund anything from 0% to 100% of the capital" in text


def test_unique_optimum_has_min_equal_max_and_slack_opens_the_dearer_partner(tmp_path):
    # A at 5%, B at 8%: least cost is all $130M from A (136.5M). At slack 0 the optimum is
    # unique: A = 130M, B = 0, min = max.
    data = case(
        tmp_path / "case",
        partners=[
            {"partner": "A", "cost_of_capital": 0.05},
            {"partner": "B", "cost_of_capital": 0.08},
        ],
    )
    t = run(data, tmp_path / "s0", "partner", 0.0)
    assert t.loc["A", "minimum"] == approx(130 * M)
    assert t.loc["A", "maximum"] == approx(130 * M)
    # the cap carries a hair of 1e-9 x C* for solver tolerance: B may take 1e-9 x 136.5M / 0.03
    # = $4.55, far below a dollar's worth of plan
    assert t.loc["B", "minimum"] == approx(0.0, abs_=1.0)
    assert t.loc["B", "maximum"] == approx(0.0, abs_=10.0)
    assert t.loc["A", "least_cost_value"] == approx(130 * M)
    # slack 1%: B may fund b with 1.05 (130M - b) + 1.08 b <= 1.01 x 136.5M
    #   0.03 b <= 1.365M  ->  b <= 45.5M (35% of 130M); A's minimum is 130M - 45.5M = 84.5M
    t = run(data, tmp_path / "s1", "partner", 0.01)
    assert t.loc["B", "maximum"] == approx(45.5 * M)
    assert t.loc["B", "max_share"] == approx(0.35)
    assert t.loc["A", "minimum"] == approx(84.5 * M)


def test_slack_lets_a_dearer_site_in(tmp_path):
    # Site A at 1,000 USD/wspm, B at 1,200; no partners.csv (1 USD per USD). Least cost: all
    # 130,000 wspm at A, $130M. At slack 10% the budget is 143M:
    #   B: 1,000 (130,000 - b) + 1,200 b <= 143M  ->  200 b <= 13M  ->  b <= 65,000 wspm
    #   A: at least 130,000 - 65,000 = 65,000; at most 143M / 1,000 = 143,000 (idle capacity)
    #   region R1 (both sites): at most 143,000 (all at A); at least 130,000 - u, where leaving
    #   u wspm unbuilt saves 1,000 u but leaves 12 u GPUs unmet at the 1,000,000 USD penalty:
    #   (12,000,000 - 1,000) u <= 13M  ->  u = 13,000,000 / 11,999,000 = 1.083424 wspm
    sites = [A, {"site": "B", "capex_usd_per_wspm": 1200}]
    data = case(tmp_path / "case", sites=sites)
    t = run(data, tmp_path / "site", "site", 0.10)
    assert t.loc["B", "minimum"] == approx(0.0)
    assert t.loc["B", "least_cost_value"] == approx(0.0)
    assert t.loc["B", "maximum"] == approx(65_000)
    assert t.loc["A", "minimum"] == approx(65_000)
    assert t.loc["A", "least_cost_value"] == approx(130_000)
    assert t.loc["A", "maximum"] == approx(143_000)
    assert t.loc["B", "unit"] == "wspm built"
    # shares of the wspm built: B's maximum plan builds 65,000 at B and 65,000 at A -> 50%;
    # A's maximum plan builds 143,000 at A only -> 100%; the least-cost plan has A at 100%
    assert t.loc["B", "max_share"] == approx(0.5)
    assert t.loc["A", "max_share"] == approx(1.0)
    assert t.loc["A", "least_cost_share"] == approx(1.0)
    r = run(data, tmp_path / "region", "region", 0.10)
    assert r.loc["R1", "minimum"] == approx(130_000 - 13_000_000 / 11_999_000)
    assert r.loc["R1", "maximum"] == approx(143_000)
    # the maximally different plan moves away from A (the only decision used): it builds the
    # 65,000 wspm at B the budget allows and 65,000 at A, costing exactly 143M
    builds = pd.read_csv(tmp_path / "site" / "different" / "builds.csv")
    assert builds.loc[builds["site"] == "B", "wspm"].sum() == approx(65_000)
    assert builds.loc[builds["site"] == "A", "wspm"].sum() == approx(65_000)


def test_keep_delivery_leaves_no_more_unmet_than_the_least_cost_plan(tmp_path):
    # The case of test_slack_lets_a_dearer_site_in: without --keep-delivery region R1's minimum is
    # 130,000 - 1.083 wspm (1.083 wspm unbuilt, 13 GPUs unmet, paid from the slack). With it the
    # least-cost plan's unmet demand (0) caps every alternative's: R1 builds at least all
    # 130,000 wspm. The maximum is unchanged (143,000 at A: idle capacity, demand all met), and
    # B can still take 65,000 (1,000 x 65,000 + 1,200 x 65,000 = 143M).
    sites = [A, {"site": "B", "capex_usd_per_wspm": 1200}]
    data = case(tmp_path / "case", sites=sites)
    r = run(data, tmp_path / "region", "region", 0.10, keep_delivery=True)
    assert r.loc["R1", "minimum"] == approx(130_000)
    assert r.loc["R1", "maximum"] == approx(143_000)
    t = run(data, tmp_path / "site", "site", 0.10, keep_delivery=True)
    assert t.loc["B", "maximum"] == approx(65_000)
    unmet = pd.read_csv(tmp_path / "site" / "different" / "unmet.csv")
    assert unmet["gpus"].sum() == approx(0.0)  # an empty table sums to 0 too


def test_cli_parallel_workers_and_errors(tmp_path):
    data = case(
        tmp_path / "case",
        partners=[
            {"partner": "A", "cost_of_capital": 0.05},
            {"partner": "B", "cost_of_capital": 0.05},
        ],
    )
    out = tmp_path / "out"
    r = fabplan(
        "alternatives", data, "--by", "partner", "--slack", "0", "--out", out, "--workers", "2"
    )
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(out / "alternatives.csv").set_index("item")
    assert t.loc["B", "max_share"] == approx(1.0)  # same hand case as the first test
    assert verify_plan(out / "different").ok
    # a rerun may replace its own output folder
    assert fabplan("alternatives", data, "--slack", "0", "--out", out).returncode == 0
    # bad options: exit 2, nothing written
    for args in (["--slack", "-1"], ["--by", "country"], ["--workers", "0"]):
        bad = tmp_path / f"bad{args[0]}"
        r = fabplan("alternatives", data, *args, "--out", bad)
        assert r.returncode == 2, (args, r.stderr)
        assert not bad.exists()
    # a folder fabplan did not write is never overwritten
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    r = fabplan("alternatives", data, "--out", foreign)
    assert r.returncode == 2
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]


def test_dimension_without_items_is_a_usage_error(tmp_path):
    data = case(tmp_path / "case")  # no operators
    with pytest.raises(UsageError, match="no operators"):
        run_alternatives(data, 0.05, "operator", tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()
