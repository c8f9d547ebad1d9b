"""The sweep report: sweep.md (with tornado.svg beside it) and a self-contained sweep.html.

Both are rendered from the same context by jinja2 (HTML with autoescape on; the only raw markup
is the SVG matplotlib wrote). In sweep.md every string goes through the report's Markdown escape
(`optimizer.report.markdown.escape`), so a case named `<script>` is shown, never run.
Everything shown comes from the sweep table and the sensitivity ranges, so the report says
nothing the table does not.
"""

from __future__ import annotations

import math
from pathlib import Path

import jinja2
import pandas as pd
from markupsafe import Markup

from optimizer.report.fmt import money, number
from optimizer.report.markdown import escape
from optimizer.sweep.cases import Design
from optimizer.sweep.table import PENDING, write_atomic
from optimizer.sweep.tornado import OUTPUTS, tornado_svg

CHART_NAME = "tornado.svg"

_MD = """\
{%- macro table(t) -%}
| {{ t.header | map("cell") | join(" | ") }} |
|{% for right in t.numeric %}{{ "--:" if right else "---" }}|{% endfor %}
{% for row in t.rows %}| {{ row | map("cell") | join(" | ") }} |
{% endfor %}
{%- endmacro -%}
# Sweep of {{ data_dir | md }}

{{ counts | md }} Each case is an independent solve of the data with its overrides; its plan is in
`cases/<case_id>/` and every number below is in `sweep.csv`.

## Varied inputs

{{ table(varied) }}
## Sensitivity

For each varied input: the range of each output when that input moves from its lowest to its
highest value with every other input at its base (first) value.

{% for s in sentences %}- {{ s | md }}
{% endfor %}
{% if chart %}![Sensitivity of cost and decisions to each varied input]({{ chart_name }})
{% endif %}
{% for block in ranges %}
### {{ block.title | md }}

{{ table(block) }}{% endfor %}
## Cases

{{ table(cases) }}
{%- if failed.rows %}
## Failed cases

{{ table(failed) }}{% endif %}
"""

_HTML = """\
{%- macro table(t) -%}
<table>
<tr>{% for h in t.header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in t.rows %}<tr>{% for cell in row %}
<td{% if t.numeric[loop.index0] %} class="n"{% endif %}>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table>
{%- endmacro -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Sweep of {{ data_dir }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>Sweep of {{ data_dir }}</h1>
<p>{{ counts }} Each case is an independent solve of the data with its overrides; its plan is in
<code>cases/&lt;case_id&gt;/</code> and every number below is in <code>sweep.csv</code>.</p>
<h2>Varied inputs</h2>
{{ table(varied) }}
<h2>Sensitivity</h2>
<p>For each varied input: the range of each output when that input moves from its lowest to its
highest value with every other input at its base (first) value.</p>
<ul>{% for s in sentences %}<li>{{ s }}</li>{% endfor %}</ul>
{% if chart %}<figure>{{ chart }}</figure>{% endif %}
{% for block in ranges %}<h3>{{ block.title }}</h3>
{{ table(block) }}
{% endfor %}
<h2>Cases</h2>
{{ table(cases) }}
{% if failed.rows %}<h2>Failed cases</h2>
{{ table(failed) }}{% endif %}
</body>
</html>
"""


def write_report(
    out_dir: Path, data_dir: Path, design: Design, table: pd.DataFrame, ranges: pd.DataFrame
) -> list[Path]:
    """Write sweep.md, tornado.svg (when there is a range to draw) and sweep.html."""
    svg = tornado_svg(ranges)
    context = _context(data_dir, design, table, ranges)
    written = []
    if svg is not None:
        written.append(write_atomic(out_dir / CHART_NAME, svg))
    md = jinja2.Environment(autoescape=False, keep_trailing_newline=True)
    md.filters["cell"] = _md_cell
    md.filters["md"] = escape
    written.append(
        write_atomic(
            out_dir / "sweep.md", md.from_string(_MD).render(**context, chart=svg is not None)
        )
    )
    html = jinja2.Environment(autoescape=True, keep_trailing_newline=True)
    inline = Markup(svg[svg.index("<svg") :]) if svg is not None else None
    written.append(
        write_atomic(
            out_dir / "sweep.html", html.from_string(_HTML).render(**context, chart=inline)
        )
    )
    return written


def _context(data_dir: Path, design: Design, table: pd.DataFrame, ranges: pd.DataFrame) -> dict:
    status = table["status"]
    solved = int((table["objective_usd"].notna()).sum())
    pending = int((status == PENDING).sum())
    n_failed = len(table) - solved - pending
    counts = f"{len(table)} cases: {solved} solved, {n_failed} failed" + (
        f", {pending} not run yet (run the same command again to resume)." if pending else "."
    )
    varied = _table(
        ["input", "values", "base"],
        [
            [
                key,
                ", ".join(dict.fromkeys(_cell(v) for v in table[key])),
                _cell(design.base[key]),
            ]
            for key in design.varied
        ],
    )
    blocks, sentences = [], []
    for output, title in OUTPUTS.items():
        part = ranges[ranges["output"] == output].sort_values("range", ascending=False)
        if part.empty:
            continue
        rows = [
            [
                r.input,
                f"{r.low_value} → {r.high_value}",
                _fmt(output, r.output_at_low),
                _fmt(output, r.output_at_high),
                _fmt(output, r.range),
            ]
            for r in part.itertuples()
        ]
        header = ["input", "lowest → highest", "at lowest", "at highest", "range"]
        blocks.append({"title": title, **_table(header, rows, numeric_from=2)})
        sentences.append(_sentence(title, part))
    failed = table["status"].ne(PENDING) & table["objective_usd"].isna()
    cases = _table(
        [
            "case",
            "overrides",
            "status",
            "cost",
            "wspm built",
            "unmet GPUs",
            "capital raised",
            "CO2 t",
        ],
        [
            [
                r["case"],
                r["overrides"] or "(none)",
                r["status"],
                money(_num(r["objective_usd"])),
                number(_num(r["wspm_built"])),
                number(_num(r["unmet_gpus"])),
                money(_num(r["capital_usd"])),
                number(_num(r["co2_t"])),
            ]
            for _, r in table.iterrows()
        ],
        numeric_from=3,
    )
    failed_cases = _table(
        ["case", "status", "message"],
        [[r["case"], r["status"], r["message"]] for _, r in table[failed].iterrows()],
    )
    return {
        "data_dir": str(data_dir),
        "counts": counts,
        "varied": varied,
        "sentences": sentences,
        "ranges": blocks,
        "cases": cases,
        "failed": failed_cases,
        "chart_name": CHART_NAME,
    }


def _table(header: list[str], rows: list[list], numeric_from: int | None = None) -> dict:
    n = len(header)
    numeric = [numeric_from is not None and i >= numeric_from for i in range(n)]
    return {"header": header, "rows": rows, "numeric": numeric}


def _sentence(title: str, part: pd.DataFrame) -> str:
    known = part.dropna(subset=["range"])
    if known.empty:
        return f"{title}: not known (the cases at an input's extremes failed)."
    top = known.iloc[0]
    output = top.output
    if top.range == 0:
        return f"{title}: the same in every case at the inputs' extremes."
    return (
        f"{title} moves most with {top.input}: {_fmt(output, top.output_at_low)} at "
        f"{top.low_value} and {_fmt(output, top.output_at_high)} at {top.high_value} "
        f"(range {_fmt(output, top.range)})."
    )


def _fmt(output: str, value: float) -> str:
    return money(_num(value)) if output.endswith("_usd") else number(_num(value))


def _num(value: object) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _cell(value: object) -> str:
    return (
        "(not set)"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else str(value)
    )


def _md_cell(text: object) -> str:
    """Text safe inside a Markdown table cell: one line, Markdown and HTML syntax escaped
    (`|` included) as in report.md, so a user's case name or message shows as typed."""
    return escape(" ".join(str(text).split()))
