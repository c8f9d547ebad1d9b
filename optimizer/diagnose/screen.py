"""Screening before the model is built: inputs that cannot work, and demand that will go unmet.

Errors are definite impossibilities (the model would be infeasible whatever it decides); warnings
are legal inputs with a consequence worth knowing (demand that cannot be met, energy that cannot
power existing capacity, a cap that forces builds elsewhere). Vectorised bounds, no solver:
see `reach` (what can be built by when) and `forced` (what a concentration cap forces).
"""

from __future__ import annotations

import pandas as pd

from optimizer.diagnose import why
from optimizer.diagnose.demand import screen_demand
from optimizer.diagnose.energy import screen_energy
from optimizer.diagnose.explain_capital import reachable_musd, screen_budget
from optimizer.diagnose.explain_min_share import screen_min_shares
from optimizer.diagnose.forced import Forced, caps_too_tight, forced_builds
from optimizer.diagnose.reach import funding_options, region_shares, site_reach
from optimizer.diagnose.stages import screen_stages
from optimizer.diagnose.text import LINE, TOL, cell, num, problem, ref, share, share_up, val
from optimizer.errors import Problem
from optimizer.inputs.references import Noted
from optimizer.render.fmt import usd


def screen(case) -> list[Problem]:
    """Findings about inputs that cannot work (severity error) or will leave demand unmet, over
    the scenarios the case plans for (Case.for_scenarios)."""
    reach = site_reach(case)
    forced = forced_builds(case)
    findings = [*_concentration(case, forced), *_finance(case, forced)]
    findings += screen_min_shares(case)
    findings += _no_capital(case, reach, findings)
    findings += screen_demand(case, reach)
    findings += screen_stages(case, reach)
    findings += screen_energy(case, reach)
    return findings


# --- concentration caps ------------------------------------------------------------------------


def _concentration(case, forced: list[Forced]) -> list[Problem]:
    """Caps that existing capacity exceeds: an error when the others cannot build enough in time."""
    last = case.params.last_year
    out = _caps_sum(case)
    for f in forced:
        sites = why.others_limits(f, last)
        if f.share <= 0:
            out.append(
                problem(
                    why.REGIONS,
                    f.line,
                    "max_capacity_share",
                    f.share,
                    f"a share of 0 allows no capacity in {f.region} from {f.year}, but "
                    f"{why.existing_clause(f)}: no plan can meet the cap",
                )
            )
            continue
        if f.buildable:
            out.append(_forces_builds(f, sites))
            continue
        later = (
            f"or move from_year to {f.first_year_enough} or later"
            if f.first_year_enough is not None
            else f"(no year up to {last} has enough room online)"
        )
        out.append(
            problem(
                why.REGIONS,
                f.line,
                "max_capacity_share",
                f.share,
                f"{why.existing_clause(f)}: from {f.year} other regions would need "
                f"{num(f.needed_wspm)} wspm more online, but they can add at most "
                f"{num(f.room_wspm)} by {f.year} ({sites}). No plan can meet the cap: raise "
                f"max_capacity_share to at least {share_up(f.share_needed)} {later}",
            )
        )
    return out


def _forces_builds(f: Forced, sites: str) -> Problem:
    """A cap that existing capacity exceeds but builds elsewhere can meet: a one-line warning.

    It holds for the default data on every solve, so the line is short; -v adds which sites
    hold the capacity and where the plan can build instead.
    """
    held = f.existing_region_wspm / f.existing_total_wspm
    return Noted(
        why.REGIONS,
        f.line,
        "max_capacity_share",
        val(f.share),
        f"{f.region} holds {held:.0%} of existing capacity: the plan must bring ≥ "
        f"{num(f.needed_wspm)} wspm online elsewhere by {f.year}",
        "warning",
        f"{why.existing_clause(f)}; other regions can add up to {num(f.room_wspm)} wspm: {sites}",
    )


def _caps_sum(case) -> list[Problem]:
    """Caps that together leave no room for all the capacity that exists."""
    tight = caps_too_tight(case)
    if tight is None:
        return []
    r = tight.regions
    capped = r[r["line"] > 0]
    parts = ", ".join(
        f"{x.region} {share(x.share)}" + ("" if x.line > 0 else " (uncapped)")
        for x in r.itertuples()
    )
    first = capped.iloc[0]
    return [
        problem(
            why.REGIONS,
            int(first["line"]),
            "max_capacity_share",
            first["share"],
            f"in {tight.year} the regions that can hold capacity may hold at most {parts} of it: "
            f"{share(tight.total)} in all, less than the whole; raise one of the caps of "
            f"{ref(why.REGIONS, list(capped['line']))} so that they add up to at least 1",
        )
    ]


# --- paying for forced builds --------------------------------------------------------------------


def _finance(case, forced: list[Forced]) -> list[Problem]:
    """Forced builds that partner capital and grants cannot pay for, whatever the plan does."""
    out: list[Problem] = []
    partners = case.partners
    overall = float(partners["max_share"].sum())
    for f in forced:
        if not f.buildable:
            continue  # already an error: the builds cannot exist, money is beside the point
        if not f.payable:
            out += _unpayable(f, overall, partners)
            continue
        k = f.capital_usd
        if k <= TOL:
            continue
        out += screen_budget(case, k, why.capital_clause(f))
        elig = f.partners
        committed = float(reachable_musd(case, elig).sum()) * 1e6  # commitments + tranches
        if committed < k * (1 - TOL):
            first = elig.iloc[0]
            out.append(
                problem(
                    why.PARTNERS,
                    int(first[LINE]),
                    "max_commitment_musd",
                    first["max_commitment_musd"],
                    f"{why.capital_clause(f)}, but the partners who may fund them have committed "
                    f"{usd(committed)} in all: max_commitment_musd {why.commitments(elig)}",
                )
            )
        out += _min_shares(case, f, partners)
    return out


def _unpayable(f: Forced, overall: float, partners: pd.DataFrame) -> list[Problem]:
    cause = (
        f"the {num(f.needed_wspm)} wspm other regions need online by {f.year} "
        f"{why.cap_clause(f)} can be paid for only up to {num(f.usable_wspm)} wspm"
    )
    if overall < 1.0 - TOL:
        return [
            problem(
                why.PARTNERS,
                None,
                "max_share",
                overall,
                f"the partners' max_share add up to {share(overall)} < 1, so no capital can be "
                f"raised at all; {cause} (by grants alone)",
            )
        ]
    out = []
    for region in f.blocked_regions:
        rows = f.shares[(f.shares["region"] == region) & (f.shares["line"] > 0)]
        sites = f.others[f.others["eligible"] & (f.others["region"] == region)]
        grants = ", ".join(
            f"{r.site} ({ref(why.SITES, r.line)}: subsidy_rate {share(r.subsidy_rate)}, "
            f"subsidy_cap_musd {cell(r.subsidy_cap_usd / 1e6)})"
            for r in sites.itertuples()
        )
        first = rows.iloc[0]
        out.append(
            problem(
                why.PARTNER_REGIONS,
                int(first["line"]),
                "max_share",
                first["share"],
                f"no partner capital can go to {region}: {why.region_bars(f.shares, region)}, "
                f"and grants pay in full for only {num(sites['usable_wspm'].sum())} wspm there "
                f"({grants}); {cause}",
            )
        )
    return out


def _min_shares(case, f: Forced, partners: pd.DataFrame) -> list[Problem]:
    """Partners whose minimum share of the forced capital they cannot provide."""
    k = f.capital_usd
    held = partners[partners["min_share"] > 0].rename(columns={LINE: "line"})
    if held.empty:
        return []
    options = funding_options(case, site_reach(case), f.shares)
    out = []
    for p in held.itertuples():
        need = p.min_share * k
        if p.partner not in set(options["partner"]):
            bars = why.partner_bars(f.shares, p.partner) or "no site it may fund can build"
            out.append(
                problem(
                    why.PARTNERS,
                    int(p.line),
                    "min_share",
                    p.min_share,
                    f"{p.partner} must provide min_share {share(p.min_share)} of all capital, at "
                    f"least {usd(need)}, but {bars}: it can fund nothing, and "
                    f"{why.capital_clause(f)}",
                )
            )
        elif float(reachable_musd(case, held[held["partner"] == p.partner]).iloc[0]) * 1e6 < (
            need * (1 - TOL)
        ):  # commitment plus tranches (capital_tranches.csv)
            out.append(
                problem(
                    why.PARTNERS,
                    int(p.line),
                    "min_share",
                    p.min_share,
                    f"{p.partner} min_share {share(p.min_share)} needs at least {usd(need)} "
                    f"({share(p.min_share)} x {usd(k)}: {why.capital_clause(f)}) but "
                    f"max_commitment_musd is {cell(p.max_commitment_musd)}",
                )
            )
    return out


def _no_capital(case, reach: pd.DataFrame, found: list[Problem]) -> list[Problem]:
    """A partner held to a minimum share that can give nothing stops every build needing capital."""
    partners = case.partners
    held = partners[partners["min_share"] > 0].rename(columns={LINE: "line"})
    needs = reach[reach["buildable"] & (reach["capex_usd_per_wspm"] > 0)]
    if held.empty or needs.empty:
        return []
    shares = region_shares(case)
    options = set(funding_options(case, reach, shares)["partner"])
    flagged = {(p.file, p.line) for p in found if p.column == "min_share"}
    out = []
    for p in held.itertuples():
        line = int(p.line)
        if (why.PARTNERS, line) in flagged:
            continue
        if p.partner not in options:
            reason = why.partner_bars(shares, p.partner) or "no site it may fund can build"
        elif p.max_commitment_musd <= 0:
            reason = "its max_commitment_musd is 0"
        else:
            continue
        out.append(
            problem(
                why.PARTNERS,
                line,
                "min_share",
                p.min_share,
                f"{p.partner} must provide min_share {share(p.min_share)} of all capital but "
                f"{reason}: no build that needs capital can be funded, so demand beyond existing "
                "capacity (and fully granted builds) will go unmet",
                "warning",
            )
        )
    return out
