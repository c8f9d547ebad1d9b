"""The unmet-demand penalty as its own line in EVPI, VSS and regret, and the regret chart
(issue 15, section 3).

The hand case is test_stochastic's two-node case (two sites, two products, two scenarios of
probability 0.5; its module docstring and comments derive every cost). Here only the penalty
part matters: a GPU not delivered costs 3,750 USD in 2026, 3,000 USD NPV (df 0.8).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from casebuilder import solve_and_verify
from test_stochastic import two_node_case

from optimizer.render import charts_regret
from optimizer.report import write_reports
from optimizer.report.sections.uncertainty_regret import penalty_clause

REL = 1e-6


def approx(x: float):
    return pytest.approx(x, rel=REL, abs=1e-3)


@pytest.fixture(scope="module")
def two_node(tmp_path_factory):
    data = two_node_case(tmp_path_factory.mktemp("fig") / "data")
    return solve_and_verify(data, tmp_path_factory.mktemp("fig_plan"), stochastic=True)


# Penalty part by hand (NPV USD, 3,000 per GPU not delivered in 2026):
# - hedged plan (X 300, Y 200 wspm) serves the high demand of both products: no unmet in either
#   scenario -> RP penalty 0.
# - each scenario's own plan builds its demand: no unmet -> WS penalty 0.
# - mean-demand plan (X 200, Y 150 wspm = 2,400 P1, 1,800 P2 a year):
#     n3_heavy: P1 3,600 - 2,400 = 1,200 unmet x 3,000 = 3,600,000
#     n5_heavy: P2 2,400 - 1,800 =   600 unmet x 3,000 = 1,800,000
#   EEV penalty = 0.5 x 3,600,000 + 0.5 x 1,800,000 = 2,700,000
# - EVPI penalty = 0 - 0 = 0; VSS penalty = 2,700,000 - 0 = 2,700,000: more than the VSS
#   (828,000), since the hedged plan pays 2,700,000 - 828,000 = 1,872,000 more cash (capacity
#   150 wspm x 12,000 = 1,800,000 and 900 more GPUs made x 80 = 72,000).
# Cross evaluations: n3_heavy plan in n5_heavy: Y 100 wspm = 1,200 P2 of 2,400 -> 1,200 x 3,000
# = 3,600,000; n5_heavy plan in n3_heavy: X 100 wspm = 1,200 P1 of 3,600 -> 2,400 x 3,000 =
# 7,200,000.
PENALTY = {
    ("n3_heavy plan", "n3_heavy"): 0.0,
    ("n3_heavy plan", "n5_heavy"): 3_600_000.0,
    ("n5_heavy plan", "n3_heavy"): 7_200_000.0,
    ("n5_heavy plan", "n5_heavy"): 0.0,
    ("mean-demand plan", "n3_heavy"): 3_600_000.0,
    ("mean-demand plan", "n5_heavy"): 1_800_000.0,
    ("hedged plan", "n3_heavy"): 0.0,
    ("hedged plan", "n5_heavy"): 0.0,
}


def test_summary_penalty_parts_by_hand(two_node):
    s = json.loads((two_node.out_dir / "summary.json").read_text())
    assert s["rp_penalty_usd"] == approx(0)
    assert s["ws_penalty_usd"] == approx(0)
    assert s["eev_penalty_usd"] == approx(2_700_000)
    assert s["evpi_penalty_usd"] == approx(0)
    assert s["vss_penalty_usd"] == approx(2_700_000)
    # the totals are unchanged (test_stochastic): the cash part of VSS is 828,000 - 2,700,000
    assert s["vss_usd"] - s["vss_penalty_usd"] == approx(-1_872_000)


def test_regret_csv_penalty_columns_by_hand(two_node):
    regret = pd.read_csv(two_node.out_dir / "regret.csv")
    keys = list(zip(regret["plan"], regret["scenario"], strict=True))
    got = dict(zip(keys, regret["cost_penalty_usd"], strict=True))
    assert got == pytest.approx(PENALTY, rel=REL, abs=1e-3)
    # every scenario's own plan leaves nothing unmet, so best_penalty is 0 and the regret's
    # penalty part is the row's penalty, e.g. n5_heavy plan in n3_heavy 7,200,000 of a regret
    # of 10,992,000 - 5,184,000 = 5,808,000 (its cash part is -1,392,000: less capacity)
    assert regret["best_penalty_usd"].to_numpy() == pytest.approx(np.zeros(len(regret)), abs=1e-3)
    reg = dict(zip(keys, regret["regret_penalty_usd"], strict=True))
    assert reg == pytest.approx(PENALTY, rel=REL, abs=1e-3)
    row = regret[(regret["plan"] == "n5_heavy plan") & (regret["scenario"] == "n3_heavy")]
    assert float(row["regret_usd"].iloc[0]) == approx(5_808_000)


def test_report_states_the_penalty_share_of_vss(two_node):
    write_reports(two_node.out_dir, ["md"])
    md = (two_node.out_dir / "report.md").read_text()
    text = re.sub(r"\s+", " ", md)
    # VSS $828,000 = 2,700,000 penalty avoided - 1,872,000 more cash
    assert re.search(r"VSS[^.]*\$2\.7M of it is the value of GPUs not delivered", text), text[:3000]
    assert "offset by $1.87M more cash" in text
    assert "Of which not delivered" in md  # the regret table's column


@pytest.mark.parametrize(
    ("total", "penalty", "expected"),
    [
        (2.4e12, 2.3e12, ", of which $2.3T is the value of GPUs not delivered"),
        (828_000, 2_700_000, ": $2.7M of it is the value of GPUs not delivered"),
        (1_800_000, 0.0, ", all of it cash"),
        (1_800_000, float("nan"), ""),
    ],
)
def test_penalty_clause(total, penalty, expected):
    text = penalty_clause(total, penalty)
    assert text.startswith(expected) if expected else text == ""


def test_regret_chart_goes_log_when_bars_differ_100x():
    summary = pd.DataFrame(
        # 100 x 1e9 vs 1e9: ratio 100 > 20 -> log; expected 2e9 vs 1e9: ratio 2 -> linear
        {"worst_regret": [1e11, 1e9], "expected_regret": [2e9, 1e9]},
        index=["mean-demand plan", "hedged plan"],
    )
    assert charts_regret.needs_log(summary["worst_regret"].to_numpy())
    assert not charts_regret.needs_log(summary["expected_regret"].to_numpy())
    assert not charts_regret.needs_log(np.array([0.0, 5e9]))  # one positive bar: nothing to span
    chart = charts_regret.regret_bars(summary, ["hedged plan"])
    assert chart.svg.count("(log scale)") == 1  # only the worst-case panel's axis label
    assert "$100B" in chart.svg and "$1B" in chart.svg  # each bar carries its amount


def test_terminal_summary_states_the_penalty_share(two_node):
    from optimizer.plan.read import read_plan
    from optimizer.report.terminal import summary_lines

    text = " ".join(str(line) for line in summary_lines(read_plan(two_node.out_dir)))
    # VSS 828,000 of which the penalty part is 2,700,000; EVPI's penalty part is 0: not shown
    assert "VSS $828,000 (penalty on GPUs not delivered $2.7M), EVPI $1.8M" in text
