"""Write comparison.md / comparison.html into a folder atomically, never over a plan.

The files go to a temporary sibling folder first, which then replaces the output folder in one
rename (optimizer.atomic, shared with plans).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from optimizer.atomic import replace_folder, write_text
from optimizer.compare.comparison import Comparison
from optimizer.errors import UsageError

FORMATS = ("md", "html")
FILE_NAMES = {"md": "comparison.md", "html": "comparison.html"}


def default_out_dir(plan_a: Path, plan_b: Path) -> Path:
    """reports/compare-<A>-vs-<B>/, named after the two plan folders."""
    return Path("reports") / f"compare-{_name(plan_a)}-vs-{_name(plan_b)}"


def write_comparison(
    comparison: Comparison, out_dir: Path, formats: Iterable[str] = FORMATS
) -> list[Path]:
    """Write the requested formats into `out_dir` (replaced as a whole); return the files."""
    from optimizer.compare import html
    from optimizer.compare.document import build_document
    from optimizer.report import markdown

    wanted = _formats(formats)
    out_dir = Path(out_dir)
    _check_target(out_dir, [comparison.plan_a.folder, comparison.plan_b.folder])
    doc = build_document(comparison)
    texts = {"md": lambda: markdown.render(doc), "html": lambda: html.render(doc)}

    def fill(tmp: Path) -> None:
        for fmt in wanted:
            write_text(tmp / FILE_NAMES[fmt], texts[fmt]())

    replace_folder(out_dir, fill)
    return [out_dir / FILE_NAMES[fmt] for fmt in wanted]


def _check_target(out_dir: Path, plans: list[Path]) -> None:
    """Refuse to replace a plan folder, a folder holding one, or a folder of other files."""
    target = out_dir.resolve()
    for plan in plans:
        p = Path(plan).resolve()
        if target == p or target in p.parents:
            raise UsageError(
                f"--out {out_dir} would replace the plan folder {plan}; choose another folder"
            )
    if out_dir.exists():
        if not out_dir.is_dir():
            raise UsageError(f"--out {out_dir} is a file; choose a folder")
        others = sorted(p.name for p in out_dir.iterdir() if p.name not in FILE_NAMES.values())
        if others:
            raise UsageError(
                f"--out {out_dir} already holds other files ({', '.join(others[:3])}"
                f"{', ...' if len(others) > 3 else ''}); a comparison replaces its folder as a "
                "whole, so choose an empty or new folder"
            )


def _formats(formats: Iterable[str]) -> list[str]:
    out: list[str] = []
    for f in formats:
        name = {"markdown": "md", "htm": "html"}.get(f.strip().lower(), f.strip().lower())
        if name not in FORMATS:
            raise UsageError(f"unknown comparison format '{f}'; expected md or html")
        if name not in out:
            out.append(name)
    if not out:
        raise UsageError("no comparison format given; expected md, html or both")
    return out


def _name(folder: Path) -> str:
    return Path(folder).resolve().name or "plan"
