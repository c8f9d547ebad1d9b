"""Minimum regional shares (regions.csv min_capacity_share) and per-product unmet penalties
(products.csv unmet_penalty_usd_per_gpu), issue 13. Every expected number is worked out by hand
in the comments.

Floor: from from_year, installed capacity of region r (existing + nameplate online) of the
counted processes >= min_capacity_share x all installed capacity of those processes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from casebuilder import (
    LOGIC_ONLY,
    SUPPLY_CHAIN,
    SUPPLY_CHAIN_OBJECTIVE_USD,
    approx,
    fabplan,
    solve_and_verify,
    value,
    write_case,
)

from optimizer.diagnose import screen
from optimizer.errors import InputError, Problem
from optimizer.inputs import load_case
from optimizer.verify import verify_plan

ROOT = Path(__file__).resolve().parents[1]


# --- (1) a minimum share forces a build into the dear region -------------------------------------


def floor_case(path: Path, floor: float | None = 0.4, from_year: int = 2026) -> Path:
    """Horizon 2025-2026, discount 0, asset life 1 (a dollar raised in 2025 is repaid in full in
    2026). A (region RA) $100,000/wspm, B (RB) $300,000/wspm, both lead 1, nothing existing, 1
    GPU per wafer, utilization 1. Demand 12,000 GPUs in 2026 = 12 x 1,000 wspm decided in 2025.
    regions.csv: RB holds at least `floor` of the installed capacity from `from_year`."""
    regions = (
        [{"region": "RB", "min_capacity_share": floor, "from_year": from_year}]
        if floor is not None
        else None
    )
    return write_case(
        path,
        parameters={"last_year": 2026, "asset_life_years": 1},
        sites=[
            {"site": "A", "region": "RA", "capex_usd_per_wspm": 100_000, "lead_time_years": 1},
            {"site": "B", "region": "RB", "capex_usd_per_wspm": 300_000, "lead_time_years": 1},
        ],
        demand={2026: 12_000},
        regions=regions,
    )


def test_without_a_floor_the_cheap_region_builds_everything(tmp_path):
    r = solve_and_verify(floor_case(tmp_path / "case", floor=None), tmp_path)
    # 1,000 wspm at A x $100,000 = $100,000,000
    assert value(r.tables["builds"], "wspm", site="A") == approx(1000)
    assert value(r.tables["builds"], "wspm", site="B") == approx(0)
    assert r.summary["objective_usd"] == approx(100_000_000)


def test_a_minimum_share_makes_the_dear_region_build_exactly_its_share(tmp_path):
    r = solve_and_verify(floor_case(tmp_path / "case"), tmp_path)
    # B_B >= 0.4 (B_A + B_B) <=> B_B >= 2/3 B_A, and B_A + B_B >= 1,000 for the demand.
    # Each wspm moved from A to B costs $200,000 more, so B builds no more than the floor needs:
    # B_B = 0.4 x 1,000 = 400, B_A = 600 (building more than 1,000 in total only costs more).
    builds = r.tables["builds"]
    assert value(builds, "wspm", site="A", year=2025) == approx(600)
    assert value(builds, "wspm", site="B", year=2025) == approx(400)
    assert r.tables["unmet"].empty
    # objective = 600 x $100,000 + 400 x $300,000 = $60M + $120M = $180,000,000
    assert r.summary["objective_usd"] == approx(180_000_000)
    # one wspm more required in RB moves one wspm from A to B: $300,000 - $100,000 = $200,000
    b = r.tables["binding"]
    row = b[b["family"] == "min_capacity_share"]
    assert list(row["year"]) == [2026] and list(row["region"]) == ["RB"]
    assert abs(row["shadow_price"].iloc[0]) == approx(200_000, abs_=1e-3)
    assert row["meaning"].iloc[0] == (
        "RB is held at its minimum share in 2026: each extra wspm required costs $200,000.00"
    )


def test_a_floor_from_after_the_build_year_does_not_bind_before(tmp_path):
    # from_year 2027 is after last_year 2026: the floor never applies -> $100M as without it
    r = solve_and_verify(floor_case(tmp_path / "case", from_year=2027), tmp_path)
    assert r.summary["objective_usd"] == approx(100_000_000)


def test_screening_is_silent_about_a_floor_that_forces_nothing(tmp_path):
    # nothing exists anywhere: RB starts at 0 of 0 and must add (0.4 x 0 - 0) / 0.6 = 0 wspm
    # before others build; B can hold all of it (share 1 >= 0.4): neither warning nor error
    case = load_case(floor_case(tmp_path / "ok"))
    assert [p for p in screen(case) if p.column == "min_capacity_share"] == []


def test_screening_errors_on_a_floor_no_plan_can_reach(tmp_path):
    # A (RA) has 1,000 wspm existing; B (RB) max_wspm 500, lead 1, so from 2026 RB can hold at
    # most 500 of 1,500: 1/3 < 0.4 -> error; with max_wspm 1,000: 1,000 / 2,000 = 0.5 >= 0.4,
    # and RB must add at least (0.4 x 1,000 - 0) / 0.6 = 666.67 wspm by 2026: a warning.
    def case_with(max_b: float) -> Path:
        return write_case(
            tmp_path / f"b{int(max_b)}",
            parameters={"last_year": 2026},
            sites=[
                {"site": "A", "region": "RA", "existing_wspm": 1000},
                {"site": "B", "region": "RB", "max_wspm": max_b, "lead_time_years": 1},
            ],
            demand={2026: 1000},
            regions=[{"region": "RB", "min_capacity_share": 0.4, "from_year": 2026}],
        )

    (p,) = [p for p in screen(load_case(case_with(500))) if p.column == "min_capacity_share"]
    assert (p.severity, p.file, p.line) == ("error", "regions.csv", 2)
    assert "RB can hold at most 500 wspm in 2026" in p.expected
    assert "1,000 wspm existing elsewhere" in p.expected and "at most 0.33" in p.expected
    (w,) = [p for p in screen(load_case(case_with(1000))) if p.column == "min_capacity_share"]
    assert w.severity == "warning"
    assert "forces builds in RB: at least 667 wspm online by 2026 (B)" in w.expected


def test_the_elastic_diagnosis_explains_a_violated_floor(tmp_path):
    from optimizer.diagnose.explain_min_share import min_share

    # the case above with max_wspm 500: RB can hold 500 of 1,500 by 2026; the elastic solve
    # would leave the row short by 0.4 x 1,500 - 500 = 100 wspm (RB at 500, A at 1,000)
    data = write_case(
        tmp_path / "case",
        parameters={"last_year": 2026},
        sites=[
            {"site": "A", "region": "RA", "existing_wspm": 1000},
            {"site": "B", "region": "RB", "max_wspm": 500, "lead_time_years": 1},
        ],
        demand={2026: 1000},
        regions=[{"region": "RB", "min_capacity_share": 0.4, "from_year": 2026}],
    )
    rows = pd.DataFrame(
        {"region": ["RB"], "process": [""], "year": [2026], "amount": [100.0], "size": [100.0]}
    )
    ((size, text),) = min_share(load_case(data), "min_capacity_share", rows)
    assert size == 100.0
    assert text == (
        "regions.csv line 2: RB min_capacity_share 0.40 from 2026 falls short by 100 wspm in "
        "2026: its sites can hold at most 500 wspm by 2026 (B; max_wspm and lead_time_years) "
        "against 1,000 wspm elsewhere, at most 0.3333; lower min_capacity_share or move "
        "from_year later"
    )


# --- (2) a per-product penalty: one product served, the other left unmet ------------------------


def penalty_case(path: Path) -> Path:
    """One year (2025), discount 0. Site A has 1,000 wspm existing and no room to build (12,000
    wafers a year), opex $5,000 per wafer, 1 GPU per wafer: serving a GPU costs $5,000. Demand
    1,000 GPUs of P1 and
    1,000 of P2 (both N3). P1's own penalty $2,000 (below its cost); P2 has none, so the
    parameter $8,000 (above its cost)."""
    return write_case(
        path,
        parameters={"unmet_penalty_usd_per_gpu": 8000},
        sites=[{"site": "A", "existing_wspm": 1000, "max_wspm": 1000, "opex_usd_per_wafer": 5000}],
        products=[
            {"product": "P1", "unmet_penalty_usd_per_gpu": 2000},
            {"product": "P2", "unmet_penalty_usd_per_gpu": None},
        ],
        demand=[
            {"year": 2025, "product": "P1", "gpus": 1000},
            {"year": 2025, "product": "P2", "gpus": 1000},
        ],
    )


def test_a_product_penalty_below_its_cost_leaves_it_unmet_and_the_other_served(tmp_path):
    r = solve_and_verify(penalty_case(tmp_path / "case"), tmp_path)
    # P1: $2,000 < $5,000 -> all 1,000 unmet; P2: $8,000 > $5,000 -> all 1,000 made
    assert value(r.tables["unmet"], "gpus", product="P1") == approx(1000)
    assert value(r.tables["unmet"], "gpus", product="P2") == approx(0)
    assert value(r.tables["production"], "gpus", product="P2") == approx(1000)
    assert value(r.tables["production"], "gpus", product="P1") == approx(0)
    # objective = 1,000 x $2,000 (P1 penalty) + 1,000 x $5,000 (P2 opex) = $7,000,000
    assert r.summary["objective_usd"] == approx(7_000_000)
    costs = r.tables["costs"].set_index("component")["npv_usd"]
    assert costs["unmet_demand"] == approx(2_000_000)
    assert costs["operations"] == approx(5_000_000)
    # prices: P1 unmet -> its own penalty $2,000 (verify checks price = the product's penalty
    # where demand is unmet: with the parameter $8,000 it would have failed); P2 at its cost
    prices = r.tables["prices"].set_index("product")["usd_per_gpu"]
    assert prices["P1"] == approx(2000, abs_=1e-3)
    assert prices["P2"] == approx(5000, abs_=1e-3)


def test_the_costs_section_splits_the_penalty_by_product(tmp_path):
    from optimizer.plan import statistics
    from optimizer.plan.read import read_plan
    from optimizer.report.sections import costs

    r = solve_and_verify(penalty_case(tmp_path / "case"), tmp_path)
    plan = read_plan(r.out_dir)
    assert plan.params["unmet_penalty_by_product"] == {"P1": 2000.0, "P2": 8000.0}
    frame, check = statistics.costs(plan)
    by = costs.numbers(plan, frame, check).unmet_by_product.set_index("product")
    # P1: 1,000 GPUs x $2,000 = $2,000,000 = 2/7 of the $7,000,000 cost; P2: none unmet
    assert by.loc["P1", "gpus"] == approx(1000)
    assert by.loc["P1", "npv_usd"] == approx(2_000_000)
    assert by.loc["P1", "share"] == approx(2 / 7)
    assert by.loc["P2", "npv_usd"] == approx(0)
    assert by.loc["P2", "penalty_usd_per_gpu"] == 8000
    # the component line itself: unmet_demand $2M, 2/7 of the cost
    row = frame.set_index("component").loc["unmet_demand"]
    assert row["share"] == approx(2 / 7)


def test_without_product_penalties_the_summary_and_report_are_as_before(tmp_path):
    from optimizer.plan.read import read_plan
    from optimizer.report.sections import costs

    r = solve_and_verify(floor_case(tmp_path / "case"), tmp_path)
    plan = read_plan(r.out_dir)
    assert "unmet_penalty_by_product" not in plan.params
    assert costs._unmet_by_product(plan, pd.DataFrame()) is None


# --- (3) none of the new columns: today's optimum exactly ----------------------------------------


def _append_empty_column(path: Path, column: str) -> None:
    """`column` appended to the header and an empty cell to every row (comments kept)."""
    lines = path.read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    out = lines[:header] + [lines[header] + "," + column]
    out += [
        line if line.startswith("#") or not line else line + "," for line in lines[header + 1 :]
    ]
    path.write_text("\n".join(out) + "\n")


def test_blank_new_columns_reproduce_the_logic_only_optimum(tmp_path):
    # the columns present with every cell empty mean "the parameter" and "no floor"
    data = tmp_path / "data"
    shutil.copytree(LOGIC_ONLY, data)
    for name, column in (
        ("products", "unmet_penalty_usd_per_gpu"),
        ("regions", "min_capacity_share"),
    ):
        _append_empty_column(data / f"{name}.csv", column)
    r = solve_and_verify(data, tmp_path, scenario="base")
    plain = solve_and_verify(LOGIC_ONLY, tmp_path, scenario="base")
    assert r.summary["objective_usd"] == pytest.approx(plain.summary["objective_usd"], rel=1e-9)


def test_without_the_new_columns_the_logic_only_objective_is_unchanged(tmp_path):
    r = solve_and_verify(LOGIC_ONLY, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(155_583_417_809.72, rel=1e-9)


def test_blank_new_columns_keep_the_default_data_objective(tmp_path):
    # data/ with both columns added, every cell empty: the default objective of issue 12
    data = tmp_path / "data"
    shutil.copytree(SUPPLY_CHAIN, data)
    for name, column in (
        ("products", "unmet_penalty_usd_per_gpu"),
        ("regions", "min_capacity_share"),
    ):
        _append_empty_column(data / f"{name}.csv", column)
    r = solve_and_verify(data, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(SUPPLY_CHAIN_OBJECTIVE_USD, rel=1e-9)


# --- (4) validation: file, line, column, value, all at once --------------------------------------


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_case(path)
    return caught.value.problems


def test_bad_shares_and_penalties_are_reported_together(tmp_path):
    data = write_case(
        tmp_path / "case",
        sites=[{"site": "A", "region": "RA"}, {"site": "B", "region": "RB"}],
        products=[{"product": "P1", "unmet_penalty_usd_per_gpu": -5}],
        regions=[
            # line 2: min 0.5 >= max 0.5 on one row
            {"region": "RA", "max_capacity_share": 0.5, "min_capacity_share": 0.5},
            # lines 3-4: floors of group logic 0.3 + 0.6 + 0.5 (line 2) = 1.4 > 1
            {"region": "RB", "min_capacity_share": 0.6, "process": "N3"},
            {"region": "RA", "min_capacity_share": 0.7, "process": "N3"},
        ],
    )
    found = problems_of(data)
    text = "\n".join(map(str, found))
    (neg,) = [p for p in found if p.file == "products.csv"]
    assert (neg.line, neg.column, neg.value) == (2, "unmet_penalty_usd_per_gpu", "-5")
    (row,) = [p for p in found if p.line == 2 and p.file == "regions.csv"]
    assert row.column == "min_capacity_share" and "below this row's max_capacity_share 0.5" in (
        row.expected
    ), text
    # group N3: lines 3 and 4, 0.6 + 0.7 = 1.3 > 1 (line 2 counts group logic: its own total 0.5)
    (total,) = [p for p in found if p.line == 4 and p.file == "regions.csv"]
    assert total.column == "min_capacity_share" and total.value == "1.3"
    assert "lines 3, 4" in total.expected, text


def test_a_cap_alone_or_a_floor_alone_both_load(tmp_path):
    data = write_case(
        tmp_path / "case",
        sites=[{"site": "A", "region": "RA"}, {"site": "B", "region": "RB"}],
        regions=[
            {"region": "RA", "max_capacity_share": 0.7},
            {"region": "RB", "min_capacity_share": 0.2},
        ],
    )
    case = load_case(data)
    assert list(case.regions["region"]) == ["RA"]
    assert list(case.min_shares["region"]) == ["RB"]
    assert list(case.min_shares["min_capacity_share"]) == [0.2]
    # max_capacity_share may be left out of the header altogether
    (data / "regions.csv").write_text("region,min_capacity_share,from_year\nRB,0.25,2025\n")
    case = load_case(data)
    assert case.regions.empty
    assert list(case.min_shares["min_capacity_share"]) == [0.25]


def test_the_command_line_exits_2_naming_the_row(tmp_path):
    data = floor_case(tmp_path / "case", floor=1.5)
    run = fabplan("validate", data)
    assert run.returncode == 2, run.stderr
    assert "regions.csv:2 column 'min_capacity_share': value '1.5'" in run.stderr


# --- (5) verify catches a plan below the floor ---------------------------------------------------


def test_verify_catches_a_plan_that_breaks_the_minimum_share(tmp_path):
    r = solve_and_verify(floor_case(tmp_path / "case"), tmp_path)
    tampered = tmp_path / "tampered"
    shutil.copytree(r.out_dir, tampered)
    # move 100 wspm from B to A in builds.csv (verify derives installed capacity from it): RB
    # holds 300 of 1,000 = 0.3 < 0.4; required 0.4 x 1,000 = 400, short by 100
    builds = pd.read_csv(tampered / "builds.csv")
    builds.loc[builds["site"] == "A", "wspm"] += 100.0
    builds.loc[builds["site"] == "B", "wspm"] -= 100.0
    builds.to_csv(tampered / "builds.csv", index=False)
    found = verify_plan(tampered).violations
    assert any(
        v.startswith("min capacity share: region RB 2026")
        and "300 wspm installed < 400 required" in v
        and "short by 100" in v
        for v in found
    ), found
