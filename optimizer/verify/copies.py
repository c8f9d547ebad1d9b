"""The plan's own copies of inputs (demand.csv, sites.csv, partner_regions.csv, lanes.csv in the
plan folder) must say what the data folder says, cell by cell.

The report reads these copies instead of the data folder, so an edited copy would make the
report describe a case the plan was not solved for while every constraint check (which reads
the data folder) still passes. The data folder itself is tied to the plan by the sha256 hashes
in summary.json (provenance.check_inputs); overrides recorded in summary.json are applied when
it is loaded, so the copies are compared with the data after overrides, as they were written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.verify.context import Context
from optimizer.verify.formatting import fmt

FAMILY = "input copies"


@dataclass(frozen=True)
class Copy:
    """One copied input table: its key columns and the rows every plan must list."""

    name: str
    keys: tuple[str, ...]
    source: str  # the data file the copy comes from


COPIES = (
    Copy("demand.csv", ("scenario", "product", "market", "year"), "demand.csv"),
    Copy("sites.csv", ("site",), "sites.csv"),
    Copy("partner_regions.csv", ("partner", "region"), "partner_regions.csv"),
    Copy("lanes.csv", ("region", "market"), "shipping.csv"),  # issue 15: unmet_lanes.py
)


def expected_rows(ctx: Context, name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """What the copy must hold (from the loaded case) and which of its rows must be listed:
    demand rows of the plan's scenarios (rows of 0 GPUs may be left out), every site, every
    partner-region limit."""
    case = ctx.case
    if name == "demand.csv":
        d = case.demand[case.demand["scenario"].isin(ctx.probs.index)].reset_index(drop=True)
        return d, (d["gpus"] > 0).to_numpy()
    frame = {"sites.csv": case.sites, "lanes.csv": case.shipping}.get(name, case.partner_regions)
    frame = frame.reset_index(drop=True)
    return frame, np.ones(len(frame), dtype=bool)


def check_copies(ctx: Context) -> None:
    """Compare each copied input table in the plan folder with the loaded data."""
    for copy in COPIES:
        path = ctx.plan.plan_dir / copy.name
        if not path.exists():
            ctx.findings.warn(
                FAMILY, f"the plan has no {copy.name} (a copy of the input); not checked"
            )
            continue
        raw = _read_text_table(path)
        expected, must_list = expected_rows(ctx, copy.name)
        _compare(ctx, copy, raw, expected, must_list)


def _read_text_table(path: Path) -> pd.DataFrame:
    """Every cell as stripped text (numbers are compared after parsing, per column)."""
    where = f"{path.parent.name}/{path.name}"
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise InputError(
            [Problem(where, None, None, None, "empty; expected a header row")]
        ) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, ValueError) as e:
        raise InputError([Problem(where, None, None, None, f"unreadable ({e})")]) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    return raw.apply(lambda col: col.str.strip())


def _key_text(values: pd.Series) -> pd.Series:
    """Key cells as text; whole numbers (years) without a decimal point."""
    if values.dtype.kind in "fiu":
        return values.map(lambda v: str(int(v)) if float(v).is_integer() else repr(float(v)))
    return values.astype(str).str.strip()


def _compare(
    ctx: Context, copy: Copy, raw: pd.DataFrame, expected: pd.DataFrame, must_list: np.ndarray
) -> None:
    f = ctx.findings
    name, keys = copy.name, list(copy.keys)
    source = copy.source + (f" with overrides {ctx.case.overrides}" if ctx.case.overrides else "")
    missing = [k for k in keys if k not in raw.columns]
    if missing:
        f.violate(FAMILY, f"{name}: missing key column(s) {', '.join(missing)} in the header")
        return
    lines = np.arange(len(raw)) + 2
    plan_keys = pd.MultiIndex.from_frame(raw[keys])
    data_keys = pd.MultiIndex.from_arrays([_key_text(expected[k]) for k in keys], names=keys)
    position = pd.Series(np.arange(len(expected)), index=data_keys)
    position = position[~position.index.duplicated()]

    def label(key: tuple) -> str:
        return ", ".join(f"{k} {v}" for k, v in zip(keys, key, strict=True))

    for i in np.flatnonzero(plan_keys.duplicated(keep="first")):
        f.violate(FAMILY, f"{name} line {lines[i]}: a second row for {label(plan_keys[i])}")
    listed = plan_keys.isin(data_keys)
    for i in np.flatnonzero(~listed):
        f.violate(
            FAMILY,
            f"{name} line {lines[i]}: {label(plan_keys[i])} is not in the data ({source})",
        )
    absent = ~data_keys.isin(plan_keys) & must_list
    for i in np.flatnonzero(absent):
        f.violate(FAMILY, f"{name}: no row for {label(data_keys[i])}, which is in {source}")

    columns = [c for c in raw.columns if c in expected.columns and c not in keys]
    rows = np.flatnonzero(listed & ~plan_keys.duplicated(keep="first"))
    at = position.reindex(plan_keys[rows]).to_numpy()
    for col in columns:
        theirs = raw[col].to_numpy()[rows]
        ours = expected[col].to_numpy()[at]
        numeric = expected[col].dtype.kind in "fiub"
        for j, (cell, value) in enumerate(zip(theirs, ours, strict=True)):
            if _same(cell, value, numeric):
                continue
            i = rows[j]
            f.violate(
                FAMILY,
                f"{name} line {lines[i]} ({label(plan_keys[i])}): {col} is "
                f"{_show(cell, value, numeric)[0]} in the plan's copy but "
                f"{_show(cell, value, numeric)[1]} in the data ({source})",
            )
    f.checked(FAMILY, len(raw) * max(1, len(columns)))


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _same(cell: str, value: object, numeric: bool) -> bool:
    """A copied cell equals the data's value (numbers as written by pandas round-trip)."""
    if not numeric:
        text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else value
        return cell == str(text).strip()
    mine = _number(cell) if cell != "" else math.nan
    if mine is None:
        return False
    value = float(value)
    if math.isnan(mine) or math.isnan(value):
        return math.isnan(mine) and math.isnan(value)
    if math.isinf(mine) or math.isinf(value):
        return mine == value
    return math.isclose(mine, value, rel_tol=1e-9, abs_tol=1e-12)


def _show(cell: str, value: object, numeric: bool) -> tuple[str, str]:
    """Both sides for a message, with enough digits that they visibly differ."""
    if not numeric:
        text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else value
        return f"'{cell}'", f"'{str(text).strip()}'"
    mine = _number(cell) if cell != "" else math.nan
    if mine is None:
        return f"'{cell}' (not a number)", fmt(float(value))
    a, b = fmt(mine), fmt(float(value))
    if a == b:
        a, b = f"{mine:.15g}", f"{float(value):.15g}"
    return a, b


# rank -> check: verify_plan runs the checks of every module in rank order
CHECKS = {150: check_copies}
