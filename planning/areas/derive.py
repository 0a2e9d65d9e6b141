"""Derive planning layers from OpenStreetMap data when the user has none of their own.

Each function states its assumption in its docstring; the area description repeats them to
the user. Inputs and outputs are GeoDataFrames in the network's projected CRS.
"""
from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from planning.base.catalogue import FacilityType
from planning.network.graph import WalkNetwork

RESIDENTIAL_BUILDINGS = {"residential", "apartments", "house", "detached", "dormitory", "terrace",
                         "semidetached_house", "bungalow"}
NON_RESIDENTIAL_TAGS = ("amenity", "shop", "office", "tourism", "leisure", "craft")
BLOCK_STREETS = {"primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
                 "residential", "living_street", "unclassified", "trunk", "trunk_link", "pedestrian"}


def residential_demand(buildings: gpd.GeoDataFrame, default_levels: float,
                       floor_m2_per_person: float, elderly_share: float) -> gpd.GeoDataFrame:
    """Residents per building: footprint × levels ÷ floor area per person.

    Assumption: a building is residential when tagged so, or tagged ``building=yes`` with no
    shop/amenity/office/tourism/leisure/craft tag; ``building:levels`` is used where mapped,
    else ``default_levels``. Residents aged 60+ are ``elderly_share`` of each building.
    """
    tags = buildings.reindex(columns=["building", "building:levels", *NON_RESIDENTIAL_TAGS])
    plain = tags["building"].eq("yes") & tags[list(NON_RESIDENTIAL_TAGS)].isna().all(axis=1)
    residential = tags["building"].isin(RESIDENTIAL_BUILDINGS) | plain
    polys = buildings[residential & buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    levels = pd.to_numeric(polys.get("building:levels"), errors="coerce").clip(1, 60).fillna(default_levels)
    population = (polys.geometry.area * levels / floor_m2_per_person).round(1)
    keep = population > 0
    return gpd.GeoDataFrame({
        "id": [f"b{i}" for i in polys.index[keep]] if "id" not in polys else polys.loc[keep, "id"].astype(str).radd("b").to_numpy(),
        "population": population[keep].to_numpy(),
        "pop_60plus": (population[keep] * elderly_share).round(1).to_numpy(),
        "levels": levels[keep].to_numpy(),
    }, geometry=polys.geometry[keep].representative_point().to_numpy(), crs=buildings.crs)


def edge_demand(network: WalkNetwork, elderly_share: float) -> gpd.GeoDataFrame:
    """Residents per street edge from the network's ``population`` edge attribute.

    Each edge's people stand at its midpoint (the GHSL grid was assigned to nearest edges).
    """
    edges = network.edges[network.edges["population"] > 0]
    pop = edges["population"].to_numpy()
    return gpd.GeoDataFrame({"id": [f"e{i}" for i in edges.index], "population": pop,
                             "pop_60plus": (pop * elderly_share).round(1)},
                            geometry=edges.geometry.interpolate(0.5, normalized=True).to_numpy(),
                            crs=network.crs)


def street_blocks(network: WalkNetwork, boundary: shapely.Geometry | None = None) -> gpd.GeoDataFrame:
    """Street blocks: the polygons enclosed by streets (footways and service roads ignored).

    When too few streets carry a class (e.g. networks without ``highway``), all edges are used.
    """
    edges = network.edges
    if "highway" in edges:
        streets = edges[edges["highway"].isin(BLOCK_STREETS)]
        if len(streets) >= 0.2 * len(edges):
            edges = streets
    lines = list(edges.geometry.to_numpy())
    hull = boundary if boundary is not None else shapely.concave_hull(
        shapely.MultiPoint(shapely.get_coordinates(network.edges.geometry.to_numpy())), ratio=0.3)
    lines.append(hull.boundary)
    polys = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))))
    polys = shapely.intersection(polys, hull)
    polys = polys[(shapely.area(polys) > 500) & ~shapely.is_empty(polys)]
    return gpd.GeoDataFrame({"block": np.arange(len(polys))}, geometry=polys, crs=network.crs)


def group_blocks(blocks: gpd.GeoDataFrame, population: np.ndarray, target_population: float) -> np.ndarray:
    """Group touching blocks into communities of about ``target_population`` residents.

    Greedy region growing from the north-west, breadth first over shared edges; a last
    region smaller than a third of the target joins its smallest neighbour.
    """
    geoms = blocks.geometry.to_numpy()
    left, right = shapely.STRtree(geoms).query(shapely.buffer(geoms, 1.0), predicate="intersects")
    graph = nx.Graph()
    graph.add_nodes_from(range(len(geoms)))
    graph.add_edges_from(zip(left[left != right], right[left != right]))
    centroids = shapely.centroid(geoms)
    order = np.lexsort((shapely.get_x(centroids), -shapely.get_y(centroids)))
    label = np.full(len(geoms), -1)
    totals: list[float] = []
    for start in order:
        if label[start] >= 0:
            continue
        region, total, frontier = len(totals), 0.0, [start]
        label[start] = region
        while frontier and total < target_population:
            block = frontier.pop(0)
            total += population[block]
            for nb in sorted(graph.neighbors(block)):
                if label[nb] < 0 and total < target_population:
                    label[nb] = region
                    frontier.append(nb)
        for block in frontier:  # labelled but not yet counted
            total += population[block]
        totals.append(total)
    for region, total in enumerate(totals):
        members = np.flatnonzero(label == region)
        if total < target_population / 3:
            neighbours = {label[nb] for b in members for nb in graph.neighbors(b)} - {region}
            if neighbours:
                into = min(neighbours, key=lambda r: totals[r])
                label[members] = into
                totals[into] += total
                totals[region] = 0.0
    _, compact = np.unique(label, return_inverse=True)
    return compact


def communities_from_blocks(blocks: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
                            target_population: float, prefix: str) -> gpd.GeoDataFrame:
    """Community polygons (dissolved block groups) named ``{prefix}01`` … with their population."""
    joined = gpd.sjoin(demand[["population", "geometry"]], blocks, predicate="within", how="left")
    per_block = joined.groupby("index_right")["population"].sum().reindex(range(len(blocks)), fill_value=0.0)
    labels = group_blocks(blocks, per_block.to_numpy(), target_population)
    dissolved = blocks.assign(community=labels).dissolve(by="community").reset_index()
    width = max(2, len(str(len(dissolved))))
    dissolved["code"] = [f"C{c + 1:0{width}d}" for c in dissolved["community"]]
    dissolved["name"] = [f"{prefix}{c + 1:0{width}d}" for c in dissolved["community"]]
    return dissolved[["code", "name", "geometry"]]


def assign_community(points: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> np.ndarray:
    """Community code of each point: the polygon it lies in, else the nearest one."""
    by_position = points[["geometry"]].reset_index(drop=True)  # labels may repeat; positions do not
    joined = gpd.sjoin_nearest(by_position, communities[["code", "geometry"]], how="left")
    return joined[~joined.index.duplicated()]["code"].reindex(by_position.index).to_numpy()


def osm_facilities(pois: gpd.GeoDataFrame, types: list[FacilityType]) -> gpd.GeoDataFrame:
    """Existing facilities found by each type's OSM tags (polygons become points)."""
    found = []
    for ftype in types:
        match = np.zeros(len(pois), bool)
        for key, values in ftype.osm.items():
            if key in pois:
                match |= pois[key].isin(values).to_numpy()
        hits = pois[match]
        found.append(gpd.GeoDataFrame({
            "id": [f"osm-{ftype.key}-{i}" for i in range(len(hits))],
            "type": ftype.key,
            "name": hits.get("name", pd.Series(index=hits.index, dtype=object)).fillna("").to_numpy(),
            "capacity": pd.to_numeric(hits.get("capacity", pd.Series(index=hits.index, dtype=object)),
                                      errors="coerce").to_numpy(),
            "source": "osm",
        }, geometry=hits.geometry.representative_point().to_numpy(), crs=pois.crs))
    return pd.concat(found, ignore_index=True) if found else gpd.GeoDataFrame(
        columns=["id", "type", "name", "capacity", "source", "geometry"], geometry="geometry", crs=pois.crs)


def block_candidates(blocks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Candidate sites: one per street block, at a point inside it.

    Assumption: any block may host a small facility (a ground-floor unit or a corner plot);
    planners replace these with real vacant or public parcels when they have them.
    """
    return gpd.GeoDataFrame({"id": [f"K{b + 1:04d}" for b in blocks["block"]]},
                            geometry=blocks.geometry.representative_point().to_numpy(), crs=blocks.crs)
