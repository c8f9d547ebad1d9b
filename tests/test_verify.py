"""`fabplan verify` on a hand-made plan (tests/data/plan_tiny) and on perturbed copies of it.

The case (tests/data/plan_tiny/data): years 2025-2027, discount_rate 0.1, one scenario "base"
(p = 1), product GPU (node N3, 20 GPUs per wafer), market "global", demand 240,000 / 300,000 /
360,000 GPUs; unmet penalty 1,000 USD/GPU; carbon 100 USD/t; asset life 3 years; ramp_up 0.5.
  TW_A (region TW): existing 1,000 wspm, max 1,500, utilization 1.0, capex 100,000 USD/wspm,
        opex 1,000 USD/wafer, 2 MWh/wafer, lead 1 year, fixed 1,000,000 USD/year, no subsidy.
  US_B (region US): existing 0, max 1,000, utilization 0.8, capex 200,000 USD/wspm, opex 1,500,
        3.65 MWh/wafer, lead 1, fixed 2,000,000 USD/year, subsidy 25% capped at 10 MUSD,
        module 100 wspm.
  Shipping: TW->global 5 USD/GPU, US->global 10 USD/GPU.
  Contracts: TW_GRID (TW, 80 USD/MWh, max 5 MW, cf 1.0, 2025-2027, 0.5 t/MWh, no charge);
             US_SOLAR (US, 30 USD/MWh, max 10 MW, cf 0.25, 2026-2027, 0 t/MWh, 50,000 USD/MW-yr).
  Partners: INV (investor, 100 MUSD, 10%, share 0-0.8), GOV (government, 50 MUSD, 0%, 0.2-1);
            GOV may not fund TW (max_share 0), INV at most 70% of the capital for US sites.
  Concentration: TW at most 75% of installed capacity from 2026.

The plan (tests/data/plan_tiny/plan), worked out by hand:
  Builds: US_B 2025 500 wspm (online 2026), TW_A 2026 200 wspm (online 2027).
  Available wspm (ramp 0.5 in the first year online): TW_A 1000, 1000, 1000 + 0.5x200 = 1100;
    US_B 0, 0.5x500 = 250, 500.  Installed: TW_A 1000, 1000, 1200; US_B 0, 500, 500.
  Wafers = 12 x utilization x available: TW_A 12,000, 12,000, 13,200; US_B 0, 2,400, 4,800.
  GPUs (x20): TW_A 240,000, 240,000, 264,000; US_B 0, 48,000, 96,000.
  Demand: 2025 met; 2026 288,000 of 300,000 -> 12,000 unmet; 2027 360,000 met.
  Energy: TW_A 2 MWh x wafers = 24,000, 24,000, 26,400 MWh from TW_GRID (4 MW x 8760 = 35,040);
    US_B 3.65 x 2,400 = 8,760 and 3.65 x 4,800 = 17,520 MWh from US_SOLAR at 8 MW
    (8760 x 0.25 x 8 = 17,520 MWh: binding in 2027).
  Site size: US_B 500 <= 1,000 x open 0.5 (open 0.5 in every year); TW_A 1,200 <= 1,500 x 1.
  Money: US_B capex 500 x 200,000 = 100,000,000; grant min(25% x 100M, 10M cap) = 10,000,000;
    partners 90,000,000 = INV 50,000,000 + GOV 40,000,000 (INV 50M <= 70% x 90M = 63M).
    TW_A capex 200 x 100,000 = 20,000,000, all INV (GOV may not fund TW).
    F = 110,000,000; INV 70M = 63.6% <= 80%, <= 100M; GOV 40M = 36.4% >= 20%, <= 50M.
  Concentration: TW 1000/1500 = 66.7% in 2026, 1200/1700 = 70.6% in 2027 (<= 75%).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.errors import InputError
from optimizer.verify import VerifyResult, run_verify_command, verify_plan

FIXTURE = Path(__file__).parent / "data" / "plan_tiny"

# Discount factors df(t) = 1/1.1^(t-2025).
DF = [1.0, 1 / 1.1, 1 / 1.21]  # 1, 0.909091, 0.826446
SUM_DF = 1 + 1 / 1.1 + 1 / 1.21  # 2.735537

# Hand-computed NPV of every cost component (USD).
# financing: A(r, L) = r / (1 - (1+r)^-L); an ordinary annuity: a dollar funded in year y is
#   repaid in years y+1 .. y+L, and only the payments inside 2025-2027 count.
#   INV r = 0.1, L = 3: A = 0.1 / (1 - 1.1^-3) = 0.1 / (1 - 0.7513148) = 0.4021148 per USD.
#     50,000,000 at US_B 2025: paid 2026, 2027 (2028 is outside) -> 50e6 x 0.4021148 x
#       (0.9090909 + 0.8264463) = 50e6 x 0.6978852 = 34,894,259.82.
#     20,000,000 at TW_A 2026: paid 2027 (2028, 2029 are outside) -> 20e6 x 0.4021148 x
#       0.8264463 = 20e6 x 0.3323263 = 6,646,525.68.
#   GOV r = 0: A = 1/3. 40,000,000 at US_B 2025: paid 2026, 2027 -> 40e6 / 3 x 1.7355372
#     = 23,140,495.87.
A_INV = 0.1 / (1 - 1.1**-3)
FIN_INV = 50e6 * A_INV * (DF[1] + DF[2]) + 20e6 * A_INV * DF[2]  # 41,540,785.50
FIN_GOV = 40e6 / 3 * (DF[1] + DF[2])  # 23,140,495.87
HAND = {
    # 34,894,259.82 + 6,646,525.68 + 23,140,495.87 = 64,681,281.37
    "financing": FIN_INV + FIN_GOV,
    # site_fixed: TW_A 1e6 x 1 x 2.7355372 + US_B 2e6 x 0.5 x 2.7355372 = 5,471,074.38
    "site_fixed": 1e6 * SUM_DF + 2e6 * 0.5 * SUM_DF,
    # energy_capacity: US_SOLAR 50,000 USD/MW-yr x 8 MW x (df 2026 + df 2027) = 694,214.88
    "energy_capacity": 50_000 * 8 * (DF[1] + DF[2]),
    # operations: 2025 12,000 x 1,000 = 12.0M; 2026 12.0M + 2,400 x 1,500 = 15.6M;
    #   2027 13,200 x 1,000 + 4,800 x 1,500 = 20.4M -> 12.0M + 15.6M/1.1 + 20.4M/1.21
    #   = 12,000,000 + 14,181,818.18 + 16,859,504.13 = 43,041,322.31
    "operations": 12.0e6 * DF[0] + 15.6e6 * DF[1] + 20.4e6 * DF[2],
    # operator_opex: no operators.csv, no operator opex (the plan predates the component: 0)
    "operator_opex": 0.0,
    # purchases: no supply_offers.csv, nothing bought (the plan predates the component: 0)
    "purchases": 0.0,
    # energy: 2025 24,000 x 80 = 1,920,000; 2026 1,920,000 + 8,760 x 30 = 2,182,800;
    #   2027 26,400 x 80 + 17,520 x 30 = 2,637,600 -> 6,084,198.35
    "energy": 1_920_000 * DF[0] + 2_182_800 * DF[1] + 2_637_600 * DF[2],
    # carbon: TW_GRID 0.5 t/MWh x 100 USD/t = 50 USD/MWh: 1.2M, 1.2M, 1.32M -> 3,381,818.18
    "carbon": 1.2e6 * DF[0] + 1.2e6 * DF[1] + 1.32e6 * DF[2],
    # shipping: 2025 240,000 x 5 = 1.2M; 2026 1.2M + 48,000 x 10 = 1.68M;
    #   2027 264,000 x 5 + 96,000 x 10 = 2.28M -> 4,611,570.25
    "shipping": 1.2e6 * DF[0] + 1.68e6 * DF[1] + 2.28e6 * DF[2],
    # unmet_demand: 12,000 GPUs x 1,000 USD in 2026 -> 12M / 1.1 = 10,909,090.91
    "unmet_demand": 12e6 * DF[1],
}
# sum of the above: 64,681,281.37 + 5,471,074.38 + 694,214.88 + 43,041,322.31 + 6,084,198.35
#   + 3,381,818.18 + 4,611,570.25 + 10,909,090.91 = 138,874,570.62 (unrounded .6225), as written
#   in summary.json
OBJECTIVE = 138_874_570.62


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A private copy of the fixture (plan + data side by side); returns the plan folder."""
    shutil.copytree(FIXTURE, tmp_path / "plan_tiny")
    return tmp_path / "plan_tiny" / "plan"


def edit(path: Path, old: str, new: str | None) -> None:
    """Replace (or with None delete) one whole line of a CSV file."""
    lines = path.read_text().splitlines()
    assert lines.count(old) == 1, f"{old!r} not exactly once in {path.name}"
    i = lines.index(old)
    lines[i : i + 1] = [] if new is None else [new]
    path.write_text("\n".join(lines) + "\n")


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + line + "\n")


def edit_summary(plan: Path, **changes: object) -> None:
    summary = json.loads((plan / "summary.json").read_text())
    summary.update(changes)
    (plan / "summary.json").write_text(json.dumps(summary))


def violations(plan: Path, family: str, data: Path | None = None) -> list[str]:
    result = verify_plan(plan, data)
    assert not result.ok
    return [v for v in result.violations if v.startswith(f"{family}: ")]


# --- the correct plan ------------------------------------------------------------------------


def test_hand_plan_verifies_with_hand_computed_costs() -> None:
    result = verify_plan(FIXTURE / "plan")
    assert isinstance(result, VerifyResult)
    assert result.violations == []
    assert result.ok
    assert result.inputs_unchanged
    costs = result.costs.set_index("component")
    assert list(costs.index) == list(HAND)
    for component, expected in HAND.items():
        assert costs.loc[component, "recomputed_npv_usd"] == pytest.approx(expected, rel=1e-12)
        assert costs.loc[component, "plan_npv_usd"] == pytest.approx(expected, abs=0.005)
    assert HAND["financing"] == pytest.approx(64_681_281.37, abs=0.005)
    assert sum(HAND.values()) == pytest.approx(OBJECTIVE, abs=0.005)
    assert result.recomputed_objective_usd == pytest.approx(OBJECTIVE, abs=0.005)
    # rows checked: 3 demand rows (years), 2 sites x 3 years capacity rows, 2 builds, 3 funding
    # rows (2 builds), 2 contracts x 3 years contract rows + 2 contracts.csv rows.
    assert result.checks["demand"] == 3
    assert result.checks["capacity"] == 6
    assert result.checks["build timing"] == 2
    assert result.checks["funding"] == 2
    assert result.checks["energy contract"] == 8
    assert result.checks["concentration"] == 2  # TW in 2026 and 2027
    assert "integer" not in result.checks  # an LP plan
    text = "\n".join(result.summary_lines())
    assert "OK: the plan satisfies every constraint" in text
    assert "tolerance:" in text and "1e-06" in text


def test_the_annuity_factor_matches_its_closed_form() -> None:
    # An ordinary annuity of L payments at rate r, paid one year apart from a year after the
    # loan, discounted at the same rate is worth exactly the dollar:
    # A x sum_{j=1}^{L} (1+r)^-j = r/(1-(1+r)^-L) x (1-(1+r)^-L)/r = 1.
    # r = 0.1, L = 3: A = 0.1 / (1 - 1/1.331) = 0.1331 / 0.331 = 0.4021148;
    # 0.4021148 x (1/1.1 + 1/1.21 + 1/1.331) = 0.4021148 x 2.4868520 = 1.
    from optimizer.verify.finance import annuity_factor

    assert float(annuity_factor(0.1, 3)) == pytest.approx(0.1331 / 0.331, rel=1e-12)
    assert float(annuity_factor(0.1, 3)) * (1 / 1.1 + 1 / 1.21 + 1 / 1.331) == pytest.approx(
        1.0, rel=1e-12
    )
    assert float(annuity_factor(0.0, 4)) == 0.25


def test_verify_command_exit_codes(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_verify_command(tiny, None) == 0
    assert "OK" in capsys.readouterr().out
    edit(tiny / "unmet.csv", "base,GPU,global,2026,12000", None)
    assert run_verify_command(tiny, None) == 1
    err = capsys.readouterr().err
    assert "demand: scenario base, product GPU, market global, 2026" in err


# --- one perturbation per constraint family -----------------------------------------------------


def test_demand_short(tiny: Path) -> None:
    # 2026: 240,000 (TW_A) + 48,000 (US_B) made + 11,000 unmet = 299,000 < 300,000
    edit(tiny / "unmet.csv", "base,GPU,global,2026,12000", "base,GPU,global,2026,11000")
    assert violations(tiny, "demand") == [
        "demand: scenario base, product GPU, market global, 2026: 288,000 GPUs shipped + 11,000 "
        "unmet = 299,000 < 300,000 demanded, short by 1,000"
    ]


def test_production_gpus_inconsistent_with_wafers(tiny: Path) -> None:
    edit(
        tiny / "production.csv",
        "base,TW_A,GPU,2025,12000,240000",
        "base,TW_A,GPU,2025,12000,250000",
    )
    assert violations(tiny, "production") == [
        "production: production.csv line 2: scenario base, site TW_A, product GPU, 2025: "
        "250,000 GPUs listed but 12,000 wafers x 20 GPUs per wafer = 240,000"
    ]


def test_shipment_without_a_shipping_lane(tiny: Path) -> None:
    edit(
        tiny / "shipments.csv",
        "base,US,GPU,global,2027,96000,960000",
        "base,US,GPU,EU,2027,96000,960000",
    )
    assert violations(tiny, "shipments") == [
        "shipments: shipments.csv line 6: scenario base, region US, product GPU, market EU, "
        "2027: no shipping lane from region US to market EU in shipping.csv"
    ]


def test_shipment_cost_inconsistent(tiny: Path) -> None:
    # TW -> global costs 5 USD/GPU: 240,000 GPUs x 5 = 1,200,000 USD, not 1,000,000
    edit(
        tiny / "shipments.csv",
        "base,TW,GPU,global,2025,240000,1200000",
        "base,TW,GPU,global,2025,240000,1000000",
    )
    assert violations(tiny, "shipments") == [
        "shipments: shipments.csv line 2: scenario base, region TW, product GPU, market global, "
        "2025: cost_usd 1,000,000 but 240,000 GPUs x 5 USD/GPU = 1,200,000"
    ]


def test_region_ships_other_than_it_makes(tiny: Path) -> None:
    # US 2026: US_B makes 2,400 wafers x 20 = 48,000 GPUs but 50,000 are listed as shipped
    edit(
        tiny / "shipments.csv",
        "base,US,GPU,global,2026,48000,480000",
        "base,US,GPU,global,2026,50000,500000",
    )
    assert violations(tiny, "region balance") == [
        "region balance: scenario base, region US, product GPU, 2026: 48,000 GPUs made at the "
        "region's sites or bought there but 50,000 shipped from it, off by -2,000"
    ]


def test_capacity_exceeded(tiny: Path) -> None:
    # US_B 2027: 12 x 0.8 x 500 = 4,800 wafers available; 5,000 made.
    edit(
        tiny / "production.csv",
        "base,US_B,GPU,2027,4800,96000",
        "base,US_B,GPU,2027,5000,100000",
    )
    assert violations(tiny, "capacity") == [
        "capacity: site US_B 2027 scenario base: 5,000 wafers made > 4,800 available "
        "(12 x 0.8 x 500 wspm), over by 200"
    ]


def test_ramp_up_limits_the_first_year_online(tiny: Path) -> None:
    # Without ramp-up US_B would have 500 wspm in 2026; with ramp 0.5 only 250 -> 2,400 wafers.
    edit(
        tiny / "production.csv",
        "base,US_B,GPU,2026,2400,48000",
        "base,US_B,GPU,2026,4800,96000",
    )
    assert violations(tiny, "capacity") == [
        "capacity: site US_B 2026 scenario base: 4,800 wafers made > 2,400 available "
        "(12 x 0.8 x 250 wspm), over by 2,400"
    ]


def test_capacity_table_inconsistent(tiny: Path) -> None:
    edit(tiny / "capacity.csv", "TW_A,2027,1200,1100,1", "TW_A,2027,1200,1200,1")
    edit(tiny / "capacity.csv", "US_B,2026,500,250,0.5", None)
    found = violations(tiny, "capacity table")
    assert (
        "capacity table: capacity.csv line 4: site TW_A 2027 available_wspm 1,200 but existing "
        "+ builds online x ramp-up = 1,100" in found
    )
    assert "capacity table: no row in capacity.csv for site US_B 2026" in found


def test_build_before_first_build_year(tiny: Path) -> None:
    edit(
        tiny / "builds.csv",
        "US_B,2025,2026,500,100000000,10000000",
        "US_B,2024,2025,500,100000000,10000000",
    )
    found = violations(tiny, "build timing")
    assert (
        "build timing: build at US_B 2024 (500 wspm, builds.csv line 2): decided before the "
        "site's first_build_year 2025" in found
    )
    assert (
        "build timing: build at US_B 2024 (500 wspm, builds.csv line 2): decided before the "
        "first year 2025" in found
    )


def test_build_online_after_the_horizon_and_wrong_online_year(tiny: Path) -> None:
    edit(tiny / "builds.csv", "TW_A,2026,2027,200,20000000,0", "TW_A,2027,2027,200,20000000,0")
    found = violations(tiny, "build timing")
    assert found == [
        "build timing: build at TW_A 2027 (200 wspm, builds.csv line 3): online in 2028 (lead "
        "time 1 years), after the last year 2027",
        "build timing: build at TW_A 2027 (200 wspm, builds.csv line 3): online_year 2027 but "
        "2027 + lead time 1 = 2028",
    ]


def test_site_size_exceeded(tiny: Path) -> None:
    edit(tiny / "capacity.csv", "US_B,2025,0,0,0.5", "US_B,2025,0,0,0.4")
    assert violations(tiny, "site size") == [
        "site size: site US_B 2025: 0 existing + 500 built = 500 wspm > 400 allowed "
        "(max_wspm 1,000 x open 0.4), over by 100"
    ]


def test_open_must_not_fall_and_existing_sites_are_open(tiny: Path) -> None:
    edit(tiny / "capacity.csv", "US_B,2026,500,250,0.5", "US_B,2026,500,250,0.6")
    edit(tiny / "capacity.csv", "TW_A,2026,1000,1000,1", "TW_A,2026,1000,1000,1.2")
    found = violations(tiny, "open")
    assert "open: site TW_A 2026: open = 1.2, expected in [0, 1]" in found
    assert (
        "open: site US_B 2027: open = 0.5 after 0.6 in 2026; a site once open stays open" in found
    )
    assert "open: site TW_A 2027: open = 1 after 1.2 in 2026; a site once open stays open" in found


def test_existing_site_closed(tiny: Path) -> None:
    edit(tiny / "capacity.csv", "TW_A,2025,1000,1000,1", "TW_A,2025,1000,1000,0.9")
    assert (
        "open: site TW_A 2025: open = 0.9 but the site has 1,000 wspm existing capacity, so it "
        "is open (1)" in violations(tiny, "open")
    )


def test_energy_drawn_below_need(tiny: Path) -> None:
    # TW_A 2027: 13,200 wafers x 2 MWh = 26,400 MWh needed; 26,000 drawn.
    edit(
        tiny / "energy.csv",
        "base,TW_GRID,TW_A,2027,26400,2112000,13200",
        "base,TW_GRID,TW_A,2027,26000,2080000,13000",
    )
    assert violations(tiny, "energy use") == [
        "energy use: site TW_A 2027 scenario base: 26,000 MWh drawn < 26,400 MWh needed "
        "(13,200 wafers x 2 MWh per wafer), short by 400"
    ]


def test_energy_contract_region_and_years(tiny: Path) -> None:
    add_line(tiny / "energy.csv", "base,US_SOLAR,TW_A,2025,10,300,0")
    found = violations(tiny, "energy use")
    assert (
        "energy use: energy.csv line 7: scenario base, contract US_SOLAR, site TW_A, 2025: "
        "contract US_SOLAR serves region US but site TW_A is in TW" in found
    )
    assert (
        "energy use: energy.csv line 7: scenario base, contract US_SOLAR, site TW_A, 2025: "
        "contract US_SOLAR delivers only in 2026-2027" in found
    )


def test_energy_contract_capacity_and_max_mw(tiny: Path) -> None:
    # US_SOLAR at 7.5 MW delivers 8760 x 0.25 x 7.5 = 16,425 MWh < 17,520 drawn in 2027;
    # TW_GRID at 6 MW exceeds its max_mw 5.
    edit(tiny / "contracts.csv", "US_SOLAR,US,solar,8,10", "US_SOLAR,US,solar,7.5,10")
    edit(tiny / "contracts.csv", "TW_GRID,TW,grid,4,5", "TW_GRID,TW,grid,6,5")
    assert violations(tiny, "energy contract") == [
        "energy contract: contract US_SOLAR 2027 scenario base: 17,520 MWh drawn > 16,425 MWh "
        "deliverable (8760 h x 0.25 x 7.5 MW), over by 1,095",
        "energy contract: contract TW_GRID: 6 MW contracted > max_mw 5 (contracts.csv line 2)",
    ]


def test_energy_table_cost_and_co2(tiny: Path) -> None:
    edit(
        tiny / "energy.csv",
        "base,TW_GRID,TW_A,2025,24000,1920000,12000",
        "base,TW_GRID,TW_A,2025,24000,1900000,12500",
    )
    assert violations(tiny, "energy table") == [
        "energy table: energy.csv line 2: cost_usd 1,900,000 but 24,000 MWh x 80 USD/MWh = "
        "1,920,000",
        "energy table: energy.csv line 2: co2_t 12,500 but 24,000 MWh x 0.5 t/MWh = 12,000",
    ]


def test_energy_not_modelled_but_drawn(tiny: Path) -> None:
    data = tiny.parent / "data"
    (data / "energy.csv").unlink()
    summary = json.loads((tiny / "summary.json").read_text())
    del summary["inputs"]["energy.csv"]
    (tiny / "summary.json").write_text(json.dumps(summary))
    result = verify_plan(tiny)
    assert [v for v in result.violations if v.startswith("energy: ")] == [
        "energy: energy is not modelled (the data folder has no energy.csv) but the plan's "
        "energy.csv has 5 row(s) with mwh > 0 (first: line 2, 24,000 MWh)",
        "energy: energy is not modelled (the data folder has no energy.csv) but the plan's "
        "contracts.csv has 2 row(s) with mw > 0 (first: line 2, 4 MW)",
    ]
    costs = result.costs.set_index("component")["recomputed_npv_usd"]
    assert costs["energy"] == 0 and costs["carbon"] == 0 and costs["energy_capacity"] == 0


def test_funding_row_dropped(tiny: Path) -> None:
    edit(tiny / "funding.csv", "GOV,US_B,2025,40000000", None)
    assert violations(tiny, "funding") == [
        "funding: build at US_B 2025: 50,000,000 USD from partners + 10,000,000 USD grants = "
        "60,000,000 USD, but it must equal capex 100,000,000 USD (500 wspm x 200,000 USD/wspm)"
    ]


def test_funding_without_a_build(tiny: Path) -> None:
    add_line(tiny / "funding.csv", "INV,TW_A,2025,1000000")
    assert violations(tiny, "funding") == [
        "funding: build at TW_A 2025: 1,000,000 USD from partners + 0 USD grants = 1,000,000 "
        "USD, but it must equal 0 USD: builds.csv has no build there"
    ]


def test_grant_above_rate_and_cap(tiny: Path) -> None:
    # 30M grant > 25% x 100M = 25M, and > the 10 MUSD cap; GOV lowered so funding still balances.
    edit(tiny / "grants.csv", "US_B,2025,10000000", "US_B,2025,30000000")
    edit(tiny / "funding.csv", "GOV,US_B,2025,40000000", "GOV,US_B,2025,20000000")
    assert violations(tiny, "grants") == [
        # the site's own program is named after it (issue 13: subsidy programs)
        "grants: build at US_B 2025: 30,000,000 USD grants of program US_B > 25,000,000 USD "
        "allowed (subsidy_rate 0.25 x capex 100,000,000 USD)",
        "grants: program US_B: 30,000,000 USD grants over all its builds > its cap 10,000,000 "
        "USD (subsidy_cap_musd 10)",
    ]
    assert violations(tiny, "funding") == []  # 50M + 20M + 30M = 100M still balances
    assert (
        "builds table: builds.csv line 2: build at US_B 2025 grant_usd 10,000,000 but grants.csv "
        "gives 30,000,000" in violations(tiny, "builds table")
    )


def test_partner_share_and_commitment(tiny: Path) -> None:
    # INV 85M + 20M = 105M of F = 110M (95.45% > 80%; > 100 MUSD); GOV 5M = 4.55% < 20%.
    edit(tiny / "funding.csv", "INV,US_B,2025,50000000", "INV,US_B,2025,85000000")
    edit(tiny / "funding.csv", "GOV,US_B,2025,40000000", "GOV,US_B,2025,5000000")
    assert violations(tiny, "partners") == [
        "partners: partner INV: 105,000,000 USD committed > max_commitment_musd 100 "
        "(= 100,000,000 USD)",
        "partners: partner INV: 105,000,000 USD = 95.4545% of all partner capital 110,000,000 "
        "USD > max_share 0.8 (88,000,000 USD)",
        "partners: partner GOV: 5,000,000 USD = 4.5455% of all partner capital 110,000,000 USD "
        "< min_share 0.2 (22,000,000 USD)",
    ]


def test_partner_region_forbidden_and_share(tiny: Path) -> None:
    # GOV funds TW_A (forbidden); INV 70M of the 90M raised for US sites > 70% x 90M = 63M.
    edit(tiny / "funding.csv", "INV,TW_A,2026,20000000", "GOV,TW_A,2026,20000000")
    edit(tiny / "funding.csv", "INV,US_B,2025,50000000", "INV,US_B,2025,70000000")
    edit(tiny / "funding.csv", "GOV,US_B,2025,40000000", "GOV,US_B,2025,20000000")
    assert violations(tiny, "partner region") == [
        "partner region: partner GOV may not fund sites in region TW (partner_regions.csv "
        "max_share 0) but funds the build at TW_A 2026 with 20,000,000 USD (funding.csv line 4)",
        "partner region: partner INV in region US: 70,000,000 USD > 63,000,000 USD allowed "
        "(max_share 0.7 x 90,000,000 USD partner capital raised for US sites)",
    ]


def test_concentration_cap(tiny: Path) -> None:
    # TW_A builds 600 instead of 200: 2027 installed TW 1,600 of 2,100 > 75% = 1,575.
    edit(tiny / "builds.csv", "TW_A,2026,2027,200,20000000,0", "TW_A,2026,2027,600,60000000,0")
    edit(tiny / "funding.csv", "INV,TW_A,2026,20000000", "INV,TW_A,2026,60000000")
    assert violations(tiny, "concentration") == [
        "concentration: region TW 2027: 1,600 wspm installed > 1,575 allowed (0.75 x 2,100 wspm "
        "installed in all regions), over by 25"
    ]


def test_integer_mode(tiny: Path) -> None:
    edit_summary(tiny, mode="integer")
    edit(
        tiny / "builds.csv",
        "US_B,2025,2026,500,100000000,10000000",
        "US_B,2025,2026,550,110000000,10000000",
    )
    found = violations(tiny, "integer")
    assert "integer: site US_B 2025: open = 0.5, expected 0 or 1 in integer mode" in found
    assert (
        "integer: build at US_B 2025: 550 wspm is 5.5 modules of 100 wspm, expected a whole "
        "number in integer mode" in found
    )
    assert len(found) == 4  # open 0.5 in 2025, 2026, 2027 and the build


def test_negative_quantity(tiny: Path) -> None:
    add_line(tiny / "unmet.csv", "base,GPU,global,2025,-5")
    assert violations(tiny, "non-negative") == ["non-negative: unmet.csv line 3: gpus = -5"]


def test_costs_csv_number_changed(tiny: Path) -> None:
    edit(tiny / "costs.csv", "carbon,3381818.18", "carbon,3391818.18")
    result = verify_plan(tiny)
    assert [v for v in result.violations if v.startswith("costs: ")] == [
        "costs: component carbon: costs.csv says 3,391,818.18 USD, recomputed from the plan "
        "tables 3,381,818.18 USD (difference 10,000)"
    ]
    assert [v for v in result.violations if v.startswith("objective: ")] == [
        # 138,874,570.63 (the rounded components) + 10,000 = 138,884,570.63
        "objective: costs.csv components sum to 138,884,570.63 USD but summary.json "
        "objective_usd is 138,874,570.62 USD (difference 10,000.01)"
    ]


def test_objective_changed(tiny: Path) -> None:
    edit_summary(tiny, objective_usd=OBJECTIVE + 1000)
    found = violations(tiny, "objective")
    assert len(found) == 2
    assert found[1].startswith(
        "objective: recomputed cost 138,874,570.62 USD differs from "
        "summary.json objective_usd 138,875,570.62 USD"
    )


def test_tolerance_accepts_solver_noise(tiny: Path) -> None:
    # A solver with feasibility tolerance 1e-7 on rows scaled to thousands of wafers can
    # overshoot by ~1e-4 wafers: 4,800.0001 wafers against 4,800 available is accepted;
    # 4,800.1 is not (0.1 > max(1e-6 x 4,800, 0.01) = 0.01).
    edit(
        tiny / "production.csv",
        "base,US_B,GPU,2027,4800,96000",
        "base,US_B,GPU,2027,4800.0001,96000.002",
    )
    result = verify_plan(tiny)
    assert [v for v in result.violations if not v.startswith(("costs", "objective"))] == []
    edit(
        tiny / "production.csv",
        "base,US_B,GPU,2027,4800.0001,96000.002",
        "base,US_B,GPU,2027,4800.1,96002",
    )
    assert violations(tiny, "capacity") == [
        "capacity: site US_B 2027 scenario base: 4,800.1 wafers made > 4,800 available "
        "(12 x 0.8 x 500 wspm), over by 0.1"
    ]


def test_partner_summary_inconsistent(tiny: Path) -> None:
    edit(
        tiny / "partner_summary.csv",
        "INV,investor,70000000,0.636364,0.8,0,100000000,0.1,41540785.50",
        "INV,investor,75000000,0.636364,0.8,0,100000000,0.1,41540785.50",
    )
    assert violations(tiny, "partner summary") == [
        "partner summary: partner_summary.csv line 2: partner INV usd 75,000,000, expected "
        "70,000,000"
    ]


def test_unknown_site_and_duplicate_rows(tiny: Path) -> None:
    add_line(tiny / "production.csv", "base,XX,GPU,2025,1,20")
    add_line(tiny / "grants.csv", "US_B,2025,0")
    assert violations(tiny, "references") == [
        "references: production.csv line 7: site 'XX' is not in sites.csv"
    ]
    assert violations(tiny, "duplicates") == [
        "duplicates: grants.csv lines 2, 3: more than one row for site US_B, year 2025, program "
        "US_B (summed)"
    ]


# --- provenance ---------------------------------------------------------------------------------


def test_changed_input_file(tiny: Path) -> None:
    add_line(tiny.parent / "data" / "demand.csv", "# edited after the plan was made")
    result = verify_plan(tiny)
    assert not result.inputs_unchanged
    found = [v for v in result.violations if v.startswith("inputs: ")]
    assert len(found) == 1
    assert found[0].startswith("inputs: demand.csv has changed since the plan was made (sha256 ")
    assert found[0].endswith("the plan was made from different data")


def test_data_folder_given_explicitly(tiny: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(tiny.parent / "data", moved)
    shutil.rmtree(tiny.parent / "data")
    with pytest.raises(InputError) as e:
        verify_plan(tiny)
    assert e.value.problems[0].column == "data_dir"
    assert verify_plan(tiny, moved).ok


def test_overrides_recorded_in_summary_are_applied(tiny: Path) -> None:
    # With carbon_price_usd_per_t=0 the carbon component is 0, so the plan's costs.csv (made
    # at 100 USD/t) no longer matches, and summary.json's parameters disagree with the data.
    edit_summary(tiny, overrides={"carbon_price_usd_per_t": "0"})
    result = verify_plan(tiny)
    costs = result.costs.set_index("component")["recomputed_npv_usd"]
    assert costs["carbon"] == 0
    assert (
        "inputs: parameter carbon_price_usd_per_t is 100 in summary.json but 0 from the data and "
        "overrides {'carbon_price_usd_per_t': '0'}" in result.violations
    )


def test_scenario_not_in_data(tiny: Path) -> None:
    edit_summary(tiny, scenario="high", scenarios={"high": 1.0})
    found = violations(tiny, "scenarios")
    assert found[0] == "scenarios: scenario high of summary.json is not in the data"


def test_missing_table_and_bad_summary(tiny: Path) -> None:
    (tiny / "funding.csv").unlink()
    (tiny / "summary.json").write_text("{not json")
    with pytest.raises(InputError) as e:
        verify_plan(tiny)
    files = [p.file for p in e.value.problems]
    assert "plan/summary.json" in files and "plan/funding.csv" in files
    assert e.value.exit_code == 2


def test_missing_column_and_bad_number(tiny: Path) -> None:
    edit(tiny / "grants.csv", "site,year,usd", "site,year,amount")
    edit(tiny / "unmet.csv", "base,GPU,global,2026,12000", "base,GPU,global,2026,12k")
    with pytest.raises(InputError) as e:
        verify_plan(tiny)
    found = {(p.file, p.line, p.column) for p in e.value.problems}
    assert ("plan/grants.csv", 1, "usd") in found
    assert ("plan/unmet.csv", 2, "gpus") in found


def test_verify_imports_no_model_code_and_no_pyomo() -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from optimizer.verify import verify_plan\n"
        f"r = verify_plan(Path({str(FIXTURE / 'plan')!r}))\n"
        "assert r.ok, r.violations\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'pyomo'\n"
        "       or m.startswith(('optimizer.model', 'optimizer.solve', 'highspy'))]\n"
        "print('LOADED', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "LOADED []" in out.stdout


def test_two_scenarios_are_weighted_by_probability(tiny: Path) -> None:
    # Add scenario "low" (p = 0.5, base p = 0.5): its 2026 demand is 288,000, so it needs no
    # unmet GPUs; every other row is the same as base. Per scenario the operating components
    # are unchanged except unmet: 0.5 x 10,909,090.91 (base) + 0.5 x 0 (low) = 5,454,545.45.
    import hashlib

    data = tiny.parent / "data"
    for year, gpus in ((2025, 240_000), (2026, 288_000), (2027, 360_000)):
        add_line(data / "demand.csv", f"low,{year},GPU,global,{gpus}")
    edit(data / "scenarios.csv", "base,1.0,the only scenario", "base,0.5,as planned")
    add_line(data / "scenarios.csv", "low,0.5,less demand in 2026")
    for name in ("production.csv", "shipments.csv", "energy.csv"):
        for line in (tiny / name).read_text().splitlines()[1:]:
            add_line(tiny / name, line.replace("base,", "low,", 1))
    summary = json.loads((tiny / "summary.json").read_text())
    for name in ("demand.csv", "scenarios.csv"):
        summary["inputs"][name] = hashlib.sha256((data / name).read_bytes()).hexdigest()
    summary["scenarios"] = {"base": 0.5, "low": 0.5}
    summary.pop("scenario")
    (tiny / "summary.json").write_text(json.dumps(summary))

    result = verify_plan(tiny)
    costs = result.costs.set_index("component")["recomputed_npv_usd"]
    assert costs["unmet_demand"] == pytest.approx(0.5 * 12e6 / 1.1, rel=1e-12)
    for component in ("operations", "energy", "carbon", "shipping", "financing"):
        assert costs[component] == pytest.approx(HAND[component], rel=1e-12)
    assert result.checks["demand"] == 6  # 2 scenarios x 3 years
    assert result.checks["capacity"] == 12  # 2 scenarios x 2 sites x 3 years
    # costs.csv was written for base alone, so only the unmet component and the objective
    # disagree: recomputed total 138,874,570.6225 - 5,454,545.4545 = 133,420,025.168.
    assert result.violations == [
        "costs: component unmet_demand: costs.csv says 10,909,090.91 USD, recomputed from the "
        "plan tables 5,454,545.45 USD (difference 5,454,545.46)",
        "objective: recomputed cost 133,420,025.17 USD differs from summary.json objective_usd "
        "138,874,570.62 USD by -5,454,545.45 (more than 1e-06 relative)",
    ]


def test_a_plan_not_proven_optimal_is_flagged(tiny: Path) -> None:
    # a run with --time-limit 60 that stopped with a feasible plan (tests/test_verify_hardening.py
    # covers the same status without a time limit, which fails)
    options = {"time_limit": 60.0, "mip_gap": None, "threads": None}
    edit_summary(tiny, status="time_limit", optimal=False, mip_gap=0.02, options=options)
    result = verify_plan(tiny)
    assert result.ok
    assert any(
        w.startswith("plan: status time_limit") and "not proven optimal" in w
        for w in result.warnings
    )
