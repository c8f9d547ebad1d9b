"""The LP in standard (mixed) form, two routes to the same matrices.

`from_terms` builds the CSC matrix straight from the term arrays every constraint family keeps
(`ConFamily.terms`) and the objective's cost terms, with numpy only: no walk over Pyomo
expressions, which dominated the hand-off at M and L, and no Pyomo model at all (bounds and
integrality come from the blocks' arrays). `from_pyomo` is Pyomo's LinearStandardFormCompiler on
the Pyomo model built from the same arrays on demand (`ModelContext.pyomo()`), the statement
tests and users read; tests/test_handoff.py checks that both routes give identical matrices,
and `from_terms` reproduces the compiler's conventions to make that hold:
whole variable blocks in order of first appearance (objective first, then rows in family
order), columns with no nonzero anywhere dropped, duplicate terms summed, zero entries dropped
from the matrix (a zero term still places its block), rows without terms skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizer.model.context import ModelContext

SENSE = {"<=": 1, ">=": -1, "==": 0}  # the compiler's row senses: +1 <=, -1 >=, 0 ==


@dataclass
class CscMatrix:
    """A compressed-sparse-column matrix in plain numpy (what highspy takes), with the two
    operations the solve needs: no scipy import (about a second of every run's start-up)."""

    shape: tuple[int, int]
    indptr: np.ndarray
    indices: np.ndarray  # row of each entry, ascending within a column
    data: np.ndarray

    @property
    def nnz(self) -> int:
        return len(self.data)

    def __abs__(self) -> CscMatrix:
        return CscMatrix(self.shape, self.indptr, self.indices, np.abs(self.data))

    def __matmul__(self, x: np.ndarray) -> np.ndarray:
        """A @ x for a vector x."""
        cols = np.repeat(np.arange(self.shape[1]), np.diff(self.indptr))
        return np.bincount(self.indices, weights=self.data * x[cols], minlength=self.shape[0])

    def sort_indices(self) -> None:
        """Already sorted (the scipy method's name, so tests compare both kinds alike)."""


def _csc(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, shape: tuple[int, int]) -> CscMatrix:
    """Triplets to CSC: duplicates summed in their order, zero entries dropped."""
    order = np.lexsort((rows, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    new = np.ones(len(rows), dtype=bool)
    new[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    start = np.flatnonzero(new)
    summed = np.add.reduceat(vals, start) if len(start) else vals[:0]
    rows, cols = rows[start], cols[start]
    keep = summed != 0.0
    rows, cols, summed = rows[keep], cols[keep], summed[keep]
    indptr = np.zeros(shape[1] + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=shape[1]), out=indptr[1:])
    return CscMatrix(shape, indptr, rows.astype(np.int64), summed.astype(float))


@dataclass
class StandardForm:
    """min c'x + offset  s.t.  A x (sense) rhs, lower <= x <= upper."""

    A: CscMatrix  # or scipy's csc_matrix from the Pyomo route: same attributes
    c: np.ndarray
    offset: float
    rhs: np.ndarray
    senses: np.ndarray  # per row: +1 <=, -1 >=, 0 ==
    lower: np.ndarray  # -inf where unbounded
    upper: np.ndarray  # +inf where unbounded
    integer: np.ndarray  # bool per column
    col_block: dict[str, np.ndarray]  # block -> column of each variable (-1: in no row)
    row_family: dict[str, np.ndarray]  # family -> row of each constraint (-1: skipped)


def from_terms(ctx: ModelContext) -> StandardForm:
    """The standard form from the term arrays (numpy/scipy only, no Pyomo expressions)."""
    names = list(ctx.blocks)
    sizes = np.array([ctx.blocks[n].size for n in names], dtype=np.int64)
    base = dict(zip(names, np.concatenate([[0], np.cumsum(sizes)[:-1]]).tolist(), strict=True))
    n_var = int(sizes.sum())

    # objective: one (variable, coef) per cost term, in the order the objective lists them
    obj_key, obj_coef = [], []
    for component, block, pos, coef in ctx.costs:
        obj_key.append(base[block] + pos)
        obj_coef.append(coef * ctx.objective_weight(component))
    obj_key = np.concatenate(obj_key) if obj_key else np.zeros(0, dtype=np.int64)
    obj_coef = np.concatenate(obj_coef) if obj_coef else np.zeros(0)

    # rows: every family in the order its component was added, each row's terms in order
    row_key, row_id, row_coef, rhs, senses = [], [], [], [], []
    row_family: dict[str, np.ndarray] = {}
    n_row = 0
    for name, fam in ctx.families.items():
        idx = np.full(len(fam.index), -1, dtype=np.int64)
        if fam.terms is not None:
            rows, blocks, pos, coefs = fam.terms
            keys = pos + _block_offsets(blocks, base)
            used = np.unique(rows)  # a row without terms was skipped (Constraint.Skip)
            idx[used] = n_row + np.arange(len(used))
            row_key.append(keys)
            row_id.append(idx[rows])
            row_coef.append(coefs)
            rhs.append(fam.rhs[used])
            senses.append(np.full(len(used), SENSE[fam.sense], dtype=np.int64))
            n_row += len(used)
        row_family[name] = idx
    row_key = np.concatenate(row_key) if row_key else np.zeros(0, dtype=np.int64)
    row_id = np.concatenate(row_id) if row_id else np.zeros(0, dtype=np.int64)
    row_coef = np.concatenate(row_coef) if row_coef else np.zeros(0)

    # columns: whole blocks in the order a member first appears (the compiler records an indexed
    # variable's every member when it meets the first one), then only those with a nonzero
    seen = np.concatenate([obj_key, row_key])
    block_of = np.repeat(np.arange(len(names)), sizes)
    first = np.full(len(names), len(seen), dtype=np.int64)
    np.minimum.at(first, block_of[seen], np.arange(len(seen)))
    met = [k for k in np.argsort(first, kind="stable").tolist() if first[k] < len(seen)]
    order = np.concatenate(
        [np.arange(base[names[k]], base[names[k]] + sizes[k]) for k in met] or [np.zeros(0, int)]
    ).astype(np.int64)
    col_of = np.full(n_var, -1, dtype=np.int64)
    col_of[order] = np.arange(len(order))
    n_appear = len(order)
    c = np.bincount(col_of[obj_key], weights=obj_coef, minlength=n_appear)
    A = _csc(row_id, col_of[row_key], row_coef, (n_row, n_appear))
    active = (np.diff(A.indptr) > 0) | (c != 0.0)
    if not active.all():  # columns whose entries are all zero (or sum to zero) go
        order = order[active]
        c = c[active]
        col_of[:] = -1
        col_of[order] = np.arange(len(order))
        cols = col_of[row_key]
        ok = cols >= 0
        A = _csc(row_id[ok], cols[ok], row_coef[ok], (n_row, len(order)))
    col_block = {
        n: col_of[base[n] : base[n] + s] for n, s in zip(names, sizes.tolist(), strict=True)
    }

    lower, upper = _bounds(ctx, names, order)
    # one domain per block (ModelContext.add_vars)
    block_integer = np.array([ctx.blocks[n].integer for n in names], dtype=bool)
    return StandardForm(
        A=A,
        c=c,
        offset=0.0,
        rhs=np.concatenate(rhs) if rhs else np.zeros(0),
        senses=np.concatenate(senses) if senses else np.zeros(0, dtype=np.int64),
        lower=lower,
        upper=upper,
        integer=block_integer[block_of[order]] if len(order) else np.zeros(0, dtype=bool),
        col_block=col_block,
        row_family=row_family,
    )


def _bounds(
    ctx: ModelContext, names: list[str], order: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the columns as the blocks' arrays hold them now (a hedged evaluation fixes
    some by setting both), infinite where there is none (the Pyomo model's None)."""
    if not names:
        return np.zeros(0), np.zeros(0)
    lower = np.concatenate([ctx.blocks[n].lb for n in names])[order]
    upper = np.concatenate([ctx.blocks[n].ub for n in names])[order]
    # Pyomo holds any infinite bound as None, which the compiler route reads as -inf / +inf
    lower[np.isinf(lower) | np.isnan(lower)] = -np.inf
    upper[np.isinf(upper) | np.isnan(upper)] = np.inf
    return lower, upper


def _block_offsets(blocks: np.ndarray, base: dict[str, int]) -> np.ndarray:
    """Offset of each term's block in the global variable numbering."""
    out = np.empty(len(blocks), dtype=np.int64)
    for name in set(blocks.tolist()):
        out[blocks == name] = base[name]
    return out


def from_pyomo(ctx: ModelContext) -> StandardForm:
    """The standard form from Pyomo's LinearStandardFormCompiler (mixed form: no row doubling)."""
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    repn = LinearStandardFormCompiler().write(ctx.pyomo(), mixed_form=True)
    columns = repn.columns
    col_pos = {id(v): j for j, v in enumerate(columns)}
    col_block = {
        name: np.fromiter(
            (col_pos.get(id(v), -1) for v in b.objects), dtype=np.int64, count=len(b.objects)
        )
        for name, b in ctx.blocks.items()
    }
    row_pos = {id(con): i for i, (con, _sense) in enumerate(repn.rows)}
    row_family = {}
    for name, fam in ctx.families.items():
        idx = np.full(len(fam.index), -1, dtype=np.int64)
        if fam.component is not None:
            for i, con in fam.component.items():
                idx[i] = row_pos.get(id(con), -1)
        row_family[name] = idx
    n_col, n_row = len(columns), len(repn.rows)
    return StandardForm(
        A=repn.A.tocsc(),
        c=repn.c.toarray().ravel() if n_col else np.zeros(0),
        offset=float(repn.c_offset[0]) if len(repn.c_offset) else 0.0,
        rhs=np.asarray(repn.rhs, dtype=float),
        senses=np.fromiter((s for _c, s in repn.rows), dtype=np.int64, count=n_row),
        lower=np.array([-np.inf if v.lb is None else v.lb for v in columns], dtype=float),
        upper=np.array([np.inf if v.ub is None else v.ub for v in columns], dtype=float),
        integer=np.array([v.is_integer() for v in columns], dtype=bool),
        col_block=col_block,
        row_family=row_family,
    )
