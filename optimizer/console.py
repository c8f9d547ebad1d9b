"""Terminal output: one place that knows about --quiet/--verbose and where text goes.

Progress and results go to stdout through rich; problems and errors go to stderr. Messages are
plain text, never rich markup: they carry user-supplied ids, names and paths (`[/red]x` is a
valid site id), so every helper prints them as `Text`, which rich never parses for markup.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.status import Status
from rich.text import Text

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_verbosity = 1  # 0 quiet, 1 normal, 2 verbose
_status: Status | None = None  # the running step's spinner, for live progress


def set_verbosity(level: int) -> None:
    global _verbosity
    _verbosity = level


def verbosity() -> int:
    return _verbosity


def info(message: str) -> None:
    """Normal progress line (hidden by -q)."""
    if _verbosity >= 1:
        out.print(Text(str(message)))


def detail(message: str) -> None:
    """Extra detail (only with -v)."""
    if _verbosity >= 2:
        out.print(Text(str(message), style="dim"))


def warn(message: str) -> None:
    """Warnings go to stderr and are shown even with -q."""
    err.print(Text.assemble(("warning:", "yellow"), " ", str(message)))


def error(message: str) -> None:
    """Errors go to stderr, shown even with -q."""
    err.print(Text.assemble(("error:", "bold red"), " ", str(message)))


@contextmanager
def step(
    name: str, timings: dict[str, float] | None = None, key: str | None = None
) -> Iterator[None]:
    """Time a pipeline step, print `name ... 1.23 s`, and record it in `timings[key]`."""
    start = time.perf_counter()
    global _status
    if _verbosity >= 1:
        with out.status(Text(f"{name} ..."), spinner="dots") if out.is_terminal else _null() as s:
            _status = s
            try:
                yield
            finally:
                _status = None
    else:
        yield
    elapsed = time.perf_counter() - start
    if timings is not None:
        timings[key or name] = elapsed
    info(f"{name:<28} {elapsed:8.2f} s")


def status_active() -> bool:
    """Whether a step's spinner is showing (a terminal, not -q)."""
    return _status is not None


def update_status(message: str) -> None:
    """Replace the running step's spinner text (live progress of a long step)."""
    if _status is not None:
        _status.update(Text(message))


@contextmanager
def _null() -> Iterator[None]:
    yield None
