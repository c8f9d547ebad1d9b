"""Which data the plan was made from: the folder, the sha256 of every input file, the
parameters with their overrides, and the scenarios with their probabilities."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import pandas as pd

from optimizer.errors import InputError, Problem
from optimizer.inputs.case import Case
from optimizer.verify.formatting import fmt
from optimizer.verify.plan import Plan
from optimizer.verify.result import Findings


def data_dir_of(plan: Plan, data_dir: Path | None) -> Path:
    """--data wins; else summary.json data_dir (see `recorded_data_dir`)."""
    where = f"{plan.plan_dir.name}/summary.json"
    if data_dir is None:
        recorded = plan.summary.get("data_dir")
        if not recorded:
            raise InputError(
                [Problem(where, None, "data_dir", None, "missing; pass --data DATA_DIR instead")]
            )
        data_dir = recorded_data_dir(plan, str(recorded))
        if not data_dir.is_dir():
            raise InputError(
                [
                    Problem(
                        where,
                        None,
                        "data_dir",
                        recorded,
                        "the data folder the plan was made from does not exist here; pass "
                        "--data DATA_DIR",
                    )
                ]
            )
    elif not Path(data_dir).is_dir():
        raise InputError([Problem(str(data_dir), None, None, None, "data folder not found")])
    return Path(data_dir)


def recorded_data_dir(plan: Plan, recorded: str) -> Path:
    """Find a recorded data folder: an absolute path as is; a relative one (plans record the
    path relative to the folder solve ran in, or the folder name) against the current folder,
    the plan folder and each folder above it. The first whose files have the recorded hashes
    wins, else the first that exists (verify then reports the changed inputs)."""
    path = Path(recorded)
    if path.is_absolute():
        return path
    bases = [Path.cwd(), plan.plan_dir]
    if ".." not in path.parts:  # the folders above the plan: for paths solve records
        bases += Path(plan.plan_dir).resolve().parents
    found = [base / path for base in bases if (base / path).is_dir()]
    hashes = plan.summary.get("inputs")
    for candidate in found:
        if (
            isinstance(hashes, dict)
            and hashes
            and all(
                (candidate / name).is_file() and sha256(candidate / name) == str(digest).lower()
                for name, digest in hashes.items()
            )
        ):
            return candidate.resolve()
    return (found[0] if found else plan.plan_dir / path).resolve()


def check_status(plan: Plan, findings: Findings) -> None:
    """Only two kinds of plan verify: an optimal one, and the best plan a time-limited run
    found (status time_limit, optimal false, options.time_limit set: fabplan writes it with a
    warning). Any other status (e.g. infeasible) means the tables are not a solution of the
    model. verify proves feasibility and costs, not optimality: a time-limited plan gets a
    warning saying so."""
    summary = plan.summary
    status, optimal = summary.get("status"), summary.get("optimal")
    limit = (summary.get("options") or {}).get("time_limit")
    timed = isinstance(limit, int | float) and not isinstance(limit, bool) and limit > 0
    said = f"summary.json status '{status}' (termination '{summary.get('termination', '?')}')"
    alternative = summary.get("alternative")
    if isinstance(alternative, dict):  # fabplan alternatives: near-optimal, not least cost
        findings.warn(
            "plan",
            f"a near-optimal alternative (cost within {alternative.get('slack', '?')} of the "
            "least cost), not a least-cost plan: it has no shadow prices, and verify checks "
            "feasibility and costs only",
        )
    if status == "optimal" and optimal is not False:
        return
    if status == "optimal":
        findings.violate(
            "status", f"{said} but optimal is {optimal}: the summary contradicts itself"
        )
    elif status == "time_limit" and timed and optimal is not True:
        gap = summary.get("mip_gap")
        findings.warn(
            "plan",
            f"status time_limit ({summary.get('termination', '?')}"
            + (f", gap {gap:.4g}" if isinstance(gap, int | float) else "")
            + f", time limit {limit:g} s): the plan is not proven optimal; verify checks "
            "feasibility and costs only",
        )
    elif status == "time_limit":
        findings.violate(
            "status",
            f"{said} but options.time_limit is {limit} and optimal is {optimal}: a plan marked "
            "time-limited must come from a run with --time-limit that stopped before proving "
            "optimality",
        )
    else:
        findings.violate(
            "status",
            f"{said}: only an optimal plan, or the best plan of a run stopped by --time-limit "
            "(status time_limit), is a plan",
        )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_inputs(plan: Plan, case: Case, data_dir: Path, findings: Findings) -> bool:
    """Compare each input file with its recorded sha256; True when all are unchanged."""
    recorded = plan.summary.get("inputs")
    if not isinstance(recorded, dict) or not recorded:
        findings.warn(
            "inputs", "summary.json records no input hashes: cannot tell whether the data changed"
        )
        return False
    unchanged = True
    for name, digest in sorted(recorded.items()):
        path = data_dir / name
        if not path.is_file():
            findings.violate(
                "inputs",
                f"{name} was used for the plan (summary.json) but is missing from {data_dir}: "
                f"the plan was made from different data",
            )
            unchanged = False
        elif sha256(path) != str(digest).lower():
            findings.violate(
                "inputs",
                f"{name} has changed since the plan was made (sha256 {sha256(path)[:12]}... now, "
                f"{str(digest)[:12]}... recorded in summary.json): the plan was made from "
                f"different data",
            )
            unchanged = False
    for name in sorted(set(case.files) - set(recorded)):
        findings.violate(
            "inputs",
            f"{name} is in {data_dir} but was not among the plan's inputs (summary.json): the "
            f"plan was made from different data",
        )
        unchanged = False
    findings.checked("inputs", len(set(recorded) | set(case.files)))
    return unchanged


def check_parameters(plan: Plan, case: Case, findings: Findings) -> None:
    """The parameters recorded in summary.json are the ones the data (+ overrides) give."""
    recorded = plan.summary.get("parameters")
    if not isinstance(recorded, dict):
        return
    n = 0
    for name, theirs in recorded.items():
        if not hasattr(case.params, name):
            continue
        ours = getattr(case.params, name)
        n += 1
        if name == "ramp_up":
            theirs_list = _as_fractions(theirs)
            if theirs_list is not None and not _same_ramp(theirs_list, list(ours)):
                findings.violate(
                    "inputs",
                    f"parameter ramp_up is {theirs} in summary.json but "
                    f"{';'.join(fmt(x) for x in ours) or '1'} from the data",
                )
        elif isinstance(ours, str):
            if ours and theirs and str(theirs) != ours:
                findings.violate(
                    "inputs",
                    f"parameter {name} is '{theirs}' in summary.json but '{ours}' from the data",
                )
        else:
            try:
                value = float(theirs)
            except (TypeError, ValueError):
                continue
            if not math.isclose(value, float(ours), rel_tol=1e-12, abs_tol=1e-12):
                findings.violate(
                    "inputs",
                    f"parameter {name} is {fmt(value)} in summary.json but {fmt(ours)} from the "
                    f"data and overrides {case.overrides or '{}'}",
                )
    findings.checked("inputs", n)


def _as_fractions(value: object) -> list[float] | None:
    try:
        if isinstance(value, str):
            return [float(x) for x in value.split(";") if x.strip()]
        if isinstance(value, list | tuple):
            return [float(x) for x in value]
        return [float(value)]
    except (TypeError, ValueError):
        return None


def _same_ramp(a: list[float], b: list[float]) -> bool:
    """Ramp-ups are equal when they give the same fraction every year (trailing 1s are moot)."""
    n = max(len(a), len(b))
    a = a + [1.0] * (n - len(a))
    b = b + [1.0] * (n - len(b))
    return all(math.isclose(x, y, abs_tol=1e-12) for x, y in zip(a, b, strict=True))


def scenario_probabilities(plan: Plan, case: Case, findings: Findings) -> pd.Series:
    """The scenarios the plan covers and their probabilities (summary.json `scenarios`)."""
    where = f"{plan.plan_dir.name}/summary.json"
    summary = plan.summary
    given = summary.get("scenarios")
    if not isinstance(given, dict) or not given:
        single = summary.get("scenario") or case.params.default_scenario
        if not single:
            raise InputError(
                [Problem(where, None, "scenarios", None, "expected the plan's scenarios")]
            )
        given = {single: 1.0}
    try:
        probs = pd.Series({str(k): float(v) for k, v in given.items()}, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            [Problem(where, None, "scenarios", given, "expected scenario -> probability")]
        ) from None
    known = case.scenarios.set_index("scenario")["probability"]
    for name in probs.index.difference(known.index):
        findings.violate("scenarios", f"scenario {name} of summary.json is not in the data")
    probs = probs[probs.index.isin(known.index)]
    if not math.isclose(float(probs.sum()), 1.0, abs_tol=1e-9):
        findings.violate(
            "scenarios", f"scenario probabilities in summary.json sum to {probs.sum():.9g}, not 1"
        )
    if len(probs) > 1:
        for name in probs.index:
            if not math.isclose(probs[name], float(known[name]), abs_tol=1e-9):
                findings.violate(
                    "scenarios",
                    f"scenario {name}: probability {fmt(probs[name])} in summary.json but "
                    f"{fmt(known[name])} in the data",
                )
    findings.checked("scenarios", len(probs))
    return probs
