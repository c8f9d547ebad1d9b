"""Staged hedged plans (parameters.csv `stage_year`): decide now, adapt later.

Decisions dated before the stage year are taken once, for every scenario; decisions from it on
are taken per scenario once its demand is known. The plan is the extensive form: a copy of the
model per scenario, stacked and tied by non-anticipativity rows (stack.py), solved by HiGHS as
one LP or MIP, and cut back into one plan whose decision tables carry a scenario column
(split.py). `build_for` gives a case the model its scenarios call for, so every run step that
builds a hedged model (optimizer/run/steps.py, hedged.py) makes the staged one under a stage
year; without a stage year inside the horizon a hedged plan is the two-stage plan it always was.
"""

from optimizer.staged.split import scenario_solution, staged_plan
from optimizer.staged.stack import StackedContext, build_for, build_staged

__all__ = [
    "StackedContext",
    "build_for",
    "build_staged",
    "scenario_solution",
    "staged_plan",
]
