"""A 民情征集's stated needs as files: a GeoPackage QGIS opens and an Excel workbook.

Both hold the same tables: the needs (points, coarsened when asked — see
:func:`scenarios.needs.coarsen`), the clusters of needs, the counts per 社区 and per 网格, and the
free text grouped by keyword theme. Residents' text is written as text: a cell that begins with
``=`` (or ``+``, ``-``, ``@``) is stored as a string, never as an Excel formula. Files are written
completely or not at all (:mod:`planning.io.write`).
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from planning.base.needs import load_need_types, load_text_themes
from planning.base.text import catalogue
from planning.io.write import atomic_output, write_bytes
from planning.outputs.cells import text_not_formulas


@dataclass
class NeedsTables:
    """Everything exported about one survey (layers in any CRS; tables plain)."""

    needs: gpd.GeoDataFrame
    clusters: gpd.GeoDataFrame
    by_community: pd.DataFrame
    by_grid: pd.DataFrame
    texts: pd.DataFrame


def _words(key: str, lang: str) -> str:
    return catalogue("needs").text(key, lang)


def _need_layer(tables: NeedsTables, lang: str) -> gpd.GeoDataFrame:
    names = {k: n.name(lang) for k, n in load_need_types().items()}
    layer = tables.needs.copy()
    layer["need_name"] = layer["need"].map(names).fillna(layer["need"])
    if "covered_today" in layer:
        layer["covered_today"] = layer["covered_today"].map({True: 1, False: 0}).astype("Int64")
    keep = [c for c in ("id", "need", "need_name", "community", "community_name", "grid", "minutes_today",
                        "covered_today", "place", "text", "age_group", "has_car", "followup", "geometry")
            if c in layer]
    return layer[keep]


def _text_table(tables: NeedsTables, lang: str) -> pd.DataFrame:
    themes = load_text_themes()
    other = _words("needs_theme_other", lang)
    rows = [{"theme": r.theme, "theme_name": themes[r.theme].name(lang) if r.theme in themes else other,
             "text": text} for r in tables.texts.itertuples() for text in r.texts]
    return pd.DataFrame(rows, columns=["theme", "theme_name", "text"])


def write_needs_gpkg(path: str | Path, tables: NeedsTables, lang: str = "zh") -> Path:
    """Layers ``needs`` and ``clusters`` (points), tables ``by_community``, ``by_grid`` and ``texts``."""
    write = dict(driver="GPKG", engine="pyogrio")
    crs = tables.needs.crs
    with atomic_output(path) as tmp:
        _need_layer(tables, lang).to_file(tmp, layer="needs", **write)
        tables.clusters.to_file(tmp, layer="clusters", **write)
        for name, frame in (("by_community", tables.by_community), ("by_grid", tables.by_grid),
                            ("texts", _text_table(tables, lang))):
            gpd.GeoDataFrame(frame, geometry=[None] * len(frame), crs=crs).to_file(tmp, layer=name, **write)
    return Path(path)


def needs_xlsx(tables: NeedsTables, lang: str = "zh") -> bytes:
    """The same tables as an Excel workbook (points as longitude/latitude columns)."""
    needs = _need_layer(tables, lang).to_crs(4326)
    needs = pd.DataFrame(needs.drop(columns="geometry")).assign(lon=needs.geometry.x.round(6),
                                                                lat=needs.geometry.y.round(6))
    clusters = tables.clusters.to_crs(4326)
    clusters = pd.DataFrame(clusters.drop(columns="geometry")).assign(lon=clusters.geometry.x.round(6),
                                                                      lat=clusters.geometry.y.round(6))
    book = Workbook()
    book.remove(book.active)
    for key, frame in (("needs_sheet_needs", needs), ("needs_sheet_clusters", clusters),
                       ("needs_sheet_communities", tables.by_community), ("needs_sheet_grids", tables.by_grid),
                       ("needs_sheet_texts", _text_table(tables, lang))):
        sheet = book.create_sheet(_words(key, lang)[:31])
        sheet.append([str(c) for c in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
        text_not_formulas(sheet)  # residents' text is never a formula
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_needs_xlsx(path: str | Path, tables: NeedsTables, lang: str = "zh") -> Path:
    return write_bytes(path, needs_xlsx(tables, lang))


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value.item() if hasattr(value, "item") else value
