"""From an area's layers to a siting model: the one place the CLI and the app build models.

:class:`SitingData` places residents and candidate sites on the walking network once and
builds each tier's reach set when first asked; :func:`build_model` turns a model name, the
facility types and the user's parameters into one of the model classes; :func:`plan_coverage`
counts the people within each type's tier before and after a plan, per community, and
:func:`tier_coverage` turns that into the shares a model without a tier (p-median) lacks;
:func:`prepare_model` builds a model step by step (the app's background job cancels between steps);
:func:`priced` gives every chosen site its cost.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimize.capacitated import CapacitatedCoverage
from optimize.covering import LSCP, MCLP
from optimize.multi_type import MultiTypeBudget, TypeInput
from optimize.names import MODEL_NAMES, check_model_types
from optimize.p_median import PMedian
from optimize.parking import ParkingDeficit
from optimize.reach import reached_by
from planning.base.catalogue import FacilityType
from planning.base.errors import PlanningError, warning_text
from planning.base.walking import MAX_SNAP_M, speed_mps
from planning.coverage.residents import served_weight
from planning.coverage.times import nearest_seconds, reach_seconds
from planning.io.layers import numeric_column
from planning.network.graph import WalkNetwork
from planning.network.snapping import Snapped, snap_points

MODELS = MODEL_NAMES
P_MEDIAN_MINUTES = 30.0  # p-median sends everyone to an open site: allow a longer walk than the tier
PEOPLE_PER_HOUSEHOLD = 2.62  # China, 7th census (2020): 2.62 people per household


@dataclass
class SitingData:
    """Residents and candidate sites on the network, with reach sets built on demand.

    ``demand`` and ``candidates`` keep only the rows that snapped to the network (within
    ``max_snap_m``); ``notes`` says how many were left out (zh, en).
    """

    network: WalkNetwork
    demand: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    speed_mps: float
    demand_snap: Snapped
    candidate_snap: Snapped
    max_snap_m: float = MAX_SNAP_M
    notes: list[tuple[str, str]] = field(default_factory=list)
    _reach: dict[float, sp.csr_array] = field(default_factory=dict, repr=False)

    @classmethod
    def prepare(cls, network: WalkNetwork, demand: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame,
                facilities: gpd.GeoDataFrame, speed_kmh: float,
                max_snap_m: float = MAX_SNAP_M) -> "SitingData":
        """Snap residents and candidates; existing ``facilities`` carry a ``type`` column."""
        if len(candidates) == 0:
            raise PlanningError("optimize_no_candidates")
        notes = []
        snaps = []
        for layer in (demand, candidates):
            snapped = snap_points(network, layer, max_snap_m)
            if snapped.n_dropped:
                notes.append(warning_text("points_some_far", n=snapped.n_dropped, total=snapped.n_input,
                                          max_m=max_snap_m))
            snaps.append(snapped)
        return cls(network, demand.iloc[snaps[0].kept].to_crs(network.crs).reset_index(drop=True),
                   candidates.iloc[snaps[1].kept].to_crs(network.crs).reset_index(drop=True),
                   facilities, speed_mps(speed_kmh), snaps[0], snaps[1], max_snap_m, notes)

    def reach(self, minutes: float) -> sp.csr_array:
        """Candidates (rows) × residents (columns) within ``minutes`` on foot, in seconds."""
        if minutes not in self._reach:
            self._reach[minutes] = reach_seconds(self.network, self.candidate_snap, self.demand_snap,
                                                 self.speed_mps, minutes * 60)
        return self._reach[minutes]

    def already_covered(self, ftype: FacilityType, minutes: float) -> np.ndarray:
        """Residents an existing facility of ``ftype`` already reaches within ``minutes``."""
        existing = self.facilities[self.facilities["type"] == ftype.key]
        if existing.empty:
            return np.zeros(len(self.demand), bool)
        snapped = snap_points(self.network, existing, self.max_snap_m)
        return nearest_seconds(self.network, snapped, self.demand_snap, self.speed_mps, minutes * 60) <= minutes * 60

    def candidate_values(self, role: str, default: float) -> np.ndarray:
        """A candidate column (``cost_yuan``, ``capacity``) where given, else the catalogue default."""
        values = numeric_column(self.candidates, role, "candidates", required=False)
        return np.full(len(self.candidates), float(default)) if values is None else values.to_numpy(float)

    @property
    def communities(self) -> np.ndarray:
        return self.demand["community"].astype(str).to_numpy()


def _model_type(data: SitingData, ftype: FacilityType) -> TypeInput:
    return TypeInput(name=ftype.key, reach=data.reach(ftype.tier_minutes), weights=served_weight(data.demand, ftype),
                     costs_yuan=data.candidate_values("cost_yuan", ftype.default_cost_yuan),
                     already_covered=data.already_covered(ftype, ftype.tier_minutes))


def _minutes(model: str, ftype: FacilityType, params: dict) -> float:
    """The walk a single-type model counts: the user's override, p-median's longer walk, or the type's tier."""
    return params.get("minutes") or (P_MEDIAN_MINUTES if model == "p_median" else ftype.tier_minutes)


def prepare_model(data: SitingData, model: str, types: list[FacilityType], params: dict,
                  checkpoint: Callable[[], None] = lambda: None):
    """:func:`build_model`, with ``checkpoint()`` called before each reach set it needs is computed and
    before the model is built (the reach sets are the long part on a big area: a cancel lands between them)."""
    tiers = [t.tier_minutes for t in types] if model == "budget" else [_minutes(model, types[0], params)]
    for minutes in dict.fromkeys(tiers):
        checkpoint()
        data.reach(minutes)
    checkpoint()
    return build_model(data, model, types, params)


def build_model(data: SitingData, model: str, types: list[FacilityType], params: dict):
    """The model ``model`` (one of :data:`MODELS`) for ``types`` with the user's ``params``.

    Parameters
    ----------
    params
        ``p`` (new sites), ``share`` (LSCP cover share), ``budget_yuan``, ``minutes`` (tier
        override), ``cars_per_household`` (parking), ``equity_floor`` (budget model); residents'
        stated needs (:class:`optimize.needs.SitingNeeds`) as ``needs``, each weighing ``need_weight``
        residents beside the residents weighted ``population_weight`` (MCLP, LSCP and p-median only).
    """
    check_model_types(model, [t.key for t in types])
    common = {"candidates": data.candidates, "communities": data.communities}
    if params.get("needs") is not None:
        return _with_needs(data, model, types[0], params, common)
    if model == "budget":
        return MultiTypeBudget.from_types([_model_type(data, t) for t in types], params["budget_yuan"],
                                          equity_floor=params.get("equity_floor"), **common)
    ftype = types[0]
    minutes = _minutes(model, ftype, params)
    reach, weights = data.reach(minutes), served_weight(data.demand, ftype)
    costs = data.candidate_values("cost_yuan", ftype.default_cost_yuan)
    already = data.already_covered(ftype, minutes)
    if model == "mclp":
        return MCLP.from_reach(reach, weights, params["p"], already_covered=already, costs=costs,
                               budget_yuan=params.get("budget_yuan"), **common)
    if model == "lscp":
        return LSCP.from_reach(reach, weights, params.get("share", 1.0), already_covered=already, costs=costs,
                               demand_ids=data.demand["id"].astype(str).to_numpy(), **common)
    if model == "p_median":
        return PMedian.from_reach(reach, weights, params["p"], demand_ids=data.demand["id"].astype(str).to_numpy(),
                                  **common)
    capacity = data.candidate_values("capacity", ftype.default_capacity)
    if model == "capacitated":
        return CapacitatedCoverage.from_reach(reach, weights, capacity, p=params.get("p"), costs=costs,
                                              budget_yuan=params.get("budget_yuan"), already_covered=already, **common)
    if model == "parking":
        households = data.demand["population"].to_numpy(float) / PEOPLE_PER_HOUSEHOLD
        return ParkingDeficit.from_reach(reach, households, params["cars_per_household"],
                                         np.zeros(len(households)), capacity, costs / np.maximum(capacity, 1),
                                         params["budget_yuan"], **common)
    raise PlanningError("optimize_model_unknown", model=model, known=", ".join(MODELS))


def _with_needs(data: SitingData, model: str, ftype: FacilityType, params: dict, common: dict):
    """A single-type model whose demand is the residents and the stated needs a site of ``ftype`` answers."""
    from optimize.needs import NEEDS_MODELS, stack_needs

    if model not in NEEDS_MODELS:
        raise PlanningError("needs_model_unsupported", model=model)
    minutes = _minutes(model, ftype, params)
    reach, weights, already, communities = stack_needs(
        data, params["needs"], ftype, minutes, data.reach(minutes), served_weight(data.demand, ftype),
        data.already_covered(ftype, minutes), params.get("need_weight", 1.0), params.get("population_weight", 1.0))
    common = {**common, "communities": communities}
    costs = data.candidate_values("cost_yuan", ftype.default_cost_yuan)
    if model == "mclp":
        return MCLP.from_reach(reach, weights, params["p"], already_covered=already, costs=costs,
                               budget_yuan=params.get("budget_yuan"), **common)
    ids = np.concatenate([data.demand["id"].astype(str).to_numpy(),
                          [f"need-{i}" for i in range(reach.shape[1] - len(data.demand))]])
    if model == "lscp":
        return LSCP.from_reach(reach, weights, params.get("share", 1.0), already_covered=already, costs=costs,
                               demand_ids=ids, **common)
    return PMedian.from_reach(reach, weights, params["p"], demand_ids=ids, **common)


def plan_coverage(data: SitingData, sites: pd.DataFrame, types: list[FacilityType]) -> pd.DataFrame:
    """People (and people 60+) within each type's tier before and after ``sites``, per community.

    ``sites`` are a result's chosen rows (``candidate_index``, and ``type`` for multi-type plans).
    """
    pop, pop60 = data.demand["population"].to_numpy(float), data.demand["pop_60plus"].to_numpy(float)
    frames = []
    for ftype in types:
        before = data.already_covered(ftype, ftype.tier_minutes)
        chosen = sites if "type" not in sites else sites[sites["type"] == ftype.key]
        after = before | reached_by(data.reach(ftype.tier_minutes), chosen["candidate_index"].to_numpy())
        frames.append(pd.DataFrame({
            "community": data.demand["community"].to_numpy(), "type": ftype.key,
            "tier_minutes": int(round(ftype.tier_minutes)), "population": pop, "population_60_plus": pop60,
            "covered_before": pop * before, "covered_after": pop * after,
            "covered_60_plus_before": pop60 * before, "covered_60_plus_after": pop60 * after,
        }))
    return pd.concat(frames).groupby(["community", "type", "tier_minutes"], as_index=False).sum()


def priced(data: SitingData, sites: pd.DataFrame, types: list[FacilityType]) -> pd.DataFrame:
    """``sites`` with ``cost_yuan`` for every site: the model's own cost where it gives one
    (parking: fixed + per space), else the candidate's ``cost_yuan`` column, else the type's
    catalogue ``default_cost_yuan``. Models without costs (p-median) are priced the same way."""
    given = sites["cost_yuan"] if "cost_yuan" in sites else pd.Series(np.nan, index=sites.index)
    keys = sites["type"] if "type" in sites else pd.Series(types[0].key, index=sites.index)
    costs = pd.Series(np.nan, index=sites.index)
    for ftype in types:
        mine = (keys == ftype.key).to_numpy()
        values = data.candidate_values("cost_yuan", ftype.default_cost_yuan)
        costs[mine] = values[sites["candidate_index"].to_numpy()[mine]]
    return sites.assign(cost_yuan=given.astype(float).fillna(costs))


def tier_coverage(data: SitingData, sites: pd.DataFrame,
                  types: list[FacilityType]) -> tuple[float, float, pd.DataFrame]:
    """Share of the residents each type serves within its tier, before and after ``sites``.

    Returns
    -------
    before, after
        Shares (0–1) over every type and community.
    communities
        Per type and community: ``population`` (residents served), ``coverage_before``,
        ``coverage_after`` (NaN where the community has none of the residents served).
    """
    rows = plan_coverage(data, sites, types)
    elderly = rows["type"].map({t.key: t.serves == "elderly" and "pop_60plus" in data.demand for t in types})
    pick = {part: rows[f"covered_60_plus_{part}"].where(elderly, rows[f"covered_{part}"]) for part in ("before", "after")}
    served = rows["population_60_plus"].where(elderly, rows["population"])
    total = served.sum()
    table = pd.DataFrame({"type": rows["type"], "community": rows["community"], "population": served,
                          **{f"coverage_{part}": pick[part] / served.where(served > 0) for part in pick}})
    shares = [float(pick[part].sum() / total) if total > 0 else float("nan") for part in ("before", "after")]
    return shares[0], shares[1], table
