"""Give the solver's freed working memory back to the operating system after a solve.

HiGHS frees its working memory (presolve copies, factors: ~170 MiB at L) when its instance goes,
but glibc keeps freed pages in the process heap, while Python's own allocator, which extract and
the report use, takes fresh pages from mmap: the report's memory then came on top of the solve's
(L: 428 MiB RSS through the solve, 510 MiB peak while the report was written). `malloc_trim`
returns those free heap pages, so the peak of a run stays that of the solve.
"""

from __future__ import annotations

import ctypes
import sys


def release_freed_memory() -> None:
    """Return free heap pages to the OS (glibc's malloc_trim); nothing elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (e.g. musl): nothing to trim
        return
    trim.argtypes = [ctypes.c_size_t]
    trim(0)
