"""`fabplan sweep`: parallel what-if solves of the tiny case (tests/fixtures.py).

The reference for every number is an independent `run_solve` of the same overrides (or, for the
tornado, the sweep table read by hand): the sweep must add nothing of its own.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from fixtures import write_tiny_case

from optimizer.errors import InputError, UsageError
from optimizer.inputs import parse_overrides
from optimizer.run import SolveRequest, run_solve
from optimizer.run.sweep import run_sweep, run_sweep_command
from optimizer.sweep.cases import csv_design, split_list, vary_design
from optimizer.verify import verify_plan

GRID = ["sites.capex_usd_per_wspm*=0.8,1.2", "demand.gpus*=1.0,1.3"]
CAPEX, DEMAND = "sites.capex_usd_per_wspm*", "demand.gpus*"
NUMBERS = ["objective_usd", "wspm_built", "unmet_gpus", "capital_usd", "co2_t"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_tiny_case(tmp_path_factory.mktemp("sweep") / "data")


@pytest.fixture(scope="module")
def local(data, tmp_path_factory):
    """The 2 x 2 sweep, solved once by two local worker processes."""
    return run_sweep(data, GRID, out=tmp_path_factory.mktemp("local"), workers=2)


def row(table: pd.DataFrame, capex: str, demand: str) -> pd.Series:
    [index] = table.index[(table[CAPEX] == capex) & (table[DEMAND] == demand)]
    return table.loc[index]


def test_two_by_two_sweep_equals_four_independent_solves(local, data, tmp_path):
    table = local.table
    assert len(table) == 4
    assert sorted(zip(table[CAPEX], table[DEMAND], strict=True)) == [
        ("0.8", "1.0"),
        ("0.8", "1.3"),
        ("1.2", "1.0"),
        ("1.2", "1.3"),
    ]
    assert set(table["status"]) == {"optimal"}
    assert table["case_id"].is_unique
    for case_id in table["case_id"]:  # every plan the sweep wrote honours every constraint
        check = verify_plan(local.out_dir / "cases" / case_id)
        assert check.ok, "\n".join(check.violations)
    for _, r in table.iterrows():
        items = [f"{CAPEX}={r[CAPEX]}", f"{DEMAND}={r[DEMAND]}"]
        assert r["overrides"] == "; ".join(items)
        alone = run_solve(
            SolveRequest(
                data, tmp_path / r["case_id"], overrides=parse_overrides(items), report_formats=()
            )
        )
        assert r["objective_usd"] == pytest.approx(alone.summary["objective_usd"], rel=1e-9)
        totals = alone.summary["totals"]
        assert r["wspm_built"] == pytest.approx(totals["wspm_built"], rel=1e-9, abs=1e-6)
        assert r["unmet_gpus"] == pytest.approx(totals["gpus_unmet"], rel=1e-9, abs=1e-6)
        assert r["capital_usd"] == pytest.approx(totals["capital_usd"], rel=1e-9)
        assert r["co2_t"] == pytest.approx(totals["co2_t"], rel=1e-9)
        # capital by partner adds up to the capital raised; capacity by region to the sites'
        assert r["capital_FUND_usd"] + r["capital_USG_usd"] == pytest.approx(r["capital_usd"])
        capacity = alone.tables["capacity"]
        last = capacity[capacity["year"] == 2027].set_index("site")["installed_wspm"]
        assert r["capacity_TW_wspm"] == pytest.approx(last["TW_FAB"], rel=1e-9)
        assert r["capacity_US_wspm"] == pytest.approx(last["US_FAB"], rel=1e-9)
    # the worker really applied the demand override: 1.3 x (150000 + 300000 + 450000)
    high = row(table, "0.8", "1.3")["case_id"]
    summary = json.loads((local.out_dir / "cases" / high / "summary.json").read_text())
    assert summary["totals"]["gpus_demanded"] == pytest.approx(1.3 * 900000)
    # sweep.csv on disk is the same table
    on_disk = pd.read_csv(local.out_dir / "sweep.csv", dtype={CAPEX: str, DEMAND: str})
    pd.testing.assert_series_equal(on_disk["objective_usd"], table["objective_usd"])


def test_tornado_ranges_are_read_off_the_table(local):
    t, ranges = local.table, local.ranges.set_index(["input", "output"])
    base = row(t, "0.8", "1.0")  # capex x1 not listed: its first value; demand unmodified 1.0
    for output in ("objective_usd", "wspm_built", "unmet_gpus", "capital_usd"):
        capex = ranges.loc[(CAPEX, output)]  # demand at its base 1.0: capex 0.8 -> 1.2
        assert capex["low_value"] == "0.8" and capex["high_value"] == "1.2"
        assert capex["output_at_low"] == base[output]
        assert capex["output_at_high"] == row(t, "1.2", "1.0")[output]
        assert capex["range"] == abs(row(t, "1.2", "1.0")[output] - base[output])
        demand = ranges.loc[(DEMAND, output)]  # capex at its base 0.8: demand 1.0 -> 1.3
        assert demand["output_at_high"] == row(t, "0.8", "1.3")[output]
        assert demand["range"] == abs(row(t, "0.8", "1.3")[output] - base[output])
        assert capex["base_output"] == demand["base_output"] == base[output]
    # More demand costs more and builds more: the signs a reader of the chart relies on.
    assert ranges.loc[(DEMAND, "objective_usd"), "swing"] > 0
    assert ranges.loc[(DEMAND, "wspm_built"), "swing"] > 0
    # the report: tornado.svg beside sweep.md, inlined in the self-contained sweep.html
    out = local.out_dir
    assert (
        "![Sensitivity of cost and decisions to each varied input](tornado.svg)"
        in (out / "sweep.md").read_text()
    )
    assert (out / "tornado.svg").read_text().count("<svg") == 1
    html = (out / "sweep.html").read_text()
    assert html.count("<svg") == 1 and "<link" not in html and "src=" not in html
    on_disk = pd.read_csv(out / "sensitivity.csv", dtype={"low_value": str, "high_value": str})
    assert on_disk.set_index(["input", "output"])["range"].equals(ranges["range"])


def test_resume_solves_only_the_missing_case(local, data):
    out = local.out_dir
    cases = out / "cases"
    ids = list(local.table["case_id"])
    gone = ids[2]
    stamps = {i: (cases / i / "summary.json").stat().st_mtime_ns for i in ids if i != gone}
    shutil.rmtree(cases / gone)
    again = run_sweep(data, GRID, out=out, workers=2)
    assert again.solved == [gone]
    assert sorted(again.resumed) == sorted(i for i in ids if i != gone)
    assert {i: (cases / i / "summary.json").stat().st_mtime_ns for i in stamps} == stamps
    assert (cases / gone / "summary.json").is_file()
    pd.testing.assert_series_equal(again.table["objective_usd"], local.table["objective_usd"])


def test_cases_csv_with_failed_cases_recorded(data, tmp_path):
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "# one case per row\n"
        "case,overrides\n"
        "base,\n"
        "negative <site>,sites.max_wspm[US_FAB]=-5\n"
        "no money,partners.max_commitment_musd=0\n"
        "pricier,sites.capex_usd_per_wspm*=1.2; discount_rate=0.05\n"
    )
    out = tmp_path / "out"
    assert run_sweep_command(data, [], cases, out, workers=2, scheduler=None) == 1
    table = pd.read_csv(out / "sweep.csv", dtype=str, keep_default_na=False).set_index("case")
    assert list(table.index) == ["base", "negative <site>", "no money", "pricier"]
    assert list(table.columns[2:6]) == [
        "sites.max_wspm[US_FAB]",
        "partners.max_commitment_musd",
        "sites.capex_usd_per_wspm*",
        "discount_rate",
    ]
    assert table.loc["pricier", "sites.capex_usd_per_wspm*"] == "1.2"
    assert table.loc["pricier", "discount_rate"] == "0.05"
    assert table.loc["base", "overrides"] == ""
    assert dict(table["status"]) == {
        "base": "optimal",
        "negative <site>": "bad_input",
        "no money": "infeasible",
        "pricier": "optimal",
    }
    assert table.loc["negative <site>", "message"] == (
        "sites.csv:3 column 'max_wspm': value '-5' — expected a number ≥ 0 "
        "(value from --set sites.max_wspm[US_FAB]=-5)"
    )
    assert "no plan is possible" in table.loc["no money", "message"]
    assert table.loc["no money", "objective_usd"] == ""
    base = run_solve(SolveRequest(data, tmp_path / "alone", report_formats=()))
    assert float(table.loc["base", "objective_usd"]) == pytest.approx(
        base.summary["objective_usd"], rel=1e-9
    )
    html = (out / "sweep.html").read_text()
    assert "negative &lt;site&gt;" in html and "negative <site>" not in html  # autoescape
    assert "## Failed cases" in (out / "sweep.md").read_text()


def test_dask_cluster_gives_the_same_table_as_local_workers(local, data, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        remote = run_sweep(data, GRID, out=tmp_path / "dask", scheduler=cluster.scheduler_address)
    assert list(remote.table["case_id"]) == list(local.table["case_id"])
    assert list(remote.table["status"]) == list(local.table["status"])
    number_columns = [
        c for c in local.table.columns if c in NUMBERS or c.endswith(("_wspm", "_usd"))
    ]
    assert set(number_columns) == {
        c for c in remote.table.columns if c in NUMBERS or c.endswith(("_wspm", "_usd"))
    }
    for column in number_columns:
        for ours, theirs in zip(local.table[column], remote.table[column], strict=True):
            assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-6), column


# --- designs: no solving ---------------------------------------------------------------------


def test_case_ids_are_deterministic_and_depend_on_what_is_solved():
    a = vary_design(GRID, {})
    b = vary_design(GRID, {})
    assert [c.case_id for c in a.cases] == [c.case_id for c in b.cases]
    assert a.cases[0].case_id.startswith("capex_usd_per_wspm_x0.8__gpus_x1.0-")
    stochastic = vary_design(GRID, {"stochastic": True})
    assert not {c.case_id for c in a.cases} & {c.case_id for c in stochastic.cases}
    assert a.varied == [CAPEX, DEMAND]
    assert a.base == {CAPEX: "0.8", DEMAND: "1.0"}
    # brackets may hold commas: the values are split after the operator
    d = vary_design(["demand.gpus[base,2027]=1,2,3"], {})
    assert [c.overrides for c in d.cases] == [{"demand.gpus[base,2027]": v} for v in "123"]


@pytest.mark.parametrize(
    ("vary", "words"),
    [
        ([], "--vary expects"),
        (["sites.capex_usd_per_wspm"], "--vary expects"),
        (["demand.gpus*=1,,2"], "empty value"),
        (["demand.gpus*=1,1"], "listed twice"),
        (["demand.gpus*=1,2", "demand.gpus*=3"], "varied twice"),
    ],
)
def test_bad_vary_is_a_usage_error(vary, words):
    with pytest.raises(UsageError) as caught:
        vary_design(vary, {})
    assert words in str(caught.value)


def test_bad_cases_csv_reports_every_problem_with_its_line(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("case,overrides\na,discount_rate=0.05\na,discount_rate=0.06\nb,nonsense\n")
    with pytest.raises(InputError) as caught:
        csv_design(path, {})
    found = [(p.file, p.line, p.column) for p in caught.value.problems]
    assert found == [("cases.csv", 3, "case"), ("cases.csv", 4, "overrides")]
    assert "already given on line 2" in caught.value.problems[0].expected
    assert "--set expects name=value" in caught.value.problems[1].expected


def test_override_lists_keep_ramp_up_semicolons():
    assert split_list("ramp_up=0.3;0.7; discount_rate=0.05") == [
        "ramp_up=0.3;0.7",
        "discount_rate=0.05",
    ]


def test_resume_solves_again_a_case_made_by_other_code(local, data):
    # same overrides, same input files, but summary.json says another fabplan source made it:
    # its tables or numbers may differ from what this code writes, so it is solved again
    out = local.out_dir
    ids = list(local.table["case_id"])
    stale = ids[0]
    path = out / "cases" / stale / "summary.json"
    summary = json.loads(path.read_text())
    summary["code_sha256"] = "0" * 64
    path.write_text(json.dumps(summary))
    again = run_sweep(data, GRID, out=out, workers=2)
    assert again.solved == [stale]
    assert json.loads(path.read_text())["code_sha256"] != "0" * 64
