"""The cases of a sweep: the cartesian product of `--vary` lists, or the rows of a cases.csv.

Every case is a set of `--set` overrides (optimizer/inputs/overrides.py). Its id, the name of
its plan folder under OUT/cases/, is a readable slug plus a hash of the overrides and the solve
options, so the same case always lands in the same folder (that is what makes resuming safe) and
two different cases never share one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.errors import InputError, Problem, UsageError
from optimizer.inputs.overrides import parse_overrides, split_expression

_SLUG_MAX = 60
_VARY_SYNTAX = (
    "--vary expects an override with a comma-separated list of values, e.g. "
    "--vary sites.capex_usd_per_wspm*=0.8,1.0,1.2 or --vary discount_rate=0.03,0.05"
)


@dataclass(frozen=True)
class SweepCase:
    """One case: a name for the table, its plan folder id and its overrides (in order)."""

    name: str
    case_id: str
    overrides: dict[str, str] = field(default_factory=dict)

    @property
    def expressions(self) -> list[str]:
        return [f"{key}={value}" for key, value in self.overrides.items()]


@dataclass(frozen=True)
class Design:
    """All cases of a sweep, the varied inputs (override keys) and each one's base value.

    base: the value of each varied input in the base case (None: not overridden there); the
    sensitivity of an input is read off the cases where every other input is at its base. The
    base case is the unmodified data when the listed values allow it: `*=1` and `+=0` leave an
    input unmodified, and a cases.csv row without overrides is the data as it is. When they do
    not (`*=0.8,1.2`, or `=` whose unmodified value the sweep does not know), no extra case is
    solved: the input's first listed value stands in and `modified` names it, so the report can
    say which case the base is.
    """

    cases: list[SweepCase]
    varied: list[str]
    base: dict[str, str | None]
    base_case: str = ""  # the name of the base case
    modified: list[str] = field(default_factory=list)  # inputs whose base is not unmodified


def vary_design(vary: list[str], options: dict) -> Design:
    """`["sites.capex_usd_per_wspm*=0.8,1.2", "demand.gpus*=0.9,1.1"]` -> 4 cases."""
    if not vary:
        raise UsageError(f"{_VARY_SYNTAX}; or give --cases FILE")
    keys: list[str] = []
    values: list[list[str]] = []
    for item in vary:
        split = split_expression(item)
        if split is None:
            raise UsageError(f"{_VARY_SYNTAX}; got '{item}'")
        target, op, text = split
        listed = [v.strip() for v in text.split(",")]
        if not listed or any(v == "" for v in listed):
            raise UsageError(f"{_VARY_SYNTAX}; got an empty value in '{item}'")
        if len(set(listed)) != len(listed):
            raise UsageError(f"--vary {item}: a value is listed twice")
        key = next(iter(parse_overrides([f"{target}{op}{listed[0]}"])))
        if key in keys:
            raise UsageError(f"--vary {item}: {target}{op} is varied twice")
        keys.append(key)
        values.append(listed)
    cases = []
    for combo in itertools.product(*values):
        overrides = dict(zip(keys, combo, strict=True))
        case_id = make_case_id(None, overrides, options)
        cases.append(SweepCase(case_id, case_id, overrides))
    base = {k: unmodified_value(k, v) for k, v in zip(keys, values, strict=True)}
    modified = [k for k in keys if base[k] is None]
    base = {k: v[0] if base[k] is None else base[k] for k, v in zip(keys, values, strict=True)}
    [base_case] = [c.name for c in cases if c.overrides == base]
    return Design(cases, keys, base, base_case, modified)


def unmodified_value(key: str, listed: list[str]) -> str | None:
    """The listed value that leaves the input as the data has it (`*=` 1, `+=` 0), or None
    (not listed, or a `=` override, whose unmodified value depends on the data)."""
    identity = {"*": 1.0, "+": 0.0}.get(key[-1:])
    if identity is None:
        return None
    for value in listed:
        try:
            if float(value) == identity:
                return value
        except ValueError:
            continue
    return None


def csv_design(path: Path, options: dict) -> Design:
    """Cases listed in a CSV: columns `case` (a name) and `overrides` (expressions separated
    by `;`). Every problem of the file is reported at once, with its line."""
    name = Path(path).name
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        problem = Problem(str(path), None, None, None, f"cannot read the file: {e.strerror}")
        raise InputError([problem]) from None
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    cases: list[SweepCase] = []
    seen: dict[str, int] = {}
    previous_end = 0
    for record in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if not record or all(c.strip() == "" for c in record) or record[0].lstrip()[:1] == "#":
            continue
        if header is None:
            header = [c.strip() for c in record]
            missing = [c for c in ("case", "overrides") if c not in header]
            for column in missing:
                problems.append(
                    Problem(name, line, column, None, "required column is missing from the header")
                )
            if missing:
                break
            continue
        row = dict(zip(header, [c.strip() for c in record], strict=False))
        case_name, listed = row.get("case", ""), row.get("overrides", "")
        if not case_name:
            problems.append(Problem(name, line, "case", None, "empty cell; expected a case name"))
            continue
        if case_name in seen:
            problems.append(
                Problem(
                    name,
                    line,
                    "case",
                    case_name,
                    f"expected one row per case; the same is already given on line "
                    f"{seen[case_name]}",
                )
            )
            continue
        seen[case_name] = line
        try:
            overrides = parse_overrides(split_list(listed))
        except UsageError as e:
            problems.append(Problem(name, line, "overrides", listed, str(e)))
            continue
        case_id = make_case_id(case_name, overrides, options)
        cases.append(SweepCase(case_name, case_id, overrides))
    if header is None:
        problems.append(Problem(name, None, None, None, "expected a header row: case,overrides"))
    elif not cases and not problems:
        problems.append(Problem(name, None, None, None, "expected at least one case"))
    if problems:
        raise InputError(problems)
    varied = list(dict.fromkeys(k for c in cases for k in c.overrides))
    # the base: the row without overrides (the data as it is) when there is one, else the first
    first = next((c for c in cases if not c.overrides), cases[0])
    modified = [k for k in varied if k in first.overrides]
    return Design(cases, varied, {k: first.overrides.get(k) for k in varied}, first.name, modified)


def split_list(text: str) -> list[str]:
    """`a*=1.2; ramp_up=0.3;0.7` -> ["a*=1.2", "ramp_up=0.3;0.7"]: a `;`-piece without an `=`
    continues the previous expression (ramp_up's own list)."""
    items: list[str] = []
    for piece in text.split(";"):
        if not piece.strip():
            continue
        if items and split_expression(piece) is None:
            items[-1] = f"{items[-1]};{piece.strip()}"
        else:
            items.append(piece.strip())
    return items


def make_case_id(name: str | None, overrides: dict[str, str], options: dict) -> str:
    """`capex_usd_per_wspm_x0.8__gpus_x1.2-1a2b3c4d`: a slug plus a hash of what is solved."""
    expressions = [f"{k}={v}" for k, v in overrides.items()]
    payload = json.dumps(
        {"overrides": expressions, "options": {k: v for k, v in options.items() if v}},
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(payload.encode()).hexdigest()[:8]
    slug = _slug(name) if name else "__".join(_short(e) for e in expressions) or "base"
    slug = _slug(slug)[:_SLUG_MAX].strip("-_.") or "case"
    return f"{slug}-{digest}"


def _short(expression: str) -> str:
    """`sites.capex_usd_per_wspm[US_AZ]*=0.8` -> `capex_usd_per_wspm_US_AZ_x0.8`."""
    target, op, value = split_expression(expression) or (expression, "=", "")
    column = target.split(".", 1)[-1]
    sign = {"=": "_", "*=": "_x", "+=": "_+"}[op]
    return f"{column}{sign}{value}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("_")
