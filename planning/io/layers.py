"""Read community boundaries, population and facility layers from ordinary GIS files.

Formats: GeoPackage, GeoJSON, Shapefile (zipped or not; a .dbf without .cpg is decoded as
UTF-8 or GB18030), KML (every folder, nested ones too), and tables with lon/lat columns
(CSV/TXT/TSV/Excel, see :mod:`planning.io.tables`; decimal or degrees-minutes-seconds).
A GeoPackage holding several layers is read only with the layer named (``layer=``), never
silently as its first one. Coordinates are checked (missing, local or unknown CRS, swapped or
out-of-range lon/lat), Chinese web-map datums (GCJ-02 from Amap/Tencent, BD-09 from Baidu) are
converted to WGS84 on request or when a table's coordinate columns say so (``gcj02_lng``,
``百度经度`` …), and invalid polygons are repaired with a warning. Features of the wrong kind (lines
among points, points among boundaries) and rows without usable coordinates are left out with
a notice that counts and names them. Every problem becomes a zh/en PlanningError.

Public readers: :func:`read_vector`, :func:`read_points`, :func:`read_polygons` and, for
tables without geometry, :func:`planning.io.tables.read_table`.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import yaml

from planning.base.errors import PlanningError, error_reason, warning_text
from planning.base.paths import DATA_DIR
from planning.io.coords import TO_WGS84, parse_degrees
from planning.io.tables import EXCEL_SUFFIXES, TABLE_SUFFIXES, looks_like_text, read_table, row_list, sheet_names

VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".zip", ".kml", *TABLE_SUFFIXES)
COORD_SYSTEMS = ("auto", "wgs84", "cgcs2000", "gcj02", "bd09")
# Words in a coordinate column's name that say its datum, as 高德/百度/腾讯 exports and POI tools
# write them (gcj02_lng, lng_gcj, 经度(GCJ-02), 高德经度, bd09_lat, 百度纬度, wgs84_lon …).
DATUM_WORDS = {"gcj02": ("gcj-02", "gcj_02", "gcj02", "gcj", "高德", "腾讯", "火星"),
               "bd09": ("bd-09", "bd_09", "bd09ll", "bd09", "baidu", "百度", "bd"),
               "wgs84": ("wgs-84", "wgs_84", "wgs84", "wgs", "gps")}
MAX_UNUSABLE_SHARE = 0.5  # more rows without usable coordinates than this: the file is refused, not thinned
_POINT, _LINE, _POLYGON = "point", "line", "polygon"
_KINDS = {0: _POINT, 4: _POINT, 1: _LINE, 2: _LINE, 5: _LINE, 3: _POLYGON, 6: _POLYGON}


@dataclass
class Layer:
    """A loaded layer, the notices a user should read about it (zh, en), and where each row came from.

    ``rows`` holds, for each row of ``gdf``, its row number in the file: the row a spreadsheet
    shows for CSV/Excel (header = row 1), the feature's position (1 = first) for GIS files.
    Messages name rows by these numbers.
    """

    gdf: gpd.GeoDataFrame
    notes: list[tuple[str, str]] = field(default_factory=list)
    rows: np.ndarray | None = None
    datum_named: tuple[str, str] | None = None  # (datum, column) when a coordinate column's name gives it

    def __post_init__(self) -> None:
        if self.rows is None:
            self.rows = np.arange(1, len(self.gdf) + 1)

    def note(self, code: str, **params) -> None:
        self.notes.append(warning_text(code, **params))

    def keep(self, mask) -> None:
        """Keep the rows where ``mask`` is true (row numbers follow)."""
        mask = np.asarray(mask, bool)
        self.gdf = self.gdf[mask].copy()
        self.rows = self.rows[mask]


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


def _without_datum(name: str) -> tuple[str, str | None]:
    """A column name without the datum it names: ``"gcj02_lng"`` → ``("lng", "gcj02")``."""
    text = str(name).strip().lower()
    for system, words in DATUM_WORDS.items():
        for word in words:
            if word in text:
                rest = text.replace(word, "").strip(" _-()（）[]【】")
                if rest:
                    return rest, system
    return text, None


def coordinate_columns(columns) -> tuple[str | None, str | None, str | None]:
    """``(lon column, lat column, datum their names say or None)``: plain aliases first
    (``lon``, ``经度`` …), then names carrying a datum (``gcj02_lng``, ``百度经度``)."""
    lon, lat = find_column(columns, "lon"), find_column(columns, "lat")
    if lon is not None and lat is not None:
        return lon, lat, None
    stripped = {c: _without_datum(c) for c in columns}
    found: dict[str, tuple[str, str | None]] = {}
    for role in ("lon", "lat"):
        aliases = [a.lower() for a in column_aliases()[role]]
        matches = [(c, system) for c, (rest, system) in stripped.items() if system and rest in aliases]
        if matches:
            found[role] = matches[0]
    if "lon" not in found or "lat" not in found:
        return lon, lat, None
    (lon, lon_system), (lat, lat_system) = found["lon"], found["lat"]
    return lon, lat, lon_system if lon_system == lat_system else None


def read_vector(path: str | Path, coord_system: str = "auto", layer: str | None = None) -> Layer:
    """Read any supported vector file or point table into a GeoDataFrame in WGS84 (EPSG:4326).

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile (``.shp`` or zipped), KML (every folder, nested or not),
        or a table with longitude/latitude columns (CSV/TXT/TSV in any common encoding and
        delimiter, Excel .xlsx/.xls; see :func:`planning.io.tables.read_table`), decimal degrees
        or degrees-minutes-seconds.
    coord_system
        What the coordinates really are when the file says WGS84 or nothing: ``wgs84``,
        ``cgcs2000`` (EPSG:4490, within centimetres of WGS84), ``gcj02`` (Amap/Tencent
        exports) or ``bd09`` (Baidu exports). Converted to WGS84. ``auto``: what a table's
        coordinate columns say (``gcj02_lng``, ``百度经度`` …, with a notice), else WGS84.
    layer
        The layer of a GeoPackage (or the sheet of a workbook) to read. A GeoPackage with
        several layers and no ``layer`` is refused with the list of its layers.

    Returns
    -------
    Layer
        With a fresh 0…n-1 index; ``rows`` gives each row's number in the file. Rows dropped
        (no geometry, blank or unreadable coordinates) are counted and named in ``notes``.

    Raises
    ------
    PlanningError
        Missing, empty, unreadable or unknown files; several layers and none named; no
        features; more than half the rows without usable coordinates; a missing, local
        (engineering) or unknown CRS; swapped or out-of-range longitude/latitude.
    """
    path = Path(path)
    if coord_system not in COORD_SYSTEMS:
        raise PlanningError("coord_system_unknown", value=coord_system, known=", ".join(COORD_SYSTEMS))
    if not path.exists():
        raise PlanningError("file_not_found", path=path.name)
    if path.is_dir():
        raise PlanningError("input_is_folder", path=path.name)
    if path.stat().st_size == 0:
        raise PlanningError("file_empty", path=path.name)
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        raise PlanningError("vector_format_unknown", path=path.name, known=" ".join(VECTOR_SUFFIXES))
    layer = _read_table_points(path, layer) if suffix in TABLE_SUFFIXES else _read_ogr(path, layer)
    if layer.gdf.empty:
        raise PlanningError("layer_no_features", path=path.name)
    _drop_empty(layer, path)
    _check_crs_and_range(layer, path)
    layer.gdf = layer.gdf.to_crs(4326)
    coord_system = _datum(layer, coord_system)
    if coord_system in ("gcj02", "bd09"):
        convert = TO_WGS84[coord_system]
        layer.gdf = layer.gdf.set_geometry(shapely.transform(
            layer.gdf.geometry.to_numpy(), lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1]))))
        layer.note("coords_converted", system=coord_system.upper(), n=len(layer.gdf))
    _repair(layer)
    layer.gdf = layer.gdf.reset_index(drop=True)
    return layer


def _datum(layer: Layer, given: str) -> str:
    """The datum to convert from: the user's, else what the coordinate columns' names say."""
    if layer.datum_named is None:
        return "wgs84" if given == "auto" else given
    system, column = layer.datum_named
    if given == "auto":
        layer.note("coords_detected", system=system.upper(), column=column)
        return system
    if given != system and {given, system} != {"wgs84", "cgcs2000"}:
        layer.note("coords_named_otherwise", given=given.upper(), system=system.upper(), column=column)
    return given


def layer_names(path: str | Path) -> list[str]:
    """The layers of a vector file (a GeoPackage may hold several)."""
    path = Path(path)
    source = f"zip://{path}" if path.suffix.lower() == ".zip" else str(path)
    try:
        return [str(name) for name, _ in pyogrio.list_layers(source)]
    except Exception as exc:  # GDAL's own message explains what is wrong with the file
        raise PlanningError("file_unreadable", path=path.name, reason=error_reason(exc)) from exc


def file_layers(path: str | Path) -> list[str]:
    """The layers a reader could be asked for: a GeoPackage's layers, a workbook's filled sheets; [] for other files."""
    path = Path(path)
    if not path.is_file():
        return []
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return sheet_names(path)
    if path.suffix.lower() in (".gpkg", ".sqlite"):
        return layer_names(path)
    return []


def _read_ogr(path: Path, layer: str | None = None) -> Layer:
    source = f"zip://{path}" if path.suffix.lower() == ".zip" else str(path)
    names = layer_names(path)
    if path.suffix.lower() != ".kml":  # a KML's folders are parts of one layer, not choices
        if layer is not None and layer not in names:
            raise PlanningError("layer_not_found", path=path.name, layer=layer, layers="、".join(names))
        if layer is None and len(names) > 1:
            raise PlanningError("layer_choose", path=path.name, layers="、".join(names))
    try:
        if path.suffix.lower() == ".kml" and len(names) > 1 and layer is None:
            return _read_kml_folders(source, names, path)
        gdf = gpd.read_file(source, engine="pyogrio", layer=layer if layer is not None else names[0] if names else None)
        if path.suffix.lower() == ".kml":
            gdf = _without_empty_columns(gdf)
    except PlanningError:
        raise
    except Exception as exc:  # GDAL's own message explains what is wrong with the file
        raise PlanningError("file_unreadable", path=path.name, reason=error_reason(exc)) from exc
    layer = Layer(gdf)
    if _shapefile_without_cpg(path, source):
        _redecode_dbf(layer, path)
    return layer


def _read_kml_folders(source: str, names: list[str], path: Path) -> Layer:
    """Every folder of a KML (nested folders are layers of their own) as one layer with a ``folder`` column."""
    parts = [_without_empty_columns(gpd.read_file(source, engine="pyogrio", layer=name)).assign(folder=name)
             for name in names]
    parts = [part for part in parts if len(part)]
    if not parts:
        raise PlanningError("layer_no_features", path=path.name)
    layer = Layer(gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs))
    layer.note("kml_folders_read", path=path.name, n=len(layer.gdf), folders=len(parts),
               names="、".join(part["folder"].iloc[0] for part in parts))
    return layer


def _without_empty_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """KML readers add columns (id, description, timestamp …) that are empty for most files."""
    geometry = gdf.geometry.name
    empty = [c for c in gdf.columns if c != geometry and gdf[c].isna().all()]
    return gdf.drop(columns=empty)


def _shapefile_without_cpg(path: Path, source: str) -> bool:
    """A Shapefile whose .dbf has no .cpg and no code page byte: GDAL then guesses ISO-8859-1."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = [m.lower() for m in archive.namelist()]
        if not any(m.endswith(".dbf") for m in members) or any(m.endswith(".cpg") for m in members):
            return False
    elif suffix != ".shp" or path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists():
        return False
    return pyogrio.read_info(source).get("encoding") == "ISO-8859-1"


def _redecode_dbf(layer: Layer, path: Path) -> None:
    """Text read as ISO-8859-1 (bytes kept one to one) decoded as UTF-8, else GB18030 when that reads as text."""
    gdf = layer.gdf
    texts = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    texts += [v for c in gdf.columns if c != gdf.geometry.name and _is_text(gdf[c])
              for v in gdf[c].dropna() if isinstance(v, str)]
    try:
        raw = [t.encode("latin-1") for t in texts]
    except UnicodeEncodeError:
        return
    if all(r.isascii() for r in raw):
        return
    for encoding in ("utf-8", "gb18030"):
        try:
            decoded = [r.decode(encoding) for r in raw]
        except UnicodeDecodeError:
            continue
        if looks_like_text("".join(decoded)):
            break
    else:
        layer.note("dbf_encoding_unknown", path=path.name)
        return

    def fix(value):
        return value.encode("latin-1").decode(encoding) if isinstance(value, str) else value

    geometry = gdf.geometry.name
    columns = {c: fix(str(c)) for c in gdf.columns if c != geometry}
    gdf = gdf.rename(columns=columns)
    for column in columns.values():
        if _is_text(gdf[column]):
            gdf[column] = gdf[column].map(fix)
    layer.gdf = gdf
    layer.note("dbf_encoding_guessed", path=path.name, encoding=encoding.upper())


def _is_text(values: pd.Series) -> bool:
    return values.dtype == object or pd.api.types.is_string_dtype(values.dtype)


def _read_table_points(path: Path, sheet: str | None = None) -> Layer:
    """Points from a table's longitude/latitude columns (decimal or degrees-minutes-seconds).

    Rows with a blank or unreadable coordinate are left out and named; when they are more than
    half of the rows the file is refused (a wrong column or format, not a few bad rows). A
    datum named by the coordinate columns (``gcj02_lng``) is kept in :attr:`Layer.datum_named`.
    """
    table = read_table(path, sheet)
    frame = table.frame
    lon, lat, system = coordinate_columns(frame.columns)
    if lon is None or lat is None:
        raise PlanningError("csv_no_lonlat", path=path.name, columns=", ".join(map(str, frame.columns)))
    x = frame[lon].map(lambda v: parse_degrees(v, "lon")).astype(float)
    y = frame[lat].map(lambda v: parse_degrees(v, "lat")).astype(float)
    blank = (frame[lon].isna() | frame[lat].isna()).to_numpy()
    unreadable = ((x.isna() | y.isna()).to_numpy()) & ~blank
    usable = ~(blank | unreadable)
    rows = frame.index.to_numpy()
    if usable.sum() == 0 or (1 - usable.mean()) > MAX_UNUSABLE_SHARE:
        examples = frame.loc[unreadable, [lon, lat]].astype(str).agg(" ".join, axis=1).head(3).tolist()
        raise PlanningError("coords_mostly_unusable", path=path.name, n=int((~usable).sum()), total=len(frame),
                            rows=row_list(rows[~usable][:50]), examples="; ".join(examples) or "—")
    layer = Layer(gpd.GeoDataFrame(frame.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(x, y), crs=None),
                  list(table.notes), rows, (system, str(lon)) if system else None)
    if blank.any():
        layer.note("rows_dropped_blank_coords", path=path.name, n=int(blank.sum()), total=len(frame),
                   rows=row_list(rows[blank]))
    if unreadable.any():
        examples = frame.loc[unreadable, [lon, lat]].astype(str).agg(" ".join, axis=1).head(3).tolist()
        layer.note("rows_dropped_bad_coords", path=path.name, n=int(unreadable.sum()), total=len(frame),
                   rows=row_list(rows[unreadable]), examples="; ".join(examples))
    as_text = ~pd.to_numeric(frame[lon], errors="coerce").notna().to_numpy() & usable
    if as_text.any():
        layer.note("coords_dms_read", path=path.name, n=int(as_text.sum()))
    layer.keep(usable)
    return layer


def _drop_empty(layer: Layer, path: Path) -> None:
    gdf = layer.gdf
    empty = (gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    if empty.all():
        raise PlanningError("layer_no_features", path=path.name)
    if empty.any():
        layer.note("features_dropped_empty", n=int(empty.sum()), path=path.name, rows=row_list(layer.rows[empty]))
        layer.keep(~empty)


def _check_crs_and_range(layer: Layer, path: Path) -> None:
    """Missing CRS: accept only coordinates that can only be degrees; refuse local/unknown CRSs; catch swapped lon/lat."""
    gdf = layer.gdf
    if gdf.crs is not None:
        _check_crs_usable(gdf.crs, path)
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


def _check_crs_usable(crs, path: Path) -> None:
    """A local (engineering) grid or a CRS that cannot be turned into longitude/latitude is refused."""
    from pyproj import Transformer
    from pyproj.exceptions import ProjError

    name = crs.name or crs.to_string()
    if crs.is_engineering:
        raise PlanningError("crs_local", path=path.name, crs=name)
    try:
        Transformer.from_crs(crs, 4326, always_xy=True)
    except ProjError:
        raise PlanningError("crs_local", path=path.name, crs=name) from None


def _repair(layer: Layer) -> None:
    geoms = layer.gdf.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        geoms = geoms.copy()
        # "structure" keeps polygons polygonal (no stray lines from a bow-tie's crossing)
        geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        layer.gdf = layer.gdf.set_geometry(geoms, crs=layer.gdf.crs)
        layer.note("geometries_repaired", n=int(invalid.sum()))


def geometry_kinds(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """``point``, ``line``, ``polygon`` or ``other`` (collections) for each feature."""
    ids = shapely.get_type_id(gdf.geometry.to_numpy())
    return np.array([_KINDS.get(int(i), "other") for i in ids], dtype=object)


_KIND_WORDS = {_POINT: ("点", "point"), _LINE: ("线", "line"), _POLYGON: ("面", "polygon"), "other": ("集合", "collection")}


def _keep_kinds(layer: Layer, path: str | Path, wanted: tuple[str, ...]) -> np.ndarray:
    """Keep the features of the ``wanted`` kinds; the others are counted and named, or the file refused."""
    kinds = geometry_kinds(layer.gdf)
    keep = np.isin(kinds, wanted)
    if keep.all():
        return kinds
    words = {
        "expected_zh": "或".join(_KIND_WORDS[k][0] for k in wanted),
        "expected_en": " or ".join(_KIND_WORDS[k][1] for k in wanted),
        "counts_zh": "、".join(f"{_KIND_WORDS[k][0]} {int((kinds == k).sum())} 个" for k in sorted(set(kinds))),
        "counts_en": ", ".join(f"{int((kinds == k).sum())} {_KIND_WORDS[k][1]}" for k in sorted(set(kinds))),
    }
    if not keep.any():
        raise PlanningError("geometry_wrong_kind", path=Path(path).name, **words)
    layer.note("features_dropped_kind", path=Path(path).name, n=int((~keep).sum()), total=len(kinds),
               rows=row_list(layer.rows[~keep]), **words)
    layer.keep(keep)
    layer.gdf = layer.gdf.reset_index(drop=True)
    return kinds[keep]


def read_points(path: str | Path, coord_system: str = "auto", role: str = "points", layer: str | None = None) -> Layer:
    """Read a point layer with an ``id`` column; polygons become their representative point.

    Lines and collections are left out with a notice naming them (refused when nothing else is
    in the file), and so are polygons turned into points. ``layer`` names the layer or sheet.
    """
    layer = read_vector(path, coord_system, layer)
    kinds = _keep_kinds(layer, path, (_POINT, _POLYGON))
    gdf = layer.gdf
    if (kinds == _POLYGON).any():
        gdf = gdf.set_geometry(gdf.geometry.representative_point())
        if (kinds == _POINT).any():
            layer.note("polygons_as_points", path=Path(path).name, n=int((kinds == _POLYGON).sum()), total=len(kinds))
    id_col = find_column(gdf.columns, "id")
    if id_col is not None and gdf[id_col].isna().all():  # an id column nobody filled: number the rows
        gdf, id_col = gdf.drop(columns=[id_col]), None
    gdf = gdf.rename(columns={id_col: "id"}) if id_col else gdf.assign(id=np.arange(len(gdf)))
    repeated = gdf["id"].duplicated(keep=False).to_numpy()
    if repeated.any():
        raise PlanningError("ids_not_unique", path=Path(path).name, n=int(gdf["id"].duplicated().sum()),
                            rows=row_list(layer.rows[repeated][:50]))
    layer.gdf = gdf
    return layer


def read_polygons(path: str | Path, coord_system: str = "auto", layer: str | None = None) -> Layer:
    """Read a polygon layer (community or street-office boundaries).

    Points and lines are left out with a notice naming their rows; a file with no polygon at
    all (boundaries given as points, say) is refused with the counts of what it holds.
    """
    layer = read_vector(path, coord_system, layer)
    _keep_kinds(layer, path, (_POLYGON,))
    return layer


def numeric_column(gdf: gpd.GeoDataFrame, role: str, path: str | Path, required: bool = True,
                   rows: np.ndarray | None = None) -> pd.Series | None:
    """A finite, non-negative numeric column found by alias (population, capacity, cost …).

    Blanks, text, negative numbers and infinities are refused, naming the rows (``rows``: the
    file's row numbers of ``gdf``'s rows, see :class:`Layer`; default 1, 2, …).
    """
    col = find_column(gdf.columns, role)
    if col is None:
        if required:
            raise PlanningError("column_missing", path=Path(path).name, role=role,
                                aliases=", ".join(column_aliases()[role]))
        return None
    values = pd.to_numeric(gdf[col], errors="coerce")
    bad = (values.isna() | ~np.isfinite(values.fillna(0)) | (values < 0)).to_numpy()
    if bad.any():
        rows = np.arange(1, len(gdf) + 1) if rows is None else np.asarray(rows)
        examples = ", ".join(map(str, gdf[col][bad].head(3).tolist()))
        raise PlanningError("column_not_numeric", path=Path(path).name, column=col, n=int(bad.sum()),
                            rows=row_list(rows[bad][:50]), examples=examples)
    return values.astype(float)
