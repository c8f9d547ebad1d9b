"""HiGHS through a CSC matrix passed to highspy (the fastest path measured).

The matrix is built in mixed form (each row <=, >= or ==) straight from the model's term arrays
(optimizer/solve/matrix.py; Pyomo's LinearStandardFormCompiler gives the same matrix); we pass
it to highspy directly and map primal values and row duals back to our variable blocks and
constraint families through the maps the matrix builder returns. Measured alternatives (appsi,
contrib solver, MPS file) were 2-4x slower on large models (benchmarks/README.md).
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np

from optimizer.errors import UsageError
from optimizer.model.context import ModelContext
from optimizer.solve.memory import release_freed_memory
from optimizer.solve.progress import for_console, run_mip

INF = highspy.kHighsInf


@dataclass
class SolverOptions:
    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    solver_log: Path | None = None
    log_to_console: bool = False
    extra: dict[str, object] = field(default_factory=dict)  # --solver-option, checked


@dataclass
class Compiled:
    """The LP in matrix form plus the maps back to blocks and families."""

    lp: highspy.HighsLp
    A: object  # CSC matrix of the rows (matrix.CscMatrix), kept to size the binding constraints
    col_block: dict[str, np.ndarray]  # block -> column index of each variable (-1: eliminated)
    row_family: dict[str, np.ndarray]  # family -> row index of each constraint (-1: skipped)
    nnz: int
    coef_range: tuple[float, float]
    rhs_range: tuple[float, float]
    cost_range: tuple[float, float]


@dataclass
class Solution:
    status: str  # optimal | time_limit | infeasible | unbounded | error ...
    termination: str
    has_solution: bool
    objective: float  # model money units
    mip_gap: float | None
    units: dict[str, float]
    x: dict[str, np.ndarray] = field(default_factory=dict)  # model units
    duals: dict[str, np.ndarray] = field(default_factory=dict)  # d objective / d rhs, model units
    sizes: dict[str, np.ndarray] = field(default_factory=dict)  # sum |a_ij x_j| per row
    solver_version: str = ""

    def value(self, block: str) -> np.ndarray:
        """Variable values in domain units (USD, wspm, wafers, GPUs, MWh, MW)."""
        return self.x[block] * self.units[block]

    def dual(self, family: str) -> np.ndarray:
        return self.duals.get(family, np.zeros(0))


def _range(values: np.ndarray) -> tuple[float, float]:
    a = np.abs(values[np.isfinite(values)])
    a = a[a > 0]
    return (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)


def compile_model(ctx: ModelContext, route: str = "terms") -> Compiled:
    """Compile to a HighsLp: straight from the term arrays (`route` "terms", the fast route)
    or through Pyomo's standard-form compiler ("pyomo"); both give the same matrices
    (optimizer/solve/matrix.py, tests/test_handoff.py)."""
    from optimizer.solve import matrix

    sf = matrix.from_terms(ctx) if route == "terms" else matrix.from_pyomo(ctx)
    n_row, n_col = sf.A.shape
    # sense +1: <= rhs; -1: >= rhs; 0: == rhs
    row_lower = np.where(sf.senses == 1, -INF, sf.rhs)
    row_upper = np.where(sf.senses == -1, INF, sf.rhs)
    A = sf.A

    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = sf.c
    lp.col_lower_ = np.where(np.isinf(sf.lower), -INF, sf.lower)
    lp.col_upper_ = np.where(np.isinf(sf.upper), INF, sf.upper)
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.offset_ = sf.offset
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(float)
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    if sf.integer.any():
        lp.integrality_ = [highspy.HighsVarType(int(i)) for i in sf.integer]
    return Compiled(
        lp=lp,
        A=A,
        col_block=sf.col_block,
        row_family=sf.row_family,
        nnz=int(A.nnz),
        coef_range=_range(A.data),
        rhs_range=_range(sf.rhs),
        cost_range=_range(sf.c),
    )


_STATUS = {
    "kOptimal": "optimal",
    "kTimeLimit": "time_limit",
    "kInfeasible": "infeasible",
    "kUnbounded": "unbounded",
    "kUnboundedOrInfeasible": "infeasible_or_unbounded",
    "kIterationLimit": "iteration_limit",
    "kInterrupt": "interrupted",
    "kHighsInterrupt": "interrupted",
    "kSolutionLimit": "solution_limit",
    "kObjectiveBound": "objective_bound",
    "kMemoryLimit": "memory_limit",
    "kModelEmpty": "optimal",
}


def new_highs() -> highspy.Highs:
    """A Highs instance without the copyright banner HiGHS prints on stdout once per process
    (it would break -q and machine-readable output); the version goes into summary.json."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return h


def solve(ctx: ModelContext, compiled: Compiled, options: SolverOptions) -> Solution:
    """Solve the compiled LP/MIP and map the solution back to blocks and families; the HiGHS
    instance is gone on return, and the memory it freed goes back to the OS (solve/memory.py),
    so what comes after (extract, report) does not add to it."""
    try:
        return _solve(ctx, compiled, options)
    finally:
        release_freed_memory()


def _solve(ctx: ModelContext, compiled: Compiled, options: SolverOptions) -> Solution:
    h = new_highs()
    h.setOptionValue("output_flag", bool(options.log_to_console or options.solver_log))
    h.setOptionValue("log_to_console", bool(options.log_to_console))
    if options.solver_log:
        h.setOptionValue("log_file", str(options.solver_log))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    if options.mip_gap is not None:
        h.setOptionValue("mip_rel_gap", float(options.mip_gap))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    _set_extra(h, options.extra)
    h.passModel(compiled.lp)
    is_mip = compiled.lp.num_col_ > 0 and len(compiled.lp.integrality_) > 0
    if is_mip:  # live progress, and a prompt stop on a signal
        run_mip(h, for_console(ctx.scale.usd))
    else:
        h.run()

    status_enum = h.getModelStatus()
    name = status_enum.name if hasattr(status_enum, "name") else str(status_enum).split(".")[-1]
    status = _STATUS.get(name, "error")
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    gap = None
    if is_mip and has_solution:
        gap = float(info.mip_gap) if math.isfinite(info.mip_gap) else None
    sol = Solution(
        status=status,
        termination=h.modelStatusToString(status_enum),
        has_solution=bool(has_solution) or (status == "optimal"),
        objective=float(info.objective_function_value) if has_solution else math.nan,
        mip_gap=gap if is_mip else (0.0 if status == "optimal" else None),
        units={name: b.unit for name, b in ctx.blocks.items()},
        solver_version=f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}",
    )
    if not sol.has_solution:
        return sol
    s = h.getSolution()
    col_value = np.asarray(s.col_value, dtype=float)
    row_dual = np.asarray(s.row_dual, dtype=float) if s.dual_valid else None
    if is_mip:
        loose = [compiled.col_block[n] for n, b in ctx.blocks.items() if b.tightening_ub]
        loose = np.concatenate(loose) if loose else np.zeros(0, dtype=np.int64)
        row_dual = _fixed_lp_duals(h, compiled.lp, col_value, loose[loose >= 0])
    # HiGHS's working memory goes before the mapping below allocates (L: the peak of a run was
    # the solve's memory plus this, 475 MiB, against 418 MiB through the solve)
    del s, h
    release_freed_memory()
    for name, cols in compiled.col_block.items():
        x = np.zeros(len(cols))
        ok = cols >= 0
        x[ok] = col_value[cols[ok]]
        # a variable the compiler eliminated appears nowhere: its lower bound is its value
        lbs = ctx.blocks[name].lb[~ok]
        x[~ok] = np.where(np.isinf(lbs), 0.0, lbs)
        sol.x[name] = x
    row_size = abs(compiled.A) @ np.abs(col_value) if compiled.A.shape[0] else np.zeros(0)
    for name, rows in compiled.row_family.items():
        # no duals (e.g. the fixed LP of a MIP failed): NaN, never a made-up 0
        d = np.zeros(len(rows)) if row_dual is not None else np.full(len(rows), np.nan)
        size = np.zeros(len(rows))
        ok = rows >= 0
        if row_dual is not None:
            d[ok] = row_dual[rows[ok]]
        size[ok] = row_size[rows[ok]]
        sol.duals[name] = d
        sol.sizes[name] = size
    return sol


def _set_extra(h: highspy.Highs, extra: dict[str, object]) -> None:
    """The --solver-option values (checked before loading; a caller's unchecked value that
    HiGHS refuses is still a usage error, never silently ignored)."""
    from optimizer.solve.highs_options import as_text

    for key, value in extra.items():
        if h.setOptionValue(key, as_text(value)) != highspy.HighsStatus.kOk:
            raise UsageError(f"--solver-option {key}={as_text(value)}: refused by HiGHS")


def _fixed_lp_duals(
    h: highspy.Highs, lp: highspy.HighsLp, col_value: np.ndarray, loose: np.ndarray
):
    """Duals of an integer plan: re-solve the LP with the integer decisions fixed (as GenX does),
    and the MIP-only tightening bounds of the `loose` columns dropped."""
    cols = np.flatnonzero([int(v) == 1 for v in lp.integrality_]).astype(np.int32)
    if cols.size == 0:
        return None
    fixed = np.round(col_value[cols])
    h.changeColsIntegrality(len(cols), cols, np.full(len(cols), highspy.HighsVarType.kContinuous))
    h.changeColsBounds(len(cols), cols, fixed, fixed)
    if loose.size:
        lower = np.asarray(lp.col_lower_, dtype=float)[loose]
        h.changeColsBounds(len(loose), loose.astype(np.int32), lower, np.full(len(loose), INF))
    # HiGHS counts run time across runs of one instance: after a time-limited MIP the fixed LP
    # would stop at once without duals
    h.setOptionValue("time_limit", highspy.kHighsInf)
    h.run()
    s = h.getSolution()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal or not s.dual_valid:
        return None
    return np.asarray(s.row_dual, dtype=float)
