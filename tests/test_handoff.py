"""The matrix hand-off: built from the term arrays, it equals Pyomo's standard-form compiler.

The Pyomo model, built on demand from the model's arrays (`ModelContext.pyomo()`), is the
statement of the model users read; the solve uses the faster route straight from the arrays
(optimizer/solve/matrix.py) and never builds it. Both must give the same LP entry for entry:
same column and row order, coefficients, bounds, right-hand sides, objective and maps back to
blocks and families. Also: a run imports only what it uses.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fixtures import write_tiny_case
from test_stochastic import newsvendor_case
from test_trnsport import load_trnsport, trnsport_case

from optimizer.inputs.load import default_data_dir, load_case
from optimizer.model import build_model
from optimizer.model.context import ModelOptions
from optimizer.solve import matrix

ROOT = Path(__file__).resolve().parents[1]


def assert_same(a: matrix.StandardForm, b: matrix.StandardForm) -> None:
    """Entry-for-entry equality of two standard forms (exact: both sum the same floats)."""
    assert a.A.shape == b.A.shape
    for m in (a.A, b.A):
        m.sort_indices()
    np.testing.assert_array_equal(a.A.indptr, b.A.indptr)
    np.testing.assert_array_equal(a.A.indices, b.A.indices)
    np.testing.assert_allclose(a.A.data, b.A.data, rtol=1e-15, atol=0)
    np.testing.assert_allclose(a.c, b.c, rtol=1e-14, atol=0)
    assert a.offset == b.offset
    np.testing.assert_array_equal(a.rhs, b.rhs)
    np.testing.assert_array_equal(a.senses, b.senses)
    np.testing.assert_array_equal(a.lower, b.lower)
    np.testing.assert_array_equal(a.upper, b.upper)
    np.testing.assert_array_equal(a.integer, b.integer)
    assert a.col_block.keys() == b.col_block.keys()
    for name in a.col_block:
        np.testing.assert_array_equal(a.col_block[name], b.col_block[name], err_msg=name)
    assert a.row_family.keys() == b.row_family.keys()
    for name in a.row_family:
        np.testing.assert_array_equal(a.row_family[name], b.row_family[name], err_msg=name)


def both_routes(data: Path, options: ModelOptions, all_scenarios: bool = False) -> None:
    case = load_case(data)
    scenarios = case.scenario_probabilities
    if not all_scenarios:
        first = next(iter(scenarios))
        case, scenarios = case.for_scenarios({first: 1.0}), {first: 1.0}
    ctx = build_model(case, scenarios, options)
    fast, pyomo = matrix.from_terms(ctx), matrix.from_pyomo(ctx)
    assert fast.A.nnz > 0
    assert_same(fast, pyomo)


def test_tiny_case(tmp_path):
    both_routes(write_tiny_case(tmp_path / "tiny"), ModelOptions())


def test_default_data():
    both_routes(default_data_dir(), ModelOptions())


def test_default_data_integer():
    both_routes(default_data_dir(), ModelOptions(integer=True))


def test_default_data_stochastic_cvar():
    both_routes(
        default_data_dir(), ModelOptions(cvar_alpha=0.9, risk_weight=0.5), all_scenarios=True
    )


def test_pure_cvar_second_pass_drops_the_zero_weight_terms(tmp_path):
    # risk weight 1 with a CVaR cap: the CVaR terms get objective weight 0, which neither route
    # may keep as a column entry
    data = newsvendor_case(tmp_path / "nv")
    both_routes(data, ModelOptions(cvar_alpha=0.9, risk_weight=1.0, cvar_cap=1e9), True)


def test_trnsport(tmp_path):
    both_routes(trnsport_case(tmp_path / "trnsport", load_trnsport()), ModelOptions())


def test_fixed_decisions_give_the_same_lp_either_way():
    # a hedged evaluation fixes first-stage decisions in the bound arrays (ctx.fix) before any
    # Pyomo model exists; the Pyomo model built afterwards holds the same bounds, and a fix
    # after it was built reaches both
    case = load_case(default_data_dir())
    first = next(iter(case.scenario_probabilities))
    ctx = build_model(case.for_scenarios({first: 1.0}), {first: 1.0}, ModelOptions())
    assert ctx._model is None  # built lazily
    ctx.fix("build", np.linspace(0.0, 2.0, ctx.blocks["build"].size))
    fast, pyomo = matrix.from_terms(ctx), matrix.from_pyomo(ctx)
    assert_same(fast, pyomo)
    cols = fast.col_block["build"]
    np.testing.assert_array_equal(fast.lower[cols[cols >= 0]], fast.upper[cols[cols >= 0]])
    ctx.fix("open", np.full(ctx.blocks["open"].size, 1.0))
    assert_same(matrix.from_terms(ctx), matrix.from_pyomo(ctx))
    assert all(v.lb == v.ub == 1.0 for v in ctx.blocks["open"].objects)


def heavy_imports(args: list[str]) -> list[str]:
    """The heavy packages imported by `fabplan ARGS` run in a fresh interpreter."""
    code = (
        "import sys\n"
        "from optimizer.cli import main\n"
        f"sys.argv = ['fabplan', *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = ('matplotlib', 'openpyxl', 'xlsxwriter', 'dask', 'distributed', 'jinja2', 'pyomo',"
        " 'highspy', 'scipy')\n"
        "print('HEAVY:' + ','.join(sorted(m for m in sys.modules if m in heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("HEAVY:"))
    return [m for m in line.removeprefix("HEAVY:").split(",") if m]


@pytest.mark.parametrize(
    ("report", "absent"),
    [
        # scipy too: the hand-off builds the matrix in numpy (its import cost ~1 s a run); and
        # pyomo: the Pyomo model is built only on demand (ModelContext.pyomo())
        (
            "none",
            {
                "matplotlib",
                "openpyxl",
                "xlsxwriter",
                "dask",
                "distributed",
                "jinja2",
                "scipy",
                "pyomo",
            },
        ),
        ("md", {"openpyxl", "xlsxwriter", "dask", "distributed", "pyomo"}),
        ("xlsx", {"matplotlib", "openpyxl", "jinja2", "dask", "distributed", "pyomo"}),
    ],
)
def test_solve_imports_only_what_the_report_uses(tmp_path, report, absent):
    data = write_tiny_case(tmp_path / "tiny")
    out = tmp_path / "plan"
    loaded = heavy_imports(["-q", "solve", str(data), "--out", str(out), "--report", report])
    assert (out / "summary.json").is_file()
    assert "highspy" in loaded  # the probe sees imports at all
    assert not absent & set(loaded)


def test_validate_imports_no_solver(tmp_path):
    data = write_tiny_case(tmp_path / "tiny")
    assert not {"pyomo", "highspy", "matplotlib", "openpyxl", "xlsxwriter"} & set(
        heavy_imports(["-q", "validate", str(data)])
    )
