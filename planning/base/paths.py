"""Where files live: the data shipped with the package, and the user's own folder.

Shipped data (catalogue, column aliases, demo extracts) is the package ``planning.data``
(the repository's top-level ``data/`` folder), so it is found the same way from a checkout
or a wheel. Everything the user makes — saved scenarios, saved areas, the ballot database,
caches of derived layers, settings — lives in one user folder outside the source tree:
``platformdirs.user_data_path("shenghuoquan")`` (``~/.local/share/shenghuoquan`` on Linux,
``%LOCALAPPDATA%\\shenghuoquan`` on Windows), or the folder named by ``PLANNING_HOME``.
Each function reads the environment when called, so a test or a second office can point
``PLANNING_HOME`` elsewhere.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import platformdirs

from planning import data as _shipped

APP_NAME = "shenghuoquan"
HOME_ENV = "PLANNING_HOME"
DATA_DIR = Path(_shipped.__file__).resolve().parent
CHECKOUT_DIR = DATA_DIR.parent  # a source checkout's root (site-packages in a wheel install)


def home() -> Path:
    """The user's folder: ``$PLANNING_HOME`` or the platform's user-data folder."""
    override = os.environ.get(HOME_ENV)
    return Path(override).expanduser() if override else platformdirs.user_data_path(APP_NAME)


def scenario_dir() -> Path:
    """Saved scenarios (``*.yaml``)."""
    return home() / "scenarios"


def areas_dir() -> Path:
    """Saved areas, one folder each."""
    return home() / "areas"


def cache_dir() -> Path:
    """Derived layers that can be rebuilt (deleting the folder is always safe)."""
    return home() / "cache" if os.environ.get(HOME_ENV) else platformdirs.user_cache_path(APP_NAME)


def config_dir() -> Path:
    """Settings (base map, Tianditu key)."""
    return home() if os.environ.get(HOME_ENV) else platformdirs.user_config_path(APP_NAME)


def database_path() -> Path:
    """The SQLite ballot database used when no ``DATABASE_URL`` is given."""
    return home() / "planning.sqlite"


def move_legacy_state(checkout: Path = CHECKOUT_DIR) -> list[tuple[str, Path, Path]]:
    """Move user files that older versions kept inside the source checkout into :func:`home`.

    Older versions saved scenarios in ``scenarios/*.yaml`` and ballots in
    ``data/planning.sqlite`` of the checkout. Each is moved once; a file already present at
    the destination is never overwritten (the old one stays where it is, and is reported as
    ``"kept"``). Returns ``(what, from, to)`` for each file seen: what is ``"moved"`` or ``"kept"``.
    """
    done: list[tuple[str, Path, Path]] = []
    moves = [(p, scenario_dir() / p.name) for p in sorted((checkout / "scenarios").glob("*.yaml"))]
    old_db = checkout / "data" / "planning.sqlite"
    if old_db.is_file():
        moves += [(old_db.with_name(old_db.name + suffix), database_path().with_name(database_path().name + suffix))
                  for suffix in ("", "-wal", "-shm") if old_db.with_name(old_db.name + suffix).is_file()]
    for src, dst in moves:
        if dst.exists():
            done.append(("kept", src, dst))
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(src, dst)
        done.append(("moved", src, dst))
    return done
