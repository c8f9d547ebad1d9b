"""`--set` what-if overrides of any input: a parameter, or a column of a CSV file.

An override is `TARGET OP VALUE` with OP one of `=` (set), `*=` (scale) or `+=` (add):

    discount_rate=0.05                    a parameter of parameters.csv (by name)
    carbon_price_usd_per_t*=2             parameters may be scaled or added to as well
    sites.capex_usd_per_wspm*=1.2         FILE.COLUMN: every row of sites.csv
    sites.max_wspm[US_AZ]=150000          FILE.COLUMN[ID]: the rows whose id is US_AZ
    demand.gpus[base]*=0.8                multi-key files: ids are matched to the key columns
    demand.gpus[base,2030]+=100000          in order (demand: scenario, year, product, market),
    demand.gpus[*,2030]*=1.1                a prefix is enough and `*` matches anything
    sites.capex_usd_per_wspm[region=US]*=1.1   or name any column of the file: [column=value]

FILE is the file name without `.csv`. Ids inside [...] are separated by commas: positional ids
first (matched to the file's key columns in order), then `column=value` pairs; every part must
match (AND). The key columns are: sites site; products product; demand scenario, year, product,
market; scenarios scenario; shipping region, market; energy contract; partners partner;
partner_regions partner, region; regions region, process; recipes product, process; yields process,
year; processes process; tools tool, year; tool_use process, tool; subsidies program, region.

Overrides are applied to the raw text of the tables, in the order given, before any type
conversion or check, so an overridden value is validated exactly like a typed one and a problem
it causes names the `--set` item. `*=` and `+=` need a numeric column and a number; an empty cell
counts as the column's default (an empty "no limit" cell stays unlimited). An unknown file,
column or id is an error naming the item. Overrides are kept as a dict TARGET+OP -> VALUE
(e.g. {"sites.capex_usd_per_wspm*": "1.2"}; for parameters {"discount_rate": "0.05"}), so
`f"{key}={value}"` gives the expression back; a later item with the same key replaces the
earlier one (`x*=1.1` then `x*=1.2` scales by 1.2, not 1.32).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from optimizer.errors import Problem, UsageError
from optimizer.inputs.convert import did_you_mean
from optimizer.inputs.csvio import BAD, LINE, RawTable, printable
from optimizer.inputs.schema import FILES, PARAMETERS, Col, FileSpec

SET = "--set"
_COLUMN_TARGET = re.compile(r"^(?P<stem>\w+)\s*\.\s*(?P<column>\w+)\s*(?:\[(?P<ids>[^\[\]]*)\])?$")
_PARAM_TARGET = re.compile(r"^\w+$")
_SYNTAX = (
    "--set expects name=value: a parameter (discount_rate=0.05) or FILE.COLUMN[ID]=value "
    "(sites.max_wspm[US_AZ]=150000), with *= to scale or += to add (sites.capex_usd_per_wspm*=1.2)"
)
_STEMS = {name.removesuffix(".csv"): name for name in FILES if name != PARAMETERS.name}
_LISTED = 8


@dataclass(frozen=True)
class Override:
    """One parsed `--set` item."""

    target: str  # left of the operator, e.g. "sites.max_wspm[US_AZ]" or "discount_rate"
    op: str  # "=", "*=" or "+="
    value: str  # right of the operator, as given (stripped)
    file: str | None = None  # "sites.csv"; None for a parameter
    column: str = ""  # column of the file, or parameter name
    ids: tuple[tuple[str | None, str], ...] = ()  # (column, or None for the next key column; id)

    @property
    def expression(self) -> str:
        return f"{self.target}{self.op}{self.value}"

    @property
    def key(self) -> str:
        """The dict key of the override (TARGET plus the operator's first character)."""
        return f"{self.target}{self.op[:-1]}"

    def problem(self, expected: str) -> Problem:
        """A problem of this item (the item and the message quote what the user typed: escaped,
        so no control character reaches the terminal)."""
        return Problem(SET, None, None, printable(self.expression), printable(expected))


def parse_overrides(items: list[str]) -> dict[str, str]:
    """`["discount_rate=0.05", "demand.gpus*=0.8"]` -> {"discount_rate": "0.05",
    "demand.gpus*": "0.8"}; a later item with the same target and operator wins (and moves last).

    Only the shape `TARGET OP VALUE` is checked here; names and ids are checked on loading.
    """
    overrides: dict[str, str] = {}
    for item in items:
        split = split_expression(item)
        if split is None:
            raise UsageError(f"{_SYNTAX}; got '{printable(item)}'")
        target, op, value = split
        key = f"{target}{op[:-1]}"
        overrides.pop(key, None)
        overrides[key] = value
    return overrides


def split_expression(item: str) -> tuple[str, str, str] | None:
    """(target, op, value) split at the first `=` outside [...]; None when there is none."""
    depth = 0
    for i, ch in enumerate(item):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth = max(depth - 1, 0)
        elif ch == "=" and depth == 0:
            left, value = item[:i].strip(), item[i + 1 :].strip()
            op = "="
            if left[-1:] in ("*", "+"):
                op, left = left[-1] + "=", left[:-1].rstrip()
            return (left, op, value) if left else None
    return None


def from_mapping(overrides: dict[str, str]) -> tuple[list[Override], list[Problem]]:
    """Parse the overrides of `load_case` (dict TARGET+OP -> VALUE) in order."""
    parsed: list[Override] = []
    problems: list[Problem] = []
    for key, value in overrides.items():
        key, value = str(key).strip(), str(value).strip()
        target, op = key, "="
        if key[-1:] in ("*", "+"):
            target, op = key[:-1].rstrip(), key[-1] + "="
        ov = Override(target, op, value)
        if _PARAM_TARGET.match(target):
            parsed.append(replace(ov, column=target))
            continue
        m = _COLUMN_TARGET.match(target)
        if m is None:
            problems.append(ov.problem(f"expected {_SYNTAX.removeprefix('--set expects ')}"))
            continue
        ids, problem = _parse_ids(m["ids"])
        if problem:
            problems.append(ov.problem(problem))
            continue
        parsed.append(replace(ov, file=f"{m['stem']}.csv", column=m["column"], ids=ids))
    return parsed, problems


def _parse_ids(text: str | None) -> tuple[tuple[tuple[str | None, str], ...], str | None]:
    if text is None:
        return (), None
    parts = [p.strip() for p in text.split(",")]
    ids: list[tuple[str | None, str]] = []
    for part in parts:
        name, sep, value = part.partition("=")
        if sep:
            ids.append((name.strip(), value.strip()))
        elif ids and ids[-1][0] is not None:
            return (), "expected ids by position before column=value pairs in [...]"
        else:
            ids.append((None, part))
    if any(value == "" or name == "" for name, value in ids):
        return (), "expected no empty id in [...] (use * to match any value)"
    return tuple(ids), None


# --- applying column overrides to the raw text tables -------------------------------------------


@dataclass
class Applied:
    """What the column overrides changed: (file, line, column) -> the expressions that did it."""

    cells: dict[tuple[str, int, str], list[str]]

    def annotate(self, problems: Iterable[Problem]) -> list[Problem]:
        """Say which `--set` item produced a reported value (or changed its row)."""
        by_row: dict[tuple[str, int], list[str]] = {}
        for (file, line, _), expressions in self.cells.items():
            by_row.setdefault((file, line), []).extend(expressions)
        out = []
        for p in problems:
            if p.line is None or (p.file, p.line) not in by_row:
                out.append(p)
                continue
            columns = [c.strip() for c in (p.column or "").split(",")]
            own = [e for c in columns for e in self.cells.get((p.file, p.line, c), [])]
            if own:
                note = f" (value from --set {', '.join(dict.fromkeys(own))})"
            else:
                note = f" (row changed by --set {', '.join(dict.fromkeys(by_row[p.file, p.line]))})"
            note = printable(note)
            out.append(replace(p, expected=p.expected + note))
        return out


def unknown_file_problems(overrides: list[Override], present: set[str]) -> list[Problem]:
    """Items that name no file of the contract, parameters.csv, or an absent optional file."""
    problems = []
    for ov in overrides:
        if ov.file is None or (ov.file in present and ov.file != PARAMETERS.name):
            continue
        stem = ov.file.removesuffix(".csv")
        if ov.file == PARAMETERS.name:
            problems.append(ov.problem("expected a parameter by name, e.g. discount_rate=0.05"))
        elif ov.file in FILES:
            problems.append(
                ov.problem(
                    f"expected a file of the data folder: {ov.file} is absent (add it to "
                    "override its columns)"
                )
            )
        else:
            problems.append(
                ov.problem(
                    f"expected FILE.COLUMN with FILE one of {', '.join(_STEMS)}"
                    f"{did_you_mean(stem, _STEMS)}"
                )
            )
    return problems


def apply_to_table(raw: RawTable, spec: FileSpec, overrides: list[Override], applied: Applied):
    """Apply the overrides of one file to its raw text, in order; return their problems."""
    problems: list[Problem] = []
    frame = raw.frame.copy()
    for ov in overrides:
        found = _check_column(ov, spec)
        if found:
            problems.append(ov.problem(found))
            continue
        col = spec.col(ov.column)
        rows, found = _select(frame, spec, ov)
        if found:
            problems.append(ov.problem(found))
            continue
        if ov.column not in frame.columns:  # an optional column: empty cells mean the default
            frame[ov.column] = pd.Series("", index=frame.index, dtype="str")
        rows &= ~frame[BAD]
        if ov.op == "=":
            frame.loc[rows, ov.column] = ov.value
            changed = rows
        else:
            texts, changed, overflow = _combined(frame.loc[rows, ov.column], ov, col)
            if overflow.any():  # the file's values stay: the item is the mistake
                problems.append(ov.problem(_overflow_expected(ov, col)))
                continue
            frame.loc[changed[changed].index, ov.column] = texts[changed]
            changed = changed.reindex(frame.index, fill_value=False)
        for line in frame.loc[changed, LINE]:
            applied.cells.setdefault((spec.name, int(line), ov.column), []).append(ov.expression)
    raw.frame = frame
    return problems


def _check_column(ov: Override, spec: FileSpec) -> str | None:
    if ov.column not in spec.column_names:
        hint = did_you_mean(ov.column, spec.column_names)
        starting = [c for c in spec.column_names if c.startswith(ov.column)]
        if not hint and len(starting) == 1:  # `capex` for capex_usd_per_wspm: units are named
            hint = f"; did you mean '{starting[0]}'?"
        return f"expected a column of {spec.name}{hint} ({', '.join(spec.column_names)})"
    col = spec.col(ov.column)
    if ov.op != "=":
        if not col.numeric:
            return f"expected a numeric column for {ov.op}: {spec.name} {ov.column} holds text"
        if _number(ov.value) is None:
            return f"expected a number after {ov.op}, e.g. {ov.target}{ov.op}1.1"
    return None


def _select(frame: pd.DataFrame, spec: FileSpec, ov: Override) -> tuple[pd.Series, str | None]:
    """Rows matched by the ids of the override (all rows without ids)."""
    rows = pd.Series(True, index=frame.index)
    if sum(name is None for name, _ in ov.ids) > len(spec.key):
        return rows, (
            f"expected at most {len(spec.key)} id(s) in [...]: rows of {spec.name} are "
            f"identified by {', '.join(spec.key)}"
        )
    for position, (name, value) in enumerate(ov.ids):
        column = name or spec.key[position]
        if column not in spec.column_names:
            return rows, (
                f"expected column=value in [...] with a column of {spec.name}"
                f"{did_you_mean(column, spec.column_names)}"
            )
        if value == "*":
            continue
        col = spec.col(column)
        if column in frame.columns:
            cells = frame[column].fillna("").str.strip()
        else:
            cells = pd.Series(str(col.default or ""), index=frame.index)
        hit = _equal(cells, value, col)
        if not hit.any():
            known = sorted(set(cells[cells != ""]))
            shown = ", ".join(known[:_LISTED]) + (", ..." if len(known) > _LISTED else "")
            return rows, (
                f"expected a {column} of {spec.name}{did_you_mean(value, known)} "
                f"(known: {shown or 'none'}); no row has {column} '{value}'"
            )
        rows &= hit
    if not rows.any():
        named = " and ".join(
            f"{name or spec.key[i]} '{value}'" for i, (name, value) in enumerate(ov.ids)
        )
        return rows, f"expected ids of one or more rows; no row of {spec.name} has {named}"
    return rows, None


def _equal(cells: pd.Series, value: str, col: Col) -> pd.Series:
    """Cells equal to an id; numerically for numeric columns (2030 matches 2030.0)."""
    number = _number(value)
    if col.numeric and number is not None:
        return pd.to_numeric(cells, errors="coerce") == number
    return cells == value


def _combined(cells: pd.Series, ov: Override, col: Col) -> tuple[pd.Series, pd.Series, pd.Series]:
    """New texts of scaled/added cells, which cells changed (unreadable ones are left to be
    reported as the file's own problem; empty cells count as the default, "no limit" stays),
    and which finite cells the operation overflowed to infinity (1e300 x 1e10)."""
    cells = cells.fillna("").str.strip()
    numbers = pd.to_numeric(cells.where(cells != ""), errors="coerce")
    empty = cells == ""
    default = None if col.default is None else float(col.default)
    if default is not None and math.isfinite(default):
        numbers = numbers.where(~empty, default)
    amount = float(ov.value)
    with np.errstate(over="ignore", invalid="ignore"):
        result = numbers * amount if ov.op == "*=" else numbers + amount
    changed = result.notna()  # not: unreadable, required-but-empty, or empty "no limit"
    overflow = pd.Series(np.isinf(result.to_numpy()) & np.isfinite(numbers.to_numpy()), cells.index)
    return result.map(number_text, na_action="ignore"), changed, overflow


def _overflow_expected(ov: Override, col: Col) -> str:
    bound = col.limit_expected if col.limit is not None else col.expected
    return f"expected {ov.op} to give {bound}; it makes a value too large for a number"


def combine(base: str | None, op: str, value: str, col: Col) -> tuple[str | None, str | None]:
    """Scale or add to one parameter's text: (new text, None) or (None, what was expected)."""
    if not col.numeric:
        return None, f"expected a numeric parameter for {op}: {col.name} is {col.expected}"
    amount = _number(value)
    if amount is None:
        return None, f"expected a number after {op}, e.g. {col.name}{op}1.1"
    text = (base or "").strip()
    if text == "" and col.default is not None:
        text = str(col.default)
    number = _number(text)
    if number is None:
        return None, f"expected parameters.csv to give {col.name} a number to change with {op}"
    result = number * amount if op == "*=" else number + amount
    if not math.isfinite(result):
        bound = col.limit_expected if col.limit is not None else col.expected
        return None, f"expected {op} to give {bound}; it makes a value too large for a number"
    return number_text(result), None


def number_text(x: float) -> str:
    """A computed value as text: 15 significant digits (0.08 x 1.1 -> 0.088, not ...0001)."""
    return format(float(x), ".15g")


def _number(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None
