"""The classic transportation problem (GAMS model library TRNSPORT, Dantzig 1963) in fabplan's
data contract must reproduce its published optimum, 153.675 (thousand dollars).

Source: /work/shared/validation/small-models/gams_trnsport.json (embedded below and checked
against that file when it is present).

Unit mapping (documented here, used below):
- a plant i is a site in its own region i, with existing capacity and nothing to build
  (max_wspm = existing_wspm, capex 0); utilization 1 and existing_wspm = a_i / 12, so it can
  make 12 x 1 x a_i / 12 = a_i wafers a year: one wafer is one case;
- one product with gpus_per_wafer 1: one GPU is one case;
- a market j demands b_j GPUs (cases) in the single year;
- the lane i -> j costs c_ij = f x d_ij / 1000 USD per GPU (f = 90 $ per case per thousand
  miles, d in thousands of miles), i.e. GAMS's c_ij in thousands of dollars per case taken as
  USD per case: so objective_usd equals GAMS's objective in thousands of dollars;
- no energy, partners or regions files; opex 0; one year, so discounting is moot; the unmet
  penalty ($1,000 a case) is far above any lane cost, so all demand is met.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from casebuilder import solve_and_verify, write_case

SOURCE = Path("/work/shared/validation/small-models/gams_trnsport.json")

# The model's data, copied from SOURCE so the test runs on a fresh clone (CI) where the shared
# validation folder does not exist; when it does exist, the copy is checked against it.
TRNSPORT = {
    "supply_a": {"seattle": 350, "san-diego": 600},
    "demand_b": {"new-york": 325, "chicago": 300, "topeka": 275},
    "distance_d": {
        "seattle": {"new-york": 2.5, "chicago": 1.7, "topeka": 1.8},
        "san-diego": {"new-york": 2.5, "chicago": 1.8, "topeka": 1.4},
    },
    "freight_f": 90,
    "published_optimum": 153.675,
}


def load_trnsport() -> dict:
    return TRNSPORT


def test_embedded_copy_matches_the_shared_source():
    if not SOURCE.exists():
        pytest.skip(f"{SOURCE} is not available on this machine")
    source = json.loads(SOURCE.read_text())
    assert {k: source[k] for k in TRNSPORT} == TRNSPORT


def trnsport_case(path: Path, m: dict) -> Path:
    f = m["freight_f"]
    return write_case(
        path,
        parameters={"unmet_penalty_usd_per_gpu": 1000},
        sites=[
            {
                "site": plant,
                "region": plant,
                "existing_wspm": supply / 12,
                "max_wspm": supply / 12,
                "utilization": 1,
            }
            for plant, supply in m["supply_a"].items()
        ],
        demand=[{"market": market, "gpus": b} for market, b in m["demand_b"].items()],
        shipping=[
            {"region": plant, "market": market, "cost_usd_per_gpu": f * d / 1000}
            for plant, row in m["distance_d"].items()
            for market, d in row.items()
        ],
    )


def test_trnsport_reproduces_the_published_optimum(tmp_path):
    m = load_trnsport()
    r = solve_and_verify(trnsport_case(tmp_path / "case", m), tmp_path)
    published = m["published_optimum"]  # 153.675 thousand dollars
    assert published == 153.675
    assert r.summary["objective_usd"] == pytest.approx(published, rel=1e-6)
    costs = r.tables["costs"].set_index("component")["npv_usd"]
    assert costs["shipping"] == pytest.approx(published, rel=1e-6)
    assert r.tables["unmet"].empty


def test_trnsport_flows_and_demand_prices(tmp_path):
    # GAMS's optimal shipments: seattle -> new-york 50, seattle -> chicago 300,
    # san-diego -> new-york 275, san-diego -> topeka 275. Check by hand:
    # 50 x 0.225 + 300 x 0.153 + 275 x 0.225 + 275 x 0.126
    #   = 11.25 + 45.9 + 61.875 + 34.65 = 153.675.
    # New York costs 0.225 from either plant (d = 2.5 from both), so how its 325 cases split
    # between seattle (at most 350 - 300 = 50) and san-diego is an alternative optimum; the
    # other lanes are forced: chicago only from seattle (0.153 < 0.162), topeka only from
    # san-diego (0.126 < 0.162), each at its full demand.
    # The demand duals are unique: take GAMS's solution, where san-diego has 50 cases of slack
    # (supply dual 0); complementary slackness on its basic lanes gives new-york = 0.225 and
    # topeka = 0.126, then seattle -> new-york basic gives seattle's supply dual
    # 0.225 - 0.225 = 0, and seattle -> chicago basic gives chicago = 0.153.
    m = load_trnsport()
    r = solve_and_verify(trnsport_case(tmp_path / "case", m), tmp_path)
    lanes = r.tables["shipments"]  # plant i is the one site of region i
    flows = {(row.region, row.market): row.gpus for row in lanes.itertuples()}
    assert set(flows) <= {
        ("seattle", "new-york"),
        ("seattle", "chicago"),
        ("san-diego", "new-york"),
        ("san-diego", "topeka"),
    }
    assert flows[("seattle", "chicago")] == pytest.approx(300, rel=1e-9)
    assert flows[("san-diego", "topeka")] == pytest.approx(275, rel=1e-9)
    to_new_york = flows.get(("seattle", "new-york"), 0) + flows[("san-diego", "new-york")]
    assert to_new_york == pytest.approx(325, rel=1e-9)
    assert flows.get(("seattle", "new-york"), 0) <= 50 + 1e-9
    prices = r.tables["prices"].set_index("market")["usd_per_gpu"]
    assert prices["new-york"] == pytest.approx(0.225, rel=1e-6)
    assert prices["chicago"] == pytest.approx(0.153, rel=1e-6)
    assert prices["topeka"] == pytest.approx(0.126, rel=1e-6)
