"""Why a case is infeasible, for the policy concern's family (regional concentration caps).

The concentration cap is the one constraint that forces builds: its sentence says what keeps the
other regions from building enough (their site limits, partner and grant limits)."""

from __future__ import annotations

import pandas as pd

from optimizer.diagnose import why
from optimizer.diagnose.forced import Forced, forced_builds
from optimizer.diagnose.reach import funding_options, site_reach
from optimizer.diagnose.rows import generic_text, groups, lookup
from optimizer.diagnose.text import (
    LINE,
    TOL,
    cell,
    listing,
    num,
    ref,
    share,
    share_up,
    years_text,
)
from optimizer.model.registry import Sentence
from optimizer.render.fmt import usd


def concentration(case, family, rows) -> list[Sentence]:
    forced = {f.region: f for f in forced_builds(case)}
    out = []
    for key, g, size in groups(rows, ["region", "process"]):
        reg = lookup(case.regions, region=key["region"], process=key["process"])
        if reg is None:
            out.append((size, generic_text(family, key, g)))
            continue
        head = (
            f"{ref(why.REGIONS, reg[LINE])}: {key['region']} max_capacity_share "
            f"{share(reg['max_capacity_share'])} from {reg['from_year']} is exceeded by "
            f"{num(g['amount'].max())} wspm in {years_text(g['year'])}"
        )
        f = forced.get(key["region"])
        if f is None and forced:
            causes = " and ".join(
                f"{o.region}'s cap ({ref(why.REGIONS, o.line)})" for o in forced.values()
            )
            text = f"{head}: the builds that {causes} force{'s' if len(forced) == 1 else ''} "
            text += f"into other regions push {key['region']} over its own cap"
        elif f is None:
            text = f"{head}: the other limits of the plan push it over its cap"
        else:
            text = f"{head} ({why.existing_clause(f)}); {_why_not_elsewhere(case, f)}"
        out.append((size, text))
    return out


def _why_not_elsewhere(case, f: Forced) -> str:
    """What keeps the other regions from having the forced builds online in time."""
    last = case.params.last_year
    sites = why.others_limits(f, last)
    if f.share <= 0:
        return (
            f"a share of 0 allows no capacity in {f.region}; with all {num(f.room_wspm)} wspm "
            f"other regions can add by {f.year} ({sites}) it would need at least "
            f"{share_up(f.share_needed)}"
        )
    if not f.buildable:
        later = (
            f" or move from_year to {f.first_year_enough} or later"
            if f.first_year_enough is not None
            else ""
        )
        return (
            f"other regions would need {num(f.needed_wspm)} wspm more online by {f.year} but can "
            f"add at most {num(f.room_wspm)} ({sites}); raise max_capacity_share to at least "
            f"{share_up(f.share_needed)}{later}"
        )
    limits = why.other_caps(case, f) + _money_limits(case, f)
    money = listing(limits, 5) if limits else "the other limits of the plan"
    return (
        f"other regions need {num(f.needed_wspm)} wspm more online by {f.year} and could add "
        f"{num(f.room_wspm)} ({sites}), but building and paying for them is limited by: {money}"
    )


def _money_limits(case, f: Forced) -> list[str]:
    """Partner and grant limits on paying for the forced builds (definite and constraining)."""
    partners = case.partners
    texts = []
    overall = float(partners["max_share"].sum())
    if overall < 1.0 - TOL:
        texts.append(f"the partners' max_share add up to {share(overall)} < 1 ({why.PARTNERS})")
    for region in f.blocked_regions:
        texts.append(f"no partner capital can go to {region}: {why.region_bars(f.shares, region)}")
    eligible = f.partners
    if f.payable and f.capital_usd > TOL:
        committed = float(eligible["max_commitment_musd"].sum()) * 1e6
        if committed < f.capital_usd * (1 - TOL):
            texts.append(
                f"they need at least {usd(f.capital_usd)} of partner capital beyond grants but the "
                f"partners who may fund them have committed {usd(committed)}: "
                f"max_commitment_musd {why.commitments(eligible)}"
            )
    regions = list(dict.fromkeys(f.others.loc[f.others["eligible"], "region"]))
    anywhere = set(funding_options(case, site_reach(case), f.shares)["partner"])
    for p in partners[partners["min_share"] > 0].itertuples():
        line = ref(why.PARTNERS, partners.loc[p.Index, LINE])
        need = p.min_share * f.capital_usd if f.payable else float("nan")
        if p.partner not in anywhere:
            bars = why.partner_bars(f.shares, p.partner) or "no site it may fund can build"
            texts.append(
                f"{p.partner} ({line}) must provide min_share {share(p.min_share)} of all "
                f"capital but {bars}"
            )
        elif p.partner not in set(eligible["partner"]):
            bars = why.partner_bars(f.shares, p.partner, regions) or "may not fund them"
            texts.append(
                f"{p.partner} ({line}) must provide min_share {share(p.min_share)} of all "
                f"capital but {bars}: for each $1 others put into them it must put "
                f"${num(p.min_share / (1 - p.min_share))} into builds elsewhere"
                if p.min_share < 1
                else f"{p.partner} ({line}) must provide all capital but {bars}"
            )
        elif p.max_commitment_musd * 1e6 < need * (1 - TOL):
            texts.append(
                f"{p.partner} min_share {share(p.min_share)} ({line}) needs at least {usd(need)} "
                f"but max_commitment_musd is {cell(p.max_commitment_musd)}"
            )
        elif (bars := why.partner_bars(f.shares, p.partner, regions)) and (
            (barred := _room_in(f, f.shares, p.partner)) > f.room_wspm - f.needed_wspm + TOL
        ):
            texts.append(
                f"{p.partner} ({line}) must provide min_share {share(p.min_share)} of all "
                f"capital but {bars}, where {num(barred)} of the {num(f.room_wspm)} wspm that "
                f"can be online by {f.year} are"
            )
    ceiling = float(eligible["max_share"].sum())
    if len(eligible) and ceiling < 1.0 - TOL:
        texts.append(
            f"the partners who may fund them ({', '.join(eligible['partner'])}: "
            f"{ref(why.PARTNERS, list(eligible[LINE]))}) may hold at most {share(ceiling)} of "
            "all capital together (max_share)"
        )
    pr = f.shares[
        f.shares["region"].isin(regions) & (f.shares["share"] > 0) & (f.shares["share"] < 1)
    ]
    if len(pr):
        texts.append(
            "region shares "
            + ", ".join(f"{r.partner} {share(r.share)} in {r.region}" for r in pr.itertuples())
            + f" ({ref(why.PARTNER_REGIONS, list(pr['line']))})"
        )
    return texts


def _room_in(f: Forced, shares: pd.DataFrame, partner: str) -> float:
    """Room at the eligible sites of regions `partner` may not fund."""
    barred = shares[(shares["partner"] == partner) & (shares["share"] <= 0)]["region"]
    eligible = f.others[f.others["eligible"]]
    return float(eligible.loc[eligible["region"].isin(barred), "room_wspm"].sum())
