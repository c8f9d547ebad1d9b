"""Read a plan folder (CSV tables + summary.json) into memory, checking it is one.

The report reads nothing else: no input data folder, no model objects. Optional tables that an
older plan writer may not produce (sites.csv, demand.csv, partner_regions.csv, grants.csv) come
back as empty frames with their columns, so the report degrades to what it can show.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.errors import InputError, Problem, UsageError

# Columns each table must have (docs/plan-tables.md); text columns are read as strings.
REQUIRED: dict[str, list[str]] = {
    "builds": ["site", "year", "online_year", "wspm", "capex_usd", "grant_usd"],
    "capacity": ["site", "year", "installed_wspm", "available_wspm", "open"],
    "production": ["scenario", "site", "product", "market", "year", "wafers", "gpus"],
    "unmet": ["scenario", "product", "market", "year", "gpus"],
    "energy": ["scenario", "contract", "site", "year", "mwh", "cost_usd", "co2_t"],
    "contracts": ["contract", "region", "source", "mw", "max_mw"],
    "funding": ["partner", "site", "year", "usd"],
    "partner_summary": ["partner", "usd", "share", "financing_cost_npv_usd"],
    "costs": ["component", "npv_usd"],
    "prices": ["scenario", "product", "market", "year", "usd_per_gpu"],
    "binding": ["family", "index", "shadow_price", "unit", "meaning"],
}
# Tables the report uses when present (requested from the plan writer; see report README).
OPTIONAL: dict[str, list[str]] = {
    "grants": ["site", "year", "usd"],
    "sites": ["site", "region", "existing_wspm", "max_wspm", "utilization"],
    "demand": ["scenario", "product", "market", "year", "gpus"],
    "partner_regions": ["partner", "region", "max_share"],
    "scenario_costs": ["scenario", "probability", "total_usd"],
    "regret": ["plan", "scenario", "probability", "cost_usd", "best_cost_usd", "regret_usd"],
}
TEXT_COLUMNS = {
    "site",
    "product",
    "market",
    "scenario",
    "contract",
    "region",
    "source",
    "partner",
    "kind",
    "component",
    "family",
    "index",
    "unit",
    "meaning",
    "name",
    "country",
    "node",
    "operator",
    "plan",
}
INT_COLUMNS = {"year", "online_year", "lead_time_years", "first_year", "last_year", "from_year"}
SUMMARY_KEYS = ["status", "objective_usd"]


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
    for name, columns in {**REQUIRED, **OPTIONAL}.items():
        path = folder / f"{name}.csv"
        if not path.is_file():
            if name in REQUIRED:
                problems.append(Problem(str(path), None, None, None, "this plan table to exist"))
            tables[name] = pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in columns})
            continue
        frame = read_table(path)
        missing = [c for c in columns if c not in frame.columns]
        for c in missing:
            problems.append(Problem(str(path), 1, c, None, "this column in the header row"))
        tables[name] = frame
        present.add(name)
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


def _dtype(column: str) -> str:
    if column in TEXT_COLUMNS:
        return "str"
    return "int64" if column in INT_COLUMNS else "float64"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
