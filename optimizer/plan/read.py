"""Read a plan folder (CSV tables + summary.json) into memory, checking it against the schema.

The report and compare read nothing else: no input data folder, no model objects. Optional
tables a plan lacks (optimizer.plan.schema: grants, copies of the inputs, derived tables) come
back as empty frames with their columns, so the report degrades to what it can show.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.errors import InputError, Problem, UsageError
from optimizer.plan.schema import INTEGER, SUMMARY_KEYS, TABLES, TEXT, Column

# Text ids read as text, whole numbers as int64, whatever table they are in (optimizer.plan.schema)
TEXT_COLUMNS = {c.name for t in TABLES for c in t.columns if c.dtype == TEXT}
INT_COLUMNS = {c.name for t in TABLES for c in t.columns if c.dtype == INTEGER}


@dataclass
class Plan:
    """A plan folder in memory: summary.json as a dict and every CSV as a DataFrame."""

    folder: Path
    summary: dict
    tables: dict[str, pd.DataFrame]
    present: set[str] = field(default_factory=set)  # tables read from a file (not defaulted)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def has(self, name: str) -> bool:
        return name in self.present

    @property
    def objective_usd(self) -> float:
        return float(self.summary["objective_usd"])

    @property
    def optimal(self) -> bool:
        status = str(self.summary.get("status", "")).lower()
        return bool(self.summary.get("optimal", status == "optimal")) and status == "optimal"

    @property
    def params(self) -> dict:
        return dict(self.summary.get("parameters") or {})

    @property
    def years(self) -> list[int]:
        p = self.params
        if "first_year" in p and "last_year" in p:
            return list(range(int(p["first_year"]), int(p["last_year"]) + 1))
        years = self.tables["capacity"]["year"]
        return list(range(int(years.min()), int(years.max()) + 1)) if len(years) else []

    @property
    def hedged(self) -> bool:
        """A two-stage plan over several scenarios (`fabplan solve --stochastic`)."""
        return bool(self.summary.get("stochastic")) and len(self.scenario_weights) > 1

    @property
    def stage_year(self) -> int | None:
        """First year decided per scenario in a staged plan (summary.json), else None."""
        value = self.summary.get("stage_year")
        return None if value is None else int(value)

    @property
    def staged(self) -> bool:
        """A staged hedged plan: its decision tables carry a scenario column
        (optimizer/plan/staged_view.py)."""
        builds = self.tables.get("builds")
        return self.stage_year is not None and builds is not None and "scenario" in builds

    @property
    def integer(self) -> bool:
        """Sites opened and builds in whole modules (`fabplan solve --integer`)."""
        return str(self.summary.get("mode", "lp")).lower() == "integer"

    @property
    def risk(self) -> tuple[float, float] | None:
        """(CVaR alpha, risk weight) of a risk-averse plan, else None."""
        risk = self.summary.get("risk") or {}
        alpha, weight = risk.get("cvar_alpha"), risk.get("risk_weight")
        if alpha is None or weight is None:
            return None
        return float(alpha), float(weight)

    @property
    def scenario_weights(self) -> dict[str, float]:
        """Scenario -> probability; equal weights over the scenarios in the tables if unknown."""
        given = self.summary.get("scenarios")
        if isinstance(given, dict) and given:
            return {str(k): float(v) for k, v in given.items()}
        seen = sorted(
            set(self.tables["production"]["scenario"]) | set(self.tables["unmet"]["scenario"])
        ) or [str(self.summary.get("scenario", "base"))]
        return {s: 1.0 / len(seen) for s in seen}


def read_plan(folder: Path) -> Plan:
    """Load a plan folder; every problem (missing files or columns) is listed at once."""
    folder = Path(folder)
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise UsageError(
            f"{folder} is not a plan folder (no summary.json); run `fabplan solve` to write one"
        )
    problems: list[Problem] = []
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(
            [Problem(str(summary_path), e.lineno, None, None, f"valid JSON ({e.msg})")]
        ) from None
    for key in SUMMARY_KEYS:
        if key not in summary:
            problems.append(Problem(str(summary_path), None, key, None, "a value for this key"))
    objective = summary.get("objective_usd")
    if "objective_usd" in summary and not _is_number(objective):
        problems.append(
            Problem(str(summary_path), None, "objective_usd", objective, "a finite number")
        )

    tables: dict[str, pd.DataFrame] = {}
    present: set[str] = set()
    for table in TABLES:
        path = folder / table.file
        if not path.is_file():
            if table.required:
                problems.append(Problem(str(path), None, None, None, "this plan table to exist"))
            tables[table.name] = pd.DataFrame(
                {c.name: pd.Series(dtype=_dtype(c)) for c in table.columns if c.required}
            )
            continue
        frame = read_table(path)
        for c in table.required_names:
            if c not in frame.columns:
                problems.append(Problem(str(path), 1, c, None, "this column in the header row"))
        tables[table.name] = frame
        present.add(table.name)
    if problems:
        raise InputError(problems)
    return Plan(folder=folder, summary=summary, tables=tables, present=present)


def plan_csv_files(folder: Path) -> list[Path]:
    """Every CSV table in the plan folder, in a stable order (for the workbook)."""
    return sorted(Path(folder).glob("*.csv"))


def read_table(path: Path) -> pd.DataFrame:
    """Read one plan table: text columns stay text (a site called `NA` is not missing)."""
    header = pd.read_csv(path, nrows=0).columns
    dtypes = {c: "str" for c in header if c in TEXT_COLUMNS}
    frame = pd.read_csv(
        path,
        dtype=dtypes,
        keep_default_na=False,
        na_values={c: [""] for c in header if c not in TEXT_COLUMNS},
    )
    for c in frame.columns:
        if c in INT_COLUMNS and frame[c].notna().all():
            frame[c] = frame[c].astype("int64")
    return frame


def _dtype(column: Column) -> str:
    return {TEXT: "str", INTEGER: "int64"}.get(column.dtype, "float64")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
