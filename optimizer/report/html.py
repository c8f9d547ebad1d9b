"""Render the report as one self-contained HTML file (inline CSS and SVG, no scripts).

Jinja2 with autoescape on: every plan string is escaped. Only matplotlib's SVG (whose text
matplotlib escapes itself) is inserted as markup. A Content-Security-Policy forbids scripts and
network requests, so the page cannot fetch anything even if opened in a browser.
"""

from __future__ import annotations

import jinja2
from markupsafe import Markup, escape

from optimizer.report.document import (
    Bullets,
    Document,
    Figure,
    Heading,
    Paragraph,
    Strong,
    Table,
)

_KINDS = {
    Paragraph: "paragraph",
    Bullets: "bullets",
    Table: "table",
    Figure: "figure",
    Heading: "heading",
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("optimizer", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["runs"] = _runs
    env.filters["kind"] = lambda block: _KINDS[type(block)]
    env.filters["svg"] = lambda figure: Markup(figure.chart.inline)
    return env


def _runs(p: Paragraph) -> Markup:
    return Markup("").join(
        Markup("<strong>{}</strong>").format(r.text) if isinstance(r, Strong) else escape(r)
        for r in p.runs
    )


def render(doc: Document) -> str:
    return _environment().get_template("report.html.j2").render(doc=doc)
