"""Shared machinery for the model modules: variable blocks, constraint families and cost terms.

Every variable block and constraint family is indexed by a plain integer range whose rows are
described by a pandas DataFrame (the sparse index set derived from the data). Modules build
their terms as vectorised DataFrames (row, block, pos, coef); this module keeps them as numpy
arrays (bounds and integrality per block, sorted terms, rhs and sense per family, cost terms),
which is all the solve reads (optimizer/solve/matrix.py). The Pyomo model is the same statement
in Pyomo's terms, built from those arrays only when asked for (`ModelContext.pyomo()`,
optimizer/model/pyomo_model.py): at L its Var and Constraint objects cost ~240 MiB and ~1.5 s that
a plain solve never uses, and a plain solve then never imports Pyomo.

Internal units keep HiGHS's coefficient range narrow (see `Scale`); values are converted back to
domain units (USD, wspm, wafers, GPUs, MWh) when results are extracted.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from optimizer.inputs.case import Case
from optimizer.model.registry import Family, family

if TYPE_CHECKING:
    import pyomo.environ as pyo


@dataclass(frozen=True)
class Scale:
    """Size of one model unit in domain units (e.g. one model money unit is 1e6 USD)."""

    usd: float = 1e6  # money: million USD
    wspm: float = 1e3  # capacity: thousand wafer starts per month
    wafers: float = 1e3  # production: thousand wafers per year
    gpus: float = 1e3  # demand: thousand GPUs
    mwh: float = 1e3  # energy: GWh
    mw: float = 1.0  # contracted capacity: MW

    @property
    def units(self) -> dict[str, float]:
        """Domain units per model unit, by the unit label of a constraint family."""
        return {
            "wspm": self.wspm,
            "USD": self.usd,
            "wafer": self.wafers,
            "GPU": self.gpus,
            "MWh": self.mwh,
            "MW": self.mw,
            "site-year": 1.0,
            "unit": self.gpus,  # stage units (dies, interposers, stacks): counted like GPUs
            "tool": 1.0,  # tool supply rows (tools.csv): whole tools, unscaled
        }


@dataclass
class ModelOptions:
    integer: bool = False
    # diagnosis: every hard constraint gets a penalised slack, so an infeasible case solves and
    # the slacks say which limits, by how much, would have to move
    elastic: bool = False
    # risk aversion: minimise (1-risk_weight) E[cost] + risk_weight CVaR_alpha(cost)
    cvar_alpha: float | None = None
    risk_weight: float = 0.0
    # second pass of a pure-CVaR plan (risk_weight 1): CVaR held at most this (model money
    # units) while the expected cost is minimised, so operations outside the tail stay sensible
    cvar_cap: float | None = None


RISK_COMPONENTS = ("cvar", "elastic_penalty")
ELASTIC_PENALTY = 1e6  # model money units per model unit of violation


@dataclass
class VarBlock:
    """One variable per row of `index`, its bounds as arrays: the hand-off reads these, and a
    hedged evaluation fixes decisions by setting them (`ModelContext.fix`)."""

    name: str
    index: pd.DataFrame  # one row per variable, domain keys as columns
    unit: float  # domain units per model unit
    lb: np.ndarray  # lower bounds in model units, -inf: none
    ub: np.ndarray  # upper bounds in model units, +inf: none
    integer: bool = False
    # the upper bound only tightens the MIP (a valid inequality, not a limit of the data): it is
    # dropped in the LP that prices an integer plan, so it cannot shift the duals
    tightening_ub: bool = False
    # the year each variable is decided (a first-stage block whose index has no `year` column
    # says it here; NaN: not a decision of its own, e.g. a total): what a stage_year splits into
    # decide-now and decide-later (optimizer/model/nonanticipativity.py)
    decided: np.ndarray | None = field(default=None, repr=False)
    # set only once the Pyomo model is built (ModelContext.pyomo()): the Var and its VarData
    # objects in index order (object array)
    component: pyo.Var | None = field(default=None, repr=False)
    objects: np.ndarray | None = field(default=None, repr=False)
    # the bounds were given as scalars: the Pyomo Var gets them as component bounds, as before
    uniform: bool = field(default=False, repr=False)

    @property
    def size(self) -> int:
        return len(self.lb)


@dataclass
class ConFamily:
    """The rows of one declared family (registry.Family) as built for this case."""

    meta: Family
    index: pd.DataFrame  # one row per constraint row, domain keys as columns
    sense: str  # "<=", ">=", "=="
    rhs: np.ndarray  # in model units
    rhs_unit: float  # domain units per model unit of the right-hand side (for shadow prices)
    # set only once the Pyomo model is built (ModelContext.pyomo()); None for an empty family
    component: pyo.Constraint | None = field(default=None, repr=False)
    # the terms sorted by row (row, block, pos, coef arrays): the matrix hand-off reads them
    # (optimizer/solve/matrix.py) instead of walking the Pyomo expressions
    terms: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def limit(self) -> bool:
        """A limit users could relax (shown in binding.csv); False: a balance row."""
        return self.meta.kind == "limit"

    @property
    def unit_label(self) -> str:
        return self.meta.unit

    def describe(self, row) -> str:
        """The plain meaning of one row."""
        return self.meta.binding(row)


@dataclass
class ModelContext:
    """Everything the modules share while building and, later, extracting results."""

    case: Case
    scenarios: dict[str, float]  # scenario -> probability
    options: ModelOptions = field(default_factory=ModelOptions)
    scale: Scale = field(default_factory=Scale)
    blocks: dict[str, VarBlock] = field(default_factory=dict)
    families: dict[str, ConFamily] = field(default_factory=dict)
    costs: list[tuple[str, str, np.ndarray, np.ndarray]] = field(default_factory=list)
    data: dict[str, object] = field(default_factory=dict)  # prepared frames shared by modules
    # ("var" | "con", name) in the order the modules added them: the Pyomo model declares its
    # components in this order, as it did when it was built eagerly
    declared: list[tuple[str, str]] = field(default_factory=list, repr=False)
    _model: pyo.ConcreteModel | None = field(default=None, repr=False)

    # ---- the Pyomo statement of the model, on demand ----------------------------------------
    def pyomo(self) -> pyo.ConcreteModel:
        """The Pyomo model (Vars, Constraints, Objective), built from the arrays on first use:
        for the compiler route of the hand-off, tests and users who inspect it."""
        if self._model is None:
            from optimizer.model.pyomo_model import materialise

            self._model = materialise(self)
        return self._model

    @property
    def model(self) -> pyo.ConcreteModel:
        """Same as `pyomo()` (the name the eager model had)."""
        return self.pyomo()

    def fix(self, block: str, values: np.ndarray) -> None:
        """Fix every variable of `block` at `values` (model units) by setting both bounds, in the
        arrays and, if it was built already, in the Pyomo model; a NaN value leaves that variable
        free (a staged evaluation fixes only the decide-now part of a plan)."""
        b = self.blocks[block]
        values = np.asarray(values, dtype=float)
        fixed = ~np.isnan(values)
        b.lb = np.where(fixed, values, b.lb)
        b.ub = np.where(fixed, values, b.ub)
        b.uniform = False
        if b.objects is not None:
            for v, x in zip(b.objects[fixed], values[fixed].tolist(), strict=True):
                v.setlb(x)
                v.setub(x)

    # ---- time value -------------------------------------------------------------------------
    @property
    def years(self) -> list[int]:
        return self.case.years

    def df(self, years) -> np.ndarray:
        """Discount factor 1/(1+r)^(year-first_year) for an array of years."""
        p = self.case.params
        return 1.0 / (1.0 + p.discount_rate) ** (np.asarray(years, dtype=float) - p.first_year)

    def prob(self, scenarios) -> np.ndarray:
        return pd.Series(scenarios).map(self.scenarios).to_numpy(dtype=float)

    # ---- building blocks --------------------------------------------------------------------
    def add_vars(
        self,
        name: str,
        index: pd.DataFrame,
        unit: float,
        lb: float | np.ndarray = 0.0,
        ub: float | np.ndarray | None = None,
        integer: bool = False,
        decided: float | np.ndarray | None = None,
    ) -> VarBlock:
        """Add a variable block with one variable per row of `index` (bounds in model units);
        `decided`: the year each variable is decided, for a first-stage block without a `year`
        column (NaN: never decided on its own, e.g. a total of other decisions)."""
        index = index.reset_index(drop=True)
        n = len(index)
        uniform = np.ndim(lb) == 0 and (ub is None or np.ndim(ub) == 0)
        lbs = np.broadcast_to(np.asarray(lb, dtype=float), (n,)).copy()
        ubs = np.broadcast_to(np.asarray(np.inf if ub is None else ub, dtype=float), (n,)).copy()
        block = VarBlock(name, index, unit, lbs, ubs, integer=integer, uniform=uniform)
        if decided is not None:
            block.decided = np.broadcast_to(np.asarray(decided, dtype=float), (n,)).copy()
        self.blocks[name] = block
        self.declared.append(("var", name))
        return block

    def add_constraints(
        self,
        name: str,
        index: pd.DataFrame,
        terms: pd.DataFrame,
        sense: str,
        rhs: float | np.ndarray,
    ) -> ConFamily:
        """Add one constraint per row of `index`: sum(coef * var) `sense` rhs.

        `name` is a family declared in the registry, which gives its unit, kind and whether
        the elastic diagnosis may relax it. `terms` has columns row (position in `index`),
        block (variable block name), pos (position in that block) and coef (model units).
        """
        meta = family(name)
        index = index.reset_index(drop=True)
        n = len(index)
        rhs_arr = np.broadcast_to(np.asarray(rhs, dtype=float), (n,)).copy()
        fam = ConFamily(meta, index, sense, rhs_arr, self.scale.units[meta.unit])
        self.families[name] = fam
        if n == 0:
            return fam
        if self.options.elastic and meta.elastic:
            terms = pd.concat([terms, self._elastic_terms(name, index, sense)])
        rows = terms["row"].to_numpy(dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        rows = rows[order]
        coefs = terms["coef"].to_numpy(dtype=float)[order]
        blocks = terms["block"].to_numpy()[order]
        pos = terms["pos"].to_numpy(dtype=np.int64)[order]
        fam.terms = (rows, blocks, pos, coefs)
        self.declared.append(("con", name))
        starts = np.searchsorted(rows, np.arange(n + 1))
        empty = np.flatnonzero(starts[:-1] == starts[1:])
        if len(empty):
            bad = [i for i in empty.tolist() if not _holds(0.0, sense, float(rhs_arr[i]))]
            if bad:
                raise TrivialInfeasibility(fam, bad)
        return fam

    def extend_constraints(self, name: str, terms: pd.DataFrame) -> None:
        """Add terms to rows of a family an earlier concern built (rows by position in its
        index): a later concern's columns that feed an existing balance (bought wafers into the
        stage balance, optimizer/model/offers.py), without the earlier concern knowing them."""
        fam = self.families[name]
        if terms.empty:
            return
        if fam.terms is None:
            raise ValueError(f"family {name} has no terms to extend")
        old = fam.terms
        rows = np.concatenate([old[0], terms["row"].to_numpy(dtype=np.int64)])
        blocks = np.concatenate([old[1], terms["block"].to_numpy()])
        pos = np.concatenate([old[2], terms["pos"].to_numpy(dtype=np.int64)])
        coefs = np.concatenate([old[3], terms["coef"].to_numpy(dtype=float)])
        order = np.argsort(rows, kind="stable")
        fam.terms = (rows[order], blocks[order], pos[order], coefs[order])

    def _elastic_terms(self, name: str, index: pd.DataFrame, sense: str) -> pd.DataFrame:
        """Slack variables that let each row of `name` be violated at a penalty."""
        n = len(index)
        parts = []
        for direction, coef, applies in (("over", -1.0, "<="), ("under", 1.0, ">=")):
            if sense in (applies, "=="):
                block = f"slack_{direction}_{name}"
                self.add_vars(block, index, 1.0)
                self.add_cost("elastic_penalty", block, np.arange(n), np.full(n, ELASTIC_PENALTY))
                parts.append(terms_frame(np.arange(n), block, np.arange(n), coef))
        return pd.concat(parts)

    def add_cost(self, component: str, block: str, pos: np.ndarray, coef: np.ndarray) -> None:
        """Register objective terms (model money units per model unit of the variable)."""
        pos = np.asarray(pos, dtype=np.int64)
        coef = np.asarray(coef, dtype=float)
        keep = coef != 0.0
        self.costs.append((component, block, pos[keep], coef[keep]))

    def cost_weight(self, component: str) -> float:
        """Objective weight of a cost component: expected-cost terms are scaled by 1-risk_weight
        when CVaR is in the objective; the risk terms carry their own weights."""
        if component in RISK_COMPONENTS or self.options.cvar_alpha is None:
            return 1.0
        return 1.0 - self.options.risk_weight

    def scenario_of(self, block: str, pos: np.ndarray) -> np.ndarray | None:
        """Scenario of each variable of a second-stage block (None for first-stage blocks)."""
        index = self.blocks[block].index
        if "scenario" not in index.columns:
            return None
        return index["scenario"].to_numpy()[pos]

    def objective_weight(self, component: str) -> float:
        """Weight in the solver's objective: the declared one (cost_weight), except in the
        second pass of a pure-CVaR plan, which minimises the expected cost under a CVaR cap."""
        if self.options.cvar_cap is not None:
            return 0.0 if component in RISK_COMPONENTS else 1.0
        return self.cost_weight(component)


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off for a block (as Pyomo's PauseGC, without importing
    Pyomo): building or reading ~1M small objects would trigger many full collections."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _holds(lhs: float, sense: str, rhs: float, tol: float = 1e-9) -> bool:
    if sense == "<=":
        return lhs <= rhs + tol
    if sense == ">=":
        return lhs >= rhs - tol
    return abs(lhs - rhs) <= tol


class TrivialInfeasibility(Exception):
    """A constraint with no variables that is false for the data: the input cannot work."""

    def __init__(self, family: ConFamily, rows: list[int]):
        self.family = family
        self.rows = rows
        super().__init__(f"{family.name}: {len(rows)} rows infeasible before solving")


def terms_frame(row, block: str, pos, coef) -> pd.DataFrame:
    """Build a terms DataFrame for `ModelContext.add_constraints`."""
    row = np.asarray(row, dtype=np.int64)
    # one shared str object in every cell (np.full would make a new str per term: ~40 MiB at L)
    names = np.empty(len(row), dtype=object)
    names.fill(block)
    return pd.DataFrame(
        {
            "row": row,
            "block": names,
            "pos": np.asarray(pos, dtype=np.int64),
            "coef": np.broadcast_to(np.asarray(coef, dtype=float), (len(row),)),
        }
    )
