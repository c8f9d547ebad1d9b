"""`python -m optimizer solve` end to end: exit codes, atomic writes, --write-model, --set.

Exit codes (issue 2/3): 0 a plan was written; 1 no plan is possible (infeasible), with a plain
message and no traceback, and the previous plan left untouched; 2 bad input, nothing written.
Every plan written here is checked by the independent verifier.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import highspy
import pytest
from casebuilder import fabplan, write_case

from optimizer.model.context import Scale
from optimizer.verify import verify_plan

PLAN_FILES = [
    "summary.json",
    "builds.csv",
    "capacity.csv",
    "production.csv",
    "shipments.csv",
    "unmet.csv",
    "energy.csv",
    "contracts.csv",
    "funding.csv",
    "grants.csv",
    "partner_summary.csv",
    "costs.csv",
    "prices.csv",
    "binding.csv",
]


def solve(data: Path, out: Path, *extra: object) -> subprocess.CompletedProcess:
    return fabplan("solve", data, "--out", out, "--report", "none", *extra, cwd=out.parent)


def assert_verified(out: Path) -> dict:
    check = verify_plan(out)
    assert check.ok, "\n".join(check.violations)
    return json.loads((out / "summary.json").read_text())


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def unmet_case(path: Path, **parameters: object) -> Path:
    """Existing site A (12,000 GPUs a year, opex $10/wafer), site B too slow to build (lead 3 in
    a 2025-2027 horizon); demand 20,000 a year -> 8,000 unmet a year at $500. Per year:
    8,000 x 500 + 12,000 x 10 = 4,120,000, discounted at 10%."""
    return write_case(
        path,
        parameters={
            "last_year": 2027,
            "discount_rate": 0.1,
            "unmet_penalty_usd_per_gpu": 500,
            **parameters,
        },
        sites=[
            {"site": "A", "existing_wspm": 1000, "max_wspm": 1000, "opex_usd_per_wafer": 10},
            {"site": "B", "capex_usd_per_wspm": 1, "lead_time_years": 3},
        ],
        demand=dict.fromkeys(range(2025, 2028), 20_000),
    )


def concentration_case(path: Path, site_b_max_wspm: float, from_year: int) -> Path:
    """Region RA holds 1,000 wspm, RB none (RB may build, lead 1); RA may hold at most half of
    all installed capacity from `from_year`."""
    return write_case(
        path,
        parameters={"last_year": 2026, "unmet_penalty_usd_per_gpu": 500},
        sites=[
            {"site": "A", "region": "RA", "existing_wspm": 1000, "max_wspm": 1000},
            {
                "site": "B",
                "region": "RB",
                "max_wspm": site_b_max_wspm,
                "capex_usd_per_wspm": 1000,
                "lead_time_years": 1,
            },
        ],
        demand={2025: 12_000, 2026: 12_000},
        regions=[{"region": "RA", "max_capacity_share": 0.5, "from_year": from_year}],
    )


def test_solve_writes_a_verified_plan(tmp_path):
    out = tmp_path / "plan"
    run = solve(unmet_case(tmp_path / "case"), out)
    assert run.returncode == 0, run.stderr
    for name in PLAN_FILES:
        assert (out / name).is_file(), name
    summary = assert_verified(out)
    assert summary["status"] == "optimal"
    # 4,120,000 x (1 + 1/1.1 + 1/1.21) = 4,120,000 x 3.31/1.21 = 11,270,413.22
    assert summary["objective_usd"] == pytest.approx(4_120_000 * 3.31 / 1.21, rel=1e-6)
    # nothing but the plan folder is left next to it (no temporary folders)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case", "plan"]
    # the verify command agrees
    check = fabplan("verify", out, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


def partner_share_case(path: Path) -> Path:
    """Infeasible only in combination, so HiGHS (not a pre-check) must find it.

    RA holds 1,000 wspm and may hold at most half of all capacity from 2026, so with x wspm more
    built at A (room 500), B in RB needs 1,000 + x. GOV may not fund RB and FUND may hold at most
    60% of all capital; capex is $1,000/wspm everywhere, so FUND pays 1,000 (1,000 + x) and GOV
    at most 1,000 x. FUND <= 0.6 (FUND + GOV) needs 1,000 + x <= 0.6 (1,000 + 2x), i.e.
    x >= 2,000 > 500: no plan."""
    return write_case(
        path,
        parameters={"last_year": 2026, "unmet_penalty_usd_per_gpu": 500},
        sites=[
            {
                "site": "A",
                "region": "RA",
                "existing_wspm": 1000,
                "max_wspm": 1500,
                "capex_usd_per_wspm": 1000,
                "lead_time_years": 1,
            },
            {
                "site": "B",
                "region": "RB",
                "max_wspm": 5000,
                "capex_usd_per_wspm": 1000,
                "lead_time_years": 1,
            },
        ],
        demand={2025: 12_000, 2026: 12_000},
        regions=[{"region": "RA", "max_capacity_share": 0.5, "from_year": 2026}],
        partners=[
            {"partner": "FUND", "cost_of_capital": 0.05, "max_share": 0.6},
            {"partner": "GOV", "cost_of_capital": 0.02},
        ],
        partner_regions=[{"partner": "GOV", "region": "RB", "max_share": 0}],
    )


INFEASIBLE_CASES = {
    # 2025: RA holds 1,000 of 1,000 wspm = 100% > 50% and nothing can be online before 2026:
    # the cap is false before any decision is made
    "cap_in_first_year": (lambda p: concentration_case(p, 5000, 2025), "max_capacity_share"),
    # 2026: RA's 1,000 needs at least 1,000 wspm elsewhere but site B can hold only 500:
    # 1,000 <= 0.5 x (1,000 + 500) is false
    "cap_without_room": (lambda p: concentration_case(p, 500, 2026), "max_capacity_share"),
    "partner_share": (partner_share_case, "max_share"),
}


@pytest.mark.parametrize("name", list(INFEASIBLE_CASES))
def test_infeasible_case_exits_1_and_keeps_the_previous_plan(tmp_path, name):
    out = tmp_path / "plan"
    first = solve(unmet_case(tmp_path / "good"), out)
    assert first.returncode == 0, first.stderr
    assert_verified(out)
    before = snapshot(out)

    build, names_the_limit = INFEASIBLE_CASES[name]
    run = solve(build(tmp_path / "bad"), out)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout
    assert "no plan" in run.stderr.lower(), run.stderr
    assert names_the_limit in run.stderr, run.stderr  # the input at fault is named
    assert snapshot(out) == before  # the previous plan is byte-identical
    # no temporary folder is left behind; an explanation may be kept beside (not inside) it
    left = {p.name for p in tmp_path.iterdir()} - {"plan.diagnosis.txt"}
    assert left == {"bad", "good", "plan"}


def test_a_feasible_concentration_case_for_contrast(tmp_path):
    # Same as above but site B may hold 5,000 and the limit starts in 2026: B builds 1,000
    # (RA 1,000 <= 0.5 x 2,000), decided 2025 for $1,000,000. Implicit partner at d = 0 over
    # the default 20-year life: A = 1/20, payments 2026..2045 (an ordinary annuity, from the
    # year after funding), only 2026 inside -> 1,000,000 x 1/20 = 50,000.
    # Demand 12,000 a year is met by site A alone (opex 0), so the objective is 50,000.
    out = tmp_path / "plan"
    run = solve(concentration_case(tmp_path / "case", 5000, 2026), out)
    assert run.returncode == 0, run.stderr
    summary = assert_verified(out)
    assert summary["objective_usd"] == pytest.approx(50_000, rel=1e-6)


def test_bad_input_exits_2_and_writes_nothing(tmp_path):
    data = unmet_case(tmp_path / "case")
    sites = (data / "sites.csv").read_text().splitlines()
    header = sites[0].split(",")
    row = sites[1].split(",")
    row[header.index("utilization")] = "90%"
    sites[1] = ",".join(row)
    (data / "sites.csv").write_text("\n".join(sites) + "\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / "plan"
    run = solve(data, out)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert "sites.csv:2" in run.stderr and "utilization" in run.stderr and "90%" in run.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_write_model_writes_a_file_highs_can_read(tmp_path, suffix):
    out = tmp_path / "plan"
    model = tmp_path / f"model{suffix}"
    run = solve(unmet_case(tmp_path / "case"), out, "--write-model", model)
    assert run.returncode == 0, run.stderr
    summary = assert_verified(out)
    assert model.is_file() and model.stat().st_size > 0
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(model)) == highspy.HighsStatus.kOk
    assert h.getNumCol() == summary["size"]["variables"]
    assert h.getNumRow() == summary["size"]["constraints"]
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    # the file is in the model's internal money unit (Scale.usd USD)
    objective_usd = h.getInfo().objective_function_value * Scale().usd
    assert objective_usd == pytest.approx(summary["objective_usd"], rel=1e-6)


@pytest.mark.parametrize(
    ("rate", "objective"),
    [
        # d = 0: 3 x 4,120,000 = 12,360,000
        ("0", 3 * 4_120_000),
        # d = 20%: 4,120,000 x (1 + 1/1.2 + 1/1.44) = 4,120,000 x 2.52777... = 10,414,444.44
        ("0.2", 4_120_000 * (1 + 1 / 1.2 + 1 / 1.44)),
    ],
)
def test_set_discount_rate_changes_the_objective(tmp_path, rate, objective):
    out = tmp_path / "plan"
    run = solve(unmet_case(tmp_path / "case"), out, "--set", f"discount_rate={rate}")
    assert run.returncode == 0, run.stderr
    summary = assert_verified(out)
    assert summary["overrides"] == {"discount_rate": rate}
    assert summary["parameters"]["discount_rate"] == float(rate)
    assert summary["objective_usd"] == pytest.approx(objective, rel=1e-6)
