"""Building the area jobs from the city's layers, one at a time (see :mod:`planning.batch.cut`)."""
from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd

from planning.batch.cut import area_of_points, cut_network, horizon_minutes, within
from planning.batch.reach import DEFAULT_CHUNK
from planning.batch.task import AreaJob
from planning.catalogue import FacilityType
from planning.coverage import speed_mps
from planning.errors import warning_text
from planning.network import WalkNetwork
from planning.snapping import DEFAULT_MAX_SNAP_M, snap_points


def demand_by_area(demand: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list]:
    """Residents with an ``area`` code; those outside every area are left out, with a notice."""
    demand = demand.assign(area=area_of_points(demand, areas))
    outside = demand["area"].isna()
    notes = []
    if outside.any():
        notes.append(warning_text("batch_demand_outside", n=int(outside.sum()), total=len(demand),
                                  people=float(demand.loc[outside, "population"].sum())))
    return demand[~outside], notes


def area_jobs(network: WalkNetwork, areas: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
              facilities: gpd.GeoDataFrame, types: list[FacilityType], tiers: tuple[float, ...],
              speed_kmh: float, mclp_p: int | None = None, candidates: gpd.GeoDataFrame | None = None,
              chunk: int = DEFAULT_CHUNK) -> Iterator[AreaJob]:
    """One job per area, in the areas' order, each cut when it is asked for.

    Parameters
    ----------
    demand
        Residents with ``area`` (from :func:`demand_by_area`) and ``community`` columns.
    facilities
        Existing facilities (``type`` column) of the types to evaluate.
    candidates
        Candidate sites for MCLP; ``None`` uses one site per street block of each area.
    """
    horizon = horizon_minutes(tiers, types)
    buffer_m = horizon * 60 * speed_mps(speed_kmh)
    facilities = facilities[facilities["type"].isin([t.key for t in types])]
    facilities = facilities.iloc[snap_points(network, facilities).kept] if len(facilities) else facilities
    by_area = dict(tuple(demand.groupby("area", sort=False)))
    cand_area = area_of_points(candidates, areas) if candidates is not None else None
    for area in areas.itertuples():
        rows = cut_network(network, area.geometry, buffer_m + DEFAULT_MAX_SNAP_M)
        yield AreaJob(
            code=area.code, name=area.name, polygon=area.geometry,
            network=network.subnetwork(rows) if len(rows) else None,
            demand=by_area.get(area.code, demand.iloc[:0]),
            facilities=within(facilities, area.geometry, buffer_m),
            types=tuple(types), tiers=tuple(tiers), speed_kmh=speed_kmh, horizon_minutes=horizon,
            buffer_m=buffer_m, mclp_p=mclp_p,
            candidates=candidates[cand_area == area.code] if candidates is not None else None, chunk=chunk,
        )
