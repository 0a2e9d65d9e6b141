"""Where the project's data, caches and scenarios live (overridable by environment)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PLANNING_DATA_DIR", ROOT / "data"))
CACHE_DIR = Path(os.environ.get("PLANNING_CACHE_DIR", DATA_DIR / "cache"))
SCENARIO_DIR = Path(os.environ.get("PLANNING_SCENARIO_DIR", ROOT / "scenarios"))
