"""Time and memory of `fabplan validate` on a case with a very large demand.csv (issue 9 item 20).

Copies data/ into a temporary folder, adds products to products.csv and writes a demand.csv of
about ROWS valid rows (every scenario x year x market of the default data, for as many products
as needed; demand.csv is keyed by scenario, year, product and market), optionally with a share of
bad cells, then runs `fabplan validate` in a fresh process under /usr/bin/time -v and prints wall
seconds and peak RSS. A benchmark, not a timed test: run it on a quiet machine.

    python benchmarks/validate_large.py --rows 1000000 [--bad 0.1 | --repeat] [--keep DIR]
        [--code DIR]   # run the fabplan package found in DIR (e.g. an older version) instead

--repeat writes the default demand.csv rows over and over instead (about 50 MB for 300,000
rows): every row after the first copy repeats a key, the case that took over 600 s before.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SCENARIOS = ("low", "base", "high")
YEARS = range(2025, 2041)
MARKETS = ("us", "row")
NODES = ("N3", "N2")


def write_case(folder: Path, rows: int, bad: float) -> int:
    """Copy data/ to `folder` and write the big demand.csv; return the rows written.

    A row is bad when its index modulo round(1/bad) is 0: its gpus cell is then alternately 'n/a'
    (not a number, found while parsing) and '-1' (below 0, found by the pandera range checks).
    """
    shutil.copytree(DATA, folder)
    per_product = len(SCENARIOS) * len(YEARS) * len(MARKETS)
    n_products = math.ceil(rows / per_product)
    products = [f"p{i:06d}" for i in range(n_products)]
    with (folder / "products.csv").open("a", encoding="utf-8") as f:
        for i, p in enumerate(products):
            f.write(f"{p},{NODES[i % 2]},{20 + i % 7}\n")
    every = round(1 / bad) if bad > 0 else 0
    written = 0
    with (folder / "demand.csv").open("w", encoding="utf-8") as f:
        f.write("scenario,year,product,market,gpus,source\n")
        keys = itertools.product(products, SCENARIOS, YEARS, MARKETS)
        for p, s, y, m in itertools.islice(keys, rows):
            gpus = str(1000 + written % 5000)
            if every and written % every == 0:
                gpus = "n/a" if written % (2 * every) == 0 else "-1"
            f.write(f"{s},{y},{p},{m},{gpus},generated row {written} (benchmark)\n")
            written += 1
    return written


def write_repeated(folder: Path, rows: int) -> int:
    """Copy data/ to `folder` and repeat its demand rows until `rows`; return the rows written."""
    shutil.copytree(DATA, folder)
    head, *body = [x for x in (DATA / "demand.csv").read_text().splitlines() if x]
    body = [x for x in body if not x.startswith("#")]
    copies = math.ceil(rows / len(body))
    text = "\n".join([head] + (body * copies)[:rows]) + "\n"
    (folder / "demand.csv").write_text(text, encoding="utf-8")
    return rows


def measure(folder: Path, code: Path | None = None) -> tuple[float, float, float, int, str]:
    """(wall s, CPU s, peak MiB, exit code, last stderr line) of `fabplan validate folder`."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "optimizer", "-q", "validate", str(folder)]
    env = {**os.environ, "PYTHONPATH": str(code)} if code else None
    start = time.perf_counter()
    # cwd outside the repository: `python -m` puts the cwd first on sys.path, before PYTHONPATH
    run = subprocess.run(
        cmd, capture_output=True, text=True, check=False, env=env, cwd=folder.parent
    )
    wall = time.perf_counter() - start
    peak_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)[1])
    cpu = sum(
        float(re.search(rf"{kind} time \(seconds\): ([\d.]+)", run.stderr)[1])
        for kind in ("User", "System")
    )
    lines = [x for x in run.stderr.splitlines() if x and not x.startswith("\t")]
    return wall, cpu, peak_kib / 1024, run.returncode, (lines[-1] if lines else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bad", type=float, default=0.0, help="share of rows with a bad cell")
    parser.add_argument("--repeat", action="store_true", help="repeat the default demand rows")
    parser.add_argument("--keep", type=Path, help="write the case here and keep it")
    parser.add_argument("--code", type=Path, help="folder holding the optimizer package to run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp) / "case"
        if args.repeat:
            n = write_repeated(folder, args.rows)
        else:
            n = write_case(folder, args.rows, args.bad)
        size = (folder / "demand.csv").stat().st_size / 2**20
        wall, cpu, peak, code, last = measure(folder, args.code)
    kind = "repeated default rows" if args.repeat else f"bad share {args.bad:g}"
    print(f"demand rows {n:,} ({size:.0f} MiB), {kind}")
    print(
        f"fabplan validate: {wall:.1f} s wall, {cpu:.1f} s CPU, peak {peak:,.0f} MiB, exit {code}"
    )
    if last:
        print(f"last stderr line: {last[:200]}")


if __name__ == "__main__":
    main()
