"""Write a plan folder atomically (optimizer.atomic): a failed or interrupted run never leaves a
half-written plan and never destroys the previous one (kept as `.<name>.previous`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from optimizer.atomic import replace_folder, write_text


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
            frame.to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n")
        write_text(tmp / "summary.json", json.dumps(summary, indent=2, default=_json) + "\n")
        if extra is not None:
            extra(tmp)

    return replace_folder(out_dir, fill)


def _json(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
