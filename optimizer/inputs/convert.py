"""Turn an all-text table into typed columns and check each file on its own.

Parsing text into numbers is done here by hand, because the message for `1,000` or `5%` must
say what to write instead. Ranges, whole numbers and unique ids are then checked by a pandera
schema derived from the column specs (lazy validation, so every failure is collected), and its
failure cases become Problems. A cell that could not be parsed becomes NaN and is not reported
again by any later check (one message per mistake).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from optimizer.errors import Problem
from optimizer.inputs.csvio import BAD, CONTROL, LINE, RawTable, printable
from optimizer.inputs.schema import Col, FileSpec

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([,'\u2019 ]\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")
_PERCENT = re.compile(r"^[+-]?[\d.]+\s*%$")
_CURRENCY = re.compile(r"^[$€£¥]|\b(USD|EUR|US\$)\b", re.IGNORECASE)
_TEXT_CONTROL = re.compile(f"(?![\\r\\n]){CONTROL.pattern}")  # free text may break lines
_INFINITY_WORDS = ("inf", "infinity")


def convert_table(raw: RawTable, spec: FileSpec) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed table with every contract column (defaults filled) plus LINE and BAD."""
    text = raw.frame
    problems = [
        Problem(
            spec.name,
            raw.header_line,
            col.name,
            None,
            f"required column is missing from the header{did_you_mean(col.name, text.columns)} "
            f"(expected {col.expected}: {col.description})",
        )
        for col in spec.columns
        if col.required and col.name not in text.columns
    ]
    good = ~text[BAD]
    typed = pd.DataFrame(index=text.index)
    for col in spec.columns:
        if col.name in text.columns:
            values, found = convert_cells(text[col.name], col, good)
            if found:  # one vectorised lookup of the lines, not one .loc per bad cell
                lines = text[LINE].loc[[i for i, _ in found]].tolist()
                problems += [
                    _located(p, spec.name, line, col.name)
                    for (_, p), line in zip(found, lines, strict=True)
                ]
        elif col.required:  # already reported: unknown values, checked by nothing else
            values = _unknown(col, text.index)
        else:
            values = _filled(col, text.index)
        typed[col.name] = values
    typed[LINE] = text[LINE]
    typed[BAD] = text[BAD]
    found, failed = pandera_problems(typed[good], spec, text)
    by_column: dict[str, list] = {}
    for i, column in failed:  # reported: later checks must not see the bad value again
        by_column.setdefault(column, []).append(i)
    for column, labels in by_column.items():  # one assignment per column, not per cell
        typed.loc[labels, column] = np.nan
    return typed, problems + found


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A hint for a misspelt name: "; did you mean 'max_wspm'?" or nothing."""
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=1, cutoff=0.75)
    return f"; did you mean '{printable(close[0])}'?" if close else ""


def convert_cells(
    text: pd.Series, col: Col, good: pd.Series
) -> tuple[pd.Series, list[tuple[object, Problem]]]:
    """Parse one column; return the values and (row label, problem) for each bad cell.

    Problems here carry no location (file/line/column are filled in by the caller).
    """
    cells = text.fillna("").str.strip()
    empty = cells == ""
    problems: list[tuple[object, Problem]] = []
    if col.default is None:
        for i in cells.index[empty & good]:
            problems.append((i, _problem(None, f"empty cell; expected {col.expected}")))
    if col.kind in ("id", "text"):
        # Ids of bad rows are kept: other files may refer to them (no false "unknown" message).
        values = cells.where(~empty, col.default if col.default is not None else pd.NA)
        return _checked_names(values.astype("str"), cells, col, good, problems)
    if col.kind == "ramp":
        return _ramp_cells(cells, col, good, problems)
    numbers = pd.to_numeric(cells.where(~empty), errors="coerce")
    unparsed = ~empty & numbers.isna() & good
    for i in cells.index[unparsed]:
        problems.append((i, _problem(printable(cells[i]), _hint(cells[i], col))))
    if col.limit is not None:
        # A finite number too large for a float (1e400) parses as infinity: over the limit, even
        # where an explicit `inf` means "no limit".
        infinite = np.isinf(numbers.to_numpy())
        if infinite.any():
            words = cells.str.lower().str.lstrip("+-").isin(_INFINITY_WORDS)
            overflow = pd.Series(infinite, index=cells.index) & ~words & good
            for i in cells.index[overflow]:
                problems.append((i, _problem(cells[i], f"expected {col.limit_expected}")))
            numbers = numbers.where(~overflow)
    if col.default is not None:
        numbers = numbers.where(~empty, float(col.default))
    return numbers.where(good).astype("float64"), problems


def _checked_names(
    values: pd.Series,
    cells: pd.Series,
    col: Col,
    good: pd.Series,
    problems: list[tuple[object, Problem]],
) -> tuple[pd.Series, list[tuple[object, Problem]]]:
    """Report ids and text holding control characters (which break terminals and the Excel
    writer), and ids holding commas (the contract forbids them: they separate ids in --set).

    Each distinct value is searched once (ids repeat on every row of demand.csv). A value with
    control characters is kept in its escaped form (US\\x1bAZ), so no later message can print
    the raw character, while references to the same bad id in other files still match it.
    """
    forbidden = CONTROL if col.kind == "id" else _TEXT_CONTROL
    uniques = pd.unique(cells.to_numpy())
    control = [u for u in uniques if forbidden.search(u)]
    comma = [u for u in uniques if "," in u] if col.kind == "id" else []
    if not control and not comma:
        return values, problems
    has_control = cells.isin(control)
    for i in cells.index[has_control & good]:
        found = "".join(dict.fromkeys(forbidden.findall(cells[i])))
        problems.append(
            (
                i,
                _problem(
                    printable(cells[i]),
                    f"expected {col.expected} without control characters such as tabs, line "
                    f"breaks or escape codes (found {printable(found)})"
                    if col.kind == "id"
                    else f"expected {col.expected} without control characters (found "
                    f"{printable(found)}; only line breaks are allowed in free text)",
                ),
            )
        )
    for i in cells.index[cells.isin(comma) & ~has_control & good]:
        problems.append(
            (
                i,
                _problem(
                    cells[i],
                    f"expected {col.expected} without commas (data/README.md: ids are free text "
                    "without commas, because commas separate the ids of --set FILE.COLUMN[...])",
                ),
            )
        )
    values = values.copy()
    values[has_control] = cells[has_control].map(printable)
    return values, problems


def _ramp_cells(
    cells: pd.Series, col: Col, good: pd.Series, problems: list[tuple[object, Problem]]
) -> tuple[pd.Series, list[tuple[object, Problem]]]:
    """`0.3;0.7` -> (0.3, 0.7): fractions of nameplate in the first years online."""
    values = pd.Series([None] * len(cells), index=cells.index, dtype="object")
    for i in cells.index[good]:
        text = cells[i] or str(col.default)
        parts = [p.strip() for p in text.split(";")]
        numbers = pd.to_numeric(pd.Series(parts, dtype="str"), errors="coerce")
        if numbers.isna().any() or not numbers.between(0, 1).all():
            hint = " (separate the years with ';', not ',')" if "," in text else ""
            problems.append((i, _problem(printable(cells[i]), f"expected {col.expected}{hint}")))
            continue
        ramp = tuple(float(x) for x in numbers)
        while ramp and ramp[-1] == 1.0:  # full capacity is the default after the ramp
            ramp = ramp[:-1]
        values[i] = ramp
    return values, problems


def _hint(cell: str, col: Col) -> str:
    expected = f"expected {col.expected}"
    if _THOUSANDS.match(cell):
        return f"{expected}, without thousands separators (write {re.sub(r'[^0-9.+-]', '', cell)})"
    if _DECIMAL_COMMA.match(cell):
        return f"{expected}, with a decimal point (write {cell.replace(',', '.')})"
    if _PERCENT.match(cell):
        return f"{expected}, as a plain number (write 0.05 for 5%)"
    if _CURRENCY.search(cell):
        return f"{expected}, without a currency sign (the unit is in the column name)"
    return expected


def _problem(value: object, expected: str) -> Problem:
    return Problem("", None, None, value, expected)


def _located(p: Problem, file: str, line: object, column: str | None) -> Problem:
    return Problem(file, int(line), column, p.value, p.expected, p.severity)


def _unknown(col: Col, index: pd.Index) -> pd.Series:
    if col.numeric:
        return pd.Series(np.nan, index=index, dtype="float64")
    return pd.Series(pd.NA, index=index, dtype="str")


def _filled(col: Col, index: pd.Index) -> pd.Series:
    if col.kind == "ramp":
        return pd.Series([None] * len(index), index=index, dtype="object")
    if col.numeric:
        return pd.Series(float(col.default), index=index, dtype="float64")
    return pd.Series(str(col.default), index=index, dtype="str")


# --- per-file checks with pandera -------------------------------------------------------------


@functools.cache
def pandera_schema(spec: FileSpec) -> pa.DataFrameSchema:
    """Ranges, whole numbers, finiteness and unique keys of one file, from its column specs."""
    single_key = spec.key[0] if len(spec.key) == 1 else None
    columns = {}
    for col in spec.columns:
        if col.kind == "ramp":
            continue
        columns[col.name] = pa.Column(
            "float64" if col.numeric else "str",
            checks=_checks(col),
            nullable=True,  # NaN = already reported or absent; never reported twice
            unique=col.name == single_key,
            report_duplicates="exclude_first",
            required=False,
        )
    return pa.DataFrameSchema(
        columns,
        name=spec.name,
        unique=list(spec.key) if len(spec.key) > 1 else None,
        report_duplicates="exclude_first",
        strict=False,
    )


def _checks(col: Col) -> list[pa.Check]:
    if not col.numeric:
        return []
    err = col.expected
    checks = []
    if not col.allow_inf:
        checks.append(pa.Check(lambda s: ~np.isinf(s), error=err, name="finite"))
    if col.limit is not None:  # infinity is the finite check's (or allowed: no limit)
        limit = col.limit
        checks.append(
            pa.Check(
                lambda s: ~np.isfinite(s) | (s <= limit), error=col.limit_expected, name="magnitude"
            )
        )
    if col.lo is not None:
        checks.append(
            pa.Check.gt(col.lo, error=err) if col.lo_open else pa.Check.ge(col.lo, error=err)
        )
    if col.hi is not None:
        checks.append(
            pa.Check.lt(col.hi, error=err) if col.hi_open else pa.Check.le(col.hi, error=err)
        )
    if col.kind in ("integer", "year"):
        checks.append(pa.Check(_whole, error=err, name="whole_number"))
    return checks


def _whole(s: pd.Series) -> pd.Series:
    return np.isinf(s) | (s == np.floor(s))


def pandera_problems(
    typed: pd.DataFrame,
    spec: FileSpec,
    text: pd.DataFrame,
    schema: pa.DataFrameSchema | None = None,
    line_of: Callable[[object], int] | None = None,
) -> tuple[list[Problem], list[tuple[object, str]]]:
    """Validate lazily; turn every failure case into a Problem at the row's editor line.

    Also returns the (row label, column) of each cell that failed a range check.
    """
    schema = schema or pandera_schema(spec)
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as e:
        cases = e.failure_cases
    else:
        return [], []
    lines_of = _lines_of(typed, line_of)
    problems: list[Problem] = []
    failed: list[tuple[object, str]] = []
    unique = cases["check"].isin(["field_uniqueness", "multiple_fields_uniqueness"])
    # a frame-level failure (no row, or no column of the contract) has nothing to point at
    cells = cases[~unique & cases["index"].notna() & cases["column"].isin(spec.column_names)]
    # Each column's failures at once: per-cell .loc lookups made a file with many bad cells
    # quadratic in practice (issue 9 item 20).
    for column, group in cells.groupby("column", sort=False):
        col = spec.col(column)
        labels = group["index"].tolist()
        if column in text.columns:
            shown = text[column].loc[labels].str.strip().tolist()
        else:
            shown = group["failure_case"].tolist()
        over = (group["check"] == col.limit_expected).tolist() if col.limit is not None else None
        for k, (i, line, value) in enumerate(zip(labels, lines_of(labels), shown, strict=True)):
            expected = col.limit_expected if over and over[k] else col.expected
            problems.append(
                Problem(spec.name, line, column, printable(value), f"expected {expected}")
            )
            failed.append((i, column))
    problems += _duplicate_problems(typed, spec, sorted(set(cases[unique]["index"])), lines_of)
    return problems, failed


def _lines_of(
    typed: pd.DataFrame, line_of: Callable[[object], int] | None
) -> Callable[[list], list[int]]:
    """Editor lines of row labels: one vectorised lookup in LINE unless `line_of` is given."""
    if line_of is not None:
        return lambda labels: [line_of(i) for i in labels]
    return lambda labels: [int(n) for n in typed[LINE].loc[labels].tolist()]


def _duplicate_problems(
    typed: pd.DataFrame, spec: FileSpec, rows: list, lines_of: Callable[[list], list[int]]
) -> list[Problem]:
    """One problem per repeated key, naming the line of its first row (a merge, not a lookup
    per row: a file of repeated rows must not take minutes)."""
    if not rows:
        return []
    key = list(spec.key)
    keyed = typed.dropna(subset=key)  # an unreadable key cell was reported already
    repeated = keyed[keyed.index.isin(rows)]
    first = keyed.drop_duplicates(subset=key)[[*key, LINE]].rename(columns={LINE: "_first"})
    firsts = repeated[key].merge(first, on=key, how="left")["_first"].tolist()
    shown = [", ".join(_show(v) for v in values) for values in repeated[key].itertuples(False)]
    what = key[0] if len(key) == 1 else ", ".join(key[:-1]) + " and " + key[-1]
    return [
        Problem(
            spec.name,
            line,
            ", ".join(key),
            value,
            f"expected one row per {what}; the same is already given on line {first_line}",
        )
        for line, value, first_line in zip(
            lines_of(repeated.index.tolist()), shown, firsts, strict=True
        )
    ]


def _show(v: object) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
