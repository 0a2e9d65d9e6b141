"""What the stated needs of a 民情征集 say, read against an area: where, how many, what is not served today.

The answers come from :class:`scenarios.voting.needs.NeedsService` as rows with ``lon``/``lat``
(WGS84); everything here works on GeoDataFrames in the area's projected CRS:

- :func:`locate_needs` — each need's 社区 (the polygon it lies in, else the nearest), its 网格 (a
  square grid of :data:`GRID_METERS` over the area, standing in for the street office's 网格 where the
  area has no grid layer), its walk today to the nearest facility that answers it and whether that is
  within the facility type's tier (the coverage engine);
- :func:`need_counts` — counts per 社区 or 网格 and need type;
- :func:`need_clusters` — places many residents name: needs of one type within ``radius_m`` of one
  another, chained; :func:`cluster_candidates` turns them into candidate sites (:func:`needs_candidates`
  straight from a survey's answers);
- :func:`group_texts` — the free text grouped by simple keyword themes (``data/need_types.yaml``);
- :func:`coarsen` — locations made coarse for publication (a 50 m grid cell's centre, or the nearest
  楼栋 of the area's residents).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from planning.areas.build import Area
from planning.areas.derive import assign_community
from planning.base.catalogue import FacilityType
from planning.base.errors import PlanningError
from planning.base.needs import NeedType, TextTheme, load_need_types, load_text_themes
from planning.base.walking import DEFAULT_SPEED_KMH, MAX_SNAP_M, speed_mps
from planning.io.layers import find_column
from planning.io.projection import utm_crs
from planning.coverage.times import nearest_seconds
from planning.network.snapping import snap_points

GRID_METERS = 200.0
CLUSTER_RADIUS_M = 100.0
CLUSTER_MIN_NEEDS = 3
COARSEN = ("50m", "building")
OTHER_THEME = "other"
NEED_COLUMNS = ["id", "need", "place", "text", "age_group", "has_car", "followup"]


def needs_frame(rows: Iterable[Mapping[str, Any]]) -> gpd.GeoDataFrame:
    """Answers (``id``, ``need``, ``lon``, ``lat``, ``text`` …) as points in EPSG:4326."""
    frame = pd.DataFrame(list(rows), columns=[*NEED_COLUMNS, "lon", "lat"])
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]),
                            geometry=gpd.points_from_xy(frame["lon"].astype(float), frame["lat"].astype(float)),
                            crs=4326)


def grid_labels(points: gpd.GeoDataFrame, area: Area, meters: float = GRID_METERS) -> np.ndarray:
    """The 网格 of each point: ``"<row>-<column>"`` of a square grid anchored at the area's south-west corner."""
    west, south, _, _ = area.communities.to_crs(area.crs).total_bounds
    projected = points.to_crs(area.crs).geometry
    col = np.floor((projected.x.to_numpy() - west) / meters).astype(int) + 1
    row = np.floor((projected.y.to_numpy() - south) / meters).astype(int) + 1
    return np.array([f"{r:02d}-{c:02d}" for r, c in zip(row, col)], dtype=object)


def locate_needs(needs: gpd.GeoDataFrame, area: Area, facility_types: Mapping[str, FacilityType],
                 need_types: Mapping[str, NeedType] | None = None, speed_kmh: float = DEFAULT_SPEED_KMH,
                 grid_meters: float = GRID_METERS) -> gpd.GeoDataFrame:
    """``needs`` in the area's CRS with ``community`` (code), ``community_name``, ``grid``,
    ``minutes_today`` (walk to the nearest existing facility of a type that answers the need; NaN when
    none is within 60 minutes or no facility type answers it) and ``covered_today`` (True / False, or
    None for a need no facility type answers)."""
    need_types = need_types or load_need_types()
    located = needs.to_crs(area.crs).reset_index(drop=True)
    if located.empty:
        return located.assign(community=pd.Series(dtype=object), community_name=pd.Series(dtype=object),
                              grid=pd.Series(dtype=object), minutes_today=pd.Series(dtype=float),
                              covered_today=pd.Series(dtype=object))
    located["community"] = assign_community(located, area.communities)
    located["community_name"] = located["community"].map(area.communities.set_index("code")["name"])
    located["grid"] = grid_labels(located, area, grid_meters)
    minutes, covered = _walk_today(located, area, facility_types, need_types, speed_kmh)
    located["minutes_today"] = minutes
    located["covered_today"] = covered
    return located


def _walk_today(located: gpd.GeoDataFrame, area: Area, facility_types: Mapping[str, FacilityType],
                need_types: Mapping[str, NeedType], speed_kmh: float) -> tuple[np.ndarray, np.ndarray]:
    cutoff_s, mps = 60 * 60.0, speed_mps(speed_kmh)
    snapped = snap_points(area.network, located, MAX_SNAP_M)
    minutes = np.full(len(located), np.nan)
    covered = np.full(len(located), None, dtype=object)
    kinds = located["need"].astype(str).to_numpy()
    for key, need in need_types.items():
        mine = kinds[snapped.kept] == key
        rows = snapped.kept[mine]
        answering = [facility_types[k] for k in need.answers if k in facility_types]
        if not len(rows) or not answering:
            continue
        best, inside = np.full(len(snapped.kept), np.inf), np.zeros(len(snapped.kept), bool)
        for ftype in answering:
            sites = area.facilities_of(ftype.key)
            if sites.empty:
                continue
            seconds = nearest_seconds(area.network, snap_points(area.network, sites, MAX_SNAP_M), snapped, mps, cutoff_s)
            best = np.minimum(best, seconds)
            inside |= seconds <= ftype.tier_minutes * 60
        minutes[rows] = np.where(np.isfinite(best[mine]), best[mine] / 60, np.nan)
        covered[rows] = inside[mine]
    far = np.setdiff1d(np.arange(len(located)), snapped.kept)  # off the network: not served on foot today
    answered_kinds = {k for k, n in need_types.items() if any(a in facility_types for a in n.answers)}
    covered[far] = np.where(np.isin(kinds[far], list(answered_kinds)), False, None)
    return minutes, covered


def need_counts(located: gpd.GeoDataFrame, by: str = "community",
                need_types: Mapping[str, NeedType] | None = None, lang: str = "zh") -> pd.DataFrame:
    """Needs per ``by`` (``"community"``: 社区 name; ``"grid"``: 网格) and need type, with a total column.

    Rows are sorted by the total, largest first; columns are the need types' names in ``lang``.
    """
    need_types = need_types or load_need_types()
    key = "community_name" if by == "community" else "grid"
    if located.empty:
        return pd.DataFrame(columns=[key, "total"])
    table = pd.crosstab(located[key].fillna("—"), located["need"])
    table = table.reindex(columns=[k for k in need_types if k in table.columns])
    table.columns = [need_types[k].name(lang) for k in table.columns]
    table["total"] = table.sum(axis=1)
    return table.sort_values("total", ascending=False, kind="stable").reset_index().rename(columns={key: by})


def need_clusters(located: gpd.GeoDataFrame, radius_m: float = CLUSTER_RADIUS_M,
                  min_needs: int = CLUSTER_MIN_NEEDS) -> gpd.GeoDataFrame:
    """Places many residents name: needs of one type chained within ``radius_m`` of one another, at least
    ``min_needs`` of them. One row per cluster: ``need``, ``count``, the centre point, ``community``."""
    rows = []
    for kind, group in located.groupby("need", sort=False):
        xy = np.column_stack([group.geometry.x.to_numpy(), group.geometry.y.to_numpy()])
        pairs = cKDTree(xy).query_pairs(radius_m, output_type="ndarray")
        graph = sp.coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(xy), len(xy)))
        n, labels = sp.csgraph.connected_components(graph, directed=False)
        for label in range(n):
            members = labels == label
            if members.sum() >= min_needs:
                centre = xy[members].mean(axis=0)
                rows.append({"need": kind, "count": int(members.sum()), "x": centre[0], "y": centre[1],
                             "community": group["community"].iloc[np.flatnonzero(members)].mode().iloc[0]
                             if "community" in group else None})
    frame = pd.DataFrame(rows, columns=["need", "count", "x", "y", "community"])
    frame = frame.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
    frame.insert(0, "id", [f"N{i + 1:03d}" for i in range(len(frame))])
    return gpd.GeoDataFrame(frame.drop(columns=["x", "y"]), geometry=gpd.points_from_xy(frame["x"], frame["y"]),
                            crs=located.crs)


def cluster_candidates(area: Area, clusters: gpd.GeoDataFrame, facility_type: FacilityType,
                       need_types: Mapping[str, NeedType] | None = None) -> gpd.GeoDataFrame:
    """The area's candidate sites plus one at each cluster of needs a ``facility_type`` site answers.

    The new rows have ids ``need-N001`` … (the cluster's id), its ``community``, and ``need`` /
    ``need_count`` (the cluster's need type and size; empty on the area's own candidates). Where the
    candidates carry a cost or capacity column, the new rows get the type's catalogue defaults (the
    defaults apply anyway where there is no such column).
    """
    need_types = need_types or load_need_types()
    kinds = [k for k, n in need_types.items() if facility_type.key in n.answers]
    chosen = clusters[clusters["need"].isin(kinds)]
    extra = gpd.GeoDataFrame({"id": ("need-" + chosen["id"].astype(str)).to_numpy(),
                              "community": chosen["community"].to_numpy() if "community" in chosen else None,
                              "need": chosen["need"].to_numpy(), "need_count": chosen["count"].to_numpy()},
                             geometry=chosen.geometry.to_numpy(), crs=clusters.crs).to_crs(area.candidates.crs)
    for role, default in (("cost_yuan", facility_type.default_cost_yuan), ("capacity", facility_type.default_capacity)):
        column = find_column(area.candidates.columns, role)
        if column is not None:
            extra[column] = float(default)
    own = area.candidates.assign(id=area.candidates["id"].astype(str)) if "id" in area.candidates else area.candidates
    return gpd.GeoDataFrame(pd.concat([own, extra], ignore_index=True), crs=area.candidates.crs)


def needs_candidates(area: Area, needs: gpd.GeoDataFrame, facility_type: FacilityType,
                     need_types: Mapping[str, NeedType] | None = None, radius_m: float = CLUSTER_RADIUS_M,
                     min_needs: int = CLUSTER_MIN_NEEDS) -> gpd.GeoDataFrame:
    """:func:`cluster_candidates` from a survey's answers (:func:`needs_frame`, any CRS): the needs are
    placed in the area's 社区, chained into clusters (:func:`need_clusters`), and the clusters a
    ``facility_type`` site answers become candidate sites beside the area's own."""
    located = needs.to_crs(area.crs).reset_index(drop=True)
    if not located.empty:
        located["community"] = assign_community(located, area.communities)
    return cluster_candidates(area, need_clusters(located, radius_m, min_needs), facility_type, need_types)


def group_texts(texts: Sequence[str], themes: Mapping[str, TextTheme] | None = None) -> pd.DataFrame:
    """Free text by keyword theme: ``theme`` (key), ``count`` and ``texts``; a text joins every theme
    one of whose words it contains (case aside), and :data:`OTHER_THEME` when none. Empty texts are skipped."""
    themes = themes or load_text_themes()
    groups: dict[str, list[str]] = {k: [] for k in [*themes, OTHER_THEME]}
    for text in texts:
        if not text or not str(text).strip():
            continue
        lowered = str(text).lower()
        hits = [k for k, theme in themes.items() if any(word in lowered for word in theme.words)]
        for key in hits or [OTHER_THEME]:
            groups[key].append(str(text))
    rows = [{"theme": k, "count": len(v), "texts": v} for k, v in groups.items() if v]
    return pd.DataFrame(rows, columns=["theme", "count", "texts"]).sort_values(
        "count", ascending=False, kind="stable").reset_index(drop=True)


def coarsen(located: gpd.GeoDataFrame, how: str, area: Area | None = None, cell_m: float = 50.0) -> gpd.GeoDataFrame:
    """A copy whose points are coarse enough to publish.

    ``how="50m"``: the centre of the ``cell_m`` grid cell (in the area's projected CRS) the point lies
    in; ``how="building"``: the nearest 楼栋 — the area's resident points (``area.demand``).
    """
    if how not in COARSEN:
        raise PlanningError("needs_bad_coarsen", value=how, choices="、".join(COARSEN))
    crs = area.crs if area is not None else utm_crs(located)
    out = located.to_crs(crs).copy()
    if how == "50m":
        x = (np.floor(out.geometry.x.to_numpy() / cell_m) + 0.5) * cell_m
        y = (np.floor(out.geometry.y.to_numpy() / cell_m) + 0.5) * cell_m
        return out.set_geometry(gpd.points_from_xy(x, y, crs=crs)).to_crs(located.crs)
    if area is None:
        raise PlanningError("needs_bad_coarsen", value=how, choices="50m")
    buildings = area.demand.to_crs(crs).geometry.centroid.to_numpy()
    _, nearest = cKDTree(np.column_stack([[p.x for p in buildings], [p.y for p in buildings]])).query(
        np.column_stack([out.geometry.x.to_numpy(), out.geometry.y.to_numpy()]))
    return out.set_geometry(gpd.GeoSeries(buildings[nearest], crs=crs).to_numpy()).to_crs(located.crs)


def needs_record(survey_id: int, title: str, summary: Mapping[str, Any], need_weight: float | None,
                 population_weight: float | None) -> dict[str, Any]:
    """What a scenario records of the survey it used (:class:`scenarios.scenario.NeedsRecord` fields)."""
    return {"survey_id": int(survey_id), "title": title, "total": int(summary["total"]),
            "answered": int(summary["answered"]), "by_type": {k: list(v) for k, v in summary["by_type"].items()},
            "need_weight": need_weight, "population_weight": population_weight}


def survey_area(area: Area, area_id: str, tolerance_m: float = 5.0) -> dict[str, Any]:
    """The settings a survey keeps of its area (``create_survey``'s ``area_key``, ``area_name``,
    ``bounds``, ``places``, ``outline``): the 社区 outlines simplified to ``tolerance_m`` and each 社区
    (and each named resident building) as a place to pick from the list."""
    from scenarios.voting.needs import Place

    communities = area.communities.to_crs(area.crs)
    simplified = communities[["code", "name"]].assign(
        geometry=communities.geometry.simplify(tolerance_m)).set_geometry("geometry", crs=area.crs).to_crs(4326)
    west, south, east, north = (float(b) for b in simplified.total_bounds)
    centres = communities.geometry.representative_point().to_crs(4326)
    places = [Place(f"c-{code}", str(name), round(p.x, 6), round(p.y, 6), "community")
              for code, name, p in zip(communities["code"], communities["name"], centres)]
    if "name" in area.demand:
        named = area.demand[area.demand["name"].fillna("").astype(str).str.strip() != ""]
        points = named.geometry.representative_point().to_crs(4326)
        places += [Place(f"b-{i}", str(n), round(p.x, 6), round(p.y, 6), "building")
                   for i, n, p in zip(named["id"].astype(str), named["name"], points)]
    return {"area_key": area_id, "area_name": area.name_zh, "bounds": (west, south, east, north),
            "places": places[:5000], "outline": simplified.__geo_interface__}


def outline_frame(outline: Mapping[str, Any]) -> gpd.GeoDataFrame:
    """A survey's 社区 outlines (its ``outline`` GeoJSON) as polygons with ``code`` and ``name`` in EPSG:4326."""
    features = list(outline.get("features", [])) if outline else []
    if not features:
        return gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=4326)
    frame = gpd.GeoDataFrame.from_features(features, crs=4326)
    return frame[["code", "name", "geometry"]]
