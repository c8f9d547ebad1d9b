"""Every optional input file can be left out with the report on (issue 9 B4).

data/README.md §3 lists six optional files: scenarios, shipping, energy, partners,
partner_regions and regions. A case without energy.csv used to solve and then crash in the
report ("merge on str and float64 columns for key 'contract'": an empty table's key column
came back as float), so no plan was written at all. Here the tiny case (tests/fixtures.py) is
solved through the command line with `--report html,md,xlsx` for every set of absent optional
files, and each plan must pass `fabplan verify`. Solves of two external models (GAMS trnsport,
OR-Library cap41), which have no energy or partner files, run with the report on too and must
still reach their published optima.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import openpyxl
import pytest
from fixtures import write_tiny_case
from test_orlib import ORLIB, PUBLISHED, orlib
from test_trnsport import load_trnsport, trnsport_case

from optimizer.cli import main as fabplan_main

OPTIONAL = ("scenarios", "shipping", "energy", "partners", "partner_regions", "regions")
REPORTS = ("report.html", "report.md", "plan.xlsx")
# Without partners.csv the only partner is the implicit `equity`; the tiny partner_regions.csv
# names USG, which is then (rightly) an unknown partner, so it names equity instead. A limit of
# 1 keeps the case feasible: equity may fund all of Taiwan.
EQUITY_ONLY_REGIONS = "partner,region,max_share\nequity,TW,1\n"

ALL_SUBSETS = [c for r in range(len(OPTIONAL) + 1) for c in itertools.combinations(OPTIONAL, r)]
# Quick tier: each file alone and all of them together; the slow tier has the other subsets.
QUICK = [(name,) for name in OPTIONAL] + [OPTIONAL]
SLOW = [c for c in ALL_SUBSETS if c not in QUICK]


def fabplan(*args: object) -> int:
    """Run the `fabplan` command line in this process; return its exit code."""
    try:
        fabplan_main([str(a) for a in args])
    except SystemExit as e:
        return 0 if e.code is None else e.code if isinstance(e.code, int) else 1
    return 0


def solve_with_report(data: Path, out: Path, *extra: object) -> dict:
    """`fabplan solve DATA --out OUT --report html,md,xlsx`, then `fabplan verify OUT`; the
    three report files must exist. Returns summary.json."""
    assert fabplan("solve", data, "--out", out, "--report", "html,md,xlsx", *extra) == 0
    for name in REPORTS:
        assert (out / name).is_file(), f"{name} was not written"
        assert (out / name).stat().st_size > 0
    assert fabplan("verify", out) == 0
    assert "</html>" in (out / "report.html").read_text(encoding="utf-8")
    assert openpyxl.load_workbook(out / "plan.xlsx", read_only=True).sheetnames
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def check_absent(tmp_path: Path, absent: tuple[str, ...]) -> None:
    files: dict[str, str | None] = dict.fromkeys(absent)
    if "partners" in absent and "partner_regions" not in absent:
        files["partner_regions"] = EQUITY_ONLY_REGIONS
    data = write_tiny_case(tmp_path / "case", **files)
    for name in absent:
        assert not (data / f"{name}.csv").exists()
    out = tmp_path / "plan"
    summary = solve_with_report(data, out)
    assert summary["status"] == "optimal"
    md = (out / "report.md").read_text(encoding="utf-8")
    if "energy" in absent:
        # no contracts: the energy section says so instead of showing empty tables
        assert "Energy is not modelled in this plan" in md
    else:
        # 2025 demand (150,000 GPUs = 10,000 wafers x 3 MWh) can only come from TW_FAB's existing
        # capacity (builds are online from 2026), whose region's only contract is TW_GRID; a
        # served GPU costs about 3500/15 + 3 x 135/15 = $260 < the $2,000 penalty: it is used
        assert "TW_GRID" in md


def _ids(absent: tuple[str, ...]) -> str:
    return "+".join(absent) or "none"


@pytest.mark.parametrize("absent", QUICK, ids=_ids)
def test_report_with_optional_files_absent(tmp_path, absent):
    check_absent(tmp_path, absent)


@pytest.mark.slow
@pytest.mark.parametrize("absent", SLOW, ids=_ids)
def test_report_with_every_other_set_of_absent_files(tmp_path, absent):
    check_absent(tmp_path, absent)


def test_trnsport_with_report_reaches_the_published_optimum(tmp_path):
    # trnsport has no scenarios, energy, partners, partner_regions or regions file
    m = load_trnsport()
    data = trnsport_case(tmp_path / "case", m)
    for name in ("energy", "partners", "partner_regions", "regions", "scenarios"):
        assert not (data / f"{name}.csv").exists()
    summary = solve_with_report(data, tmp_path / "plan")
    # 50 x 0.225 + 300 x 0.153 + 275 x 0.225 + 275 x 0.126 = 153.675 (see test_trnsport.py)
    assert summary["objective_usd"] == pytest.approx(153.675, rel=1e-6)


@pytest.mark.skipif(not ORLIB.is_dir(), reason=f"OR-Library instances not found at {ORLIB}")
def test_orlib_cap41_with_report_reaches_the_published_optimum(tmp_path):
    data = tmp_path / "cap41"
    orlib.convert(ORLIB / "cap41.txt", data)
    assert not (data / "energy.csv").exists() and not (data / "partners.csv").exists()
    summary = solve_with_report(data, tmp_path / "plan", "--integer", "--mip-gap", "0")
    assert summary["status"] == "optimal" and summary["mode"] == "integer"
    assert PUBLISHED["cap41"] == 1040444.375  # Beasley's capopt
    assert summary["objective_usd"] == pytest.approx(1040444.375, rel=1e-6)
