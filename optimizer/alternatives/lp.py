"""The least-cost LP as picklable arrays, and one near-optimal solve of it (a worker's job).

A worker gets the LP's arrays (highspy objects do not pickle), adds the cost row
`sum(cost) <= (1 + slack) x C*`, swaps the objective for +-(an item's total), warm-starts from
the least-cost basis (HiGHS `setBasis`: the least-cost vertex stays primal feasible under the
new row, so the primal simplex starts from it), and returns the primal values. The same code
runs in a local process pool and on a Dask worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from optimizer.solve.highs import INF, Compiled, new_highs

# weight of the total cost (model money units) in every swapped objective: among plans equally
# good for the item it picks the cheapest, so nothing the least-cost plan would never do (draw a
# tranche beyond the funding, buy unused energy) appears just because the slack pays for it;
# 1e-6 x a cost of 1e6 model units ($1T) weighs 1 model unit of the item ($1M or 1,000 wspm)
TIE_BREAK = 1e-6


@dataclass(frozen=True)
class LpArrays:
    """A HighsLp as numpy arrays (column-wise matrix)."""

    col_cost: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray

    @classmethod
    def of(cls, compiled: Compiled) -> LpArrays:
        lp = compiled.lp
        m = lp.a_matrix_
        return cls(
            *(
                np.asarray(a, dtype=float)
                for a in (lp.col_cost_, lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_)
            ),
            np.asarray(m.start_, dtype=np.int32),
            np.asarray(m.index_, dtype=np.int32),
            np.asarray(m.value_, dtype=float),
        )

    def highs_lp(self) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        lp.num_col_ = len(self.col_cost)
        lp.num_row_ = len(self.row_lower)
        lp.col_cost_ = self.col_cost
        lp.col_lower_ = self.col_lower
        lp.col_upper_ = self.col_upper
        lp.row_lower_ = self.row_lower
        lp.row_upper_ = self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = self.start
        lp.a_matrix_.index_ = self.index
        lp.a_matrix_.value_ = self.value
        lp.a_matrix_.num_col_ = lp.num_col_
        lp.a_matrix_.num_row_ = lp.num_row_
        return lp


@dataclass(frozen=True)
class Basis:
    """HiGHS basis statuses as ints (picklable)."""

    cols: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True)
class CostCap:
    """The row sum(coefs x columns) <= upper (model money units)."""

    cols: np.ndarray
    coefs: np.ndarray
    upper: float


@dataclass(frozen=True)
class Task:
    """Minimise sum(obj_coefs x obj_cols) under the cost cap (a maximum: coefs negated)."""

    key: tuple[str, str]  # (item, "min" | "max"), or ("", "least_cost" | "different")
    lp: LpArrays
    obj_cols: np.ndarray | None  # None: keep the LP's own cost (the least-cost solve)
    obj_coefs: np.ndarray | None
    cap: CostCap | None
    basis: Basis | None = None
    time_limit: float | None = None
    delivery: CostCap | None = None  # --keep-delivery: unmet GPUs <= the least-cost plan's


@dataclass
class Outcome:
    key: tuple[str, str]
    status: str  # "optimal" or the HiGHS model status
    x: np.ndarray | None
    basis: Basis | None = None
    warm: bool = False  # the warm start was accepted
    error: str = ""


def run_task(task: Task) -> Outcome:
    """Solve one task; never raises for a solver failure (the outcome says it)."""
    try:
        return _run(task)
    except Exception as e:  # a worker's failure is the task's outcome
        return Outcome(task.key, "error", None, error=f"{type(e).__name__}: {e}")


def _run(task: Task) -> Outcome:
    h = new_highs()
    h.setOptionValue("output_flag", False)
    if task.time_limit is not None:
        h.setOptionValue("time_limit", float(task.time_limit))
    h.passModel(task.lp.highs_lp())
    extra = [r for r in (task.cap, task.delivery) if r is not None]
    for c in extra:
        h.addRow(-INF, float(c.upper), len(c.cols), c.cols.astype(np.int32), c.coefs)
    if task.obj_cols is not None:
        n = len(task.lp.col_cost)
        cost = np.zeros(n)
        np.add.at(cost, task.obj_cols, task.obj_coefs)
        if task.cap is not None:  # ties go to the cheaper plan (no costly slack, e.g. overdrawn
            np.add.at(cost, task.cap.cols, TIE_BREAK * task.cap.coefs)  # tranches)
        h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
    warm = False
    if task.basis is not None:
        warm = _set_basis(h, task.basis, extra_rows=len(extra))
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return Outcome(task.key, h.modelStatusToString(status), None, warm=warm)
    x = np.asarray(h.getSolution().col_value, dtype=float)
    b = h.getBasis()
    basis = None
    if b.valid:
        basis = Basis(
            np.array([int(s) for s in b.col_status], dtype=np.int8),
            np.array([int(s) for s in b.row_status], dtype=np.int8),
        )
    return Outcome(task.key, "optimal", x, basis, warm)


def _set_basis(h: highspy.Highs, basis: Basis, extra_rows: int) -> bool:
    """Start from `basis`, the added rows basic; False when HiGHS refuses it (cold start)."""
    b = highspy.HighsBasis()
    b.col_status = [highspy.HighsBasisStatus(int(s)) for s in basis.cols]
    rows = list(basis.rows) + [int(highspy.HighsBasisStatus.kBasic)] * extra_rows
    b.row_status = [highspy.HighsBasisStatus(int(s)) for s in rows]
    b.valid = True
    return h.setBasis(b) == highspy.HighsStatus.kOk
