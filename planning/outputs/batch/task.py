"""One area's work, as it runs on a Dask worker: cut network → coverage → optional MCLP.

An :class:`AreaJob` holds everything one area needs; the worker cuts it from the city it holds
(:func:`planning.outputs.batch.jobs.cut_area`), so any worker, local or remote, can run any area, and
the scheduler can re-run it elsewhere when a worker dies. Errors leave as
:class:`AreaFailure`, which survives pickling between processes.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from optimize import MCLP
from planning.areas.derive import block_candidates, street_blocks
from planning.base.catalogue import FacilityType
from planning.base.errors import PlanningError, warning_text
from planning.base.walking import speed_mps
from planning.coverage.residents import compute_coverage, served_weight
from planning.network.graph import WalkNetwork
from planning.network.snapping import snap_points
from planning.outputs.batch.reach import DEFAULT_CHUNK, chunked_reach_seconds


@dataclass(frozen=True)
class AreaJob:
    """Inputs of one area (all layers in the city network's projected CRS).

    ``demand`` holds only the area's residents (with ``community``); ``facilities`` those
    within the horizon of it; ``network`` the streets within horizon + snapping distance (``None`` if there are none).
    """

    code: str
    name: str
    polygon: shapely.Geometry
    network: WalkNetwork | None
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    types: tuple[FacilityType, ...]
    tiers: tuple[float, ...]
    speed_kmh: float
    horizon_minutes: float
    buffer_m: float
    mclp_p: int | None = None
    candidates: gpd.GeoDataFrame | None = None
    chunk: int = DEFAULT_CHUNK


@dataclass
class AreaOutcome:
    """Result of one area: its residents' minutes (``inf`` beyond the horizon) and MCLP plans.

    ``demand`` keeps the residents' index and columns but not their points, which the main
    process already has: sending them back would cost more than the minutes themselves.
    """

    code: str
    demand: pd.DataFrame
    n_nodes: int
    seconds: float
    worker_pid: int
    plans: pd.DataFrame | None = None
    sites: gpd.GeoDataFrame | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)


class AreaFailure(Exception):
    """An area's :class:`PlanningError`, reduced to picklable text (area, code, zh, en)."""

    def __init__(self, area: str, code: str, zh: str, en: str) -> None:
        super().__init__(area, code, zh, en)
        self.area, self.code, self.zh, self.en = area, code, zh, en

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


def run_area(job: AreaJob) -> AreaOutcome:
    """Coverage (and MCLP when ``job.mclp_p``) of one area; raises :class:`AreaFailure`."""
    try:
        return _run_area(job)
    except PlanningError as err:
        raise AreaFailure(job.code, err.code, err.message("zh"), err.message("en")) from err


def _run_area(job: AreaJob) -> AreaOutcome:
    start = time.perf_counter()
    if job.network is None:
        raise PlanningError("batch_area_no_network", area=job.name, buffer_m=job.buffer_m)
    network = job.network
    result = compute_coverage(network, job.demand, job.facilities, list(job.types), None, job.tiers, job.speed_kmh)
    demand = result.demand.assign(area=job.code)
    for ftype in job.types:
        column = f"minutes_to_{ftype.key}"
        demand[column] = demand[column].where(demand[column] <= job.horizon_minutes, np.inf)
    outcome = AreaOutcome(job.code, demand, network.n_nodes, 0.0, os.getpid(), notes=list(result.notes))
    if job.mclp_p and len(demand):
        _add_plans(job, network, outcome)
    outcome.demand = pd.DataFrame(demand.drop(columns=demand.geometry.name))
    outcome.seconds = time.perf_counter() - start
    return outcome


def _area_candidates(job: AreaJob, network: WalkNetwork) -> gpd.GeoDataFrame:
    if job.candidates is not None:
        return job.candidates.reset_index(drop=True)
    return block_candidates(street_blocks(network, job.polygon))


def _add_plans(job: AreaJob, network: WalkNetwork, outcome: AreaOutcome) -> None:
    """One MCLP per facility type: ``mclp_p`` new sites among the area's candidates."""
    candidates = _area_candidates(job, network)
    if len(candidates) == 0:
        outcome.notes.append(warning_text("batch_area_no_candidates", area=job.name))
        return
    walk_mps = speed_mps(job.speed_kmh)
    demand = outcome.demand
    cand_snap = snap_points(network, candidates)
    candidates = candidates.iloc[cand_snap.kept].reset_index(drop=True)
    dem_snap = snap_points(network, demand)
    rows, sites = [], []
    for ftype in job.types:
        cutoff_s = ftype.tier_minutes * 60
        reach = chunked_reach_seconds(network, cand_snap, dem_snap, walk_mps, cutoff_s, job.chunk, n_threads=1)
        already = demand[f"minutes_to_{ftype.key}"].to_numpy() <= ftype.tier_minutes
        model = MCLP.from_reach(reach, served_weight(demand, ftype), job.mclp_p, already_covered=already,
                                candidates=candidates)
        result = model.solve()
        rows.append({"area": job.code, "type": ftype.key, "status": result.status, "new_sites": len(result.sites),
                     "coverage_before": result.coverage_before, "coverage_after": result.coverage_after})
        chosen = candidates.iloc[result.site_index] if len(result.sites) else candidates.iloc[[]]
        sites.append(chosen.assign(area=job.code, type=ftype.key))
    outcome.plans = pd.DataFrame(rows)
    outcome.sites = gpd.GeoDataFrame(pd.concat(sites, ignore_index=True), crs=network.crs)
