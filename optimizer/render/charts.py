"""The report's charts as SVG text (matplotlib, no pyplot), byte-identical across runs.

Determinism: no date in the metadata, a fixed `svg.hashsalt`, text kept as <text> elements
(`svg.fonttype` none: small, searchable, and escaped by matplotlib's XML writer), and every
element id prefixed with the chart's name so several charts can be inlined in one HTML page
without id clashes.
"""

from __future__ import annotations

import io
import re
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from optimizer.render.document import Chart
from optimizer.render.fmt import money

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#d62728",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#c5b0d5",
]
UNMET_COLOR = "#d62728"
SOURCE_COLORS = {
    "grid": "#7f7f7f",
    "solar": "#f2b701",
    "wind": "#3a87c8",
    "offshore wind": "#1f5fa0",
    "onshore wind": "#5aa5e0",
    "nuclear": "#8e5bb5",
    "gas": "#a0522d",
    "hydro": "#17becf",
    "coal": "#3b3b3b",
    "geothermal": "#d2691e",
    "storage": "#2ca02c",
}
RC = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "text.usetex": False,
    "path.simplify": False,
}
MAX_LABEL = 40


def label(text: object, max_len: int | None = MAX_LABEL) -> str:
    """Text drawn literally by matplotlib: `$` escaped so no mathtext is parsed (a crash on bad
    TeX), no legend-hiding leading `_`, cut to `max_len`. A backslash outside mathtext is drawn
    as itself, so it is left alone (doubling it would draw two)."""
    s = str(text)
    if max_len is not None and len(s) > max_len:
        s = s[: max_len - 1] + "…"
    s = s.replace("$", r"\$")
    return "\u200b" + s if s.startswith("_") else s


def colors_for(keys: list[str], fixed: dict[str, str] | None = None) -> dict[str, str]:
    """Stable colours: a fixed colour where known, else the palette in sorted-key order."""
    fixed = fixed or {}
    out: dict[str, str] = {}
    free = iter(PALETTE * (len(keys) // len(PALETTE) + 1))
    for k in sorted(keys, key=str):
        out[k] = fixed.get(str(k).lower()) or next(free)
    return out


def _style(rc: dict[str, Any] | None = None) -> AbstractContextManager:
    """matplotlib's rc_context, with matplotlib imported here on first use: the report's sections
    also feed the workbook and the terminal summary, which draw nothing and should not pay the
    ~0.5 s import."""
    import matplotlib

    return matplotlib.rc_context(RC if rc is None else rc)


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    """A figure without a layout engine: `_svg` lays it out once, just before saving."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=72)
    return fig, fig.add_subplot()


def svg_text(fig: Figure, salt: str, title: str | None = None) -> str:
    """The figure as standalone SVG text, the same bytes on every run: no date in the metadata,
    element ids from a fixed salt, text kept as <text> elements."""
    buf = io.StringIO()
    metadata = {"Date": None, "Creator": None} | ({} if title is None else {"Title": title})
    with _style({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", metadata=metadata)
    return buf.getvalue()


def _svg(fig: Figure, name: str, title: str) -> str:
    """The report chart as SVG with ids prefixed by its name, laid out once by constrained layout:
    a figure made with layout="constrained" is laid out twice by savefig (in a full draw with
    output disabled, then again in the real draw), and measuring text for that was a large part
    of a chart's time; a single pass moves the axes by a few pixels at most."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    ConstrainedLayoutEngine().execute(fig)
    text = svg_text(fig, f"fabplan-{name}", title)
    prefix = re.sub(r"[^A-Za-z0-9-]", "-", name)
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', text)


def _years_axis(ax, years: list[int], max_ticks: int = 16) -> None:
    """A tick on every year (every 2nd, 5th or 10th on long horizons), as a plain integer."""
    if not years:
        return
    step = next((k for k in (1, 2, 5, 10) if len(years) / k <= max_ticks), 20)
    ax.set_xticks([y for y in years if (y - years[0]) % step == 0])
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{int(round(v))}"))


def _thousands(ax, axis: str = "y", decimals: int = 0) -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:,.{decimals}f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def build_timeline(
    builds: pd.DataFrame, years: list[int], group: str, colors: dict[str, str]
) -> Chart:
    """One bar per build: construction (hatched) from decision to online year, then output."""
    from matplotlib.patches import Patch

    name, title = "builds_timeline", "When each build is decided, built and producing"
    end = (max(years) if years else int(builds["online_year"].max())) + 1
    rows = builds.sort_values(["year", "site"], ascending=[False, False]).reset_index(drop=True)
    height = 1.6 + 0.34 * max(len(rows), 1)
    with _style():
        fig, ax = _figure(9, height)
        keys = rows[group].fillna("").astype(str).tolist() if len(rows) else []
        if len(rows):  # two barh calls for all builds (the same rectangles), not two per build
            y = np.arange(len(rows))
            start = rows["year"].to_numpy(dtype=float)
            online = rows["online_year"].to_numpy(dtype=float)
            edge = np.array([colors[k] for k in keys], dtype=object)
            ax.barh(
                y,
                online - start,
                left=start,
                color="white",
                edgecolor=list(edge),
                hatch="///",
                linewidth=0.8,
            )
            live = online < end
            if live.any():
                ax.barh(y[live], end - online[live], left=online[live], color=list(edge[live]))
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(
            [label(f"{s}: {w:,.0f} wspm") for s, w in zip(rows["site"], rows["wspm"], strict=True)]
        )
        ax.set_xlim(min(years) if years else None, end)
        _years_axis(ax, years, max_ticks=9)
        ax.set_xlabel("year (wspm: wafer starts per month)")
        ax.set_title(title)
        handles = [
            Patch(facecolor="white", edgecolor="#444", hatch="///", label="under construction")
        ]
        handles += [
            Patch(color=colors[k], label=label(f"producing: {k}")) for k in sorted(set(keys))
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
        ax.grid(axis="y", visible=False)
        return Chart(name, title, "Timeline of builds per site", _svg(fig, name, title))


def capacity_area(wide: pd.DataFrame, group: str, colors: dict[str, str]) -> Chart:
    """Stacked area: installed wspm by region (or site) per year."""
    name, title = "capacity_by_region", f"Installed capacity by {group}"
    years = [int(y) for y in wide.index]
    with _style():
        fig, ax = _figure(9, 4.2)
        ax.stackplot(
            years,
            *[wide[c].to_numpy() / 1000 for c in wide.columns],
            labels=[label(c) for c in wide.columns],
            colors=[colors[str(c)] for c in wide.columns],
            alpha=0.9,
        )
        _years_axis(ax, years)
        _thousands(ax)
        if len(set(years)) > 1:  # a one-year plan has no span to fit (matplotlib warns)
            ax.set_xlim(min(years), max(years))
        ax.set_xlabel("year")
        ax.set_ylabel("installed capacity (thousand wspm)")
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, reverse=True)
        return Chart(
            name, title, f"Stacked area of installed wspm by {group}", _svg(fig, name, title)
        )


def demand_supply(by_product: pd.DataFrame) -> Chart:
    """Stacked bars of GPUs served per product, unmet demand on top, demand as a line."""
    name, title = "demand_supply", "GPUs demanded and supplied per year"
    served = by_product.pivot_table(
        index="year", columns="product", values="served", aggfunc="sum", fill_value=0.0
    )
    unmet = by_product.groupby("year")["unmet"].sum().reindex(served.index, fill_value=0.0)
    demand = by_product.groupby("year")["demanded"].sum().reindex(served.index)
    years = [int(y) for y in served.index]
    with _style():
        fig, ax = _figure(9, 4.2)
        colors = colors_for(list(map(str, served.columns)))
        bottom = np.zeros(len(years))
        for c in served.columns:
            ax.bar(
                years,
                served[c].to_numpy() / 1e6,
                bottom=bottom,
                color=colors[str(c)],
                label=label(f"supplied: {c}"),
                width=0.7,
            )
            bottom += served[c].to_numpy() / 1e6
        short = unmet.to_numpy() > 0
        if short.any():
            ax.bar(
                np.array(years)[short],
                unmet.to_numpy()[short] / 1e6,
                bottom=bottom[short],
                color="white",
                edgecolor=UNMET_COLOR,
                hatch="xx",
                label="unmet demand",
                width=0.7,
            )
        ax.plot(
            years,
            demand.to_numpy() / 1e6,
            color="black",
            marker="o",
            markersize=3,
            linewidth=1.2,
            label="demand",
        )
        _years_axis(ax, years)
        top = max(
            float(np.nanmax(demand.to_numpy())) / 1e6,
            float((bottom + unmet.to_numpy() / 1e6).max()),
        )
        ax.set_ylim(0, top * 1.1 if top > 0 else 1)
        _thousands(ax, decimals=1 if top < 10 else 0)
        ax.set_xlabel("year")
        ax.set_ylabel("GPUs per year (millions)")
        ax.set_title(title)
        ax.legend(loc="upper left", fontsize=8)
        return Chart(
            name,
            title,
            "Bars of GPUs supplied per product with unmet demand and demand",
            _svg(fig, name, title),
        )


def energy_mix(mix: pd.DataFrame) -> Chart:
    """Stacked bars: TWh by energy source per year."""
    name, title = "energy_mix", "Energy used by source"
    years = [int(y) for y in mix.index]
    with _style():
        fig, ax = _figure(9, 4.0)
        colors = colors_for(list(map(str, mix.columns)), SOURCE_COLORS)
        bottom = np.zeros(len(years))
        for c in mix.columns:
            ax.bar(
                years,
                mix[c].to_numpy() / 1e6,
                bottom=bottom,
                color=colors[str(c)],
                label=label(c),
                width=0.7,
            )
            bottom += mix[c].to_numpy() / 1e6
        _years_axis(ax, years)
        _thousands(ax, decimals=1)
        ax.set_xlabel("year")
        ax.set_ylabel("energy (TWh per year)")
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, reverse=True)
        return Chart(
            name, title, "Stacked bars of energy by source per year", _svg(fig, name, title)
        )


def partner_capital(partners: pd.DataFrame) -> Chart:
    """Horizontal bars: capital per partner, with its commitment limit marked."""
    name, title = "partner_capital", "Capital raised by partner"
    rows = partners.iloc[::-1].reset_index(drop=True)
    with _style():
        fig, ax = _figure(9, 1.4 + 0.45 * max(len(rows), 1))
        ax.barh(range(len(rows)), rows["usd"] / 1e9, color=PALETTE[0], label="capital raised")
        limit = rows["max_commitment_usd"].astype(float)
        finite = np.isfinite(limit)
        if finite.any():
            ax.scatter(
                (limit[finite] / 1e9).to_numpy(),
                np.arange(len(rows))[finite.to_numpy()],
                marker="|",
                s=400,
                color="black",
                linewidths=2,
                label="commitment limit",
                zorder=3,
            )
        for i, v in enumerate(rows["usd"]):
            ax.text(v / 1e9, i, f" {money(v)}", va="center", fontsize=8)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([label(p) for p in rows["partner"]])
        _thousands(ax, "x")
        ax.set_xlabel("capital over the horizon (billion USD)")
        ax.set_title(title)
        ax.legend(loc="lower right", fontsize=8)
        ax.grid(axis="y", visible=False)
        return Chart(
            name,
            title,
            "Bars of capital raised per partner against its limit",
            _svg(fig, name, title),
        )


def cost_components(costs: pd.DataFrame) -> Chart:
    """Horizontal bars: NPV per cost component."""
    from matplotlib.patches import Patch

    name, title = "costs", "Cost by component (net present value)"
    rows = costs.iloc[::-1].reset_index(drop=True)
    with _style():
        fig, ax = _figure(9, 1.4 + 0.4 * max(len(rows), 1))
        kinds = {
            "unmet_demand": ("penalty for unmet demand", UNMET_COLOR),
            "risk_adjustment": ("risk weight (not a cash cost)", "#9e9e9e"),
        }
        kind = [kinds.get(c, ("cost paid", PALETTE[0])) for c in rows["component"]]
        ax.barh(range(len(rows)), rows["npv_usd"] / 1e9, color=[c for _, c in kind])
        for i, v in enumerate(rows["npv_usd"]):
            ax.text(max(v, 0) / 1e9, i, f" {money(v)}", va="center", fontsize=8)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([label(c) for c in rows["label"]])
        _thousands(ax, "x")
        ax.set_xlabel("NPV (billion USD)")
        ax.set_title(title)
        ax.grid(axis="y", visible=False)
        legend = dict(kinds.get(c, ("cost paid", PALETTE[0])) for c in costs["component"])
        ax.legend(
            handles=[Patch(color=c, label=k) for k, c in legend.items()],
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            fontsize=8,
        )
        return Chart(name, title, "Bars of NPV by cost component", _svg(fig, name, title))


def gpu_prices(prices: pd.DataFrame, penalty: float | None) -> Chart:
    """Lines: marginal cost of one more GPU per year for each product and market."""
    name, title = "prices", "Marginal cost of one more GPU"
    years = [int(y) for y in prices.index]
    with _style():
        fig, ax = _figure(9, 4.0)
        colors = colors_for(list(map(str, prices.columns)))
        for c in prices.columns:
            ax.plot(
                years,
                prices[c].to_numpy(),
                marker="o",
                markersize=3,
                linewidth=1.4,
                color=colors[str(c)],
                label=label(c),
            )
        if penalty and np.nanmax(prices.to_numpy()) >= 0.5 * penalty:
            ax.axhline(
                penalty,
                color=UNMET_COLOR,
                linestyle="--",
                linewidth=1,
                label="unmet-demand penalty",
            )
        _years_axis(ax, years)
        _thousands(ax)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("year")
        ax.set_ylabel("USD per GPU (that year's dollars)")
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
        return Chart(
            name, title, "Lines of the marginal cost of a GPU per year", _svg(fig, name, title)
        )


def scenario_outcomes(outcomes: pd.DataFrame, scenarios: list[str]) -> Chart:
    """Per scenario: GPUs demanded (dashed) and supplied (solid) per year; the gap is unmet."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    name, title = "scenario_outcomes", "GPUs demanded and supplied per year, by scenario"
    colors = dict(zip(scenarios, PALETTE * (len(scenarios) // len(PALETTE) + 1), strict=False))
    years = sorted(int(y) for y in outcomes["year"].unique())
    with _style():
        fig, ax = _figure(9, 4.2)
        top = 0.0
        for s in scenarios:
            rows = outcomes[outcomes["scenario"] == s].sort_values("year")
            x = rows["year"].to_numpy()
            demand = rows["demanded"].to_numpy() / 1e6
            served = rows["served"].to_numpy() / 1e6
            ax.fill_between(x, served, demand, color=colors[s], alpha=0.12, linewidth=0)
            ax.plot(x, demand, color=colors[s], linestyle="--", linewidth=1.2)
            ax.plot(x, served, color=colors[s], marker="o", markersize=3, linewidth=1.6)
            top = max(top, float(np.nanmax(demand)) if len(demand) else 0.0)
        _years_axis(ax, years)
        ax.set_ylim(0, top * 1.08 if top > 0 else 1)
        _thousands(ax, decimals=1 if top < 10 else 0)
        ax.set_xlabel("year")
        ax.set_ylabel("GPUs per year (millions)")
        ax.set_title(title)
        handles = [Patch(color=colors[s], label=label(s)) for s in scenarios]
        handles += [
            Line2D([], [], color="#444", linestyle="--", label="demand"),
            Line2D([], [], color="#444", marker="o", markersize=3, label="supplied"),
            Patch(color="#444", alpha=0.15, label="unmet (shaded)"),
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
        return Chart(
            name,
            title,
            "Lines of GPUs demanded and supplied per year in each scenario",
            _svg(fig, name, title),
        )


def capacity_by_process(wide: pd.DataFrame) -> Chart:
    """Lines: installed wspm per process per year (not stacked: a packaging wafer and a logic
    wafer are not the same thing)."""
    name, title = "capacity_by_process", "Installed capacity by process"
    years = [int(y) for y in wide.index]
    colors = colors_for([str(c) for c in wide.columns])
    with _style():
        fig, ax = _figure(9, 4.2)
        for c in wide.columns:
            ax.plot(
                years,
                wide[c].to_numpy() / 1000,
                marker="o",
                markersize=3,
                linewidth=1.6,
                color=colors[str(c)],
                label=label(c),
            )
        _years_axis(ax, years)
        _thousands(ax)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("year")
        ax.set_ylabel("installed capacity (thousand wspm)")
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
        return Chart(
            name, title, "Lines of installed wspm per process per year", _svg(fig, name, title)
        )
