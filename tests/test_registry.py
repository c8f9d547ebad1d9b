"""The registry of model concerns (optimizer/model/registry.py): every constraint family a model
build creates is declared once, with complete metadata and a verify check.

Issue 10 target 1: a concern declares itself once, and adding one is one model module plus one
verify module (docs/adding-a-concern.md). These tests fail when a family is built but not
declared, declared without words, source, unit, binding sentence or infeasible explanation, or
declared without a verify module that re-implements it (COVERS).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures import TINY, write_tiny_case

from optimizer.inputs import load_case
from optimizer.model import ModelOptions, Scale, build_model, registry
from optimizer.model.registry import Concern, Family, RegistryError
from optimizer.staged import build_staged
from optimizer.verify.limits import limit_families
from optimizer.verify.run import covered

ROOT = Path(__file__).resolve().parents[1]
DATA_README = (ROOT / "data" / "README.md").read_text()
MODES = {
    "elastic": ModelOptions(elastic=True),
    "integer": ModelOptions(integer=True),
    # the second pass of a pure-CVaR plan adds cvar_cap beside cvar
    "cvar": ModelOptions(cvar_alpha=0.9, risk_weight=1.0, cvar_cap=1e9),
}


def _scenarios(case) -> dict[str, float]:
    """Every scenario of the case with its probability."""
    return dict(zip(case.scenarios["scenario"], case.scenarios["probability"], strict=True))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, tuple[str, object]]:
    """family name -> (where it was built, its ConFamily), over the default data and the tiny
    case in elastic, integer and CVaR mode."""
    tiny = write_tiny_case(tmp_path_factory.mktemp("registry") / "tiny")
    # tool supply is built only where tools are modelled (tools.csv and tool_use.csv)
    tools = write_tiny_case(
        tmp_path_factory.mktemp("registry") / "tools",
        tools="tool,year,units\nEUV,2025,2\n",
        tool_use="process,tool,units_per_kwspm\nN3,EUV,1\n",
    )
    # the stage balance is built only where a recipe has a stage before assembly (recipes.csv)
    stages = write_tiny_case(
        tmp_path_factory.mktemp("registry") / "stages",
        sites=TINY["sites"] + "TW_P,TW,CoWoS,1000,2000,1000,10,0,1,2025,1.0,0,0,,0\n",
        products="product,node,gpus_per_wafer\nGPU_N3,,\n",
        recipes="product,process,per_wafer,per_gpu,final\nGPU_N3,N3,40,2,0\nGPU_N3,CoWoS,20,1,1\n",
    )
    # a minimum regional share is built only where regions.csv gives min_capacity_share
    floors = write_tiny_case(
        tmp_path_factory.mktemp("registry") / "floors",
        regions="region,max_capacity_share,min_capacity_share,from_year\nTW,0.8,0.1,2026\n",
    )
    # the offer limit is built only where supply_offers.csv offers an upstream process
    offers = write_tiny_case(
        tmp_path_factory.mktemp("registry") / "offers",
        sites=TINY["sites"] + "TW_P,TW,CoWoS,1000,2000,1000,10,0,1,2025,1.0,0,0,,0\n",
        products="product,node,gpus_per_wafer\nGPU_N3,,\n",
        recipes="product,process,per_wafer,per_gpu,final\nGPU_N3,N3,40,2,0\nGPU_N3,CoWoS,20,1,1\n",
        supply_offers="offer,process,region,first_year,last_year,max_wafers_per_year,"
        "price_usd_per_wafer\nO1,N3,TW,2025,2030,1000,20000\n",
    )
    # tranche rows only with capital_tranches.csv, the budget row only with capital_budget_musd
    capital = write_tiny_case(
        tmp_path_factory.mktemp("registry") / "capital",
        parameters=TINY["parameters"] + "capital_budget_musd,5000,million USD,budget\n",
        capital_tranches="partner,tranche,max_musd,cost_of_capital\nUSG,extra,200,0.05\n",
    )
    # take-or-pay rows only with energy.csv min_take_share; slices (issue 14)
    power = write_tiny_case(
        tmp_path_factory.mktemp("registry") / "power",
        energy=TINY["energy"]
        .replace("fixed_usd_per_mw_year\n", "fixed_usd_per_mw_year,min_take_share\n")
        .replace(",0\nUS_GRID", ",0,0.5\nUS_GRID"),
        slices="slice,day,order,hours\nday,d,0,4380\nnight,d,1,4380\n",
        availability="source,region,slice,factor\nsolar,,night,0\n",
    )
    # operator rows only with operators.csv and site_operators.csv (two operators at TW_FAB)
    operators = write_tiny_case(
        tmp_path_factory.mktemp("registry") / "operators",
        operators="operator,kind,partner,capex_factor,opex_factor,min_stake,max_new_wspm_per_year\n"
        "TSMC,foundry,FUND,1,1,0.1,1000\nOTHER,foundry,,1.3,1.1,0,\n",
        site_operators="site,operator\nTW_FAB,TSMC\nTW_FAB,OTHER\nUS_FAB,OTHER\n",
    )
    out: dict[str, tuple[str, object]] = {}
    for folder in (ROOT / "data", tiny, tools, stages, offers, floors, capital, power, operators):
        case = load_case(folder)
        for mode, options in MODES.items():
            ctx = build_model(case, _scenarios(case), options)
            for name, fam in ctx.families.items():
                out.setdefault(name, (f"{folder.name} {mode}", fam))
    # non-anticipativity rows exist only where scenario copies are stacked under a stage year
    # (optimizer/staged): the default data's three scenarios, stage year 2028
    case = load_case(ROOT / "data", {"stage_year": "2028"})
    stacked = build_staged(case, ModelOptions(), 2028)
    out.setdefault("nonanticipativity", ("data staged", stacked.families["nonanticipativity"]))
    return out


def _files() -> set[str]:
    """The input files data/README.md documents (its table of files)."""
    return set(re.findall(r"^\| `([a-z_]+\.csv)` \|", DATA_README, flags=re.MULTILINE))


def _columns(file: str) -> set[str]:
    """The columns data/README.md documents for `file` (its own section)."""
    section = DATA_README.split(f"### {file}", 1)[1].split("\n### ", 1)[0]
    return set(re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.MULTILINE))


def test_every_built_family_is_declared_and_every_declared_family_is_built(built):
    declared = {f.name for f in registry.families()}
    assert set(built) - declared == set(), "families built but declared by no concern"
    assert declared - set(built) == set(), "families declared but built by no case"


@pytest.mark.parametrize("fam", registry.families(), ids=lambda f: f.name)
def test_family_metadata_is_complete(fam: Family, built):
    assert fam.concern in {c.name for c in registry.concerns()}
    assert fam.kind in ("limit", "balance")
    assert isinstance(fam.elastic, bool)
    assert fam.words.strip()
    assert fam.unit in Scale().units, f"{fam.name}: unit {fam.unit} has no model scale"
    assert fam.dual_unit == f"USD (NPV) per {fam.unit}"
    # source: 'file col, col; file' naming documented input files and their columns
    source = fam.source.split(" (")[0]
    for part in source.split(";"):
        file, *rest = part.split(maxsplit=1)
        assert file in _files(), f"{fam.name}: {file} is not an input file of data/README.md"
        columns = {c.strip() for c in rest[0].split(",")} if rest else set()
        assert columns <= _columns(file), f"{fam.name}: {columns - _columns(file)} not in {file}"
    # the binding sentence reads every row of the family as built
    _, con = built[fam.name]
    for row in con.index.head(3).itertuples(index=False):
        text = fam.binding(row)
        assert text.strip() and "{" not in text, text
    # an explanation, or the generic sentence declared explicitly (None)
    assert fam.infeasible is None or callable(fam.infeasible)


def test_elastic_slacks_follow_the_declarations(tmp_path):
    """Elastic mode gives a slack to exactly the families declared elastic."""
    case = load_case(write_tiny_case(tmp_path / "tiny"))
    ctx = build_model(case, _scenarios(case), ModelOptions(elastic=True))
    for name, fam in ctx.families.items():
        has_slack = any(f"slack_{d}_{name}" in ctx.blocks for d in ("over", "under"))
        assert has_slack == (fam.meta.elastic and len(fam.index) > 0), name
        assert fam.limit == (fam.meta.kind == "limit")


def test_every_family_has_a_verify_check():
    """Each verify module declares COVERS; together they name every declared family."""
    declared = {f.name for f in registry.families()}
    checks = covered()
    assert declared - set(checks) == set(), "families no verify module re-implements"
    assert set(checks) - declared == set(), "verify COVERS names no declared family"


def test_every_limit_family_has_verify_rows():
    """binding.csv lists limit rows: verify recomputes each limit family's rows (a LIMITS entry
    of the verify module that covers it) to check they exist and are tight."""
    limits = {f.name: f for f in registry.families() if f.kind == "limit"}
    rows = limit_families()
    assert set(limits) - set(rows) == set(), "limit families verify cannot check in binding.csv"
    assert set(rows) - set(limits) == set(), "verify LIMITS names no declared limit family"
    for name, fam in rows.items():
        assert fam.check.__module__ == covered()[name], f"{name}: LIMITS beside another COVERS"
        assert fam.unit == limits[name].unit, f"{name}: verify unit {fam.unit}"


def test_concerns_come_after_what_they_require():
    order = [c.name for c in registry.concerns()]
    # module names in alphabetical order, each after what it requires (capital needs finance,
    # finance needs subsidies)
    assert order == [
        "capacity",
        "subsidies",
        "finance",
        "capital",
        "production",
        "energy",
        "storage",  # issue 14: generation requires storage (its power_builds.csv rows)
        "generation",
        "nonanticipativity",  # issue 15: declares the rows optimizer/staged adds when stacking
        "offers",
        "operators",
        "policy",
        "power_finance",  # after generation, storage and capital
        "tools",
        "risk",
    ]
    for i, c in enumerate(registry.concerns()):
        assert set(c.requires) <= set(order[:i]), c.name
        if c.reads_all:
            assert order[i + 1 :] == [], f"{c.name} reads every concern and must come last"


def _concern(name: str, *requires: str) -> Concern:
    return Concern(name=name, families=(), add=lambda ctx: None, requires=requires)


def test_missing_or_cyclic_requirements_are_errors():
    with pytest.raises(RegistryError, match="requires power, which does not exist"):
        registry.ordered([_concern("storage", "power")])
    with pytest.raises(RegistryError, match="requires itself"):
        registry.ordered([_concern("a", "b"), _concern("b", "a")])
    order = registry.ordered([_concern("b", "a"), _concern("a")])
    assert [c.name for c in order] == ["a", "b"]


def test_an_undeclared_family_cannot_be_added(tmp_path):
    with pytest.raises(KeyError):
        registry.family("no_such_family")
    assert registry.find("no_such_family") is None


def test_the_registry_imports_without_pyomo():
    """The report reads family words from the registry and must not import Pyomo."""
    code = (
        "import sys; from optimizer.model import registry; "
        "assert registry.families(); assert 'pyomo' not in sys.modules, 'pyomo imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
