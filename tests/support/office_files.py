"""A street office's own files for the Beijing 海淀 test extract, written the way offices give them.

- ``社区边界.geojson``: four 社区 polygons (name and code) over the extract's core;
- ``社区人口.xlsx``: residents and 60+ per 社区 from a 七普-style table, with a title row above
  the header, names written as offices write them (居民委员会 suffix, no suffix, a space, a
  full-width digit), a row for a 社区 that is not in the boundaries and a 合计 row;
- ``设施清单.csv``: the office's own facilities in GCJ-02 (高德) coordinates with 高德-style
  column names (``gcj02_lng``/``gcj02_lat``) and the type names offices use (助餐点, 停车场 …).

The expected figures are kept beside the files, so tests compare against what was written, not
against what the program read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planning.io.coords import wgs84_to_gcj02

CORE_BBOX = (116.34403, 39.99767, 116.35974, 40.00888)  # tests/data/README.md
COMMUNITIES = {  # boundary name → (code, name as the table writes it, residents, aged 60+)
    "农大东区社区": ("110108001", "农大东区社区居民委员会", 3210, 610),
    "学清苑社区": ("110108002", "学清苑", 4550, 900),
    "清华东路社区": ("110108003", "清华东路 社区", 2800, 450),
    "双清路1号院社区": ("110108004", "双清路１号院社区", 1990, 300),
}
UNMATCHED_ROW = ("不存在社区", 500, 100)
FACILITIES = [  # name, type as the office writes it, catalogue key, WGS84 lon, lat
    ("农大社区卫生服务站", "社区卫生服务站", "clinic", 116.3480, 40.0050),
    ("双清路卫生服务站", "卫生服务站", "clinic", 116.3560, 39.9990),
    ("学清苑老年助餐点", "助餐点", "meal_hall", 116.3500, 40.0010),
    ("清华东路助餐点", "老年助餐点", "meal_hall", 116.3570, 40.0070),
    ("东区日间照料中心", "日间照料中心", "day_care", 116.3460, 39.9985),
    ("学清苑停车场", "停车场", "parking", 116.3530, 40.0080),
]


@dataclass
class OfficeFiles:
    folder: Path
    boundaries: Path
    population: Path
    facilities: Path
    residents: dict[str, float] = field(default_factory=dict)  # boundary name → residents in the table
    elderly: dict[str, float] = field(default_factory=dict)
    facility_lonlat: np.ndarray | None = None  # WGS84, in FACILITIES order


def quadrants(bbox=CORE_BBOX) -> list[shapely.Polygon]:
    west, south, east, north = bbox
    mx, my = (west + east) / 2, (south + north) / 2
    return [shapely.box(west, my, mx, north), shapely.box(mx, my, east, north),
            shapely.box(west, south, mx, my), shapely.box(mx, south, east, my)]


def write_office_files(folder: Path) -> OfficeFiles:
    """Write the three files into ``folder``; return their paths and the figures they hold."""
    folder.mkdir(parents=True, exist_ok=True)
    names = list(COMMUNITIES)
    boundaries = folder / "社区边界.geojson"
    gpd.GeoDataFrame({"社区名称": names, "社区代码": [COMMUNITIES[n][0] for n in names]},
                     geometry=quadrants(), crs=4326).to_file(boundaries, driver="GeoJSON")
    table = pd.DataFrame({
        "社区": [COMMUNITIES[n][1] for n in names] + [UNMATCHED_ROW[0], "合计"],
        "常住人口": [COMMUNITIES[n][2] for n in names] + [UNMATCHED_ROW[1], 0],
        "60岁以上人口": [COMMUNITIES[n][3] for n in names] + [UNMATCHED_ROW[2], 0],
    })
    table.iloc[-1, 1:] = table.iloc[:-1, 1:].sum()
    population = folder / "社区人口.xlsx"
    with pd.ExcelWriter(population) as sheet:
        pd.DataFrame([["海淀区燕园街道各社区人口（第七次全国人口普查）"]]).to_excel(sheet, index=False, header=False)
        table.to_excel(sheet, index=False, startrow=2)
    lonlat = np.array([(lon, lat) for *_, lon, lat in FACILITIES])
    gcj_lon, gcj_lat = wgs84_to_gcj02(lonlat[:, 0], lonlat[:, 1])
    facilities = folder / "设施清单.csv"
    pd.DataFrame({"名称": [f[0] for f in FACILITIES], "类型": [f[1] for f in FACILITIES],
                  "gcj02_lng": gcj_lon, "gcj02_lat": gcj_lat}).to_csv(facilities, index=False, encoding="utf-8-sig")
    return OfficeFiles(folder, boundaries, population, facilities,
                       residents={n: float(COMMUNITIES[n][2]) for n in names},
                       elderly={n: float(COMMUNITIES[n][3]) for n in names}, facility_lonlat=lonlat)
