"""Operators (issue 13): who runs each site, its capex/opex factors, yearly ramp and min stake.
Every expected number is worked out by hand in the comments.

The world of these cases: discount rate 0, asset life 1 year, horizon 2025-2026, so a dollar
raised in 2025 at cost of capital r costs A(r) x df(2026) = (1 + r) x 1 (tests/test_capital.py).
Site A: N3, lead 0, utilization 1, capex 1,000 USD per wspm; one GPU per wafer; demand
1,560,000 GPUs in 2025 = 12 x 130,000 wspm, so the build is 130,000 wspm = $130M of site capex.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from casebuilder import LOGIC_ONLY, approx, fabplan, solve_and_verify, value, write_case

M = 1e6


def op(name: str, **kw: object) -> dict:
    row = {
        "operator": name,
        "kind": "foundry",
        "partner": "",
        "capex_factor": 1,
        "opex_factor": 1,
        "min_stake": 0,
        "max_new_wspm_per_year": None,
    }
    return {**row, **kw}


def case(path: Path, sites=None, parameters=None, **tables: object) -> Path:
    params = {"last_year": 2026, "asset_life_years": 1, **(parameters or {})}
    return write_case(
        path,
        parameters=params,
        sites=sites or [{"site": "A", "capex_usd_per_wspm": 1000, "opex_usd_per_wafer": 10}],
        demand=[{"year": 2025, "gpus": 1_560_000}],
        **tables,
    )


def test_capex_factor_scales_the_funding_exactly(tmp_path):
    # one operator X at A with capex_factor 1.2: capital 130,000 x 1,000 x 1.2 = $156M.
    # operations 1,560,000 wafers x $10 = $15.6M; objective 156 + 15.6 = $171.6M
    path = case(
        tmp_path / "c",
        operators=[op("X", capex_factor=1.2)],
        site_operators=[{"site": "A", "operator": "X"}],
    )
    r = solve_and_verify(path, tmp_path)
    assert value(r.tables["funding"], "usd") == approx(156 * M)
    assert value(r.tables["builds"], "capex_usd", site="A") == approx(156 * M)
    assert value(r.tables["operators"], "capex_usd", operator="X") == approx(156 * M)
    assert r.summary["objective_usd"] == approx(171.6 * M)


def test_opex_factor_chooses_the_cheaper_operator(tmp_path):
    # A may be run by X (opex_factor 0.8) or Y (1.5), same capex. X runs all 1,560,000 wafers:
    # operations = 1,560,000 x 10 = $15.6M; operator_opex = (0.8 - 1) x 10 x 1,560,000 = -$3.12M
    # objective = 130 + 15.6 - 3.12 = $142.48M (with Y it would be 130 + 15.6 + 7.8 = $153.4M)
    path = case(
        tmp_path / "c",
        operators=[op("X", opex_factor=0.8), op("Y", opex_factor=1.5)],
        site_operators=[{"site": "A", "operator": "Y"}, {"site": "A", "operator": "X"}],
    )
    r = solve_and_verify(path, tmp_path)
    assert value(r.tables["operators"], "wspm", operator="X") == approx(130_000)
    assert value(r.tables["operators"], "wspm", operator="Y") == approx(0)
    w = r.tables["operator_wafers"]
    assert value(w, "wafers", operator="X") == approx(1_560_000)
    costs = r.tables["costs"].set_index("component")["npv_usd"]
    assert costs["operations"] == approx(15.6 * M)
    assert costs["operator_opex"] == approx(-3.12 * M)
    assert r.summary["objective_usd"] == approx(142.48 * M)


def test_min_stake_forces_the_operators_partner_in(tmp_path):
    # partners C (5%) and P (10%), no limits: without a stake C funds all, 130 x 1.05 = 136.5M.
    # X's partner is P with min_stake 0.25: P funds 0.25 x 130 = $32.5M, C the other $97.5M:
    # financing = 32.5 x 1.10 + 97.5 x 1.05 = 35.75 + 102.375 = $138.125M; + operations 15.6M
    partners = [
        {"partner": "C", "cost_of_capital": 0.05},
        {"partner": "P", "cost_of_capital": 0.10},
    ]
    # max_wspm 130,000: no free 2026 build (its payments fall after the horizon) whose P
    # funding could count toward the stake
    site = {"site": "A", "capex_usd_per_wspm": 1000, "opex_usd_per_wafer": 10}
    path = case(
        tmp_path / "c",
        sites=[{**site, "max_wspm": 130_000}],
        partners=partners,
        operators=[op("X", partner="P", min_stake=0.25)],
        site_operators=[{"site": "A", "operator": "X"}],
    )
    r = solve_and_verify(path, tmp_path)
    f = r.tables["funding"]
    assert value(f, "usd", partner="P") == approx(32.5 * M)
    assert value(f, "usd", partner="C") == approx(97.5 * M)
    assert r.summary["objective_usd"] == approx(138.125 * M + 15.6 * M)
    s = r.tables["operator_summary"].set_index("operator")
    assert s.loc["X", "stake"] == approx(0.25)
    assert s.loc["X", "own_capital_usd"] == approx(32.5 * M)


def test_yearly_limit_sends_the_rest_to_a_second_site(tmp_path):
    # X runs A (capex 1,000) and may bring up 100,000 wspm a year; Y runs B (capex 2,000).
    # 130,000 wspm are needed in 2025: A 100,000 ($100M), B 30,000 x 2,000 = $60M.
    # objective = 160M + operations 1,560,000 x 10 = $175.6M
    sites = [
        {"site": "A", "capex_usd_per_wspm": 1000, "opex_usd_per_wafer": 10},
        {"site": "B", "capex_usd_per_wspm": 2000, "opex_usd_per_wafer": 10},
    ]
    path = case(
        tmp_path / "c",
        sites=sites,
        operators=[op("X", max_new_wspm_per_year=100_000), op("Y")],
        site_operators=[{"site": "A", "operator": "X"}, {"site": "B", "operator": "Y"}],
    )
    r = solve_and_verify(path, tmp_path)
    b = r.tables["builds"]
    assert value(b, "wspm", site="A") == approx(100_000)
    assert value(b, "wspm", site="B") == approx(30_000)
    assert r.summary["objective_usd"] == approx(175.6 * M)
    binding = r.tables["binding"]
    assert (binding["family"] == "operator_ramp").any()


def test_integer_mode_picks_one_operator(tmp_path):
    # A may be run by X (limit 100,000 wspm a year) or Y (capex_factor 1.1, no limit).
    # LP: X 100,000 ($100M) + Y 30,000 x 1,100 ($33M) = $133M of capital.
    # integer: one operator per site; X alone leaves 30,000 x 12 GPUs unmet at $1M each, so Y
    # builds all 130,000 x 1,100 = $143M. Both + operations $15.6M.
    kw = dict(
        operators=[op("X", max_new_wspm_per_year=100_000), op("Y", capex_factor=1.1)],
        site_operators=[{"site": "A", "operator": "X"}, {"site": "A", "operator": "Y"}],
    )
    lp = solve_and_verify(case(tmp_path / "lp", **kw), tmp_path)
    assert lp.summary["objective_usd"] == approx(133 * M + 15.6 * M)
    mip = solve_and_verify(case(tmp_path / "mip", **kw), tmp_path, integer=True)
    ops = mip.tables["operators"]
    assert set(ops["operator"]) == {"Y"}
    assert value(ops, "wspm", operator="Y") == approx(130_000)
    assert mip.summary["objective_usd"] == approx(143 * M + 15.6 * M)


def test_bad_operator_inputs_are_all_reported_with_exit_2(tmp_path):
    path = case(
        tmp_path / "c",
        partners=[{"partner": "P"}],
        operators=[
            op("X", partner="Q"),  # line 2: Q is no partner
            op("Y", min_stake=0.3),  # line 3: a stake without a partner
            op("Z", capex_factor=0),  # line 4: factor must be > 0
        ],
        site_operators=[
            {"site": "A", "operator": "X"},
            {"site": "NOPE", "operator": "X"},  # line 3: unknown site
            {"site": "A", "operator": "W"},  # line 4: unknown operator
            {"site": "A", "operator": "X"},  # line 5: duplicate pair
        ],
    )
    r = fabplan("validate", path)
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    for needle in (
        "operators.csv:2 column 'partner': value 'Q'",
        "operators.csv:3 column 'min_stake'",
        "operators.csv:4 column 'capex_factor'",
        "site_operators.csv:3 column 'site': value 'NOPE'",
        "site_operators.csv:4 column 'operator': value 'W'",
        "site_operators.csv:5",
    ):
        assert needle in out, (needle, out)


def test_site_operators_without_operators_is_an_error(tmp_path):
    path = case(tmp_path / "c", site_operators=[{"site": "A", "operator": "X"}])
    r = fabplan("validate", path)
    assert r.returncode == 2
    assert "site_operators.csv" in r.stdout + r.stderr


def test_operators_alone_change_nothing_and_warn(tmp_path):
    # no site_operators.csv: the plain case, 130M capital + 15.6M operations = $145.6M
    path = case(tmp_path / "c", operators=[op("X", capex_factor=2)])
    r = solve_and_verify(path, tmp_path)
    assert r.summary["objective_usd"] == approx(145.6 * M)
    assert "operators" not in r.tables or r.tables["operators"].empty
    v = fabplan("validate", path)
    assert v.returncode == 0 and "no effect" in v.stdout + v.stderr


def test_without_the_files_logic_only_is_unchanged(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(LOGIC_ONLY, data)
    r = solve_and_verify(data, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(155_583_417_809.72, rel=1e-9)
    assert value(r.tables["costs"], "npv_usd", component="operator_opex") == 0.0


def test_diagnosis_sentences_name_the_operator_row(tmp_path):
    from optimizer.diagnose import explain_operators
    from optimizer.inputs import load_case
    from optimizer.model.registry import family

    path = case(
        tmp_path / "c",
        partners=[{"partner": "P"}],
        operators=[op("X", partner="P", min_stake=0.5, max_new_wspm_per_year=1000)],
        site_operators=[{"site": "A", "operator": "X"}],
    )
    c = load_case(path)
    assert family("operator_ramp").infeasible is explain_operators.operator_ramp
    assert family("operator_stake").infeasible is explain_operators.operator_stake
    # 500 wspm over the limit of 1,000 in 2025 (operators.csv line 2)
    rows = pd.DataFrame(
        {"operator": ["X"], "year": [2025], "direction": ["over"], "amount": [500.0]}
    ).assign(unit="wspm", size=0.5)
    [(_, text)] = explain_operators.operator_ramp(c, "operator_ramp", rows)
    assert "operators.csv line 2" in text and "1000" in text and "500 wspm short" in text
    rows = pd.DataFrame({"operator": ["X"], "direction": ["under"], "amount": [30 * M]})
    [(_, text)] = explain_operators.operator_stake(c, "operator_stake", rows.assign(size=30.0))
    assert "min_stake 0.5" in text and "$30" in text and "partner P" in text


def test_screening_counts_the_least_capex_factor(tmp_path):
    from optimizer.diagnose.reach import site_reach
    from optimizer.inputs import load_case

    # A may be run by X (factor 1.2) or Y (0.9): the least capital per wspm is 1,000 x 0.9 = 900
    path = case(
        tmp_path / "c",
        operators=[op("X", capex_factor=1.2), op("Y", capex_factor=0.9)],
        site_operators=[{"site": "A", "operator": "X"}, {"site": "A", "operator": "Y"}],
    )
    reach = site_reach(load_case(path)).set_index("site")
    assert reach.loc["A", "capex_usd_per_wspm"] == approx(900.0)


def test_verify_catches_capex_without_the_factor_and_a_broken_ramp(tmp_path):
    from optimizer.verify import verify_plan

    path = case(
        tmp_path / "c",
        operators=[op("X", capex_factor=1.2, max_new_wspm_per_year=200_000)],
        site_operators=[{"site": "A", "operator": "X"}],
    )
    r = solve_and_verify(path, tmp_path)
    plan = r.out_dir
    b = pd.read_csv(plan / "builds.csv")
    b["capex_usd"] = b["wspm"] * 1000  # the site's capex, without X's factor 1.2
    b.to_csv(plan / "builds.csv", index=False)
    o = pd.read_csv(plan / "operators.csv")
    o["wspm"] = 300_000.0  # above X's 200,000 a year, and no longer builds.csv's 130,000
    o.to_csv(plan / "operators.csv", index=False)
    text = "\n".join(verify_plan(plan).violations)
    assert "capex_usd" in text
    assert "max_new_wspm_per_year" in text
    assert "operators.csv splits" in text
