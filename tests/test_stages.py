"""Supply-chain stages (issue 12): logic dies, packaging and HBM stacks as stages with their own
sites, balanced per (scenario, product, process, year) by the stage_balance family.

Every expected number is worked out by hand in the comments from the case's inputs. Every solve
goes through solve_and_verify, so the independent verifier (optimizer/verify/stages.py) passes
on each plan too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from casebuilder import LOGIC_ONLY, approx, solve_and_verify, write_case

from optimizer.verify import verify_plan

ROOT = Path(__file__).resolve().parents[1]


def wafers(result, site: str, year: int) -> float:
    p = result.tables["production"]
    return float(p.loc[(p["site"] == site) & (p["year"] == year), "wafers"].sum())


def stage(result, process: str, year: int) -> pd.Series:
    s = result.tables["stages"]
    return s[(s["process"] == process) & (s["year"] == year)].iloc[0]


# --- (1) two stages: packaging must be built --------------------------------------------------


def two_stage_case(path: Path) -> Path:
    """GPU P1 = 2 logic dies (N3, 20 good dies per wafer) on one CoWoS interposer (4 per wafer,
    final stage). Logic site L: 1,000 wspm existing and maximal (12,000 wafers/yr), opex $100/wafer.
    Packaging site K: 100 wspm existing (1,200 wafers/yr = 4,800 GPUs), opex $50/wafer, capex
    $1,000/wspm, lead 1 year. Demand 12,000 GPUs in 2026 only; horizon 2025-2026, discount 0,
    asset life 1 year (a dollar raised in 2025 is repaid in 2026 in full: cost 1 per dollar)."""
    return write_case(
        path,
        parameters={"last_year": 2026, "asset_life_years": 1},
        sites=[
            {
                "site": "L",
                "node": "N3",
                "existing_wspm": 1000,
                "max_wspm": 1000,
                "opex_usd_per_wafer": 100,
            },
            {
                "site": "K",
                "node": "CoWoS",
                "existing_wspm": 100,
                "opex_usd_per_wafer": 50,
                "capex_usd_per_wspm": 1000,
                "lead_time_years": 1,
            },
        ],
        products=[{"product": "P1", "node": "CoWoS", "gpus_per_wafer": 4}],
        recipes=[
            {"product": "P1", "process": "N3", "per_wafer": 20, "per_gpu": 2, "final": 0},
            {"product": "P1", "process": "CoWoS", "per_wafer": 4, "per_gpu": 1, "final": 1},
        ],
        demand={2026: 12_000},
    )


def test_two_stages_packaging_binds_and_is_built(tmp_path):
    r = solve_and_verify(two_stage_case(tmp_path / "case"), tmp_path)
    # packaging: 12,000 GPUs / 4 per wafer = 3,000 wafers; 3,000 / 12 = 250 wspm needed,
    # 100 existing -> build 150 wspm in 2025 (online 2026, the only year it can be)
    assert wafers(r, "K", 2026) == approx(3000)
    builds = r.tables["builds"]
    assert list(builds["site"]) == ["K"] and list(builds["year"]) == [2025]
    assert float(builds["wspm"].sum()) == approx(150)
    # logic: 12,000 GPUs x 2 dies / 20 dies per wafer = 1,200 wafers (capacity 12,000: slack)
    assert wafers(r, "L", 2026) == approx(1200)
    prod = r.tables["production"].set_index("site")
    assert prod.loc["L", "process"] == "N3" and prod.loc["K", "process"] == "CoWoS"
    # production.csv gpus of the logic row: the GPUs its dies support, 1,200 x 20 / 2 = 12,000
    assert prod.loc["L", "gpus"] == approx(12_000)
    # objective: logic opex 1,200 x 100 = 120,000; packaging opex 3,000 x 50 = 150,000;
    # capex 150 x 1,000 = 150,000 repaid in 2026 -> 420,000
    assert r.summary["objective_usd"] == approx(420_000)
    # the packaging capacity row binds in 2026; logic capacity does not
    b = r.tables["binding"]
    cap = b[b["family"] == "capacity"]
    assert list(zip(cap["site"], cap["year"], strict=True)) == [("K", 2026)]
    # shadow price of one more N3 die in 2026: a die costs opex / dies per wafer = 100 / 20 = $5
    n3 = stage(r, "N3", 2026)
    assert n3["shadow_price_usd_per_unit"] == approx(5)
    assert n3["units_made"] == approx(24_000) and n3["units_needed"] == approx(24_000)
    assert n3["final"] == 0 and n3["wafers"] == approx(1200)
    assert pd.isna(stage(r, "CoWoS", 2026)["shadow_price_usd_per_unit"])
    # price of a GPU in 2026: packaging capacity 1,000 / (12 wafers x 4 GPUs) = 20.8333 +
    # packaging opex 50 / 4 = 12.5 + two dies at $5 = 10 -> 43.3333
    price = r.tables["prices"].set_index("year")["usd_per_gpu"]
    assert price[2026] == approx(1000 / 48 + 12.5 + 10)


# --- (2) three stages, yield learning on HBM --------------------------------------------------


def three_stage_case(path: Path) -> Path:
    """GPU P1 = 2 N3 dies (20 per wafer) + 8 HBM stacks (100 good stacks per wafer) on one CoWoS
    interposer (4 per wafer, final). yields.csv: HBM factor 1.0 in 2025, 0.5 in 2027 (2026
    interpolated: 0.75). Each site 1,000 wspm, not expandable; opex N3 $100, CoWoS $50, HBM $10
    per wafer. The HBM site is in region R2, which has no lane to any market: upstream stages
    feed a global pool. Demand 1,200 GPUs a year 2025-2027, discount 0."""
    site = {"existing_wspm": 1000, "max_wspm": 1000}
    return write_case(
        path,
        parameters={"last_year": 2027},
        sites=[
            {**site, "site": "L", "node": "N3", "opex_usd_per_wafer": 100},
            {**site, "site": "K", "node": "CoWoS", "opex_usd_per_wafer": 50},
            {**site, "site": "M", "region": "R2", "node": "HBM", "opex_usd_per_wafer": 10},
        ],
        products=[{"product": "P1", "node": None, "gpus_per_wafer": None}],
        recipes=[
            {"product": "P1", "process": "N3", "per_wafer": 20, "per_gpu": 2, "final": 0},
            {"product": "P1", "process": "HBM", "per_wafer": 100, "per_gpu": 8, "final": 0},
            {"product": "P1", "process": "CoWoS", "per_wafer": 4, "per_gpu": 1, "final": 1},
        ],
        yields=[
            {"process": "HBM", "year": 2025, "factor": 1.0},
            {"process": "HBM", "year": 2027, "factor": 0.5},
        ],
        shipping=[{"region": "R1", "market": "global", "cost_usd_per_gpu": 0}],
        demand=dict.fromkeys(range(2025, 2028), 1200),
    )


@pytest.mark.parametrize("integer", [False, True], ids=["lp", "integer"])
def test_three_stages_with_a_yield_factor(tmp_path, integer):
    r = solve_and_verify(three_stage_case(tmp_path / "case"), tmp_path, integer=integer)
    # CoWoS: 1,200 / 4 = 300 wafers a year; N3: 1,200 x 2 / 20 = 120 wafers a year
    # HBM stacks needed: 1,200 x 8 = 9,600 a year; good stacks per wafer 100 x factor:
    #   2025: 100 -> 96 wafers; 2026: 75 -> 128 wafers; 2027: 50 -> 192 wafers (twice 2025)
    for year, hbm in ((2025, 96), (2026, 128), (2027, 192)):
        assert wafers(r, "K", year) == approx(300)
        assert wafers(r, "L", year) == approx(120)
        assert wafers(r, "M", year) == approx(hbm)
        assert stage(r, "HBM", year)["units_needed"] == approx(9600)
    assert stage(r, "HBM", 2026)["per_wafer"] == approx(75)
    # objective: 3 x (300 x 50 + 120 x 100) = 81,000 + HBM 10 x (96 + 128 + 192) = 4,160
    assert r.summary["objective_usd"] == approx(85_160)
    # a stack costs opex / good stacks per wafer: 10/100 = 0.1, 10/75 = 0.13333, 10/50 = 0.2;
    # a GPU: 50/4 = 12.5 packaging + 2 dies x 100/20 = 10 + 8 stacks x that price
    if not integer:  # an integer plan's duals come from its fixed LP: same here, checked once
        prices = r.tables["prices"].set_index("year")["usd_per_gpu"]
        for year, per_stack in ((2025, 0.1), (2026, 10 / 75), (2027, 0.2)):
            assert stage(r, "HBM", year)["shadow_price_usd_per_unit"] == approx(per_stack)
            assert prices[year] == approx(12.5 + 10 + 8 * per_stack)


def test_a_stage_without_capacity_leaves_demand_unmet(tmp_path):
    # The HBM site of the three-stage case gets 8 wspm: 8 x 12 = 96 wafers a year, 9,600 stacks
    # in 2025 (all 1,200 GPUs), 7,200 in 2026 (900 GPUs) and 4,800 in 2027 (600 GPUs). The stage
    # balance alone holds assembly back: N3 and CoWoS have room to spare.
    data = three_stage_case(tmp_path / "case")
    sites = pd.read_csv(data / "sites.csv")
    sites.loc[sites["site"] == "M", ["existing_wspm", "max_wspm"]] = 8
    sites.to_csv(data / "sites.csv", index=False)
    r = solve_and_verify(data, tmp_path)
    unmet = r.tables["unmet"].set_index("year")["gpus"]
    assert 2025 not in unmet.index
    assert unmet[2026] == approx(300) and unmet[2027] == approx(600)
    assert wafers(r, "K", 2027) == approx(600 / 4)


# --- (3) without recipes.csv the model is today's ---------------------------------------------


def test_default_data_objective_is_unchanged_without_recipes(tmp_path):
    # the base plan of the default data before issue 12 (reports/base/summary.json then)
    r = solve_and_verify(LOGIC_ONLY, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(155_583_417_809.72, rel=1e-9)
    assert "stages" not in r.tables


def test_recipes_restating_products_change_nothing(tmp_path):
    # recipes.csv with one final row per product, per_wafer = gpus_per_wafer, per_gpu 1, is what
    # the loader derives without it: same model (every block and family the same size), same
    # objective, same production.
    from optimizer.inputs import load_case
    from optimizer.model import build_model

    def sizes(folder: Path) -> dict[str, int]:
        case = load_case(folder)
        ctx = build_model(case.for_scenarios({"base": 1.0}), {"base": 1.0})
        return {
            **{f"var {k}": len(b.index) for k, b in ctx.blocks.items()},
            **{f"row {k}": len(f.index) for k, f in ctx.families.items()},
        }

    data = tmp_path / "data"
    shutil.copytree(LOGIC_ONLY, data)
    products = pd.read_csv(data / "products.csv", comment="#")
    products.assign(
        process=products["node"], per_wafer=products["gpus_per_wafer"], per_gpu=1, final=1
    )[["product", "process", "per_wafer", "per_gpu", "final"]].to_csv(
        data / "recipes.csv", index=False
    )
    plain = solve_and_verify(LOGIC_ONLY, tmp_path, scenario="base")
    restated = solve_and_verify(data, tmp_path, scenario="base")
    assert restated.summary["objective_usd"] == plain.summary["objective_usd"]
    pd.testing.assert_frame_equal(restated.tables["production"], plain.tables["production"])
    assert sizes(data) == sizes(LOGIC_ONLY)


# --- (4) verify re-checks the stage balance ---------------------------------------------------


def test_verify_catches_a_tampered_stage(tmp_path):
    r = solve_and_verify(two_stage_case(tmp_path / "case"), tmp_path)
    path = r.out_dir / "production.csv"
    prod = pd.read_csv(path)
    # L makes 1,000 wafers instead of 1,200 (gpus consistent: 1,000 x 20 / 2 = 10,000):
    # 20,000 dies < 2 x 12,000 GPUs assembled = 24,000
    prod.loc[prod["site"] == "L", ["wafers", "gpus"]] = [1000.0, 10_000.0]
    prod.to_csv(path, index=False)
    check = verify_plan(r.out_dir)
    assert not check.ok
    stage_msgs = [v for v in check.violations if v.startswith("stage balance")]
    assert any("20,000 units made < 2 per GPU x 12,000 GPUs" in v for v in stage_msgs), stage_msgs
    # stages.csv still says 1,200 wafers: the table check names its line
    assert any("stages.csv line" in v and "wafers 1,200" in v for v in stage_msgs), stage_msgs


# --- screening names the stage ----------------------------------------------------------------


def test_screening_names_the_short_stage(tmp_path):
    # HBM site M at 8 wspm, not expandable: 12 x 8 = 96 wafers a year. Needs 9,600 stacks a year:
    # 2025: 96 wafers (enough); 2026: 9,600 / 75 = 128 wafers, 96 support 96 x 75 / 8 = 900
    # GPUs; 2027: 192 wafers, 96 support 96 x 50 / 8 = 600 GPUs of 1,200.
    from optimizer.diagnose.screen import screen
    from optimizer.inputs import load_case

    data = three_stage_case(tmp_path / "case")
    sites = pd.read_csv(data / "sites.csv")
    sites.loc[sites["site"] == "M", ["existing_wspm", "max_wspm"]] = 8
    sites.to_csv(data / "sites.csv", index=False)
    case = load_case(data)
    found = [str(f) for f in screen(case.for_scenarios({"base": 1.0})) if "HBM" in str(f)]
    # the two short years in a row make one warning: 2026's figures, 2027's, and the total
    # 300 + 600 = 900 GPUs unmet at least
    (text,) = found
    assert text.endswith(
        "HBM capacity falls short of scenario base's demand in 2026–2027: by 2027 it supports at "
        "most 600 of 1,200 GPUs of P1; at least 900 GPUs will be unmet over 2026–2027"
    )
    assert text.startswith("recipes.csv:3")  # the HBM row of recipes.csv
    # one short year alone keeps that year's sentence: HBM at 8 wspm in 2025-2026 only
    case = load_case(data)
    dem = case.demand[case.demand["year"] < 2027]
    one = case.for_scenarios({"base": 1.0})
    one.demand = dem
    (text,) = [str(f) for f in screen(one) if "HBM" in str(f)]
    assert "HBM capacity buildable by 2026 (96 wafers) supports at most 900 GPUs of P1" in text
    assert text.endswith("at least 300 GPUs will be unmet")


# --- (5) the cost by site adds up (site_costs.csv) ---------------------------------------------


def test_site_costs_split_the_two_stage_cost_by_site(tmp_path):
    r = solve_and_verify(two_stage_case(tmp_path / "case"), tmp_path)
    sc = r.tables["site_costs"].fillna({"site": ""})
    by = sc.set_index(["site", "component"])["npv_usd"]
    # logic site L: 1,200 wafers x $100 = 120,000 of operations, nothing else
    assert by[("L", "operations")] == approx(120_000)
    assert set(sc.loc[sc["site"] == "L", "component"]) == {"operations"}
    # packaging site K: 3,000 wafers x $50 = 150,000 of operations (its one-site flow's
    # shipments carry it) + 150 wspm x $1,000 = 150,000 of financing (repaid in full in 2026)
    assert by[("K", "operations")] == approx(150_000)
    assert by[("K", "financing")] == approx(150_000)
    # every component adds up to costs.csv, so the split adds up to the objective
    assert float(sc["npv_usd"].sum()) == approx(r.summary["objective_usd"])


def test_verify_catches_a_tampered_site_cost(tmp_path):
    plan = solve_and_verify(two_stage_case(tmp_path / "case"), tmp_path).out_dir
    table = pd.read_csv(plan / "site_costs.csv", keep_default_na=False)
    table.loc[(table["site"] == "L") & (table["component"] == "operations"), "npv_usd"] += 1000.0
    table.to_csv(plan / "site_costs.csv", index=False)
    problems = " ".join(verify_plan(plan).violations)
    assert "L operations: site_costs.csv says 121,000" in problems
    assert "component operations: site_costs.csv adds up to" in problems
