"""A tiny, valid, solvable-looking case that tests write into a temporary folder and break.

Two N3 sites (TW_FAB in region TW with 1000 wspm already built, US_FAB in region US, greenfield),
one product, one market, three years (2025-2027), one scenario, grid contracts in both regions
plus a US solar PPA, two partners (an unlimited fund and a capped government that may not fund
Taiwan), and a 80% concentration limit on Taiwan from 2026.

Hand numbers for model tests: an existing TW wafer start yields 12 x 0.9 x 1000 = 10,800
wafers/year x 15 GPUs = 162,000 GPUs/year, so 2025 demand (150,000) is met by existing
capacity and 2026-2027 (300,000 and 450,000) need builds decided in 2025-2026 (lead 1 year).

Line numbers used by tests are those of the texts below (header = line 1).
"""

from __future__ import annotations

from pathlib import Path

TINY: dict[str, str] = {
    "parameters": """\
name,value,unit,description
first_year,2025,year,first planning year
last_year,2027,year,last planning year
discount_rate,0.08,1/year,real discount rate
unmet_penalty_usd_per_gpu,2000,USD/GPU,cost of each GPU of demand not served
carbon_price_usd_per_t,50,USD/t,carbon price
asset_life_years,10,years,repayment period of capital
ramp_up,0.5,fraction,half the nameplate in the first year online
""",
    "sites": """\
site,region,node,existing_wspm,max_wspm,capex_usd_per_wspm,opex_usd_per_wafer,energy_mwh_per_wafer,lead_time_years,first_build_year,utilization,fixed_cost_usd_per_year,subsidy_rate,subsidy_cap_musd,module_wspm,country
TW_FAB,TW,N3,1000,3000,500000,3500,3,1,2025,0.9,1000000,0,,500,Taiwan
US_FAB,US,N3,0,2000,650000,4550,3,1,2025,0.9,2000000,0.1,100,500,United States
""",
    "products": """\
product,node,gpus_per_wafer
GPU_N3,N3,15
""",
    "demand": """\
scenario,year,product,market,gpus
base,2025,GPU_N3,global,150000
base,2026,GPU_N3,global,300000
base,2027,GPU_N3,global,450000
""",
    "scenarios": """\
scenario,probability,description
base,1,the only scenario
""",
    "shipping": """\
region,market,cost_usd_per_gpu
TW,global,5
US,global,2
""",
    "energy": """\
contract,region,source,price_usd_per_mwh,max_mw,capacity_factor,first_year,last_year,co2_t_per_mwh,fixed_usd_per_mw_year
TW_GRID,TW,grid,135,100,1,2020,2040,0.494,0
US_GRID,US,grid,81,100,1,2020,2040,0.367,0
US_SOLAR,US,solar,57,50,0.25,2025,2040,0,10000
""",
    "partners": """\
partner,kind,max_commitment_musd,cost_of_capital,min_share,max_share
FUND,investor,,0.08,0,1
USG,government,500,0.03,0,0.5
""",
    "partner_regions": """\
partner,region,max_share
USG,TW,0
""",
    "regions": """\
region,max_capacity_share,from_year
TW,0.8,2026
""",
}


def write_tiny_case(path: Path, **overrides: str | None) -> Path:
    """Write the tiny case into `path` (created) and return it.

    Each keyword is a file stem (`sites`, `partner_regions`, ...): a str replaces that file's
    text, None leaves the file out. A stem that is not part of the case writes `<stem>.csv`.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    for stem, text in {**TINY, **overrides}.items():
        if text is not None:
            (path / f"{stem}.csv").write_text(text, encoding="utf-8")
    return path


def edited(stem: str, old: str, new: str) -> str:
    """The tiny file `stem` with `old` (which must occur exactly once) replaced by `new`."""
    text = TINY[stem]
    count = text.count(old)
    if count != 1:
        raise ValueError(f"{old!r} occurs {count} times in the tiny {stem}.csv, expected once")
    return text.replace(old, new)


def without_column(stem: str, column: str) -> str:
    """The tiny file `stem` with one column removed (header and every row)."""
    return drop_column(TINY[stem], column)


def without_line(stem: str, start: str) -> str:
    """The tiny file `stem` without the one line that starts with `start`."""
    return drop_line(TINY[stem], start)


def drop_column(text: str, column: str) -> str:
    """`text` (a CSV without quoted commas) with one column removed."""
    lines = text.splitlines()
    position = lines[0].split(",").index(column)
    kept = [",".join(c for j, c in enumerate(line.split(",")) if j != position) for line in lines]
    return "\n".join(kept) + "\n"


def drop_line(text: str, start: str) -> str:
    """`text` without the one line that starts with `start`."""
    lines = text.splitlines(keepends=True)
    matching = [line for line in lines if line.startswith(start)]
    if len(matching) != 1:
        raise ValueError(f"{len(matching)} lines start with {start!r}, expected one")
    return "".join(line for line in lines if line is not matching[0])
