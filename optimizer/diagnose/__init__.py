"""Why a case has no plan, in plain words: screening before the build, and explanations of the
violations an elastic re-solve finds (see `screen` and `explain`)."""

from __future__ import annotations

from optimizer.diagnose.explain import explain
from optimizer.diagnose.screen import screen

__all__ = ["explain", "screen"]
