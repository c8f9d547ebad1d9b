"""Express an OR-Library capacitated warehouse location instance in fabplan's data contract.

Beasley (1988), "An algorithm for solving large capacitated warehouse location problems",
EJOR 33, 314-325; files cap41 ... cap134, capa, capb, capc. The model the published optima refer
to (a customer's demand may be split):

    min  sum_i f_i y_i + sum_ij c_ij x_ij
    s.t. sum_i x_ij = 1 (every customer j),  sum_j d_j x_ij <= s_i y_i (every warehouse i),
         0 <= x_ij <= 1,  y_i binary.

It is the special case of fabplan's model with one year, one product and one node:

- warehouse i -> a candidate site in a region of its own, nothing existing, max_wspm = s_i/12 and
  utilization 1 (so the most it can make is 12 x 1 x s_i/12 = s_i units a year), capex 0, opex 0,
  no energy, lead time 0, first build year = the year, fixed_cost_usd_per_year = f_i. The site
  must be built to have capacity, and in integer mode open[s,t] is binary with
  build <= max_wspm x open, so y_i = open;
- customer j -> a market with demand d_j of a product with gpus_per_wafer = 1 (one unit = one
  wafer = one GPU), so make[i,j] = d_j x_ij;
- c_ij -> a lane region_i -> market_j at c_ij / d_j per unit, so shipping = sum c_ij x_ij;
- no partners.csv: the implicit partner funds capex, which is 0, so financing costs nothing;
- discount rate 0, so the one year's costs are counted at face value.

The objective of `fabplan solve --integer --mip-gap 0` on the converted case is then the
published optimum (the unmet-demand penalty is never used, see `unmet_penalty`).

Usage: python benchmarks/orlib.py INSTANCE OUT_DIR [--capacity VALUE] [--solve]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

YEAR = 2025  # any single year: the instance has no time dimension
SCENARIO = "base"
PRODUCT = "goods"
NODE = "warehouse"
CAPACITY_WORD = "capacity"  # capa/capb/capc write this word instead of each capacity

# Published optima (OR-Library file capopt, Beasley 1988), used to label benchmark runs.
# cap41 and cap71 are listed in ../shared/validation/README.md and are the ones the tests
# reproduce. The others are capopt as transcribed in public code (not in the shared folder):
# the cap41-cap134 values agree between two independent transcriptions; capa/capb/capc are
# keyed by the capacity substituted for the word `capacity` (capa 8000-14000, capb 5000-8000,
# capc 5000-7250, the values of Beasley's Table 1), from one transcription, with capa 8000 and
# capb 5000 confirmed by a second. capb 5000 and capc 5000 were reproduced exactly by fabplan.
PUBLISHED_OPTIMA: dict[tuple[str, float | None], float] = {
    ("cap41", None): 1040444.375,
    ("cap42", None): 1098000.450,
    ("cap43", None): 1153000.450,
    ("cap44", None): 1235500.450,
    ("cap51", None): 1025208.225,
    ("cap61", None): 932615.750,
    ("cap62", None): 977799.400,
    ("cap63", None): 1014062.050,
    ("cap64", None): 1045650.250,
    ("cap71", None): 932615.750,
    ("cap72", None): 977799.400,
    ("cap73", None): 1010641.450,
    ("cap74", None): 1034976.975,
    ("cap81", None): 838499.288,
    ("cap82", None): 910889.563,
    ("cap83", None): 975889.563,
    ("cap84", None): 1069369.525,
    ("cap91", None): 796648.438,
    ("cap92", None): 855733.500,
    ("cap93", None): 896617.538,
    ("cap94", None): 946051.325,
    ("cap101", None): 796648.437,
    ("cap102", None): 854704.200,
    ("cap103", None): 893782.112,
    ("cap104", None): 928941.750,
    ("cap111", None): 826124.713,
    ("cap112", None): 901377.213,
    ("cap113", None): 970567.750,
    ("cap114", None): 1063356.488,
    ("cap121", None): 793439.563,
    ("cap122", None): 852524.625,
    ("cap123", None): 895302.325,
    ("cap124", None): 946051.325,
    ("cap131", None): 793439.562,
    ("cap132", None): 851495.325,
    ("cap133", None): 893076.712,
    ("cap134", None): 928941.750,
    ("capa", 8000.0): 19240822.449,
    ("capa", 10000.0): 18438046.543,
    ("capa", 12000.0): 17765201.949,
    ("capa", 14000.0): 17160439.012,
    ("capb", 5000.0): 13656379.578,
    ("capb", 6000.0): 13361927.449,
    ("capb", 7000.0): 13198556.434,
    ("capb", 8000.0): 13082516.496,
    ("capc", 5000.0): 11646596.974,
    ("capc", 5750.0): 11570340.289,
    ("capc", 6500.0): 11518743.744,
    ("capc", 7250.0): 11505767.394,
}


class InstanceError(ValueError):
    """The instance file does not follow the OR-Library capacitated warehouse format."""


@dataclass(frozen=True)
class Instance:
    """One capacitated warehouse location instance (m warehouses, n customers)."""

    name: str
    capacity: np.ndarray  # s_i, shape (m,)
    fixed_cost: np.ndarray  # f_i, shape (m,)
    demand: np.ndarray  # d_j, shape (n,)
    cost: np.ndarray  # c_ij: cost of serving all of customer j from warehouse i, shape (m, n)

    @property
    def m(self) -> int:
        return len(self.capacity)

    @property
    def n(self) -> int:
        return len(self.demand)


def parse_instance(path: Path, capacity: float | None = None) -> Instance:
    """Read an instance file; `capacity` replaces the word `capacity` (capa/capb/capc).

    Whitespace tokens only: line breaks carry no meaning in the format.
    """
    path = Path(path)
    tokens = path.read_text().split()
    if len(tokens) < 2:
        raise InstanceError(f"{path}: expected 'm n' at the start, found {len(tokens)} tokens")
    m, n = _count(path, tokens[0], "m"), _count(path, tokens[1], "n")
    expected = 2 + 2 * m + n * (1 + m)
    if len(tokens) != expected:
        raise InstanceError(
            f"{path}: {m} warehouses and {n} customers need {expected} tokens "
            f"(2 + 2m + n(1+m)), found {len(tokens)}"
        )
    head = np.array(tokens[2 : 2 + 2 * m], dtype=object).reshape(m, 2)
    words = head[:, 0] == CAPACITY_WORD
    if words.any() and capacity is None:
        raise InstanceError(
            f"{path}: capacities are the word '{CAPACITY_WORD}'; give one with --capacity VALUE "
            "(Beasley's Table 1 uses e.g. 8000-14000 for capa, 5000-8000 for capb)"
        )
    if not words.any() and capacity is not None:
        raise InstanceError(f"{path}: capacities are numbers; --capacity applies only to the word")
    head[words, 0] = capacity
    body = np.array(tokens[2 + 2 * m :], dtype=float).reshape(n, 1 + m)
    inst = Instance(
        name=path.stem,
        capacity=head[:, 0].astype(float),
        fixed_cost=head[:, 1].astype(float),
        demand=body[:, 0].copy(),
        cost=body[:, 1:].T.copy(),
    )
    _check(path, inst)
    return inst


def _count(path: Path, token: str, what: str) -> int:
    try:
        value = int(token)
    except ValueError:
        raise InstanceError(f"{path}: {what} must be a whole number, found {token!r}") from None
    if value <= 0:
        raise InstanceError(f"{path}: {what} must be positive, found {value}")
    return value


def _check(path: Path, inst: Instance) -> None:
    """The conversion (cost per unit c_ij/d_j, penalty argument) needs these properties."""
    problems = []
    if (inst.demand <= 0).any():
        problems.append("every demand d_j must be > 0 (the cost per unit is c_ij / d_j)")
    if (inst.capacity < 0).any() or (inst.fixed_cost < 0).any() or (inst.cost < 0).any():
        problems.append("capacities, fixed costs and costs must be >= 0")
    if inst.capacity.sum() < inst.demand.sum():
        problems.append(
            f"total capacity {inst.capacity.sum():g} is below total demand "
            f"{inst.demand.sum():g}: the instance has no solution"
        )
    whole = np.concatenate([inst.demand, inst.capacity])
    if not np.array_equal(whole, np.round(whole)):
        problems.append("demands and capacities must be whole numbers (see unmet_penalty)")
    if problems:
        raise InstanceError(f"{path}: " + "; ".join(problems))


def unmet_penalty(inst: Instance) -> float:
    """A penalty P per unit of unmet demand that an optimal plan never pays.

    Take a plan with warehouses Y open (capacity cap(Y)) and U > 0 of the total demand D unmet;
    total capacity is at least D (checked). The plan serves D - U <= cap(Y), so the open
    warehouses have room for all but N = max(0, D - cap(Y)) <= U of the unmet units. N is a
    whole number because demands and capacities are (checked), so N >= 1 when it is not 0.
    Serve the U units instead: each costs at most c_max = max_ij c_ij/d_j to ship, and for the N
    beyond the room open closed warehouses one at a time, each taking min(s_i, what is left)
    >= 1 unit, so at most N are opened at f_max = max_i f_i each. The cost changes by at most
    U (c_max - P) + N f_max = N (f_max + c_max - P) + (U - N)(c_max - P), which is < 0 when
    P > f_max + c_max (N >= 1 or U - N > 0). So no plan with unmet demand is optimal, and the
    optimum of the converted case is the CWLP optimum. We take 2 (f_max + c_max) + 1.
    """
    c_max = float((inst.cost / inst.demand[None, :]).max())
    f_max = float(inst.fixed_cost.max())
    return 2.0 * (f_max + c_max) + 1.0


def _number(x: float) -> str:
    """Shortest text that reads back as exactly the same float (what we compute is what is read)."""
    return repr(float(x))


def _ids(prefix: str, count: int) -> list[str]:
    width = len(str(count))
    return [f"{prefix}{k:0{width}d}" for k in range(1, count + 1)]


def site_ids(inst: Instance) -> list[str]:
    """Site of warehouse i (in file order): w1..wm, zero-padded."""
    return _ids("w", inst.m)


def region_ids(inst: Instance) -> list[str]:
    """Region of warehouse i (in file order, one site each): r1..rm, zero-padded."""
    return _ids("r", inst.m)


def market_ids(inst: Instance) -> list[str]:
    """Market of customer j (in file order): c1..cn, zero-padded."""
    return _ids("c", inst.n)


def case_tables(inst: Instance) -> dict[str, pd.DataFrame]:
    """The data folder's tables (file name -> DataFrame)."""
    sites = site_ids(inst)
    regions = region_ids(inst)
    markets = market_ids(inst)
    params = pd.DataFrame(
        {
            "name": ["first_year", "last_year", "discount_rate", "unmet_penalty_usd_per_gpu"],
            "value": [str(YEAR), str(YEAR), "0", _number(unmet_penalty(inst))],
            "description": [
                "one year: the instance has no time dimension",
                "one year",
                "costs counted at face value",
                "never used by an optimal plan: > max f_i + max c_ij/d_j (benchmarks/orlib.py)",
            ],
        }
    )
    site_table = pd.DataFrame(
        {
            "site": sites,
            "region": regions,
            "node": NODE,
            "existing_wspm": 0.0,
            # 12 x utilization x max_wspm = s_i units a year
            "max_wspm": inst.capacity / 12.0,
            "capex_usd_per_wspm": 0.0,
            "opex_usd_per_wafer": 0.0,
            "energy_mwh_per_wafer": 0.0,
            "lead_time_years": 0,
            "first_build_year": YEAR,
            "utilization": 1.0,
            "fixed_cost_usd_per_year": inst.fixed_cost,
        }
    )
    products = pd.DataFrame({"product": [PRODUCT], "node": [NODE], "gpus_per_wafer": [1.0]})
    demand = pd.DataFrame(
        {
            "scenario": SCENARIO,
            "year": YEAR,
            "product": PRODUCT,
            "market": markets,
            "gpus": inst.demand,
        }
    )
    # lane (region_i, market_j) at c_ij / d_j per unit; row-major over (i, j)
    shipping = pd.DataFrame(
        {
            "region": np.repeat(regions, inst.n),
            "market": np.tile(markets, inst.m),
            "cost_usd_per_gpu": (inst.cost / inst.demand[None, :]).ravel(),
        }
    )
    return {
        "parameters.csv": params,
        "sites.csv": site_table,
        "products.csv": products,
        "demand.csv": demand,
        "shipping.csv": shipping,
    }


def write_case(inst: Instance, out_dir: Path) -> Path:
    """Write the instance as a fabplan data folder (floats written in round-trip precision)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, table in case_tables(inst).items():
        table.to_csv(out_dir / name, index=False, float_format=_number)
    return out_dir


def convert(instance: Path, out_dir: Path, capacity: float | None = None) -> Instance:
    """Parse `instance` and write it as a fabplan data folder in `out_dir`."""
    inst = parse_instance(instance, capacity)
    write_case(inst, out_dir)
    return inst


def published_optimum(inst: Instance, capacity: float | None) -> float | None:
    return PUBLISHED_OPTIMA.get((inst.name, None if capacity is None else float(capacity)))


def solve_case(
    data_dir: Path,
    plan_dir: Path,
    time_limit: float | None = None,
    solver_log: Path | None = None,
    threads: int | None = None,
):
    """`fabplan solve --integer --mip-gap 0` on the converted case, without reports."""
    from optimizer.run import SolveRequest, run_solve

    req = SolveRequest(
        data_dir=Path(data_dir),
        out_dir=Path(plan_dir),
        integer=True,
        mip_gap=0.0,
        time_limit=time_limit,
        threads=threads,
        solver_log=solver_log,
        report_formats=(),
    )
    return run_solve(req)


def main(argv: list[str] | None = None) -> int:
    from optimizer.errors import InputError, NoPlanError

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instance", type=Path, help="OR-Library file, e.g. cap41.txt or capa.txt")
    ap.add_argument("out_dir", type=Path, help="data folder to write")
    ap.add_argument("--capacity", type=float, help="value of the word `capacity` (capa/b/c)")
    ap.add_argument("--solve", action="store_true", help="then solve with --integer --mip-gap 0")
    ap.add_argument("--time-limit", type=float, help="seconds, with --solve")
    ap.add_argument("--threads", type=int, help="HiGHS threads, with --solve")
    ap.add_argument("--solver-log", type=Path, help="HiGHS log file, with --solve")
    ap.add_argument("--plan-dir", type=Path, help="plan folder (default OUT_DIR-plan)")
    args = ap.parse_args(argv)
    try:
        inst = convert(args.instance, args.out_dir, args.capacity)
    except (InstanceError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{inst.name}: {inst.m} warehouses x {inst.n} customers -> {args.out_dir}")
    if not args.solve:
        return 0
    plan_dir = args.plan_dir or args.out_dir.with_name(args.out_dir.name + "-plan")
    t0 = time.perf_counter()
    try:
        result = solve_case(args.out_dir, plan_dir, args.time_limit, args.solver_log, args.threads)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        for p in e.problems:
            print(f"  {p}", file=sys.stderr)
        return 2
    except NoPlanError as e:
        print(f"no plan: {e}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - t0
    s = result.summary
    objective = s["objective_usd"]
    gap = "unknown" if s["mip_gap"] is None else f"{s['mip_gap']:.2e}"
    line = f"objective {objective:.3f} ({s['status']}, gap {gap}) in {wall:.1f} s"
    known = published_optimum(inst, args.capacity)
    if known is not None:
        rel = abs(objective - known) / known
        line += f"; published {known:.3f}, relative difference {rel:.2e}"
    print(line)
    timings = ", ".join(f"{k} {v:.2f}" for k, v in s["timings"].items())
    print(f"timings (s): {timings}; plan -> {plan_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
