"""Run the near-optimal solves in parallel, as sweeps do (optimizer/sweep/execute.py): fresh
local processes (forkserver, else spawn), or the tasks sent to an existing Dask scheduler."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from optimizer.alternatives.lp import Outcome, Task, run_task
from optimizer.sweep.execute import dask_client


def run_all(tasks: list[Task], workers: int, scheduler: str | None) -> list[Outcome]:
    """Outcomes in the order of `tasks`."""
    if not tasks:
        return []
    if scheduler:
        return _dask(tasks, scheduler)
    if workers <= 1 or len(tasks) == 1:
        return [run_task(t) for t in tasks]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context) as pool:
        return list(pool.map(run_task, tasks))


def _dask(tasks: list[Task], address: str) -> list[Outcome]:
    client = dask_client(address)
    try:
        return client.gather(client.map(run_task, tasks, pure=False))
    finally:
        client.close()
