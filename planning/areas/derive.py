"""Derive planning layers from OpenStreetMap data when the user has none of their own.

Each function states its assumption in its docstring; the area description repeats them to
the user. Inputs and outputs are GeoDataFrames in the network's projected CRS.
"""
from __future__ import annotations

from collections import deque

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph
import shapely

from planning.base.catalogue import FacilityType
from planning.network.graph import WalkNetwork

RESIDENTIAL_BUILDINGS = {"residential", "apartments", "house", "detached", "dormitory", "terrace",
                         "semidetached_house", "bungalow", "cabin", "farm", "houseboat", "static_caravan",
                         "stilt_house"}
NON_RESIDENTIAL_TAGS = ("amenity", "shop", "office", "tourism", "leisure", "craft")
BLOCK_STREETS = {"primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link",
                 "residential", "living_street", "unclassified", "trunk", "trunk_link", "pedestrian"}
MAX_COMMUNITY_FACTOR = 1.5  # a derived community holds at most 1.5 × the target residents
SMALL_COMMUNITY_FACTOR = 0.5  # communities below half the target join a neighbour when they can
DUPLICATE_METERS = 50.0  # same type, same name, this close: one facility


def residential_demand(buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame | None, default_levels: float,
                       floor_m2_per_person: float, elderly_share: float) -> gpd.GeoDataFrame:
    """Residents per building: footprint (m²) × levels ÷ floor area per person (m²).

    Assumption: a building houses people when its ``building`` tag says so (apartments,
    residential, house, detached, dormitory, terrace, … see ``RESIDENTIAL_BUILDINGS``), or when
    it is a plain ``building=yes`` with no shop/amenity/office/tourism/leisure/craft tag standing
    inside a ``landuse=residential`` polygon. Every other building (offices, shops, schools,
    campus halls, ``building=yes`` outside residential land) holds no residents: where OSM maps
    housing thinly, residents are undercounted rather than placed in offices.
    ``building:levels`` is used where mapped, else ``default_levels``. Residents aged 60+ are
    ``elderly_share`` of each building.

    Returns points (one per building) with ``population``, ``pop_60plus``, ``levels``,
    ``floor_m2`` (footprint × levels) and the OSM ``building`` value.
    """
    tags = buildings.reindex(columns=["building", "building:levels", *NON_RESIDENTIAL_TAGS])
    plain = tags["building"].eq("yes") & tags[list(NON_RESIDENTIAL_TAGS)].isna().all(axis=1)
    residential = tags["building"].isin(RESIDENTIAL_BUILDINGS) | (plain & _inside_residential_land(buildings, landuse))
    polys = buildings[residential & buildings.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    levels = pd.to_numeric(polys.get("building:levels"), errors="coerce").clip(1, 60).fillna(default_levels)
    floor_m2 = polys.geometry.area * levels
    population = (floor_m2 / floor_m2_per_person).round(1)
    keep = population > 0
    return gpd.GeoDataFrame({
        "id": [f"b{i}" for i in polys.index[keep]] if "id" not in polys else polys.loc[keep, "id"].astype(str).radd("b").to_numpy(),
        "population": population[keep].to_numpy(),
        "pop_60plus": (population[keep] * elderly_share).round(1).to_numpy(),
        "levels": levels[keep].to_numpy(),
        "floor_m2": floor_m2[keep].to_numpy(),
        "building": polys.loc[keep, "building"].astype(str).to_numpy(),
    }, geometry=polys.geometry[keep].representative_point().to_numpy(), crs=buildings.crs)


def _inside_residential_land(buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame | None) -> np.ndarray:
    """Whether each building's representative point lies in a ``landuse=residential`` polygon."""
    if landuse is None or "landuse" not in landuse or buildings.empty:
        return np.zeros(len(buildings), bool)
    land = landuse[landuse["landuse"].eq("residential")
                   & landuse.geometry.geom_type.isin(["Polygon", "MultiPolygon"])].to_crs(buildings.crs)
    points = buildings.geometry.representative_point().to_numpy()
    inside = np.zeros(len(buildings), bool)
    inside[shapely.STRtree(land.geometry.to_numpy()).query(points, predicate="within")[0]] = True
    return inside


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


def group_blocks(blocks: gpd.GeoDataFrame, population: np.ndarray, target_population: float,
                 max_population: float | None = None) -> np.ndarray:
    """Group touching blocks into communities of about ``target_population`` residents.

    Greedy region growing from the north-west, breadth first over shared edges: a region takes
    a neighbour while it holds fewer than ``target_population`` residents and the neighbour
    keeps it at most ``max_population`` (default ``MAX_COMMUNITY_FACTOR`` × target). Regions
    below ``SMALL_COMMUNITY_FACTOR`` × target then join their smallest touching region when
    the sum stays within ``max_population``. A single block above ``max_population`` stays
    alone (split such blocks first, see :func:`split_blocks`).
    """
    max_population = max_population or MAX_COMMUNITY_FACTOR * target_population
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
        region, total, frontier = len(totals), float(population[start]), deque([start])
        label[start] = region
        while frontier and total < target_population:
            for nb in sorted(graph.neighbors(frontier.popleft())):
                if label[nb] < 0 and total < target_population and total + population[nb] <= max_population:
                    label[nb] = region
                    total += population[nb]
                    frontier.append(nb)
        totals.append(total)
    _merge_small_regions(graph, label, np.array(totals), SMALL_COMMUNITY_FACTOR * target_population,
                         max_population)
    _, compact = np.unique(label, return_inverse=True)
    return compact


def _merge_small_regions(graph: nx.Graph, label: np.ndarray, totals: np.ndarray, small: float,
                         max_population: float) -> None:
    """Join each region below ``small`` residents to its smallest touching region (in place)."""
    region_graph = nx.quotient_graph(graph, [set(np.flatnonzero(label == r)) for r in range(len(totals))],
                                     relabel=True)
    for region in np.argsort(totals, kind="stable"):
        if not region_graph.has_node(region) or totals[region] >= small:
            continue
        fits = [r for r in region_graph.neighbors(region) if totals[r] + totals[region] <= max_population]
        if not fits:
            continue
        into = min(fits, key=lambda r: (totals[r], r))
        label[label == region] = into
        totals[into] += totals[region]
        region_graph = nx.contracted_nodes(region_graph, into, region, self_loops=False)


def split_blocks(blocks: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
                 target_population: float) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """Blocks with more than ``target_population`` residents cut into parts of about equal people.

    Each such block (a campus or a large estate between main roads) is cut into
    ceil(people ÷ target) parts by recursive bisection of its resident points along the longer
    side (cuts run between buildings, so every building stays whole). Residents belong to the
    block they lie in, else the nearest one. Returns the parts (``block`` numbered anew) and
    the residents of each part.
    """
    joined = gpd.sjoin_nearest(demand[["population", "geometry"]].reset_index(drop=True),
                               blocks[["geometry"]], how="inner")
    joined = joined[~joined.index.duplicated()]
    per_block = joined.groupby("index_right")["population"].sum().reindex(range(len(blocks)), fill_value=0.0)
    heavy = per_block.to_numpy() > target_population
    geoms = list(blocks.geometry.to_numpy()[~heavy])
    people = list(per_block.to_numpy()[~heavy])
    for b in np.flatnonzero(heavy):  # a few super-blocks
        geom = blocks.geometry.iloc[b]
        inside = joined[joined["index_right"] == b]
        xy = shapely.get_coordinates(inside.geometry.to_numpy())
        weight = inside["population"].to_numpy()
        bounds = (*np.minimum(geom.bounds[:2], xy.min(axis=0)), *np.maximum(geom.bounds[2:], xy.max(axis=0)))
        labels, boxes = _bisect(xy, weight, int(np.ceil(per_block[b] / target_population)), bounds)
        geoms += list(shapely.intersection(geom, shapely.box(*np.asarray(boxes).T)))
        people += list(np.bincount(labels, weights=weight, minlength=len(boxes)))
    geoms = np.asarray(geoms, dtype=object)
    keep = ~shapely.is_empty(geoms)
    parts = gpd.GeoDataFrame({"block": np.arange(keep.sum())}, geometry=geoms[keep], crs=blocks.crs)
    return parts, np.asarray(people)[keep]


def _bisect(xy: np.ndarray, weight: np.ndarray, parts: int,
            box: tuple[float, float, float, float]) -> tuple[np.ndarray, list[tuple[float, float, float, float]]]:
    """Cut points into ``parts`` of about equal weight with axis-parallel cuts between points.

    Returns each point's part and the box of every part (the boxes tile ``box``).
    """
    labels = np.zeros(len(xy), int)
    axis = int(np.ptp(xy, axis=0).argmax()) if len(xy) else 0
    order = np.argsort(xy[:, axis], kind="stable")
    coords = xy[order, axis]
    cuts = np.flatnonzero(np.diff(coords) > 0) + 1  # left side = first k points, k in cuts
    if parts < 2 or not len(cuts):
        return labels, [box]
    low_parts = parts // 2
    done = np.cumsum(weight[order])
    k = cuts[np.argmin(np.abs(done[cuts - 1] - done[-1] * low_parts / parts))]
    cut = (coords[k - 1] + coords[k]) / 2
    low = xy[:, axis] < cut
    minx, miny, maxx, maxy = box
    low_box, high_box = ((minx, miny, cut, maxy), (cut, miny, maxx, maxy)) if axis == 0 else \
        ((minx, miny, maxx, cut), (minx, cut, maxx, maxy))
    low_labels, low_boxes = _bisect(xy[low], weight[low], low_parts, low_box)
    high_labels, high_boxes = _bisect(xy[~low], weight[~low], parts - low_parts, high_box)
    labels[low] = low_labels
    labels[~low] = high_labels + len(low_boxes)
    return labels, low_boxes + high_boxes


def communities_from_blocks(blocks: gpd.GeoDataFrame, demand: gpd.GeoDataFrame,
                            target_population: float, prefix: str) -> gpd.GeoDataFrame:
    """Community polygons named ``{prefix}01`` …: blocks split (:func:`split_blocks`) and grouped
    (:func:`group_blocks`) to about ``target_population`` residents each."""
    parts, people = split_blocks(blocks, demand, target_population)
    labels = group_blocks(parts, people, target_population)
    dissolved = parts.assign(community=labels).dissolve(by="community").reset_index()
    width = max(2, len(str(len(dissolved))))
    dissolved["code"] = [f"C{c + 1:0{width}d}" for c in dissolved["community"]]
    dissolved["name"] = [f"{prefix}{c + 1:0{width}d}" for c in dissolved["community"]]
    return dissolved[["code", "name", "geometry"]]


def assign_community(points: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> np.ndarray:
    """Community code of each point: the polygon it lies in, else the nearest one."""
    by_position = points[["geometry"]].reset_index(drop=True)  # labels may repeat; positions do not
    joined = gpd.sjoin_nearest(by_position, communities[["code", "geometry"]], how="left")
    return joined[~joined.index.duplicated()]["code"].reindex(by_position.index).to_numpy()


FEATURE_COLUMNS = ["type", "name", "osm_id", "osm_match", "status", "detail", "capacity", "geometry"]
FACILITY_COLUMNS = ["id", "type", "name", "capacity", "source", "source_file", "osm_id", "osm_match", "geometry"]


def osm_feature_keys(types: list[FacilityType]) -> dict[str, list[str] | bool]:
    """The pyrosm ``custom_filter`` that fetches every feature the types' rules may match."""
    wanted: dict[str, set[str]] = {}
    for rule in (r for t in types for r in t.osm):
        for key, values in rule.tags.items():
            wanted.setdefault(key, set()).update(values)
    found: dict[str, list[str] | bool] = {k: sorted(v) for k, v in wanted.items()}
    if any(rule.name and not rule.tags for t in types for rule in t.osm):
        found["name"] = True  # name rules apply whatever the tags
    return found


def osm_tag_keys(types: list[FacilityType]) -> list[str]:
    """Every OSM key the types' rules read (plus ``name`` and ``capacity``)."""
    keys = {k for t in types for rule in (*t.osm, *t.osm_not) for k in rule.tags}
    return sorted(keys | {"name", "capacity"})


def match_osm_features(features: gpd.GeoDataFrame, types: list[FacilityType]) -> gpd.GeoDataFrame:
    """Which OSM feature became which facility type, and which were left out, and why.

    Rules (``data/facility_types.yaml``): each feature becomes one type at most. A rule that
    matches a longer text of the name wins (a name says more than tags); ties go to the type
    listed first. A type whose ``osm_not`` rules match is skipped for the next matching type;
    a feature every matching type skips is listed with ``status="excluded"`` and the reason in
    ``detail``. Features of one type with the same name within ``DUPLICATE_METERS`` are one
    facility: the mapped area's point is kept, the others get ``status="duplicate"`` and the
    kept feature's OSM id in ``detail``. Facilities of a type with ``counts_as`` are listed again
    under that type (``status="counts_as"``, ``detail`` names the type they come from).
    Lines (streets) are ignored.

    Parameters
    ----------
    features
        OSM features in a projected CRS with tag columns, ``id`` and ``osm_type`` (pyrosm).
    types
        Facility types, in catalogue order.

    Returns
    -------
    GeoDataFrame
        ``type``, ``name``, ``osm_id`` (``way/318197090``), ``osm_match`` (the tags or name
        text that matched), ``status`` (``used``, ``excluded``, ``duplicate``, ``counts_as``), ``detail``,
        ``capacity`` and the feature's representative point.
    """
    areal = features[features.geometry.geom_type.isin(["Point", "Polygon", "MultiPolygon"])]
    if areal.empty or not types:
        return gpd.GeoDataFrame(columns=FEATURE_COLUMNS, geometry="geometry", crs=features.crs)
    areal = areal.reset_index(drop=True)
    score = np.full((len(types), len(areal)), -1)
    matched = np.full((len(types), len(areal)), "", dtype=object)
    skipped = np.full((len(types), len(areal)), "", dtype=object)
    for t, ftype in enumerate(types):
        for rule in ftype.osm:
            hits, rule_score, text = _rule_hits(areal, rule)
            better = hits & (rule_score > score[t])
            score[t, better], matched[t, better] = rule_score[better], text[better]
        for rule in ftype.osm_not:
            hits, _, text = _rule_hits(areal, rule)
            skipped[t, hits & (skipped[t] == "")] = text[hits & (skipped[t] == "")]
    usable = np.where(skipped == "", score, -1)
    any_match = (score >= 0).any(axis=0)
    chosen = np.where((usable >= 0).any(axis=0), usable.argmax(axis=0), score.argmax(axis=0))[any_match]
    rows = areal[any_match]
    column = np.arange(len(areal))[any_match]
    listing = gpd.GeoDataFrame({
        "type": [types[t].key for t in chosen],
        "name": rows["name"].fillna("").astype(str).to_numpy() if "name" in rows else "",
        "osm_id": (rows["osm_type"].astype(str) + "/" + rows["id"].astype(str)).to_numpy(),
        "osm_match": matched[chosen, column],
        "status": np.where(skipped[chosen, column] == "", "used", "excluded"),
        "detail": skipped[chosen, column],
        "capacity": pd.to_numeric(rows["capacity"], errors="coerce").to_numpy() if "capacity" in rows else np.nan,
    }, geometry=rows.geometry.to_numpy(), crs=areal.crs)
    listing = _mark_duplicates(listing)
    listing = listing.set_geometry(listing.geometry.representative_point())
    return _add_counts_as(listing, types)[FEATURE_COLUMNS]


def _rule_hits(features: gpd.GeoDataFrame, rule) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per feature: whether ``rule`` matches, its score (length of the name text, 0 for tags)
    and what matched (``amenity=clinic``, ``name∋医院``)."""
    n = len(features)
    tag_text = np.full(n, "", dtype=object)
    for key, values in rule.tags.items():
        if key in features:
            value = features[key].astype(object)
            hit = value.isin(values).to_numpy() & (tag_text == "")
            tag_text[hit] = key + "=" + value[hit].astype(str)
    name_text = np.full(n, "", dtype=object)
    if rule.name and "name" in features:
        names = features["name"].fillna("").astype(str)
        for text in sorted(rule.name, key=len, reverse=True):  # the longest text names the score
            hit = names.str.contains(text, regex=False).to_numpy() & (name_text == "")
            name_text[hit] = text
    hits = (tag_text != "" if rule.tags else np.ones(n, bool)) & (name_text != "" if rule.name else np.ones(n, bool))
    score = pd.Series(name_text, dtype=object).str.len().to_numpy(int)
    name_part = np.where(name_text != "", "name∋" + name_text, "")
    text = np.where((tag_text != "") & (name_part != ""), tag_text + " + " + name_part, tag_text + name_part)
    return hits, score, text


def _mark_duplicates(listing: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Same type, same non-empty name, within ``DUPLICATE_METERS``: keep the largest shape."""
    listing = listing.assign(_area=listing.geometry.area).sort_values(["_area", "osm_id"], ascending=[False, True],
                                                                      kind="stable").reset_index(drop=True)
    left, right = shapely.STRtree(listing.geometry.to_numpy()).query(
        listing.geometry.to_numpy(), predicate="dwithin", distance=DUPLICATE_METERS)
    used = (listing["status"] == "used").to_numpy()
    same = ((listing["type"].to_numpy()[left] == listing["type"].to_numpy()[right])
            & (listing["name"].to_numpy()[left] == listing["name"].to_numpy()[right])
            & (listing["name"].to_numpy()[left] != "") & used[left] & used[right])
    graph = scipy.sparse.coo_matrix((np.ones(same.sum()), (left[same], right[same])), shape=(len(listing),) * 2)
    _, group = scipy.sparse.csgraph.connected_components(graph, directed=False)
    first = pd.Series(np.arange(len(listing))).groupby(group).transform("min").to_numpy()  # largest shape first
    duplicate = first != np.arange(len(listing))
    listing.loc[duplicate, "status"] = "duplicate"
    listing.loc[duplicate, "detail"] = listing["osm_id"].to_numpy()[first[duplicate]]
    return listing.drop(columns="_area")


def _add_counts_as(listing: gpd.GeoDataFrame, types: list[FacilityType]) -> gpd.GeoDataFrame:
    """Used facilities of a type with ``counts_as`` listed again under that type."""
    extra = [listing[(listing["type"] == t.key) & (listing["status"] == "used")].assign(
        type=t.counts_as, status="counts_as", detail=t.key) for t in types if t.counts_as]
    return pd.concat([listing, *extra], ignore_index=True) if extra else listing


def osm_facilities(listing: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The facilities of a :func:`match_osm_features` listing: its ``used`` and ``counts_as`` rows."""
    used = listing[listing["status"].isin(["used", "counts_as"])].reset_index(drop=True)
    number = used.groupby("type").cumcount()
    return gpd.GeoDataFrame({
        "id": ("osm-" + used["type"].astype(str) + "-" + number.astype(str)).to_numpy(),
        "type": used["type"].to_numpy(), "name": used["name"].to_numpy(),
        "capacity": used["capacity"].to_numpy(float), "source": "osm", "source_file": "",
        "osm_id": used["osm_id"].to_numpy(), "osm_match": used["osm_match"].to_numpy(),
    }, geometry=used.geometry.to_numpy(), crs=listing.crs)[FACILITY_COLUMNS]


def mark_replaced(listing: gpd.GeoDataFrame, office_types: set[str]) -> gpd.GeoDataFrame:
    """The listing with the counted features of ``office_types`` marked ``status="replaced"``.

    The office's own list is authoritative for the types it holds: OSM features of those
    types stay in the listing (so a clerk can compare) but are no longer facilities.
    """
    replaced = listing["type"].isin(office_types) & listing["status"].isin(["used", "counts_as"])
    return listing.assign(status=listing["status"].where(~replaced, "replaced"),
                          detail=listing["detail"].where(~replaced, ""))


def no_facilities(crs) -> gpd.GeoDataFrame:
    """An empty facility layer (the user has uploaded none)."""
    return gpd.GeoDataFrame(columns=FACILITY_COLUMNS, geometry="geometry", crs=crs)


def block_candidates(blocks: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Candidate sites: one per street block, at a point inside it.

    Assumption: any block may host a small facility (a ground-floor unit or a corner plot);
    planners replace these with real vacant or public parcels when they have them.
    """
    return gpd.GeoDataFrame({"id": [f"K{b + 1:04d}" for b in blocks["block"]]},
                            geometry=blocks.geometry.representative_point().to_numpy(), crs=blocks.crs)
