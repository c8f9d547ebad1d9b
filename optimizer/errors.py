"""Typed errors the CLI turns into exit codes and plain messages (never a traceback)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One input problem, located where a user would look for it in an editor."""

    file: str
    line: int | None
    column: str | None
    value: object
    expected: str
    severity: str = "error"  # "error" stops the run; "warning" is printed only

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [where]
        if self.column is not None:
            parts.append(f" column '{self.column}'")
        if self.value is not None:
            parts.append(f": value '{self.value}'")
        text = "".join(parts)
        sep = " — " if (self.column is not None or self.value is not None) else ": "
        return f"{text}{sep}{self.expected}"


class FabplanError(Exception):
    """Base class: every error fabplan raises on purpose carries an exit code."""

    exit_code = 1


class InputError(FabplanError):
    """Bad input data or usage: exit code 2, every problem listed."""

    exit_code = 2

    def __init__(self, problems: list[Problem], warnings: list[Problem] | None = None):
        self.problems = problems
        self.warnings = warnings or []
        n = len(problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} in the input data")


class UsageError(FabplanError):
    """A command-line option that cannot be honoured: exit code 2."""

    exit_code = 2


class NoPlanError(FabplanError):
    """The run could not produce a plan (infeasible, unbounded, solver failure): exit code 1."""

    exit_code = 1

    def __init__(self, message: str, termination: str = "error", details: list[str] | None = None):
        self.termination = termination
        self.details = details or []
        super().__init__(message)
