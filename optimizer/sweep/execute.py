"""Run sweep cases in parallel: local worker processes, or an existing Dask cluster.

Both paths hand every finished case to `on_done` as soon as it is known (the caller records it
and rewrites sweep.csv), so an interrupted sweep keeps what was finished. No scheduling is done
here: concurrent.futures or dask.distributed decide where and when each case runs.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

from optimizer.errors import UsageError
from optimizer.sweep.worker import CaseOutcome, CaseTask, solve_case

OnDone = Callable[[CaseOutcome], None]

# Imported once by the fork server, so each worker starts without re-importing the model stack.
_PRELOAD = [
    "optimizer.sweep.worker",
    "optimizer.run",
    "optimizer.model",
    "optimizer.solve",
    "optimizer.solve.extract",
    "optimizer.plan",
    "optimizer.inputs",
    "optimizer.diagnose",
]


def default_workers() -> int:
    """Two local workers unless the machine has fewer cores (each HiGHS solve is one core)."""
    return max(1, min(2, os.cpu_count() or 1))


def run_local(tasks: list[CaseTask], workers: int, on_done: OnDone) -> None:
    """Solve the tasks in `workers` fresh processes (forkserver where available, else spawn:
    never a fork of this process, whose progress-bar thread may hold a lock)."""
    if not tasks:
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), mp_context=context)
    futures: dict[Future, CaseTask] = {pool.submit(solve_case, t): t for t in tasks}
    try:
        for future in as_completed(futures):
            on_done(_outcome(future, futures[future]))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def dask_client(address: str):
    """A client of the Dask scheduler at `address`, or a usage error saying what is missing
    (dask.distributed not installed, or no scheduler answering there)."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "--scheduler needs dask.distributed: pip install 'fabplan[sweep]' "
            "(or pip install 'dask[distributed]')"
        ) from None
    try:
        return Client(address, timeout="20s")
    except OSError as e:
        raise UsageError(
            f"--scheduler {address}: cannot connect to a Dask scheduler ({e})"
        ) from None


def run_dask(tasks: list[CaseTask], address: str, on_done: OnDone) -> None:
    """Send the tasks to the Dask cluster at `address` (client.map + as_completed).

    The cluster's workers must have fabplan installed and see the data and output folders at
    the same paths (a shared filesystem); the cluster is left running.
    """
    if not tasks:
        return
    from distributed import as_completed as dask_completed

    client = dask_client(address)
    try:
        futures = client.map(solve_case, tasks, pure=False)
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        try:
            for future in dask_completed(futures):
                on_done(_outcome(future, by_key[future.key]))
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        client.close()


def _outcome(future, task: CaseTask) -> CaseOutcome:
    """The case's outcome, or an error outcome when its worker itself failed (e.g. it died)."""
    try:
        return future.result()
    except Exception as e:
        return CaseOutcome(task.case_id, "error", 1, f"worker failed: {type(e).__name__}: {e}")
