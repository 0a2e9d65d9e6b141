"""The city's shared layers, and cutting one area's job out of them (see :mod:`planning.outputs.batch.cut`).

The main process prepares a :class:`City` (network and facilities) once; the runner sends it
to every worker once (a file every worker reads, or ``client.scatter``), and each task carries
one :class:`StreetOffice` (polygon and residents) and cuts the area's network on the worker. The
main process thus does no per-area network work, and each resident crosses the wire once each way.
"""
from __future__ import annotations

import dataclasses
import functools
import pickle
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from planning.base.catalogue import FacilityType
from planning.base.errors import warning_text
from planning.base.walking import MAX_SNAP_M, speed_mps
from planning.io.write import atomic_output
from planning.network.graph import WalkNetwork
from planning.network.snapping import snap_points
from planning.outputs.batch.cut import (
    area_of_points,
    cut_network,
    horizon_minutes,
    within,
)
from planning.outputs.batch.reach import DEFAULT_CHUNK
from planning.outputs.batch.task import AreaJob, AreaOutcome, run_area

RESIDENT_ROW = "resident_row"


@dataclass(frozen=True)
class StreetOffice:
    """One street office: its code, name, polygon and residents (network CRS)."""

    code: str
    name: str
    polygon: shapely.Geometry
    demand: gpd.GeoDataFrame


@dataclass(frozen=True)
class City:
    """What the areas share (layers in the network's projected CRS).

    ``network`` carries no networkx graph (the arrays are all a cut needs); ``facilities`` are
    those of the evaluated types that snap to the network.
    """

    network: WalkNetwork
    facilities: gpd.GeoDataFrame
    types: tuple[FacilityType, ...]
    tiers: tuple[float, ...]
    speed_kmh: float
    mclp_p: int | None = None
    candidates: gpd.GeoDataFrame | None = None
    candidate_area: np.ndarray | None = None
    chunk: int = DEFAULT_CHUNK

    @property
    def horizon_minutes(self) -> float:
        return horizon_minutes(self.tiers, list(self.types))

    @property
    def buffer_m(self) -> float:
        """Longest walk any result needs, in metres."""
        return self.horizon_minutes * 60 * speed_mps(self.speed_kmh)


def demand_by_area(demand: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list]:
    """Residents with an ``area`` code; those outside every area are left out, with a notice."""
    demand = demand.assign(area=area_of_points(demand, areas))
    outside = demand["area"].isna()
    notes = []
    if outside.any():
        notes.append(warning_text("batch_demand_outside", n=int(outside.sum()), total=len(demand),
                                  people=float(demand.loc[outside, "population"].sum())))
    return demand[~outside], notes


def prepare_city(network: WalkNetwork, areas: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame,
                 types: list[FacilityType], tiers: tuple[float, ...], speed_kmh: float, mclp_p: int | None = None,
                 candidates: gpd.GeoDataFrame | None = None, chunk: int = DEFAULT_CHUNK) -> City:
    """The shared layers of a batch, in the network CRS.

    Parameters
    ----------
    areas
        Street offices (``code``), to tell which area each candidate lies in.
    facilities
        Existing facilities (``type`` column); other types are dropped.
    candidates
        Candidate sites for MCLP; ``None`` uses one site per street block of each area.
    """
    facilities = facilities.to_crs(network.crs)
    facilities = facilities[facilities["type"].isin([t.key for t in types])]
    if len(facilities):
        facilities = facilities.iloc[snap_points(network, facilities).kept]
    if candidates is not None:
        candidates = candidates.to_crs(network.crs)
    candidate_area = area_of_points(candidates, areas) if candidates is not None else None
    return City(dataclasses.replace(network, graph=None), facilities, tuple(types), tuple(tiers), speed_kmh, mclp_p,
                candidates, candidate_area, chunk)


def city_areas(areas: gpd.GeoDataFrame, demand: gpd.GeoDataFrame) -> list[StreetOffice]:
    """Each street office (``code``, ``name``, geometry) with its residents.

    ``demand`` has ``area`` (from :func:`demand_by_area`) and ``community`` columns; each
    resident also carries its row in ``demand`` (:data:`RESIDENT_ROW`), so the merge can put
    the city back in order whatever its index.
    """
    demand = demand.assign(**{RESIDENT_ROW: np.arange(len(demand))})
    residents = dict(tuple(demand.groupby("area", sort=False)))
    return [StreetOffice(str(a.code), str(a.name), a.geometry, residents.get(a.code, demand.iloc[:0]))
            for a in areas.itertuples()]


def cut_area(city: City, area: StreetOffice) -> AreaJob:
    """One area's job: the streets within its walking buffer, its residents, the facilities near it."""
    buffer_m = city.buffer_m
    rows = cut_network(city.network, area.polygon, buffer_m + MAX_SNAP_M)
    return AreaJob(
        code=area.code, name=area.name, polygon=area.polygon,
        network=city.network.subnetwork(rows) if len(rows) else None,
        demand=area.demand,
        facilities=within(city.facilities, area.polygon, buffer_m),
        types=city.types, tiers=city.tiers, speed_kmh=city.speed_kmh, horizon_minutes=city.horizon_minutes,
        buffer_m=buffer_m, mclp_p=city.mclp_p,
        candidates=city.candidates[city.candidate_area == area.code] if city.candidates is not None else None,
        chunk=city.chunk,
    )


def area_jobs(city: City, areas: gpd.GeoDataFrame, demand: gpd.GeoDataFrame) -> Iterator[AreaJob]:
    """Every area's job, in the areas' order, each cut when it is asked for (single process)."""
    return (cut_area(city, area) for area in city_areas(areas, demand))


def write_city(city: City, folder: Path) -> str:
    """Pickle ``city`` into ``folder`` (written whole, then renamed) and return the file's path."""
    path = folder / "city.pickle"
    with atomic_output(path) as part, open(part, "wb") as file:
        pickle.dump(city, file, protocol=pickle.HIGHEST_PROTOCOL)
    return str(path)


@functools.lru_cache(maxsize=1)  # per worker process: each batch writes a new file, so no stale city
def city_from_file(path: str) -> City:
    with open(path, "rb") as file:
        return pickle.load(file)


def load_city(path: str) -> None:
    """Read the city file into this worker's memory (run on every worker at once, before the areas)."""
    city_from_file(path)


def run_city_area(city: City | str, area: StreetOffice) -> AreaOutcome:
    """The task a worker runs: cut the area from the city it holds (or reads once from the file
    ``city`` names), then compute it (seconds include the cut)."""
    start = time.perf_counter()
    if isinstance(city, str):
        city = city_from_file(city)
    outcome = run_area(cut_area(city, area))
    outcome.seconds = time.perf_counter() - start
    return outcome
