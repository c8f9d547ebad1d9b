"""The validated input case: what the model, the verifier and the report read.

Every table is a plain pandas DataFrame with the contract's column names (data/README.md),
optional columns filled with their defaults, typed (ints for years, floats for quantities,
str for ids), plus a `_line` column holding the line number of the row in its CSV file
(for messages that point a user at the row to change). Optional files that are absent are
represented as documented on each field, so downstream code needs no special cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

IMPLICIT_PARTNER = "equity"


@dataclass(frozen=True)
class Params:
    first_year: int
    last_year: int
    discount_rate: float
    unmet_penalty_usd_per_gpu: float
    carbon_price_usd_per_t: float = 0.0
    asset_life_years: int = 20
    default_scenario: str = ""
    ramp_up: tuple[float, ...] = ()  # fractions of nameplate in the first years online; then 1.0
    market_cost_of_capital: float | None = None  # None: no market capital (optimizer/model/capital)
    capital_budget_musd: float = float("inf")  # cap on all capital raised; inf: none
    # decisions dated before it are shared by all scenarios of a hedged plan, later ones made per
    # scenario (optimizer/staged); None: all shared (a plain two-stage plan)
    stage_year: int | None = None

    def staged(self, n_scenarios: int) -> bool:
        """True when a hedged plan over `n_scenarios` has decide-later decisions: a stage year
        inside the horizon after its first year (at or before it every decision waits)."""
        return n_scenarios > 1 and self.stage_year is not None and self.stage_year <= self.last_year

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))

    def ramp(self, years_online: int) -> float:
        """Fraction of a build's nameplate available in its `years_online`-th year (0 = first)."""
        if years_online < 0:
            return 0.0
        return self.ramp_up[years_online] if years_online < len(self.ramp_up) else 1.0


@dataclass
class Case:
    """A loaded, validated data folder.

    sites:            site, region, node, existing_wspm, max_wspm, capex_usd_per_wspm,
                      opex_usd_per_wafer, energy_mwh_per_wafer, lead_time_years (int),
                      first_build_year (int), utilization, fixed_cost_usd_per_year, subsidy_rate,
                      subsidy_cap_musd (inf when uncapped), module_wspm, country, operator, name
    products:         product, node, gpus_per_wafer
    demand:           scenario, year (int), product, market, gpus
    scenarios:        scenario, probability, description (always present; when scenarios.csv is
                      absent: the scenarios of demand.csv with equal probabilities). A run plans
                      over the scenarios of this table with these probabilities: `for_scenarios`
                      gives the view a run solves (one scenario, or all with weight).
    shipping:         region, market, cost_usd_per_gpu (always present; when shipping.csv is
                      absent: every site region x every market at cost 0)
    energy:           contract, region, source, price_usd_per_mwh, max_mw, capacity_factor,
                      first_year (int), last_year (int), co2_t_per_mwh, fixed_usd_per_mw_year;
                      None when energy.csv is absent (energy is not modelled)
    partners:         partner, kind, max_commitment_musd (inf = no limit), cost_of_capital,
                      min_share, max_share (always present; when partners.csv is absent: one
                      implicit partner "equity" at discount_rate with no limit)
    partner_regions:  partner, region, max_share (empty when absent)
    regions:          region, max_capacity_share, from_year (int), process ("" = group logic;
                      else process or group names separated by ";": recipes.processes_of)
                      (empty when absent). Only rows giving max_capacity_share.
    min_shares:       region, min_capacity_share, from_year (int), process: the regions.csv rows
                      giving min_capacity_share (policy_inputs.split_regions; empty when none)
    recipes:          product, process, per_wafer, per_gpu, final (bool): the stages of each
                      product (always present; when recipes.csv is absent: one final row per
                      product, its node at gpus_per_wafer per wafer and 1 per GPU). products'
                      node and gpus_per_wafer are then always those of the final stage.
    yields:           process, year (int), factor (empty when absent; recipes.stage_table)
    processes:        process, group: every process a site runs or a recipe names (group from
                      processes.csv, else "logic"), plus processes.csv's other rows
    tools:            tool, year (int), units (empty when absent)
    tool_use:         process, tool, units_per_kwspm (empty when absent)
    subsidies:        program, region, kind, rate, first_year (int), last_year (int), cap_musd
                      (inf when uncapped) (empty when absent; optimizer/model/subsidies.py)
    supply_offers:    offer, process, region, first_year (int), last_year (int),
                      max_wafers_per_year, price_usd_per_wafer (empty when absent;
                      optimizer/model/offers.py)
    operators:        operator, kind, partner ("" = none), capex_factor, opex_factor, min_stake,
                      max_new_wspm_per_year (inf = none), source (empty when absent;
                      optimizer/model/operators.py)
    site_operators:   site, operator, source: who may run each site, the first per site runs
                      its existing capacity (empty when absent)
    capital_tranches: partner, tranche, max_musd, cost_of_capital (None when absent); with
                      market_cost_of_capital, partners also holds the synthetic partner "market"
    files:            every input file read, name -> path (for hashes in summary.json)
    warnings:         legal but suspicious inputs, printed, never fatal
    overrides:        the --set overrides applied, name -> value as given
    """

    data_dir: Path
    params: Params
    sites: pd.DataFrame
    products: pd.DataFrame
    demand: pd.DataFrame
    scenarios: pd.DataFrame
    shipping: pd.DataFrame
    energy: pd.DataFrame | None
    partners: pd.DataFrame
    partner_regions: pd.DataFrame
    regions: pd.DataFrame
    min_shares: pd.DataFrame
    recipes: pd.DataFrame
    yields: pd.DataFrame
    processes: pd.DataFrame
    tools: pd.DataFrame
    tool_use: pd.DataFrame
    subsidies: pd.DataFrame
    supply_offers: pd.DataFrame
    capital_tranches: pd.DataFrame | None = None  # partner, tranche, max_musd, cost_of_capital
    slices: pd.DataFrame | None = None  # slice, day, order, hours (None when absent: annual)
    availability: pd.DataFrame | None = None  # source, region ('' = every), slice, factor
    generation: pd.DataFrame | None = None  # generation.csv: buildable power (issue 14)
    storage: pd.DataFrame | None = None  # storage.csv: buildable storage (issue 14)
    operators: pd.DataFrame | None = None  # operators.csv (empty frame when absent)
    site_operators: pd.DataFrame | None = None  # site_operators.csv (empty frame when absent)
    files: dict[str, Path] = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    overrides: dict[str, str] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return self.params.years

    @property
    def markets(self) -> list[str]:
        return sorted(self.demand["market"].unique())

    @property
    def scenario_probabilities(self) -> dict[str, float]:
        """Scenario -> probability, in the table's order: what the model weighs costs by."""
        return {
            str(name): float(p)
            for name, p in zip(
                self.scenarios["scenario"], self.scenarios["probability"], strict=True
            )
        }

    def for_scenarios(self, probabilities: dict[str, float]) -> Case:
        """This case planned over `probabilities` only (scenario -> weight; a scenario not in
        the table, such as the mean-demand one, gets an empty description), so a run carries
        its scenarios in the case instead of in a dict beside it."""
        table = self.scenarios.set_index("scenario").reindex(list(probabilities))
        table["probability"] = [float(p) for p in probabilities.values()]
        table["description"] = table["description"].fillna("")
        table["_line"] = table["_line"].fillna(-1).astype(int)
        table = table.rename_axis("scenario").reset_index()
        return replace(self, scenarios=table)

    def inventory(self) -> dict[str, int]:
        """Counts shown by `fabplan validate`."""
        return {
            "sites": len(self.sites),
            "regions": self.sites["region"].nunique(),
            "products": len(self.products),
            "markets": len(self.markets),
            "contracts": 0 if self.energy is None else len(self.energy),
            "partners": len(self.partners),
            "scenarios": len(self.scenarios),
            "years": len(self.years),
        }
