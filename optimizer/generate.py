"""Synthetic but valid data folders of a chosen size, for benchmarks (`fabplan generate`).

A case follows the data contract (data/README.md) with every file present: parameters, sites,
products, demand, scenarios, shipping (a few lanes missing on purpose), energy, partners,
partner_regions and regions. Per-row magnitudes are realistic (capex 4e5-8e5 USD per wspm,
fabs of 20k-100k wspm, grid and PPA prices of 15-190 USD/MWh, partner costs of capital 1-15%);
only the counts of sites, markets and years are stretched to reach the target model size, because
production variables make[site, product, market, year] dominate the model.

The case is always feasible (building nothing and serving nothing is allowed at the unmet-demand
penalty; existing capacity sits below every concentration cap) and meant to be interesting: the
energy contracts of a region can power all of its sites at full build-out, partners without a
commitment limit can fund any build-out (cheap government capital is capped), and demand grows
from about the existing output to well above it.

Deterministic: the same size and seed give byte-identical files (numpy default_rng, rounded
values, no timestamps).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimizer.atomic import replace_folder

SIZES = ("S", "M", "L")
FIRST_YEAR = 2025


@dataclass(frozen=True)
class Shape:
    """How big a case is: the counts that drive the number of model variables."""

    sites: int
    markets: int
    last_year: int
    regions: int
    partners: int


# Calibrated so the single-scenario model has ~10k, ~100k and ~1M variables (S, M, L):
# about sites x 2 products x markets x producing years production variables, plus the rest.
SHAPES: dict[str, Shape] = {
    "S": Shape(sites=12, markets=24, last_year=2040, regions=6, partners=6),
    "M": Shape(sites=60, markets=40, last_year=2045, regions=10, partners=8),
    "L": Shape(sites=250, markets=84, last_year=2050, regions=16, partners=8),
}

# region, country, capex factor vs Taiwan, grid price USD/MWh, grid CO2 t/MWh, subsidy rate
REGIONS = [
    ("TW", "Taiwan", 1.00, 135, 0.494, 0.04),
    ("US-AZ", "United States", 1.30, 81, 0.367, 0.10),
    ("JP", "Japan", 1.10, 150, 0.421, 0.33),
    ("KR", "South Korea", 1.05, 130, 0.413, 0.20),
    ("DE", "Germany", 1.30, 181, 0.381, 0.30),
    ("AE", "United Arab Emirates", 1.25, 78, 0.330, 0.00),
    ("US-TX", "United States", 1.30, 66, 0.367, 0.12),
    ("US-OH", "United States", 1.30, 70, 0.367, 0.06),
    ("SG", "Singapore", 1.15, 160, 0.408, 0.15),
    ("IE", "Ireland", 1.25, 170, 0.296, 0.20),
    ("IL", "Israel", 1.20, 120, 0.530, 0.10),
    ("MY", "Malaysia", 0.95, 95, 0.585, 0.15),
    ("IN", "India", 0.90, 90, 0.713, 0.50),
    ("US-NY", "United States", 1.35, 75, 0.230, 0.08),
    ("FR", "France", 1.30, 110, 0.056, 0.25),
    ("SA", "Saudi Arabia", 1.25, 55, 0.570, 0.05),
]

# product, node, gpus_per_wafer (good dies per wafer / dies per GPU)
PRODUCTS = [
    ("acc_n3", "N3", 22.5),  # 45 good dies / 2 dies per package
    ("inf_n3", "N3", 45.0),  # 45 good dies / 1 die per package (inference part)
    ("acc_n2", "N2", 11.25),  # 45 good dies / 4 dies per package
    ("inf_n2", "N2", 22.5),  # 45 good dies / 2 dies per package
]
NODE_CAPEX_USD_PER_WSPM = {"N3": 400_000.0, "N2": 560_000.0}  # Taiwan reference per node
NODE_OPEX_USD_PER_WAFER = {"N3": 3_500.0, "N2": 4_025.0}

PARTNER_KINDS = [
    ("chipmaker", 0.09),
    ("hyperscaler", 0.085),
    ("sovereign_fund", 0.07),
    ("investor", 0.11),
    ("government", 0.03),
    ("ai_lab", 0.15),
    ("government", 0.01),
    ("chipmaker", 0.10),
    ("investor", 0.12),
    ("hyperscaler", 0.08),
]

SCENARIOS = [("low", 0.25, 0.6), ("base", 0.5, 1.0), ("high", 0.25, 1.4)]  # growth multiplier
MISSING_LANE_SHARE = 0.03  # share of region -> market lanes left out (e.g. export controls)


def generate_case(size: str, out_dir: Path, seed: int = 0) -> Path:
    """Write a synthetic data folder of `size` (S, M or L) into `out_dir`; return `out_dir`.

    `out_dir` must be new, empty or a case generated before (its README.md says so): a user's
    own case is never overwritten (UsageError). The folder is replaced as a whole (atomically)."""
    from optimizer.outputs import CASE, claim_output

    if size not in SHAPES:
        raise ValueError(f"size {size!r}: expected one of {', '.join(SIZES)}")
    out_dir = Path(out_dir)
    with claim_output(out_dir, CASE, option="OUT_DIR"):
        replace_folder(out_dir, lambda tmp: _write_case(size, tmp, seed), keep_previous=False)
    return out_dir


def _write_case(size: str, out_dir: Path, seed: int) -> None:
    """Every file of the case into `out_dir` (a fresh temporary folder)."""
    shape = SHAPES[size]
    rng = np.random.default_rng(seed)

    years = np.arange(FIRST_YEAR, shape.last_year + 1)
    regions = pd.DataFrame(
        REGIONS[: shape.regions],
        columns=["region", "country", "capex_factor", "grid_price", "grid_co2", "subsidy_rate"],
    )
    sites = _sites(rng, shape, regions)
    markets = [f"mkt{i + 1:03d}" for i in range(shape.markets)]
    products = pd.DataFrame(PRODUCTS, columns=["product", "node", "gpus_per_wafer"])
    shipping = _shipping(rng, regions, markets)
    demand = _demand(rng, sites, products, markets, years)
    energy = _energy(rng, sites, regions, shape.last_year)
    partners = _partners(rng, shape)
    partner_regions = _partner_regions(rng, partners, regions)
    caps = _concentration(sites, years)

    header = f"synthetic fabplan case, size {size}, seed {seed} (optimizer/generate.py)"
    params = pd.DataFrame(
        [
            ("first_year", FIRST_YEAR, "year"),
            ("last_year", int(shape.last_year), "year"),
            ("discount_rate", 0.05, "1/year"),
            ("unmet_penalty_usd_per_gpu", 50_000, "USD/GPU"),
            ("carbon_price_usd_per_t", 50, "USD/tCO2"),
            ("asset_life_years", 20, "years"),
            ("default_scenario", "base", ""),
            ("ramp_up", "0.3;0.7", "share of nameplate"),
        ],
        columns=["name", "value", "unit"],
    )
    scenarios = pd.DataFrame(
        [(n, p, f"demand growth x{g} of base") for n, p, g in SCENARIOS],
        columns=["scenario", "probability", "description"],
    )
    site_cols = [
        "site", "region", "node", "existing_wspm", "max_wspm", "capex_usd_per_wspm",
        "opex_usd_per_wafer", "energy_mwh_per_wafer", "lead_time_years", "first_build_year",
        "utilization", "fixed_cost_usd_per_year", "subsidy_rate", "subsidy_cap_musd",
        "module_wspm", "country", "operator", "name",
    ]  # fmt: skip
    files = {
        "parameters.csv": params,
        "sites.csv": sites[site_cols],
        "products.csv": products,
        "demand.csv": demand,
        "scenarios.csv": scenarios,
        "shipping.csv": shipping,
        "energy.csv": energy,
        "partners.csv": partners,
        "partner_regions.csv": partner_regions,
        "regions.csv": caps,
    }
    for name, frame in files.items():
        _write(out_dir / name, frame, header)
    (out_dir / "README.md").write_text(
        f"# Synthetic case (size {size}, seed {seed})\n\n"
        f"Written by `fabplan generate --size {size} --seed {seed}` for benchmarks: "
        f"{len(sites)} sites in {len(regions)} regions, {len(markets)} markets, "
        f"{len(products)} products, {FIRST_YEAR}-{shape.last_year}. The numbers are "
        "synthetic (realistic per row, not a forecast); see optimizer/generate.py.\n"
    )


def _sites(rng: np.random.Generator, shape: Shape, regions: pd.DataFrame) -> pd.DataFrame:
    """Sites spread over regions, half N3 and half N2; about one in five already producing."""
    n = shape.sites
    region_pos = np.arange(n) % len(regions)
    reg = regions.iloc[region_pos].reset_index(drop=True)
    node = np.where((np.arange(n) // len(regions)) % 2 == 0, "N3", "N2")
    # flip the node of every other region so both nodes exist in most regions
    node = np.where(region_pos % 2 == 1, np.where(node == "N3", "N2", "N3"), node)
    max_wspm = rng.integers(20, 101, n) * 1000.0
    has_existing = rng.random(n) < 0.2
    has_existing[:2] = True  # at least one N3 and one N2 site produces from the first year
    existing = np.where(has_existing, np.round(max_wspm * rng.uniform(0.2, 0.5, n), -3), 0.0)
    node_capex = np.array([NODE_CAPEX_USD_PER_WSPM[k] for k in node])
    capex = np.round(node_capex * reg["capex_factor"].to_numpy() * rng.uniform(0.95, 1.1, n), -3)
    capex = np.clip(capex, 400_000.0, 800_000.0)
    node_opex = np.array([NODE_OPEX_USD_PER_WAFER[k] for k in node])
    opex = np.round(node_opex * reg["capex_factor"].to_numpy() * rng.uniform(0.95, 1.1, n), -1)
    rate = reg["subsidy_rate"].to_numpy()
    # half the subsidised sites have a cap at about a third of their full grant
    full_grant_musd = rate * capex * (max_wspm - existing) / 1e6
    capped = (rate > 0) & (rng.random(n) < 0.5)
    cap = np.where(capped, np.round(full_grant_musd * rng.uniform(0.25, 0.45, n), 0), np.nan)
    site = [
        f"{r}_{k}_{i + 1:03d}" for i, (r, k) in enumerate(zip(reg["region"], node, strict=True))
    ]
    return pd.DataFrame(
        {
            "site": site,
            "region": reg["region"],
            "node": node,
            "existing_wspm": existing,
            "max_wspm": max_wspm,
            "capex_usd_per_wspm": capex,
            "opex_usd_per_wafer": opex,
            "energy_mwh_per_wafer": np.round(rng.uniform(2.8, 3.6, n), 2),
            "lead_time_years": rng.integers(2, 6, n),
            "first_build_year": FIRST_YEAR + rng.integers(0, 3, n),
            "utilization": np.round(rng.uniform(0.75, 0.92, n), 2),
            "fixed_cost_usd_per_year": rng.integers(5, 16, n) * 10_000_000.0,
            "subsidy_rate": rate,
            "subsidy_cap_musd": cap,
            "module_wspm": 10_000.0,
            "country": reg["country"],
            "operator": [f"operator_{i % 5 + 1}" for i in range(n)],
            "name": [f"synthetic fab {i + 1}" for i in range(n)],
        }
    )


def _shipping(rng: np.random.Generator, regions: pd.DataFrame, markets: list[str]) -> pd.DataFrame:
    """Every region -> market lane at 20-150 USD per GPU, except a few left out on purpose."""
    lanes = regions[["region"]].merge(pd.DataFrame({"market": markets}), how="cross")
    lanes["cost_usd_per_gpu"] = rng.integers(2, 16, len(lanes)) * 10.0
    missing = rng.random(len(lanes)) < MISSING_LANE_SHARE
    missing[0] = True  # always at least one missing lane
    # never cut a market off: keep its first lane
    first_of_market = ~lanes.duplicated("market").to_numpy()
    return lanes[~missing | first_of_market].reset_index(drop=True)


def _demand(
    rng: np.random.Generator,
    sites: pd.DataFrame,
    products: pd.DataFrame,
    markets: list[str],
    years: np.ndarray,
) -> pd.DataFrame:
    """GPU demand per scenario, product, market and year, growing from about today's output.

    Per node, base-case wafer demand starts at 75% of the existing output and grows
    geometrically to 60% of the output of every site fully built (most of it by 2040);
    it is split over the node's products and over markets by random shares.
    """
    output = 12.0 * sites["utilization"] * sites["existing_wspm"]
    full = 12.0 * sites["utilization"] * sites["max_wspm"]
    n_years = len(years)
    growth_years = np.minimum(years - years[0], 15) + 0.3 * np.maximum(years - years[0] - 15, 0)
    frames = []
    market_share = rng.dirichlet(np.full(len(markets), 2.0), len(products))
    for k, prod in products.iterrows():
        node_sites = sites["node"] == prod["node"]
        start = 0.75 * float(output[node_sites].sum())
        end = 0.6 * float(full[node_sites].sum())
        per_product = 1.0 / int((products["node"] == prod["node"]).sum())
        rate = (end / start) ** (1.0 / growth_years[-1]) - 1.0
        noise = rng.uniform(0.95, 1.05, (len(markets), n_years))
        for name, _prob, mult in SCENARIOS:
            wafers = start * (1.0 + mult * rate) ** growth_years  # per year
            gpus = (
                wafers[None, :]
                * per_product
                * market_share[k][:, None]
                * noise
                * prod["gpus_per_wafer"]
            )
            frames.append(
                pd.DataFrame(
                    {
                        "scenario": name,
                        "year": np.tile(years, len(markets)),
                        "product": prod["product"],
                        "market": np.repeat(markets, n_years),
                        "gpus": np.round(gpus.ravel(), -2),
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["scenario", "product", "market", "year"], kind="stable").reset_index(
        drop=True
    )


def _energy(
    rng: np.random.Generator, sites: pd.DataFrame, regions: pd.DataFrame, last_year: int
) -> pd.DataFrame:
    """Per region: a grid contract able to power all its sites at full build-out, plus PPAs."""
    need_mw = (
        (12.0 * sites["utilization"] * sites["max_wspm"] * sites["energy_mwh_per_wafer"] / 8760.0)
        .groupby(sites["region"])
        .sum()
    )
    rows = []
    for r in regions.itertuples(index=False):
        mw = float(need_mw.get(r.region, 0.0))
        if mw <= 0:
            continue
        rows.append((f"{r.region}_GRID", r.region, "grid", r.grid_price, round(1.2 * mw, -1), 1.0,
                     FIRST_YEAR, last_year, r.grid_co2, 0.0))  # fmt: skip
        solar_start = FIRST_YEAR + int(rng.integers(1, 4))
        rows.append((f"{r.region}_SOLAR_PPA", r.region, "solar", float(rng.integers(15, 91)),
                     round(0.8 * mw, -1), round(float(rng.uniform(0.12, 0.28)), 2),
                     solar_start, last_year, 0.0, 0.0))  # fmt: skip
        if rng.random() < 0.5:
            rows.append((f"{r.region}_WIND_PPA", r.region, "wind", float(rng.integers(55, 111)),
                         round(0.5 * mw, -1), round(float(rng.uniform(0.3, 0.45)), 2),
                         FIRST_YEAR + int(rng.integers(1, 5)), last_year, 0.0, 0.0))  # fmt: skip
        else:
            rows.append((f"{r.region}_NUCLEAR_PPA", r.region, "nuclear",
                         float(rng.integers(70, 121)), round(0.4 * mw, -1), 0.9,
                         FIRST_YEAR + int(rng.integers(3, 7)), last_year, 0.0,
                         float(rng.integers(50, 150)) * 1000.0))  # fmt: skip
    cols = ["contract", "region", "source", "price_usd_per_mwh", "max_mw", "capacity_factor",
            "first_year", "last_year", "co2_t_per_mwh", "fixed_usd_per_mw_year"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def _partners(rng: np.random.Generator, shape: Shape) -> pd.DataFrame:
    """Chipmakers and governments with realistic commitments (USD 5-30B); the other partners
    (funds, hyperscalers, investors, AI labs) are unlimited, so a case of any size can raise
    the capital its build-out needs without commitments of trillions. The unlimited partners'
    max shares sum to more than 1 and only they carry minimum shares (a minimum share of a
    capped partner would cap all capital raised at commitment / min_share)."""
    n = shape.partners
    kinds = PARTNER_KINDS[:n]
    capped = np.array([k in ("chipmaker", "government") for k, _r in kinds])
    max_share = np.round(rng.uniform(0.25, 0.45, n), 2)
    open_ended = np.flatnonzero(~capped)
    if max_share[open_ended].sum() < 1.2:
        max_share[open_ended] = np.round(
            np.maximum(max_share[open_ended], 1.2 / len(open_ended)), 2
        )
    min_share = np.zeros(n)
    min_share[open_ended[0]] = 0.10  # an anchor investor
    commitment = np.where(capped, rng.integers(5, 31, n) * 1000.0, np.nan)
    return pd.DataFrame(
        {
            "partner": [f"P{i + 1:02d}_{k.upper()}" for i, (k, _r) in enumerate(kinds)],
            "kind": [k for k, _r in kinds],
            "max_commitment_musd": commitment,
            "cost_of_capital": [r for _k, r in kinds],
            "min_share": min_share,
            "max_share": max_share,
        }
    )


def _partner_regions(
    rng: np.random.Generator, partners: pd.DataFrame, regions: pd.DataFrame
) -> pd.DataFrame:
    """Each sovereign fund and government is kept out of one region and a minority in another."""
    rows = []
    names = regions["region"].tolist()
    for p in partners.itertuples(index=False):
        if p.kind not in ("sovereign_fund", "government"):
            continue
        banned, minority = rng.choice(len(names), 2, replace=False)
        rows.append((p.partner, names[banned], 0.0))
        rows.append((p.partner, names[minority], 0.49))
    return pd.DataFrame(rows, columns=["partner", "region", "max_share"])


def _concentration(sites: pd.DataFrame, years: np.ndarray) -> pd.DataFrame:
    """Cap the region with the most existing capacity at its share + 20 points, from year 8."""
    existing = sites.groupby("region")["existing_wspm"].sum().sort_values(ascending=False)
    share = existing.iloc[0] / existing.sum()
    cap = min(round(float(share) + 0.2, 2), 0.9)
    from_year = int(years[min(7, len(years) - 1)])
    return pd.DataFrame(
        {"region": [existing.index[0]], "max_capacity_share": [cap], "from_year": [from_year]}
    )


def _write(path: Path, frame: pd.DataFrame, header: str) -> None:
    """CSV with a comment header; NaN written as an empty cell (the contract's 'no limit')."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(f"# {header}\n")
        frame.to_csv(f, index=False, lineterminator="\n", float_format="%.10g")
