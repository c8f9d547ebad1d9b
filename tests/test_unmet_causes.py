"""Why demand goes unmet, in numbers (issue 15 §2): optimizer/plan/unmet_causes.py.

Each hand case has exactly one cause of its shortfall; the test asserts the cause is named with its
number (the limit's size and the saving one more unit of it brings, from the shadow price).

The world of these cases (tests/casebuilder.py): one site on N3, one GPU per wafer, utilization 1,
every cost 0 unless given, discount rate 0, unmet-demand penalty $1,000,000 per GPU, horizon 2025
(2025-2026 where a lead time or a repayment year is needed). A wspm runs 12 wafers a year.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from casebuilder import approx, solve_and_verify, write_case

from optimizer.plan import unmet_causes
from optimizer.plan.read import read_plan

PENALTY = 1_000_000.0  # casebuilder's default unmet_penalty_usd_per_gpu
NO_CAPITAL = "capital is not the limit (no capital row binds)"


def solved(data: Path, tmp_path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Solve and verify the case, then rank its causes and write its sentences."""
    r = solve_and_verify(data, tmp_path)
    plan = read_plan(r.out_dir)
    return unmet_causes.ranked(plan), unmet_causes.sentences(plan)


def only_cause(table: pd.DataFrame, kind: str) -> pd.Series:
    """The single (kind, item) of the run with positive impact or, for lead times, listed."""
    named = table[(table["impact_usd"] > 0) | (table["kind"] == "lead time")]
    deeper = named[named["kind"] != unmet_causes.PROXIMATE]
    named = deeper if len(deeper) else named
    assert set(named["kind"]) == {kind}, named[["kind", "item", "impact_usd"]]
    assert len(named) == 1, named[["kind", "item", "impact_usd"]]
    return named.iloc[0]


def test_lead_time_alone(tmp_path):
    # Site A: nothing installed, max 1,000,000 wspm, lead time 1 year from 2025: a build decided
    # in 2025 is online in 2026 at the earliest. Demand 1,200 GPUs in 2025 -> all 1,200 unmet.
    data = write_case(
        tmp_path / "case",
        parameters={"last_year": 2026},
        sites=[{"site": "A", "lead_time_years": 1}],
        demand={2025: 1200},
    )
    table, text = solved(data, tmp_path)
    row = only_cause(table, "lead time")
    assert row["item"] == "A"
    assert row["quantity"] == approx(1_000_000)  # room: 1,000,000 - 0 installed
    assert row["from_year"] + row["lead_time_years"] == 2026  # 2025 + 1
    assert text == [
        "2025 (base): 1,200 GPUs unmet. Binding, by impact: A has 1,000,000 wspm of room that "
        "can be online only from 2026 (first build 2025 + lead time 1 year); " + NO_CAPITAL + "."
    ]


def test_site_limit_alone(tmp_path):
    # A: 100 wspm, also its max -> 12 x 100 = 1,200 wafers = 1,200 GPUs; demand 1,500 -> 300 unmet.
    # One more wafer of room serves one more GPU: saves the $1,000,000 penalty (all costs 0).
    data = write_case(
        tmp_path / "case",
        sites=[{"site": "A", "existing_wspm": 100, "max_wspm": 100}],
        demand={2025: 1500},
    )
    table, text = solved(data, tmp_path)
    row = only_cause(table, "site limit")
    assert row["item"] == "A" and row["quantity"] == approx(100)
    assert row["shadow_price"] == approx(-PENALTY)
    assert text[0].startswith("2025 (base): 300 GPUs unmet. Binding, by impact: A is built out")
    assert "its max_wspm of 100 wspm (one more wafer would save $1M in 2025)" in text[0]
    assert text[0].endswith(NO_CAPITAL + ".")


def test_capital_commitment_alone(tmp_path):
    # tests/test_capital.py's world: capex $1,000 per wspm, asset life 1 year, horizon 2025-2026,
    # penalty $1,000, demand 1,560,000 GPUs in 2025. Partner P commits $100M at 5%: 100,000 wspm
    # -> 1,200,000 GPUs, 360,000 unmet. A dollar more: 1/1,000 wspm -> 12/1,000 GPUs x $1,000 =
    # $12 of penalty saved, less its financing: annuity of 1 year at 5% repaid in 2026 at
    # discount 0 = $1.05 -> saves 12 - 1.05 = $10.95.
    data = write_case(
        tmp_path / "case",
        parameters={"last_year": 2026, "asset_life_years": 1, "unmet_penalty_usd_per_gpu": 1000},
        sites=[{"site": "A", "capex_usd_per_wspm": 1000}],
        demand={2025: 1_560_000},
        partners=[{"partner": "P", "max_commitment_musd": 100, "cost_of_capital": 0.05}],
    )
    table, text = solved(data, tmp_path)
    row = only_cause(table, "capital")
    assert row["item"] == "P" and row["family"] == "commitment"
    assert row["quantity"] == approx(100e6)
    assert row["shadow_price"] == approx(-10.95)
    assert text == [
        "2025 (base): 360,000 GPUs unmet. Binding, by impact: partner P is at its commitment of "
        "$100M (one more dollar would save $10.95)."
    ]


def test_energy_contract_alone(tmp_path):
    # A: 10,000 wspm (120,000 wafers a year), 1 MWh per wafer; contract E1 max 1 MW at capacity
    # factor 1 = 8,760 MWh = 8,760 wafers = 8,760 GPUs; demand 10,000 -> 1,240 unmet. One more
    # MWh: one more GPU, saving the $1,000,000 penalty (energy price 0).
    data = write_case(
        tmp_path / "case",
        sites=[{"site": "A", "existing_wspm": 10_000, "energy_mwh_per_wafer": 1}],
        energy=[{"contract": "E1", "max_mw": 1}],
        demand={2025: 10_000},
    )
    table, text = solved(data, tmp_path)
    row = only_cause(table, "energy")
    assert row["item"] == "E1" and row["quantity"] == approx(1)
    assert row["shadow_price"] == approx(-PENALTY)
    assert "1,240 GPUs unmet" in text[0]
    assert "energy contract E1 delivers all its max_mw of 1 MW" in text[0]
    assert "one more MWh would save $1M in 2025" in text[0]


def test_tool_supply_alone(tmp_path):
    # EUV: 1 tool per 1,000 wspm of N3, 1 tool in 2025 -> 1,000 wspm -> 12,000 GPUs; demand
    # 24,000 -> 12,000 unmet. One more tool: 1,000 wspm more = 12,000 GPUs x $1,000,000 = $12B.
    data = write_case(
        tmp_path / "case",
        sites=[{"site": "A"}],
        demand={2025: 24_000},
        tools=[{"tool": "EUV", "year": 2025, "units": 1}],
        tool_use=[{"process": "N3", "tool": "EUV", "units_per_kwspm": 1}],
    )
    table, text = solved(data, tmp_path)
    row = only_cause(table, "tools")
    assert row["item"] == "EUV" and row["quantity"] == approx(1)
    assert row["shadow_price"] == approx(-12_000 * PENALTY)
    assert "12,000 GPUs unmet" in text[0]
    assert "EUV tools are used up (1 delivered by 2025; one more" in text[0]


def test_packaging_stage_alone(tmp_path):
    # GPU = 2 logic dies (N3, 20 per wafer) on one CoWoS interposer (4 per wafer, final). Logic L
    # 1,000 wspm (room to spare); packaging K 100 wspm = its max -> 1,200 wafers x 4 = 4,800 GPUs;
    # demand 12,000 -> 7,200 unmet. One more CoWoS wafer: 4 GPUs x $1,000,000 less its 8 dies =
    # 0.4 N3 wafers x $100 opex and its own $50 opex -> 4,000,000 - 40 - 50 = $3,999,910.
    data = write_case(
        tmp_path / "case",
        sites=[
            {"site": "L", "node": "N3", "existing_wspm": 1000, "opex_usd_per_wafer": 100},
            {
                "site": "K",
                "node": "CoWoS",
                "existing_wspm": 100,
                "max_wspm": 100,
                "opex_usd_per_wafer": 50,
            },
        ],
        processes=[
            {"process": "N3", "group": "logic"},
            {"process": "CoWoS", "group": "packaging"},
        ],
        products=[{"product": "P1", "node": "CoWoS", "gpus_per_wafer": 4}],
        recipes=[
            {"product": "P1", "process": "N3", "per_wafer": 20, "per_gpu": 2, "final": 0},
            {"product": "P1", "process": "CoWoS", "per_wafer": 4, "per_gpu": 1, "final": 1},
        ],
        demand={2025: 12_000},
    )
    table, text = solved(data, tmp_path)
    row = only_cause(table, "site limit")
    assert row["item"] == "K" and row["stage"] == "packaging"
    assert row["shadow_price"] == approx(-3_999_910)
    assert "7,200 GPUs unmet" in text[0]
    assert "packaging site K is built out to its max_wspm of 100 wspm" in text[0]


def test_concentration_cap_alone(tmp_path):
    # Region R1 (site A, build free) is capped at 60% of all installed capacity; R2's site D has
    # 400 wspm that never run (opex $2M a wafer > the penalty) and building at D costs $100M per
    # wspm (asset life 1, repaid in 2026, rate 0), more than the 1.5 wspm = 18 GPUs = $18M it
    # would let A add. So C <= 0.6 (C + 400) -> 0.4 C <= 240 -> C = 600 wspm = 7,200 GPUs; demand
    # 12,000 -> 4,800 unmet. One more wspm of room (0.4 C <= 241): C + 2.5 = 30 GPUs = $30M.
    # R1's share of the installed capacity: 600 / (600 + 400) = 60%.
    data = write_case(
        tmp_path / "case",
        parameters={"last_year": 2026, "asset_life_years": 1},
        sites=[
            {"site": "A"},
            {
                "site": "D",
                "region": "R2",
                "existing_wspm": 400,
                "opex_usd_per_wafer": 2_000_000,
                "capex_usd_per_wspm": 100_000_000,
            },
        ],
        regions=[
            {"region": "R1", "max_capacity_share": 0.6},
            {"region": "R2"},
        ],
        shipping=[{"region": "R1"}, {"region": "R2"}],
        demand={2025: 12_000},
    )
    table, text = solved(data, tmp_path)
    row = only_cause(table, "concentration")
    assert row["item"] == "R1"
    assert row["quantity"] == approx(0.6)
    assert row["shadow_price"] == approx(-30 * PENALTY)
    assert "4,800 GPUs unmet" in text[0]
    assert "R1 is at its concentration limit (60.0% of the capacity; one more wspm" in text[0]


def test_no_sentence_when_demand_is_met(tmp_path):
    data = write_case(tmp_path / "case", sites=[{"site": "A"}], demand={2025: 1200})
    table, text = solved(data, tmp_path)
    assert table.empty and text == []


@pytest.mark.parametrize("years", [[2032, 2033, 2035]])
def test_runs_split_at_a_gap(years):
    # 2032-2033 one run, 2035 another: sums per run 1 + 2 and 3.
    from optimizer.plan.read import Plan

    unmet = pd.DataFrame(
        {"scenario": "base", "product": "P1", "market": "m", "year": years, "gpus": [1, 2, 3]}
    )
    plan = Plan(Path("."), {}, {"unmet": unmet}, {"unmet"})
    spans = unmet_causes.runs(plan)
    assert spans[["first_year", "last_year", "gpus"]].values.tolist() == [
        [2032, 2033, 3],
        [2035, 2035, 3],
    ]


def test_the_report_warning_names_the_causes_not_the_generic_sentence(tmp_path):
    # tests/data/report_plan: 128,000 + 256,000 + 444,000 + 281,200 = 1,109,200 GPUs unmet in
    # 2027-2028; US_TX is at its max_wspm of 45,000 (sites.csv) and its site_size row (2027)
    # has the largest impact among the rows of those years: $17.46B.
    import shutil

    from optimizer.report import write_reports

    plan = tmp_path / "plan"
    shutil.copytree(Path(__file__).parent / "data" / "report_plan", plan)
    write_reports(plan, ["md"])
    md = (plan / "report.md").read_text()
    assert "would cost more than the unmet-demand penalty" not in md
    assert "cannot be built in time" not in md
    assert (
        "2027–2028 (base): 1.11 million GPUs unmet. Binding, by impact: US_TX is built out to "
        "its max_wspm of 45,000 wspm (one more wspm would save $388,000 in 2027)"
    ) in md


def test_export_lane_alone(tmp_path):
    # One site B in region R2 (100 wspm existing = max, 12 x 100 = 1,200 GPUs a year; opex $10 a
    # wafer, so it makes no wafer it cannot ship) and two markets, 600 GPUs each in 2025;
    # shipping.csv has the lane R2 -> M1 only. B serves M1's 600 and idles 1,200 - 600 = 600
    # wafers = 600 / 12 = 50 wspm; M2's 600 GPUs cannot travel: no ship column, no binding row,
    # so only the missing lane explains them.
    data = write_case(
        tmp_path / "case",
        sites=[
            {
                "site": "B",
                "region": "R2",
                "existing_wspm": 100,
                "max_wspm": 100,
                "opex_usd_per_wafer": 10,
            }
        ],
        shipping=[{"region": "R2", "market": "M1"}],
        demand=[{"market": "M1", "gpus": 600}, {"market": "M2", "gpus": 600}],
    )
    table, text = solved(data, tmp_path)
    lanes = table[table["kind"] == "export lanes"]
    assert list(lanes["item"]) == ["R2 -> M2"]
    assert lanes["quantity"].iloc[0] == approx(50)
    assert (table[table["kind"] != "export lanes"]["impact_usd"] == 0).all()  # nothing binds
    assert text[0].startswith("2025 (base): 600 GPUs unmet. Binding, by impact: ")
    assert "no shipping lane R2 -> M2 (50 wspm of its assembly capacity idle in 2025" in text[0]
    assert text[0].endswith(NO_CAPITAL + ".")
