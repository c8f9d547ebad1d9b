"""Render the report as GitHub-flavoured Markdown; charts are SVG files in charts/ beside it.

Output depends only on the plan, so regenerating it gives the same bytes. Every plan string is
escaped, so a name full of Markdown or HTML syntax shows as typed.
"""

from __future__ import annotations

import re

from optimizer.render.document import (
    Bullets,
    Document,
    Figure,
    Heading,
    Paragraph,
    Strong,
    Table,
)

CHART_DIR = "charts"
_SPECIALS = re.compile(r"([\\`*\[\]<>|#~&])")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def escape(text: str) -> str:
    """Backslash-escape Markdown syntax (and raw HTML) in plain text; keep intraword `_`
    (US_AZ stays readable: CommonMark does not emphasise inside words)."""
    text = str(text).replace("\r", " ").replace("\n", " ")
    text = _SPECIALS.sub(r"\\\1", text)
    return _UNDERSCORE.sub(r"\\_", text)


def cell(text: object) -> str:
    """Text safe inside a table cell: one line, Markdown and HTML syntax escaped (`|` included),
    so a user's case name or message shows as typed."""
    return escape(" ".join(str(text).split()))


def anchor(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    slug = re.sub(r"[^\w\- ]", "", heading.lower(), flags=re.UNICODE)
    return slug.replace(" ", "-")


def render(doc: Document) -> str:
    out: list[str] = [f"# {escape(doc.title)}", "", escape(doc.subtitle), ""]
    if doc.alert:
        out += [f"> **NOT PROVEN OPTIMAL.** {escape(doc.alert)}", ""]
    out += ["## Contents", ""]
    for s in doc.sections:
        out.append(f"{s.number}. [{escape(s.title)}](#{anchor(s.heading)})")
        for h in s.subsections:
            out.append(f"   - [{escape(h.text)}](#{anchor(h.text)})")
    out.append("")
    for s in doc.sections:
        out += [f"## {escape(s.heading)}", ""]
        if s.number == 1:
            for w in doc.warnings:
                out += [f"> **Warning:** {escape(w)}", ">"]
            if doc.warnings:
                out[-1] = ""
        out += [_paragraph(s.lead), ""]
        for block in s.blocks:
            out += _block(block)
    return "\n".join(out).rstrip("\n") + "\n"


def _paragraph(p: Paragraph) -> str:
    return "".join(f"**{escape(r.text)}**" if isinstance(r, Strong) else escape(r) for r in p.runs)


def _block(block) -> list[str]:
    if isinstance(block, Paragraph):
        return [_paragraph(block), ""]
    if isinstance(block, Heading):
        return [f"### {escape(block.text)}", ""]
    if isinstance(block, Bullets):
        marks = [f"{i + 1}." if block.ordered else "-" for i in range(len(block.items))]
        return [f"{m} {_paragraph(p)}" for m, p in zip(marks, block.items, strict=True)] + [""]
    if isinstance(block, Figure):
        c = block.chart
        return [
            f"![{escape(c.alt)}]({CHART_DIR}/{c.name}.svg)",
            "",
            f"*{escape(block.caption)}*",
            "",
        ]
    if isinstance(block, Table):
        return _table(block)
    raise TypeError(f"unknown block {type(block).__name__}")


def _table(t: Table) -> list[str]:
    rule = {"l": ":--", "r": "--:"}
    lines = [f"**{escape(t.caption)}**", ""]
    lines.append("| " + " | ".join(escape(c) for c in t.columns) + " |")
    lines.append("|" + "|".join(rule[a] for a in t.align) + "|")
    for row in t.rows:
        lines.append("| " + " | ".join(escape(c) for c in row) + " |")
    if t.total is not None:
        lines.append("| " + " | ".join(f"**{escape(c)}**" if c else "" for c in t.total) + " |")
    lines.append("")
    if t.note:
        lines += [f"*{escape(t.note)}*", ""]
    return lines
