"""Tool supply (tools.csv, tool_use.csv) and concentration caps restricted to a process group
(regions.csv process), issue 12. Every expected number is worked out by hand in the comments.

Tool supply: for each tool and year Y, sum_{y<=Y} units_per_kwspm x build[s,y] / 1000 over the
sites of processes using the tool <= sum_{y<=Y} units(tool, y); tools.csv rows before the first
year are stock in the first year.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from casebuilder import LOGIC_ONLY, approx, solve_and_verify, value, write_case

from optimizer.diagnose import explain_tools
from optimizer.errors import NoPlanError
from optimizer.inputs import load_case
from optimizer.run import SolveRequest, run_solve
from optimizer.verify import verify_plan

ROOT = Path(__file__).resolve().parents[1]


# --- (1) a tool limit delays half of a build by one year -----------------------------------------


def delayed_case(path: Path, tools: bool = True) -> Path:
    """Horizon 2025-2027, discount 0, penalty $1,000/GPU. Site A (N3, lead 0, utilization 1,
    every cost 0), 1 GPU per wafer; demand 120,000 GPUs in 2026 and in 2027 = 12 x 10,000 wspm.
    EUV: 1 tool per 1,000 wspm of N3; 5 tools arrive in 2026 and 5 in 2027."""
    return write_case(
        path,
        parameters={"last_year": 2027, "unmet_penalty_usd_per_gpu": 1000},
        sites=[{"site": "A"}],
        demand=[{"year": 2026, "gpus": 120_000}, {"year": 2027, "gpus": 120_000}],
        tools=[{"tool": "EUV", "year": 2026, "units": 5}, {"tool": "EUV", "year": 2027, "units": 5}]
        if tools
        else None,
        tool_use=[{"process": "N3", "tool": "EUV", "units_per_kwspm": 1}] if tools else None,
    )


def test_a_tool_limit_delays_half_the_build_by_one_year(tmp_path):
    r = solve_and_verify(delayed_case(tmp_path / "case"), tmp_path)
    # builds decided by 2025 <= 0 tools x 1,000 = 0 wspm; by 2026 <= 5,000; by 2027 <= 10,000.
    # 2026 needs 10,000 wspm: only 5,000 -> 60,000 GPUs made, 120,000 - 60,000 = 60,000 unmet;
    # 2027: the other 5,000 wspm -> 12 x 10,000 = 120,000 GPUs, nothing unmet
    builds = r.tables["builds"]
    assert value(builds, "wspm", site="A", year=2025) == approx(0)
    assert value(builds, "wspm", site="A", year=2026) == approx(5000)
    assert value(builds, "wspm", site="A", year=2027) == approx(5000)
    assert value(r.tables["unmet"], "gpus", year=2026) == approx(60_000)
    assert value(r.tables["unmet"], "gpus", year=2027) == approx(0)
    # objective = 60,000 GPUs x $1,000 (discount 0, every other cost 0) = $60,000,000
    assert r.summary["objective_usd"] == approx(60_000_000)
    # tool_use.csv: supply 0, 5, 5 (cumulative 0, 5, 10); used 0, 5, 5 (cumulative 0, 5, 10)
    t = r.tables["tool_use"].set_index("year")
    assert list(t["supply_units"]) == approx([0, 5, 5])
    assert list(t["cumulative_supply_units"]) == approx([0, 5, 10])
    assert list(t["used_units"]) == approx([0, 5, 5])
    assert list(t["cumulative_used_units"]) == approx([0, 5, 10])
    # one more tool in 2026 lets 1,000 wspm more run in 2026 (2027 builds 1,000 less):
    # 12,000 GPUs less unmet x $1,000 = $12,000,000 saved (the same lost with one tool less)
    b = r.tables["binding"]
    row = b[(b["family"] == "tool_supply") & (b["year"] == 2026)]
    assert len(row) == 1 and row["tool"].iloc[0] == "EUV"
    assert row["shadow_price"].iloc[0] == approx(-12_000_000, abs_=1e-3)
    assert row["meaning"].iloc[0].startswith("EUV supply is used up by 2026")


def test_without_tools_the_whole_build_comes_at_once(tmp_path):
    r = solve_and_verify(delayed_case(tmp_path / "case", tools=False), tmp_path)
    # no tool limit: 10,000 wspm in 2026, nothing unmet, every cost 0
    assert value(r.tables["builds"], "wspm", year=2026) == approx(10_000)
    assert r.summary["objective_usd"] == approx(0)
    assert "tool_use" not in r.tables


# --- (2) stockpiling: tools delivered early are used later ---------------------------------------


def test_tools_delivered_before_the_first_year_are_stock_used_later(tmp_path):
    # Horizon 2025-2027, discount 5%, asset life 10, penalty $1,000. Site A (lead 0) capex
    # $100,000/wspm: capital raised in 2027 is repaid from 2028, outside the horizon, so a 2027
    # build costs 0 inside it and an earlier one costs annuity payments: the plan builds in 2027.
    # Demand 120,000 GPUs in 2027 = 10,000 wspm = 10 tools. tools.csv: 4 dated 2023 and 6 dated
    # 2024 (both stock in 2025), 100 dated 2030 (after the horizon: ignored), none in 2025-2027.
    # Stockpiled: 10 tools by 2027 -> 10,000 wspm, nothing unmet, objective 0. (Without stock,
    # 2027 would have 0 tools: 120,000 GPUs unmet x $1,000 = $120M.)
    data = write_case(
        tmp_path / "case",
        parameters={
            "last_year": 2027,
            "discount_rate": 0.05,
            "asset_life_years": 10,
            "unmet_penalty_usd_per_gpu": 1000,
        },
        sites=[{"site": "A", "capex_usd_per_wspm": 100_000}],
        demand={2027: 120_000},
        tools=[
            {"tool": "EUV", "year": 2023, "units": 4},
            {"tool": "EUV", "year": 2024, "units": 6},
            {"tool": "EUV", "year": 2030, "units": 100},
        ],
        tool_use=[{"process": "N3", "tool": "EUV", "units_per_kwspm": 1}],
    )
    r = solve_and_verify(data, tmp_path)
    builds = r.tables["builds"]
    assert value(builds, "wspm", year=2027) == approx(10_000)
    assert value(builds, "wspm") == approx(10_000)
    assert r.tables["unmet"].empty
    assert r.summary["objective_usd"] == approx(0)
    t = r.tables["tool_use"].set_index("year")
    # supply: 4 + 6 = 10 in 2025 (stock), 0 in 2026 and 2027 (the 2030 row does not count)
    assert list(t["supply_units"]) == approx([10, 0, 0])
    assert list(t["cumulative_supply_units"]) == approx([10, 10, 10])
    assert list(t["cumulative_used_units"]) == approx([0, 0, 10])


# --- (3) a concentration cap counting only logic processes ---------------------------------------

# Horizon 2025-2026, d = 5%, asset life 10; demand 12,000 GPUs in 2026 needs 1,000 wspm of N3
# decided in 2025 (lead 1). C (region RC) $100,000/wspm, D (RD) $200,000/wspm. P is a packaging
# site (CoWoS, group packaging) in RC with 1,000 wspm existing that makes nothing here.
# RC at most 60% of the capacity counted from 2026. Capital raised in 2025 is repaid 2026..2035,
# of which 2026 is inside: financing = capital x A(0.05, 10) / 1.05, A = 0.05/(1-1.05^-10).
A_05_10 = 0.05 / (1 - 1.05**-10)


@pytest.mark.parametrize(
    ("process", "built_c", "built_d"),
    [
        # blank = group logic: P does not count. C <= 0.6 (C + D), C + D = 1,000
        # -> min 1e5 C + 2e5 D at C = 600, D = 400 (capital 60M + 80M = 140M)
        ("", 600, 400),
        # the group by name: the same
        ("logic", 600, 400),
        # both processes counted: 1,000 + C <= 0.6 (1,000 + C + D) = 0.6 x 2,000 = 1,200
        # -> C = 200, D = 800 (capital 20M + 160M = 180M)
        ("N3;CoWoS", 200, 800),
    ],
)
def test_a_concentration_cap_counts_only_its_process_group(tmp_path, process, built_c, built_d):
    lead = {"lead_time_years": 1}
    data = write_case(
        tmp_path / "case",
        parameters={
            "last_year": 2026,
            "discount_rate": 0.05,
            "asset_life_years": 10,
            "unmet_penalty_usd_per_gpu": 100_000,
        },
        sites=[
            {"site": "C", "region": "RC", "capex_usd_per_wspm": 100_000, **lead},
            {"site": "D", "region": "RD", "capex_usd_per_wspm": 200_000, **lead},
            {"site": "P", "region": "RC", "node": "CoWoS", "existing_wspm": 1000, "max_wspm": 1000},
        ],
        processes=[
            {"process": "N3", "group": "logic"},
            {"process": "CoWoS", "group": "packaging"},
        ],
        demand={2026: 12_000},
        regions=[
            {"region": "RC", "max_capacity_share": 0.6, "from_year": 2026, "process": process}
        ],
    )
    r = solve_and_verify(data, tmp_path)
    builds = r.tables["builds"]
    assert value(builds, "wspm", site="C") == approx(built_c)
    assert value(builds, "wspm", site="D") == approx(built_d)
    capital = built_c * 100_000 + built_d * 200_000
    assert r.summary["objective_usd"] == approx(capital * A_05_10 / 1.05)


# --- (4) verify catches tampered builds and tool_use ---------------------------------------------


def test_verify_catches_a_build_beyond_the_tools_and_a_wrong_tool_use_table(tmp_path):
    r = solve_and_verify(delayed_case(tmp_path / "case"), tmp_path)
    plan = r.out_dir
    tampered = tmp_path / "tampered"
    shutil.copytree(plan, tampered)
    builds = pd.read_csv(tampered / "builds.csv")
    # 6,000 wspm decided in 2026 need 6 tools; 5 were delivered by 2026
    builds.loc[builds["year"] == 2026, "wspm"] = 6000.0
    builds.to_csv(tampered / "builds.csv", index=False)
    use = pd.read_csv(tampered / "tool_use.csv")
    use.loc[use["year"] == 2027, "used_units"] = 4.0  # builds.csv gives 5
    use.to_csv(tampered / "tool_use.csv", index=False)
    found = verify_plan(tampered).violations
    assert any(
        v.startswith("tool supply: EUV 2026") and "need 6 tools" in v and "5 were delivered" in v
        for v in found
    ), found
    assert any(
        v.startswith("tool use table") and "2027 used_units 4" in v and "give 5" in v for v in found
    ), found


def test_the_diagnosis_names_the_tool_the_need_and_the_supply(tmp_path):
    case = load_case(delayed_case(tmp_path / "case"))
    # a violated row of an elastic solve: builds by 2027 need 14, supply by 2027 is 5 + 5 = 10
    rows = pd.DataFrame(
        {"tool": ["EUV"], "year": [2027], "direction": ["over"], "amount": [4.0], "unit": ["tool"]}
    ).assign(size=4.0)
    ((size, text),) = explain_tools.tool_supply(case, "tool_supply", rows)
    assert size == 4.0
    assert text.startswith("EUV: builds decided by 2027 need 14, supply by 2027 is 10")
    assert "tools.csv lines 2, 3" in text and "tool_use.csv line 2" in text


def test_an_infeasible_case_is_explained_by_its_tool_shortage(tmp_path):
    # C (RC, N3) has 1,000 wspm existing; RC may hold at most 50% from 2025, so 1,000 wspm must
    # be decided (and online, lead 0) at D (RD, N3) in 2025: 1,000 x 0.25 / 1,000 = 0.25 EUV
    # tools, of which 0 arrive. The elastic solve violates the cheaper row: the tool row by 0.25
    # tools (0.25 model units) rather than the cap, 0.5 D >= 1,000 - 0.5 x 1,000 = 500, by 500
    # wspm (0.5 model units).
    data = write_case(
        tmp_path / "case",
        sites=[
            {"site": "C", "region": "RC", "existing_wspm": 1000, "max_wspm": 1000},
            {"site": "D", "region": "RD"},
        ],
        regions=[{"region": "RC", "max_capacity_share": 0.5}],
        tools=[{"tool": "EUV", "year": 2025, "units": 0}],
        tool_use=[{"process": "N3", "tool": "EUV", "units_per_kwspm": 0.25}],
    )
    with pytest.raises(NoPlanError) as caught:
        run_solve(SolveRequest(data, out_dir=tmp_path / "plan", report_formats=()))
    first = caught.value.details[0]
    assert first.startswith("EUV: builds decided by 2025 need 0.25, supply by 2025 is 0"), first
    assert "tools.csv line 2" in first and "tool_use.csv line 2" in first


# --- without tools or process columns the default plan is unchanged ------------------------------


@pytest.fixture(scope="module")
def default_objective(tmp_path_factory) -> float:
    out = tmp_path_factory.mktemp("default")
    r = run_solve(SolveRequest(data_dir=LOGIC_ONLY, out_dir=out / "plan", report_formats=()))
    return float(r.summary["objective_usd"])


def _default_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(LOGIC_ONLY, data)
    for name in ("tools.csv", "tool_use.csv"):
        (data / name).unlink(missing_ok=True)
    return data


def test_ample_tool_supply_leaves_the_default_plan_unchanged(tmp_path, default_objective):
    data = _default_copy(tmp_path)
    processes = sorted(set(load_case(data).sites["node"]))
    # 1,000,000 scanners as stock: no build can use them up (max_wspm << 1e9 wspm)
    (data / "tools.csv").write_text("tool,year,units\nEUV,2020,1000000\n")
    (data / "tool_use.csv").write_text(
        "process,tool,units_per_kwspm\n" + "".join(f"{p},EUV,1\n" for p in processes)
    )
    r = solve_and_verify(data, tmp_path)
    assert r.summary["objective_usd"] == pytest.approx(default_objective, rel=1e-9)
    assert len(r.tables["tool_use"]) == len(load_case(data).years)


def test_a_cap_naming_every_process_equals_a_blank_one(tmp_path, default_objective):
    data = _default_copy(tmp_path)
    case = load_case(data)
    processes = ";".join(sorted(set(case.processes["process"])))
    regions = case.regions.drop(columns=["_line"]).assign(process=processes)
    regions.to_csv(data / "regions.csv", index=False)
    r = solve_and_verify(data, tmp_path)
    assert r.summary["objective_usd"] == pytest.approx(default_objective, rel=1e-9)
