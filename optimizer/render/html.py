"""Pages through ONE jinja2 environment: the report, the comparison and the sweep.

Autoescape is on for HTML, so every plan string is escaped; only matplotlib's SVG (whose text
matplotlib escapes itself) is inserted as markup. The report, the comparison and the sweep share
one page scaffold (templates/document.html.j2, inline CSS, no scripts); a Content-Security-Policy
forbids scripts and network requests, so a page cannot fetch anything even if opened in a
browser. Markdown templates (templates/*.md.j2, the sweep's) go through the same environment
without HTML escaping; their `md` and `mdcell` filters escape Markdown instead.
"""

from __future__ import annotations

from functools import cache

import jinja2
from markupsafe import Markup, escape

from optimizer.render import markdown
from optimizer.render.document import (
    Bullets,
    Document,
    Figure,
    Heading,
    Page,
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


@cache
def environment() -> jinja2.Environment:
    """The one jinja2 environment (templates from optimizer/templates, autoescape on)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("optimizer", "templates"),
        autoescape=jinja2.select_autoescape(disabled_extensions=("md.j2",), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["runs"] = _runs
    env.filters["kind"] = lambda block: _KINDS[type(block)]
    env.filters["svg"] = lambda figure: Markup(figure.chart.inline)
    env.filters["md"] = markdown.escape
    env.filters["mdcell"] = markdown.cell
    return env


def _runs(p: Paragraph) -> Markup:
    return Markup("").join(
        Markup("<strong>{}</strong>").format(r.text) if isinstance(r, Strong) else escape(r)
        for r in p.runs
    )


def render(doc: Document, page: Page) -> str:
    """The document as one self-contained HTML page."""
    return environment().get_template("document.html.j2").render(doc=doc, page=page)


def render_text(template: str, **context: object) -> str:
    """A Markdown template, whitespace as written (no block trimming: the layout is the text)."""
    return _text_environment().get_template(template).render(**context)


@cache
def _text_environment() -> jinja2.Environment:
    """The one environment with its whitespace kept (it shares loader, filters and policy)."""
    return environment().overlay(trim_blocks=False, lstrip_blocks=False)
