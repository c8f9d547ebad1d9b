"""Validation: each rule of the data contract triggered by one edit of the tiny case.

Each broken fixture is the tiny case (tests/fixtures.py) with one edit; the test asserts the
file, editor line, column, value and message of the problem, and that nothing else is reported
(one mistake, one message). Line numbers are read off the fixture texts (header = line 1).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from casebuilder import fabplan
from fixtures import TINY, edited, without_column, without_line, write_tiny_case

from optimizer.errors import InputError, Problem
from optimizer.inputs import default_data_dir, load_case


def problems_of(path: Path, overrides: dict[str, str] | None = None) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_case(path, overrides)
    assert caught.value.problems, "InputError must list at least one problem"
    return caught.value.problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, "expected exactly one problem, got:\n" + "\n".join(
        map(str, problems)
    )
    return problems[0]


def where(p: Problem) -> tuple:
    return (p.file, p.line, p.column)


# (id, files to replace, overrides, file, line, column, value, words the message must contain)
BROKEN = [
    # missing files, columns, parameters
    (
        "missing-file",
        {"sites": None},
        None,
        "sites.csv",
        None,
        None,
        None,
        "required file is missing",
    ),
    (
        "missing-column",
        {"sites": without_column("sites", "max_wspm")},
        None,
        "sites.csv",
        1,
        "max_wspm",
        None,
        "required column is missing",
    ),
    (
        "misspelt-column",
        {"sites": TINY["sites"].replace("max_wspm", "max_wpsm", 1)},
        None,
        "sites.csv",
        1,
        "max_wspm",
        None,
        "required column is missing from the header; did you mean 'max_wpsm'?",
    ),
    (
        "no-rows",
        {"products": "product,node,gpus_per_wafer\n# nothing yet\n"},
        None,
        "products.csv",
        1,
        None,
        None,
        "expected at least one row below the header",
    ),
    (
        "parameter-value-column-missing",
        {"parameters": without_column("parameters", "value")},
        None,
        "parameters.csv",
        1,
        "value",
        None,
        "required column is missing from the header",
    ),
    (
        "missing-parameter",
        {"parameters": without_line("parameters", "discount_rate,")},
        None,
        "parameters.csv",
        None,
        "name",
        None,
        "required parameter 'discount_rate' is missing",
    ),
    # unparseable numbers
    (
        "not-a-number",
        {"sites": edited("sites", "500000,3500", "lots,3500")},
        None,
        "sites.csv",
        2,
        "capex_usd_per_wspm",
        "lots",
        "expected a number ≥ 0",
    ),
    (
        "quoted-thousands",
        {"demand": edited("demand", "global,300000", 'global,"300,000"')},
        None,
        "demand.csv",
        3,
        "gpus",
        "300,000",
        "without thousands separators (write 300000)",
    ),
    (
        "unquoted-thousands",
        {"demand": edited("demand", "global,300000", "global,300,000")},
        None,
        "demand.csv",
        3,
        None,
        "base,2026,GPU_N3,global,300,000",
        "expected 5 fields as in the header, found 6: a number written with a thousands separator",
    ),
    (
        "decimal-comma",
        {"sites": edited("sites", "2025,0.9,2000000", '2025,"0,9",2000000')},
        None,
        "sites.csv",
        3,
        "utilization",
        "0,9",
        "expected a number in (0, 1], with a decimal point (write 0.9)",
    ),
    (
        "percent",
        {"parameters": edited("parameters", "discount_rate,0.08", "discount_rate,8%")},
        None,
        "parameters.csv",
        4,
        "value",
        "8%",
        "expected discount_rate to be a number in [0, 1], as a plain number (write 0.05 for 5%)",
    ),
    (
        "empty-required-cell",
        {"sites": edited("sites", "650000,4550", "650000,")},
        None,
        "sites.csv",
        3,
        "opex_usd_per_wafer",
        None,
        "empty cell; expected a number ≥ 0",
    ),
    (
        "empty-id",
        {"products": edited("products", "GPU_N3,N3", ",N3")},
        None,
        "products.csv",
        2,
        "product",
        None,
        "empty cell; expected a name",
    ),
    (
        "infinite-where-finite",
        {"sites": edited("sites", "1000,3000", "1000,inf")},
        None,
        "sites.csv",
        2,
        "max_wspm",
        "inf",
        "expected a number ≥ 0",
    ),
    (
        "not-a-whole-number",
        {"sites": edited("sites", "3,1,2025,0.9,1000000", "3,1.5,2025,0.9,1000000")},
        None,
        "sites.csv",
        2,
        "lead_time_years",
        "1.5",
        "expected a whole number ≥ 0",
    ),
    (
        "unparseable-year",
        {"demand": edited("demand", "base,2026", "base,20x6")},
        None,
        "demand.csv",
        3,
        "year",
        "20x6",
        "expected a calendar year",
    ),
    # negative quantities, rates and shares outside their ranges
    (
        "negative-quantity",
        {"demand": edited("demand", "global,450000", "global,-450000")},
        None,
        "demand.csv",
        4,
        "gpus",
        "-450000",
        "expected a number ≥ 0",
    ),
    (
        "negative-energy",
        {"sites": edited("sites", "4550,3,1", "4550,-3,1")},
        None,
        "sites.csv",
        3,
        "energy_mwh_per_wafer",
        "-3",
        "expected a number ≥ 0",
    ),
    (
        "rate-above-1",
        {"parameters": edited("parameters", "discount_rate,0.08", "discount_rate,1.5")},
        None,
        "parameters.csv",
        4,
        "value",
        "1.5",
        "expected discount_rate to be a number in [0, 1]",
    ),
    (
        "cost-of-capital-negative",
        {"partners": edited("partners", ",0.08,", ",-0.08,")},
        None,
        "partners.csv",
        2,
        "cost_of_capital",
        "-0.08",
        "expected a number in [0, 1]",
    ),
    (
        "share-above-1",
        {"partners": edited("partners", "0.03,0,0.5", "0.03,0,1.5")},
        None,
        "partners.csv",
        3,
        "max_share",
        "1.5",
        "expected a number in [0, 1]",
    ),
    (
        "subsidy-rate-above-1",
        {"sites": edited("sites", "0.1,100", "1.1,100")},
        None,
        "sites.csv",
        3,
        "subsidy_rate",
        "1.1",
        "expected a number in [0, 1]",
    ),
    (
        "utilization-zero",
        {"sites": edited("sites", "2025,0.9,1000000", "2025,0,1000000")},
        None,
        "sites.csv",
        2,
        "utilization",
        "0",
        "expected a number in (0, 1]",
    ),
    (
        "capacity-factor-above-1",
        {"energy": edited("energy", "50,0.25", "50,1.25")},
        None,
        "energy.csv",
        4,
        "capacity_factor",
        "1.25",
        "expected a number in (0, 1]",
    ),
    (
        "region-share-above-1",
        {"regions": edited("regions", "TW,0.8", "TW,80")},
        None,
        "regions.csv",
        2,
        "max_capacity_share",
        "80",
        "expected a number in [0, 1]",
    ),
    (
        "ramp-with-commas",
        {"parameters": edited("parameters", "ramp_up,0.5", 'ramp_up,"0.3,0.7"')},
        None,
        "parameters.csv",
        8,
        "value",
        "0.3,0.7",
        "separate the years with ';', not ','",
    ),
    (
        "ramp-above-1",
        {"parameters": edited("parameters", "ramp_up,0.5", "ramp_up,0.5;1.5")},
        None,
        "parameters.csv",
        8,
        "value",
        "0.5;1.5",
        "expected ramp_up to be fractions in [0, 1] separated by ';'",
    ),
    # consistency within a row or file
    (
        "existing-above-max",
        {"sites": edited("sites", "TW,N3,1000,3000", "TW,N3,4000,3000")},
        None,
        "sites.csv",
        2,
        "existing_wspm",
        "4000",
        "expected at most max_wspm (3000)",
    ),
    (
        "min-share-above-max-share",
        {"partners": edited("partners", "0.03,0,0.5", "0.03,0.6,0.5")},
        None,
        "partners.csv",
        3,
        "min_share",
        "0.6",
        "expected at most max_share (0.5)",
    ),
    (
        # 0.6 + 0.5 = 1.1 > 1, and each min_share is within its max_share
        "min-shares-sum-above-1",
        {
            "partners": edited("partners", "0.08,0,1", "0.08,0.6,1").replace(
                "0.03,0,0.5", "0.03,0.5,0.5"
            )
        },
        None,
        "partners.csv",
        None,
        "min_share",
        "1.1",
        "expected min_share values summing to at most 1",
    ),
    (
        # 0.6 + 0.3 = 0.9, off by 0.1 >> 1e-6
        "probabilities-not-summing-to-1",
        {"scenarios": "scenario,probability\nbase,0.6\nhigh,0.3\n"},
        None,
        "scenarios.csv",
        None,
        "probability",
        "0.9",
        "expected probabilities summing to 1 (within 1e-06)",
    ),
    (
        "first-year-after-last-year",
        {"parameters": edited("parameters", "first_year,2025", "first_year,2028")},
        None,
        "parameters.csv",
        3,
        "value",
        "2027",
        "expected last_year to be ≥ first_year (2028)",
    ),
    (
        "contract-ends-before-it-starts",
        {"energy": edited("energy", "0.25,2025,2040", "0.25,2035,2030")},
        None,
        "energy.csv",
        4,
        "last_year",
        "2030",
        "expected a year ≥ first_year (2035)",
    ),
    # duplicate ids
    (
        "duplicate-site",
        {"sites": edited("sites", "US_FAB,US", "TW_FAB,US")},
        None,
        "sites.csv",
        3,
        "site",
        "TW_FAB",
        "expected one row per site; the same is already given on line 2",
    ),
    (
        "duplicate-demand-row",
        {"demand": edited("demand", "base,2027", "base,2026")},
        None,
        "demand.csv",
        4,
        "scenario, year, product, market",
        "base, 2026, GPU_N3, global",
        "expected one row per scenario, year, product and market; the same is already given on "
        "line 3",
    ),
    (
        "duplicate-contract",
        {"energy": edited("energy", "US_SOLAR,", "US_GRID,")},
        None,
        "energy.csv",
        4,
        "contract",
        "US_GRID",
        "already given on line 3",
    ),
    (
        "duplicate-parameter",
        {"parameters": TINY["parameters"] + "discount_rate,0.05\n"},
        None,
        "parameters.csv",
        9,
        "name",
        "discount_rate",
        "expected one row per name; the same is already given on line 4",
    ),
    # references to unknown ids
    (
        "unknown-product",
        {"demand": edited("demand", "2027,GPU_N3", "2027,GPU_N2")},
        None,
        "demand.csv",
        4,
        "product",
        "GPU_N2",
        "expected a product of products.csv; did you mean 'GPU_N3'? (known: GPU_N3)",
    ),
    (
        "unknown-scenario",
        {"demand": edited("demand", "base,2027", "high,2027")},
        None,
        "demand.csv",
        4,
        "scenario",
        "high",
        "expected a scenario of scenarios.csv (known: base)",
    ),
    (
        "unknown-default-scenario",
        {"parameters": TINY["parameters"] + "default_scenario,hihg\n"},
        None,
        "parameters.csv",
        9,
        "value",
        "hihg",
        "expected default_scenario to be a scenario of scenarios.csv (known: base)",
    ),
    # a reference that differs from a defined id only in case or separators is certainly a typo
    # (other references to regions, markets and nodes nothing defines are warnings:
    # tests/test_references.py)
    (
        "unknown-market",
        {"shipping": edited("shipping", "US,global", "US,Global")},
        None,
        "shipping.csv",
        3,
        "market",
        "Global",
        "expected a market of demand.csv; did you mean 'global'? (ids are case-sensitive; "
        "known: global)",
    ),
    (
        "unknown-shipping-region",
        {"shipping": edited("shipping", "US,global", "us,global")},
        None,
        "shipping.csv",
        3,
        "region",
        "us",
        "expected a region of sites.csv; did you mean 'US'? (ids are case-sensitive; "
        "known: TW, US)",
    ),
    (
        "unknown-energy-region",
        {"energy": edited("energy", "US_SOLAR,US", "US_SOLAR,u.s")},
        None,
        "energy.csv",
        4,
        "region",
        "u.s",
        "expected a region of sites.csv; did you mean 'US'? (ids are case-sensitive; "
        "known: TW, US)",
    ),
    (
        "unknown-partner",
        {"partner_regions": edited("partner_regions", "USG,TW", "US_GOV,TW")},
        None,
        "partner_regions.csv",
        2,
        "partner",
        "US_GOV",
        "expected a partner of partners.csv (known: FUND, USG)",
    ),
    (
        "unknown-partner-region",
        {"partner_regions": edited("partner_regions", "USG,TW", "USG,T-W")},
        None,
        "partner_regions.csv",
        2,
        "region",
        "T-W",
        "expected a region of sites.csv; did you mean 'TW'? (ids are case-sensitive; "
        "known: TW, US)",
    ),
    (
        "unknown-limit-region",
        {"regions": edited("regions", "TW,0.8", "tw,0.8")},
        None,
        "regions.csv",
        2,
        "region",
        "tw",
        "expected a region of sites.csv; did you mean 'TW'? (ids are case-sensitive; "
        "known: TW, US)",
    ),
    # years outside the horizon, nodes nobody runs
    (
        "demand-year-outside-horizon",
        {"demand": edited("demand", "base,2027", "base,2030")},
        None,
        "demand.csv",
        4,
        "year",
        "2030",
        "expected a year in [2025, 2027] (first_year and last_year of parameters.csv)",
    ),
    (
        "product-node-no-site-runs",
        {"products": edited("products", "GPU_N3,N3", "GPU_N3,n3")},
        None,
        "products.csv",
        2,
        "node",
        "n3",
        "expected a node that some site of sites.csv runs; did you mean 'N3'? (ids are "
        "case-sensitive; known: N3)",
    ),
    # --set overrides are validated like file values and reported as --set
    (
        "override-bad-value",
        {},
        {"discount_rate": "abc"},
        "--set",
        None,
        None,
        "discount_rate=abc",
        "expected discount_rate to be a number in [0, 1]",
    ),
    (
        "override-out-of-range",
        {},
        {"unmet_penalty_usd_per_gpu": "-1"},
        "--set",
        None,
        None,
        "unmet_penalty_usd_per_gpu=-1",
        "expected unmet_penalty_usd_per_gpu to be a number ≥ 0",
    ),
    (
        "override-unknown-name",
        {},
        {"discount": "0.05"},
        "--set",
        None,
        None,
        "discount=0.05",
        "expected a parameter of parameters.csv; did you mean 'discount_rate'? (first_year,",
    ),
    (
        "override-last-year-cuts-demand",
        {},
        {"last_year": "2026"},
        "demand.csv",
        4,
        "year",
        "2027",
        "expected a year in [2025, 2026]",
    ),
    # file format
    (
        "semicolon-separated",
        {"products": TINY["products"].replace(",", ";")},
        None,
        "products.csv",
        1,
        None,
        "product;node;gpus_per_wafer",
        "expected comma-separated columns; this header uses ';'",
    ),
]


@pytest.mark.parametrize(
    ("files", "overrides", "file", "line", "column", "value", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in BROKEN],
)
def test_each_rule_reports_one_clear_problem(
    tmp_path, files, overrides, file, line, column, value, words
):
    p = only(problems_of(write_tiny_case(tmp_path, **files), overrides))
    assert where(p) == (file, line, column)
    assert p.value == value
    assert words in p.expected, str(p)
    assert p.severity == "error"


def test_message_format_names_file_line_column_value_and_expectation(tmp_path):
    p = only(
        problems_of(write_tiny_case(tmp_path, sites=edited("sites", "0.9,2000000", "1.2,2000000")))
    )
    assert str(p) == "sites.csv:3 column 'utilization': value '1.2' — expected a number in (0, 1]"


def test_semicolon_header_is_the_only_complaint_about_that_file(tmp_path):
    # The ';' header also lacks every required column; one hint says why, the columns say what.
    found = problems_of(write_tiny_case(tmp_path, products=TINY["products"].replace(",", ";")))
    assert [where(p) for p in found][0] == ("products.csv", 1, None)


def test_all_problems_across_files_are_reported_together(tmp_path):
    case = write_tiny_case(
        tmp_path,
        parameters=edited("parameters", "discount_rate,0.08", "discount_rate,x"),
        sites=edited("sites", "2025,0.9,1000000", "2025,1.9,1000000"),
        demand=edited("demand", "global,300000", 'global,"300,000"'),
        energy=edited("energy", "US_SOLAR,US", "US_SOLAR,us"),
        partners=edited("partners", "0.03,0,0.5", "0.03,0.6,0.5"),
        regions=None,
        products=None,
    )
    found = problems_of(case, {"carbon_price_usd_per_t": "-5"})
    assert [where(p) for p in found] == [
        ("--set", None, None),
        ("parameters.csv", 4, "value"),
        ("sites.csv", 2, "utilization"),
        ("products.csv", None, None),
        ("demand.csv", 3, "gpus"),
        ("energy.csv", 4, "region"),
        ("partners.csv", 3, "min_share"),
    ]


def test_unparseable_first_year_is_reported_once(tmp_path):
    # No "year outside [first_year, last_year]" cascade on the demand and energy rows.
    case = write_tiny_case(
        tmp_path, parameters=edited("parameters", "first_year,2025", "first_year,")
    )
    p = only(problems_of(case))
    assert where(p) == ("parameters.csv", 2, "value")
    assert p.expected == "empty cell; expected first_year to be a calendar year such as 2030"


def test_a_row_with_too_many_fields_does_not_hide_its_id_from_other_files(tmp_path):
    # products.csv line 2 is malformed; demand still refers to GPU_N3: no "unknown product".
    case = write_tiny_case(tmp_path, products=edited("products", "N3,15", "N3,1,500"))
    p = only(problems_of(case))
    assert where(p) == ("products.csv", 2, None)
    assert "expected 3 fields as in the header, found 4" in p.expected


def test_trailing_empty_cells_are_not_extra_fields(tmp_path):
    # Spreadsheets often export `a,b,c,,,`; the empty extra cells are harmless.
    case = load_case(
        write_tiny_case(tmp_path, products="product,node,gpus_per_wafer\nGPU_N3,N3,15,,,\n")
    )
    assert case.products["gpus_per_wafer"].tolist() == [15.0]


def test_bom_comments_and_blank_lines_keep_editor_line_numbers(tmp_path):
    sites = (
        "\ufeff# candidate sites\n"  # line 1 (BOM + comment)
        + TINY["sites"].splitlines()[0]  # line 2: header
        + "\n\n"  # line 3: blank
        + "# Taiwan\n"  # line 4: comment
        + TINY["sites"].splitlines()[1]  # line 5: TW_FAB
        + "\n   # the US site below has a bad utilization\n"  # line 6: comment after spaces
        + TINY["sites"].splitlines()[2].replace("2025,0.9,", "2025,1.5,")  # line 7: US_FAB
        + "\n"
    )
    p = only(problems_of(write_tiny_case(tmp_path, sites=sites)))
    assert where(p) == ("sites.csv", 7, "utilization")


def test_quoted_multiline_cell_does_not_shift_later_line_numbers(tmp_path):
    scenarios = (
        "scenario,probability,description\n"  # line 1
        'base,1,"a description\nover two lines"\n'  # lines 2-3
        "high,0,\n"  # line 4: probability 0 keeps the sum at 1
    )
    demand = TINY["demand"] + "high,2025,GPU_N3,global,-1\n"  # line 5
    p = only(problems_of(write_tiny_case(tmp_path, scenarios=scenarios, demand=demand)))
    assert where(p) == ("demand.csv", 5, "gpus")
    case = load_case(write_tiny_case(tmp_path / "ok", scenarios=scenarios))
    assert case.scenarios["_line"].tolist() == [2, 4]


def test_crlf_line_endings_are_read(tmp_path):
    crlf = TINY["demand"].replace("\n", "\r\n").replace("global,450000", "global,x")
    p = only(problems_of(write_tiny_case(tmp_path, demand=crlf)))
    assert where(p) == ("demand.csv", 4, "gpus")


def test_non_utf8_file_names_the_line(tmp_path):
    case = write_tiny_case(tmp_path)
    text = TINY["sites"].replace("United States", "Rep\u00fablica")
    (case / "sites.csv").write_bytes(text.encode("latin-1"))
    p = only(problems_of(case))
    assert where(p) == ("sites.csv", 3, None)
    assert "expected UTF-8 text" in p.expected


def test_duplicate_header_column(tmp_path):
    products = "product,node,node,gpus_per_wafer\nGPU_N3,N3,N3,15\n"
    p = only(problems_of(write_tiny_case(tmp_path, products=products)))
    assert where(p) == ("products.csv", 1, "node")
    assert p.expected == "column appears twice in the header"


def test_missing_data_folder(tmp_path):
    p = only(problems_of(tmp_path / "nowhere"))
    assert p.file == str(tmp_path / "nowhere")
    assert "expected a folder" in p.expected


def test_override_replaces_a_bad_file_value_before_validation(tmp_path):
    case = write_tiny_case(
        tmp_path, parameters=edited("parameters", "discount_rate,0.08", "discount_rate,x")
    )
    loaded = load_case(case, {"discount_rate": "0.05"})
    assert loaded.params.discount_rate == 0.05
    assert loaded.overrides == {"discount_rate": "0.05"}


def test_every_problem_of_one_cell_is_reported_once(tmp_path):
    # "-inf" breaks finiteness and the lower bound: one message for the cell.
    p = only(
        problems_of(write_tiny_case(tmp_path, sites=edited("sites", "1000,3000", "1000,-inf")))
    )
    assert where(p) == ("sites.csv", 2, "max_wspm")


# --- warnings: legal but suspicious ----------------------------------------------------------


def warnings_of(path: Path) -> list[Problem]:
    case = load_case(path)
    assert all(w.severity == "warning" for w in case.warnings)
    return case.warnings


def test_region_without_energy_contract_is_a_warning(tmp_path):
    energy = without_line("energy", "US_GRID,")
    energy = energy.replace(energy.splitlines()[-1] + "\n", "")  # drop US_SOLAR too
    w = only(warnings_of(write_tiny_case(tmp_path, energy=energy)))
    assert (where(w), w.value) == (("sites.csv", 3, "region"), "US")
    assert "no contract of energy.csv serves this region" in w.expected


def test_unknown_file_is_a_warning(tmp_path):
    w = only(warnings_of(write_tiny_case(tmp_path, notes="a,b\n")))
    assert w.file == "notes.csv" and "unknown file, ignored" in w.expected


def test_misspelt_required_file_is_an_error_with_a_hint(tmp_path):
    case = write_tiny_case(tmp_path, sites=None, Sites=TINY["sites"])
    with pytest.raises(InputError) as caught:
        load_case(case)
    assert [where(p) for p in caught.value.problems] == [("sites.csv", None, None)]
    assert [w.expected for w in caught.value.warnings] == [
        "unknown file, ignored: did you mean sites.csv? (names are case-sensitive)"
    ]


def test_unknown_parameter_is_a_warning(tmp_path):
    w = only(
        warnings_of(write_tiny_case(tmp_path, parameters=TINY["parameters"] + "carbon_price,50\n"))
    )
    assert (where(w), w.value) == (("parameters.csv", 9, "name"), "carbon_price")


WARNED = [
    # (id, files to replace, file, line, column, value, words the message must contain)
    (
        "site-never-buildable",
        {"sites": edited("sites", "4550,3,1,2025", "4550,3,1,2030")},
        "sites.csv",
        3,
        "first_build_year",
        "2030",
        "after last_year (2027): no build is possible at this site",
    ),
    (
        "limit-never-applies",
        {"regions": edited("regions", "TW,0.8,2026", "TW,0.8,2028")},
        "regions.csv",
        2,
        "from_year",
        "2028",
        "after last_year (2027): the limit never applies",
    ),
    (
        "scenario-without-demand",
        {"scenarios": TINY["scenarios"] + "high,0,not modelled yet\n"},
        "scenarios.csv",
        3,
        "scenario",
        "high",
        "no demand for this scenario in demand.csv",
    ),
    (
        "product-without-demand",
        {"products": TINY["products"] + "GPU_N3X,N3,12\n"},
        "products.csv",
        3,
        "product",
        "GPU_N3X",
        "no demand for this product in demand.csv",
    ),
    (
        "node-no-product-needs",
        {"sites": edited("sites", "US_FAB,US,N3", "US_FAB,US,N2")},
        "sites.csv",
        3,
        "node",
        "N2",
        "no product of products.csv needs this node",
    ),
]


@pytest.mark.parametrize(
    ("files", "file", "line", "column", "value", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in WARNED],
)
def test_suspicious_but_legal_input_is_one_warning(
    tmp_path, files, file, line, column, value, words
):
    w = only(warnings_of(write_tiny_case(tmp_path, **files)))
    assert (where(w), w.value) == ((file, line, column), value)
    assert words in w.expected, str(w)


def test_contract_outside_horizon_is_a_warning(tmp_path):
    energy = edited("energy", "0.25,2025,2040", "0.25,2030,2040")
    w = only(warnings_of(write_tiny_case(tmp_path, energy=energy)))
    assert where(w) == ("energy.csv", 4, "first_year")
    assert "never used" in w.expected


def test_market_without_lane_is_a_warning(tmp_path):
    demand = TINY["demand"] + "base,2027,GPU_N3,eu,1000\n"  # line 5
    w = only(warnings_of(write_tiny_case(tmp_path, demand=demand)))
    assert (where(w), w.value) == (("demand.csv", 5, "market"), "eu")


def test_partners_unable_to_fund_everything_is_a_warning(tmp_path):
    partners = edited("partners", "0.08,0,1", "0.08,0,0.4")  # 0.4 + 0.5 = 0.9 < 1
    w = only(warnings_of(write_tiny_case(tmp_path, partners=partners)))
    assert (where(w), w.value) == (("partners.csv", None, "max_share"), "0.9")


# --- the CLI ----------------------------------------------------------------------------------


def test_cli_validate_good_data_exits_0(tmp_path, tiny_case_dir):
    run = fabplan("validate", tiny_case_dir, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "valid" in run.stdout and "2 sites" in run.stdout and "3 contracts" in run.stdout
    assert run.stderr == ""


def test_cli_validate_bad_data_exits_2_and_prints_every_problem(tmp_path):
    case = write_tiny_case(
        tmp_path / "bad",
        sites=edited("sites", "2025,0.9,1000000", "2025,1.9,1000000"),
        demand=edited("demand", "global,300000", 'global,"300,000"'),
    )
    run = fabplan("validate", case, cwd=tmp_path)
    assert run.returncode == 2
    assert (
        "sites.csv:2 column 'utilization': value '1.9' — expected a number in (0, 1]" in run.stderr
    )
    assert "demand.csv:3 column 'gpus': value '300,000'" in run.stderr
    assert "2 problems" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.stdout == ""


def test_cli_validate_bad_override_exits_2(tmp_path, tiny_case_dir):
    run = fabplan("validate", tiny_case_dir, "--set", "discount_rate", cwd=tmp_path)
    assert run.returncode == 2
    assert "--set expects name=value" in run.stderr


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.rglob("*"))
    }


def test_validate_writes_nothing(tmp_path):
    good = write_tiny_case(tmp_path / "good")
    bad = write_tiny_case(tmp_path / "bad", sites=edited("sites", "0.9,2000000", "9,2000000"))
    before = snapshot(tmp_path)
    assert fabplan("validate", good, cwd=tmp_path).returncode == 0
    assert fabplan("validate", bad, cwd=tmp_path).returncode == 2
    load_case(good)
    assert snapshot(tmp_path) == before


def test_cli_init_then_validate_round_trip(tmp_path):
    new = tmp_path / "mycase"
    run = fabplan("init", new, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert {p.name for p in new.glob("*.csv")} == {p.name for p in default_data_dir().glob("*.csv")}
    run = fabplan("validate", new, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "valid" in run.stdout


def test_cli_init_refuses_a_non_empty_folder(tmp_path, tiny_case_dir):
    run = fabplan("init", tiny_case_dir, cwd=tmp_path)
    assert run.returncode == 2
    assert "not empty" in run.stderr


def test_probability_tolerance_is_1e_6(tmp_path):
    # 0.5 + 0.4999995 = 0.9999995: off by 5e-7 < 1e-6, accepted; 0.5 + 0.499998 is off by 2e-6.
    demand = TINY["demand"] + "high,2025,GPU_N3,global,1\n"
    ok = "scenario,probability\nbase,0.5\nhigh,0.4999995\n"
    case = load_case(write_tiny_case(tmp_path / "ok", scenarios=ok, demand=demand))
    assert math.isclose(case.scenarios["probability"].sum(), 0.9999995)
    off = "scenario,probability\nbase,0.5\nhigh,0.499998\n"
    p = only(problems_of(write_tiny_case(tmp_path / "off", scenarios=off, demand=demand)))
    assert where(p) == ("scenarios.csv", None, "probability")
