"""Small inputs made by code, as a clerk's office would send them, and checks for what a refusal must look like.

:class:`Kit` writes a tiny walking network (a 6 × 6 street grid at 新街口, 100 m blocks, with
residents on its edges), clinics, residents and two community polygons into a folder; each
hostile case starts from these and spoils one thing. :func:`run_cli` runs ``planning`` in
process (fast); :func:`folder_state` fingerprints a folder so a test can show that a refused
command changed nothing — inputs unchanged (checksums), no output, no leftover work files.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from planning.base.errors import _catalogue

LON0, LAT0 = 118.770, 32.040
STEP_M = 100.0
N = 6
DLON = STEP_M / (111_320 * np.cos(np.radians(LAT0)))
DLAT = STEP_M / 110_574


def grid_graph(n: int = N, **edge_attrs) -> nx.MultiDiGraph:
    """An osmnx-style grid graph in WGS84: nodes 0…n²-1 with x/y, both directions of each street."""
    graph = nx.MultiDiGraph(crs="epsg:4326")
    for i in range(n):
        for j in range(n):
            graph.add_node(i * n + j, x=LON0 + j * DLON, y=LAT0 + i * DLAT, osmid=i * n + j)
    for i in range(n):
        for j in range(n):
            for di, dj in ((0, 1), (1, 0)):
                if i + di < n and j + dj < n:
                    a, b = i * n + j, (i + di) * n + j + dj
                    for u, v in ((a, b), (b, a)):
                        graph.add_edge(u, v, length=STEP_M, population=50.0, highway="residential", **edge_attrs)
    return graph


def save_graph(graph: nx.MultiDiGraph, path: Path) -> Path:
    import osmnx as ox

    ox.save_graphml(graph, path)
    return path


def node_lonlat(node: int, n: int = N) -> tuple[float, float]:
    i, j = divmod(node, n)
    return LON0 + j * DLON, LAT0 + i * DLAT


class Kit:
    """The good inputs of one test, written on demand into ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / name

    @property
    def network(self) -> Path:
        path = self.path("net.graphml")
        return path if path.exists() else save_graph(grid_graph(), path)

    def facility_frame(self) -> pd.DataFrame:
        nodes = [7, 21, 28]
        lonlat = np.array([node_lonlat(n) for n in nodes])
        return pd.DataFrame({"id": [1, 2, 3], "名称": ["东区卫生服务站", "西区卫生服务站", "社区食堂"],
                             "type": ["clinic", "clinic", "meal_hall"], "lon": lonlat[:, 0], "lat": lonlat[:, 1]})

    @property
    def facilities(self) -> Path:
        path = self.path("facilities.csv")
        if not path.exists():
            self.facility_frame().to_csv(path, index=False, encoding="utf-8")
        return path

    def demand_frame(self, n: int = 30) -> pd.DataFrame:
        rng = np.random.default_rng(5)
        lon = LON0 + rng.uniform(0.2, N - 1.2, n) * DLON
        lat = LAT0 + rng.uniform(0.2, N - 1.2, n) * DLAT
        return pd.DataFrame({"id": np.arange(1, n + 1), "lon": lon.round(7), "lat": lat.round(7),
                             "population": rng.integers(20, 200, n)})

    @property
    def demand(self) -> Path:
        path = self.path("demand.csv")
        if not path.exists():
            self.demand_frame().to_csv(path, index=False)
        return path

    def boundary_frame(self) -> gpd.GeoDataFrame:
        mid = LON0 + (N - 1) / 2 * DLON
        west = shapely.box(LON0 - DLON, LAT0 - DLAT, mid, LAT0 + N * DLAT)
        east = shapely.box(mid, LAT0 - DLAT, LON0 + N * DLON, LAT0 + N * DLAT)
        return gpd.GeoDataFrame({"code": ["320102001", "320102002"], "name": ["西区社区", "东区社区"]},
                                geometry=[west, east], crs=4326)

    @property
    def boundaries(self) -> Path:
        path = self.path("communities.geojson")
        if not path.exists():
            self.boundary_frame().to_file(path, driver="GeoJSON")
        return path

    def coverage(self, *extra: str, out: str = "out/coverage.gpkg", **layers: Path | str) -> list[str]:
        """``planning coverage`` arguments on the kit's files, with ``layers`` replacing some."""
        files = {"network": self.network, "facilities": self.facilities, **layers}
        argv = ["coverage"]
        for key, value in files.items():
            argv += [f"--{key.replace('_', '-')}", str(value)]
        return [*argv, "--types", "clinic,meal_hall", "--out", str(self.path(out)), *extra]

    def optimize(self, *extra: str, out: str = "out/plan.gpkg", **layers: Path | str) -> list[str]:
        files = {"network": self.network, "candidates": self.facilities, "demand": self.demand, **layers}
        argv = ["optimize"]
        for key, value in files.items():
            argv += [f"--{key}", str(value)]
        return [*argv, "--type", "clinic", "--p", "1", "--out", str(self.path(out)), *extra]


def geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def feature(geometry: dict | None, **properties) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def folder_state(folder: Path) -> dict[str, str]:
    """Every file (hidden ones too) under ``folder`` → its SHA-256; folders → ``"dir"``."""
    state = {}
    for item in sorted(folder.rglob("*")):
        key = str(item.relative_to(folder))
        state[key] = "dir" if item.is_dir() else hashlib.sha256(item.read_bytes()).hexdigest()
    return state


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """``planning <argv>`` in this process: (exit code, stdout, stderr)."""
    from planning.cli.main import main

    try:
        code = main(argv)
    except SystemExit as done:  # argparse: --help, bad arguments
        code = done.code if isinstance(done.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def message_fragments(code: str) -> tuple[str, str]:
    """The longest fixed pieces of the zh and en texts of a message code (placeholders vary)."""
    entry = _catalogue()[code]
    pieces = [max(re.split(r"\{[^}]*\}", entry[lang]), key=len).strip() for lang in ("zh", "en")]
    return pieces[0], pieces[1]


def assert_says(text: str, *codes: str) -> None:
    """``text`` holds the Chinese and the English of every message ``code``."""
    for code in codes:
        zh, en = message_fragments(code)
        assert zh in text, f"{code}: Chinese text {zh!r} missing from:\n{text}"
        assert en in text, f"{code}: English text {en!r} missing from:\n{text}"
