"""Synthetic cases (`fabplan generate`): valid, deterministic, sized, and solvable to optimality."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from optimizer.generate import SHAPES, SIZES, generate_case
from optimizer.inputs import load_case

CONTRACT_FILES = {
    "parameters.csv",
    "sites.csv",
    "products.csv",
    "demand.csv",
    "scenarios.csv",
    "shipping.csv",
    "energy.csv",
    "partners.csv",
    "partner_regions.csv",
    "regions.csv",
}

# Size S is meant to give ~10k variables; accept 8k-13k (the benchmark only needs the order).
S_VARIABLES = (8_000, 13_000)


@pytest.fixture(scope="module")
def case_s(tmp_path_factory) -> Path:
    return generate_case("S", tmp_path_factory.mktemp("gen") / "s", seed=0)


def test_sizes_are_s_m_l():
    assert SIZES == ("S", "M", "L")


def test_s_writes_every_file_of_the_contract_and_loads_cleanly(case_s: Path):
    written = {p.name for p in case_s.glob("*.csv")}
    assert written == CONTRACT_FILES
    case = load_case(case_s, {})
    assert case.warnings == []
    shape = SHAPES["S"]
    inv = case.inventory()
    assert inv["sites"] == shape.sites
    assert inv["markets"] == shape.markets
    assert inv["regions"] == shape.regions
    assert inv["partners"] == shape.partners
    assert inv["years"] == shape.last_year - 2025 + 1
    assert inv["scenarios"] == 3
    assert case.energy is not None and len(case.energy) >= shape.regions
    # nor does the pre-solve screening find demand that cannot be met in time
    from optimizer.diagnose import screen

    assert screen(case.for_scenarios({"base": 1.0})) == []


def test_s_has_realistic_magnitudes_and_growing_demand(case_s: Path):
    case = load_case(case_s, {})
    sites = case.sites
    assert sites["capex_usd_per_wspm"].between(4e5, 8e5).all()
    assert sites["max_wspm"].between(20_000, 100_000).all()
    assert (sites["existing_wspm"] <= sites["max_wspm"]).all()
    assert (sites["existing_wspm"] > 0).any()
    base = case.demand[case.demand["scenario"] == "base"].groupby("year")["gpus"].sum()
    assert base.is_monotonic_increasing
    assert base.iloc[-1] > 2 * base.iloc[0]
    # scenarios are ordered low < base < high in the last year
    last = case.demand[case.demand["year"] == case.params.last_year]
    by_scenario = last.groupby("scenario")["gpus"].sum()
    assert by_scenario["low"] < by_scenario["base"] < by_scenario["high"]


def test_s_leaves_a_few_lanes_out_but_reaches_every_market(case_s: Path):
    case = load_case(case_s, {})
    shape = SHAPES["S"]
    all_lanes = shape.regions * shape.markets  # 6 x 24 = 144
    assert 0 < all_lanes - len(case.shipping) <= 0.1 * all_lanes
    assert set(case.shipping["market"]) == set(case.markets)


def test_same_seed_gives_byte_identical_files(tmp_path: Path):
    a = generate_case("S", tmp_path / "a", seed=7)
    b = generate_case("S", tmp_path / "b", seed=7)
    c = generate_case("S", tmp_path / "c", seed=8)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "sites.csv").read_bytes() != (c / "sites.csv").read_bytes()


def test_unknown_size_is_rejected(tmp_path: Path):
    with pytest.raises(ValueError, match="expected one of S, M, L"):
        generate_case("XL", tmp_path / "x")


def test_cli_generate_writes_a_valid_case(tmp_path: Path):
    out = tmp_path / "cli"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "optimizer",
            "-q",
            "generate",
            str(out),
            "--size",
            "s",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert {p.name for p in out.glob("*.csv")} == CONTRACT_FILES
    bad = subprocess.run(
        [sys.executable, "-m", "optimizer", "generate", str(tmp_path / "bad"), "--size", "XL"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2


def _production_variables(case) -> int:
    """make[s,k,m,t] counted from the contract's definition (issue 3), independently of the model.

    One variable per site x product of the site's node x market reached by a lane from the
    site's region x year from the site's first producing year (first_year if it has capacity,
    else max(first_build_year, first_year) + lead_time) with demand > 0 in the solved scenario.
    """
    p = case.params
    sites = case.sites
    first = (sites["first_build_year"].clip(lower=p.first_year) + sites["lead_time_years"]).where(
        sites["existing_wspm"] <= 0, p.first_year
    )
    pairs = sites.assign(first=first).merge(case.products, on="node")
    pairs = pairs.merge(case.shipping[["region", "market"]], on="region")
    dem = case.demand[(case.demand["scenario"] == p.default_scenario) & (case.demand["gpus"] > 0)]
    rows = pairs.merge(dem[["product", "market", "year"]], on=["product", "market"])
    return int((rows["year"] >= rows["first"]).sum())


def test_s_solves_to_optimality_verifies_and_has_the_stated_size(case_s: Path, tmp_path: Path):
    from optimizer.run import SolveRequest, run_solve
    from optimizer.verify import verify_plan

    result = run_solve(SolveRequest(data_dir=case_s, out_dir=tmp_path / "plan", report_formats=()))
    summary = result.summary
    assert summary["status"] == "optimal"
    check = verify_plan(result.out_dir)
    assert check.ok, "\n".join(check.violations)

    n = summary["size"]["variables"]
    assert S_VARIABLES[0] <= n <= S_VARIABLES[1]
    # production variables dominate (what the sizes scale): at least half of all columns
    make = _production_variables(load_case(case_s, {}))
    assert 0.5 * n <= make <= n

    # enough buildable capacity, capital and energy: the plan builds and serves >= 95% of demand
    totals = summary["totals"]
    assert totals["wspm_built"] > 0
    assert totals["gpus_unmet"] <= 0.05 * totals["gpus_demanded"]
    costs = pd.read_csv(result.out_dir / "costs.csv")
    assert costs["npv_usd"].sum() == pytest.approx(summary["objective_usd"], rel=1e-6)
