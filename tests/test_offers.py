"""Make or buy (issue 13): wafers bought from supply_offers.csv, of an upstream process (dies
joining the stage balance) or of the final process (GPUs joining the offer region's balance).

Every expected number is worked out by hand in the comments from the case's inputs. Every solve
goes through solve_and_verify, so the independent verifier (optimizer/verify/offers.py) passes on
each plan too.
"""

from __future__ import annotations

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
    write_case,
)

from optimizer.verify import verify_plan


def offer(**kw: object) -> dict[str, object]:
    """An N3 offer in region R1 for 2026 only, 500 wafers a year at $150 (overridable)."""
    return {
        "offer": "O1",
        "process": "N3",
        "region": "R1",
        "first_year": 2026,
        "last_year": 2026,
        "max_wafers_per_year": 500,
        "price_usd_per_wafer": 150,
        **kw,
    }


def make_or_buy_case(path: Path, offers: list[dict] | None, last_year: int = 2026) -> Path:
    """GPU P1 = 2 N3 dies (20 good dies per wafer) on one CoWoS interposer (4 per wafer, final).
    CoWoS site K: 1,000 wspm existing (48,000 GPUs a year), every cost 0. N3 site L: nothing
    existing, capex $1,200 per wspm, opex $100 per wafer, lead 1 year. Demand 12,000 GPUs a year
    from 2026; horizon 2025..last_year, discount 0, asset life 1 (a dollar raised in 2025 is
    repaid in 2026 in full). Making an N3 wafer in 2026 costs 1,200 / 12 wafers per wspm-year
    = $100 of capital + $100 opex = $200."""
    return write_case(
        path,
        parameters={"last_year": last_year, "asset_life_years": 1},
        sites=[
            {
                "site": "L",
                "node": "N3",
                "capex_usd_per_wspm": 1200,
                "opex_usd_per_wafer": 100,
                "lead_time_years": 1,
            },
            {"site": "K", "node": "CoWoS", "existing_wspm": 1000, "max_wspm": 1000},
        ],
        products=[{"product": "P1", "node": "CoWoS", "gpus_per_wafer": 4}],
        recipes=[
            {"product": "P1", "process": "N3", "per_wafer": 20, "per_gpu": 2, "final": 0},
            {"product": "P1", "process": "CoWoS", "per_wafer": 4, "per_gpu": 1, "final": 1},
        ],
        demand={y: 12_000 for y in range(2026, last_year + 1)},
        supply_offers=offers,
    )


def bought(result, year: int) -> float:
    p = result.tables.get("purchases")
    if p is None or p.empty:
        return 0.0
    return float(p.loc[p["year"] == year, "wafers"].sum())


def made(result, site: str, year: int) -> float:
    p = result.tables["production"]
    return float(p.loc[(p["site"] == site) & (p["year"] == year), "wafers"].sum())


def cost(result, component: str) -> float:
    c = result.tables["costs"].set_index("component")["npv_usd"]
    return float(c[component])


def test_buys_up_to_the_limit_when_cheaper_than_building(tmp_path):
    r = solve_and_verify(make_or_buy_case(tmp_path / "case", [offer()]), tmp_path)
    # N3 need in 2026: 12,000 GPUs x 2 dies / 20 per wafer = 1,200 wafers. Buying at $150 beats
    # making at $200: 500 bought (the whole offer), 700 made on 700 / 12 = 58.33 wspm built
    assert bought(r, 2026) == approx(500)
    assert made(r, "L", 2026) == approx(700)
    assert float(r.tables["builds"]["wspm"].sum()) == approx(700 / 12)
    # objective: 500 x 150 = 75,000 bought + 700 x 100 = 70,000 opex + 58.33 x 1,200 = 70,000
    # capital = 215,000 (without the offer 1,200 x 200 = 240,000)
    assert cost(r, "purchases") == approx(75_000)
    assert r.summary["objective_usd"] == approx(215_000)
    p = r.tables["purchases"].iloc[0]
    assert (p["offer"], p["process"], p["product"], p["cost_usd"]) == ("O1", "N3", "P1", 75_000)
    # stages.csv counts bought wafers as supplied: 1,200 wafers x 20 = 24,000 dies
    s = r.tables["stages"]
    n3 = s[(s["process"] == "N3") & (s["year"] == 2026)].iloc[0]
    assert n3["wafers"] == approx(1200) and n3["units_made"] == approx(24_000)
    # the offer limit binds: one more wafer bought saves 200 - 150 = $50
    b = r.tables["binding"]
    row = b[b["family"] == "offer_limit"]
    assert list(zip(row["offer"], row["year"], strict=True)) == [("O1", 2026)]
    assert abs(row["shadow_price"].iloc[0]) == approx(50, abs_=1e-6)
    assert row["meaning"].iloc[0].startswith("offer O1 sells all the wafers it offers in 2026")


def test_does_not_buy_when_dearer_than_building(tmp_path):
    case = make_or_buy_case(tmp_path / "case", [offer(price_usd_per_wafer=250)])
    r = solve_and_verify(case, tmp_path)
    # $250 > $200 to make: nothing bought, 1,200 made on 100 wspm: 1,200 x 200 = 240,000
    assert bought(r, 2026) == approx(0)
    assert made(r, "L", 2026) == approx(1200)
    assert cost(r, "purchases") == approx(0)
    assert r.summary["objective_usd"] == approx(240_000)


def test_buys_only_inside_the_window(tmp_path):
    # horizon 2025-2027, demand 12,000 GPUs in 2026 and 2027 (1,200 N3 wafers each); the offer
    # sells 500 wafers a year at $50 in 2027 only. 2026 must be made: 100 wspm built in 2025
    # (capital 120,000, repaid in 2026). In 2027 the capacity stands, opex $100 > $50: buy 500,
    # make 700. Objective: 120,000 + opex (1,200 + 700) x 100 = 190,000 + 500 x 50 = 25,000
    # -> 335,000
    offers = [offer(first_year=2027, last_year=2027, price_usd_per_wafer=50)]
    r = solve_and_verify(make_or_buy_case(tmp_path / "case", offers, last_year=2027), tmp_path)
    assert bought(r, 2026) == approx(0)
    assert bought(r, 2027) == approx(500)
    assert made(r, "L", 2026) == approx(1200) and made(r, "L", 2027) == approx(700)
    assert r.summary["objective_usd"] == approx(335_000)


def test_two_offers_cheapest_first(tmp_path):
    # O1 500 at $150 and O2 400 at $180, both below $200: buy both (900), make 300 on 25 wspm:
    # 75,000 + 72,000 + 300 x 200 = 60,000 -> 207,000
    offers = [offer(), offer(offer="O2", max_wafers_per_year=400, price_usd_per_wafer=180)]
    r = solve_and_verify(make_or_buy_case(tmp_path / "case", offers), tmp_path)
    p = r.tables["purchases"].set_index("offer")["wafers"]
    assert p["O1"] == approx(500) and p["O2"] == approx(400)
    assert made(r, "L", 2026) == approx(300)
    assert r.summary["objective_usd"] == approx(207_000)


def test_verify_catches_a_purchase_beyond_the_limit_or_outside_the_window(tmp_path):
    r = solve_and_verify(make_or_buy_case(tmp_path / "case", [offer()]), tmp_path)
    plan = r.out_dir
    table = pd.read_csv(plan / "purchases.csv")
    over = table.assign(wafers=600.0)  # limit 500
    over.to_csv(plan / "purchases.csv", index=False)
    check = verify_plan(plan)
    assert not check.ok
    assert any(
        "offer O1, 2026 (base): 600 wafers bought > max_wafers_per_year 500" in v
        for v in check.violations
    ), check.violations
    outside = table.assign(year=2025)  # window 2026-2026
    outside.to_csv(plan / "purchases.csv", index=False)
    check = verify_plan(plan)
    assert any(
        "year 2025 is outside the offer's window 2026-2026" in v for v in check.violations
    ), check.violations


def test_validation_names_file_line_column_and_expectation(tmp_path):
    rows = [
        offer(process="N9"),  # line 2: no such process
        offer(offer="O2", region="XX"),  # line 3: no such region
        offer(offer="O3", first_year=2026, last_year=2025),  # line 4: backwards window
        offer(offer="O4", process="L9"),  # line 5: no such process either
        offer(offer="O5", price_usd_per_wafer=-1),  # line 6: negative price
        offer(offer="O6", max_wafers_per_year=-5),  # line 7: negative limit
        offer(),  # line 8: O1 again
    ]
    out = fabplan("validate", make_or_buy_case(tmp_path / "case", rows))
    assert out.returncode == 2, out.stdout + out.stderr
    text = out.stdout + out.stderr
    for expected in (
        "supply_offers.csv:2 column 'process': value 'N9' — expected a process some site",
        "supply_offers.csv:3 column 'region': value 'XX' — expected a region of sites.csv",
        "supply_offers.csv:4 column 'last_year': value '2025' — expected a year ≥ first_year",
        "supply_offers.csv:5 column 'process': value 'L9' — expected a process some site",
        "supply_offers.csv:6 column 'price_usd_per_wafer': value '-1' — expected a number ≥ 0",
        "supply_offers.csv:7 column 'max_wafers_per_year': value '-5' — expected a number ≥ 0",
        "supply_offers.csv:8 column 'offer': value 'O1' — expected one row per offer",
        "7 problems",
    ):
        assert expected in text, text


def test_without_supply_offers_logic_only_objective_is_unchanged(tmp_path):
    r = solve_and_verify(LOGIC_ONLY, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(155_583_417_809.72, rel=1e-9)
    assert "purchases" not in r.tables
    assert cost(r, "purchases") == 0.0


def test_without_supply_offers_default_data_objective_is_unchanged(tmp_path):
    # the default data as issue 12 left it (tests/data/supply_chain: no supply_offers.csv)
    r = solve_and_verify(SUPPLY_CHAIN, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(SUPPLY_CHAIN_OBJECTIVE_USD, rel=1e-9)
    assert "purchases" not in r.tables


def test_integer_mode_buys_the_same(tmp_path):
    # whole build modules are off (module_wspm 0), so the integer plan is the LP's: 500 bought
    r = solve_and_verify(make_or_buy_case(tmp_path / "case", [offer()]), tmp_path, integer=True)
    assert bought(r, 2026) == approx(500)
    assert r.summary["objective_usd"] == approx(215_000)


def test_diagnosis_sentence_names_the_offer_line_and_shortfall(tmp_path):
    from optimizer.diagnose.explain_offers import offer_limit
    from optimizer.inputs import load_case
    from optimizer.model.registry import family

    case = load_case(make_or_buy_case(tmp_path / "case", [offer()]))
    rows = pd.DataFrame(
        {"scenario": ["base"], "offer": ["O1"], "year": [2026], "amount": [100.0], "size": [0.1]}
    )
    ((size, text),) = offer_limit(case, family("offer_limit"), rows)
    assert size == approx(0.1)
    assert text.startswith(
        "offer O1 (N3, supply_offers.csv line 2) would have to sell up to 100 wafers more than "
        "its 500 a year in 2026"
    ), text


def test_hedged_plan_buys_only_in_the_scenario_that_needs_it(tmp_path):
    # scenarios low (6,000 GPUs = 600 N3 wafers) and high (12,000 = 1,200 wafers), 0.5 each.
    # N3 capacity c wafers (capital $100 per wafer of capacity, shared by both scenarios), opex
    # $100 < offer price $150: make up to c, buy the rest, at most 500 -> c >= 1,200 - 500 = 700.
    # For c in [700, 1,200]: 100c + 0.5 x 100 x 600 + 0.5 x (100c + 150 x (1,200 - c))
    # = 75c + 120,000, least at c = 700: 52,500 + 120,000 = 172,500 (low makes 600, buys 0;
    # high makes 700, buys 500)
    case = make_or_buy_case(tmp_path / "case", [offer()])
    demand = pd.DataFrame(
        {
            "scenario": ["low", "high"],
            "year": [2026, 2026],
            "product": "P1",
            "market": "global",
            "gpus": [6000, 12000],
        }
    )
    demand.to_csv(case / "demand.csv", index=False)
    r = solve_and_verify(case, tmp_path, stochastic=True)
    p = r.tables.get("purchases")
    by = p.groupby("scenario")["wafers"].sum() if p is not None else pd.Series(dtype=float)
    assert float(by.get("low", 0.0)) == approx(0)
    assert float(by.get("high", 0.0)) == approx(500)
    assert float(r.tables["builds"]["wspm"].sum()) == approx(700 / 12)
    assert r.summary["objective_usd"] == approx(172_500)


def test_screening_counts_offered_wafers(tmp_path):
    # N3 site L may grow to 1 wspm (12 wafers a year) against 1,200 wafers needed in 2026: a
    # shortfall warning; an offer of 1,200 wafers a year in 2026 covers the need: no warning
    from optimizer.diagnose.screen import screen
    from optimizer.inputs import load_case

    def n3_warnings(offers) -> list[str]:
        case = load_case(make_or_buy_case(tmp_path / f"case{len(offers)}", offers or None))
        sites = pd.read_csv(case.data_dir / "sites.csv")
        sites.loc[sites["site"] == "L", "max_wspm"] = 1
        sites.to_csv(case.data_dir / "sites.csv", index=False)
        case = load_case(case.data_dir)
        return [str(f) for f in screen(case.for_scenarios({"base": 1.0})) if "N3" in str(f)]

    assert any("N3 capacity buildable by 2026" in w for w in n3_warnings([]))
    assert n3_warnings([offer(max_wafers_per_year=1200)]) == []


# --- final-stage offers: bought wafers of the assembly process are GPUs of the offer's region ---


def logic_case(path: Path, offers: list[dict] | None, **tables: object) -> Path:
    """Logic only (no recipes.csv: N3 is P1's final stage), 10 GPUs per N3 wafer. Site L in R1:
    nothing existing, capex $1,200 per wspm, opex $100 per wafer, lead 1 year. Demand 12,000
    GPUs in 2026 (1,200 wafers); horizon 2025-2026, discount 0, asset life 1. Making a wafer in
    2026 costs 1,200 / 12 = $100 of capital + $100 opex = $200 ($20 a GPU). Lane R1 -> global
    at $0 (overridable with shipping=...)."""
    base = {
        "parameters": {"last_year": 2026, "asset_life_years": 1},
        "sites": [
            {
                "site": "L",
                "node": "N3",
                "capex_usd_per_wspm": 1200,
                "opex_usd_per_wafer": 100,
                "lead_time_years": 1,
            }
        ],
        "products": [{"product": "P1", "node": "N3", "gpus_per_wafer": 10}],
        "demand": {2026: 12_000},
        "shipping": [{"region": "R1", "market": "global", "cost_usd_per_gpu": 0}],
    }
    return write_case(path, **{**base, **tables, "supply_offers": offers})


def shipped(result, region: str, market: str | None = None) -> float:
    s = result.tables["shipments"]
    s = s[s["region"] == region]
    return float(s["gpus"].sum() if market is None else s.loc[s["market"] == market, "gpus"].sum())


def test_logic_only_buys_final_wafers_when_cheaper_than_building(tmp_path):
    r = solve_and_verify(logic_case(tmp_path / "case", [offer()]), tmp_path)
    # $150 a bought wafer < $200 a made one: buy the whole offer (500 wafers = 5,000 GPUs), make
    # the other 1,200 - 500 = 700 on 700 / 12 = 58.33 wspm. Objective 500 x 150 = 75,000
    # + 700 x 100 = 70,000 opex + 58.33 x 1,200 = 70,000 capital = 215,000 (else 240,000)
    assert bought(r, 2026) == approx(500)
    assert made(r, "L", 2026) == approx(700)
    assert float(r.tables["builds"]["wspm"].sum()) == approx(700 / 12)
    assert cost(r, "purchases") == approx(75_000)
    assert r.summary["objective_usd"] == approx(215_000)
    # the one site's flow keeps its balance: R1 ships made + bought = 7,000 + 5,000 GPUs
    assert shipped(r, "R1") == approx(12_000)
    p = r.tables["purchases"].iloc[0]
    assert (p["offer"], p["process"], p["product"], p["cost_usd"]) == ("O1", "N3", "P1", 75_000)
    # production.csv lists only made wafers (the bought ones are in purchases.csv)
    assert float(r.tables["production"]["gpus"].sum()) == approx(7_000)
    # the limit binds: one more bought wafer saves 200 - 150 = $50
    b = r.tables["binding"]
    row = b[b["family"] == "offer_limit"]
    assert list(zip(row["offer"], row["year"], strict=True)) == [("O1", 2026)]
    assert abs(row["shadow_price"].iloc[0]) == approx(50, abs_=1e-6)


def test_logic_only_final_offer_dearer_than_building_is_not_used(tmp_path):
    r = solve_and_verify(logic_case(tmp_path / "case", [offer(price_usd_per_wafer=250)]), tmp_path)
    # $250 > $200: all 1,200 wafers made on 100 wspm: 1,200 x 200 = 240,000
    assert bought(r, 2026) == approx(0)
    assert made(r, "L", 2026) == approx(1200)
    assert r.summary["objective_usd"] == approx(240_000)


def test_offer_region_without_a_site_serves_its_market_by_lane(tmp_path):
    # market east is reachable only from R2 (lane $1 a GPU), where no site stands; the offer in
    # R2 sells 500 wafers at $150. East wants 3,000 GPUs = 300 wafers: bought (45,000) and
    # shipped (3,000 x 1 = 3,000); global's 9,000 GPUs = 900 wafers made at L (900 x 200 =
    # 180,000). Objective 228,000; without the offer east's 3,000 GPUs would be unmet
    lanes = [
        {"region": "R1", "market": "global", "cost_usd_per_gpu": 0},
        {"region": "R2", "market": "east", "cost_usd_per_gpu": 1},
    ]
    demand = [
        {"year": 2026, "market": "global", "gpus": 9_000},
        {"year": 2026, "market": "east", "gpus": 3_000},
    ]
    case = logic_case(tmp_path / "case", [offer(region="R2")], shipping=lanes, demand=demand)
    r = solve_and_verify(case, tmp_path)
    assert bought(r, 2026) == approx(300)
    assert shipped(r, "R2", "east") == approx(3_000)
    assert shipped(r, "R1", "global") == approx(9_000)
    assert made(r, "L", 2026) == approx(900)
    assert cost(r, "shipping") == approx(3_000)
    assert r.summary["objective_usd"] == approx(228_000)
    assert "unmet" not in r.tables or r.tables["unmet"].empty


def test_offer_region_ships_only_inside_the_window(tmp_path):
    # as above but the offer runs 2027-2027, outside the 2025-2026 horizon's demand year: R2 has
    # no lane flow in 2026, east's 3,000 GPUs go unmet at $1,000,000 each
    lanes = [
        {"region": "R1", "market": "global", "cost_usd_per_gpu": 0},
        {"region": "R2", "market": "east", "cost_usd_per_gpu": 1},
    ]
    demand = [{"year": 2026, "market": "east", "gpus": 3_000}]
    offers = [offer(region="R2", first_year=2025, last_year=2025)]
    case = logic_case(tmp_path / "case", offers, shipping=lanes, demand=demand)
    r = solve_and_verify(case, tmp_path)
    assert bought(r, 2026) == approx(0) and bought(r, 2025) == approx(0)
    assert float(r.tables["unmet"]["gpus"].sum()) == approx(3_000)
    assert r.summary["objective_usd"] == approx(3_000 * 1_000_000)


def test_final_offer_of_the_assembly_process_with_recipes(tmp_path):
    # make_or_buy_case with a CoWoS (final) offer: 1,000 interposers at $0 would give 4,000 GPUs,
    # but every GPU still needs 2 N3 dies (stage balance): bought GPUs count as assembled.
    # CoWoS site K costs 0 too, so only N3 matters: 1,200 N3 wafers made at $200 = 240,000 and
    # stages.csv's CoWoS row lists made + bought wafers = 12,000 / 4 = 3,000
    offers = [offer(process="CoWoS", max_wafers_per_year=1000, price_usd_per_wafer=0)]
    r = solve_and_verify(make_or_buy_case(tmp_path / "case", offers), tmp_path)
    assert r.summary["objective_usd"] == approx(240_000)
    s = r.tables["stages"]
    cowos = s[(s["process"] == "CoWoS") & (s["year"] == 2026)].iloc[0]
    assert cowos["wafers"] == approx(3_000) and cowos["units_needed"] == approx(12_000)


def test_verify_counts_bought_gpus_in_the_region_balance(tmp_path):
    r = solve_and_verify(logic_case(tmp_path / "case", [offer()]), tmp_path)
    plan = r.out_dir
    table = pd.read_csv(plan / "purchases.csv")
    table.assign(wafers=400.0).to_csv(plan / "purchases.csv", index=False)
    check = verify_plan(plan)
    # R1 ships 12,000 GPUs but makes 7,000 and now buys 400 x 10 = 4,000: off by 1,000
    assert any(
        "region R1, product P1, 2026: 11,000 GPUs made" in v and "12,000 shipped" in v
        for v in check.violations
    ), check.violations


def test_validation_refuses_a_final_offer_in_a_region_without_a_lane(tmp_path):
    sites = [{"site": "L"}, {"site": "M", "region": "R2"}]
    offers = [offer(), offer(offer="O2", region="R2")]  # line 3: R2 has no shipping.csv lane
    out = fabplan("validate", logic_case(tmp_path / "case", offers, sites=sites))
    assert out.returncode == 2, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert (
        "supply_offers.csv:3 column 'region': value 'R2' — expected a region with a "
        "shipping.csv lane" in text
    ), text
    assert "supply_offers.csv:2" not in text, text
