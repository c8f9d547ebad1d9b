"""Model size with region flows against the site x market formulation (issue 11; README.md).

    python benchmarks/region_flows.py [--size M] [--size L] [--solve] [--stochastic]

For each size: generate the case (`fabplan generate`, seed 0), then in one process build and
compile it twice, once with optimizer/model/production.py (region flows) and once with the
test-only reference tests/reference_site_market.py (the old make[s,k,m,t,w]) swapped in, and
print columns, rows, nonzeros and build + compile CPU seconds, over the scenario a plain
`fabplan solve` plans for (all scenarios with --stochastic). With --solve both LPs are solved
(HiGHS, default options) and their objectives and HiGHS CPU seconds printed too.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _reference():
    """tests/reference_site_market.py, imported by path (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "reference_site_market", ROOT / "tests" / "reference_site_market.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(data: Path, swap: bool, solve: bool, stochastic: bool) -> dict[str, float]:
    """Build (and optionally solve) `data` over its scenarios with one formulation."""
    import optimizer.model
    from optimizer.inputs import load_case
    from optimizer.model.registry import concerns
    from optimizer.run.single import pick_scenario
    from optimizer.solve.highs import SolverOptions, compile_model
    from optimizer.solve.highs import solve as highs_solve

    chosen = concerns()
    if swap:
        ref = _reference().CONCERN
        chosen = tuple(ref if c.name == "production" else c for c in chosen)
    original = optimizer.model.concerns
    optimizer.model.concerns = lambda: chosen
    try:
        case = load_case(data)
        if not stochastic:
            case = case.for_scenarios({pick_scenario(case, None): 1.0})
        t0 = time.process_time()
        ctx = optimizer.model.build_model(case, case.scenario_probabilities)
        compiled = compile_model(ctx)
        out = {
            "columns": compiled.lp.num_col_,
            "rows": compiled.lp.num_row_,
            "nonzeros": compiled.nnz,
            "build_cpu_s": time.process_time() - t0,
        }
        if solve:
            t0 = time.process_time()
            sol = highs_solve(ctx, compiled, SolverOptions())
            out["highs_cpu_s"] = time.process_time() - t0
            out["objective_usd"] = sol.objective * ctx.scale.usd
        return out
    finally:
        optimizer.model.concerns = original


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", default=None, choices=["S", "M", "L"])
    parser.add_argument("--solve", action="store_true")
    parser.add_argument("--stochastic", action="store_true")
    args = parser.parse_args()
    for size in args.size or ["M"]:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / size
            subprocess.run(
                [sys.executable, "-m", "optimizer", "generate", str(data), "--size", size],
                check=True,
                capture_output=True,
            )
            for label, swap in (("site x market", True), ("region flows", False)):
                row = measure(data, swap, args.solve, args.stochastic)
                cells = ", ".join(
                    f"{k} {v:,.0f}" if k in ("columns", "rows", "nonzeros") else f"{k} {v:,.2f}"
                    for k, v in row.items()
                )
                print(f"{size} {label}: {cells}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
