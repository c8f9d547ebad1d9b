"""`--set` what-if overrides of any input column (optimizer/inputs/overrides.py).

Every expected value is hand-computed from the tiny case (tests/fixtures.py): sites TW_FAB
(line 2: capex 500000, max_wspm 3000, existing 1000, utilization 0.9, no grant cap) and US_FAB
(line 3: capex 650000, max_wspm 2000, subsidy cap 100 M$); demand base 2025/2026/2027 =
150000/300000/450000 GPUs (lines 2-4); partners FUND (no commitment limit) and USG (500 M$);
parameters discount_rate 0.08, carbon_price_usd_per_t 50.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from fixtures import without_column, write_tiny_case

from optimizer.errors import InputError, Problem, UsageError
from optimizer.inputs import load_case, parse_overrides


def loaded(path: Path, *items: str):
    return load_case(path, parse_overrides(list(items)))


def problems(path: Path, *items: str) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        loaded(path, *items)
    return caught.value.problems


def by_site(case, column: str) -> dict[str, float]:
    return dict(zip(case.sites["site"], case.sites[column], strict=True))


def gpus(case) -> list[float]:
    return case.demand.sort_values("year")["gpus"].tolist()


def set_problem(found: list[Problem], expression: str) -> Problem:
    """The problem reported for one --set item (file '--set', value = the expression)."""
    matching = [p for p in found if p.file == "--set" and p.value == expression]
    assert len(matching) == 1, "\n".join(map(str, found))
    return matching[0]


# --- parsing -----------------------------------------------------------------------------------


def test_parse_keeps_target_and_operator_as_key_and_the_value_as_given():
    assert parse_overrides(
        [
            "discount_rate=0.05",
            "sites.capex_usd_per_wspm*=1.2",
            " sites.max_wspm[US_AZ] = 150000 ",
            "demand.gpus[base,2030] += 1000",
            "demand.gpus[year=2030]*=0.8",
        ]
    ) == {
        "discount_rate": "0.05",
        "sites.capex_usd_per_wspm*": "1.2",
        "sites.max_wspm[US_AZ]": "150000",
        "demand.gpus[base,2030]+": "1000",
        "demand.gpus[year=2030]*": "0.8",  # the '=' inside [...] is not the operator
    }


def test_a_later_item_with_the_same_key_replaces_the_earlier_and_moves_last():
    parsed = parse_overrides(["demand.gpus*=1.1", "sites.max_wspm=100", "demand.gpus*=1.2"])
    assert list(parsed.items()) == [("sites.max_wspm", "100"), ("demand.gpus*", "1.2")]


@pytest.mark.parametrize("item", ["sites.max_wspm[US_FAB=1", "*=2", "sites.max_wspm"])
def test_malformed_items_are_usage_errors(item):
    with pytest.raises(UsageError) as caught:
        parse_overrides([item])
    assert caught.value.exit_code == 2
    assert "--set expects name=value" in str(caught.value)
    assert item in str(caught.value)


# --- each form, values checked in the loaded Case -------------------------------------------


def test_scale_every_row(tiny_case_dir):
    case = loaded(tiny_case_dir, "sites.capex_usd_per_wspm*=1.2")
    # 500000 x 1.2 = 600000; 650000 x 1.2 = 780000
    assert by_site(case, "capex_usd_per_wspm") == {"TW_FAB": 600000, "US_FAB": 780000}
    assert case.overrides == {"sites.capex_usd_per_wspm*": "1.2"}


def test_set_rows_selected_by_id(tiny_case_dir):
    case = loaded(tiny_case_dir, "sites.max_wspm[US_FAB]=1500")
    assert by_site(case, "max_wspm") == {"TW_FAB": 3000, "US_FAB": 1500}


def test_add_to_every_row(tiny_case_dir):
    case = loaded(tiny_case_dir, "demand.gpus+=1000")
    assert gpus(case) == [151000, 301000, 451000]


def test_multi_key_file_selected_by_first_key(tiny_case_dir):
    case = loaded(tiny_case_dir, "demand.gpus[base]*=0.8")
    # 150000 x 0.8, 300000 x 0.8, 450000 x 0.8
    assert gpus(case) == [120000, 240000, 360000]


def test_multi_key_file_selected_by_key_prefix(tiny_case_dir):
    case = loaded(tiny_case_dir, "demand.gpus[base,2026]=1000")
    assert gpus(case) == [150000, 1000, 450000]


def test_wildcard_and_named_column_selectors(tiny_case_dir):
    case = loaded(
        tiny_case_dir,
        "demand.gpus[*,2027]+=50000",  # 450000 + 50000
        "demand.gpus[year=2025]*=2",  # 150000 x 2
        "sites.capex_usd_per_wspm[region=US]*=1.1",  # 650000 x 1.1 (TW untouched)
    )
    assert gpus(case) == [300000, 300000, 500000]
    assert by_site(case, "capex_usd_per_wspm") == {"TW_FAB": 500000, "US_FAB": 715000}


def test_parameters_set_scale_and_add(tiny_case_dir):
    case = loaded(
        tiny_case_dir, "discount_rate+=0.01", "carbon_price_usd_per_t*=2", "asset_life_years=12"
    )
    assert case.params.discount_rate == 0.09  # 0.08 + 0.01
    assert case.params.carbon_price_usd_per_t == 100  # 50 x 2
    assert case.params.asset_life_years == 12


def test_overrides_apply_in_order(tiny_case_dir):
    case = loaded(tiny_case_dir, "sites.max_wspm=2500", "sites.max_wspm*=2")
    assert by_site(case, "max_wspm") == {"TW_FAB": 5000, "US_FAB": 5000}  # 2500 x 2
    case = loaded(tiny_case_dir, "sites.max_wspm*=2", "sites.max_wspm=2500")
    assert by_site(case, "max_wspm") == {"TW_FAB": 2500, "US_FAB": 2500}


def test_the_later_of_two_scales_of_the_same_target_wins(tiny_case_dir):
    case = loaded(tiny_case_dir, "demand.gpus*=1.1", "demand.gpus*=1.2")
    assert gpus(case) == [180000, 360000, 540000]  # x 1.2 only
    assert case.overrides == {"demand.gpus*": "1.2"}


def test_empty_cells_count_as_the_default_and_no_limit_stays_unlimited(tiny_case_dir):
    case = loaded(tiny_case_dir, "sites.subsidy_cap_musd*=2", "partners.max_commitment_musd*=2")
    assert by_site(case, "subsidy_cap_musd") == {"TW_FAB": math.inf, "US_FAB": 200}
    partners = case.partners
    commitment = dict(zip(partners["partner"], partners["max_commitment_musd"], strict=True))
    assert commitment == {"FUND": math.inf, "USG": 1000}


def test_optional_columns_absent_from_the_file_can_be_overridden(tmp_path):
    path = write_tiny_case(tmp_path, sites=without_column("sites", "subsidy_rate"))
    case = loaded(path, "sites.subsidy_rate[US_FAB]+=0.2", "sites.operator[US_FAB]=Intel")
    assert by_site(case, "subsidy_rate") == {"TW_FAB": 0, "US_FAB": 0.2}  # default 0 + 0.2
    assert by_site(case, "operator") == {"TW_FAB": "", "US_FAB": "Intel"}


def test_case_records_the_overrides_as_given_in_order(tiny_case_dir):
    case = loaded(tiny_case_dir, "sites.capex_usd_per_wspm*=1.2", "discount_rate=0.05")
    assert list(case.overrides.items()) == [
        ("sites.capex_usd_per_wspm*", "1.2"),
        ("discount_rate", "0.05"),
    ]
    assert [f"{k}={v}" for k, v in case.overrides.items()] == [
        "sites.capex_usd_per_wspm*=1.2",
        "discount_rate=0.05",
    ]


def test_the_data_files_are_not_changed(tiny_case_dir):
    before = (tiny_case_dir / "sites.csv").read_bytes()
    loaded(tiny_case_dir, "sites.max_wspm*=2")
    assert (tiny_case_dir / "sites.csv").read_bytes() == before


# --- overridden values are validated like typed ones ----------------------------------------


def test_a_bad_set_value_is_reported_at_its_cell_naming_the_set_item(tiny_case_dir):
    [p] = problems(tiny_case_dir, "sites.max_wspm[US_FAB]=-5")
    assert str(p) == (
        "sites.csv:3 column 'max_wspm': value '-5' — expected a number ≥ 0 "
        "(value from --set sites.max_wspm[US_FAB]=-5)"
    )


def test_a_scaled_value_out_of_range_is_reported_on_every_row(tiny_case_dir):
    found = problems(tiny_case_dir, "sites.utilization*=1.2")  # 0.9 x 1.2 = 1.08 > 1
    assert [(p.file, p.line, p.column, p.value) for p in found] == [
        ("sites.csv", 2, "utilization", "1.08"),
        ("sites.csv", 3, "utilization", "1.08"),
    ]
    assert all(
        p.expected == "expected a number in (0, 1] (value from --set sites.utilization*=1.2)"
        for p in found
    )


def test_a_scaled_whole_number_must_stay_whole(tiny_case_dir):
    found = problems(tiny_case_dir, "sites.lead_time_years[TW_FAB]*=1.5")  # 1 x 1.5
    assert [(p.line, p.column, p.value) for p in found] == [(2, "lead_time_years", "1.5")]
    assert "whole number" in found[0].expected


def test_a_cross_row_check_says_the_row_was_changed(tiny_case_dir):
    [p] = problems(tiny_case_dir, "sites.max_wspm[TW_FAB]=500")  # existing 1000 > 500
    assert (p.file, p.line, p.column, p.value) == ("sites.csv", 2, "existing_wspm", "1000")
    assert p.expected == (
        "expected at most max_wspm (500) of the row "
        "(row changed by --set sites.max_wspm[TW_FAB]=500)"
    )


def test_a_duplicate_id_made_by_an_override(tiny_case_dir):
    [p] = problems(tiny_case_dir, "sites.site[US_FAB]=TW_FAB")
    assert (p.file, p.line, p.column, p.value) == ("sites.csv", 3, "site", "TW_FAB")
    assert "already given on line 2" in p.expected
    assert "(value from --set sites.site[US_FAB]=TW_FAB)" in p.expected


def test_a_scaled_parameter_out_of_range(tiny_case_dir):
    [p] = problems(tiny_case_dir, "discount_rate*=20")  # 0.08 x 20 = 1.6 > 1
    assert (p.file, p.line, p.column, p.value) == ("--set", None, None, "discount_rate*=20")
    assert (
        p.expected == "expected discount_rate to be a number in [0, 1] (it gives discount_rate=1.6)"
    )


# --- unknown targets and impossible operations name the --set item ---------------------------


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("sitez.max_wspm=1", "expected FILE.COLUMN with FILE one of sites, products,"),
        ("sitez.max_wspm=1", "did you mean 'sites'?"),
        ("sites.maxwspm=1", "expected a column of sites.csv; did you mean 'max_wspm'?"),
        ("sites.capex*=2", "expected a column of sites.csv; did you mean 'capex_usd_per_wspm'?"),
        ("sites.max_wspm[US_FABB]=1", "expected a site of sites.csv; did you mean 'US_FAB'?"),
        ("sites.max_wspm[US_FABB]=1", "(known: TW_FAB, US_FAB); no row has site 'US_FABB'"),
        ("demand.gpus[base,2030]=1", "no row has year '2030'"),
        ("demand.gpus[region=US]=1", "expected column=value in [...] with a column of demand.csv"),
        ("sites.max_wspm[US_FAB,TW]=1", "expected at most 1 id(s) in [...]"),
        (
            "sites.max_wspm[region=US,US_FAB]=1",
            "expected ids by position before column=value pairs",
        ),
        ("sites.max_wspm[]=1", "expected no empty id"),
        ("sites.region*=2", "expected a numeric column for *=: sites.csv region holds text"),
        ("sites.max_wspm+=lots", "expected a number after +="),
        ("parameters.value[discount_rate]=0.05", "expected a parameter by name"),
        ("default_scenario*=2", "expected a numeric parameter for *="),
        ("discount=0.05", "expected a parameter of parameters.csv; did you mean 'discount_rate'?"),
        ("sites..max_wspm=1", "expected name=value: a parameter (discount_rate=0.05) or FILE"),
    ],
)
def test_unknown_or_impossible_overrides_are_errors_naming_the_item(
    tiny_case_dir, expression, words
):
    found = problems(tiny_case_dir, expression)
    p = set_problem(found, expression)
    assert words in p.expected, str(p)
    assert str(p).startswith(f"--set: value '{expression}' — expected")


def test_no_row_matching_every_id(tmp_path):
    demand = (
        "scenario,year,product,gpus\nbase,2025,GPU_N3,1\nbase,2026,GPU_N3,2\nhigh,2025,GPU_N3,3\n"
    )
    scenarios = "scenario,probability\nbase,0.5\nhigh,0.5\n"
    path = write_tiny_case(tmp_path, demand=demand, scenarios=scenarios)
    p = set_problem(problems(path, "demand.gpus[high,2026]=5"), "demand.gpus[high,2026]=5")
    assert p.expected.endswith("no row of demand.csv has scenario 'high' and year '2026'")
    # the market column is absent: its default 'global' still selects
    case = loaded(path, "demand.gpus[high,2025,GPU_N3,global]=5")
    assert case.demand["gpus"].tolist() == [1, 2, 5]


def test_an_absent_optional_file_cannot_be_overridden(tmp_path):
    path = write_tiny_case(tmp_path, regions=None)
    p = set_problem(
        problems(path, "regions.max_capacity_share=0.5"), "regions.max_capacity_share=0.5"
    )
    assert "regions.csv is absent" in p.expected


def test_every_problem_is_reported_together(tiny_case_dir):
    found = problems(
        tiny_case_dir, "sites.maxwspm=1", "sites.max_wspm[US_FAB]=-5", "discount_rate=2"
    )
    assert [(p.file, p.line, p.column) for p in found] == [
        ("--set", None, None),
        ("--set", None, None),
        ("sites.csv", 3, "max_wspm"),
    ]
    assert {p.value for p in found[:2]} == {"sites.maxwspm=1", "discount_rate=2"}


# --- the overrides travel with the plan: summary.json and fabplan verify ---------------------


def test_solve_records_overrides_and_verify_applies_them(tiny_case_dir, tmp_path):
    from optimizer.run import SolveRequest, run_solve
    from optimizer.verify import verify_plan

    overrides = parse_overrides(["sites.capex_usd_per_wspm*=1.2", "demand.gpus[base,2027]=400000"])
    out = tmp_path / "plan"
    run_solve(SolveRequest(tiny_case_dir, out, overrides=overrides, report_formats=()))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overrides"] == {
        "sites.capex_usd_per_wspm*": "1.2",
        "demand.gpus[base,2027]": "400000",
    }
    assert summary["totals"]["gpus_demanded"] == 150000 + 300000 + 400000
    assert verify_plan(out).ok
    # Without the overrides the same plan no longer checks out: verify really applies them.
    summary["overrides"] = {}
    (out / "summary.json").write_text(json.dumps(summary))
    assert not verify_plan(out).ok
