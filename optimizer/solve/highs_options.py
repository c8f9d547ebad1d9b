"""`--solver-option KEY=VALUE`: any HiGHS option, checked by HiGHS itself before loading.

HiGHS knows its options, their types, ranges and allowed strings better than any list we could
keep, so a scratch Highs instance checks each pair (`getOptionType`, `setOptionValue` on the
text as given) and its option file (`writeOptions`) supplies the wording of the expected value.
A bad pair is a usage error (exit 2) before minutes of loading and solving.
"""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from functools import cache

import highspy

from optimizer.errors import UsageError

_OK = highspy.HighsStatus.kOk
_KINDS = {"kBool": "bool", "kInt": "integer", "kDouble": "number", "kString": "string"}


def _scratch() -> highspy.Highs:
    from optimizer.solve.highs import new_highs

    h = new_highs()
    h.setOptionValue("output_flag", False)  # HiGHS would print its own error lines
    return h


@cache
def option_docs() -> dict[str, tuple[str, str]]:
    """Every documented (not advanced) HiGHS option: (description, `[type: ..., range: ...,
    default: ...]` line), read from the option file HiGHS writes, the one place that states
    ranges and allowed values."""
    fd, name = tempfile.mkstemp(suffix=".txt")
    os.close(fd)
    try:
        _scratch().writeOptions(name)
        with open(name) as f:
            lines = f.read().splitlines()
    finally:
        os.remove(name)
    docs: dict[str, tuple[str, str]] = {}
    comments: list[str] = []
    for line in lines:
        if line.startswith("#"):
            comments.append(line.lstrip("# ").strip())
        elif "=" in line:
            key = line.split("=", 1)[0].strip()
            bracket = next((c for c in comments if c.startswith("[type:")), "")
            text = " ".join(c for c in comments if not c.startswith("[type:"))
            docs[key] = (text.rstrip(", "), bracket)
            comments = []
        else:
            comments = []
    return docs


def expected(key: str, kind: str) -> str:
    """What HiGHS accepts for `key` of type `kind`, in words: range or allowed strings and
    default (advanced options are missing from the option file: the type only)."""
    text, bracket = option_docs().get(key, ("", ""))
    words = f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
    span = re.search(r"range: ([\[{])([^\]}]*)[\]}]", bracket)
    if kind == "bool":
        words = "true or false (on/off, 1/0)"
    elif span and span.group(1) == "{":
        low, high = (x.strip() for x in span.group(2).split(",", 1))
        words += f" from {low} to {high}"
    elif span:
        words += f" in [{span.group(2)}]"
    if text:
        words += f" ({text})"
    default = re.search(r"default: (.*)\]$", bracket)
    if default:
        words += f"; default {default.group(1)}"
    return words


def check_option(key: str, value: str) -> object:
    """The value HiGHS reads from `value` for option `key` (typed: bool, int, float or str);
    UsageError naming the key, the value and what HiGHS expects when either is wrong."""
    h = _scratch()
    status, kind = h.getOptionType(key)
    if status != _OK:
        close = difflib.get_close_matches(key, option_docs(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UsageError(f"--solver-option {key}={value}: HiGHS has no option '{key}'{hint}")
    if h.setOptionValue(key, value) != _OK:
        words = expected(key, _KINDS.get(kind.name, "value"))
        raise UsageError(f"--solver-option {key}={value}: expected {words}")
    return h.getOptionValue(key)[1]


def as_text(value: object) -> str:
    """An option value as HiGHS reads it from text (bools as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
