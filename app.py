"""Streamlit entry in a checkout: ``streamlit run app.py`` (``planning app`` does the same from any install)."""
from pathlib import Path

from planning.app.main import main
from planning.outputs.maps.assets import ensure_app_static

ensure_app_static(Path(__file__).resolve().parent)  # the maps' Leaflet files, served from ./static (offline)
main()
