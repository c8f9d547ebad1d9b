"""`fabplan verify`: an independent check that a plan honours every constraint of the model.

Written with pandas/numpy only: it never imports the model, the solver code or Pyomo. It reads
summary.json and the plan tables (docs/plan-tables.md), reloads the inputs the plan records
(data_dir, overrides; sha256 of every input file compared), then checks each constraint family
row by row, recomputes every cost component and the objective, and lists every violation in
plain words with its numbers. It proves feasibility and consistent costs, not optimality.

The rest of the plan must belong to the same solution: the plan's copies of inputs (copies.py),
scenario_costs.csv (scenario_costs.py), prices.csv and binding.csv (duals.py, with the limit rows
each checker module declares in LIMITS, limits.py), and a status that is optimal or time-limited
(provenance.check_status); see docs/plan-tables.md "What fabplan verify checks beyond the
constraints".

A staged plan (summary.json stage_year) is checked by staged.py: its decide-now / per-scenario
labels against the stage year, then every check on each scenario's view of the plan, and
costs.csv as the probability-weighted sum of the scenarios' recomputed costs.

Tolerance (optimizer/verify/tolerance.py has the reasoning): a row is violated when it misses
its bound by more than max(1e-6 x the row's largest side, an absolute floor of 0.01 in the
row's unit for wafers/GPUs/wspm/MWh/MW/t, 1 USD for money, 1e-6 for open and shares). Cost
components must match costs.csv within max(1e-6 x component, 1e-9 x objective, 1 USD), and
costs.csv and the recomputed components must sum to objective_usd within 1e-6 relative.
"""

from optimizer.verify.command import run_verify_command
from optimizer.verify.result import VerifyResult
from optimizer.verify.run import verify_plan

__all__ = ["VerifyResult", "run_verify_command", "verify_plan"]
