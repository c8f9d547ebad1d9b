"""Process measurements shared by the benchmark scripts (each child process measures itself)."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_mib() -> float:
    """This process's RSS high-water mark in MiB: VmHWM of /proc/self/status.

    Not getrusage's ru_maxrss: Linux carries the parent's RSS at fork into the child's ru_maxrss
    across exec, so every child would report at least the parent's size.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_s() -> float:
    """CPU seconds used by this process so far (all threads, user + system)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
