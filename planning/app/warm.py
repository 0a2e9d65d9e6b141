"""Once the first page is drawn: print the organiser setup token and import what the other pages import,
in a background thread, so that opening another page does not wait for the optimiser's, the voting
database's or the report renderers' imports.

The modules are read from the pages' own ``import`` lines (and those of the widget modules they use),
so the list follows the pages. Nothing here changes what a page shows: a page imports the same modules
itself; when one is already imported, that costs nothing.
"""
from __future__ import annotations

import ast
import importlib
import sys
import threading
from pathlib import Path

import streamlit as st

APP_DIR = Path(__file__).resolve().parent
# modules the pages import through planning.app.common's functions (maps) or their widget modules
EXTRA_MODULES = ("planning.app.map_widgets", "planning.app.needs_widgets", "planning.outputs.maps.webmap")


def page_imports(folder: Path = APP_DIR / "pages") -> list[str]:
    """The modules the pages in ``folder`` import at their top (in file order, each once)."""
    names: dict[str, None] = {}
    for path in sorted(folder.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Import):
                names.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
                names[node.module] = None
    return list(names)


def _warm_up() -> None:
    from planning.app.common import announce_setup_token

    try:
        announce_setup_token()
    except Exception as err:  # noqa: BLE001 (a background thread: say it on the console, the pages say it again)
        print(f"organiser setup token: {err}", file=sys.stderr, flush=True)
    for name in [*page_imports(), *EXTRA_MODULES]:
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 (the page that imports it shows the error)
            print(f"warming {name}: {err}", file=sys.stderr, flush=True)
    try:
        load_kernels()
    except Exception as err:  # noqa: BLE001 (the page that searches shows the error)
        print(f"warming the street search: {err}", file=sys.stderr, flush=True)


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
    """Start the warm-up once per server process: the setup token printed, then the imports."""
    thread = threading.Thread(target=_warm_up, name="planning-warm-up", daemon=True)
    thread.start()
    return thread
