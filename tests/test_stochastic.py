"""Hedged two-stage plans (`fabplan solve --stochastic`): EVPI, VSS, regret and CVaR (issue 5, 1).

Every expected number is worked out by hand in the comments from the case's inputs. Every solve
is followed by the independent verifier (`optimizer.verify.verify_plan`).

Notation and the arithmetic shared by the hand cases. Horizon 2025-2026, discount rate 25%, so
df(2025) = 1 and df(2026) = 1/1.25 = 0.8. One partner BANK at cost of capital r = 25% with
asset_life_years L = 1: the annuity factor is A = r / (1 - (1+r)^-1) = 0.25 / (1 - 0.8) = 1.25
= 1 + r, paid once, at the end of the loan year: in 2026, the year after the 2025 funding (an
ordinary annuity; df 0.8): every dollar of capex costs 1.25 x 0.8 = 1 USD NPV (the partner's
rate equals the discount rate and the life fits the horizon: the payment is worth the dollar).
Sites have lead time 1, so the only build is decided (and funded) in 2025 and online in 2026;
utilization 1 and 1 GPU per wafer: one wspm makes 12 wafers = 12 GPUs a year.

- capex 12,000 USD/wspm -> 12,000 x 1.25 x 0.8 = 12,000 USD NPV per wspm = 1,000 USD per
  GPU/year.
- opex 100 USD/wafer in 2026 -> 100 x 0.8 = 80 USD NPV per GPU made.
- unmet penalty 3,750 USD/GPU in 2026 -> 3,750 x 0.8 = 3,000 USD NPV per GPU not served.

So serving a GPU instead of leaving it unmet saves 3,000 - 80 = 2,920 NPV, and capacity for it
costs 1,000: a single-scenario plan builds exactly its demand. A hedged plan builds capacity x
for demands d_w: on a stretch where a set H of scenarios still has unmet demand, one more GPU of
capacity costs 1,000 and saves sum_{w in H} p(w) x 2,920, so it builds up to the high demand
iff P(high) x 2,920 > 1,000, i.e. P(high) > 0.342 (a newsvendor quantile).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from casebuilder import solve_and_verify, write_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.cli import main as fabplan_main
from optimizer.run import SolveRequest, run_solve
from optimizer.verify import verify_plan

REL = 1e-6
FIRST_STAGE = ("financing_usd", "site_fixed_usd", "energy_capacity_usd")
SECOND_STAGE = ("operations_usd", "energy_usd", "carbon_usd", "shipping_usd", "unmet_demand_usd")
COMPONENTS = (
    "financing",
    "site_fixed",
    "energy_capacity",
    "operations",
    "energy",
    "carbon",
    "shipping",
    "unmet_demand",
)


def approx(x: float):
    return pytest.approx(x, rel=REL, abs=1e-6)


# --- helpers: independent of the model code ----------------------------------------------------


def cvar(costs: dict[str, float], probs: dict[str, float], alpha: float) -> float:
    """CVaR_alpha of a discrete cost distribution by enumeration (Rockafellar-Uryasev):
    min over eta of eta + 1/(1-alpha) sum_w p(w) (c_w - eta)^+; the minimum is attained at one
    of the c_w, so trying each of them is exact (and independent of the model's LP)."""
    c = np.array([costs[w] for w in probs])
    p = np.array([probs[w] for w in probs])
    return float(min(eta + (p * np.maximum(c - eta, 0.0)).sum() / (1.0 - alpha) for eta in c))


def expected_cost(result) -> float:
    """Sum of the eight cost components of costs.csv (no risk term): the expected NPV cost."""
    costs = result.tables["costs"].set_index("component")["npv_usd"]
    return float(costs.reindex(list(COMPONENTS)).fillna(0.0).sum())


def scenario_totals(result) -> dict[str, float]:
    sc = result.tables["scenario_costs"]
    return dict(zip(sc["scenario"], sc["total_usd"].astype(float), strict=True))


def regret_cost(result, plan: str, scenario: str, column: str = "cost_usd") -> float:
    r = result.tables["regret"]
    row = r[(r["plan"] == plan) & (r["scenario"] == scenario)]
    assert len(row) == 1, f"regret.csv has {len(row)} rows for {plan} / {scenario}"
    return float(row[column].iloc[0])


def built(result, site: str) -> float:
    b = result.tables["builds"]
    return float(b.loc[b["site"] == site, "wspm"].sum())


def second_stage_by_scenario(result, data_dir: Path) -> pd.DataFrame:
    """Each scenario's operating, energy, carbon and unmet cost (NPV, unweighted by p), from
    production.csv, energy.csv and unmet.csv and the input CSVs only."""
    params = pd.read_csv(data_dir / "parameters.csv").set_index("name")["value"]
    first, rate = int(params["first_year"]), float(params["discount_rate"])
    penalty = float(params["unmet_penalty_usd_per_gpu"])
    carbon_price = float(params.get("carbon_price_usd_per_t", 0.0))
    sites = pd.read_csv(data_dir / "sites.csv").set_index("site")

    def df(years: pd.Series) -> np.ndarray:
        return 1.0 / (1.0 + rate) ** (years.to_numpy(dtype=float) - first)

    scenarios = list(result.summary["scenarios"])
    out = pd.DataFrame(0.0, index=scenarios, columns=list(SECOND_STAGE))
    prod = result.tables["production"]
    opex = prod["site"].map(sites["opex_usd_per_wafer"]).to_numpy(dtype=float)
    ops = pd.Series(prod["wafers"].to_numpy() * opex * df(prod["year"]), index=prod["scenario"])
    out["operations_usd"] = ops.groupby(level=0).sum().reindex(scenarios, fill_value=0.0)
    unmet = result.tables["unmet"]
    pen = pd.Series(unmet["gpus"].to_numpy() * penalty * df(unmet["year"]), index=unmet["scenario"])
    out["unmet_demand_usd"] = pen.groupby(level=0).sum().reindex(scenarios, fill_value=0.0)
    energy = result.tables["energy"]
    if len(energy):
        contracts = pd.read_csv(data_dir / "energy.csv").set_index("contract")
        price = energy["contract"].map(contracts["price_usd_per_mwh"]).to_numpy(dtype=float)
        co2 = energy["contract"].map(contracts["co2_t_per_mwh"]).to_numpy(dtype=float)
        d = df(energy["year"])
        e = pd.Series(energy["mwh"].to_numpy() * price * d, index=energy["scenario"])
        c = pd.Series(energy["mwh"].to_numpy() * co2 * carbon_price * d, index=energy["scenario"])
        out["energy_usd"] = e.groupby(level=0).sum().reindex(scenarios, fill_value=0.0)
        out["carbon_usd"] = c.groupby(level=0).sum().reindex(scenarios, fill_value=0.0)
    return out


def check_scenario_costs(result, data_dir: Path, tol: float) -> None:
    """scenario_costs.csv: first-stage components equal in every scenario and equal to costs.csv;
    second-stage components recomputed from the plan tables; totals add up; sum_w p(w) total_w
    equals the expected cost (the eight components of costs.csv)."""
    sc = result.tables["scenario_costs"].set_index("scenario")
    costs = result.tables["costs"].set_index("component")["npv_usd"]
    probs = result.summary["scenarios"]
    assert sorted(sc.index) == sorted(probs)
    assert sc["probability"].to_dict() == pytest.approx(probs, abs=1e-12)
    for col in FIRST_STAGE:
        assert sc[col].to_numpy() == pytest.approx(float(costs[col[: -len("_usd")]]), abs=tol), col
    mine = second_stage_by_scenario(result, data_dir)
    for col in SECOND_STAGE:
        if col == "shipping_usd":  # the cases here have no shipping.csv: every lane is free
            assert sc[col].to_numpy() == pytest.approx(0.0, abs=tol)
            continue
        assert sc[col].to_dict() == pytest.approx(mine[col].to_dict(), abs=tol), col
    parts = sc[[*FIRST_STAGE, *SECOND_STAGE]].sum(axis=1)
    assert sc["total_usd"].to_numpy() == pytest.approx(parts.to_numpy(), abs=tol)
    weighted = float((sc["probability"] * sc["total_usd"]).sum())
    assert weighted == pytest.approx(expected_cost(result), abs=tol)


# --- (1) two scenarios solved by hand: EVPI, VSS, regret -----------------------------------------


def two_node_case(path: Path) -> Path:
    """Site X makes P1 (node N3), site Y makes P2 (node N5); costs as in the module docstring.
    2026 demand (GPUs): scenario n3_heavy (p 0.5): P1 3,600, P2 1,200;
                        scenario n5_heavy (p 0.5): P1 1,200, P2 2,400.
    No demand in 2025 (nothing can be made before the 2025 build comes online)."""
    site = {"capex_usd_per_wspm": 12_000, "opex_usd_per_wafer": 100, "lead_time_years": 1}
    return write_case(
        path,
        parameters={
            "last_year": 2026,
            "discount_rate": 0.25,
            "unmet_penalty_usd_per_gpu": 3750,
            "asset_life_years": 1,
        },
        sites=[{"site": "X", "node": "N3", **site}, {"site": "Y", "node": "N5", **site}],
        products=[{"product": "P1", "node": "N3"}, {"product": "P2", "node": "N5"}],
        partners=[{"partner": "BANK", "cost_of_capital": 0.25}],
        demand=[
            {"scenario": "n3_heavy", "year": 2026, "product": "P1", "gpus": 3600},
            {"scenario": "n3_heavy", "year": 2026, "product": "P2", "gpus": 1200},
            {"scenario": "n5_heavy", "year": 2026, "product": "P1", "gpus": 1200},
            {"scenario": "n5_heavy", "year": 2026, "product": "P2", "gpus": 2400},
        ],
        scenarios=[
            {"scenario": "n3_heavy", "probability": 0.5},
            {"scenario": "n5_heavy", "probability": 0.5},
        ],
    )


@pytest.fixture(scope="module")
def two_node(tmp_path_factory):
    data = two_node_case(tmp_path_factory.mktemp("two_node") / "data")
    return data, solve_and_verify(data, tmp_path_factory.mktemp("two_node_plan"), stochastic=True)


# Hand solution (NPV USD). Capacity for one GPU costs 1,000, serving it 80, not serving it 3,000.
#
# Each scenario's own plan builds its demand (1,000 < 2,920):
#   n3_heavy plan: X 3,600/12 = 300 wspm, Y 1,200/12 = 100 wspm: first stage 400 x 12,000
#     = 4,800,000; operations (3,600 + 1,200) x 80 = 384,000          -> 5,184,000
#   n5_heavy plan: X 100, Y 200 wspm: 300 x 12,000 = 3,600,000; (1,200 + 2,400) x 80 = 288,000
#                                                                      -> 3,888,000
#   WS = 0.5 x 5,184,000 + 0.5 x 3,888,000 = 4,536,000
# Hedged: each site is its own newsvendor. Above the low demand one more GPU of capacity costs
# 1,000 + 0.5 x 80 and saves 0.5 x 3,000 -> net -460 < 0, so build to the high demand; below
# the low demand the net is 1,000 + 80 - 3,000 < 0; above the high demand +1,000. Unique optimum:
# X 300 wspm (P1 3,600), Y 200 wspm (P2 2,400): a plan neither scenario would choose.
#   first stage 500 x 12,000 = 6,000,000
#   in n3_heavy: make 3,600 + 1,200 -> 4,800 x 80 = 384,000            -> 6,384,000
#   in n5_heavy: make 1,200 + 2,400 -> 3,600 x 80 = 288,000            -> 6,288,000
#   RP = 0.5 x (6,384,000 + 6,288,000) = 6,336,000;  EVPI = RP - WS = 1,800,000
# Mean demand: P1 (3,600 + 1,200)/2 = 2,400, P2 (1,200 + 2,400)/2 = 1,800 -> X 200, Y 150 wspm,
# first stage 350 x 12,000 = 4,200,000, re-optimised per scenario:
#   n3_heavy: P1 make 2,400 (192,000) + unmet 1,200 x 3,000 (3,600,000), P2 make 1,200 (96,000)
#     -> 4,200,000 + 192,000 + 3,600,000 + 96,000 = 8,088,000
#   n5_heavy: P1 make 1,200 (96,000), P2 make 1,800 (144,000) + unmet 600 x 3,000 (1,800,000)
#     -> 4,200,000 + 96,000 + 144,000 + 1,800,000 = 6,240,000
#   EEV = 0.5 x (8,088,000 + 6,240,000) = 7,164,000;  VSS = EEV - RP = 828,000
# Cross evaluations:
#   n3_heavy plan in n5_heavy: P1 1,200 made (96,000); P2 only 1,200 capacity: make 1,200
#     (96,000) + unmet 1,200 x 3,000 (3,600,000) -> 4,800,000 + 3,792,000 = 8,592,000
#   n5_heavy plan in n3_heavy: P1 only 1,200 capacity: make 1,200 (96,000) + unmet 2,400 x
#     3,000 (7,200,000); P2 1,200 made (96,000) -> 3,600,000 + 7,392,000 = 10,992,000
BEST = {"n3_heavy": 5_184_000.0, "n5_heavy": 3_888_000.0}
REGRET_COST = {
    ("n3_heavy plan", "n3_heavy"): 5_184_000.0,
    ("n3_heavy plan", "n5_heavy"): 8_592_000.0,
    ("n5_heavy plan", "n3_heavy"): 10_992_000.0,
    ("n5_heavy plan", "n5_heavy"): 3_888_000.0,
    ("mean-demand plan", "n3_heavy"): 8_088_000.0,
    ("mean-demand plan", "n5_heavy"): 6_240_000.0,
    ("hedged plan", "n3_heavy"): 6_384_000.0,
    ("hedged plan", "n5_heavy"): 6_288_000.0,
}


def test_hand_case_value_measures(two_node):
    _, r = two_node
    s = r.summary
    assert s["stochastic"] is True
    assert s["scenarios"] == {"n3_heavy": 0.5, "n5_heavy": 0.5}
    assert s["ws_usd"] == approx(4_536_000)
    assert s["rp_usd"] == approx(6_336_000)
    assert s["eev_usd"] == approx(7_164_000)
    assert s["evpi_usd"] == approx(1_800_000)  # 6,336,000 - 4,536,000
    assert s["vss_usd"] == approx(828_000)  # 7,164,000 - 6,336,000
    assert s["objective_usd"] == approx(6_336_000)  # risk neutral: the objective is RP
    # the hedged plan: X 300 wspm, Y 200 wspm (the n3_heavy plan has Y 100, n5_heavy X 100)
    assert built(r, "X") == approx(300)
    assert built(r, "Y") == approx(200)
    assert set(r.tables["builds"]["year"]) == {2025}


def test_hand_case_summary_json_and_regret_csv_on_disk(two_node):
    """The measures reach summary.json and the plan folder's regret.csv, not only memory."""
    _, r = two_node
    summary = json.loads((r.out_dir / "summary.json").read_text())
    assert summary["evpi_usd"] == approx(1_800_000)
    assert summary["vss_usd"] == approx(828_000)
    regret = pd.read_csv(r.out_dir / "regret.csv")
    assert len(regret) == len(REGRET_COST)
    keys = zip(regret["plan"], regret["scenario"], strict=True)
    got = dict(zip(keys, regret["cost_usd"], strict=True))
    assert got == pytest.approx(REGRET_COST, rel=REL)


def test_hand_case_regret_table(two_node):
    _, r = two_node
    table = r.tables["regret"]
    assert sorted(set(table["plan"])) == sorted({p for p, _ in REGRET_COST})
    for (plan, w), cost in REGRET_COST.items():
        assert regret_cost(r, plan, w) == approx(cost), (plan, w)
        assert regret_cost(r, plan, w, "best_cost_usd") == approx(BEST[w]), (plan, w)
        # regret = cost - that scenario's own optimum, e.g. n5_heavy plan in n3_heavy:
        # 10,992,000 - 5,184,000 = 5,808,000
        assert regret_cost(r, plan, w, "regret_usd") == approx(cost - BEST[w]), (plan, w)
        assert regret_cost(r, plan, w, "probability") == 0.5
    # expected cost of each plan: n3_heavy plan 0.5 x (5,184,000 + 8,592,000) = 6,888,000;
    # n5_heavy plan 0.5 x (10,992,000 + 3,888,000) = 7,440,000; mean-demand 7,164,000 = EEV;
    # hedged 6,336,000 = RP, the least
    expected = (table["probability"] * table["cost_usd"]).groupby(table["plan"]).sum()
    assert expected.to_dict() == pytest.approx(
        {
            "n3_heavy plan": 6_888_000,
            "n5_heavy plan": 7_440_000,
            "mean-demand plan": 7_164_000,
            "hedged plan": 6_336_000,
        },
        rel=REL,
    )


# --- (4) scenario_costs.csv -----------------------------------------------------------------------


def test_hand_case_scenario_costs(two_node):
    data, r = two_node
    sc = r.tables["scenario_costs"].set_index("scenario")
    # first stage: 500 wspm x 12,000 USD = 6,000,000 USD raised in 2025, repaid x 1.25 in 2026
    # (df 0.8): 6,000,000 x 1.25 x 0.8 = 6,000,000 NPV in both
    assert sc["financing_usd"].to_dict() == pytest.approx(
        {"n3_heavy": 6_000_000, "n5_heavy": 6_000_000}, rel=REL
    )
    # operations: n3_heavy 4,800 wafers x 80 = 384,000; n5_heavy 3,600 x 80 = 288,000; no unmet
    assert sc["operations_usd"].to_dict() == pytest.approx(
        {"n3_heavy": 384_000, "n5_heavy": 288_000}, rel=REL
    )
    assert sc["unmet_demand_usd"].to_numpy() == pytest.approx(0.0, abs=1e-6)
    assert sc["total_usd"].to_dict() == pytest.approx(
        {"n3_heavy": 6_384_000, "n5_heavy": 6_288_000}, rel=REL
    )
    check_scenario_costs(r, data, tol=1e-6 * 6_336_000)
    # the regret table's hedged rows re-optimise operations with the hedged first stage fixed:
    # the same per-scenario costs
    for w, total in sc["total_usd"].items():
        assert regret_cost(r, "hedged plan", w) == approx(total)


# --- (2) CVaR -------------------------------------------------------------------------------------


def newsvendor_case(path: Path) -> Path:
    """One site A (costs of the module docstring), one product, 2026 demand 1,200 GPUs in
    scenario low (p 0.8) or 3,600 in high (p 0.2)."""
    return write_case(
        path,
        parameters={
            "last_year": 2026,
            "discount_rate": 0.25,
            "unmet_penalty_usd_per_gpu": 3750,
            "asset_life_years": 1,
        },
        sites=[
            {
                "site": "A",
                "capex_usd_per_wspm": 12_000,
                "opex_usd_per_wafer": 100,
                "lead_time_years": 1,
            }
        ],
        partners=[{"partner": "BANK", "cost_of_capital": 0.25}],
        demand=[
            {"scenario": "low", "year": 2026, "gpus": 1200},
            {"scenario": "high", "year": 2026, "gpus": 3600},
        ],
        scenarios=[
            {"scenario": "low", "probability": 0.8},
            {"scenario": "high", "probability": 0.2},
        ],
    )


def solve_risk_averse(data: Path, out: Path, alpha: float, weight: float):
    """Solve with CVaR, verify the plan; return (result, verify violations)."""
    result = run_solve(
        SolveRequest(
            data,
            out_dir=out,
            stochastic=True,
            cvar_alpha=alpha,
            risk_weight=weight,
            report_formats=(),
        )
    )
    check = verify_plan(result.out_dir)
    assert check.ok, "\n".join(check.violations)
    # costs.csv (with its risk_adjustment row) sums to the objective
    total = float(result.tables["costs"]["npv_usd"].sum())
    assert total == approx(result.summary["objective_usd"])
    return result, check.violations


ALPHA = 0.9  # >= 1 - p_min = 0.8: the worst 10% of outcomes lie inside the worst scenario
WEIGHTS = (0.0, 0.1, 0.5, 1.0)


@pytest.fixture(scope="module")
def newsvendor(tmp_path_factory):
    data = newsvendor_case(tmp_path_factory.mktemp("newsvendor") / "data")
    out = tmp_path_factory.mktemp("newsvendor_plans")
    return data, {lam: solve_risk_averse(data, out / f"lam{lam}", ALPHA, lam) for lam in WEIGHTS}


# Hand solution (NPV USD) for capacity x GPUs (= x/12 wspm), x between 1,200 and 3,600:
#   cost_low(x)  = 1,000 x + 1,200 x 80                          = 1,000 x + 96,000
#   cost_high(x) = 1,000 x + 80 x + 3,000 (3,600 - x)            = 10,800,000 - 1,920 x
#   E(x) = 0.8 cost_low + 0.2 cost_high: slope 800 - 384 = +416
# Below 1,200 both costs fall with x (slope 1,000 + 80 - 3,000 = -1,920), above 3,600 both rise
# (+1,000). cost_high > cost_low on the whole stretch (at 3,600: 3,888,000 > 3,696,000), so the
# worst scenario is high and, with alpha = 0.9 >= 1 - 0.2, CVaR_0.9 = cost_high (slope -1,920).
# Objective (1 - lam) E + lam CVaR has slope 416 (1 - lam) - 1,920 lam on the stretch: positive
# for lam < 416/2,336 = 0.178 (build 1,200 = the low plan), negative above (build 3,600).
#   low plan (100 wspm):  cost_low 1,296,000, cost_high 1,200,000 + 96,000 + 2,400 x 3,000
#     = 8,496,000; E = 0.8 x 1,296,000 + 0.2 x 8,496,000 = 2,736,000; CVaR = 8,496,000
#   high plan (300 wspm): cost_low 3,696,000, cost_high 3,888,000;
#     E = 0.8 x 3,696,000 + 0.2 x 3,888,000 = 3,734,400; CVaR = 3,888,000
#   lam 0:   objective E(low plan)                                    = 2,736,000
#   lam 0.1: 0.9 x 2,736,000 + 0.1 x 8,496,000 = 2,462,400 + 849,600 = 3,312,000 (low plan)
#   lam 0.5: 0.5 x 3,734,400 + 0.5 x 3,888,000                        = 3,811,200 (high plan)
#   lam 1:   min_x max_w cost_w = cost_high(3,600)                    = 3,888,000 (high plan)
HAND_OBJECTIVE = {0.0: 2_736_000.0, 0.1: 3_312_000.0, 0.5: 3_811_200.0, 1.0: 3_888_000.0}
HAND_BUILD = {0.0: 100.0, 0.1: 100.0, 0.5: 300.0, 1.0: 300.0}


def test_cvar_worst_case_objective(newsvendor):
    """lam = 1 and alpha >= 1 - p_min: the objective is the least worst-scenario cost."""
    _, runs = newsvendor
    r, _ = runs[1.0]
    assert r.summary["objective_usd"] == approx(3_888_000)
    assert r.summary["risk"] == {"cvar_alpha": ALPHA, "risk_weight": 1.0}
    assert built(r, "A") == approx(300)
    assert scenario_totals(r)["high"] == approx(3_888_000)
    # risk_adjustment makes costs.csv add up: objective - expected cost (the 8 components)
    costs = r.tables["costs"].set_index("component")["npv_usd"]
    assert float(costs["risk_adjustment"]) == approx(r.summary["objective_usd"] - expected_cost(r))


@pytest.mark.parametrize("lam", WEIGHTS)
def test_cvar_objective_and_plan_by_hand(newsvendor, lam):
    _, runs = newsvendor
    r, _ = runs[lam]
    assert r.summary["objective_usd"] == approx(HAND_OBJECTIVE[lam])
    assert built(r, "A") == approx(HAND_BUILD[lam])
    costs = r.tables["costs"].set_index("component")["npv_usd"]
    if lam == 0.0:  # no risk term at all: costs.csv is the expected cost
        assert "risk_adjustment" not in costs.index or float(costs["risk_adjustment"]) == 0.0
    elif lam < 1.0:  # every scenario's operations carry weight: the expected cost is determined
        expected = 2_736_000.0 if HAND_BUILD[lam] == 100 else 3_734_400.0
        assert expected_cost(r) == approx(expected)
        # lam 0.1: 3,312,000 - 2,736,000 = 576,000; lam 0.5: 3,811,200 - 3,734,400 = 76,800
        assert float(costs["risk_adjustment"]) == approx(HAND_OBJECTIVE[lam] - expected)


@pytest.mark.parametrize("lam", WEIGHTS)
def test_cvar_objective_is_mean_plus_cvar_of_scenario_costs(newsvendor, lam):
    """objective = (1 - lam) E[cost] + lam CVaR_alpha(cost), CVaR computed by enumeration from
    scenario_costs.csv, and E[cost] = sum_w p(w) scenario total = the 8 components."""
    _, runs = newsvendor
    r, _ = runs[lam]
    totals = scenario_totals(r)
    probs = r.summary["scenarios"]
    mean = sum(probs[w] * totals[w] for w in probs)
    assert mean == approx(expected_cost(r))
    want = (1 - lam) * mean + lam * cvar(totals, probs, ALPHA)
    assert r.summary["objective_usd"] == approx(want)


def test_more_risk_aversion_trades_expected_cost_for_cvar(newsvendor):
    """The theorem: for lam1 < lam2 with optimal plans x1, x2, optimality of each gives
    (1-lam1) E1 + lam1 C1 <= (1-lam1) E2 + lam1 C2 and (1-lam2) E2 + lam2 C2 <= (1-lam2) E1 +
    lam2 C1; adding the first x lam2 to the second x lam1 gives (lam1 - lam2)(E2 - E1) <= 0, and
    adding the first x (1-lam2) to the second x (1-lam1) gives (lam1 - lam2)(C1 - C2) <= 0: so
    E2 >= E1 and C2 <= C1. (The worst scenario's cost itself is not monotone in general.)"""
    _, runs = newsvendor
    results = [runs[lam][0] for lam in WEIGHTS]
    e = [expected_cost(r) for r in results]
    c = [cvar(scenario_totals(r), r.summary["scenarios"], ALPHA) for r in results]
    tol = 1e-6 * max(c)
    for i in range(len(WEIGHTS) - 1):
        assert c[i + 1] <= c[i] + tol, (WEIGHTS[i], WEIGHTS[i + 1], c)
        assert e[i + 1] >= e[i] - tol, (WEIGHTS[i], WEIGHTS[i + 1], e)
    # and by hand: CVaR 8,496,000 -> 3,888,000, E 2,736,000 -> 3,734,400 as lam crosses 0.178
    assert c[0] == approx(8_496_000) and c[-1] == approx(3_888_000)
    assert e[0] == approx(2_736_000) and e[2] == approx(3_734_400)


def test_cvar_value_measures_stay_risk_neutral(newsvendor):
    """EVPI/VSS are the risk-neutral measures even when the plan is risk averse; the regret
    table's hedged rows evaluate the risk-averse plan that was written."""
    _, runs = newsvendor
    r, _ = runs[0.5]
    s = r.summary
    # RP = E(low plan) = 2,736,000 (the risk-neutral optimum, lam 0 above)
    # WS = 0.8 x 1,296,000 + 0.2 x 3,888,000 = 1,036,800 + 777,600 = 1,814,400
    # mean demand 0.8 x 1,200 + 0.2 x 3,600 = 1,680 GPUs -> 140 wspm, first stage 1,680,000:
    #   low: 1,680,000 + 1,200 x 80 = 1,776,000
    #   high: 1,680,000 + 1,680 x 80 + 1,920 x 3,000 = 1,680,000 + 134,400 + 5,760,000 = 7,574,400
    #   EEV = 0.8 x 1,776,000 + 0.2 x 7,574,400 = 1,420,800 + 1,514,880 = 2,935,680
    assert s["rp_usd"] == approx(2_736_000)
    assert s["ws_usd"] == approx(1_814_400)
    assert s["eev_usd"] == approx(2_935_680)
    assert s["evpi_usd"] == approx(921_600)  # 2,736,000 - 1,814,400
    assert s["vss_usd"] == approx(199_680)  # 2,935,680 - 2,736,000
    # the risk-averse plan (300 wspm) in each scenario: 3,696,000 and 3,888,000
    assert regret_cost(r, "hedged plan", "low") == approx(3_696_000)
    assert regret_cost(r, "hedged plan", "high") == approx(3_888_000)
    assert regret_cost(r, "low plan", "high") == approx(8_496_000)


@pytest.mark.parametrize("lam", [0.1, 0.5])
def test_cvar_scenario_costs(newsvendor, lam):
    data, runs = newsvendor
    r, _ = runs[lam]
    check_scenario_costs(r, data, tol=1e-6 * 3_888_000)


@pytest.mark.parametrize("lam", WEIGHTS)
def test_every_scenario_operates_optimally_for_the_shared_decisions(newsvendor, lam):
    """Whatever the risk weight, each scenario's operations (production, unmet) should be the
    cheapest for the first-stage decisions the plan shares: scenario_costs.csv must equal the
    regret table's hedged rows (operations re-optimised with the same first stage)."""
    _, runs = newsvendor
    r, _ = runs[lam]
    for w, total in scenario_totals(r).items():
        assert total == approx(regret_cost(r, "hedged plan", w)), (lam, w)


@pytest.mark.parametrize("lam", [0.1, 0.5, 1.0])
def test_cvar_plans_pass_the_verifier(newsvendor, lam):
    _, runs = newsvendor
    _, violations = runs[lam]
    assert not violations, "\n".join(violations)


# --- (3) properties on random small cases ------------------------------------------------------


@st.composite
def random_cases(draw):
    """1-2 sites, one product, 2-3 years, 2-3 scenarios, optional energy contract with a
    capacity charge (so every first-stage cost component can be non-zero)."""
    years = draw(st.integers(2, 3))
    params = {
        "last_year": 2025 + years - 1,
        "discount_rate": draw(st.sampled_from([0.0, 0.05, 0.1])),
        "unmet_penalty_usd_per_gpu": draw(st.integers(500, 6000)),
        "asset_life_years": draw(st.integers(1, 4)),
        "carbon_price_usd_per_t": draw(st.sampled_from([0, 50])),
    }
    with_energy = draw(st.booleans())
    sites = []
    for i in range(draw(st.integers(1, 2))):
        existing = draw(st.sampled_from([0, 0, 20, 60]))
        sites.append(
            {
                "site": f"S{i}",
                "existing_wspm": existing,
                "max_wspm": existing + draw(st.integers(50, 400)),
                "capex_usd_per_wspm": draw(st.integers(2_000, 30_000)),
                "opex_usd_per_wafer": draw(st.integers(10, 400)),
                "lead_time_years": draw(st.integers(0, 1)),
                "utilization": draw(st.sampled_from([0.5, 0.8, 1.0])),
                "fixed_cost_usd_per_year": draw(st.sampled_from([0, 20_000, 200_000])),
                "energy_mwh_per_wafer": draw(st.sampled_from([0.5, 2.0])) if with_energy else 0,
            }
        )
    names = ["low", "mid", "high"][: draw(st.integers(2, 3))]
    weights = [draw(st.integers(1, 5)) for _ in names]
    scenarios = [
        {"scenario": w, "probability": k / sum(weights)}
        for w, k in zip(names, weights, strict=True)
    ]
    demand = [
        {"scenario": w, "year": 2025 + t, "gpus": draw(st.integers(0, 30)) * 200}
        for w in names
        for t in range(years)
    ]
    tables = {
        "parameters": params,
        "sites": sites,
        "products": [{"gpus_per_wafer": draw(st.sampled_from([1, 2, 5]))}],
        "demand": demand,
        "scenarios": scenarios,
        "partners": [
            {"partner": "FUND", "cost_of_capital": draw(st.sampled_from([0.0, 0.06, 0.12]))},
            {"partner": "GOV", "cost_of_capital": 0.02, "max_commitment_musd": 1},
        ],
    }
    if with_energy:
        tables["energy"] = [
            {
                "contract": "GRID",
                "price_usd_per_mwh": draw(st.integers(20, 120)),
                "co2_t_per_mwh": 0.4,
                "fixed_usd_per_mw_year": draw(st.sampled_from([0, 5_000, 50_000])),
                "capacity_factor": 0.9,
                "max_mw": 1000,
            }
        ]
    return tables


@pytest.mark.slow  # many random hedged solves
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tables=random_cases())
def test_value_measures_properties_on_random_cases(tmp_path_factory, tables):
    data = write_case(tmp_path_factory.mktemp("random") / "data", **tables)
    r = solve_and_verify(data, tmp_path_factory.mktemp("random_plan"), stochastic=True)
    s = r.summary
    probs = s["scenarios"]
    tol = 1e-6 * max(abs(s["eev_usd"]), 1.0) + 1e-3
    # Birge-Louveaux: WS <= RP <= EEV
    assert s["evpi_usd"] >= -tol
    assert s["vss_usd"] >= -tol
    assert s["evpi_usd"] == pytest.approx(s["rp_usd"] - s["ws_usd"], abs=tol)
    assert s["vss_usd"] == pytest.approx(s["eev_usd"] - s["rp_usd"], abs=tol)
    assert s["rp_usd"] == pytest.approx(s["objective_usd"], abs=tol)  # risk neutral
    regret = r.tables["regret"]
    plans = {f"{w} plan" for w in probs} | {"mean-demand plan", "hedged plan"}
    assert set(regret["plan"]) == plans
    assert len(regret) == len(plans) * len(probs)
    assert (regret["regret_usd"] >= -tol).all()  # no plan beats a scenario's own optimum
    best = regret.groupby("scenario")["best_cost_usd"].agg(["min", "max"])
    assert (best["max"] - best["min"] <= tol).all()  # one best cost per scenario
    ws = sum(probs[w] * float(best.loc[w, "min"]) for w in probs)
    assert s["ws_usd"] == pytest.approx(ws, abs=tol)
    # the hedged plan has the least expected cost of all first-stage plans evaluated
    expected = (regret["probability"] * regret["cost_usd"]).groupby(regret["plan"]).sum()
    assert (expected >= s["rp_usd"] - tol).all(), expected.to_dict()
    assert expected["hedged plan"] == pytest.approx(s["rp_usd"], abs=tol)
    assert expected["mean-demand plan"] == pytest.approx(s["eev_usd"], abs=tol)
    check_scenario_costs(r, data, tol)
    for w, total in scenario_totals(r).items():
        assert total == pytest.approx(regret_cost(r, "hedged plan", w), abs=tol)


# --- (5) CLI --------------------------------------------------------------------------------------


def run_cli(*args: object) -> int:
    with pytest.raises(SystemExit) as exc:
        fabplan_main([str(a) for a in args])
    return exc.value.code


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cvar", "0.9"], "--cvar needs --stochastic"),
        (["--stochastic", "--scenario", "x"], "drop --scenario"),
        (["--stochastic", "--cvar", "1.5"], "--cvar ALPHA must be in (0, 1)"),
        (["--stochastic", "--cvar", "0"], "--cvar ALPHA must be in (0, 1)"),
        (["--stochastic", "--cvar", "0.9", "--risk-weight", "1.5"], "--risk-weight"),
    ],
)
def test_cli_rejects_bad_risk_options(tmp_path, capsys, extra, message):
    data = newsvendor_case(tmp_path / "data")
    out = tmp_path / "plan"
    assert run_cli("solve", data, "--out", out, "--report", "none", *extra) == 2
    err = capsys.readouterr().err
    assert message in " ".join(err.split())
    assert not out.exists()  # nothing written
