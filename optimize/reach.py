"""Reach sets: checking them, reading their structure, and shrinking them before a solve.

A reach set is a ``scipy.sparse.csr_array`` of shape ``(n_candidates, n_demand)``. Its
*structure* (``indptr``/``indices``) says which demand points a candidate reaches within the
tier; ``.data`` holds walking seconds and may contain explicit zeros (a candidate standing on
a demand point), so nothing here calls ``.nonzero()`` or ``eliminate_zeros``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp

from planning.base.errors import PlanningError, warning_text
from planning.base.text import pick


@dataclass(frozen=True)
class Reduction:
    """Problem size before and after :func:`merge_demand` / :func:`drop_dominated`."""

    candidates_before: int
    candidates_after: int
    demand_before: int
    demand_after: int

    def as_text(self, lang: str = "zh") -> str:
        """One line for a report."""
        return pick(warning_text("optimize_reduction", candidates_before=self.candidates_before,
                                 candidates_after=self.candidates_after, demand_before=self.demand_before,
                                 demand_after=self.demand_after), lang)


def check_reach(reach, n_demand: int | None = None) -> sp.csr_array:
    """The reach set as a CSR array with sorted indices, or a clear error."""
    if not sp.issparse(reach):
        raise PlanningError("optimize_reach_not_sparse", kind=type(reach).__name__)
    reach = sp.csr_array(reach)
    if reach.shape[0] == 0:
        raise PlanningError("optimize_no_candidates")
    if reach.shape[1] == 0:
        raise PlanningError("optimize_no_demand")
    if n_demand is not None and reach.shape[1] != n_demand:
        raise PlanningError("optimize_length_mismatch", what="weights", got=n_demand, expected=reach.shape[1])
    if not np.all(np.isfinite(reach.data)) or (reach.data < 0).any():
        raise PlanningError("optimize_bad_reach_seconds")
    if not reach.has_sorted_indices:
        reach = reach.copy()
        reach.sort_indices()
    row_of = np.repeat(np.arange(reach.shape[0]), np.diff(reach.indptr))
    if ((np.diff(reach.indices) == 0) & (np.diff(row_of) == 0)).any():
        raise PlanningError("optimize_reach_duplicates")
    return reach


def structure(reach: sp.csr_array) -> sp.csr_array:
    """Same pattern as ``reach`` with every stored entry set to 1 (explicit zeros kept)."""
    return sp.csr_array(
        (np.ones(reach.indices.size), reach.indices.copy(), reach.indptr.copy()), shape=reach.shape
    )


def reached_by(reach: sp.csr_array, open_sites: np.ndarray) -> np.ndarray:
    """Boolean mask of demand points reached by at least one of ``open_sites`` (indices)."""
    counts = np.zeros(reach.shape[1])
    for i in open_sites:
        counts[reach.indices[reach.indptr[i] : reach.indptr[i + 1]]] += 1
    return counts > 0


def unreachable(reach: sp.csr_array) -> np.ndarray:
    """Boolean mask of demand points that no candidate reaches."""
    return np.bincount(reach.indices, minlength=reach.shape[1]) == 0


def merge_demand(
    reach: sp.csr_array, group: np.ndarray | None = None, with_seconds: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Group demand points whose reach sets are identical.

    Parameters
    ----------
    reach
        Reach set, ``(n_candidates, n_demand)``.
    group
        Optional integer label per demand point; points merge only within a label.
    with_seconds
        Also require identical walking seconds to every candidate (for p-median).

    Returns
    -------
    representative, inverse
        ``representative[k]`` is one demand index of merged point ``k``;
        ``inverse[j]`` is the merged point of demand ``j``.
    """
    by_demand = sp.csr_array(reach.T)
    by_demand.sort_indices()
    rng = np.random.default_rng(0)
    pattern = structure(by_demand)
    keys = [np.diff(by_demand.indptr).astype(float)]
    keys += [pattern @ rng.random(reach.shape[0]) for _ in range(2)]
    if with_seconds:
        keys.append(by_demand @ rng.random(reach.shape[0]))
    if group is not None:
        keys.append(np.asarray(group, dtype=float))
    _, representative, inverse = np.unique(
        np.column_stack(keys), axis=0, return_index=True, return_inverse=True
    )
    return representative, inverse.ravel()


def drop_dominated(pattern: sp.csr_array, weights: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Indices of candidates to keep after dropping dominated ones.

    Candidate ``i`` is dominated when another candidate ``k`` reaches every demand point of
    positive weight that ``i`` reaches and costs no more; among identical twins the lowest
    index stays. Candidates that reach no such point are dropped too (valid for coverage
    models, where they can add nothing).

    A candidate that contains ``i`` must reach ``i``'s rarest point (the one fewest candidates
    reach), so only those are tested, each by walking the two sorted reach lists with an early
    exit: the work follows the reach entries, not the candidate × candidate product.
    """
    useful = sp.csr_array(pattern[:, np.flatnonzero(np.asarray(weights) > 0)])
    useful.sort_indices()
    by_point = sp.csc_array(useful)
    by_point.sort_indices()
    drop = _dominated(useful.indptr.astype(np.int64), useful.indices.astype(np.int64),
                      by_point.indptr.astype(np.int64), by_point.indices.astype(np.int64),
                      np.asarray(costs, dtype=float))
    if drop.all():
        drop[np.argmin(costs)] = False
    return np.flatnonzero(~drop)


@numba.njit(cache=True, nogil=True)
def _dominated(row_ptr, row_idx, col_ptr, col_idx, costs):
    """True for every candidate another one dominates (or that reaches nobody who needs it)."""
    n = len(row_ptr) - 1
    drop = np.zeros(n, np.bool_)
    for i in range(n):
        a0, a1 = row_ptr[i], row_ptr[i + 1]
        size_i = a1 - a0
        if size_i == 0:
            drop[i] = True
            continue
        rarest = row_idx[a0]
        for a in range(a0 + 1, a1):
            j = row_idx[a]
            if col_ptr[j + 1] - col_ptr[j] < col_ptr[rarest + 1] - col_ptr[rarest]:
                rarest = j
        for q in range(col_ptr[rarest], col_ptr[rarest + 1]):
            k = col_idx[q]
            size_k = row_ptr[k + 1] - row_ptr[k]
            if k == i or costs[k] > costs[i] or size_k < size_i:
                continue
            if size_k == size_i and costs[k] == costs[i] and k > i:
                continue  # an identical twin at the same cost: the lower index stays
            if _contains(row_idx, row_ptr[k], row_ptr[k + 1], a0, a1):
                drop[i] = True
                break
    return drop


@numba.njit(cache=True, nogil=True, inline="always")
def _contains(idx, b0, b1, a0, a1):
    """Whether the sorted list ``idx[b0:b1]`` holds every entry of the sorted ``idx[a0:a1]``."""
    b = b0
    for a in range(a0, a1):
        if b1 - b < a1 - a:
            return False
        target = idx[a]
        b = b + np.searchsorted(idx[b:b1], target)
        if b == b1 or idx[b] != target:
            return False
        b += 1
    return True
