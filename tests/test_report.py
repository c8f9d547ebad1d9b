"""The report generator: sections, numbers, escaping, workbook, warnings, determinism.

Every test works on a copy of the hand-made plan in tests/data/report_plan (see make_fixture.py
there) and checks the report against numbers computed here, independently, from the plan's CSV
files with plain pandas (or by hand, with the arithmetic in a comment). The report module is never
asked for its own numbers.
"""

from __future__ import annotations

import json
import os
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
from optimizer.plan.schema import BINDING_KEYS, SCHEMA
from optimizer.render.fmt import count, money, number, pct, year
from optimizer.report import parse_formats, print_summary, write_reports

FIXTURE = Path(__file__).parent / "data" / "report_plan"


def copy_fixture_plan(out: Path) -> Path:
    """`out` (created) holding a fresh copy of the fixture plan: its CSV tables and summary.json."""
    out.mkdir(parents=True)
    for f in FIXTURE.iterdir():
        if f.suffix in (".csv", ".json"):
            shutil.copy(f, out / f.name)
    return out


# In CI (.ci/run installs Chromium) the browser tests must run, never be skipped silently.
needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None and not os.environ.get("CI"),
    reason="chromium is not installed (CI installs it; see .ci/run)",
)
SECTIONS = [
    ("executive-summary", "1. Executive summary"),
    ("where-and-when", "2. Where and when to build"),
    ("meeting-demand", "3. Meeting demand"),
    ("energy", "4. Energy"),
    ("who-pays", "5. Who pays and who runs it"),
    ("costs", "6. Costs"),
    ("limits", "7. What limits the plan"),
    ("assumptions", "8. Assumptions"),
]


# --------------------------------------------------------------------------------------------
# helpers


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A fresh copy of the fixture plan (CSV tables and summary.json only)."""
    return copy_fixture_plan(tmp_path / "plan")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, Page, str]:
    """One copy of the fixture with all three reports written, for the read-only tests."""
    out = copy_fixture_plan(tmp_path_factory.mktemp("rendered") / "plan")
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
        self.warning_classes: list[str] = []
        self.alerts: list[str] = []
        self.subheadings: list[tuple[str, str, str]] = []  # (section, id, text) of each h3
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
        elif tag == "h3" and self._section:
            self._capture = ("h3", [a.get("id") or ""])
        elif tag == "p" and "alert" in (a.get("class") or "").split():
            self._capture = ("alert", [])
        elif tag == "p" and "lead" in (a.get("class") or ""):
            self._capture = ("lead", [])
        elif tag == "p" and "warning" in (a.get("class") or "").split():
            self._capture = ("warning", [])
            self.warning_classes.append(a.get("class") or "")
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
        elif tag == "h3" and self._capture and self._capture[0] == "h3":
            key, *parts = self._capture[1]
            self.subheadings.append((self._section, key, "".join(parts).strip()))
            self._capture = None
        elif tag == "p" and self._capture and self._capture[0] == "alert":
            self.alerts.append("".join(self._capture[1]).strip())
            self._capture = None
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
    served = csv(plan_dir, "shipments")["gpus"].sum()  # delivered to markets
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
        assert close(value["Capital raised from partners for fabs"], funding)
        costs = csv(plan_dir, "costs").set_index("component")["npv_usd"]
        penalty = costs.get("unmet_demand", 0.0)
        # the penalty values GPUs not delivered, so it is left out of the cost of those delivered
        assert close(
            value[
                "Cost per GPU delivered (NPV cost less the unmet-demand penalty / GPUs delivered)"
            ],
            (summary["objective_usd"] - penalty) / served,
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
        # 7 cash components, their subtotal, then the penalty on its own line (issue 15)
        assert table["Component"].tolist()[-2:] == [
            "Cost of the plan, without the penalty",
            "Plus: value of GPUs not delivered (penalty)",
        ]
        parts = table[table["Component"] != "Cost of the plan, without the penalty"]
        exact = [to_number(v) for v in parts["NPV (USD)"]]
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
    present = [k for k in BINDING_KEYS if k in binding.columns]  # process, tool are optional
    keys = binding[present].itertuples(index=False)
    where = [
        " / ".join(
            str(int(float(v)) if k == "year" else v)
            for k, v in zip(present, row, strict=True)
            if pd.notna(v) and str(v) != ""
        )
        for row in keys
    ]
    assert ranks["Where"].tolist() == where  # the filled key columns, joined


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
    for name in ("production", "shipments", "unmet", "energy", "demand", "prices"):
        frame = csv(plan_dir, name)
        high = frame.copy()
        high["scenario"] = "high"
        for col in ("gpus", "wafers", "mwh", "cost_usd", "co2_t"):
            if col in high.columns:
                high[col] = high[col] * 2
        pd.concat([frame, high]).to_csv(plan_dir / f"{name}.csv", index=False)
    edit_summary(plan_dir, scenarios={"base": 0.25, "high": 0.75})
    page, _ = render(plan_dir, ("html",))
    base = csv(plan_dir, "shipments").query("scenario == 'base'")["gpus"].sum()  # delivered
    # expected = 0.25 x base + 0.75 x (2 x base) = 1.75 x base
    value = dict(
        zip(page.table("key-figures")["Measure"], page.table("key-figures")["Value"], strict=True)
    )
    assert value["GPUs delivered"] == f"{1.75 * base:,.0f}"


def test_a_limit_binding_in_several_years_is_one_finding(plan_dir):
    binding = csv(plan_dir, "binding")
    extra = binding.iloc[[0, 0]].copy()  # TW_SOUTH's site limit, also in 2030 and 2031
    extra["year"] = [2030, 2031]
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


def test_the_report_a_solve_writes_is_the_one_fabplan_report_renders_again(tiny_case_dir, tmp_path):
    """Committed reports must regenerate identically: the report written during the solve may not
    show what only exists after it (the write and total timings summary.json gets later)."""
    from casebuilder import fabplan

    out = tmp_path / "plan"
    run = fabplan("solve", tiny_case_dir, "--out", out, "--report", "html,md", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert {"write_s", "total_s"} <= set(summary["timings"])  # known only after the report
    first = {n: (out / n).read_bytes() for n in ("report.md", "report.html")}
    again = fabplan("report", out, "--format", "html,md", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    for name, text in first.items():
        assert (out / name).read_bytes() == text, name


# --------------------------------------------------------------------------------------------
# browser


@pytest.mark.browser
@needs_chromium
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


# --------------------------------------------------------------------------------------------
# hedged plans (fabplan solve --stochastic): shared decisions once, outcomes per scenario

B = 1e9
P_BASE, P_HIGH = 0.75, 0.25
HIGH_DEMAND = 1.5  # the high scenario's demand: 1.5 x base, every product, market and year
DISCOUNT, FIRST_YEAR, PENALTY = 0.08, 2025, 25_000.0  # the fixture's parameters


def make_hedged(plan: Path) -> None:
    """Turn the fixture copy into a hedged plan over base (p 0.75) and high (p 0.25).

    The shared decisions (builds, funding, contracts) stay as they are; in `high` demand is 1.5 x
    base and production is the same as in base (capacity is what it is), so everything above it
    goes unmet at the $25,000 penalty. scenario_costs.csv: base = costs.csv; high = costs.csv
    with that larger penalty. costs.csv then holds the expected values (only unmet_demand
    differs between the scenarios) and the objective is their sum.

    The regret table is made by hand around the hedged plan's scenario costs hb and hh:
      best possible: base hb - 2B, high hh - 1B
      base plan:        base hb - 2B (its own optimum), high hh - 1B + 20B
      high plan:        base hb - 2B + 5B,              high hh - 1B (its own optimum)
      mean-demand plan: base hb - 1B,                   high hh + 12B
      hedged plan:      base hb,                        high hh
    so RP = 0.75 hb + 0.25 hh = objective,
       WS  = 0.75 (hb - 2B) + 0.25 (hh - 1B) = RP - 1.5B - 0.25B = RP - 1.75B -> EVPI = 1.75B,
       EEV = 0.75 (hb - 1B) + 0.25 (hh + 12B) = RP - 0.75B + 3B = RP + 2.25B -> VSS = 2.25B.
    Regret (base, high): base plan (0, 20B), high plan (5B, 0), mean-demand plan (1B, 13B),
    hedged plan (2B, 1B): worst cases 20B, 5B, 13B, 2B -> the hedged plan has the least.
    """
    keys = ["product", "market", "year"]
    demand = csv(plan, "demand")
    high = demand.assign(scenario="high", gpus=demand["gpus"] * HIGH_DEMAND)
    pd.concat([demand, high]).to_csv(plan / "demand.csv", index=False)
    for name in ("production", "shipments"):
        frame = csv(plan, name)
        pd.concat([frame, frame.assign(scenario="high")]).to_csv(plan / f"{name}.csv", index=False)
    served = csv(plan, "shipments").query("scenario == 'base'").groupby(keys)["gpus"].sum()
    short = high.set_index(keys)["gpus"].sub(served, fill_value=0.0)
    short = short[short > 0.5].rename("gpus").reset_index().assign(scenario="high")
    pd.concat([csv(plan, "unmet"), short[["scenario", *keys, "gpus"]]]).to_csv(
        plan / "unmet.csv", index=False
    )
    for name in ("energy", "prices"):
        frame = csv(plan, name)
        pd.concat([frame, frame.assign(scenario="high")]).to_csv(plan / f"{name}.csv", index=False)
    df = 1 / (1 + DISCOUNT) ** (short["year"] - FIRST_YEAR)
    costs = csv(plan, "costs").set_index("component")["npv_usd"]
    base_row, high_row = costs.copy(), costs.copy()
    high_row["unmet_demand"] = float((short["gpus"] * PENALTY * df).sum())
    rows = []
    for name, p, row in (("base", P_BASE, base_row), ("high", P_HIGH, high_row)):
        rows.append(
            {"scenario": name, "probability": p}
            | {f"{c}_usd": v for c, v in row.items()}
            | {"total_usd": row.sum()}
        )
    pd.DataFrame(rows).to_csv(plan / "scenario_costs.csv", index=False)
    expected = P_BASE * base_row + P_HIGH * high_row
    expected.rename("npv_usd").reset_index().to_csv(plan / "costs.csv", index=False)
    hb, hh = base_row.sum(), high_row.sum()
    best = {"base": hb - 2 * B, "high": hh - 1 * B}
    cost = {
        ("base plan", "base"): best["base"],
        ("base plan", "high"): best["high"] + 20 * B,
        ("high plan", "base"): best["base"] + 5 * B,
        ("high plan", "high"): best["high"],
        ("mean-demand plan", "base"): hb - 1 * B,
        ("mean-demand plan", "high"): hh + 12 * B,
        ("hedged plan", "base"): hb,
        ("hedged plan", "high"): hh,
    }
    probability = {"base": P_BASE, "high": P_HIGH}
    pd.DataFrame(
        [
            {
                "plan": plan_name,
                "scenario": w,
                "probability": probability[w],
                "cost_usd": c,
                "best_cost_usd": best[w],
                "regret_usd": c - best[w],
            }
            for (plan_name, w), c in cost.items()
        ]
    ).to_csv(plan / "regret.csv", index=False)
    rp = float(expected.sum())
    edit_summary(
        plan,
        objective_usd=rp,
        stochastic=True,
        scenario="stochastic",
        scenarios={"base": P_BASE, "high": P_HIGH},
        risk=None,
        evpi_usd=1.75 * B,
        vss_usd=2.25 * B,
        rp_usd=rp,
        ws_usd=rp - 1.75 * B,
        eev_usd=rp + 2.25 * B,
    )


@pytest.fixture(scope="module")
def hedged(tmp_path_factory) -> tuple[Path, Page, str]:
    out = copy_fixture_plan(tmp_path_factory.mktemp("hedged") / "plan")
    make_hedged(out)
    page, md = render(out, ("html", "md", "xlsx"))
    return out, page, md


def key_figures(page: Page) -> dict[str, str]:
    table = page.table("key-figures")
    return dict(zip(table["Measure"], table["Value"], strict=True))


def test_hedged_plan_keeps_eight_sections_and_adds_planning_under_uncertainty(hedged):
    plan_dir, page, md = hedged
    assert page.sections == [k for k, _ in SECTIONS]
    subsection = [(s, k) for s, k, t in page.subheadings if t == "Planning under uncertainty"]
    assert subsection == [("meeting-demand", "planning-under-uncertainty")]
    assert "#planning-under-uncertainty" in page.toc
    three, four = md.index("## 3. Meeting demand"), md.index("## 4. Energy")
    assert three < md.index("### Planning under uncertainty") < four
    assert "   - [Planning under uncertainty](#planning-under-uncertainty)" in md
    # the shared decisions are shown once: one builds table, said to hold in every scenario
    assert list(page.tables).count("t-builds") == 1 and md.count("**Builds per site**") == 1
    assert "same in all 2 demand scenarios" in page.leads["where-and-when"]
    assert page.table("builds")["New capacity (wspm)"].tolist() == [
        number(w) for w in csv(plan_dir, "builds").sort_values(["year", "site"])["wspm"]
    ]
    # the subtitle says what kind of plan this is
    assert "hedged over 2 scenarios" in md.splitlines()[2]


def test_hedged_outcomes_per_scenario_and_year_equal_the_plan_tables(hedged):
    plan_dir, page, md = hedged
    production, unmet = csv(plan_dir, "production"), csv(plan_dir, "unmet")
    demand = csv(plan_dir, "demand")
    for table in (
        page.table("scenario-outcomes"),
        md_table(md, "GPUs supplied and unmet per year, by scenario"),
    ):
        table = table.set_index("Year")
        for w in ("base", "high"):
            for y in range(2025, 2033):
                made = production.query("scenario == @w and year == @y")["gpus"].sum()
                short = unmet.query("scenario == @w and year == @y")["gpus"].sum()
                assert table.loc[str(y), f"{w} supplied"] == number(made)
                assert table.loc[str(y), f"{w} unmet"] == number(short)
    foot = dict(
        zip(page.tables["t-scenario-outcomes"][0], page.footers["t-scenario-outcomes"], strict=True)
    )
    assert foot["high unmet"] == number(unmet.query("scenario == 'high'")["gpus"].sum())
    # high: demand 1.5 x base with base's production, so unmet = 1.5 x demand - production
    assert unmet.query("scenario == 'high'")["gpus"].sum() == pytest.approx(
        1.5 * demand.query("scenario == 'base'")["gpus"].sum()
        - production.query("scenario == 'base'")["gpus"].sum()
    )
    by_scenario = page.table("demand-by-scenario").set_index("Scenario")
    assert by_scenario.loc["high", "Unmet"] == number(
        unmet.query("scenario == 'high'")["gpus"].sum()
    )
    assert by_scenario.loc["base", "Probability"] == "75.0%"
    assert (plan_dir / "charts" / "scenario_outcomes.svg").exists()
    assert "charts/scenario_outcomes.svg" in md


def test_hedged_cost_by_scenario_equals_scenario_costs_csv_and_adds_up(hedged):
    plan_dir, page, md = hedged
    costs = csv(plan_dir, "scenario_costs").set_index("scenario")
    for table in (
        page.table("scenario-costs"),
        md_table(md, "Cost by scenario and component (NPV)"),
    ):
        table = table.set_index("Scenario")
        for w in ("base", "high"):
            assert table.loc[w, "Total"] == money(costs.loc[w, "total_usd"])
            assert table.loc[w, "Unmet penalty"] == money(costs.loc[w, "unmet_demand_usd"])
            assert table.loc[w, "Financing"] == money(costs.loc[w, "financing_usd"])
    expected = P_BASE * costs.loc["base", "total_usd"] + P_HIGH * costs.loc["high", "total_usd"]
    total = csv(plan_dir, "costs")["npv_usd"].sum()
    assert expected == pytest.approx(total, rel=1e-12)
    assert page.footers["t-scenario-costs"][0] == "Expected"
    assert page.footers["t-scenario-costs"][-1] == money(expected)
    text = "".join(page.text)
    assert f"the scenario costs add up to {money(expected)}, the plan's expected cost" in text
    assert (
        f"The plan costs {money(costs.loc['base', 'total_usd'])} if demand turns out base and "
        f"{money(costs.loc['high', 'total_usd'])} if high." in text
    )
    figures = key_figures(page)
    base, high = money(costs.loc["base", "total_usd"]), money(costs.loc["high", "total_usd"])
    assert figures["Cost by scenario (NPV)"] == f"base {base}; high {high}"


def test_hedged_plan_states_vss_and_evpi_in_plain_words(hedged):
    _, page, md = hedged
    text = "".join(page.text)
    # VSS = 2.25B and EVPI = 1.75B by construction (make_hedged)
    summary = [
        p for p in md.split("## 2.")[0].split("\n\n") if p.startswith("This is a hedged plan")
    ]
    assert len(summary) == 1
    assert (
        "Hedging saves $2.25B against planning for average demand (VSS); knowing the future "
        "would save a further $1.75B (EVPI)." in summary[0]
    )
    assert "Hedging saves $2.25B against planning for average demand (VSS, the value" in text
    assert "Knowing the future would save a further $1.75B (EVPI, the expected value" in text
    figures = key_figures(page)
    assert figures["Value of hedging (VSS)"] == "$2.25B"
    assert figures["Value of perfect information (EVPI)"] == "$1.75B"
    assert "Risk setting: risk-neutral." in text


def test_hedged_regret_table_equals_regret_csv_and_names_the_least_worst_case(hedged):
    plan_dir, page, md = hedged
    regret = csv(plan_dir, "regret")
    wide = regret.pivot(index="plan", columns="scenario", values="regret_usd")
    worst = wide.max(axis=1)
    mean = (regret["regret_usd"] * regret["probability"]).groupby(regret["plan"]).sum()
    for table in (page.table("regret"), md_table(md, "Regret of each plan in each scenario (NPV)")):
        table = table.set_index("Plan").rename(index={"hedged plan (this plan)": "hedged plan"})
        assert table.index.tolist() == ["base plan", "high plan", "mean-demand plan", "hedged plan"]
        for p in table.index:
            for w in ("base", "high"):
                assert table.loc[p, w] == money(wide.loc[p, w])
            assert table.loc[p, "Worst case"] == money(worst[p])
            assert table.loc[p, "Expected regret"] == money(mean[p])
        # hand: worst cases 20B, 5B, 13B, 2B -> ranks 4, 2, 3, 1
        assert table["Rank"].tolist() == ["4", "2", "3", "1"]
    costs = page.table("regret-costs").set_index("Plan")
    hedged_cost = regret.query("plan == 'hedged plan'").set_index("scenario")["cost_usd"]
    assert costs.loc["hedged plan (this plan)", "high"] == money(hedged_cost["high"])
    best = regret.groupby("scenario")["best_cost_usd"].first()
    assert page.footers["t-regret-costs"][:3] == [
        "Best possible",
        money(best["base"]),
        money(best["high"]),
    ]
    summary = json.loads((plan_dir / "summary.json").read_text())
    assert page.footers["t-regret-costs"][3] == money(summary["ws_usd"])
    text = "".join(page.text)
    assert (
        "The hedged plan has the least worst-case regret of the 4 plans compared: $2B (in the "
        "base scenario)." in text
    )
    assert "The base plan has the most: $20B if the high scenario happens." in text
    assert (plan_dir / "charts" / "regret.svg").exists()


def test_hedged_unmet_warning_and_costs_section_point_to_the_scenarios(hedged):
    plan_dir, page, _ = hedged
    unmet = csv(plan_dir, "unmet").groupby("scenario")["gpus"].sum()
    warning = next(w for w in page.warnings if "unmet" in w)
    assert warning.startswith("Warning: In expectation over the scenarios, the plan leaves")
    assert (
        f"By scenario: base {count(unmet['base'])}, high {count(unmet['high'])} GPUs unmet."
        in warning
    )
    assert "Planning under uncertainty" in "".join(page.text).split("6. Costs", 1)[1]
    assert "t-scenario-costs" in page.tables  # once, in the subsection


def test_hedged_workbook_has_the_regret_and_scenario_cost_sheets(hedged):
    plan_dir, _, _ = hedged
    wb = openpyxl.load_workbook(plan_dir / "plan.xlsx")
    assert {"regret", "scenario_costs"} <= set(wb.sheetnames)
    assert wb["regret"].max_row == len(csv(plan_dir, "regret")) + 1
    summary = {r[0].value: r[1].value for r in wb["summary"].iter_rows(min_row=2)}
    assert summary["EVPI [USD, NPV]"] == pytest.approx(1.75 * B)
    assert summary["VSS [USD, NPV]"] == pytest.approx(2.25 * B)


def test_risk_averse_plan_states_its_setting_and_expected_cost(plan_dir):
    """CVaR at alpha 0.9 with weight 0.5. The worst 10% of outcomes lie inside the high scenario
    (p 0.25 >= 0.1), so CVaR = cost(high), and the objective is 0.5 E + 0.5 cost(high)."""
    make_hedged(plan_dir)
    costs = csv(plan_dir, "scenario_costs").set_index("scenario")["total_usd"]
    mean = P_BASE * costs["base"] + P_HIGH * costs["high"]
    objective = 0.5 * mean + 0.5 * costs["high"]
    rows = csv(plan_dir, "costs")
    risk = pd.DataFrame({"component": ["risk_adjustment"], "npv_usd": [objective - mean]})
    pd.concat([rows, risk]).to_csv(plan_dir / "costs.csv", index=False)
    edit_summary(plan_dir, objective_usd=objective, risk={"cvar_alpha": 0.9, "risk_weight": 0.5})
    page, md = render(plan_dir, ("html", "md"))
    text = "".join(page.text)
    assert "risk-averse (CVaR 90%, weight 0.5)" in md.splitlines()[2]
    assert "(1 − 0.5) × expected cost + 0.5 × CVaR at 0.9" in text
    assert "the average cost of the worst 10% of outcomes" in text
    assert (
        f"the expected cost is {money(mean)} and the CVaR {money(costs['high'])} (the high "
        f"scenario), so the objective is (1 − 0.5) × {money(mean)} + 0.5 × "
        f"{money(costs['high'])} = {money(objective)}." in text
    )
    figures = key_figures(page)
    assert figures["Expected cost (NPV)"] == money(mean)
    assert figures["Risk-weighted objective (NPV)"] == money(objective)
    assert "Total cost (NPV)" not in figures
    assert "at an expected cost of" in page.leads["executive-summary"]
    assert "measured, as Birge and Louveaux define them, on the risk-neutral" in text
    shares = page.table("costs").set_index("Component")["Share"]
    assert shares["Risk adjustment (CVaR)"] == "–"
    penalty = rows.set_index("component")["npv_usd"]["unmet_demand"]
    # a share of the cash cost
    assert shares["Plus: value of GPUs not delivered (penalty)"] == pct(penalty / mean)


def test_end_to_end_stochastic_run_reports_what_the_solver_wrote(tmp_path):
    """The tiny case with two demand scenarios, solved by fabplan; the report must show the
    numbers of summary.json, scenario_costs.csv and regret.csv as written."""
    from fixtures import write_tiny_case

    from optimizer.run import SolveRequest, run_solve

    data = write_tiny_case(
        tmp_path / "data",
        demand="scenario,year,product,market,gpus\n"
        "low,2025,GPU_N3,global,150000\nlow,2026,GPU_N3,global,200000\n"
        "low,2027,GPU_N3,global,250000\nhigh,2025,GPU_N3,global,150000\n"
        "high,2026,GPU_N3,global,400000\nhigh,2027,GPU_N3,global,600000\n",
        scenarios="scenario,probability,description\nlow,0.6,slow\nhigh,0.4,fast\n",
    )
    out = tmp_path / "plan"
    run_solve(
        SolveRequest(data_dir=data, out_dir=out, stochastic=True, report_formats=("html", "md"))
    )
    page = Page((out / "report.html").read_text())
    md = (out / "report.md").read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["evpi_usd"] >= -1e-6 and summary["vss_usd"] >= -1e-6
    text = "".join(page.text)
    vss = money(0.0 if abs(summary["vss_usd"]) < 1 else summary["vss_usd"])
    evpi = money(0.0 if abs(summary["evpi_usd"]) < 1 else summary["evpi_usd"])
    assert f"would save a further {evpi} (EVPI" in text
    if summary["vss_usd"] >= 1.0:
        assert f"Hedging saves {vss} against planning for average demand (VSS" in text
    else:
        assert "Hedging saves nothing here" in text
    regret = csv(out, "regret")
    table = page.table("regret").set_index("Plan")
    assert len(table) == regret["plan"].nunique() == 4  # low, high, mean-demand, hedged
    for r in regret.itertuples():
        name = "hedged plan (this plan)" if r.plan == "hedged plan" else r.plan
        shown = table.loc[name, r.scenario]
        assert shown == money(0.0 if abs(r.regret_usd) < 1 else r.regret_usd)
    costs = csv(out, "scenario_costs").set_index("scenario")
    shown = page.table("scenario-costs").set_index("Scenario")["Total"]
    assert shown.to_dict() == {w: money(costs.loc[w, "total_usd"]) for w in ("low", "high")}
    assert "### Planning under uncertainty" in md


# --------------------------------------------------------------------------------------------
# integer plans (fabplan solve --integer): sites opened, modules, the gap, labelled prices

MODULES = {"TW_SOUTH": 10_000, "US_AZ": 10_000, "US_TX": 5_000, "JP_KUMAMOTO": 5_000}


def make_integer(plan: Path, **summary) -> None:
    """The fixture as an integer plan: module sizes in sites.csv (builds are whole multiples,
    see MODULES), capacity.csv open already 0/1, the gap and the duals label in summary.json."""
    sites = csv(plan, "sites")
    sites["module_wspm"] = sites["site"].map(MODULES).fillna(10_000)
    sites.to_csv(plan / "sites.csv", index=False)
    edit_summary(
        plan,
        **{
            "mode": "integer",
            "duals": "lp with integer decisions fixed",
            "mip_gap": 3e-5,
            "options": {"time_limit": None, "mip_gap": None, "threads": None, "integer": True},
            **summary,
        },
    )


def test_integer_plan_shows_sites_opened_and_module_counts(plan_dir):
    make_integer(plan_dir)
    page, md = render(plan_dir, ("html", "md"))
    builds = csv(plan_dir, "builds").sort_values(["year", "site"])
    sizes = builds["site"].map(MODULES)
    modules = builds["wspm"] / sizes
    assert (modules == modules.round()).all()
    expected = [f"{int(n)} × {number(s)}" for n, s in zip(modules, sizes, strict=True)]
    for table in (page.table("builds"), md_table(md, "Builds per site")):
        assert table["Modules"].tolist() == expected
    # by hand: TW_SOUTH 20,000/10,000 + 30,000/10,000 x 2 = 2 + 3 + 3; US_TX 25,000/5,000 +
    # 20,000/5,000 = 5 + 4; US_AZ 20,000/10,000 = 2; JP_KUMAMOTO 15,000/5,000 = 3 -> 22 modules
    assert page.footers["t-builds"][5] == "22"
    # opened: US_TX and JP_KUMAMOTO have no existing capacity; capacity.csv open turns 1 in the
    # year of their first build decision (2025 and 2026); TW_SOUTH and US_AZ were open already
    opened = page.table("sites-opened")
    assert opened[
        ["Site", "Open from", "Modules built", "New capacity (wspm)"]
    ].values.tolist() == [
        ["US_TX", "2025", "9", "45,000"],
        ["JP_KUMAMOTO", "2026", "3", "15,000"],
    ]
    cap = csv(plan_dir, "capacity")
    first_open = cap[cap["open"] > 0.5].groupby("site")["year"].min()
    assert first_open[["US_TX", "JP_KUMAMOTO"]].tolist() == [2025, 2026]
    figures = key_figures(page)
    assert figures["Sites opened during the horizon"] == "2: US_TX in 2025 and JP_KUMAMOTO in 2026"
    assert figures["Modules built"] == "22 modules of sizes 5,000, 10,000 wspm"
    assert "integer plan" in md.splitlines()[2]


def test_integer_plan_states_its_gap(plan_dir):
    make_integer(plan_dir)
    page, _ = render(plan_dir, ("html",))
    objective = json.loads((plan_dir / "summary.json").read_text())["objective_usd"]
    lead = page.leads["executive-summary"]
    # gap 3e-5 = 0.003%; the default tolerance 1e-4 = 0.01%; 3e-5 x $95.6B = $2.87M
    assert "The solver proved this integer plan is within 0.003% of the best possible plan" in lead
    assert "(it was asked for 0.01%)" in lead
    assert f"no plan can be more than {money(3e-5 * objective)} cheaper" in lead
    assert money(3e-5 * objective) == "$2.87M"
    assert (
        key_figures(page)["Solver status (optimality gap)"]
        == "optimal (gap 0.003%; tolerance 0.01%)"
    )
    assert page.warnings == [w for w in page.warnings if "unmet" in w]  # no optimality warning
    assert page.alerts == []


def test_integer_plan_labels_prices_and_binding_constraints(plan_dir, capsys):
    make_integer(plan_dir)
    page, md = render(plan_dir, ("html", "md"))
    label = "from the LP with integer decisions fixed"
    limits = md.split("## 7. What limits the plan", 1)[1].split("## 8.", 1)[0]
    assert (
        f"This is an integer plan, so its shadow prices and GPU prices come **{label}**" in limits
    )
    assert f"**Binding constraints ({label})**" in limits
    assert f"### Marginal cost of a GPU ({label})" in limits
    assert f"that year's dollars; {label})**" in limits
    assert f"*Marginal cost of one more GPU of demand, in each year's dollars ({label}).*" in limits
    print_summary(plan_dir)
    out = capsys.readouterr().out
    assert f"({label})" in out and "22 modules" in out and "US_TX 2025, JP_KUMAMOTO 2026" in out


def test_lp_plan_has_no_integer_labels_or_module_column(rendered):
    _, page, md = rendered
    assert "Modules" not in page.table("builds").columns
    assert "t-sites-opened" not in page.tables
    assert "integer decisions" not in md


def test_time_limited_integer_plan_is_flagged_loudly(plan_dir):
    make_integer(
        plan_dir,
        status="time_limit",
        optimal=False,
        mip_gap=0.0312,
        termination="Time limit reached",
    )
    page, md = render(plan_dir, ("html", "md"))
    objective = json.loads((plan_dir / "summary.json").read_text())["objective_usd"]
    # 3.12% of $95.6B = $2.98B the best possible plan may save
    saving = money(0.0312 * objective)
    assert saving == "$2.98B"
    assert len(page.alerts) == 1 and page.alerts[0].startswith("Not proven optimal.")
    assert f"gap of 3.12%: the best possible plan may cost up to {saving} less" in page.alerts[0]
    assert page.tags.index("nav") > page.tags.index("header")  # the banner comes before contents
    assert md.index("> **NOT PROVEN OPTIMAL.**") < md.index("## Contents")
    assert "NOT proven optimal" in page.warnings[0] and "critical" in page.warning_classes[0]
    assert f"up to 3.12% ({saving}) less" in page.warnings[0]
    assert (
        key_figures(page)["Solver status (optimality gap)"]
        == "time_limit (gap 3.12%; tolerance 0.01%)"
    )
    limits = md.split("## 7. What limits the plan", 1)[1].split("## 8.", 1)[0]
    assert "As this plan is not proven optimal, they are the prices of this plan" in limits


def test_integer_plan_without_fixed_lp_prices_says_so(plan_dir):
    """A fixed-LP re-solve that gave no duals leaves every price at 0 and nothing binding."""
    make_integer(plan_dir, status="time_limit", optimal=False, mip_gap=0.01)
    prices = csv(plan_dir, "prices").assign(usd_per_gpu=0.0)
    prices.to_csv(plan_dir / "prices.csv", index=False)
    (plan_dir / "binding.csv").write_text(",".join(SCHEMA["binding"].names) + "\n")
    page, _ = render(plan_dir, ("html",))
    assert "returned no prices for this plan" in page.leads["limits"]
    assert "t-prices" not in page.tables and "t-binding" not in page.tables


def test_hedged_integer_report_is_byte_identical_and_imports_no_pyomo(plan_dir, tmp_path):
    """Both extensions at once (an integer hedged plan), written in a fresh process that must
    not import Pyomo, then again here: the Markdown and the charts come out the same bytes."""
    make_hedged(plan_dir)
    make_integer(plan_dir)
    other = tmp_path / "again"
    shutil.copytree(plan_dir, other)
    code = (
        "import sys\nfrom pathlib import Path\nfrom optimizer.report import write_reports\n"
        f"write_reports(Path({str(other)!r}), ['html', 'md', 'xlsx'])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pyomo', 'highspy'))\n"
        "assert not bad, bad\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    page, md = render(plan_dir, ("html", "md"))
    assert "t-sites-opened" in page.tables and "t-regret" in page.tables
    names = ["report.md"] + [f"charts/{p.name}" for p in sorted((plan_dir / "charts").glob("*"))]
    assert "charts/regret.svg" in names and "charts/scenario_outcomes.svg" in names
    for name in names:
        assert (plan_dir / name).read_bytes() == (other / name).read_bytes(), name


def test_plans_with_equal_worst_case_regret_tie(plan_dir):
    """Make the high plan's worst case equal the hedged plan's (2B, by hand in make_hedged):
    both rank first and the report says they tie."""
    make_hedged(plan_dir)
    regret = csv(plan_dir, "regret")
    row = (regret["plan"] == "high plan") & (regret["scenario"] == "base")
    regret.loc[row, "cost_usd"] -= 3 * B  # regret 5B -> 2B
    regret.loc[row, "regret_usd"] -= 3 * B
    regret.to_csv(plan_dir / "regret.csv", index=False)
    page, _ = render(plan_dir, ("html",))
    ranks = page.table("regret").set_index("Plan")["Rank"]
    assert ranks["high plan"] == ranks["hedged plan (this plan)"] == "1"
    assert "The high plan and the hedged plan tie for the least worst-case regret" in "".join(
        page.text
    )


@pytest.mark.browser
@needs_chromium
def test_hedged_integer_html_renders_in_headless_chromium(plan_dir, tmp_path):
    make_hedged(plan_dir)
    make_integer(plan_dir)
    write_reports(plan_dir, ["html"])
    dom = subprocess.run(
        [
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
            "--dump-dom",
            (plan_dir / "report.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=180,
    ).stdout
    # 8 sections; 7 charts of the base report + the scenario outcomes + the regret chart
    assert dom.count("<section") == 8 and dom.count("<svg") == 9
    assert '<h3 id="planning-under-uncertainty">' in dom and 'id="t-sites-opened"' in dom
