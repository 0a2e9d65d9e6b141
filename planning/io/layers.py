"""Read community boundaries, population and facility layers from ordinary GIS files.

Formats: GeoPackage, GeoJSON, Shapefile (zipped or not), KML, and CSV with lon/lat columns.
Coordinates are checked (missing CRS, swapped or out-of-range lon/lat), Chinese web-map
datums (GCJ-02 from Amap/Tencent, BD-09 from Baidu) are converted to WGS84 on request, and
invalid polygons are repaired with a warning. Every problem becomes a zh/en PlanningError.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml

from planning.base.errors import PlanningError, warning_text
from planning.base.paths import DATA_DIR
from planning.io.coords import TO_WGS84

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip", ".kml", ".csv")
COORD_SYSTEMS = ("wgs84", "cgcs2000", "gcj02", "bd09")


@dataclass
class Layer:
    """A loaded layer and the notices a user should read about it (zh, en)."""

    gdf: gpd.GeoDataFrame
    notes: list[tuple[str, str]] = field(default_factory=list)

    def note(self, code: str, **params) -> None:
        self.notes.append(warning_text(code, **params))


@lru_cache(maxsize=1)
def column_aliases() -> dict[str, list[str]]:
    with open(DATA_DIR / "column_aliases.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def find_column(columns, role: str) -> str | None:
    """The first column whose name is a known alias of ``role`` (case-insensitive)."""
    lower = {str(c).strip().lower(): c for c in columns}
    for alias in column_aliases()[role]:
        if alias.lower() in lower:
            return lower[alias.lower()]
    return None


def read_vector(path: str | Path, coord_system: str = "wgs84") -> Layer:
    """Read any supported vector file into a GeoDataFrame in WGS84 (EPSG:4326).

    Parameters
    ----------
    path
        File to read.
    coord_system
        What the coordinates really are when the file says WGS84 or nothing: ``wgs84``,
        ``cgcs2000`` (EPSG:4490, within centimetres of WGS84), ``gcj02`` (Amap/Tencent
        exports) or ``bd09`` (Baidu exports). Converted to WGS84.
    """
    path = Path(path)
    if coord_system not in COORD_SYSTEMS:
        raise PlanningError("coord_system_unknown", value=coord_system, known=", ".join(COORD_SYSTEMS))
    if not path.exists():
        raise PlanningError("file_not_found", path=path.name)
    if path.stat().st_size == 0:
        raise PlanningError("file_empty", path=path.name)
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        raise PlanningError("vector_format_unknown", path=path.name, known=" ".join(VECTOR_SUFFIXES))
    layer = Layer(_read_csv(path) if suffix == ".csv" else _read_ogr(path))
    if layer.gdf.empty:
        raise PlanningError("layer_no_features", path=path.name)
    _drop_empty(layer, path)
    _check_crs_and_range(layer, path)
    layer.gdf = layer.gdf.to_crs(4326)
    if coord_system in ("gcj02", "bd09"):
        convert = TO_WGS84[coord_system]
        layer.gdf = layer.gdf.set_geometry(shapely.transform(
            layer.gdf.geometry.to_numpy(), lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1]))))
        layer.note("coords_converted", system=coord_system.upper(), n=len(layer.gdf))
    _repair(layer)
    return layer


def _read_ogr(path: Path) -> gpd.GeoDataFrame:
    source = f"zip://{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        return gpd.read_file(source, engine="pyogrio")
    except Exception as exc:  # GDAL's own message explains what is wrong with the file
        raise PlanningError("file_unreadable", path=path.name, reason=str(exc).splitlines()[0][:200]) from exc


def _read_csv(path: Path) -> gpd.GeoDataFrame:
    try:
        table = pd.read_csv(path, encoding="utf-8-sig")
    except UnicodeDecodeError:
        table = pd.read_csv(path, encoding="gb18030")  # Excel in Chinese Windows saves GBK
    except Exception as exc:
        raise PlanningError("file_unreadable", path=path.name, reason=str(exc).splitlines()[0][:200]) from exc
    lon, lat = find_column(table.columns, "lon"), find_column(table.columns, "lat")
    if lon is None or lat is None:
        raise PlanningError("csv_no_lonlat", path=path.name, columns=", ".join(map(str, table.columns)))
    x = pd.to_numeric(table[lon], errors="coerce")
    y = pd.to_numeric(table[lat], errors="coerce")
    bad = int((x.isna() | y.isna()).sum())
    if bad == len(table):
        raise PlanningError("csv_no_lonlat", path=path.name, columns=", ".join(map(str, table.columns)))
    gdf = gpd.GeoDataFrame(table.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(x, y), crs=None)
    return gdf[~(x.isna() | y.isna()).to_numpy()]


def _drop_empty(layer: Layer, path: Path) -> None:
    gdf = layer.gdf
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.all():
        raise PlanningError("layer_no_features", path=path.name)
    if empty.any():
        layer.note("features_dropped_empty", n=int(empty.sum()))
        layer.gdf = gdf[~empty].copy()


def _check_crs_and_range(layer: Layer, path: Path) -> None:
    """Missing CRS: accept only coordinates that can only be degrees; catch swapped lon/lat."""
    gdf = layer.gdf
    minx, miny, maxx, maxy = gdf.total_bounds
    looks_degrees = -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90
    looks_swapped = -90 <= minx and maxx <= 90 and -180 <= miny and maxy <= 180 and not looks_degrees
    if gdf.crs is None:
        if looks_swapped:
            raise PlanningError("lonlat_swapped", path=path.name)
        if not looks_degrees:
            raise PlanningError("crs_missing", path=path.name)
        layer.gdf = gdf.set_crs(4326)
        layer.note("crs_assumed_wgs84", path=path.name)
    elif gdf.crs.is_geographic:
        if looks_swapped:
            raise PlanningError("lonlat_swapped", path=path.name)
        if not looks_degrees:
            raise PlanningError("lonlat_out_of_range", path=path.name,
                                bounds=f"{minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f}")


def _repair(layer: Layer) -> None:
    geoms = layer.gdf.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        # "structure" keeps polygons polygonal (no stray lines from a bow-tie's crossing)
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        layer.gdf = layer.gdf.set_geometry(geoms, crs=layer.gdf.crs)
        layer.note("geometries_repaired", n=int(invalid.sum()))


def read_points(path: str | Path, coord_system: str = "wgs84", role: str = "points") -> Layer:
    """Read a point layer (polygons become their representative point) with an ``id`` column."""
    layer = read_vector(path, coord_system)
    gdf = layer.gdf
    geom_type = shapely.get_type_id(gdf.geometry.to_numpy())
    if (geom_type != 0).any():
        gdf = gdf.set_geometry(gdf.geometry.representative_point())
    id_col = find_column(gdf.columns, "id")
    gdf = gdf.rename(columns={id_col: "id"}) if id_col else gdf.assign(id=np.arange(len(gdf)))
    if gdf["id"].duplicated().any():
        raise PlanningError("ids_not_unique", path=Path(path).name, n=int(gdf["id"].duplicated().sum()))
    layer.gdf = gdf
    return layer


def numeric_column(gdf: gpd.GeoDataFrame, role: str, path: str | Path, required: bool = True) -> pd.Series | None:
    """A non-negative numeric column found by alias (population, capacity, cost …)."""
    col = find_column(gdf.columns, role)
    if col is None:
        if required:
            raise PlanningError("column_missing", path=Path(path).name, role=role,
                                aliases=", ".join(column_aliases()[role]))
        return None
    values = pd.to_numeric(gdf[col], errors="coerce")
    if values.isna().any() or (values < 0).any():
        raise PlanningError("column_not_numeric", path=Path(path).name, column=col,
                            n=int((values.isna() | (values < 0)).sum()))
    return values.astype(float)
