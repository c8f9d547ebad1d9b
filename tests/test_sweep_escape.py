"""sweep.md, sweep.html and tornado.svg show user strings as typed, never as live markup (issue 9
C14).

Case names, override values and failure messages come from the user's cases.csv and --vary
lists. The sweep report writer is called on a small hand-made table (no solves): two cases that
vary `sites.name` and one that failed, with hostile text in every user-supplied field.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from optimizer.sweep.cases import Design, SweepCase
from optimizer.sweep.report import write_report
from optimizer.sweep.tornado import sensitivity

KEY = "sites.name"
SCRIPT_CASE = "<script>alert(1)</script>"
PIPE_CASE = "a|b *bold* [link](http://x)"
LOW, HIGH = "<b>low</b>", "$\\notacommand{$ & <i>"
MESSAGE = "<img src=x onerror=alert(2)>"


def _write(out: Path) -> list[Path]:
    cases = [
        SweepCase(SCRIPT_CASE, "script-00000000", {KEY: LOW}),
        SweepCase(PIPE_CASE, "pipe-00000000", {KEY: HIGH}),
        SweepCase("failed <one>", "failed-00000000", {KEY: LOW, "discount_rate": "-1"}),
    ]
    design = Design(cases, [KEY, "discount_rate"], {KEY: LOW, "discount_rate": None})
    table = pd.DataFrame(
        {
            "case": [c.name for c in cases],
            "case_id": [c.case_id for c in cases],
            KEY: [LOW, HIGH, LOW],
            "discount_rate": [None, None, "-1"],
            "overrides": [f"{KEY}={LOW}", f"{KEY}={HIGH}", f"{KEY}={LOW}; discount_rate=-1"],
            "status": ["optimal", "optimal", "bad_input"],
            "message": ["", "", MESSAGE],
            "objective_usd": [1.0e9, 2.0e9, float("nan")],
            "wspm_built": [1000.0, 2000.0, float("nan")],
            "unmet_gpus": [0.0, 10.0, float("nan")],
            "capital_usd": [5.0e8, 6.0e8, float("nan")],
            "co2_t": [1.0, 2.0, float("nan")],
        }
    )
    ranges = sensitivity(table, design)
    out.mkdir()
    return write_report(out, out / "data<dir>", design, table, ranges)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweep-escape") / "out"
    _write(out)
    return out


def test_sweep_md_has_no_raw_html_from_user_strings(written):
    md = (written / "sweep.md").read_text(encoding="utf-8")
    # an unescaped `<` outside a code span is raw HTML when the Markdown is rendered: none at all
    # (the report's own `cases/<case_id>/` is a code span, shown literally)
    assert re.search(r"(?<!\\)<", re.sub(r"`[^`]*`", "", md)) is None, md
    assert "<script>" not in md and "</script>" not in md
    # shown as typed: the escaped forms are there (CommonMark renders `\<` as `<`)
    assert r"\<script\>alert(1)\</script\>" in md
    assert r"\<img src=x onerror=alert(2)\>" in md
    assert r"\<b\>low\</b\>" in md  # the varied value, in the tables and the sentences
    assert r"# Sweep of " in md and r"data\<dir\>" in md


def test_sweep_md_table_rows_keep_their_columns(written):
    md = (written / "sweep.md").read_text(encoding="utf-8")
    lines = md.splitlines()
    start = lines.index("## Cases")
    header = next(line for line in lines[start:] if line.startswith("| case"))
    row = next(line for line in lines[start:] if "a\\|b" in line)
    # a `|` in a case name is escaped, so the row has the header's 8 columns (9 bars, unescaped)
    assert len(re.findall(r"(?<!\\)\|", header)) == 9
    assert len(re.findall(r"(?<!\\)\|", row)) == 9
    assert r"\*bold\*" in row and r"\[link\]" in row


def test_sweep_html_and_chart_escape_user_strings(written):
    html = (written / "sweep.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    svg = (written / "tornado.svg").read_text(encoding="utf-8")
    assert "<script" not in svg and "<b>" not in svg and "<i>" not in svg
    # the `$...$` value is drawn literally (no mathtext), its `&` and `<` escaped as XML
    assert "$\\notacommand{$ &amp; &lt;i&gt;" in svg


@pytest.mark.parametrize(
    "text",
    [r"a\b", r"FAB\$1", "$\\foo{$", "US $5B fab", "_hidden"],
)
def test_chart_labels_are_drawn_as_typed(text):
    """A label is drawn literally: matplotlib parses no mathtext from it and shows each
    backslash once (it used to be doubled: a site named a\\b appeared as a\\\\b)."""
    from matplotlib.figure import Figure

    from optimizer.render.charts import label

    drawn, is_math = Figure().text(0, 0, label(text))._preprocess_math(label(text))
    assert is_math is False
    assert drawn.lstrip("\u200b") == text
