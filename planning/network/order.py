"""Node numbering for memory locality: nodes near each other on the map get nearby numbers.

A bounded search touches the nodes of one neighbourhood; when their numbers are close, their
distances, adjacency lists and coordinates share cache lines and pages. OSM ids carry no such
order (they follow the mapping history), nor does a grid's row order beyond one row. The
network is numbered along a Hilbert curve over the node coordinates when it loads
(:meth:`planning.network.graph.WalkNetwork.from_graph`); ``node_ids`` maps every position back
to its graph id, so outputs name the same nodes as before.
"""
from __future__ import annotations

import numpy as np

HILBERT_BITS = 16  # 65,536 cells a side: below 1 m on a 50 km city


def hilbert_keys(x: np.ndarray, y: np.ndarray, bits: int = HILBERT_BITS) -> np.ndarray:
    """Position of every point along a Hilbert curve over the bounding square of the points."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    side = 1 << bits
    if len(x) == 0:
        return np.zeros(0, np.int64)
    x0, y0 = x.min(), y.min()
    span = max(float(x.max() - x0), float(y.max() - y0), 1e-9)
    xi = np.minimum((x - x0) / span * side, side - 1).astype(np.int64)
    yi = np.minimum((y - y0) / span * side, side - 1).astype(np.int64)
    key = np.zeros(len(x), np.int64)
    s = side >> 1
    while s > 0:
        rx = (xi & s) > 0
        ry = (yi & s) > 0
        key += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = rx & ~ry
        xi = np.where(flip, side - 1 - xi, xi)
        yi = np.where(flip, side - 1 - yi, yi)
        xi, yi = np.where(ry, xi, yi), np.where(ry, yi, xi)  # the quadrant's rotation
        s >>= 1
    return key


def locality_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Positions that put the points in Hilbert-curve order (stable among equal keys)."""
    return np.argsort(hilbert_keys(x, y), kind="stable")
