"""Issue 9 item D15: tweaking CSVs must just work.

Deleting a row ("no fab in Germany") leaves rows of other files naming what was deleted: those
are unused, and each gives one short warning, not an error. Only references that are certainly
typos (an id no file defines where one file is the only definition, or a defined id written in
another case or with other separators) stay errors. Warnings are one line; `-v` adds the lines.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from casebuilder import fabplan
from fixtures import TINY, write_tiny_case

from optimizer import console
from optimizer.errors import InputError
from optimizer.inputs import default_data_dir, load_case
from optimizer.verify import verify_plan

CAP_LINE_MAX = 160  # characters of the Taiwan cap warning printed on every default solve


def edited(stem: str, old: str, new: str) -> str:
    text = TINY[stem]
    assert old in text
    return text.replace(old, new, 1)


def without(stem: str, start: str) -> str:
    lines = TINY[stem].splitlines(keepends=True)
    kept = [x for x in lines if not x.startswith(start)]
    assert len(kept) == len(lines) - 1
    return "".join(kept)


def warnings(path: Path) -> list:
    case = load_case(path)
    assert all(w.severity == "warning" for w in case.warnings)
    return case.warnings


def about(found: list, words: str) -> list:
    return [w for w in found if words in str(w)]


def errors(path: Path) -> list:
    with pytest.raises(InputError) as e:
        load_case(path)
    return e.value.problems


def default_copy(path: Path) -> Path:
    shutil.copytree(default_data_dir(), path)
    return path


# --- warnings, one per kind ------------------------------------------------------------------


def test_deleted_site_region_is_one_warning_counting_what_is_unused(tmp_path):
    # Without US_FAB, region US is named by energy.csv (US_GRID, US_SOLAR) and shipping.csv
    # (US,global) only: 2 contracts and 1 lane unused; today: 3 errors.
    found = warnings(write_tiny_case(tmp_path, sites=without("sites", "US_FAB")))
    (w,) = about(found, "region US")
    assert (w.file, w.line, w.column, w.value) == ("sites.csv", None, None, None)
    assert w.expected == "region US has no site: 2 energy contracts and 1 lane are unused"


def test_region_only_in_regions_csv_is_a_warning(tmp_path):
    regions = TINY["regions"] + "JP,0.5,2026\n"
    (w,) = about(warnings(write_tiny_case(tmp_path, regions=regions)), "region JP")
    assert w.expected == "region JP has no site: 1 capacity cap is unused"


def test_contract_in_a_region_named_only_by_energy_csv_is_a_warning(tmp_path):
    energy = TINY["energy"] + "XX_GRID,XX,grid,50,10,1,2025,2040,0.3,0\n"
    (w,) = about(warnings(write_tiny_case(tmp_path, energy=energy)), "region XX")
    assert w.expected == "region XX has no site: 1 energy contract is unused"


def test_region_named_by_every_file_is_warned_once_with_lines_only_verbose(tmp_path):
    # DE in energy.csv (line 5), shipping.csv (line 4), partner_regions.csv (line 3) and
    # regions.csv (line 3): one warning; its lines only with -v.
    data = write_tiny_case(
        tmp_path,
        energy=TINY["energy"] + "DE_GRID,DE,grid,90,10,1,2025,2040,0.3,0\n",
        shipping=TINY["shipping"] + "DE,global,4\n",
        partner_regions=TINY["partner_regions"] + "USG,DE,0\n",
        regions=TINY["regions"] + "DE,0.3,2026\n",
    )
    (w,) = about(warnings(data), "DE")
    short = (
        "sites.csv: region DE has no site: 1 energy contract, 1 lane, 1 partner limit and "
        "1 capacity cap are unused"
    )
    assert str(w) == short
    console.set_verbosity(2)
    try:
        assert str(w) == (
            f"{short} (energy.csv line 5; shipping.csv line 4; partner_regions.csv line 3; "
            "regions.csv line 3)"
        )
    finally:
        console.set_verbosity(1)


def test_lanes_to_a_market_without_demand_are_a_warning(tmp_path):
    shipping = TINY["shipping"] + "TW,eu,7\nUS,eu,9\n"
    (w,) = about(warnings(write_tiny_case(tmp_path, shipping=shipping)), "eu")
    assert (w.file, w.line, w.column, w.value) == ("shipping.csv", 4, "market", "eu")
    assert w.expected == "no demand for this market in demand.csv: 2 lanes are unused"


def test_product_of_a_node_no_site_runs_is_a_warning(tmp_path):
    data = write_tiny_case(
        tmp_path,
        products=TINY["products"] + "GPU_N2,N2,10\n",
        demand=TINY["demand"] + "base,2027,GPU_N2,global,1000\n",
    )
    (w,) = about(warnings(data), "node")
    assert (w.file, w.line, w.column, w.value) == ("products.csv", 3, "node", "N2")
    assert w.expected == (
        "no site of sites.csv runs this node: GPU_N2 cannot be made (demand for it goes unmet)"
    )


def test_product_without_demand_is_a_warning(tmp_path):
    found = warnings(write_tiny_case(tmp_path, products=TINY["products"] + "GPU_X,N3,10\n"))
    (w,) = about(found, "GPU_X")
    assert (w.file, w.line, w.column) == ("products.csv", 3, "product")
    assert w.expected == "no demand for this product in demand.csv"


def test_partner_no_site_region_allows_is_a_warning(tmp_path):
    # USG is barred from TW already; barring it from US too leaves it no region.
    limits = TINY["partner_regions"] + "USG,US,0\n"
    (w,) = about(warnings(write_tiny_case(tmp_path, partner_regions=limits)), "USG")
    assert (w.file, w.line, w.column, w.value) == ("partners.csv", 3, "partner", "USG")
    assert "bars this partner (max_share 0) from every region with a site" in w.expected


def test_partner_barred_but_held_to_a_minimum_share_is_left_to_the_screening(tmp_path):
    data = write_tiny_case(
        tmp_path,
        partners=edited("partners", "500,0.03,0,0.5", "500,0.03,0.1,0.5"),
        partner_regions=TINY["partner_regions"] + "USG,US,0\n",
    )
    assert about(warnings(data), "bars this partner") == []


# --- errors that stay errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "file", "line", "column"),
    [
        ({"demand": edited("demand", "2026,GPU_N3", "2026,GPU_N9")}, "demand.csv", 3, "product"),
        (
            {"partner_regions": TINY["partner_regions"] + "NOBODY,US,0\n"},
            "partner_regions.csv",
            3,
            "partner",
        ),
        ({"demand": edited("demand", "base,2026", "hihg,2026")}, "demand.csv", 3, "scenario"),
        ({"shipping": edited("shipping", "US,global", "us,global")}, "shipping.csv", 3, "region"),
        ({"energy": edited("energy", "US_GRID,US", "US_GRID,u_s")}, "energy.csv", 3, "region"),
        (
            {"partner_regions": edited("partner_regions", "USG,TW", "USG,tw")},
            "partner_regions.csv",
            2,
            "region",
        ),
        ({"regions": edited("regions", "TW,0.8", "T W,0.8")}, "regions.csv", 2, "region"),
        ({"shipping": edited("shipping", "US,global", "US,GLOBAL")}, "shipping.csv", 3, "market"),
        ({"products": edited("products", "GPU_N3,N3", "GPU_N3,n-3")}, "products.csv", 2, "node"),
    ],
    ids=[
        "unknown-product-in-demand",
        "unknown-partner-in-partner-regions",
        "unknown-scenario-in-demand",
        "region-typo-in-shipping",
        "region-typo-in-energy",
        "region-typo-in-partner-regions",
        "region-typo-in-regions",
        "market-typo-in-shipping",
        "node-typo-in-products",
    ],
)
def test_certain_typos_stay_errors(tmp_path, files, file, line, column):
    (p,) = errors(write_tiny_case(tmp_path, **files))
    assert (p.file, p.line, p.column, p.severity) == (file, line, column, "error")
    assert p.expected.startswith("expected a ")


def test_case_typo_names_the_id_meant(tmp_path):
    (p,) = errors(write_tiny_case(tmp_path, shipping=edited("shipping", "US,global", "us,global")))
    assert p.expected == (
        "expected a region of sites.csv; did you mean 'US'? (ids are case-sensitive; known: TW, US)"
    )


# --- the default data: one short cap warning; no fab in Germany --------------------------------


def test_default_solve_prints_the_cap_warning_as_one_short_line(tmp_path):
    # TW: 50,000 + 30,000 = 80,000 of the 90,000 existing wspm (89%); cap 0.7 from 2032: the
    # others need (80,000 - 0.7 x 90,000) / 0.7 = 24,285.7 -> 24,286 wspm online by 2032.
    run = fabplan(
        "solve", default_data_dir(), "--out", tmp_path / "p", "--report", "none", cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    (line,) = [x for x in run.stderr.splitlines() if "max_capacity_share" in x]
    assert line == (
        "warning: regions.csv:3 column 'max_capacity_share': value '0.7' — TW holds 89% of "
        "existing capacity: the plan must bring ≥ 24,286 wspm online elsewhere by 2032"
    )
    assert len(line) <= CAP_LINE_MAX


def test_default_hedged_solve_prints_each_warning_once_on_one_short_line(tmp_path):
    """The high scenario cannot be served in 2026 (the screening warns before solving); the list
    of sites that limit it is long, so it is printed only with -v."""
    run = fabplan(
        "solve",
        default_data_dir(),
        "--stochastic",
        "--out",
        tmp_path / "p",
        "--report",
        "none",
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr
    # input warnings (file:line ...); the plan's own warning about unmet demand is the report's
    lines = [x for x in run.stderr.splitlines() if re.match(r"warning: \w+\.csv", x)]
    demand = [x for x in lines if x.startswith("warning: demand.csv:")]
    assert demand and all(x.endswith("GPUs will be unmet") for x in demand)
    assert len(lines) == len(set(lines))
    assert all(len(x) <= 2 * CAP_LINE_MAX for x in lines), max(lines, key=len)


@pytest.mark.slow
def test_no_fab_in_germany_solves_and_verifies_with_one_warning(tmp_path):
    data = default_copy(tmp_path / "case")
    sites = (data / "sites.csv").read_text().splitlines(keepends=True)
    (data / "sites.csv").write_text("".join(x for x in sites if not x.startswith("DE_")))
    pairs = (data / "site_operators.csv").read_text().splitlines(keepends=True)
    (data / "site_operators.csv").write_text("".join(x for x in pairs if not x.startswith("DE_")))
    out = tmp_path / "plan"
    run = fabplan("-v", "solve", data, "--out", out, "--report", "none", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    # energy.csv DE_GRID and DE_SOLAR_PPA, shipping.csv DE->us and DE->row, and the 11 partner
    # limits of USG, JPG, KRG, SAMSUNG, INTEL, SKHYNIX and MICRON and of the power companies
    # NEXTERA, CONSTELLATION, JERA and KEPCO in DE (partner_regions.csv, max_share 0).
    (de,) = [x for x in run.stderr.splitlines() if "region DE" in x]
    assert de.startswith(
        "warning: sites.csv: region DE has no site: 2 energy contracts, 2 lanes, 11 partner "
        "limits and 1 subsidy program are unused (energy.csv lines "
    )
    (cap,) = [x for x in run.stderr.splitlines() if "max_capacity_share" in x]
    assert "(TW's existing 80,000 wspm (sites.csv lines 3, 4) are 89% of the 90,000" in cap
    assert "other regions can add up to" in cap
    # DEG_EU may fund only DE (partner_regions.csv bars it everywhere else)
    assert len([x for x in run.stderr.splitlines() if "DEG_EU" in x]) == 1
    check = verify_plan(out, data)
    assert check.ok, "\n".join(check.violations)
    assert fabplan("verify", out, "--data", data, cwd=tmp_path).returncode == 0


# --- item 20: large files with many problems (speed: benchmarks/validate_large.py) -------------


def test_many_bad_cells_print_twenty_per_column_then_a_count(tmp_path):
    # 30 demand rows with gpus 'n/a' (lines 2-31): 20 printed, then "... and 10 more"; -v: all 30.
    rows = "".join(f"base,2025,GPU_N3,m{i},n/a\n" for i in range(30))
    data = write_tiny_case(tmp_path / "case", demand="scenario,year,product,market,gpus\n" + rows)
    run = fabplan("validate", data, cwd=tmp_path)
    assert run.returncode == 2
    shown = [x for x in run.stderr.splitlines() if x.startswith("demand.csv:")]
    assert len(shown) == 20
    assert shown[0].startswith("demand.csv:2 column 'gpus': value 'n/a'")
    assert (
        "demand.csv column 'gpus': ... and 10 more problems like these (-v lists them all)"
        in run.stderr.splitlines()
    )
    assert "error: 30 problems in the input data" in run.stderr
    verbose = fabplan("-v", "validate", data, cwd=tmp_path)
    assert len([x for x in verbose.stderr.splitlines() if x.startswith("demand.csv:")]) == 30
    assert "more problems like these" not in verbose.stderr


def test_every_repeated_row_names_the_line_of_its_first_copy(tmp_path):
    # the 3 tiny demand rows (lines 2-4) written 4 times: lines 5-13 repeat lines 2-4 in turn.
    head, *body = TINY["demand"].splitlines(keepends=True)
    data = write_tiny_case(tmp_path, demand=head + "".join(body * 4))
    found = errors(data)
    assert [(p.line, p.column) for p in found] == [
        (n, "scenario, year, product, market") for n in range(5, 14)
    ]
    firsts = [int(p.expected.rsplit(" ", 1)[1]) for p in found]
    assert firsts == [2, 3, 4] * 3
    assert found[0].value == "base, 2025, GPU_N3, global"


def test_case_with_every_kind_of_unused_reference_solves_reports_and_verifies(tmp_path):
    data = write_tiny_case(
        tmp_path / "case",
        shipping=TINY["shipping"] + "TW,eu,7\n",
        products=TINY["products"] + "GPU_N2,N2,10\n",
        demand=TINY["demand"] + "base,2027,GPU_N2,global,1000\n",
        regions=TINY["regions"] + "JP,0.5,2026\n",
        energy=TINY["energy"] + "XX_GRID,XX,grid,50,10,1,2025,2040,0.3,0\n",
        partner_regions=TINY["partner_regions"] + "USG,US,0\n",
    )
    out = tmp_path / "plan"
    run = fabplan("solve", data, "--out", out, "--report", "md", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    for words in ("region XX has no site", "region JP has no site", "value 'eu'", "value 'N2'"):
        assert len([x for x in run.stderr.splitlines() if words in x]) == 1, words
    check = verify_plan(out, data)
    assert check.ok, "\n".join(check.violations)
