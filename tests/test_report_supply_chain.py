"""The report's Supply chain section (issue 12): what limits output year by year, cost per GPU
delivered by stage, tool use against supply, stage balance; absent without recipes or tools.

Cases are the hand cases of test_stages.py and test_tools.py (their arithmetic is in their
docstrings); every expected figure below is worked out by hand in the comments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from casebuilder import solve_and_verify, write_case
from test_report import SECTIONS, Page, md_table
from test_stages import three_stage_case, two_stage_case
from test_tools import delayed_case

from optimizer.report import write_reports


def render(data: Path, tmp_path: Path) -> tuple[Page, str]:
    """Solve (and verify) `data`, write report.html and report.md, return both."""
    out = solve_and_verify(data, tmp_path).out_dir
    write_reports(out, ["html", "md"])
    return Page((out / "report.html").read_text()), (out / "report.md").read_text()


def key_figure(page: Page, starts: str) -> str:
    figures = page.table("key-figures").set_index("Measure")["Value"]
    return next(v for k, v in figures.items() if k.startswith(starts))


def grouped_two_stage_case(path: Path) -> Path:
    """test_stages.two_stage_case with processes.csv naming N3 logic and CoWoS packaging."""
    data = two_stage_case(path)
    pd.DataFrame({"process": ["N3", "CoWoS"], "group": ["logic", "packaging"]}).to_csv(
        data / "processes.csv", index=False
    )
    return data


def test_two_stages_cost_per_gpu_by_stage_and_what_binds(tmp_path):
    page, md = render(grouped_two_stage_case(tmp_path / "case"), tmp_path)
    # the section follows Meeting demand; the ones after it are numbered one higher
    keys = [k for k, _ in SECTIONS]
    assert page.sections == [*keys[:3], "supply-chain", *keys[3:]]
    assert page.headings["supply-chain"] == "4. Supply chain"
    assert page.headings["energy"] == "5. Energy"
    assert page.headings["assumptions"] == "9. Assumptions"
    # cost by stage: logic site L 1,200 wafers x $100 = 120,000 / 12,000 GPUs = $10;
    # packaging site K 3,000 x $50 = 150,000 operations + 150 wspm x $1,000 = 150,000
    # financing, 300,000 / 12,000 = $25; total 420,000 / 12,000 = $35 (no shipping, no penalty)
    costs = page.table("cost-by-stage").set_index("Stage")
    assert list(costs.index) == ["logic", "packaging"]
    assert costs.loc["logic", "Operations"] == "$120,000"
    assert costs.loc["logic", "Financing"] == "$0"
    assert costs.loc["packaging", "Operations"] == "$150,000"
    assert costs.loc["packaging", "Financing"] == "$150,000"
    assert costs.loc["logic", "Total"] == "$120,000"
    assert costs.loc["packaging", "Total"] == "$300,000"
    assert costs.loc["logic", "Per GPU delivered"] == "$10.00"
    assert costs.loc["packaging", "Per GPU delivered"] == "$25.00"
    assert page.footers["t-cost-by-stage"][-2:] == ["$420,000", "$35.00"]
    in_md = md_table(md, "Cost per GPU delivered by stage (NPV)").set_index("Stage")
    assert in_md["Per GPU delivered"].to_dict() == {"logic": "$10.00", "packaging": "$25.00"}
    # the stages add up to the executive summary's cost per GPU delivered: $10 + $25 = $35
    assert key_figure(page, "Cost per GPU delivered") == "$35"
    assert "Not included" not in md
    # only packaging capacity binds, in 2026 (test_stages): the lead says so, group named
    lead = page.leads["supply-chain"]
    # nothing goes unmet, so packaging is named the tightest stage, not a limit on output
    assert (
        "Every year demand is met and every stage is built to what it needs; the tightest stage "
        "(whose capacity is worth most at the margin) is CoWoS packaging in 2026." in lead
    )
    assert "N3" not in lead
    # installed capacity: N3 1,000 wspm both years; CoWoS 100, then 100 + 150 built = 250
    cap = page.table("capacity-by-process").set_index("Process")
    assert cap.to_dict("index") == {
        "N3 logic": {"2025": "1,000", "2026": "1,000"},
        "CoWoS packaging": {"2025": "100", "2026": "250"},
    }
    # stage balance 2026: 24,000 dies made = 2 x 12,000 needed; 12,000 packaged GPUs
    bal = md_table(md, "Stage balance: units made and needed, scenario base")
    y26 = bal[bal["Year"] == "2026"].set_index("Stage")
    assert y26.loc["N3 logic", ["Units made", "Units needed", "Surplus"]].tolist() == [
        "24,000",
        "24,000",
        "0",
    ]
    assert y26.loc["CoWoS packaging", "Units needed"] == "12,000"
    # no tools in this case: no tool table
    assert "t-tool-use" not in page.tables


def test_a_short_stage_and_the_penalty_left_out(tmp_path):
    # three_stage_case with the HBM site at 8 wspm (test_stages): 96 HBM wafers a year make
    # 9,600 / 7,200 / 4,800 stacks in 2025 / 2026 / 2027 = 1,200 / 900 / 600 GPUs of 1,200:
    # 2,700 delivered, 300 + 600 = 900 unmet at the $1,000,000 penalty = $900M.
    data = three_stage_case(tmp_path / "case")
    sites = pd.read_csv(data / "sites.csv")
    sites.loc[sites["site"] == "M", ["existing_wspm", "max_wspm"]] = 8
    sites.to_csv(data / "sites.csv", index=False)
    page, md = render(data, tmp_path)
    # no processes.csv: one group (logic), so stages are the processes.
    # N3: 120 + 90 + 60 wafers x $100 = 27,000 / 2,700 = $10.00
    # CoWoS: 300 + 225 + 150 wafers x $50 = 33,750 / 2,700 = $12.50
    # HBM: 3 x 96 wafers x $10 = 2,880 / 2,700 = $1.0667 -> $1.07
    # total 63,630 / 2,700 = $23.5667 -> $23.57
    costs = page.table("cost-by-stage").set_index("Stage")
    assert costs["Total"].to_dict() == {"HBM": "$2,880", "N3": "$27,000", "CoWoS": "$33,750"}
    assert costs["Per GPU delivered"].to_dict() == {
        "HBM": "$1.07",
        "N3": "$10.00",
        "CoWoS": "$12.50",
    }
    assert page.footers["t-cost-by-stage"][-1] == "$23.57"
    assert key_figure(page, "Cost per GPU delivered") == "$23.57"
    assert "Not included: the $900M penalty for 900 GPUs not delivered." in md
    # HBM capacity is what holds output back in 2026 and 2027 (N3 and CoWoS have room)
    lead = page.leads["supply-chain"]
    assert lead.startswith("Demand goes unmet in 2026–2027, where HBM limits output.")
    assert "N3" not in lead.split("A stage is named")[0]
    # 2027: 600 GPUs assembled x 8 stacks = 4,800 stacks needed and made
    bal = page.table("stage-balance")
    row = bal[(bal["Year"] == "2027") & (bal["Stage"] == "HBM")].iloc[0]
    assert (row["Units made"], row["Units needed"]) == ("4,800", "4,800")


def test_tool_use_against_supply(tmp_path):
    # test_tools.delayed_case: EUV supply 0 / 5 / 5 in 2025-2027 (to date 0, 5, 10); builds of
    # 0 / 5,000 / 5,000 wspm at 1 tool per 1,000 wspm use 0 / 5 / 5 (to date 0, 5, 10):
    # headroom 0 every year, supply used up in 2026 and 2027 (2025 has no supply to use up)
    page, md = render(delayed_case(tmp_path / "case"), tmp_path)
    assert "supply-chain" in page.sections  # tools alone bring the section
    tools = page.table("tool-use").set_index("Year")
    assert tools["EUV supply to date"].tolist() == ["0.0", "5.0", "10.0"]
    assert tools["EUV used to date"].tolist() == ["0.0", "5.0", "10.0"]
    assert tools["EUV headroom"].tolist() == ["0.0", "0.0", "0.0"]
    assert "Tool supply used up: EUV in 2026–2027." in page.leads["supply-chain"]
    assert "(EUV: 2026, 2027)" in md
    # one stage and no stages.csv: no stage balance table
    assert "t-stage-balance" not in page.tables
    # the unmet 60,000 GPUs x $1,000 = $60M penalty is left out of the cost per GPU ($0)
    assert "Not included: the $60M penalty for 60,000 GPUs not delivered." in md


def test_no_supply_chain_no_section(tmp_path):
    # one product made in one step, no tools: the report keeps its eight sections
    data = write_case(
        tmp_path / "case",
        sites=[{"site": "A", "existing_wspm": 100, "opex_usd_per_wafer": 10}],
        demand={2025: 1200},
    )
    page, md = render(data, tmp_path)
    assert page.sections == [k for k, _ in SECTIONS]
    assert [page.headings[k] for k, _ in SECTIONS] == [h for _, h in SECTIONS]
    assert "Supply chain" not in md


def test_hedged_plan_cross_references_follow_the_new_numbering(tmp_path):
    # two equally likely scenarios of the two-stage case: 12,000 GPUs (base) and 6,000 (low) in
    # 2026. Shared decisions are in sections 2, 5 (Energy) and 6 (Who pays), costs in section 7.
    data = grouped_two_stage_case(tmp_path / "case")
    pd.DataFrame({"scenario": ["base", "low"], "probability": [0.5, 0.5]}).to_csv(
        data / "scenarios.csv", index=False
    )
    pd.DataFrame(
        {
            "scenario": ["base", "low"],
            "product": "P1",
            "market": "global",
            "year": 2026,
            "gpus": [12_000, 6_000],
        }
    ).to_csv(data / "demand.csv", index=False)
    out = solve_and_verify(data, tmp_path, stochastic=True).out_dir
    write_reports(out, ["md"])
    md = (out / "report.md").read_text()
    assert "## 4. Supply chain" in md and "## 7. Costs" in md
    assert "energy contracts (section 5) and funding (section 6)" in md
    assert "the plan's expected cost in section 7." in md
    # expected GPUs delivered: 0.5 x 12,000 + 0.5 x 6,000 = 9,000
    assert "divided by the 9,000 GPUs delivered (expected)" in md
