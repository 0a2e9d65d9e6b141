"""Which heavy libraries a CLI call loads: run ``planning.cli.main.main(args)`` in a fresh interpreter."""
from __future__ import annotations

import subprocess
import sys

from tests.support.data import ROOT

HEAVY = ("sqlalchemy", "pandas", "pydantic", "reportlab", "cryptography", "numpy", "geopandas", "numba", "shapely")

_SCRIPT = """
import sys
from planning.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("HEAVY", ",".join(heavy))
"""


def heavy_imports(*args: str) -> str:
    """Comma-separated names of the :data:`HEAVY` modules the call imported ("" for none)."""
    done = subprocess.run([sys.executable, "-c", _SCRIPT.format(heavy=HEAVY), *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)
    return done.stdout.rsplit("HEAVY ", 1)[1].strip()
