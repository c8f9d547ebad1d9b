"""Regenerate the hand-made plan fixture the report tests read (`python make_fixture.py`).

The plan is made by hand, not by the solver: the build, funding and contract decisions below are
chosen by a person; everything else follows from them with the formulas of docs/plan-tables.md
(capacity with ramp-up, production greedily filling demand, energy from the cheapest contracts,
cost components with discount factors), so the tables are consistent with each other and the cost
components sum to objective_usd. Shadow prices and GPU prices are plausible hand-set values.
The tests never use this script: they recompute what they check from the CSV files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
FIRST, LAST = 2025, 2032
YEARS = list(range(FIRST, LAST + 1))
RATE = 0.08
PENALTY = 25_000.0
CARBON = 50.0
LIFE = 20
RAMP = (0.3, 0.7)


def df(t: int) -> float:
    return 1 / (1 + RATE) ** (t - FIRST)


def ramp(k: int) -> float:
    return 0.0 if k < 0 else RAMP[k] if k < len(RAMP) else 1.0


sites = pd.DataFrame(
    [
        # site, name, region, country, node, existing, max, capex/wspm, opex/wafer, MWh/wafer,
        # lead, util, fixed/yr, subsidy rate, subsidy cap
        (
            "TW_SOUTH",
            "Southern Taiwan Science Park",
            "Taiwan",
            "TW",
            "N2",
            50_000,
            130_000,
            500_000,
            3_500,
            3.0,
            2,
            0.90,
            300e6,
            0.0,
            0.0,
        ),
        (
            "US_AZ",
            "Phoenix, Arizona",
            "United States",
            "US",
            "N3",
            10_000,
            100_000,
            650_000,
            4_550,
            3.0,
            3,
            0.90,
            250e6,
            0.10,
            6.6e9,
        ),
        (
            "US_TX",
            "Taylor, Texas",
            "United States",
            "US",
            "N2",
            0,
            45_000,
            650_000,
            4_550,
            3.0,
            3,
            0.88,
            200e6,
            0.128,
            4.995e9,
        ),
        (
            "JP_KUMAMOTO",
            "Kikuyo, Kumamoto",
            "Japan",
            "JP",
            "N3",
            0,
            50_000,
            550_000,
            4_000,
            3.0,
            2,
            0.90,
            150e6,
            0.35,
            4.9e9,
        ),
        (
            "AE_ABUDHABI",
            "Abu Dhabi (greenfield)",
            "UAE",
            "AE",
            "N3",
            0,
            60_000,
            750_000,
            4_550,
            3.0,
            4,
            0.85,
            220e6,
            0.0,
            0.0,
        ),
        (
            "DE_MAGDEBURG",
            "Magdeburg, Saxony-Anhalt",
            "Germany",
            "DE",
            "N3",
            0,
            40_000,
            650_000,
            4_550,
            3.0,
            3,
            0.90,
            200e6,
            0.33,
            10.7e9,
        ),
    ],
    columns=[
        "site",
        "name",
        "region",
        "country",
        "node",
        "existing_wspm",
        "max_wspm",
        "capex_usd_per_wspm",
        "opex_usd_per_wafer",
        "energy_mwh_per_wafer",
        "lead_time_years",
        "utilization",
        "fixed_cost_usd_per_year",
        "subsidy_rate",
        "subsidy_cap_usd",
    ],
).set_index("site")

products = {"GPU_N2": ("N2", 15), "GPU_N3": ("N3", 18)}
markets = ["Americas", "Asia"]
ship = {
    ("Taiwan", "Americas"): 12,
    ("Taiwan", "Asia"): 4,
    ("United States", "Americas"): 3,
    ("United States", "Asia"): 11,
    ("Japan", "Americas"): 12,
    ("Japan", "Asia"): 5,
}

# demand in million GPUs per year (product, market) -> by year 2025..2032
demand_m = {
    ("GPU_N2", "Americas"): [2.4, 3.6, 5.0, 6.6, 8.4, 9.8, 11.0, 12.0],
    ("GPU_N2", "Asia"): [2.0, 3.0, 4.2, 5.4, 6.8, 8.0, 9.0, 9.8],
    ("GPU_N3", "Americas"): [0.9, 1.1, 1.4, 1.9, 2.8, 3.6, 4.2, 4.6],
    ("GPU_N3", "Asia"): [0.5, 0.7, 0.8, 1.2, 1.8, 2.4, 2.8, 3.0],
}

# hand-chosen builds: site, decision year, wspm
builds = pd.DataFrame(
    [
        ("TW_SOUTH", 2025, 20_000),
        ("TW_SOUTH", 2027, 30_000),
        ("TW_SOUTH", 2029, 30_000),
        ("US_TX", 2025, 25_000),
        ("US_TX", 2027, 20_000),
        ("US_AZ", 2026, 20_000),
        ("JP_KUMAMOTO", 2026, 15_000),
    ],
    columns=["site", "year", "wspm"],
)
builds["online_year"] = builds["year"] + builds["site"].map(sites["lead_time_years"])
builds["capex_usd"] = builds["wspm"] * builds["site"].map(sites["capex_usd_per_wspm"])
rate = builds["site"].map(sites["subsidy_rate"])
builds["grant_usd"] = builds["capex_usd"] * rate
# caps per site (cumulative)
for s, g in builds.groupby("site"):
    cap = sites.loc[s, "subsidy_cap_usd"]
    if cap > 0 and g["grant_usd"].sum() > cap:
        builds.loc[g.index, "grant_usd"] *= cap / g["grant_usd"].sum()
builds = builds[["site", "year", "online_year", "wspm", "capex_usd", "grant_usd"]]

# capacity
rows = []
for s in sites.index:
    b = builds[builds["site"] == s]
    for t in YEARS:
        online = b[b["online_year"] <= t]
        inst = sites.loc[s, "existing_wspm"] + online["wspm"].sum()
        avail = sites.loc[s, "existing_wspm"] + sum(
            w * ramp(t - o) for w, o in zip(online["wspm"], online["online_year"], strict=True)
        )
        built_by_t = b[b["year"] <= t]["wspm"].sum()
        is_open = 1.0 if sites.loc[s, "existing_wspm"] + built_by_t > 0 else 0.0
        rows.append((s, t, inst, avail, is_open))
capacity = pd.DataFrame(rows, columns=["site", "year", "installed_wspm", "available_wspm", "open"])

# production: fill demand per product and year from sites of the node, cheapest lane first
prod_rows, unmet_rows, demand_rows = [], [], []
for t in YEARS:
    cap_left = {
        s: 12
        * sites.loc[s, "utilization"]
        * capacity.query("site == @s and year == @t")["available_wspm"].iloc[0]
        for s in sites.index
    }
    for k, (node, gpw) in products.items():
        for m in markets:
            need = demand_m[(k, m)][t - FIRST] * 1e6
            demand_rows.append(("base", k, m, t, need))
            cands = sorted(
                (
                    s
                    for s in sites.index
                    if sites.loc[s, "node"] == node and (sites.loc[s, "region"], m) in ship
                ),
                key=lambda s, m=m: (
                    ship[(sites.loc[s, "region"], m)] + sites.loc[s, "opex_usd_per_wafer"] / 15
                ),
            )
            for s in cands:
                wafers = min(cap_left[s], need / gpw)
                if wafers <= 0:
                    continue
                cap_left[s] -= wafers
                need -= wafers * gpw
                prod_rows.append(("base", s, k, m, t, round(wafers, 1), round(wafers, 1) * gpw))
            if need > 1:
                unmet_rows.append(("base", k, m, t, round(need, 1)))
production = pd.DataFrame(
    prod_rows, columns=["scenario", "site", "product", "market", "year", "wafers", "gpus"]
)
unmet = pd.DataFrame(unmet_rows, columns=["scenario", "product", "market", "year", "gpus"])
demand = pd.DataFrame(demand_rows, columns=["scenario", "product", "market", "year", "gpus"])

contracts = pd.DataFrame(
    [
        # contract, region, source, price, max_mw, cf, co2, fixed/MW-yr, first, last
        ("TW_OWF_CPPA", "Taiwan", "offshore wind", 100, 370, 0.40, 0.0, 30_000, 2025, 2040),
        ("TW_GRID", "Taiwan", "grid", 135, 1500, 1.0, 0.494, 0, 2025, 2040),
        ("US_SOLAR_PPA", "United States", "solar", 57, 500, 0.27, 0.0, 20_000, 2026, 2040),
        ("US_NUCLEAR_PPA", "United States", "nuclear", 112, 835, 0.92, 0.0, 40_000, 2028, 2047),
        ("US_GRID", "United States", "grid", 75, 2000, 1.0, 0.367, 0, 2025, 2040),
        ("JP_GRID", "Japan", "grid", 150, 1000, 1.0, 0.421, 0, 2025, 2040),
        ("AE_SOLAR_PPA", "UAE", "solar", 15, 600, 0.25, 0.0, 25_000, 2025, 2054),
    ],
    columns=[
        "contract",
        "region",
        "source",
        "price",
        "max_mw",
        "cf",
        "co2",
        "fixed",
        "first",
        "last",
    ],
).set_index("contract")
mw = {
    "TW_OWF_CPPA": 370,
    "TW_GRID": 320,
    "US_SOLAR_PPA": 500,
    "US_NUCLEAR_PPA": 0,
    "US_GRID": 120,
    "JP_GRID": 60,
    "AE_SOLAR_PPA": 0,
}

energy_rows = []
wafers_st = production.groupby(["site", "year"])["wafers"].sum()
for t in YEARS:
    left = {
        e: 8760 * contracts.loc[e, "cf"] * mw[e]
        for e in contracts.index
        if contracts.loc[e, "first"] <= t <= contracts.loc[e, "last"]
    }
    for s in sites.index:
        need = wafers_st.get((s, t), 0.0) * sites.loc[s, "energy_mwh_per_wafer"]
        region = sites.loc[s, "region"]
        for e in sorted(
            (e for e in left if contracts.loc[e, "region"] == region),
            key=lambda e: contracts.loc[e, "price"] + CARBON * contracts.loc[e, "co2"],
        ):
            use = min(need, left[e])
            if use <= 0:
                continue
            left[e] -= use
            need -= use
            mwh = round(use, 1)
            energy_rows.append(
                (
                    "base",
                    e,
                    s,
                    t,
                    mwh,
                    mwh * contracts.loc[e, "price"],
                    mwh * contracts.loc[e, "co2"],
                )
            )
        assert need < 1, (s, t, need)
energy = pd.DataFrame(
    energy_rows, columns=["scenario", "contract", "site", "year", "mwh", "cost_usd", "co2_t"]
)

partners = pd.DataFrame(
    [
        ("MGX_UAE", "sovereign fund", 0.07, 0.0, 0.45),
        ("MSFT", "hyperscaler", 0.085, 0.10, 0.50),
        ("TSMC", "foundry operator", 0.09, 0.20, 0.60),
    ],
    columns=["partner", "kind", "cost_of_capital", "min_share", "max_share"],
).set_index("partner")
split = {
    "Taiwan": {"MGX_UAE": 0.40, "MSFT": 0.20, "TSMC": 0.40},
    "United States": {"MGX_UAE": 0.25, "MSFT": 0.50, "TSMC": 0.25},
    "Japan": {"MGX_UAE": 0.30, "MSFT": 0.30, "TSMC": 0.40},
}
fund_rows = []
for b in builds.itertuples():
    need = b.capex_usd - b.grant_usd
    for p, f in split[sites.loc[b.site, "region"]].items():
        fund_rows.append((p, b.site, b.year, round(need * f, 0)))
funding = pd.DataFrame(fund_rows, columns=["partner", "site", "year", "usd"])
grants = builds.loc[builds["grant_usd"] > 0, ["site", "year", "grant_usd"]].rename(
    columns={"grant_usd": "usd"}
)


def annuity(r: float) -> float:
    return 1 / LIFE if r == 0 else r / (1 - (1 + r) ** -LIFE)


funding["fin_npv"] = [
    usd
    * annuity(partners.loc[p, "cost_of_capital"])
    * sum(df(y + j) for j in range(LIFE) if y + j <= LAST)
    for p, y, usd in zip(funding["partner"], funding["year"], funding["usd"], strict=True)
]
by_p = funding.groupby("partner").agg(usd=("usd", "sum"), fin=("fin_npv", "sum"))
total_cap = by_p["usd"].sum()
limits = {"MGX_UAE": by_p.loc["MGX_UAE", "usd"], "MSFT": 40e9, "TSMC": 45e9}
partner_summary = pd.DataFrame(
    {
        "partner": by_p.index,
        "kind": partners.loc[by_p.index, "kind"].to_numpy(),
        "usd": by_p["usd"].to_numpy(),
        "share": (by_p["usd"] / total_cap).round(6).to_numpy(),
        "max_share": partners.loc[by_p.index, "max_share"].to_numpy(),
        "min_share": partners.loc[by_p.index, "min_share"].to_numpy(),
        "max_commitment_usd": [limits[p] for p in by_p.index],
        "cost_of_capital": partners.loc[by_p.index, "cost_of_capital"].to_numpy(),
        "financing_cost_npv_usd": by_p["fin"].round(0).to_numpy(),
    }
)
partner_regions = pd.DataFrame(
    [("MGX_UAE", "United States", 0.25), ("MGX_UAE", "Japan", 0.40), ("TSMC", "Japan", 0.60)],
    columns=["partner", "region", "max_share"],
)

# costs
dfs = pd.Series({t: df(t) for t in YEARS})
comp = {}
comp["financing"] = partner_summary["financing_cost_npv_usd"].sum()
op = capacity.merge(sites[["fixed_cost_usd_per_year"]], left_on="site", right_index=True)
comp["site_fixed"] = (op["open"] * op["fixed_cost_usd_per_year"] * op["year"].map(dfs)).sum()
comp["energy_capacity"] = sum(
    contracts.loc[e, "fixed"]
    * mw[e]
    * sum(df(t) for t in YEARS if contracts.loc[e, "first"] <= t <= contracts.loc[e, "last"])
    for e in contracts.index
)
pr = production.merge(sites[["opex_usd_per_wafer", "region"]], left_on="site", right_index=True)
comp["operations"] = (pr["wafers"] * pr["opex_usd_per_wafer"] * pr["year"].map(dfs)).sum()
comp["energy"] = (energy["cost_usd"] * energy["year"].map(dfs)).sum()
comp["carbon"] = (energy["co2_t"] * CARBON * energy["year"].map(dfs)).sum()
pr["ship"] = [ship[(r, m)] for r, m in zip(pr["region"], pr["market"], strict=True)]
# shipments.csv: the routes above summed over the sites of each region (lane region -> market)
shipments = (
    pr.assign(cost_usd=pr["gpus"] * pr["ship"])
    .groupby(["scenario", "region", "product", "market", "year"], as_index=False, sort=False)[
        ["gpus", "cost_usd"]
    ]
    .sum()
)
comp["shipping"] = (pr["gpus"] * pr["ship"] * pr["year"].map(dfs)).sum()
comp["unmet_demand"] = (unmet["gpus"] * PENALTY * unmet["year"].map(dfs)).sum()
costs = pd.DataFrame({"component": list(comp), "npv_usd": [round(v, 2) for v in comp.values()]})
objective = float(costs["npv_usd"].sum())

# prices: hand-set: penalty where unmet, else marginal production + shipping + capacity rent
price_rows = []
unmet_keys = set(zip(unmet["product"], unmet["market"], unmet["year"], strict=True))
for k, (_node, gpw) in products.items():
    for m in markets:
        for t in YEARS:
            if (k, m, t) in unmet_keys:
                p = PENALTY
            else:
                base = 4_550 / gpw + 3 * 100 / gpw + (3 if m == "Americas" else 4)
                p = round(base + 1_800 * (1.0 if t < 2030 else 0.6), 2)
            price_rows.append(("base", k, m, t, p))
prices = pd.DataFrame(price_rows, columns=["scenario", "product", "market", "year", "usd_per_gpu"])

binding = pd.DataFrame(
    [
        (
            "demand",
            "GPU_N2 Asia 2028",
            -PENALTY * df(2028),
            "USD per GPU",
            "demand for GPU_N2 in Asia in 2028 is not fully met: each GPU short costs the "
            "$25,000 penalty",
        ),
        (
            "site_size",
            "TW_SOUTH 2029",
            -612_000.0,
            "USD per wspm",
            "TW_SOUTH is at its 130,000 wspm limit from 2029: one more wspm there would save "
            "$612,000",
        ),
        (
            "site_size",
            "US_TX 2027",
            -388_000.0,
            "USD per wspm",
            "US_TX is at its 45,000 wspm limit from 2027: one more wspm there would save $388,000",
        ),
        (
            "contract_capacity",
            "TW_OWF_CPPA",
            -190_000.0,
            "USD per MW",
            "contract TW_OWF_CPPA is at its 370 MW maximum: one more MW would save $190,000",
        ),
        (
            "partner_commitment",
            "MGX_UAE",
            -0.041,
            "USD per USD",
            "partner MGX_UAE is at its commitment limit: one more $ of its capital saves $0.041",
        ),
        (
            "partner_region_share",
            "MGX_UAE United States",
            -0.012,
            "USD per USD",
            "partner MGX_UAE holds its maximum 25% of capital for United States sites: raising the "
            "cap by one $ saves $0.012",
        ),
    ],
    columns=["family", "index", "shadow_price", "unit", "meaning"],
)
# impact = |shadow price| x size of the limit, ranked (as the plan writer ranks binding.csv)
binding.insert(
    4,
    "impact_usd",
    [
        19_845.8 * 569_200,
        612_000.0 * 130_000,
        388_000.0 * 45_000,
        190_000.0 * 370,
        0.041 * 26.9e9,
        0.012 * 9.3e9,
    ],
)
# binding.csv names each row by its key columns (blank where the family has none)
KEYS = ["scenario", "site", "product", "market", "contract", "partner", "region", "year"]
WHERE = {
    "GPU_N2 Asia 2028": {"product": "GPU_N2", "market": "Asia", "year": 2028},
    "TW_SOUTH 2029": {"site": "TW_SOUTH", "year": 2029},
    "US_TX 2027": {"site": "US_TX", "year": 2027},
    "TW_OWF_CPPA": {"contract": "TW_OWF_CPPA"},
    "MGX_UAE": {"partner": "MGX_UAE"},
    "MGX_UAE United States": {"partner": "MGX_UAE", "region": "United States"},
}
keys = pd.DataFrame([WHERE[i] for i in binding.pop("index")], columns=KEYS)
keys["year"] = keys["year"].astype("Int64")
binding = pd.concat([binding[["family"]], keys, binding.drop(columns="family")], axis=1)
binding = binding.sort_values("impact_usd", ascending=False).reset_index(drop=True)

contracts_out = pd.DataFrame(
    {
        "contract": contracts.index,
        "region": contracts["region"].to_numpy(),
        "source": contracts["source"].to_numpy(),
        "mw": [float(mw[e]) for e in contracts.index],
        "max_mw": contracts["max_mw"].astype(float).to_numpy(),
    }
)

sites_out = sites.reset_index()[
    [
        "site",
        "name",
        "region",
        "country",
        "node",
        "existing_wspm",
        "max_wspm",
        "utilization",
        "lead_time_years",
    ]
]


def fake_hash(name: str) -> str:
    return hashlib.sha256(f"fixture:{name}".encode()).hexdigest()


summary = {
    "status": "optimal",
    "termination": "Optimal",
    "optimal": True,
    "objective_usd": objective,
    "mip_gap": 0.0,
    "mode": "lp",
    "scenario": "base",
    "scenarios": {"base": 1.0},
    "solver": {"name": "HiGHS", "version": "1.16.0"},
    "fabplan_version": "0.1.0",
    "created": "2026-05-01T09:30:00+00:00",
    "data_dir": "/work/main/data",
    "inputs": {
        f: fake_hash(f)
        for f in [
            "demand.csv",
            "energy.csv",
            "parameters.csv",
            "partner_regions.csv",
            "partners.csv",
            "products.csv",
            "shipping.csv",
            "sites.csv",
        ]
    },
    "parameters": {
        "first_year": FIRST,
        "last_year": LAST,
        "discount_rate": RATE,
        "unmet_penalty_usd_per_gpu": PENALTY,
        "carbon_price_usd_per_t": CARBON,
        "asset_life_years": LIFE,
        "default_scenario": "base",
        "ramp_up": list(RAMP),
    },
    "overrides": {},
    "options": {"time_limit": None, "mip_gap": None, "threads": None},
    "size": {"variables": 1412, "constraints": 978, "nonzeros": 5230},
    "timings": {
        "load_s": 0.21,
        "build_s": 0.35,
        "handoff_s": 0.05,
        "solve_s": 0.04,
        "extract_s": 0.02,
        "write_s": 0.03,
        "total_s": 0.7,
    },
    "totals": {
        "gpus_demanded": float(demand["gpus"].sum()),
        "gpus_unmet": float(unmet["gpus"].sum()),
        "wspm_built": float(builds["wspm"].sum()),
        "capital_usd": float(funding["usd"].sum()),
        "grants_usd": float(grants["usd"].sum()),
        "energy_mwh": float(energy["mwh"].sum()),
        "co2_t": float(energy["co2_t"].sum()),
    },
}

if __name__ == "__main__":
    out = {
        "builds.csv": builds,
        "capacity.csv": capacity,
        "production.csv": production.groupby(
            ["scenario", "site", "product", "year"], as_index=False, sort=False
        )[["wafers", "gpus"]].sum(),
        "shipments.csv": shipments,
        "unmet.csv": unmet,
        "energy.csv": energy,
        "contracts.csv": contracts_out,
        "funding.csv": funding.drop(columns="fin_npv"),
        "grants.csv": grants,
        "partner_summary.csv": partner_summary,
        "costs.csv": costs,
        "prices.csv": prices,
        "binding.csv": binding,
        "sites.csv": sites_out,
        "demand.csv": demand,
        "partner_regions.csv": partner_regions,
    }
    for name, frame in out.items():
        frame.to_csv(HERE / name, index=False)
    (HERE / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"objective {objective:,.0f} USD; unmet {unmet['gpus'].sum():,.0f} GPUs")
