"""Write plan.xlsx: a summary sheet plus one sheet per plan table, header row frozen.

Written with XlsxWriter in constant-memory mode (rows streamed to disk as they are finished):
openpyxl serialises every cell through its pure-Python XML tree writer (about 25 us a cell, 3.4 CPU
s for the 114k cells of an M plan even in write-only mode); XlsxWriter formats each row as text
and is about 8x faster on the same cells, formats, widths, frozen header and filter. Values are
prepared a column at a time (NaN -> blank, infinities -> text) and written with one shared
format object per column, never a style object per cell.

Headers carry units ("capex [USD]"). Text that a spreadsheet would take for a formula (starting
with =, +, - or @) is stored as a string with Excel's quote prefix, so it shows as typed and is
never evaluated (XlsxWriter's write_string never makes a formula).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from optimizer.plan import statistics
from optimizer.plan.read import Plan, plan_csv_files, read_table
from optimizer.render.fmt import gap, money, number, pct
from optimizer.report import scenarios
from optimizer.report.sections import integer

FORMULA_START = ("=", "+", "-", "@")
_UNIT_SUFFIXES = [  # column suffix -> (unit shown, number format)
    ("_usd_per_gpu", "USD/GPU", "#,##0.00"),
    ("_usd_per_mwh", "USD/MWh", "#,##0.00"),
    ("_usd_per_wspm", "USD/wspm", "#,##0"),
    ("_t_per_mwh", "t CO2/MWh", "0.000"),
    ("_npv_usd", "USD, NPV", "#,##0"),
    ("_usd", "USD", "#,##0"),
    ("_wspm", "wspm", "#,##0"),
    ("_mwh", "MWh", "#,##0"),
    ("_mw", "MW", "#,##0.0"),
    ("_t", "t CO2", "#,##0"),
    ("_s", "s", "0.00"),
]
_WHOLE_NAMES = {  # columns whose whole name is a unit or a unitless quantity: header, format
    "usd": ("usd [USD]", "#,##0"),
    "npv_usd": ("npv [USD, NPV]", "#,##0"),
    "wspm": ("wspm [wafer starts/month]", "#,##0"),
    "mwh": ("mwh [MWh]", "#,##0"),
    "mw": ("mw [MW]", "#,##0.0"),
    "max_mw": ("max [MW]", "#,##0.0"),
    "gpus": ("gpus [GPUs/year]", "#,##0"),
    "wafers": ("wafers [wafers/year]", "#,##0"),
    "co2_t": ("co2 [t CO2]", "#,##0"),
    "share": ("share [fraction]", "0.0%"),
    "max_share": ("max_share [fraction]", "0.0%"),
    "min_share": ("min_share [fraction]", "0.0%"),
    "utilization": ("utilization [fraction]", "0.0%"),
    "open": ("open [fraction 0-1]", "0.00"),
    "cost_of_capital": ("cost_of_capital [per year]", "0.0%"),
    "probability": ("probability [fraction]", "0.000"),
    "year": ("year", "0"),
    "online_year": ("online_year", "0"),
    "first_build_year": ("first_build_year", "0"),
    "lead_time_years": ("lead_time [years]", "0"),
    "shadow_price": ("shadow_price [see unit]", "#,##0.####"),
}


def header(column: str) -> tuple[str, str | None]:
    """Header text with its unit, and the number format for the column's values."""
    if column in _WHOLE_NAMES:
        return _WHOLE_NAMES[column]
    for suffix, unit, fmt in _UNIT_SUFFIXES:
        if column.endswith(suffix) and len(column) > len(suffix):
            return f"{column.removesuffix(suffix)} [{unit}]", fmt
    return column, None


class _Formats:
    """One XlsxWriter format per (number format, bold, quote prefix), made on first use: formats
    are workbook-wide, and a new object per cell would bloat styles.xml."""

    def __init__(self, wb: Workbook) -> None:
        self._wb = wb
        self._made: dict[tuple[str | None, bool, bool], Format | None] = {}

    def get(self, num: str | None = None, bold: bool = False, quote: bool = False) -> Format | None:
        key = (num, bold, quote)
        if key not in self._made:
            props: dict[str, object] = {}
            if num:
                props["num_format"] = num
            if bold:
                props["bold"] = True
            if quote:
                props["quote_prefix"] = True
            self._made[key] = self._wb.add_format(props) if props else None
        return self._made[key]


def write_text(
    ws: Worksheet, formats: _Formats, row: int, col: int, text: str, bold: bool = False
) -> None:
    """A text cell no spreadsheet evaluates: formula-like text gets a quote prefix; empty text
    leaves the cell blank."""
    if text == "":
        return
    fmt = formats.get(None, bold, text.startswith(FORMULA_START))
    ws.write_string(row, col, text, fmt)


def write_workbook(plan: Plan, path: Path | BinaryIO) -> Path | BinaryIO:
    """Write plan.xlsx (to a file or a buffer the caller writes atomically); returns `path`."""
    target = str(path) if isinstance(path, Path) else path
    wb = Workbook(target, {"constant_memory": True})
    formats = _Formats(wb)
    _summary_sheet(wb.add_worksheet("summary"), formats, plan)
    for csv in plan_csv_files(plan.folder):
        name = csv.stem
        frame = plan.tables.get(name)
        if frame is None or name not in plan.present:
            frame = read_table(csv)
        _table_sheet(wb.add_worksheet(_sheet_title(name)), formats, frame)
    wb.close()
    return path


def _sheet_title(name: str) -> str:
    bad = set("[]:*?/\\")
    return "".join("_" if ch in bad else ch for ch in name)[:31]


def _table_sheet(ws: Worksheet, formats: _Formats, frame: pd.DataFrame) -> None:
    """Header (bold, units), values with the column's number format, frozen header, filter."""
    headers = [header(str(column)) for column in frame.columns]
    ws.freeze_panes(1, 0)
    for j, column in enumerate(frame.columns):
        width = max([len(headers[j][0])] + [len(str(v)) for v in frame[column].head(200).tolist()])
        ws.set_column(j, j, min(max(width + 2, 8), 60))
    if len(frame.columns):
        ws.autofilter(0, 0, len(frame), len(frame.columns) - 1)
    for j, (text, _fmt) in enumerate(headers):
        write_text(ws, formats, 0, j, text, bold=True)
    columns = [_column_values(frame[c]) for c in frame.columns]
    cell_formats = [formats.get(fmt) for _text, fmt in headers]
    text_format, quoted = formats.get(), formats.get(None, False, True)
    write_number, write_string, write_boolean = ws.write_number, ws.write_string, ws.write_boolean
    for i, row in enumerate(zip(*columns, strict=True), start=1):
        for j, value in enumerate(row):
            kind = value.__class__
            if kind is float or kind is int:
                write_number(i, j, value, cell_formats[j])
            elif kind is str:
                if value:
                    write_string(i, j, value, quoted if value[0] in FORMULA_START else text_format)
            elif kind is bool:
                write_boolean(i, j, value)


def _column_values(series: pd.Series) -> list[object]:
    """The column as written, prepared in bulk: numbers as Python floats/ints, NaN as None
    (blank), infinities as the text 'inf'/'-inf', anything else through `_plain_value`."""
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "fiu":
        values = series.to_numpy()
        if values.dtype.kind == "f" and not np.isfinite(values).all():
            return [_plain_value(v) for v in values.tolist()]
        return values.tolist()
    if isinstance(series.dtype, np.dtype) and series.dtype.kind == "b":
        return series.tolist()
    return [_plain_value(v) for v in series.tolist()]


def _plain_value(value: object) -> object:
    """Numbers as int where whole, infinities as text, NaN as blank, numpy scalars unwrapped."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        f = float(value)
        if not math.isfinite(f):
            return "inf" if f > 0 else "-inf"
        if isinstance(value, float) and f.is_integer() and abs(f) < 2**53:
            return int(f)
        return value
    if hasattr(value, "item"):  # numpy scalar
        return _plain_value(value.item())
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _summary_sheet(ws: Worksheet, formats: _Formats, plan: Plan) -> None:
    """Headline numbers (formatted and raw) and run provenance; a staged plan's builds, capital
    and grants are those of the scenario the report shows (report.sections.staged_plan_view)."""
    from optimizer.report.sections import staged_plan_view

    head = statistics.headline(staged_plan_view(plan))
    _, check = statistics.costs(plan)
    rows: list[tuple[str, object, str]] = [
        ("status", head.status, ""),
        ("optimal", str(head.optimal), ""),
        ("mip_gap", head.gap, pct(head.gap, 2) if head.gap is not None else ""),
        ("objective [USD, NPV]", head.objective_usd, money(head.objective_usd)),
        (
            "cost components sum [USD, NPV]",
            check.total_usd,
            "equal to the objective" if check.ok else "DIFFERS from the objective",
        ),
        (
            "cost per GPU delivered, excluding the unmet-demand penalty [USD, NPV]",
            head.cost_per_gpu_usd,
            money(head.cost_per_gpu_usd),
        ),
        ("GPUs demanded", head.gpus_demanded, number(head.gpus_demanded)),
        ("GPUs delivered", head.gpus_delivered, number(head.gpus_delivered)),
        ("GPUs unmet", head.gpus_unmet, number(head.gpus_unmet)),
        ("new capacity built [wspm]", head.wspm_built, number(head.wspm_built)),
        ("sites built", head.sites_built, ""),
        ("new sites opened", head.sites_opened, ""),
        ("capital expenditure [USD]", head.capex_usd, money(head.capex_usd)),
        ("capital raised from partners for fabs [USD]", head.capital_usd, money(head.capital_usd)),
        ("grants [USD]", head.grants_usd, money(head.grants_usd)),
        ("energy used [MWh]", head.energy_mwh, number(head.energy_mwh)),
        ("CO2 emitted [t]", head.co2_t, number(head.co2_t)),
    ]
    rows += _hedged_rows(plan) + _staged_rows(plan) + _integer_rows(plan)
    s = plan.summary
    keys = ("case", "scenario", "mode", "termination", "fabplan_version", "created", "data_dir")
    for key in keys:
        if key in s:
            rows.append((key, str(s[key]), ""))
    solver = s.get("solver") or {}
    rows.append(("solver", f"{solver.get('name', '')} {solver.get('version', '')}".strip(), ""))
    for k, v in (s.get("parameters") or {}).items():
        rows.append((f"parameter {k}", _plain(v), ""))
    for k, v in (s.get("inputs") or {}).items():
        rows.append((f"sha256 {k}", str(v), ""))
    ws.freeze_panes(1, 0)
    ws.set_column(0, 0, 38)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 2, 24)
    for j, title in enumerate(("item", "value", "readable")):
        write_text(ws, formats, 0, j, title, bold=True)
    for i, (key, value, readable) in enumerate(rows, start=1):
        write_text(ws, formats, i, 0, key)
        plain = _plain_value(value)
        if isinstance(plain, bool):
            ws.write_boolean(i, 1, plain)
        elif isinstance(plain, float):
            ws.write_number(i, 1, plain, formats.get("#,##0.00"))
        elif isinstance(plain, int):
            ws.write_number(i, 1, plain, formats.get("#,##0"))
        elif isinstance(plain, str):
            write_text(ws, formats, i, 1, plain)
        write_text(ws, formats, i, 2, readable)


def _staged_rows(plan: Plan) -> list[tuple[str, object, str]]:
    """The stage year of a staged plan, with how its decision sheets read (scenario column)."""
    if not plan.staged:
        return []
    note = (
        f"decision sheets: scenario 'all' = decided before {plan.stage_year}, the same in every "
        "scenario; a scenario's name = decided later, in that scenario"
    )
    from optimizer.report.sections import staged_plan_view

    shown = staged_plan_view(plan).summary.get("view_scenario")
    return [
        ("stage year", plan.stage_year, note),
        ("builds, capital and grants above", f"the plan for scenario {shown}", ""),
    ]


def _hedged_rows(plan: Plan) -> list[tuple[str, object, str]]:
    """Expected cost, risk setting, EVPI/VSS and the scenario costs of a hedged plan."""
    if not plan.hedged:
        return []
    head = statistics.headline(plan)
    rows: list[tuple[str, object, str]] = [
        ("expected cost [USD, NPV]", head.expected_cost_usd, money(head.expected_cost_usd))
    ]
    if plan.risk is not None:
        alpha, weight = plan.risk
        rows += [("CVaR alpha", alpha, ""), ("risk weight", weight, "")]
    v = scenarios.value_measures(plan)
    for key, value in (
        ("EVPI", v.evpi_usd),
        ("VSS", v.vss_usd),
        ("RP (hedged plan, risk-neutral)", v.rp_usd),
        ("WS (perfect foresight)", v.ws_usd),
        ("EEV (mean-demand plan)", v.eev_usd),
    ):
        if math.isfinite(value):
            rows.append((f"{key} [USD, NPV]", value, money(value)))
    costs = scenarios.scenario_costs(plan)
    for w, p, total in zip(
        costs["scenario"], costs["probability"], costs["total_usd"], strict=True
    ):
        rows.append((f"cost in scenario {w} [USD, NPV]", float(total), f"p = {pct(p)}"))
    return rows


def _integer_rows(plan: Plan) -> list[tuple[str, object, str]]:
    """Sites opened, modules built, gap tolerance, and where prices come from."""
    if not plan.integer:
        return []
    whole = integer.numbers(plan)
    opened = whole.opened
    modules = whole.modules["modules"].sum()
    return [
        ("modules built", float(modules), number(modules)),
        (
            "sites opened",
            len(opened),
            ", ".join(f"{r.site} {r.open_year}" for r in opened.itertuples()),
        ),
        ("mip_gap tolerance", whole.gap_tolerance, gap(whole.gap_tolerance)),
        ("prices and binding constraints", integer.DUALS_LABEL, ""),
    ]


def _plain(value: object) -> object:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value
