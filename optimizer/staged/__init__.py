"""Staged hedged plans (parameters.csv `stage_year`): decide now, adapt later.

Decisions dated before the stage year are taken once, for every scenario; decisions from it on
are taken per scenario once its demand is known. The plan is the extensive form: a copy of the
model per scenario, stacked and tied by non-anticipativity rows (stack.py), solved by HiGHS as
one LP or MIP, and cut back into one plan whose decision tables carry a scenario column
(split.py). Without a stage year inside the horizon a hedged plan is the two-stage plan it
always was (optimizer/run/hedged.py).
"""

from optimizer.staged.split import scenario_solution, staged_plan
from optimizer.staged.stack import StagedModel, build_staged

__all__ = ["StagedModel", "build_staged", "scenario_solution", "staged_plan"]
