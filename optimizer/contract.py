"""Names shared by the model, the plan tables, the verifier and the report (docs/plan-tables.md).

Constants only, no logic and no heavy imports, so the independent verifier and the report can use
them without touching the model code.
"""

from __future__ import annotations

# costs.csv components, in report order; they sum to summary.json objective_usd
COST_COMPONENTS = (
    "financing",
    "site_fixed",
    "energy_capacity",
    "operations",
    "operator_opex",
    "purchases",
    "energy",
    "carbon",
    "shipping",
    "unmet_demand",
)
