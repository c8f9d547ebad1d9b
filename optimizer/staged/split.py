"""From the solved stacked model to the plan tables of a staged plan.

Each copy's solution is cut out of the stacked one and extracted by the concerns as the plan of
that scenario (its model was built at probability 1, so prices and quantities are the scenario's
own; duals are divided by the scenario's probability to match). The tables are then merged:

- decision tables (optimizer.plan.schema.STAGED_TABLES) get a `scenario` column: rows dated
  before the stage year once, as "all" (non-anticipativity makes them equal in every copy), later
  rows once per scenario;
- operational tables (already per scenario) are concatenated;
- costs.csv and site_costs.csv are probability-weighted sums (they add up to the objective),
  scenario_costs.csv carries each scenario's own cost and probability;
- binding.csv keeps expected-cost shadow prices, as a two-stage plan's: a limit that only
  decide-now decisions meet appears once (scenario "all", the sum over the copies), any other
  limit once per scenario.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from optimizer.model.context import ModelContext
from optimizer.plan.schema import ALL_SCENARIOS, STAGED_TABLES
from optimizer.solve import Solution
from optimizer.solve.extract import binding_table, cost_table, extract_plan
from optimizer.staged.stack import StackedContext, stacked_name

SHARED_INPUT_TABLES = ("sites", "partner_regions", "lanes")  # inputs, the same in every copy


def scenario_solution(staged: StackedContext, sol: Solution, w: str, expected: bool = False):
    """Copy `w`'s part of the stacked solution as the solution of its one-scenario model; duals
    per unit of that scenario's cost (or, `expected`, of the expected cost)."""
    copy = staged.copies[w]
    p = 1.0 if expected else staged.scenarios[w]
    x = {b: sol.x[stacked_name(b, w)] for b in copy.blocks}
    objective = sum(float(coef @ x[block][pos]) for _c, block, pos, coef in copy.costs)
    return replace(
        sol,
        objective=objective,
        units={b: blk.unit for b, blk in copy.blocks.items()},
        x=x,
        duals={f: sol.duals[stacked_name(f, w)] / p for f in copy.families},
        sizes={f: sol.sizes[stacked_name(f, w)] for f in copy.families},
    )


def staged_plan(staged: StackedContext, sol: Solution) -> dict[str, pd.DataFrame]:
    """The merged plan tables of the solved stacked model."""
    per = {w: extract_plan(c, scenario_solution(staged, sol, w)) for w, c in staged.copies.items()}
    first = staged.first
    names = list(dict.fromkeys(n for t in per.values() for n in t))
    out: dict[str, pd.DataFrame] = {}
    for name in names:
        frames = {w: t[name] for w, t in per.items() if name in t}
        if name == "costs":  # the stacked objective's own terms: with CVaR, its adjustment too
            out[name] = cost_table(staged, sol)
        elif name == "site_costs":
            out[name] = _weighted_site_costs(staged, frames)
        elif name == "scenario_costs":
            merged = pd.concat(frames.values(), ignore_index=True)
            merged["probability"] = merged["scenario"].map(staged.scenarios)
            out[name] = merged
        elif name == "binding":
            out[name] = _binding(staged, sol)
        elif name in SHARED_INPUT_TABLES:
            out[name] = frames[first]
        elif name == "stages":  # expected-cost shadow prices, as a two-stage plan's stages.csv
            out[name] = pd.concat(
                [_expected_shadow(f, staged.scenarios[w]) for w, f in frames.items()],
                ignore_index=True,
            )
        elif name in STAGED_TABLES:
            out[name] = _decision_rows(frames, staged.stage_year, first)
        else:
            out[name] = pd.concat(frames.values(), ignore_index=True)
    return out


def _expected_shadow(frame: pd.DataFrame, p: float) -> pd.DataFrame:
    """A copy's stage-balance shadow prices per unit of its scenario's cost, times its
    probability: per unit of expected cost, the scale a two-stage plan's stages.csv uses (unlike
    prices.csv, which is per unit of the scenario's own cost in both)."""
    column = "shadow_price_usd_per_unit"
    return frame.assign(**{column: frame[column] * p}) if column in frame.columns else frame


def _decision_rows(frames: dict[str, pd.DataFrame], stage_year: int, first: str) -> pd.DataFrame:
    parts = []
    for w, frame in frames.items():
        if "year" in frame.columns:
            now = (frame["year"] < stage_year).to_numpy()
        else:
            now = np.zeros(len(frame), dtype=bool)
        if w == first:
            parts.append(frame[now].assign(scenario=ALL_SCENARIOS))
        parts.append(frame[~now].assign(scenario=w))
    merged = pd.concat(parts, ignore_index=True)
    return merged[["scenario", *[c for c in merged.columns if c != "scenario"]]]


def _weighted_site_costs(staged: StackedContext, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = [f.assign(npv_usd=f["npv_usd"] * staged.scenarios[w]) for w, f in frames.items()]
    merged = pd.concat(parts, ignore_index=True)
    merged = merged.groupby(["site", "component"], as_index=False, sort=False)["npv_usd"].sum()
    return merged[merged["npv_usd"] != 0.0].reset_index(drop=True)


def _binding(staged: StackedContext, sol: Solution) -> pd.DataFrame:
    """binding.csv of the staged plan: expected-cost shadow prices; a limit met by decide-now
    decisions only is one row "all" carrying the sum of its copies' duals."""
    first = staged.first
    sols = {w: scenario_solution(staged, sol, w, expected=True) for w in staged.copies}
    now_rows = {}
    for name, fam in staged.copies[first].families.items():
        mask = _decide_now_rows(staged.copies[first], fam, staged.now)
        if mask is None or not mask.any():
            continue
        now_rows[name] = mask
        keys = list(fam.index.columns)
        total = sols[first].duals[name].copy()
        base = fam.index.assign(_p0=np.arange(len(fam.index)))[mask]
        for w in list(staged.copies)[1:]:
            other = staged.copies[w].families.get(name)
            if other is None:
                continue
            pair = base.merge(other.index.assign(_pw=np.arange(len(other.index))), on=keys)
            p0 = pair["_p0"].to_numpy(dtype=np.int64)
            pw = pair["_pw"].to_numpy(dtype=np.int64)
            total[p0] += sols[w].duals[name][pw]
            d = sols[w].duals[name].copy()
            d[pw] = 0.0
            sols[w].duals[name] = d
        sols[first].duals[name] = total
    # the first copy's table twice: its decide-now rows ("all") and the rest (its scenario)
    only_now = replace(sols[first], duals=dict(sols[first].duals))
    for name, d in sols[first].duals.items():
        mask = now_rows.get(name)
        only_now.duals[name] = np.where(mask, d, 0.0) if mask is not None else np.zeros_like(d)
        if mask is not None:
            sols[first].duals[name] = np.where(mask, 0.0, d)
    frames = [_labelled(binding_table(staged.copies[first], only_now), ALL_SCENARIOS)]
    frames += [_labelled(binding_table(c, sols[w]), w) for w, c in staged.copies.items()]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return binding_table(staged.copies[first], only_now)
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values("impact_usd", ascending=False, kind="stable").reset_index(drop=True)


def _labelled(table: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Rows of a first-stage limit (no scenario of their own) labelled `scenario`."""
    blank = table["scenario"].isna() | (table["scenario"].astype(str) == "")
    return table.assign(scenario=table["scenario"].where(~blank, scenario))


def _decide_now_rows(copy: ModelContext, fam, now: dict[str, np.ndarray]) -> np.ndarray | None:
    """Rows of a first-stage family whose every term is a decide-now variable (None for a
    family indexed by scenario)."""
    if "scenario" in fam.index.columns or fam.terms is None:
        return None
    rows, blocks, pos, _ = fam.terms
    tied = np.zeros(len(rows), dtype=bool)
    for name in set(blocks.tolist()):
        mask = now.get(name)
        if mask is None:
            continue
        at = blocks == name
        tied[at] = mask[pos[at]]
    n = len(fam.index)
    loose = np.bincount(rows[~tied], minlength=n)
    used = np.bincount(rows, minlength=n)
    return (loose == 0) & (used > 0)
