"""The report generator: sections, numbers, escaping, workbook, warnings, determinism.

Every test works on a copy of the hand-made plan in tests/data/report_plan (see make_fixture.py
there) and checks the report against numbers computed here, independently, from the plan's CSV
files with plain pandas (or by hand, with the arithmetic in a comment). The report module is never
asked for its own numbers.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer.errors import InputError, UsageError
from optimizer.report import parse_formats, print_summary, write_reports
from optimizer.report.fmt import money, number, pct, year

FIXTURE = Path(__file__).parent / "data" / "report_plan"
SECTIONS = [
    ("executive-summary", "1. Executive summary"),
    ("where-and-when", "2. Where and when to build"),
    ("meeting-demand", "3. Meeting demand"),
    ("energy", "4. Energy"),
    ("who-pays", "5. Who pays"),
    ("costs", "6. Costs"),
    ("limits", "7. What limits the plan"),
    ("assumptions", "8. Assumptions"),
]


# --------------------------------------------------------------------------------------------
# helpers


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A fresh copy of the fixture plan (CSV tables and summary.json only)."""
    out = tmp_path / "plan"
    out.mkdir()
    for f in FIXTURE.iterdir():
        if f.suffix in (".csv", ".json"):
            shutil.copy(f, out / f.name)
    return out


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, Page, str]:
    """One copy of the fixture with all three reports written, for the read-only tests."""
    out = tmp_path_factory.mktemp("rendered") / "plan"
    out.mkdir()
    for f in FIXTURE.iterdir():
        if f.suffix in (".csv", ".json"):
            shutil.copy(f, out / f.name)
    write_reports(out, ["html", "md", "xlsx"])
    return out, Page((out / "report.html").read_text()), (out / "report.md").read_text()


def csv(plan: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(plan / f"{name}.csv", keep_default_na=False, na_values={"": [""]})


def edit_summary(plan: Path, **changes) -> None:
    path = plan / "summary.json"
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def rename_everywhere(plan: Path, column: str, old: str, new: str) -> None:
    """Rename an id in every table that has the column (keeps the plan consistent)."""
    for f in plan.glob("*.csv"):
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        if column in frame.columns:
            frame[column] = frame[column].replace(old, new)
            frame.to_csv(f, index=False)


class Page(HTMLParser):
    """What a reader and a test need from report.html: sections, tables, tags, text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.sections: list[str] = []
        self.headings: dict[str, str] = {}
        self.leads: dict[str, str] = {}
        self.toc: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.footers: dict[str, list[str]] = {}
        self.warnings: list[str] = []
        self.text: list[str] = []
        self.order: list[str] = []  # "warning" / "lead:<section>" in document order
        self._section = ""
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_foot = False
        self._capture: tuple[str, list[str]] | None = None
        self._in_nav = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self._section = a.get("id", "")
            self.sections.append(self._section)
        elif tag == "nav":
            self._in_nav = True
        elif tag == "a" and self._in_nav:
            self.toc.append(a.get("href", ""))
        elif tag == "h2" and self._section:
            self._capture = ("h2", [])
        elif tag == "p" and "lead" in (a.get("class") or ""):
            self._capture = ("lead", [])
        elif tag == "p" and "warning" in (a.get("class") or "").split():
            self._capture = ("warning", [])
        elif tag == "table":
            self._table = a.get("id", "")
            self.tables[self._table] = []
        elif tag == "tfoot":
            self._in_foot = True
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "nav":
            self._in_nav = False
        elif tag in ("h2", "p") and self._capture and self._capture[0] in ("h2", "lead", "warning"):
            kind, parts = self._capture
            text = "".join(parts).strip()
            if kind == "h2":
                self.headings[self._section] = text
            elif kind == "lead":
                self.leads[self._section] = text
                self.order.append(f"lead:{self._section}")
            elif tag == "p":
                self.warnings.append(text)
                self.order.append("warning")
            self._capture = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            if self._in_foot:
                self.footers[self._table] = self._row
            else:
                self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tfoot":
            self._in_foot = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._capture is not None:
            self._capture[1].append(data)

    def table(self, key: str) -> pd.DataFrame:
        """The table with id t-<key>, header row as columns."""
        rows = self.tables[f"t-{key}"]
        return pd.DataFrame(rows[1:], columns=rows[0])


def md_table(md: str, caption: str) -> pd.DataFrame:
    """The Markdown table under the bold caption (cells unescaped; the total row dropped)."""
    lines = md.splitlines()
    start = lines.index(f"**{caption}**") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows.append([re.sub(r"\\(.)", r"\1", c) for c in cells])
    header, body = rows[0], [r for r in rows[2:] if not r[0].startswith("**")]
    return pd.DataFrame(body, columns=header)


def to_number(text: str) -> float:
    """'$95.6B' -> 95.6e9, '1,234' -> 1234, '-$0.041' -> -0.041, '32.6%' -> 0.326."""
    t = text.strip().replace(",", "")
    sign = -1.0 if t.startswith("-") else 1.0
    t = t.lstrip("-").lstrip("$")
    if t.endswith("%"):
        return sign * float(t[:-1]) / 100
    scale = {"T": 1e12, "B": 1e9, "M": 1e6}.get(t[-1:], 1.0)
    return sign * float(t[:-1] if scale != 1.0 else t) * scale


def close(shown: str, exact: float, rel: float = 0.005) -> bool:
    """A number shown with three significant digits is within half a unit of the third."""
    return abs(to_number(shown) - exact) <= rel * abs(exact) + 1e-9


def render(plan: Path, formats=("html", "md", "xlsx")) -> tuple[Page, str]:
    write_reports(plan, list(formats))
    html = (plan / "report.html").read_text(encoding="utf-8") if "html" in formats else ""
    md = (plan / "report.md").read_text(encoding="utf-8") if "md" in formats else ""
    return Page(html), md


# --------------------------------------------------------------------------------------------
# formatting


def test_money_and_number_formats_read_like_a_business_report():
    assert money(2.4e9) == "$2.4B"
    assert money(310e6) == "$310M"
    assert money(95_618_131_337) == "$95.6B"
    assert money(612_000) == "$612,000"
    assert money(0.041) == "$0.041"
    assert money(-1.25e9) == "-$1.25B"
    assert number(1_234_567) == "1,234,567"
    assert pct(0.325914) == "32.6%"
    assert year(2031) == "2031"  # no thousands separator in years


def test_parse_formats_accepts_a_comma_list_and_rejects_unknown_names():
    assert parse_formats("html, md,xlsx") == ["html", "md", "xlsx"]
    assert parse_formats(["markdown", "excel"]) == ["md", "xlsx"]
    with pytest.raises(UsageError, match="pdf"):
        parse_formats("html,pdf")


# --------------------------------------------------------------------------------------------
# structure


def test_html_has_the_eight_sections_in_order_each_with_a_lead_and_a_toc(rendered):
    plan_dir, page, _ = rendered
    assert page.sections == [k for k, _ in SECTIONS]
    assert [page.headings[k] for k, _ in SECTIONS] == [h for _, h in SECTIONS]
    assert page.toc == [f"#{k}" for k, _ in SECTIONS]
    for key, _ in SECTIONS:
        assert len(page.leads[key].split()) >= 15, f"section {key} needs a plain-language lead"


def test_html_is_self_contained(rendered):
    plan_dir, page, _ = rendered
    html = (plan_dir / "report.html").read_text()
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html
    assert page.tags.count("svg") == 7  # every chart inline
    assert "default-src 'none'" in html  # the CSP forbids any fetch
    assert "@media print" in html


def test_markdown_has_the_same_sections_and_charts_beside_it(rendered):
    plan_dir, _, md = rendered
    headings = [line[3:] for line in md.splitlines() if line.startswith("## ")]
    assert headings == ["Contents"] + [h for _, h in SECTIONS]
    charts = re.findall(r"\]\((charts/[a-z_]+\.svg)\)", md)
    assert len(charts) == 7
    for c in charts:
        svg = (plan_dir / c).read_text()
        assert svg.startswith("<?xml") and "<svg" in svg and "<title>" in svg


# --------------------------------------------------------------------------------------------
# numbers equal the plan tables


def test_key_figures_equal_the_plan_tables(rendered):
    plan_dir, page, md = rendered
    summary = json.loads((plan_dir / "summary.json").read_text())
    demand = csv(plan_dir, "demand")["gpus"].sum()
    unmet = csv(plan_dir, "unmet")["gpus"].sum()
    served = csv(plan_dir, "production")["gpus"].sum()
    builds = csv(plan_dir, "builds")
    funding = csv(plan_dir, "funding")["usd"].sum()
    energy = csv(plan_dir, "energy")
    # by hand: 20,000 + 30,000 + 30,000 (TW_SOUTH) + 25,000 + 20,000 (US_TX) + 20,000 (US_AZ)
    # + 15,000 (JP_KUMAMOTO) = 160,000 wspm
    assert builds["wspm"].sum() == 160_000
    for figures in (page.table("key-figures"), md_table(md, "Key figures")):
        value = dict(zip(figures["Measure"], figures["Value"], strict=True))
        assert close(value["Total cost (NPV)"], summary["objective_usd"])
        assert value["GPUs demanded"] == f"{demand:,.0f}"
        assert value["GPUs delivered"] == f"{served:,.0f}"
        assert value["GPUs unmet"].startswith(f"{unmet:,.0f} (")
        assert value["New capacity built (wspm)"] == "160,000"
        # new sites: US_TX and JP_KUMAMOTO have no existing capacity; 4 sites get builds
        assert value["Sites built (of which new sites)"] == "4 (2)"
        assert close(value["Capital raised from partners"], funding)
        assert close(
            value["Cost per GPU delivered (NPV cost / GPUs delivered)"],
            summary["objective_usd"] / served,
        )
        assert value["Energy used (MWh)"] == f"{energy['mwh'].sum():,.0f}"
        assert value["CO2 emitted (t)"] == f"{energy['co2_t'].sum():,.0f}"
        assert value["Solver status (optimality gap)"] == "optimal (0.00%)"


def test_demand_per_year_equals_demand_production_and_unmet(rendered):
    plan_dir, page, md = rendered
    demand = csv(plan_dir, "demand").groupby("year")["gpus"].sum()
    served = csv(plan_dir, "production").groupby("year")["gpus"].sum()
    unmet = csv(plan_dir, "unmet").groupby("year")["gpus"].sum().reindex(demand.index).fillna(0)
    for table in (page.table("demand-by-year"), md_table(md, md_caption("demand-by-year"))):
        assert table["Year"].tolist() == [str(y) for y in demand.index]
        assert table["Demanded"].tolist() == [f"{v:,.0f}" for v in demand]
        assert table["Served"].tolist() == [f"{v:,.0f}" for v in served]
        assert table["Unmet"].tolist() == [f"{v:,.0f}" for v in unmet]
    # hand check of one year: 2028 unmet = 444,000 (GPU_N2 Asia) + 281,200 (GPU_N3 Asia)
    assert page.table("demand-by-year").set_index("Year").loc["2028", "Unmet"] == "725,200"


def md_caption(key: str) -> str:
    return {
        "demand-by-year": "Demand served and unmet per year (GPUs)",
        "builds": "Builds per site",
        "costs": "Cost by component (NPV)",
        "partners": "Capital by partner",
    }[key]


def test_builds_table_lists_every_build(rendered):
    plan_dir, page, md = rendered
    builds = csv(plan_dir, "builds").sort_values(["year", "site"]).reset_index(drop=True)
    for table in (page.table("builds"), md_table(md, md_caption("builds"))):
        assert table["Site"].tolist() == builds["site"].tolist()
        assert table["Decision year"].tolist() == builds["year"].astype(str).tolist()
        assert table["Online year"].tolist() == builds["online_year"].astype(str).tolist()
        assert table["New capacity (wspm)"].tolist() == [f"{w:,.0f}" for w in builds["wspm"]]
        for shown, exact in zip(table["Capex"], builds["capex_usd"], strict=True):
            assert close(shown, exact)
    # TW_SOUTH's first build: 20,000 wspm x $500,000 per wspm = $10B, online 2025 + 2 = 2027
    first = page.table("builds").iloc[0]
    assert (first["Site"], first["Online year"], first["Capex"]) == ("TW_SOUTH", "2027", "$10B")


def test_installed_capacity_by_region_adds_up(rendered):
    plan_dir, page, _ = rendered
    cap = csv(plan_dir, "capacity").merge(csv(plan_dir, "sites")[["site", "region"]], on="site")
    last = cap[cap["year"] == 2032].groupby("region")["installed_wspm"].sum()
    table = page.table("capacity").set_index("Region")
    # by hand, 2032: Taiwan 50,000 existing + 80,000 built; United States 10,000 + 65,000;
    # Japan 15,000; Germany and the UAE build nothing and are left out
    assert table["2032"].to_dict() == {
        "Taiwan": "130,000",
        "United States": "75,000",
        "Japan": "15,000",
    }
    assert {r: f"{v:,.0f}" for r, v in last[last > 0].items()} == table["2032"].to_dict()
    assert page.footers["t-capacity"][-2] == "220,000"


def test_costs_table_sums_to_the_objective_and_the_report_says_so(rendered):
    plan_dir, page, md = rendered
    objective = json.loads((plan_dir / "summary.json").read_text())["objective_usd"]
    costs = csv(plan_dir, "costs")
    assert costs["npv_usd"].sum() == pytest.approx(objective, rel=1e-9)
    for table in (page.table("costs"), md_table(md, md_caption("costs"))):
        exact = [to_number(v) for v in table["NPV (USD)"]]
        assert len(exact) == 8
        # each row is rounded to the dollar: the sum is within 8 x $0.50 of the objective
        assert abs(sum(exact) - objective) <= 4
    assert to_number(page.footers["t-costs"][-1]) == round(objective)
    lead = page.leads["costs"]
    assert f"add up to {objective:,.0f} USD" in lead and "equal to the objective" in lead
    assert "Check: the 8 components add up to" in md


def test_costs_that_do_not_add_up_are_flagged(plan_dir):
    objective = json.loads((plan_dir / "summary.json").read_text())["objective_usd"]
    edit_summary(plan_dir, objective_usd=objective + 1e6)
    page, _ = render(plan_dir, ("html",))
    assert "Check FAILED" in page.leads["costs"]
    assert any("not to the objective" in w for w in page.warnings)


def test_partner_table_equals_partner_summary_and_funding(rendered):
    plan_dir, page, md = rendered
    ps = csv(plan_dir, "partner_summary").set_index("partner")
    by_partner = csv(plan_dir, "funding").groupby("partner")["usd"].sum()
    for table in (page.table("partners"), md_table(md, md_caption("partners"))):
        t = table.set_index("Partner")
        assert set(t.index) == set(ps.index)
        for p in ps.index:
            assert close(t.loc[p, "Capital"], by_partner[p])
            assert t.loc[p, "Share"] == f"{100 * ps.loc[p, 'share']:.1f}%"
    # MGX_UAE's commitment limit equals its capital: the report says it is at its limit
    assert "At their commitment limit: MGX_UAE" in page.leads["who-pays"]
    regions = page.table("partner-regions")
    us = regions[(regions["Region"] == "United States") & (regions["Partner"] == "MGX_UAE")]
    # US capital: MGX_UAE funds 25% of each US build, and its cap there is 25%
    assert us[["Share of region", "Limit", "At limit"]].values.tolist() == [["25.0%", "25%", "yes"]]


def test_binding_constraints_are_told_in_sentences_in_ranked_order(rendered):
    plan_dir, page, md = rendered
    binding = csv(plan_dir, "binding")
    html = (plan_dir / "report.html").read_text()
    positions = [html.find(m[0].upper() + m[1:]) for m in binding["meaning"]]
    assert all(p > 0 for p in positions)
    assert positions == sorted(positions)  # impact order kept
    assert "TW_SOUTH is at its 130,000 wspm limit from 2029" in md
    ranks = page.table("binding")
    assert ranks["Where"].tolist() == binding["index"].tolist()


def test_energy_contracts_and_prices_equal_the_plan_tables(rendered):
    plan_dir, page, _ = rendered
    energy = csv(plan_dir, "energy")
    contracts = page.table("contracts").set_index("Contract")
    drawn = energy.groupby("contract")["mwh"].sum()
    used = csv(plan_dir, "contracts").query("mw > 0")["contract"]
    assert sorted(contracts.index) == sorted(used)
    for c in used:
        assert contracts.loc[c, "MWh drawn"] == f"{drawn.get(c, 0):,.0f}"
    # TW_OWF_CPPA: a $100/MWh offshore-wind contract with no emissions
    assert contracts.loc["TW_OWF_CPPA", ["Avg $/MWh", "t CO2/MWh"]].tolist() == ["$100.00", "0.000"]
    prices = page.table("prices").set_index("Year")
    raw = csv(plan_dir, "prices")
    row = raw[(raw["product"] == "GPU_N2") & (raw["market"] == "Asia") & (raw["year"] == 2028)]
    assert close(prices.loc["2028", "GPU_N2 · Asia"], row["usd_per_gpu"].iloc[0])


def test_assumptions_list_inputs_with_hashes_and_versions(rendered):
    plan_dir, page, _ = rendered
    summary = json.loads((plan_dir / "summary.json").read_text())
    inputs = page.table("inputs")
    assert dict(zip(inputs["File"], inputs["SHA-256"], strict=True)) == summary["inputs"]
    params = dict(
        zip(page.table("parameters")["Parameter"], page.table("parameters")["Value"], strict=True)
    )
    assert params["discount_rate"] == "0.08" and params["first_year"] == "2025"
    software = dict(
        zip(page.table("software")["Item"], page.table("software")["Value"], strict=True)
    )
    assert software["Solver"] == "HiGHS 1.16.0" and software["fabplan"] == "0.1.0"


# --------------------------------------------------------------------------------------------
# warnings


def test_a_time_limited_plan_carries_the_warning_first(plan_dir):
    edit_summary(
        plan_dir,
        status="time_limit",
        optimal=False,
        mip_gap=0.0312,
        termination="Time limit reached",
    )
    page, md = render(plan_dir, ("html", "md"))
    assert page.warnings and "NOT proven optimal" in page.warnings[0]
    assert "3.12%" in page.warnings[0] and "time_limit" in page.warnings[0]
    assert page.order.index("warning") < page.order.index("lead:executive-summary")
    body = md.split("## 1. Executive summary", 1)[1].lstrip("\n")
    assert body.startswith("> **Warning:** This plan is NOT proven optimal")


def test_an_optimal_plan_that_meets_all_demand_has_no_warning(plan_dir):
    (plan_dir / "unmet.csv").write_text("scenario,product,market,year,gpus\n")
    page, md = render(plan_dir, ("html", "md"))
    assert page.warnings == [] and "Warning" not in md


def test_unmet_demand_is_warned_about_with_its_size(plan_dir):
    page, _ = render(plan_dir, ("html",))
    # 128,000 + 256,000 + 444,000 + 281,200 = 1,109,200 GPUs unmet in 2027-2028
    assert any("1.11 million GPUs" in w and "2027–2028" in w for w in page.warnings)


def test_terminal_summary_names_cost_capacity_unmet_limits_and_report(plan_dir, capsys):
    write_reports(plan_dir, ["html"])
    print_summary(plan_dir)
    out, err = capsys.readouterr()
    assert "$95.6B" in out and "160,000 wspm" in out and "1.11 million GPUs" in out
    assert "1. TW_SOUTH is at its 130,000 wspm limit" in out
    assert "3. Demand for GPU_N2 in Asia in 2028" in out and "4." not in out
    assert str(plan_dir / "report.html") in out
    assert "unmet" in err  # the warning goes to stderr


# --------------------------------------------------------------------------------------------
# hostile input


HOSTILE_SITE = '<script>alert("site")</script>'
HOSTILE_PARTNER = "<img src=x onerror=alert(1)>"
HOSTILE_REGION = "Taiwan & <b>Penghu</b> | *x*"


def test_hostile_names_appear_as_text_in_html_markdown_and_charts(plan_dir):
    rename_everywhere(plan_dir, "site", "TW_SOUTH", HOSTILE_SITE)
    rename_everywhere(plan_dir, "partner", "MSFT", HOSTILE_PARTNER)
    rename_everywhere(plan_dir, "region", "Taiwan", HOSTILE_REGION)
    page, md = render(plan_dir, ("html", "md"))
    assert "script" not in page.tags and "img" not in page.tags and "b" not in page.tags
    text = "".join(page.text)
    assert HOSTILE_SITE in text and HOSTILE_PARTNER in text and HOSTILE_REGION in text
    assert page.table("builds")["Site"].iloc[0] == HOSTILE_SITE
    # Markdown: no raw tag survives, the table keeps its columns, the name reads back intact
    assert not re.search(r"(?<!\\)<(script|img|b)\b", md)  # only backslash-escaped `\<`
    assert md_table(md, "Builds per site")["Site"].iloc[0] == HOSTILE_SITE
    assert md_table(md, "Installed capacity by region (wspm)")["Region"].iloc[0] == HOSTILE_REGION
    for svg in (plan_dir / "charts").glob("*.svg"):
        assert "<script" not in svg.read_text() and "<img" not in svg.read_text()


# --------------------------------------------------------------------------------------------
# workbook


def test_workbook_holds_every_table_with_frozen_headers_and_units(rendered):
    plan_dir, _, _ = rendered
    wb = openpyxl.load_workbook(plan_dir / "plan.xlsx")
    tables = sorted(f.stem for f in plan_dir.glob("*.csv"))
    assert wb.sheetnames == ["summary", *tables]
    for name in tables:
        ws = wb[name]
        frame = csv(plan_dir, name)
        assert ws.freeze_panes == "A2"
        assert ws.max_row == len(frame) + 1 and ws.max_column == len(frame.columns)
    builds = wb["builds"]
    headers = [c.value for c in builds[1]]
    assert headers == [
        "site",
        "year",
        "online_year",
        "wspm [wafer starts/month]",
        "capex [USD]",
        "grant [USD]",
    ]
    assert builds["E2"].value == csv(plan_dir, "builds")["capex_usd"].iloc[0]
    assert builds["B2"].number_format == "0"  # years as plain integers
    costs = wb["costs"]
    assert [c.value for c in costs[1]] == ["component", "npv [USD, NPV]"]
    total = sum(r[1].value for r in costs.iter_rows(min_row=2))
    summary = {r[0].value: r[1].value for r in wb["summary"].iter_rows(min_row=2)}
    assert total == pytest.approx(summary["objective [USD, NPV]"], rel=1e-9)
    assert summary["GPUs unmet"] == 1_109_200


def test_formula_like_text_is_never_a_formula(plan_dir):
    nasty = {
        "partner": ("MSFT", '=HYPERLINK("http://evil.example","click")'),
        "site": ("US_AZ", "+SUM(1,2)"),
        "product": ("GPU_N3", "-2+3"),
        "market": ("Asia", "@cmd"),
    }
    for column, (old, new) in nasty.items():
        rename_everywhere(plan_dir, column, old, new)
    write_reports(plan_dir, ["xlsx"])
    wb = openpyxl.load_workbook(plan_dir / "plan.xlsx")
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.value)
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    seen.add(cell.value)
    assert {new for _, new in nasty.values()} <= seen
    with zipfile.ZipFile(plan_dir / "plan.xlsx") as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any("<f>" in z.read(n).decode() for n in sheets)


# --------------------------------------------------------------------------------------------
# robustness


def test_a_plan_without_optional_tables_still_reports(plan_dir):
    for name in ("sites", "demand", "partner_regions", "grants"):
        (plan_dir / f"{name}.csv").unlink()
    page, _ = render(plan_dir, ("html",))
    served = csv(plan_dir, "production")["gpus"].sum()
    unmet = csv(plan_dir, "unmet")["gpus"].sum()
    value = dict(
        zip(page.table("key-figures")["Measure"], page.table("key-figures")["Value"], strict=True)
    )
    assert value["GPUs demanded"] == f"{served + unmet:,.0f}"  # demand = served + unmet
    assert "t-capacity" in page.tables and page.table("capacity").columns[0] == "Site"
    assert value["Sites built (of which new sites)"] == "4 (2)"  # existing from capacity.csv


def test_expected_values_over_two_scenarios(plan_dir):
    """Two scenarios at 0.25 / 0.75: the report shows probability-weighted GPUs."""
    for name in ("production", "unmet", "energy", "demand", "prices"):
        frame = csv(plan_dir, name)
        high = frame.copy()
        high["scenario"] = "high"
        for col in ("gpus", "wafers", "mwh", "cost_usd", "co2_t"):
            if col in high.columns:
                high[col] = high[col] * 2
        pd.concat([frame, high]).to_csv(plan_dir / f"{name}.csv", index=False)
    edit_summary(plan_dir, scenarios={"base": 0.25, "high": 0.75})
    page, _ = render(plan_dir, ("html",))
    base = csv(plan_dir, "production").query("scenario == 'base'")["gpus"].sum()
    # expected = 0.25 x base + 0.75 x (2 x base) = 1.75 x base
    value = dict(
        zip(page.table("key-figures")["Measure"], page.table("key-figures")["Value"], strict=True)
    )
    assert value["GPUs delivered"] == f"{1.75 * base:,.0f}"


def test_a_limit_binding_in_several_years_is_one_finding(plan_dir):
    binding = csv(plan_dir, "binding")
    extra = binding.iloc[[0, 0]].copy()  # TW_SOUTH's site limit, also in 2030 and 2031
    extra["index"] = ["TW_SOUTH 2030", "TW_SOUTH 2031"]
    extra["impact_usd"] = [1.0, 2.0]
    pd.concat([binding, extra]).to_csv(plan_dir / "binding.csv", index=False)
    page, md = render(plan_dir, ("html", "md"))
    limits = md.split("## 7. What limits the plan", 1)[1]
    findings = [line for line in limits.splitlines() if re.match(r"\d+\. ", line)]
    assert len([f for f in findings if "TW_SOUTH" in f]) == 1
    assert "It binds in 3 years in all: 2029–2031." in findings[0]
    assert len(page.table("binding")) == len(binding) + 2  # the table keeps every row


def test_long_tables_are_cut_with_a_pointer_to_the_rest(plan_dir):
    builds = csv(plan_dir, "builds")
    many = pd.concat([builds] * 10, ignore_index=True)  # 70 builds
    many["wspm"] = range(1, 71)
    many.to_csv(plan_dir / "builds.csv", index=False)
    page, _ = render(plan_dir, ("html",))
    table = page.table("builds")
    assert len(table) == 50
    assert set(table["New capacity (wspm)"]) == {str(w) for w in range(21, 71)}  # the largest
    # the total still covers all 70: 1 + 2 + ... + 70 = 70 x 71 / 2 = 2,485 wspm
    assert page.footers["t-builds"][4] == "2,485"
    assert "20 smaller ones are in builds.csv" in "".join(page.text)


def test_a_plan_that_builds_nothing_still_reports(plan_dir):
    for name in ("builds", "funding", "grants"):
        header = (plan_dir / f"{name}.csv").read_text().splitlines()[0]
        (plan_dir / f"{name}.csv").write_text(header + "\n")
    page, md = render(plan_dir, ("html", "md"))
    assert "builds nothing new" in page.leads["where-and-when"]
    assert "t-builds" not in page.tables
    assert page.tags.count("svg") == 6  # no timeline
    assert "charts/builds_timeline.svg" not in md


def test_energy_not_modelled_is_said_plainly(plan_dir):
    (plan_dir / "energy.csv").write_text("scenario,contract,site,year,mwh,cost_usd,co2_t\n")
    page, _ = render(plan_dir, ("html",))
    assert "Energy is not modelled" in page.leads["energy"]


def test_not_a_plan_folder_and_missing_columns_are_clear_errors(plan_dir, tmp_path):
    with pytest.raises(UsageError, match="not a plan folder"):
        write_reports(tmp_path / "nowhere", ["html"])
    frame = csv(plan_dir, "builds").drop(columns="capex_usd")
    frame.to_csv(plan_dir / "builds.csv", index=False)
    (plan_dir / "costs.csv").unlink()
    with pytest.raises(InputError) as info:
        write_reports(plan_dir, ["html"])
    problems = [str(p) for p in info.value.problems]
    assert any("builds.csv" in p and "capex_usd" in p for p in problems)
    assert any("costs.csv" in p for p in problems)


# --------------------------------------------------------------------------------------------
# determinism and isolation


def test_report_generation_does_not_import_pyomo(plan_dir):
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from optimizer.report import write_reports, print_summary\n"
        f"write_reports(Path({str(plan_dir)!r}), ['html', 'md', 'xlsx'])\n"
        f"print_summary(Path({str(plan_dir)!r}))\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pyomo', 'highspy'))\n"
        "assert not bad, bad\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (plan_dir / "report.html").exists()


def test_markdown_html_and_charts_are_byte_identical_when_regenerated(plan_dir, tmp_path):
    other = tmp_path / "again"
    shutil.copytree(plan_dir, other)
    write_reports(plan_dir, ["html", "md"])
    code = (
        "from pathlib import Path\nfrom optimizer.report import write_reports\n"
        f"write_reports(Path({str(other)!r}), ['html', 'md'])\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # a fresh process
    for name in ["report.md", "report.html"] + [
        f"charts/{p.name}" for p in sorted((plan_dir / "charts").glob("*.svg"))
    ]:
        assert (plan_dir / name).read_bytes() == (other / name).read_bytes(), name
    write_reports(plan_dir, ["md"])  # and again in this process
    assert (plan_dir / "report.md").read_bytes() == (other / "report.md").read_bytes()


# --------------------------------------------------------------------------------------------
# browser


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_html_renders_in_headless_chromium(plan_dir, tmp_path):
    import numpy as np
    from PIL import Image

    write_reports(plan_dir, ["html"])
    shot = tmp_path / "report.png"
    base = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    url = (plan_dir / "report.html").as_uri()
    subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1280,4000", url],
        check=True,
        capture_output=True,
        timeout=180,
    )
    image = Image.open(shot).convert("L")
    assert image.size == (1280, 4000)
    dark = int((np.asarray(image) < 128).sum())
    assert dark > 20_000  # text and charts, not a blank page
    dom = subprocess.run(
        [*base, "--dump-dom", url], check=True, capture_output=True, text=True, timeout=180
    ).stdout
    assert dom.count("<section") == 8 and dom.count("<svg") == 7
