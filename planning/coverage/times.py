"""Walking coverage: times to the nearest facility, reach sets of candidate sites, summaries.

Tiers follow GB 50180-2018 (城市居住区规划设计标准) §3.0.4 and TD/T 1062-2021 (社区生活圈规划技术
指南): the 5-, 10- and 15-minute life circles (about 300 m, 500 m and 800–1000 m on foot).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from planning.network.graph import WalkNetwork
from planning.network.search import Targets, bounded_search
from planning.network.snapping import Snapped


def _same_edge_pairs(sources: Snapped, targets: Snapped) -> pd.DataFrame:
    """Source/target pairs on one edge, with the direct walk along it (metres)."""
    s = pd.DataFrame({"edge": sources.edge, "src": np.arange(len(sources.edge)),
                      "s_along": sources.along_m, "s_off": sources.offset_m})
    t = pd.DataFrame({"edge": targets.edge, "tgt": np.arange(len(targets.edge)),
                      "t_along": targets.along_m, "t_off": targets.offset_m})
    pairs = s.merge(t, on="edge")
    pairs["metres"] = (pairs.s_along - pairs.t_along).abs() + pairs.s_off + pairs.t_off
    return pairs[["src", "tgt", "metres"]]


def _with_direct(matrix: sp.csr_array, pairs: pd.DataFrame, cutoff_m: float) -> sp.csr_array:
    """Take the shorter of the network distance and the direct same-edge walk."""
    pairs = pairs[pairs.metres <= cutoff_m]
    if pairs.empty:
        return matrix
    coo = matrix.tocoo()
    both = pd.DataFrame({"src": np.concatenate([coo.row, pairs.src]),
                         "tgt": np.concatenate([coo.col, pairs.tgt]),
                         "metres": np.concatenate([coo.data, pairs.metres])})
    best = both.groupby(["src", "tgt"], sort=True)["metres"].min().reset_index()
    return sp.csr_array((best.metres.to_numpy(), (best.src.to_numpy(), best.tgt.to_numpy())),
                        shape=matrix.shape)


def reach_seconds(network: WalkNetwork, sources: Snapped, targets: Snapped,
                  speed_mps: float, cutoff_s: float, n_threads: int | None = None) -> sp.csr_array:
    """Walking seconds from each source (row) to each target (column) within ``cutoff_s``.

    The structure of the result is the reach set (explicit zeros kept); build optimisation
    models from ``indptr``/``indices``. ``n_threads`` defaults to every CPU (pass 1 inside
    worker processes that already share the machine).
    """
    cutoff_m = cutoff_s * speed_mps
    metres = bounded_search(network.csr, sources.seeds(network), targets.targets(network), cutoff_m,
                            n_threads=n_threads)
    metres = _with_direct(metres, _same_edge_pairs(sources, targets), cutoff_m)
    return sp.csr_array((metres.data / speed_mps, metres.indices, metres.indptr), shape=metres.shape)


def node_reach_seconds(network: WalkNetwork, sources: Snapped, speed_mps: float,
                       cutoff_s: float) -> sp.csr_array:
    """Walking seconds from each source to every network node within ``cutoff_s``."""
    metres = bounded_search(network.csr, sources.seeds(network), Targets.nodes(network.n_nodes),
                            cutoff_s * speed_mps)
    metres.sort_indices()
    return sp.csr_array((metres.data / speed_mps, metres.indices, metres.indptr), shape=metres.shape)


def nearest_seconds(network: WalkNetwork, facilities: Snapped, demand: Snapped,
                    speed_mps: float, cutoff_s: float) -> np.ndarray:
    """Seconds from each demand point to its nearest facility (``inf`` beyond ``cutoff_s``).

    One search seeded from every facility at once: only the nearest matters, so its cost
    is that of a single search however many facilities there are.
    """
    seconds = np.full(len(demand.kept), np.inf)
    if len(facilities.kept) == 0 or len(demand.kept) == 0:
        return seconds
    merged = facilities.seeds(network).as_one_source()
    row = bounded_search(network.csr, merged, demand.targets(network), cutoff_s * speed_mps, n_threads=1)
    seconds[row.indices] = row.data / speed_mps
    direct = _same_edge_pairs(facilities, demand)
    if not direct.empty:
        best = direct.groupby("tgt")["metres"].min()
        idx = best.index.to_numpy()
        seconds[idx] = np.minimum(seconds[idx], np.where(best.to_numpy() <= cutoff_s * speed_mps,
                                                         best.to_numpy() / speed_mps, np.inf))
    return seconds


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Population-weighted quantile ``q`` in [0, 1] (lower value at ties)."""
    mask = weights > 0
    if not mask.any():
        return float("nan")
    order = np.argsort(values[mask], kind="stable")
    v, w = values[mask][order], weights[mask][order]
    return float(v[min(np.searchsorted(np.cumsum(w), q * w.sum()), len(v) - 1)])
