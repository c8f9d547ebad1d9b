"""Sweeps: many independent what-if solves of one data folder, in parallel, resumable.

    fabplan sweep DATA_DIR --vary EXPR=v1,v2,... [--vary ...] | --cases cases.csv
                 [--out DIR] [--workers N] [--scheduler ADDRESS] [--stochastic]

Modules: cases (the cases and their ids), worker (one solve, picklable), execute (local process
pool or Dask cluster), table (sweep.csv), tornado (sensitivity ranges and chart), report
(sweep.md / sweep.html), run (the orchestration and the CLI entry point). The public names are
imported lazily, so a worker unpickling `optimizer.sweep.worker.solve_case` does not pay for the
report's imports (matplotlib, jinja2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimizer.sweep.execute import default_workers
    from optimizer.sweep.run import DEFAULT_OUT, SweepResult, run_sweep, run_sweep_command

__all__ = ["DEFAULT_OUT", "SweepResult", "default_workers", "run_sweep", "run_sweep_command"]


def __getattr__(name: str):
    if name == "default_workers":
        from optimizer.sweep.execute import default_workers

        return default_workers
    if name in __all__:
        from optimizer.sweep import run

        return getattr(run, name)
    raise AttributeError(f"module 'optimizer.sweep' has no attribute {name!r}")
