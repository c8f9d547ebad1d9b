"""The plan: plain result tables extracted from a solved model, and their atomic writing."""

from optimizer.plan.extract import extract_plan
from optimizer.plan.write import write_plan

__all__ = ["extract_plan", "write_plan"]
