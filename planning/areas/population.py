"""Residents the way offices have them: a table per 社区 spread over its housing (dasymetric).

A street office knows its residents per 社区 (七普 census tables, the 网格 registry): a row per
社区 with its name or code, residents and often residents aged 60+. Coverage needs people where
they live, so each 社区's residents are spread over the housing inside its boundary in
proportion to the housing's floor area (OSM footprint × levels, the rule of
:func:`planning.areas.derive.residential_demand`); a 社区 without housing in OSM gets its
residents along its streets in proportion to their length. Each 社区's total equals its row.

Names are matched forgivingly: full-width and half-width forms are the same (NFKC), spaces are
ignored, and the suffixes 社区 / 居委会 / 社区居委会 / 居民委员会 are dropped, so "东区社区居民委员会",
"东区社区" and "东 区" are one 社区. Every table row without a 社区 and every 社区 without a row
is listed in the notes, never dropped silently.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planning.base.errors import PlanningError, warning_text
from planning.network.graph import WalkNetwork

# longest first: "东区社区居委会" loses "社区居委会", not only "居委会"
COMMUNITY_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "居委会", "村委会", "社区")
TOTAL_ROWS = {"合计", "总计", "小计", "总数", "全街道", "全街道合计", "街道合计", "total", "sum", "总人口"}
LISTED = 20  # names listed in a notice before "…"


def community_key(name) -> str:
    """A 社区 name as it is compared: NFKC, no spaces, lower case, without 社区/居委会 suffixes."""
    text = "".join(unicodedata.normalize("NFKC", str(name)).split()).lower().strip("·.,，、")
    for suffix in COMMUNITY_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def code_key(value) -> str:
    """A 社区 code as it is compared: ``110108001`` whether stored as text, integer or float."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "".join(unicodedata.normalize("NFKC", str(value)).split()).lower()


def _listing(names) -> str:
    names = [str(n) for n in names]
    return "、".join(names[:LISTED]) + ("……" if len(names) > LISTED else "")


def _numbers(values: pd.Series) -> pd.Series:
    """Numbers as offices type them: ``12,345``, ``12 345``, ``3500人`` (blank is NaN)."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype(str).map(lambda v: unicodedata.normalize("NFKC", v))
    text = text.str.replace(r"[,\s人]", "", regex=True).replace({"": None, "nan": None, "None": None})
    return pd.to_numeric(text, errors="coerce")


def _column(table: pd.DataFrame, role: str) -> str | None:
    """The column of ``role`` by its aliases, compared after NFKC and without spaces (``60 岁以上``)."""
    from planning.io.layers import find_column

    plain = {"".join(unicodedata.normalize("NFKC", str(c)).split()): c for c in table.columns}
    found = find_column(list(plain), role)
    return plain[found] if found is not None else None


def read_population_table(path: str | Path, layer: str | None = None) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The office's table of residents per 社区, and notices about it.

    Returns
    -------
    DataFrame
        ``name`` (as written), ``code`` (or None), ``population``, ``pop_60plus`` (NaN where
        the table has none), one row per table row that names a 社区; total rows (合计, 总计 …)
        are left out and said so.

    Raises
    ------
    PlanningError
        No name or code column, no population column, or a row whose residents are not a
        number ≥ 0.
    """
    from planning.io.tables import TABLE_SUFFIXES, read_table

    path = Path(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise PlanningError("population_table_format", path=path.name, known=" ".join(TABLE_SUFFIXES))
    read = read_table(path, layer)
    table = read.frame
    name, code = _column(table, "name"), _column(table, "id")
    people, elderly = _column(table, "population"), _column(table, "pop_60plus")
    if name is None and code is None:
        raise PlanningError("population_no_key", path=path.name, columns="、".join(map(str, table.columns)))
    if people is None:
        raise PlanningError("population_no_column", path=path.name, columns="、".join(map(str, table.columns)))
    rows = pd.DataFrame({
        "name": table[name].astype(str).str.strip() if name else table[code].map(code_key),
        "code": table[code].map(code_key) if code else None,
        "population": _numbers(table[people]),
        "pop_60plus": _numbers(table[elderly]) if elderly else np.nan,
    })
    rows = rows[rows["name"].ne("") & rows["name"].ne("nan")]
    notes = [*read.notes, warning_text("population_columns", column=people, column60=elderly or "—")]
    total = rows["name"].map(lambda n: community_key(n) in TOTAL_ROWS or "".join(str(n).split()) in TOTAL_ROWS)
    if total.any():
        notes.append(warning_text("population_total_rows", names=_listing(rows.loc[total, "name"])))
        rows = rows[~total]
    bad = rows["population"].isna() | (rows["population"] < 0)
    if bad.any():
        raise PlanningError("population_not_numeric", path=path.name, column=people,
                            names=_listing(rows.loc[bad, "name"]))
    wrong_60 = rows["pop_60plus"] > rows["population"]
    if wrong_60.any():
        raise PlanningError("population_elderly_above_total", path=path.name, names=_listing(rows.loc[wrong_60, "name"]))
    return rows.reset_index(drop=True), notes


def match_rows(table: pd.DataFrame, communities: gpd.GeoDataFrame) -> tuple[pd.Series, list[tuple[str, str]]]:
    """The 社区 code of each table row (None when no 社区 fits), and notices listing what did not fit.

    A row matches by code when the table and the boundaries share codes, else by name (see
    :func:`community_key`). A name shared by two 社区 is not guessed: its rows stay unmatched.
    """
    notes: list[tuple[str, str]] = []
    codes = pd.Series([None] * len(table), index=table.index, dtype=object)
    by_code = {code_key(c): c for c in communities["code"]}
    if table["code"].notna().any():
        codes = table["code"].map(lambda c: by_code.get(c) if c is not None else None).astype(object)
    keys = communities["name"].map(community_key)
    shared = set(keys[keys.duplicated()])
    by_name = {k: c for k, c in zip(keys, communities["code"]) if k not in shared}
    open_rows = codes.isna()
    codes[open_rows] = table.loc[open_rows, "name"].map(lambda n: by_name.get(community_key(n)))
    unmatched = codes.isna()
    if unmatched.any():
        notes.append(warning_text("population_rows_unmatched", n=int(unmatched.sum()),
                                  names=_listing(table.loc[unmatched, "name"])))
    ambiguous = unmatched & table["name"].map(community_key).isin(shared)
    if ambiguous.any():
        notes.append(warning_text("population_names_shared", names=_listing(table.loc[ambiguous, "name"])))
    repeated = codes[codes.notna() & codes.duplicated(keep=False)]
    if len(repeated):
        names = communities.set_index("code").loc[repeated.unique(), "name"]
        notes.append(warning_text("population_rows_summed", names=_listing(names)))
    return codes, notes


def spread_population(table: pd.DataFrame, communities: gpd.GeoDataFrame, housing: gpd.GeoDataFrame | None,
                      network: WalkNetwork, elderly_share: float
                      ) -> tuple[gpd.GeoDataFrame, list[tuple[str, str]], tuple[str, str]]:
    """Each 社区's residents of ``table`` spread over its housing, else along its streets.

    Parameters
    ----------
    table
        From :func:`read_population_table`.
    communities
        The office's 社区 (``code``, ``name``), in the network CRS.
    housing
        Residents per OSM housing building (:func:`planning.areas.derive.residential_demand`),
        the weights; None when there is no OSM extract.
    network
        Streets, the weights where a 社区 has no housing.
    elderly_share
        Share aged 60+ where the table gives none.

    Returns
    -------
    demand, notes, rule
        Points with ``id``, ``population``, ``pop_60plus``, ``community`` (the 社区 code),
        ``building`` and ``source`` (``table``, or ``derived`` for a 社区 without a row, which
        keeps the housing estimate); the notices; the rule in a sentence (zh, en).
    """
    codes, notes = match_rows(table, communities)
    rows = table.assign(community=codes)[codes.notna()]
    per = rows.groupby("community")[["population", "pop_60plus"]].sum(min_count=1)
    elderly = per["pop_60plus"].fillna(per["population"] * elderly_share)
    if table["pop_60plus"].isna().all():
        notes.append(warning_text("population_no_elderly", share=elderly_share))
    elif per["pop_60plus"].isna().any():
        notes.append(warning_text("population_some_elderly_missing", share=elderly_share,
                                  names=_listing(communities.set_index("code").loc[per.index[per["pop_60plus"].isna()], "name"])))
    in_buildings = _housing_in(housing, communities)
    weight = in_buildings["floor_m2"].astype(float)
    weighted = set(in_buildings.loc[weight > 0, "community"])
    from_table = in_buildings["community"].isin(per.index)
    share = weight / weight.groupby(in_buildings["community"]).transform("sum")
    buildings = in_buildings.assign(
        population=np.where(from_table, in_buildings["community"].map(per["population"]) * share,
                            in_buildings["population"]),
        pop_60plus=np.where(from_table, in_buildings["community"].map(elderly) * share, in_buildings["pop_60plus"]),
        source=np.where(from_table, "table", "derived"))
    on_streets = [c for c in per.index if c not in weighted]
    streets, centred = _along_streets(on_streets, communities, network)
    streets = streets.assign(population=streets["community"].map(per["population"]) * streets["share"],
                             pop_60plus=streets["community"].map(elderly) * streets["share"], source="table")
    notes += _without_row_notes(communities, per.index, buildings)
    if centred:
        notes.append(warning_text("population_at_centre", names=_listing(
            communities.set_index("code").loc[centred, "name"])))
    demand = pd.concat([buildings, streets.drop(columns="share")], ignore_index=True)
    demand = gpd.GeoDataFrame(demand, geometry="geometry", crs=communities.crs)
    demand = demand[demand["population"] > 0].reset_index(drop=True)
    rule = warning_text("rule_demand_table" if table["pop_60plus"].notna().all() else "rule_demand_table_share",
                        n=len(per), buildings=len(per) - len(on_streets), streets=len(on_streets) - len(centred),
                        centred=len(centred), share=elderly_share)
    return demand[["id", "population", "pop_60plus", "community", "building", "source", "geometry"]], notes, rule


def _housing_in(housing: gpd.GeoDataFrame | None, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Housing points inside a 社区 (the first one on a shared border), with its code."""
    columns = ["id", "population", "pop_60plus", "floor_m2", "community", "building", "geometry"]
    if housing is None or housing.empty:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=communities.crs)
    point, polygon = shapely.STRtree(communities.geometry.to_numpy()).query(housing.geometry.to_numpy(),
                                                                             predicate="within")
    first = ~pd.Series(point).duplicated().to_numpy()
    point, polygon = point[first], polygon[first]
    inside = housing.iloc[point].assign(community=communities["code"].to_numpy()[polygon])
    return inside[columns].reset_index(drop=True)


def _along_streets(codes: list[str], communities: gpd.GeoDataFrame,
                   network: WalkNetwork) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Points at the middle of each street piece inside the 社区 ``codes``, with each piece's
    ``share`` of its 社区's street length; a 社区 with no street gets its inner point (listed)."""
    columns = ["id", "community", "building", "share", "geometry"]
    if not codes:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=communities.crs), []
    polygons = communities.set_index("code").loc[codes].geometry.to_numpy()
    lines = network.edges.geometry.to_numpy()
    polygon, line = shapely.STRtree(lines).query(polygons, predicate="intersects")
    parts, part_of = shapely.get_parts(shapely.intersection(lines[line], polygons[polygon]), return_index=True)
    length = shapely.length(parts)
    keep = (shapely.get_type_id(parts) == 1) & (length > 0)
    parts, owner, length = parts[keep], np.asarray(codes, dtype=object)[polygon[part_of[keep]]], length[keep]
    pieces = gpd.GeoDataFrame({"community": owner, "building": "", "length": length},
                              geometry=shapely.line_interpolate_point(parts, 0.5, normalized=True), crs=communities.crs)
    pieces["share"] = pieces["length"] / pieces.groupby("community")["length"].transform("sum")
    centred = [c for c in codes if c not in set(owner)]
    if centred:
        inner = communities.set_index("code").loc[centred].geometry.representative_point().to_numpy()
        pieces = pd.concat([pieces, gpd.GeoDataFrame({"community": centred, "building": "", "share": 1.0},
                                                     geometry=inner, crs=communities.crs)], ignore_index=True)
    pieces["id"] = [f"s{i}" for i in range(len(pieces))]
    return gpd.GeoDataFrame(pieces, geometry="geometry", crs=communities.crs)[columns], centred


def _without_row_notes(communities: gpd.GeoDataFrame, with_row, buildings: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """The 社区 the table has no row for: their housing estimate is kept (or they have nobody), listed."""
    missing = communities[~communities["code"].isin(with_row)]
    if missing.empty:
        return []
    estimated = buildings[buildings["source"] == "derived"]
    kept = missing[missing["code"].isin(set(estimated["community"]))]
    empty = missing[~missing["code"].isin(set(estimated["community"]))]
    notes = []
    if len(kept):
        notes.append(warning_text("population_communities_estimated", n=len(kept), names=_listing(kept["name"]),
                                  population=f"{estimated['population'].sum():,.0f}"))
    if len(empty):
        notes.append(warning_text("population_communities_empty", n=len(empty), names=_listing(empty["name"])))
    return notes
