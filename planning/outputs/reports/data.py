"""Everything a report shows, computed once: coverage, uncovered clusters and walking areas."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from planning.areas.build import Area
from planning.base.catalogue import FacilityType, load_catalogue
from planning.base.walking import DEFAULT_SPEED_KMH, TIERS_MINUTES, speed_mps
from planning.coverage.isochrones import isochrones
from planning.coverage.residents import Coverage, compute_coverage
from planning.network.snapping import snap_points
from planning.outputs.reports.clusters import CELL_M, uncovered_clusters

if TYPE_CHECKING:  # imported for type hints only: the app's first page reads none of it (pydantic is slow to import)
    from scenarios.scenario import Scenario


@dataclass
class ReportData:
    """The inputs of one report (layers in the network CRS, metres).

    Attributes
    ----------
    area, types, coverage
        The area, the facility types reported and their coverage (:func:`planning.coverage.residents.compute_coverage`).
    present
        Keys of the facility types with at least one existing facility in the area.
    clusters
        Uncovered clusters of every present life-circle type, largest first (see
        :func:`planning.outputs.reports.clusters.uncovered_clusters`).
    isochrones
        Walking areas of the existing facilities: columns ``type``, ``minutes``.
    speed_kmh, cell_m
        Walking speed (km/h) and the grid cell (metres) of the clusters.
    scenario
        A loaded scenario to describe, or None.
    poll
        A published poll result (:meth:`scenarios.voting.VotingService.published_result`), or None.
    """

    area: Area
    types: list[FacilityType]
    present: list[str]
    coverage: Coverage
    clusters: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    speed_kmh: float
    cell_m: float
    scenario: Scenario | None = None
    poll: dict[str, Any] | None = None


def walking_areas(area: Area, types: list[FacilityType], tiers: tuple[float, ...],
                  speed_kmh: float) -> gpd.GeoDataFrame:
    """Isochrone polygons of the existing facilities of each type (columns ``type``, ``minutes``)."""
    frames = [isochrones(area.network, snap_points(area.network, area.facilities_of(t.key)), tiers,
                         speed_mps(speed_kmh)).assign(type=t.key)
              for t in types if len(area.facilities_of(t.key))]
    if not frames:
        return gpd.GeoDataFrame({"type": [], "minutes": []}, geometry=[], crs=area.crs)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=area.crs)[["type", "minutes", "geometry"]]


def prepare_report_data(area: Area, types: list[FacilityType] | None = None,
                        tiers: tuple[float, ...] = TIERS_MINUTES, speed_kmh: float = DEFAULT_SPEED_KMH,
                        scenario: Scenario | None = None, poll: dict[str, Any] | None = None,
                        cell_m: float = CELL_M) -> ReportData:
    """Compute what a report of ``area`` needs.

    Parameters
    ----------
    types
        Facility types to report; default every catalogue type.
    tiers
        Life-circle walking times in minutes.
    speed_kmh
        Walking speed in km/h.
    cell_m
        Grid cell size in metres for the uncovered clusters.
    """
    types = types or list(load_catalogue().values())
    coverage = compute_coverage(area.network, area.demand, area.facilities, types, area.communities,
                                tiers, speed_kmh)
    present = [t.key for t in types if len(area.facilities_of(t.key))]
    clusters = uncovered_clusters(coverage.demand, [t for t in types if t.key in present and t.life_circle],
                                  area.communities, area.network, cell_m)
    return ReportData(area=area, types=types, present=present, coverage=coverage, clusters=clusters,
                      isochrones=walking_areas(area, types, tiers, speed_kmh), speed_kmh=speed_kmh,
                      cell_m=cell_m, scenario=scenario, poll=poll)
