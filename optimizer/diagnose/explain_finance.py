"""Why a case is infeasible, for the finance concern's families (funding, grants, partners).

A limit on paying for builds may bind only because a concentration cap forces builds into other
regions: then its sentence also says which cap forces them (`forced_by_caps`, on every
explanation here)."""

from __future__ import annotations

from collections.abc import Callable

from optimizer.diagnose import why
from optimizer.diagnose.forced import Forced, forced_builds
from optimizer.diagnose.rows import generic_text, groups, lookup
from optimizer.diagnose.text import LINE, cell, ref, share, years_text
from optimizer.model.registry import Explain, Sentence
from optimizer.render.fmt import usd


def forced_by_caps(explain: Explain) -> Explain:
    """Add to each sentence the concentration caps that force the builds it pays for."""

    def explain_rows(case, family, rows) -> list[Sentence]:
        found = explain(case, family, rows)
        forced = forced_builds(case)
        if not forced:
            return found
        return [
            (size, f"{text}; the capital is for builds elsewhere needed {_keep(forced)}")
            for size, text in found
        ]

    return explain_rows


def _keep(forced: list[Forced]) -> str:
    """'to keep TW within max_capacity_share 0.50 from 2026 (regions.csv line 2)'."""
    return " and ".join(why.cap_clause(f) for f in forced)


@forced_by_caps
def funding(case, family, rows) -> list[Sentence]:
    out = []
    shares = None
    for key, g, size in groups(rows, ["site", "direction"]):
        s = lookup(case.sites, site=key["site"])
        if s is None:
            out.append((size, generic_text(family, key, g)))
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


def partner(family: str) -> Callable:
    def template(case, fam, rows) -> list[Sentence]:
        out = []
        shares = None
        for key, g, size in groups(rows, ["partner"]):
            p = lookup(case.partners, partner=key["partner"])
            if p is None:
                out.append((size, generic_text(fam, key, g)))
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

    return forced_by_caps(template)


@forced_by_caps
def region_share(case, family, rows) -> list[Sentence]:
    out = []
    for key, g, size in groups(rows, ["partner", "region"]):
        r = lookup(case.partner_regions, partner=key["partner"], region=key["region"])
        if r is None:
            out.append((size, generic_text(family, key, g)))
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
