"""Starting plans for the p-median: greedy opening, then swaps (vertex substitution).

The p-median's LP relaxation is weak when p is small (it opens many sites a little), so
branch and bound may stop at its time limit with little more than the start it was given.
A good start is therefore most of the answer there. Greedy opening alone is poor because
its first picks are driven by reaching everyone; Teitz & Bart's vertex substitution then
swaps one open site for a closed one while that lowers people × seconds, evaluating all
swaps at once with Whitaker's (1983) fast-interchange bookkeeping (nearest and second
nearest open site of every point).

Both work on the merged reach: rows are demand points, columns candidates, data seconds.
"""
from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

MAX_SWAPS_PER_SITE = 50
SWAP_SECONDS = 5.0  # the solver still gets its own time limit after this


def greedy_nearest(merged: sp.csr_array, merged_weights: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Open, p times, the site that most lowers people × seconds (unassigned = very far).

    Returns (open mask, seconds to the nearest open site per merged point), or None if some
    demand point is still unassigned after p sites.
    """
    n_merged, n_candidates = merged.shape
    pair_demand = np.repeat(np.arange(n_merged), np.diff(merged.indptr))
    far = _far(merged)
    current = np.full(n_merged, far)
    opened = np.zeros(n_candidates, dtype=bool)
    for _ in range(p):
        gain = np.bincount(merged.indices, merged_weights[pair_demand] * np.clip(current[pair_demand] - merged.data, 0, None),
                           minlength=n_candidates)
        gain[opened] = -1.0
        best = int(np.argmax(gain))
        opened[best] = True
        at_best = merged.indices == best
        np.minimum.at(current, pair_demand[at_best], merged.data[at_best])
    if (current >= far).any():
        return None
    return opened, current


def improve_by_swaps(merged: sp.csr_array, merged_weights: np.ndarray, opened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Swap open for closed sites, best swap first, until no swap lowers people × seconds.

    Every point keeps an open site within reach (swaps that would strand one are not taken).
    On very large reach sets the search stops after ``SWAP_SECONDS`` with the best plan so far.

    Parameters
    ----------
    opened
        Open mask of a plan that reaches every point (e.g. from :func:`greedy_nearest`).

    Returns
    -------
    tuple
        The improved open mask and each point's seconds to its nearest open site.
    """
    opened = opened.copy()
    pair_demand = np.repeat(np.arange(merged.shape[0]), np.diff(merged.indptr))
    stop = time.perf_counter() + SWAP_SECONDS
    for _ in range(MAX_SWAPS_PER_SITE * max(int(opened.sum()), 1)):
        if time.perf_counter() > stop:
            break
        first, site, second = _two_nearest(merged, pair_demand, opened)
        delta = _swap_deltas(merged, pair_demand, merged_weights, opened, first, site, second)
        closed, slot = np.unravel_index(np.argmin(delta), delta.shape)
        objective = float(merged_weights @ first)
        if not delta[closed, slot] < -1e-9 * max(objective, 1.0):
            return opened, first
        opened[np.flatnonzero(opened)[slot]] = False
        opened[closed] = True
    first, _, _ = _two_nearest(merged, pair_demand, opened)
    return opened, first


def _far(merged: sp.csr_array) -> float:
    return 10.0 * (float(merged.data.max(initial=0.0)) + 1.0)


def _two_nearest(merged: sp.csr_array, pair_demand: np.ndarray, opened: np.ndarray):
    """Seconds to the nearest open site, that site, and seconds to the second nearest ("far" if none)."""
    n_merged, far = merged.shape[0], _far(merged)
    live = opened[merged.indices]
    point, site, seconds = pair_demand[live], merged.indices[live], merged.data[live]
    order = np.lexsort((site, seconds, point))
    point, site, seconds = point[order], site[order], seconds[order]
    starts = np.ones(len(point), dtype=bool)
    starts[1:] = point[1:] != point[:-1]
    first, nearest, second = np.full(n_merged, far), np.full(n_merged, -1), np.full(n_merged, far)
    first[point[starts]], nearest[point[starts]] = seconds[starts], site[starts]
    follows = np.flatnonzero(starts) + 1
    follows = follows[(follows < len(point))]
    follows = follows[point[follows] == point[follows - 1]]
    second[point[follows]] = seconds[follows]
    return first, nearest, second


def _swap_deltas(merged, pair_demand, weights, opened, first, site, second) -> np.ndarray:
    """Change of people × seconds for opening each candidate (rows) and closing each open site
    (columns, in order of ``np.flatnonzero(opened)``); ``inf`` where the swap strands a point
    or the candidate is already open.

    For a point whose nearest open site r closes and candidate j opens, the new time is
    ``min(d_ij, second)``; for any other point it is ``min(d_ij, first)``.
    """
    n_candidates, far = merged.shape[1], _far(merged)
    open_sites = np.flatnonzero(opened)
    slot_of = np.full(n_candidates, -1)
    slot_of[open_sites] = np.arange(len(open_sites))
    point_slot = slot_of[site]
    w = weights[pair_demand]
    d, j = merged.data, merged.indices
    gain = np.bincount(j, w * np.clip(first[pair_demand] - d, 0, None), minlength=n_candidates)
    loss = np.bincount(point_slot, weights * (second - first), minlength=len(open_sites))
    helps = d < second[pair_demand]
    cell = j * len(open_sites) + point_slot[pair_demand]  # (candidate, open site) of each pair
    n_cells, shape = n_candidates * len(open_sites), (n_candidates, len(open_sites))
    correction = np.bincount(cell[helps], (w * (second[pair_demand] - np.maximum(d, first[pair_demand])))[helps],
                             minlength=n_cells).reshape(shape)
    alone = second >= far  # points only their nearest open site reaches
    stranded = np.bincount(point_slot[alone], minlength=len(open_sites))
    rescued = np.bincount(cell[alone[pair_demand]], minlength=n_cells).reshape(shape)
    delta = loss[None, :] - gain[:, None] - correction
    delta[rescued < stranded[None, :]] = np.inf
    delta[opened] = np.inf
    return delta
