"""`fabplan verify PLAN_DIR [--data DATA_DIR]`: print the findings, return the exit code."""

from __future__ import annotations

from pathlib import Path

from optimizer import console
from optimizer.verify.run import verify_plan


def run_verify_command(plan_dir: Path, data_dir: Path | None = None) -> int:
    """0 when the plan verifies, 1 on any violation (InputError propagates: exit code 2).

    The checks, costs and verdict go to stdout (hidden by -q); warnings and every violation
    go to stderr, so `-q` still shows what is wrong.
    """
    result = verify_plan(plan_dir, data_dir)
    for line in result.summary_lines(show_all=console.verbosity() >= 2):
        if line.startswith("warning: "):
            console.warn(line.removeprefix("warning: "))
        elif line.startswith("  "):  # one violation (or the count of those not shown)
            console.err.print(line, markup=False)
        elif console.verbosity() >= 1:
            console.out.print(line, markup=False)
    if result.ok:
        return 0
    n = len(result.violations)
    console.error(f"verification failed: {n} violation{'s' if n != 1 else ''} (listed above)")
    return 1
