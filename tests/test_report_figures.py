"""Issue 15 §3: report figures that mean what they say.

Each test edits a copy of the hand-made plan in tests/data/report_plan (see make_fixture.py) so
that one figure has a value worked out by hand in the test, then reads the rendered report.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_report import copy_fixture_plan, csv, key_figures, make_hedged, md_table, render

from optimizer.plan import figures
from optimizer.plan.read import read_plan
from optimizer.render.fmt import money, pct
from optimizer.report.terminal import summary_lines

OBJECTIVE = 95_618_131_337.18  # the fixture's summary.json objective_usd
PENALTY_NPV = 22_622_631_204.59  # its costs.csv unmet_demand row


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    return copy_fixture_plan(tmp_path / "plan")


def put(plan: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(plan / f"{name}.csv", index=False)


# --------------------------------------------------------------------------------------------
# 1. the penalty on its own line; cost per GPU delivered without it


def test_penalty_is_its_own_line_and_cost_per_gpu_leaves_it_out(plan_dir):
    served = csv(plan_dir, "shipments")["gpus"].sum()
    page, md = render(plan_dir, ("html", "md"))
    figures_shown = key_figures(page)
    # by hand: the plan without the penalty costs 95,618,131,337.18 - 22,622,631,204.59
    # = 72,995,500,132.59 USD; per GPU delivered that over the GPUs shipped
    cash = OBJECTIVE - PENALTY_NPV
    assert cash == pytest.approx(72_995_500_132.59)
    assert figures_shown["of which: value of GPUs not delivered (penalty)"] == "$22.6B"
    per_gpu = "Cost per GPU delivered (NPV cost less the unmet-demand penalty / GPUs delivered)"
    assert figures_shown[per_gpu] == money(cash / served)
    for table in (page.table("costs"), md_table(md, "Cost by component (NPV)")):
        rows = table.set_index("Component")
        assert rows.loc["Cost of the plan, without the penalty", "NPV (USD)"] == "72,995,500,133"
        line = rows.loc["Plus: value of GPUs not delivered (penalty)"]
        assert line["NPV (USD)"] == "22,622,631,205"
        # 22,622,631,204.59 / 95,618,131,337.18 = 23.66% of the cost
        assert line["Share"] == "23.7%"
        assert "Penalty for unmet demand" not in rows.index  # not listed twice
    assert "$22.6B (23.7%) is the value of GPUs not delivered" in page.leads["costs"]
    text = " ".join(str(t) for t in summary_lines(read_plan(plan_dir)))
    assert "of which $22.6B values GPUs not delivered (penalty)" in text
    assert f"({money(cash / served)} per GPU delivered, without the penalty)" in text


def test_no_penalty_keeps_the_plain_component_table(plan_dir):
    costs = csv(plan_dir, "costs")
    costs = costs[costs["component"] != "unmet_demand"]
    put(plan_dir, "costs", costs)
    put(plan_dir, "unmet", csv(plan_dir, "unmet").iloc[0:0])
    summary = json.loads((plan_dir / "summary.json").read_text())
    summary["objective_usd"] = OBJECTIVE - PENALTY_NPV
    (plan_dir / "summary.json").write_text(json.dumps(summary))
    page, _ = render(plan_dir, ("html",))
    components = page.table("costs")["Component"].tolist()
    assert len(components) == 7  # the 8 components less the penalty, no subtotal
    assert "of which: value of GPUs not delivered (penalty)" not in key_figures(page)


def test_scenario_costs_show_each_scenarios_penalty(plan_dir):
    """An unhedged two-scenario plan (the hedged fixture without its regret table)."""
    make_hedged(plan_dir)
    summary = json.loads((plan_dir / "summary.json").read_text())
    summary["stochastic"] = False
    (plan_dir / "summary.json").write_text(json.dumps(summary))
    (plan_dir / "regret.csv").unlink()
    sc = csv(plan_dir, "scenario_costs").set_index("scenario")["unmet_demand_usd"]
    page, _ = render(plan_dir, ("html",))
    table = page.table("scenario-costs").set_index("Scenario")
    col = "of which: value of GPUs not delivered (penalty)"
    # base keeps the fixture's $22.6B; high adds 0.5 x base demand unmet at $25,000 a GPU
    assert table.loc["base", col] == "$22.6B"
    assert table.loc["high", col] == money(sc["high"])
    assert sc["high"] > sc["base"]


# --------------------------------------------------------------------------------------------
# 2. binding limits that shape the plan, with their impact


def test_binding_lists_only_limits_that_shape_the_plan_with_their_impact(plan_dir):
    bind = csv(plan_dir, "binding")
    extra = pd.DataFrame(
        [
            # US_AZ builds nothing in 2030: a full grant rate on a build of zero shapes nothing
            {"family": "grant_rate", "site": "US_AZ", "program": "CHIPS", "year": 2030,
             "shadow_price": -0.5, "unit": "USD per USD", "impact_usd": 5e9,
             "meaning": "US_AZ receives the full rate of CHIPS on its 2030 build"},
            # US_TX builds 25,000 wspm in 2025: its grant rate does shape the plan
            {"family": "grant_rate", "site": "US_TX", "program": "CHIPS", "year": 2025,
             "shadow_price": -0.1, "unit": "USD per USD", "impact_usd": 2e8,
             "meaning": "US_TX receives the full rate of CHIPS on its 2025 build"},
            # a dual on a row of size zero: no impact
            {"family": "contract_capacity", "contract": "JP_GRID", "shadow_price": -3.0,
             "unit": "USD per MW", "impact_usd": 0.0, "meaning": "contract JP_GRID is full"},
        ]
    )  # fmt: skip
    bind = pd.concat([bind, extra], ignore_index=True).sort_values(
        "impact_usd", ascending=False, kind="stable"
    )
    put(plan_dir, "binding", bind)
    plan = read_plan(plan_dir)
    kept = figures.shaping_binding(plan)
    # 6 fixture rows + the US_TX grant row; the US_AZ grant row and the zero row are left out
    assert len(kept) == 7
    assert set(kept.loc[kept["family"] == "grant_rate", "site"]) == {"US_TX"}
    page, md = render(plan_dir, ("html", "md"))
    table = page.table("binding")
    assert table["Where"].str.contains("US_AZ").sum() == 0
    assert "JP_GRID" not in table["Where"].tolist()
    impact = table.set_index("Constraint")["Impact (USD, NPV)"]
    # the fixture's largest: TW_SOUTH site_size, $612,000 x 130,000 wspm = 79,560,000,000
    assert impact.iloc[0] == "79,560,000,000"
    assert 612_000 * 130_000 == 79_560_000_000
    assert table["Rank"].tolist() == [str(i) for i in range(1, 8)]
    lead = " ".join(page.text)
    assert "Impact: the limit's shadow price times the size of its row" in lead
    assert "Left out here: 2 rows of binding.csv." in lead
    assert "US_AZ receives the full rate" not in md
    text = " ".join(str(t) for t in summary_lines(plan))
    assert "US_AZ receives" not in text


# --------------------------------------------------------------------------------------------
# 3. executive summary: main builds, idle capacity and why, LP fractions


def test_executive_summary_names_the_main_builds_with_their_partners(plan_dir):
    page, _ = render(plan_dir, ("html",))
    lead = page.leads["executive-summary"]
    # largest by capex: US_TX 2025 ($16.25B, 25,000 wspm; MSFT $7.085B, MGX_UAE and TSMC
    # $3.5425B each), then TW_SOUTH 2027 and 2029 ($15B each, 30,000 wspm; MGX_UAE $6B,
    # TSMC $6B, MSFT $3B); US_TX 2027 and US_AZ 2026 ($13B each) are smaller
    assert (
        f"The main builds are US_TX 2025 (+25k wspm, {money(16.25e9)}, MSFT/MGX_UAE/TSMC); "
        "TW_SOUTH 2027 (+30k wspm, $15B, MGX_UAE/TSMC/MSFT); TW_SOUTH 2029 (+30k wspm, $15B, "
        "MGX_UAE/TSMC/MSFT)" in lead
    )


def idle_us_az(plan: Path) -> None:
    """US_AZ (N3, 10,000 wspm existing) makes nothing in 2030-2032, when JP_KUMAMOTO (N3) runs;
    opex and energy per wafer: US_AZ $5,000 + 3 MWh x $75, JP_KUMAMOTO $4,000 + 3 MWh x $150."""
    sites = csv(plan, "sites")
    sites["opex_usd_per_wafer"] = sites["site"].map({"US_AZ": 5000.0, "JP_KUMAMOTO": 4000.0})
    sites["energy_mwh_per_wafer"] = 3.0
    put(plan, "sites", sites)
    prod = csv(plan, "production")
    put(plan, "production", prod[~((prod["site"] == "US_AZ") & (prod["year"] >= 2030))])
    energy = csv(plan, "energy")
    energy = energy[~((energy["site"] == "US_AZ") & (energy["year"] >= 2030))].copy()
    price = energy["site"].map({"US_AZ": 75.0, "JP_KUMAMOTO": 150.0})
    energy["cost_usd"] = (energy["mwh"] * price).fillna(energy["cost_usd"])
    put(plan, "energy", energy)


def test_idle_existing_capacity_is_named_with_its_reason(plan_dir):
    idle_us_az(plan_dir)
    idle = figures.idle_sites(read_plan(plan_dir))
    assert idle[["site", "first", "last"]].values.tolist() == [["US_AZ", 2030, 2032]]
    # by hand: US_AZ 5,000 + 3 x 75 = 5,225 USD a wafer; JP_KUMAMOTO 4,000 + 3 x 150 = 4,450
    assert idle.iloc[0]["usd_per_wafer"] == pytest.approx(5_225.0)
    assert idle.iloc[0]["cheapest_usd"] == pytest.approx(4_450.0)
    page, _ = render(plan_dir, ("html",))
    assert (
        "US_AZ idle 2030–2032: its wafers cost $5,225 against $4,450 at JP_KUMAMOTO (opex and "
        "energy per wafer) and no cap requires its output." in page.leads["executive-summary"]
    )


def test_idle_when_no_site_of_its_process_produces(plan_dir):
    idle_us_az(plan_dir)
    prod = csv(plan_dir, "production")
    # JP_KUMAMOTO, the only other N3 site producing, stops in 2030-2032 as well
    put(plan_dir, "production", prod[~((prod["site"] == "JP_KUMAMOTO") & (prod["year"] >= 2030))])
    sentence = figures.idle_sites(read_plan(plan_dir)).iloc[0]["sentence"]
    assert sentence == (
        "US_AZ idle 2030–2032: no site of its process (N3) produces then: nothing needs these "
        "wafers yet and no cap requires its output."
    )


def test_a_binding_cap_on_the_region_is_not_called_absent(plan_dir):
    idle_us_az(plan_dir)
    bind = csv(plan_dir, "binding")
    cap = {"family": "min_capacity_share", "region": "United States", "year": 2031,
           "shadow_price": -10.0, "unit": "USD per wspm", "impact_usd": 1e3,
           "meaning": "United States is held at its minimum share of capacity"}  # fmt: skip
    put(plan_dir, "binding", pd.concat([bind, pd.DataFrame([cap])], ignore_index=True))
    sentence = figures.idle_sites(read_plan(plan_dir)).iloc[0]["sentence"]
    assert sentence.startswith("US_AZ idle 2030–2032") and "no cap requires" not in sentence


def test_fixture_without_idle_runs_says_nothing_about_idle_sites(plan_dir):
    # US_AZ produces in every year of the fixture; the candidates have no existing capacity
    assert figures.idle_sites(read_plan(plan_dir)).empty
    page, _ = render(plan_dir, ("html",))
    assert " idle " not in page.leads["executive-summary"]


def test_builds_under_a_tenth_of_a_module_are_flagged_as_lp_fractions(plan_dir):
    sites = csv(plan_dir, "sites")
    sites["module_wspm"] = 10_000.0
    put(plan_dir, "sites", sites)
    builds = csv(plan_dir, "builds")
    tiny = {"site": "DE_MAGDEBURG", "year": 2028, "online_year": 2031, "wspm": 600.0,
            "capex_usd": 390_000_000.0, "grant_usd": 0.0}  # fmt: skip
    put(plan_dir, "builds", pd.concat([builds, pd.DataFrame([tiny])], ignore_index=True))
    # 600 < 10,000 / 10 = 1,000 is flagged; the fixture's smallest build, 15,000, is not
    small = figures.lp_fractions(read_plan(plan_dir))
    assert small[["site", "year"]].values.tolist() == [["DE_MAGDEBURG", 2028]]
    page, _ = render(plan_dir, ("html",))
    lead = page.leads["executive-summary"]
    assert "1 build is smaller than a tenth of the site's module" in lead
    assert "DE_MAGDEBURG 2028 (600 of a 10,000 wspm module)" in lead
    assert "--integer" in lead


# --------------------------------------------------------------------------------------------
# 4. utilisation per scenario; 5. new capacity by process group


def test_utilisation_is_shown_per_scenario(plan_dir):
    make_hedged(plan_dir)
    prod = csv(plan_dir, "production")
    high = prod["scenario"] == "high"
    prod.loc[high, "wafers"] = prod.loc[high, "wafers"] / 2  # high makes half of base's wafers
    put(plan_dir, "production", prod)
    cap = csv(plan_dir, "capacity")
    base = prod[~high]
    # 2032 by hand: available 121,000 + 30,000 + 45,000 + 15,000 = 211,000 wspm
    avail_2032 = cap.loc[cap["year"] == 2032, "available_wspm"].sum()
    assert avail_2032 == 211_000
    load_base = base.loc[base["year"] == 2032, "wafers"].sum() / (12 * 211_000)
    util = figures.utilisation_by_scenario(read_plan(plan_dir))
    assert util.loc["base", 2032] == pytest.approx(load_base)
    assert util.loc["high", 2032] == pytest.approx(load_base / 2)
    page, _ = render(plan_dir, ("html",))
    table = page.table("utilisation-by-scenario").set_index("Scenario")
    assert table.loc["base", "2032"] == pct(load_base, 0)
    assert table.loc["high", "2032"] == pct(load_base / 2, 0)


def test_new_capacity_is_split_by_process_group(plan_dir):
    sites = csv(plan_dir, "sites")
    sites["group"] = sites["site"].map({"JP_KUMAMOTO": "memory"}).fillna("logic")
    put(plan_dir, "sites", sites)
    page, _ = render(plan_dir, ("html",))
    shown = key_figures(page)
    # by hand: logic = 80,000 (TW_SOUTH) + 45,000 (US_TX) + 20,000 (US_AZ) = 145,000;
    # memory = 15,000 (JP_KUMAMOTO); together the 160,000 of the total row
    assert shown["New capacity built (wspm)"] == "160,000"
    assert shown["of which logic (wspm)"] == "145,000"
    assert shown["of which memory (wspm)"] == "15,000"
    assert "of which packaging (wspm)" not in shown
