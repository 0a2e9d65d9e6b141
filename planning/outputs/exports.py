"""Write coverage results as standard files (GeoPackage layers QGIS opens directly)."""
from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from planning.base.catalogue import FacilityType
from planning.base.formatting import export_numbers
from planning.coverage.residents import Coverage


def community_wide(result: Coverage, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Community polygons with one column per type and tier (``<type>_covered_<t>min``)."""
    table = result.by_community
    value_cols = [c for c in table.columns if c.startswith("covered_") or c.endswith("_minutes")]
    wide = table.pivot(index="community", columns="type", values=value_cols)
    wide.columns = [f"{ftype}_{col}" for col, ftype in wide.columns]
    people = table.groupby("community")[["population", "pop_60plus"]].first()
    out = communities.merge(people.join(wide), left_on="code", right_index=True, how="left")
    return out


def write_coverage_gpkg(path: Path, result: Coverage, communities: gpd.GeoDataFrame,
                        types: list[FacilityType]) -> None:
    """Layers ``demand`` (minutes_to_<type>) and ``communities`` (coverage per type and tier).

    Unreachable demand (no facility within the reporting limit) is written as NULL minutes, and
    so are the median and 90th-percentile minutes of a community whose residents mostly cannot
    reach one; numeric columns never hold ``inf``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    demand = export_numbers(result.demand)
    demand.to_file(path, layer="demand", driver="GPKG", engine="pyogrio")
    wide = export_numbers(community_wide(result, communities.to_crs(result.demand.crs)))
    wide.to_file(path, layer="communities", driver="GPKG", engine="pyogrio")
    export_numbers(pd.DataFrame(result.overall)).pipe(
        lambda t: gpd.GeoDataFrame(t, geometry=[None] * len(t), crs=result.demand.crs)
    ).to_file(path, layer="summary", driver="GPKG", engine="pyogrio")
