"""Hand the Pyomo model to HiGHS and bring the solution back as numpy arrays."""

from optimizer.solve.highs import Solution, SolverOptions, compile_model, solve

__all__ = ["Solution", "SolverOptions", "compile_model", "solve"]
