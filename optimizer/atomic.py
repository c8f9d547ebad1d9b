"""Replace a folder atomically: a failed or interrupted write never leaves a half-written folder
and never destroys the previous one.

Files go to a temporary sibling folder first; only when everything is written is the old folder
moved aside (kept as `.<name>.previous`, one generation) and the new one renamed into place.
Used by plans, reports of comparisons and sweeps (no heavy imports here: no Pyomo).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def replace_folder(out_dir: Path, fill: Callable[[Path], None]) -> Path | None:
    """Let `fill(tmp)` write a temporary sibling folder, then put it in place of `out_dir` in
    one rename; return where the old folder went (None if there was none). On any error the
    temporary folder is removed and `out_dir` is untouched."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        fill(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; an output folder is readable like any other
        fsync_dir(tmp)
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


def write_text(path: Path, text: str) -> None:
    """Write and flush a text file (UTF-8, \\n line ends) so a rename after it is durable."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def fsync_dir(path: Path) -> None:
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
