"""Write coverage results as standard files (GeoPackage layers QGIS opens directly)."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from planning.base.catalogue import FacilityType
from planning.base.formatting import export_numbers
from planning.coverage.residents import Coverage
from planning.io.write import atomic_output


def community_wide(result: Coverage, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Community polygons with one column per type and tier (``<type>_covered_<t>min``)."""
    table = result.by_community
    value_cols = [c for c in table.columns if c.startswith("covered_") or c.endswith("_minutes")]
    wide = table.pivot(index="community", columns="type", values=value_cols)
    wide.columns = [f"{ftype}_{col}" for col, ftype in wide.columns]
    people = table.groupby("community")[["population", "pop_60plus"]].first()
    out = communities.merge(people.join(wide), left_on="code", right_index=True, how="left")
    return out


def log_table(notes: list[tuple[str, str]], crs) -> gpd.GeoDataFrame:
    """The ``log`` table of an output: every notice the user was shown (rows dropped and why,
    coordinates converted, lengths recomputed …), one per row, in Chinese and English."""
    return gpd.GeoDataFrame({"message_zh": [zh for zh, _ in notes], "message_en": [en for _, en in notes]},
                            geometry=[None] * len(notes), crs=crs)


def write_coverage_gpkg(path: Path, result: Coverage, communities: gpd.GeoDataFrame,
                        types: list[FacilityType], inputs=(), notes: list[tuple[str, str]] = ()) -> None:
    """Layers ``demand`` (minutes_to_<type>), ``communities`` (coverage per type and tier), the
    table ``summary`` and the table ``log`` (the notices of reading and computing).

    Written completely or not at all (:func:`planning.io.write.atomic_output`); an existing file
    is replaced. Unreachable demand (no facility within the reporting limit) is written as NULL
    minutes, and so are the median and 90th-percentile minutes of a community whose residents
    mostly cannot reach one; numeric columns never hold ``inf``.
    """
    with atomic_output(path, inputs) as tmp:
        write_coverage_layers(tmp, result, communities, notes)


def write_coverage_layers(path: Path, result: Coverage, communities: gpd.GeoDataFrame,
                          notes: list[tuple[str, str]] = ()) -> None:
    """The layers of :func:`write_coverage_gpkg` into a new file ``path`` (not atomic by itself)."""
    write = dict(driver="GPKG", engine="pyogrio")
    demand = export_numbers(result.demand)
    demand.to_file(path, layer="demand", **write)
    wide = export_numbers(community_wide(result, communities.to_crs(result.demand.crs)))
    wide.to_file(path, layer="communities", **write)
    export_numbers(pd.DataFrame(result.overall)).pipe(
        lambda t: gpd.GeoDataFrame(t, geometry=[None] * len(t), crs=result.demand.crs)
    ).to_file(path, layer="summary", **write)
    log_table(list(notes) + list(result.notes), result.demand.crs).to_file(path, layer="log", **write)
