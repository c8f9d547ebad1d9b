"""When there is no plan: screening before the build and explanations of the elastic re-solve.

Which constraint families can make the LP infeasible (docs/model.md)? Every limit holds when
nothing is built, nothing is made and all demand is unmet (open = 1 at existing sites, every other
variable 0) -- except a concentration cap whose region already holds more than its share of the
existing capacity: (1-c) B_r - c B_other <= c E - E_r has a negative right-hand side and forces
builds in other regions. So every infeasible case is a concentration cap plus whatever stops the
other regions from building and paying for enough:

- concentration: no other site can be online by from_year (lead time), or not enough room
  (max_wspm: this is where site limits make a case infeasible);
- funding / region_share / max_share: no partner capital can reach the region that must build;
- grant_rate / grant_cap: grants only pay for forced builds where partners cannot (grant = 0
  always satisfies them), so they appear with funding (the grant fixture);
- commitment: the forced builds cost more than the partners who may fund them committed;
- min_share: a partner's minimum share of the forced capital exceeds its commitment, or it may
  fund nothing at all.

Families that cannot be made infeasible, tested through screening instead:
- capacity, energy_balance, contract_supply: producing less is always allowed and the shortfall
  goes to unmet demand at a penalty -> demand and energy screening warnings below;
- stay_open: open = 1 in every year satisfies it whatever else happens;
- site_size with existing capacity: existing_wspm above max_wspm is rejected by validation
  (exit 2) before the model exists; builds are bounded by the room, so a lack of room shows up
  as a concentration conflict (the room fixture).

The capped case every infeasible fixture starts from (casebuilder; header = line 1):
  sites.csv line 2: TW_FAB, region TW, existing 1,000 wspm = max_wspm (no room to build),
                    capex 500,000 USD/wspm, lead 1 year
  sites.csv line 3: US_FAB, region US, existing 0, max_wspm 5,000, capex 500,000 USD/wspm,
                    lead 1 year: a 2025 build is online in 2026
  regions.csv line 2: TW max_capacity_share 0.5 from 2026; years 2025-2026
  partners.csv lines 2, 3: FUND and USG, unlimited (unless a fixture says otherwise)
So from 2026 TW's 1,000 wspm may be at most half of all capacity: US needs
  X = (1,000 - 0.5 x 1,000) / 0.5 = 1,000 wspm online by 2026, built in 2025, costing
  K = 1,000 x 500,000 = $500M of partner capital (no grants at US_FAB).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from casebuilder import fabplan, solve_and_verify, write_case
from fixtures import write_tiny_case

from optimizer.diagnose import explain, screen
from optimizer.errors import InputError, NoPlanError
from optimizer.inputs import default_data_dir, load_case
from optimizer.run import SolveRequest, run_solve

BASE = {"base": 1.0}
TW_FAB = {
    "site": "TW_FAB",
    "region": "TW",
    "existing_wspm": 1000,
    "max_wspm": 1000,
    "capex_usd_per_wspm": 500_000,
    "lead_time_years": 1,
}
US_FAB = {
    "site": "US_FAB",
    "region": "US",
    "existing_wspm": 0,
    "max_wspm": 5000,
    "capex_usd_per_wspm": 500_000,
    "lead_time_years": 1,
}
BAR_US = [  # partner_regions.csv lines 2, 3: neither partner may fund US
    {"partner": "FUND", "region": "US", "max_share": 0},
    {"partner": "USG", "region": "US", "max_share": 0},
]


TW_CAP = {"region": "TW", "max_capacity_share": 0.5, "from_year": 2026}


def capped_case(
    path: Path, tw=None, us=None, partners=None, partner_regions=None, regions=None
) -> Path:
    """The capped case of the module docstring with the given changes."""
    tables = {
        "parameters": {"last_year": 2026, "unmet_penalty_usd_per_gpu": 1000},
        "sites": [{**TW_FAB, **(tw or {})}, {**US_FAB, **(us or {})}],
        "demand": {2025: 1000, 2026: 1000},
        "shipping": [{"region": "TW"}, {"region": "US"}],
        "regions": regions or [TW_CAP],
        "partners": partners or [{"partner": "FUND"}, {"partner": "USG"}],
    }
    if partner_regions is not None:
        tables["partner_regions"] = partner_regions
    return write_case(path, **tables)


def no_plan(data_dir: Path, out_dir: Path) -> NoPlanError:
    """Solve expecting no plan; check nothing of a plan was written and the diagnosis was saved."""
    with pytest.raises(NoPlanError) as caught:
        run_solve(SolveRequest(data_dir, out_dir=out_dir, report_formats=()))
    error = caught.value
    assert error.termination == "infeasible"
    assert not out_dir.exists(), "no plan folder may be written when there is no plan"
    saved = out_dir.parent / f"{out_dir.name}.diagnosis.txt"
    assert saved.is_file()
    text = saved.read_text()
    assert str(error) in text
    for line in error.details[:-1]:  # the last detail says where the diagnosis was saved
        assert line in text
    return error


def joined(error: NoPlanError) -> str:
    return "\n".join(error.details)


# --- infeasible fixtures: one per family that can be made infeasible ---------------------------

# (id, capped_case changes, the row the screening error points at, words and hand numbers)
INFEASIBLE = [
    (
        # US_FAB lead 2: a build decided in 2025 is online in 2027, after the horizon: nothing
        # can be online by 2026, so TW stays at 1,000 / 1,000 = 100% > 50%.
        "concentration-too-late",
        {"us": {"lead_time_years": 2}},
        "regions.csv:2 column 'max_capacity_share': value '0.5'",
        [
            "need 1,000 wspm more online",
            "at most 0 by 2026",
            "US_FAB (sites.csv line 3): no build can be online by 2026 "
            "(first_build_year 2025 + lead_time_years 2)",
            "raise max_capacity_share to at least 1",  # 1,000 / (1,000 + 0)
        ],
    ),
    (
        # site limits: US_FAB max_wspm 400 < the 1,000 needed; the cap that would hold is
        # 1,000 / (1,000 + 400) = 0.71429 -> 0.715 rounded up.
        "site-room",
        {"us": {"max_wspm": 400}},
        "regions.csv:2 column 'max_capacity_share': value '0.5'",
        [
            "at most 400 by 2026",
            "US_FAB (sites.csv line 3): up to 400 wspm more (max_wspm 400)",
            "at least 0.715",
        ],
    ),
    (
        # two caps: US (regions.csv line 3) may hold at most 30%: 0.5 + 0.3 < 1, the 1,000 wspm
        # of 2026 cannot all be placed
        "caps-add-up-below-1",
        {"regions": [TW_CAP, {"region": "US", "max_capacity_share": 0.3, "from_year": 2026}]},
        "regions.csv:2 column 'max_capacity_share': value '0.5'",
        ["at most TW 0.50, US 0.30 of it: 0.80 in all", "regions.csv lines 2, 3"],
    ),
    (
        # a cap of 0 on a region with existing capacity
        "cap-zero",
        {"regions": [{**TW_CAP, "max_capacity_share": 0}]},
        "regions.csv:2 column 'max_capacity_share': value '0'",
        ["a share of 0 allows no capacity in TW from 2026"],
    ),
    (
        # funding: both partners are barred from US, US_FAB has no grant -> 0 wspm payable.
        "funding-no-partner",
        {"partner_regions": BAR_US},
        "partner_regions.csv:2 column 'max_share': value '0'",
        [
            "no partner capital can go to US: partner_regions.csv lines 2, 3 (FUND 0, USG 0)",
            "grants pay in full for only 0 wspm",
            "regions.csv line 2",
        ],
    ),
    (
        # grants and funding: US_FAB grants pay 100% up to 100 MUSD = 100e6 / 500,000 = 200 wspm
        # of the 1,000 needed; no partner may fund US.
        "grant-cap-and-funding",
        {"us": {"subsidy_rate": 1.0, "subsidy_cap_musd": 100}, "partner_regions": BAR_US},
        "partner_regions.csv:2 column 'max_share': value '0'",
        [
            "grants pay in full for only 200 wspm there",
            "sites.csv line 3: subsidy_rate 1, subsidy_cap_musd 100",
            "paid for only up to 200 wspm",
        ],
    ),
    (
        # commitment: US_FAB grant 10% up to 30 MUSD covers the first 30e6 / (0.1 x 500,000) =
        # 600 wspm at 450,000 USD of partner capital each, the other 400 at 500,000:
        # K = 600 x 450,000 + 400 x 500,000 = 270M + 200M = $470M > 100 + 300 = $400M committed.
        "commitment",
        {
            "us": {"subsidy_rate": 0.1, "subsidy_cap_musd": 30},
            "partners": [
                {"partner": "FUND", "max_commitment_musd": 100},
                {"partner": "USG", "max_commitment_musd": 300},
            ],
        },
        "partners.csv:2 column 'max_commitment_musd': value '100'",
        [
            "need at least $470M of partner capital beyond grants",
            "committed $400M in all",
            "FUND 100, USG 300 (partners.csv lines 2, 3)",
        ],
    ),
    (
        # min_share with commitment: MGX must hold 40% of at least $500M = $200M > 150 MUSD.
        "min-share-commitment",
        {
            "partners": [
                {"partner": "FUND"},
                {"partner": "MGX", "min_share": 0.4, "max_commitment_musd": 150},
            ]
        },
        "partners.csv:3 column 'min_share': value '0.4'",
        [
            "MGX min_share 0.40 needs at least $200M (0.40 x $500M",
            "but max_commitment_musd is 150",
        ],
    ),
    (
        # min_share of a barred partner: B must hold half of all capital, may not fund US and
        # TW_FAB has no room: B can fund nothing, yet $500M must be raised.
        "min-share-barred",
        {
            "partners": [{"partner": "FUND"}, {"partner": "B", "min_share": 0.5}],
            "partner_regions": [{"partner": "B", "region": "US", "max_share": 0}],
        },
        "partners.csv:3 column 'min_share': value '0.5'",
        ["at least $250M", "may not fund US (partner_regions.csv line 2)"],
    ),
    (
        # max_share: 0.4 + 0.5 = 0.9 < 1: no capital at all (validation only warns).
        "max-share",
        {
            "partners": [
                {"partner": "FUND", "max_share": 0.4},
                {"partner": "USG", "max_share": 0.5},
            ]
        },
        "partners.csv column 'max_share': value '0.9'",
        ["add up to 0.90 < 1", "paid for only up to 0 wspm"],
    ),
    (
        # region_share: FUND at most 30% of US capital, USG barred: 0.3 + 0 < 1 -> none.
        "region-share",
        {
            "partner_regions": [
                {"partner": "FUND", "region": "US", "max_share": 0.3},
                {"partner": "USG", "region": "US", "max_share": 0},
            ]
        },
        "partner_regions.csv:2 column 'max_share': value '0.3'",
        ["(FUND 0.30, USG 0) leave the partners' shares of US's capital adding up to 0.30 of 1"],
    ),
]

# What the elastic re-solve (screening off) must say for the same fixtures: by how much TW's cap
# is exceeded in 2026 (= TW installed - 0.5 x all installed = 1,000 - 0.5 x (1,000 + US built)),
# and the input rows that keep US from building more.
ELASTIC = {
    "concentration-too-late": (500, ["sites.csv line 3", "at least 1"]),  # US 0
    "site-room": (300, ["max_wspm 400", "at least 0.715"]),  # US 400: 1,000 - 700
    # US b <= 0.3 (1,000 + b) -> b <= 428.57; TW: 1,000 - 0.5 x 1,428.57 = 285.7 (violating
    # TW alone is cheapest: with more US builds US's own excess grows faster, 0.7 vs 0.5 per wspm)
    "caps-add-up-below-1": (
        286,
        ["US's own max_capacity_share 0.30 from 2026 (regions.csv line 3)"],
    ),
    # TW may hold nothing: all 1,000 wspm are over; with all 5,000 US wspm it would need
    # 1,000 / 6,000 = 0.1667 -> 0.167
    "cap-zero": (1000, ["a share of 0 allows no capacity in TW", "at least 0.167"]),
    "funding-no-partner": (500, ["partner_regions.csv lines 2, 3"]),  # US 0
    # grants pay for 200 wspm: 1,000 - 0.5 x 1,200 = 400
    "grant-cap-and-funding": (400, ["partner_regions.csv lines 2, 3"]),
    # $400M buys 600 wspm at 450,000 (270M) + 130M / 500,000 = 260 more: 860 wspm;
    # 1,000 - 0.5 x 1,860 = 70
    "commitment": (70, ["$470M", "committed $400M", "partners.csv lines 2, 3"]),
    # MGX <= 150M = 0.4 F -> F <= 375M -> 750 wspm: 1,000 - 0.5 x 1,750 = 125
    "min-share-commitment": (125, ["MGX min_share 0.40 (partners.csv line 3)", "is 150"]),
    "min-share-barred": (500, ["B (partners.csv line 3)", "partner_regions.csv line 2"]),
    "max-share": (500, ["max_share add up to 0.90 < 1"]),
    "region-share": (500, ["partner_regions.csv lines 2, 3"]),
}


@pytest.mark.parametrize(
    ("changes", "where", "words"),
    [pytest.param(c, w, words, id=i) for i, c, w, words in INFEASIBLE],
)
def test_screening_stops_an_infeasible_case_before_the_build(tmp_path, changes, where, words):
    data = capped_case(tmp_path / "data", **changes)
    error = no_plan(data, tmp_path / "plan")
    assert "found before building the model" in str(error)
    text = joined(error)
    assert where in text, text
    for w in words:
        assert w in text, f"{w!r} not in:\n{text}"


@pytest.mark.parametrize(
    ("changes", "name"), [pytest.param(c, i, id=i) for i, c, _w, _words in INFEASIBLE]
)
def test_elastic_resolve_explains_the_same_fixture(tmp_path, monkeypatch, changes, name):
    """With screening off the LP is infeasible; the elastic re-solve finds the least violation."""
    monkeypatch.setattr("optimizer.diagnose.screen", lambda case: [])
    data = capped_case(tmp_path / "data", **changes)
    error = no_plan(data, tmp_path / "plan")
    assert "no plan satisfies every constraint" in str(error)
    amount, words = ELASTIC[name]
    first = error.details[0]
    cap = "0" if name == "cap-zero" else "0.50"
    assert first.startswith(
        f"regions.csv line 2: TW max_capacity_share {cap} from 2026 is exceeded by {amount:,} wspm "
        "in 2026 (TW's existing 1,000 wspm (sites.csv line 2) are 100% of the 1,000 wspm existing)"
    ), first
    for w in words:
        assert w in first, f"{w!r} not in:\n{first}"
    assert len(error.details) == 2  # one sentence + where it was saved: the smallest set


def test_no_build_possible_anywhere_is_infeasible_before_the_solver(tmp_path, monkeypatch):
    """With no build online by 2026 anywhere the cap row has no variable at all: the model build
    reports it (TrivialInfeasibility) and the elastic re-solve still explains it."""
    monkeypatch.setattr("optimizer.diagnose.screen", lambda case: [])
    data = capped_case(tmp_path / "data", tw={"lead_time_years": 2}, us={"lead_time_years": 2})
    error = no_plan(data, tmp_path / "plan")
    assert error.details[0].startswith(
        "regions.csv line 2: TW max_capacity_share 0.50 from 2026 is exceeded by 500 wspm in 2026"
    )


def lp_only_conflict(path: Path) -> Path:
    """Infeasible, but no single screening rule proves it (the elastic path is needed).

    TW_FAB may now grow to 5,000 wspm; B (partners.csv line 3) must hold half of all capital and
    may not fund US (partner_regions.csv line 2), only TW. Same capex everywhere, builds in 2025:
      cap 2026:      1,000 + b_TW <= 0.5 (1,000 + b_TW + b_US)  ->  b_US >= 1,000 + b_TW
      B's share:     500,000 b_TW >= 0.5 x 500,000 (b_TW + b_US)  ->  b_TW >= b_US
    together b_TW >= 1,000 + b_TW: impossible. The least violation of the cap is 500 wspm
    (b_TW = b_US, e.g. both 0: 1,000 - 0.5 x 1,000), cheaper than $250M of min_share.
    """
    return capped_case(
        path,
        tw={"max_wspm": 5000},
        partners=[{"partner": "FUND"}, {"partner": "B", "min_share": 0.5}],
        partner_regions=[{"partner": "B", "region": "US", "max_share": 0}],
    )


def test_lp_only_conflict_is_explained_by_the_elastic_resolve(tmp_path):
    data = lp_only_conflict(tmp_path / "data")
    case = load_case(data)
    assert [f for f in screen(case.for_scenarios(BASE)) if f.severity == "error"] == []
    error = no_plan(data, tmp_path / "plan")
    first = error.details[0]
    assert first.startswith(
        "regions.csv line 2: TW max_capacity_share 0.50 from 2026 is exceeded by 500 wspm in 2026"
    )
    assert "B (partners.csv line 3) must provide min_share 0.50 of all capital" in first
    assert "may not fund US (partner_regions.csv line 2)" in first
    # for each $1 others put into US, B must put 0.5 / (1 - 0.5) = $1 into builds elsewhere
    assert "it must put $1 into builds elsewhere" in first


# --- the money families' own sentences ---------------------------------------------------------
# With capex 100 USD/wspm the forced capital is tiny (1,000 wspm x 100 = $100,000 = 0.1 model
# units) while each wspm of cap violation costs 1e-3 model units x 1e6: the elastic solve now
# prefers to violate the money limit itself. Ties between two equally cheap rows (funding vs a
# grant cap, funding vs a commitment) are broken by the solver, so both readings are accepted.

CHEAP = {"capex_usd_per_wspm": 100}
MONEY = [
    # no partner may fund US: the 2025 build lacks all of its 1,000 x 100 = $100,000
    (
        "funding",
        {"partner_regions": BAR_US},
        [
            [
                "sites.csv line 3: the builds at US_FAB in 2025 lack $100,000 of funding",
                "partner_regions.csv lines 2, 3",
            ]
        ],
    ),
    # grants cap 0.02 MUSD = $20,000 of the $100,000: $80,000 short (grant cap or funding row)
    (
        "grant_cap",
        {"us": {"subsidy_rate": 1.0, "subsidy_cap_musd": 0.02}, "partner_regions": BAR_US},
        [
            ["sites.csv line 3: US_FAB subsidy_cap_musd 0.02 is $80,000 short"],
            ["sites.csv line 3: the builds at US_FAB in 2025 lack $80,000 of funding"],
        ],
    ),
    # commitments 0.02 + 0.05 MUSD = $70,000 of $100,000: $30,000 short
    (
        "commitment",
        {
            "partners": [
                {"partner": "FUND", "max_commitment_musd": 0.02},
                {"partner": "USG", "max_commitment_musd": 0.05},
            ]
        },
        [
            ["partners.csv line", "max_commitment_musd", "is $30,000 short"],
            ["lack $30,000 of funding", "FUND 0.02, USG 0.05 (partners.csv lines 2, 3)"],
        ],
    ),
    # MGX <= $30,000 but must hold 0.4 x $100,000 = $40,000: $10,000 short (or over commitment)
    (
        "min_share",
        {
            "partners": [
                {"partner": "FUND"},
                {"partner": "MGX", "min_share": 0.4, "max_commitment_musd": 0.03},
            ]
        },
        [
            ["partners.csv line 3: MGX min_share 0.40 is $10,000 short"],
            ["partners.csv line 3: MGX max_commitment_musd 0.03 is $10,000 short"],
        ],
    ),
    # B may fund nothing but must hold 0.5 x $100,000
    (
        "min_share-barred",
        {
            "partners": [{"partner": "FUND"}, {"partner": "B", "min_share": 0.5}],
            "partner_regions": [{"partner": "B", "region": "US", "max_share": 0}],
        },
        [["partners.csv line 3: B min_share 0.50 is $50,000 short", "partner_regions.csv line 2"]],
    ),
    # max_share 0.4 + 0.5: $100,000 raised, at most $40,000 + $50,000: $10,000 over one of them
    (
        "max_share",
        {
            "partners": [
                {"partner": "FUND", "max_share": 0.4},
                {"partner": "USG", "max_share": 0.5},
            ]
        },
        [
            ["partners.csv line 2: FUND max_share 0.40 is exceeded by $10,000"],
            ["partners.csv line 3: USG max_share 0.50 is exceeded by $10,000"],
        ],
    ),
    # FUND alone may fund US, at most 30% of it: $100,000 - $30,000 = $70,000 over
    (
        "region_share",
        {
            "partner_regions": [
                {"partner": "FUND", "region": "US", "max_share": 0.3},
                {"partner": "USG", "region": "US", "max_share": 0},
            ]
        },
        [["partner_regions.csv line 2: FUND max_share 0.30 in US is exceeded by $70,000"]],
    ),
]


@pytest.mark.parametrize(("changes", "readings"), [pytest.param(c, r, id=i) for i, c, r in MONEY])
def test_money_family_sentence_names_its_row(tmp_path, monkeypatch, changes, readings):
    monkeypatch.setattr("optimizer.diagnose.screen", lambda case: [])
    changes = dict(changes)
    changes["tw"] = CHEAP
    changes["us"] = {**CHEAP, **changes.get("us", {})}
    error = no_plan(capped_case(tmp_path / "data", **changes), tmp_path / "plan")
    first = error.details[0]
    assert any(all(w in first for w in words) for words in readings), first
    assert "to keep TW within max_capacity_share 0.50 from 2026 (regions.csv line 2)" in first


# --- the command line --------------------------------------------------------------------------


def test_cli_reports_no_plan_with_exit_1_and_saves_the_diagnosis(tmp_path):
    data = lp_only_conflict(tmp_path / "data")
    out = tmp_path / "plans" / "base"
    run = fabplan("solve", str(data), "--out", str(out), "--report", "none")
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "regions.csv line 2: TW max_capacity_share 0.50 from 2026 is exceeded by 500" in (
        run.stderr
    )
    assert "B (partners.csv line 3)" in run.stderr
    assert not out.exists()
    saved = tmp_path / "plans" / "base.diagnosis.txt"
    assert "regions.csv line 2" in saved.read_text()


def test_cli_screening_error_keeps_the_previous_plan(tmp_path):
    out = tmp_path / "plan"
    # a feasible version first: US may take all 1,000 wspm (B has no minimum share)
    good = capped_case(tmp_path / "good")
    solve_and_verify(good, tmp_path, out_dir=out)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}

    bad = capped_case(tmp_path / "bad", us={"lead_time_years": 2})
    run = fabplan("solve", str(bad), "--out", str(out), "--report", "none")
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "found before building the model" in run.stderr
    assert "regions.csv:2 column 'max_capacity_share'" in run.stderr
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    assert after == before
    assert "regions.csv:2" in (tmp_path / "plan.diagnosis.txt").read_text()


def test_site_above_its_limit_never_reaches_the_model(tmp_path):
    """site_size with existing capacity: existing above max_wspm is an input error (exit 2)."""
    data = capped_case(tmp_path / "data", us={"existing_wspm": 6000})
    with pytest.raises(InputError) as caught:
        run_solve(SolveRequest(data, out_dir=tmp_path / "plan", report_formats=()))
    (p,) = caught.value.problems
    assert (p.file, p.line, p.column) == ("sites.csv", 3, "existing_wspm")


# --- screening warnings: numbers by hand -------------------------------------------------------


def warnings_of(case, scenarios=BASE) -> list:
    found = screen(case.for_scenarios(scenarios))
    assert [f for f in found if f.severity == "error"] == []
    return found


def test_demand_above_what_can_be_made_is_a_warning_with_numbers(tmp_path):
    """TW_FAB: 1,000 wspm, no room; US_FAB: up to 2,000 wspm, lead 2 (online 2027 at the
    earliest, at ramp_up 0.5 in its first year); utilization 0.9, 15 GPUs per wafer.
      most GPUs: 2025, 2026: 12 x 0.9 x 1,000 x 15 = 162,000
                 2027: 162,000 + 12 x 0.9 x (0.5 x 2,000) x 15 = 324,000
      demand 200,000 / 150,000 / 400,000 -> unmet 38,000 (2025), none (2026), 76,000 (2027)."""
    data = write_case(
        tmp_path / "data",
        parameters={"last_year": 2027, "ramp_up": "0.5", "unmet_penalty_usd_per_gpu": 1e6},
        sites=[
            {"site": "TW_FAB", "existing_wspm": 1000, "max_wspm": 1000, "utilization": 0.9},
            {"site": "US_FAB", "max_wspm": 2000, "lead_time_years": 2, "utilization": 0.9},
        ],
        products=[{"product": "P1", "gpus_per_wafer": 15}],
        demand={2025: 200_000, 2026: 150_000, 2027: 400_000},
    )
    found = warnings_of(load_case(data))
    assert [(f.file, f.line, f.column) for f in found] == [
        ("demand.csv", 2, "gpus"),
        ("demand.csv", 4, "gpus"),
    ]
    first, last = (f.expected for f in found)
    first_limits, last_limits = (f.detail for f in found)  # printed with -v
    assert first.startswith(
        "demand of 200,000 GPUs in 2025 (scenario base) exceeds the most that can be made by "
        "then (162,000): 38,000 GPUs will be unmet"
    )
    assert first.endswith("38,000 GPUs will be unmet")  # one line; the limits only with -v
    assert "US_FAB (sites.csv line 3): nothing online before 2027" in first_limits
    assert "TW_FAB (sites.csv line 2): no room to build" in first_limits
    assert last.startswith(
        "demand of 400,000 GPUs in 2027 (scenario base) exceeds the most that can be made by "
        "then (324,000): 76,000 GPUs will be unmet"
    )
    assert "still ramping up" in last_limits
    # the LP agrees: with capex 0 and a huge penalty it builds all it can as early as it can
    result = solve_and_verify(data, tmp_path)
    unmet = result.tables["unmet"].groupby("year")["gpus"].sum()
    assert unmet.to_dict() == pytest.approx({2025: 38_000, 2027: 76_000}, rel=1e-6)


def test_demand_no_site_can_reach(tmp_path):
    """TW ships only to 'us': 'eu' demand (demand.csv line 3) cannot be served at all.
    TW makes 12 x 1 x 1,000 = 12,000 wafers = 12,000 GPUs >= 10,000 for 'us'."""
    data = write_case(
        tmp_path / "data",
        sites=[{"site": "TW_FAB", "existing_wspm": 1000, "max_wspm": 1000}],
        demand=[
            {"year": 2025, "market": "us", "gpus": 10_000},
            {"year": 2025, "market": "eu", "gpus": 5_000},
        ],
        shipping=[{"region": "R1", "market": "us"}],
    )
    (f,) = warnings_of(load_case(data))
    assert (f.file, f.line, f.column, f.value) == ("demand.csv", 3, "gpus", "5000")
    assert f.expected.startswith(
        "demand of 15,000 GPUs in 2025 (scenario base) exceeds the most that can be made by "
        "then (10,000): 5,000 GPUs will be unmet"
    )
    assert "no site can make P1 for eu (demand.csv line 3" in f.detail


def test_demand_shared_wafers_go_to_the_best_product(tmp_path):
    """One site, 12 x 1 x 500 = 6,000 wafers a year, two products of its node: A at 10 GPUs per
    wafer, B at 20, 100,000 GPUs of demand each. Row by row A could get 60,000 and B 120,000
    (only 40,000 unmet), but the wafers are shared: B's 100,000 take 5,000 wafers, the other
    1,000 make 10,000 A -> 110,000 served, 90,000 unmet. (The dual price u = 10 per wafer
    proves it: 10 x 6,000 + 100,000 x (1 - 10/20) = 110,000.)"""
    data = write_case(
        tmp_path / "data",
        parameters={"unmet_penalty_usd_per_gpu": 1e6},
        sites=[{"site": "S1", "existing_wspm": 500, "max_wspm": 500}],
        products=[
            {"product": "A", "gpus_per_wafer": 10},
            {"product": "B", "gpus_per_wafer": 20},
        ],
        demand=[
            {"year": 2025, "product": "A", "gpus": 100_000},
            {"year": 2025, "product": "B", "gpus": 100_000},
        ],
    )
    (f,) = warnings_of(load_case(data))
    assert "made by then (110,000): 90,000 GPUs will be unmet" in f.expected
    assert f.line == 2  # A's row: its own site falls 40,000 short of it
    result = solve_and_verify(data, tmp_path)
    assert result.tables["unmet"]["gpus"].sum() == pytest.approx(90_000, rel=1e-6)


def test_demand_bound_says_at_least_when_sites_serve_different_rows(tmp_path):
    """S1 (line 2, R1) ships to 'us' only, S2 (line 3, R2) to 'us' and 'eu'; each makes
    12 x 1 x 100 wspm = 1,200 wafers = 1,200 GPUs. Demand: us 1,000 (line 2), eu 2,000 (line 3).
    Not one pool (S1 cannot reach eu): the bounds give served <= min(per row: 1,000 + 1,200,
    per site: 2,400, one price u = 1: 2,400) = 2,200 -> at least 800 unmet; the LP serves
    us 1,000 from S1 and eu 1,200 from S2: exactly 800."""
    data = write_case(
        tmp_path / "data",
        parameters={"unmet_penalty_usd_per_gpu": 1e6},
        sites=[
            {"site": "S1", "region": "R1", "existing_wspm": 100, "max_wspm": 100},
            {"site": "S2", "region": "R2", "existing_wspm": 100, "max_wspm": 100},
        ],
        demand=[
            {"year": 2025, "market": "us", "gpus": 1_000},
            {"year": 2025, "market": "eu", "gpus": 2_000},
        ],
        shipping=[
            {"region": "R1", "market": "us"},
            {"region": "R2", "market": "us"},
            {"region": "R2", "market": "eu"},
        ],
    )
    (f,) = warnings_of(load_case(data))
    assert "made by then (2,200): at least 800 GPUs will be unmet" in f.expected
    assert f.line == 3  # eu: its one site falls 800 short of it
    result = solve_and_verify(data, tmp_path)
    assert result.tables["unmet"]["gpus"].sum() == pytest.approx(800, rel=1e-6)


def test_energy_short_of_existing_capacity(tmp_path):
    """TW_FAB: 12 x 0.9 x 1,000 wspm = 10,800 wafers x 3 MWh = 32,400 MWh a year at full
    existing capacity; TW_GRID (energy.csv line 2): 8760 h x 1 x 2 MW = 17,520 MWh;
    short 14,880 MWh = 4,960 wafers. The LP makes 17,520 / 3 = 5,840 wafers."""
    data = write_case(
        tmp_path / "data",
        parameters={"unmet_penalty_usd_per_gpu": 1e6},
        sites=[
            {
                "site": "TW_FAB",
                "region": "TW",
                "existing_wspm": 1000,
                "max_wspm": 1000,
                "utilization": 0.9,
                "energy_mwh_per_wafer": 3,
            }
        ],
        demand={2025: 1_000_000},
        shipping=[{"region": "TW"}],
        energy=[{"contract": "TW_GRID", "region": "TW", "max_mw": 2}],
    )
    found = warnings_of(load_case(data))
    (energy,) = [f for f in found if f.file == "sites.csv"]
    assert (energy.line, energy.column, energy.value) == (2, "energy_mwh_per_wafer", "3")
    assert energy.expected.startswith(
        "the TW sites need 32,400 MWh a year at full existing capacity (TW_FAB (sites.csv line "
        "2): 12 x 0.9 x 1,000 wspm x 3 MWh/wafer), but the TW contracts supply at most 17,520 "
        "MWh in 2025 (energy.csv line 2: TW_GRID 8760 h x 1 x 2 MW): 14,880 MWh short, so about "
        "4,960 wafers of existing output will be lost"
    )
    result = solve_and_verify(data, tmp_path)
    assert result.tables["production"]["wafers"].sum() == pytest.approx(5_840, rel=1e-6)


def test_cap_that_forces_builds_elsewhere_is_a_warning(tmp_path):
    """The tiny case: TW holds all 1,000 existing wspm and may hold 80% from 2026: the US must
    have (1,000 - 0.8 x 1,000) / 0.8 = 250 wspm online by 2026; US_FAB can add 2,000."""
    case = load_case(write_tiny_case(tmp_path / "tiny"))
    (f,) = warnings_of(case)
    assert (f.file, f.line, f.column, f.value) == ("regions.csv", 2, "max_capacity_share", "0.8")
    assert "the plan must bring ≥ 250 wspm online elsewhere by 2026" in f.expected
    assert "other regions can add up to 2,000 wspm" in f.detail


def barred_partner_case(path: Path, capex: float) -> Path:
    """B must hold 20% of all capital and may fund neither region with a site (no cap)."""
    return write_case(
        path,
        sites=[
            {"site": "S1", "region": "R1", "capex_usd_per_wspm": capex},
            {"site": "S2", "region": "R2", "capex_usd_per_wspm": capex},
        ],
        shipping=[{"region": "R1"}, {"region": "R2"}],
        partners=[{"partner": "A"}, {"partner": "B", "min_share": 0.2}],
        partner_regions=[
            {"partner": "B", "region": "R1", "max_share": 0},
            {"partner": "B", "region": "R2", "max_share": 0},
        ],
    )


def test_partner_held_to_a_share_it_cannot_fund_stops_every_build(tmp_path):
    """B's fund is 0, so min_share 0.2 x all capital <= 0: no capital can be raised, and every
    build that costs something is impossible (not an error: building nothing is a plan)."""
    case = load_case(barred_partner_case(tmp_path / "paid", capex=5))
    (f,) = [f for f in warnings_of(case) if f.file == "partners.csv"]
    assert (f.line, f.column, f.value) == (3, "min_share", "0.2")
    assert "may not fund R1, R2 (partner_regions.csv lines 2, 3)" in f.expected
    assert "no build that needs capital can be funded" in f.expected
    # builds that cost nothing need no capital: nothing to warn about
    free = load_case(barred_partner_case(tmp_path / "free", capex=0))
    assert [f for f in warnings_of(free) if f.file == "partners.csv"] == []


def test_default_data_screens_without_errors():
    case = load_case(default_data_dir())
    found = screen(case.for_scenarios({case.params.default_scenario: 1.0}))
    assert [f for f in found if f.severity == "error"] == []


# --- explain on its own ------------------------------------------------------------------------


def test_explain_orders_by_size_and_falls_back_to_a_generic_sentence(tmp_path):
    partners = [{"partner": "FUND"}, {"partner": "USG", "max_commitment_musd": 300}]
    case = load_case(capped_case(tmp_path / "data", partners=partners))
    violations = {
        # 2 model units ($2M)
        "commitment": pd.DataFrame(
            {"partner": ["USG"], "direction": ["over"], "amount": [2e6], "unit": ["USD"]}
        ),
        # 3 model units (3,000 wspm)
        "site_size": pd.DataFrame(
            {
                "site": ["US_FAB"],
                "year": [2026],
                "direction": ["over"],
                "amount": [3000.0],
                "unit": ["wspm"],
            }
        ),
        "mystery": pd.DataFrame(
            {"thing": ["x"], "direction": ["under"], "amount": [1.0], "unit": ["widgets"]}
        ),
    }
    lines = explain(case, violations)
    assert lines[0] == (
        "sites.csv line 3: US_FAB max_wspm 5000 is 3,000 wspm short in 2026 (existing_wspm 0 "
        "plus the builds the other limits require)"
    )
    assert lines[1].startswith(
        "partners.csv line 3: USG max_commitment_musd 300 is $2M short: it would have to provide "
        "$302M"
    )
    assert lines[2] == "mystery (thing=x): under by 1 widgets"


# The templates of families no fixture can make infeasible (unmet demand or open = 1 absorbs
# them), on violation rows written by hand against the tiny case (tests/fixtures.py): TW_FAB is
# sites.csv line 2, US_FAB line 3 (utilization 0.9, max_wspm 2000, subsidy_rate 0.1, cap 100);
# US_SOLAR is energy.csv line 4 (50 MW at capacity factor 0.25: 8760 x 0.25 x 50 = 109,500 MWh).
TEMPLATE_ROWS = [
    (
        "capacity",
        {"scenario": "base", "site": "US_FAB", "year": 2026, "amount": 500.0, "unit": "wafer"},
        "sites.csv line 3: US_FAB would have to make 500 wafers a year more than its capacity "
        "(12 x utilization 0.9 x available wspm, max_wspm 2000) in 2026 (scenario base)",
    ),
    (
        "energy_balance",  # per region since issue 14: 1,000 MWh / 8760 h = 0.114 MW
        {"scenario": "base", "region": "TW", "year": 2025, "amount": 1000.0, "unit": "MWh"},
        "TW: energy.csv line 2: grid TW_GRID 100 MW available; the fabs lack 1,000 MWh "
        "(0.114 MW short) in 2025 (scenario base)",
    ),
    (
        "contract_supply",
        {"scenario": "base", "contract": "US_SOLAR", "year": 2026, "amount": 2000.0, "unit": "MWh"},
        "energy.csv line 4: contract US_SOLAR max_mw 50 (at most 109,500 MWh a year at "
        "capacity_factor 0.25) would have to deliver 2,000 MWh more in 2026 (scenario base)",
    ),
    (
        "stay_open",
        {"site": "US_FAB", "year": 2027, "amount": 1.0, "unit": "site-year"},
        "sites.csv line 3: US_FAB would have to close in 2027 after being open",
    ),
    (
        "grant_rate",
        {"site": "US_FAB", "program": "US_FAB", "year": 2025, "amount": 1e6, "unit": "USD"},
        "sites.csv line 3: US_FAB subsidy_rate 0.10 would have to cover $1M more of its builds "
        "in 2025",
    ),
    (
        "grant_cap",
        {"program": "US_FAB", "amount": 5e6, "unit": "USD"},  # the site's own program
        "sites.csv line 3: US_FAB subsidy_cap_musd 100 is $5M short: the grants would have to "
        "reach $105M",
    ),
]


@pytest.mark.parametrize(
    ("family", "row", "sentence"), [pytest.param(*t, id=t[0]) for t in TEMPLATE_ROWS]
)
def test_explain_template_names_the_row_to_change(tmp_path, family, row, sentence):
    case = load_case(write_tiny_case(tmp_path / "tiny"))
    direction = "under" if family == "energy_balance" else "over"
    (line,) = explain(case, {family: pd.DataFrame([{**row, "direction": direction}])})
    assert line.startswith(sentence), line
