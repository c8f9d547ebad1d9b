"""What a solve is asked to do (`SolveRequest`) and what it gives back (`SolveResult`).

The CLI, sweeps and benchmarks all fill the same request, so every caller solves the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from optimizer import console
from optimizer.errors import UsageError

if TYPE_CHECKING:
    from optimizer.model import ModelOptions
    from optimizer.solve import SolverOptions


@dataclass
class SolveRequest:
    data_dir: Path
    out_dir: Path | None = None
    scenario: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    integer: bool = False
    stochastic: bool = False
    cvar_alpha: float | None = None
    risk_weight: float = 0.0
    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    solver_log: Path | None = None
    write_model: Path | None = None
    highs_options: dict[str, object] = field(default_factory=dict)  # --solver-option, typed
    report_formats: tuple[str, ...] = ("html", "md", "xlsx")

    def solver_options(self) -> SolverOptions:
        """HiGHS's options; its log shows on the terminal with -v."""
        from optimizer.solve import SolverOptions

        return SolverOptions(
            time_limit=self.time_limit,
            mip_gap=self.mip_gap,
            threads=self.threads,
            solver_log=self.solver_log,
            log_to_console=console.verbosity() >= 2,
            extra=dict(self.highs_options),
        )

    def model_options(self) -> ModelOptions:
        from optimizer.model import ModelOptions

        return ModelOptions(
            integer=self.integer, cvar_alpha=self.cvar_alpha, risk_weight=self.risk_weight
        )


def check_scenario_options(
    scenario: str | None, stochastic: bool, cvar_alpha: float | None
) -> None:
    """The scenario options that contradict each other (a solve's and a sweep's, before
    anything is loaded)."""
    if stochastic and scenario:
        raise UsageError("--stochastic plans over all scenarios; drop --scenario")
    if cvar_alpha is not None and not stochastic:
        raise UsageError("--cvar needs --stochastic (risk is measured across scenarios)")


@dataclass
class SolveResult:
    out_dir: Path
    summary: dict
    tables: dict[str, pd.DataFrame]
    previous: Path | None
