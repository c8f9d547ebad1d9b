"""alternatives.md: the range table, a text range chart (min..max bars, the least-cost value
marked |) and one sentence per item."""

from __future__ import annotations

import pandas as pd

from optimizer.render.fmt import usd

WIDTH = 40  # characters of the range chart's axis


def markdown(
    table: pd.DataFrame, by: str, slack: float, least_cost_usd: float, scenario: str, plan: dict
) -> str:
    share = True  # the chart spans shares of the dimension's total (0..100%)
    lines = [
        f"# Near-optimal alternatives by {by}",
        "",
        f"Least-cost plan (scenario {scenario}): total cost {usd(least_cost_usd)}. Every plan "
        f"below costs at most {slack:.0%} more ({usd((1 + slack) * least_cost_usd)}). For each "
        f"{by} its total was minimised and maximised within that budget "
        f"({_measure(by)}).",
        "",
        *[f"- {s}" for s in sentences(table, by, slack)],
        "",
        "## Range chart",
        "",
        f"`=` spans the item's share from the plan minimising it to the plan maximising it, "
        f"`|` marks its share in the least-cost plan; scale 0..{_scale_label(table, share)}.",
        "",
        "```",
        *chart(table, share),
        "```",
        "",
        "## Table",
        "",
        _table(table, share),
        "",
        "## A maximally different plan",
        "",
        f"`{plan['folder']}/` is an ordinary plan folder (`fabplan verify` checks it): it uses as "
        f"little as it can of the decisions the least-cost plan uses (builds, funding, runs, "
        f"purchases; each weighted by 1 / its least-cost value) at total cost "
        f"{usd(plan['cost_usd'])}. It is not a least-cost plan: its summary.json carries "
        f"`alternative`, and it has no shadow prices.",
        "",
    ]
    return "\n".join(lines)


def _measure(by: str) -> str:
    if by == "partner":
        return "capital funded: its fund columns, plus power funds when present"
    if by == "operator":
        return "wspm built at the sites it runs, over the horizon"
    return "wspm built over the horizon; existing capacity is the same in every plan"


def sentences(table: pd.DataFrame, by: str, slack: float) -> list[str]:
    """One plain sentence per item."""
    within = f"within {slack:.0%} of the least cost"
    out = []
    for r in table.itertuples(index=False):
        if by == "partner":
            out.append(
                f"{within.capitalize()}, {r.item} can fund anything from {r.min_share:.0%} to "
                f"{r.max_share:.0%} of the capital ({usd(r.minimum)} to {usd(r.maximum)}; "
                f"least-cost plan {r.least_cost_share:.0%})."
            )
        elif r.minimum > 0:
            out.append(
                f"{within.capitalize()}, {by} {r.item} must build at least {r.minimum:,.0f} "
                f"wspm ({r.min_share:.0%} of the capacity built) and can build up to "
                f"{r.maximum:,.0f} ({r.max_share:.0%}; least-cost plan "
                f"{r.least_cost_value:,.0f}, {r.least_cost_share:.0%})."
            )
        else:
            out.append(
                f"{within.capitalize()}, {by} {r.item} can build anything from 0 to "
                f"{r.maximum:,.0f} wspm (up to {r.max_share:.0%} of the capacity built; "
                f"least-cost plan {r.least_cost_value:,.0f}, {r.least_cost_share:.0%})."
            )
    return out


def _columns(share: bool) -> tuple[str, str, str]:
    return (
        ("min_share", "least_cost_share", "max_share")
        if share
        else (
            "minimum",
            "least_cost_value",
            "maximum",
        )
    )


def _top(table: pd.DataFrame, share: bool) -> float:
    return 1.0 if share else max(float(table["maximum"].max()), 1e-12)


def _scale_label(table: pd.DataFrame, share: bool) -> str:
    return "100% of the total" if share else f"{_top(table, share):,.0f} wspm"


def chart(table: pd.DataFrame, share: bool) -> list[str]:
    """Horizontal bars min..max with the least-cost value marked."""
    lo_c, mid_c, hi_c = _columns(share)
    top = _top(table, share)
    name_w = max(len(str(i)) for i in table["item"])
    out = []
    for r in table.to_dict("records"):

        def at(v: float) -> int:
            return min(WIDTH - 1, max(0, round(v / top * (WIDTH - 1))))

        bar = [" "] * WIDTH
        lo, hi = at(r[lo_c]), at(r[hi_c])
        for k in range(lo, hi + 1):
            bar[k] = "="
        bar[at(r[mid_c])] = "|"
        out.append(f"{str(r['item']):<{name_w}}  [{''.join(bar)}]")
    return out


def _table(table: pd.DataFrame, share: bool) -> str:
    head = ["item", "minimum", "least-cost value", "maximum", "unit"]
    if share:  # always: min/max share columns
        head += ["min share", "least-cost share", "max share"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in table.to_dict("records"):
        cells = [str(r["item"])] + [
            f"{r[c]:,.0f}" for c in ("minimum", "least_cost_value", "maximum")
        ]
        cells.append(r["unit"])
        if share:
            cells += [f"{r[c]:.1%}" for c in ("min_share", "least_cost_share", "max_share")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
