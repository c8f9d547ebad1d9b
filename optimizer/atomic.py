"""Write files and folders atomically: a failed or interrupted write never leaves a half-written
file or folder and never destroys the previous one. Every output of fabplan goes through here.

A single file (a report, summary.json, a diagnosis, a sweep table) is written to a temporary
sibling and renamed over the old one (write_file_atomic).

Files go to a temporary sibling folder first; only when everything is written is the old folder
moved aside (kept as `.<name>.previous`, one generation) and the new one renamed into place.
Used by plans, comparisons and generated cases (no heavy imports here: no Pyomo).

The temporary folder is `.<name>.tmp-<pid>-xxxx`: a run killed with SIGKILL leaves it behind and
the next run writing the same folder removes it (optimizer.outputs.remove_stale_temp). SIGINT and
SIGTERM are held back during the two renames (optimizer.interrupt), so an interruption never falls
between them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from optimizer import interrupt, outputs

# Tests only: seconds to sleep after the temporary folder is filled, so a test can interrupt a
# real run at a known point (tests/test_output_safety.py). Unset in normal use.
PAUSE_ENV = "FABPLAN_TEST_PAUSE_BEFORE_RENAME_S"


def replace_folder(
    out_dir: Path, fill: Callable[[Path], None], keep_previous: bool = True
) -> Path | None:
    """Let `fill(tmp)` write a temporary sibling folder, then put it in place of `out_dir` in
    one rename; return where the old folder went (None if there was none, or it was not kept).
    On any error or interruption the temporary folder is removed and `out_dir` is untouched."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{out_dir.name}.tmp-{os.getpid()}-"
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir.parent))
    try:
        fill(tmp)
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; an output folder is readable like any other
        fsync_dir(tmp)
        _pause_for_tests()
        previous = None
        if out_dir.exists():
            # not kept: named like a temp folder, so a run killed before removing it is cleaned up
            kept = ".previous" if keep_previous else f".tmp-{os.getpid()}-old"
            previous = out_dir.parent / f".{out_dir.name}{kept}"
            if previous.exists():
                shutil.rmtree(previous)
        with interrupt.deferred():  # never between the two renames
            if previous is not None:
                os.replace(out_dir, previous)
            os.replace(tmp, out_dir)
            outputs.mark_written(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if previous is not None and not keep_previous:
        shutil.rmtree(previous, ignore_errors=True)
        return None
    return previous


def _pause_for_tests() -> None:
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        time.sleep(float(seconds))


def write_file_atomic(path: Path, data: str | bytes) -> Path:
    """Replace `path` by `data` (text as UTF-8 with its \\n line ends kept) in one rename, so a
    reader sees the old file or the new one, never half of one; returns `path`."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; an output file is readable like any other
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(path: Path, text: str) -> None:
    """Write and flush a text file (UTF-8, \\n line ends) inside a folder that replace_folder
    renames into place afterwards, so the rename is durable."""
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
