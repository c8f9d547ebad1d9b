"""The comparison in plain sentences, decisions first: what plan B does differently from plan A.

Every sentence names plan B as the subject and plan A as the reference, so a list of them reads
like the issue's example: "Plan B opens JP_KUMAMOTO two years later ...", "In plan B, MGX's share
falls from 31% to 18%.", "Total cost +3.1% ($2.4B) ...".
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.compare.demand import demand_sentence
from optimizer.compare.noise import (
    GPU_TOL,
    MW_TOL,
    MWH_TOL,
    SHARE_POINT,
    WSPM_TOL,
    money_differs,
)
from optimizer.compare.staging import staging_sentence
from optimizer.plan.statistics import year_list
from optimizer.render.fmt import (
    count,
    money,
    mw,
    number,
    pct,
    signed_count,
    signed_money,
    signed_number,
    signed_pct,
)

if TYPE_CHECKING:
    from optimizer.compare.comparison import Comparison
    from optimizer.plan.read import Plan

MAX_SITE_SENTENCES = 8
MAX_LISTED = 4  # regions, sources or contracts named in one sentence
NO_DIFFERENCE = (
    "The two plans make the same decisions: no differences in decisions (builds, capacity, "
    "partner capital, energy contracts and use, unmet demand)."
)
_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def headline_sentences(c: Comparison) -> list[str]:
    """Sites, build timing and size, partner shares, total cost, unmet demand, capacity, energy,
    contracts, inputs: one sentence each where plan B differs."""
    out: list[str] = []
    if not c.decisions_differ:
        out.append(NO_DIFFERENCE)
    out += site_sentences(c.sites)
    out += [s for s in (partner_sentence(c.partners), cost_sentence(c)) if s]
    out += [s for s in (unmet_sentence(c), capacity_sentence(c.capacity)) if s]
    out += [s for s in (energy_sentence(c), contract_sentence(c.contracts)) if s]
    out.append(input_sentence(c.inputs))
    return out


# ---------------------------------------------------------------------------------------------
# builds


def site_sentences(sites: pd.DataFrame) -> list[str]:
    """One sentence per site whose builds differ, largest change first (at most
    MAX_SITE_SENTENCES, then a count of the rest)."""
    changed = sites[sites["change"] != "same"].copy()
    # rank: sites opened in one plan only first, then by the wspm that moves
    moved = changed[["wspm_a", "wspm_b"]].max(axis=1)
    changed["_rank"] = changed["change"].isin(["added", "dropped"]).astype(int) * 1e18 + moved
    changed = changed.sort_values(["_rank", "site"], ascending=[False, True])
    out = [_site_sentence(row) for row in changed.itertuples(index=False)]
    if len(out) > MAX_SITE_SENTENCES + 1:  # never "1 more site": say it instead
        rest = len(out) - MAX_SITE_SENTENCES
        out = out[:MAX_SITE_SENTENCES] + [
            f"Builds differ at {rest} more site{_s(rest)} (see the build tables)."
        ]
    return out


def _site_sentence(r) -> str:
    open_, opens = ("open", "opens") if r.greenfield else ("expand", "expands")
    fa, fb = _year(r.first_year_a), _year(r.first_year_b)
    wa, wb = number(r.wspm_a), number(r.wspm_b)
    if r.change == "added":
        return (
            f"Plan B {opens} {r.site} (first build {fb}, {wb} wspm in all), which plan A does "
            f"not {open_}."
        )
    if r.change == "dropped":
        return (
            f"Plan B does not {open_} {r.site}, which plan A {opens} (first build {fa}, {wa} wspm "
            "in all)."
        )
    size = _size_clause(r)
    if r.change in ("later", "earlier"):
        return (
            f"Plan B {opens} {r.site} {_years(abs(r.shift_years))} {r.change}: first build in "
            f"{fb} instead of {fa}, {size}."
        )
    if r.change in ("more", "fewer"):
        return (
            f"Plan B builds {number(abs(r.diff_wspm))} {r.change} wspm at {r.site}: {wb} in all "
            f"instead of {wa}, first build in {fa} in both plans."
        )
    return (
        f"Plan B builds the same {wb} wspm at {r.site} from the same first year ({fb}) but in "
        "different years (see the build table)."
    )


def _size_clause(r) -> str:
    if abs(r.diff_wspm) > WSPM_TOL:
        return f"{number(r.wspm_b)} wspm in all instead of {number(r.wspm_a)}"
    return f"{number(r.wspm_b)} wspm in all in both plans"


# ---------------------------------------------------------------------------------------------
# partners, cost, unmet demand


def partner_sentence(partners: pd.DataFrame) -> str | None:
    """Partners whose share moves by more than one percentage point, largest move first; else,
    when capital moves at all, a sentence saying that shares move by less."""
    big = partners[partners["diff_share"].abs() > SHARE_POINT]
    if big.empty:
        if any(
            money_differs(a, b) for a, b in zip(partners["usd_a"], partners["usd_b"], strict=True)
        ):
            return (
                "Partner capital changes, but no partner's share moves by more than one "
                "percentage point (see the partner table)."
            )
        return None
    big = big.assign(_abs=big["diff_share"].abs()).sort_values(
        ["_abs", "partner"], ascending=[False, True]
    )
    clauses = [
        f"{_possessive(r.partner)} share {'rises' if r.diff_share > 0 else 'falls'} from "
        f"{pct(r.share_a, 0)} to {pct(r.share_b, 0)}"
        for r in big.head(MAX_LISTED).itertuples(index=False)
    ]
    more = len(big) - MAX_LISTED
    if more > 0:
        clauses.append(
            f"{more} more partner{_s(more)} move{'s' if more == 1 else ''} by more than a point "
            "(see the partner table)"
        )
    return f"In plan B, {_and(clauses)}."


def cost_sentence(c: Comparison) -> str:
    """Total cost difference, relative and in dollars, and the component that moves most."""
    a, b, diff = c.total_cost_a, c.total_cost_b, c.cost_diff_usd
    if not money_differs(a, b):
        return f"Total cost is the same in both plans: {money(b)} (NPV)."
    if math.isnan(c.cost_change):
        change = signed_money(diff)
    else:
        change = f"{signed_pct(c.cost_change)} ({money(abs(diff))})"
    text = f"Total cost {change}: {money(b)} in plan B against {money(a)} in plan A (NPV)"
    top = c.costs.loc[c.costs["diff_usd"].abs().idxmax()]
    label = str(top["label"])
    label = f"{label[:1].lower()}{label[1:]}"
    return f"{text}; largest change: {label} {signed_money(top['diff_usd'])}."


def unmet_sentence(c: Comparison) -> str | None:
    u = c.unmet
    a, b = float(u["gpus_a"].sum()), float(u["gpus_b"].sum())
    if abs(b - a) <= GPU_TOL:
        return None
    exp = "an expected " if c.stochastic else ""
    years_b = year_list(u.loc[u["gpus_b"] > GPU_TOL, "year"].astype(int).tolist())
    years_a = year_list(u.loc[u["gpus_a"] > GPU_TOL, "year"].astype(int).tolist())
    if a <= GPU_TOL:
        return (
            f"Plan B leaves {exp}{count(b)} GPUs of demand unmet ({years_b}), where plan A serves "
            "all demand."
        )
    if b <= GPU_TOL:
        return (
            f"Plan B serves all demand, where plan A leaves {exp}{count(a)} GPUs unmet ({years_a})."
        )
    return (
        f"Plan B leaves {exp}{count(b)} GPUs of demand unmet instead of {count(a)} "
        f"({signed_count(b - a)} GPUs)."
    )


# ---------------------------------------------------------------------------------------------
# capacity, energy, contracts


def capacity_sentence(capacity: pd.DataFrame) -> str | None:
    """Installed capacity by region in the last year, where it differs."""
    if capacity.empty:
        return None
    last = int(capacity["year"].max())
    rows = capacity[(capacity["year"] == last) & (capacity["diff_wspm"].abs() > WSPM_TOL)]
    if rows.empty:
        return None
    rows = rows.assign(_abs=rows["diff_wspm"].abs()).sort_values(
        ["_abs", "region"], ascending=[False, True]
    )
    clauses = [
        f"{region_name(r.region)} {signed_number(r.diff_wspm)} wspm "
        f"({number(r.installed_wspm_b)} instead of {number(r.installed_wspm_a)})"
        for r in rows.head(MAX_LISTED).itertuples(index=False)
    ]
    more = len(rows) - MAX_LISTED
    if more > 0:
        clauses.append(f"{more} more (see the capacity table)")
    n = len(rows)
    return f"By {last}, plan B's installed capacity differs in {n} region{_s(n)}: {_and(clauses)}."


def energy_sentence(c: Comparison) -> str | None:
    """MWh by source over the horizon, where it differs."""
    e = c.energy
    if e.empty:
        return None
    by = e.groupby("source", as_index=False)["diff_mwh"].sum()
    by = by[by["diff_mwh"].abs() > MWH_TOL]
    if by.empty:
        return None
    by = by.assign(_abs=by["diff_mwh"].abs()).sort_values(
        ["_abs", "source"], ascending=[False, True]
    )
    clauses = [
        f"{count(abs(r.diff_mwh))} MWh {'more' if r.diff_mwh > 0 else 'less'} from {r.source}"
        for r in by.head(MAX_LISTED).itertuples(index=False)
    ]
    exp = " (expected over scenarios)" if c.stochastic else ""
    return f"Over the horizon, plan B draws {_and(clauses)}{exp}."


def contract_sentence(contracts: pd.DataFrame) -> str | None:
    rows = contracts[contracts["diff_mw"].abs() > MW_TOL]
    if rows.empty:
        return None
    rows = rows.assign(_abs=rows["diff_mw"].abs()).sort_values(
        ["_abs", "contract"], ascending=[False, True]
    )
    clauses = [
        f"{r.contract} for {mw(r.mw_b)} MW instead of {mw(r.mw_a)}"
        for r in rows.head(MAX_LISTED).itertuples(index=False)
    ]
    more = len(rows) - MAX_LISTED
    if more > 0:
        clauses.append(f"{more} more contract{_s(more)} differently (see the energy tables)")
    return f"Plan B contracts {_and(clauses)}."


# ---------------------------------------------------------------------------------------------
# inputs and warnings


def input_sentence(inputs: pd.DataFrame) -> str:
    if inputs.empty:
        return "Both plans come from the same inputs (input files, parameters and overrides)."
    clauses = []
    for r in inputs.itertuples(index=False):
        if r.kind == "parameter":
            clauses.append(f"{r.item} {value_text(r.a)} → {value_text(r.b)}")
        elif r.kind == "override":
            if r.a is None or r.b is None:
                side = "B" if r.a is None else "A"
                clauses.append(
                    f"override {r.item}={value_text(r.b if r.a is None else r.a)} "
                    f"(plan {side} only)"
                )
            else:
                clauses.append(f"override {r.item} {value_text(r.a)} → {value_text(r.b)}")
        elif r.kind == "input file":
            if r.a is None or r.b is None:
                clauses.append(f"{r.item} only in plan {'B' if r.a is None else 'A'}")
            else:
                clauses.append(f"{r.item} differs")
        elif r.item == "scenario":
            clauses.append(f"scenario {value_text(r.a)} → {value_text(r.b)}")
        elif r.item in ("mode", "stochastic", "risk"):
            clauses.append(f"{r.item} {value_text(r.a)} → {value_text(r.b)}")
    if not clauses:  # only the data folder or the scenario weights' spelling differ
        return (
            "Both plans come from the same input files, parameters and overrides (run settings "
            "that differ are in the inputs table)."
        )
    return f"Plan B's inputs differ from plan A's: {'; '.join(clauses)}."


def warnings(c: Comparison) -> list[str]:
    """What a reader must know before trusting the differences; first, whether the plans face
    the same demand (before any percentage is read)."""
    firsts = (demand_sentence(c.plan_a, c.plan_b), staging_sentence(c.plan_a, c.plan_b))
    out: list[str] = [s for s in firsts if s]
    for side, plan in (("A", c.plan_a), ("B", c.plan_b)):
        if not plan.optimal:
            out.append(
                f"Plan {side} was not solved to optimality (status "
                f"{plan.summary.get('status', 'unknown')}): part of the difference may be the "
                "solver stopping early."
            )
    pa, pb = c.plan_a.params, c.plan_b.params
    ra, rb = pa.get("discount_rate"), pb.get("discount_rate")
    if ra is not None and rb is not None and ra != rb:
        out.append(
            f"The plans discount at different rates ({pct(float(ra))} in plan A, "
            f"{pct(float(rb))} in plan B), so their NPV costs are on different bases: the cost "
            "difference mixes changed decisions with changed discounting."
        )
    ya, yb = c.plan_a.years, c.plan_b.years
    if ya and yb and (ya[0], ya[-1]) != (yb[0], yb[-1]):
        out.append(
            f"The plans cover different years ({ya[0]}–{ya[-1]} in plan A, {yb[0]}–{yb[-1]} in "
            "plan B); a year outside a plan counts as zero in it."
        )
    for side, plan in (("A", c.plan_a), ("B", c.plan_b)):
        unknown = _unweighted_scenarios(plan)
        if unknown:
            out.append(
                f"Plan {side} has rows for scenarios its summary.json does not weigh "
                f"({', '.join(unknown)}); they count as zero."
            )
        if _unknown_contracts(plan):
            out.append(
                f"Plan {side} draws energy on contracts missing from its contracts.csv "
                "(shown as source 'unknown')."
            )
    return out


def weighting_note(c: Comparison) -> str:
    """How scenario tables were reduced to one number per year (the brief asks to say so)."""
    parts = []
    for side, plan in (("A", c.plan_a), ("B", c.plan_b)):
        w = plan.scenario_weights
        if len(w) > 1:
            listed = ", ".join(f"{k} {pct(v, 0)}" for k, v in w.items())
            parts.append(f"plan {side} is weighted by its scenario probabilities ({listed})")
        else:
            parts.append(f"plan {side} has one scenario ({next(iter(w), 'base')})")
    what = "Energy and unmet demand are"
    if c.plan_a.staged or c.plan_b.staged:
        what = (
            "Energy, unmet demand and a staged plan's builds, capacity, capital and contracts are"
        )
    return (
        f"{what} expected values over each plan's scenarios, from the "
        f"probabilities in its summary.json: {'; '.join(parts)}."
    )


def _unweighted_scenarios(plan: Plan) -> list[str]:
    seen = set(plan["energy"]["scenario"]) | set(plan["unmet"]["scenario"])
    return sorted(seen - set(plan.scenario_weights))


def _unknown_contracts(plan: Plan) -> bool:
    known = set(plan["contracts"]["contract"])
    return bool((~plan["energy"]["contract"].isin(known)).any())


# ---------------------------------------------------------------------------------------------
# formatting


def value_text(value: object) -> str:
    """A recorded parameter or setting as typed: 0.042, 2025, 0.3, 0.7, none."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {value_text(v)}" for k, v in value.items())
    return str(value)


def region_name(region: str) -> str:
    return region or "(unknown region)"


def _year(value: float) -> str:
    return "–" if value is None or math.isnan(value) else str(int(value))


def _years(n: float) -> str:
    n = int(n)
    word = _WORDS[n] if n < len(_WORDS) else str(n)
    return f"{word} year{_s(n)}"


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _s(n: int) -> str:
    return "" if n == 1 else "s"
