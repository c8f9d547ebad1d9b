"""The regret chart, kept apart from optimizer.render.charts (at its size limit).

Regret spans orders of magnitude: a plan that leaves GPUs unmet in the high scenario can regret
100x what the hedged plan does, and on one linear axis the small bars vanish. So worst-case and
expected regret get a panel each, with its own axis, and a panel whose positive bars differ by
more than LOG_RATIO switches to a log axis, labelled as such. Every bar also carries its amount.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.render.charts import PALETTE, UNMET_COLOR, _style, _svg, label
from optimizer.render.document import Chart
from optimizer.render.fmt import money

LOG_RATIO = 20.0  # largest / smallest positive bar beyond which a panel uses a log axis
PANELS = (
    ("worst_regret", "worst case (any scenario)", UNMET_COLOR),
    ("expected_regret", "expected (probability-weighted)", PALETTE[0]),
)


def needs_log(values: np.ndarray) -> bool:
    """True when the positive values span more than LOG_RATIO (a linear axis would hide the
    small ones)."""
    positive = values[values > 0]
    return len(positive) > 1 and float(positive.max()) > LOG_RATIO * float(positive.min())


def regret_bars(summary: pd.DataFrame, least: list[str]) -> Chart:
    """Two panels of horizontal bars per plan, worst-case and expected regret (billion USD),
    each on its own axis, log when the bars span more than LOG_RATIO."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    name, title = "regret", "Regret of each plan: how much more it costs than the best plan"
    rows = summary.iloc[::-1]
    y = np.arange(len(rows))
    with _style():
        fig = Figure(figsize=(10, 1.8 + 0.55 * max(len(rows), 1)), dpi=72)
        axes = fig.subplots(1, len(PANELS), sharey=True)
        logs = []
        for ax, (column, what, color) in zip(axes, PANELS, strict=True):
            values = rows[column].to_numpy(dtype=float)
            billions = values / 1e9
            log = needs_log(values)
            logs.append(log)
            if log:
                floor = float(billions[billions > 0].min()) / 3
                ax.set_xscale("log")
                ax.barh(y, np.where(billions > 0, billions, np.nan), left=floor, color=color)
                ax.set_xlim(floor, float(billions.max()) * 30)
                at = np.where(billions > 0, billions, floor)
            else:
                ax.barh(y, billions, color=color)
                right = float(max(np.nanmax(billions), 0.0)) if len(billions) else 0.0
                ax.set_xlim(0, right * 1.35 if right > 0 else 1)
                at = np.maximum(billions, 0)
            for i, (v, x) in enumerate(zip(values, at, strict=True)):
                ax.text(x, i, f" {money(v)}", va="center", fontsize=8)
            # ticks as amounts ($100B, $1T), not powers of ten
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: label(money(x * 1e9))))
            ax.set_title(label(what, None), fontsize=10)
            ax.set_xlabel("regret, USD NPV" + (" (log scale)" if log else ""))
            ax.grid(axis="y", visible=False)
        axes[0].set_yticks(y)
        axes[0].set_yticklabels([label(p) for p in rows.index])
        for tick, p in zip(axes[0].get_yticklabels(), rows.index, strict=True):
            if p in least:
                tick.set_fontweight("bold")
        fig.suptitle(title, fontweight="bold")
        scale = " (log scale in a panel whose bars span orders of magnitude)" if any(logs) else ""
        return Chart(
            name,
            title,
            f"Two panels of bars per plan: worst-case and expected regret{scale}",
            _svg(fig, name, title),
        )
