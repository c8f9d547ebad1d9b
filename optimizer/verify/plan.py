"""Read a plan folder (docs/plan-tables.md) into typed tables, or say exactly what is wrong.

Ids are kept as text, numbers parsed strictly: a missing file, a missing column or a cell that
is not a number is an InputError naming the file, line and column, all collected at once.
Each table gets a `csv_line` column (line number in the file) for messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.plan.schema import INTEGER, NUMBER, SCHEMA, TEXT

ID, YEAR, NUM = "id", "year", "number"
_KIND = {TEXT: ID, INTEGER: YEAR, NUMBER: NUM}
_DTYPE = {ID: object, YEAR: int, NUM: float}

# The decision tables every check reads (grants.csv absent: no grants), and the derived tables
# checked when present (a hand-made or older plan may lack them); columns from the plan schema.
DECISIONS = ("builds", "capacity", "production", "shipments", "unmet", "energy", "contracts")
DECISIONS += ("funding", "grants", "partner_summary", "costs")
DECISIONS += ("purchases",)  # absent: nothing bought (supply_offers.csv)
DECISIONS += ("dispatch", "contract_years")  # issue 14; absent: older plan / no such contract
DECISIONS += ("power_builds", "power_funding", "storage_operation", "generation_output")
DECISIONS += ("operators", "operator_summary", "operator_wafers")  # absent: no operators
DERIVED = ("scenario_costs", "prices", "binding", "tool_use", "stages", "site_costs")
DERIVED += ("capital_sources",)


def _columns(name: str) -> tuple[dict[str, str], dict[str, str]]:
    """(required, optional) columns of a plan table with their kinds."""
    table = SCHEMA[name]
    required = {c.name: _KIND[c.dtype] for c in table.columns if c.required}
    optional = {c.name: _KIND[c.dtype] for c in table.columns if not c.required}
    return required, optional


@dataclass
class Plan:
    """The plan tables and summary.json of one plan folder."""

    plan_dir: Path
    summary: dict
    tables: dict[str, pd.DataFrame]
    derived: dict[str, pd.DataFrame] = field(default_factory=dict)  # DERIVED tables present

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def mode(self) -> str:
        return str(self.summary.get("mode") or "lp")


def read_plan(plan_dir: Path) -> Plan:
    """Load summary.json and every table verify checks; raise InputError listing all problems."""
    plan_dir = Path(plan_dir)
    problems: list[Problem] = []
    if not plan_dir.is_dir():
        raise InputError([Problem(str(plan_dir), None, None, None, "plan folder not found")])
    summary = _read_summary(plan_dir / "summary.json", problems)
    tables: dict[str, pd.DataFrame] = {}
    for name in DECISIONS:
        required, optional = _columns(name)
        path = plan_dir / SCHEMA[name].file
        if not SCHEMA[name].required and not path.exists():
            table = pd.DataFrame({"csv_line": pd.Series(dtype=int)})
            table = table.assign(**{c: pd.Series(dtype=_DTYPE[k]) for c, k in required.items()})
        else:
            table = _read_table(path, required, optional, problems)
        if table is not None:
            tables[SCHEMA[name].file] = table
    derived: dict[str, pd.DataFrame] = {}
    for name in DERIVED:
        path = plan_dir / SCHEMA[name].file
        if path.exists():
            table = _read_table(path, *_columns(name), problems)
            if table is not None:
                derived[path.name] = table
    if problems:
        raise InputError(problems)
    return Plan(plan_dir, summary, tables, derived)


def _read_summary(path: Path, problems: list[Problem]) -> dict:
    name = f"{path.parent.name}/{path.name}"
    try:
        summary = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        problems.append(Problem(name, None, None, None, "missing; a plan folder has summary.json"))
        return {}
    except (OSError, UnicodeDecodeError) as e:
        problems.append(Problem(name, None, None, None, f"unreadable ({e})"))
        return {}
    except json.JSONDecodeError as e:
        problems.append(Problem(name, e.lineno, None, None, f"not valid JSON: {e.msg}"))
        return {}
    if not isinstance(summary, dict):
        problems.append(Problem(name, None, None, None, "expected a JSON object"))
        return {}
    objective = summary.get("objective_usd")
    if not isinstance(objective, int | float) or isinstance(objective, bool):
        problems.append(
            Problem(name, None, "objective_usd", objective, "expected the plan's objective in USD")
        )
    return summary


def _read_table(
    path: Path, required: dict[str, str], optional: dict[str, str], problems: list[Problem]
) -> pd.DataFrame | None:
    name = f"{path.parent.name}/{path.name}"
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
        header.columns = [str(c).strip() for c in header.columns]
        kinds = {c: ID for c in header.columns}  # unknown columns are read as text
        kinds.update({c: k for c, k in {**optional, **required}.items() if c in header.columns})
        # Ids as text; numbers through the C parser (fast); an empty cell becomes NaN.
        raw = pd.read_csv(
            path,
            encoding="utf-8-sig",
            dtype={c: str for c, k in kinds.items() if k == ID},
            keep_default_na=False,
            na_values={c: [""] for c, k in kinds.items() if k != ID},
            skipinitialspace=True,
        )
    except FileNotFoundError:
        problems.append(
            Problem(name, None, None, None, "missing; every plan folder has this table")
        )
        return None
    except pd.errors.EmptyDataError:
        problems.append(Problem(name, None, None, None, "empty; expected a header row"))
        return None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, ValueError) as e:
        problems.append(Problem(name, None, None, None, f"unreadable ({e})"))
        return None
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in required if c not in raw.columns]
    for col in missing:
        problems.append(Problem(name, 1, col, None, "missing column in the header"))
    if missing:
        return None
    table = pd.DataFrame({"csv_line": np.arange(len(raw), dtype=int) + 2})
    blank = {c.name for c in SCHEMA[path.stem].columns if c.blank}  # empty cells allowed
    for col in [c for c in kinds if c in required or c in optional]:
        kind = kinds[col]
        if kind == ID:
            codes, uniques = pd.factorize(raw[col])  # strip each distinct id once
            table[col] = np.array([str(u).strip() for u in uniques], dtype=object)[codes]
            continue
        values = _numbers(raw[col])
        bad = values.isna() & (raw[col].notna() | (col in required and col not in blank))
        if kind == YEAR:
            bad |= values.notna() & (np.mod(values, 1) != 0)
        for i in np.flatnonzero(bad.to_numpy())[:20]:
            expected = "a calendar year such as 2030" if kind == YEAR else "a number"
            cell = raw[col].iloc[i]
            problems.append(
                Problem(
                    name, int(i) + 2, col, "" if pd.isna(cell) else cell, f"expected {expected}"
                )
            )
        if kind == YEAR and col in blank:
            table[col] = values.where(~bad).astype("Int64").array
        elif kind == YEAR:
            table[col] = values.fillna(0).astype(int).to_numpy()
        else:
            table[col] = values.to_numpy()
    return table


def _numbers(column: pd.Series) -> pd.Series:
    """Floats; cells that are not numbers become NaN (the C parser left the column as text)."""
    if column.dtype.kind in "fiu":
        return column.astype(float)
    text = column.astype("string").str.strip()
    return pd.to_numeric(text, errors="coerce").astype(float)
