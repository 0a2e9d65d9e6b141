"""The user's remembered choices, kept in their own config folder (never in the repository).

The file is ``settings.json`` in :func:`planning.base.paths.config_dir` (for example
``~/.config/shenghuoquan`` on Linux, ``%LOCALAPPDATA%\\shenghuoquan`` on Windows, or the folder
named by ``PLANNING_HOME``). Each part of the product owns one section; saving one section
keeps the others.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from planning.base import paths
from planning.base.errors import PlanningError, error_reason


@dataclass(frozen=True)
class MapSettings:
    """Base-map choice and the user's Tianditu key (``tk``)."""

    basemap: str = "none"
    tianditu_key: str = ""


def settings_path() -> Path:
    """Where the settings file lives for this user."""
    return paths.config_dir() / "settings.json"


def _read_all(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:  # edited by hand, e.g. saved as GBK
        raise PlanningError("settings_unreadable", path=path, detail=error_reason(exc)) from exc
    if not isinstance(stored, dict):
        raise PlanningError("settings_unreadable", path=path, detail=f"not an object: {type(stored).__name__}")
    return stored


def load_map_settings() -> MapSettings:
    """The stored map settings, or the defaults (no base map) when none are stored."""
    section = _read_all(settings_path()).get("map", {})
    known = {f.name for f in fields(MapSettings)}
    return MapSettings(**{k: v for k, v in section.items() if k in known})


def save_map_settings(settings: MapSettings) -> Path:
    """Store the map settings (readable by this user only, as it holds a key); returns the file."""
    path = settings_path()
    everything = _read_all(path)
    everything["map"] = asdict(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    # written beside and moved into place (planning.io.write sits above this layer): a crash keeps the old file
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(json.dumps(everything, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.chmod(0o600)  # it holds the Tianditu key
    os.replace(tmp, path)
    return path
