"""Command-line options and what a run prints and records (issue 9: B5, C10, C11, D16, D17).

- B5: ids and names are printed literally, never parsed as rich markup (`[/red]x` crashed).
- C10: files named by --write-model and --solver-log are checked before solving.
- C11: every numeric option is checked (finite, in range); summary.json is strict JSON.
- D16: a case other than the default dataset gets its own default plan folder and its name in
  the report title and summary.json.
- D17: summary.json records the data folder relative to where solve ran, never an absolute
  path, and verify still finds the data.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from casebuilder import fabplan
from fixtures import TINY, edited, write_tiny_case

from optimizer.cli import main
from optimizer.inputs import default_data_dir
from optimizer.options import max_parallel
from optimizer.plan.write import json_text
from optimizer.run.steps import default_out_dir
from optimizer.run.summary import recorded_data_dir
from optimizer.verify import verify_plan


def strict_json(text: str) -> dict:
    """json.loads that refuses NaN, Infinity and -Infinity (as JavaScript and jq do)."""

    def refuse(name: str) -> None:
        raise ValueError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process (fast for checks that stop before loading anything)."""
    with pytest.raises(SystemExit) as exit_:
        main([*args])
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err


# --- B5: rich markup in user strings ---------------------------------------------------------


def markup_case(path: Path) -> Path:
    """The tiny case with sites `[/red]x` (was TW_FAB) and `[bold]y` (was US_FAB), and two
    products of those names no demand uses, so every command prints a warning naming them."""
    sites = TINY["sites"].replace("TW_FAB", "[/red]x").replace("US_FAB", "[bold]y")
    products = TINY["products"] + "[/red]x,N3,15\n[bold]y,N3,15\n"
    return write_tiny_case(path, sites=sites, products=products)


def test_markup_in_ids_is_printed_literally_by_validate_solve_and_sweep(tmp_path):
    data = markup_case(tmp_path / "case")
    runs = {
        "validate": fabplan("validate", data, cwd=tmp_path),
        "solve": fabplan(
            "solve", data, "--out", tmp_path / "plan", "--report", "none", cwd=tmp_path
        ),
        "sweep": fabplan(
            "sweep",
            data,
            "--vary",
            "discount_rate=0.05",
            "--workers",
            "1",
            "--out",
            tmp_path / "sweep",
            cwd=tmp_path,
        ),
    }
    for command, run in runs.items():
        printed = run.stdout + run.stderr
        assert run.returncode == 0, f"{command}: {run.stderr}"
        assert "Traceback" not in printed and "internal error" not in printed, command
        # the warnings name both products exactly as written, brackets included
        assert "'[/red]x'" in run.stderr and "'[bold]y'" in run.stderr, f"{command}: {printed}"


def test_console_helpers_print_markup_as_text(capsys):
    from optimizer import console

    console.info("site [/red]x")
    console.warn("region [bold]y")
    console.error("file [/] :smile:")
    captured = capsys.readouterr()
    assert "site [/red]x" in captured.out
    assert "warning: region [bold]y" in captured.err
    assert "error: file [/] :smile:" in captured.err


# --- C10: files the options write ------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "name", "words"),
    [
        ("--write-model", "missing/m.mps", "folder {tmp}/missing does not exist"),
        ("--write-model", "case/m.txt", "the file must end in .mps or .lp"),
        ("--write-model", "case/sites.csv/m.mps", "is not a folder"),
        ("--solver-log", "missing/highs.log", "folder {tmp}/missing does not exist"),
        ("--solver-log", "case", "is a folder; expected a file name"),
        ("--solver-log", "case/sites.csv/highs.log", "is not a folder"),
    ],
)
def test_unwritable_option_files_are_refused_before_solving(tmp_path, capsys, option, name, words):
    data = write_tiny_case(tmp_path / "case")
    out = tmp_path / "plan"
    code, stdout, stderr = run_main(
        capsys,
        "solve",
        str(data),
        "--out",
        str(out),
        "--report",
        "none",
        option,
        f"{tmp_path}/{name}",
    )
    assert code == 2
    assert f"{option} {tmp_path}/{name}" in stderr
    assert words.format(tmp=tmp_path) in stderr
    assert "load and validate" not in stdout  # refused before anything was read
    assert not out.exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_model_file_that_cannot_be_written_is_an_error_not_model_written(tmp_path):
    # /proc takes no new files, even for root (for whom the folder looks writable)
    data = write_tiny_case(tmp_path / "case")
    out = tmp_path / "plan"
    run = fabplan(
        "solve",
        data,
        "--out",
        out,
        "--report",
        "none",
        "--write-model",
        "/proc/m.mps",
        cwd=tmp_path,
    )
    assert run.returncode == 2, run.stderr
    assert "--write-model /proc/m.mps" in run.stderr
    assert "model written" not in run.stdout
    assert "Traceback" not in run.stderr
    assert not out.exists()


# --- C11: numeric options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--threads", "100000"],
        ["--threads", "0"],
        ["--time-limit", "nan"],
        ["--time-limit", "inf"],
        ["--time-limit", "0"],
        ["--integer", "--mip-gap", "nan"],
        ["--integer", "--mip-gap", "1"],
        ["--integer", "--mip-gap", "-0.1"],
        ["--stochastic", "--cvar", "nan"],
        ["--stochastic", "--cvar", "0.9", "--risk-weight", "inf"],
        ["--stochastic", "--cvar", "0.9", "--risk-weight", "nan"],
    ],
)
def test_bad_numbers_for_solve_options_exit_2_naming_option_and_value(tmp_path, capsys, args):
    data = write_tiny_case(tmp_path / "case")
    out = tmp_path / "plan"
    code, _, stderr = run_main(capsys, "solve", str(data), "--out", str(out), *args)
    option, value = args[-2], args[-1]
    assert code == 2
    assert option in stderr and value in stderr, stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "args",
    [["--time-limit", "nan"], ["--time-limit", "inf"], ["--workers", "0"], ["--workers", "100000"]],
)
def test_bad_numbers_for_sweep_options_exit_2(tmp_path, capsys, args):
    data = write_tiny_case(tmp_path / "case")
    out = tmp_path / "sweep"
    code, _, stderr = run_main(
        capsys, "sweep", str(data), "--vary", "discount_rate=0.05", "--out", str(out), *args
    )
    assert code == 2
    assert f"{args[0]} {args[1]}" in stderr, stderr
    assert not out.exists()


def test_threads_limit_is_four_per_cpu(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    assert max_parallel() == 12
    code, _, stderr = run_main(
        capsys, "solve", str(write_tiny_case(tmp_path / "case")), "--threads", "13"
    )
    assert code == 2 and "from 1 to 12" in stderr


def test_json_text_writes_unknown_numbers_as_null():
    data = {
        "mip_gap": float("nan"),
        "evpi_usd": np.float64("inf"),
        "duals": [1.5, np.nan, -np.inf],
        "range": (np.float32(2.0), 3),
        "nested": {"x": np.array([np.nan, 4.0])},
    }
    parsed = strict_json(json_text(data))
    assert parsed == {
        "mip_gap": None,
        "evpi_usd": None,
        "duals": [1.5, None, None],
        "range": [2.0, 3],
        "nested": {"x": [None, 4.0]},
    }


def test_summary_json_of_an_integer_solve_is_strict_json(tmp_path):
    data = write_tiny_case(tmp_path / "case")
    out = tmp_path / "plan"
    run = fabplan(
        "solve",
        data,
        "--out",
        out,
        "--report",
        "none",
        "--integer",
        "--mip-gap",
        "0.5",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    summary = strict_json((out / "summary.json").read_text())
    assert summary["options"]["mip_gap"] == 0.5
    gap = summary["mip_gap"]
    assert gap is None or (math.isfinite(gap) and 0 <= gap <= 0.5)


# --- D16: default plan folder and case name ----------------------------------------------------


def test_default_out_dir_keeps_reports_scenario_only_for_the_default_dataset(tmp_path):
    assert default_out_dir(default_data_dir(), "base") == Path("reports/base")
    assert default_out_dir(default_data_dir(), "stochastic") == Path("reports/stochastic")
    # a folder merely named data is another case
    assert default_out_dir(tmp_path / "data", "base") == Path("reports/data-base")
    assert default_out_dir(tmp_path / "germany", "high") == Path("reports/germany-high")


def test_solve_without_out_writes_reports_case_scenario_with_the_case_named(tmp_path):
    data = write_tiny_case(tmp_path / "no_taiwan")
    # an absolute data path inside the current folder (D17: recorded relative to it)
    run = fabplan("solve", data, "--report", "md", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    plan = tmp_path / "reports" / "no_taiwan-base"
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["no_taiwan-base"]
    text = (plan / "summary.json").read_text()
    summary = strict_json(text)
    assert summary["case"] == "no_taiwan"
    assert summary["data_dir"] == "no_taiwan"
    assert str(tmp_path) not in text
    title = (plan / "report.md").read_text(encoding="utf-8").splitlines()[0]
    assert title == "# Chip-fab build-out plan — no_taiwan case"


# --- D17: the data folder in summary.json ------------------------------------------------------


def test_a_data_folder_outside_the_current_folder_is_recorded_relative_to_the_plan(tmp_path):
    data = write_tiny_case(tmp_path / "elsewhere" / "tiny")
    (tmp_path / "work").mkdir()
    out = tmp_path / "work" / "plans" / "p"
    run = fabplan("solve", data, "--out", out, "--report", "none", cwd=tmp_path / "work")
    assert run.returncode == 0, run.stderr
    text = (out / "summary.json").read_text()
    # from work/plans/p: up three folders to tmp_path, then elsewhere/tiny
    assert strict_json(text)["data_dir"] == "../../../elsewhere/tiny"
    assert str(tmp_path) not in text
    # verify from a third folder finds it from the plan folder
    (tmp_path / "third").mkdir()
    check = fabplan("verify", out, cwd=tmp_path / "third")
    assert check.returncode == 0, check.stderr


def test_data_folder_sharing_only_the_root_with_the_plan_is_recorded_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert recorded_data_dir(Path("/srv/alice/cases/tiny"), Path("/var/plans/p")) == "tiny"
    assert recorded_data_dir(tmp_path / "a" / "b", Path("reports/x")) == "a/b"
    assert recorded_data_dir(tmp_path, Path("reports/x")) == "."


def test_verify_finds_the_recorded_data_from_the_root_and_from_elsewhere(tmp_path, monkeypatch):
    # the layout of the repository: data/ and reports/x/ side by side, solved from the root
    write_tiny_case(tmp_path / "data")
    out = tmp_path / "reports" / "x"
    run = fabplan("solve", "data", "--out", "reports/x", "--report", "none", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert strict_json((out / "summary.json").read_text())["data_dir"] == "data"
    from_root = fabplan("verify", "reports/x", cwd=tmp_path)
    assert from_root.returncode == 0, from_root.stderr
    from_reports = fabplan("verify", "x", cwd=tmp_path / "reports")
    assert from_reports.returncode == 0, from_reports.stderr
    # from a folder with another data/ (the repository's default dataset), the folder whose
    # files have the recorded hashes wins
    monkeypatch.chdir(default_data_dir().parent)
    assert verify_plan(out).ok
    # and changed data found by the recorded path is reported as such
    demand = tmp_path / "data" / "demand.csv"
    demand.write_text(edited("demand", "450000", "460000"))
    changed = fabplan("verify", "reports/x", cwd=tmp_path)
    assert changed.returncode == 1
    assert "demand.csv has changed since the plan was made" in changed.stderr


def test_a_negative_seed_for_generate_exits_2(tmp_path, capsys):
    out = tmp_path / "gen"
    code, _, stderr = run_main(capsys, "generate", str(out), "--seed", "-1")
    assert code == 2
    assert "--seed -1" in stderr
    assert not out.exists()
