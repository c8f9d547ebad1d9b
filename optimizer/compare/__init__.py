"""Compare two plan folders decision by decision (pandas only; never the inputs or Pyomo).

compare_plans(plan_a, plan_b)              -> Comparison (frames, warnings, sentences)
write_comparison(comparison, out_dir)      -> [comparison.md, comparison.html]
run_compare_command(plan_a, plan_b, out)   -> exit code, for `fabplan compare`
"""

from optimizer.compare.command import run_compare_command
from optimizer.compare.comparison import Comparison, compare_plans
from optimizer.compare.write import default_out_dir, write_comparison

__all__ = [
    "Comparison",
    "compare_plans",
    "default_out_dir",
    "run_compare_command",
    "write_comparison",
]
