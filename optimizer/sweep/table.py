"""sweep.csv: one tidy row per case, rewritten atomically after every finished case.

Columns: case, case_id, overrides (the expressions, `; `-separated), one column per varied input
(named by its override key, e.g. `sites.capex_usd_per_wspm*`, holding the case's value; empty
when the case does not override it), status, then the outputs: objective_usd, wspm_built,
unmet_gpus, capital_usd, co2_t, gpus_delivered, gpus_demanded, capital_raised_usd,
cost_excl_unmet_usd, binding_stage (what limits delivery: sweep/delivery.py),
capacity_<region>_wspm (installed in the last year), capital_<partner>_usd, and message (why a
case failed). Cases not run yet have status `pending`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from optimizer.atomic import write_file_atomic
from optimizer.sweep.cases import Design
from optimizer.sweep.delivery import COLUMNS as DELIVERY
from optimizer.sweep.worker import HEADLINE, CaseOutcome

PENDING = "pending"
TABLE_NAME = "sweep.csv"


def sweep_table(design: Design, outcomes: dict[str, CaseOutcome]) -> pd.DataFrame:
    """The table of every case in design order (outputs empty where a case has no plan)."""
    rows = []
    for case in design.cases:
        outcome = outcomes.get(case.case_id)
        row: dict[str, object] = {
            "case": case.name,
            "case_id": case.case_id,
            "overrides": "; ".join(case.expressions),
        }
        row.update({key: case.overrides.get(key) for key in design.varied})
        row["status"] = outcome.status if outcome else PENDING
        row.update(outcome.metrics if outcome else {})
        row["message"] = outcome.message if outcome else ""
        rows.append(row)
    table = pd.DataFrame(rows)
    extra = [
        c
        for c in table.columns
        if c.startswith(("capacity_", "capital_"))
        and c not in (*HEADLINE, *DELIVERY, *design.varied)  # capital_budget_musd is an input
    ]
    regions = sorted(c for c in extra if c.startswith("capacity_"))
    partners = sorted(c for c in extra if c.startswith("capital_"))
    columns = [
        "case",
        "case_id",
        "overrides",
        *design.varied,
        "status",
        *HEADLINE,
        *DELIVERY,
        *regions,
        *partners,
        "message",
    ]
    return table.reindex(columns=columns)


def write_table(table: pd.DataFrame, out_dir: Path) -> Path:
    """Write sweep.csv through a temporary file and a rename: readers never see half a table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_file_atomic(out_dir / TABLE_NAME, table.to_csv(index=False, lineterminator="\n"))
