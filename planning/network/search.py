"""Bounded multi-seed Dijkstra, compiled with numba, with sparse output.

Each *source* is a set of seeds (network node, initial distance) — a point snapped onto an edge
seeds both ends of that edge. Each *target* is attached to one or more nodes with an offset.
The search from a source stops at the cutoff, so its cost follows the nodes it settles, and
the output is a CSR-shaped list of (target, distance) pairs: no dense source × node rows.
Sources are split into chunks that run in parallel threads (the kernel releases the GIL).
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class Graph:
    """Undirected weighted graph in CSR form (each edge stored in both directions).

    Attributes
    ----------
    indptr, indices
        CSR adjacency over node positions ``0..n_nodes-1``.
    weights
        Edge weight of each CSR entry (metres for walking networks).
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray

    @property
    def n_nodes(self) -> int:
        return len(self.indptr) - 1


@dataclass(frozen=True)
class Seeds:
    """Where each source starts: ``nodes[ptr[s]:ptr[s+1]]`` at ``dist[...]``."""

    ptr: np.ndarray
    nodes: np.ndarray
    dist: np.ndarray

    @property
    def n_sources(self) -> int:
        return len(self.ptr) - 1

    def as_one_source(self) -> "Seeds":
        """All seeds as a single source: one search then gives the distance to the nearest."""
        return Seeds(np.array([0, len(self.nodes)], dtype=np.int64), self.nodes, self.dist)


@dataclass(frozen=True)
class Targets:
    """Targets attached to nodes: node ``v`` carries ``ids[ptr[v]:ptr[v+1]]`` at ``offset[...]``."""

    ptr: np.ndarray
    ids: np.ndarray
    offset: np.ndarray
    n_targets: int
    identity: bool = False

    @classmethod
    def nodes(cls, n_nodes: int) -> "Targets":
        """Every node is its own target, with no offset."""
        ar = np.arange(n_nodes, dtype=np.int64)
        return cls(np.arange(n_nodes + 1, dtype=np.int64), ar, np.zeros(n_nodes), n_nodes, identity=True)

    @classmethod
    def from_attachments(cls, node: np.ndarray, target: np.ndarray, offset: np.ndarray,
                         n_nodes: int, n_targets: int) -> "Targets":
        """Build from parallel arrays (node position, target id, offset)."""
        order = np.argsort(node, kind="stable")
        counts = np.bincount(node, minlength=n_nodes)
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(ptr, target[order].astype(np.int64), offset[order].astype(float), n_targets)


@numba.njit(nogil=True, cache=True, inline="always")
def _sift_up(hd, hn, pos, i):
    d, v = hd[i], hn[i]
    while i > 0:
        parent = (i - 1) >> 1
        if hd[parent] <= d:
            break
        hd[i], hn[i] = hd[parent], hn[parent]
        pos[hn[i]] = i
        i = parent
    hd[i], hn[i] = d, v
    pos[v] = i


@numba.njit(nogil=True, cache=True, inline="always")
def _pop_min(hd, hn, pos, size):
    """Remove the root of the indexed heap; return the new size."""
    pos[hn[0]] = -1
    size -= 1
    if size == 0:
        return size
    d, v = hd[size], hn[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and hd[child + 1] < hd[child]:
            child += 1
        if d <= hd[child]:
            break
        hd[i], hn[i] = hd[child], hn[child]
        pos[hn[i]] = i
        i = child
    hd[i], hn[i] = d, v
    pos[v] = i
    return size


@numba.njit(nogil=True, cache=True)
def _search_chunk(indptr, indices, weights, seed_ptr, seed_nodes, seed_dist,
                  tgt_ptr, tgt_ids, tgt_off, n_targets, identity, cutoff, first, last):
    """Run sources ``first..last-1``; return (counts per source, target ids, distances).

    ``identity`` means every node is its own target (node-level reach), skipping the lookup.
    Targets come out in settling order; callers needing sorted rows sort the CSR.

    An indexed binary heap with decrease-key keeps every node in the heap at most once.
    """
    n = len(indptr) - 1
    inf = np.inf
    dist = np.full(n, inf)
    pos = np.full(n, -1, np.int64)
    best = np.full(0 if identity else n_targets, inf)
    touched = np.empty(n, np.int64)
    touched_t = np.empty(0 if identity else n_targets, np.int64)
    hd = np.empty(n, np.float64)
    hn = np.empty(n, np.int64)
    counts = np.zeros(last - first, np.int64)
    out_cap = 1024
    out_t = np.empty(out_cap, np.int64)
    out_d = np.empty(out_cap, np.float64)
    n_out = 0
    for s in range(first, last):
        n_touched = 0
        n_tt = 0
        size = 0
        for k in range(seed_ptr[s], seed_ptr[s + 1]):
            v = seed_nodes[k]
            d0 = seed_dist[k]
            if d0 <= cutoff and d0 < dist[v]:
                if dist[v] == inf:
                    touched[n_touched] = v
                    n_touched += 1
                    pos[v] = size
                    size += 1
                dist[v] = d0
                hd[pos[v]], hn[pos[v]] = d0, v
                _sift_up(hd, hn, pos, pos[v])
        while size > 0:
            d, v = hd[0], hn[0]
            size = _pop_min(hd, hn, pos, size)
            pos[v] = -2  # settled
            for k in range(indptr[v], indptr[v + 1]):
                w = indices[k]
                nd = d + weights[k]
                if nd <= cutoff and nd < dist[w]:
                    if dist[w] == inf:
                        touched[n_touched] = w
                        n_touched += 1
                        pos[w] = size
                        size += 1
                    dist[w] = nd
                    hd[pos[w]], hn[pos[w]] = nd, w
                    _sift_up(hd, hn, pos, pos[w])
        # Every touched node is settled (the cutoff prunes before touching), so targets are
        # read off the touched nodes after the search, in one cache-friendly pass.
        if identity:
            n_tt = n_touched
        else:
            for j in range(n_touched):
                v = touched[j]
                d = dist[v]
                for k in range(tgt_ptr[v], tgt_ptr[v + 1]):
                    t = tgt_ids[k]
                    c = d + tgt_off[k]
                    if c <= cutoff and c < best[t]:
                        if best[t] == inf:
                            touched_t[n_tt] = t
                            n_tt += 1
                        best[t] = c
        if n_out + n_tt > out_cap:
            while n_out + n_tt > out_cap:
                out_cap *= 2
            grown_t = np.empty(out_cap, np.int64)
            grown_d = np.empty(out_cap, np.float64)
            grown_t[:n_out] = out_t[:n_out]
            grown_d[:n_out] = out_d[:n_out]
            out_t, out_d = grown_t, grown_d
        if identity:
            for j in range(n_tt):
                out_t[n_out + j] = touched[j]
                out_d[n_out + j] = dist[touched[j]]
        else:
            for j in range(n_tt):
                t = touched_t[j]
                out_t[n_out + j] = t
                out_d[n_out + j] = best[t]
                best[t] = inf
        n_out += n_tt
        counts[s - first] = n_tt
        for j in range(n_touched):
            dist[touched[j]] = inf
            pos[touched[j]] = -1
    return counts, out_t[:n_out], out_d[:n_out]


@lru_cache(maxsize=4)
def _pool(n_threads: int) -> ThreadPoolExecutor:
    """A long-lived pool: starting threads on every call costs more than a small search."""
    return ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="dijkstra")


def bounded_search(graph: Graph, seeds: Seeds, targets: Targets, cutoff: float,
                   n_threads: int | None = None) -> sp.csr_array:
    """Distances from every source to every target within ``cutoff``.

    Parameters
    ----------
    graph
        Undirected CSR graph.
    seeds
        Start nodes and initial distances of each source.
    targets
        What to report, attached to nodes with offsets.
    cutoff
        Largest distance kept (inclusive), in the graph's weight unit.
    n_threads
        Worker threads; defaults to the number of CPUs.

    Returns
    -------
    scipy.sparse.csr_array
        Shape (n_sources, n_targets); structure = reached within cutoff, data = distance.
        Explicit zeros are kept (a target standing on a source), so read the structure
        through ``indptr``/``indices``.
    """
    n_sources = seeds.n_sources
    n_threads = n_threads or os.cpu_count() or 1
    # one contiguous chunk per thread: sources of similar reach cost, and each extra chunk
    # costs a kernel dispatch and a set of per-node scratch arrays
    bounds = np.linspace(0, n_sources, max(1, min(n_sources, n_threads)) + 1).astype(np.int64)
    args = (graph.indptr, graph.indices, graph.weights, seeds.ptr, seeds.nodes, seeds.dist,
            targets.ptr, targets.ids, targets.offset, targets.n_targets, targets.identity, float(cutoff))

    def run(i: int):
        return _search_chunk(*args, bounds[i], bounds[i + 1])

    parts = [run(0)] if len(bounds) == 2 else list(_pool(n_threads).map(run, range(len(bounds) - 1)))
    counts = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cols = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    data = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0)
    return sp.csr_array((data, cols, indptr), shape=(n_sources, targets.n_targets))


def node_seeds(nodes: np.ndarray) -> Seeds:
    """One source per node, starting at distance zero."""
    nodes = np.asarray(nodes, dtype=np.int64)
    return Seeds(np.arange(len(nodes) + 1, dtype=np.int64), nodes, np.zeros(len(nodes)))
