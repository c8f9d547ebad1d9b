"""Why demand goes unmet, in numbers (issue 15 §2): pure pandas on the plan tables.

For every (scenario, year) with unmet demand the binding limits of binding.csv are sorted into
causes, each with its impact (binding.csv impact_usd = |shadow price| x the size of the row, the
NPV dollars the limit moves; rows without a year, such as a partner's commitment, count in every
year) and its number:

- `capital`: commitment, tranche_limit, capital_budget (saving per extra dollar = -shadow price);
- `site limit`: a fab full at its max_wspm (capacity rows of a built-out site, site_size rows);
- `lead time`: a fab that has room, but no build decided from max(first_build_year, first year)
  is online (+ lead_time_years) by that year; listed from sites.csv even when no row binds;
- with a supply chain the capacity causes carry the site's stage (logic, memory, packaging:
  supply_chain.site_stages), so a short packaging stage reads "site limit (packaging)";
- `tools`, `offers`, `energy`, `concentration`, `partner shares`: their families below;
- `fab full`: a fab full with room it could have built in time: only the proximate limit, named
  when no deeper limit binds (then building more costs more than the GPUs it would serve save);
- `export lanes`: a market short while a region with idle assembly capacity of the product has
  no lane to it (shipping.csv leaves the pair out: no column, so no row binds; unmet_lanes.py);
- any other limit family under its own name.

The report reads only plan tables; nothing here reads the data folder or the model.
"""

from __future__ import annotations

import pandas as pd

from optimizer.plan import statistics, unmet_lanes
from optimizer.plan.read import Plan
from optimizer.plan.schema import ALL_SCENARIOS

UNMET_TOLERANCE = 0.5  # GPUs: less unmet than this is demand met (solver noise)
SIZE_TOLERANCE = 1e-6  # relative: installed within this of max_wspm is built out
KINDS: dict[str, tuple[str, ...]] = {
    # older plans name some families differently (partner_commitment, contract_capacity, ...)
    "capital": ("commitment", "tranche_limit", "capital_budget", "partner_commitment"),
    "tools": ("tool_supply",),
    "offers": ("offer_limit",),
    "energy": (
        "contract_supply",
        "contract_capacity",
        "generation_limit",
        "generation_max_mw",
        "storage_max_mw",
        "storage_energy",
    ),
    "concentration": ("concentration", "min_capacity_share"),
    "partner shares": (
        "max_share",
        "region_share",
        "partner_region_share",
        "operator_stake",
        "min_share",
    ),
}
FAMILY_KIND = {f: k for k, fams in KINDS.items() for f in fams}
CAPACITY = ("capacity", "site_size")
ITEM_KEYS = (
    "site",
    "offer",
    "tool",
    "contract",
    "project",
    "tranche",
    "operator",
    "program",
    "partner",
    "region",
)
COLUMNS = [
    "scenario",
    "year",
    "kind",
    "item",
    "stage",
    "family",
    "impact_usd",
    "shadow_price",
    "unit",
    "quantity",
    "from_year",
    "lead_time_years",
    "meaning",
    "row",
    "row_year",
]


def unmet_years(plan: Plan) -> pd.DataFrame:
    """scenario, year, gpus: the (scenario, year) pairs with unmet demand."""
    unmet = plan["unmet"]
    frame = unmet.groupby(["scenario", "year"], as_index=False)["gpus"].sum()
    frame["year"] = frame["year"].astype(int)
    return frame[frame["gpus"] > UNMET_TOLERANCE].reset_index(drop=True)


def causes(plan: Plan) -> pd.DataFrame:
    """One row per (scenario, year with unmet demand, binding row or late site): the cause kind,
    its item (site, offer, tool, partner, ...), impact_usd and the number the sentence quotes."""
    short = unmet_years(plan)
    if short.empty:
        return pd.DataFrame(columns=COLUMNS)
    found = (_bound(plan, short), _late_sites(plan, short), unmet_lanes.lane_causes(plan, short))
    frames = [f for f in found if len(f)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out = out.reindex(columns=COLUMNS)
    out = _classify_capacity(plan, out)
    return out.sort_values(
        ["scenario", "year", "impact_usd"], ascending=[True, True, False], kind="stable"
    ).reset_index(drop=True)


def _bound(plan: Plan, short: pd.DataFrame) -> pd.DataFrame:
    """binding.csv rows of the shortfall (scenario, year)s; blank scenario or year = all."""
    if not plan.has("binding") or plan["binding"].empty:
        return pd.DataFrame()
    b = plan["binding"].copy()
    b["impact_usd"] = pd.to_numeric(b["impact_usd"], errors="coerce").abs().fillna(0.0)
    b["shadow_price"] = pd.to_numeric(b["shadow_price"], errors="coerce")
    b["scenario"] = b["scenario"].where(b["scenario"].notna() & (b["scenario"] != ""), None)
    b["row_year"] = pd.to_numeric(b["year"], errors="coerce")
    b = b.drop(columns=["year"]).reset_index(names="row")
    pairs = short[["scenario", "year"]]
    keyed = b.merge(pairs, how="cross", suffixes=("_row", ""))
    scen_ok = (  # a staged plan's limit met by decide-now decisions only binds in all
        keyed["scenario_row"].isna()
        | (keyed["scenario_row"] == keyed["scenario"])
        | (keyed["scenario_row"] == ALL_SCENARIOS)
    )
    year_ok = keyed["row_year"].isna() | (keyed["row_year"] == keyed["year"])
    keyed = keyed[scen_ok & year_ok].copy()
    keyed["kind"] = keyed["family"].map(FAMILY_KIND).fillna(keyed["family"])
    keyed["item"] = _item(keyed)
    keyed["quantity"] = _quantity(plan, keyed)
    return keyed


def _item(rows: pd.DataFrame) -> pd.Series:
    """The row's name: the first filled of ITEM_KEYS (region / process for concentration)."""
    item = pd.Series("", index=rows.index, dtype="object")
    for key in reversed(ITEM_KEYS):
        if key in rows:
            filled = rows[key].notna() & (rows[key].astype(str) != "")
            item = item.where(~filled, rows[key].astype(str))
    if "process" in rows:
        process = rows["process"].fillna("").astype(str)
        conc = rows["family"].isin(KINDS["concentration"]) & (process != "")
        item = item.where(~conc, item + " " + process)
    return item


def _lookup(plan: Plan, frame: pd.DataFrame, rows: pd.DataFrame, on: list[str], value: str):
    """Per row of `rows`: the sum of frame[value] over the rows matching it on `on`; a staged
    table (scenario column, shared rows "all") is matched within the row's own scenario."""
    frame = statistics.per_scenario(frame, plan)
    if "scenario" in frame.columns and "scenario" in rows and "scenario" not in on:
        on = ["scenario", *on]
    summed = frame.groupby(on)[value].sum()
    keys = pd.MultiIndex.from_frame(rows[on].astype({c: int for c in on if c == "year"}))
    return pd.Series(summed.reindex(keys).to_numpy(), index=rows.index)


def _quantity(plan: Plan, rows: pd.DataFrame) -> pd.Series:
    """The limit's size where a plan table gives it: capital raised from the source, a tool's
    cumulative supply, a contract's max_mw, an offer's wafers bought, a region's share."""
    q = pd.Series(float("nan"), index=rows.index)
    fam = rows["family"]
    if plan.has("capital_sources"):
        src = plan["capital_sources"]
        if "partner" in rows:
            commit = _lookup(plan, src[src["source"] == "commitment"], rows, ["partner"], "usd")
            q = q.where(fam != "commitment", commit)
        if "tranche" in rows:
            per_tranche = _lookup(
                plan, src.rename(columns={"source": "tranche"}), rows, ["tranche"], "usd"
            )
            q = q.where(fam != "tranche_limit", per_tranche)
        if "scenario" in src.columns and (src["scenario"] == ALL_SCENARIOS).any():
            total = _lookup(plan, src.assign(_all=0), rows.assign(_all=0), ["_all"], "usd")
            q = q.where(fam != "capital_budget", total)
        else:
            q = q.where(fam != "capital_budget", float(src["usd"].sum()))
    if plan.has("tool_use") and "tool" in rows:
        got = _lookup(plan, plan["tool_use"], rows, ["tool", "year"], "cumulative_supply_units")
        q = q.where(fam != "tool_supply", got)
    if "contract" in rows and "max_mw" in plan["contracts"]:
        c = plan["contracts"]
        mw = c.drop_duplicates("contract").set_index("contract")["max_mw"]  # an input: same
        q = q.where(fam != "contract_supply", rows["contract"].map(mw))
    if plan.has("purchases") and "offer" in rows:
        got = _lookup(plan, plan["purchases"], rows, ["scenario", "offer", "year"], "wafers")
        q = q.where(fam != "offer_limit", got)
    conc = fam.isin(KINDS["concentration"])
    if conc.any():
        q = q.where(~conc, _region_share(plan, rows[conc]))
    return q


def _region_share(plan: Plan, rows: pd.DataFrame) -> pd.Series:
    """Installed wspm of the region's sites of the process (node or group) / all such sites."""
    if not plan.has("sites"):
        return pd.Series(float("nan"), index=rows.index)
    sites = plan["sites"].copy()
    group = sites["group"] if "group" in sites else pd.Series("", index=sites.index)
    cap = statistics.per_scenario(plan["capacity"], plan).merge(
        sites.assign(group=group)[["site", "region", "node", "group"]], on="site"
    )
    staged = "scenario" in cap.columns
    out = []
    for r in rows.itertuples():
        process = "" if pd.isna(r.process) else str(r.process)
        named = (cap["node"] == process) | (cap["group"] == process) | (process == "")
        of = cap[named & (cap["year"] == r.year)]
        if staged:  # the scenario's own capacity
            of = of[of["scenario"] == r.scenario]
        total = of["installed_wspm"].sum()
        mine = of.loc[of["region"] == r.region, "installed_wspm"].sum()
        out.append(mine / total if total > 0 else float("nan"))
    return pd.Series(out, index=rows.index, dtype=float)


def _sites(plan: Plan) -> pd.DataFrame:
    """site, max_wspm, from_year (first decision year in the horizon), lead_time_years."""
    if not plan.has("sites"):
        return pd.DataFrame(columns=["site", "max_wspm", "from_year", "lead_time_years"])
    s = plan["sites"].copy()
    first = min(plan.years) if plan.years else 0
    fby = s["first_build_year"] if "first_build_year" in s else pd.Series(first, index=s.index)
    lead = s["lead_time_years"] if "lead_time_years" in s else pd.Series(0, index=s.index)
    s["from_year"] = pd.to_numeric(fby, errors="coerce").fillna(first).clip(lower=first)
    s["lead_time_years"] = pd.to_numeric(lead, errors="coerce").fillna(0)
    s["max_wspm"] = pd.to_numeric(s["max_wspm"], errors="coerce")
    return s[["site", "max_wspm", "from_year", "lead_time_years"]]


def _late_sites(plan: Plan, short: pd.DataFrame) -> pd.DataFrame:
    """Sites with room whose earliest build is online after a shortfall year (impact 0 here:
    their capacity rows, when binding, carry it)."""
    s = _sites(plan)
    if s.empty:
        return pd.DataFrame()
    cap = statistics.per_scenario(plan["capacity"], plan)  # staged: each scenario's own
    on = ["scenario", "site", "year"] if "scenario" in cap.columns else ["site", "year"]
    cap = cap[[*on, "installed_wspm"]].astype({"year": int})
    late = short[["scenario", "year"]].merge(s, how="cross")
    late = late[late["from_year"] + late["lead_time_years"] > late["year"]]
    late = late.merge(cap, on=on, how="left").fillna({"installed_wspm": 0.0})
    late = late[late["max_wspm"] > late["installed_wspm"] * (1 + SIZE_TOLERANCE) + 1e-9]
    return late.assign(
        kind="lead time",
        item=late["site"],
        family="lead_time",
        impact_usd=0.0,
        quantity=late["max_wspm"] - late["installed_wspm"],
        unit="wspm",
    )


def _classify_capacity(plan: Plan, rows: pd.DataFrame) -> pd.DataFrame:
    """Capacity rows become site limit / lead time / fab full; upstream sites become stage."""
    s = _sites(plan).set_index("site")
    cap = statistics.per_scenario(plan["capacity"], plan)  # staged: each scenario's own
    on = ["scenario", "site", "year"] if "scenario" in cap.columns else ["site", "year"]
    cap = cap[[*on, "installed_wspm"]].astype({"year": int})
    is_cap = rows["family"].isin(CAPACITY)
    keyed = rows[["scenario", "item", "year"]].rename(columns={"item": "site"})
    keyed = keyed[[*on]].astype({"year": int})
    installed = keyed.merge(cap, on=on, how="left")["installed_wspm"].to_numpy()
    installed = pd.Series(installed, index=rows.index).fillna(0.0)
    top = rows["item"].map(s["max_wspm"])
    ready = rows["item"].map(s["from_year"] + s["lead_time_years"])
    full = (installed >= top * (1 - SIZE_TOLERANCE)) | (rows["family"] == "site_size")
    late = ready > rows["year"]
    kind = pd.Series("fab full", index=rows.index).where(~late, "lead time")
    kind = kind.where(~full, "site limit")
    rows = rows.copy()
    rows["kind"] = rows["kind"].where(~is_cap, kind)
    rows["quantity"] = rows["quantity"].where(~(is_cap & full), top)
    rows["quantity"] = rows["quantity"].where(
        ~(is_cap & ~full), (top - installed).where(is_cap & ~full)
    )
    capish = rows["kind"].isin(["site limit", "lead time", "fab full"])
    if capish.any():
        rows.loc[capish, "from_year"] = rows.loc[capish, "item"].map(s["from_year"])
        rows.loc[capish, "lead_time_years"] = rows.loc[capish, "item"].map(s["lead_time_years"])
    rows["stage"] = _stage(plan, rows["item"]).where(capish, "")
    return rows


def _stage(plan: Plan, sites: pd.Series) -> pd.Series:
    """The supply-chain stage of a site (logic, memory, packaging; '' without a supply chain)."""
    from optimizer.plan import supply_chain  # the report's own stage naming

    if not (plan.has("sites") and plan.has("stages")) or not supply_chain.modelled(plan):
        return pd.Series("", index=sites.index)
    stage = supply_chain.site_stages(plan).set_index("site")["stage"]
    return sites.map(stage).fillna("").astype(str)


def runs(plan: Plan) -> pd.DataFrame:
    """scenario, first_year, last_year, gpus: consecutive shortfall years per scenario."""
    short = unmet_years(plan).sort_values(["scenario", "year"])
    if short.empty:
        return pd.DataFrame(columns=["scenario", "first_year", "last_year", "gpus"])
    gap = short.groupby("scenario")["year"].diff().ne(1)
    short["run"] = gap.cumsum()
    return (
        short.groupby(["scenario", "run"], as_index=False)
        .agg(first_year=("year", "min"), last_year=("year", "max"), gpus=("gpus", "sum"))
        .drop(columns="run")
    )


def ranked(plan: Plan, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per (scenario, run of years, kind, item): impact summed over the run's years (a row without
    a year once), the largest-impact row's shadow price and year, the quantity; ranked by impact."""
    table = causes(plan) if table is None else table
    spans = runs(plan)
    if table.empty or spans.empty:
        return pd.DataFrame()
    t = table.merge(spans, on="scenario")
    t = t[(t["year"] >= t["first_year"]) & (t["year"] <= t["last_year"])].copy()
    t["once"] = t["row_year"].isna() & t["row"].notna()
    t["once"] &= t.duplicated(["scenario", "first_year", "row"])
    t.loc[t["once"], "impact_usd"] = 0.0
    t = t.sort_values("impact_usd", ascending=False, kind="stable")
    t["stage"] = t["stage"].fillna("").astype(str)
    keys = ["scenario", "first_year", "last_year", "kind", "stage", "item"]
    top = t.drop_duplicates(keys).set_index(keys)
    out = t.groupby(keys, sort=False)["impact_usd"].sum().to_frame()
    for col in ["family", "shadow_price", "unit", "quantity", "year"]:
        out[col] = top[col]
    for col in ["from_year", "lead_time_years", "meaning"]:
        out[col] = top[col]
    out = out.reset_index().sort_values(
        ["scenario", "first_year", "impact_usd"], ascending=[True, True, False], kind="stable"
    )
    return out.reset_index(drop=True)


# --- sentences ---------------------------------------------------------------------------------

MAX_KINDS = 4  # causes named per run of years, besides the capital statement
PROXIMATE = "fab full"


def sentences(plan: Plan) -> list[str]:
    """One sentence per (scenario, run of years) with unmet demand, causes ranked by impact:
    "2032–2033 (base): 24.4 million GPUs unmet. Binding, by impact: ...; capital is not..."."""
    from optimizer.render.fmt import count

    table = ranked(plan)
    out = []
    for span in runs(plan).itertuples(index=False):
        first, last = int(span.first_year), int(span.last_year)
        years = str(first) if first == last else f"{first}–{last}"
        mine = table
        if len(table):
            mine = table[(table["scenario"] == span.scenario) & (table["first_year"] == first)]
        parts = cause_texts(mine)
        out.append(
            f"{years} ({span.scenario}): {count(span.gpus)} GPUs unmet. "
            f"Binding, by impact: {'; '.join(parts)}."
        )
    return out


def cause_texts(rows: pd.DataFrame) -> list[str]:
    """The run's causes, one clause per (kind, stage), largest summed impact first; the fab-full
    rows only when nothing deeper binds; capital named whether or not it binds."""
    if rows.empty:
        return [
            "no limit binds (serving more would cost more than the unmet-demand penalty)",
            "capital is not the limit (no capital row binds)",
        ]
    rows = rows.assign(group=rows["kind"] + rows["stage"].map(lambda s: f" ({s})" if s else ""))
    per_group = rows.groupby("group", sort=False)["impact_usd"].sum()
    kind_of = rows.drop_duplicates("group").set_index("group")["kind"]
    order = per_group.sort_values(ascending=False, kind="stable")
    deeper = [g for g, v in order.items() if v > 0 and kind_of[g] != PROXIMATE]
    groups = (deeper or [g for g, v in order.items() if v > 0])[:MAX_KINDS]
    late = [g for g in order.index if kind_of[g] == "lead time" and g not in groups]
    groups += late[: max(0, MAX_KINDS - len(groups))]
    # a missing export lane binds no row (it has no column): named whenever it holds
    groups += [g for g in order.index if kind_of[g] == unmet_lanes.KIND and g not in groups]
    capital = [g for g in order.index if kind_of[g] == "capital"]
    groups += [g for g in capital if g not in groups]
    texts = []
    for g in groups:
        of = rows[rows["group"] == g]
        texts.append(_clause(of.iloc[0], len(of) - 1, bool(deeper)))
    if not capital:
        texts.append("capital is not the limit (no capital row binds)")
    return texts


def _clause(r: pd.Series, more: int, deeper: bool) -> str:
    """One cause in words with its number (from the row of largest impact): 'text (details)'."""
    from optimizer.render.fmt import money, number, pct

    q, item, fam, kind = r["quantity"], r["item"], r["family"], r["kind"]
    has_q = pd.notna(q)
    details: list[str] = []
    if kind == unmet_lanes.KIND:
        return unmet_lanes.clause(item, q if has_q else 0.0, r["year"]) + (
            f" (and {more} more like it)" if more > 0 else ""
        )
    if kind == "site limit":
        text = f"{item} is built out to its max_wspm" + (f" of {number(q)} wspm" if has_q else "")
    elif kind == "lead time":
        text = f"{item} has {number(q)} wspm of room" if has_q else f"{item} has room"
        if pd.notna(r["from_year"]) and pd.notna(r["lead_time_years"]):
            start, lead = int(r["from_year"]), int(r["lead_time_years"])
            text += f" that can be online only from {start + lead}"
            details.append(f"first build {start} + lead time {lead} year{'' if lead == 1 else 's'}")
        else:
            text += " that cannot be online in time"
    elif kind == PROXIMATE:
        text = f"{item} runs full" + (f" with {number(q)} wspm of room" if has_q else "")
        if not deeper:
            details.append("no deeper limit binds: building more costs more than it saves")
    elif fam == "commitment":
        text = f"partner {item} is at its commitment" + (f" of {money(q)}" if has_q else "")
    elif fam == "tranche_limit":
        text = f"tranche {item} is fully drawn" + (f" at {money(q)}" if has_q else "")
    elif fam == "capital_budget":
        text = "the capital budget" + (f" of {money(q)}" if has_q else "") + " is spent"
    elif fam == "tool_supply":
        text = f"{item} tools are used up"
        if has_q:
            details.append(f"{number(q)} delivered by {int(r['year'])}")
    elif fam == "offer_limit":
        text = f"offer {item} is sold out"
        if has_q:
            details.append(f"{number(q)} wafers bought")
    elif fam == "contract_supply":
        size = f" of {number(q)} MW" if has_q else ""
        text = f"energy contract {item} delivers all its max_mw{size}"
    elif kind == "concentration":
        text = f"{item} is at its {str(fam).replace('_', ' ')} limit"
        if has_q:
            details.append(f"{pct(q)} of the capacity")
    else:
        meaning = str(r["meaning"]) if pd.notna(r["meaning"]) else f"{fam} {item}"
        text = meaning.split(":", 1)[0]
    details.append(_saving(r, kind))
    if more > 0:
        details.append(f"and {more} more like it")
    if kind != "capital" and r["stage"]:
        text = f"{r['stage']} site {text}"
    details = [d for d in details if d]
    return text + (f" ({'; '.join(details)})" if details else "")


def _saving(r: pd.Series, kind: str) -> str:
    """'one more wafer would save $553,601 in 2032' from the row's shadow price (binding.csv's
    unit: USD (NPV) per <unit>); capital: 'a dollar more would save $0.2103'."""
    from optimizer.render.fmt import money, price

    if pd.isna(r["shadow_price"]) or r["shadow_price"] == 0:
        return ""
    value = abs(float(r["shadow_price"]))
    what = str(r["unit"]).split(" per ", 1)[-1] if pd.notna(r["unit"]) else "unit"
    dollar = kind == "capital" or what == "USD"
    amount = price(value) if dollar else money(value)
    when = f" in {int(r['year'])}" if pd.notna(r["year"]) and kind != "capital" else ""
    what = "dollar" if dollar else what
    if float(r["shadow_price"]) < 0:  # more room lowers the cost
        return f"one more {what} would save {amount}{when}"
    return f"each {what} less required would save {amount}{when}"
