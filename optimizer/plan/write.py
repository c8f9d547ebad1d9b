"""Write a plan folder atomically (optimizer.atomic): a failed or interrupted run never leaves a
half-written plan and never destroys the previous one (kept as `.<name>.previous`).

A run that finds no plan explains why in `<name>.diagnosis.txt` beside the folder; a later
successful write removes it, so a diagnosis never sits beside a plan it does not describe."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from optimizer.atomic import replace_folder, write_text
from optimizer.plan.schema import conform


def write_plan(
    out_dir: Path,
    tables: dict[str, pd.DataFrame],
    summary: dict,
    extra: Callable[[Path], None] | None = None,
) -> Path | None:
    """Write tables and summary.json into `out_dir` atomically; return where the old plan went.

    `extra(tmp_dir)` may add more files (e.g. the report) before the folder is moved into place.
    """

    def fill(tmp: Path) -> None:
        for name, frame in tables.items():
            conform(name, frame).to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n")
        write_text(tmp / "summary.json", json_text(summary))
        if extra is not None:
            extra(tmp)

    previous = replace_folder(out_dir, fill)
    diagnosis_path(out_dir).unlink(missing_ok=True)
    return previous


def diagnosis_path(out_dir: Path) -> Path:
    """Where a failed run into `out_dir` saves its diagnosis: beside, not inside, the plan."""
    out_dir = Path(out_dir)
    return out_dir.parent / f"{out_dir.name}.diagnosis.txt"


def json_text(data: object) -> str:
    """Strict JSON (no bare NaN/Infinity, which most parsers reject): a NaN or infinite number
    means "unknown" (e.g. a MIP gap or dual HiGHS did not report) and is written as null."""
    return json.dumps(_finite(data), indent=2, default=_json, allow_nan=False) + "\n"


def _finite(value: object) -> object:
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return _finite(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
