"""The plan folder has one schema (optimizer/plan/schema.py): the documentation says the same,
a solve writes exactly it, and a reader names the table and column a plan is missing."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from optimizer.errors import InputError
from optimizer.plan.read import read_plan
from optimizer.plan.schema import SCHEMA, TABLES
from optimizer.verify.plan import read_plan as verify_read_plan

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "plan-tables.md"
TINY = ROOT / "tests" / "data" / "plan_tiny" / "data"


def documented() -> dict[str, tuple[str, list[tuple[str, str, str, str]]]]:
    """file -> (table line, [(column, unit, type, required)]) from the doc's column lists."""
    text = DOC.read_text(encoding="utf-8").split("## Columns of each table", 1)[1]
    text = text.split("\n## ", 1)[0]
    out = {}
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        name, body = block.split("\n", 1)
        table_line = next(line for line in body.splitlines() if line.strip())
        rows = [
            tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
            for line in body.splitlines()
            if line.startswith("| ") and not line.startswith("| column ")
        ]
        out[name.strip()] = (table_line, rows)
    return out


def declared(table) -> list[tuple[str, str, str, str]]:
    return [
        (
            c.name,
            c.unit or "-",
            c.dtype,
            ("required" if c.required else "optional") + (", blank" if c.blank else ""),
        )
        for c in table.columns
    ]


def test_the_doc_lists_every_table_and_column_of_the_schema_and_nothing_else():
    doc = documented()
    assert list(doc) == [t.file for t in TABLES]  # same tables, same order, both ways
    for t in TABLES:
        table_line, rows = doc[t.file]
        assert rows == declared(t), t.file  # names, order, units, types, required
        kind = "Required" if t.required else "Optional"
        assert table_line == f"{kind} table; key: {', '.join(t.key)}.", t.file


def test_the_overview_says_which_tables_are_required():
    text = DOC.read_text(encoding="utf-8")
    for t in TABLES:
        row = re.search(rf"^\| {re.escape(t.file)}( \([^)]*\))? \| (\w+) \|", text, flags=re.M)
        assert row, t.file
        assert row.group(2) == ("required" if t.required else "optional"), t.file


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "tiny"
    subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", str(TINY), "--out", str(out), "-q"],
        check=True,
        capture_output=True,
    )
    return out


def test_every_table_a_solve_writes_matches_the_schema(solved):
    written = sorted(p.stem for p in solved.glob("*.csv"))
    assert set(written) <= set(SCHEMA)
    assert {t.name for t in TABLES if t.required} <= set(written)
    for name in written:
        table = SCHEMA[name]
        frame = pd.read_csv(solved / f"{name}.csv", keep_default_na=False, na_values={})
        assert [c for c in table.names if c in frame.columns] == list(frame.columns), name
        assert set(table.required_names) <= set(frame.columns), name
        for column in frame.columns:
            spec = table.column(column)
            values = frame[column]
            if not spec.blank:
                assert (values.astype(str) != "").all(), f"{name}.{column} has blank cells"
            filled = values[values.astype(str) != ""]
            if spec.dtype == "number":
                assert pd.to_numeric(filled, errors="coerce").notna().all(), f"{name}.{column}"
            if spec.dtype == "integer":
                numbers = pd.to_numeric(filled, errors="coerce")
                assert (numbers.notna() & (numbers % 1 == 0)).all(), f"{name}.{column}"


def test_binding_rows_are_named_by_key_columns(solved):
    binding = pd.read_csv(solved / "binding.csv", dtype=str, keep_default_na=False)
    assert "index" not in binding.columns
    assert len(binding)
    capacity = binding[binding["family"] == "capacity"]
    assert (capacity[["scenario", "site", "year"]] != "").all().all()
    assert (capacity[["contract", "partner", "region"]] == "").all().all()


def test_a_missing_required_column_names_the_table_and_the_column(solved, tmp_path):
    plan = tmp_path / "plan"
    shutil.copytree(solved, plan)
    contracts = pd.read_csv(plan / "contracts.csv").drop(columns="max_mw")
    contracts.to_csv(plan / "contracts.csv", index=False)
    for read in (read_plan, verify_read_plan):
        with pytest.raises(InputError) as e:
            read(plan)
        problems = [(Path(p.file).name, p.column) for p in e.value.problems]
        assert problems == [("contracts.csv", "max_mw")], read.__module__
