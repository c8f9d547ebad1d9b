"""Load a data folder into a validated Case, or raise InputError listing every problem.

Steps: read each known CSV (csvio), apply the --set overrides of its columns to the raw text
(overrides), type its columns and check it alone (convert), read the parameters and apply their
--set overrides (params), check across files (checks), and only when no error was found build
the Case, synthesising the optional tables that are absent. Problems at a cell or row that an
override changed say so. Reads files only; writes nothing.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path

import pandas as pd

import optimizer
from optimizer.errors import InputError, Problem
from optimizer.inputs.capital_checks import with_market
from optimizer.inputs.case import IMPLICIT_PARTNER, Case, Params
from optimizer.inputs.checks import Inputs, cross_check
from optimizer.inputs.convert import convert_table, did_you_mean
from optimizer.inputs.csvio import BAD, LINE, printable, read_table
from optimizer.inputs.overrides import (
    SET,
    Applied,
    apply_to_table,
    from_mapping,
    unknown_file_problems,
)
from optimizer.inputs.params import load_params
from optimizer.inputs.policy_inputs import split_regions
from optimizer.inputs.recipes import (
    SYNTHESISED,
    case_processes,
    derived_recipes,
    filled_products,
)
from optimizer.inputs.schema import (
    CAPITAL_TRANCHES,
    FILES,
    OPERATORS,
    PARAMETERS,
    PARTNER_REGIONS,
    PRODUCTS,
    PRODUCTS_WITH_RECIPES,
    REGIONS,
    SITE_OPERATORS,
    SUBSIDIES,
    SUPPLY_OFFERS,
    TOOL_USE,
    TOOLS,
    YIELDS,
    FileSpec,
)

_DOC_SUFFIXES = {".md", ".txt", ".rst", ".pdf", ".html"}


def default_data_dir() -> Path:
    """The repository's data/ folder (the package is installed editable next to it)."""
    return Path(optimizer.__file__).resolve().parents[1] / "data"


def load_case(data_dir: Path, overrides: dict[str, str] | None = None) -> Case:
    """Read, type, default and validate a data folder; raise InputError with every problem."""
    data_dir = Path(data_dir)
    overrides = dict(overrides or {})
    if not data_dir.is_dir():
        what = "does not exist" if not os.path.lexists(data_dir) else _what_is(data_dir)
        raise InputError(
            [
                Problem(
                    printable(data_dir),
                    None,
                    None,
                    None,
                    "expected a folder holding the CSV files described in data/README.md "
                    f"(it {what})",
                )
            ]
        )
    items, problems = from_mapping(overrides)
    by_file = {name: [ov for ov in items if ov.file == name] for name in FILES}
    applied = Applied({})
    warnings = _unknown_files(data_dir)
    tables: dict[str, pd.DataFrame | None] = {}
    files: dict[str, Path] = {}
    with_recipes = _not_a_readable_file(data_dir / "recipes.csv") is None
    for name, spec in FILES.items():
        if spec is PRODUCTS and with_recipes:  # node, gpus_per_wafer come from the final stage
            spec = PRODUCTS_WITH_RECIPES
        path = data_dir / name
        unusable = _not_a_readable_file(path)
        if unusable is not None:
            if unusable:  # present but not a file: never taken for absent
                if not spec.required:
                    unusable += " (remove it to leave this optional file out)"
                problems.append(Problem(name, None, None, None, unusable))
            elif spec.required:
                problems.append(
                    Problem(
                        name,
                        None,
                        None,
                        None,
                        f"required file is missing from {printable(data_dir)}",
                    )
                )
            if spec.required or unusable:
                tables[name] = None  # required: present or not, nothing refers to it blindly
            continue
        files[name] = path.resolve()
        raw, found = read_table(path, name)
        problems += found
        if raw is None:
            tables[name] = None
            continue
        if spec is not PARAMETERS:  # parameters are overridden by name (params)
            problems += apply_to_table(raw, spec, by_file[name], applied)
        tables[name], found = convert_table(raw, spec)
        problems += found
        if spec.required and spec is not PARAMETERS and tables[name].empty:
            problems.append(
                Problem(
                    name, raw.header_line, None, None, "expected at least one row below the header"
                )
            )
            tables[name] = None  # nothing to refer to: references to it are not reported
    problems += unknown_file_problems(items, set(files))
    params = load_params(tables.get("parameters.csv"), [ov for ov in items if ov.file is None])
    problems += params.problems
    warnings += params.warnings
    findings = cross_check(Inputs(tables, params.values, params.origins))
    problems += findings.errors
    warnings += findings.warnings
    problems, warnings = _tidy(applied.annotate(problems)), _tidy(applied.annotate(warnings))
    if problems:
        raise InputError(problems, warnings)
    return _build(data_dir, tables, params.values, files, warnings, overrides)


def _not_a_readable_file(path: Path) -> str | None:
    """None for a readable regular file (or a link to one), "" when nothing is at `path`, else
    what is there instead, as the message for the user.

    Only stat calls: a FIFO is never opened (reading one would block until a writer comes).
    An optional file that is a folder, a FIFO, a device or a dangling link is an error, not an
    absent file: a `shipping.csv` folder must not silently remove every export-control lane.
    """
    try:
        os.lstat(path)
    except FileNotFoundError:
        return ""
    except OSError as e:
        return f"expected a readable CSV file; {printable(path)} cannot be examined: {e.strerror}"
    try:
        mode = os.stat(path).st_mode
    except OSError as e:  # a link to nothing, or a loop of links
        target = printable(os.readlink(path)) if os.path.islink(path) else "?"
        why = "does not exist" if isinstance(e, FileNotFoundError) else "cannot be followed"
        return (
            f"expected a readable CSV file; {printable(path)} is a symbolic link to {target}, "
            f"which {why}"
        )
    if not stat.S_ISREG(mode):
        return f"expected a readable CSV file; {printable(path)} {_what_is(path)}"
    if not os.access(path, os.R_OK):
        return f"expected a readable CSV file; {printable(path)} cannot be read (permission denied)"
    return None


def _what_is(path: Path) -> str:
    """'is a folder', 'is a FIFO (named pipe)', ... for a path that exists."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "is a symbolic link that leads nowhere"
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISREG, "a file"),
    ]
    return "is " + next((what for test, what in kinds if test(mode)), "not a regular file")


def _unknown_files(data_dir: Path) -> list[Problem]:
    """Files fabplan does not read (a misspelt name would otherwise be silently ignored)."""
    warnings = []
    for path in sorted(data_dir.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.name in FILES:
            continue
        if path.suffix.lower() in _DOC_SUFFIXES:
            continue
        same = next((k for k in FILES if k.lower() == path.name.lower()), None)
        if same:
            expected = f"did you mean {same}? (names are case-sensitive)"
        else:
            expected = f"fabplan reads only {', '.join(FILES)}{did_you_mean(path.name, FILES)}"
        warnings.append(
            Problem(
                printable(path.name),
                None,
                None,
                None,
                f"unknown file, ignored: {expected}",
                "warning",
            )
        )
    return warnings


def _rank(p: Problem) -> tuple[int, int]:
    order = [SET, *FILES]
    file_rank = order.index(p.file) + 1 if p.file in order else 0 if p.line is None else len(order)
    return file_rank, -1 if p.line is None else p.line


def _tidy(problems: list[Problem]) -> list[Problem]:
    """One problem per cell (the first found), sorted by file then line."""
    seen: set = set()
    kept = []
    for p in problems:
        key = (p.file, p.line, p.column) if p.line is not None and p.column else p
        if key not in seen:
            seen.add(key)
            kept.append(p)
    return sorted(kept, key=_rank)


# --- building the Case ------------------------------------------------------------------------


def _build(
    data_dir: Path,
    tables: dict[str, pd.DataFrame | None],
    values: dict[str, object],
    files: dict[str, Path],
    warnings: list[Problem],
    overrides: dict[str, str],
) -> Case:
    t = {name: _final(df, FILES[name]) for name, df in tables.items() if df is not None}
    demand = t["demand.csv"]
    scenarios = t.get("scenarios.csv")
    if scenarios is None:
        names = list(dict.fromkeys(demand["scenario"]))
        scenarios = _synthesised(
            {"scenario": names, "probability": [1.0 / len(names)] * len(names), "description": ""}
        )
    params = Params(
        first_year=values["first_year"],
        last_year=values["last_year"],
        discount_rate=values["discount_rate"],
        unmet_penalty_usd_per_gpu=values["unmet_penalty_usd_per_gpu"],
        carbon_price_usd_per_t=values["carbon_price_usd_per_t"],
        asset_life_years=values["asset_life_years"],
        default_scenario=values["default_scenario"] or str(demand["scenario"].iloc[0]),
        ramp_up=values["ramp_up"],
        market_cost_of_capital=values.get("market_cost_of_capital"),
        capital_budget_musd=_budget(values.get("capital_budget_musd")),
        stage_year=None if values.get("stage_year") is None else int(values["stage_year"]),
    )
    sites = t["sites.csv"]
    shipping = t.get("shipping.csv")
    if shipping is None:
        lanes = pd.MultiIndex.from_product(
            [list(dict.fromkeys(sites["region"])), sorted(demand["market"].unique())]
        )
        shipping = _synthesised(
            {
                "region": lanes.get_level_values(0),
                "market": lanes.get_level_values(1),
                "cost_usd_per_gpu": 0.0,
            }
        )
    partners = t.get("partners.csv")
    if partners is None:
        partners = _synthesised(
            {
                "partner": [IMPLICIT_PARTNER],
                "kind": "implicit",
                "max_commitment_musd": math.inf,
                "cost_of_capital": params.discount_rate,
                "min_share": 0.0,
                "max_share": 1.0,
            }
        )
    partners = with_market(partners, params.market_cost_of_capital)
    recipes = t.get("recipes.csv")
    if recipes is None:
        recipes, products = derived_recipes(t["products.csv"]), t["products.csv"]
    else:
        recipes = recipes.assign(final=recipes["final"] == 1)
        products = filled_products(t["products.csv"], recipes)
    caps, floors = split_regions(t.get("regions.csv", _empty(REGIONS)))
    return Case(
        data_dir=data_dir.resolve(),
        params=params,
        sites=sites,
        products=products,
        demand=demand,
        scenarios=scenarios,
        shipping=shipping,
        energy=t.get("energy.csv"),
        partners=partners,
        partner_regions=t.get("partner_regions.csv", _empty(PARTNER_REGIONS)),
        regions=caps,
        min_shares=floors,
        recipes=recipes,
        yields=t.get("yields.csv", _empty(YIELDS)),
        processes=case_processes(t.get("processes.csv"), sites, recipes),
        tools=t.get("tools.csv", _empty(TOOLS)),
        tool_use=t.get("tool_use.csv", _empty(TOOL_USE)),
        subsidies=t.get("subsidies.csv", _empty(SUBSIDIES)),
        supply_offers=t.get("supply_offers.csv", _empty(SUPPLY_OFFERS)),
        capital_tranches=t.get("capital_tranches.csv", _empty(CAPITAL_TRANCHES)),
        slices=t.get("slices.csv"),
        availability=t.get("availability.csv"),
        generation=t.get("generation.csv"),
        storage=t.get("storage.csv"),
        operators=t.get("operators.csv", _empty(OPERATORS)),
        site_operators=t.get("site_operators.csv", _empty(SITE_OPERATORS)),
        files=files,
        warnings=warnings,
        overrides=overrides,
    )


def _budget(value: object) -> float:
    """capital_budget_musd: None (blank or absent) is no budget."""
    return math.inf if value is None else float(value)


def _final(df: pd.DataFrame, spec: FileSpec) -> pd.DataFrame:
    """Contract columns with their final types (whole numbers as int64), plus LINE."""
    out = df.drop(columns=[BAD]).reset_index(drop=True)
    for col in spec.columns:
        if col.kind in ("integer", "year"):
            out[col.name] = out[col.name].astype("int64")
    return out[[*spec.column_names, LINE]]


def _synthesised(columns: dict[str, object]) -> pd.DataFrame:
    df = pd.DataFrame(columns)
    df[LINE] = SYNTHESISED
    return df


def _empty(spec: FileSpec) -> pd.DataFrame:
    dtypes = {
        c.name: "int64" if c.kind in ("integer", "year") else "float64" if c.numeric else "str"
        for c in spec.columns
    }
    return pd.DataFrame(
        {name: pd.Series([], dtype=t) for name, t in {**dtypes, LINE: "int64"}.items()}
    )
