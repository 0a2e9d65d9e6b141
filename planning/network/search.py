"""Bounded multi-seed Dijkstra, compiled with numba, with sparse output.

Each *source* is a set of seeds (network node, initial distance) — a point snapped onto an edge
seeds both ends of that edge. Each *target* is attached to one or more nodes with an offset.
The search from a source stops at the cutoff, so its cost follows the nodes it settles, and
the output is a CSR-shaped list of (target, distance) pairs: no dense source × node rows.

Work follows what is settled, not the size of the network:

* the per-node scratch arrays (distances, heap, touched list) are allocated once per network
  and thread and kept (:class:`_ScratchPool`); a search restores them as it leaves, so a call
  costs nothing in proportion to the whole network;
* sources are sorted by their first seed node before the split: nodes are numbered in a
  locality order when a network loads (:mod:`planning.network.order`), so consecutive
  searches reuse what the previous one brought into the cache;
* node indices are int32;
* the sorted sources are cut into a few chunks per thread that the threads take in turn
  (the kernel releases the GIL), so a thread whose part of the city is lighter does not idle.

The heap is a lazy 4-ary heap: a node is pushed again when its distance drops and stale entries
are skipped when popped. Measured against an indexed binary heap with decrease-key and a lazy
binary heap (bench/bench_coverage.py, README "Speed"), it settles the most nodes per second on
both real networks and grids; the reach sets and distances are the same whichever heap is used.
"""
from __future__ import annotations

import itertools
import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numba
import numpy as np
import scipy.sparse as sp

INDEX = np.int32  # node and target indices: networks and target sets stay below 2**31
CHUNKS_PER_THREAD = 4  # threads take chunks in turn; more chunks balance better but cost a dispatch each


@dataclass(frozen=True, eq=False)
class Graph:
    """Undirected weighted graph in CSR form (each edge stored in both directions).

    Attributes
    ----------
    indptr, indices
        CSR adjacency over node positions ``0..n_nodes-1`` (stored as int64 / int32).
    weights
        Edge weight of each CSR entry (metres for walking networks).
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "indptr", np.ascontiguousarray(self.indptr, dtype=np.int64))
        object.__setattr__(self, "indices", np.ascontiguousarray(self.indices, dtype=INDEX))
        object.__setattr__(self, "weights", np.ascontiguousarray(self.weights, dtype=np.float64))

    @property
    def n_nodes(self) -> int:
        return len(self.indptr) - 1


@dataclass(frozen=True)
class Seeds:
    """Where each source starts: ``nodes[ptr[s]:ptr[s+1]]`` at ``dist[...]``."""

    ptr: np.ndarray
    nodes: np.ndarray
    dist: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "ptr", np.ascontiguousarray(self.ptr, dtype=np.int64))
        object.__setattr__(self, "nodes", np.ascontiguousarray(self.nodes, dtype=INDEX))
        object.__setattr__(self, "dist", np.ascontiguousarray(self.dist, dtype=np.float64))

    @property
    def n_sources(self) -> int:
        return len(self.ptr) - 1

    def as_one_source(self) -> "Seeds":
        """All seeds as a single source: one search then gives the distance to the nearest."""
        return Seeds(np.array([0, len(self.nodes)], dtype=np.int64), self.nodes, self.dist)


@dataclass(frozen=True)
class Targets:
    """Targets attached to nodes: node ``v`` carries ``ids[ptr[v]:ptr[v+1]]`` at ``offset[...]``.

    ``identity`` means every node is its own target with no offset; the arrays are then empty
    (building them would cost a pass over the whole network on every call).
    """

    ptr: np.ndarray
    ids: np.ndarray
    offset: np.ndarray
    n_targets: int
    identity: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "ptr", np.ascontiguousarray(self.ptr, dtype=np.int64))
        object.__setattr__(self, "ids", np.ascontiguousarray(self.ids, dtype=INDEX))
        object.__setattr__(self, "offset", np.ascontiguousarray(self.offset, dtype=np.float64))

    @classmethod
    def nodes(cls, n_nodes: int) -> "Targets":
        """Every node is its own target, with no offset."""
        return cls(np.zeros(0, np.int64), np.zeros(0, INDEX), np.zeros(0), n_nodes, identity=True)

    @classmethod
    def from_attachments(cls, node: np.ndarray, target: np.ndarray, offset: np.ndarray,
                         n_nodes: int, n_targets: int) -> "Targets":
        """Build from parallel arrays (node position, target id, offset)."""
        order = np.argsort(node, kind="stable")
        counts = np.bincount(node, minlength=n_nodes)
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return cls(ptr, target[order], offset[order], n_targets)


# -- the kernel ---------------------------------------------------------------------------

@numba.njit(nogil=True, cache=True, inline="always")
def _push(hd, hn, size, d, v):
    """Add (d, v) to the 4-ary heap of ``size`` entries; return the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 2
        if hd[parent] <= d:
            break
        hd[i] = hd[parent]
        hn[i] = hn[parent]
        i = parent
    hd[i] = d
    hn[i] = v
    return size + 1


@numba.njit(nogil=True, cache=True, inline="always")
def _drop_root(hd, hn, size):
    """Remove the root of the 4-ary heap (read it first); return the new size."""
    size -= 1
    if size == 0:
        return size
    d, v = hd[size], hn[size]
    i = 0
    while True:
        first = 4 * i + 1
        if first >= size:
            break
        best, best_d = first, hd[first]
        for c in range(first + 1, min(first + 4, size)):
            if hd[c] < best_d:
                best, best_d = c, hd[c]
        if d <= best_d:
            break
        hd[i] = best_d
        hn[i] = hn[best]
        i = best
    hd[i] = d
    hn[i] = v
    return size


@numba.njit(nogil=True, cache=True)
def _search_chunk(indptr, indices, weights, seed_ptr, seed_nodes, seed_dist, order,
                  tgt_ptr, tgt_ids, tgt_off, identity, cutoff,
                  dist, hd, hn, touched, best, touched_t, out_cap):
    """Run the sources ``order[0..]``; return (counts per source, target ids, distances).

    ``dist``, ``best`` (all ``inf``), ``hd``/``hn`` (heap, room for every push of one search),
    ``touched`` and ``touched_t`` are the caller's kept scratch; every entry a search changes is
    put back before it returns. ``identity`` means every node is its own target (node-level
    reach), skipping the lookup. Targets come out in settling order; callers needing sorted rows
    sort the CSR.
    """
    inf = np.inf
    counts = np.zeros(len(order), np.int64)
    out_t = np.empty(out_cap, np.int32)
    out_d = np.empty(out_cap, np.float64)
    n_out = 0
    for j in range(len(order)):
        s = order[j]
        n_touched = 0
        size = 0
        for k in range(seed_ptr[s], seed_ptr[s + 1]):
            v = seed_nodes[k]
            d0 = seed_dist[k]
            if d0 <= cutoff and d0 < dist[v]:
                if dist[v] == inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = d0
                size = _push(hd, hn, size, d0, v)
        while size > 0:
            d, v = hd[0], hn[0]
            size = _drop_root(hd, hn, size)
            if d > dist[v]:
                continue  # a stale entry: v was reached more cheaply since
            for k in range(indptr[v], indptr[v + 1]):
                w = indices[k]
                nd = d + weights[k]
                if nd <= cutoff and nd < dist[w]:
                    if dist[w] == inf:
                        touched[n_touched] = w
                        n_touched += 1
                    dist[w] = nd
                    size = _push(hd, hn, size, nd, w)
        # Every touched node is settled (the cutoff prunes before touching), so targets are
        # read off the touched nodes after the search, in one cache-friendly pass.
        n_tt = n_touched
        if not identity:
            n_tt = 0
            for i in range(n_touched):
                v = touched[i]
                d = dist[v]
                for k in range(tgt_ptr[v], tgt_ptr[v + 1]):
                    t = tgt_ids[k]
                    c = d + tgt_off[k]
                    if c <= cutoff and c < best[t]:
                        if best[t] == inf:
                            touched_t[n_tt] = t
                            n_tt += 1
                        best[t] = c
        if n_out + n_tt > len(out_t):
            cap = 2 * len(out_t)
            while n_out + n_tt > cap:
                cap *= 2
            grown_t = np.empty(cap, np.int32)
            grown_d = np.empty(cap, np.float64)
            grown_t[:n_out] = out_t[:n_out]
            grown_d[:n_out] = out_d[:n_out]
            out_t, out_d = grown_t, grown_d
        if identity:
            for i in range(n_tt):
                v = touched[i]
                out_t[n_out + i] = v
                out_d[n_out + i] = dist[v]
        else:
            for i in range(n_tt):
                t = touched_t[i]
                out_t[n_out + i] = t
                out_d[n_out + i] = best[t]
                best[t] = inf
        n_out += n_tt
        counts[j] = n_tt
        for i in range(n_touched):
            dist[touched[i]] = inf
    return counts, out_t[:n_out], out_d[:n_out]


@numba.njit(nogil=True, cache=True)
def _rows_back(counts, cols, data, order):
    """CSR rows computed in ``order`` (row j is source ``order[j]``) put back in source order."""
    n = len(order)
    indptr = np.zeros(n + 1, np.int64)
    for j in range(n):
        indptr[order[j] + 1] = counts[j]
    for s in range(n):
        indptr[s + 1] += indptr[s]
    out_c = np.empty(len(cols), cols.dtype)
    out_d = np.empty(len(data), data.dtype)
    start = 0
    for j in range(n):
        dst = indptr[order[j]]
        for k in range(counts[j]):
            out_c[dst + k] = cols[start + k]
            out_d[dst + k] = data[start + k]
        start += counts[j]
    return indptr, out_c, out_d


# -- scratch kept per network and thread --------------------------------------------------

class _Scratch:
    """One thread's per-node arrays for one graph; between searches ``dist`` and ``best`` are all inf."""

    def __init__(self, graph: Graph) -> None:
        n = graph.n_nodes
        self.dist = np.full(n, np.inf)
        self.touched = np.empty(n, INDEX)
        self.heap_cap = 0
        self.hd, self.hn = np.empty(0), np.empty(0, INDEX)
        self.best, self.touched_t = np.empty(0), np.empty(0, INDEX)
        self.graph_edges = len(graph.indices)

    def ready(self, n_targets: int, max_seeds: int) -> "_Scratch":
        """Room for ``n_targets`` targets and for every push of a search from ``max_seeds`` seeds.

        A node is pushed once per seed and once per improving edge, so the heap never holds more
        than seeds + CSR entries; ``np.empty`` leaves the untouched part unallocated by the OS.
        """
        need = self.graph_edges + max_seeds + 1
        if need > self.heap_cap:
            self.heap_cap = max(need, 2 * self.heap_cap)
            self.hd, self.hn = np.empty(self.heap_cap), np.empty(self.heap_cap, INDEX)
        if n_targets > len(self.best):
            self.best, self.touched_t = np.full(n_targets, np.inf), np.empty(n_targets, INDEX)
        return self


class _ScratchPool:
    """Scratch sets of one graph, lent to one search chunk at a time (safe across threads)."""

    def __init__(self) -> None:
        self._free: list[_Scratch] = []
        self._lock = threading.Lock()

    def take(self, graph: Graph) -> _Scratch:
        with self._lock:
            if self._free:
                return self._free.pop()
        return _Scratch(graph)

    def give(self, scratch: _Scratch) -> None:
        with self._lock:
            self._free.append(scratch)


_POOLS: weakref.WeakKeyDictionary[Graph, _ScratchPool] = weakref.WeakKeyDictionary()
_POOLS_LOCK = threading.Lock()


def _scratch_pool(graph: Graph) -> _ScratchPool:
    """The scratch of ``graph``, kept while the graph lives (and never pickled with it)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(graph)
        if pool is None:
            pool = _POOLS[graph] = _ScratchPool()
        return pool


@lru_cache(maxsize=4)
def _pool(n_threads: int) -> ThreadPoolExecutor:
    """A long-lived pool: starting threads on every call costs more than a small search."""
    return ThreadPoolExecutor(max_workers=n_threads, thread_name_prefix="dijkstra")


def parallel_chunks(n_items: int, work, n_threads: int | None = None, per_thread: int = CHUNKS_PER_THREAD,
                    min_chunk: int = 1024) -> None:
    """Call ``work(first, last)`` over ``range(n_items)`` in chunks on the search threads.

    For kernels that release the GIL; the calling thread works too. Small inputs run at once.
    """
    n_threads = max(1, min(n_threads or os.cpu_count() or 1, -(-n_items // min_chunk)))
    n_chunks = 1 if n_threads == 1 else per_thread * n_threads
    bounds = np.linspace(0, n_items, n_chunks + 1).astype(np.int64)
    next_chunk = itertools.count()

    def run() -> None:
        while (i := next(next_chunk)) < n_chunks:
            work(int(bounds[i]), int(bounds[i + 1]))

    if n_threads == 1:
        run()
        return
    helpers = [_pool(n_threads).submit(run) for _ in range(n_threads - 1)]
    run()
    for helper in helpers:
        helper.result()


# -- the call -----------------------------------------------------------------------------

def source_order(seeds: Seeds) -> np.ndarray:
    """Sources sorted by their first seed node (stable), so neighbouring searches run together."""
    first = np.zeros(seeds.n_sources, dtype=INDEX)
    has = np.diff(seeds.ptr) > 0
    first[has] = seeds.nodes[seeds.ptr[:-1][has]]
    return np.argsort(first, kind="stable").astype(np.int64)


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
    shape = (n_sources, targets.n_targets)
    if n_sources == 0:
        return sp.csr_array((np.zeros(0), np.zeros(0, INDEX), np.zeros(1, INDEX)), shape=shape)
    n_threads = max(1, min(n_threads or os.cpu_count() or 1, n_sources))
    order = source_order(seeds)
    n_chunks = 1 if n_threads == 1 else min(n_sources, CHUNKS_PER_THREAD * n_threads)
    bounds = np.linspace(0, n_sources, n_chunks + 1).astype(np.int64)
    max_seeds = int(np.diff(seeds.ptr).max())
    pool = _scratch_pool(graph)
    fixed = (graph.indptr, graph.indices, graph.weights, seeds.ptr, seeds.nodes, seeds.dist)
    tail = (targets.ptr, targets.ids, targets.offset, targets.identity, float(cutoff))
    parts: list = [None] * n_chunks
    next_chunk = itertools.count()  # next() on a count is atomic under the GIL

    def work() -> None:
        scratch = pool.take(graph).ready(targets.n_targets, max_seeds)
        try:
            while (i := next(next_chunk)) < n_chunks:
                chunk = order[bounds[i]:bounds[i + 1]]
                parts[i] = _search_chunk(*fixed, chunk, *tail, scratch.dist, scratch.hd, scratch.hn,
                                         scratch.touched, scratch.best, scratch.touched_t,
                                         max(1024, 64 * len(chunk)))
        finally:
            pool.give(scratch)

    if n_threads == 1:
        work()
    else:
        helpers = [_pool(n_threads).submit(work) for _ in range(n_threads - 1)]
        work()
        for helper in helpers:
            helper.result()
    counts = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    data = np.concatenate([p[2] for p in parts])
    indptr, cols, data = _rows_back(counts, cols, data, order)
    if len(cols) < np.iinfo(INDEX).max:
        indptr = indptr.astype(INDEX)
    return sp.csr_array((data, cols, indptr), shape=shape)


def node_seeds(nodes: np.ndarray) -> Seeds:
    """One source per node, starting at distance zero."""
    nodes = np.asarray(nodes, dtype=INDEX)
    return Seeds(np.arange(len(nodes) + 1, dtype=np.int64), nodes, np.zeros(len(nodes)))
