"""A format-neutral document: sections of paragraphs, tables and charts.

The content is written once (the report's sections, the comparison) and rendered to Markdown and
HTML (optimizer.render.markdown, optimizer.render.html); every number is a
preformatted string, so both formats show exactly the same figures. Text is plain: renderers
escape it for their format.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Chart:
    """One chart: `name` is its file stem (charts/<name>.svg), `svg` the standalone SVG text."""

    name: str
    title: str
    alt: str
    svg: str

    @property
    def inline(self) -> str:
        """The SVG without XML declaration and DOCTYPE, for embedding in HTML."""
        return self.svg[self.svg.index("<svg") :]


@dataclass(frozen=True)
class Strong:
    """A bold run inside a paragraph."""

    text: str


Run = str | Strong


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return "".join(r.text if isinstance(r, Strong) else r for r in self.runs)


def para(*runs: Run) -> Paragraph:
    return Paragraph(tuple(runs))


@dataclass(frozen=True)
class Bullets:
    items: tuple[Paragraph, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Table:
    """A table of preformatted cells; `key` names it for anchors and tests; align 'l' or 'r'."""

    key: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...]
    total: tuple[str, ...] | None = None
    note: str = ""


def table(key, caption, columns, rows, align, total=None, note="", limit=None, source="") -> Table:
    """A table of preformatted cells; with `limit`, only the first rows and a note on the rest."""
    rows = list(rows)
    if limit is not None and len(rows) > limit:
        more = f"{len(rows) - limit} more rows are in {source or 'the plan tables'} and plan.xlsx."
        note = f"{note} {more}".strip()
        rows = rows[:limit]
    return Table(
        key=key,
        caption=caption,
        columns=tuple(columns),
        rows=tuple(tuple(str(c) for c in r) for r in rows),
        align=tuple(align),
        total=None if total is None else tuple(str(c) for c in total),
        note=note,
    )


@dataclass(frozen=True)
class Figure:
    chart: Chart
    caption: str


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section; one with a `key` is an anchor listed in the contents."""

    text: str
    key: str = ""


Block = Paragraph | Bullets | Table | Figure | Heading


@dataclass
class Section:
    key: str
    number: int
    title: str
    lead: Paragraph
    blocks: list[Block] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def subsections(self) -> list[Heading]:
        """The sub-headings listed in the contents (those with a key)."""
        return [b for b in self.blocks if isinstance(b, Heading) and b.key]


@dataclass
class Document:
    title: str
    subtitle: str
    warnings: list[str]
    sections: list[Section]
    alert: str = ""  # one line under the title when the plan must not be relied on as is
    critical: int = 0  # the first `critical` warnings are shown as critical

    @property
    def charts(self) -> list[Chart]:
        return [b.chart for s in self.sections for b in s.blocks if isinstance(b, Figure)]


@dataclass(frozen=True)
class Page:
    """What differs between pages built on the shared scaffold: the generator meta tag, the
    footer line (a constant of the caller, inserted unescaped) and whether inline SVG images
    are allowed by the page's policy."""

    generator: str
    footer: str
    images: bool = False
