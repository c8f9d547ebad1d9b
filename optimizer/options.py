"""Checks of command-line options before anything is loaded or solved.

Click parses `nan`, `inf` and any size of integer; HiGHS then aborts on `--threads 100000`
and a NaN limit ends up in summary.json. Every numeric option is checked here, and every
file an option names is checked to be writable, so a bad option is a usage error (exit 2)
naming the option and its value, before minutes of solving.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from optimizer.errors import UsageError

MODEL_SUFFIXES = (".mps", ".lp")


def cpu_count() -> int:
    """CPUs of this machine (1 when the platform cannot tell)."""
    return os.cpu_count() or 1


def max_parallel() -> int:
    """Most threads or worker processes accepted: 4 per CPU (more only thrashes; HiGHS aborts
    the whole process on very large thread counts)."""
    return 4 * cpu_count()


def finite(option: str, value: float) -> float:
    """`value` if it is a finite number; NaN and infinity mean nothing as a limit or weight."""
    if not math.isfinite(value):
        raise UsageError(f"{option} {value}: expected a finite number")
    return value


def time_limit(value: float | None, option: str = "--time-limit") -> float | None:
    """Seconds the solver may run: finite and positive."""
    if value is None:
        return None
    if not finite(option, value) > 0:
        raise UsageError(f"{option} {value}: expected a positive number of seconds")
    return value


def mip_gap(value: float | None) -> float | None:
    """Relative MIP gap: in [0, 1) (a gap of 1 or more accepts any integer plan)."""
    if value is None:
        return None
    if not 0.0 <= finite("--mip-gap", value) < 1.0:
        raise UsageError(f"--mip-gap {value}: expected a number in [0, 1), e.g. 0.001")
    return value


def cvar_alpha(value: float | None) -> float | None:
    """CVaR level: strictly between 0 and 1."""
    if value is None:
        return None
    if not 0.0 < finite("--cvar", value) < 1.0:
        raise UsageError(f"--cvar ALPHA must be in (0, 1), e.g. 0.9; got {value}")
    return value


def risk_weight(value: float) -> float:
    """Weight of CVaR against the expected cost: in [0, 1]."""
    if not 0.0 <= finite("--risk-weight", value) <= 1.0:
        raise UsageError(f"--risk-weight {value}: expected a number in [0, 1]")
    return value


def parallel(option: str, value: int | None) -> int | None:
    """Threads or worker processes: 1 to `max_parallel()`."""
    if value is None:
        return None
    top = max_parallel()
    if not 1 <= value <= top:
        raise UsageError(
            f"{option} {value}: expected a whole number from 1 to {top} "
            f"(4 per CPU; this machine has {cpu_count()})"
        )
    return value


#: HiGHS options fabplan sets itself, and the flag that sets each (`sweep` has only some).
OWN_SOLVER_OPTIONS = {
    "time_limit": "--time-limit",
    "mip_rel_gap": "--mip-gap",
    "threads": "--threads",
    "output_flag": "-v or --solver-log",
    "log_to_console": "-v",
    "log_file": "--solver-log",
}


def solver_options(pairs: list[str], own: dict[str, str] = OWN_SOLVER_OPTIONS) -> dict:
    """`--solver-option KEY=VALUE` pairs as HiGHS reads them, each checked by HiGHS itself;
    an option fabplan sets from one of its flags (`own`) is refused, naming the flag, so a run
    never has two values for one setting."""
    if not pairs:
        return {}
    from optimizer.solve.highs_options import check_option  # imports HiGHS: only when asked

    result: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = (part.strip() for part in pair.partition("="))
        if not sep or not key or not value:
            raise UsageError(
                f"--solver-option {pair}: expected KEY=VALUE, e.g. mip_heuristic_effort=0.3"
            )
        if key in own:
            raise UsageError(f"--solver-option {pair}: fabplan sets {key} itself; use {own[key]}")
        if key in result:
            raise UsageError(f"--solver-option {pair}: {key} is given twice")
        result[key] = check_option(key, value)
    return result


def output_file(option: str, path: Path | None, suffixes: tuple[str, ...] = ()) -> Path | None:
    """A file an option will write: its folder must exist and be writable, and it must not be a
    folder itself; checked before solving so the file is never silently missing afterwards."""
    if path is None:
        return None
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {path}: the file must end in {' or '.join(suffixes)}")
    folder = path.parent
    if not folder.exists():
        raise UsageError(f"{option} {path}: folder {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: {folder} is not a folder")
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a folder; expected a file name")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"{option} {path}: not writable")
    return path


def check_request(req) -> None:
    """Every option of a run.SolveRequest (for callers other than the CLI, e.g. sweeps)."""
    time_limit(req.time_limit)
    mip_gap(req.mip_gap)
    cvar_alpha(req.cvar_alpha)
    risk_weight(req.risk_weight)
    parallel("--threads", req.threads)
    output_file("--solver-log", req.solver_log)
    output_file("--write-model", req.write_model, MODEL_SUFFIXES)
    if req.highs_options:
        from optimizer.solve.highs_options import as_text

        # a sweep may pass mip_rel_gap and threads this way when it leaves their fields unset
        unset = {"mip_rel_gap": req.mip_gap, "threads": req.threads}
        own = {k: f for k, f in OWN_SOLVER_OPTIONS.items() if unset.get(k, 0) is not None}
        solver_options([f"{k}={as_text(v)}" for k, v in req.highs_options.items()], own)
