"""Write a plan folder atomically: a failed or interrupted run never leaves a half-written plan
and never destroys the previous one.

Tables go to a temporary sibling folder first; only when everything is written is the previous
plan moved aside (kept as `.<name>.previous`, one generation) and the new folder renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def write_plan(
    out_dir: Path,
    tables: dict[str, pd.DataFrame],
    summary: dict,
    extra: Callable[[Path], None] | None = None,
) -> Path | None:
    """Write tables and summary.json into `out_dir` atomically; return where the old plan went.

    `extra(tmp_dir)` may add more files (e.g. the report) before the folder is moved into place.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        for name, frame in tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False, lineterminator="\n")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2, default=_json) + "\n")
        if extra is not None:
            extra(tmp)
        _fsync_dir(tmp)
        previous = None
        if out_dir.exists():
            previous = out_dir.parent / f".{out_dir.name}.previous"
            if previous.exists():
                shutil.rmtree(previous)
            os.replace(out_dir, previous)
        os.replace(tmp, out_dir)
        return previous
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _json(value):
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
