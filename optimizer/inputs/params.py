"""parameters.csv and `--set` overrides: one value per parameter name, with where it came from.

An override replaces (or scales, or adds to) the file's value before anything is checked, so it
is validated exactly like a value typed into the file, and a bad override is reported as `--set`,
not as the file. The `--set` grammar is in overrides.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pandas as pd

from optimizer.errors import Problem
from optimizer.inputs.convert import convert_cells, did_you_mean, pandera_problems
from optimizer.inputs.csvio import BAD, LINE, printable
from optimizer.inputs.overrides import SET, Override, combine, parse_overrides
from optimizer.inputs.schema import PARAM_BY_NAME, PARAMETERS, PARAMS, Col, FileSpec

__all__ = ["SET", "Origin", "ParamValues", "load_params", "parse_overrides"]

_PARAM_SPEC = FileSpec(PARAMETERS.name, True, "parameters as one row", PARAMS)


@dataclass(frozen=True)
class Origin:
    """Where a parameter value was given: a line of parameters.csv or a --set option."""

    file: str
    line: int | None
    expression: str | None = None  # the --set item when it scaled or added (not when it set)

    def problem(self, name: str, value: object, expected: str, severity: str = "error") -> Problem:
        if self.file == SET and self.expression:
            given = printable(f"{expected} (it gives {name}={value})")
            return Problem(SET, None, None, printable(self.expression), given, severity)
        if self.file == SET:
            return Problem(SET, None, None, printable(f"{name}={value}"), expected, severity)
        return Problem(self.file, self.line, "value", value, expected, severity)


@dataclass
class ParamValues:
    """Parsed parameter values (None where missing or invalid: already reported)."""

    values: dict[str, object]
    origins: dict[str, Origin]
    problems: list[Problem]
    warnings: list[Problem]


def load_params(table: pd.DataFrame | None, overrides: list[Override]) -> ParamValues:
    """Collect the text of each parameter, apply overrides (in order), then parse and check."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    texts: dict[str, str | None] = {}
    origins: dict[str, Origin] = {}
    if table is not None:
        rows = table[~table[BAD]].dropna(subset=["name"]).drop_duplicates("name")
        for name, value, line in zip(rows["name"], rows["value"], rows[LINE], strict=True):
            if name not in PARAM_BY_NAME:
                warnings.append(
                    Problem(
                        PARAMETERS.name,
                        int(line),
                        "name",
                        name,
                        f"unknown parameter, ignored{did_you_mean(name, PARAM_BY_NAME)} "
                        f"(known: {', '.join(PARAM_BY_NAME)})",
                        "warning",
                    )
                )
                continue
            texts[name] = None if pd.isna(value) else str(value)  # None: column missing
            origins[name] = Origin(PARAMETERS.name, int(line))
    for ov in overrides:
        name = ov.column
        if name not in PARAM_BY_NAME:
            problems.append(
                ov.problem(
                    f"expected a parameter of parameters.csv{did_you_mean(name, PARAM_BY_NAME)} "
                    f"({', '.join(PARAM_BY_NAME)})",
                )
            )
            continue
        if ov.op == "=":
            texts[name], origins[name] = ov.value, Origin(SET, None)
            continue
        text, expected = combine(texts.get(name), ov.op, ov.value, PARAM_BY_NAME[name])
        if expected:
            problems.append(ov.problem(expected))
            texts[name] = None  # reported: not checked again
        else:
            texts[name] = text
        origins[name] = Origin(SET, None, ov.expression)
    if table is not None:
        problems += [
            Problem(
                PARAMETERS.name,
                None,
                "name",
                None,
                f"required parameter '{p.name}' is missing: add a row {p.name},<value> "
                f"({p.expected}: {p.description})",
            )
            for p in PARAMS
            if p.required and p.name not in texts
        ]
    values, found = _parse(texts, origins)
    return ParamValues(values, origins, problems + found, warnings)


def _parse(texts: dict[str, str | None], origins: dict[str, Origin]) -> tuple[dict, list[Problem]]:
    """Parse every parameter as one wide row, so the pandera checks are those of any file."""
    text_row = pd.DataFrame({p.name: [texts.get(p.name) or ""] for p in PARAMS}, dtype="str")
    unknown = {name for name, text in texts.items() if text is None}  # already reported
    typed = pd.DataFrame(index=text_row.index)
    found: list[tuple[str, Problem]] = []
    for p in PARAMS:
        given = (p.name in texts or not p.required) and p.name not in unknown
        given = pd.Series([given], index=text_row.index)
        typed[p.name], cells = convert_cells(text_row[p.name], p, given)
        found += [(p.name, q) for _, q in cells]
    typed[LINE] = 0
    ranged, _ = pandera_problems(typed, _PARAM_SPEC, text_row, line_of=_zero)
    found += [(q.column, q) for q in ranged]
    reported = {name for name, _ in found} | unknown
    problems = [_at(origins[name], PARAM_BY_NAME[name], q) for name, q in found]
    values = {
        p.name: None if p.name in reported else _python(typed[p.name].iloc[0], p) for p in PARAMS
    }
    return values, problems


def _zero(_: object) -> int:
    return 0


def _at(origin: Origin, p: Col, q: Problem) -> Problem:
    """Locate a parameter problem at its origin, naming the parameter in the message."""
    expected = q.expected.replace("expected ", f"expected {p.name} to be ", 1)
    return dataclasses.replace(origin.problem(p.name, q.value, expected), severity=q.severity)


def _python(value: object, p: Col) -> object:
    if p.kind == "ramp":
        return value
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if p.kind in ("year", "integer"):
        return int(value)
    if p.numeric:
        return float(value)
    return str(value)
