"""Staged hedged plans (issue 15 section 1, parameters.csv stage_year): decide now, adapt later.

(tests/test_stages.py is the supply-chain stages of issue 12: a different thing.)

Hand case, discount rate 0, horizon 2025-2027, asset_life_years 1 (a capex dollar is repaid in
full the next year: it costs 1 USD NPV), 1 GPU per wafer, utilization 1, opex 0: one wspm makes
12 GPUs a year. Demand only in 2027: scenario low 1,200 GPUs, high 2,400 (p 0.5 each). Unmet
penalty 3,000 USD/GPU. Two sites, capacity for one GPU a year = 1/12 wspm:
- A: capex 12,000/wspm = 1,000 per GPU, lead 2 years: only a 2025 build is online in 2027.
- B: capex 18,000/wspm = 1,500 per GPU, lead 1 year: built in 2025 or 2026 for 2027.
Stage year 2026: a 2025 build is decided now (shared), a 2026 build per scenario.

- WS: each scenario builds A for its own demand: low 1,200 x 1,000 = 1,200,000, high 2,400 x
  1,000 = 2,400,000 -> WS = 0.5 x 1,200,000 + 0.5 x 2,400,000 = 1,800,000.
- Staged RP: A for a GPUs now, B later per scenario for what A lacks (1,500 < 3,000 penalty).
  Cost(a) = 1,000 a + 0.5 x 1,500 (1,200 - a)^+ + 0.5 x 1,500 (2,400 - a)^+. Slope on [0, 1,200]:
  1,000 - 1,500 < 0; on [1,200, 2,400]: 1,000 - 750 = +250 > 0 -> a = 1,200 (A 100 wspm, 2025),
  B 1,200 GPUs (100 wspm, 2026) in high only: RP = 1,200,000 + 0.5 x 1,800,000 = 2,100,000.
  B built in 2025 costs as much as in 2026 but is shared: never better than A.
- Two-stage RP (everything decided in 2025): A is the cheapest capacity; on [1,200, 2,400] one
  more GPU of A costs 1,000 and saves 0.5 x 3,000 = 1,500 -> A 2,400 GPUs: RP2 = 2,400,000.
- EEV: the mean-demand plan (1,800 GPUs in 2027) builds A for 1,800 (1,000 < 1,500); its
  decide-now decision (A 150 wspm in 2025) fixed, the rest re-optimised: low 1,800,000 (A unused
  beyond 1,200), high 1,800,000 + B 600 x 1,500 = 2,700,000 -> EEV = 0.5 x (1.8M + 2.7M) =
  2,250,000.
- EVPI = RP - WS = 2,100,000 - 1,800,000 = 300,000; VSS = EEV - RP = 2,250,000 - 2,100,000 =
  150,000.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from casebuilder import solve_and_verify, write_case

from optimizer.cli import main as fabplan_main
from optimizer.inputs import load_case
from optimizer.inputs.stage_checks import stage_warnings
from optimizer.model import ModelOptions, build_model
from optimizer.run import SolveRequest, run_solve
from optimizer.solve import SolverOptions, compile_model, solve

REL = 1e-9
WS, RP, RP_TWO_STAGE, EEV = 1_800_000.0, 2_100_000.0, 2_400_000.0, 2_250_000.0


def approx(x: float):
    return pytest.approx(x, rel=1e-6, abs=1e-3)


def staged_case(path: Path, stage_year: int | None = 2026, **extra) -> Path:
    """The module docstring's case; `stage_year` None leaves the parameter out."""
    params = {"last_year": 2027, "asset_life_years": 1, "unmet_penalty_usd_per_gpu": 3000}
    if stage_year is not None:
        params["stage_year"] = stage_year
    return write_case(
        path,
        parameters=params,
        sites=[
            {"site": "A", "capex_usd_per_wspm": 12_000, "lead_time_years": 2},
            {"site": "B", "capex_usd_per_wspm": 18_000, "lead_time_years": 1},
        ],
        demand=[
            {"scenario": "low", "year": 2027, "gpus": 1200},
            {"scenario": "high", "year": 2027, "gpus": 2400},
        ],
        scenarios=[
            {"scenario": "low", "probability": 0.5},
            {"scenario": "high", "probability": 0.5},
        ],
        **extra,
    )


def hedged(data: Path, out: Path, **request):
    """The hedged plan, verified by the independent checker (staged or not)."""
    return solve_and_verify(data, out.parent, out_dir=out, stochastic=True, **request)


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    root = tmp_path_factory.mktemp("staged")
    return hedged(staged_case(root / "data"), root / "plan")


# --- (a) the hand case: RP, WS, EEV, EVPI, VSS and the scenario column --------------------------


def test_value_measures_by_hand(staged):
    s = json.loads((staged.out_dir / "summary.json").read_text())
    assert s["stage_year"] == 2026
    assert s["rp_usd"] == approx(RP)
    assert s["objective_usd"] == approx(RP)
    assert s["ws_usd"] == approx(WS)
    assert s["eev_usd"] == approx(EEV)
    assert s["evpi_usd"] == approx(300_000)  # 2,100,000 - 1,800,000
    assert s["vss_usd"] == approx(150_000)  # 2,250,000 - 2,100,000


def test_builds_carry_the_scenario_column(staged):
    b = pd.read_csv(staged.out_dir / "builds.csv", keep_default_na=False)
    assert list(b.columns[:1]) == ["scenario"]
    b = b[b["wspm"] > 1e-9]
    got = {
        (w, s, int(y)): float(x) for w, s, y, x in b[["scenario", "site", "year", "wspm"]].values
    }
    # A 1,200 GPUs / 12 = 100 wspm in 2025 (before 2026: "all"); B 1,200 / 12 = 100 wspm in 2026
    # in scenario high only (low needs nothing more)
    assert got == pytest.approx({("all", "A", 2025): 100.0, ("high", "B", 2026): 100.0})
    # capacity: rows before 2026 shared, later rows once per scenario
    cap = pd.read_csv(staged.out_dir / "capacity.csv", keep_default_na=False)
    assert set(cap.loc[cap["year"] < 2026, "scenario"]) == {"all"}
    assert set(cap.loc[cap["year"] >= 2026, "scenario"]) == {"low", "high"}
    b27 = cap[(cap["site"] == "B") & (cap["year"] == 2027)].set_index("scenario")
    assert b27.loc["high", "installed_wspm"] == approx(100)
    assert b27.loc["low", "installed_wspm"] == approx(0)


# --- (e) costs add up ---------------------------------------------------------------------------


def test_costs_and_scenario_costs_add_up(staged):
    costs = staged.tables["costs"].set_index("component")["npv_usd"]
    assert float(costs.sum()) == approx(RP)
    # all of it is financing: 1,200,000 shared + 0.5 x 1,800,000 for B in high
    assert costs["financing"] == approx(2_100_000)
    sc = staged.tables["scenario_costs"].set_index("scenario")
    assert sc.loc["low", "total_usd"] == approx(1_200_000)  # A only
    assert sc.loc["high", "total_usd"] == approx(3_000_000)  # A 1,200,000 + B 1,800,000
    assert float((sc["probability"] * sc["total_usd"]).sum()) == approx(RP)


# --- (b) a stage year after the horizon is the two-stage plan -----------------------------------


def test_stage_year_after_horizon_is_the_two_stage_plan(tmp_path):
    blank = hedged(staged_case(tmp_path / "blank", None), tmp_path / "p_blank")
    after = hedged(staged_case(tmp_path / "after", 2028), tmp_path / "p_after")
    # two-stage RP: A for 2,400 GPUs (200 wspm) in 2025 -> 2,400,000; EVPI 2.4M - 1.8M = 600,000
    assert blank.summary["rp_usd"] == approx(RP_TWO_STAGE)
    assert blank.summary["evpi_usd"] == approx(600_000)
    keys = ("objective_usd", "rp_usd", "ws_usd", "eev_usd", "evpi_usd", "vss_usd")
    assert {k: after.summary[k] for k in keys} == {k: blank.summary[k] for k in keys}
    files = sorted(p.name for p in blank.out_dir.glob("*.csv"))
    assert files == sorted(p.name for p in after.out_dir.glob("*.csv"))
    for name in files:
        a = (after.out_dir / name).read_bytes()
        assert a == (blank.out_dir / name).read_bytes(), name
    assert "scenario" not in pd.read_csv(after.out_dir / "builds.csv").columns


# --- (c), (d) the extensive form against independent formulations --------------------------------


def _objective_usd(ctx) -> float:
    compiled = compile_model(ctx)
    sol = solve(ctx, compiled, SolverOptions())
    assert sol.status == "optimal"
    return sol.objective * ctx.scale.usd


def test_extensive_form_at_the_ends_is_two_stage_and_wait_and_see(tmp_path):
    from optimizer.staged import build_staged

    case = load_case(staged_case(tmp_path / "data", None))
    probs = case.scenario_probabilities
    two_stage = _objective_usd(build_model(case, probs))
    assert two_stage == approx(RP_TWO_STAGE)
    after = _objective_usd(build_staged(case, ModelOptions(), 2028))
    assert after == pytest.approx(two_stage, rel=REL)
    # stage year = first year: nothing tied -> each copy alone, weighted: sum_w p_w cost_w*
    alone = {w: _objective_usd(build_model(case.for_scenarios({w: 1.0}), {w: 1.0})) for w in probs}
    assert alone == {"low": approx(1_200_000), "high": approx(2_400_000)}
    ws = sum(probs[w] * alone[w] for w in probs)
    first = build_staged(case, ModelOptions(), 2025)
    assert "nonanticipativity" not in first.families
    assert _objective_usd(first) == pytest.approx(ws, rel=REL)


def test_nonanticipativity_alone_makes_the_gap_over_wait_and_see(tmp_path):
    # Without ties (stage year 2025) low builds A 100 wspm, high A 200 wspm: WS 1,800,000. Tying
    # the 2025 builds (stage year 2026) is the only change and costs RP - WS = 300,000.
    from optimizer.staged import build_staged

    case = load_case(staged_case(tmp_path / "data", None))
    model = build_staged(case, ModelOptions(), 2026)
    ties = model.families["nonanticipativity"]
    # one row per decide-now variable of the second scenario: the 2025 build, opening and
    # funding of sites A and B (3 blocks x 2 sites = 6)
    got = set(zip(ties.index["block"], ties.index["key"].str.split().str[-2:].str[0], strict=True))
    assert len(ties.index) == 6 and set(ties.index["scenario"]) == {"high"}
    assert {b for b, _ in got} == {"build", "open", "fund"}
    compiled = compile_model(model)
    sol = solve(model, compiled, SolverOptions())
    assert sol.objective * model.scale.usd == approx(RP)
    assert sol.objective * model.scale.usd - WS == approx(300_000)
    # the tie on A's 2025 build binds: one more wspm of A in high alone (x_high - x_low = +1)
    # saves 0.5 x (18,000 - 12,000) = 3,000 USD (B not built); one less costs 3,000 (B built):
    # shadow price -3,000 USD per wspm (model units: MUSD per thousand wspm)
    rows = ties.index.reset_index(drop=True)
    on_a = ((rows["block"] == "build") & rows["key"].str.startswith("A ")).to_numpy()
    dual = float(sol.duals["nonanticipativity"][on_a][0])
    assert dual * model.scale.usd / model.scale.wspm == approx(-3_000)


# --- validation: optimizer/inputs/stage_checks.py ----------------------------------------------


def test_stage_year_outside_the_horizon_is_explained(tmp_path):
    for year, meaning in ((2025, "the wait-and-see plans"), (2028, "the two-stage hedged plan")):
        (w,) = stage_warnings(load_case(staged_case(tmp_path / str(year), year)))
        assert (w.file, w.column, w.value, w.severity) == (
            "parameters.csv",
            "stage_year",
            year,
            "warning",
        )
        assert meaning in w.expected
    assert stage_warnings(load_case(staged_case(tmp_path / "mid", 2026))) == []
    assert stage_warnings(load_case(staged_case(tmp_path / "none", None))) == []
    # given by --set instead of the file: the warning points at the option
    (w,) = stage_warnings(load_case(staged_case(tmp_path / "set", None), {"stage_year": "2025"}))
    assert (w.file, w.column, w.value) == ("--set", "stage_year", 2025)


def test_demand_differing_before_the_stage_year_is_named(tmp_path):
    # demand in 2026 too: low 600, high 900 -> they differ in 2026, before stage year 2027
    data = staged_case(tmp_path / "data", 2027)
    demand = pd.read_csv(data / "demand.csv")
    early = demand.assign(year=2026, gpus=[600, 900])
    pd.concat([demand, early]).to_csv(data / "demand.csv", index=False)
    (w,) = stage_warnings(load_case(data))
    assert (w.file, w.column, w.severity) == ("demand.csv", "gpus", "warning")
    assert "scenario high differs from low in 2026, before stage_year 2027" in w.expected
    assert "decisions before 2027 are taken without knowing this" in w.expected
    # one scenario (a single-scenario plan): stages do not apply, nothing said
    one = load_case(data).for_scenarios({"low": 1.0})
    assert stage_warnings(one) == []


def test_validate_shows_the_stage_warning(tmp_path, capsys):
    data = staged_case(tmp_path / "data", 2028)
    with pytest.raises(SystemExit) as exc:
        fabplan_main(["validate", str(data)])
    assert exc.value.code in (0, None)
    out = capsys.readouterr()
    text = " ".join((out.out + out.err).split())
    assert "column 'stage_year': value '2028' — after last_year 2027" in text


def test_solves_show_the_stage_warning_only_when_hedged(tmp_path, capsys):
    # stage year 2028 > last_year 2027: said by a hedged solve, not by a one-scenario solve
    data = staged_case(tmp_path / "data", 2028)
    hedged(data, tmp_path / "hedged")
    said = " ".join(capsys.readouterr().err.split())
    assert "column 'stage_year': value '2028' — after last_year 2027" in said
    run_solve(
        SolveRequest(data_dir=data, out_dir=tmp_path / "one", scenario="low", report_formats=())
    )
    assert "stage_year" not in capsys.readouterr().err


# --- a risk-averse staged plan: CVaR over the stacked copies ------------------------------------


def test_risk_averse_staged_plan_commits_more_now(tmp_path):
    """--cvar 0.5 --risk-weight 1 with two equally likely scenarios: CVaR_0.5 of the cost is the
    worse scenario's cost (eta = the better one's: eta + 2 x 0.5 x (worse - eta) = worse).
    With a GPUs of A decided now: high = 1,000 a + 1,500 (2,400 - a) = 3,600,000 - 500 a, low =
    1,000 a + 1,500 (1,200 - a)^+ <= high for a <= 2,400, so CVaR = high, least at a = 2,400
    (A 200 wspm in 2025, no B): CVaR = 2,400,000, both scenarios 2,400,000. The risk-neutral
    staged plan (RP, summary rp_usd) stays at 2,100,000 with A 100 wspm."""
    data = staged_case(tmp_path / "data")
    r = hedged(data, tmp_path / "plan", cvar_alpha=0.5, risk_weight=1.0)
    out = r.out_dir
    b = pd.read_csv(out / "builds.csv")
    built = b[b["wspm"] > 1e-6]
    assert list(zip(built["scenario"], built["site"], built["year"], strict=True)) == [
        ("all", "A", 2025)
    ]
    assert built["wspm"].iloc[0] == approx(200.0)  # 2,400 GPUs / 12 per wspm
    s = json.loads((out / "summary.json").read_text())
    assert s["stage_year"] == 2026
    assert s["objective_usd"] == approx(2_400_000.0)
    assert pd.read_csv(out / "costs.csv")["npv_usd"].sum() == approx(2_400_000.0)
    assert s["rp_usd"] == approx(RP)  # the risk-neutral staged plan
    sc = pd.read_csv(out / "scenario_costs.csv").set_index("scenario")["total_usd"]
    assert sc["low"] == approx(2_400_000.0) and sc["high"] == approx(2_400_000.0)


def test_integer_staged_plan_ties_whole_decisions(tmp_path):
    """--integer with a stage year: the copies' integer columns (opening, modules) are tied like
    the continuous ones, the fixed-LP duals still come out, and the plan verifies. The LP
    optimum is already whole here (A 100 wspm now, B 100 wspm later in high), so the MIP finds
    the same RP = 2,100,000 and the same EVPI 300,000 and VSS 150,000."""
    r = hedged(staged_case(tmp_path / "data"), tmp_path / "plan", integer=True)
    s = r.summary
    assert s["objective_usd"] == approx(RP)
    assert s["evpi_usd"] == approx(RP - WS) and s["vss_usd"] == approx(EEV - RP)
    b = r.tables["builds"]
    b = b[b["wspm"] > 1e-6]
    assert list(zip(b["scenario"], b["site"], b["year"], strict=True)) == [
        ("all", "A", 2025),
        ("high", "B", 2026),
    ]
