"""`fabplan alternatives`: near-optimal alternatives (modelling to generate alternatives, MGA).

Solve the least-cost plan (cost C*), then minimise and maximise each item's total (a partner's
capital, a site's built capacity, ...) subject to cost <= (1 + slack) x C*, and write one
maximally different plan. See docs/alternatives.md.
"""

from optimizer.alternatives.command import DIMENSIONS, run_alternatives

__all__ = ["DIMENSIONS", "run_alternatives"]
