"""The report generator: a plan folder in, report.md / report.html / plan.xlsx out.

Reads only the plan folder (CSV tables + summary.json): never the input data, never Pyomo.

    write_reports(plan_dir, ["html", "md", "xlsx"]) -> [paths written]
    print_summary(plan_dir)                          -> compact terminal summary
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from optimizer.errors import UsageError

FORMATS = ("html", "md", "xlsx")
_ALIASES = {"markdown": "md", "excel": "xlsx", "htm": "html"}
FILE_NAMES = {"html": "report.html", "md": "report.md", "xlsx": "plan.xlsx"}
CHART_DIR = "charts"


def parse_formats(text: str | list[str] | None) -> list[str]:
    """'html,md,xlsx' (or a list) -> ['html', 'md', 'xlsx']; unknown names are a usage error."""
    if text is None:
        return list(FORMATS)
    parts = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    out: list[str] = []
    for raw in parts:
        name = _ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if not name:
            continue
        if name not in FORMATS:
            raise UsageError(
                f"unknown report format '{raw.strip()}'; expected a comma-separated list of "
                f"{', '.join(FORMATS)}"
            )
        if name not in out:
            out.append(name)
    if not out:
        raise UsageError(f"no report format given; expected some of {', '.join(FORMATS)}")
    return out


def write_reports(plan_dir: Path, formats: list[str] | None = None) -> list[Path]:
    """Write the requested reports into the plan folder; returns the files written
    (charts/*.svg beside report.md are included when Markdown is written)."""
    from optimizer.report import excel, html, markdown
    from optimizer.report.reader import read_plan
    from optimizer.report.sections import build_document

    plan_dir = Path(plan_dir)
    wanted = parse_formats(formats if formats is not None else None)
    plan = read_plan(plan_dir)
    written: list[Path] = []
    doc = build_document(plan) if {"html", "md"} & set(wanted) else None
    if "html" in wanted:
        written.append(_write_text(plan_dir / FILE_NAMES["html"], html.render(doc)))
    if "md" in wanted:
        written.append(_write_text(plan_dir / FILE_NAMES["md"], markdown.render(doc)))
        written += _write_charts(plan_dir / CHART_DIR, doc)
    if "xlsx" in wanted:
        target = plan_dir / FILE_NAMES["xlsx"]
        tmp = target.with_name(f".{target.name}.tmp")
        excel.write_workbook(plan, tmp)
        os.replace(tmp, target)
        written.append(target)
    return written


def print_summary(plan_dir: Path, reports: list[Path] | None = None) -> None:
    """Compact terminal summary of the plan (see optimizer.report.terminal)."""
    from optimizer.report.terminal import print_summary as _print

    _print(plan_dir, reports)


def _write_text(path: Path, text: str) -> Path:
    """Write atomically (temp file, then rename) with Unix newlines, so bytes never vary."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
    return path


def _write_charts(folder: Path, doc) -> list[Path]:
    """charts/<name>.svg for the Markdown report; stale SVGs from an older report go."""
    folder.mkdir(exist_ok=True)
    names = {f"{c.name}.svg" for c in doc.charts}
    for old in folder.glob("*.svg"):
        if old.name not in names:
            old.unlink()
    return [_write_text(folder / f"{c.name}.svg", c.svg) for c in doc.charts]


__all__ = ["FORMATS", "parse_formats", "print_summary", "write_reports"]
