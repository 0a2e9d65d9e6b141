"""Saved areas: named, kept in the user folder, complete or not at all.

``planning area add NAME …`` and the app's 区域与数据 page save an area here; every command
and page then finds it by name (``--area NAME``, ``?area=NAME``). Each area is one folder of
:func:`planning.base.paths.areas_dir`::

    <name>/area.yaml      what it is: the files given, the settings, where each layer came from
    <name>/inputs/<role>/  copies of the office's files (the area survives the originals moving)
    <name>/area.pickle    the built layers (a cache: rebuilt from inputs/ when the program's
                          derivation or the facility catalogue changes)

An area is built in a hidden folder beside the others and renamed into place only when it is
complete, so a crash, a full disk or a bad file leaves no half-saved area (and, with
``replace``, the earlier area as it was).
"""
from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import unicodedata
import uuid
from dataclasses import asdict, fields, replace
from datetime import datetime, timezone
from pathlib import Path

import yaml

from planning.areas.build import (
    CACHE_VERSION,
    LAYERS,
    Area,
    AreaInputs,
    LayerOrigin,
    build_area,
    demo_areas,
    load_demo_area,
    own_area_settings,
    settings_digest,
)
from planning.base import paths
from planning.base.errors import PlanningError, error_reason

MANIFEST = "area.yaml"
BUILT = "area.pickle"
INPUTS = "inputs"
MAX_NAME = 60
FORBIDDEN = set('/\\:*?"<>|')
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj", ".sbn", ".sbx")


def check_name(name: str) -> str:
    """The area's name as stored (NFC, trimmed); refused when it cannot be a folder or is a demo's key."""
    clean = unicodedata.normalize("NFC", str(name)).strip()
    if (not clean or len(clean) > MAX_NAME or clean.startswith(".")
            or any(c in FORBIDDEN or ord(c) < 32 for c in clean)):
        raise PlanningError("area_name_invalid", name=name)
    if clean in demo_areas():
        raise PlanningError("area_name_is_demo", name=clean)
    return clean


def is_saved(name: str) -> bool:
    """Whether ``name`` is a saved area (a name that could step outside the areas folder never is)."""
    name = unicodedata.normalize("NFC", str(name)).strip()
    safe = bool(name) and not name.startswith(".") and not any(c in FORBIDDEN or ord(c) < 32 for c in name)
    return safe and (paths.areas_dir() / name / MANIFEST).is_file()


def saved_names() -> list[str]:
    """Names of the saved areas, sorted."""
    root = paths.areas_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file())


def area_names() -> list[str]:
    """Every name ``--area`` accepts: the built-in demos, then the saved areas."""
    return [*demo_areas(), *saved_names()]


def manifest(name: str) -> dict:
    """What a saved area is (``area.yaml``): files, settings, origins, notes, a summary."""
    if not is_saved(name):
        raise _not_found(name)
    path = paths.areas_dir() / unicodedata.normalize("NFC", str(name)).strip() / MANIFEST
    try:
        with open(path, encoding="utf-8") as fh:
            record = yaml.safe_load(fh)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:  # edited by hand, or a damaged disk
        raise PlanningError("area_damaged", name=name, reason=f"{MANIFEST}: {error_reason(exc)}") from exc
    missing = [key for key in ("settings", "inputs") if not isinstance(record, dict) or key not in record]
    if missing:
        raise PlanningError("area_damaged", name=name, reason=f"{MANIFEST}: {', '.join(missing)} missing")
    return record


def _not_found(name: str) -> PlanningError:
    return PlanningError("area_not_found", name=name, saved="、".join(saved_names()) or "—",
                         demos="、".join(demo_areas()))


def save_area(name: str, inputs: AreaInputs, settings: dict | None = None, replace_existing: bool = False,
              place: str | None = None) -> Area:
    """Build an area from the office's files and save it under ``name``, complete or not at all.

    Parameters
    ----------
    inputs
        The files (copied into the area's folder first; the area is built from the copies).
    settings
        Overrides of ``data/area_defaults.yaml`` (``default_levels``, ``elderly_share`` …).
    replace_existing
        Replace an area of the same name (else refused).
    place
        The place name the OSM data was downloaded for, recorded.

    Raises
    ------
    PlanningError
        A bad name, an existing area, or any problem of the files (nothing is saved then).
    """
    name = check_name(name)
    root = paths.areas_dir()
    root.mkdir(parents=True, exist_ok=True)
    final = root / name
    if final.exists() and not replace_existing:
        raise PlanningError("area_exists", name=name)
    work = Path(tempfile.mkdtemp(prefix=f".{name}.new-", dir=root))
    try:
        copied, originals = _copy_inputs(inputs, work / INPUTS)
        spec = own_area_settings(**(settings or {}), name_zh=name, name_en=name)
        area = build_area(name, spec, copied, kind="saved")
        record = {
            "name": name, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "place": place, "settings": spec, "inputs": _relative(copied, work), "originals": originals,
        }
        _write_built(work, area, record)
        _move_into_place(work, final)
    except PlanningError as err:
        shutil.rmtree(work, ignore_errors=True)
        raise _naming_the_given_files(err, inputs, work / INPUTS) from err
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return area


def _naming_the_given_files(err: PlanningError, inputs: AreaInputs, copies: Path) -> PlanningError:
    """``err`` with the office's files named as given, not as their copies in the hidden work folder
    (``…/areas/.燕园街道.new-x1y2/inputs/source/燕园.osm.pbf``), which is gone once the build failed."""
    given = inputs.files()
    return err.with_paths_as({**{str(copies / role / path.name): str(path) for role, path in given.items()},
                              **{str(copies / role): str(path.parent) for role, path in given.items()}})  # side files


def _copy_inputs(inputs: AreaInputs, folder: Path) -> tuple[AreaInputs, dict[str, str]]:
    """``inputs`` copied into ``folder/<role>/`` (a Shapefile with its side files); the copies and the originals."""
    copies: dict[str, Path] = {}
    originals: dict[str, str] = {}
    for role, path in inputs.files().items():
        if not path.is_file():
            raise PlanningError("file_not_found", path=path)
        target = folder / role
        target.mkdir(parents=True, exist_ok=True)
        parts = [path]
        if path.suffix.lower() == ".shp":
            parts = [p for p in path.parent.glob(f"{path.stem}.*") if p.suffix.lower() in SHAPEFILE_PARTS]
        for part in parts:
            shutil.copy2(part, target / part.name)
        copies[role] = target / path.name
        originals[role] = str(path.resolve())
    return replace(inputs, **copies), originals


def _relative(inputs: AreaInputs, folder: Path) -> dict:
    """The inputs as stored in ``area.yaml``: paths relative to the area's folder."""
    record = {}
    for item in fields(inputs):
        value = getattr(inputs, item.name)
        record[item.name] = Path(value).relative_to(folder).as_posix() if isinstance(value, Path) else value
    return record


def _inputs_of(record: dict, folder: Path) -> AreaInputs:
    files = {"source", "boundaries", "population", "demand", "facilities", "candidates"}
    return AreaInputs(**{k: (folder / v if k in files and v else v) for k, v in record["inputs"].items()})


def summary(area: Area) -> dict:
    """What ``planning area list/show`` and the app print without loading the layers."""
    return {
        "residents": float(area.demand["population"].sum()),
        "residents_60plus": float(area.demand["pop_60plus"].sum()) if "pop_60plus" in area.demand else None,
        "communities": len(area.communities),
        "facilities": {str(k): int(v) for k, v in area.facilities["type"].value_counts().items()},
        "candidates": len(area.candidates),
    }


def _write_built(folder: Path, area: Area, record: dict) -> None:
    """``area.pickle`` then ``area.yaml`` in ``folder``, each written whole (temporary file, then renamed)."""
    from planning.io.write import write_bytes, write_text

    write_bytes(folder / BUILT, pickle.dumps(area, protocol=pickle.HIGHEST_PROTOCOL))
    record = {**record, "version": CACHE_VERSION, "settings_digest": settings_digest(record["settings"]),
              "summary": summary(area), "notes": [list(n) for n in area.notes],
              "origins": {layer: {**asdict(origin), "rule": list(origin.rule)} for layer, origin in area.origins.items()}}
    write_text(folder / MANIFEST, yaml.safe_dump(record, allow_unicode=True, sort_keys=False))


def _move_into_place(work: Path, final: Path) -> None:
    """Rename the finished folder to ``final``; an earlier area of that name is moved aside first, then deleted."""
    if not final.exists():
        os.replace(work, final)
        return
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(final, old)
    try:
        os.replace(work, final)
    except OSError:
        os.replace(old, final)  # put the earlier area back
        raise
    shutil.rmtree(old, ignore_errors=True)


def load_saved_area(name: str) -> Area:
    """A saved area; rebuilt from its copied files when the program or the catalogue changed since."""
    record = manifest(name)
    folder = paths.areas_dir() / name
    current = (record.get("version") == CACHE_VERSION
               and record.get("settings_digest") == settings_digest(record["settings"]))
    if current and (folder / BUILT).is_file():
        try:
            with open(folder / BUILT, "rb") as fh:
                return pickle.load(fh)
        except Exception:  # an unreadable cache is rebuilt below, never shown as an error
            pass
    try:
        area = build_area(name, record["settings"], _inputs_of(record, folder), kind="saved")
    except PlanningError as err:
        raise PlanningError("area_damaged", name=name, reason=err.message("zh")) from err
    _write_built(folder, area, {k: v for k, v in record.items()
                                if k not in ("version", "settings_digest", "summary", "notes", "origins")})
    return area


def saved_area_digest(name: str) -> str:
    """What a saved area is made of, as a name (as :func:`planning.areas.build.demo_area_digest` for a
    built-in one): its copied input files, how they are read, its settings and the catalogue, and the
    derivation's version. Saved again with other files or settings it names something else, so nothing
    kept on disk under it can go stale."""
    import hashlib

    from planning.network.read import file_digest

    record = manifest(name)
    inputs = paths.areas_dir() / check_name(name) / "inputs"
    digest = hashlib.sha256(repr(sorted(record["inputs"].items())).encode())
    for path in sorted(p for p in inputs.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(inputs).as_posix()}:{file_digest(path)}\n".encode())
    return f"saved-{digest.hexdigest()[:16]}-{settings_digest(record['settings'])}-v{CACHE_VERSION}"


def load_area(name: str) -> Area:
    """The area ``--area NAME`` means: a saved area, else a built-in demo.

    Raises
    ------
    PlanningError
        Neither a saved area nor a demo, listing both.
    """
    name = unicodedata.normalize("NFC", str(name)).strip()
    if is_saved(name):
        return load_saved_area(name)
    if name in demo_areas():
        return load_demo_area(name)
    raise _not_found(name)


def area_title(name: str) -> str:
    """The name a plan of area ``name`` records (its ``name_zh``), read without building the area."""
    name = unicodedata.normalize("NFC", str(name)).strip()
    if is_saved(name):
        return manifest(name)["settings"].get("name_zh", name)
    if name in demo_areas():
        return demo_areas()[name]["name_zh"]
    raise _not_found(name)


def remove_area(name: str) -> Path:
    """Delete a saved area (moved aside first, so it is gone whole or not at all); returns its folder."""
    name = unicodedata.normalize("NFC", str(name)).strip()
    folder = paths.areas_dir() / name
    if not is_saved(name):
        raise PlanningError("area_not_saved", name=name, saved="、".join(saved_names()) or "—")
    gone = folder.with_name(f".{name}.removed-{uuid.uuid4().hex[:8]}")
    os.replace(folder, gone)
    shutil.rmtree(gone, ignore_errors=True)
    return folder


def origins_of(record: dict) -> dict[str, LayerOrigin]:
    """The layers' origins recorded in ``area.yaml``."""
    return {layer: LayerOrigin(o["kind"], o.get("file", ""), tuple(o.get("rule", ("", ""))))
            for layer, o in record.get("origins", {}).items() if layer in LAYERS}
