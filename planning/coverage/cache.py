"""Coverage kept on disk for an area (a built-in demo or a saved area), so that the app's cold start reads
it (tens of milliseconds) instead of snapping and searching again (a second or more).

The file's name is a digest of everything the result depends on: the area's content digest (see
:func:`planning.areas.build.demo_area_digest` and :func:`planning.areas.store.saved_area_digest`), the
facility types as given, the tiers and the walking
speed, and the source of the code that computes it (``planning/coverage``, ``planning/network``,
``planning/base/walking.py``). A change to any of them names another file: an old result is never read.
"""
from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path

from planning.base.catalogue import FacilityType
from planning.base.paths import cache_dir
from planning.coverage.residents import Coverage
from planning.io.write import write_bytes

_PACKAGE = Path(__file__).resolve().parents[1]
_CODE = (_PACKAGE / "coverage", _PACKAGE / "network", _PACKAGE / "base" / "walking.py")


def _code_digest() -> bytes:
    digest = hashlib.sha256()
    for root in _CODE:
        for path in sorted([root] if root.is_file() else root.rglob("*.py")):
            digest.update(path.relative_to(root.parent).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.digest()


def coverage_key(area_digest: str, types: Sequence[FacilityType], tiers: Sequence[float], speed_kmh: float) -> str:
    """The name of the kept result: changes whenever the area, the types, tiers, speed or the code change."""
    digest = hashlib.sha256(_code_digest())
    digest.update(repr((area_digest, list(types), tuple(float(t) for t in tiers), float(speed_kmh))).encode())
    return digest.hexdigest()[:24]


def kept_coverage(area_digest: str, types: Sequence[FacilityType], tiers: Sequence[float], speed_kmh: float,
                  compute: Callable[[], Coverage], folder: Path | None = None) -> Coverage:
    """``compute()`` once per key; afterwards the result read back from the cache folder."""
    path = Path(folder or cache_dir()) / f"coverage-{coverage_key(area_digest, types, tiers, speed_kmh)}.pickle"
    if path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    result = compute()
    write_bytes(path, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))  # whole or not at all
    return result
