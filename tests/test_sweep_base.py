"""`fabplan sweep` (issue 15, section 3): the base case is the unmodified data, tornado panels
with no variation are left out, and titles carry no absolute path.

No solving: designs are built from --vary lists and cases.csv text, and the report is written
from a sweep table made by hand (sensitivity and the report read only that table).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from optimizer.sweep.cases import csv_design, vary_design
from optimizer.sweep.report import write_report
from optimizer.sweep.tornado import sensitivity, tornado_svg

CAPEX, DEMAND = "sites.capex_usd_per_wspm*", "demand.gpus*"


def test_base_is_the_unmodified_value_not_the_first_listed():
    d = vary_design([f"{CAPEX[:-1]}*=0.8,1.0,1.2", f"{DEMAND[:-1]}*=1.3,1"], {})
    # *= 1 leaves an input as the data has it: capex 1.0 (second listed), demand 1 (last)
    assert d.base == {CAPEX: "1.0", DEMAND: "1"}
    assert d.modified == []
    assert d.base_case.startswith("capex_usd_per_wspm_x1.0__gpus_x1-")
    d = vary_design(["sites.opex_usd_per_wafer+=-5,0,5"], {})
    assert d.base == {"sites.opex_usd_per_wafer+": "0"}  # += 0 is unmodified


def test_base_without_the_unmodified_value_is_the_first_listed_and_named():
    d = vary_design([f"{CAPEX[:-1]}*=0.8,1.2", f"{DEMAND[:-1]}*=1.3,1.0"], {})
    # capex x1 is not listed: 0.8 stands in; demand x1.0 is listed: the base is 1.0, not 1.3
    assert d.base == {CAPEX: "0.8", DEMAND: "1.0"}
    assert d.modified == [CAPEX]
    assert len(d.cases) == 4  # no extra solve for the unmodified data
    # `=` overrides: the sweep cannot know the data's value, so the first stands in
    d = vary_design(["discount_rate=0.03,0.05"], {})
    assert d.base == {"discount_rate": "0.03"} and d.modified == ["discount_rate"]


def test_cases_csv_base_is_the_row_without_overrides(tmp_path):
    path = tmp_path / "cases.csv"
    path.write_text("case,overrides\ncheap,sites.capex_usd_per_wspm*=0.8\nas is,\n")
    d = csv_design(path, {})
    assert d.base_case == "as is" and d.base == {CAPEX: None} and d.modified == []
    path.write_text("case,overrides\ncheap,sites.capex_usd_per_wspm*=0.8\n")
    d = csv_design(path, {})
    assert d.base_case == "cheap" and d.modified == [CAPEX]


def hand_table(design) -> pd.DataFrame:
    """Three cases of capex x0.8, x1.0, x1.2: cost 80, 100, 120 (USD), wspm 10, 9, 8; unmet,
    capital and CO2 the same in all three (no variation)."""
    rows = []
    for case, cost, wspm in zip(design.cases, (80.0, 100.0, 120.0), (10.0, 9.0, 8.0), strict=True):
        rows.append(
            {
                "case": case.name,
                "case_id": case.case_id,
                "overrides": "; ".join(case.expressions),
                CAPEX: case.overrides[CAPEX],
                "status": "optimal",
                "objective_usd": cost,
                "wspm_built": wspm,
                "unmet_gpus": 0.0,
                "capital_usd": 50.0,
                "co2_t": 1.0,
                "message": "",
            }
        )
    return pd.DataFrame(rows)


def test_tornado_draws_from_the_unmodified_case_and_omits_flat_outputs(tmp_path):
    design = vary_design([f"{CAPEX[:-1]}*=0.8,1.0,1.2"], {})
    table = hand_table(design)
    ranges = sensitivity(table, design).set_index("output")
    # base case x1.0: cost 100 (the first listed, x0.8, would say 80); range 120 - 80 = 40
    assert ranges.loc["objective_usd", "base_output"] == 100.0
    assert ranges.loc["objective_usd", "range"] == 40.0
    assert ranges.loc["wspm_built", "range"] == 2.0  # 10 - 8
    assert ranges.loc["capital_usd", "range"] == 0.0
    svg = tornado_svg(ranges.reset_index())
    assert "cost (objective" in svg and "total wspm built" in svg
    assert "unmet GPUs" not in svg and "capital raised" not in svg  # no variation: no panel
    flat = hand_table(design).assign(objective_usd=1.0, wspm_built=1.0)
    assert tornado_svg(sensitivity(flat, design)) is None  # nothing moves: no chart


@pytest.mark.parametrize("inside", [True, False])
def test_sweep_titles_carry_no_absolute_path(tmp_path, monkeypatch, inside):
    data = tmp_path / "work" / "my_data"
    data.mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "work" if inside else tmp_path / "elsewhere")
    design = vary_design([f"{CAPEX[:-1]}*=0.8,1.0,1.2"], {})
    table = hand_table(design)
    out = tmp_path / "out"
    out.mkdir()
    write_report(out, data.resolve(), design, table, sensitivity(table, design))
    md, html = (out / "sweep.md").read_text(), (out / "sweep.html").read_text()
    # inside the working folder: relative to it (my_data); outside: its name (my_data)
    assert md.startswith("# Sweep of my_data\n")
    assert str(tmp_path) not in md and str(tmp_path) not in html
    assert "Sweep of my_data" in html
    assert f"The base case is {design.base_case}: the data as it is" in md


def test_report_names_a_stand_in_base(tmp_path):
    design = vary_design([f"{CAPEX[:-1]}*=0.8,1.2"], {})
    table = hand_table(vary_design([f"{CAPEX[:-1]}*=0.8,1.0,1.2"], {})).iloc[[0, 2]]
    table = table.assign(
        case=[c.name for c in design.cases], case_id=[c.case_id for c in design.cases]
    )
    write_report(tmp_path, Path("data"), design, table, sensitivity(table, design))
    md = " ".join((tmp_path / "sweep.md").read_text().split())
    assert "the unmodified data is not among the cases" in md
    assert "(sites.capex_usd_per_wspm\\*=0.8); no extra case is solved" in md  # * escaped
