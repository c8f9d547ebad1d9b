"""OR-Library capacitated warehouse location instances expressed in fabplan's data contract.

External validation (issue 6 §2): `fabplan solve --integer --mip-gap 0` on the converted cap41
and cap71 reproduces Beasley's published optima, and the converter handles every instance file
of ../shared/validation/orlib-cap/. The expected numbers are the published optima and values
read by hand from the instance files, never the program's own output.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer.inputs import load_case

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ORLIB = SHARED / "validation" / "orlib-cap"

pytestmark = pytest.mark.skipif(
    not ORLIB.is_dir(),
    reason=f"OR-Library instances not found at {ORLIB} (the shared folder sits beside the "
    "project: ../shared/validation/orlib-cap)",
)


def _load_orlib():
    """benchmarks/ is not a package: import benchmarks/orlib.py by path."""
    spec = importlib.util.spec_from_file_location("orlib", ROOT / "benchmarks" / "orlib.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["orlib"] = module
    spec.loader.exec_module(module)
    return module


orlib = _load_orlib()

# Published optima (../shared/validation/README.md, from Beasley's capopt).
PUBLISHED = {"cap41": 1040444.375, "cap71": 932615.750}

# Beasley's Table 1 capacities for the files that write the word `capacity` (one each suffices
# for conversion; the benchmark runs use several).
LARGE_CAPACITY = {"capa": 8000.0, "capb": 5000.0, "capc": 5000.0}


def _instance_files() -> list[Path]:
    return sorted(ORLIB.glob("*.txt")) if ORLIB.is_dir() else []


# ---- parsing ----------------------------------------------------------------------------------


def test_parse_cap41_matches_the_file_read_by_hand():
    inst = orlib.parse_instance(ORLIB / "cap41.txt")
    # header "16 50"; every warehouse "5000 7500." except the 11th, "5000 0."
    assert (inst.m, inst.n) == (16, 50)
    assert inst.capacity.tolist() == [5000.0] * 16
    assert inst.fixed_cost.tolist() == [7500.0] * 10 + [0.0] + [7500.0] * 5
    # first customer line: "146 6739.72500 10355.05000 ... 6051.70000" (demand, c_1j .. c_16j)
    assert inst.demand[0] == 146.0
    assert inst.cost[0, 0] == 6739.725
    assert inst.cost[1, 0] == 10355.05
    assert inst.cost[15, 0] == 6051.7
    # second customer: demand 87, c_1,2 = 3204.8625
    assert inst.demand[1] == 87.0
    assert inst.cost[0, 1] == 3204.8625


def test_line_breaks_carry_no_meaning(tmp_path):
    # the same 2 x 2 instance on one line and spread over many lines
    one_line = "2 2 10 100. 20 200. 5 1. 2. 7 3. 4."
    spread = "2\n2\n10\n100.\n20 200.\n5\n1.\n2.\n7 3.\n4.\n"
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(one_line)
    b.write_text(spread)
    x, y = orlib.parse_instance(a), orlib.parse_instance(b)
    assert x.capacity.tolist() == y.capacity.tolist() == [10.0, 20.0]
    assert x.fixed_cost.tolist() == y.fixed_cost.tolist() == [100.0, 200.0]
    assert x.demand.tolist() == y.demand.tolist() == [5.0, 7.0]
    # cost[i, j]: customer 1 costs 1 from warehouse 1 and 2 from warehouse 2; customer 2: 3, 4
    assert x.cost.tolist() == y.cost.tolist() == [[1.0, 3.0], [2.0, 4.0]]


def test_capacity_word_needs_the_flag_and_the_flag_sets_it():
    with pytest.raises(orlib.InstanceError, match="--capacity"):
        orlib.parse_instance(ORLIB / "capa.txt")
    inst = orlib.parse_instance(ORLIB / "capa.txt", capacity=8000)
    assert (inst.m, inst.n) == (100, 1000)
    assert inst.capacity.tolist() == [8000.0] * 100
    # first warehouse line of capa: "capacity 2141200."
    assert inst.fixed_cost[0] == 2141200.0


def test_capacity_flag_on_numeric_capacities_is_refused():
    with pytest.raises(orlib.InstanceError, match="numbers"):
        orlib.parse_instance(ORLIB / "cap41.txt", capacity=8000)


def test_truncated_file_is_refused(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("2 2 10 100. 20 200. 5 1. 2. 7 3.")  # one cost missing
    with pytest.raises(orlib.InstanceError, match=r"need 12 tokens .* found 11"):
        orlib.parse_instance(bad)


def test_unmet_penalty_exceeds_largest_fixed_cost_plus_unit_cost():
    inst = orlib.parse_instance(ORLIB / "cap41.txt")
    # largest f_i = 7500; the largest c_ij/d_j of cap41 (computed independently here)
    c_max = max(inst.cost[i, j] / inst.demand[j] for i in range(inst.m) for j in range(inst.n))
    assert orlib.unmet_penalty(inst) > 7500.0 + c_max


# ---- conversion round trip --------------------------------------------------------------------


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name)


def test_cap41_round_trips_through_the_csv_files(tmp_path):
    inst = orlib.convert(ORLIB / "cap41.txt", tmp_path / "cap41")
    folder = tmp_path / "cap41"
    sites = _read(folder, "sites.csv")
    demand = _read(folder, "demand.csv")
    shipping = _read(folder, "shipping.csv")
    params = _read(folder, "parameters.csv").set_index("name")["value"]

    # m sites, each in a region of its own; n markets
    assert len(sites) == 16 and sites["region"].nunique() == 16
    assert len(demand) == 50 and demand["market"].nunique() == 50
    assert len(shipping) == 16 * 50
    assert not (folder / "energy.csv").exists() and not (folder / "partners.csv").exists()
    assert params["first_year"] == params["last_year"]
    assert float(params["discount_rate"]) == 0.0

    # capacity: 12 x utilization x max_wspm = s_i = 5000 units a year
    assert np.allclose(12 * sites["utilization"] * sites["max_wspm"], 5000.0, rtol=1e-15)
    assert (sites["existing_wspm"] == 0).all() and (sites["capex_usd_per_wspm"] == 0).all()
    assert (sites["lead_time_years"] == 0).all()
    assert sites["fixed_cost_usd_per_year"].tolist() == [7500.0] * 10 + [0.0] + [7500.0] * 5
    assert demand["gpus"].iloc[:2].tolist() == [146.0, 87.0]
    assert demand["gpus"].sum() == 58268.0  # total demand of cap41

    # cost per unit x demand = the file's c_ij, for every pair
    site_of_region = dict(zip(sites["region"], range(16), strict=True))
    market_of = dict(zip(demand["market"], range(50), strict=True))
    i = shipping["region"].map(site_of_region).to_numpy()
    j = shipping["market"].map(market_of).to_numpy()
    back = shipping["cost_usd_per_gpu"].to_numpy() * demand["gpus"].to_numpy()[j]
    assert np.allclose(back, inst.cost[i, j], rtol=1e-15, atol=0)
    # and spot values by hand: c_1,1 = 6739.725 for 146 units -> 46.1625 per unit
    first = shipping[(shipping["region"] == sites["region"][0]) & (shipping["market"] == "c01")]
    assert first["cost_usd_per_gpu"].item() == pytest.approx(6739.725 / 146, rel=1e-15)


def test_capc_round_trips_at_the_given_capacity(tmp_path):
    inst = orlib.convert(ORLIB / "capc.txt", tmp_path / "capc", capacity=5750)
    case = load_case(tmp_path / "capc")
    assert len(case.sites) == 100 and len(case.markets) == 1000
    assert np.allclose(12 * case.sites["max_wspm"], 5750.0, rtol=1e-15)
    assert case.sites["fixed_cost_usd_per_year"].to_numpy().tolist() == inst.fixed_cost.tolist()
    dem = case.demand.set_index("market")["gpus"]
    assert dem.sum() == inst.demand.sum() == 50937.0  # total demand of capc
    ship = case.shipping.merge(
        case.sites[["site", "region"]].reset_index(names="i"), on="region"
    ).assign(j=lambda d: d["market"].map({m: k for k, m in enumerate(dem.index)}))
    back = ship["cost_usd_per_gpu"].to_numpy() * dem.to_numpy()[ship["j"].to_numpy()]
    assert np.allclose(back, inst.cost[ship["i"], ship["j"]], rtol=1e-15, atol=0)


@pytest.mark.parametrize("path", _instance_files(), ids=lambda p: p.stem)
def test_every_instance_converts_and_validates(tmp_path, path):
    capacity = LARGE_CAPACITY.get(path.stem)
    inst = orlib.convert(path, tmp_path / path.stem, capacity)
    t0 = time.perf_counter()
    case = load_case(tmp_path / path.stem)
    elapsed = time.perf_counter() - t0
    assert not case.warnings
    assert case.inventory()["sites"] == inst.m
    assert case.inventory()["regions"] == inst.m
    assert case.inventory()["markets"] == inst.n
    assert case.inventory()["years"] == 1
    assert len(case.shipping) == inst.m * inst.n
    # every instance's total capacity covers its total demand (else it has no solution)
    assert 12 * case.sites["max_wspm"].sum() >= case.demand["gpus"].sum()
    assert elapsed < 30, f"loading {path.stem} took {elapsed:.1f} s"


def test_cli_converts_and_reports_bad_input(tmp_path, capsys):
    assert orlib.main([str(ORLIB / "cap71.txt"), str(tmp_path / "out")]) == 0
    assert "cap71: 16 warehouses x 50 customers" in capsys.readouterr().out
    assert (tmp_path / "out" / "sites.csv").is_file()
    assert orlib.main([str(ORLIB / "capb.txt"), str(tmp_path / "b")]) == 2
    assert "--capacity" in capsys.readouterr().err


# ---- reproducing the published optima --------------------------------------------------------


def _cwlp_cost(inst, shipments: pd.DataFrame, regions: list[str], markets: list[str]) -> float:
    """The CWLP objective of a plan, recomputed from the instance file (not from the CSVs):
    sum f_i y_i + sum c_ij x_ij with x_ij = units shipped / d_j, after checking feasibility
    (warehouse i is the one site of region i, so its lanes are its shipments)."""
    i = shipments["region"].map({r: k for k, r in enumerate(regions)}).to_numpy()
    j = shipments["market"].map({m: k for k, m in enumerate(markets)}).to_numpy()
    x = np.zeros((inst.m, inst.n))
    np.add.at(x, (i, j), shipments["gpus"].to_numpy() / inst.demand[j])
    assert np.allclose(x.sum(axis=0), 1.0, atol=1e-9), "every customer fully served"
    load = (x * inst.demand[None, :]).sum(axis=1)
    assert (load <= inst.capacity * (1 + 1e-9)).all(), "no warehouse over its capacity"
    used = load > 1e-9
    return float(inst.fixed_cost[used].sum() + (inst.cost * x).sum())


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_integer_solve_reproduces_published_optimum(tmp_path, name):
    from optimizer.verify import verify_plan

    data = tmp_path / name
    inst = orlib.convert(ORLIB / f"{name}.txt", data)
    result = orlib.solve_case(data, tmp_path / f"{name}-plan")
    summary = result.summary
    assert summary["status"] == "optimal"
    assert summary["mode"] == "integer"
    assert summary["objective_usd"] == pytest.approx(PUBLISHED[name], rel=1e-6)
    assert summary["totals"]["gpus_unmet"] == pytest.approx(0.0, abs=1e-6)

    # the plan, read back as a CWLP solution, costs the published optimum too
    cost = _cwlp_cost(
        inst, result.tables["shipments"], orlib.region_ids(inst), orlib.market_ids(inst)
    )
    assert cost == pytest.approx(PUBLISHED[name], rel=1e-6)

    check = verify_plan(tmp_path / f"{name}-plan")
    assert check.ok, [str(v) for v in check.violations]
