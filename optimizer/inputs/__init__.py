"""Input data: the CSV contract (schema), loading and validation into a Case.

Public API: load_case, parse_overrides (the `--set` grammar: see overrides.py),
default_data_dir, Case, Params.
"""

from optimizer.inputs.case import IMPLICIT_PARTNER, Case, Params
from optimizer.inputs.load import default_data_dir, load_case
from optimizer.inputs.overrides import parse_overrides

__all__ = [
    "IMPLICIT_PARTNER",
    "Case",
    "Params",
    "default_data_dir",
    "load_case",
    "parse_overrides",
]
