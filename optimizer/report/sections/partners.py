"""Who pays: capital by partner and by source, shares per region, grants, make or buy."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from optimizer.plan import finance_stats, statistics
from optimizer.plan.read import Plan
from optimizer.render import charts
from optimizer.render.document import (
    Figure,
    Section,
    para,
    table,
)
from optimizer.render.fmt import (
    limit,
    money,
    number,
    pct,
    price,
    year,
)
from optimizer.report.sections.common import (
    MAX_ROWS,
)

KEY = "who-pays"


@dataclass(frozen=True)
class PartnerNumbers:
    """Every number the who-pays section shows, computed before any formatting."""

    head: statistics.Headline
    partners: pd.DataFrame  # statistics.partners, largest first
    at_limit: list[str]  # partners at their commitment limit
    financing_usd: float  # NPV of the annuities paid inside the horizon
    regional: pd.DataFrame  # statistics.partner_region_shares
    grants: pd.DataFrame  # statistics.grants_by_site
    hedged: bool
    programs: pd.DataFrame = field(default_factory=pd.DataFrame)  # grants_by_program
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)  # finance_stats.capital_by_source
    capital_limits: pd.DataFrame = field(default_factory=pd.DataFrame)  # binding capital rows
    held: set[str] = field(default_factory=set)  # partners drawn only for their minimum share
    make_buy: pd.DataFrame = field(default_factory=pd.DataFrame)  # finance_stats.make_or_buy
    offers: bool = False  # solved with supply offers (purchases.csv)
    operators: pd.DataFrame = field(default_factory=pd.DataFrame)  # operator_rows


def numbers(plan: Plan, head: statistics.Headline) -> PartnerNumbers:
    """The who-pays section's bundle from the plan statistics."""
    partners = statistics.partners(plan)
    funded = len(partners) > 0
    return PartnerNumbers(
        head=head,
        partners=partners,
        at_limit=partners.loc[
            partners["headroom_usd"].abs() <= 1e-6 * partners["usd"].abs().clip(lower=1.0),
            "partner",
        ].tolist()
        if funded
        else [],
        financing_usd=float(partners["financing_cost_npv_usd"].sum()) if funded else 0.0,
        regional=statistics.partner_region_shares(plan) if funded else pd.DataFrame(),
        grants=statistics.grants_by_site(plan) if funded else pd.DataFrame(),
        hedged=plan.hedged,
        programs=statistics.grants_by_program(plan) if funded else pd.DataFrame(),
        sources=finance_stats.capital_by_source(plan),
        capital_limits=finance_stats.capital_limits(plan),
        held=finance_stats.held_by_min_share(plan),
        make_buy=finance_stats.make_or_buy(plan),
        offers=finance_stats.offers_modelled(plan),
        operators=operator_rows(plan),
    )


def section(n: PartnerNumbers) -> Section:
    """Section 5: who pays for the builds, partner by partner and region by region."""
    head, partners, at_limit, fin = n.head, n.partners, n.at_limit, n.financing_usd
    if not len(partners):
        section = Section(
            KEY,
            5,
            "Who pays and who runs it",
            para("No capital is raised: the plan builds nothing that needs funding."),
        )
        section.blocks.extend(make_or_buy_blocks(n))
        return section
    top = partners.iloc[0]
    runs = [
        f"Partners put up {money(head.capital_usd)} for the fabs and government grants "
        f"{money(head.grants_usd)} of the {money(head.capex_usd)} capital expenditure. "
        f"{top['partner']} provides the most ({money(top['usd'])}, {pct(top['share'])}). ",
    ]
    if at_limit:
        runs.append(f"At their commitment limit: {', '.join(at_limit)}. ")
    runs.append(
        "Each dollar a partner puts in is repaid as an annuity at its cost of capital over the "
        f"asset life; the payments inside the planning horizon cost {money(fin)} in net present "
        "value (the financing component of the cost)."
    )
    if n.hedged:
        runs.append(
            " The funding is the same in every scenario: it is raised before demand is known."
        )
    section = Section(KEY, 5, "Who pays and who runs it", para(*runs))
    rows = [
        (
            r.partner,
            str(r.kind),
            money(r.usd),
            pct(r.share),
            f"{pct(r.min_share, 0)} – {pct(r.max_share, 0)}",
            limit(r.max_commitment_usd),
            limit(r.headroom_usd),
            pct(r.cost_of_capital),
            money(r.financing_cost_npv_usd),
        )
        for r in partners.itertuples()
    ]
    section.blocks.append(
        table(
            "partners",
            "Capital by partner",
            (
                "Partner",
                "Kind",
                "Capital",
                "Share",
                "Share limits",
                "Commitment limit",
                "Headroom",
                "Cost of capital",
                "Financing (NPV)",
            ),
            rows,
            "llrrrrrrr",
            limit=MAX_ROWS,
            source="partner_summary.csv",
            total=(
                "Total",
                "",
                money(partners["usd"].sum()),
                pct(partners["share"].sum()),
                "",
                "",
                "",
                "",
                money(fin),
            ),
            note="Capital in the dollars of the year it is raised; "
            "headroom: commitment limit minus capital raised.",
        )
    )
    section.blocks.append(
        Figure(
            charts.partner_capital(partners),
            "Capital per partner; the black tick marks its commitment limit.",
        )
    )
    regional = n.regional
    if len(regional) and (regional["region"] != "").any():
        section.blocks.append(
            table(
                "partner-regions",
                "Each partner's share of the capital raised per region",
                ("Region", "Partner", "Capital", "Share of region", "Limit", "At limit"),
                [
                    (
                        r.region,
                        r.partner,
                        money(r.usd),
                        pct(r.share),
                        pct(r.max_share, 0),
                        "yes" if pd.notna(r.max_share) and r.share >= r.max_share - 1e-6 else "",
                    )
                    for r in regional.itertuples()
                ],
                "llrrrl",
                limit=MAX_ROWS,
                source="funding.csv",
                note="Limit: the partner's maximum share of that region's capital (–: no limit).",
            )
        )
    grants = n.grants
    if len(grants):
        section.blocks.append(
            table(
                "grants",
                "Grants received",
                ("Site", "Grants", "Capex at the site", "Share of capex"),
                [
                    (r.site, money(r.usd), money(r.capex_usd), pct(r.share_of_capex))
                    for r in grants.itertuples()
                ],
                "lrrr",
                total=("Total", money(grants["usd"].sum()), money(grants["capex_usd"].sum()), ""),
                limit=MAX_ROWS,
                source="grants.csv",
            )
        )
    programs = n.programs
    if len(programs):
        section.blocks.append(
            table(
                "subsidy-programs",
                "Subsidies by program and year",
                ("Program", "Kind", "Build year", "Paid"),
                [(r.program, r.kind, str(r.year), money(r.usd)) for r in programs.itertuples()],
                "llrr",
                total=("Total", "", "", money(programs["usd"].sum())),
                limit=MAX_ROWS,
                source="grants.csv",
                note="A program pays a share of the capex of builds decided inside its years "
                "(subsidies.csv); a tax credit is counted as paid in the build year.",
            )
        )
    section.blocks.extend(capital_source_blocks(n))
    section.blocks.extend(operator_blocks(n))
    section.blocks.extend(make_or_buy_blocks(n))
    return section


def operator_rows(plan: Plan) -> pd.DataFrame:
    """operator_summary.csv with the sites each operator built at (operators.csv); empty when
    the plan has no operators (operators.csv absent from the data)."""
    if not plan.has("operator_summary"):
        return pd.DataFrame()
    s = plan["operator_summary"].copy()
    built = plan["operators"] if plan.has("operators") else pd.DataFrame(columns=["site"])
    sites = built.groupby("operator")["site"].agg(lambda x: ", ".join(sorted(set(x))))
    s["sites"] = s["operator"].map(sites).fillna("")
    return s.sort_values("capital_usd", ascending=False).reset_index(drop=True)


def operator_blocks(n: PartnerNumbers) -> list:
    """Who runs it: per operator the sites it builds at, wspm, capital and its own stake."""
    ops = n.operators
    if not len(ops):
        return []
    rows = [
        (
            r.operator,
            str(r.partner) if pd.notna(r.partner) and str(r.partner) else "–",
            r.sites or "–",
            number(r.wspm_built),
            money(r.capital_usd),
            money(r.own_capital_usd),
            pct(r.stake) if pd.notna(r.stake) else "–",
            pct(r.min_stake, 0),
        )
        for r in ops.itertuples()
    ]
    return [
        table(
            "operators",
            "Who runs it: builds and stake per operator",
            (
                "Operator",
                "Partner",
                "Sites built",
                "wspm built",
                "Capital",
                "Own capital",
                "Stake",
                "Min stake",
            ),
            rows,
            "lllrrrrr",
            limit=MAX_ROWS,
            source="operator_summary.csv, operators.csv",
            note="Capital: capex of its builds after its capex_factor; own capital: its "
            "partner's funding at the sites it may run (site_operators.csv).",
        )
    ]


def capital_source_blocks(n: PartnerNumbers) -> list:
    """Capital by source (commitments, tranches, market) and what the capital limits are worth;
    nothing when the capital comes from commitments alone and no capital budget binds."""
    sources, limits = n.sources, n.capital_limits
    budget_saving = finance_stats.budget_binds(limits)
    blocks: list = []
    if budget_saving is not None:
        blocks.append(
            para(
                f"The capital budget binds: the {money(n.head.capital_usd)} raised is all the "
                f"budget allows. One more dollar of budget would save {price(budget_saving)} "
                "(NPV) by building more."
            )
        )
    if not len(sources):
        return blocks
    total = float(sources["usd"].sum())
    rate = finance_stats.marginal_rate(sources, n.held)
    blocks.append(
        table(
            "capital-sources",
            "Capital by source",
            ("Partner", "Source", "Kind", "Capital", "Share", "Cost of capital", "Financing (NPV)"),
            [
                (
                    r.partner,
                    r.source,
                    r.kind,
                    money(r.usd),
                    pct(r.usd / total),
                    pct(r.cost_of_capital, 2),
                    money(r.financing_cost_npv_usd),
                )
                for r in sources.itertuples()
            ],
            "lllrrrr",
            limit=MAX_ROWS,
            source="capital_sources.csv",
            total=(
                "Total",
                "",
                "",
                money(total),
                pct(1.0),
                "",
                money(sources["financing_cost_npv_usd"].sum()),
            ),
            note="Cheapest source first. A tranche is drawn only beyond its partner's "
            "commitment; market capital comes from the market partner "
            "(parameters.csv market_cost_of_capital).",
        )
    )
    runs = [
        f"The capital needed, {money(total)}, is drawn up to a cost of capital of "
        f"{pct(rate, 2)} (the marginal cost of capital: the dearest source drawn"
        + (
            f", leaving out {', '.join(sorted(n.held))}, drawn only to meet a minimum share)."
            if n.held
            else ")."
        )
    ]
    # binding.csv's meaning already says what one more dollar saves; the budget is said above
    runs += [f" {r.sentence}" for r in limits.itertuples() if r.family != "capital_budget"]
    blocks.append(para(*runs))
    if len(limits):
        blocks.append(
            table(
                "capital-limits",
                "Binding capital limits",
                ("Limit", "Partner", "Tranche", "Year", "Saving per extra dollar (NPV)"),
                [
                    (
                        r.family.replace("_", " "),
                        r.partner,
                        r.tranche,
                        "" if pd.isna(r.year) else year(r.year),
                        price(r.saving_usd),
                    )
                    for r in limits.itertuples()
                ],
                "llllr",
                limit=MAX_ROWS,
                source="binding.csv",
                note="The shadow price of each binding limit: what one more dollar of it saves.",
            )
        )
    return blocks


def make_or_buy_blocks(n: PartnerNumbers) -> list:
    """Wafers made against wafers bought from supply offers, by year and process."""
    if not n.offers:
        return []
    frame = n.make_buy
    if not len(frame):
        return [para("Supply offers were open but none was used: every wafer is made.")]
    bought, made = float(frame["bought"].sum()), float(frame["made"].sum())
    cost = float(frame["cost_usd"].sum())
    lead = para(
        f"Make or buy: {number(bought)} wafers are bought from supply offers for "
        f"{money(cost)} and {number(made)} of the same processes are made "
        f"({pct(bought / (bought + made))} bought)."
    )
    rows = [
        (
            year(r.year),
            r.process,
            number(r.made),
            number(r.bought),
            pct(r.bought_share),
            money(r.cost_usd),
        )
        for r in frame.itertuples()
    ]
    return [
        lead,
        table(
            "make-or-buy",
            "Make or buy by year: wafers made and bought",
            ("Year", "Process", "Made", "Bought", "Share bought", "Purchase cost"),
            rows,
            "llrrrr",
            limit=MAX_ROWS,
            source="purchases.csv",
            total=("Total", "", number(made), number(bought), "", money(cost)),
            note="Wafers a year (expected over scenarios); the purchase cost in the dollars of "
            "its year (the purchases cost component is its NPV).",
        ),
    ]
