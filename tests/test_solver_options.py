"""--solver-option (any HiGHS option, checked by HiGHS before loading) and the live progress of
integer solves from HiGHS's MIP callbacks (issue 11 §3)."""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import pytest
from casebuilder import MARKET_SPLIT_MIP, fabplan

from optimizer import console, options
from optimizer.errors import UsageError
from optimizer.run import SolveRequest
from optimizer.solve import progress
from optimizer.solve.progress import MipProgress

# the tiny case warns while loading: its absence shows an option was refused before loading
LOAD_WARNING = "TW holds 100% of existing capacity"


def solve(data: Path, out: Path, *extra: object):
    return fabplan("solve", data, "--out", out, "--report", "none", *extra, cwd=out.parent)


@pytest.mark.parametrize(
    "pair, words",
    [
        ("mip_heuristc_effort=0.3", ["no option 'mip_heuristc_effort'", "mip_heuristic_effort"]),
        ("mip_heuristic_effort=abc", ["mip_heuristic_effort=abc", "a number in [0, 1]"]),
        ("mip_heuristic_effort=1.5", ["mip_heuristic_effort=1.5", "a number in [0, 1]"]),
        ("presolve=maybe", ["presolve=maybe", '"off", "choose" or "on"']),
        ("simplex_strategy=2.5", ["simplex_strategy=2.5", "an integer from 0 to 4"]),
        ("mip_detect_symmetry=perhaps", ["mip_detect_symmetry=perhaps", "true or false"]),
        ("threads=2", ["threads=2", "use --threads"]),
        ("time_limit=10", ["time_limit=10", "use --time-limit"]),
        ("mip_rel_gap=0", ["mip_rel_gap=0", "use --mip-gap"]),
        ("log_file=x.log", ["log_file=x.log", "use --solver-log"]),
        ("presolve", ["expected KEY=VALUE"]),
    ],
)
def test_a_bad_solver_option_exits_2_before_loading(
    tiny_case_dir: Path, pair: str, words: list[str]
) -> None:
    run = solve(tiny_case_dir, tiny_case_dir.parent / "plan", "--solver-option", pair)
    assert run.returncode == 2, run.stderr
    for w in words:
        assert w in run.stderr
    assert LOAD_WARNING not in run.stderr
    assert not (tiny_case_dir.parent / "plan").exists()


def test_an_option_given_twice_is_refused() -> None:
    with pytest.raises(UsageError, match="presolve is given twice"):
        options.solver_options(["presolve=off", "presolve=on"])


def test_sweep_may_pass_the_options_it_has_no_flag_for(tmp_path: Path) -> None:
    """A sweep has no --threads: its cases may set threads this way, a solve may not."""
    req = SolveRequest(data_dir=tmp_path, highs_options={"threads": 1})
    options.check_request(req)
    req.threads = 2
    with pytest.raises(UsageError, match="use --threads"):
        options.check_request(req)


def test_valid_options_reach_highs_and_are_recorded(tiny_case_dir: Path) -> None:
    root = tiny_case_dir.parent
    plain = solve(tiny_case_dir, root / "plain", "-q")
    assert plain.returncode == 0, plain.stderr
    ipm = solve(
        tiny_case_dir,
        root / "ipm",
        "-q",
        "--solver-option",
        "solver=ipm",
        "--solver-option",
        "mip_heuristic_effort=0.3",
    )
    assert ipm.returncode == 0, ipm.stderr
    a = json.loads((root / "plain" / "summary.json").read_text())
    b = json.loads((root / "ipm" / "summary.json").read_text())
    assert a["solver_options"] == {}
    assert b["solver_options"] == {"solver": "ipm", "mip_heuristic_effort": 0.3}
    assert b["objective_usd"] == pytest.approx(a["objective_usd"], rel=1e-7)

    log = root / "highs.log"
    off = solve(
        tiny_case_dir,
        root / "off",
        "-q",
        "--solver-option",
        "presolve=off",
        "--solver-log",
        log,
    )
    assert off.returncode == 0, off.stderr
    assert "without presolve" in log.read_text()


def facility_mip(h: highspy.Highs) -> None:
    """Three facilities (opening cost 10, capacity 2) and four customers of demand 1; serving
    customer j costs 1 from facility j % 3, else 5. Two facilities are needed: {0, 1} serves
    0, 3 from 0 and 1 from 1 at 1 each and 2 at 5: 20 + 8 = 28; {0, 2} also 28; {1, 2}
    20 + 2 + 10 = 32; all three 30 + 4 = 34. The LP relaxation opens 1 + 0.5 + 0.5 for 24, so
    branch and bound has work to do."""
    y = [h.addBinary(obj=10.0) for _ in range(3)]
    x = [
        [h.addVariable(lb=0, ub=1, obj=1.0 if i == j % 3 else 5.0) for j in range(4)]
        for i in range(3)
    ]
    for j in range(4):
        h.addConstr(sum(x[i][j] for i in range(3)) == 1)
    for i in range(3):
        h.addConstr(sum(x[i][j] for j in range(4)) <= 2 * y[i])


def quiet_highs() -> highspy.Highs:
    from optimizer.solve.highs import new_highs

    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # keep the search, so the callbacks fire
    return h


def test_progress_receives_updates_on_a_small_mip() -> None:
    lines: list[str] = []
    h = quiet_highs()
    facility_mip(h)
    p = MipProgress(lines.append, every=0.0, usd=1e9)  # model units shown as bn USD
    p.attach(h)
    h.run()
    p.finish()
    assert h.getInfo().objective_function_value == pytest.approx(28.0)
    assert p.calls >= 1 and p.shown == p.calls == len(lines)
    assert "incumbent 28.0000 bn USD" in lines[-1]


def test_progress_is_throttled() -> None:
    lines: list[str] = []
    h = quiet_highs()
    facility_mip(h)
    p = MipProgress(lines.append, every=3600.0)
    p.attach(h)
    h.run()
    assert p.calls > 1
    assert len(lines) == p.shown == 1


def test_an_interruption_in_a_callback_stops_highs_then_is_raised() -> None:
    def show(_text: str) -> None:
        raise KeyboardInterrupt

    h = quiet_highs()
    facility_mip(h)
    p = MipProgress(show, every=0.0)
    p.attach(h)
    h.run()  # does not raise inside HiGHS
    assert h.getModelStatus() == highspy.HighsModelStatus.kInterrupt
    with pytest.raises(KeyboardInterrupt):
        p.finish()


def test_no_progress_without_a_terminal_unless_verbose(monkeypatch) -> None:
    monkeypatch.setattr(console, "_verbosity", 1)
    assert progress.for_console(1e6).show is None
    monkeypatch.setattr(console, "_verbosity", 0)
    assert progress.for_console(1e6).show is None
    monkeypatch.setattr(console, "_verbosity", 2)
    assert progress.for_console(1e6).show is progress._plain


def test_quiet_prints_no_progress_and_verbose_prints_plain_lines(tiny_case_dir: Path) -> None:
    root = tiny_case_dir.parent
    quiet = solve(tiny_case_dir, root / "q", "-q", "--integer")
    assert quiet.returncode == 0, quiet.stderr
    assert "progress:" not in quiet.stderr + quiet.stdout
    verbose = solve(tiny_case_dir, root / "v", "-v", "--integer")
    assert verbose.returncode == 0, verbose.stderr
    assert "progress:" in verbose.stderr


def test_a_sweep_passes_solver_options_to_every_case(tiny_case_dir: Path) -> None:
    from optimizer.run.sweep import run_sweep

    out = tiny_case_dir.parent / "sweep"
    chosen = {"presolve": "off", "threads": 1}
    run_sweep(tiny_case_dir, ["demand.gpus*=1.0,1.3"], out=out, workers=1, highs_options=chosen)
    summaries = [json.loads(p.read_text()) for p in sorted(out.glob("cases/*/summary.json"))]
    assert len(summaries) == 2
    assert all(s["solver_options"] == chosen for s in summaries)
    refused = fabplan(
        "sweep", tiny_case_dir, "--vary", "demand.gpus*=1.0,1.3", "--out", out,
        "--solver-option", "time_limit=5", cwd=out.parent,
    )  # fmt: skip
    assert refused.returncode == 2 and "use --time-limit" in refused.stderr


MARKET_SPLIT = (
    """
import sys
import highspy, numpy as np
from optimizer.interrupt import Interrupted, handle_signals
from optimizer.solve.progress import MipProgress, run_mip

"""
    + MARKET_SPLIT_MIP
    + """with handle_signals():
    print("solving", flush=True)
    try:
        run_mip(h, MipProgress(None))  # as with -q: nothing shown
    except Interrupted as e:
        print("raised", e.exit_code, "after HiGHS returned", h.getModelStatus().name, flush=True)
"""
)


def test_a_signal_during_an_integer_solve_stops_highs_at_once(tmp_path: Path) -> None:
    """SIGTERM stops HiGHS at its next callback and is raised after run() returns: not a
    120 s solve, nor the watchdog's exit, nor a solve error from an exception inside HiGHS."""
    import signal
    import subprocess
    import sys
    import time

    run = subprocess.Popen(
        [sys.executable, "-c", MARKET_SPLIT], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    while (line := run.stdout.readline()) and line.strip() != "solving":
        pass  # HiGHS prints its banner first
    time.sleep(0.5)
    sent = time.monotonic()
    run.send_signal(signal.SIGTERM)
    out, _ = run.communicate(timeout=60)
    assert time.monotonic() - sent < 10
    assert "raised 143 after HiGHS returned kInterrupt" in out
