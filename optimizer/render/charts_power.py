"""Power charts (issue 14): the dispatch of one representative day per region.

Kept apart from optimizer.render.charts (at its size limit); same style, colours and
deterministic SVG output.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.render.charts import SOURCE_COLORS, _style, _svg, _thousands, colors_for, label
from optimizer.render.document import Chart


def dispatch(days: pd.DataFrame) -> Chart:
    """Small multiples: per region, stacked bars of average MW by source over the day's slices
    in order (storage charge below zero), with the fab load as a step line."""
    from matplotlib.figure import Figure

    name, title = "dispatch", "Dispatch on a representative day"
    regions = list(dict.fromkeys(days["region"]))
    cols = min(len(regions), 4)
    rows = math.ceil(len(regions) / cols)
    sources = sorted(set(days["source"].astype(str)))
    colors = colors_for(sources, SOURCE_COLORS)
    with _style():
        fig = Figure(figsize=(3.2 * cols + 1.6, 2.6 * rows + 0.6), dpi=72)
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax in axes.flat[len(regions) :]:
            ax.set_visible(False)
        for ax, region in zip(axes.flat, regions, strict=False):
            part = days[days["region"] == region]
            wide = part.pivot_table(index="order", columns="source", values="mw", aggfunc="sum")
            wide = wide.fillna(0.0).sort_index()
            slices = part.drop_duplicates("order").set_index("order").loc[wide.index]
            x = np.arange(len(wide))
            up, down = np.zeros(len(x)), np.zeros(len(x))
            for s in sources:
                if s not in wide.columns:
                    continue
                v = wide[s].to_numpy()
                pos, neg = np.clip(v, 0, None), np.clip(v, None, 0)
                ax.bar(x, pos, bottom=up, color=colors[s], width=0.85, label=label(s))
                if (neg < 0).any():
                    ax.bar(x, neg, bottom=down, color=colors[s], width=0.85, alpha=0.5)
                up, down = up + pos, down + neg
            ax.step(
                np.r_[x - 0.5, x[-1] + 0.5],
                np.r_[slices["load_mw"].to_numpy(), slices["load_mw"].to_numpy()[-1]],
                where="post",
                color="black",
                linewidth=1.6,
                label="fab load",
            )
            ax.set_xticks(x)
            ax.set_xticklabels([label(s, 8) for s in slices["slice"]], fontsize=7, rotation=45)
            first = part.iloc[0]
            ax.set_title(label(f"{region} · {first['day']} {int(first['year'])}"), fontsize=9)
            _thousands(ax)
            ax.axhline(0, color="#444444", linewidth=0.6)
        for ax in axes[:, 0]:
            ax.set_ylabel("MW (average)")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        seen = dict(zip(labels, handles, strict=False))
        for ax in axes.flat[1 : len(regions)]:
            h, lab = ax.get_legend_handles_labels()
            seen.update({k: v for k, v in zip(lab, h, strict=False) if k not in seen})
        axes[0, cols - 1].legend(
            list(seen.values()),
            list(seen.keys()),
            loc="upper left",
            bbox_to_anchor=(1.02, 1),
            fontsize=8,
        )
        fig.suptitle(title, fontweight="bold")
        return Chart(
            name,
            title,
            "Stacked bars of average MW by source per time slice of one day, one panel per "
            "region, with the fab load as a line",
            _svg(fig, name, title),
        )
