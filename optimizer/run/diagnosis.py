"""Diagnosis hooks of a solve: why there is no plan, said in the inputs' terms.

Three moments: before building (the screen finds inputs that cannot work), while building or
handing off (a constraint that fails on the data alone) and after solving (an elastic re-solve
finds the smallest changes that make a plan possible). The explanation is saved beside the plan
folder and carried by the NoPlanError the CLI prints.
"""

from __future__ import annotations

from pathlib import Path

from optimizer import console
from optimizer.errors import NoPlanError
from optimizer.inputs import Case
from optimizer.model.registry import family


def screen_inputs(case: Case, out_dir: Path) -> None:
    """Say before building anything when the inputs cannot work (or will leave demand unmet)."""
    from optimizer.diagnose import screen
    from optimizer.inputs.stage_checks import stage_warnings

    for w in stage_warnings(case):  # one-scenario solves: none (stages need two scenarios)
        console.warn(str(w))
    findings = screen(case)
    errors = [f for f in findings if f.severity == "error"]
    for f in findings:
        if f.severity != "error":
            console.warn(str(f))
    if errors:
        error = NoPlanError(
            "no plan is possible with these inputs (found before building the model):",
            "infeasible",
            [str(f) for f in errors],
        )
        save_diagnosis(out_dir, error)
        raise error


def diagnose_infeasible(case: Case, out_dir: Path, error: NoPlanError) -> NoPlanError:
    """Re-solve with every hard constraint elastic and explain the smallest violations."""
    from optimizer.diagnose import explain
    from optimizer.model import ModelOptions, build_model
    from optimizer.model.elastic import violations
    from optimizer.solve import SolverOptions, compile_model, solve

    with console.step("diagnose (elastic re-solve)"):
        ctx = build_model(case, case.scenario_probabilities, ModelOptions(elastic=True))
        sol = solve(ctx, compile_model(ctx), SolverOptions())
    if sol.has_solution:
        lines = explain(case, violations(ctx, sol))
        if lines:
            error = NoPlanError(
                "no plan satisfies every constraint. The smallest changes to the inputs that "
                "would make one possible:",
                "infeasible",
                lines,
            )
    save_diagnosis(out_dir, error)
    return error


def save_diagnosis(out_dir: Path, error: NoPlanError) -> None:
    """Keep the diagnosis beside (not inside) the plan folder: the previous plan stays intact."""
    from optimizer.atomic import write_file_atomic
    from optimizer.plan.write import diagnosis_path

    path = diagnosis_path(out_dir)  # removed again by the next successful write_plan
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join([str(error), *[f"  {line}" for line in error.details]]) + "\n"
    write_file_atomic(path, text)
    error.details.append(f"(diagnosis saved to {path})")


def trivial(e) -> NoPlanError:
    """A constraint family that fails on the input data alone (found while building)."""
    fam = e.family
    rows = fam.index.iloc[e.rows[:5]]
    what = family(fam.name).words
    details = [", ".join(f"{k}={v}" for k, v in r.items()) for _, r in rows.iterrows()]
    return NoPlanError(
        f"no plan is possible: {what} cannot hold for the input data even before solving "
        f"(e.g. existing capacity already above a concentration cap). Rows:",
        "infeasible",
        details,
    )


def no_plan(sol, ctx) -> NoPlanError:
    """Why the solver ended without a plan, and what to do about it."""
    if sol.status in ("infeasible", "infeasible_or_unbounded"):
        hard = [f.words for n in ctx.families if not (f := family(n)).always_holds]
        return NoPlanError(
            "no plan satisfies all constraints (HiGHS: "
            f"{sol.termination}). Unmet demand is always allowed at a penalty, so the conflict is "
            "among the hard limits; check these inputs first:",
            "infeasible",
            hard,
        )
    if sol.status == "unbounded":
        return NoPlanError(
            f"the model is unbounded (HiGHS: {sol.termination}): a cost coefficient is negative "
            "somewhere (e.g. a negative price or penalty); check the inputs",
            "unbounded",
        )
    if sol.status == "time_limit":
        return NoPlanError(
            "the time limit was reached before any feasible plan was found; raise --time-limit",
            "time_limit",
        )
    return NoPlanError(f"the solver stopped without a plan: {sol.termination}", sol.status)
