"""SIGINT and SIGTERM during a CLI run: clean up, say what was kept, exit 130 / 143.

The CLI installs `handle_signals()`: either signal raises `Interrupted` in the main thread, so
`finally`/`except BaseException` blocks remove the run's temporary folder and release its lock
(typer would turn a KeyboardInterrupt into a silent exit 130). Two refinements:

- `deferred()`: a signal arriving during the renames that put a new folder in place is held until
  they are done, so it never falls between them (optimizer.atomic).
- a watchdog thread: Python runs signal handlers only between bytecodes, and a HiGHS solve can sit
  in C for hours. If the main thread has not taken a signal within GRACE_S, the watchdog removes
  this run's temporary folders and lock files itself, prints the same message and exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

from optimizer import outputs

GRACE_S = 2.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """SIGINT or SIGTERM: a BaseException (like KeyboardInterrupt, unlike Exception) so no
    `except Exception` swallows it, but not a KeyboardInterrupt so click/typer let it through."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # 130 for SIGINT, 143 for SIGTERM


_state = {"depth": 0, "pending": None, "seen": False}


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold a signal that arrives inside the block; raise it as Interrupted right after."""
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
    pending = _state["pending"]
    if pending is not None and not _state["depth"]:
        _state["pending"] = None
        raise Interrupted(pending)


def held() -> int | None:
    """The signal `deferred()` is holding, if any: a long C call that calls back into Python
    (HiGHS's MIP callbacks) polls it to stop early."""
    return _state["pending"]


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Within the block, SIGINT/SIGTERM raise Interrupted (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    _state.update(depth=0, pending=None, seen=False)
    old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read_fd,), name="fabplan-signals", daemon=True).start()
    for s in SIGNALS:
        signal.signal(s, _on_signal)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        signal.set_wakeup_fd(old_wakeup)
        os.close(write_fd)  # the watchdog reads end-of-file and stops


def _on_signal(signum: int, frame) -> None:
    _state["seen"] = True
    if _state["depth"]:
        _state["pending"] = signum
        return
    for s in SIGNALS:  # a second signal must not cut the cleanup short
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


def _watch(read_fd: int) -> None:
    """Exit on behalf of a main thread that is stuck in C code when a signal arrives."""
    with contextlib.suppress(OSError):
        while data := os.read(read_fd, 64):
            signum = next((s for s in data if s in SIGNALS), None)
            if signum is None:
                continue
            deadline = time.monotonic() + GRACE_S
            while time.monotonic() < deadline and not _state["seen"]:
                time.sleep(0.05)
            if not _state["seen"]:
                _exit_now(signum)
    os.close(read_fd)


def _exit_now(signum: int) -> None:
    outputs.abandon()
    with contextlib.suppress(OSError):
        os.write(2, f"error: {outputs.interrupted_message()}\n".encode())
    os._exit(128 + signum)
