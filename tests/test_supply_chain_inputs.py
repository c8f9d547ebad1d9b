"""The supply-chain input files (issue 12): recipes, yields, processes, tools, tool_use and the
regions.csv process column -- loading, defaults when absent, stage_table, validation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from casebuilder import write_case

from optimizer.errors import InputError, Problem
from optimizer.inputs import load_case
from optimizer.inputs.recipes import processes_of, stage_table

YEARS = {"first_year": 2025, "last_year": 2030}
SITES = [
    {"site": "L", "node": "N3"},
    {"site": "P", "node": "CoWoS"},
    {"site": "M", "node": "HBM3E"},
]
RECIPE = [
    {"product": "P1", "process": "N3", "per_wafer": 30, "per_gpu": 2, "final": 0},
    {"product": "P1", "process": "CoWoS", "per_wafer": 15, "per_gpu": 1, "final": 1},
    {"product": "P1", "process": "HBM3E", "per_wafer": 400, "per_gpu": 8, "final": 0},
]


def _case(tmp_path: Path, **tables: object) -> Path:
    tables.setdefault("parameters", YEARS)
    tables.setdefault("sites", SITES)
    return write_case(tmp_path / "case", **tables)


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_case(path)
    return caught.value.problems


def at(problems: list[Problem], file: str, line: int | None, column: str | None) -> Problem:
    """The one problem at (file, line, column)."""
    found = [p for p in problems if (p.file, p.line, p.column) == (file, line, column)]
    assert len(found) == 1, f"expected one problem at {file}:{line} {column}:\n" + "\n".join(
        map(str, problems)
    )
    return found[0]


# --- loading and defaults ----------------------------------------------------------------------


def test_without_the_new_files_the_case_has_todays_single_final_stage(tmp_path):
    case = load_case(write_case(tmp_path, products=[{"gpus_per_wafer": 22.5}]))
    recipes = case.recipes[["product", "process", "per_wafer", "per_gpu", "final"]]
    assert recipes.values.tolist() == [["P1", "N3", 22.5, 1.0, True]]
    assert case.processes[["process", "group"]].values.tolist() == [["N3", "logic"]]
    assert case.yields.empty and case.tools.empty and case.tool_use.empty
    assert list(case.tools.columns[:3]) == ["tool", "year", "units"]
    assert case.warnings == []


def test_recipes_restating_todays_products_give_the_same_products(tmp_path):
    products = [{"product": "P1", "node": "N3", "gpus_per_wafer": 22.5}]
    plain = load_case(write_case(tmp_path / "a", products=products))
    restated = load_case(
        write_case(
            tmp_path / "b",
            products=products,
            recipes=[{"product": "P1", "process": "N3", "per_wafer": 45, "per_gpu": 2, "final": 1}],
        )
    )
    # 45 per wafer / 2 per GPU = 22.5 GPUs per wafer, as products.csv says
    pd.testing.assert_frame_equal(restated.products, plain.products)
    assert restated.recipes["final"].tolist() == [True]


def test_products_node_and_gpus_per_wafer_come_from_the_final_stage(tmp_path):
    products = "product\nP1\n"  # neither column: the recipe's final row gives them
    case = load_case(_case(tmp_path, products=products, recipes=RECIPE))
    row = case.products.iloc[0]
    assert (row["node"], row["gpus_per_wafer"]) == ("CoWoS", 15.0)  # 15 per wafer / 1 per GPU
    assert sorted(case.processes["process"]) == ["CoWoS", "HBM3E", "N3"]
    assert set(case.processes["group"]) == {"logic"}
    assert case.warnings == []  # blank node/gpus_per_wafer are not "a node no site runs"


def test_processes_csv_sets_groups_and_regions_process_resolves_names_and_groups(tmp_path):
    case = load_case(
        _case(
            tmp_path,
            products="product\nP1\n",
            recipes=RECIPE,
            processes=[
                {"process": "CoWoS", "group": "packaging"},
                {"process": "HBM3E", "group": "memory"},
            ],
            regions=[
                {"region": "R1", "max_capacity_share": 0.5},
                {"region": "R1", "max_capacity_share": 0.4, "process": "packaging; HBM3E"},
            ],
        )
    )
    groups = dict(zip(case.processes["process"], case.processes["group"], strict=True))
    assert groups == {"CoWoS": "packaging", "HBM3E": "memory", "N3": "logic"}
    assert case.regions["process"].tolist() == ["", "packaging; HBM3E"]
    assert processes_of(case, "") == {"N3"}  # blank: group logic
    assert processes_of(case, "packaging; HBM3E") == {"CoWoS", "HBM3E"}
    assert processes_of(case, "N3;memory") == {"N3", "HBM3E"}


def test_stage_table_interpolates_the_yield_factor_by_hand(tmp_path):
    yields = [
        {"process": "N3", "year": 2026, "factor": 0.5},
        {"process": "N3", "year": 2029, "factor": 0.8},
    ]
    case = load_case(_case(tmp_path, products="product\nP1\n", recipes=RECIPE, yields=yields))
    table = stage_table(case, case.years)
    n3 = table[table["process"] == "N3"].set_index("year")["per_wafer"]
    # 30 dies per wafer x factor: 0.5 held before 2026, then +0.1 a year to 0.8 in 2029, held after
    # 2025: 30 x 0.5 = 15; 2026: 15; 2027: 30 x 0.6 = 18; 2028: 30 x 0.7 = 21; 2029, 2030: 24
    assert n3.tolist() == pytest.approx([15, 15, 18, 21, 24, 24])
    cowos = table[table["process"] == "CoWoS"]
    assert cowos["per_wafer"].tolist() == [15.0] * 6  # no yields rows: factor 1
    assert cowos["final"].all() and not table.loc[table["process"] != "CoWoS", "final"].any()
    assert table[table["process"] == "HBM3E"]["per_gpu"].unique().tolist() == [8.0]
    assert list(table.columns) == ["product", "process", "year", "per_wafer", "per_gpu", "final"]


def test_tools_and_tool_use_load(tmp_path):
    case = load_case(
        _case(
            tmp_path,
            tools=[
                {"tool": "EUV", "year": 2024, "units": 10},
                {"tool": "EUV", "year": 2026, "units": 5},
            ],
            tool_use=[{"process": "N3", "tool": "EUV", "units_per_kwspm": 1.5}],
        )
    )
    assert case.tools[["tool", "year", "units"]].values.tolist() == [
        ["EUV", 2024, 10.0],
        ["EUV", 2026, 5.0],
    ]
    assert case.tools["year"].dtype == "int64"
    assert case.tool_use["units_per_kwspm"].tolist() == [1.5]
    # new file names are known (no "unknown file" warning); CoWoS and HBM3E sites are idle here
    assert {(w.file, w.value) for w in case.warnings} == {
        ("sites.csv", "CoWoS"),
        ("sites.csv", "HBM3E"),
    }


def test_without_the_new_files_a_case_loads_exactly_as_before(tmp_path):
    # The same folder with processes.csv listing only defaults (N3 in group logic) and with a
    # regions.csv process left blank: every table the model read before is unchanged.
    base = {"regions": [{"region": "R1", "max_capacity_share": 1.0}]}
    plain = load_case(write_case(tmp_path / "a", **base))
    grouped = load_case(
        write_case(tmp_path / "b", processes=[{"process": "N3", "group": "logic"}], **base)
    )
    for name in ("sites", "products", "demand", "regions", "recipes"):
        pd.testing.assert_frame_equal(getattr(grouped, name), getattr(plain, name))
    assert processes_of(plain, "") == processes_of(grouped, "") == {"N3"}


# --- validation: every problem at once, with file:line, column, value, expectation ----------


def test_recipes_rules_are_reported_together_with_file_line_and_value(tmp_path):
    products = "product,node,gpus_per_wafer\nP1,,\nP2,,\nP3,,\n"
    recipes = (
        "product,process,per_wafer,per_gpu,final\n"
        "P1,N3,0,2,0\n"  # line 2: per_wafer must be > 0
        "P1,CoWoS,15,-1,1\n"  # line 3: per_gpu must be > 0
        "P1,HBM3E,400,8,2\n"  # line 4: final must be 0 or 1
        "P1,N3,30,2,0\n"  # line 5: (P1, N3) again
        "P2,N3,30,1,1\n"
        "P2,CoWoS,15,1,1\n"  # line 7: a second final row of P2
        "P3,N3,30,1,0\n"  # P3 has no final row: products.csv line 4
        "P9,N3,30,1,1\n"  # line 9: no product P9
        "P2,N7,30,1,0\n"  # line 10: no site runs N7
    )
    found = problems_of(_case(tmp_path, products=products, recipes=recipes))
    assert at(found, "recipes.csv", 2, "per_wafer").value == "0"
    assert at(found, "recipes.csv", 3, "per_gpu").value == "-1"
    p = at(found, "recipes.csv", 4, "final")
    assert (p.value, p.expected) == ("2", "expected a whole number in [0, 1]")
    assert "already given on line 2" in at(found, "recipes.csv", 5, "product, process").expected
    p = at(found, "recipes.csv", 7, "final")
    assert "line 6 is already the final stage of P2" in p.expected
    assert "expected a product of products.csv" in at(found, "recipes.csv", 9, "product").expected
    p = at(found, "recipes.csv", 10, "process")
    assert p.value == "N7" and "no GPU of this product can be made" in p.expected
    p = at(found, "products.csv", 4, "product")
    assert p.value == "P3" and "exactly one final row" in p.expected


def test_a_product_without_recipe_rows_is_an_error_at_its_products_line(tmp_path):
    products = "product\nP1\nP2\n"
    demand = [{"product": "P1", "gpus": 0}, {"product": "P2", "gpus": 0}]
    p = at(
        problems_of(_case(tmp_path, products=products, recipes=RECIPE, demand=demand)),
        "products.csv",
        3,
        "product",
    )
    assert p.value == "P2" and "rows of this product in recipes.csv" in p.expected


def test_products_node_and_gpus_per_wafer_must_match_the_final_stage(tmp_path):
    # final stage of P1: CoWoS, 15 per wafer / 1 per GPU = 15 GPUs per wafer
    products = [{"product": "P1", "node": "N3", "gpus_per_wafer": 15.5}]
    found = problems_of(_case(tmp_path, products=products, recipes=RECIPE))
    p = at(found, "products.csv", 2, "node")
    assert p.value == "N3" and "final process of the product's recipe (CoWoS)" in p.expected
    p = at(found, "products.csv", 2, "gpus_per_wafer")
    assert p.value == "15.5" and "(15)" in p.expected
    ok = [{"product": "P1", "node": "CoWoS", "gpus_per_wafer": 15.0 * (1 + 1e-12)}]
    assert load_case(_case(tmp_path / "ok", products=ok, recipes=RECIPE)).warnings == []


def test_without_recipes_products_node_and_gpus_per_wafer_stay_required(tmp_path):
    found = problems_of(write_case(tmp_path, products="product,node,gpus_per_wafer\nP1,,\n"))
    assert "empty cell" in at(found, "products.csv", 2, "node").expected
    assert "empty cell" in at(found, "products.csv", 2, "gpus_per_wafer").expected


def test_yields_rules(tmp_path):
    yields = (
        "process,year,factor\n"
        "N3,2026,0\n"  # line 2: factor must be > 0
        "CoWoS,2026,0.9\n"
        "CoWoS,2026,0.8\n"  # line 4: (CoWoS, 2026) again
        "N2,2027,0.7\n"  # line 5: no recipe or site has N2
    )
    found = problems_of(_case(tmp_path, products="product\nP1\n", recipes=RECIPE, yields=yields))
    assert at(found, "yields.csv", 2, "factor").expected == "expected a number > 0"
    assert "line 3" in at(found, "yields.csv", 4, "process, year").expected
    p = at(found, "yields.csv", 5, "process")
    assert p.value == "N2" and "a process of recipes.csv or sites.csv" in p.expected
    assert len(found) == 3


def test_processes_rules(tmp_path):
    processes = "process,group\nN3,logic\nN3,logic\nCoWoS,\nN7,logic\n"
    found = problems_of(_case(tmp_path, processes=processes))
    assert "line 2" in at(found, "processes.csv", 3, "process").expected
    assert "empty cell" in at(found, "processes.csv", 4, "group").expected
    assert len(found) == 2
    warned = load_case(
        _case(tmp_path / "w", processes="process,group\nN3,logic\nN7,logic\n")
    ).warnings
    (w,) = [p for p in warned if p.file == "processes.csv"]
    assert (w.line, w.value) == (3, "N7") and "unused" in w.expected


def test_tools_and_tool_use_rules(tmp_path):
    tools = "tool,year,units\nEUV,2024,10\nEUV,2024,3\nEUV,2026,-1\n"
    tool_use = "process,tool,units_per_kwspm\nN3,EUV,-2\nN3,EUV,1\nN3,DUV,1\nN7,EUV,1\n"
    found = problems_of(_case(tmp_path, tools=tools, tool_use=tool_use))
    assert "line 2" in at(found, "tools.csv", 3, "tool, year").expected
    assert at(found, "tools.csv", 4, "units").value == "-1"
    assert at(found, "tool_use.csv", 2, "units_per_kwspm").value == "-2"
    assert "line 2" in at(found, "tool_use.csv", 3, "process, tool").expected
    p = at(found, "tool_use.csv", 4, "tool")
    assert p.expected == "no supply of tool DUV: add it to tools.csv"
    assert at(found, "tool_use.csv", 5, "process").value == "N7"
    assert len(found) == 6


def test_tool_use_needs_tools_and_late_or_unused_tools_are_warnings(tmp_path):
    tool_use = [{"process": "N3", "tool": "EUV", "units_per_kwspm": 1}]
    p = at(problems_of(_case(tmp_path, tool_use=tool_use)), "tool_use.csv", None, None)
    assert "needs tools.csv" in p.expected
    tools = [{"tool": "EUV", "year": 2020, "units": 5}, {"tool": "EUV", "year": 2031, "units": 5}]
    warned = load_case(_case(tmp_path / "w", tools=tools)).warnings
    texts = {(w.line, w.expected) for w in warned if w.file == "tools.csv"}
    # 2020 is before first_year 2025: stock, no warning; 2031 is after last_year 2030
    assert texts == {
        (3, "after last_year (2030): ignored"),
        (None, "tool_use.csv is absent: no process uses these tools"),
    }


def test_regions_process_must_name_processes_or_groups(tmp_path):
    regions = [
        {"region": "R1", "max_capacity_share": 0.5, "process": "N3;packaging"},
        {"region": "R1", "max_capacity_share": 0.5, "process": "N3; N7"},
    ]
    processes = [{"process": "CoWoS", "group": "packaging"}]
    found = problems_of(_case(tmp_path, regions=regions, processes=processes))
    p = at(found, "regions.csv", 3, "process")
    assert p.value == "N7" and "a process some site runs or a group" in p.expected
    assert len(found) == 1


def test_the_cli_exits_2_listing_every_problem(tmp_path):
    data = _case(
        tmp_path,
        tool_use=[{"process": "N3", "tool": "EUV", "units_per_kwspm": 1}],
        yields=[{"process": "N2", "year": 2026, "factor": 0.5}],
    )
    run = subprocess.run(
        [sys.executable, "-m", "optimizer", "validate", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 2
    assert "tool_use.csv: tool_use.csv needs tools.csv" in run.stderr
    assert "yields.csv:2 column 'process': value 'N2'" in run.stderr


def test_set_overrides_reach_the_new_files(tmp_path):
    data = _case(tmp_path, products="product\nP1\n", recipes=RECIPE)
    case = load_case(data, {"recipes.per_wafer[P1,CoWoS]": "20"})
    assert case.products["gpus_per_wafer"].tolist() == [20.0]  # 20 per wafer / 1 per GPU
