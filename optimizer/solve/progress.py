"""Live progress of an integer solve from HiGHS's MIP callbacks: elapsed time, incumbent, best
bound and gap; and a prompt stop on Ctrl-C or SIGTERM.

Integer runs take minutes with nothing to show otherwise. HiGHS calls back on every improving
solution and at its interrupt checks (often, in C, holding the GIL), so each call does a dict
lookup and one clock read and returns unless a quarter second has passed: a few microseconds a
call, nothing measurable (benchmarks/README.md). Where it goes: the running step's spinner on a
terminal (stderr a terminal too), nowhere with -q, and with -v and no terminal a plain line on
stderr every PLAIN_EVERY_S seconds.

Signals: Python would run the handler, which raises, inside a callback or inside highspy's
dispatch, where HiGHS turns the exception into a solve error. So `run_mip` holds the signal
(`interrupt.deferred`), the next callback asks HiGHS to stop, and the signal is raised as
`Interrupted` once `run()` has returned. The callbacks are attached even with -q for this.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import highspy

from optimizer import console, interrupt

REFRESH_S = 0.25  # at most 4 updates a second
PLAIN_EVERY_S = 10.0  # plain lines (-v, not a terminal)


def run_mip(h: highspy.Highs, progress: MipProgress) -> None:
    """`h.run()` with the progress callbacks attached and signals held until HiGHS stops."""
    progress.attach(h)
    try:
        with interrupt.deferred():
            h.run()
    finally:
        h.clearCallbacks()  # a later run (the fixed LP of the duals) needs none
    progress.finish()


class MipProgress:
    """Turns MIP callback events into progress lines for `show`, throttled to `every` s."""

    def __init__(
        self, show: Callable[[str], None] | None, every: float = REFRESH_S, usd: float = 1.0
    ):
        self.show = show
        self.every = every
        self.usd = usd  # domain USD per model money unit
        self.calls = 0  # callback events received
        self.shown = 0  # lines shown
        self.pending: BaseException | None = None  # an interruption to raise after run()
        self._last = -math.inf

    def attach(self, h: highspy.Highs) -> None:
        h.cbMipImprovingSolution.subscribe(self.event)
        h.cbMipInterrupt.subscribe(self.event)

    def event(self, e) -> None:
        """One callback: ask HiGHS to stop if interrupted, else maybe show a line."""
        try:
            self.calls += 1
            if self.pending is not None or interrupt.held() is not None:
                e.interrupt()
                return
            if self.show is None:
                return
            now = time.monotonic()
            if now - self._last < self.every:
                return
            self._last = now
            self.shown += 1
            self.show(self.line(e.data_out))
        except BaseException as exc:  # noqa: BLE001 - nothing may unwind through HiGHS
            self.pending = exc
            e.interrupt()

    def line(self, out) -> str:
        """`12 s  incumbent 1.2345 bn USD  bound 1.2305 bn USD  gap 0.32%` (— when unknown)."""
        parts = [f"{out.running_time:.0f} s"]
        for name, value in (("incumbent", out.mip_primal_bound), ("bound", out.mip_dual_bound)):
            parts.append(f"{name} {_usd(value * self.usd)}")
        gap = out.mip_gap
        parts.append(f"gap {gap:.2%}" if math.isfinite(gap) and gap < 1e6 else "gap —")
        return "  ".join(parts)

    def finish(self) -> None:
        """Raise the interruption taken during the solve, if any."""
        if self.pending is not None:
            pending, self.pending = self.pending, None
            raise pending


def _usd(value: float) -> str:
    """Money with four decimals of its magnitude (bn, M, k): enough to see the gap close."""
    if not math.isfinite(value):
        return "—"
    for size, name in ((1e9, "bn "), (1e6, "M "), (1e3, "k ")):
        if abs(value) >= size:
            return f"{value / size:,.4f} {name}USD"
    return f"{value:,.2f} USD"


def for_console(usd: float) -> MipProgress:
    """The progress for this run's console (`usd`: USD per model money unit); one that shows
    nothing (and only stops HiGHS on a signal) with -q or where it would not be seen."""
    level = console.verbosity()
    if level >= 1 and console.err.is_terminal and console.status_active():
        return MipProgress(lambda text: console.update_status(f"solve (HiGHS) ... {text}"), usd=usd)
    if level >= 2 and not console.err.is_terminal:
        return MipProgress(_plain, PLAIN_EVERY_S, usd=usd)
    return MipProgress(None)


def _plain(text: str) -> None:
    console.err.print(f"progress: {text}", markup=False, highlight=False)
