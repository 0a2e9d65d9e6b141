"""Map test layers from a real street network: 团城山街道, Huangshi (EPSG:32650, © OpenStreetMap contributors).

Not a test module: the map tests and ``bench/bench_map.py`` import it.
Demand points lie on the streets, weighted by the street's GHSL population; facilities are real
intersections; communities are either the street blocks (``shapely.polygonize`` of the edges) or,
when more are asked for than there are blocks, Voronoi cells of intersections densified to 5 m
so they carry as many vertices as surveyed boundaries.
"""
from __future__ import annotations

import gzip
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmnx as ox
import shapely

NETWORK = Path(__file__).resolve().parents[1] / "data" / "MissionTown.graphml.gz"
FACILITY_TYPES = ("clinic", "school", "market", "elderly_care")
FACILITY_ICONS = {
    "clinic": {"icon": "house-medical", "color": "red"},
    "school": {"icon": "school", "color": "blue"},
    "market": {"icon": "basket-shopping", "color": "orange"},
    "elderly_care": {"icon": "person-cane", "color": "purple"},
}
WALK_METERS_PER_MINUTE = 80.0


@dataclass(frozen=True)
class Layers:
    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame


@lru_cache(maxsize=1)
def _network() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "net.graphml"
        with gzip.open(NETWORK, "rb") as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
        nodes, edges = ox.graph_to_gdfs(ox.load_graphml(path))
    return nodes, edges.reset_index(drop=True)


def _communities(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame, count: int | None) -> gpd.GeoSeries:
    if count is None:
        blocks = shapely.get_parts(shapely.polygonize(edges.geometry.values))
        return gpd.GeoSeries(blocks[shapely.area(blocks) > 2000], crs=edges.crs)
    seeds = nodes.geometry.sample(count, random_state=1)
    hull = shapely.convex_hull(shapely.union_all(edges.geometry.values))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds.values), extend_to=hull))
    return gpd.GeoSeries(shapely.segmentize(shapely.intersection(cells, hull), 5.0), crs=edges.crs)


def _demand(edges: gpd.GeoDataFrame, count: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    lengths = edges.geometry.length.to_numpy()
    pick = rng.choice(len(edges), size=count, p=lengths / lengths.sum())
    points = shapely.line_interpolate_point(edges.geometry.values[pick], rng.random(count), normalized=True)
    population = edges["population"].astype(float).to_numpy()[pick]
    per_edge = np.bincount(pick, minlength=len(edges))[pick]
    return gpd.GeoDataFrame({"weight": population / per_edge}, geometry=points, crs=edges.crs)


def build_layers(demand_points: int = 2000, communities: int | None = None) -> Layers:
    """Layers for the map tests (default) or the 10 000-point / 200-community benchmark."""
    nodes, edges = _network()
    facility_nodes = nodes.sample(24, random_state=3)
    facilities = gpd.GeoDataFrame(
        {"type": np.resize(FACILITY_TYPES, 24), "name": [f"设施 {i + 1}" for i in range(24)]},
        geometry=facility_nodes.geometry.values, crs=nodes.crs,
    )
    demand = _demand(edges, demand_points)
    walk_5_min = shapely.union_all(facilities.buffer(5 * WALK_METERS_PER_MINUTE).values)
    demand["covered"] = shapely.intersects(demand.geometry.values, walk_5_min)
    polygons = _communities(nodes, edges, communities)
    areas = gpd.GeoDataFrame({"name": [f"社区 {i + 1}" for i in range(len(polygons))]}, geometry=polygons.values)
    joined = gpd.sjoin(demand, areas, predicate="within")
    share = joined.groupby("index_right")["covered"].mean()
    areas["covered_share"] = share.reindex(areas.index).fillna(0.0).to_numpy()
    sites = facilities.iloc[:3].assign(id=["S1", "S2", "S3"])[["type", "id", "geometry"]]
    sites["geometry"] = sites.geometry.translate(350.0, -250.0)
    isochrones = gpd.GeoDataFrame(
        {"minutes": [5, 10, 15]},
        geometry=[shapely.union_all(facilities.buffer(m * WALK_METERS_PER_MINUTE).values) for m in (5, 10, 15)],
        crs=nodes.crs,
    )
    return Layers(areas, facilities, sites, demand, isochrones)
