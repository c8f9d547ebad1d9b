"""Write comparison.md / comparison.html into a folder atomically, never over a plan.

The files go to a temporary sibling folder first, which then replaces the output folder in one
rename (optimizer.atomic, shared with plans). Which folders may be written is decided by
optimizer.outputs: new, empty or a previous comparison; never a plan folder or one holding it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from optimizer.atomic import replace_folder, write_text
from optimizer.compare.comparison import Comparison
from optimizer.errors import UsageError
from optimizer.outputs import COMPARISON, claim_output

FORMATS = ("md", "html")
FILE_NAMES = {"md": "comparison.md", "html": "comparison.html"}


def default_out_dir(plan_a: Path, plan_b: Path) -> Path:
    """reports/compare-<A>-vs-<B>/, named after the two plan folders."""
    return Path("reports") / f"compare-{_name(plan_a)}-vs-{_name(plan_b)}"


def write_comparison(
    comparison: Comparison, out_dir: Path, formats: Iterable[str] = FORMATS
) -> list[Path]:
    """Write the requested formats into `out_dir` (replaced as a whole); return the files."""
    from optimizer.compare.document import PAGE, build_document
    from optimizer.render import html, markdown

    wanted = _formats(formats)
    out_dir = Path(out_dir)
    plans = [comparison.plan_a.folder, comparison.plan_b.folder]
    with claim_output(out_dir, COMPARISON, plan_inputs(plans)):
        doc = build_document(comparison)
        texts = {"md": lambda: markdown.render(doc), "html": lambda: html.render(doc, PAGE)}

        def fill(tmp: Path) -> None:
            for fmt in wanted:
                write_text(tmp / FILE_NAMES[fmt], texts[fmt]())

        replace_folder(out_dir, fill)
    return [out_dir / FILE_NAMES[fmt] for fmt in wanted]


def plan_inputs(plans: Iterable[Path]) -> list[tuple[str, Path]]:
    """The plan folders a comparison reads: its --out must stay clear of them."""
    return [("plan folder", Path(plan)) for plan in plans]


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
