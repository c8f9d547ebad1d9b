"""The report's finance tables (issue 13) in the Who pays section: capital by source with the
marginal cost of capital and the binding capital limits, the capital budget, and make or buy.

Cases are the hand cases of test_capital.py and test_offers.py (their arithmetic is in their
docstrings); every expected figure below is worked out by hand in the comments. Each table is
absent when the plan lacks its data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from casebuilder import solve_and_verify, write_case
from test_capital import PARTNER
from test_capital import case as capital_case
from test_offers import make_or_buy_case, offer
from test_report import Page, md_table

from optimizer.report import write_reports

TRANCHES = [
    {"partner": "P", "tranche": "T1", "max_musd": 50, "cost_of_capital": 0.08},
    {"partner": "P", "tranche": "T2", "max_musd": 50, "cost_of_capital": 0.12},
]


def render(data: Path, tmp_path: Path) -> tuple[Page, str]:
    """Solve (and verify) `data`, write report.html and report.md, return both."""
    out = solve_and_verify(data, tmp_path).out_dir
    write_reports(out, ["html", "md"])
    return Page((out / "report.html").read_text()), (out / "report.md").read_text()


def rows(page: Page, key: str) -> list[list[str]]:
    """The body rows of table `key` (its header row dropped)."""
    return page.tables[f"t-{key}"][1:]


def flat(md: str) -> str:
    """report.md with its line breaks and Markdown escapes removed, for sentence checks."""
    return re.sub(r"\\(.)", r"\1", " ".join(md.split()))


def test_capital_by_source_commitment_then_cheaper_tranche(tmp_path):
    # test_capital: need $130M; P commits $100M at 5%, T1 $50M at 8%, T2 $50M at 12%:
    # $100M commitment + $30M of T1, none of T2. Financing (discount 0, life 1: 1 + r a dollar):
    # 100M x 1.05 = $105M, 30M x 1.08 = $32.4M, total $137.4M -> "$137M" (3 significant).
    # Shares 100/130 = 76.9%, 30/130 = 23.1%. Marginal cost of capital: 8% (T2 is not drawn).
    data = capital_case(tmp_path / "case", partners=PARTNER, capital_tranches=TRANCHES)
    page, md = render(data, tmp_path)
    table = md_table(md, "Capital by source")
    assert table.to_dict("records") == [
        {
            "Partner": "P",
            "Source": "commitment",
            "Kind": "commitment",
            "Capital": "$100M",
            "Share": "76.9%",
            "Cost of capital": "5.00%",
            "Financing (NPV)": "$105M",
        },
        {
            "Partner": "P",
            "Source": "T1",
            "Kind": "tranche",
            "Capital": "$30M",
            "Share": "23.1%",
            "Cost of capital": "8.00%",
            "Financing (NPV)": "$32.4M",
        },
    ]
    assert [r[1] for r in rows(page, "capital-sources")] == ["commitment", "T1"]
    # total 100 + 30 = $130M, financing 105 + 32.4 = $137.4M
    assert page.footers["t-capital-sources"][3] == "$130M"
    assert page.footers["t-capital-sources"][-1] == "$137M"
    text = flat(md)
    assert "The capital needed, $130M, is drawn up to a cost of capital of 8.00%" in text
    # P's commitment is used up ($100M of $100M): headroom 0, not 100 - 130 = -$30M (the $30M
    # of T1 lies beyond the commitment), so P is listed at its commitment limit
    partners = page.table("partners").set_index("Partner")
    assert partners.loc["P", "Headroom"] in ("$0", "$0.00")
    assert "At their commitment limit: P." in text
    # no supply offers: no make-or-buy table
    assert "t-make-or-buy" not in page.tables
    assert "Make or buy" not in md


def test_a_binding_tranche_limit_and_its_shadow_price(tmp_path):
    # test_capital: T1 $20M alone beyond the $100M commitment, penalty $1,000 a GPU: T1 is
    # drawn in full and binds; one more dollar of T1 builds 1/1000 wspm = 12/1000 GPUs a year,
    # saving 0.012 x 1,000 = $12 of penalty less its financing 1.08: $10.92.
    data = capital_case(
        tmp_path / "case",
        {"unmet_penalty_usd_per_gpu": 1000},
        partners=PARTNER,
        capital_tranches=[TRANCHES[0] | {"max_musd": 20}],
    )
    page, md = render(data, tmp_path)
    assert [r[3] for r in rows(page, "capital-sources")] == ["$100M", "$20M"]
    limits = md_table(md, "Binding capital limits")
    tranche = limits[limits["Limit"] == "tranche limit"]
    assert tranche[["Partner", "Tranche", "Saving per extra dollar (NPV)"]].values.tolist() == [
        ["P", "T1", "$10.92"]
    ]
    # the commitment binds too: one more committed dollar (at 5%) saves 12 - 1.05 = $10.95
    commitment = limits[limits["Limit"] == "commitment"]
    assert commitment["Saving per extra dollar (NPV)"].tolist() == ["$10.95"]
    text = flat(md)
    assert "Partner P has drawn all of tranche T1: one more USD of room would save $10.92" in text
    assert "Partner P is at its commitment limit: one more USD of room would save $10.95" in text
    # 100 + 20 = $120M drawn, the dearest at 8%
    assert "The capital needed, $120M, is drawn up to a cost of capital of 8.00%" in text


def test_the_capital_budget_sentence(tmp_path):
    # test_capital: budget $100M, penalty $1,000: each budget dollar saves 12/1000 x 1,000 less
    # its financing $1 = $11. No partners.csv: the capital comes from the implicit partner's
    # commitment alone, so no capital-by-source table (the partners table shows it).
    data = capital_case(
        tmp_path / "case", {"unmet_penalty_usd_per_gpu": 1000, "capital_budget_musd": 100}
    )
    page, md = render(data, tmp_path)
    assert (
        "The capital budget binds: the $100M raised is all the budget allows. One more dollar "
        "of budget would save $11 (NPV) by building more." in flat(md)
    )
    assert "t-capital-sources" not in page.tables


def test_make_or_buy_by_year(tmp_path):
    # test_offers: N3 need in 2026 1,200 wafers; buying at $150 beats making at $200: the whole
    # offer of 500 bought (500 x $150 = $75,000), 700 made. Bought 500 / 1,200 = 41.7%.
    page, md = render(make_or_buy_case(tmp_path / "case", [offer()]), tmp_path)
    table = md_table(md, "Make or buy by year: wafers made and bought")
    assert table.to_dict("records") == [
        {
            "Year": "2026",
            "Process": "N3",
            "Made": "700",
            "Bought": "500",
            "Share bought": "41.7%",
            "Purchase cost": "$75,000",
        }
    ]
    assert page.footers["t-make-or-buy"][2:] == ["700", "500", "", "$75,000"]
    assert (
        "Make or buy: 500 wafers are bought from supply offers for $75,000 and 700 of the same "
        "processes are made (41.7% bought)." in flat(md)
    )
    # the CoWoS interposers are all made and never offered: not in the table
    assert "CoWoS" not in [r[1] for r in rows(page, "make-or-buy")]


def test_make_or_buy_over_the_years(tmp_path):
    # test_offers window case: 2026 all 1,200 made; 2027 500 bought at $50 = $25,000, 700 made.
    # Totals: made 1,200 + 700 = 1,900, bought 500; 500 / 2,400 = 20.8% bought.
    offers = [offer(first_year=2027, last_year=2027, price_usd_per_wafer=50)]
    page, md = render(make_or_buy_case(tmp_path / "case", offers, last_year=2027), tmp_path)
    assert rows(page, "make-or-buy") == [
        ["2026", "N3", "1,200", "0", "0.0%", "$0"],
        ["2027", "N3", "700", "500", "41.7%", "$25,000"],
    ]
    assert page.footers["t-make-or-buy"][2:] == ["1,900", "500", "", "$25,000"]
    assert "(20.8% bought)" in flat(md)


def test_offers_not_used(tmp_path):
    # test_offers: at $250 > $200 to make, nothing is bought: no table, one sentence
    data = make_or_buy_case(tmp_path / "case", [offer(price_usd_per_wafer=250)])
    page, md = render(data, tmp_path)
    assert "t-make-or-buy" not in page.tables
    assert "Make or buy:" not in md
    assert "Supply offers were open but none was used: every wafer is made." in flat(md)


def test_no_finance_inputs_no_new_tables(tmp_path):
    # test_capital's world with no partners.csv, tranches, market, budget or offers: the $130M
    # comes from the implicit partner's commitment (capital_sources.csv has that one source);
    # the who-pays section keeps its partner table and none of the new tables or sentences
    data = capital_case(tmp_path / "case")
    page, md = render(data, tmp_path)
    assert "t-partners" in page.tables
    assert page.footers["t-partners"][2] == "$130M"
    for key in ("capital-sources", "capital-limits", "make-or-buy"):
        assert f"t-{key}" not in page.tables
    for words in ("Capital by source", "capital budget binds", "Make or buy", "Supply offers"):
        assert words not in md


def test_a_plan_that_costs_nothing_still_reports(tmp_path):
    # 120,000 GPUs from one site with every cost 0 (casebuilder defaults): the cost shares are
    # undefined (0 / 0), and the report must still be written, with no finance tables
    data = write_case(tmp_path / "case", sites=[{"site": "A"}], demand=[{"gpus": 120_000}])
    page, md = render(data, tmp_path)
    assert "who-pays" in page.sections
    assert "t-capital-sources" not in page.tables and "t-make-or-buy" not in page.tables


def test_a_partner_held_by_its_minimum_share_is_not_the_marginal_rate():
    # A's commitment at 5% and B's at 15%, where B is drawn only because its min_share binds:
    # the capital at the margin costs 5%, not 15%
    from optimizer.plan.finance_stats import marginal_rate

    sources = pd.DataFrame(
        {"partner": ["A", "B"], "source": ["commitment"] * 2, "cost_of_capital": [0.05, 0.15]}
    )
    assert marginal_rate(sources) == 0.15
    assert marginal_rate(sources, {"B"}) == 0.05
