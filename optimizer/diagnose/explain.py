"""Explain the violations of an elastic (diagnosis) solve in domain terms.

The elastic solve lets every hard limit be exceeded at a large penalty and so finds the least
violation that makes a plan possible. Each violated input row becomes one sentence: the file and
line to change, the value there, by how much it is exceeded, and, for a concentration cap (the
one constraint that forces builds), what keeps the other regions from building enough.
Sentences are ordered by size: the violation in model units, which is what the solve minimised.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from optimizer.diagnose import why
from optimizer.diagnose.forced import Forced, forced_builds
from optimizer.diagnose.reach import funding_options, site_reach
from optimizer.diagnose.text import (
    LINE,
    TOL,
    cell,
    listing,
    num,
    ref,
    share,
    share_up,
    usd,
    years_text,
)
from optimizer.model.context import Scale

_SCALE = Scale()
UNIT_SIZE = {  # domain units per model unit, to rank violations as the elastic solve weighed them
    "wspm": _SCALE.wspm,
    "USD": _SCALE.usd,
    "wafer": _SCALE.wafers,
    "GPU": _SCALE.gpus,
    "MWh": _SCALE.mwh,
    "MW": _SCALE.mw,
}

Sentence = tuple[float, str]  # (size, text)
MONEY_FAMILIES = (  # limits on paying for builds: their sentences say which cap forces them
    "funding",
    "grant_rate",
    "grant_cap",
    "commitment",
    "max_share",
    "min_share",
    "region_share",
)


def explain(case, violations: dict[str, pd.DataFrame]) -> list[str]:
    """One plain sentence per violated input row of an elastic solve, largest first."""
    sentences: list[Sentence] = []
    forced = forced_builds(case)
    for family, rows in violations.items():
        if rows.empty:
            continue
        rows = rows.assign(size=rows["amount"] / rows["unit"].map(UNIT_SIZE).fillna(1.0))
        template = TEMPLATES.get(family, _generic)
        found = template(case, family, rows)
        if forced and family in MONEY_FAMILIES:
            found = [
                (size, f"{text}; the capital is for builds elsewhere needed {_keep(forced)}")
                for size, text in found
            ]
        sentences += found
    sentences.sort(key=lambda s: -s[0])
    return [text for _size, text in sentences]


def _keep(forced: list[Forced]) -> str:
    """'to keep TW within max_capacity_share 0.50 from 2026 (regions.csv line 2)'."""
    return " and ".join(why.cap_clause(f) for f in forced)


# --- lookups ---------------------------------------------------------------------------------


def _row(table: pd.DataFrame, **keys) -> pd.Series | None:
    mask = pd.Series(True, index=table.index)
    for k, v in keys.items():
        mask &= table[k] == v
    hit = table[mask]
    return None if hit.empty else hit.iloc[0]


def _groups(rows: pd.DataFrame, keys: list[str]):
    """(key values, rows) per input row the violations point at, with their total size."""
    for key, g in rows.groupby(keys, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        yield dict(zip(keys, key, strict=True)), g, float(g["size"].sum())


def _scenarios(g: pd.DataFrame) -> str:
    if "scenario" not in g:
        return ""
    names = list(dict.fromkeys(g["scenario"]))
    return f" (scenario {', '.join(names)})"


# --- templates -------------------------------------------------------------------------------


def _concentration(case, family, rows) -> list[Sentence]:
    forced = {f.region: f for f in forced_builds(case)}
    out = []
    for key, g, size in _groups(rows, ["region"]):
        reg = _row(case.regions, region=key["region"])
        if reg is None:
            out.append((size, _generic_text(family, key, g)))
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


def _per_site(text: Callable) -> Callable:
    """A family explained one site at a time: `text(case, site_row, key, rows)` gives the
    sentence; a site the inputs do not know gets the generic sentence."""

    def explain_rows(case, family, rows) -> list[Sentence]:
        out = []
        for key, g, size in _groups(rows, ["site"]):
            s = _row(case.sites, site=key["site"])
            sentence = _generic_text(family, key, g) if s is None else text(case, s, key, g)
            out.append((size, sentence))
        return out

    return explain_rows


@_per_site
def _site_size(case, s, key, g) -> str:
    return (
        f"{ref(why.SITES, s[LINE])}: {key['site']} max_wspm {cell(s['max_wspm'])} is "
        f"{num(g['amount'].max())} wspm short in {years_text(g['year'])} (existing_wspm "
        f"{cell(s['existing_wspm'])} plus the builds the other limits require)"
    )


def _stay_open(case, family, rows) -> list[Sentence]:
    out = []
    for key, g, size in _groups(rows, ["site"]):
        s = _row(case.sites, site=key["site"])
        where = ref(why.SITES, s[LINE]) if s is not None else why.SITES
        out.append(
            (
                size,
                f"{where}: {key['site']} would have to close in {years_text(g['year'])} after "
                "being open (a site once open stays open)",
            )
        )
    return out


@_per_site
def _capacity(case, s, key, g) -> str:
    return (
        f"{ref(why.SITES, s[LINE])}: {key['site']} would have to make "
        f"{num(g['amount'].max())} wafers a year more than its capacity (12 x "
        f"utilization {cell(s['utilization'])} x available wspm, max_wspm "
        f"{cell(s['max_wspm'])}) in {years_text(g['year'])}{_scenarios(g)}"
    )


@_per_site
def _energy_need(case, s, key, g) -> str:
    region = s["region"]
    contracts = case.energy[case.energy["region"] == region] if case.energy is not None else None
    serving = (
        ref("energy.csv", list(contracts[LINE]))
        if contracts is not None and len(contracts)
        else "no contract of energy.csv"
    )
    return (
        f"{ref(why.SITES, s[LINE])}: {key['site']} lacks {num(g['amount'].max())} MWh of "
        f"energy in {years_text(g['year'])}{_scenarios(g)} (energy_mwh_per_wafer "
        f"{cell(s['energy_mwh_per_wafer'])}; {region} contracts: {serving})"
    )


def _contract_supply(case, family, rows) -> list[Sentence]:
    out = []
    for key, g, size in _groups(rows, ["contract"]):
        c = _row(case.energy, contract=key["contract"]) if case.energy is not None else None
        if c is None:
            out.append((size, _generic_text(family, key, g)))
            continue
        most = 8760 * c["capacity_factor"] * c["max_mw"]
        out.append(
            (
                size,
                f"{ref('energy.csv', c[LINE])}: contract {key['contract']} max_mw "
                f"{cell(c['max_mw'])} (at most {num(most)} MWh a year at capacity_factor "
                f"{cell(c['capacity_factor'])}) would have to deliver {num(g['amount'].max())} MWh "
                f"more in {years_text(g['year'])}{_scenarios(g)}",
            )
        )
    return out


def _funding(case, family, rows) -> list[Sentence]:
    out = []
    shares = None
    for key, g, size in _groups(rows, ["site", "direction"]):
        s = _row(case.sites, site=key["site"])
        if s is None:
            out.append((size, _generic_text(family, key, g)))
            continue
        head = f"{ref(why.SITES, s[LINE])}: the builds at {key['site']} in {years_text(g['year'])}"
        if key["direction"] == "over":
            out.append((size, f"{head} would be over-funded by {usd(g['amount'].sum())}"))
            continue
        if shares is None:
            from optimizer.diagnose.reach import fundable_regions, region_shares

            shares = region_shares(case)
            fundable = fundable_regions(case, shares)
        region = s["region"]
        if not bool(fundable.get(region, True)):
            reason = f"no partner capital can go to {region}: {why.region_bars(shares, region)}"
        else:
            reason = f"the partners who may fund {region} are at their limits"
            allowed = shares[(shares["region"] == region) & (shares["share"] > 0)]
            limited = case.partners[
                case.partners["partner"].isin(allowed["partner"])
                & (case.partners["max_commitment_musd"] < float("inf"))
            ]
            if len(limited):
                reason += f": max_commitment_musd {why.commitments(limited)}"
        grants = (
            f"grants: subsidy_rate {share(s['subsidy_rate'])}, subsidy_cap_musd "
            f"{cell(s['subsidy_cap_musd'])}"
        )
        out.append((size, f"{head} lack {usd(g['amount'].sum())} of funding: {reason}; {grants}"))
    return out


@_per_site
def _grant_rate(case, s, key, g) -> str:
    return (
        f"{ref(why.SITES, s[LINE])}: {key['site']} subsidy_rate "
        f"{share(s['subsidy_rate'])} would have to cover {usd(g['amount'].sum())} more of "
        f"its builds in {years_text(g['year'])}"
    )


@_per_site
def _grant_cap(case, s, key, g) -> str:
    cap = s["subsidy_cap_musd"]
    return (
        f"{ref(why.SITES, s[LINE])}: {key['site']} subsidy_cap_musd {cell(cap)} is "
        f"{usd(g['amount'].sum())} short: the grants would have to reach "
        f"{usd(cap * 1e6 + g['amount'].sum())}"
    )


def _partner(family: str) -> Callable:
    def template(case, fam, rows) -> list[Sentence]:
        out = []
        shares = None
        for key, g, size in _groups(rows, ["partner"]):
            p = _row(case.partners, partner=key["partner"])
            if p is None:
                out.append((size, _generic_text(fam, key, g)))
                continue
            a = float(g["amount"].sum())
            where = ref(why.PARTNERS, p[LINE])
            name = key["partner"]
            if family == "commitment":
                c = p["max_commitment_musd"]
                text = (
                    f"{where}: {name} max_commitment_musd {cell(c)} is {usd(a)} short: it would "
                    f"have to provide {usd(c * 1e6 + a)}"
                )
            elif family == "max_share":
                text = (
                    f"{where}: {name} max_share {share(p['max_share'])} is exceeded by {usd(a)} "
                    "of capital"
                )
            else:
                if shares is None:
                    from optimizer.diagnose.reach import region_shares

                    shares = region_shares(case)
                context = [why.partner_bars(shares, name)]
                if p["max_commitment_musd"] < float("inf"):
                    context.append(f"max_commitment_musd {cell(p['max_commitment_musd'])}")
                extra = "; ".join(c for c in context if c)
                text = (
                    f"{where}: {name} min_share {share(p['min_share'])} is {usd(a)} short of its "
                    f"share of all capital" + (f" ({name} {extra})" if extra else "")
                )
            out.append((size, text))
        return out

    return template


def _region_share(case, family, rows) -> list[Sentence]:
    out = []
    for key, g, size in _groups(rows, ["partner", "region"]):
        r = _row(case.partner_regions, partner=key["partner"], region=key["region"])
        if r is None:
            out.append((size, _generic_text(family, key, g)))
            continue
        out.append(
            (
                size,
                f"{ref(why.PARTNER_REGIONS, r[LINE])}: {key['partner']} max_share "
                f"{share(r['max_share'])} in {key['region']} is exceeded by "
                f"{usd(g['amount'].sum())}",
            )
        )
    return out


def _generic(case, family, rows) -> list[Sentence]:
    keys = [c for c in rows.columns if c not in ("direction", "amount", "unit", "size")]
    out = []
    for r in rows.itertuples(index=False):
        key = {k: getattr(r, k) for k in keys}
        out.append((float(r.size), _generic_text(family, key, pd.DataFrame([r._asdict()]))))
    return out


def _generic_text(family: str, key: dict, g: pd.DataFrame) -> str:
    where = ", ".join(f"{k}={v}" for k, v in key.items())
    first = g.iloc[0]
    return f"{family} ({where}): {first['direction']} by {num(g['amount'].sum())} {first['unit']}"


TEMPLATES: dict[str, Callable[..., list[Sentence]]] = {
    "concentration": _concentration,
    "site_size": _site_size,
    "stay_open": _stay_open,
    "capacity": _capacity,
    "energy_need": _energy_need,
    "contract_supply": _contract_supply,
    "funding": _funding,
    "grant_rate": _grant_rate,
    "grant_cap": _grant_cap,
    "commitment": _partner("commitment"),
    "max_share": _partner("max_share"),
    "min_share": _partner("min_share"),
    "region_share": _region_share,
}
