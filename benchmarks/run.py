"""Benchmark the solve pipeline on synthetic cases against the floor: HiGHS alone on the same LP.

    python benchmarks/run.py [--sizes S,M,L] [--repeat N] [--seed N] [--json FILE]

For each size: generate the case (`optimizer.generate`, not timed) into a temporary folder, then,
each in a fresh Python process so that peak memory (RSS high-water mark, VmHWM) is per run:
  1. the model writer: load, build and hand-off, then write the LP as MPS with the pipeline's
     `--write-model` code (not timed; kept out of run 2 so it adds nothing to it);
  2. the full pipeline `run_solve` as `fabplan solve` runs it, but with report_formats=() (the
     HTML/Markdown/Excel report is not timed); stage timings come from its summary.json;
  3. the floor: highspy alone reads that MPS file and solves it (read + solve timed in-process).
Runs 2 and 3 alternate --repeat times, so both see the same background load.
Python start-up and imports are excluded from both the pipeline total and the floor; peak memory
includes them (interpreter, pandas, scipy, pyomo in 2; interpreter and highspy in 3). CPU seconds
(all threads) are recorded too: they move far less than wall time on a shared machine.

Prints one table row per size (medians over --repeat runs) and the ratios total/floor and
peak memory/floor; targets (issue 3): within 1.3x of the floor on M, 1.1x on L, memory 2x.
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
TARGETS = {"M": 1.3, "L": 1.1}  # total time / floor
MEMORY_TARGET = 2.0


# ---- child processes ------------------------------------------------------------------------
def child_pipeline(data_dir: Path, out_dir: Path) -> dict:
    """Run the full pipeline as the CLI does, without the report."""
    from optimizer import console
    from optimizer.run import SolveRequest, run_solve

    console.set_verbosity(0)
    cpu0 = cpu_s()
    result = run_solve(SolveRequest(data_dir=data_dir, out_dir=out_dir, report_formats=()))
    cpu = cpu_s() - cpu0
    s = result.summary
    return {
        "status": s["status"],
        "objective_usd": s["objective_usd"],
        **s["size"],
        **s["timings"],
        "cpu_s": cpu,
        "peak_mib": peak_mib(),
    }


def child_write_model(data_dir: Path, mps: Path) -> dict:
    """Load, build and hand off exactly as the pipeline does, then write the LP as MPS."""
    from optimizer import console
    from optimizer.inputs import load_case
    from optimizer.model import ModelOptions, build_model
    from optimizer.run.single import pick_scenario
    from optimizer.run.steps import save_model
    from optimizer.solve import compile_model

    console.set_verbosity(0)
    case = load_case(data_dir, {})
    case = case.for_scenarios({pick_scenario(case, None): 1.0})
    ctx = build_model(case, case.scenario_probabilities, ModelOptions())
    compiled = compile_model(ctx)
    save_model(compiled, mps)
    return {"mps_bytes": mps.stat().st_size}


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
    if mode == "pipeline":
        out = child_pipeline(Path(args[0]), Path(args[1]))
    elif mode == "write-model":
        out = child_write_model(Path(args[0]), Path(args[1]))
    elif mode == "floor":
        out = child_floor(Path(args[0]))
    else:
        raise SystemExit(f"unknown child mode {mode}")
    print("RESULT " + json.dumps(out))


def _spawn(*args: str) -> dict:
    """Run this script in a fresh interpreter in child mode; return the JSON it prints."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    line = next(x for x in proc.stdout.splitlines()[::-1] if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


# ---- the benchmark --------------------------------------------------------------------------
def bench_size(size: str, seed: int, repeat: int, work: Path) -> dict:
    from optimizer.generate import generate_case

    data = generate_case(size, work / f"data_{size}", seed=seed)
    mps = work / f"model_{size}.mps"
    _spawn("write-model", str(data), str(mps))
    runs, floors = [], []
    for i in range(repeat):  # interleaved, so both see the same background load
        runs.append(_spawn("pipeline", str(data), str(work / f"plan_{size}_{i}")))
        floors.append(_spawn("floor", str(mps)))
        print(
            f"  {size} run {i + 1}/{repeat}: pipeline {runs[-1]['total_s']:.2f} s, "
            f"floor {floors[-1]['total_s']:.2f} s",
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
        "total_s": med(runs, "total_s"),
        "peak_mib": med(runs, "peak_mib"),
        "cpu_s": med(runs, "cpu_s"),
        "floor_cpu_s": med(floors, "cpu_s"),
        "floor_read_s": med(floors, "read_s"),
        "floor_solve_s": med(floors, "solve_s"),
        "floor_total_s": med(floors, "total_s"),
        "floor_peak_mib": med(floors, "peak_mib"),
        "repeat": repeat,
        "runs": runs,
        "floors": floors,
    }
    row["time_ratio"] = row["total_s"] / row["floor_total_s"]
    row["memory_ratio"] = row["peak_mib"] / row["floor_peak_mib"]
    row["cpu_ratio"] = row["cpu_s"] / row["floor_cpu_s"]
    _add_same_solve_ratio(row)
    return row


def _add_same_solve_ratio(row: dict) -> None:
    """total/floor as if HiGHS had taken the floor's solve time inside the pipeline too.

    The same LP solves in different times run to run (and with the load of other processes);
    this ratio isolates what fabplan adds around the solver.
    """
    row["same_solve_ratio"] = (row["total_s"] - row["solve_s"] + row["floor_solve_s"]) / row[
        "floor_total_s"
    ]


HEADER = (
    "| size | variables | constraints | nonzeros | load s | build s | hand-off s | solve s "
    "| extract+write s | total s | peak MiB | floor read s | floor solve s | floor total s "
    "| floor peak MiB | total/floor | same-solve total/floor | memory/floor "
    "| CPU s / floor CPU s |"
)


def table_row(r: dict) -> str:
    cells = [
        r["size"],
        f"{r['variables']:,}",
        f"{r['constraints']:,}",
        f"{r['nonzeros']:,}",
        f"{r['load_s']:.2f}",
        f"{r['build_s']:.2f}",
        f"{r['handoff_s']:.2f}",
        f"{r['solve_s']:.2f}",
        f"{r['extract_write_s']:.2f}",
        f"{r['total_s']:.2f}",
        f"{r['peak_mib']:,.0f}",
        f"{r['floor_read_s']:.2f}",
        f"{r['floor_solve_s']:.2f}",
        f"{r['floor_total_s']:.2f}",
        f"{r['floor_peak_mib']:,.0f}",
        f"{r['time_ratio']:.2f}",
        f"{r['same_solve_ratio']:.2f}",
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
        target = TARGETS.get(r["size"])
        rel = abs(r["objective_usd"] - r["floor_objective_usd"]) / max(1.0, abs(r["objective_usd"]))
        verdict = ""
        if target is not None:
            verdict = (
                f"; time target {target}x {'met' if r['time_ratio'] <= target else 'NOT met'}"
                f" ({'met' if r['same_solve_ratio'] <= target else 'NOT met'} at equal solve "
                f"time), memory target {MEMORY_TARGET}x "
                f"{'met' if r['memory_ratio'] <= MEMORY_TARGET else 'NOT met'}"
            )
        print(
            f"{r['size']}: pipeline {r['status']}, floor {r['floor_status']}, objectives agree to "
            f"{rel:.1e} relative{verdict}; CPU seconds {r['cpu_s']:.1f} vs floor "
            f"{r['floor_cpu_s']:.1f} ({r['cpu_ratio']:.2f}x)"
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="S,M,L", help="comma list of S, M, L (default S,M,L)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size; medians are shown")
    ap.add_argument("--seed", type=int, default=0, help="seed of the generated cases")
    ap.add_argument("--json", type=Path, help="also write every measurement to this JSON file")
    ap.add_argument("--table", type=Path, help="only print the table of a saved --json file")
    args = ap.parse_args()
    if args.table:
        saved = json.loads(args.table.read_text())
        for r in saved["results"]:
            _add_same_solve_ratio(r)  # also for files saved before the column existed
        print(saved["machine"])
        print_results(saved["results"])
        return
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    from optimizer.generate import SIZES

    bad = [s for s in sizes if s not in SIZES]
    if bad or args.repeat < 1:
        ap.error(f"--sizes must be a comma list of {', '.join(SIZES)}; --repeat must be >= 1")

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
    print_results(rows)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (wall times need a quiet machine)")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
