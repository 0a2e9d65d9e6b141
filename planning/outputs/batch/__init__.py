"""City-scale batch mode: coverage (and MCLP) for many street-office areas at once, on Dask.

    result = run_batch(network, areas, demand, facilities, types, scheduler=None, workers=2)
    write_batch_gpkg(out_dir / "batch.gpkg", result, areas, communities)

Each area runs on its own cut of the network (streets within the longest walking tier plus
the snapping distance), so its walking times equal those of the whole network up to that
tier; times beyond it are reported as ``inf``. See :mod:`planning.outputs.batch.cut`.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd

from planning.areas.derive import assign_community
from planning.base.catalogue import FacilityType
from planning.base.walking import DEFAULT_SPEED_KMH, TIERS_MINUTES
from planning.network.graph import WalkNetwork
from planning.outputs.batch.cut import horizon_minutes, read_areas
from planning.outputs.batch.jobs import city_areas, demand_by_area, prepare_city
from planning.outputs.batch.merge import BatchResult, merge_run, write_batch_gpkg
from planning.outputs.batch.reach import DEFAULT_CHUNK, chunked_reach_seconds
from planning.outputs.batch.runner import check_scheduler, dask_client, run_jobs

__all__ = ["run_batch", "BatchResult", "write_batch_gpkg", "read_areas", "horizon_minutes",
           "chunked_reach_seconds", "check_scheduler", "dask_client"]


def run_batch(network: WalkNetwork, areas: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
              facilities: gpd.GeoDataFrame, types: list[FacilityType],
              tiers: tuple[float, ...] = TIERS_MINUTES, speed_kmh: float = DEFAULT_SPEED_KMH, *,
              communities: gpd.GeoDataFrame | None = None, candidates: gpd.GeoDataFrame | None = None,
              mclp_p: int | None = None, scheduler: str | None = None, workers: int | None = None,
              memory_limit: str | float = "auto", retries: int = 1, chunk: int = DEFAULT_CHUNK,
              city_folder: Path | None = None, progress: bool = True) -> BatchResult:
    """Coverage of every area of a city in parallel, merged.

    Parameters
    ----------
    network
        The city's walking network.
    areas
        Street-office polygons with ``code`` and ``name`` (see :func:`read_areas`).
    demand
        Residents (``population``, optional ``pop_60plus``); rows keep their index.
    facilities
        Existing facilities with a ``type`` column.
    communities
        Community polygons (``code``, ``name``) to summarise by; default: by area.
    mclp_p
        When given, also choose this many new sites per area and type (MCLP).
    scheduler
        Address of a running Dask scheduler; default: a local cluster of ``workers`` processes.
    city_folder
        A folder every worker sees at the same path (a network share): the city goes to a
        ``scheduler``'s workers through one file there instead of a broadcast. A local cluster
        always uses a file (in this folder, or a temporary one).
    memory_limit
        Memory per local worker (Dask syntax, e.g. ``"2GiB"``).
    retries
        Extra attempts for an area whose computation raised.
    chunk
        Candidate sites per reach-set search (bounds memory).
    """
    demand = demand.to_crs(network.crs)
    if communities is not None:
        communities = communities.to_crs(network.crs)
        demand = demand.assign(community=assign_community(demand, communities))
    demand, notes = demand_by_area(demand, areas)
    if communities is None:
        demand = demand.assign(community=demand["area"])
    city = prepare_city(network, areas, facilities, types, tuple(tiers), speed_kmh, mclp_p, candidates, chunk)
    with dask_client(scheduler, workers, memory_limit) as client, \
            _folder_for_city(scheduler, city_folder) as via_folder:
        run = run_jobs(client, city, city_areas(areas, demand), retries=retries, progress=progress,
                       via_folder=via_folder)
    result = merge_run(run, areas, communities, types, tuple(tiers), demand.geometry)
    result.notes[:0] = notes
    return result


@contextmanager
def _folder_for_city(scheduler: str | None, city_folder: Path | None) -> Iterator[Path | None]:
    """A fresh folder for the city file, removed afterwards; None (broadcast) for a scheduler's
    workers with no ``city_folder``, which may not see this machine's files."""
    if scheduler and city_folder is None:
        yield None
        return
    # absolute, not resolved: a worker's working folder differs, and a link may be all it shares
    parent = Path(city_folder).absolute() if city_folder is not None else None
    with tempfile.TemporaryDirectory(prefix="planning-batch-", dir=parent) as folder:
        yield Path(folder)
