"""Generation and storage builds and their financing (issue 14, second wave).

Cases: one site S1 in R1 (existing capacity, no builds) making 1 GPU per wafer with
energy_mwh_per_wafer 1, unmet penalty $1M per GPU, every other cost zero, discount rate 0.
8,760 GPUs in a year -> 8,760 MWh = a flat 1 MW load.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from casebuilder import LOGIC_ONLY, approx, solve_and_verify, value, write_case

from optimizer.errors import InputError
from optimizer.inputs import load_case

DAY_NIGHT = [
    {"slice": "day", "day": "d", "order": 0, "hours": 4380},
    {"slice": "night", "day": "d", "order": 1, "hours": 4380},
]
SUN = [
    {"source": "solar", "region": None, "slice": "day", "factor": 1},
    {"source": "solar", "region": None, "slice": "night", "factor": 0},
]


def gen(project="SOLAR_NEW", source="solar", capex=1000.0, **kw) -> dict:
    row = {
        "project": project,
        "region": "R1",
        "source": source,
        "capex_usd_per_kw": capex,
        "fixed_usd_per_kw_year": 0,
        "variable_usd_per_mwh": 0,
        "co2_t_per_mwh": 0,
        "max_mw": 1000,
        "lead_time_years": 1,
        "first_build_year": 2025,
        "life_years": 1,
    }
    return {**row, **kw}


def battery(efficiency=0.8, **kw) -> dict:
    row = {
        "project": "BATT",
        "region": "R1",
        "capex_usd_per_kw": 100,
        "capex_usd_per_kwh": 200,
        "efficiency": efficiency,
        "max_mw": 1000,
        "max_hours": 24,
        "lead_time_years": 1,
        "first_build_year": 2025,
        "life_years": 1,
    }
    return {**row, **kw}


def partner(name="E1", kind="energy", rate=0.0) -> dict:
    return {"partner": name, "kind": kind, "cost_of_capital": rate}


def case(path, years=(2025, 2026), gpus=(0, 8760), **tables):
    """Builds decided in 2025 (lead 1, life 1) are online in 2026 only, the one year with load;
    their one annuity payment falls in 2026, inside the horizon."""
    return write_case(
        path,
        parameters={"first_year": years[0], "last_year": years[-1]},
        sites=[{"existing_wspm": 2000, "energy_mwh_per_wafer": 1}],
        demand=[{"year": y, "gpus": g} for y, g in zip(years, gpus, strict=True)],
        **tables,
    )


def grid(price: float) -> dict:
    return {"contract": "GRID", "source": "grid", "price_usd_per_mwh": price, "max_mw": 10}


def test_solar_at_night_needs_a_battery_or_a_grid_contract_the_cheaper_is_chosen(tmp_path):
    # Day 4,380 MWh from new solar: 1 MW x 1 x 4380 h -> 1 MW x $1,000/kW = $1,000,000 (funded
    # in 2025 at rate 0, life 1: one payment of the whole capex in 2026).
    # Night 4,380 MWh, solar 0. Battery (eff 0.8): charge 4,380 / 0.8 = 5,475 MWh by day, so
    # solar 1 + 5,475/4,380 = 2.25 MW ($2.25M); battery power: day charge 5,475 MWh in 4,380 h
    # = 1.25 MW ($100/kW -> $125,000); energy: one day d stands for 8760/24 = 365 days, stored
    # 0.8 x 5,475 / 365 = 12 MWh a day ($200/kWh -> $2,400,000). Battery route:
    # 2.25M + 0.125M + 2.4M = $4,775,000, i.e. (4.775M - 1M) / 4,380 = $861.87 per night MWh.
    common = {
        "slices": DAY_NIGHT,
        "availability": SUN,
        "generation": [gen()],
        "storage": [battery()],
        "partners": [partner()],
    }
    # grid at $500/MWh (< $861.87): night from the grid, 4,380 x 500 = $2,190,000 + solar $1M
    r = solve_and_verify(case(tmp_path / "g", energy=[grid(500)], **common), tmp_path)
    assert r.summary["objective_usd"] == approx(1_000_000 + 2_190_000)
    b = r.tables["power_builds"]
    assert value(b, "mw", project="SOLAR_NEW") == approx(1.0)
    assert "BATT" not in set(b["project"])
    # grid at $1,000/MWh (> $861.87): the battery; the grid's 4,380 MWh would cost $4.38M
    r = solve_and_verify(case(tmp_path / "b", energy=[grid(1000)], **common), tmp_path)
    assert r.summary["objective_usd"] == approx(4_775_000)
    b = r.tables["power_builds"]
    assert value(b, "mw", project="SOLAR_NEW") == approx(2.25)
    assert value(b, "mw", project="BATT") == approx(1.25)
    assert value(b, "mwh", project="BATT") == approx(12.0)
    assert value(b, "capex_usd", project="BATT") == approx(125_000 + 2_400_000)
    d = r.tables["dispatch"]
    d = d[d["year"] == 2026]
    assert value(d, "mwh", supplier="BATT", slice="day") == approx(-5475)
    assert value(d, "mwh", supplier="BATT", slice="night") == approx(4380)
    assert value(d, "mwh", supplier="SOLAR_NEW", slice="day") == approx(4380 + 5475)
    # binding.csv: solar by day is at its availability x MW x hours and says so
    bind = r.tables["binding"]
    solar = bind[(bind["family"] == "generation_limit") & (bind["slice"] == "day")]
    assert "generation SOLAR_NEW delivers all its built MW allow" in solar["meaning"].iloc[0]
    f = r.tables["power_funding"]
    assert f["usd"].sum() == approx(4_775_000)
    assert set(f["partner"]) == {"E1"}


def test_storage_loses_its_round_trip_efficiency(tmp_path):
    # eff 0.85: 100 MWh charged give 85 out. Night need 4,380 MWh -> charge 4,380 / 0.85 =
    # 5,152.94 MWh; no grid, so the battery is the only way
    data = case(
        tmp_path / "d",
        slices=DAY_NIGHT,
        availability=SUN,
        generation=[gen()],
        storage=[battery(efficiency=0.85)],
        partners=[partner()],
        energy=[grid(1e6)],  # a contract only so energy is modelled; far too dear to use
    )
    r = solve_and_verify(data, tmp_path)
    d = r.tables["dispatch"]
    d = d[(d["year"] == 2026) & (d["supplier"] == "BATT")]
    charged = -value(d, "mwh", slice="day")
    assert charged == approx(4380 / 0.85)
    assert value(d, "mwh", slice="night") == approx(0.85 * charged)


def test_generation_financed_by_an_energy_partner_at_its_cost_of_capital(tmp_path):
    # one slice of 8760 h, firm source at factor 1; 1 MW flat load in 2026 and 2027. A build in
    # 2025 (lead 1, life 2) is online 2026-2027: 1 MW x $1,000/kW = $1,000,000. Partners: E1
    # (energy, 10%) and I1 (investor, 20%). E1 funds all; annuity A(0.1, 2) = 0.1 / (1 - 1.1^-2)
    # = 0.1 / 0.17355372 = 0.57619048 per $ per year, paid 2026 and 2027 (discount rate 0):
    # 1,000,000 x 0.57619048 x 2 = $1,152,380.95
    data = case(
        tmp_path / "f",
        years=(2025, 2026, 2027),
        gpus=(0, 8760, 8760),
        slices=[{"slice": "all", "day": "d", "order": 0, "hours": 8760}],
        availability=[{"source": "firm", "region": None, "slice": "all", "factor": 1}],
        generation=[gen("FIRM", "firm", life_years=2)],
        partners=[partner("E1", "energy", 0.1), partner("I1", "investor", 0.2)],
        energy=[grid(1e6)],
    )
    r = solve_and_verify(data, tmp_path)
    a = 0.1 / (1 - 1.1**-2)
    assert r.summary["objective_usd"] == approx(1_000_000 * a * 2)
    f = r.tables["power_funding"]
    assert value(f, "usd", partner="E1", project="FIRM", year=2025) == approx(1_000_000)
    ps = r.tables["partner_summary"]
    assert value(ps, "usd", partner="E1") == approx(1_000_000)
    assert value(ps, "financing_cost_npv_usd", partner="E1") == approx(1_000_000 * a * 2)


def test_an_energy_partner_cannot_fund_a_fab(tmp_path):
    # a fab build of 1,000 wspm at $1,000/wspm = $1,000,000 is needed (12,000 wafers a year);
    # E1 at rate 0 would be cheapest, but kind `energy` funds only power builds: I1 (investor)
    # pays all. As kind `investor`, E1 would fund it.
    def fab(path, kind):
        return write_case(
            path,
            parameters={"first_year": 2025, "last_year": 2026},
            sites=[{"existing_wspm": 0, "capex_usd_per_wspm": 1000}],
            demand=[{"year": 2025, "gpus": 12_000}, {"year": 2026, "gpus": 12_000}],
            partners=[partner("E1", kind, 0.0), partner("I1", "investor", 0.1)],
        )

    r = solve_and_verify(fab(tmp_path / "e", "energy"), tmp_path)
    funding = r.tables["funding"]
    assert set(funding["partner"]) == {"I1"}
    assert funding["usd"].sum() == approx(1_000_000)
    r = solve_and_verify(fab(tmp_path / "i", "investor"), tmp_path)
    assert set(r.tables["funding"]["partner"]) == {"E1"}


def test_generation_without_slices_is_refused_naming_the_file(tmp_path):
    data = case(tmp_path / "x", generation=[gen()], energy=[grid(10)])
    # generation.csv has no capacity_factor: its output per slice comes from availability.csv
    with pytest.raises(InputError) as err:
        load_case(data)
    at = {(p.file, p.line, p.column): p for p in err.value.problems}
    problem = at[("generation.csv", 2, "source")]
    assert problem.value == "solar"
    assert "slices.csv and availability.csv" in problem.expected


def test_without_power_files_the_optimum_is_unchanged(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(LOGIC_ONLY, data)
    r = solve_and_verify(data, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(155_583_417_809.72, rel=1e-9)
    assert "power_builds" not in r.tables


def test_verify_catches_a_broken_state_of_charge_and_an_unfunded_build(tmp_path):
    # the battery plan of the first test; then (a) the night state of charge raised by 1 MWh
    # breaks soc = prev + eff x charge / 365 - discharge / 365 and the energy limit (12 MWh);
    # (b) a power_funding.csv row cut by $1,000 leaves the build's capex unfunded
    from optimizer.verify import verify_plan

    data = case(
        tmp_path / "b",
        energy=[grid(1000)],
        slices=DAY_NIGHT,
        availability=SUN,
        generation=[gen()],
        storage=[battery()],
        partners=[partner()],
    )
    r = solve_and_verify(data, tmp_path)
    ops = r.out_dir / "storage_operation.csv"
    text = ops.read_text(encoding="utf-8")
    table = pd.read_csv(ops, comment="#")
    assert value(table, "soc_mwh", slice="day", year=2026) == approx(12.0)
    table.loc[(table["slice"] == "day") & (table["year"] == 2026), "soc_mwh"] += 1.0
    table.to_csv(ops, index=False)
    check = verify_plan(r.out_dir)
    found = "\n".join(check.violations)
    assert "storage BATT" in found and "state of charge 13" in found
    assert "storage_energy BATT" in found
    ops.write_text(text, encoding="utf-8")
    funds = r.out_dir / "power_funding.csv"
    f = pd.read_csv(funds, comment="#")
    f.loc[f["project"] == "BATT", "usd"] -= 1000.0
    f.to_csv(funds, index=False)
    found = "\n".join(verify_plan(r.out_dir).violations)
    assert "power build BATT 2025" in found


def test_generation_output_counts_in_the_plans_energy_and_co2(tmp_path):
    # A gas plant (availability 1 in both slices, $10/MWh, 0.4 t/MWh, capex $100/kW) against a
    # $1,000/MWh grid: 1 MW serves the flat 1 MW load in 2026, 8,760 MWh, variable cost $87,600,
    # CO2 8,760 x 0.4 = 3,504 t; capex 1 MW x $100,000 (rate 0, one payment in 2026), against
    # 8,760 x $1,000 = $8.76M on the grid.
    data = case(
        tmp_path / "gas",
        energy=[grid(1000)],
        slices=DAY_NIGHT,
        availability=[
            {"source": "gas", "region": None, "slice": "day", "factor": 1},
            {"source": "gas", "region": None, "slice": "night", "factor": 1},
        ],
        generation=[gen("GAS_NEW", "gas", capex=100.0, variable_usd_per_mwh=10, co2_t_per_mwh=0.4)],
        partners=[partner()],
    )
    r = solve_and_verify(data, tmp_path)
    out = r.tables["generation_output"]
    out = out[out["year"] == 2026]
    assert value(out, "mwh", project="GAS_NEW") == approx(8760)
    assert value(out, "cost_usd", project="GAS_NEW") == approx(87_600)
    assert value(out, "co2_t", project="GAS_NEW") == approx(3504)
    from optimizer.plan.read import read_plan
    from optimizer.plan.statistics import headline

    head = headline(read_plan(r.out_dir))
    assert head.energy_mwh == approx(8760)  # no grid energy drawn: all from the new plant
    assert head.co2_t == approx(3504)
    # summary.json's totals count the same: 0 MWh from contracts + 8,760 from the plant
    assert r.summary["totals"]["energy_mwh"] == approx(8760)
    assert r.summary["totals"]["co2_t"] == approx(3504)
