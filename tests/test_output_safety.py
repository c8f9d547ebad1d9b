"""Output folders are never destroyed, shared or left half-written (issue 9, items A1-A3, B8).

One rule (optimizer.outputs): a command writes a folder only when it is new, empty or a previous
fabplan output of the same kind, never the input folder, inside it or holding it; one run at a
time per folder (a lock file beside it); SIGINT/SIGTERM remove the temporary folder and say so;
temporary folders of dead runs are removed by the next run; unwritable targets are usage errors.
Refusals happen before any input is loaded, which the tests show with a broken data folder: the
error is about the output, never about the data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from casebuilder import MARKET_SPLIT_MIP
from fixtures import edited, write_tiny_case

from optimizer.atomic import PAUSE_ENV
from optimizer.cli import main
from optimizer.errors import NoPlanError, UsageError
from optimizer.outputs import PLAN, claim_output, lock_output
from optimizer.run import SolveRequest, run_solve


def cli(*args: object) -> int:
    """Run fabplan in this process; return its exit code."""
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    return exc.value.code


def start(*args: object, cwd: Path, pause: float | None = None) -> subprocess.Popen:
    """Start `python -m optimizer ARGS` (optionally pausing before its final rename)."""
    env = dict(os.environ)
    if pause is not None:
        env[PAUSE_ENV] = str(pause)
    return subprocess.Popen(
        [sys.executable, "-m", "optimizer", *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_temp(folder: Path, name: str, process: subprocess.Popen) -> Path:
    """The run's filled temporary folder `.<name>.tmp-<pid>-*` once it exists."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        found = list(folder.glob(f".{name}.tmp-{process.pid}-*"))
        if found and (found[0] / "summary.json").exists():
            return found[0]
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    raise AssertionError("the run never reached its final rename")


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def broken_data(path: Path) -> Path:
    """A data folder whose loading fails (exit 2 about sites.csv) if it is ever loaded."""
    return write_tiny_case(path, sites="site,region\n")


def user_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "a.txt").write_text("my notes")
    (path / "b.csv").write_text("x\n1\n")
    return path


# --- A1: one rule for which folder may be written ---------------------------------------------


@pytest.mark.parametrize("summary", [None, '{"objective_usd": 1}'])
def test_solve_refuses_a_folder_that_is_not_a_plan_before_loading(tmp_path, capsys, summary):
    other = user_folder(tmp_path / "other")
    if summary is not None:  # a summary.json, but not one fabplan wrote
        (other / "summary.json").write_text(summary)
    before = files(other)
    code = cli("solve", broken_data(tmp_path / "data"), "--out", other)
    err = capsys.readouterr().err
    assert code == 2
    assert "other exists and is not a fabplan plan folder" in err
    assert "a.txt" in err and "choose another --out or empty it" in err
    assert "sites.csv" not in err  # refused before the data was loaded
    assert files(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "other"]  # no .previous, lock


@pytest.mark.parametrize(
    ("out", "words"),
    [
        ("data", "would replace the data folder"),
        ("data/plan", "is inside the data folder"),
        (".", "would replace the data folder"),  # holds the data folder
    ],
)
def test_solve_out_never_touches_the_data_folder(tmp_path, monkeypatch, capsys, out, words):
    data = write_tiny_case(tmp_path / "data")
    before = files(data)
    monkeypatch.chdir(tmp_path)
    code = cli("solve", "data", "--out", out)
    err = capsys.readouterr().err
    assert code == 2
    assert words in err and f"--out {out}" in err
    assert files(data) == before and sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_solve_default_out_follows_the_same_rule(tmp_path, monkeypatch, capsys):
    data = write_tiny_case(tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    # the default folder is reports/<scenario>/ (base), or named after the case: block them all
    defaults = [tmp_path / "reports" / name for name in ("base", "tiny-base", "tiny")]
    for folder in defaults:
        user_folder(folder)
    code = cli("solve", data, "--report", "none")
    assert code == 2
    assert "is not a fabplan plan folder" in capsys.readouterr().err
    for folder in defaults:
        assert (folder / "a.txt").read_text() == "my notes"
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "base",
        "tiny",
        "tiny-base",
    ]


def test_sweep_refuses_a_folder_that_is_not_a_sweep(tmp_path, capsys):
    other = user_folder(tmp_path / "other")
    data = broken_data(tmp_path / "data")
    code = cli("sweep", data, "--vary", "discount_rate=0.05,0.06", "--out", other)
    err = capsys.readouterr().err
    assert code == 2
    assert "other exists and is not a fabplan sweep folder" in err and "sites.csv" not in err
    assert sorted(p.name for p in other.iterdir()) == ["a.txt", "b.csv"]
    code = cli("sweep", data, "--vary", "discount_rate=0.05,0.06", "--out", data / "sweep")
    assert code == 2
    assert "is inside the data folder" in capsys.readouterr().err
    assert not (data / "sweep").exists()


def test_compare_checks_its_out_before_reading_the_plans(tmp_path, capsys):
    other = user_folder(tmp_path / "other")
    # neither plan exists: the --out problem must be the one reported, found first
    code = cli("compare", tmp_path / "a", tmp_path / "b", "--out", other)
    err = capsys.readouterr().err
    assert code == 2
    assert "other exists and is not a fabplan comparison folder" in err
    assert "a.txt" in err and "not a plan folder" not in err
    assert sorted(p.name for p in other.iterdir()) == ["a.txt", "b.csv"]


def test_report_writes_only_into_a_plan_folder(tmp_path, capsys):
    folder = user_folder(tmp_path / "notes")
    (folder / "summary.json").write_text('{"objective_usd": 1}')  # not written by fabplan
    code = cli("report", folder)
    err = capsys.readouterr().err
    assert code == 2
    assert "notes is not a fabplan plan folder" in err
    assert sorted(p.name for p in folder.iterdir()) == ["a.txt", "b.csv", "summary.json"]


def test_generate_never_overwrites_a_users_case(tmp_path, tiny_case_dir, capsys):
    before = files(tiny_case_dir)
    code = cli("-q", "generate", tiny_case_dir, "--size", "S")
    err = capsys.readouterr().err
    assert code == 2
    assert "tiny exists and is not a fabplan generated case folder" in err
    assert "choose another OUT_DIR or empty it" in err
    assert files(tiny_case_dir) == before


def test_generate_may_replace_a_case_it_generated(tmp_path):
    out = tmp_path / "gen"
    assert cli("-q", "generate", out, "--size", "S", "--seed", "1") == 0
    first = files(out)
    assert cli("-q", "generate", out, "--size", "S", "--seed", "2") == 0
    second = files(out)
    assert first.keys() == second.keys() and first["sites.csv"] != second["sites.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gen"]  # nothing kept or left beside


# --- A2: one writer per folder -----------------------------------------------------------------


def test_the_lock_is_exclusive_and_leaves_no_file(tmp_path):
    out = tmp_path / "plan"
    with lock_output(out):
        assert (tmp_path / ".plan.lock").read_text().strip() == str(os.getpid())
        busy = rf"another fabplan run \(pid {os.getpid()}\)"
        with pytest.raises(UsageError, match=busy), lock_output(out):
            pass
    assert list(tmp_path.iterdir()) == []
    (tmp_path / ".plan.lock").write_text("99999999\n")  # stale: its flock is free
    with claim_output(out, PLAN):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_second_run_on_the_same_out_fails_while_the_first_writes(tmp_path):
    data = write_tiny_case(tmp_path / "data")
    first = start("-q", "solve", data, "--out", "plan", "--report", "none", cwd=tmp_path, pause=60)
    wait_for_temp(tmp_path, "plan", first)
    second = subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", "data", "--out", "plan", "--report", "none"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert second.returncode == 2, second.stderr
    assert f"another fabplan run (pid {first.pid}) is writing plan" in second.stderr
    assert "wait for it or choose another --out" in second.stderr
    first.send_signal(signal.SIGTERM)  # no need to wait out the pause
    assert first.wait(timeout=60) == 143
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


# --- A3: interruptions and what dead runs leave behind ------------------------------------------


def test_sigterm_keeps_the_previous_plan_and_removes_the_temp_folder(tmp_path):
    data = write_tiny_case(tmp_path / "data")
    run_solve(SolveRequest(data_dir=data, out_dir=tmp_path / "plan", report_formats=()))
    before = files(tmp_path / "plan")
    run = start("-q", "solve", data, "--out", "plan", "--report", "none", cwd=tmp_path, pause=60)
    temp = wait_for_temp(tmp_path, "plan", run)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 143
    assert "interrupted; the previous plan is untouched" in err and "Traceback" not in err
    assert not temp.exists()
    assert files(tmp_path / "plan") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "plan"]


def test_sigint_says_nothing_was_written(tmp_path):
    data = write_tiny_case(tmp_path / "data")
    run = start("-q", "solve", data, "--out", "plan", "--report", "none", cwd=tmp_path, pause=60)
    wait_for_temp(tmp_path, "plan", run)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130
    assert "interrupted; nothing was written" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


STUCK_IN_HIGHS = (
    """
import os, sys
from pathlib import Path
import highspy, numpy as np
from optimizer.interrupt import handle_signals
from optimizer.outputs import PLAN, claim_output

"""
    + MARKET_SPLIT_MIP
    + """out = Path(sys.argv[1])
with handle_signals(), claim_output(out, PLAN):
    (out.parent / f".{out.name}.tmp-{os.getpid()}-fill").mkdir()
    print("solving", flush=True)
    h.run()
"""
)


def test_sigterm_stops_a_run_stuck_in_the_solver(tmp_path):
    # Python runs signal handlers only between bytecodes; HiGHS sits in C. The watchdog of
    # optimizer.interrupt must clean up and exit within its grace period (2 s), not after the
    # solve (120 s here).
    run = subprocess.Popen(
        [sys.executable, "-c", STUCK_IN_HIGHS, str(tmp_path / "plan")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while (line := run.stdout.readline()) and line.strip() != "solving":
        pass  # HiGHS prints its banner first
    assert line.strip() == "solving", run.communicate()
    time.sleep(0.5)
    sent = time.monotonic()
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert time.monotonic() - sent < 10
    assert run.returncode == 143
    assert "interrupted; nothing was written" in err
    assert list(tmp_path.iterdir()) == []  # temp folder and lock file removed


def test_temp_folders_of_dead_runs_are_removed_by_the_next_run(tmp_path):
    data = write_tiny_case(tmp_path / "data")
    dead = tmp_path / ".plan.tmp-99999999-abcd1234"  # above any pid_max: never alive
    live = tmp_path / f".plan.tmp-{os.getppid()}-abcd1234"  # the test runner's parent: alive
    other = tmp_path / ".other.tmp-99999999-abcd1234"  # beside another output: not ours
    for folder in (dead, live, other):
        folder.mkdir()
        (folder / "summary.json").write_text("{}")
    run_solve(SolveRequest(data_dir=data, out_dir=tmp_path / "plan", report_formats=()))
    assert not dead.exists()
    assert live.exists() and other.exists()
    assert (tmp_path / "plan" / "summary.json").is_file()


def test_a_later_successful_solve_removes_the_stale_diagnosis(tmp_path):
    # US_FAB may hold only 100 wspm but the 80% cap on Taiwan needs 250 wspm outside it by 2026
    # (1,000 <= 0.8 x (1,000 + x) needs x >= 250): no plan, a diagnosis is saved beside plan/
    bad = write_tiny_case(tmp_path / "bad", sites=edited("sites", "US,N3,0,2000", "US,N3,0,100"))
    out = tmp_path / "plan"
    with pytest.raises(NoPlanError):
        run_solve(SolveRequest(data_dir=bad, out_dir=out, report_formats=()))
    diagnosis = tmp_path / "plan.diagnosis.txt"
    assert diagnosis.is_file() and not out.exists()
    good = write_tiny_case(tmp_path / "good")
    run_solve(SolveRequest(data_dir=good, out_dir=out, report_formats=()))
    assert not diagnosis.exists()
    assert (out / "summary.json").is_file()
    run_solve(SolveRequest(data_dir=good, out_dir=out, report_formats=()))  # replaces it
    assert (tmp_path / ".plan.previous" / "summary.json").is_file()  # one generation kept


# --- B8: unwritable targets are usage errors ----------------------------------------------------


@pytest.mark.parametrize(
    ("out", "named"),
    [
        ("/", "--out / is the filesystem root"),
        ("/proc/fabplan-x", "cannot write --out /proc/fabplan-x"),
        ("notes.txt/plan", "notes.txt is a file, not a folder"),
        ("notes.txt", "--out notes.txt is a file, not a folder"),
    ],
)
def test_unwritable_out_is_a_usage_error_before_loading(tmp_path, monkeypatch, capsys, out, named):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("keep")
    code = cli("solve", broken_data(tmp_path / "data"), "--out", out)
    err = capsys.readouterr().err
    assert code == 2
    assert named in err and "internal error" not in err and "sites.csv" not in err
    assert (tmp_path / "notes.txt").read_text() == "keep"


@pytest.mark.parametrize("command", [["init"], ["generate", "--size", "S"]])
@pytest.mark.parametrize("target", ["notes.txt", "notes.txt/case"])
def test_init_and_generate_onto_a_file_are_usage_errors(tmp_path, capsys, command, target):
    (tmp_path / "notes.txt").write_text("keep")
    code = cli(command[0], tmp_path / target, *command[1:])
    err = capsys.readouterr().err
    assert code == 2
    assert "notes.txt" in err and "is a file, not a folder" in err and "internal error" not in err
    assert (tmp_path / "notes.txt").read_text() == "keep"
