"""Things derived from a network once and kept while it lives (indexes, snapped layers).

Kept beside the network rather than on it, so that pickling a network (the demo cache, the
batch's workers) never carries them along, and keyed by the network object's identity: a
network is immutable, so what was derived from it cannot go stale.
"""
from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

_KEPT: dict[int, dict[str, Any]] = {}
_LOCK = threading.Lock()


def per_network(network: object, name: str, build: Callable[[], Any]) -> Any:
    """``build()`` on the first call for ``network`` and ``name``, the same object afterwards."""
    key = id(network)
    with _LOCK:
        found = _KEPT.get(key, {}).get(name)
    if found is not None:
        return found
    value = build()
    with _LOCK:
        if key not in _KEPT:
            _KEPT[key] = {}
            weakref.finalize(network, _KEPT.pop, key, None)
        return _KEPT[key].setdefault(name, value)
