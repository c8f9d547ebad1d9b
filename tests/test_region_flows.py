"""Region flows (issue 11): make[s,k,t,w] + ship[r,k,m,t,w] is an exact reformulation of the site x
market production make[s,k,m,t,w] (proof in docs/model.md).

The old formulation is kept as an independent statement in tests/reference_site_market.py and
swapped in for the production concern; both must reach the same optimum (rel 1e-9) on the
default data (one scenario and --stochastic), on every hand case of test_model_cases.py (whose
hand-worked numbers then hold for both), on GAMS trnsport (153.675, published) and on OR-Library
cap41 in integer mode (1,040,444.375, published). The new model must also be smaller.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import reference_site_market as reference
import test_model_cases as hand
import test_trnsport as trnsport
from casebuilder import LOGIC_ONLY, solve_and_verify, write_case
from test_orlib import ORLIB, orlib

from optimizer.inputs import load_case
from optimizer.model import build_model

ROOT = Path(__file__).resolve().parents[1]
REL = 1e-9  # the same LP or MIP optimum twice: equal up to the solver's rounding


def both(data_dir: Path, tmp_path: Path, monkeypatch, **request: object):
    """Solve (and verify) `data_dir` with region flows, then with the site x market reference;
    assert both optima are equal and return (new, reference) results."""
    new = solve_and_verify(data_dir, tmp_path, **request)
    with monkeypatch.context() as m:
        reference.swap_in(m)
        old_dir = Path(tmp_path) / "reference"
        old_dir.mkdir(exist_ok=True)
        old = solve_and_verify(data_dir, old_dir, **request)
    assert new.summary["objective_usd"] == pytest.approx(
        old.summary["objective_usd"], rel=REL, abs=1e-6
    )
    return new, old


def columns(data_dir: Path, monkeypatch, swap: bool) -> dict[str, int]:
    """Variables per block of the model built for `data_dir` (all its scenarios)."""
    case = load_case(data_dir)
    with monkeypatch.context() as m:
        if swap:
            reference.swap_in(m)
        ctx = build_model(case, case.scenario_probabilities)
    return {name: len(b.index) for name, b in ctx.blocks.items()}


# ---- the default data ------------------------------------------------------------------------


@pytest.mark.parametrize("stochastic", [False, True], ids=["base", "stochastic"])
def test_default_data_same_optimum(tmp_path, monkeypatch, stochastic):
    new, _old = both(LOGIC_ONLY, tmp_path, monkeypatch, stochastic=stochastic)
    assert new.summary["objective_usd"] > 0


def test_default_data_is_no_larger(monkeypatch):
    new = columns(LOGIC_ONLY, monkeypatch, swap=False)
    old = columns(LOGIC_ONLY, monkeypatch, swap=True)
    # every block other than production's is the same in both
    assert {k: v for k, v in new.items() if k not in ("make", "ship")} == {
        k: v for k, v in old.items() if k != "make"
    }
    # every region of the default data holds one site per node, so each flow is a one-site
    # flow: no make column, one ship column per old make column (same size, no gain here)
    assert new["make"] == 0
    assert new["ship"] == old["make"]


def test_a_region_of_several_sites_needs_fewer_columns(tmp_path, monkeypatch):
    # Three sites in region R, four markets, two years, one product: site x market has
    # 3 x 4 x 2 = 24 make columns; region flows 3 x 2 = 6 make + 4 x 2 = 8 ship = 14.
    site = {"region": "R", "existing_wspm": 100, "max_wspm": 100}
    data = write_case(
        tmp_path / "case",
        parameters={"last_year": 2026},
        sites=[{"site": name, **site} for name in "ABC"],
        demand=[{"market": m, "year": y, "gpus": 100} for m in "WXYZ" for y in (2025, 2026)],
        shipping=[{"region": "R", "market": m, "cost_usd_per_gpu": 1} for m in "WXYZ"],
    )
    new = columns(data, monkeypatch, swap=False)
    old = columns(data, monkeypatch, swap=True)
    assert old["make"] == 24
    assert (new["make"], new["ship"]) == (6, 8)
    both(data, tmp_path, monkeypatch)


# ---- every hand case -------------------------------------------------------------------------


def _hand_tests():
    """Every test of test_model_cases.py with each of its parameter sets."""
    for name, test in vars(hand).items():
        if not (name.startswith("test_") and callable(test)):
            continue
        marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
        if not marks:
            yield pytest.param(test, {}, id=name)
            continue
        names = marks[0].args[0]
        names = [a.strip() for a in names.split(",")] if isinstance(names, str) else list(names)
        for i, values in enumerate(marks[0].args[1]):
            values = getattr(values, "values", values)
            values = values if len(names) > 1 else (values,)
            yield pytest.param(test, dict(zip(names, values, strict=True)), id=f"{name}[{i}]")


@pytest.mark.parametrize(("hand_test", "args"), list(_hand_tests()))
def test_every_hand_case_same_optimum(hand_test, args, tmp_path, monkeypatch):
    """The hand test runs as written (its hand numbers hold for region flows); each of its
    solves is repeated with the reference, which must reach the same optimum."""
    solved: list[float] = []

    def solve_both(data_dir, tmp, **request):
        new, _old = both(data_dir, Path(tmp), monkeypatch, **request)
        solved.append(new.summary["objective_usd"])
        return new

    monkeypatch.setattr(hand, "solve_and_verify", solve_both)
    hand_test(tmp_path=tmp_path, **args)
    assert solved, "the hand test solved nothing"


def test_two_sites_in_a_region_fill_the_cheaper_first(tmp_path, monkeypatch):
    # A ($10/wafer) and B ($20/wafer) both in region R, each 100 wspm x 12 x 0.5 = 600 wafers
    # a year, 10 GPUs per wafer; 8,000 GPUs demanded in M over R -> M at $1/GPU, one year.
    # A makes 600 wafers (6,000 GPUs), B 200 (2,000); R ships 8,000.
    # objective = 600 x 10 + 200 x 20 + 8,000 x 1 = 18,000
    site = {"region": "R", "existing_wspm": 100, "max_wspm": 100, "utilization": 0.5}
    data = write_case(
        tmp_path / "case",
        parameters={"unmet_penalty_usd_per_gpu": 1000},
        sites=[
            {"site": "A", **site, "opex_usd_per_wafer": 10},
            {"site": "B", **site, "opex_usd_per_wafer": 20},
        ],
        products=[{"gpus_per_wafer": 10}],
        demand=[{"market": "M", "gpus": 8000}],
        shipping=[{"region": "R", "market": "M", "cost_usd_per_gpu": 1}],
    )
    new, _old = both(data, tmp_path, monkeypatch)
    made = new.tables["production"].set_index("site")["wafers"]
    assert made["A"] == pytest.approx(600, rel=1e-9)
    assert made["B"] == pytest.approx(200, rel=1e-9)
    assert new.tables["shipments"]["gpus"].sum() == pytest.approx(8000, rel=1e-9)
    assert new.summary["objective_usd"] == pytest.approx(18_000, rel=1e-9)


# ---- published optima ------------------------------------------------------------------------


def test_trnsport_same_published_optimum(tmp_path, monkeypatch):
    data = trnsport.trnsport_case(tmp_path / "case", trnsport.load_trnsport())
    new, old = both(data, tmp_path, monkeypatch)
    assert new.summary["objective_usd"] == pytest.approx(153.675, rel=1e-9)
    assert old.summary["objective_usd"] == pytest.approx(153.675, rel=1e-9)


@pytest.mark.skipif(not ORLIB.is_dir(), reason=f"OR-Library instances not found at {ORLIB}")
def test_cap41_integer_same_published_optimum(tmp_path, monkeypatch):
    data = tmp_path / "cap41"
    orlib.convert(ORLIB / "cap41.txt", data)
    new, old = both(data, tmp_path, monkeypatch, integer=True, mip_gap=0.0)
    assert new.summary["objective_usd"] == pytest.approx(1040444.375, rel=1e-9)
    assert old.summary["objective_usd"] == pytest.approx(1040444.375, rel=1e-9)
