"""Cross-file checks of the supply-chain files (issue 12): recipes, yields, processes, tools,
tool_use and the regions.csv process column.

A recipe stage whose process no site runs is an error (no GPU of that product could ever be
made, which a user never wants silently); an unused processes.csv row or tools.csv without
tool_use.csv is only a warning (nothing is wrong, something is merely unused).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from optimizer.inputs.convert import did_you_mean
from optimizer.inputs.csvio import BAD, LINE
from optimizer.inputs.recipes import DEFAULT_GROUP
from optimizer.inputs.references import Noted, each, ids, known_text, lines_text, rows

if TYPE_CHECKING:
    from optimizer.inputs.checks import Findings, Inputs

RATIO_TOLERANCE = 1e-9  # products.csv gpus_per_wafer against per_wafer/per_gpu, relative


def has_recipes(inp: Inputs) -> bool:
    return "recipes.csv" in inp.tables


def needed_processes(inp: Inputs) -> set[str] | None:
    """The processes some product needs (recipes.csv, else products.csv node); None: unknown."""
    if has_recipes(inp):
        return ids(inp, "recipes.csv", "process")
    return ids(inp, "products.csv", "node")


def check_supply_chain(inp: Inputs, horizon: tuple[int, int] | None, found: Findings) -> None:
    """Every check of the supply-chain files that are present."""
    run = ids(inp, "sites.csv", "node")
    _recipes(inp, run, found)
    _yields(inp, run, found)
    _processes(inp, run, found)
    _tools(inp, horizon, found)
    _tool_use(inp, run, found)
    _region_processes(inp, run, found)


def _not_run(inp: Inputs, found: Findings, file: str, run: set[str] | None, why: str = "") -> None:
    """An error per row of `file` whose process no site of sites.csv runs."""
    if run is None or file not in inp.tables:
        return
    df = rows(inp.tables.get(file), "process")
    listed = known_text(run)
    for value, line in each(df[~df["process"].isin(run)], "process"):
        found.error(
            file,
            line,
            "process",
            value,
            f"expected a process some site of sites.csv runs (its node column){why}"
            f"{did_you_mean(value, run)} ({listed})",
        )


def _recipes(inp: Inputs, run: set[str] | None, found: Findings) -> None:
    f = "recipes.csv"
    if not has_recipes(inp) or inp.tables.get(f) is None:
        return
    recipes = inp.tables[f]
    products = ids(inp, "products.csv", "product")
    if products is not None:
        df = rows(recipes, "product")
        for value, line in each(df[~df["product"].isin(products)], "product"):
            found.error(
                f,
                line,
                "product",
                value,
                f"expected a product of products.csv{did_you_mean(value, products)} "
                f"({known_text(products)})",
            )
    _not_run(inp, found, f, run, ": otherwise no GPU of this product can be made")
    finals = rows(recipes, "product", "process", "final", "per_wafer", "per_gpu")
    finals = finals[finals["final"] == 1]
    again = finals[finals.duplicated("product")]
    first = finals.drop_duplicates("product").set_index("product")[LINE]
    for value, product, line in each(again, "final", "product"):
        found.error(
            f,
            line,
            "final",
            value,
            f"expected exactly one final row per product; line {int(first[product])} is already "
            f"the final stage of {product}",
        )
    if recipes["product"].isna().any():
        return  # a stage's product is unreadable: which products lack stages cannot be known
    _products_against(inp, recipes, finals.drop_duplicates("product"), found)


def _products_against(
    inp: Inputs, recipes: pd.DataFrame, finals: pd.DataFrame, found: Findings
) -> None:
    """Each product has stages and a final one; its node and gpus_per_wafer, where given,
    are those of the final stage. A product with an unreadable `final` cell (reported already)
    is not said to lack a final stage."""
    f = "products.csv"
    products = inp.tables.get(f)
    if products is None:
        return
    df = rows(products, "product")
    staged = set(recipes["product"])
    df = df[~df["product"].isin(set(recipes.loc[recipes["final"].isna(), "product"]))]
    for value, line in each(df[~df["product"].isin(staged)], "product"):
        found.error(
            f, line, "product", value, "expected rows of this product in recipes.csv (its stages)"
        )
    unfinished = df[df["product"].isin(staged) & ~df["product"].isin(set(finals["product"]))]
    for value, line in each(unfinished, "product"):
        found.error(
            f,
            line,
            "product",
            value,
            "expected exactly one final row (final 1) of this product in recipes.csv: "
            "the stage that assembles the GPU",
        )
    final = finals.set_index("product")
    given = products[~products[BAD] & products["product"].isin(final.index)]
    node = given[given["node"].fillna("") != ""]
    node = node.assign(want=node["product"].map(final["process"]))
    for value, want, line in each(node[node["node"] != node["want"]], "node", "want"):
        found.error(
            f,
            line,
            "node",
            value,
            f"expected the final process of the product's recipe ({want}), or an empty cell",
        )
    ratio = given.dropna(subset=["gpus_per_wafer"])
    want = ratio["product"].map(final["per_wafer"] / final["per_gpu"])
    off = ~pd.Series(
        [
            math.isclose(a, b, rel_tol=RATIO_TOLERANCE)
            for a, b in zip(ratio["gpus_per_wafer"], want, strict=True)
        ],
        index=ratio.index,
        dtype=bool,
    )
    for value, expect, line in each(ratio.assign(want=want)[off], "gpus_per_wafer", "want"):
        found.error(
            f,
            line,
            "gpus_per_wafer",
            value,
            f"expected per_wafer/per_gpu of the product's final stage in recipes.csv "
            f"({expect:.10g}), or an empty cell",
        )


def _yields(inp: Inputs, run: set[str] | None, found: Findings) -> None:
    f = "yields.csv"
    needed = needed_processes(inp)
    if f not in inp.tables or needed is None or run is None:
        return
    known = needed | run
    df = rows(inp.tables.get(f), "process")
    for value, line in each(df[~df["process"].isin(known)], "process"):
        found.error(
            f,
            line,
            "process",
            value,
            f"expected a process of recipes.csv or sites.csv{did_you_mean(value, known)} "
            f"({known_text(known)})",
        )


def _processes(inp: Inputs, run: set[str] | None, found: Findings) -> None:
    f = "processes.csv"
    needed = needed_processes(inp)
    if f not in inp.tables or needed is None or run is None:
        return
    df = rows(inp.tables.get(f), "process")
    idle = df[~df["process"].isin(needed | run)]
    if idle.empty:
        return
    lines = [int(n) for n in idle[LINE]]
    names = ", ".join(idle["process"].tolist())
    found.warnings.append(
        Noted(
            f,
            lines[0],
            "process",
            idle["process"].iloc[0],
            f"no site runs and no recipe names {names}: the row is unused",
            "warning",
            lines_text(f, lines),
        )
    )


def _tools(inp: Inputs, horizon: tuple[int, int] | None, found: Findings) -> None:
    f = "tools.csv"
    if f not in inp.tables:
        return
    if "tool_use.csv" not in inp.tables:
        found.warn(f, None, None, None, "tool_use.csv is absent: no process uses these tools")
    if horizon is not None:
        df = rows(inp.tables.get(f), "year")
        for value, line in each(df[df["year"] > horizon[1]], "year"):
            found.warn(f, line, "year", value, f"after last_year ({horizon[1]}): ignored")


def _tool_use(inp: Inputs, run: set[str] | None, found: Findings) -> None:
    f = "tool_use.csv"
    if f not in inp.tables:
        return
    _not_run(inp, found, f, run)
    if "tools.csv" not in inp.tables:
        found.error(f, None, None, None, "tool_use.csv needs tools.csv: the supply of each tool")
        return
    supplied = ids(inp, "tools.csv", "tool")
    if supplied is None:
        return
    df = rows(inp.tables.get(f), "tool")
    for value, line in each(df[~df["tool"].isin(supplied)], "tool"):
        found.error(
            f,
            line,
            "tool",
            value,
            f"no supply of tool {value}: add it to tools.csv{did_you_mean(value, supplied)}",
        )


def _region_processes(inp: Inputs, run: set[str] | None, found: Findings) -> None:
    f = "regions.csv"
    if f not in inp.tables or run is None:
        return
    groups = {DEFAULT_GROUP}
    if "processes.csv" in inp.tables:
        listed = ids(inp, "processes.csv", "group")
        if listed is None:
            return
        groups |= listed
    known = run | groups
    df = rows(inp.tables.get(f), "process")
    for spec, line in each(df[df["process"].str.strip() != ""], "process"):
        for part in (p.strip() for p in spec.split(";")):
            if part not in known:
                found.error(
                    f,
                    line,
                    "process",
                    part,
                    "expected a process some site runs or a group of processes.csv, several "
                    f"separated by ';'{did_you_mean(part, known)} ({known_text(known)})",
                )
