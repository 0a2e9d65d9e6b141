"""Reach sets of many candidate sites, computed in chunks so memory stays bounded.

Each chunk of candidates is one call to :func:`planning.coverage.reach_seconds`; the sparse
rows are stacked. The search's working buffers and its growing output then scale with the
chunk, not with all candidates at once, and the result stays a CSR array.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from planning.coverage.times import reach_seconds
from planning.network.graph import WalkNetwork
from planning.network.snapping import Snapped

DEFAULT_CHUNK = 2000


def snapped_rows(snapped: Snapped, start: int, stop: int) -> Snapped:
    """Points ``start..stop-1`` of a snapping result, as a snapping result of their own."""
    rows = slice(start, stop)
    return dataclasses.replace(snapped, kept=snapped.kept[rows], edge=snapped.edge[rows],
                               to_u_m=snapped.to_u_m[rows], to_v_m=snapped.to_v_m[rows],
                               along_m=snapped.along_m[rows], offset_m=snapped.offset_m[rows],
                               n_input=len(snapped.kept[rows]))


def chunked_reach_seconds(network: WalkNetwork, sources: Snapped, targets: Snapped, speed_mps: float,
                          cutoff_s: float, chunk: int = DEFAULT_CHUNK, n_threads: int | None = None) -> sp.csr_array:
    """Walking seconds from each source (row) to each target (column) within ``cutoff_s``.

    Same result as :func:`planning.coverage.reach_seconds`, built ``chunk`` sources at a time.

    Parameters
    ----------
    speed_mps
        Walking speed in metres per second.
    cutoff_s
        Longest walk kept, in seconds.
    chunk
        Sources per search call (1–2k keeps peak memory low on city networks).
    n_threads
        Search threads; 1 inside Dask worker processes, which already share the cores.
    """
    n = len(sources.kept)
    parts = [reach_seconds(network, snapped_rows(sources, start, min(start + chunk, n)), targets, speed_mps, cutoff_s,
                           n_threads) for start in range(0, n, chunk)]
    if not parts:
        return sp.csr_array((np.zeros(0), np.zeros(0, np.int64), np.zeros(1, np.int64)), shape=(0, len(targets.kept)))
    return sp.csr_array(sp.vstack(parts, format="csr"))
