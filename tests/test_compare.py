"""`fabplan compare`: two plan folders whose differences are known by construction.

Plan A and plan B are written here by hand (CSV tables + summary.json). B is A with: the US_FAB
build moved two years later, one more site opened (JP_FAB), partner shares changed, financing
cost +$30M, 13,000 GPUs of unmet demand (+$26M of penalty), more grid and less solar energy,
one more energy contract, and a carbon-price override. Every expected sentence and number below
is worked out by hand from those tables (arithmetic in the comments), never taken from the
comparison itself. The end-to-end test solves the tiny case twice (discount rate 8% and 5%).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from fixtures import write_tiny_case

from optimizer.compare import compare_plans, run_compare_command, write_comparison
from optimizer.compare.sentences import NO_DIFFERENCE
from optimizer.errors import InputError, UsageError
from optimizer.plan.schema import SCHEMA

YEARS = [2025, 2026, 2027, 2028]
LEAD = 1  # online_year = year + 1 for every site below
HOSTILE = '<script>alert("x")</script>&JP|*[a](b)'

# --------------------------------------------------------------------------------------------
# the two plans


def plan_a() -> dict:
    """Plan A as plain data: the test writes it to CSV files with write_plan_folder."""
    return {
        "sites": [  # site, region, existing_wspm
            ("TW_FAB", "TW", 1000.0),
            ("US_FAB", "US", 0.0),
            ("JP_FAB", "JP", 0.0),
        ],
        "builds": [("TW_FAB", 2025, 500.0), ("US_FAB", 2025, 1000.0)],
        "partners": [  # partner, kind, usd (shares = usd / total)
            ("FUND", "investor", 600e6),
            ("GOV", "government", 310e6),
            ("BANK", "investor", 90e6),
        ],
        "contracts": [
            ("TW_GRID", "TW", "grid", 10.0),
            ("US_SOLAR", "US", "solar", 20.0),
            ("JP_GRID", "JP", "grid", 0.0),
        ],
        "energy": [  # scenario, contract, site, year, mwh
            ("base", "TW_GRID", "TW_FAB", 2025, 1000.0),
            ("base", "TW_GRID", "TW_FAB", 2026, 1500.0),
            ("base", "US_SOLAR", "US_FAB", 2026, 2000.0),
            ("base", "US_SOLAR", "US_FAB", 2027, 2000.0),
            ("base", "US_SOLAR", "US_FAB", 2028, 2000.0),
        ],
        "unmet": [],  # scenario, product, market, year, gpus
        "costs": {
            "financing": 100e6,
            "site_fixed": 20e6,
            "energy_capacity": 0.0,
            "operations": 300e6,
            "energy": 50e6,
            "carbon": 0.0,
            "shipping": 10e6,
            "unmet_demand": 0.0,
        },  # total 480e6
        "scenarios": {"base": 1.0},
        "parameters": {
            "first_year": 2025,
            "last_year": 2028,
            "discount_rate": 0.08,
            "unmet_penalty_usd_per_gpu": 2000.0,
            "carbon_price_usd_per_t": 0.0,
            "asset_life_years": 10,
            "ramp_up": [0.5],
        },
        "overrides": {},
        "inputs": {"sites.csv": "a" * 64, "demand.csv": "d" * 64},
    }


def plan_b() -> dict:
    p = plan_a()
    p["builds"] = [
        ("TW_FAB", 2025, 500.0),  # unchanged
        ("US_FAB", 2027, 1000.0),  # two years later than in A
        ("JP_FAB", 2026, 800.0),  # a site A does not open
    ]
    # total 1500M: GOV 270M = 18%, BANK 141M = 9.4% (0.4 point, not reported),
    # FUND 1500 - 270 - 141 = 1089M = 72.6%
    p["partners"] = [
        ("FUND", "investor", 1089e6),
        ("GOV", "government", 270e6),
        ("BANK", "investor", 141e6),
    ]
    p["contracts"] = [
        ("TW_GRID", "TW", "grid", 10.0),
        ("US_SOLAR", "US", "solar", 20.0),
        ("JP_GRID", "JP", "grid", 5.0),
    ]
    p["energy"] = [
        ("base", "TW_GRID", "TW_FAB", 2025, 1000.0),
        ("base", "TW_GRID", "TW_FAB", 2026, 1500.0),
        ("base", "US_SOLAR", "US_FAB", 2028, 2000.0),
        ("base", "JP_GRID", "JP_FAB", 2027, 1600.0),
        ("base", "JP_GRID", "JP_FAB", 2028, 1600.0),
    ]
    p["unmet"] = [("base", "GPU", "global", 2026, 13000.0)]
    # financing +30M; unmet 13,000 GPUs x $2,000 = 26M; total 480 + 30 + 26 = 536M
    p["costs"] = {**p["costs"], "financing": 130e6, "unmet_demand": 26e6}
    p["parameters"] = {**p["parameters"], "carbon_price_usd_per_t": 50.0}
    p["overrides"] = {"carbon_price_usd_per_t": "50"}
    p["inputs"] = {**p["inputs"], "sites.csv": "b" * 64}
    return p


def write_plan_folder(folder: Path, p: dict) -> Path:
    """Write plan data `p` as a plan folder (docs/plan-tables.md): capacity follows from
    existing wspm plus builds online (year + LEAD) by each year."""
    folder.mkdir(parents=True)

    def put(name: str, rows: list, columns: list[str]) -> None:
        pd.DataFrame(rows, columns=columns).to_csv(folder / f"{name}.csv", index=False)

    put(
        "sites",
        [(s, r, e, 5000.0, 0.9) for s, r, e in p["sites"]],
        ["site", "region", "existing_wspm", "max_wspm", "utilization"],
    )
    put(
        "builds",
        [(s, y, y + LEAD, w, w * 500_000, 0.0) for s, y, w in p["builds"]],
        ["site", "year", "online_year", "wspm", "capex_usd", "grant_usd"],
    )
    capacity = []
    for site, _, existing in p["sites"]:
        for year in YEARS:
            online = sum(w for s, y, w in p["builds"] if s == site and y + LEAD <= year)
            installed = existing + online
            capacity.append((site, year, installed, installed, 1.0 if installed > 0 else 0.0))
    put("capacity", capacity, ["site", "year", "installed_wspm", "available_wspm", "open"])
    put("production", [], ["scenario", "site", "product", "year", "wafers", "gpus"])
    put("shipments", [], ["scenario", "region", "product", "market", "year", "gpus", "cost_usd"])
    put("unmet", p["unmet"], ["scenario", "product", "market", "year", "gpus"])
    put(
        "energy",
        [(*e, e[4] * 100.0, e[4] * 0.4) for e in p["energy"]],
        ["scenario", "contract", "site", "year", "mwh", "cost_usd", "co2_t"],
    )
    put(
        "contracts",
        [(*c, 100.0) for c in p["contracts"]],
        ["contract", "region", "source", "mw", "max_mw"],
    )
    first_site = p["sites"][0][0]
    put(
        "funding",
        [(name, first_site, 2025, usd) for name, _, usd in p["partners"]],
        ["partner", "site", "year", "usd"],
    )
    total = sum(usd for _, _, usd in p["partners"])
    put(
        "partner_summary",
        [(n, k, usd, usd / total, 0.0) for n, k, usd in p["partners"]],
        ["partner", "kind", "usd", "share", "financing_cost_npv_usd"],
    )
    put("costs", list(p["costs"].items()), ["component", "npv_usd"])
    put("prices", [], ["scenario", "product", "market", "year", "usd_per_gpu"])
    put("binding", [], SCHEMA["binding"].names)
    summary = {
        "status": "optimal",
        "optimal": True,
        "objective_usd": sum(p["costs"].values()),
        "mode": "lp",
        "scenario": "stochastic" if len(p["scenarios"]) > 1 else next(iter(p["scenarios"])),
        "scenarios": p["scenarios"],
        "parameters": p["parameters"],
        "overrides": p["overrides"],
        "inputs": p["inputs"],
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))
    return folder


@pytest.fixture
def plans(tmp_path: Path) -> tuple[Path, Path]:
    return write_plan_folder(tmp_path / "a", plan_a()), write_plan_folder(tmp_path / "b", plan_b())


# --------------------------------------------------------------------------------------------
# sentences and numbers


EXPECTED_SENTENCES = [
    # sites opened in one plan only come first
    "Plan B opens JP_FAB (first build 2026, 800 wspm in all), which plan A does not open.",
    # US_FAB: first build 2027 - 2025 = two years later; 1,000 wspm in both
    "Plan B opens US_FAB two years later: first build in 2027 instead of 2025, 1,000 wspm in all "
    "in both plans.",
    # GOV 310/1000 = 31% -> 270/1500 = 18% (13 points); FUND 600/1000 = 60% -> 1089/1500 =
    # 72.6% (12.6 points, rounds to 73%); BANK 9% -> 9.4% moves less than a point: not named
    "In plan B, GOV's share falls from 31% to 18% and FUND's share rises from 60% to 73%.",
    # 536M - 480M = 56M; 56 / 480 = 11.67%; financing +30M beats unmet_demand +26M
    "Total cost +11.7% ($56M): $536M in plan B against $480M in plan A (NPV); largest change: "
    "financing (repaying partners) +$30M.",
    "Plan B leaves 13,000 GPUs of demand unmet (2026), where plan A serves all demand.",
    # 2028: JP 0 -> 800 online from 2027; US 1,000 in both (B's 2027 build is online in 2028)
    "By 2028, plan B's installed capacity differs in 1 region: JP +800 wspm (800 instead of 0).",
    # solar 6,000 -> 2,000 MWh (-4,000); grid 2,500 -> 2,500 + 3,200 = 5,700 (+3,200)
    "Over the horizon, plan B draws 4,000 MWh less from solar and 3,200 MWh more from grid.",
    "Plan B contracts JP_GRID for 5.0 MW instead of 0.",
    "Plan B's inputs differ from plan A's: carbon_price_usd_per_t 0 → 50; override "
    "carbon_price_usd_per_t=50 (plan B only); sites.csv differs.",
]


def test_sentences_name_every_difference_built_into_plan_b(plans):
    c = compare_plans(*plans)
    assert c.sentences == EXPECTED_SENTENCES
    assert c.decisions_differ
    assert c.warnings == []  # same discount rate, same horizon, both optimal


def test_site_and_build_numbers(plans):
    c = compare_plans(*plans)
    sites = c.sites.set_index("site")
    assert sites.loc["US_FAB", "first_year_a"] == 2025
    assert sites.loc["US_FAB", "first_year_b"] == 2027
    assert sites.loc["US_FAB", "shift_years"] == 2
    assert sites.loc["US_FAB", "change"] == "later"
    assert sites.loc["JP_FAB", "change"] == "added"
    assert pd.isna(sites.loc["JP_FAB", "first_year_a"])
    assert sites.loc["JP_FAB", "wspm_b"] == 800
    assert sites.loc["TW_FAB", "change"] == "same"
    # per site-year: US_FAB 2025 -1,000 and 2027 +1,000, JP_FAB 2026 +800, TW_FAB 2025 0
    diff = c.builds.set_index(["site", "year"])["diff_wspm"]
    assert diff.to_dict() == {
        ("JP_FAB", 2026): 800.0,
        ("TW_FAB", 2025): 0.0,
        ("US_FAB", 2025): -1000.0,
        ("US_FAB", 2027): 1000.0,
    }


def test_capacity_by_region_and_year(plans):
    c = compare_plans(*plans)
    cap = c.capacity.set_index(["region", "year"])
    # US: A has 1,000 online from 2026; B's 2027 build is online in 2028 -> -1,000 in 2026-2027
    assert cap.loc[("US", 2026), "diff_wspm"] == -1000
    assert cap.loc[("US", 2027), "diff_wspm"] == -1000
    assert cap.loc[("US", 2028), "diff_wspm"] == 0
    # JP: B's 2026 build (800) online from 2027
    assert cap.loc[("JP", 2027), "installed_wspm_b"] == 800
    assert cap.loc[("JP", 2027), "installed_wspm_a"] == 0
    # TW: 1,000 existing + 500 online from 2026, the same in both
    assert cap.loc[("TW", 2026), "installed_wspm_a"] == cap.loc[("TW", 2026), "installed_wspm_b"]
    assert cap.loc[("TW", 2026), "installed_wspm_a"] == 1500


def test_partner_cost_energy_and_unmet_numbers(plans):
    c = compare_plans(*plans)
    shares = c.partners.set_index("partner")
    assert shares.loc["GOV", "diff_share"] == pytest.approx(0.18 - 0.31)
    assert shares.loc["FUND", "diff_share"] == pytest.approx(0.726 - 0.60)
    assert shares.loc["BANK", "diff_share"] == pytest.approx(0.094 - 0.09)
    costs = c.costs.set_index("component")
    assert costs.loc["financing", "diff_usd"] == pytest.approx(30e6)
    assert costs.loc["financing", "change"] == pytest.approx(0.30)  # 30 / 100
    assert costs.loc["unmet_demand", "diff_usd"] == pytest.approx(26e6)
    assert c.cost_diff_usd == pytest.approx(56e6)
    assert c.cost_change == pytest.approx(56 / 480)
    energy = c.energy.groupby("source")["diff_mwh"].sum()
    assert energy["solar"] == pytest.approx(-4000)
    assert energy["grid"] == pytest.approx(3200)
    unmet = c.unmet.set_index("year")
    assert unmet.loc[2026, "gpus_b"] == 13000 and unmet.loc[2026, "gpus_a"] == 0
    changes = {(r.kind, r.item): (r.a, r.b) for r in c.inputs.itertuples(index=False)}
    assert changes == {
        ("parameter", "carbon_price_usd_per_t"): (0.0, 50.0),
        ("override", "carbon_price_usd_per_t"): (None, "50"),
        ("input file", "sites.csv"): ("a" * 64, "b" * 64),
    }


def test_swapping_the_plans_reverses_every_difference(plans):
    c = compare_plans(plans[1], plans[0])
    assert c.sentences[:2] == [
        "Plan B does not open JP_FAB, which plan A opens (first build 2026, 800 wspm in all).",
        "Plan B opens US_FAB two years earlier: first build in 2025 instead of 2027, 1,000 wspm "
        "in all in both plans.",
    ]
    # 480 - 536 = -56M; -56 / 536 = -10.45%
    assert (
        "Total cost -10.4% ($56M): $480M in plan B against $536M in plan A (NPV); largest change: "
        "financing (repaying partners) -$30M." in c.sentences
    )
    assert "Plan B serves all demand, where plan A leaves 13,000 GPUs unmet (2026)." in c.sentences
    assert c.cost_diff_usd == pytest.approx(-56e6)


def test_more_fewer_and_rescheduled_builds(tmp_path):
    a = plan_a()
    b = plan_a()
    # TW_FAB: 500 -> 700 wspm, same first year; US_FAB: 1,000 split 600 (2025) + 400 (2026)
    b["builds"] = [("TW_FAB", 2025, 700.0), ("US_FAB", 2025, 600.0), ("US_FAB", 2026, 400.0)]
    c = compare_plans(write_plan_folder(tmp_path / "a", a), write_plan_folder(tmp_path / "b", b))
    assert c.sentences[:2] == [
        "Plan B builds the same 1,000 wspm at US_FAB from the same first year (2025) but in "
        "different years (see the build table).",
        "Plan B builds 200 more wspm at TW_FAB: 700 in all instead of 500, first build in 2025 "
        "in both plans.",
    ]


def test_identical_plans_have_no_differences(plans, tmp_path):
    copy = tmp_path / "a_copy"
    shutil.copytree(plans[0], copy)
    c = compare_plans(plans[0], copy)
    assert c.sentences == [
        NO_DIFFERENCE,
        "Total cost is the same in both plans: $480M (NPV).",
        "Both plans come from the same inputs (input files, parameters and overrides).",
    ]
    assert "no differences in decisions" in c.sentences[0]
    assert c.cost_diff_usd == 0.0
    assert not c.decisions_differ
    assert (c.costs["diff_usd"] == 0).all()
    assert c.inputs.empty


def test_stochastic_plans_are_weighted_by_scenario_probability(plans, tmp_path):
    b = plan_b()
    b["scenarios"] = {"low": 0.25, "high": 0.75}
    b["unmet"] = [("low", "GPU", "global", 2026, 4000.0), ("high", "GPU", "global", 2026, 20000.0)]
    # TW and US rows in scenario high only; JP_GRID in both scenarios (2027)
    b["energy"] = [("high", *e[1:]) for e in b["energy"] if e[1] != "JP_GRID"] + [
        ("low", "JP_GRID", "JP_FAB", 2027, 1000.0),
        ("high", "JP_GRID", "JP_FAB", 2027, 2000.0),
    ]
    c = compare_plans(plans[0], write_plan_folder(tmp_path / "b_stoch", b))
    # unmet 0.25 x 4,000 + 0.75 x 20,000 = 1,000 + 15,000 = 16,000
    assert c.unmet.set_index("year").loc[2026, "gpus_b"] == pytest.approx(16000)
    assert (
        "Plan B leaves an expected 16,000 GPUs of demand unmet (2026), where plan A serves "
        "all demand." in c.sentences
    )
    # JP grid 2027: 0.25 x 1,000 + 0.75 x 2,000 = 1,750; TW grid 2025 (high only): 0.75 x 1,000
    energy = c.energy.set_index(["source", "year"])
    assert energy.loc[("grid", 2027), "mwh_b"] == pytest.approx(1750)
    assert energy.loc[("grid", 2025), "mwh_b"] == pytest.approx(750)
    out = write_comparison(c, tmp_path / "cmp")
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "plan B is weighted by its scenario probabilities (low 25%, high 75%)" in md
    assert len(out) == 2


def test_plans_without_builds_or_energy(tmp_path):
    a, b = plan_a(), plan_a()
    for p in (a, b):
        p["builds"], p["energy"] = [], []
    b["unmet"] = [("base", "GPU", "global", 2027, 5.0e6), ("base", "GPU", "global", 2028, 2.5e6)]
    c = compare_plans(write_plan_folder(tmp_path / "a", a), write_plan_folder(tmp_path / "b", b))
    assert c.sites.empty and c.builds.empty and c.energy.empty
    # 5.0 + 2.5 = 7.5 million GPUs in 2027-2028; costs.csv is the same in both plans
    assert c.sentences == [  # cost comes before unmet demand in the summary
        "Total cost is the same in both plans: $480M (NPV).",
        "Plan B leaves 7.5 million GPUs of demand unmet (2027–2028), where plan A serves all "
        "demand.",
        "Both plans come from the same inputs (input files, parameters and overrides).",
    ]
    write_comparison(c, tmp_path / "cmp")
    assert (
        "Every build (site, year, wspm) is the same in both plans."
        in (tmp_path / "cmp" / "comparison.md").read_text()
    )


# --------------------------------------------------------------------------------------------
# files


class _Text(HTMLParser):
    """The text of each item of the sentence list (<ul class="sentences">), as a browser shows
    it, and every tag name seen."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self.tags: list[str] = []
        self._in_list = self._li = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "ul" and ("class", "sentences") in attrs:
            self._in_list = True
        if tag == "li" and self._in_list:
            self._li, self.items = True, [*self.items, ""]

    def handle_endtag(self, tag):
        if tag == "li":
            self._li = False
        if tag == "ul":
            self._in_list = False

    def handle_data(self, data):
        if self._li:
            self.items[-1] += data


def test_markdown_and_html_hold_the_sentences_and_tables(plans, tmp_path):
    c = compare_plans(*plans)
    out = tmp_path / "cmp"
    paths = write_comparison(c, out)
    assert paths == [out / "comparison.md", out / "comparison.html"]
    assert sorted(p.name for p in out.iterdir()) == ["comparison.html", "comparison.md"]
    md = paths[0].read_text()
    for sentence in EXPECTED_SENTENCES:  # none has Markdown syntax to escape
        assert f"- {sentence}\n" in md
    # sentences come before the first table
    assert md.index(EXPECTED_SENTENCES[-1]) < md.index("| Measure |")
    assert "| Financing (repaying partners) | $100M | $130M | +$30M | +30.0% |" in md
    assert "| **Total** | **$480M** | **$536M** | **+$56M** | **+11.7%** |" in md
    assert "| US_FAB | US | 2025 | 2027 | +2 | 1,000 | 1,000 | 0 | 2 years later |" in md
    assert "| JP | 2027 | 0 | 800 | +800 |" in md
    assert "| 2026 | 0 | 13,000 | +13,000 |" in md
    html = paths[1].read_text()
    parser = _Text()
    parser.feed(html)
    assert parser.items == EXPECTED_SENTENCES
    assert "<style>" in html and "<script" not in html and "<link" not in html
    assert 'id="t-costs"' in html and 'id="t-build-differences"' in html


def test_hostile_site_name_is_escaped(tmp_path):
    a, b = plan_a(), plan_b()
    for p in (a, b):
        p["sites"] = [(HOSTILE if s == "JP_FAB" else s, r, e) for s, r, e in p["sites"]]
        p["builds"] = [(HOSTILE if s == "JP_FAB" else s, y, w) for s, y, w in p["builds"]]
        p["energy"] = [(*e[:2], HOSTILE if e[2] == "JP_FAB" else e[2], *e[3:]) for e in p["energy"]]
    c = compare_plans(write_plan_folder(tmp_path / "a", a), write_plan_folder(tmp_path / "b", b))
    assert c.sentences[0] == (
        f"Plan B opens {HOSTILE} (first build 2026, 800 wspm in all), which plan A does not open."
    )
    write_comparison(c, tmp_path / "cmp")
    html = (tmp_path / "cmp" / "comparison.html").read_text()
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;JP|*[a](b)" in html
    parser = _Text()
    parser.feed(html)
    assert parser.items[0] == c.sentences[0]  # the browser shows the name as typed
    assert "script" not in parser.tags
    md = (tmp_path / "cmp" / "comparison.md").read_text()
    assert "<script>" not in md
    # Markdown: < > & | * [ ] backslash-escaped, so the name shows as typed, not as HTML or a link
    assert r'\<script\>alert("x")\</script\>\&JP\|\*\[a\](b)' in md


def test_rewriting_replaces_the_folder_atomically(plans, tmp_path):
    out = tmp_path / "cmp"
    write_comparison(compare_plans(*plans), out, formats=("md",))
    assert [p.name for p in out.iterdir()] == ["comparison.md"]
    write_comparison(compare_plans(plans[0], plans[0]), out)
    assert NO_DIFFERENCE in (out / "comparison.md").read_text()
    assert sorted(p.name for p in out.iterdir()) == ["comparison.html", "comparison.md"]
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert leftovers == []
    assert (tmp_path / ".cmp.previous" / "comparison.md").exists()  # one generation kept


def test_refuses_to_write_over_a_plan_or_other_files(plans, tmp_path):
    c = compare_plans(*plans)
    before = {p.name: p.read_bytes() for p in plans[0].iterdir()}
    for target in (plans[0], tmp_path):  # the plan itself, a folder holding it
        with pytest.raises(UsageError, match="would replace the plan folder"):
            write_comparison(c, target)
    assert {p.name: p.read_bytes() for p in plans[0].iterdir()} == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError, match="already holds other files"):
        write_comparison(c, other)
    assert (other / "notes.txt").read_text() == "keep me"
    with pytest.raises(UsageError, match="unknown comparison format"):
        write_comparison(c, tmp_path / "cmp", formats=("pdf",))


def test_bad_plan_folders_list_every_problem(plans, tmp_path):
    (plans[0] / "costs.csv").unlink()
    energy = pd.read_csv(plans[1] / "energy.csv").drop(columns="mwh")
    energy.to_csv(plans[1] / "energy.csv", index=False)
    with pytest.raises(InputError) as info:
        compare_plans(*plans)
    text = [str(p) for p in info.value.problems]
    assert any("a/costs.csv" in t and "this plan table to exist" in t for t in text)
    assert any("b/energy.csv:1" in t and "'mwh'" in t for t in text)
    with pytest.raises(UsageError, match="not a plan folder"):
        compare_plans(tmp_path / "missing", plans[1])


def test_run_compare_command_prints_sentences_and_uses_default_folder(
    plans, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    code = run_compare_command(plans[0], plans[1], None)
    assert code == 0
    printed = capsys.readouterr().out
    for sentence in EXPECTED_SENTENCES:
        assert sentence in printed.replace("\n    ", " ")
    assert (tmp_path / "reports" / "compare-a-vs-b" / "comparison.html").is_file()


def test_compare_never_imports_pyomo_the_report_or_matplotlib(plans, tmp_path):
    """compare/ draws no chart: it needs the rendering kit, not the report package or matplotlib."""
    code = (
        "import sys\n"
        "from optimizer.compare import compare_plans, run_compare_command, write_comparison\n"
        f"c = compare_plans({str(plans[0])!r}, {str(plans[1])!r})\n"
        f"write_comparison(c, {str(tmp_path / 'cmp')!r})\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pyomo', 'highspy', 'matplotlib')\n"
        "       or m == 'optimizer.report' or m.startswith('optimizer.report.')]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "cmp" / "comparison.md").exists()


# --------------------------------------------------------------------------------------------
# end to end: two real plans


def test_two_solved_plans_report_the_input_change_and_cost_difference(tmp_path):
    from optimizer.run import SolveRequest, run_solve

    data = write_tiny_case(tmp_path / "tiny")
    a = run_solve(SolveRequest(data, out_dir=tmp_path / "base", report_formats=()))
    b = run_solve(
        SolveRequest(
            data, out_dir=tmp_path / "dr5", report_formats=(), overrides={"discount_rate": "0.05"}
        )
    )
    from optimizer.verify import verify_plan

    for plan in (a.out_dir, b.out_dir):  # every solve in the suite is verified
        check = verify_plan(plan)
        assert check.ok, "\n".join(check.violations)
    c = compare_plans(a.out_dir, b.out_dir)
    # the tiny case discounts at 8% (tests/fixtures.py); B overrides it to 5%
    changes = {(r.kind, r.item): (r.a, r.b) for r in c.inputs.itertuples(index=False)}
    assert changes[("parameter", "discount_rate")] == (0.08, 0.05)
    assert changes[("override", "discount_rate")] == (None, "0.05")
    assert not any(kind == "input file" for kind, _ in changes)  # same data folder
    assert c.sentences[-1] == (
        "Plan B's inputs differ from plan A's: discount_rate 0.08 → 0.05; override "
        "discount_rate=0.05 (plan B only)."
    )
    objective_a = json.loads((a.out_dir / "summary.json").read_text())["objective_usd"]
    objective_b = json.loads((b.out_dir / "summary.json").read_text())["objective_usd"]
    assert c.cost_diff_usd == pytest.approx(objective_b - objective_a, rel=1e-9, abs=1e-3)
    # every cost is >= 0 and weighs more at 5% than at 8% in every year, so the cheapest plan
    # at 5% costs at least as much as the cheapest at 8%
    assert c.cost_diff_usd > 0
    assert any(
        "discount at different rates (8.0% in plan A, 5.0% in plan B)" in w for w in c.warnings
    )
    paths = write_comparison(c, tmp_path / "cmp")
    assert all(p.stat().st_size > 0 for p in paths)


# --------------------------------------------------------------------------------------------
# different demand (issue 15, section 3): said once, before any percentage

DIFFERENT_SCENARIOS = (
    "The two plans face different demand: plan A plans for one demand scenario (base), plan B "
    "hedges 2 demand scenarios (low 25%, high 75%), so the differences below"
)


def _first_percentage(text: str) -> int:
    import re

    return re.search(r"\d%", text).start()


def test_deterministic_against_hedged_says_demand_differs_before_any_percentage(
    plans, tmp_path, monkeypatch, capsys
):
    b = plan_b()
    b["scenarios"] = {"low": 0.25, "high": 0.75}
    b["unmet"] = [("low", "GPU", "global", 2026, 4000.0), ("high", "GPU", "global", 2026, 20000.0)]
    b["energy"] = [("high", *e[1:]) for e in b["energy"]]
    folder = write_plan_folder(tmp_path / "b_hedged", b)
    c = compare_plans(plans[0], folder)
    assert c.warnings[0].startswith(DIFFERENT_SCENARIOS)
    write_comparison(c, tmp_path / "cmp")
    for name in ("comparison.md", "comparison.html"):
        text = " ".join((tmp_path / "cmp" / name).read_text().split())
        text = text[text.find("<body") :] if name.endswith(".html") else text  # not the CSS
        at = text.index("The two plans face different demand")
        # the sentence's own weights (25%) are the first percentage of the document
        assert at < _first_percentage(text), name
    monkeypatch.chdir(tmp_path)
    run_compare_command(plans[0], folder, tmp_path / "cmp2")
    captured = capsys.readouterr()
    terminal = " ".join((captured.err + captured.out).split())
    assert DIFFERENT_SCENARIOS in terminal
    assert terminal.index(DIFFERENT_SCENARIOS) < _first_percentage(terminal)


def test_same_scenarios_with_another_demand_csv(plans, tmp_path):
    b = plan_a()
    b["inputs"] = {**b["inputs"], "demand.csv": "e" * 64}  # demand.csv's hash differs
    c = compare_plans(plans[0], write_plan_folder(tmp_path / "b_demand", b))
    assert c.warnings[0].startswith("The two plans face different demand, so the differences")
    # the same demand.csv and scenarios (plans a and b differ only in decisions): no sentence
    assert not any("face different demand" in w for w in compare_plans(*plans).warnings)


def test_demand_tables_give_the_totals(tmp_path):
    a = write_plan_folder(tmp_path / "a", plan_a())
    b = write_plan_folder(tmp_path / "b", plan_a())
    columns = ["scenario", "product", "market", "year", "gpus"]
    # plan A: 1,000 + 2,000 = 3,000 GPUs; plan B: 1,000 + 2,600 = 3,600 GPUs
    rows_a = [("base", "GPU", "global", 2026, 1000.0), ("base", "GPU", "global", 2027, 2000.0)]
    rows_b = [("base", "GPU", "global", 2026, 1000.0), ("base", "GPU", "global", 2027, 2600.0)]
    pd.DataFrame(rows_a, columns=columns).to_csv(a / "demand.csv", index=False)
    pd.DataFrame(rows_b, columns=columns).to_csv(b / "demand.csv", index=False)
    c = compare_plans(a, b)
    assert c.warnings[0].startswith(
        "The two plans face different demand (3,000 GPUs expected over the horizon in plan A, "
        "3,600 in plan B)"
    )
    pd.DataFrame(rows_a, columns=columns).to_csv(b / "demand.csv", index=False)
    assert compare_plans(a, b).warnings == []  # the same rows: nothing to say
