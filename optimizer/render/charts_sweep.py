"""The capital-budget curve of a sweep (issue 13): what each budget buys and what limits it.

x: the capital budget in $T; y: GPUs delivered (millions, expected over scenarios) with the
demand as a dashed line; every point is annotated with what binds there (sweep/delivery.py), so
the flat end of the curve says which limit beyond money stops it.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from optimizer.render.charts import label, svg_text

TITLE = "What each capital budget buys: GPUs delivered against demand"
MUSD_PER_TUSD = 1e6  # capital_budget_musd is in million USD; the axis in trillion USD


def capital_curve_svg(curve: pd.DataFrame) -> str | None:
    """curve: budget_musd, gpus_delivered, gpus_demanded, binding_stage (solved cases only,
    sorted by budget). None when there is nothing to draw."""
    curve = curve.dropna(subset=["budget_musd", "gpus_delivered"])
    if curve.empty:
        return None
    x = curve["budget_musd"].astype(float) / MUSD_PER_TUSD
    y = curve["gpus_delivered"].astype(float) / 1e6
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    ax.plot(x, y, marker="o", color="#4c78a8", label="GPUs delivered")
    demand = curve["gpus_demanded"].astype(float) / 1e6
    if demand.notna().any():
        ax.plot(x, demand, linestyle="--", color="#e45756", label="demand")
    previous = None
    for xi, yi, stage in zip(x, y, curve["binding_stage"].astype(str), strict=True):
        if stage != previous:  # name each limit where it starts, not at every point
            ax.annotate(
                label(f"limit: {stage}", max_len=40),
                (xi, yi),
                textcoords="offset points",
                xytext=(4, -14),
                fontsize=8,
            )
        previous = stage
    ax.set_xlabel("capital budget ($T)".replace("$", r"\$"))
    ax.set_ylabel("GPUs delivered (millions)")
    ax.set_ylim(bottom=0)
    ax.margins(x=0.08)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_title(TITLE, loc="left", fontsize=11)
    fig.tight_layout()
    return svg_text(fig, "fabplan-capital-curve", TITLE)
