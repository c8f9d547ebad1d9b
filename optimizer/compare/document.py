"""The comparison as a format-neutral document (the report's Document model): the headline
sentences first, then one section of tables per kind of decision, cost and input.

Every cell is a preformatted string, so Markdown and HTML show exactly the same figures.
"""

from __future__ import annotations

import math

from optimizer.compare.comparison import (
    GPU_TOL,
    MW_TOL,
    MWH_TOL,
    WSPM_TOL,
    Comparison,
)
from optimizer.compare.sentences import (
    mw,
    region_name,
    signed_money,
    signed_number,
    signed_pct,
    value_text,
    weighting_note,
)
from optimizer.report.document import Bullets, Document, Section, Table, para
from optimizer.report.fmt import money, number, pct

TITLE = "Plan comparison"
HASH_CHARS = 12
_CHANGE_WORDS = {
    "added": "only in plan B",
    "dropped": "only in plan A",
    "more": "more wspm",
    "fewer": "fewer wspm",
    "rescheduled": "different years",
    "same": "same",
}


def build_document(c: Comparison) -> Document:
    """Summary, builds, capacity, partners, energy, costs, unmet demand, inputs."""
    makers = [_summary, _builds, _capacity, _partners, _energy, _costs, _unmet, _inputs]
    sections = [make(c, i + 1) for i, make in enumerate(makers)]
    subtitle = f"Plan A: {c.plan_a.folder} · Plan B: {c.plan_b.folder}"
    return Document(title=TITLE, subtitle=subtitle, warnings=list(c.warnings), sections=sections)


def _summary(c: Comparison, n: int) -> Section:
    lead = para(
        "What plan B does differently from plan A; every difference is plan B minus plan A."
    )
    s = Section("summary", n, "Summary", lead)
    s.blocks.append(Bullets(tuple(para(x) for x in c.sentences)))
    rows = [
        (r.measure, _value(r.a, r.unit), _value(r.b, r.unit), _diff(r.diff, r.unit))
        for r in c.headline.itertuples(index=False)
    ]
    s.blocks.append(
        _table(
            "headline",
            "Headline numbers",
            ("Measure", "Plan A", "Plan B", "Difference"),
            rows,
            "lrrr",
        )
    )
    if c.stochastic:
        s.blocks.append(para(weighting_note(c)))
    return s


def _builds(c: Comparison, n: int) -> Section:
    changed = c.sites[c.sites["change"] != "same"]
    lead = para(
        f"{len(c.sites)} site{_s(len(c.sites))} get builds in at least one plan; "
        f"{len(changed)} of them differ. A site's first build year is the first year with a "
        "build decision (online lead-time years later)."
    )
    s = Section("builds", n, "Sites and builds", lead)
    rows = [
        (
            r.site,
            region_name(r.region),
            _year(r.first_year_a),
            _year(r.first_year_b),
            _shift(r.shift_years),
            number(r.wspm_a),
            number(r.wspm_b),
            signed_number(r.diff_wspm, tol=WSPM_TOL),
            _change(r),
        )
        for r in c.sites.itertuples(index=False)
    ]
    s.blocks.append(
        _table(
            "sites",
            "Builds per site",
            (
                "Site",
                "Region",
                "First build A",
                "First build B",
                "Shift (years)",
                "wspm A",
                "wspm B",
                "Difference (wspm)",
                "Change",
            ),
            rows,
            "llrrrrrrl",
        )
    )
    diffs = c.builds[c.builds["diff_wspm"].abs() > WSPM_TOL]
    if diffs.empty:
        s.blocks.append(para("Every build (site, year, wspm) is the same in both plans."))
    else:
        rows = [
            (
                r.site,
                region_name(r.region),
                str(int(r.year)),
                number(r.wspm_a),
                number(r.wspm_b),
                signed_number(r.diff_wspm, tol=WSPM_TOL),
            )
            for r in diffs.itertuples(index=False)
        ]
        s.blocks.append(
            _table(
                "build-differences",
                "Builds that differ (by decision year)",
                ("Site", "Region", "Year", "wspm A", "wspm B", "Difference (wspm)"),
                rows,
                "llrrrr",
                total=(
                    "Total",
                    "",
                    "",
                    number(diffs["wspm_a"].sum()),
                    number(diffs["wspm_b"].sum()),
                    signed_number(diffs["diff_wspm"].sum(), tol=WSPM_TOL),
                ),
            )
        )
    return s


def _capacity(c: Comparison, n: int) -> Section:
    cap = c.capacity
    differ = cap[cap["diff_wspm"].abs() > WSPM_TOL]
    lead = para(
        "Installed capacity (existing plus builds online) by region and year, from capacity.csv "
        f"and sites.csv; {len(differ)} region-year{_s(len(differ))} differ."
    )
    s = Section("capacity", n, "Capacity by region", lead)
    rows = [
        (
            region_name(r.region),
            str(int(r.year)),
            number(r.installed_wspm_a),
            number(r.installed_wspm_b),
            signed_number(r.diff_wspm, tol=WSPM_TOL),
        )
        for r in cap.itertuples(index=False)
    ]
    s.blocks.append(
        _table(
            "capacity",
            "Installed capacity by region and year (wspm)",
            ("Region", "Year", "Plan A", "Plan B", "Difference"),
            rows,
            "lrrrr",
        )
    )
    return s


def _partners(c: Comparison, n: int) -> Section:
    p = c.partners[(c.partners["usd_a"] > 0) | (c.partners["usd_b"] > 0)]
    lead = para(
        "Capital raised from each partner over the horizon and its share of all capital "
        "(partner_summary.csv); shares that move by more than one percentage point are in the "
        "summary."
    )
    s = Section("partners", n, "Partners", lead)
    rows = [
        (
            r.partner,
            r.kind,
            money(r.usd_a),
            money(r.usd_b),
            signed_money(r.diff_usd),
            pct(r.share_a),
            pct(r.share_b),
            _points(r.diff_share),
        )
        for r in p.itertuples(index=False)
    ]
    s.blocks.append(
        _table(
            "partners",
            "Capital and share by partner",
            (
                "Partner",
                "Kind",
                "Capital A",
                "Capital B",
                "Difference",
                "Share A",
                "Share B",
                "Change (points)",
            ),
            rows,
            "llrrrrrr",
            total=(
                "Total",
                "",
                money(p["usd_a"].sum()),
                money(p["usd_b"].sum()),
                signed_money(p["diff_usd"].sum()),
                "",
                "",
                "",
            ),
        )
    )
    return s


def _energy(c: Comparison, n: int) -> Section:
    lead = para(
        "Energy contracted (MW, contracts.csv) and drawn by source and year (MWh, energy.csv). "
        + weighting_note(c)
    )
    s = Section("energy", n, "Energy", lead)
    rows = [
        (r.contract, r.source, mw(r.mw_a), mw(r.mw_b), signed_number(r.diff_mw, 1, tol=MW_TOL))
        for r in c.contracts.itertuples(index=False)
    ]
    s.blocks.append(
        _table(
            "contracts",
            "Contracted MW",
            ("Contract", "Source", "MW A", "MW B", "Difference"),
            rows,
            "llrrr",
        )
    )
    e = c.energy
    totals = e.groupby("source", as_index=False)[["mwh_a", "mwh_b", "diff_mwh"]].sum()
    rows = [
        (r.source, number(r.mwh_a), number(r.mwh_b), signed_number(r.diff_mwh, tol=MWH_TOL))
        for r in totals.itertuples(index=False)
    ]
    s.blocks.append(
        _table(
            "energy-sources",
            "Energy drawn by source over the horizon (MWh)",
            ("Source", "Plan A", "Plan B", "Difference"),
            rows,
            "lrrr",
            total=(
                "Total",
                number(e["mwh_a"].sum()),
                number(e["mwh_b"].sum()),
                signed_number(e["diff_mwh"].sum(), tol=MWH_TOL),
            ),
        )
    )
    rows = [
        (
            r.source,
            str(int(r.year)),
            number(r.mwh_a),
            number(r.mwh_b),
            signed_number(r.diff_mwh, tol=MWH_TOL),
        )
        for r in e.itertuples(index=False)
    ]
    s.blocks.append(
        _table(
            "energy-mix",
            "Energy mix by source and year (MWh)",
            ("Source", "Year", "Plan A", "Plan B", "Difference"),
            rows,
            "lrrrr",
        )
    )
    return s


def _costs(c: Comparison, n: int) -> Section:
    lead = para(
        "Net present value by cost component (costs.csv); the change is relative to plan A. "
        f"Total: {money(c.total_cost_a)} in plan A, {money(c.total_cost_b)} in plan B, "
        f"difference {signed_money(c.cost_diff_usd)} ({signed_pct(c.cost_change)})."
    )
    s = Section("costs", n, "Costs", lead)
    rows = [
        (
            r.label,
            money(r.npv_usd_a),
            money(r.npv_usd_b),
            signed_money(r.diff_usd),
            _relative(r.change, r.diff_usd),
        )
        for r in c.costs.itertuples(index=False)
    ]
    s.blocks.append(
        _table(
            "costs",
            "Cost by component (NPV)",
            ("Component", "Plan A", "Plan B", "Difference", "Change"),
            rows,
            "lrrrr",
            total=(
                "Total",
                money(c.total_cost_a),
                money(c.total_cost_b),
                signed_money(c.cost_diff_usd),
                signed_pct(c.cost_change),
            ),
        )
    )
    return s


def _unmet(c: Comparison, n: int) -> Section:
    u = c.unmet
    lead = para("GPUs of demand not served, by year (unmet.csv). " + weighting_note(c))
    s = Section("unmet", n, "Unmet demand", lead)
    if u.empty:
        s.blocks.append(para("Both plans serve all demand."))
        return s
    rows = [
        (
            str(int(r.year)),
            number(r.gpus_a),
            number(r.gpus_b),
            signed_number(r.diff_gpus, tol=GPU_TOL),
        )
        for r in u.itertuples(index=False)
    ]
    s.blocks.append(
        _table(
            "unmet",
            "Unmet demand by year (GPUs)",
            ("Year", "Plan A", "Plan B", "Difference"),
            rows,
            "lrrr",
            total=(
                "Total",
                number(u["gpus_a"].sum()),
                number(u["gpus_b"].sum()),
                signed_number(u["diff_gpus"].sum(), tol=GPU_TOL),
            ),
        )
    )
    return s


def _inputs(c: Comparison, n: int) -> Section:
    lead = para(
        "What differs in how the plans were made (summary.json): parameters, command-line "
        "overrides, input files (by SHA-256) and run settings."
    )
    s = Section("inputs", n, "Inputs", lead)
    if c.inputs.empty:
        s.blocks.append(para("Nothing: same input files, parameters, overrides and settings."))
        return s
    rows = [
        (r.kind, r.item, _input_value(r.kind, r.a), _input_value(r.kind, r.b))
        for r in c.inputs.itertuples(index=False)
    ]
    s.blocks.append(
        _table(
            "input-changes",
            "Inputs that differ",
            ("Kind", "Item", "Plan A", "Plan B"),
            rows,
            "llll",
            note=f"Input files are shown by the first {HASH_CHARS} hex digits of their SHA-256.",
        )
    )
    return s


# ---------------------------------------------------------------------------------------------
# cells


def _table(key, caption, columns, rows, align, total=None, note="") -> Table:
    return Table(
        key=key,
        caption=caption,
        columns=tuple(columns),
        rows=tuple(tuple(str(x) for x in r) for r in rows),
        align=tuple(align),
        total=None if total is None else tuple(str(x) for x in total),
        note=note,
    )


def _value(value: float, unit: str) -> str:
    if value is None or math.isnan(value):
        return "–"
    return money(value) if unit == "usd" else number(value)


def _diff(value: float, unit: str) -> str:
    if value is None or math.isnan(value):
        return "–"
    if unit == "usd":
        return signed_money(value)
    tol = {"wspm": WSPM_TOL, "gpus": GPU_TOL, "mwh": MWH_TOL}.get(unit, 0.5)
    return signed_number(value, tol=tol)


def _year(value: float) -> str:
    return "–" if math.isnan(value) else str(int(value))


def _shift(value: float) -> str:
    return "–" if math.isnan(value) else signed_number(value)


def _change(r) -> str:
    if r.change in ("later", "earlier"):
        n = int(abs(r.shift_years))
        return f"{n} year{_s(n)} {r.change}"
    return _CHANGE_WORDS[r.change]


def _points(diff_share: float) -> str:
    return signed_number(100 * diff_share, 1, tol=0.05)


def _relative(change: float, diff: float) -> str:
    if math.isnan(change):
        return "new" if diff != 0 else "–"
    return signed_pct(change)


def _input_value(kind: str, value: object) -> str:
    if value is None:
        return "(none)"
    if kind == "input file":
        return str(value)[:HASH_CHARS]
    return value_text(value)


def _s(n: int) -> str:
    return "" if n == 1 else "s"


__all__ = ["build_document"]
