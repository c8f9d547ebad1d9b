"""The extensive form of a staged hedged plan: one model copy per scenario, stacked and tied.

Each copy is the model of a one-scenario plan (probability 1), so every concern builds it as it
always does and extracts its tables in that scenario's terms. The stacked model HiGHS solves has
every copy's blocks and families under the names `name@scenario`, every copy's cost terms times
the scenario's probability (so the objective is the expected cost), and the non-anticipativity
rows (optimizer/model/nonanticipativity.py) tying each decide-now variable of every copy to the
first copy's. Decide-now variables are matched by their keys, not by position, so copies whose
sparse index sets differ still tie exactly; a decide-now key one copy lacks is held at zero in the
copies that have it (the copy without it cannot take that decision).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from optimizer.inputs import Case
from optimizer.model import ModelContext, ModelOptions, build_model, risk
from optimizer.model.context import ConFamily, paused_gc, terms_frame
from optimizer.model.nonanticipativity import NONANTICIPATIVITY, decided_before

SEP = "@"  # block and family names of a copy in the stacked model: name@scenario


def stacked_name(name: str, scenario: str) -> str:
    return f"{name}{SEP}{scenario}"


@dataclass
class StackedContext(ModelContext):
    """The stacked model HiGHS solves, with what it stacks: the copies (scenario -> its
    one-scenario model), the stage year and the decide-now mask of each first-stage block (in
    the first copy). Every block of copy w is scenario w's (its first-stage blocks too), so the
    risk concern's scenario costs (risk.scenario_cost_terms) are each copy's whole cost."""

    stage_year: int = 0
    copies: dict[str, ModelContext] = field(default_factory=dict)
    now: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def first(self) -> str:
        return next(iter(self.copies))

    def scenario_of(self, block: str, pos: np.ndarray) -> np.ndarray | None:
        if SEP not in block:
            return super().scenario_of(block, pos)
        return np.full(len(pos), block.rsplit(SEP, 1)[1], dtype=object)


def build_for(case: Case, options: ModelOptions) -> ModelContext:
    """The model a case's scenarios get: under a stage year inside the horizon with several
    scenarios the stacked extensive form, else the one model over all of them."""
    if case.params.staged(len(case.scenarios)):
        return build_staged(case, options, int(case.params.stage_year))
    return build_model(case, case.scenario_probabilities, options)


def build_staged(case: Case, options: ModelOptions, stage_year: int) -> StackedContext:
    """Build one copy per scenario of `case` and stack them with non-anticipativity rows."""
    probabilities = case.scenario_probabilities
    # the copies are risk-neutral: CVaR spans the scenarios, so it is added once, stacked
    neutral = replace(options, cvar_alpha=None, risk_weight=0.0, cvar_cap=None)
    copies = {
        w: build_model(case.for_scenarios({w: 1.0}), {w: 1.0}, neutral) for w in probabilities
    }
    first = next(iter(copies))
    stacked = StackedContext(
        case=case,
        scenarios=probabilities,
        options=options,
        scale=copies[first].scale,
        stage_year=stage_year,
        copies=copies,
    )
    with paused_gc():
        for w, copy in copies.items():
            _add_copy(stacked, copy, w, probabilities[w])
        stacked.now = {
            name: mask
            for name, block in copies[first].blocks.items()
            if (mask := decided_before(block, stage_year)) is not None
        }
        _tie(stacked)
        if risk.active(stacked):
            risk.add(stacked)
    return stacked


def _add_copy(stacked: ModelContext, copy: ModelContext, w: str, p: float) -> None:
    for name, block in copy.blocks.items():
        new = stacked_name(name, w)
        stacked.blocks[new] = replace(block, name=new, lb=block.lb.copy(), ub=block.ub.copy())
        stacked.declared.append(("var", new))
    for name, fam in copy.families.items():
        terms = fam.terms
        if terms is not None:
            codes, names = pd.factorize(terms[1])
            renamed = np.array([stacked_name(n, w) for n in names], dtype=object)[codes]
            terms = (terms[0], renamed, terms[2], terms[3])
        new = stacked_name(name, w)
        stacked.families[new] = ConFamily(fam.meta, fam.index, fam.sense, fam.rhs, fam.rhs_unit)
        stacked.families[new].terms = terms
        stacked.declared.append(("con", new))
    for component, block, pos, coef in copy.costs:
        stacked.costs.append((component, stacked_name(block, w), pos, coef * p))


def _tie(stacked: StackedContext) -> None:
    """x[b, k, w] - x[b, k, first] = 0 for every decide-now key k; a key only some copies have is
    held at 0 where it exists."""
    first, *others = list(stacked.copies)
    index_parts, term_parts = [], []
    n = 0
    for name, mask in stacked.now.items():
        base = stacked.copies[first].blocks[name]
        keys = list(base.index.columns)
        left = base.index.assign(_p0=np.arange(base.size))[mask]
        for w in others:
            block = stacked.copies[w].blocks.get(name)
            if block is None:
                continue
            right = block.index.assign(_pw=np.arange(block.size))
            right = right[decided_before(block, stacked.stage_year)]
            pair = left.merge(right, on=keys, how="outer")
            both = pair.dropna(subset=["_p0", "_pw"])
            k = len(both)
            if k:
                rows = n + np.arange(k)
                term_parts.append(
                    terms_frame(rows, stacked_name(name, w), both["_pw"].astype(np.int64), 1.0)
                )
                term_parts.append(
                    terms_frame(rows, stacked_name(name, first), both["_p0"].astype(np.int64), -1.0)
                )
                index_parts.append(
                    pd.DataFrame(
                        {"block": name, "scenario": w, "key": _key_text(both[keys])},
                    )
                )
                n += k
            _hold_at_zero(stacked, name, first, pair[pair["_pw"].isna()]["_p0"])
            _hold_at_zero(stacked, name, w, pair[pair["_p0"].isna()]["_pw"])
    if n:
        index = pd.concat(index_parts, ignore_index=True)
        terms = pd.concat(term_parts, ignore_index=True)
        stacked.add_constraints(NONANTICIPATIVITY.name, index, terms, "==", 0.0)


def _hold_at_zero(stacked: ModelContext, name: str, w: str, pos: pd.Series) -> None:
    if pos.empty:
        return
    block = stacked.blocks[stacked_name(name, w)]
    p = pos.to_numpy(dtype=np.int64)
    block.lb[p] = np.minimum(block.lb[p], 0.0)
    block.ub[p] = 0.0
    block.uniform = False


def _key_text(keys: pd.DataFrame) -> np.ndarray:
    return keys.astype(str).agg(" ".join, axis=1).to_numpy()
