"""Assumptions: parameters, scenarios, input hashes, software and run."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from optimizer.plan.read import Plan
from optimizer.render.document import (
    Section,
    para,
    table,
)
from optimizer.render.fmt import (
    gap,
    number,
    pct,
    year,
)
from optimizer.report.sections import integer
from optimizer.report.sections.common import (
    scenario_name,
    years_text,
)

KEY = "assumptions"


@dataclass(frozen=True)
class AssumptionNumbers:
    """What the assumptions section lists: the run's summary, parameters and scenarios."""

    summary: dict  # summary.json
    params: dict  # the case parameters
    weights: dict[str, float]  # scenario -> probability
    scenario: str  # the scenario's name (or the scenarios')
    years: str  # "2025–2040"
    gap_tolerance: float | None  # the --mip-gap of an integer plan
    rendered_with: str  # "Python 3.12.3, pandas 2.2.3, ..."


# Stages timed only once the report is written (the write itself, the whole run): a report
# rendered during the solve cannot know them, so none shows them and a re-render is identical.
AFTER_THE_REPORT = ("write_s", "total_s")


def numbers(plan: Plan, whole: integer.IntegerNumbers) -> AssumptionNumbers:
    """The assumptions section's bundle from the plan folder."""
    return AssumptionNumbers(
        summary=plan.summary,
        params=plan.params,
        weights=dict(plan.scenario_weights),
        scenario=scenario_name(plan),
        years=years_text(plan),
        gap_tolerance=whole.gap_tolerance if plan.integer else None,
        rendered_with=", ".join(
            [f"Python {platform.python_version()}"]
            + [f"{p} {_version(p)}" for p in ("pandas", "matplotlib", "jinja2", "xlsxwriter")]
        ),
    )


def section(n: AssumptionNumbers) -> Section:
    """Section 8: the parameters, scenarios, input hashes, software and run behind the plan."""
    s, scenario, weights = n.summary, n.scenario, n.weights
    overrides = s.get("overrides") or {}
    runs = [
        (
            f"This plan was solved over {len(weights)} demand scenarios ("
            + ", ".join(f"{k} {pct(v, 0)}" for k, v in weights.items())
            + ")"
            if len(weights) > 1
            else f"This plan was solved for scenario {scenario}"
        )
        + f" for {n.years}"
        + _risk_text(s)
        + (
            ", as an integer plan (sites open or not, builds in whole modules; the solver "
            f"stops within a gap of {gap(n.gap_tolerance)})"
            if n.gap_tolerance is not None
            else ""
        )
        + ". The parameters below drive it; the input files are "
        "identified by their SHA-256 hashes, so anyone can check they have the same data. ",
        (
            f"Parameters changed on the command line: "
            f"{', '.join(f'{k}={v}' for k, v in sorted(overrides.items()))}. "
            if overrides
            else "No parameter was overridden on the command line. "
        ),
        f"Data folder: {s.get('data_dir', 'unknown')}.",
    ]
    section = Section(KEY, 8, "Assumptions", para(*runs))
    params = n.params
    section.blocks.append(
        table(
            "parameters",
            "Parameters",
            ("Parameter", "Value"),
            [(k, _param(k, params[k])) for k in params],
            "ll",
        )
    )
    section.blocks.append(
        table(
            "scenarios",
            "Scenarios",
            ("Scenario", "Probability"),
            [(k, number(v, 4)) for k, v in weights.items()],
            "lr",
        )
    )
    inputs = s.get("inputs") or {}
    section.blocks.append(
        table(
            "inputs",
            "Input files",
            ("File", "SHA-256"),
            [(k, str(v)) for k, v in sorted(inputs.items())],
            "ll",
        )
    )
    section.blocks.append(
        table(
            "software",
            "Software and run",
            ("Item", "Value"),
            _software_rows(n),
            "ll",
        )
    )
    return section


def _risk_text(summary: dict) -> str:
    risk = summary.get("risk") or {}
    alpha, weight = risk.get("cvar_alpha"), risk.get("risk_weight")
    if alpha is None:
        return ""
    return (
        f", risk-averse: the objective weights the worst {pct(1 - float(alpha), 0)} of outcomes "
        f"(CVaR at {alpha}) by {weight}"
    )


def _software_rows(n: AssumptionNumbers) -> list[tuple[str, str]]:
    s = n.summary
    solver = s.get("solver") or {}
    rows = [
        ("fabplan", str(s.get("fabplan_version", "unknown"))),
        ("Solver", f"{solver.get('name', 'unknown')} {solver.get('version', '')}".strip()),
        ("Mode", str(s.get("mode", "lp"))),
        ("Termination", str(s.get("termination", ""))),
        ("Created", str(s.get("created", ""))),
    ]
    if s.get("python"):
        rows.append(("Python (solve)", str(s["python"])))
    for k, v in sorted((s.get("software") or {}).items()):
        rows.append((str(k), str(v)))
    for k, v in sorted((s.get("options") or {}).items()):
        rows.append((f"option {k}", "default" if v is None else str(v)))
    size = s.get("size") or {}
    if size:
        rows.append(("Model size", ", ".join(f"{number(v)} {k}" for k, v in size.items())))
    timings = s.get("timings") or {}
    if timings:
        rows.append(
            (
                "Timings (s)",
                ", ".join(
                    f"{k.removesuffix('_s')} {v:.2f}"
                    for k, v in timings.items()
                    if isinstance(v, int | float) and k not in AFTER_THE_REPORT
                ),
            )
        )
    rows.append(("Report rendered with", n.rendered_with))
    return rows


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


def _param(name: str, value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_param(name, v) for v in value)
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int | float):
        if "year" in name and float(value).is_integer() and not name.endswith("years"):
            return year(value)
        if float(value).is_integer():
            return number(value)
        return f"{value:g}"
    return str(value)
