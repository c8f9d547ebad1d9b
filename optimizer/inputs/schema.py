"""The data contract as data: one table of column specs per CSV file, and the parameters.

Everything else (conversion, pandera schemas, messages, data/README.md checks) is derived from
these tables, so the contract is written down once. Units are in the column names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

Kind = Literal["id", "text", "number", "integer", "year", "ramp"]

FIRST_CALENDAR_YEAR = 1900
LAST_CALENDAR_YEAR = 2200


@dataclass(frozen=True)
class Col:
    """One column (or, for parameters.csv, one parameter) of the contract.

    required: the column must be in the header (for parameters: the name must be listed).
    default:  the value taken by an empty cell or an absent optional column; None means an
              empty cell is an error.
    lo, hi:   inclusive bounds unless lo_open/hi_open; allow_inf accepts an unlimited value.
    limit:    the largest finite value accepted although the meaning allows more: a sanity
              limit (data/README.md, "Magnitude limits") that catches unit mistakes and keeps
              the model's numbers in a range the solver handles; `unit` names its unit.
    """

    name: str
    kind: Kind
    description: str
    required: bool = True
    default: object = None
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    allow_inf: bool = False
    limit: float | None = None
    unit: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "integer", "year")

    @property
    def expected(self) -> str:
        """What a valid value looks like, e.g. 'a number in (0, 1]' (used in every message)."""
        if self.kind == "year":
            text = "a calendar year such as 2030"
        elif self.kind == "ramp":
            text = "fractions in [0, 1] separated by ';' such as 0.3;0.7"
        elif self.kind in ("id", "text"):
            text = "a name" if self.kind == "id" else "text"
        else:
            noun = "a whole number" if self.kind == "integer" else "a number"
            text = f"{noun}{_range_text(self)}"
        if self.allow_inf:
            text += ", or empty for no limit"
        return text

    @property
    def limit_expected(self) -> str:
        """What a value above the magnitude limit is told, e.g. 'a number ≤ 1e8 (USD per wspm)'."""
        noun = "a whole number" if self.kind == "integer" else "a number"
        text = f"{noun} ≤ {_fmt(self.limit)} ({self.unit})"
        if self.allow_inf:
            text += ", or empty for no limit"
        return text


def _range_text(col: Col) -> str:
    lo, hi = col.lo, col.hi
    if lo is None and hi is None:
        return ""
    if hi is None:
        return f" {'>' if col.lo_open else '≥'} {_fmt(lo)}"
    if lo is None:
        return f" {'<' if col.hi_open else '≤'} {_fmt(hi)}"
    left = "(" if col.lo_open else "["
    right = ")" if col.hi_open else "]"
    return f" in {left}{_fmt(lo)}, {_fmt(hi)}{right}"


def _fmt(x: float | None) -> str:
    """1, 0.5, 2200; large round numbers as powers of ten (1e8, 2.5e7), as typed in a CSV."""
    if x is not None and abs(x) >= 1e5:
        mantissa, exponent = f"{x:e}".split("e")
        return f"{float(mantissa):g}e{int(exponent)}"
    return str(int(x)) if x is not None and float(x).is_integer() else str(x)


@dataclass(frozen=True)
class FileSpec:
    """One CSV file: its columns and the columns that identify a row (must be unique)."""

    name: str
    required: bool
    description: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _nonneg(name: str, description: str, limit: float, unit: str, **kw: object) -> Col:
    return Col(name, "number", description, lo=0, limit=limit, unit=unit, **kw)


def _fraction(name: str, description: str, **kw: object) -> Col:
    return Col(name, "number", description, lo=0, hi=1, **kw)


def _year(name: str, description: str, **kw: object) -> Col:
    return Col(name, "year", description, lo=FIRST_CALENDAR_YEAR, hi=LAST_CALENDAR_YEAR, **kw)


INF = math.inf

PARAMETERS = FileSpec(
    "parameters.csv",
    True,
    "Global parameters, one per row: name,value (optional unit,description,source).",
    (
        Col("name", "id", "parameter name"),
        Col("value", "text", "parameter value", default=""),
        Col("unit", "text", "unit of the value (documentation only)", required=False, default=""),
        Col("description", "text", "what the parameter means", required=False, default=""),
        Col("source", "text", "where the value comes from", required=False, default=""),
    ),
    key=("name",),
)

# The parameters listed in parameters.csv (rows, not columns).
PARAMS: tuple[Col, ...] = (
    _year("first_year", "first planning year; costs are discounted to it"),
    _year("last_year", "last planning year"),
    _fraction("discount_rate", "real discount rate per year: factor 1/(1+r)^(year-first_year)"),
    _nonneg(
        "unmet_penalty_usd_per_gpu", "cost of each GPU of demand not served", 1e9, "USD per GPU"
    ),
    _nonneg(
        "carbon_price_usd_per_t",
        "price of each tonne of CO2",
        1e6,
        "USD per t CO2",
        required=False,
        default=0.0,
    ),
    Col(
        "asset_life_years",
        "integer",
        "repayment period of capital",
        required=False,
        default=20,
        lo=1,
        limit=200,
        unit="years",
    ),
    Col(
        "default_scenario",
        "id",
        "scenario solved by default (empty: the first scenario in demand.csv)",
        required=False,
        default="",
    ),
    Col(
        "ramp_up",
        "ramp",
        "fraction of a new build's nameplate available in its first years online, then 1",
        required=False,
        default="1",
    ),
    # capital sources (issue 13, optimizer/model/capital.py): blank = none
    _fraction(
        "market_cost_of_capital",
        "capital from public markets without limit at this rate (blank: none)",
        required=False,
        default=math.nan,
    ),
    _nonneg(
        "capital_budget_musd",
        "cap on all capital raised, million USD (blank: none)",
        1e8,
        "million USD",
        required=False,
        default=INF,
        allow_inf=True,
    ),
    # decisions under uncertainty (issue 15, optimizer/staged): blank = every decision first-stage
    _year(
        "stage_year",
        "decisions dated before it are shared by all scenarios, later ones per scenario "
        "(blank: all shared)",
        required=False,
        default=math.nan,
    ),
)
PARAM_BY_NAME = {p.name: p for p in PARAMS}

SITES = FileSpec(
    "sites.csv",
    True,
    "One row per candidate or existing fab site.",
    (
        Col("site", "id", "site id"),
        Col("region", "id", "region the site is in (energy contracts, partner rules, limits)"),
        Col("node", "id", "process node the site runs, e.g. N3"),
        _nonneg("existing_wspm", "capacity already installed, wafer starts per month", 1e7, "wspm"),
        _nonneg("max_wspm", "total capacity the site can ever hold", 1e7, "wspm"),
        _nonneg(
            "capex_usd_per_wspm", "capital cost of one wspm of new capacity", 1e8, "USD per wspm"
        ),
        _nonneg(
            "opex_usd_per_wafer", "non-energy operating cost per wafer start", 1e7, "USD per wafer"
        ),
        _nonneg("energy_mwh_per_wafer", "electricity per wafer start", 1e3, "MWh per wafer"),
        Col(
            "lead_time_years",
            "integer",
            "a build decided in year y is online from y+lead",
            lo=0,
            limit=100,
            unit="years",
        ),
        _year("first_build_year", "first year a build may be decided"),
        Col(
            "utilization",
            "number",
            "share of nameplate capacity used: wafers/year = 12 x utilization x wspm",
            lo=0,
            hi=1,
            lo_open=True,
        ),
        _nonneg(
            "fixed_cost_usd_per_year",
            "cost of keeping the site open, every year it is open",
            1e12,
            "USD per year",
            required=False,
            default=0.0,
        ),
        _fraction("subsidy_rate", "share of capex paid by grants", required=False, default=0.0),
        _nonneg(
            "subsidy_cap_musd",
            "most grant money for the site, million USD",
            1e8,
            "million USD",
            required=False,
            default=INF,
            allow_inf=True,
        ),
        _nonneg(
            "module_wspm",
            "size of one build increment in integer mode (0: any size)",
            1e7,
            "wspm",
            required=False,
            default=0.0,
        ),
        Col("country", "text", "country (documentation)", required=False, default=""),
        Col("operator", "text", "likely operator (documentation)", required=False, default=""),
        Col("name", "text", "display name", required=False, default=""),
    ),
    key=("site",),
)

PRODUCTS = FileSpec(
    "products.csv",
    True,
    "One row per product (GPU family).",
    (
        Col("product", "id", "product id"),
        Col("node", "id", "process node the product needs"),
        Col(
            "gpus_per_wafer",
            "number",
            "good, packaged GPUs per wafer start",
            lo=0,
            lo_open=True,
            limit=1e4,
            unit="GPUs per wafer",
        ),
        _nonneg(
            "unmet_penalty_usd_per_gpu",
            "value to the buyer of one GPU of this product not delivered (empty: the parameter)",
            1e9,
            "USD per GPU",
            required=False,
            default=math.nan,
        ),
    ),
    key=("product",),
)

# products.csv when recipes.csv is present: node and gpus_per_wafer may be left out (filled from
# the final stage of the recipe; checked against it when given).
PRODUCTS_WITH_RECIPES = replace(
    PRODUCTS,
    columns=(
        PRODUCTS.columns[0],
        replace(PRODUCTS.columns[1], required=False, default=""),
        replace(PRODUCTS.columns[2], required=False, default=math.nan),
        *PRODUCTS.columns[3:],
    ),
)

DEMAND = FileSpec(
    "demand.csv",
    True,
    "GPUs demanded per scenario, year, product and market.",
    (
        Col("scenario", "id", "demand scenario"),
        _year("year", "calendar year"),
        Col("product", "id", "product of products.csv"),
        Col("market", "id", "market served", required=False, default="global"),
        _nonneg("gpus", "GPUs demanded", 1e12, "GPUs per year"),
    ),
    key=("scenario", "year", "product", "market"),
)

SCENARIOS = FileSpec(
    "scenarios.csv",
    False,
    "Scenario probabilities (absent: equal probabilities for the scenarios of demand.csv).",
    (
        Col("scenario", "id", "scenario of demand.csv"),
        _fraction("probability", "probability; they sum to 1"),
        Col("description", "text", "what the scenario assumes", required=False, default=""),
    ),
    key=("scenario",),
)

SHIPPING = FileSpec(
    "shipping.csv",
    False,
    "Lanes from site regions to markets (absent: every region serves every market at no cost).",
    (
        Col("region", "id", "site region"),
        Col("market", "id", "market of demand.csv"),
        _nonneg("cost_usd_per_gpu", "shipping and duty per GPU", 1e6, "USD per GPU"),
    ),
    key=("region", "market"),
)

ENERGY = FileSpec(
    "energy.csv",
    False,
    "Energy contracts (absent: energy is not modelled).",
    (
        Col("contract", "id", "contract id"),
        Col("region", "id", "region whose sites it serves"),
        Col("source", "text", "grid, solar, wind, nuclear, gas, ..."),
        _nonneg("price_usd_per_mwh", "energy price", 1e6, "USD per MWh"),
        _nonneg("max_mw", "largest capacity that can be contracted", 1e7, "MW"),
        Col(
            "capacity_factor",
            "number",
            "average share of contracted MW delivered",
            lo=0,
            hi=1,
            lo_open=True,
        ),
        _year("first_year", "first year the contract delivers"),
        _year("last_year", "last year the contract delivers"),
        _nonneg("co2_t_per_mwh", "emissions per MWh", 10, "t CO2 per MWh"),
        _nonneg(
            "fixed_usd_per_mw_year",
            "capacity charge on contracted MW, every contract year",
            1e8,
            "USD per MW and year",
            required=False,
            default=0.0,
        ),
        _fraction(
            "min_take_share",
            "take-or-pay: share of contracted MW x hours x availability paid whether used or not",
            required=False,
            default=0.0,
        ),
        _nonneg(
            "min_mw",
            "smallest MW each contract year; given: MW may change by year in [min_mw, max_mw]",
            1e7,
            "MW",
            required=False,
            default=float("nan"),  # blank: one MW level for the whole window
        ),
    ),
    key=("contract",),
)

PARTNERS = FileSpec(
    "partners.csv",
    False,
    "Funding partners (absent: one implicit partner at discount_rate with no limit).",
    (
        Col("partner", "id", "partner id"),
        Col("kind", "text", "investor, chipmaker, energy, government, hyperscaler, ..."),
        _nonneg(
            "max_commitment_musd",
            "most capital the partner provides, million USD",
            1e8,
            "million USD",
            default=INF,
            allow_inf=True,
        ),
        _fraction("cost_of_capital", "return the partner requires per year"),
        _fraction("min_share", "smallest share of all capital raised"),
        _fraction("max_share", "largest share of all capital raised"),
    ),
    key=("partner",),
)

PARTNER_REGIONS = FileSpec(
    "partner_regions.csv",
    False,
    "Largest share of a partner in the capital raised for sites of a region.",
    (
        Col("partner", "id", "partner of partners.csv"),
        Col("region", "id", "site region"),
        _fraction("max_share", "largest share (0 forbids, 0.49 a minority stake)"),
    ),
    key=("partner", "region"),
)

REGIONS = FileSpec(
    "regions.csv",
    False,
    "Regional limits: a region's largest and smallest share of the installed capacity counted.",
    (
        Col("region", "id", "site region"),
        _fraction(
            "max_capacity_share",
            "largest share of the installed capacity counted (empty: no cap)",
            required=False,
            default=math.nan,
        ),
        _fraction(
            "min_capacity_share",
            "smallest share of the installed capacity counted (empty: no floor)",
            required=False,
            default=math.nan,
        ),
        _year("from_year", "first year the limit applies"),
        Col(
            "process",
            "text",
            "processes counted: process or group names separated by ';' (empty: group logic)",
            required=False,
            default="",
        ),
    ),
    key=("region", "process"),
)

# --- the supply chain (issue 12): stages of a product, yields, process groups, tools ----------

RECIPES = FileSpec(
    "recipes.csv",
    False,
    "Stages of each product (absent: its products.csv node, final, 1/gpus_per_wafer wafers).",
    (
        Col("product", "id", "product of products.csv"),
        Col("process", "id", "process of the stage: a node some site of sites.csv runs"),
        Col(
            "per_wafer",
            "number",
            "good output units (dies, interposers, stacks) per wafer started",
            lo=0,
            lo_open=True,
            limit=1e5,
            unit="units per wafer",
        ),
        Col(
            "per_gpu",
            "number",
            "units needed per GPU",
            lo=0,
            lo_open=True,
            limit=1e4,
            unit="units per GPU",
        ),
        Col("final", "integer", "1 for the stage that assembles the GPU, else 0", lo=0, hi=1),
    ),
    key=("product", "process"),
)

YIELDS = FileSpec(
    "yields.csv",
    False,
    "Yield learning: per_wafer of a process's stages times factor (interpolated between years).",
    (
        Col("process", "id", "process of recipes.csv"),
        _year("year", "calendar year"),
        Col("factor", "number", "multiplier of per_wafer", lo=0, lo_open=True, limit=100, unit="x"),
    ),
    key=("process", "year"),
)

PROCESSES = FileSpec(
    "processes.csv",
    False,
    "Process groups (absent: every process is in group logic).",
    (
        Col("process", "id", "process: a node of sites.csv or recipes.csv"),
        Col("group", "id", "group name, e.g. logic, packaging, memory"),
        Col("description", "text", "what the process is", required=False, default=""),
        Col("source", "text", "where the figures come from", required=False, default=""),
    ),
    key=("process",),
)

TOOLS = FileSpec(
    "tools.csv",
    False,
    "New tools (e.g. EUV scanners) obtainable per year; earlier years are stock.",
    (
        Col("tool", "id", "tool name"),
        _year("year", "year the tools can be obtained (before first_year: stock)"),
        _nonneg("units", "tools obtainable that year", 1e6, "tools per year"),
    ),
    key=("tool", "year"),
)

TOOL_USE = FileSpec(
    "tool_use.csv",
    False,
    "Tools needed per 1,000 wspm of new capacity of a process.",
    (
        Col("process", "id", "process run by some site of sites.csv"),
        Col("tool", "id", "tool of tools.csv"),
        _nonneg("units_per_kwspm", "tools per 1,000 wspm of new capacity", 1e6, "tools per kwspm"),
    ),
    key=("process", "tool"),
)

# --- subsidy programs with time windows (issue 13) ---------------------------------------------

SUBSIDIES = FileSpec(
    "subsidies.csv",
    False,
    "Subsidy programs: a share of the capex of builds decided in a window, up to a shared cap.",
    (
        Col("program", "id", "program name (one cap per program, shared by its regions)"),
        Col("region", "id", "site region whose builds qualify"),
        Col("kind", "id", "grant or tax_credit (a tax credit is counted as a grant)"),
        _fraction("rate", "share of the capex of a qualifying build"),
        _year("first_year", "first build decision year that qualifies"),
        _year("last_year", "last build decision year that qualifies"),
        _nonneg(
            "cap_musd",
            "most money the program pays over all its builds, million USD",
            1e8,
            "million USD",
            required=False,
            default=INF,
            allow_inf=True,
        ),
    ),
    key=("program", "region"),
)

# --- make or buy (issue 13): foundry capacity the partnership can buy per wafer --------------

SUPPLY_OFFERS = FileSpec(
    "supply_offers.csv",
    False,
    "Wafers of a process the partnership can buy from a foundry instead of making them.",
    (
        Col("offer", "id", "offer id"),
        Col("process", "id", "process offered: run by some site or named in recipes.csv"),
        Col("region", "id", "region of the foundry selling (a site region or a shipping lane's)"),
        _year("first_year", "first year the offer can be used"),
        _year("last_year", "last year the offer can be used"),
        _nonneg("max_wafers_per_year", "most wafers bought per year", 1e9, "wafers per year"),
        _nonneg("price_usd_per_wafer", "price per wafer, all costs included", 1e7, "USD per wafer"),
    ),
    key=("offer",),
)

# --- capital sources (issue 13): tranches beyond a partner's commitment ----------------------

CAPITAL_TRANCHES = FileSpec(
    "capital_tranches.csv",
    False,
    "More capital a partner offers beyond its partners.csv commitment, at its own price.",
    (
        Col("partner", "id", "partner of partners.csv with a finite max_commitment_musd"),
        Col("tranche", "id", "tranche name (unique per partner)"),
        _nonneg("max_musd", "most capital of the tranche, million USD", 1e8, "million USD"),
        _fraction("cost_of_capital", "return required on the tranche's capital per year"),
    ),
    key=("partner", "tranche"),
)

# --- power by time slice (issue 14): representative days and availability per slice ---------

SLICES = FileSpec(
    "slices.csv",
    False,
    "Time slices of representative days (absent: one annual energy balance).",
    (
        Col("slice", "id", "slice id"),
        Col("day", "id", "representative day the slice belongs to"),
        Col(
            "order",
            "integer",
            "position of the slice within its day",
            lo=0,
            limit=1000,
            unit="position",
        ),
        Col("hours", "number", "hours per year the slice stands for", lo=0, hi=8760, lo_open=True),
    ),
    key=("slice",),
)

AVAILABILITY = FileSpec(
    "availability.csv",
    False,
    "Share of contracted MW available per source and slice (absent: capacity_factor).",
    (
        Col("source", "text", "source of energy.csv"),
        Col("region", "id", "region (blank: every region)", required=False, default=""),
        Col("slice", "id", "slice of slices.csv"),
        _fraction("factor", "share of contracted MW available in the slice"),
    ),
    key=("source", "region", "slice"),
)

# --- power builds (issue 14): new generation and storage partners can build and fund ---------

GENERATION = FileSpec(
    "generation.csv",
    False,
    "New generation that can be built, funded by partners (absent: none is built).",
    (
        Col("project", "id", "generation project id"),
        Col("region", "id", "region of regions.csv whose fabs it serves"),
        Col("source", "text", "source (its availability.csv rows give output per slice)"),
        _nonneg("capex_usd_per_kw", "investment per kW built", 1e5, "USD per kW"),
        _nonneg("fixed_usd_per_kw_year", "fixed O&M per kW online per year", 1e4, "USD per kW-yr"),
        _nonneg("variable_usd_per_mwh", "variable cost per MWh generated", 1e4, "USD per MWh"),
        _nonneg("co2_t_per_mwh", "CO2 per MWh generated", 10, "t per MWh"),
        _nonneg("max_mw", "most MW built over the horizon", 1e6, "MW"),
        Col(
            "lead_time_years",
            "integer",
            "years from decision to online",
            lo=0,
            limit=20,
            unit="years",
        ),
        _year("first_build_year", "first year a build may be decided"),
        Col(
            "life_years",
            "integer",
            "years online (and of its financing annuity)",
            lo=1,
            limit=100,
            unit="years",
        ),
        Col("citation", "text", "where the numbers come from", required=False, default=""),
    ),
    key=("project",),
)

STORAGE = FileSpec(
    "storage.csv",
    False,
    "New storage (batteries) that can be built, funded by partners (absent: none is built).",
    (
        Col("project", "id", "storage project id"),
        Col("region", "id", "region of regions.csv whose fabs it serves"),
        _nonneg("capex_usd_per_kw", "investment per kW of power built", 1e5, "USD per kW"),
        _nonneg("capex_usd_per_kwh", "investment per kWh of energy capacity", 1e5, "USD per kWh"),
        Col(
            "efficiency",
            "number",
            "round-trip efficiency (applied on charging)",
            lo=0,
            hi=1,
            lo_open=True,
        ),
        _nonneg("max_mw", "most MW built over the horizon", 1e6, "MW"),
        Col(
            "max_hours",
            "number",
            "most MWh per MW built (duration)",
            lo=0,
            lo_open=True,
            limit=24,
            unit="hours",
        ),
        Col(
            "lead_time_years",
            "integer",
            "years from decision to online",
            lo=0,
            limit=20,
            unit="years",
        ),
        _year("first_build_year", "first year a build may be decided"),
        Col(
            "life_years",
            "integer",
            "years online (and of its financing annuity)",
            lo=1,
            limit=100,
            unit="years",
        ),
        Col("citation", "text", "where the numbers come from", required=False, default=""),
    ),
    key=("project",),
)

# --- operators (issue 13): who runs each site, at what cost, how fast, with what stake ---------

OPERATORS = FileSpec(
    "operators.csv",
    False,
    "Companies that may run sites: cost multipliers, yearly ramp limit, minimum own stake.",
    (
        Col("operator", "id", "operator id"),
        Col("kind", "text", "foundry, memory, osat, ... (documentation)"),
        Col(
            "partner",
            "text",
            "its partner id in partners.csv when it invests, else blank",
            required=False,
            default="",
        ),
        Col(
            "capex_factor",
            "number",
            "multiplier on the site's capex_usd_per_wspm (1 = same)",
            lo=0,
            lo_open=True,
            limit=100,
            unit="x",
        ),
        Col(
            "opex_factor",
            "number",
            "multiplier on the site's opex_usd_per_wafer (1 = same)",
            lo=0,
            lo_open=True,
            limit=100,
            unit="x",
        ),
        _fraction(
            "min_stake",
            "share of its builds' capital from its own partner id",
            required=False,
            default=0.0,
        ),
        _nonneg(
            "max_new_wspm_per_year",
            "most new capacity it brings online per year",
            1e7,
            "wspm per year",
            required=False,
            default=INF,
            allow_inf=True,
        ),
        Col("source", "text", "where the figures come from", required=False, default=""),
    ),
    key=("operator",),
)

SITE_OPERATORS = FileSpec(
    "site_operators.csv",
    False,
    "Who may run each site; the first operator listed for a site runs its existing capacity.",
    (
        Col("site", "id", "site of sites.csv"),
        Col("operator", "id", "operator of operators.csv"),
        Col("source", "text", "where the pairing comes from", required=False, default=""),
    ),
    key=("site", "operator"),
)

# Every file of the contract, in the order problems are reported.
FILES: dict[str, FileSpec] = {
    spec.name: spec
    for spec in (
        PARAMETERS,
        SITES,
        PRODUCTS,
        DEMAND,
        SCENARIOS,
        SHIPPING,
        ENERGY,
        SLICES,
        AVAILABILITY,
        GENERATION,
        STORAGE,
        PARTNERS,
        PARTNER_REGIONS,
        CAPITAL_TRANCHES,
        REGIONS,
        RECIPES,
        YIELDS,
        PROCESSES,
        TOOLS,
        TOOL_USE,
        SUPPLY_OFFERS,
        SUBSIDIES,
        OPERATORS,
        SITE_OPERATORS,
    )
}
