"""Subsidy programs with time windows (issue 13): subsidies.csv, grants per program, shared caps,
stacking with the flat sites.csv subsidy, validation and verify. Expected values by hand.

The hand cases: discount rate 0 and asset_life_years 1, so a dollar raised in year y costs one
dollar, repaid in y+1, when y+1 is inside the horizon (and nothing when it is not); every other
cost is zero and one wspm makes 12 GPUs a year (1 GPU per wafer, utilization 1, no lead time).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from casebuilder import (
    LOGIC_ONLY,
    SUPPLY_CHAIN,
    SUPPLY_CHAIN_OBJECTIVE_USD,
    solve_and_verify,
    write_case,
)

from optimizer.errors import InputError
from optimizer.inputs import load_case
from optimizer.verify import verify_plan

PARAMS = {"first_year": 2025, "last_year": 2027, "asset_life_years": 1}


def _program(**row: object) -> dict[str, object]:
    base = {
        "program": "P48D",
        "region": "R1",
        "kind": "tax_credit",
        "rate": 0.25,
        "first_year": 2026,
        "last_year": 2027,
        "cap_musd": None,
    }
    return {**base, **row}


def test_only_builds_decided_inside_the_window_are_subsidised(tmp_path):
    # demand 1,200 GPUs in 2025 (100 wspm) and 2,400 in 2026-2027 (200 wspm): 100 wspm built in
    # 2025 and 100 in 2026, capex 1,000 USD/wspm: 100,000 USD each. The program (2026-2027, 25%)
    # pays 25,000 of the 2026 build only. Funds: 100,000 (2025) + 75,000 (2026), each repaid the
    # next year inside the horizon at 1 USD per USD: objective 175,000 (200,000 without it).
    data = write_case(
        tmp_path / "case",
        parameters=PARAMS,
        sites=[{"site": "S1", "capex_usd_per_wspm": 1000}],
        demand={2025: 1200, 2026: 2400, 2027: 2400},
        subsidies=[_program()],
    )
    r = solve_and_verify(data, tmp_path, report_formats=("md",))
    assert r.summary["objective_usd"] == pytest.approx(175_000, rel=1e-9)
    grants = r.tables["grants"]
    assert grants[["site", "year", "program", "kind"]].values.tolist() == [
        ["S1", 2026, "P48D", "tax_credit"]
    ]
    assert grants["usd"].tolist() == pytest.approx([25_000])
    report = (r.out_dir / "report.md").read_text(encoding="utf-8")
    assert "Subsidies by program and year" in report and "| P48D | tax_credit | 2026 |" in report


def test_a_program_cap_is_shared_by_two_sites_of_its_region(tmp_path):
    # 2,400 GPUs in 2025 need 200 wspm; each site holds at most 100, so both build 100 in 2025:
    # capex A 100 x 1,000 = 100,000, B 100 x 2,000 = 200,000. At 50% the program would pay
    # 50,000 + 100,000 = 150,000 but its cap is 0.1 MUSD = 100,000 for both sites together.
    # Partners fund 300,000 - 100,000 = 200,000, repaid in 2026: objective 200,000.
    data = write_case(
        tmp_path / "case",
        parameters={**PARAMS, "last_year": 2026},
        sites=[
            {"site": "A", "max_wspm": 100, "capex_usd_per_wspm": 1000},
            {"site": "B", "max_wspm": 100, "capex_usd_per_wspm": 2000},
        ],
        demand={2025: 2400, 2026: 2400},
        subsidies=[_program(program="CHIPS", rate=0.5, first_year=2025, cap_musd=0.1)],
    )
    r = solve_and_verify(data, tmp_path)
    assert r.summary["objective_usd"] == pytest.approx(200_000, rel=1e-9)
    g = r.tables["grants"].groupby("site")["usd"].sum()
    assert g.sum() == pytest.approx(100_000)  # the cap, split between the sites
    assert g.get("A", 0.0) <= 50_000 + 1e-6 and g.get("B", 0.0) <= 100_000 + 1e-6
    caps = r.tables["binding"].query("family == 'grant_cap'")
    assert caps["program"].tolist() == ["CHIPS"]
    # one more USD of cap replaces one USD of partner funds, repaid at 1 USD per USD: $1.00
    assert caps["meaning"].tolist() == [
        "program CHIPS has paid out its whole cap: one more USD of room would save $1.00"
    ]


def test_diagnosis_names_the_program_row_to_change(tmp_path):
    # violated rows of an elastic solve, as explain() gets them: $30,000 over CHIPS's cap and
    # $5,000 over its rate at A in 2025; the sentences cite subsidies.csv line 2
    from optimizer.diagnose import explain

    data = write_case(
        tmp_path / "case",
        parameters=PARAMS,
        sites=[{"site": "A"}],
        subsidies=[_program(program="CHIPS", rate=0.5, first_year=2025, cap_musd=0.1)],
    )
    case = load_case(data)
    over = {"direction": "over", "unit": "USD"}
    (cap,) = explain(
        case, {"grant_cap": pd.DataFrame([{"program": "CHIPS", "amount": 3e4, **over}])}
    )
    assert cap.startswith(
        "subsidies.csv line 2: program CHIPS cap_musd 0.1 is $30,000 short: the grants would "
        "have to reach $130,000"
    ), cap
    row = {"site": "A", "program": "CHIPS", "year": 2025, "amount": 5e3, **over}
    (rate,) = explain(case, {"grant_rate": pd.DataFrame([row])})
    assert rate.startswith(
        "subsidies.csv line 2: program CHIPS rate 0.50 would have to cover, at A, $5,000 more of "
        "its builds in 2025"
    ), rate


def test_a_flat_site_subsidy_and_a_program_stack(tmp_path):
    # 100 wspm in 2025 at 1,000 USD/wspm = 100,000 USD. sites.csv subsidy_rate 0.1 (program "S1")
    # pays 10,000 and the program 25,000: partners fund 65,000, repaid in 2026.
    data = write_case(
        tmp_path / "case",
        parameters={**PARAMS, "last_year": 2026},
        sites=[{"site": "S1", "capex_usd_per_wspm": 1000, "subsidy_rate": 0.1}],
        demand={2025: 1200, 2026: 1200},
        subsidies=[_program(first_year=2025, kind="grant")],
    )
    r = solve_and_verify(data, tmp_path)
    assert r.summary["objective_usd"] == pytest.approx(65_000, rel=1e-9)
    g = r.tables["grants"].set_index("program")
    assert g["usd"].to_dict() == pytest.approx({"S1": 10_000, "P48D": 25_000})
    assert g["kind"].to_dict() == {"S1": "grant", "P48D": "grant"}


def test_stacked_rates_above_one_pay_at_most_the_capex(tmp_path):
    # rates 0.7 (site) + 0.6 (program) = 1.3, but funds >= 0 and funds + grants = capex: the
    # grants add up to the capex, 100,000 USD, and partners pay nothing: objective 0.
    data = write_case(
        tmp_path / "case",
        parameters={**PARAMS, "last_year": 2026},
        sites=[{"site": "S1", "capex_usd_per_wspm": 1000, "subsidy_rate": 0.7}],
        demand={2025: 1200, 2026: 1200},
        subsidies=[_program(first_year=2025, rate=0.6)],
    )
    r = solve_and_verify(data, tmp_path)
    assert r.summary["objective_usd"] == pytest.approx(0.0, abs=1e-6)
    assert r.tables["grants"]["usd"].sum() == pytest.approx(100_000)


def test_without_subsidies_csv_the_logic_only_objective_is_unchanged(tmp_path):
    r = solve_and_verify(LOGIC_ONLY, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(155_583_417_809.72, rel=1e-9)
    # the flat sites.csv subsidies are programs named after their sites, kind grant
    g = r.tables["grants"]
    assert (g["program"] == g["site"]).all() and (g["kind"] == "grant").all()


def test_without_subsidies_csv_the_default_objective_is_unchanged(tmp_path):
    # the default data as issue 12 left it: flat sites.csv subsidies, no subsidies.csv
    assert not (SUPPLY_CHAIN / "subsidies.csv").exists()
    r = solve_and_verify(SUPPLY_CHAIN, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(SUPPLY_CHAIN_OBJECTIVE_USD, rel=1e-9)


def test_validation_names_file_line_column_and_expectation(tmp_path):
    rows = [
        _program(kind="loan"),  # line 2
        _program(program="B", rate=1.5),  # line 3
        _program(program="C", first_year=2027, last_year=2026),  # line 4
        _program(program="D", cap_musd=-1),  # line 5
        _program(),  # line 6: P48D, R1 again
        _program(program="E", cap_musd=5),  # line 7
        _program(program="E", region="R2", cap_musd=6),  # line 8: another cap for E
        _program(program="S1"),  # line 9: the name of a site with a flat subsidy
    ]
    data = write_case(
        tmp_path / "case",
        parameters=PARAMS,
        sites=[
            {"site": "S1", "subsidy_rate": 0.1},
            {"site": "S2", "region": "R2"},
        ],
        subsidies=rows,
    )
    with pytest.raises(InputError) as caught:
        load_case(data)
    text = {(p.file, p.line, p.column): str(p) for p in caught.value.problems}
    assert "grant or tax_credit" in text[("subsidies.csv", 2, "kind")]
    assert "1.5" in text[("subsidies.csv", 3, "rate")]
    assert "first_year (2027)" in text[("subsidies.csv", 4, "last_year")]
    assert ("subsidies.csv", 5, "cap_musd") in text
    assert ("subsidies.csv", 6, None) in text or any(k[:2] == ("subsidies.csv", 6) for k in text)
    assert "line 7" in text[("subsidies.csv", 8, "cap_musd")]
    assert "site" in text[("subsidies.csv", 9, "program")]


def test_verify_catches_a_grant_beyond_its_program_cap(tmp_path):
    # the shared-cap case; then both grants raised to their rate limits (A 50,000, B 100,000) and
    # partner funds lowered by the same amounts, so every build still balances: 150,000 of
    # grants > the 100,000 cap is what verify must report.
    data = write_case(
        tmp_path / "case",
        parameters={**PARAMS, "last_year": 2026},
        sites=[
            {"site": "A", "max_wspm": 100, "capex_usd_per_wspm": 1000},
            {"site": "B", "max_wspm": 100, "capex_usd_per_wspm": 2000},
        ],
        demand={2025: 2400, 2026: 2400},
        subsidies=[_program(program="CHIPS", rate=0.5, first_year=2025, cap_musd=0.1)],
    )
    r = solve_and_verify(data, tmp_path)
    plan = r.out_dir
    full = {"A": 50_000.0, "B": 100_000.0}
    grants = pd.DataFrame(
        [
            {"site": s, "year": 2025, "program": "CHIPS", "kind": "tax_credit", "usd": u}
            for s, u in full.items()
        ]
    )
    grants.to_csv(plan / "grants.csv", index=False)
    fund = pd.read_csv(plan / "funding.csv")
    capex = {"A": 100_000.0, "B": 200_000.0}
    fund["usd"] = fund["site"].map(lambda s: capex[s] - full[s])
    fund.to_csv(plan / "funding.csv", index=False)
    check = verify_plan(plan)
    assert not check.ok
    assert any(
        "program CHIPS: 150,000 USD grants over all its builds > its cap 100,000 USD" in v
        for v in check.violations
    ), check.violations
    assert not any("funding: build" in v for v in check.violations)


def test_a_plan_without_program_columns_still_verifies_its_flat_grants(tmp_path):
    # plans written before issue 13 have grants.csv site,year,usd: the flat programs
    data = write_case(
        tmp_path / "case",
        parameters={**PARAMS, "last_year": 2026},
        sites=[{"site": "S1", "capex_usd_per_wspm": 1000, "subsidy_rate": 0.1}],
        demand={2025: 1200, 2026: 1200},
    )
    r = solve_and_verify(data, tmp_path)
    g = pd.read_csv(r.out_dir / "grants.csv")
    g[["site", "year", "usd"]].to_csv(r.out_dir / "grants.csv", index=False)
    check = verify_plan(r.out_dir)
    assert not [v for v in check.violations if v.startswith(("grants", "references"))]
    assert Path(r.out_dir / "grants.csv").exists()


def test_a_region_typo_is_an_error_and_a_region_without_sites_a_warning(tmp_path):
    # the house rule for region references (optimizer/inputs/references.py): `r1` is certainly
    # R1 (an error); XX names no site (the program is unused: a warning, as for a deleted region)
    rows = [_program(region="r1"), _program(program="Q", region="XX"), _program(program="W")]
    rows[2].update(first_year=2030, last_year=2031)  # after last_year 2027: never used
    data = write_case(tmp_path / "case", parameters=PARAMS, subsidies=rows)
    with pytest.raises(InputError) as caught:
        load_case(data)
    errors = {(p.file, p.line, p.column) for p in caught.value.problems}
    assert ("subsidies.csv", 2, "region") in errors
    case = load_case(write_case(tmp_path / "ok", parameters=PARAMS, subsidies=rows[1:]))
    warned = [str(w) for w in case.warnings]
    assert any("region XX has no site: 1 subsidy program is unused" in w for w in warned), warned
    assert any("subsidies.csv:3" in w and "no build qualifies" in w for w in warned), warned
