"""Hostile input that used to pass validation (issue 9, items B6, B7, C9, C12).

- B6: control characters in a text cell crashed the Excel writer and reached the terminal raw;
  they are now rejected, and every message shows them escaped (US\\x1bAZ).
- B7: 1e308 passed and then crashed the model or wrote a plan verify rejects; every column has a
  magnitude limit (data/README.md, "Magnitude limits") and NaN/infinity are rejected.
- C9: an optional file that is a folder, a FIFO, a device or a dangling link was taken as absent
  (a `shipping.csv` folder removed every export-control lane); it is now an error.
- C12: ids holding commas were accepted although the contract forbids them.

Each broken fixture is the tiny case (tests/fixtures.py) with one edit; line numbers are read off
the fixture texts (header = line 1).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from casebuilder import fabplan
from fixtures import TINY, edited, write_tiny_case

from optimizer.errors import InputError, Problem
from optimizer.generate import generate_case
from optimizer.inputs import default_data_dir, load_case
from optimizer.inputs.schema import FILES, PARAMS

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")  # what must never be shown


def problems_of(path: Path, overrides: dict[str, str] | None = None) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_case(path, overrides)
    return caught.value.problems


def at(problems: list[Problem], file: str, line: int | None, column: str | None) -> Problem:
    """The one problem reported at (file, line, column)."""
    found = [p for p in problems if (p.file, p.line, p.column) == (file, line, column)]
    assert len(found) == 1, f"expected one problem at {file}:{line} {column}, got:\n" + "\n".join(
        map(str, problems)
    )
    return found[0]


# --- B6: control characters -------------------------------------------------------------------

# (id, file stem, old, new, line, column, value shown escaped)
CONTROL_CELLS = [
    ("esc-in-region", "sites", "US_FAB,US,", "US_FAB,US\x1bAZ,", 3, "region", "US\\x1bAZ"),
    ("csi-c1-in-site", "sites", "US_FAB,US,", "US\x9b31mFAB,US,", 3, "site", "US\\x9b31mFAB"),
    ("tab-inside-product", "products", "GPU_N3,N3", "GPU\tN3,N3", 2, "product", "GPU\\tN3"),
    (
        "bell-in-market",
        "demand",
        "base,2026,GPU_N3,global",
        "base,2026,GPU_N3,glo\x07bal",
        3,
        "market",
        "glo\\x07bal",
    ),
    ("del-in-contract", "energy", "US_SOLAR,US", "US_SO\x7fLAR,US", 4, "contract", "US_SO\\x7fLAR"),
    (
        "nul-in-partner",
        "partners",
        "USG,government",
        "U\x00SG,government",
        3,
        "partner",
        "U\\x00SG",
    ),
    (
        "bidi-override-in-scenario",
        "scenarios",
        "base,1",
        "ba\u202ese,1",
        2,
        "scenario",
        "ba\\u202ese",
    ),
    ("line-break-in-an-id", "regions", "TW,0.8", '"T\nW",0.8', 2, "region", "T\\nW"),
    ("esc-in-free-text", "sites", ",Taiwan", ",Tai\x1b[31mwan", 2, "country", "Tai\\x1b[31mwan"),
    ("tab-in-free-text", "energy", "US_GRID,US,grid", "US_GRID,US,gr\tid", 3, "source", "gr\\tid"),
    (
        "esc-in-a-parameter-name",
        "parameters",
        "carbon_price_usd_per_t,",
        "carbon\x1b,",
        6,
        "name",
        "carbon\\x1b",
    ),
]


@pytest.mark.parametrize(
    "stem, old, new, line, column, shown",
    [c[1:] for c in CONTROL_CELLS],
    ids=[c[0] for c in CONTROL_CELLS],
)
def test_control_character_in_a_text_cell_is_rejected_and_shown_escaped(
    tmp_path, stem, old, new, line, column, shown
):
    found = problems_of(write_tiny_case(tmp_path, **{stem: edited(stem, old, new)}))
    p = at(found, f"{stem}.csv", line, column)
    assert p.value == shown
    assert "without control characters" in p.expected
    # Other files referring to the id must not print the raw character either.
    assert [str(q) for q in found if RAW_CONTROL.search(str(q))] == []


def test_a_quoted_line_break_in_free_text_is_still_accepted(tmp_path):
    # Descriptions may span lines (a quoted cell); only ids must be one line.
    scenarios = 'scenario,probability,description\nbase,1,"first line\nsecond line"\n'
    case = load_case(write_tiny_case(tmp_path, scenarios=scenarios))
    assert case.scenarios["description"].tolist() == ["first line\nsecond line"]


def test_unparseable_number_with_a_control_character_is_shown_escaped(tmp_path):
    demand = edited("demand", "global,300000", "global,300000\x1b[2J")
    p = at(problems_of(write_tiny_case(tmp_path, demand=demand)), "demand.csv", 3, "gpus")
    assert p.value == "300000\\x1b[2J"


def test_control_characters_in_set_items_are_shown_escaped(tmp_path, tiny_case_dir):
    found = problems_of(
        tiny_case_dir, {"sites.name": "evil\x1b]0;title\x07", "sites.max_wspm[US\x1b]": "5"}
    )
    assert {(p.file, p.line, p.column) for p in found} == {
        ("sites.csv", 2, "name"),
        ("sites.csv", 3, "name"),
        ("--set", None, None),
    }
    assert [str(p) for p in found if RAW_CONTROL.search(str(p))] == []
    named = at(found, "sites.csv", 2, "name")
    assert named.value == "evil\\x1b]0;title\\x07"
    assert named.expected.endswith("(value from --set sites.name=evil\\x1b]0;title\\x07)")
    assert at(found, "--set", None, None).value == "sites.max_wspm[US\\x1b]=5"


def test_cli_validate_rejects_an_escape_code_without_printing_it(tmp_path):
    case = write_tiny_case(tmp_path / "esc", sites=edited("sites", ",Taiwan", ",Tai\x1b[2Jwan"))
    run = fabplan("validate", case, cwd=tmp_path)
    assert run.returncode == 2
    assert "sites.csv:2 column 'country': value 'Tai\\x1b[2Jwan'" in run.stderr
    assert "\x1b" not in run.stderr + run.stdout
    assert "Traceback" not in run.stderr


# --- B7: magnitude limits, NaN and infinity ------------------------------------------------------

# (id, files, file, line, column, message); every value is 1e308, finite but absurd.
HUGE = [
    ("capex", {"sites": edited("sites", "500000,3500", "1e308,3500")}, "sites.csv", 2,
     "capex_usd_per_wspm", "expected a number ≤ 1e8 (USD per wspm)"),
    ("gpus-per-wafer", {"products": "product,node,gpus_per_wafer\nGPU_N3,N3,1e308\n"},
     "products.csv", 2, "gpus_per_wafer", "expected a number ≤ 10000 (GPUs per wafer)"),
    ("demand", {"demand": edited("demand", "global,300000", "global,1e308")}, "demand.csv", 3,
     "gpus", "expected a number ≤ 1e12 (GPUs per year)"),
    ("energy-price", {"energy": edited("energy", "US_GRID,US,grid,81", "US_GRID,US,grid,1e308")},
     "energy.csv", 3, "price_usd_per_mwh", "expected a number ≤ 1e6 (USD per MWh)"),
    ("max-mw", {"energy": edited("energy", "solar,57,50", "solar,57,1e308")}, "energy.csv", 4,
     "max_mw", "expected a number ≤ 1e7 (MW)"),
    ("shipping", {"shipping": edited("shipping", "US,global,2", "US,global,1e308")},
     "shipping.csv", 3, "cost_usd_per_gpu", "expected a number ≤ 1e6 (USD per GPU)"),
    ("max-wspm", {"sites": edited("sites", "0,2000,650000", "0,1e308,650000")}, "sites.csv", 3,
     "max_wspm", "expected a number ≤ 1e7 (wspm)"),
    ("lead-time", {"sites": edited("sites", "3,1,2025,0.9,1000000", "3,1e308,2025,0.9,1000000")},
     "sites.csv", 2, "lead_time_years", "expected a whole number ≤ 100 (years)"),
    ("commitment", {"partners": edited("partners", "USG,government,500", "USG,government,1e308")},
     "partners.csv", 3, "max_commitment_musd",
     "expected a number ≤ 1e8 (million USD), or empty for no limit"),
    ("penalty", {"parameters": edited("parameters", "gpu,2000,", "gpu,1e308,")},
     "parameters.csv", 5, "value",
     "expected unmet_penalty_usd_per_gpu to be a number ≤ 1e9 (USD per GPU)"),
    ("asset-life", {"parameters": edited("parameters", "years,10,", "years,1e308,")},
     "parameters.csv", 7, "value", "expected asset_life_years to be a whole number ≤ 200 (years)"),
]  # fmt: skip


@pytest.mark.parametrize(
    "files, file, line, column, message", [h[1:] for h in HUGE], ids=[h[0] for h in HUGE]
)
def test_an_absurdly_large_value_is_rejected_naming_the_limit(
    tmp_path, files, file, line, column, message
):
    p = at(problems_of(write_tiny_case(tmp_path, **files)), file, line, column)
    assert (p.value, p.expected) == ("1e308", message)


def test_every_numeric_column_without_an_upper_bound_has_a_limit():
    # A column that only says "≥ 0" would let 1e308 through to the model again.
    unbounded = [
        f"{spec.name} {c.name}"
        for spec in FILES.values()
        for c in spec.columns
        if c.numeric and c.hi is None and c.limit is None
    ]
    unbounded += [
        f"parameter {p.name}" for p in PARAMS if p.numeric and p.hi is None and not p.limit
    ]
    assert unbounded == []


def test_a_value_at_the_limit_is_accepted(tmp_path):
    sites = edited("sites", "500000,3500", "1e8,3500")  # exactly 1e8 USD per wspm
    case = load_case(write_tiny_case(tmp_path, sites=sites))
    assert case.sites["capex_usd_per_wspm"].tolist() == [1e8, 650000]


def test_a_number_too_large_for_a_float_is_not_taken_for_no_limit(tmp_path):
    # 1e400 reads as infinity; in a column where empty (or `inf`) means "no limit" it must not
    # silently lift the partner's cap.
    partners = edited("partners", "USG,government,500", "USG,government,1e400")
    found = problems_of(write_tiny_case(tmp_path, partners=partners))
    p = at(found, "partners.csv", 3, "max_commitment_musd")
    assert p.value == "1e400"
    assert p.expected == "expected a number ≤ 1e8 (million USD), or empty for no limit"


@pytest.mark.parametrize("word", ["nan", "NaN", "inf", "-inf", "Infinity"])
def test_nan_and_infinity_are_rejected_in_files(tmp_path, word):
    demand = edited("demand", "global,300000", f"global,{word}")
    p = at(problems_of(write_tiny_case(tmp_path, demand=demand)), "demand.csv", 3, "gpus")
    assert (p.value, p.expected) == (word, "expected a number ≥ 0")


@pytest.mark.parametrize("word", ["nan", "inf", "-inf"])
def test_nan_and_infinity_are_rejected_in_parameters_csv(tmp_path, word):
    parameters = edited("parameters", "carbon_price_usd_per_t,50", f"carbon_price_usd_per_t,{word}")
    found = problems_of(write_tiny_case(tmp_path, parameters=parameters))
    p = at(found, "parameters.csv", 6, "value")
    assert (p.value, p.expected) == (word, "expected carbon_price_usd_per_t to be a number ≥ 0")


@pytest.mark.parametrize(
    "target, value",
    [
        ("unmet_penalty_usd_per_gpu", "nan"),
        ("unmet_penalty_usd_per_gpu", "inf"),
        ("discount_rate", "-inf"),
        ("asset_life_years", "nan"),
    ],
)
def test_nan_and_infinity_are_rejected_in_set_parameters(tiny_case_dir, target, value):
    p = at(problems_of(tiny_case_dir, {target: value}), "--set", None, None)
    assert p.value == f"{target}={value}"
    assert p.expected.startswith(f"expected {target} to be ")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_nan_and_infinity_are_rejected_in_set_columns(tiny_case_dir, value):
    found = problems_of(tiny_case_dir, {"demand.gpus[base,2026]": value})
    p = at(found, "demand.csv", 3, "gpus")
    assert p.value == value
    assert len(found) == 1


@pytest.mark.parametrize("op", ["*", "+"])
def test_a_set_that_overflows_is_rejected_naming_the_item(tiny_case_dir, op):
    # 500000 x 1e308 and 500000 + 1e308... the + case stays finite but above the limit.
    found = problems_of(tiny_case_dir, {f"sites.capex_usd_per_wspm{op}": "1e308"})
    if op == "*":
        p = at(found, "--set", None, None)
        assert p.value == "sites.capex_usd_per_wspm*=1e308"
        assert "≤ 1e8 (USD per wspm)" in p.expected
    else:
        for line in (2, 3):
            p = at(found, "sites.csv", line, "capex_usd_per_wspm")
            assert p.expected.startswith("expected a number ≤ 1e8 (USD per wspm)")


def test_scaling_an_uncapped_column_into_overflow_does_not_lift_the_cap(tiny_case_dir):
    # US_FAB's cap of 100 (million USD) x 1e308 overflows to infinity, which would mean
    # "no cap"; TW_FAB's empty cell (no cap) stays empty and is not the problem.
    p = at(problems_of(tiny_case_dir, {"sites.subsidy_cap_musd*": "1e308"}), "--set", None, None)
    assert p.value == "sites.subsidy_cap_musd*=1e308"
    assert "≤ 1e8 (million USD)" in p.expected


def test_set_parameter_overflow_is_rejected(tiny_case_dir):
    found = problems_of(tiny_case_dir, {"unmet_penalty_usd_per_gpu*": "1e308"})
    p = at(found, "--set", None, None)
    assert p.value == "unmet_penalty_usd_per_gpu*=1e308"
    assert "≤ 1e9 (USD per GPU)" in p.expected


def test_cli_validate_rejects_1e308_with_exit_2_and_file_line(tmp_path):
    case = write_tiny_case(tmp_path / "huge", sites=edited("sites", "500000,3500", "1e308,3500"))
    run = fabplan("validate", case, cwd=tmp_path)
    assert run.returncode == 2
    assert (
        "sites.csv:2 column 'capex_usd_per_wspm': value '1e308' — expected a number ≤ 1e8 "
        "(USD per wspm)" in run.stderr
    )
    assert "Traceback" not in run.stderr


def test_the_default_data_fits_the_limits():
    case = load_case(default_data_dir())
    assert case.sites["capex_usd_per_wspm"].max() <= 1e8


@pytest.mark.parametrize("size", ["S", "M"])
def test_generated_cases_fit_the_limits(tmp_path, size):
    case = load_case(generate_case(size, tmp_path / size, seed=0))
    assert len(case.sites) > 0


def test_data_readme_documents_every_limit():
    # data/README.md, "Magnitude limits": one row per limited column, `| file | column | limit |`.
    text = (default_data_dir() / "README.md").read_text(encoding="utf-8")
    section = text.split("### Magnitude limits", 1)[1].split("\n#", 1)[0]
    cells = [[c.strip(" `") for c in line.split("|")[1:4]] for line in section.splitlines()]
    documented = {(c[0], c[1]): c[2] for c in cells if len(c) == 3}
    limited = [
        (spec.name, c)
        for spec in FILES.values()
        for c in (PARAMS if spec.name == "parameters.csv" else spec.columns)
        if c.limit is not None
    ]
    # 20 + recipes 2, yields, tools, tool_use (issue 12); capital_budget_musd, tranches max_musd
    # + subsidies.csv cap_musd, supply_offers.csv max_wafers_per_year and price (issue 13)
    # + products.csv unmet_penalty_usd_per_gpu (issue 13)
    # + energy.csv min_mw, slices.csv order (issue 14)
    # + generation.csv 7, storage.csv 6 (issue 14 power builds)
    # + operators.csv capex_factor, opex_factor, max_new_wspm_per_year (issue 13)
    assert len(limited) == 25 + 2 + 1 + 2 + 1 + 2 + 7 + 6 + 3
    shown = {(f, c.name): re.search("≤ (\\S+)", c.limit_expected)[1] for f, c in limited}
    assert {k: documented.get(k) for k in shown} == shown


# --- C9: present but not a readable file ----------------------------------------------------------


def _folder(path: Path) -> None:
    path.mkdir()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "nowhere.csv")


def _device(path: Path) -> None:
    path.symlink_to("/dev/null")


def _loop(path: Path) -> None:
    path.symlink_to(path)


NOT_A_FILE = [
    ("folder", _folder, "is a folder"),
    ("fifo", _fifo, "is a FIFO (named pipe)"),
    ("dangling-link", _dangling, "is a symbolic link to {dir}/nowhere.csv, which does not exist"),
    ("device", _device, "is a character device"),
    ("link-loop", _loop, "is a symbolic link to {dir}/shipping.csv, which cannot be followed"),
]


@pytest.mark.parametrize("make, what", [n[1:] for n in NOT_A_FILE], ids=[n[0] for n in NOT_A_FILE])
def test_an_optional_file_that_is_not_a_file_is_an_error_not_absent(tmp_path, make, what):
    # A shipping.csv folder used to remove every export-control lane without a word. The check
    # uses stat only, so a FIFO is never opened (the CLI run has a timeout: it would block).
    case = write_tiny_case(tmp_path / "case", shipping=None)
    make(case / "shipping.csv")
    run = fabplan("validate", case, cwd=tmp_path)
    assert run.returncode == 2, run.stdout
    expected = what.format(dir=case)
    assert f"shipping.csv: expected a readable CSV file; {case}/shipping.csv {expected}" in (
        run.stderr
    )
    assert "Traceback" not in run.stderr


def test_a_required_file_that_is_a_folder_is_named_as_such(tmp_path):
    case = write_tiny_case(tmp_path / "case", sites=None)
    (case / "sites.csv").mkdir()
    p = at(problems_of(case), "sites.csv", None, None)
    assert p.expected == f"expected a readable CSV file; {case}/sites.csv is a folder"


def test_a_link_to_a_readable_file_is_still_read(tmp_path):
    case = write_tiny_case(tmp_path / "case", shipping=None)
    (tmp_path / "lanes.csv").write_text(TINY["shipping"], encoding="utf-8")
    (case / "shipping.csv").symlink_to(tmp_path / "lanes.csv")
    assert load_case(case).shipping["cost_usd_per_gpu"].tolist() == [5, 2]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_an_error(tmp_path):
    case = write_tiny_case(tmp_path / "case")
    (case / "shipping.csv").chmod(0)
    try:
        p = at(problems_of(case), "shipping.csv", None, None)
    finally:
        (case / "shipping.csv").chmod(0o644)
    assert "cannot be read (permission denied)" in p.expected


def test_a_data_folder_that_is_a_file_says_so(tmp_path):
    path = tmp_path / "case"
    path.write_text("not a folder", encoding="utf-8")
    p = at(problems_of(path), str(path), None, None)
    assert p.expected.endswith("(it is a file)")


# --- C12: commas in ids ---------------------------------------------------------------------------

# (id, file stem, old, new, line, column, value)
COMMA_IDS = [
    ("site", "sites", "US_FAB,US,", '"US,FAB",US,', 3, "site", "US,FAB"),
    ("site-region", "sites", "US_FAB,US,", 'US_FAB,"US,AZ",', 3, "region", "US,AZ"),
    ("site-node", "sites", "US_FAB,US,N3", 'US_FAB,US,"N3,N2"', 3, "node", "N3,N2"),
    ("product", "products", "GPU_N3,N3", '"GPU,N3",N3', 2, "product", "GPU,N3"),
    ("scenario", "demand", "base,2027", '"base,x",2027', 4, "scenario", "base,x"),
    (
        "market",
        "demand",
        "GPU_N3,global,450000",
        'GPU_N3,"glo,bal",450000',
        4,
        "market",
        "glo,bal",
    ),
    ("scenarios-scenario", "scenarios", "base,1", '"base,2",1', 2, "scenario", "base,2"),
    ("shipping-region", "shipping", "US,global", '"U,S",global', 3, "region", "U,S"),
    ("contract", "energy", "US_SOLAR,US", '"US,SOLAR",US', 4, "contract", "US,SOLAR"),
    ("partner", "partners", "USG,government", '"US,G",government', 3, "partner", "US,G"),
    ("partner-region", "partner_regions", "USG,TW", 'USG,"T,W"', 2, "region", "T,W"),
    ("regions-region", "regions", "TW,0.8", '"T,W",0.8', 2, "region", "T,W"),
]


@pytest.mark.parametrize(
    "stem, old, new, line, column, value",
    [c[1:] for c in COMMA_IDS],
    ids=[c[0] for c in COMMA_IDS],
)
def test_an_id_with_a_comma_is_rejected(tmp_path, stem, old, new, line, column, value):
    found = problems_of(write_tiny_case(tmp_path, **{stem: edited(stem, old, new)}))
    p = at(found, f"{stem}.csv", line, column)
    assert p.value == value
    assert p.expected.startswith("expected a name without commas")


def test_default_scenario_with_a_comma_is_rejected(tiny_case_dir):
    p = at(problems_of(tiny_case_dir, {"default_scenario": "base,high"}), "--set", None, None)
    assert p.value == "default_scenario=base,high"
    assert "without commas" in p.expected


def test_a_comma_in_free_text_is_still_fine(tmp_path):
    sites = edited("sites", ",Taiwan", ',"Hsinchu, Taiwan"')
    case = load_case(write_tiny_case(tmp_path, sites=sites))
    assert case.sites["country"].tolist() == ["Hsinchu, Taiwan", "United States"]
