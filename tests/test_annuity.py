"""Capital is repaid as an ordinary annuity (issue 9, E18).

A dollar partner p funds in year y is repaid by L = asset_life_years payments of
A = r / (1 - (1+r)^-L) at the partner's cost of capital r, at the end of each loan year: in years
y+1 .. y+L, never in the funding year itself. Each payment is discounted to first_year like every
other cost, df(t) = 1/(1+d)^(t - first_year), and payments after last_year are not charged.
So when r equals the discount rate d and y + L <= last_year, the payments are worth exactly the
dollar: df(y) in the objective (docs/model.md, "Why capital is priced as an annuity").

Every expected number is worked out by hand in the comments; none is copied from the program.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from casebuilder import solve_and_verify, write_case

from optimizer.verify import verify_plan

# r = d = 5%, L = 3:
#   1.05^3 = 1.157625, 1.05^-3 = 0.8638376, A = 0.05 / (1 - 0.8638376) = 0.05 / 0.1361624
#   = 0.3672086 per dollar per year.
#   PV of the three payments one year apart = A/1.05 + A/1.05^2 + A/1.05^3
#   = 0.3672086 x (0.9523810 + 0.9070295 + 0.8638376) = 0.3672086 x 2.7232481 = 1.0000000
A_5_3 = 0.3672086
DISCOUNT_SUMS_1_TO_3 = 0.9523810 + 0.9070295 + 0.8638376  # 1.05^-1 + 1.05^-2 + 1.05^-3

# The model case below funds $1,000,000 in 2026 with base year 2025 and horizon to 2029, d = 5%:
# payments fall in 2027, 2028, 2029 with df = 1.05^-2, 1.05^-3, 1.05^-4
#   = 0.9070295 + 0.8638376 + 0.8227025 = 2.5935696.
SUM_DF_2027_2029 = 0.9070295 + 0.8638376 + 0.8227025
FUNDED_USD = 1_000_000


def test_an_ordinary_annuity_at_the_discount_rate_is_worth_the_dollar() -> None:
    from optimizer.model.finance import annuity_factor as model_annuity
    from optimizer.verify.finance import annuity_factor as verify_annuity

    for annuity in (model_annuity, verify_annuity):
        a = float(annuity(0.05, 3))
        assert a == pytest.approx(A_5_3, abs=5e-8)
        assert a * DISCOUNT_SUMS_1_TO_3 == pytest.approx(1.0, abs=1e-6)
        # the funding year itself carries no payment: an annuity-due would be worth 1.05
        assert a * (1.0 + 0.9523810 + 0.9070295) == pytest.approx(1.05, abs=1e-6)


def one_build_case(path: Path, rate: float, life: int) -> Path:
    """Greenfield site A, capex $1,000/wspm, lead 1, first build 2026; demand 12,000 GPUs in
    2027-2029 needs exactly 1,000 wspm (x 12 wafers x 1 GPU) online from 2027, so decided and
    funded in 2026: $1,000,000 from partner P at `rate`. No other cost: the objective is the
    financing. Horizon 2025-2029, discount rate 5%."""
    return write_case(
        path,
        parameters={"last_year": 2029, "discount_rate": 0.05, "asset_life_years": life},
        sites=[
            {
                "site": "A",
                "max_wspm": 1000,
                "capex_usd_per_wspm": 1000,
                "lead_time_years": 1,
                "first_build_year": 2026,
            }
        ],
        demand=dict.fromkeys(range(2027, 2030), 12_000),
        partners=[{"partner": "P", "cost_of_capital": rate}],
    )


@pytest.mark.parametrize(
    ("rate", "life", "financing"),
    [
        # r = d = 5%, L = 3: payments 2027, 2028, 2029 all inside the horizon:
        #   1,000,000 x 0.3672086 x 2.5935696 = 952,381 = 1,000,000 / 1.05, the dollar funded in
        #   2026 discounted to 2025 (an annuity-due, paying 2026..2028, would give 1,000,000)
        (0.05, 3, FUNDED_USD / 1.05),
        # r = 10% != d, L = 3: A = 0.1 / (1 - 1.1^-3) = 0.1 / (1 - 0.7513148) = 0.4021148;
        #   1,000,000 x 0.4021148 x 2.5935696 = 1,042,912.7 (dearer than the dollar: r > d)
        (0.10, 3, FUNDED_USD * 0.4021148 * SUM_DF_2027_2029),
        # r = d = 5%, L = 5: payments 2027..2031, only 2027..2029 inside the horizon:
        #   A = 0.05 / (1 - 1.05^-5) = 0.05 / (1 - 0.7835262) = 0.2309748;
        #   1,000,000 x 0.2309748 x 2.5935696 = 599,049.2 (< 952,381: 2030 and 2031 are the
        #   fab's residual value, not charged)
        (0.05, 5, FUNDED_USD * 0.2309748 * SUM_DF_2027_2029),
    ],
)
def test_financing_of_one_build_through_the_model(tmp_path, rate, life, financing):
    r = solve_and_verify(one_build_case(tmp_path / "case", rate, life), tmp_path)
    funding = r.tables["funding"]
    assert list(funding["year"]) == [2026]
    assert funding["usd"].sum() == pytest.approx(FUNDED_USD, abs=1e-3)
    costs = r.tables["costs"].set_index("component")["npv_usd"]
    tol = 1e-6 * FUNDED_USD  # the hand factors above carry 7 digits
    assert costs["financing"] == pytest.approx(financing, abs=tol)
    assert r.summary["objective_usd"] == pytest.approx(financing, abs=tol)
    partners = r.tables["partner_summary"].set_index("partner")
    assert partners.loc["P", "financing_cost_npv_usd"] == pytest.approx(financing, abs=tol)
    # the independent verifier prices the same payments
    recomputed = verify_plan(r.out_dir).costs.set_index("component")["recomputed_npv_usd"]
    assert recomputed["financing"] == pytest.approx(financing, abs=tol)


def test_data_readme_worked_example(tmp_path):
    """data/README.md section 4: the objective stated there is what fabplan computes."""
    data = write_case(
        tmp_path / "case",
        parameters={"last_year": 2026, "discount_rate": 0.05, "unmet_penalty_usd_per_gpu": 50_000},
        sites=[
            {
                "site": "S1",
                "existing_wspm": 1000,
                "max_wspm": 2000,
                "capex_usd_per_wspm": 400_000,
                "opex_usd_per_wafer": 3500,
                "energy_mwh_per_wafer": 3,
                "lead_time_years": 1,
                "utilization": 0.9,
            }
        ],
        products=[{"gpus_per_wafer": 22.5}],
        demand={2025: 200_000, 2026: 300_000},
        energy=[
            {
                "contract": "GRID",
                "price_usd_per_mwh": 100,
                "max_mw": 10,
                "co2_t_per_mwh": 0.5,
            }
        ],
    )
    r = solve_and_verify(data, tmp_path)
    # build (13,333.33 - 10,800) / 10.8 = 234.568 wspm in 2025 -> capex 93,827,160;
    # A(0.05, 20) = 0.0802426 -> 7,528,934 a year, paid 2026..2045, only 2026 inside:
    # 7,528,934 / 1.05 = 7,170,413; operations 75,555,556; energy 6,476,190
    costs = r.tables["costs"].set_index("component")["npv_usd"]
    assert costs["financing"] == pytest.approx(7_170_413, abs=1)
    assert costs["operations"] == pytest.approx(75_555_556, abs=1)
    assert costs["energy"] == pytest.approx(6_476_190, abs=1)
    # 7,170,413 + 75,555,556 + 6,476,190 = 89,202,159
    assert r.summary["objective_usd"] == pytest.approx(89_202_159, abs=2)
