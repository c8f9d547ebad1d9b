"""The plan folder: its table schema, reading, atomic writing and the statistics derived from it.

Pandas only (no Pyomo), so the report, compare and verify can all use it; extraction from the
solved model lives beside the solve (optimizer.solve.extract)."""

from optimizer.plan.write import write_plan

__all__ = ["write_plan"]
