"""plan.xlsx checked cell by cell against the plan's CSV files, whatever library writes it.

The workbook is read back with openpyxl (a different library from the writer, XlsxWriter), and
every expectation here comes from the CSV files read with plain pandas or is written out by hand,
so a change of writer cannot pass by agreeing with itself.
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_report import copy_fixture_plan

from optimizer.report import write_reports


@pytest.fixture
def plan_dir(tmp_path: Path) -> Path:
    """A fresh copy of the fixture plan (CSV tables and summary.json only)."""
    return copy_fixture_plan(tmp_path / "plan")


def workbook(plan: Path) -> openpyxl.Workbook:
    write_reports(plan, ["xlsx"])
    return openpyxl.load_workbook(plan / "plan.xlsx")


def widths(ws) -> dict[int, float]:
    """Column number -> width, spreading a <col min max> range over its columns."""
    out: dict[int, float] = {}
    for dim in ws.column_dimensions.values():
        for c in range(dim.min, dim.max + 1):
            out[c] = dim.width
    return out


def expected(value: object) -> object:
    """What a CSV value should read back as: blank for NaN, text for infinities."""
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
    return value


def test_every_table_cell_matches_its_csv_value(plan_dir):
    summary = pd.read_csv(plan_dir / "partner_summary.csv")
    summary.loc[0, "max_commitment_usd"] = math.inf  # a partner without a limit
    summary.to_csv(plan_dir / "partner_summary.csv", index=False)
    wb = workbook(plan_dir)
    checked = blanks = 0
    for path in sorted(plan_dir.glob("*.csv")):
        frame = pd.read_csv(path)  # a blank field reads as NaN: a blank cell
        ws = wb[path.stem]
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        assert len(rows) == len(frame), path.stem
        for got, want in zip(rows, frame.itertuples(index=False), strict=True):
            for g, w in zip(got, want, strict=True):
                w = expected(w.item() if hasattr(w, "item") else w)
                if isinstance(w, float) and isinstance(g, int | float):
                    assert g == pytest.approx(w, rel=1e-15, abs=0), (path.stem, g, w)
                else:
                    assert g == w, (path.stem, g, w)
                blanks += g is None
                checked += 1
    assert checked > 1000 and blanks > 0  # binding.csv has blank cells
    assert wb["partner_summary"]["G2"].value == "inf"


def test_headers_are_bold_frozen_filtered_and_wide_enough(plan_dir):
    wb = workbook(plan_dir)
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.b for c in ws[1]), ws.title
        assert not any(c.font.b for row in ws.iter_rows(min_row=2) for c in row), ws.title
        width = widths(ws)
        if ws.title == "summary":
            assert [int(width[j]) for j in (1, 2, 3)] == [38, 70, 24]  # characters (+ padding)
            continue
        for j, cell in enumerate(ws[1], start=1):  # header + 2 characters, within 8 to 60
            assert 8 <= width[j] <= 61, (ws.title, cell.value, width[j])
            assert width[j] >= min(len(cell.value) + 2, 60), (ws.title, cell.value)
        frame = pd.read_csv(plan_dir / f"{ws.title}.csv")
        last = openpyxl.utils.get_column_letter(len(frame.columns))
        assert ws.auto_filter.ref == f"A1:{last}{len(frame) + 1}", ws.title


def test_number_formats_follow_the_column_units(plan_dir):
    wb = workbook(plan_dir)
    formats = {  # sheet, column letter -> number format, written out by hand
        ("builds", "B"): "0",  # year
        ("builds", "D"): "#,##0",  # wspm
        ("builds", "E"): "#,##0",  # capex_usd
        ("partner_summary", "D"): "0.0%",  # share
        ("partner_summary", "H"): "0.0%",  # cost_of_capital
        ("capacity", "E"): "0.00",  # open
    }
    for (sheet, col), fmt in formats.items():
        cells = [row[0] for row in wb[sheet].iter_rows(min_row=2, min_col=ord(col) - 64)]
        assert cells and all(c.number_format == fmt for c in cells if c.value is not None), (
            sheet,
            col,
            {c.number_format for c in cells},
        )
        assert all(c.data_type == "n" for c in cells if c.value is not None)
    assert all(c.number_format == "General" for c in wb["builds"]["A"][1:])  # site: text
    summary = {r[0].value: r[1] for r in wb["summary"].iter_rows(min_row=2)}
    assert summary["objective [USD, NPV]"].number_format == "#,##0.00"
    assert summary["sites built"].number_format == "#,##0"
    assert summary["status"].data_type == "s"
