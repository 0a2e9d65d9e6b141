"""Once the first page is drawn: load the street search's kernels, print the organiser setup token and
import what the other pages import, in a background thread, so that opening another page does not wait
for numba, the optimiser's, the voting database's or the scenario files' imports.

The modules are read from the pages' own ``import`` lines (and those of the widget modules they use),
so the list follows the pages. Nothing here changes what a page shows: a page imports the same modules
itself; when one is already imported, that costs nothing.
"""
from __future__ import annotations

import ast
import importlib
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

# modules the pages import through planning.app.common's functions (maps) or their widget modules
EXTRA_MODULES = ("planning.app.map_widgets", "planning.app.needs_widgets", "planning.outputs.maps.webmap")


_RUNNING = [0]  # page runs under way in this server (any session)
_RUNNING_LOCK = threading.Lock()
IDLE_POLL_S = 0.05


@contextmanager
def page_run():
    """Around a page's run: the warm-up waits while any page runs (the machine may have two cores for both)."""
    with _RUNNING_LOCK:
        _RUNNING[0] += 1
    try:
        yield
    finally:
        with _RUNNING_LOCK:
            _RUNNING[0] -= 1


def _when_idle() -> None:
    while _RUNNING[0]:
        time.sleep(IDLE_POLL_S)


def page_imports(pages: list[Path] | None = None) -> list[str]:
    """The modules the ``pages`` (default: the app's, in the navigation's order) import at their top, each once."""
    if pages is None:
        from planning.app.main import HIDDEN_PAGES, PAGES, PAGES_DIR

        pages = [PAGES_DIR / name for name, *_ in (*PAGES, *HIDDEN_PAGES)]
    names: dict[str, None] = {}
    for path in pages:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
                names[node.module] = None
    return list(names)


def _warm_up() -> None:
    """First what the next page (coverage) waits for longest, then the pages' imports in the navigation's order;
    each step when no page is running."""
    from planning.app.common import announce_setup_token

    for step, work in (("street search", load_kernels), ("organiser setup token", announce_setup_token)):
        _when_idle()
        try:
            work()
        except Exception as err:  # noqa: BLE001 (a background thread: said on the console; the pages say it again)
            print(f"warming up, {step}: {err}", file=sys.stderr, flush=True)
    for name in [*page_imports(), *EXTRA_MODULES]:
        _when_idle()  # one module at a time, between page runs: a page opened meanwhile is not slowed down
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 (the page that imports it shows the error)
            print(f"warming up, {name}: {err}", file=sys.stderr, flush=True)


def load_kernels() -> None:
    """Snap a point and draw walking areas on two streets: numba loads the machine code of the snapping and
    search kernels on their first call (half a second or more), which the coverage page would otherwise wait for."""
    import geopandas as gpd
    import shapely

    from planning.coverage.isochrones import isochrones
    from planning.network.graph import street_pair
    from planning.network.snapping import snap_points

    network = street_pair()
    point = gpd.GeoSeries([shapely.Point(50.0, 5.0)], crs=network.crs)
    isochrones(network, snap_points(network, point), (5.0,), 1.0)


@st.cache_resource(show_spinner=False)
def start() -> threading.Thread:
    """Start the warm-up once per server process: the kernels, the setup token, then the imports."""
    thread = threading.Thread(target=_warm_up, name="planning-warm-up", daemon=True)
    thread.start()
    return thread
