"""The report's power parts (issue 14): dispatch chart, builds and funders, firm share, CO2 by
source and take-or-pay paid but unused.

Hand case (as tests/test_power_slices.py): one site S1 in R1, a flat 1 MW load (8,760 GPUs a
year, 1 MWh per wafer and GPU), every other cost zero, one year 2025. Slices: day 3,000 h and
night 5,760 h (sum 8,760). SOLAR ($10/MWh, factor 1 by day, 0 at night) has min_mw 4 and
take-or-pay 1; GRID ($50/MWh, 0.4 t CO2/MWh, available in both slices) serves the night.
The built battery and its funders are plan rows written by hand (power_builds.csv,
power_funding.csv), so the report is tested independently of the build model.
"""

from __future__ import annotations

import pandas as pd
from casebuilder import approx, fabplan, solve_and_verify
from test_power_slices import flat_load_case

from optimizer.plan import power_stats
from optimizer.plan.read import read_plan

SLICES = [
    {"slice": "day", "day": "d", "order": 0, "hours": 3000},
    {"slice": "night", "day": "d", "order": 1, "hours": 5760},
]
AVAIL = [
    {"source": "solar", "region": None, "slice": "day", "factor": 1},
    {"source": "solar", "region": None, "slice": "night", "factor": 0},
]
SOLAR = {
    "contract": "SOLAR",
    "source": "solar",
    "price_usd_per_mwh": 10,
    "capacity_factor": 0.5,
    "min_mw": 4,
    "min_take_share": 1,
}
GRID = {
    "contract": "GRID",
    "source": "grid",
    "price_usd_per_mwh": 50,
    "capacity_factor": 1,
    "co2_t_per_mwh": 0.4,
}


def _plan(tmp_path):
    data = flat_load_case(tmp_path / "c", [SOLAR, GRID], slices=SLICES, availability=AVAIL)
    out = solve_and_verify(data, tmp_path).out_dir
    pd.DataFrame(
        [
            {
                "project": "R1_BATTERY",
                "kind": "storage",
                "region": "R1",
                "source": "storage",
                "year": 2025,
                "mw": 2.0,
                "mwh": 8.0,
                "capex_usd": 1_000_000.0,
            }
        ]
    ).to_csv(out / "power_builds.csv", index=False)
    pd.DataFrame(
        [
            {"partner": "NEXTERA", "project": "R1_BATTERY", "year": 2025, "usd": 600_000.0},
            {"partner": "equity", "project": "R1_BATTERY", "year": 2025, "usd": 400_000.0},
        ]
    ).to_csv(out / "power_funding.csv", index=False)
    return out


def test_power_report_hand_case(tmp_path):
    out = _plan(tmp_path)
    plan = read_plan(out)
    # Dispatch: SOLAR is paid for all it can make (take-or-pay 1), so it serves the whole day:
    # 1 MW x 3,000 h = 3,000 MWh; the night 1 MW x 5,760 h = 5,760 MWh can only be GRID.
    # Firm share = 5,760 / (3,000 + 5,760) = 5,760 / 8,760 = 0.657534...
    assert power_stats.firm_share(plan) == approx(5760 / 8760)
    # Take-or-pay: 4 MW x 3,000 h x factor 1 (+ 4 x 5,760 x 0 at night) = 12,000 MWh paid,
    # 3,000 used -> 9,000 MWh unused x $10 = $90,000.
    t = power_stats.take_or_pay(plan)
    assert list(t["contract"]) == ["SOLAR"]
    assert t["paid_mwh"].iloc[0] == approx(12_000)
    assert t["unused_paid_mwh"].iloc[0] == approx(9_000)
    assert t["unused_paid_usd"].iloc[0] == approx(90_000)
    # CO2 by source: grid 5,760 MWh x 0.4 t = 2,304 t; solar 0 t, listed after it.
    co2 = power_stats.co2_by_source(plan)
    assert list(co2["source"]) == ["grid", "solar"]
    assert co2["co2_t"].iloc[0] == approx(2_304)
    # Funders by share: NEXTERA 600,000 / 1,000,000 = 60%, equity 40%.
    b = power_stats.builds_and_funders(plan)
    assert b["funders"].iloc[0] == "NEXTERA 60%, equity 40%"
    # Representative day: the day's slices in order, average MW = MWh / hours (load 1 MW).
    days = power_stats.representative_days(plan)
    assert list(days.drop_duplicates("slice")["slice"]) == ["day", "night"]
    assert days["load_mw"].unique().tolist() == approx([1.0])
    solar_day = days[(days["source"] == "solar") & (days["slice"] == "day")]["mw"]
    assert solar_day.iloc[0] == approx(3000 / 3000)

    run = fabplan("report", out, "--format", "md")
    assert run.returncode == 0, run.stderr
    assert (out / "charts" / "dispatch.svg").is_file()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "charts/dispatch.svg" in md
    assert "R1_BATTERY" in md and "NEXTERA 60%, equity 40%" in md
    assert "Firm share: 65.8%" in md  # 0.6575 rounded to one decimal
    assert "costing $90,000" in md  # 9,000 MWh x $10


def test_power_parts_skipped_without_their_tables(tmp_path):
    # the same plan without dispatch, take-or-pay and build tables: no chart, no builds table;
    # firm share falls back to energy.csv by contract source (same 65.8%)
    out = _plan(tmp_path)
    for name in ("dispatch", "contract_years", "power_builds", "power_funding"):
        (out / f"{name}.csv").unlink(missing_ok=True)
    c = pd.read_csv(out / "contracts.csv")
    c.drop(columns=["paid_mwh", "unused_paid_mwh", "unused_paid_usd"]).to_csv(
        out / "contracts.csv", index=False
    )
    plan = read_plan(out)
    assert power_stats.firm_share(plan) == approx(5760 / 8760)
    assert power_stats.take_or_pay(plan).empty
    assert power_stats.builds_and_funders(plan).empty
    assert power_stats.representative_days(plan).empty
    run = fabplan("report", out, "--format", "md")
    assert run.returncode == 0, run.stderr
    assert not (out / "charts" / "dispatch.svg").exists()
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "Take-or-pay" not in md and "financed them" not in md
