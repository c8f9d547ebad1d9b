"""`fabplan compare PLAN_A PLAN_B [--out DIR]`: the CLI wrapper calls run_compare_command."""

from __future__ import annotations

from pathlib import Path

from optimizer import console
from optimizer.compare.comparison import compare_plans
from optimizer.compare.write import default_out_dir, plan_inputs, write_comparison
from optimizer.outputs import COMPARISON, check_output


def run_compare_command(plan_a: Path, plan_b: Path, out: Path | None = None) -> int:
    """Compare two plan folders, write comparison.md and comparison.html, print the headline
    sentences; return the exit code (0). Bad folders raise InputError/UsageError (exit 2)."""
    out_dir = Path(out) if out is not None else default_out_dir(plan_a, plan_b)
    check_output(out_dir, COMPARISON, plan_inputs([plan_a, plan_b]))  # before reading the plans
    comparison = compare_plans(plan_a, plan_b)
    paths = write_comparison(comparison, out_dir)
    for w in comparison.warnings:
        console.warn(w)
    if console.verbosity() >= 1:
        console.out.print(f"Plan B ({plan_b}) against plan A ({plan_a}):", markup=False)
        for sentence in comparison.sentences:
            console.out.print(f"  - {sentence}", markup=False)
        console.out.print(f"comparison written to {', '.join(map(str, paths))}", markup=False)
    return 0
