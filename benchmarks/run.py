"""Benchmark `fabplan solve` as a user runs it against the floor: HiGHS alone on the same LP.

    python benchmarks/run.py [--sizes S,M,L] [--cases default,two-stage,staged] [--repeat N]
                             [--seed N] [--json FILE]

For each size: generate the case (`optimizer.generate`, not timed) into a temporary folder, then
  1. the model writer: `fabplan solve --report none --write-model model.mps` (not timed; kept
     out of run 2 so writing the MPS adds nothing to it);
  2. the command as a user runs it: `fabplan -q solve DATA --out PLAN` with the report on (HTML,
     Markdown, Excel), timed from process start to exit (wall), with the child's CPU seconds
     and peak RSS from wait4; its stage timings come from the plan's summary.json;
  3. the floor: a Python process that imports highspy, reads that MPS file and solves it with
     the options fabplan used (none beyond the defaults), also timed from start to exit.
Runs 2 and 3 alternate --repeat times, so both see the same background load. CPU seconds (all
threads) move far less than wall time on a shared machine.

Prints one table row per size (medians over --repeat runs): overhead = total - floor total (the
wall seconds fabplan adds around HiGHS), the ratios total/floor and peak memory/floor. Targets
(issue 11, 2 cores): overhead <= 2 s at M; at L total <= 1.1x the floor and memory <= 1.5x.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import cpu_s, peak_mib  # benchmarks/measure.py (this script's folder)

REPO = Path(__file__).resolve().parent.parent
OVERHEAD_TARGET = {"M": 2.0}  # wall seconds, total - floor total
TARGETS = {"L": 1.1}  # total time / floor
MEMORY_TARGET = 1.5


# ---- child processes ------------------------------------------------------------------------
def run_cli(*args: str) -> dict:
    """Run `fabplan ARGS` in a fresh process: wall seconds from start to exit, the child's CPU
    seconds and peak RSS (wait4; the child is started by vfork/posix_spawn, so its high-water
    mark is its own, not this process's)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimizer", *args],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"fabplan {' '.join(args)} failed ({proc.returncode}):\n{err[-4000:]}")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024.0,
    }


def run_pipeline(data_dir: Path, out_dir: Path, flags: tuple[str, ...] = ()) -> dict:
    """`fabplan -q solve DATA [FLAGS] --out PLAN` with the report on, as a user runs it."""
    out = run_cli("-q", "solve", str(data_dir), *flags, "--out", str(out_dir))
    s = json.loads((out_dir / "summary.json").read_text())
    return {
        "status": s["status"],
        "objective_usd": s["objective_usd"],
        **s["size"],
        **{k: v for k, v in s["timings"].items() if k != "total_s"},
        "total_s": out["wall_s"],
        "cpu_s": out["cpu_s"],
        "peak_mib": out["peak_mib"],
    }


def child_floor(mps: Path) -> dict:
    """HiGHS alone: read the MPS file and solve it with default options."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    cpu0 = cpu_s()
    t0 = time.perf_counter()
    h.readModel(str(mps))
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    cpu = cpu_s() - cpu0
    return {
        "status": h.modelStatusToString(h.getModelStatus()),
        "objective": h.getInfo().objective_function_value,
        "read_s": t1 - t0,
        "solve_s": t2 - t1,
        "total_s": t2 - t0,
        "cpu_s": cpu,
        "peak_mib": peak_mib(),
    }


def _child_main(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "floor":
        out = child_floor(Path(args[0]))
    else:
        raise SystemExit(f"unknown child mode {mode}")
    print("RESULT " + json.dumps(out))


def _spawn(*args: str) -> dict:
    """Run this script in a fresh interpreter in child mode; return the JSON it prints, with
    the process's wall seconds from start to exit."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    line = next(x for x in proc.stdout.splitlines()[::-1] if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :]) | {"process_s": wall}


# ---- the benchmark --------------------------------------------------------------------------
# the default data as users run it (--cases): label -> fabplan solve flags
CASES = {
    "default": (),  # the base scenario, power by time slice (issue 14)
    "two-stage": ("--stochastic", "--set", "stage_year="),  # every decision shared
    "staged": ("--stochastic",),  # stage_year 2028 (issue 15): one model copy per scenario
}


def bench_size(size: str, seed: int, repeat: int, work: Path) -> dict:
    from optimizer.generate import generate_case

    data = generate_case(size, work / f"data_{size}", seed=seed)
    return bench(size, data, (), repeat, work)


def bench(size: str, data: Path, flags: tuple[str, ...], repeat: int, work: Path) -> dict:
    """One row: the command with `flags` on `data`, and HiGHS alone on the LP it solves (a
    hedged plan's EVPI/VSS solves are the `measures s` column: HiGHS alone solves the plan's LP
    once)."""
    mps = work / f"model_{size}.mps"
    run_cli(
        "-q", "solve", str(data), *flags, "--out", str(work / f"mps_{size}"), "--report",
        "none", "--write-model", str(mps),
    )  # fmt: skip
    runs, floors = [], []
    for i in range(repeat):  # interleaved, so both see the same background load
        runs.append(run_pipeline(data, work / f"plan_{size}_{i}", flags))
        floors.append(_spawn("floor", str(mps)))
        print(
            f"  {size} run {i + 1}/{repeat}: fabplan solve {runs[-1]['total_s']:.2f} s, "
            f"HiGHS alone {floors[-1]['process_s']:.2f} s",
            flush=True,
        )
    mps.unlink()

    def med(rows: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    first = runs[0]
    row = {
        "size": size,
        "variables": first["variables"],
        "constraints": first["constraints"],
        "nonzeros": first["nonzeros"],
        "status": first["status"],
        "objective_usd": first["objective_usd"],
        "floor_status": floors[0]["status"],
        "floor_objective_usd": floors[0]["objective"] * 1e6,  # model money unit: million USD
        "load_s": med(runs, "load_s"),
        "build_s": med(runs, "build_s"),
        "handoff_s": med(runs, "handoff_s"),
        "solve_s": med(runs, "solve_s"),
        "extract_write_s": statistics.median(r["extract_s"] + r["write_s"] for r in runs),
        "measures_s": statistics.median(r.get("measures_s", 0.0) for r in runs),
        "total_s": med(runs, "total_s"),
        "peak_mib": med(runs, "peak_mib"),
        "cpu_s": med(runs, "cpu_s"),
        "floor_cpu_s": med(floors, "cpu_s"),
        "floor_read_s": med(floors, "read_s"),
        "floor_solve_s": med(floors, "solve_s"),
        "floor_total_s": med(floors, "process_s"),
        "floor_peak_mib": med(floors, "peak_mib"),
        "repeat": repeat,
        "runs": runs,
        "floors": floors,
    }
    row["overhead_s"] = row["total_s"] - row["floor_total_s"]
    row["time_ratio"] = row["total_s"] / row["floor_total_s"]
    row["memory_ratio"] = row["peak_mib"] / row["floor_peak_mib"]
    row["cpu_ratio"] = row["cpu_s"] / row["floor_cpu_s"]
    return row


HEADER = (
    "| size | variables | constraints | nonzeros | start-up+imports s | load s | build s "
    "| hand-off s | solve s | extract+write+report s | measures s | total s | peak MiB "
    "| HiGHS alone s | HiGHS alone peak MiB | overhead s | total/HiGHS | memory/HiGHS "
    "| CPU s / HiGHS CPU s |"
)
STAGES = ("load_s", "build_s", "handoff_s", "solve_s", "extract_write_s", "measures_s")


def table_row(r: dict) -> str:
    r = {"measures_s": 0.0, **r}  # rows saved before the column existed
    startup = r["total_s"] - sum(r[k] for k in STAGES)  # interpreter, imports, exit
    cells = [
        r["size"],
        f"{r['variables']:,}",
        f"{r['constraints']:,}",
        f"{r['nonzeros']:,}",
        f"{startup:.2f}",
        *(f"{r[k]:.2f}" for k in STAGES),
        f"{r['total_s']:.2f}",
        f"{r['peak_mib']:,.0f}",
        f"{r['floor_total_s']:.2f}",
        f"{r['floor_peak_mib']:,.0f}",
        f"{r['overhead_s']:.2f}",
        f"{r['time_ratio']:.2f}",
        f"{r['memory_ratio']:.2f}",
        f"{r['cpu_s']:.1f} / {r['floor_cpu_s']:.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


def machine() -> dict:
    import numpy
    import pandas
    import pyomo.version
    import scipy

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from optimizer.solve.highs import new_highs  # no copyright banner on stdout

    h = new_highs()
    return {
        "date": time.strftime("%Y-%m-%d"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "pyomo": pyomo.version.version,
        "highspy": f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}",
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "load_average": os.getloadavg(),
    }


def print_results(rows: list[dict]) -> None:
    """The markdown table (as in benchmarks/README.md) and one verdict line per size."""
    print()
    print(HEADER)
    print("|" + "---|" * (HEADER.count(" | ") + 1))
    for r in rows:
        print(table_row(r))
    print()
    for r in rows:
        rel = abs(r["objective_usd"] - r["floor_objective_usd"]) / max(1.0, abs(r["objective_usd"]))
        verdict = []
        if r["size"] in OVERHEAD_TARGET:
            limit = OVERHEAD_TARGET[r["size"]]
            verdict.append(f"overhead target {limit} s {_met(r['overhead_s'] <= limit)}")
        if r["size"] in TARGETS:
            limit = TARGETS[r["size"]]
            verdict.append(f"time target {limit}x {_met(r['time_ratio'] <= limit)}")
            verdict.append(
                f"memory target {MEMORY_TARGET}x {_met(r['memory_ratio'] <= MEMORY_TARGET)}"
            )
        print(
            f"{r['size']}: fabplan {r['status']}, HiGHS alone {r['floor_status']}, objectives "
            f"agree to {rel:.1e} relative; {'; '.join(verdict) or 'no target'}; CPU seconds "
            f"{r['cpu_s']:.1f} vs {r['floor_cpu_s']:.1f} ({r['cpu_ratio']:.2f}x)"
        )


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="S,M,L", help="comma list of S, M, L (default S,M,L)")
    ap.add_argument(
        "--cases",
        default="",
        help=f"comma list of the default data's runs: {', '.join(CASES)} (default: none)",
    )
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; medians are shown")
    ap.add_argument("--seed", type=int, default=0, help="seed of the generated cases")
    ap.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    ap.add_argument("--table", type=Path, help="only print the table of a saved --json file")
    args = ap.parse_args()
    if args.table:
        saved = json.loads(args.table.read_text())
        print(saved["machine"])
        print_results(saved["results"])
        return
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    from optimizer.generate import SIZES

    bad = [s for s in sizes if s not in SIZES]
    if bad or args.repeat < 1:
        ap.error(f"--sizes must be a comma list of {', '.join(SIZES)}; --repeat must be >= 1")
    if [c for c in cases if c not in CASES]:
        ap.error(f"--cases must be a comma list of {', '.join(CASES)}")

    info = machine()
    print(
        f"{info['date']}: {info['nproc']} x {info['cpu']}; Python {info['python']}, "
        f"pyomo {info['pyomo']}, highspy {info['highspy']}, pandas {info['pandas']}; "
        f"load average {info['load_average'][0]:.1f}",
        flush=True,
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="fabplan-bench-") as tmp:
        for size in sizes:
            print(f"size {size}:", flush=True)
            rows.append(bench_size(size, args.seed, args.repeat, Path(tmp)))
        for case in cases:
            print(f"default data, {case}:", flush=True)
            rows.append(bench(case, REPO / "data", CASES[case], args.repeat, Path(tmp)))
    print_results(rows)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (wall times need a quiet machine)")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
