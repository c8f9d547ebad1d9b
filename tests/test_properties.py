"""Property tests on random small cases (hypothesis).

For any valid small case: the plan passes the independent verifier and its costs add up to the
objective (solve_and_verify); more demand never lowers the optimal cost (the demand rows only
tighten); a cheaper partner never raises it (its financing coefficients only fall, the
feasible set is unchanged).

Random cases are always feasible: unmet demand is allowed at a penalty, nothing forces a build
(no concentration caps), so "build nothing" is a plan.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from casebuilder import solve_and_verify, write_case
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

FIRST_YEAR = 2025
PROPERTY_SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same cases on every run: a failure is reproducible in CI
)


def money(lo: int, hi: int, step: int = 1) -> st.SearchStrategy[int]:
    """Round numbers: the data stay readable in a failure report."""
    return st.integers(lo // step, hi // step).map(lambda k: k * step)


@st.composite
def cases(draw, partners: bool | None = None, build: bool = False) -> dict[str, object]:
    """The keyword arguments of write_case for a random small but complete case.

    build=True leans the case towards building (two or three years, short lead times, room at
    every site, a dear unmet penalty), so that financing and partner limits are at work.
    """
    n_years = draw(st.integers(2, 3) if build else st.integers(1, 3))
    last_year = FIRST_YEAR + n_years - 1
    years = list(range(FIRST_YEAR, last_year + 1))
    regions = ["R1", "R2"][: draw(st.integers(1, 2))]
    markets = ["M1", "M2"][: draw(st.integers(1, 2))]
    parameters = {
        "last_year": last_year,
        "discount_rate": draw(st.sampled_from([0, 0.03, 0.08, 0.15])),
        "unmet_penalty_usd_per_gpu": draw(money(2000 if build else 100, 5000, 100)),
        "carbon_price_usd_per_t": draw(st.sampled_from([0, 50])),
        "asset_life_years": draw(st.integers(1, 20)),
        "ramp_up": draw(st.sampled_from(["1", "0.5", "0.3;0.7"])),
    }
    sites = []
    for i in range(draw(st.integers(1, 3))):
        existing = draw(money(0, 2000, 100))
        sites.append(
            {
                "site": f"S{i}",
                "region": draw(st.sampled_from(regions)),
                "existing_wspm": existing,
                "max_wspm": existing + draw(money(500 if build else 0, 3000, 100)),
                "capex_usd_per_wspm": draw(money(0, 200_000, 10_000)),
                "opex_usd_per_wafer": draw(money(0, 5000, 100)),
                "energy_mwh_per_wafer": draw(st.sampled_from([0, 0.5, 1, 3])),
                "lead_time_years": draw(st.integers(0, 1 if build else 2)),
                "first_build_year": FIRST_YEAR if build else draw(st.sampled_from(years)),
                "utilization": draw(st.sampled_from([0.5, 0.8, 1])),
                "fixed_cost_usd_per_year": draw(money(0, 1_000_000, 100_000)),
                "subsidy_rate": draw(st.sampled_from([0, 0, 0.2])),
                "subsidy_cap_musd": draw(st.sampled_from([None, 5, 50])),
            }
        )
    used_regions = sorted({s["region"] for s in sites})
    case: dict[str, object] = {
        "parameters": parameters,
        "sites": sites,
        "products": [{"product": "P1", "gpus_per_wafer": draw(st.sampled_from([1, 5, 20]))}],
        "demand": [
            {"year": y, "market": m, "gpus": draw(money(0, 400_000, 10_000))}
            for y in years
            for m in markets
        ],
    }
    if draw(st.booleans()):  # explicit lanes, some possibly missing
        lanes = [
            {"region": r, "market": m, "cost_usd_per_gpu": draw(money(0, 20))}
            for r in used_regions
            for m in markets
        ]
        kept = [lane for lane in lanes if draw(st.booleans())]
        case["shipping"] = kept or lanes[:1]
    if draw(st.booleans()):  # energy: a grid contract per region, maybe a capped solar PPA
        energy = [
            {
                "contract": f"GRID_{r}",
                "region": r,
                "price_usd_per_mwh": draw(money(40, 150, 10)),
                "max_mw": draw(st.sampled_from([50, 1000])),
                "co2_t_per_mwh": 0.4,
            }
            for r in used_regions
        ]
        if draw(st.booleans()):
            energy.append(
                {
                    "contract": "SOLAR",
                    "region": used_regions[0],
                    "source": "solar",
                    "price_usd_per_mwh": draw(money(20, 80, 10)),
                    "max_mw": draw(st.sampled_from([5, 50])),
                    "capacity_factor": 0.25,
                    "fixed_usd_per_mw_year": draw(money(0, 100_000, 25_000)),
                }
            )
        case["energy"] = energy
    if partners if partners is not None else draw(st.booleans()):
        n = draw(st.integers(1, 3))
        rows = []
        for j in range(n):
            rows.append(
                {
                    "partner": f"P{j}",
                    "cost_of_capital": draw(st.sampled_from([0, 0.02, 0.05, 0.1])),
                    "max_commitment_musd": draw(st.sampled_from([None, 50, 500])),
                    "min_share": draw(st.sampled_from([0, 0, 0.2])) if n > 1 else 0,
                    "max_share": draw(st.sampled_from([1, 1, 0.6])) if n > 1 else 1,
                }
            )
        case["partners"] = rows
        if draw(st.booleans()):
            case["partner_regions"] = [
                {
                    "partner": "P0",
                    "region": used_regions[0],
                    "max_share": draw(st.sampled_from([0, 0.49])),
                }
            ]
    return case


def solve_case(case: dict[str, object], work: Path, name: str) -> float:
    data = write_case(work / name, **case)
    result = solve_and_verify(data, work / f"{name}-plans")
    # what the example exercised (pytest --hypothesis-show-statistics)
    for table in ("builds", "unmet", "grants", "funding", "energy"):
        if len(result.tables[table]):
            event(f"plan has {table}")
    return float(result.summary["objective_usd"])


def no_higher(a: float, b: float) -> bool:
    """a <= b up to solver round-off (1e-7 relative, a few cents absolute)."""
    return a <= b + 1e-7 * max(abs(a), abs(b)) + 0.05


@pytest.mark.slow  # many random solves
@PROPERTY_SETTINGS
@given(case=st.one_of(cases(), cases(build=True)))
def test_random_case_verifies_and_costs_add_up(case):
    with tempfile.TemporaryDirectory() as tmp:
        objective = solve_case(case, Path(tmp), "case")
    assert objective >= -1e-6  # every cost is non-negative


@pytest.mark.slow  # many random solves
@PROPERTY_SETTINGS
@given(case=st.one_of(cases(), cases(build=True)), factor=st.sampled_from([1.0, 1.1, 1.5, 3.0]))
def test_more_demand_never_lowers_cost(case, factor):
    more = {**case, "demand": [{**row, "gpus": row["gpus"] * factor} for row in case["demand"]]}
    with tempfile.TemporaryDirectory() as tmp:
        base = solve_case(case, Path(tmp), "base")
        scaled = solve_case(more, Path(tmp), "more")
    assert no_higher(base, scaled), f"demand x {factor} lowered the cost: {base} -> {scaled}"


@pytest.mark.slow  # many random solves
@PROPERTY_SETTINGS
@given(case=cases(partners=True, build=True), data=st.data())
def test_cheaper_partner_never_raises_cost(case, data):
    partners = case["partners"]
    j = data.draw(st.integers(0, len(partners) - 1), label="partner")
    rate = partners[j]["cost_of_capital"]
    cheaper_rate = data.draw(st.sampled_from([0.0, rate / 2]), label="cheaper rate")
    cheaper = {
        **case,
        "partners": [
            {**p, "cost_of_capital": cheaper_rate} if i == j else p for i, p in enumerate(partners)
        ],
    }
    with tempfile.TemporaryDirectory() as tmp:
        base = solve_case(case, Path(tmp), "base")
        cheap = solve_case(cheaper, Path(tmp), "cheaper")
    assert no_higher(cheap, base), f"P{j} at {cheaper_rate} raised the cost: {base} -> {cheap}"
