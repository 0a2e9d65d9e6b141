"""Merging area outcomes into city tables and one GeoPackage.

Summaries are computed once, here, from the merged residents (in their original order), so a
community that straddles two areas is summarised whole and the numbers equal a single run.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from planning.base.catalogue import FacilityType
from planning.coverage.residents import Coverage, community_table
from planning.io.write import atomic_output
from planning.outputs.batch.jobs import RESIDENT_ROW
from planning.outputs.batch.runner import BatchRun
from planning.outputs.exports import community_wide, log_table


@dataclass
class BatchResult:
    """The city's coverage, merged from its areas (layers in the network CRS).

    Attributes
    ----------
    coverage
        ``demand`` (every resident of a finished area, ``area`` column, minutes ``inf`` beyond
        the horizon), ``by_community`` (per community, or per area without communities) and
        ``overall``.
    by_area
        One row per area × type, like ``coverage.by_community``, plus MCLP columns when run.
    runs
        One row per area: ``status`` (``ok``/``failed``), residents, network nodes, seconds,
        worker, and the zh/en error of a failed area.
    sites
        New sites chosen by MCLP (``area``, ``type``), or ``None``.
    """

    coverage: Coverage
    by_area: pd.DataFrame
    runs: pd.DataFrame
    sites: gpd.GeoDataFrame | None
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "failed"]


def _runs_table(run: BatchRun, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    done = pd.DataFrame([{"area": o.code, "status": "ok", "residents": len(o.demand), "network_nodes": o.n_nodes,
                          "seconds": o.seconds, "worker_pid": o.worker_pid} for o in run.outcomes],
                        columns=["area", "status", "residents", "network_nodes", "seconds", "worker_pid"])
    failed = run.failures.drop(columns=["name"]).assign(status="failed")
    table = areas[["code", "name"]].rename(columns={"code": "area"}).merge(
        pd.concat([done, failed], ignore_index=True), on="area", how="left")
    return table


def merge_run(run: BatchRun, areas: gpd.GeoDataFrame, communities: gpd.GeoDataFrame | None,
              types: list[FacilityType], tiers: tuple[float, ...], residents: gpd.GeoSeries) -> BatchResult:
    """City tables from the areas that finished; failed areas appear only in ``runs``.

    ``residents`` are the points of the residents sent out, in the order they were sent
    (:func:`planning.outputs.batch.jobs.city_areas`), in the network CRS.
    """
    parts = [o.demand for o in run.outcomes]
    crs = residents.crs
    if parts:
        minutes = pd.concat(parts).sort_values(RESIDENT_ROW)
        demand = gpd.GeoDataFrame(minutes.drop(columns=RESIDENT_ROW),
                                  geometry=residents.iloc[minutes[RESIDENT_ROW]].to_numpy(), crs=crs)
    else:
        demand = gpd.GeoDataFrame(columns=["area", "community", "population", "geometry"], geometry="geometry", crs=crs)
    by_community = community_table(demand, types, tiers, communities if communities is not None else areas)
    by_area = community_table(demand.assign(community=demand["area"]), types, tiers, areas)
    by_area = by_area.rename(columns={"community": "area"})
    plans = [o.plans for o in run.outcomes if o.plans is not None]
    if plans:
        by_area = by_area.merge(pd.concat(plans, ignore_index=True), on=["area", "type"], how="left")
    overall = community_table(demand.assign(community="__all__"), types, tiers, None).drop(columns=["community"])
    sites = [o.sites for o in run.outcomes if o.sites is not None]
    notes = [note for o in run.outcomes for note in o.notes]
    return BatchResult(Coverage(demand, by_community, overall, tuple(tiers), notes), by_area, _runs_table(run, areas),
                       gpd.GeoDataFrame(pd.concat(sites, ignore_index=True), crs=crs) if sites else None, notes)


def _table_layer(table: pd.DataFrame, crs) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(table.replace([np.inf], np.nan), geometry=[None] * len(table), crs=crs)


def write_batch_gpkg(path: Path, result: BatchResult, areas: gpd.GeoDataFrame,
                     communities: gpd.GeoDataFrame | None, inputs=(), notes: list[tuple[str, str]] = ()) -> None:
    """Layers ``demand``, ``areas`` (coverage per type and tier, with run status), ``communities``
    (when given), ``sites`` (MCLP), and tables ``area_summary``, ``area_runs``, ``summary`` and
    ``log`` (every notice); written completely or not at all, replacing an earlier file.

    Unreachable demand (no facility within the horizon) is written as NULL minutes.
    """
    crs = result.coverage.demand.crs
    by_area = Coverage(result.coverage.demand, result.by_area.rename(columns={"area": "community"}),
                       result.coverage.overall, result.coverage.tiers, [])
    wide = community_wide(by_area, areas).merge(result.runs.drop(columns=["name"]), left_on="code",
                                                right_on="area", how="left").drop(columns=["area"])
    layers = {"demand": result.coverage.demand.replace([np.inf], np.nan), "areas": wide.replace([np.inf], np.nan)}
    if communities is not None:
        layers["communities"] = community_wide(result.coverage, communities).replace([np.inf], np.nan)
    if result.sites is not None and len(result.sites):
        layers["sites"] = result.sites
    layers.update(area_summary=_table_layer(result.by_area, crs), area_runs=_table_layer(result.runs, crs),
                  summary=_table_layer(result.coverage.overall, crs),
                  log=log_table(list(notes) + list(result.notes), crs))
    with atomic_output(path, inputs) as tmp:
        for name, layer in layers.items():
            layer.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
