"""Tiny cases solved by hand, one per constraint family of the planning model (issue 3).

Every expected number below is worked out in the comments from the case's inputs, never copied
from the program. Every solve is followed by the independent verifier (solve_and_verify), which
also checks that costs.csv adds up to objective_usd.

Notation: df(t) = 1/(1+d)^(t-first_year); A(r, L) = r/(1-(1+r)^-L) is the annuity payment per
dollar borrowed at rate r over L years (1/L when r = 0); a dollar raised in year y costs
A(r, L) x sum df(t) over the payment years t = y+1 .. y+L (an ordinary annuity: the first payment
falls a year after the funding) that lie inside the horizon.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from casebuilder import approx, solve_and_verify, value, write_case
from fixtures import write_tiny_case


def annuity(r: float, life: int) -> float:
    """A(r, L) = r / (1 - (1+r)^-L); 1/L at r = 0 (closed form, independent of the model)."""
    return 1.0 / life if r == 0 else r / (1.0 - (1.0 + r) ** -life)


def cost(result, component: str) -> float:
    costs = result.tables["costs"].set_index("component")["npv_usd"]
    return float(costs[component])


# --- a single site meeting demand ---------------------------------------------------------------


def single_site_case(path: Path) -> Path:
    """Site A (existing 100 wspm, utilization 0.5: 12 x 0.5 x 100 = 600 wafers/year), no room
    to build; 10 GPUs per wafer; demand 3,000 GPUs in 2025 and 5,000 in 2026; opex $100/wafer,
    2 MWh/wafer from a $50/MWh grid contract, shipping $3/GPU; discount rate 10%."""
    return write_case(
        path,
        parameters={"last_year": 2026, "discount_rate": 0.1, "unmet_penalty_usd_per_gpu": 1000},
        sites=[
            {
                "site": "A",
                "existing_wspm": 100,
                "max_wspm": 100,
                "utilization": 0.5,
                "opex_usd_per_wafer": 100,
                "energy_mwh_per_wafer": 2,
            }
        ],
        products=[{"gpus_per_wafer": 10}],
        demand={2025: 3000, 2026: 5000},
        energy=[{"contract": "GRID", "price_usd_per_mwh": 50, "max_mw": 1}],
        shipping=[{"cost_usd_per_gpu": 3}],
    )


def test_single_site_meets_demand(tmp_path):
    r = solve_and_verify(single_site_case(tmp_path / "case"), tmp_path)
    # wafers: 3,000/10 = 300 in 2025 and 5,000/10 = 500 in 2026 (capacity 600: nothing unmet)
    prod = r.tables["production"]
    assert value(prod, "wafers", year=2025) == approx(300)
    assert value(prod, "wafers", year=2026) == approx(500)
    assert r.tables["unmet"].empty
    # energy: 2 MWh x 300 = 600 MWh and 2 x 500 = 1,000 MWh from GRID
    assert value(r.tables["energy"], "mwh", year=2025) == approx(600)
    assert value(r.tables["energy"], "mwh", year=2026) == approx(1000)
    # df(2025) = 1, df(2026) = 1/1.1
    # operations = 300 x 100 + 500 x 100 / 1.1 = 30,000 + 45,454.5454... = 75,454.5454...
    # energy     = 600 x 50 + 1,000 x 50 / 1.1 = 30,000 + 45,454.5454... = 75,454.5454...
    # shipping   = 3,000 x 3 + 5,000 x 3 / 1.1 =  9,000 + 13,636.3636... = 22,636.3636...
    # objective  = 69,000 + 115,000 / 1.1 = 173,545.4545...
    assert cost(r, "operations") == approx(30_000 + 50_000 / 1.1)
    assert cost(r, "energy") == approx(30_000 + 50_000 / 1.1)
    assert cost(r, "shipping") == approx(9_000 + 15_000 / 1.1)
    assert r.summary["objective_usd"] == approx(69_000 + 115_000 / 1.1)
    for component in ("financing", "site_fixed", "energy_capacity", "carbon", "unmet_demand"):
        assert cost(r, component) == approx(0)


def test_prices_are_the_marginal_cost_at_an_uncongested_site(tmp_path):
    r = solve_and_verify(single_site_case(tmp_path / "case"), tmp_path)
    # One more GPU at site A (capacity to spare) costs, in that year's dollars:
    # opex 100/10 = 10, energy 2 MWh x 50 / 10 = 10, shipping 3 -> 23 USD per GPU, every year
    prices = r.tables["prices"].set_index("year")["usd_per_gpu"]
    assert prices[2025] == approx(23.0)
    assert prices[2026] == approx(23.0)


# --- lead time and ramp-up ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ramp_up", "made_2027", "made_2028", "objective"),
    [
        # ramp 0.5: 2027 has 0.5 x 1,000 wspm x 12 = 6,000 wafers; 2028 on: 12,000.
        # unmet = 12,000 + 12,000 + 6,000 = 30,000 GPUs x $1,000 = 30,000,000
        # opex  = (6,000 + 12,000 + 12,000) x $100 = 3,000,000
        # financing (implicit partner at d = 0, L = 20: A = 1/20, payments 2026..2045, of which
        #   2026..2029 = 4 inside) = 1,000 wspm x $1,000 x 4/20 = 200,000
        # objective = 30,000,000 + 3,000,000 + 200,000 = 33,200,000
        ("0.5", 6_000, 12_000, 33_200_000),
        # ramp 0.25;0.75: 2027 makes 3,000, 2028 9,000, 2029 12,000
        # unmet = 12,000 + 12,000 + 9,000 + 3,000 = 36,000 x 1,000 = 36,000,000
        # opex = (3,000 + 9,000 + 12,000) x 100 = 2,400,000; financing 200,000 as above
        # objective = 36,000,000 + 2,400,000 + 200,000 = 38,600,000
        ("0.25;0.75", 3_000, 9_000, 38_600_000),
    ],
)
def test_lead_time_and_ramp_up_delay_output(tmp_path, ramp_up, made_2027, made_2028, objective):
    # Greenfield site A, lead time 2 years, room for 1,000 wspm, capex $1,000/wspm, opex
    # $100/wafer, 1 GPU per wafer; demand 12,000 GPUs every year 2025-2029 (= 1,000 wspm x 12).
    # A build decided in 2025 is online in 2027: 2025 and 2026 demand cannot be met at all.
    data = write_case(
        tmp_path / "case",
        parameters={
            "last_year": 2029,
            "unmet_penalty_usd_per_gpu": 1000,
            "ramp_up": ramp_up,
        },
        sites=[
            {
                "site": "A",
                "max_wspm": 1000,
                "capex_usd_per_wspm": 1000,
                "opex_usd_per_wafer": 100,
                "lead_time_years": 2,
            }
        ],
        demand=dict.fromkeys(range(2025, 2030), 12_000),
    )
    r = solve_and_verify(data, tmp_path)
    builds = r.tables["builds"]
    # the whole site is built in 2025 (each wspm of it avoids 6 or more unmet GPUs in 2027)
    assert len(builds) == 1
    assert builds.loc[0, "year"] == 2025 and builds.loc[0, "online_year"] == 2027
    assert builds.loc[0, "wspm"] == approx(1000)
    unmet = r.tables["unmet"]
    assert value(unmet, "gpus", year=2025) == approx(12_000)
    assert value(unmet, "gpus", year=2026) == approx(12_000)
    prod = r.tables["production"]
    assert value(prod, "wafers", year=2026) == approx(0)
    assert value(prod, "wafers", year=2027) == approx(made_2027)
    assert value(prod, "wafers", year=2028) == approx(made_2028)
    assert value(prod, "wafers", year=2029) == approx(12_000)
    cap = r.tables["capacity"].set_index("year")
    # installed counts the nameplate once online; available applies the ramp-up
    assert cap.loc[2026, "installed_wspm"] == approx(0)
    assert cap.loc[2027, "installed_wspm"] == approx(1000)
    assert cap.loc[2027, "available_wspm"] == approx(made_2027 / 12)
    assert r.summary["objective_usd"] == approx(objective)


# --- energy contract choice ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charge", "solar_mw", "objective"),
    [
        # Per year: need 12,000 wafers x 1 MWh = 12,000 MWh. Grid costs $100 + 0.5 t x $50
        # carbon = $125/MWh. Solar: $40/MWh, capacity factor 0.25, at most 2 MW, so at most
        # 2 x 8,760 x 0.25 = 4,380 MWh/year, plus the capacity charge per MWh of
        # charge / (8,760 x 0.25) = charge / 2,190.
        # Both years cost the same; sum df = 1 + 1/1.1 = 21/11.
        #
        # no charge: solar 4,380 MWh at 40, grid 7,620 MWh at 100 + carbon 7,620 x 25
        #   = 175,200 + 762,000 + 190,500 = 1,127,700 per year -> x 21/11 = 2,152,881.818...
        (0, 2.0, 1_127_700 * 21 / 11),
        # 100,000 $/MW-year: solar costs 40 + 45.66 = 85.66 < 125 -> take the 2 MW;
        #   capacity charge 2 x 100,000 = 200,000 per year -> (1,127,700 + 200,000) x 21/11
        #   = 2,534,700
        (100_000, 2.0, 1_327_700 * 21 / 11),
        # 200,000 $/MW-year: solar costs 40 + 91.32 = 131.32 > 125 -> no solar;
        #   grid 12,000 x 125 = 1,500,000 per year -> x 21/11 = 2,863,636.36...
        (200_000, 0.0, 1_500_000 * 21 / 11),
    ],
)
def test_energy_contract_choice_by_price_and_capacity_factor(tmp_path, charge, solar_mw, objective):
    data = write_case(
        tmp_path / "case",
        parameters={"last_year": 2026, "discount_rate": 0.1, "carbon_price_usd_per_t": 50},
        sites=[{"site": "A", "existing_wspm": 2000, "max_wspm": 2000, "energy_mwh_per_wafer": 1}],
        products=[{"gpus_per_wafer": 10}],
        demand={2025: 120_000, 2026: 120_000},  # 12,000 wafers a year
        energy=[
            {"contract": "GRID", "price_usd_per_mwh": 100, "max_mw": 10, "co2_t_per_mwh": 0.5},
            {
                "contract": "SOLAR",
                "source": "solar",
                "price_usd_per_mwh": 40,
                "max_mw": 2,
                "capacity_factor": 0.25,
                "last_year": 2030,  # beyond the horizon: only 2025 and 2026 charges count
                "fixed_usd_per_mw_year": charge,
            },
        ],
    )
    r = solve_and_verify(data, tmp_path)
    contracts = r.tables["contracts"].set_index("contract")
    assert contracts.loc["SOLAR", "mw"] == approx(solar_mw)
    solar_mwh = 4_380 if solar_mw else 0
    energy = r.tables["energy"]
    for year in (2025, 2026):
        assert value(energy, "mwh", contract="SOLAR", year=year) == approx(solar_mwh)
        assert value(energy, "mwh", contract="GRID", year=year) == approx(12_000 - solar_mwh)
    # the grid contract must cover 12,000 - 4,380 = 7,620 MWh (or 12,000) at capacity factor 1
    assert contracts.loc["GRID", "mw"] >= (12_000 - solar_mwh) / 8760 - 1e-9
    assert cost(r, "energy_capacity") == approx(solar_mw * charge * 21 / 11)
    assert cost(r, "carbon") == approx((12_000 - solar_mwh) * 0.5 * 50 * 21 / 11)
    assert r.summary["objective_usd"] == approx(objective)


# --- region lanes --------------------------------------------------------------------------------


def lanes_case(path: Path, shipping: list[dict]) -> Path:
    """Site X (region RX, opex $10/wafer) and Y (region RY, $50/wafer), 1,000 wspm each
    (12,000 wafers = GPUs a year), demand 5,000 GPUs in US and 4,000 in EU, one year."""
    return write_case(
        path,
        parameters={"unmet_penalty_usd_per_gpu": 1000},
        sites=[
            {
                "site": "X",
                "region": "RX",
                "existing_wspm": 1000,
                "max_wspm": 1000,
                "opex_usd_per_wafer": 10,
            },
            {
                "site": "Y",
                "region": "RY",
                "existing_wspm": 1000,
                "max_wspm": 1000,
                "opex_usd_per_wafer": 50,
            },
        ],
        demand=[{"market": "US", "gpus": 5000}, {"market": "EU", "gpus": 4000}],
        shipping=shipping,
    )


def test_missing_lane_forbids_a_region_serving_a_market(tmp_path):
    # Lanes RX->US $1, RY->US $2, RY->EU $3; no RX->EU lane.
    # US: X at 10 + 1 = 11 beats Y at 50 + 2 = 52 -> 5,000 x 11 = 55,000
    # EU: only Y may serve it, 50 + 3 = 53 -> 4,000 x 53 = 212,000 (X would cost 10 but is barred)
    # objective = 267,000 (operations 50,000 + 200,000; shipping 5,000 + 12,000)
    data = lanes_case(
        tmp_path / "case",
        [
            {"region": "RX", "market": "US", "cost_usd_per_gpu": 1},
            {"region": "RY", "market": "US", "cost_usd_per_gpu": 2},
            {"region": "RY", "market": "EU", "cost_usd_per_gpu": 3},
        ],
    )
    r = solve_and_verify(data, tmp_path)
    lanes = r.tables["shipments"]  # site X is region RX's only site, Y is RY's
    assert value(lanes, "gpus", region="RX", market="EU") == 0
    assert value(lanes, "gpus", region="RY", market="EU") == approx(4000)
    assert value(lanes, "gpus", region="RX", market="US") == approx(5000)
    assert value(lanes, "gpus", region="RY", market="US") == approx(0)
    assert cost(r, "operations") == approx(250_000)
    assert cost(r, "shipping") == approx(17_000)
    assert r.summary["objective_usd"] == approx(267_000)


def test_market_without_any_lane_goes_unmet(tmp_path):
    # Only RX->US exists: EU's 4,000 GPUs are unmet at $1,000 = 4,000,000; US as above 55,000.
    data = lanes_case(tmp_path / "case", [{"region": "RX", "market": "US", "cost_usd_per_gpu": 1}])
    r = solve_and_verify(data, tmp_path)
    assert value(r.tables["unmet"], "gpus", market="EU") == approx(4000)
    assert value(r.tables["shipments"], "gpus", market="EU") == 0
    assert r.summary["objective_usd"] == approx(4_055_000)


# --- partners: commitments and shares force dearer capital --------------------------------------

# Horizon 2025-2026, d = 5%, asset life 10. Greenfield site A (region R1), lead 1, capex
# $100,000/wspm; demand 12,000 GPUs in 2026 needs 1,000 wspm decided in 2025 -> $100,000,000 of
# capital raised in 2025, repaid 2026..2035 (ordinary annuity), of which only 2026 is inside the
# horizon: sum df = 1/1.05 = 0.952380952. A(0.03, 10) = 0.1172305066, A(0.10, 10) = 0.1627453949,
# A(0.05, 10) = 0.1295045750.
CAPITAL = 100_000_000
DF_2026 = 1 / 1.05


def funded_build_case(path: Path, **tables: object) -> Path:
    return write_case(
        path,
        parameters={
            "last_year": 2026,
            "discount_rate": 0.05,
            "asset_life_years": 10,
            "unmet_penalty_usd_per_gpu": 100_000,
        },
        sites=tables.pop(
            "sites",
            [{"site": "A", "capex_usd_per_wspm": 100_000, "lead_time_years": 1}],
        ),
        demand={2026: 12_000},
        **tables,
    )


@pytest.mark.parametrize(
    ("cheap", "dear", "partner_regions", "cheap_usd"),
    [
        # CHEAP committed at most $30M -> CHEAP 30M, DEAR 70M
        # financing = (30M x 0.1172305 + 70M x 0.1627454) / 1.05
        #   = (3,516,915.20 + 11,392,177.64) / 1.05 = 14,199,136.04
        ({"max_commitment_musd": 30}, {}, None, 30_000_000),
        # CHEAP at most 25% of all capital -> 25M, DEAR 75M: 14,415,873.60
        ({"max_share": 0.25}, {}, None, 25_000_000),
        # both limits: the tighter (commitment $20M < 25% = $25M) binds -> 20M, DEAR 80M
        ({"max_commitment_musd": 20, "max_share": 0.25}, {}, None, 20_000_000),
        # DEAR must hold at least 60% -> DEAR 60M, CHEAP 40M: 13,765,660.91
        ({}, {"min_share": 0.6}, None, 40_000_000),
        # CHEAP may hold at most 49% of R1's capital -> 49M, DEAR 51M: 13,375,533.30
        ({}, {}, [{"partner": "CHEAP", "region": "R1", "max_share": 0.49}], 49_000_000),
        # CHEAP may not fund R1 at all -> DEAR 100M: 100M x 0.1627454 / 1.05 = 15,499,561.42
        ({}, {}, [{"partner": "CHEAP", "region": "R1", "max_share": 0}], 0),
    ],
)
def test_partner_limits_force_dearer_capital(tmp_path, cheap, dear, partner_regions, cheap_usd):
    data = funded_build_case(
        tmp_path / "case",
        partners=[
            {"partner": "CHEAP", "cost_of_capital": 0.03, **cheap},
            {"partner": "DEAR", "cost_of_capital": 0.10, **dear},
        ],
        partner_regions=partner_regions,
    )
    r = solve_and_verify(data, tmp_path)
    dear_usd = CAPITAL - cheap_usd
    funding = r.tables["funding"]
    assert value(funding, "usd", partner="CHEAP") == approx(cheap_usd, abs_=1e-3)
    assert value(funding, "usd", partner="DEAR") == approx(dear_usd, abs_=1e-3)
    assert set(funding["year"]) == {2025}
    cheap_cost = cheap_usd * annuity(0.03, 10) * DF_2026
    dear_cost = dear_usd * annuity(0.10, 10) * DF_2026
    summary = r.tables["partner_summary"].set_index("partner")
    assert summary.loc["CHEAP", "financing_cost_npv_usd"] == approx(cheap_cost, abs_=1e-3)
    assert summary.loc["DEAR", "financing_cost_npv_usd"] == approx(dear_cost, abs_=1e-3)
    assert summary.loc["CHEAP", "share"] == approx(cheap_usd / CAPITAL)
    assert cost(r, "financing") == approx(cheap_cost + dear_cost)
    assert r.summary["objective_usd"] == approx(cheap_cost + dear_cost)


# --- grants with a cap ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cap_musd", "grant_usd"),
    [
        # grant = min(rate x capex, cap) = min(0.3 x 100M = 30M, 20M) = 20M
        # financing (implicit partner at d = 5%): 80M x A(0.05,10) 0.1295046 / 1.05
        #   = 9,867,015.24
        (20, 20_000_000),
        # min(30M, 50M) = 30M -> 70M x 0.1295046 / 1.05 = 8,633,638.33
        (50, 30_000_000),
        # no cap: 30M
        (None, 30_000_000),
    ],
)
def test_grant_is_rate_times_capex_up_to_the_cap(tmp_path, cap_musd, grant_usd):
    data = funded_build_case(
        tmp_path / "case",
        sites=[
            {
                "site": "A",
                "capex_usd_per_wspm": 100_000,
                "lead_time_years": 1,
                "subsidy_rate": 0.3,
                "subsidy_cap_musd": cap_musd,
            }
        ],
    )
    r = solve_and_verify(data, tmp_path)
    builds = r.tables["builds"]
    assert builds["capex_usd"].sum() == approx(CAPITAL, abs_=1e-3)
    assert builds["grant_usd"].sum() == approx(grant_usd, abs_=1e-3)
    assert r.tables["grants"]["usd"].sum() == approx(grant_usd, abs_=1e-3)
    assert r.tables["funding"]["usd"].sum() == approx(CAPITAL - grant_usd, abs_=1e-3)
    financing = (CAPITAL - grant_usd) * annuity(0.05, 10) * DF_2026
    assert cost(r, "financing") == approx(financing)
    assert r.summary["objective_usd"] == approx(financing)


# --- concentration cap ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regions", "built_c", "built_d"),
    [
        # no cap: all 1,000 wspm in the cheaper region RC ($100,000/wspm)
        # financing = 100M x A(0.05,10) / 1.05 = 12,333,769.04
        (None, 1000, 0),
        # RC at most 60% of installed capacity from 2026: C <= 0.6 (C + D) <=> D >= 2C/3.
        # min 1e5 C + 2e5 D s.t. C + D >= 1,000, D >= 2C/3 -> C = 600, D = 400
        # capital = 600 x 1e5 + 400 x 2e5 = 140M -> 140M x 0.1295046 / 1.05 = 17,267,276.66
        ([{"region": "RC", "max_capacity_share": 0.6, "from_year": 2026}], 600, 400),
    ],
)
def test_concentration_cap_forces_a_build_in_a_dearer_region(tmp_path, regions, built_c, built_d):
    data = funded_build_case(
        tmp_path / "case",
        sites=[
            {"site": "C", "region": "RC", "capex_usd_per_wspm": 100_000, "lead_time_years": 1},
            {"site": "D", "region": "RD", "capex_usd_per_wspm": 200_000, "lead_time_years": 1},
        ],
        regions=regions,
    )
    r = solve_and_verify(data, tmp_path)
    builds = r.tables["builds"]
    assert value(builds, "wspm", site="C") == approx(built_c)
    assert value(builds, "wspm", site="D") == approx(built_d)
    cap = r.tables["capacity"]
    installed_c = value(cap, "installed_wspm", site="C", year=2026)
    installed = value(cap, "installed_wspm", year=2026)
    if regions:
        assert installed_c <= 0.6 * installed + 1e-6
    capital = built_c * 100_000 + built_d * 200_000
    financing = capital * annuity(0.05, 10) * DF_2026
    assert r.summary["objective_usd"] == approx(financing)


# --- site fixed costs and site size ---------------------------------------------------------------


def test_fixed_site_cost_while_open(tmp_path):
    # E: existing 1,000 wspm (12,000 GPUs a year), fixed $1,000,000 a year, open every year.
    # G: greenfield, room for exactly 1,000 wspm, lead 1, capex 0, fixed $2,000,000 a year.
    # Demand 12,000 in 2025 and 24,000 in 2026-2027: G must be built in full in 2025 (online
    # 2026; a 2026 build would miss 2026), so G is open from 2025 (built = max_wspm x open).
    # Keeping G (2M a year) beats 12,000 unmet GPUs at $1,000 (12M a year).
    # site_fixed = (1M + 2M) x (1 + 1/1.1 + 1/1.21) = 3M x 3.31/1.21 = 8,206,611.57
    data = write_case(
        tmp_path / "case",
        parameters={"last_year": 2027, "discount_rate": 0.1, "unmet_penalty_usd_per_gpu": 1000},
        sites=[
            {
                "site": "E",
                "existing_wspm": 1000,
                "max_wspm": 1000,
                "fixed_cost_usd_per_year": 1_000_000,
            },
            {
                "site": "G",
                "max_wspm": 1000,
                "lead_time_years": 1,
                "fixed_cost_usd_per_year": 2_000_000,
            },
        ],
        demand={2025: 12_000, 2026: 24_000, 2027: 24_000},
    )
    r = solve_and_verify(data, tmp_path)
    builds = r.tables["builds"]
    assert value(builds, "wspm", site="G", year=2025) == approx(1000)
    cap = r.tables["capacity"]
    for year in (2025, 2026, 2027):
        assert value(cap, "open", site="E", year=year) == approx(1)
        assert value(cap, "open", site="G", year=year) == approx(1)
    assert r.tables["unmet"].empty
    assert cost(r, "site_fixed") == approx(3_000_000 * 3.31 / 1.21)
    assert r.summary["objective_usd"] == approx(3_000_000 * 3.31 / 1.21)


# --- unmet demand when capacity cannot be built in time ------------------------------------------


def test_unmet_demand_when_capacity_cannot_be_built_in_time(tmp_path):
    # Existing site A: 1,000 wspm, 12,000 GPUs a year, opex $10/wafer. Greenfield site B has a
    # 3-year lead time: a build decided in 2025 would be online in 2028, after the horizon
    # (2025-2027). Demand 20,000 a year -> 8,000 unmet every year at $500.
    # per year: 8,000 x 500 + 12,000 x 10 = 4,120,000; sum df at 10% = 1 + 1/1.1 + 1/1.21
    #   = 3.31/1.21 -> objective = 4,120,000 x 3.31 / 1.21 = 11,270,413.22
    data = write_case(
        tmp_path / "case",
        parameters={"last_year": 2027, "discount_rate": 0.1, "unmet_penalty_usd_per_gpu": 500},
        sites=[
            {"site": "A", "existing_wspm": 1000, "max_wspm": 1000, "opex_usd_per_wafer": 10},
            {"site": "B", "capex_usd_per_wspm": 1, "lead_time_years": 3},
        ],
        demand=dict.fromkeys(range(2025, 2028), 20_000),
    )
    r = solve_and_verify(data, tmp_path)
    assert r.tables["builds"].empty
    unmet = r.tables["unmet"].set_index("year")["gpus"]
    for year in (2025, 2026, 2027):
        assert unmet[year] == approx(8000)
    assert cost(r, "unmet_demand") == approx(8000 * 500 * 3.31 / 1.21)
    assert r.summary["objective_usd"] == approx(4_120_000 * 3.31 / 1.21)
    # the marginal GPU is unmet: its price is the penalty, $500 in each year's dollars
    prices = r.tables["prices"].set_index("year")["usd_per_gpu"]
    for year in (2025, 2026, 2027):
        assert prices[year] == approx(500)


# --- annuity arithmetic --------------------------------------------------------------------------


def payment_stream_npv(rate: float, life: int, year: int, first: int, last: int, d: float):
    """NPV at `first` of repaying $1 raised in `year`, built from the loan schedule itself.

    The yearly payment P is the one that brings the balance of $1 to zero after `life` years
    of interest at `rate` (balance_L = (1+r)^L - P sum_k (1+r)^k = 0), found without the
    annuity formula. Interest accrues for a year before each payment, so the payments fall at
    the end of each loan year, in years year+1 .. year+life, and count only up to `last`.
    """
    growth = [(1 + rate) ** k for k in range(life)]
    payment = (1 + rate) ** life / sum(growth)
    balance = 1.0
    for _ in range(life):
        balance = balance * (1 + rate) - payment
    assert abs(balance) < 1e-12  # the schedule repays the loan
    return sum(
        payment / (1 + d) ** (t - first)
        for t in range(year + 1, year + life + 1)
        if first <= t <= last
    )


@pytest.mark.parametrize(
    ("rate", "life", "per_dollar"),
    [
        # raised 2026, horizon to 2030, d = 6%: r = 9%, L = 10 -> payments 2027..2036, only
        # 2027..2030 count: A = 0.09 / (1 - 1.09^-10) = 0.09 / (1 - 0.4224108) = 0.1558201,
        # sum df = 1.06^-2 + 1.06^-3 + 1.06^-4 + 1.06^-5
        #        = 0.8899964 + 0.8396193 + 0.7920937 + 0.7472582 = 3.2689676
        # -> 0.1558201 x 3.2689676 = 0.5093708 per dollar
        (0.09, 10, 0.5093708),
        # L = 3: payments 2027..2029 all inside: A = 0.09 / (1 - 1.09^-3) = 0.09 / 0.2278165
        # = 0.3950548, sum df = 0.8899964 + 0.8396193 + 0.7920937 = 2.5217094
        # -> 0.3950548 x 2.5217094 = 0.9962133 at 2025; in 2026 money 0.9962133 x 1.06
        # = 1.0559861 > 1: a 9% loan repaid in full costs more than the dollar at d = 6%
        (0.09, 3, 0.9962133),
        # r = 0, L = 4: A = 1/4, payments 2027..2030: sum df = 3.2689676 -> 0.8172419
        (0.0, 4, 0.8172419),
    ],
)
def test_financing_cost_of_a_dollar_is_the_truncated_annuity(tmp_path, rate, life, per_dollar):
    # Site A may first build in 2026 (lead 1); demand 12,000 GPUs in 2027-2030 needs 1,000 wspm
    # decided in 2026 at $1,000/wspm: exactly $1,000,000 raised in 2026 from partner P at `rate`.
    data = write_case(
        tmp_path / "case",
        parameters={"last_year": 2030, "discount_rate": 0.06, "asset_life_years": life},
        sites=[
            {
                "site": "A",
                "capex_usd_per_wspm": 1000,
                "lead_time_years": 1,
                "first_build_year": 2026,
            }
        ],
        demand=dict.fromkeys(range(2027, 2031), 12_000),
        partners=[{"partner": "P", "cost_of_capital": rate}],
    )
    r = solve_and_verify(data, tmp_path)
    funding = r.tables["funding"]
    assert list(funding["year"]) == [2026]
    assert funding["usd"].sum() == approx(1_000_000, abs_=1e-3)
    closed_form = annuity(rate, life) * sum(
        1.06 ** -(t - 2025) for t in range(2027, 2027 + life) if t <= 2030
    )
    assert closed_form == pytest.approx(per_dollar, rel=1e-6)  # hand numbers: 7 digits
    assert payment_stream_npv(rate, life, 2026, 2025, 2030, 0.06) == pytest.approx(
        closed_form, rel=1e-12
    )
    assert r.summary["objective_usd"] / 1_000_000 == approx(closed_form)
    assert cost(r, "financing") / 1_000_000 == approx(closed_form)


# --- costs add up --------------------------------------------------------------------------------


def test_cost_components_sum_to_the_objective(tmp_path):
    # The tiny fixture has every component at work (builds, grants, two partners, energy with
    # carbon and a capacity charge, shipping, fixed site costs).
    r = solve_and_verify(write_tiny_case(tmp_path / "tiny"), tmp_path)
    costs = r.tables["costs"].set_index("component")["npv_usd"]
    assert list(costs.index) == [
        "financing",
        "site_fixed",
        "energy_capacity",
        "operations",
        "operator_opex",
        "purchases",
        "energy",
        "carbon",
        "shipping",
        "unmet_demand",
    ]
    for component in ("financing", "site_fixed", "operations", "energy", "carbon", "shipping"):
        assert costs[component] > 0, component
    objective = r.summary["objective_usd"]
    assert math.isclose(costs.sum(), objective, rel_tol=1e-6)
    # and the file on disk says the same
    on_disk = pd.read_csv(r.out_dir / "costs.csv")["npv_usd"].sum()
    assert math.isclose(on_disk, objective, rel_tol=1e-6)
