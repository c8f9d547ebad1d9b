"""Capital sources (issue 13): tranches beyond a commitment, market capital, the capital budget.
Every expected number is worked out by hand in the comments.

Financing of a dollar raised in year y at rate r: the ordinary annuity A(r) = r/(1-(1+r)^-L)
paid in y+1 .. y+L, counted inside the horizon and discounted. With discount_rate 0, L = 1 and a
horizon 2025-2026, a dollar raised in 2025 costs A(r) x df(2026) = (1+r) x 1 = 1 + r.

The world of these cases: one site (N3, lead 0, utilization 1, capex 1,000 USD per wspm, every
other cost 0), one GPU per wafer, demand only in 2025. 1,560,000 GPUs = 12 x 130,000 wspm, so
the build needs 130,000 x 1,000 = $130M of capital, raised in 2025.
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
    fabplan,
    solve_and_verify,
    write_case,
)

from optimizer.errors import InputError
from optimizer.inputs import load_case
from optimizer.verify import verify_plan

REL = 1e-6
M = 1e6


def approx(x: float):
    return pytest.approx(x, rel=REL, abs=1e-3)


def case(path: Path, parameters: dict | None = None, **tables: object) -> Path:
    params = {"last_year": 2026, "asset_life_years": 1, **(parameters or {})}
    return write_case(
        path,
        parameters=params,
        sites=[{"site": "A", "capex_usd_per_wspm": 1000, "first_build_year": 2025}],
        demand=[{"year": 2025, "gpus": 1_560_000}],
        **tables,
    )


PARTNER = [{"partner": "P", "max_commitment_musd": 100, "cost_of_capital": 0.05}]


def sources(r) -> pd.DataFrame:
    return r.tables["capital_sources"].set_index("source")


# --- (1) a tranche is drawn only for what the commitment cannot cover -----------------------


def test_tranche_covers_only_what_is_beyond_the_commitment(tmp_path):
    # P commits $100M at 5%; tranche T1 offers $50M at 8%, T2 $50M at 12%. Need $130M:
    # $100M commitment + $30M of the cheaper tranche T1, none of T2.
    # financing = 100M x 1.05 + 30M x 1.08 = 105M + 32.4M = 137.4M (the objective: no other cost)
    path = case(
        tmp_path / "case",
        partners=PARTNER,
        capital_tranches=[
            {"partner": "P", "tranche": "T1", "max_musd": 50, "cost_of_capital": 0.08},
            {"partner": "P", "tranche": "T2", "max_musd": 50, "cost_of_capital": 0.12},
        ],
    )
    r = solve_and_verify(path, tmp_path)
    s = sources(r)
    assert s.loc["commitment", "usd"] == approx(100 * M)
    assert s.loc["T1", "usd"] == approx(30 * M)
    assert "T2" not in s.index
    assert s.loc["commitment", "financing_cost_npv_usd"] == approx(105 * M)
    assert s.loc["T1", "financing_cost_npv_usd"] == approx(32.4 * M)
    assert r.summary["objective_usd"] == approx(137.4 * M)
    ps = r.tables["partner_summary"].set_index("partner")
    assert ps.loc["P", "usd"] == approx(130 * M)
    assert ps.loc["P", "financing_cost_npv_usd"] == approx(137.4 * M)


def test_a_tranche_limit_alone_leaves_demand_unmet(tmp_path):
    # commitment $100M + T1 $20M = $120M = 120,000 wspm -> 1,440,000 GPUs; 120,000 GPUs unmet at
    # the penalty $1,000 = $120M. financing 100M x 1.05 + 20M x 1.08 = 126.6M; total 246.6M.
    # The tranche limit binds (each extra $ of T1 saves 12/1000 GPUs x $1,000 - 1.08 = $10.92).
    path = case(
        tmp_path / "case",
        parameters={"unmet_penalty_usd_per_gpu": 1000},
        partners=PARTNER,
        capital_tranches=[
            {"partner": "P", "tranche": "T1", "max_musd": 20, "cost_of_capital": 0.08}
        ],
    )
    r = solve_and_verify(path, tmp_path)
    assert sources(r).loc["T1", "usd"] == approx(20 * M)
    assert r.summary["objective_usd"] == approx(246.6 * M)
    b = r.tables["binding"]
    row = b[b["family"] == "tranche_limit"]
    assert len(row) == 1 and row["tranche"].iloc[0] == "T1"
    assert row["shadow_price"].iloc[0] == approx(-10.92)


# --- (2) market capital costs the annuity at the market rate ------------------------------


def test_market_capital_costs_the_annuity_at_the_market_rate(tmp_path):
    # P commits nothing ($0M); market_cost_of_capital 7%, asset life 2, horizon 2025-2027,
    # discount 0: a 2025 dollar is repaid in 2026 and 2027 at A = 0.07 x 1.07^2 / (1.07^2 - 1)
    # = 0.080143 / 0.1449 = 0.553092 a year, worth 2 x 0.553092 = 1.106184 per dollar.
    # All $130M from the market: financing 130M x 1.106184 = 143.80M.
    path = case(
        tmp_path / "case",
        parameters={"last_year": 2027, "asset_life_years": 2, "market_cost_of_capital": 0.07},
        partners=[{"partner": "P", "max_commitment_musd": 0, "cost_of_capital": 0.05}],
    )
    r = solve_and_verify(path, tmp_path)
    annuity = 0.07 * 1.07**2 / (1.07**2 - 1)
    s = sources(r)
    assert list(s.index) == ["market"]
    assert s.loc["market", "usd"] == approx(130 * M)
    assert r.summary["objective_usd"] == approx(130 * M * 2 * annuity)
    assert r.summary["objective_usd"] == pytest.approx(143.80 * M, rel=1e-4)
    ps = r.tables["partner_summary"].set_index("partner")
    assert ps.loc["market", "kind"] == "market"


def test_market_capital_comes_after_a_cheaper_commitment(tmp_path):
    # P $100M at 5%, the market at 7%: 100M x 1.05 + 30M x 1.07 = 105M + 32.1M = 137.1M
    path = case(tmp_path / "case", {"market_cost_of_capital": 0.07}, partners=PARTNER)
    r = solve_and_verify(path, tmp_path)
    s = sources(r)
    assert s.loc["market", "usd"] == approx(30 * M)
    assert r.summary["objective_usd"] == approx(137.1 * M)


# --- (3) a capital budget leaves demand unmet ---------------------------------------------


def test_a_capital_budget_leaves_demand_unmet(tmp_path):
    # no partners.csv: the implicit partner at discount_rate 0 (1 USD per dollar with L = 1).
    # Budget $100M = 100,000 wspm -> 1,200,000 GPUs; 360,000 unmet x $1,000 = $360M; plus
    # financing $100M: objective $460M. Each budget dollar saves 12/1000 x 1,000 - 1 = $11.
    path = case(tmp_path / "case", {"unmet_penalty_usd_per_gpu": 1000, "capital_budget_musd": 100})
    r = solve_and_verify(path, tmp_path)
    assert float(r.tables["funding"]["usd"].sum()) == approx(100 * M)
    assert float(r.tables["unmet"]["gpus"].sum()) == approx(360_000)
    assert r.summary["objective_usd"] == approx(460 * M)
    b = r.tables["binding"]
    row = b[b["family"] == "capital_budget"]
    assert len(row) == 1 and row["shadow_price"].iloc[0] == approx(-11.0)
    assert "all capital raised is at the budget" in row["meaning"].iloc[0]


# --- (4) without the new inputs nothing changes --------------------------------------------


def test_logic_only_objective_is_unchanged_with_blank_capital_parameters(tmp_path):
    # blank market_cost_of_capital and capital_budget_musd mean none: the pre-issue-12 default
    # data's base objective is unchanged
    data = tmp_path / "data"
    shutil.copytree(LOGIC_ONLY, data)
    with (data / "parameters.csv").open("a", encoding="utf-8") as out:
        out.write("market_cost_of_capital,\ncapital_budget_musd,\n")
    r = solve_and_verify(data, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(155_583_417_809.72, rel=1e-9)
    assert set(r.tables["capital_sources"]["source"]) == {"commitment"}


# the files of the default data before issue 13 (its other files belong to other concerns)
DEFAULT_FILES = [
    "parameters",
    "demand",
    "energy",
    "partner_regions",
    "partners",
    "processes",
    "products",
    "recipes",
    "regions",
    "scenarios",
    "shipping",
    "sites",
    "tool_use",
    "tools",
    "yields",
]


def test_default_data_objective_is_unchanged_without_capital_inputs(tmp_path):
    # the default data's base objective before issue 13, with blank capital parameters
    data = tmp_path / "data"
    data.mkdir()
    for stem in DEFAULT_FILES:
        shutil.copy(SUPPLY_CHAIN / f"{stem}.csv", data / f"{stem}.csv")
    with (data / "parameters.csv").open("a", encoding="utf-8") as out:
        out.write("market_cost_of_capital,\ncapital_budget_musd,\n")
    r = solve_and_verify(data, tmp_path, out_dir=tmp_path / "plan")
    assert r.summary["objective_usd"] == pytest.approx(SUPPLY_CHAIN_OBJECTIVE_USD, rel=1e-9)


# --- (5) validation ------------------------------------------------------------------------


def test_capital_inputs_are_validated_all_at_once(tmp_path):
    path = case(
        tmp_path / "case",
        {"market_cost_of_capital": 0.07},
        partners=[*PARTNER, {"partner": "market", "max_commitment_musd": 10}],
        capital_tranches=[
            {"partner": "Q", "tranche": "T1", "max_musd": 50, "cost_of_capital": 0.08},
            {"partner": "P", "tranche": "T2", "max_musd": 50, "cost_of_capital": 0.04},
            {"partner": "P", "tranche": "T3", "max_musd": -5, "cost_of_capital": 0.09},
        ],
    )
    with pytest.raises(InputError) as caught:
        load_case(path)
    at = {(p.file, p.line, p.column): p for p in caught.value.problems}
    # partners.csv line 3 is the row `market`, which market_cost_of_capital adds itself
    assert "market_cost_of_capital" in at[("partners.csv", 3, "partner")].expected
    assert "partners.csv" in at[("capital_tranches.csv", 2, "partner")].expected
    cheap = at[("capital_tranches.csv", 3, "cost_of_capital")]
    assert cheap.value == "0.04" and "at least the partner's own cost_of_capital 0.05" in (
        cheap.expected
    )
    assert ("capital_tranches.csv", 4, "max_musd") in at
    # the command line lists them all and exits 2
    done = fabplan("validate", path)
    assert done.returncode == 2, done.stdout + done.stderr
    out = done.stdout + done.stderr
    assert "capital_tranches.csv:3" in out and "capital_tranches.csv:4" in out


def test_a_tranche_of_an_unlimited_partner_is_a_warning_and_ignored(tmp_path):
    path = case(
        tmp_path / "case",
        partners=[{"partner": "P", "max_commitment_musd": None, "cost_of_capital": 0.05}],
        capital_tranches=[
            {"partner": "P", "tranche": "T1", "max_musd": 50, "cost_of_capital": 0.08}
        ],
    )
    c = load_case(path)
    assert any(w.file == "capital_tranches.csv" and w.line == 2 for w in c.warnings)
    # all $130M at P's 5%: 130M x 1.05 = 136.5M
    r = solve_and_verify(path, tmp_path)
    assert r.summary["objective_usd"] == approx(136.5 * M)


# --- (6) verify catches a tampered source table ----------------------------------------------


def test_verify_catches_a_tampered_draw(tmp_path):
    path = case(
        tmp_path / "case",
        partners=PARTNER,
        capital_tranches=[
            {"partner": "P", "tranche": "T1", "max_musd": 50, "cost_of_capital": 0.08}
        ],
    )
    r = solve_and_verify(path, tmp_path)
    table = r.out_dir / "capital_sources.csv"
    s = pd.read_csv(table)
    # move $10M from the commitment to T1: the partner's sources still add up to its funding,
    # but P's commitment is then only $90M used and the financing is 0.3M higher
    s.loc[s["source"] == "T1", "usd"] += 10 * M
    s.loc[s["source"] == "commitment", "usd"] -= 10 * M
    s.to_csv(table, index=False)
    check = verify_plan(r.out_dir)
    assert not check.ok
    text = "\n".join(check.violations)
    assert "T1" in text


# --- (7) diagnosis sentences -----------------------------------------------------------------


def test_diagnosis_sentences_name_the_input_row(tmp_path):
    from optimizer.diagnose import explain_capital
    from optimizer.model.registry import family

    path = case(
        tmp_path / "case",
        {"capital_budget_musd": 100},
        partners=PARTNER,
        capital_tranches=[
            {"partner": "P", "tranche": "T1", "max_musd": 50, "cost_of_capital": 0.08}
        ],
    )
    c = load_case(path)
    assert family("tranche_limit").infeasible is explain_capital.tranche_limit
    assert family("capital_budget").infeasible is explain_capital.capital_budget
    # a violation of $30M on T1: it would have to provide 50M + 30M = $80M
    rows = pd.DataFrame(
        {"partner": ["P"], "tranche": ["T1"], "direction": ["under"], "amount": [30 * M]}
    ).assign(unit="USD", size=30.0)
    [(size, text)] = explain_capital.tranche_limit(c, "tranche_limit", rows)
    assert "capital_tranches.csv line 2" in text and "T1" in text and "$80" in text
    # the budget $100M is $30M short: the builds need $130M
    rows = pd.DataFrame({"direction": ["under"], "amount": [30 * M], "unit": "USD", "size": 30.0})
    [(size, text)] = explain_capital.capital_budget(c, "capital_budget", rows)
    assert "capital_budget_musd 100" in text and "$130" in text
    # commitment 100 + tranche 50 = 150 million USD the partner can give
    assert float(explain_capital.reachable_musd(c, c.partners).iloc[0]) == 150.0


def test_screening_reports_a_budget_below_the_capital_a_cap_forces(tmp_path):
    # R1 holds 1,000 wspm and may hold at most 50% from 2025, so R2 needs >= 1,000 wspm online
    # by 2025: 1,000 x $1,000 = $1M of capital, above a budget of $0.5M
    from optimizer.diagnose.screen import screen

    path = write_case(
        tmp_path / "case",
        parameters={"capital_budget_musd": 0.5},
        sites=[
            {"site": "A", "existing_wspm": 1000, "max_wspm": 1000},
            {"site": "B", "region": "R2", "capex_usd_per_wspm": 1000},
        ],
        shipping=[{"region": "R1", "market": "global"}, {"region": "R2", "market": "global"}],
        regions=[{"region": "R1", "max_capacity_share": 0.5}],
    )
    found = [p for p in screen(load_case(path)) if p.column == "capital_budget_musd"]
    assert len(found) == 1 and found[0].severity == "error"
    assert "$1" in found[0].expected and "$500" in found[0].expected
