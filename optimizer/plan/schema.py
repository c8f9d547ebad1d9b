"""The plan folder's tables, declared once (docs/plan-tables.md is checked against this).

The solve writes its tables in these column orders, the report and compare read them through
optimizer.plan.read, and verify reads them with its own strict parser using the same
declarations. A required table or column missing from a plan folder is an error naming both; an
optional table a plan lacks reads as empty (the report shows less, verify says "not checked").
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.contract import COST_COMPONENTS

TEXT, INTEGER, NUMBER = "text", "integer", "number"  # ids as text, whole numbers (years), floats


@dataclass(frozen=True)
class Column:
    name: str
    unit: str  # "" for ids and text
    dtype: str = NUMBER
    required: bool = True
    blank: bool = False  # cells may be empty (a value the solver did not report)


@dataclass(frozen=True)
class Table:
    name: str  # file stem: <name>.csv
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the columns that identify a row
    required: bool = True

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_names(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _id(name: str, required: bool = True, blank: bool = False) -> Column:
    return Column(name, "", TEXT, required, blank)


def _year(name: str = "year", required: bool = True, blank: bool = False) -> Column:
    return Column(name, "year", INTEGER, required, blank)


def _num(name: str, unit: str, required: bool = True, blank: bool = False) -> Column:
    return Column(name, unit, NUMBER, required, blank)


# Key columns of binding.csv: a limit family fills those it is indexed by, the others stay blank.
# the key columns that name a binding row; process and tool (supply chain) are optional so that
# plans written before them still read
BINDING_KEYS = (
    "scenario",
    "site",
    "product",
    "market",
    "contract",
    "partner",
    "region",
    "process",
    "tool",
    "tranche",
    "program",
    "offer",
    "operator",
    "slice",
    "project",
    "year",
)
OPTIONAL_BINDING_KEYS = ("process", "tool", "tranche", "program", "offer", "operator")
OPTIONAL_BINDING_KEYS += ("slice",)  # issue 14: contract_supply per time slice
OPTIONAL_BINDING_KEYS += ("project",)  # issue 14: power builds (generation, storage)

TABLES: tuple[Table, ...] = (
    Table(
        "builds",
        (
            _id("site"),
            _year(),
            _year("online_year"),
            _num("wspm", "wspm"),
            _num("capex_usd", "USD"),
            _num("grant_usd", "USD"),
        ),
        ("site", "year"),
    ),
    Table(
        "capacity",
        (
            _id("site"),
            _year(),
            _num("installed_wspm", "wspm"),
            _num("available_wspm", "wspm"),
            _num("open", "fraction"),
        ),
        ("site", "year"),
    ),
    Table(
        "production",
        (
            _id("scenario"),
            _id("site"),
            _id("process", required=False),  # absent from plans written before issue 12
            _id("product"),
            _year(),
            _num("wafers", "wafers per year"),
            _num("gpus", "GPUs per year"),
        ),
        ("scenario", "site", "product", "year"),
    ),
    Table(
        "stages",
        (
            _id("scenario"),
            _id("product"),
            _id("process"),
            _id("group"),
            _year(),
            Column("final", "", INTEGER),
            _num("per_gpu", "units per GPU"),
            _num("per_wafer", "good units per wafer"),
            _num("wafers", "wafers per year"),
            _num("units_made", "units per year"),
            _num("units_needed", "units per year"),
            _num("shadow_price_usd_per_unit", "USD (NPV) per unit", blank=True),
        ),
        ("scenario", "product", "process", "year"),
        required=False,
    ),
    Table(
        "shipments",
        (
            _id("scenario"),
            _id("region"),
            _id("product"),
            _id("market"),
            _year(),
            _num("gpus", "GPUs per year"),
            _num("cost_usd", "USD"),
        ),
        ("scenario", "region", "product", "market", "year"),
    ),
    Table(
        "unmet",
        (_id("scenario"), _id("product"), _id("market"), _year(), _num("gpus", "GPUs per year")),
        ("scenario", "product", "market", "year"),
    ),
    Table(
        "energy",
        (
            _id("scenario"),
            _id("contract"),
            _id("site"),
            _year(),
            _num("mwh", "MWh"),
            _num("cost_usd", "USD"),
            _num("co2_t", "t CO2"),
        ),
        ("scenario", "contract", "site", "year"),
    ),
    Table(
        "contracts",
        (
            _id("contract"),
            _id("region"),
            _id("source"),
            _year("first_year", required=False),  # issue 15: signed then (stage_year divide)
            _num("mw", "MW"),
            _num("max_mw", "MW"),
            # take-or-pay (issue 14): only when a contract has min_take_share
            _num("paid_mwh", "MWh", required=False),
            _num("unused_paid_mwh", "MWh", required=False),
            _num("unused_paid_usd", "USD", required=False),
        ),
        ("contract",),
    ),
    Table(  # power by time slice (issue 14); older plans have none
        "dispatch",
        (
            _id("scenario"),
            _year(),
            _id("region"),
            _id("slice"),
            _id("day"),
            _num("order", "position in the day"),
            _num("hours", "hours per year"),
            _id("supplier", blank=True),
            _id("source"),
            _num("mwh", "MWh"),
        ),
        ("scenario", "year", "region", "slice", "supplier"),
        required=False,
    ),
    Table(  # issue 14: per year of contracts with min_mw or take-or-pay; absent: none
        "contract_years",
        (
            _id("scenario"),
            _id("contract"),
            _year(),
            _num("mw", "MW"),
            _num("used_mwh", "MWh"),
            _num("unused_paid_mwh", "MWh"),
            _num("unused_paid_usd", "USD"),
        ),
        ("scenario", "contract", "year"),
        required=False,
    ),
    Table(
        "funding",
        (_id("partner"), _id("site"), _year(), _num("usd", "USD")),
        ("partner", "site", "year"),
    ),
    Table(  # program and kind: subsidy programs (issue 13); older plans have neither
        "grants",
        (
            _id("site"),
            _year(),
            _id("program", required=False),
            _id("kind", required=False),
            _num("usd", "USD"),
        ),
        ("site", "year", "program"),
        required=False,
    ),
    Table(
        "partner_summary",
        (
            _id("partner"),
            _id("kind", required=False),
            _num("usd", "USD"),
            _num("share", "fraction"),
            _num("max_share", "fraction", required=False),
            _num("min_share", "fraction", required=False),
            _num("max_commitment_usd", "USD", required=False),
            _num("cost_of_capital", "fraction per year", required=False),
            _num("financing_cost_npv_usd", "USD (NPV)"),
        ),
        ("partner",),
    ),
    Table("costs", (_id("component"), _num("npv_usd", "USD (NPV)")), ("component",)),
    Table(
        "site_costs",
        (_id("site", blank=True), _id("component"), _num("npv_usd", "USD (NPV)")),
        ("site", "component"),
        required=False,
    ),
    Table(
        "prices",
        (
            _id("scenario"),
            _id("product"),
            _id("market"),
            _year(),
            _num("usd_per_gpu", "USD per GPU", blank=True),
        ),
        ("scenario", "product", "market", "year"),
        required=False,
    ),
    Table(
        "binding",
        (
            _id("family"),
            *(
                _id(k, required=k not in OPTIONAL_BINDING_KEYS, blank=True)
                for k in BINDING_KEYS
                if k != "year"
            ),
            _year(blank=True),
            _num("shadow_price", "USD (NPV) per unit of the right-hand side"),
            _id("unit"),
            _num("impact_usd", "USD (NPV)"),
            _id("meaning"),
        ),
        ("family", *BINDING_KEYS),
        required=False,
    ),
    Table(
        "scenario_costs",
        (
            _id("scenario"),
            _num("probability", "fraction"),
            *(_num(f"{c}_usd", "USD (NPV)", required=False) for c in COST_COMPONENTS),
            _num("total_usd", "USD (NPV)"),
        ),
        ("scenario",),
        required=False,
    ),
    Table(
        "regret",
        (
            _id("plan"),
            _id("scenario"),
            _num("probability", "fraction"),
            _num("cost_usd", "USD (NPV)"),
            _num("best_cost_usd", "USD (NPV)"),
            _num("regret_usd", "USD (NPV)"),
            _num("cost_penalty_usd", "USD (NPV)", required=False),
            _num("best_penalty_usd", "USD (NPV)", required=False),
            _num("regret_penalty_usd", "USD (NPV)", required=False),
        ),
        ("plan", "scenario"),
        required=False,
    ),
    Table(
        "sites",
        (
            _id("site"),
            _id("name", required=False, blank=True),
            _id("region"),
            _id("country", required=False, blank=True),
            _id("operator", required=False, blank=True),
            _id("node", required=False, blank=True),
            _id("group", required=False, blank=True),
            _num("existing_wspm", "wspm"),
            _num("max_wspm", "wspm"),
            _num("utilization", "fraction"),
            _num("capex_usd_per_wspm", "USD per wspm", required=False),
            Column("lead_time_years", "years", INTEGER, required=False),
            _year("first_build_year", required=False),
            _num("fixed_cost_usd_per_year", "USD per year", required=False),
            _num("module_wspm", "wspm", required=False),
            _num("opex_usd_per_wafer", "USD per wafer", required=False),
            _num("energy_mwh_per_wafer", "MWh per wafer", required=False),
        ),
        ("site",),
        required=False,
    ),
    Table(
        "demand",
        (_id("scenario"), _id("product"), _id("market"), _year(), _num("gpus", "GPUs per year")),
        ("scenario", "product", "market", "year"),
        required=False,
    ),
    Table(
        "partner_regions",
        (_id("partner"), _id("region"), _num("max_share", "fraction")),
        ("partner", "region"),
        required=False,
    ),
    Table(  # input copy (shipping.csv): the lanes GPUs may travel, for the unmet-demand causes
        "lanes",
        (_id("region"), _id("market"), _num("cost_usd_per_gpu", "USD per GPU")),
        ("region", "market"),
        required=False,
    ),
    Table(  # capital by source (optimizer/model/capital.py): commitment, tranche id or market
        "capital_sources",
        (
            _id("partner"),
            _id("source"),
            _year(),
            _num("usd", "USD"),
            _num("cost_of_capital", "fraction per year"),
            _num("financing_cost_npv_usd", "USD (NPV)"),
        ),
        ("partner", "source", "year"),
        required=False,
    ),
    Table(  # only with generation.csv or storage.csv: MW (and MWh) built per project and year
        "power_builds",
        (
            _id("project"),
            _id("kind"),
            _id("region"),
            _id("source"),
            _year(),
            _num("mw", "MW"),
            _num("mwh", "MWh"),
            _num("capex_usd", "USD"),
        ),
        ("project", "year"),
        required=False,
    ),
    Table(  # only with generation.csv: energy, variable cost and CO2 of built generation
        "generation_output",
        (
            _id("scenario"),
            _id("project"),
            _id("region"),
            _id("source"),
            _year(),
            _num("mwh", "MWh"),
            _num("cost_usd", "USD"),
            _num("co2_t", "t"),
        ),
        ("scenario", "project", "year"),
        required=False,
    ),
    Table(  # only with storage.csv: charge, discharge and state of charge per slice
        "storage_operation",
        (
            _id("scenario"),
            _id("project"),
            _id("region"),
            _year(),
            _id("slice"),
            _num("charge_mwh", "MWh per year"),
            _num("discharge_mwh", "MWh per year"),
            _num("soc_mwh", "MWh at the end of the slice on one represented day"),
        ),
        ("scenario", "project", "year", "slice"),
        required=False,
    ),
    Table(  # only with generation.csv or storage.csv: who funds each power build
        "power_funding",
        (_id("partner"), _id("project"), _year(), _num("usd", "USD")),
        ("partner", "project", "year"),
        required=False,
    ),
    Table(  # only when supply_offers.csv has offers: wafers bought (make or buy)
        "purchases",
        (
            _id("scenario"),
            _id("offer"),
            _id("process"),
            _id("product"),
            _year(),
            _num("wafers", "wafers per year"),
            _num("cost_usd", "USD"),
        ),
        ("scenario", "offer", "product", "year"),
        required=False,
    ),
    Table(  # only when tools are modelled (tools.csv and tool_use.csv)
        "tool_use",
        (
            _id("tool"),
            _year(),
            _num("supply_units", "tools"),
            _num("cumulative_supply_units", "tools"),
            _num("used_units", "tools"),
            _num("cumulative_used_units", "tools"),
        ),
        ("tool", "year"),
        required=False,
    ),
    Table(  # only when site_operators.csv pairs sites with operators: builds per operator
        "operators",
        (
            _id("site"),
            _id("operator"),
            _year(),
            _num("wspm", "wspm"),
            _num("capex_usd", "USD"),
        ),
        ("site", "operator", "year"),
        required=False,
    ),
    Table(  # one row per operators.csv operator: what it built, its capital and own stake
        "operator_summary",
        (
            _id("operator"),
            _id("kind", blank=True),
            _id("partner", blank=True),
            _num("wspm_built", "wspm"),
            _num("capital_usd", "USD"),
            _num("own_capital_usd", "USD"),
            _num("stake", "fraction", blank=True),
            _num("min_stake", "fraction"),
        ),
        ("operator",),
        required=False,
    ),
    Table(  # sites with two or more operators: wafers each operator ran (opex factor)
        "operator_wafers",
        (
            _id("scenario"),
            _id("site"),
            _id("operator"),
            _year(),
            _num("wafers", "wafers per year"),
        ),
        ("scenario", "site", "operator", "year"),
        required=False,
    ),
)

# Decision tables that a staged plan (parameters.csv stage_year, optimizer/staged) writes per
# scenario: a first column `scenario` says "all" for a decision taken before the stage year (the
# same in every scenario) and the scenario's name for one taken later. Plans without a stage year
# have no such column. Readers that sum these tables take one scenario's view first
# (optimizer.plan.read.scenario_view).
STAGED_TABLES = (
    "builds",
    "capacity",
    "contracts",
    "funding",
    "grants",
    "partner_summary",
    "capital_sources",
    "power_builds",
    "power_funding",
    "tool_use",
    "operators",
    "operator_summary",
)
ALL_SCENARIOS = "all"  # the scenario of a decide-now row of a staged plan
TABLES = tuple(
    Table(t.name, (_id("scenario", required=False), *t.columns), t.key, t.required)
    if t.name in STAGED_TABLES
    else t
    for t in TABLES
)
SCHEMA: dict[str, Table] = {t.name: t for t in TABLES}
SUMMARY_KEYS = ("status", "objective_usd")  # summary.json keys every reader needs


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as the plan writes table `name`: the schema's columns in order. A required column
    missing or a column the schema does not declare is a bug in the extraction: say which."""
    table = SCHEMA[name]
    missing = [c for c in table.required_names if c not in frame.columns]
    extra = [c for c in frame.columns if table.column(c) is None]
    if missing or extra:
        raise ValueError(
            f"{table.file}: the plan writer got columns that do not match optimizer/plan/schema.py"
            f" (missing {missing}, undeclared {extra})"
        )
    return frame[[c for c in table.names if c in frame.columns]]
