"""Which folders fabplan may write, and one writer per folder at a time.

One rule for every command that writes a folder (solve, solve --stochastic, sweep, compare,
report, generate): an output folder may be written when it does not exist, is empty, or is a
previous fabplan output of the same kind; it is never the input folder, inside it or holding it;
its parent must be writable. The check runs before any loading or solving, so a refused run
wastes nothing and writes nothing.

While a run writes a folder it holds an exclusive lock on `.<name>.lock` beside it (fcntl.flock,
non-blocking: a second run fails at once with exit 2). The lock file is removed on release; a
stale one whose flock is free is simply reused. Temporary folders carry the writer's pid
(`.<name>.tmp-<pid>-xxxx`, see optimizer.atomic) so the next run removes those of dead runs
(SIGKILL cannot be handled; SIGINT and SIGTERM are, see optimizer.interrupt).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from optimizer.errors import UsageError

try:  # Unix only; elsewhere runs are not locked (documented in README)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

PLAN, COMPARISON, SWEEP, CASE = "plan", "comparison", "sweep", "case"
ALTERNATIVES = "alternatives"  # fabplan alternatives (optimizer/alternatives/)
NOUNS = {
    PLAN: "plan",
    COMPARISON: "comparison",
    SWEEP: "sweep",
    CASE: "generated case",
    ALTERNATIVES: "alternatives",
}
COMPARISON_FILES = ("comparison.md", "comparison.html")
SWEEP_HEADER = "case,case_id,overrides"
GENERATED_MARK = "Written by `fabplan generate"
LEGACY_TMP_AGE_S = 3600.0  # temp folders without a pid (older fabplan) older than this are stale
_TMP_NAME = re.compile(r"^\.(?P<name>.+)\.tmp-(?:(?P<pid>\d+)-)?[^/]*$")


@dataclass
class Claim:
    """What the current process is writing: the interruption message depends on it."""

    out_dir: Path
    kind: str
    existed: bool
    written: bool = False


_last: list[Claim] = []  # the most recent claim of this process (a CLI run makes one)
_held: set[Path] = set()  # lock files this process holds


def last_claim() -> Claim | None:
    """The most recent output this process claimed (None if it claimed none)."""
    return _last[0] if _last else None


def mark_written(out_dir: Path) -> None:
    """Record that `out_dir` now holds the new output (called by optimizer.atomic)."""
    claim = last_claim()
    if claim is not None and claim.out_dir == Path(out_dir):
        claim.written = True


def abandon() -> None:
    """A run exiting at once (optimizer.interrupt's watchdog): remove this process's temporary
    folders beside its output and its lock files, as the normal cleanup would."""
    claim = last_claim()
    if claim is not None:
        for tmp in claim.out_dir.parent.glob(f".{claim.out_dir.name}.tmp-{os.getpid()}-*"):
            shutil.rmtree(tmp, ignore_errors=True)
    for path in list(_held):
        with contextlib.suppress(OSError):
            os.unlink(path)


def interrupted_message() -> str:
    """What an interrupted run tells the user about its output folder."""
    claim = last_claim()
    if claim is None:
        return "interrupted; nothing was written"
    if claim.written:
        return f"interrupted after the new {NOUNS[claim.kind]} was written to {claim.out_dir}"
    if claim.existed:
        return f"interrupted; the previous {NOUNS[claim.kind]} is untouched"
    return "interrupted; nothing was written"


def is_output(folder: Path, kind: str) -> bool:
    """True when `folder` holds a previous fabplan output of `kind`."""
    folder = Path(folder)
    if kind == PLAN:
        return _json_has(folder / "summary.json", "fabplan_version")
    if kind == COMPARISON:
        names = {p.name for p in folder.iterdir()}
        return bool(names) and names <= set(COMPARISON_FILES)
    if kind == SWEEP:
        return _first_line(folder / "sweep.csv").startswith(SWEEP_HEADER)
    if kind == CASE:
        return GENERATED_MARK in _head(folder / "README.md")
    if kind == ALTERNATIVES:
        return _first_line(folder / "alternatives.csv").startswith("item,minimum,")
    raise ValueError(f"unknown output kind {kind!r}")


def check_output(
    out_dir: Path,
    kind: str,
    inputs: Iterable[tuple[str, Path]] = (),
    option: str = "--out",
) -> None:
    """Raise UsageError (exit 2) unless `out_dir` may be written as a `kind` output.

    `inputs` are (what, folder) pairs the output must stay clear of, e.g. ("data folder", data).
    Writes nothing (a writability probe file is created and removed at once).
    """
    shown = Path(out_dir)
    target = shown.resolve()
    if target.parent == target:
        raise UsageError(f"{option} {shown} is the filesystem root; choose a folder to write into")
    for what, folder in inputs:
        _check_clear_of(shown, target, what, Path(folder), option)
    if shown.is_symlink() and not shown.exists():
        raise UsageError(f"{option} {shown} is a dangling symbolic link; choose another {option}")
    if shown.exists():
        if not shown.is_dir():
            raise UsageError(f"{option} {shown} is a file, not a folder; choose another {option}")
        try:
            names = sorted(p.name for p in shown.iterdir())
        except OSError as e:
            raise UsageError(f"{option} {shown} cannot be read ({e.strerror})") from None
        if names and not is_output(shown, kind):
            listed = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
            raise UsageError(
                f"{shown} exists and is not a fabplan {NOUNS[kind]} folder (it already holds "
                f"other files: {listed}); choose another {option} or empty it"
            )
    check_writable(shown, option)


def check_writable(path: Path, option: str = "--out") -> None:
    """Raise UsageError unless `path` can be created (or replaced) in its parent folder."""
    shown = Path(path)
    parent = shown.absolute().parent  # where the temp folder and the lock go
    existing = parent
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"cannot write {option} {shown}: {existing} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".fabplan-probe-", dir=existing)
    except OSError as e:
        why = e.strerror or type(e).__name__
        raise UsageError(
            f"cannot write {option} {shown}: cannot create files in {existing} ({why})"
        ) from None
    os.close(fd)
    os.unlink(probe)


def check_plan_folder(plan_dir: Path) -> None:
    """Raise UsageError unless `plan_dir` is a plan folder written by fabplan (for `report`)."""
    shown = Path(plan_dir)
    if not shown.is_dir():
        raise UsageError(f"{shown} is not a folder; give a plan folder written by `fabplan solve`")
    if not is_output(shown, PLAN):
        raise UsageError(
            f"{shown} is not a fabplan plan folder (no summary.json written by fabplan); reports "
            "are written only into plan folders: run `fabplan solve` to write one"
        )
    check_writable(shown / "report.html", "report")


@contextlib.contextmanager
def claim_output(
    out_dir: Path,
    kind: str,
    inputs: Iterable[tuple[str, Path]] = (),
    option: str = "--out",
) -> Iterator[Path]:
    """Check `out_dir` (check_output), lock it for this run and remove temp folders that dead
    runs left beside it; release the lock on exit."""
    out_dir = Path(out_dir)
    check_output(out_dir, kind, inputs, option)
    with lock_output(out_dir, option):
        remove_stale_temp(out_dir)
        _last[:] = [Claim(out_dir, kind, existed=out_dir.is_dir() and any(out_dir.iterdir()))]
        yield out_dir


@contextlib.contextmanager
def lock_output(out_dir: Path, option: str = "--out") -> Iterator[None]:
    """Hold an exclusive flock on `.<name>.lock` beside `out_dir`; fail at once when held."""
    out_dir = Path(out_dir)
    if fcntl is None:  # pragma: no cover
        yield
        return
    path = lock_path(out_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot write {option} {out_dir}: {e.strerror}") from None
    fd = _acquire(path, out_dir, option)
    _held.add(path)
    try:
        yield
    finally:
        _held.discard(path)
        with contextlib.suppress(OSError):
            os.unlink(path)  # while still held: a waiter that opened it sees a changed inode
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def lock_path(out_dir: Path) -> Path:
    out_dir = Path(out_dir)
    return out_dir.parent / f".{out_dir.name}.lock"


def _acquire(path: Path, out_dir: Path, option: str) -> int:
    """Open and flock the lock file; retry when the holder removed it as we opened it."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise UsageError(f"cannot write {option} {out_dir}: {e.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise UsageError(
                f"another fabplan run (pid {holder}) is writing {out_dir}; wait for it or "
                f"choose another {option}"
            ) from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)  # the file was replaced between open and flock: lock the new one


def remove_stale_temp(out_dir: Path) -> list[Path]:
    """Remove `.<name>.tmp-<pid>-*` folders beside `out_dir` whose writer is dead (or is this
    process, which holds the lock and has none in progress); return what was removed."""
    out_dir = Path(out_dir)
    parent = out_dir.parent
    if not parent.is_dir():
        return []
    removed = []
    for entry in parent.iterdir():
        match = _TMP_NAME.match(entry.name)
        if not match or match["name"] != out_dir.name or not entry.is_dir():
            continue
        pid = match["pid"]
        if pid is None:
            stale = time.time() - entry.stat().st_mtime > LEGACY_TMP_AGE_S
        else:
            stale = int(pid) == os.getpid() or not _alive(int(pid))
        if stale:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError, ValueError):
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def _check_clear_of(shown: Path, target: Path, what: str, folder: Path, option: str) -> None:
    """Refuse an output equal to, inside, or holding an input folder."""
    source = folder.resolve()
    if target == source:
        raise UsageError(
            f"{option} {shown} would replace the {what} {folder}; choose another {option}"
        )
    if source.is_relative_to(target):
        raise UsageError(
            f"{option} {shown} would replace the {what} {folder} (it holds it); choose another "
            f"{option}"
        )
    if target.is_relative_to(source):
        raise UsageError(
            f"{option} {shown} is inside the {what} {folder}; write outputs outside the inputs: "
            f"choose another {option}"
        )


def _json_has(path: Path, key: str) -> bool:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(value, dict) and key in value


def _first_line(path: Path) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline()
    except (OSError, ValueError):
        return ""


def _head(path: Path, size: int = 2000) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(size)
    except (OSError, ValueError):
        return ""
