"""Compare the ways of handing a built Pyomo model to HiGHS (run once; results in README.md).

    python benchmarks/handoff.py [--size M] [--seed 0] [--methods ours,appsi,contrib,mps]
    python benchmarks/handoff.py --size L --handoff-only    # hand-off alone, no solve

Each method runs in a fresh Python process on the same generated case: load and build the model
with fabplan's code (timed, not compared), then time from the built model to primal values
available in Python:
  ours     optimizer.solve: LinearStandardFormCompiler -> scipy CSC -> highspy.HighsLp ->
           passModel, run, values mapped back to variable blocks with numpy (also row duals)
  appsi    pyo.SolverFactory('appsi_highs').solve(model) (values loaded into the Pyomo vars)
  contrib  pyomo.contrib.solver SolverFactory('highs').solve(model) (values loaded likewise)
  mps      Pyomo's MPS writer (model.write), highspy readModel, run, values loaded into the
           Pyomo vars through the writer's symbol map
HiGHS's own run() is timed inside every method (highspy.Highs is swapped for a subclass that
times run()), so `overhead` = total - run is the cost of the hand-off and of getting results
back. With --handoff-only the clock stops once a highspy.Highs holds the LP (appsi and contrib
via set_instance), so large cases need no solve. Peak memory is the process's RSS high-water mark
(VmHWM).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import cpu_s, peak_mib  # benchmarks/measure.py (this script's folder)

REPO = Path(__file__).resolve().parent.parent


METHODS = ("ours", "appsi", "contrib", "mps")
RUN_TIMES: list[float] = []  # wall seconds of each Highs.run()
RUN_CPU: list[float] = []  # CPU seconds of this process during each Highs.run()


def _install_run_timer() -> None:
    """Make every highspy.Highs created from now on record how long run() takes."""
    import highspy

    base = highspy.Highs

    class TimedHighs(base):
        def run(self):
            t, c = time.perf_counter(), cpu_s()
            status = super().run()
            RUN_TIMES.append(time.perf_counter() - t)
            RUN_CPU.append(cpu_s() - c)
            return status

    highspy.Highs = TimedHighs


def _build(data_dir: Path):
    from optimizer import console
    from optimizer.inputs import load_case
    from optimizer.model import ModelOptions, build_model
    from optimizer.run.single import pick_scenario

    console.set_verbosity(0)
    case = load_case(data_dir, {})
    case = case.for_scenarios({pick_scenario(case, None): 1.0})
    return build_model(case, case.scenario_probabilities, ModelOptions())


def _ours(ctx, work: Path) -> dict:
    from optimizer.solve import SolverOptions, compile_model, solve

    t0 = time.perf_counter()
    compiled = compile_model(ctx)
    t1 = time.perf_counter()
    sol = solve(ctx, compiled, SolverOptions())
    t2 = time.perf_counter()
    return {
        "compile_s": t1 - t0,
        "total_s": t2 - t0,
        "objective": sol.objective,
        "status": sol.status,
    }


def _appsi(ctx, work: Path) -> dict:
    import pyomo.environ as pyo

    opt = pyo.SolverFactory("appsi_highs")
    t0 = time.perf_counter()
    res = opt.solve(ctx.model)
    t1 = time.perf_counter()
    return {
        "total_s": t1 - t0,
        "objective": pyo.value(ctx.model.total_cost),
        "status": str(res.solver.termination_condition),
    }


def _contrib(ctx, work: Path) -> dict:
    import pyomo.environ as pyo
    from pyomo.contrib.solver.common.factory import SolverFactory

    opt = SolverFactory("highs")
    t0 = time.perf_counter()
    res = opt.solve(ctx.model)
    t1 = time.perf_counter()
    return {
        "total_s": t1 - t0,
        "objective": pyo.value(ctx.model.total_cost),
        "status": res.termination_condition.name,
    }


def _mps(ctx, work: Path) -> dict:
    import highspy
    import pyomo.environ as pyo

    path = work / "pyomo.mps"
    t0 = time.perf_counter()
    _name, smap_id = ctx.model.write(
        str(path), format="mps", io_options={"symbolic_solver_labels": False}
    )
    t1 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    t2 = time.perf_counter()
    h.run()
    values = h.getSolution().col_value
    names = h.getLp().col_names_
    by_symbol = ctx.model.solutions.symbol_map[smap_id].bySymbol
    for name, x in zip(names, values, strict=True):
        var = by_symbol.get(name)
        if var is not None:
            var.set_value(x, skip_validation=True)
    t3 = time.perf_counter()
    return {
        "write_s": t1 - t0,
        "read_s": t2 - t1,
        "total_s": t3 - t0,
        "mps_bytes": path.stat().st_size,
        "objective": pyo.value(ctx.model.total_cost),
        "status": h.modelStatusToString(h.getModelStatus()),
    }


def _handoff_only(method: str, ctx, work: Path) -> dict:
    """Only the hand-off: from the built model until a highspy.Highs holds the LP (no solve)."""
    import highspy
    import pyomo.environ as pyo

    t0 = time.perf_counter()
    if method == "ours":
        from optimizer.solve import compile_model

        h = highspy.Highs()
        h.passModel(compile_model(ctx).lp)
    elif method == "appsi":
        opt = pyo.SolverFactory("appsi_highs")
        opt.set_instance(ctx.model)
        h = opt._solver_model
    elif method == "contrib":
        from pyomo.contrib.solver.common.factory import SolverFactory

        opt = SolverFactory("highs")
        opt.set_instance(ctx.model)
        h = opt._solver_model
    else:
        path = work / "pyomo.mps"
        ctx.model.write(str(path), format="mps", io_options={"symbolic_solver_labels": False})
        h = highspy.Highs()
        h.readModel(str(path))
    return {
        "total_s": time.perf_counter() - t0,
        "columns": h.getNumCol(),
        "rows": h.getNumRow(),
        "objective": float("nan"),
        "status": "not solved",
    }


def child(method: str, data_dir: Path, work: Path, handoff_only: bool = False) -> dict:
    _install_run_timer()
    t0 = time.perf_counter()
    ctx = _build(data_dir)
    build_s = time.perf_counter() - t0
    cpu0 = cpu_s()
    if handoff_only:
        out = _handoff_only(method, ctx, work)
    else:
        out = {"ours": _ours, "appsi": _appsi, "contrib": _contrib, "mps": _mps}[method](ctx, work)
    out["cpu_s"] = cpu_s() - cpu0
    out["run_cpu_s"] = sum(RUN_CPU)
    out["overhead_cpu_s"] = out["cpu_s"] - out["run_cpu_s"]
    out["build_s"] = build_s
    out["run_s"] = sum(RUN_TIMES)
    out["overhead_s"] = out["total_s"] - out["run_s"]
    out["peak_mib"] = peak_mib()
    out["method"] = method
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        method, data_dir, work, only = sys.argv[2:6]
        result = child(method, Path(data_dir), Path(work), only == "handoff-only")
        print("RESULT " + json.dumps(result))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", default="M", help="S, M or L (default M)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1, help="runs per method; medians are shown")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--json", type=Path, help="also write the measurements to this JSON file")
    ap.add_argument(
        "--handoff-only",
        action="store_true",
        help="time only the hand-off (until HiGHS holds the LP), no solve: for the L case",
    )
    args = ap.parse_args()
    from optimizer.generate import generate_case

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="fabplan-handoff-") as tmp:
        data = generate_case(args.size.upper(), Path(tmp) / "data", seed=args.seed)
        for method in methods:
            runs = []
            for _ in range(args.repeat):
                proc = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        method,
                        str(data),
                        tmp,
                        "handoff-only" if args.handoff_only else "full",
                    ],
                    capture_output=True,
                    text=True,
                    cwd=REPO,
                )
                if proc.returncode != 0:
                    raise SystemExit(f"{method} failed:\n{proc.stderr[-4000:]}")
                line = next(x for x in proc.stdout.splitlines()[::-1] if x.startswith("RESULT "))
                runs.append(json.loads(line[len("RESULT ") :]))
                print(f"  {method}: {runs[-1]['total_s']:.2f} s", flush=True)
            row = dict(runs[0])
            keys = ("build_s", "total_s", "run_s", "overhead_s", "cpu_s", "run_cpu_s")
            for key in (*keys, "overhead_cpu_s", "peak_mib"):
                row[key] = statistics.median(r[key] for r in runs)
            rows.append(row)
    print()
    if args.handoff_only:
        print("| method | hand-off s | CPU s | peak MiB | columns | rows |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['method']} | {r['total_s']:.2f} | {r['cpu_s']:.2f} | {r['peak_mib']:,.0f} "
                f"| {r['columns']:,} | {r['rows']:,} |"
            )
    else:
        print(
            "| method | model -> values s | HiGHS run s | hand-off + results s "
            "| CPU s: total / HiGHS run / hand-off + results | peak MiB | objective (MUSD) "
            "| status |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['method']} | {r['total_s']:.2f} | {r['run_s']:.2f} | {r['overhead_s']:.2f} "
                f"| {r['cpu_s']:.2f} / {r['run_cpu_s']:.2f} / {r['overhead_cpu_s']:.2f} "
                f"| {r['peak_mib']:,.0f} | {r['objective']:,.3f} | {r['status']} |"
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
