"""Everything the checks share: the case, the cleaned plan tables and quantities derived once.

Installed and available capacity are recomputed here from builds.csv and the inputs (never
taken from capacity.csv), so every check compares the plan against an independent figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from optimizer.inputs.case import Case
from optimizer.verify.plan import Plan
from optimizer.verify.result import Findings
from optimizer.verify.tolerance import ABS_TOL


@dataclass
class Context:
    case: Case
    plan: Plan
    probs: pd.Series  # scenario -> probability used by the plan
    findings: Findings
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # cleaned by references.py

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def years(self) -> list[int]:
        return self.case.years

    def df(self, years: pd.Series | np.ndarray | int) -> np.ndarray:
        """Discount factor 1/(1+r)^(t-first_year) for any year (inside the horizon or not)."""
        p = self.case.params
        t = np.asarray(years, dtype=float)
        return (1.0 + p.discount_rate) ** -(t - p.first_year)

    @cached_property
    def sites(self) -> pd.DataFrame:
        return self.case.sites.set_index("site")

    @cached_property
    def products(self) -> pd.DataFrame:
        return self.case.products.set_index("product")

    @cached_property
    def partners(self) -> pd.DataFrame:
        return self.case.partners.set_index("partner")

    @cached_property
    def contracts(self) -> pd.DataFrame | None:
        return None if self.case.energy is None else self.case.energy.set_index("contract")

    @cached_property
    def builds(self) -> pd.DataFrame:
        """builds.csv with the site's region, lead time and the recomputed online year."""
        b = self["builds.csv"].copy()
        site = self.sites.loc[b["site"]]
        b["region"] = site["region"].to_numpy()
        b["lead"] = site["lead_time_years"].to_numpy().astype(int)
        b["online"] = b["year"] + b["lead"]
        return b

    @cached_property
    def grid(self) -> pd.DataFrame:
        """One row per site x year: existing, built (decided by t), installed, available, open."""
        index = pd.MultiIndex.from_product([self.sites.index, self.years], names=["site", "year"])
        g = pd.DataFrame(index=index).reset_index()
        g["region"] = g["site"].map(self.sites["region"])
        g["existing"] = g["site"].map(self.sites["existing_wspm"]).astype(float)
        b = self.builds[["site", "year", "online", "wspm"]].rename(columns={"year": "decided"})
        pairs = b.merge(pd.DataFrame({"year": self.years}), how="cross")
        online_years = (pairs["year"] - pairs["online"]).astype(int)
        ramp = {k: self.case.params.ramp(int(k)) for k in np.unique(online_years)}
        pairs["installed"] = np.where(online_years >= 0, pairs["wspm"], 0.0)
        pairs["available"] = pairs["wspm"] * online_years.map(ramp).to_numpy(dtype=float)
        pairs["built"] = np.where(pairs["decided"] <= pairs["year"], pairs["wspm"], 0.0)
        sums = pairs.groupby(["site", "year"])[["installed", "available", "built"]].sum()
        g = g.merge(sums, on=["site", "year"], how="left").fillna(
            {"installed": 0.0, "available": 0.0, "built": 0.0}
        )
        g["installed"] += g["existing"]
        g["available"] += g["existing"]
        opened = self["capacity.csv"].set_index(["site", "year"])["open"]
        g["open"] = pd.MultiIndex.from_frame(g[["site", "year"]]).map(opened).to_numpy(dtype=float)
        g["open"] = np.nan_to_num(g["open"], nan=0.0)
        return g

    @cached_property
    def stages(self) -> pd.DataFrame:
        """product, process, year, per_wafer (yield applied), per_gpu, final: the recipes of the
        inputs in every year, the yield factor interpolated here (np.interp holds the ends)."""
        r = self.case.recipes[["product", "process", "per_wafer", "per_gpu", "final"]]
        r = r.merge(pd.DataFrame({"year": self.years}), how="cross")
        factor = np.ones(len(r))
        for process, y in self.case.yields.groupby("process"):
            y = y.sort_values("year")
            mine = (r["process"] == process).to_numpy()
            factor[mine] = np.interp(r.loc[mine, "year"], y["year"], y["factor"])
        r["per_wafer"] = r["per_wafer"].to_numpy(dtype=float) * factor
        r["final"] = r["final"].astype(bool)
        return r

    @cached_property
    def production(self) -> pd.DataFrame:
        """production.csv with region, the site's process, the stage's per_wafer, per_gpu and
        final (NaN: the product has no stage on that process), gpus_per_wafer = per_wafer /
        per_gpu (GPUs a wafer supports) and GPUs recomputed from wafers."""
        p = self["production.csv"].copy()
        p["region"] = p["site"].map(self.sites["region"])
        p["site_process"] = p["site"].map(self.sites["node"])
        stage = self.stages.rename(columns={"process": "site_process"})
        p = p.merge(stage, on=["product", "site_process", "year"], how="left")
        p["final"] = p["final"].fillna(False).astype(bool)
        p["gpus_per_wafer"] = p["per_wafer"] / p["per_gpu"]
        p["gpus_made"] = p["wafers"] * p["gpus_per_wafer"]
        return p

    @cached_property
    def shipments(self) -> pd.DataFrame:
        """shipments.csv with the lane's cost per GPU from shipping.csv (NaN: no such lane)."""
        lanes = self.case.shipping[["region", "market", "cost_usd_per_gpu"]]
        lanes = lanes.rename(columns={"cost_usd_per_gpu": "ship_usd_per_gpu"})
        return self["shipments.csv"].merge(
            lanes.drop_duplicates(["region", "market"]), on=["region", "market"], how="left"
        )

    @cached_property
    def deliveries(self) -> pd.DataFrame:
        """Each production row with wafers > 0 paired with every lane its region ships the
        product on in that year (gpus > 0): the routes site -> market the plan uses."""
        keys = ["scenario", "region", "product", "year"]
        s = self.shipments
        s = s[s["gpus"] > ABS_TOL][[*keys, "market", "ship_usd_per_gpu"]]
        p = self.production
        return p[(p["wafers"] > ABS_TOL) & p["final"]].merge(s, on=keys)

    @cached_property
    def wafers(self) -> pd.DataFrame:
        """Wafers made per scenario x site x year, on the full grid (0 where nothing is made)."""
        index = pd.MultiIndex.from_product(
            [self.probs.index, self.sites.index, self.years], names=["scenario", "site", "year"]
        )
        made = self.production.groupby(["scenario", "site", "year"])["wafers"].sum()
        return made.reindex(index, fill_value=0.0).rename("wafers").reset_index()

    @cached_property
    def mw(self) -> pd.Series:
        """MW contracted per contract of energy.csv (0 for contracts missing from the plan)."""
        if self.contracts is None:
            return pd.Series(dtype=float)
        given = self["contracts.csv"].set_index("contract")["mw"]
        return given.reindex(self.contracts.index, fill_value=0.0)
