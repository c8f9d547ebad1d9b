"""fabplan verify on a staged plan (parameters.csv stage_year; optimizer/verify/staged.py).

The case: one site S1 (no existing capacity, lead time 0, utilization 1, capex 1,000 USD/wspm), one
product with one GPU per wafer, years 2025-2027, stage year 2026, two scenarios at probability
0.5: `low` wants 1,200 GPUs a year, `high` 1,200 in 2025 and 2,400 from 2026. A wspm makes 12
wafers a year, so both need 1,200 / 12 = 100 wspm built in 2025 (decided before the stage year:
one row "all"), and `high` alone builds 2,400 / 12 - 100 = 100 wspm more in 2026 (its own row).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from casebuilder import fabplan, solve_and_verify, write_case

from optimizer.verify import verify_plan

STAGE_YEAR = 2026


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A solved staged plan (verified clean by solve_and_verify)."""
    root = tmp_path_factory.mktemp("staged_verify")
    demand = [
        {"scenario": w, "year": y, "gpus": g}
        for w, gpus in {"low": (1200, 1200, 1200), "high": (1200, 2400, 2400)}.items()
        for y, g in zip((2025, 2026, 2027), gpus, strict=True)
    ]
    data = write_case(
        root / "data",
        parameters={
            "last_year": 2027,
            "stage_year": STAGE_YEAR,
            "default_scenario": "low",
            "asset_life_years": 20,
        },
        sites=[{"capex_usd_per_wspm": 1000, "opex_usd_per_wafer": 1}],
        demand=demand,
        scenarios=[
            {"scenario": "low", "probability": 0.5},
            {"scenario": "high", "probability": 0.5},
        ],
    )
    return solve_and_verify(data, root, stochastic=True).out_dir


def test_staged_plan_is_labelled_and_verifies_clean(plan_dir: Path) -> None:
    builds = pd.read_csv(plan_dir / "builds.csv")
    built = builds[builds["wspm"] > 1e-6].set_index(["scenario", "year"])["wspm"]
    # 1,200 GPUs / 12 months = 100 wspm in 2025 for both; high adds 2,400 / 12 - 100 = 100 in 2026
    assert built.to_dict() == pytest.approx({("all", 2025): 100.0, ("high", 2026): 100.0})
    result = verify_plan(plan_dir)
    assert result.ok, result.violations
    assert result.checks["non-anticipativity"] >= len(builds)
    # discount rate 0, 20-year annuities paid from the year after funding: the 2025 build pays
    # 100 x 1,000 / 20 = 5,000 USD in 2026 and 2027, high's 2026 build 5,000 in 2027 (p 0.5);
    # opex 1 USD/wafer: low 3 x 1,200, high 1,200 + 2 x 2,400 wafers
    financing = 5_000 * 2 + 0.5 * 5_000 * 1
    operations = 0.5 * 3 * 1_200 + 0.5 * (1_200 + 2 * 2_400)
    assert result.objective_usd == pytest.approx(financing + operations)  # 17,300
    assert result.recomputed_objective_usd == pytest.approx(financing + operations)


def _tampered(plan_dir: Path, tmp_path: Path, edit, table: str = "builds.csv") -> Path:
    """A copy of the plan with `edit` applied to one table (next to the plan: its data_dir
    ../data resolves)."""
    out = plan_dir.parent / tmp_path.name
    if not out.exists():
        shutil.copytree(plan_dir, out)
    frame = pd.read_csv(out / table, dtype={"scenario": str})
    edit(frame)
    frame.to_csv(out / table, index=False)
    return out


def test_decide_now_row_relabelled_to_one_scenario_fails(plan_dir: Path, tmp_path: Path) -> None:
    def relabel(b: pd.DataFrame) -> None:
        b.loc[(b["scenario"] == "all") & (b["year"] == 2025), "scenario"] = "high"

    out = _tampered(plan_dir, tmp_path, relabel)
    b = pd.read_csv(out / "builds.csv")
    line = int(b.index[(b["year"] == 2025) & (b["wspm"] > 1e-6)][0]) + 2  # header: line 1
    run = fabplan("verify", out)
    assert run.returncode == 1, run.stdout + run.stderr
    assert (
        f"builds.csv line {line}: year 2025 is before the stage year {STAGE_YEAR} but the row "
        "is for scenario 'high'" in run.stderr
    )
    # scenario low lost its 2025 build: its 1,200 wafers a year are made on 0 wspm
    assert "capacity: site S1 2025 scenario low: 1,200 wafers made > 0 available" in run.stderr


def test_decide_later_wspm_changed_fails(plan_dir: Path, tmp_path: Path) -> None:
    def halve(b: pd.DataFrame) -> None:
        b.loc[(b["scenario"] == "high") & (b["year"] == 2026), "wspm"] = 50.0

    out = _tampered(plan_dir, tmp_path, halve)
    run = fabplan("verify", out)
    assert run.returncode == 1, run.stdout + run.stderr
    # high now has 100 + 50 = 150 wspm: 12 x 150 = 1,800 wafers for the 2,400 it makes in 2026
    assert (
        "capacity: site S1 2026 scenario high: 2,400 wafers made > 1,800 available "
        "(12 x 1 x 150 wspm), over by 600" in run.stderr
    )
    assert "non-anticipativity" not in run.stderr  # the labels are still right
    assert "scenario low" not in run.stderr  # low's view does not include high's build


def test_decide_later_row_marked_shared_and_unknown_scenario(
    plan_dir: Path, tmp_path: Path
) -> None:
    def shared_later(b: pd.DataFrame) -> None:
        b.loc[(b["scenario"] == "high") & (b["year"] == 2026), "scenario"] = "all"

    def unknown_name(c: pd.DataFrame) -> None:
        c.loc[(c["scenario"] == "low") & (c["year"] == 2027), "scenario"] = "mid"

    def unknown_operation(p: pd.DataFrame) -> None:
        p.loc[p.index[-1], "scenario"] = "mid"

    _tampered(plan_dir, tmp_path, shared_later)
    _tampered(plan_dir, tmp_path, unknown_operation, "production.csv")
    out = _tampered(plan_dir, tmp_path, unknown_name, "capacity.csv")
    b, c = pd.read_csv(out / "builds.csv"), pd.read_csv(out / "capacity.csv")
    shared = int(b.index[(b["year"] == 2026) & (b["scenario"] == "all")][0]) + 2
    unknown = int(c.index[c["scenario"] == "mid"][0]) + 2
    found = [v for v in verify_plan(out).violations if v.startswith("non-anticipativity")]
    assert (
        f"non-anticipativity: builds.csv line {shared}: year 2026 is not before the stage year "
        f"{STAGE_YEAR} but the row is 'all'; later decisions are made per scenario" in found
    )
    assert any(f"capacity.csv line {unknown}: scenario 'mid' is neither" in v for v in found)
    last = len(pd.read_csv(out / "production.csv")) + 1  # the last row; header is line 1
    assert any(f"production.csv line {last}: scenario 'mid' is not a" in v for v in found)
