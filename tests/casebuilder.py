"""Write a data folder of CSV files from Python values, so a test states only what matters.

`write_case(path, **tables)`: each keyword is a file stem of the data contract (`sites`,
`energy`, `partner_regions`, ...) and its value is one of

- a list of row dicts: every row is completed with the file's defaults below (so a test writes
  `sites=[{"site": "A", "existing_wspm": 100}]` and gets a valid site); a key given as None
  writes an empty cell (e.g. no limit), and a column only some rows give is empty in the others
  (the contract's default for optional columns);
- a pandas DataFrame: written as is, with absent default columns added;
- a str: the file's exact text (for malformed input);
- None: the file is left out (only meaningful for sites, products and demand, which are
  written by default; parameters.csv is always written);
- for `parameters`: a dict name -> value, merged over DEFAULT_PARAMETERS (or a str: the exact
  text, for malformed input);
- for `demand`: also a dict year -> gpus (default scenario, product and market).

The defaults describe a neutral world: one region R1 on node N3, one product P1 with one GPU per
wafer, market `global`, scenario `base`, every cost zero, no lead time, utilization 1, one year
(2025) at discount rate 0. Optional files (shipping, energy, partners, ...) are written only when
given. Numbers are written with `repr`, so what a test computes with is exactly what is read.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pandas as pd

DEFAULT_PARAMETERS: dict[str, object] = {
    "first_year": 2025,
    "last_year": 2025,
    "discount_rate": 0.0,
    "unmet_penalty_usd_per_gpu": 1_000_000.0,
}

Params = Mapping[str, object]
RowDefaults = Callable[[Params], dict[str, object]]

# Per file: the columns every row gets unless the test gives them (a function of the parameters,
# so years default to the horizon). Columns with no default must be given by the test.
ROW_DEFAULTS: dict[str, RowDefaults] = {
    "sites": lambda p: {
        "site": "S1",
        "region": "R1",
        "node": "N3",
        "existing_wspm": 0,
        "max_wspm": 1_000_000,
        "capex_usd_per_wspm": 0,
        "opex_usd_per_wafer": 0,
        "energy_mwh_per_wafer": 0,
        "lead_time_years": 0,
        "first_build_year": p["first_year"],
        "utilization": 1,
    },
    "products": lambda p: {"product": "P1", "node": "N3", "gpus_per_wafer": 1},
    "demand": lambda p: {"scenario": "base", "product": "P1", "market": "global"},
    "scenarios": lambda p: {"scenario": "base", "probability": 1},
    "shipping": lambda p: {"region": "R1", "market": "global", "cost_usd_per_gpu": 0},
    "energy": lambda p: {
        "region": "R1",
        "source": "grid",
        "price_usd_per_mwh": 0,
        "max_mw": 1_000_000,
        "capacity_factor": 1,
        "first_year": p["first_year"],
        "last_year": p["last_year"],
        "co2_t_per_mwh": 0,
    },
    "partners": lambda p: {
        "kind": "investor",
        "max_commitment_musd": None,  # empty cell: no limit
        "cost_of_capital": p["discount_rate"],
        "min_share": 0,
        "max_share": 1,
    },
    "partner_regions": lambda p: {"region": "R1"},
    "regions": lambda p: {"region": "R1", "from_year": p["first_year"]},
}

# Written even when the test does not mention them (the required files of the contract).
REQUIRED_DEFAULTS: dict[str, list[dict[str, object]]] = {
    "sites": [{}],
    "products": [{}],
    "demand": [{"year": None, "gpus": 0}],  # year None: the first year
}


def write_case(path: Path | str, **tables: object) -> Path:
    """Write a data folder into `path` (created) and return it; see the module docstring."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    given = tables.pop("parameters", None) or {}
    params = {**DEFAULT_PARAMETERS, **(given if isinstance(given, Mapping) else {})}
    if isinstance(given, str):
        (path / "parameters.csv").write_text(given, encoding="utf-8")
    else:
        _write(path / "parameters.csv", _parameters_frame(params))
    for stem, rows in REQUIRED_DEFAULTS.items():
        tables.setdefault(stem, rows)
    for stem, value in tables.items():
        if value is None:
            continue
        target = path / f"{stem}.csv"
        if isinstance(value, str):
            target.write_text(value, encoding="utf-8")
            continue
        _write(target, table_frame(stem, value, params))
    return path


def table_frame(stem: str, value: object, params: Params) -> pd.DataFrame:
    """The DataFrame written for `stem`: rows completed with the file's defaults."""
    if stem == "demand" and isinstance(value, Mapping):
        value = [{"year": year, "gpus": gpus} for year, gpus in value.items()]
    defaults = ROW_DEFAULTS.get(stem, lambda p: {})(params)
    if isinstance(value, pd.DataFrame):
        frame = value.copy()
        for column, default in defaults.items():
            if column not in frame.columns:
                frame[column] = [default] * len(frame)
        return frame
    if not isinstance(value, list | tuple):
        raise TypeError(f"{stem}: expected rows, a DataFrame or CSV text, got {type(value)}")
    # a key absent from a row takes the default; a key given as None writes an empty cell
    rows = [{**defaults, **row} for row in value]
    if stem == "demand":
        rows = [
            {**r, "year": params["first_year"] if r.get("year") is None else r["year"]}
            for r in rows
        ]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return pd.DataFrame(rows, columns=columns).astype(object)


def _parameters_frame(params: Params) -> pd.DataFrame:
    return pd.DataFrame({"name": list(params), "value": list(params.values())})


def _write(target: Path, frame: pd.DataFrame) -> None:
    text = frame.map(_cell).to_csv(index=False, lineterminator="\n")
    target.write_text(text, encoding="utf-8")


def _cell(value: object) -> str:
    """Exact text for a number (repr), empty for None/NaN/inf (the contract's 'no limit')."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, list | tuple):
        return ";".join(_cell(v) for v in value)
    return str(value)


# --- solving a case in a test ------------------------------------------------------------------

# the default data as it was before issue 12 (logic wafers only: no recipes, tools or process
# groups): the reference for "without the new files, results are unchanged"
LOGIC_ONLY = Path(__file__).resolve().parent / "data" / "logic_only"
# the default data as issue 12 left it (supply chain, no issue-13 economics files): base objective
# USD 691,373,817,018.83; the reference for "without the issue-13 files, results are unchanged"
SUPPLY_CHAIN = Path(__file__).resolve().parent / "data" / "supply_chain"
SUPPLY_CHAIN_OBJECTIVE_USD = 691_373_817_018.83
COSTS_REL_TOL = 1e-6  # costs.csv components must sum to objective_usd within this (plan tables)


def solve_and_verify(data_dir: Path, tmp_path: Path, **request: object):
    """Solve `data_dir` into a fresh plan folder under `tmp_path`, then verify the plan.

    Every solve in the suite goes through here: the plan must pass the independent checker
    (`optimizer.verify.verify_plan`, pandas only) and its cost components must add up to the
    objective. Keyword arguments are SolveRequest fields (overrides, scenario, ...); reports are
    off so the tests do not depend on the report generator. Returns the SolveResult.
    """
    import pytest

    from optimizer.run import SolveRequest, run_solve
    from optimizer.verify import verify_plan

    tmp_path = Path(tmp_path)
    n = len(list(tmp_path.glob("plan-*")))
    request.setdefault("out_dir", tmp_path / f"plan-{n}")
    request.setdefault("report_formats", ())
    result = run_solve(SolveRequest(data_dir=Path(data_dir), **request))
    assert result.summary["status"] == "optimal", result.summary["termination"]
    check = verify_plan(result.out_dir)
    if not check.ok:
        pytest.fail(
            f"verify found {len(check.violations)} violation(s) in {result.out_dir}:\n"
            + "\n".join(check.violations)
        )
    objective = result.summary["objective_usd"]
    total = float(result.tables["costs"]["npv_usd"].sum())
    assert total == pytest.approx(objective, rel=COSTS_REL_TOL, abs=1e-9), (
        f"costs.csv sums to {total}, objective_usd is {objective}"
    )
    return result


def fabplan(
    *args: object, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run the `fabplan` command line in a fresh process, as a user would; plain wide output."""
    return subprocess.run(
        [sys.executable, "-m", "optimizer", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "400"},
        timeout=timeout,
    )


# Python source of a HiGHS model `h` that branch and bound needs minutes for: tests that signal a
# run stuck in the solver build it in a subprocess (it needs `import highspy, numpy as np`).
MARKET_SPLIT_MIP = """\
# a market-split MIP (Cornuejols-Dawande): branch and bound needs far longer than the test waits
rng = np.random.default_rng(0)
a = rng.integers(0, 100, size=(4, 30))
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("time_limit", 120.0)
h.setOptionValue("threads", 1)
x = [h.addBinary() for _ in range(30)]
for i in range(4):
    h.addConstr(sum(int(a[i, j]) * x[j] for j in range(30)) == int(a[i].sum() // 2))
"""


# --- comparing hand numbers with a plan -----------------------------------------------------------

HAND_REL = 1e-6  # hand numbers vs the solver: LP optima are vertices, so they agree to rounding


def approx(x: float, abs_: float = 1e-6):
    """pytest.approx at the tolerance hand-computed expectations are held to."""
    import pytest

    return pytest.approx(x, rel=HAND_REL, abs=abs_)


def value(table: pd.DataFrame, column: str, **where: object) -> float:
    """Sum of `column` over the rows matching `where` (0 when no row matches)."""
    mask = pd.Series(True, index=table.index)
    for key, wanted in where.items():
        mask &= table[key] == wanted
    return float(table.loc[mask, column].sum())
