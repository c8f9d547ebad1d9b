"""Whether the two compared plans decide at the same time (issue 15, section 1: stages).

A staged plan makes its decisions dated before the stage year once for every scenario and the
later ones per scenario, when the scenario is known; an unstaged plan (one scenario, or a
two-stage hedge) makes them all now. Comparing the two mixes a difference in decisions with a
difference in what the plan may wait for, so compare says so, and says that a staged plan's
builds, capacity, capital and contracts are read as expected values over its scenarios.
"""

from __future__ import annotations

from optimizer.plan.read import Plan


def staging_sentence(a: Plan, b: Plan) -> str | None:
    """One sentence when either plan is staged and the two do not stage alike; None else."""
    ya, yb = (p.stage_year if p.staged else None for p in (a, b))
    if ya == yb:
        return None
    if ya is not None and yb is not None:
        return (
            f"The plans wait for the demand scenario from different years (plan A decides per "
            f"scenario from {ya}, plan B from {yb}); their builds, capacity, capital and "
            "contracts below are expected values over the scenarios, so the differences mix "
            "changed decisions with a changed stage year."
        )
    side, year, other = ("A", ya, "B") if ya is not None else ("B", yb, "A")
    return (
        f"Plan {side} is staged: its decisions before {year} are the same in every scenario, "
        f"later ones are made per scenario once the scenario is known, while plan {other} makes "
        f"every decision now. Plan {side}'s builds, capacity, capital and contracts below are "
        "expected values over its scenarios, so the differences mix changed decisions with the "
        "value of waiting."
    )
