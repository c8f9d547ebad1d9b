"""Loading: typed tables, editor line numbers, defaults for optional columns and files, the API."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from fixtures import TINY, drop_column, drop_line, edited, without_column, write_tiny_case

import optimizer
from optimizer.errors import UsageError
from optimizer.inputs import IMPLICIT_PARTNER, default_data_dir, load_case, parse_overrides

ALL_FILES = {
    "parameters.csv",
    "sites.csv",
    "products.csv",
    "demand.csv",
    "scenarios.csv",
    "shipping.csv",
    "energy.csv",
    "partners.csv",
    "partner_regions.csv",
    "regions.csv",
}
MINIMAL = {  # only the required files
    "scenarios": None,
    "shipping": None,
    "energy": None,
    "partners": None,
    "partner_regions": None,
    "regions": None,
}


def test_tiny_case_loads_with_types_values_and_lines(tiny_case_dir):
    case = load_case(tiny_case_dir)
    assert case.warnings == []
    assert set(case.files) == ALL_FILES
    assert all(p.is_file() and p.parent == tiny_case_dir.resolve() for p in case.files.values())
    sites = case.sites.set_index("site")
    assert sites.loc["TW_FAB", "existing_wspm"] == 1000.0
    assert sites.loc["US_FAB", "capex_usd_per_wspm"] == 650000.0
    assert sites.loc["US_FAB", "subsidy_cap_musd"] == 100.0
    assert sites["_line"].tolist() == [2, 3]
    assert case.sites["lead_time_years"].dtype == "int64"
    assert case.sites["first_build_year"].dtype == "int64"
    assert case.demand["year"].tolist() == [2025, 2026, 2027]
    assert case.demand["year"].dtype == "int64"
    assert case.demand["gpus"].tolist() == [150000.0, 300000.0, 450000.0]
    assert case.demand["_line"].tolist() == [2, 3, 4]
    assert case.energy["contract"].tolist() == ["TW_GRID", "US_GRID", "US_SOLAR"]
    assert case.energy["first_year"].dtype == "int64"
    assert case.regions["from_year"].tolist() == [2026]
    assert case.partner_regions[["partner", "region", "max_share"]].values.tolist() == [
        ["USG", "TW", 0.0]
    ]
    p = case.params
    assert (p.first_year, p.last_year, p.discount_rate) == (2025, 2027, 0.08)
    assert (p.unmet_penalty_usd_per_gpu, p.carbon_price_usd_per_t, p.asset_life_years) == (
        2000.0,
        50.0,
        10,
    )
    assert p.ramp_up == (0.5,)
    assert case.years == [2025, 2026, 2027]
    assert case.markets == ["global"]
    assert case.inventory() == {
        "sites": 2,
        "regions": 2,
        "products": 1,
        "markets": 1,
        "contracts": 3,
        "partners": 2,
        "scenarios": 1,
        "years": 3,
    }


def test_tables_hold_exactly_the_contract_columns_plus_line(tiny_case_dir):
    # Extra columns (country is in the contract; 'source' here is not) are dropped.
    sites = TINY["sites"].replace("country\n", "country,source\n", 1)
    case = load_case(write_tiny_case(tiny_case_dir, sites=sites))
    assert list(case.sites.columns) == [
        "site",
        "region",
        "node",
        "existing_wspm",
        "max_wspm",
        "capex_usd_per_wspm",
        "opex_usd_per_wafer",
        "energy_mwh_per_wafer",
        "lead_time_years",
        "first_build_year",
        "utilization",
        "fixed_cost_usd_per_year",
        "subsidy_rate",
        "subsidy_cap_musd",
        "module_wspm",
        "country",
        "operator",
        "name",
        "_line",
    ]
    assert list(case.partners.columns) == [
        "partner",
        "kind",
        "max_commitment_musd",
        "cost_of_capital",
        "min_share",
        "max_share",
        "_line",
    ]


def test_empty_optional_cells_take_their_defaults(tiny_case_dir):
    case = load_case(tiny_case_dir)
    # TW_FAB leaves subsidy_cap_musd empty: no cap. FUND leaves max_commitment_musd empty.
    assert case.sites.set_index("site").loc["TW_FAB", "subsidy_cap_musd"] == math.inf
    partners = case.partners.set_index("partner")
    assert partners.loc["FUND", "max_commitment_musd"] == math.inf
    assert partners.loc["USG", "max_commitment_musd"] == 500.0
    assert case.sites["operator"].tolist() == ["", ""]


def test_absent_optional_columns_take_their_defaults(tmp_path):
    sites = TINY["sites"]
    for column in (
        "fixed_cost_usd_per_year",
        "subsidy_rate",
        "subsidy_cap_musd",
        "module_wspm",
        "country",
    ):
        sites = drop_column(sites, column)
    case = load_case(
        write_tiny_case(
            tmp_path,
            sites=sites,
            demand=without_column("demand", "market"),
            energy=without_column("energy", "fixed_usd_per_mw_year"),
            scenarios=without_column("scenarios", "description"),
        )
    )
    s = case.sites
    assert s["fixed_cost_usd_per_year"].tolist() == [0.0, 0.0]
    assert s["subsidy_rate"].tolist() == [0.0, 0.0]
    assert s["subsidy_cap_musd"].tolist() == [math.inf, math.inf]
    assert s["module_wspm"].tolist() == [0.0, 0.0]
    assert s["country"].tolist() == ["", ""]
    assert case.demand["market"].tolist() == ["global"] * 3
    assert case.energy["fixed_usd_per_mw_year"].tolist() == [0.0, 0.0, 0.0]
    assert case.scenarios["description"].tolist() == [""]


def test_optional_parameters_take_their_defaults(tmp_path):
    parameters = TINY["parameters"]
    for name in ("carbon_price_usd_per_t,", "asset_life_years,", "ramp_up,"):
        parameters = drop_line(parameters, name)
    p = load_case(write_tiny_case(tmp_path, parameters=parameters)).params
    assert p.carbon_price_usd_per_t == 0.0
    assert p.asset_life_years == 20
    assert p.ramp_up == ()  # 1.0 from the first year online
    assert p.ramp(0) == 1.0
    assert p.default_scenario == "base"  # the first scenario in demand.csv


def test_default_scenario_is_the_first_one_in_demand_when_not_given(tmp_path):
    demand = "scenario,year,product,gpus\nlow,2025,GPU_N3,1\nbase,2025,GPU_N3,2\n"
    case = load_case(write_tiny_case(tmp_path, demand=demand, **MINIMAL))
    assert case.params.default_scenario == "low"
    parameters = TINY["parameters"] + "default_scenario,base\n"
    case = load_case(write_tiny_case(tmp_path, demand=demand, parameters=parameters, **MINIMAL))
    assert case.params.default_scenario == "base"


def test_ramp_up_is_parsed_and_trailing_full_years_dropped(tmp_path):
    parameters = edited("parameters", "ramp_up,0.5", "ramp_up,0.3; 0.7;1")
    p = load_case(write_tiny_case(tmp_path, parameters=parameters)).params
    assert p.ramp_up == (0.3, 0.7)
    assert [p.ramp(k) for k in range(4)] == [0.3, 0.7, 1.0, 1.0]


def test_absent_optional_files_are_synthesised(tmp_path):
    # Two scenarios and two markets in demand; 2 site regions x 2 markets = 4 lanes.
    demand = (
        "scenario,year,product,market,gpus\n"
        "base,2025,GPU_N3,us,100\n"
        "high,2025,GPU_N3,eu,200\n"
        "base,2026,GPU_N3,eu,300\n"
    )
    case = load_case(write_tiny_case(tmp_path, demand=demand, **MINIMAL))
    assert set(case.files) == {"parameters.csv", "sites.csv", "products.csv", "demand.csv"}
    # scenarios: the scenarios of demand.csv in order of appearance, equal probabilities 1/2
    assert case.scenarios[["scenario", "probability"]].values.tolist() == [
        ["base", 0.5],
        ["high", 0.5],
    ]
    assert case.scenarios["_line"].tolist() == [-1, -1]
    # shipping: every site region x market at cost 0
    lanes = case.shipping.sort_values(["region", "market"])
    assert lanes[["region", "market"]].values.tolist() == [
        ["TW", "eu"],
        ["TW", "us"],
        ["US", "eu"],
        ["US", "us"],
    ]
    assert (case.shipping["cost_usd_per_gpu"] == 0).all()
    assert (case.shipping["_line"] == -1).all()
    # partners: one implicit partner at the discount rate (0.08 in the tiny parameters)
    assert case.partners.drop(columns="_line").to_dict("records") == [
        {
            "partner": IMPLICIT_PARTNER,
            "kind": "implicit",
            "max_commitment_musd": math.inf,
            "cost_of_capital": 0.08,
            "min_share": 0.0,
            "max_share": 1.0,
        }
    ]
    assert case.partners["_line"].tolist() == [-1]
    assert case.energy is None
    assert case.partner_regions.empty
    assert list(case.partner_regions.columns) == ["partner", "region", "max_share", "_line"]
    assert case.regions.empty
    assert list(case.regions.columns) == [
        "region",
        "max_capacity_share",
        "from_year",
        "process",
        "_line",
    ]
    assert case.regions["from_year"].dtype == "int64"
    assert case.inventory()["contracts"] == 0
    assert case.markets == ["eu", "us"]


def test_implicit_partner_follows_an_overridden_discount_rate(tmp_path):
    case = load_case(write_tiny_case(tmp_path, **MINIMAL), {"discount_rate": "0.05"})
    assert case.partners["cost_of_capital"].tolist() == [0.05]
    assert case.params.discount_rate == 0.05
    assert case.overrides == {"discount_rate": "0.05"}


def test_partner_regions_may_restrict_the_implicit_partner(tmp_path):
    files = {**MINIMAL, "partner_regions": "partner,region,max_share\nequity,US,0.49\n"}
    case = load_case(write_tiny_case(tmp_path, **files))
    assert case.partner_regions[["partner", "region", "max_share"]].values.tolist() == [
        ["equity", "US", 0.49]
    ]


def test_whitespace_around_cells_is_ignored(tmp_path):
    products = "product , node , gpus_per_wafer\n GPU_N3 , N3 , 15 \n"
    case = load_case(write_tiny_case(tmp_path, products=products))
    assert case.products[["product", "node", "gpus_per_wafer"]].values.tolist() == [
        ["GPU_N3", "N3", 15.0]
    ]


def test_bom_file_loads_with_line_numbers(tmp_path):
    case_dir = write_tiny_case(tmp_path)
    text = "\ufeff# demand by scenario\n\n" + TINY["demand"]  # header on line 3
    (case_dir / "demand.csv").write_text(text, encoding="utf-8")
    case = load_case(case_dir)
    assert list(case.demand.columns)[0] == "scenario"  # the BOM is not part of the name
    assert case.demand["_line"].tolist() == [4, 5, 6]


def test_scientific_notation_and_inf_where_allowed(tmp_path):
    partners = edited("partners", "USG,government,500", "USG,government,inf")
    demand = edited("demand", "global,450000", "global,4.5e5")
    case = load_case(write_tiny_case(tmp_path, partners=partners, demand=demand))
    assert case.partners.set_index("partner").loc["USG", "max_commitment_musd"] == math.inf
    assert case.demand["gpus"].tolist()[-1] == 450000.0


def test_loading_does_not_mutate_the_fixture_texts(tiny_case_dir):
    before = dict(TINY)
    load_case(tiny_case_dir)
    assert before == TINY


# --- public API helpers -----------------------------------------------------------------------


def test_parse_overrides():
    assert parse_overrides([]) == {}
    assert parse_overrides(["discount_rate=0.05", " carbon_price_usd_per_t = 50 "]) == {
        "discount_rate": "0.05",
        "carbon_price_usd_per_t": "50",
    }
    assert parse_overrides(["ramp_up=0.3;0.7"]) == {"ramp_up": "0.3;0.7"}
    assert parse_overrides(["a=1", "a=2"]) == {"a": "2"}  # the later one wins
    assert parse_overrides(["default_scenario="]) == {"default_scenario": ""}


@pytest.mark.parametrize("item", ["discount_rate", "=0.05", "  =1", ""])
def test_parse_overrides_rejects_malformed_items(item):
    with pytest.raises(UsageError) as caught:
        parse_overrides([item])
    assert caught.value.exit_code == 2
    assert "--set expects name=value" in str(caught.value)


def test_default_data_dir_is_the_repository_data_folder():
    expected = Path(optimizer.__file__).resolve().parents[1] / "data"
    assert default_data_dir() == expected
    assert (expected.parent / "pyproject.toml").is_file()


def test_default_dataset_loads():
    # Minimums from issue 2, section 4.
    case = load_case(default_data_dir())
    inv = case.inventory()
    assert inv["sites"] >= 8
    assert inv["regions"] >= 6
    assert inv["products"] >= 2
    # issue 12: each product's recipe names its own logic process (the final stage, packaging,
    # is shared)
    groups = case.processes.set_index("process")["group"]
    logic = case.recipes[case.recipes["process"].map(groups) == "logic"]
    assert logic.groupby("product")["process"].first().nunique() >= 2
    assert inv["scenarios"] == 3
    assert inv["contracts"] >= 15
    assert inv["partners"] >= 8
    assert not case.partner_regions.empty
    assert not case.regions.empty
    assert (case.params.first_year, case.params.last_year) == (2025, 2040)
    assert math.isclose(case.scenarios["probability"].sum(), 1.0, abs_tol=1e-6)
    assert isinstance(case.demand, pd.DataFrame) and (case.demand["_line"] > 1).all()


def test_data_readme_documents_every_file_column_and_parameter():
    # The schema tables are the contract; the user-facing description must not fall behind.
    from optimizer.inputs.schema import FILES, PARAMS

    text = (default_data_dir() / "README.md").read_text(encoding="utf-8")
    names = [
        *FILES,
        *(c.name for s in FILES.values() for c in s.columns),
        *(p.name for p in PARAMS),
    ]
    assert [n for n in names if n not in text] == []
