"""`fabplan verify` must not accept edited plans (issue 9, item C13).

A plan of the tiny case (tests/fixtures.py) is solved once; each test edits a private copy of
it (or of its data folder) and expects exit code 1 with a violation that names the table, the
row (line) and the column. Hand numbers used below, from tests/fixtures.py:
  demand 150,000 / 300,000 / 450,000 GPUs in 2025 / 2026 / 2027 (demand.csv copy lines 2-4);
  sites.csv copy: TW_FAB line 2, US_FAB line 3 (max_wspm 2,000); partner_regions: USG,TW,0.
  2025 is served by TW_FAB alone (US_FAB is greenfield with a 1-year lead time) and its
  capacity does not bind: 12 x 0.9 x 1,000 wspm = 10,800 wafers available, 150,000 / 15 =
  10,000 wafers made. The TW_GRID contract (no capacity charge, 100 MW max) does not bind
  either, so the 2025 price is TW_FAB's marginal cost per GPU:
    (opex 3,500 + shipping 5 x 15 GPUs + 3 MWh x (135 USD/MWh + 0.494 t/MWh x 50 USD/t)) / 15
    = (3,500 + 75 + 3 x 159.7) / 15 = 4,054.1 / 15 = 270.2733 USD/GPU.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures import write_tiny_case

from optimizer.errors import NoPlanError
from optimizer.plan.schema import BINDING_KEYS
from optimizer.run import SolveRequest, run_solve
from optimizer.verify import VerifyResult, command, run_verify_command, verify_plan

PRICE_2025 = (3500 + 5 * 15 + 3 * (135 + 0.494 * 50)) / 15  # 270.2733 USD/GPU


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny case and its LP plan side by side: <root>/data and <root>/plan."""
    root = tmp_path_factory.mktemp("hardening")
    data = write_tiny_case(root / "data")
    run_solve(SolveRequest(data_dir=data, out_dir=root / "plan", report_formats=()))
    return root


@pytest.fixture
def plan(solved: Path, tmp_path: Path) -> Path:
    """A private copy of the solved plan and its data folder; returns the plan folder."""
    shutil.copytree(solved, tmp_path / "case")
    return tmp_path / "case" / "plan"


def data_of(plan: Path) -> Path:
    return plan.parent / "data"


def found(plan: Path, family: str) -> list[str]:
    """The plan fails verification (`fabplan verify` exit code 1); the violations of one
    family, taken from the very result the command judged (one verification, not two)."""
    results: list[VerifyResult] = []

    def keep(*args: object) -> VerifyResult:
        results.append(verify_plan(*args))
        return results[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(command, "verify_plan", keep)
        assert run_verify_command(plan, data_of(plan)) == 1
    return [v for v in results[0].violations if v.startswith(f"{family}: ")]


def edit_cell(path: Path, where: dict[str, str], column: str, value: str) -> int:
    """Set one cell of the row matching `where` (text of its cells); returns its line number."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    hits = [
        i
        for i, row in enumerate(rows[1:], start=1)
        if all(row[header.index(k)] == v for k, v in where.items())
    ]
    assert len(hits) == 1, f"{where} matches {len(hits)} rows of {path.name}"
    rows[hits[0]][header.index(column)] = value
    with path.open("w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return hits[0] + 1


def cell(path: Path, where: dict[str, str], column: str) -> str:
    with path.open(newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if all(r[k] == v for k, v in where.items())]
    assert len(rows) == 1
    return rows[0][column]


def add_row(path: Path, values: list[str]) -> int:
    with path.open("a", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(values)
    return len(path.read_text().splitlines())


def edit_summary(plan: Path, change: Callable[[dict], None]) -> None:
    summary = json.loads((plan / "summary.json").read_text())
    change(summary)
    (plan / "summary.json").write_text(json.dumps(summary, indent=2))


YEAR_2026 = {"scenario": "base", "product": "GPU_N3", "market": "global", "year": "2026"}
YEAR_2025 = {**YEAR_2026, "year": "2025"}


# --- the honest plans --------------------------------------------------------------------------


def test_unedited_plan_verifies_with_every_new_check(plan: Path) -> None:
    assert run_verify_command(plan, data_of(plan)) == 0
    result = verify_plan(plan, data_of(plan))
    assert result.violations == []
    # the copies (3 demand + 2 sites + 1 partner_regions rows), the scenario costs (1 scenario
    # x 11 columns: the 10 cost components of optimizer/contract.py and the total), the 3 prices
    # and the binding rows
    # were all checked, not skipped
    assert result.checks["input copies"] > 0
    assert result.checks["scenario costs"] == 11
    assert result.checks["prices"] == 3
    assert result.checks["binding"] > 0
    assert not [w for w in result.warnings if "not checked" in w]


def test_price_of_the_hand_computed_year_is_the_plans(plan: Path) -> None:
    # the marginal-cost check recomputes this price; the solver's dual gives the same
    price = float(cell(plan / "prices.csv", YEAR_2025, "usd_per_gpu"))
    assert price == pytest.approx(PRICE_2025, rel=1e-9)
    assert price == pytest.approx(270.2733, abs=1e-4)


def test_overrides_keep_hashes_and_copies_consistent(tmp_path: Path) -> None:
    # --set changes the case in memory only: the files (and their hashes) are those on disk,
    # and the plan's sites.csv copy holds the overridden value, which verify reloads.
    data = write_tiny_case(tmp_path / "data")
    out = tmp_path / "plan"
    run_solve(
        SolveRequest(
            data_dir=data,
            out_dir=out,
            overrides={"sites.max_wspm[US_FAB]": "2500"},
            report_formats=(),
        )
    )
    assert cell(out / "sites.csv", {"site": "US_FAB"}, "max_wspm") == "2500.0"
    result = verify_plan(out, data)
    assert result.violations == []
    assert result.inputs_unchanged


def _integer_plan(tmp_path: Path) -> tuple[Path, Path, bool]:
    """A time-limited integer plan of the tiny case: a real one when a small --time-limit stops
    HiGHS after it found a plan (usual at 0.01 s); when every limit tried ends either with no
    plan or optimal (timing depends on the machine), the optimal plan's summary is marked as
    a run stopped by a 0.01 s time limit, the way a solve writes one. Returns (plan, data,
    real)."""
    data = write_tiny_case(tmp_path / "data")
    last = None
    for i, limit in enumerate((0.005, 0.01, 0.02, 0.05, 0.1)):
        out = tmp_path / f"plan-{i}"
        try:
            result = run_solve(
                SolveRequest(
                    data_dir=data, out_dir=out, integer=True, time_limit=limit, report_formats=()
                )
            )
        except NoPlanError:
            continue
        if result.summary["status"] == "time_limit":
            return out, data, True
        last = out
    if last is None:
        result = run_solve(SolveRequest(data_dir=data, out_dir=tmp_path / "plan-opt", integer=True))
        last = result.out_dir

    def stopped(s: dict) -> None:
        s.update(status="time_limit", termination="Time limit reached", optimal=False)
        s["mip_gap"] = 0.05
        s["options"]["time_limit"] = 0.01

    edit_summary(last, stopped)
    return last, data, False


def test_time_limited_integer_plan_verifies_with_a_warning(tmp_path: Path) -> None:
    out, data, _ = _integer_plan(tmp_path)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "time_limit" and summary["optimal"] is False
    assert summary["mode"] == "integer"
    assert run_verify_command(out, data) == 0
    result = verify_plan(out, data)
    assert result.violations == []
    assert any(w.startswith("plan: status time_limit") for w in result.warnings)


def test_time_limit_status_without_a_time_limit_fails(tmp_path: Path) -> None:
    out, data, _ = _integer_plan(tmp_path)
    edit_summary(out, lambda s: s["options"].update(time_limit=None))
    assert run_verify_command(out, data) == 1
    violations = verify_plan(out, data).violations
    assert [v for v in violations if v.startswith("status: ")] == [
        "status: summary.json status 'time_limit' (termination 'Time limit reached') but "
        "options.time_limit is None and optimal is False: a plan marked time-limited must come "
        "from a run with --time-limit that stopped before proving optimality"
    ]


# --- the plan's copies of inputs ---------------------------------------------------------------


def test_demand_copy_edited(plan: Path) -> None:
    line = edit_cell(plan / "demand.csv", YEAR_2026, "gpus", "300001.0")
    assert line == 3
    assert found(plan, "input copies") == [
        "input copies: demand.csv line 3 (scenario base, product GPU_N3, market global, year "
        "2026): gpus is 300,001 in the plan's copy but 300,000 in the data (demand.csv)"
    ]


def test_demand_copy_row_dropped_or_added(plan: Path) -> None:
    text = (plan / "demand.csv").read_text().splitlines()
    (plan / "demand.csv").write_text("\n".join([text[0], text[1], text[3]]) + "\n")
    add_row(plan / "demand.csv", ["low", "GPU_N3", "global", "2027", "1.0"])
    assert found(plan, "input copies") == [
        "input copies: demand.csv line 4: scenario low, product GPU_N3, market global, year "
        "2027 is not in the data (demand.csv)",
        "input copies: demand.csv: no row for scenario base, product GPU_N3, market global, "
        "year 2026, which is in demand.csv",
    ]


def test_sites_copy_max_wspm_edited(plan: Path) -> None:
    line = edit_cell(plan / "sites.csv", {"site": "US_FAB"}, "max_wspm", "2500.0")
    assert line == 3
    assert found(plan, "input copies") == [
        "input copies: sites.csv line 3 (site US_FAB): max_wspm is 2,500 in the plan's copy "
        "but 2,000 in the data (sites.csv)"
    ]


def test_partner_regions_copy_limit_edited(plan: Path) -> None:
    line = edit_cell(
        plan / "partner_regions.csv", {"partner": "USG", "region": "TW"}, "max_share", "0.5"
    )
    assert line == 2
    assert found(plan, "input copies") == [
        "input copies: partner_regions.csv line 2 (partner USG, region TW): max_share is 0.5 "
        "in the plan's copy but 0 in the data (partner_regions.csv)"
    ]


# --- derived tables ----------------------------------------------------------------------------


def test_scenario_costs_value_edited(plan: Path) -> None:
    path = plan / "scenario_costs.csv"
    before = float(cell(path, {"scenario": "base"}, "shipping_usd"))
    line = edit_cell(path, {"scenario": "base"}, "shipping_usd", repr(before + 1_000_000))
    messages = found(plan, "scenario costs")
    assert len(messages) == 1
    assert messages[0].startswith(
        f"scenario costs: scenario_costs.csv line {line}: scenario base: shipping_usd "
    )
    assert messages[0].endswith("(difference 1,000,000)")


def test_scenario_costs_probability_edited(plan: Path) -> None:
    edit_cell(plan / "scenario_costs.csv", {"scenario": "base"}, "probability", "0.9")
    assert found(plan, "scenario costs") == [
        "scenario costs: scenario_costs.csv line 2: scenario base: probability 0.9 but "
        "summary.json gives 1"
    ]


def test_price_edited(plan: Path) -> None:
    line = edit_cell(plan / "prices.csv", YEAR_2025, "usd_per_gpu", "300.0")
    assert found(plan, "prices") == [
        f"prices: prices.csv line {line} (scenario base, product GPU_N3, market global, 2025): "
        "usd_per_gpu 300 but the plan's marginal cost there is 270.27 USD/GPU (site TW_FAB, "
        "production.csv line 2: opex, shipping, energy from TW_GRID and the capacity shadow "
        "price of binding.csv)"
    ]


def test_price_negative_or_above_the_penalty(plan: Path) -> None:
    edit_cell(plan / "prices.csv", YEAR_2025, "usd_per_gpu", "-5")
    edit_cell(plan / "prices.csv", YEAR_2026, "usd_per_gpu", "2500")  # penalty 2,000 USD/GPU
    messages = found(plan, "prices")
    assert (
        "prices: prices.csv line 2 (scenario base, product GPU_N3, market global, 2025): "
        "usd_per_gpu -5 < 0 (one more GPU of demand can never lower the cost)" in messages
    )
    assert (
        "prices: prices.csv line 3 (scenario base, product GPU_N3, market global, 2026): "
        "usd_per_gpu 2,500 > the unmet penalty 2,000 USD/GPU (leaving one more GPU unmet would "
        "cost only the penalty)" in messages
    )


def test_price_row_of_no_demand_row(plan: Path) -> None:
    add_row(plan / "prices.csv", ["base", "GPU_N3", "europe", "2025", "100.0"])
    assert found(plan, "prices") == [
        "prices: prices.csv line 5 (scenario base, product GPU_N3, market europe, 2025): not a "
        "demand row of this plan (demand.csv)"
    ]


def test_binding_shadow_price_edited(plan: Path) -> None:
    path = plan / "binding.csv"
    where = {"family": "site_size", "site": "US_FAB", "year": "2025"}
    before = float(cell(path, where, "shadow_price"))
    line = edit_cell(path, where, "shadow_price", repr(before * 1.5))
    messages = found(plan, "binding")
    assert len(messages) == 1
    assert messages[0].startswith(
        f"binding: binding.csv line {line}: site_size US_FAB / 2025: meaning says $"
    )


def test_binding_capacity_price_moves_the_gpu_price(plan: Path) -> None:
    # the 2027 capacity shadow prices enter the marginal cost of the 2027 demand row: editing
    # one (and its meaning, so the text agrees) contradicts prices.csv
    path = plan / "binding.csv"
    where = {"family": "capacity", "scenario": "base", "site": "TW_FAB", "year": "2027"}
    before = float(cell(path, where, "shadow_price"))
    edit_cell(path, where, "shadow_price", repr(before - 1000.0))
    meaning = cell(path, where, "meaning").rsplit("$", 1)[0] + f"${abs(before - 1000.0):,.2f}"
    edit_cell(path, where, "meaning", meaning)
    messages = found(plan, "prices")
    assert len(messages) == 1
    assert messages[0].startswith(
        "prices: prices.csv line 4 (scenario base, product GPU_N3, market global, 2027): "
    )
    assert "site TW_FAB" in messages[0]
    assert found(plan, "binding") == []


def test_binding_row_that_is_not_tight(plan: Path) -> None:
    # TW_FAB 2025: 10,000 wafers made of 10,800 available (see the module docstring)
    line = add_row(
        plan / "binding.csv",
        [
            # family, scenario, site, the other keys blank (as many as the schema has), year
            *("capacity", "base", "TW_FAB", *[""] * (len(BINDING_KEYS) - 3), "2025"),
            "-100.0",
            "USD (NPV) per wafer",
            "0.0",
            "TW_FAB runs at full capacity in 2025 (base): one more wafer of room would save "
            "$100.00",
        ],
    )
    messages = found(plan, "binding")
    assert messages == [
        f"binding: binding.csv line {line}: capacity base / TW_FAB / 2025: listed as binding "
        "(shadow_price -100) but the plan leaves it slack: 10,000 <= 10,800 recomputed from the "
        "plan tables (slack 800 wafer)"
    ]


def test_binding_row_of_an_unknown_site_and_wrong_sign(plan: Path) -> None:
    path = plan / "binding.csv"
    line = edit_cell(path, {"family": "capacity", "site": "US_FAB", "year": "2026"}, "site", "XX")
    where = {"family": "concentration", "region": "TW", "year": "2026"}
    before = float(cell(path, where, "shadow_price"))
    sign = edit_cell(path, where, "shadow_price", repr(-before))
    messages = found(plan, "binding")
    assert (
        f"binding: binding.csv line {line}: capacity base / XX / 2026: no such capacity row in "
        "this case (keys scenario, site, year)" in messages
    )
    assert any(
        m.startswith(f"binding: binding.csv line {sign}: concentration TW / 2026: shadow_price ")
        and "has the wrong sign for a '<=' limit" in m
        for m in messages
    )


# --- status and the data folder ----------------------------------------------------------------


def test_infeasible_status_fails_on_the_command_line(plan: Path) -> None:
    edit_summary(plan, lambda s: s.update(status="infeasible", optimal=False))
    out = subprocess.run(
        [sys.executable, "-m", "optimizer", "verify", str(plan), "--data", str(data_of(plan))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 1, out.stderr
    assert (
        "status: summary.json status 'infeasible' (termination 'Optimal'): only an optimal "
        "plan, or the best plan of a run stopped by --time-limit (status time_limit), is a plan"
    ) in out.stderr
    assert "Traceback" not in out.stderr


def test_optimal_status_contradicted(plan: Path) -> None:
    edit_summary(plan, lambda s: s.update(optimal=False))
    assert found(plan, "status") == [
        "status: summary.json status 'optimal' (termination 'Optimal') but optimal is False: "
        "the summary contradicts itself"
    ]


def test_data_folder_changed_after_solving(plan: Path) -> None:
    demand = data_of(plan) / "demand.csv"
    demand.write_text(
        demand.read_text().replace("2026,GPU_N3,global,300000", "2026,GPU_N3,global,300001")
    )
    messages = found(plan, "inputs")
    assert len(messages) == 1
    assert messages[0].startswith("inputs: demand.csv has changed since the plan was made")
    # the copy in the plan now also disagrees with the (changed) data, cell by cell
    assert found(plan, "input copies") == [
        "input copies: demand.csv line 3 (scenario base, product GPU_N3, market global, year "
        "2026): gpus is 300,000 in the plan's copy but 300,001 in the data (demand.csv)"
    ]
    recorded = json.loads((plan / "summary.json").read_text())["inputs"]["demand.csv"]
    assert hashlib.sha256(demand.read_bytes()).hexdigest() != recorded


def test_binding_row_of_a_balance_row(plan: Path) -> None:
    # demand rows have their price in prices.csv; they are balance rows, never binding limits
    line = add_row(
        plan / "binding.csv",
        [
            *("demand", "base", "", "GPU_N3", "global", *[""] * (len(BINDING_KEYS) - 5), "2025"),
            *("270.0", "USD (NPV) per GPU", "0.0", "$270.00"),
        ],
    )
    assert found(plan, "binding") == [
        f"binding: binding.csv line {line}: demand base / GPU_N3 / global / 2025: family "
        "'demand' is not a limit family (offer_limit, capacity, site_size, stay_open, "
        "contract_supply, take_or_pay, generation_limit, storage_power, storage_energy, "
        "storage_duration, generation_max_mw, storage_max_mw, "  # issue 14 power builds
        "grant_rate, grant_cap, commitment, max_share, min_share, "
        "region_share, tranche_limit, capital_budget, concentration, tool_supply, "
        "min_capacity_share, operator_ramp, operator_stake, operator_capacity)"
    ]
