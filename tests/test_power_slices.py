"""Power by time slice (issue 14): slices.csv, availability.csv, take-or-pay and min_mw.

Every case: one site S1 in R1 making 1 GPU per wafer, energy_mwh_per_wafer 1, unmet penalty
$1M per GPU (so everything demanded is made), every other cost zero, discount rate 0. 8,760
GPUs a year -> 8,760 MWh a year = a flat 1 MW load.
"""

from __future__ import annotations

import shutil

import pandas as pd
from casebuilder import LOGIC_ONLY, approx, fabplan, solve_and_verify, value, write_case

from optimizer.diagnose import explain
from optimizer.inputs import load_case

DAY_NIGHT = [
    {"slice": "day", "day": "d", "order": 0, "hours": 4380},
    {"slice": "night", "day": "d", "order": 1, "hours": 4380},
]


def flat_load_case(path, energy, years=(2025,), gpus=(8760,), **tables):
    return write_case(
        path,
        parameters={"first_year": years[0], "last_year": years[-1]},
        sites=[{"existing_wspm": 2000, "energy_mwh_per_wafer": 1}],
        demand=[{"year": y, "gpus": g} for y, g in zip(years, gpus, strict=True)],
        energy=energy,
        **tables,
    )


SOLAR = {"contract": "SOLAR", "source": "solar", "price_usd_per_mwh": 10, "capacity_factor": 0.5}
GRID = {
    "contract": "GRID",
    "source": "grid",
    "price_usd_per_mwh": 50,
    "capacity_factor": 0.5,
    "fixed_usd_per_mw_year": 1000,
}


def test_solar_cannot_serve_the_night_a_grid_contract_must_be_signed(tmp_path):
    # annual balance: solar at capacity factor 0.5 covers the year: 2 MW x 8760 x 0.5 = 8,760 MWh
    # at $10 = $87,600 (the grid's $1,000/MW-year charge and $50/MWh lose)
    annual = solve_and_verify(flat_load_case(tmp_path / "a", [SOLAR, GRID]), tmp_path)
    assert annual.summary["objective_usd"] == approx(8760 * 10)
    # slices: solar factor 1 by day, 0 at night (availability.csv); the grid has no rows, so it
    # keeps capacity_factor 0.5 in both slices. Night need 1 MW x 4380 h = 4,380 MWh from the
    # grid: MW >= 4380 / (0.5 x 4380) = 2 MW, charge 2 x $1,000 = $2,000, energy 4380 x $50 =
    # $219,000; day 4,380 MWh from solar at $10 = $43,800 -> $264,800.
    avail = [
        {"source": "solar", "region": None, "slice": "day", "factor": 1},
        {"source": "solar", "region": None, "slice": "night", "factor": 0},
    ]
    data = flat_load_case(tmp_path / "s", [SOLAR, GRID], slices=DAY_NIGHT, availability=avail)
    r = solve_and_verify(data, tmp_path)
    assert r.summary["objective_usd"] == approx(43_800 + 219_000 + 2_000)
    assert value(r.tables["contracts"], "mw", contract="GRID") == approx(2.0)
    d = r.tables["dispatch"]
    assert value(d, "mwh", supplier="GRID", slice="night") == approx(4380)
    assert value(d, "mwh", supplier="SOLAR", slice="night") == approx(0)
    assert value(d, "mwh", source="load", slice="night") == approx(4380)
    assert set(d.loc[d["slice"] == "night", "order"]) == {1}
    # energy.csv per site: the one site gets all: 4,380 MWh x $50 from GRID
    assert value(r.tables["energy"], "cost_usd", contract="GRID") == approx(219_000)


def test_region_row_beats_the_blank_region_row(tmp_path):
    # blank-region solar factor 0 at night, but R1's own row says 0.5: solar serves the night,
    # 4,380 MWh / (0.5 x 4380 h) = 2 MW; by day 4,380 / (1 x 4380) = 1 MW -> 2 MW, all at $10
    avail = [
        {"source": "solar", "region": None, "slice": "day", "factor": 1},
        {"source": "solar", "region": None, "slice": "night", "factor": 0},
        {"source": "solar", "region": "R1", "slice": "night", "factor": 0.5},
    ]
    data = flat_load_case(tmp_path / "s", [SOLAR, GRID], slices=DAY_NIGHT, availability=avail)
    r = solve_and_verify(data, tmp_path)
    assert r.summary["objective_usd"] == approx(8760 * 10)


def test_take_or_pay_is_charged_when_unused(tmp_path):
    # min_mw 3 forces 3 MW; take-or-pay 0.5 x 3 MW x 8760 h x 1 = 13,140 MWh paid; 8,760 used
    # -> 4,380 MWh paid unused at $50 = $219,000; energy 8,760 x $50 = $438,000 -> $657,000
    grid = {**GRID, "capacity_factor": 1, "fixed_usd_per_mw_year": 0, "min_mw": 3}
    grid["min_take_share"] = 0.5
    r = solve_and_verify(flat_load_case(tmp_path / "t", [grid]), tmp_path)
    assert r.summary["objective_usd"] == approx(438_000 + 219_000)
    c = r.tables["contracts"]
    assert value(c, "paid_mwh", contract="GRID") == approx(13_140)
    assert value(c, "unused_paid_mwh", contract="GRID") == approx(4_380)
    assert value(c, "unused_paid_usd", contract="GRID") == approx(219_000)


def test_min_mw_lets_contracted_mw_follow_the_load_by_year(tmp_path):
    # 2025: 1 MW load, 2026: 2 MW. With min_mw: 1 MW then 2 MW x $1,000 = $3,000.
    # Without it (one level for the window): 2 MW x 2 years x $1,000 = $4,000.
    grid = {**GRID, "capacity_factor": 1, "price_usd_per_mwh": 0}
    one = flat_load_case(tmp_path / "one", [grid], years=(2025, 2026), gpus=(8760, 17520))
    assert solve_and_verify(one, tmp_path).summary["objective_usd"] == approx(4_000)
    data = flat_load_case(
        tmp_path / "y", [{**grid, "min_mw": 0.5}], years=(2025, 2026), gpus=(8760, 17520)
    )
    r = solve_and_verify(data, tmp_path)
    assert r.summary["objective_usd"] == approx(3_000)
    cy = r.tables["contract_years"]
    assert value(cy, "mw", year=2025) == approx(1.0)
    assert value(cy, "mw", year=2026) == approx(2.0)


def test_no_slices_and_one_year_slice_reproduce_todays_optimum(tmp_path):
    base = 155_583_417_809.72  # LOGIC_ONLY before issue 14
    assert solve_and_verify(LOGIC_ONLY, tmp_path).summary["objective_usd"] == approx(base, 1e-2)
    # one slice of 8760 h and no availability.csv: capacity_factor in that slice = the same LP
    data = tmp_path / "one_slice"
    shutil.copytree(LOGIC_ONLY, data)
    (data / "slices.csv").write_text("slice,day,order,hours\nall,all,0,8760\n")
    r = solve_and_verify(data, tmp_path)
    assert r.summary["objective_usd"] == approx(base, 1e-2)


def test_bad_slice_inputs_are_reported_all_at_once(tmp_path):
    slices = DAY_NIGHT[:1] + [{"slice": "night", "day": "d", "order": 0, "hours": 4000}]
    avail = [
        {"source": "solar", "region": None, "slice": "dusk", "factor": 0.5},
        {"source": "solar", "region": None, "slice": "day", "factor": 1.5},
        {"source": "grid", "region": None, "slice": "day", "factor": 1},
        {"source": "grid", "region": None, "slice": "day", "factor": 1},
    ]
    grid = {**GRID, "min_mw": 5, "max_mw": 2}
    data = flat_load_case(tmp_path / "bad", [SOLAR, grid], slices=slices, availability=avail)
    out = fabplan("validate", data)
    assert out.returncode == 2, out.stdout + out.stderr
    text = out.stdout + out.stderr
    assert "8380" in text  # 4380 + 4000 hours, expected 8760
    assert "order" in text and "dusk" in text and "1.5" in text
    assert "min_mw" in text
    assert "availability.csv" in text and "slices.csv" in text


def test_availability_without_slices_is_an_error(tmp_path):
    avail = [{"source": "solar", "region": None, "slice": "day", "factor": 1}]
    data = flat_load_case(tmp_path / "bad", [SOLAR], availability=avail)
    out = fabplan("validate", data)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "slices.csv" in out.stdout + out.stderr


def test_shortfall_is_explained_by_region_and_slice(tmp_path):
    avail = [{"source": "solar", "region": None, "slice": "night", "factor": 0}]
    case = load_case(
        flat_load_case(
            tmp_path / "c", [{**SOLAR, "max_mw": 10}], slices=DAY_NIGHT, availability=avail
        )
    )
    row = {
        "scenario": "base",
        "region": "R1",
        "year": 2025,
        "slice": "night",
        "amount": 4380.0,
        "unit": "MWh",
    }
    (line,) = explain(case, {"energy_balance": pd.DataFrame([{**row, "direction": "under"}])})
    # solar 10 MW x factor 0 at night = 0 MW; 4,380 MWh over 4,380 h = 1 MW short
    assert "R1 in slice night" in line and "SOLAR 0 MW available" in line, line
    assert "1 MW short" in line, line


def test_screen_warns_of_a_region_short_at_night(tmp_path):
    # existing 1,000 wspm x 12 x utilization 1 = 12,000 wafers x 1 MWh = 12,000 MWh a year
    # = 1.37 MW flat; solar 10 MW at capacity_factor 0.5 covers the year (43,800 MWh), but at
    # night its factor is 0: 0 MW -> 1.37 MW short in slice night
    from optimizer.diagnose import screen

    avail = [{"source": "solar", "region": None, "slice": "night", "factor": 0}]
    data = write_case(
        tmp_path / "c",
        sites=[{"existing_wspm": 1000, "energy_mwh_per_wafer": 1}],
        demand=[{"year": 2025, "gpus": 8760}],
        energy=[{**SOLAR, "max_mw": 10}],
        slices=DAY_NIGHT,
        availability=avail,
    )
    texts = [str(p) for p in screen(load_case(data))]
    hit = [t for t in texts if "slice night" in t]
    assert hit and "solar SOLAR 0 MW" in hit[0] and "1.37 MW short" in hit[0], texts


def test_supply_terms_reach_the_balance_row_of_their_slice(tmp_path):
    # the interface for generation / storage concerns: a block of MWh columns keyed by
    # (scenario, region, year, slice) becomes terms of the matching energy_balance rows
    from optimizer.model import ModelOptions, build_model
    from optimizer.model.slices import supply_terms

    data = flat_load_case(tmp_path / "c", [GRID], slices=DAY_NIGHT)
    ctx = build_model(load_case(data), {"base": 1.0}, ModelOptions())
    rows = ctx.data["energy_rows"]
    assert list(rows["slice"]) == ["day", "night"] and list(rows["hours"]) == [4380, 4380]
    keys = pd.DataFrame(
        {"scenario": ["base", "base"], "region": ["R1", "R9"], "year": 2025, "slice": "night"}
    )
    ctx.add_vars("gen", keys, ctx.scale.mwh)
    terms = supply_terms(ctx, "gen", [0, 1], keys, sign=-1.0)  # R9 has no fab: dropped
    assert list(terms["row"]) == [1] and list(terms["pos"]) == [0]
    assert list(terms["coef"]) == [-1.0]  # gen is in the balance's own unit (model MWh)
    ctx.extend_constraints("energy_balance", terms)
