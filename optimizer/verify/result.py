"""What a verification found: violations, warnings, rows checked per family, and costs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from optimizer.verify.tolerance import DESCRIPTION

SHOWN_PER_FAMILY = 20  # violations printed per family unless --verbose


@dataclass
class Findings:
    """Collector every check writes into; each message starts with its family name."""

    violations: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)

    def checked(self, family: str, rows: int) -> None:
        self.checks[family] = self.checks.get(family, 0) + int(rows)

    def violate(self, family: str, text: str) -> None:
        self.violations.append(f"{family}: {text}")

    def warn(self, family: str, text: str) -> None:
        self.warnings.append(f"{family}: {text}")


@dataclass
class VerifyResult:
    """The outcome of `verify_plan`; `ok` is True when no constraint is violated."""

    plan_dir: Path
    data_dir: Path
    violations: list[str]
    warnings: list[str]
    checks: dict[str, int]
    costs: pd.DataFrame  # component, plan_npv_usd, recomputed_npv_usd
    objective_usd: float
    recomputed_objective_usd: float
    inputs_unchanged: bool

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary_lines(self, show_all: bool = False) -> list[str]:
        """Plain text for the terminal: what was checked, the costs, then every violation."""
        lines = [
            f"verify {self.plan_dir} against {self.data_dir}"
            + ("" if self.inputs_unchanged else " (input files differ from the plan's)"),
            f"tolerance: {DESCRIPTION}",
            "checked: " + ", ".join(f"{fam} {n:,}" for fam, n in self.checks.items()),
            f"{'component':<16} {'plan NPV USD':>22} {'recomputed NPV USD':>22}",
        ]
        for row in self.costs.itertuples(index=False):
            plan, mine = _usd(row.plan_npv_usd), _usd(row.recomputed_npv_usd)
            lines.append(f"{row.component:<16} {plan:>22} {mine:>22}")
        lines.append(
            f"{'objective':<16} {_usd(self.objective_usd):>22} "
            f"{_usd(self.recomputed_objective_usd):>22}"
        )
        for w in self.warnings:
            lines.append(f"warning: {w}")
        if self.ok:
            lines.append("OK: the plan satisfies every constraint and its costs add up")
            return lines
        n = len(self.violations)
        lines.append(f"{n:,} violation{'s' if n != 1 else ''}:")
        shown: dict[str, int] = {}
        for v in self.violations:
            fam = v.split(":", 1)[0]
            shown[fam] = shown.get(fam, 0) + 1
            if show_all or shown[fam] <= SHOWN_PER_FAMILY:
                lines.append(f"  {v}")
        for fam, count in shown.items():
            if not show_all and count > SHOWN_PER_FAMILY:
                lines.append(
                    f"  ... and {count - SHOWN_PER_FAMILY:,} more {fam} violations (-v shows all)"
                )
        return lines


def _usd(x: float) -> str:
    return "missing" if x != x else f"{x:,.2f}"
