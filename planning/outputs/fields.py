"""What each exported column means, in Chinese and English (``planning/locale/fields.yaml``).

Every GeoPackage export carries a table ``field_aliases`` (layer, field, alias_zh, alias_en,
about_zh, about_en) and the same aliases in the GeoPackage schema extension
(``gpkg_data_columns``), which GDAL reads as field alternative names and QGIS shows as aliases;
GeoJSON exports get ``field_aliases.csv`` beside them.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd

from planning.base.catalogue import FacilityType
from planning.base.text import catalogue

ALIAS_TABLE = "field_aliases"
ALIAS_COLUMNS = ["layer", "field", "alias_zh", "alias_en", "about_zh", "about_en"]


@lru_cache(maxsize=1)
def _entries() -> dict[str, dict[str, str]]:
    return catalogue("fields").table


def _pattern(name: str, type_keys: tuple[str, ...]) -> re.Pattern:
    regex = re.escape(name).replace(r"\{type\}", "(?P<type>" + "|".join(map(re.escape, type_keys)) + ")")
    return re.compile("^" + regex.replace(r"\{m\}", r"(?P<m>\d+(?:\.\d+)?)") + "$")


def describe(column: str, types: Iterable[FacilityType]) -> dict[str, str] | None:
    """``alias_zh``, ``alias_en``, ``about_zh``, ``about_en`` of an exported column, or None when undocumented."""
    by_key = {t.key: t for t in types}
    entries = _entries()
    entry, values = entries.get(column), {}
    if entry is None:
        for name, candidate in entries.items():
            match = "{" in name and _pattern(name, tuple(by_key)).match(column)
            if match:
                entry, values = candidate, match.groupdict()
                break
    if entry is None:
        return None
    if "type" in values:
        ftype = by_key[values["type"]]
        values.update(type_zh=ftype.name_zh, type_en=ftype.name_en)
    return {key: entry[key].format(**values) for key in ("zh", "en", "about_zh", "about_en")}


def field_aliases(layers: Mapping[str, pd.DataFrame], types: Iterable[FacilityType]) -> pd.DataFrame:
    """One row per column of every layer (geometry excepted); undocumented columns keep their name."""
    types = list(types)
    rows = []
    for layer, frame in layers.items():
        seen: set[str] = set()
        for column in frame.columns:
            if column == getattr(frame, "_geometry_column_name", None) or column == "geometry":
                continue
            found = describe(str(column), types) or {"zh": column, "en": column, "about_zh": "", "about_en": ""}
            alias = found["zh"] if found["zh"] not in seen else f"{found['zh']}（{column}）"
            seen.add(alias)
            rows.append([layer, column, alias, found["en"], found["about_zh"], found["about_en"]])
    return pd.DataFrame(rows, columns=ALIAS_COLUMNS)


def write_field_aliases(path: str | Path, aliases: pd.DataFrame) -> None:
    """Add the ``field_aliases`` table and the schema extension's aliases to a GeoPackage."""
    import pyogrio

    pyogrio.write_dataframe(aliases, str(path), layer=ALIAS_TABLE, driver="GPKG")
    with sqlite3.connect(path) as db:
        db.execute("""CREATE TABLE IF NOT EXISTS gpkg_data_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,
            mime_type TEXT, constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name))""")
        db.execute("""INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope)
            VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema',
            'read-write')""")
        db.executemany("INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description)"
                       " VALUES (?, ?, ?, ?, ?)",
                       [(r.layer, r.field, r.alias_zh, r.alias_en, f"{r.about_zh} / {r.about_en}".strip(" /"))
                        for r in aliases.itertuples() if r.layer != ALIAS_TABLE])
