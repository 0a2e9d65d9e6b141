"""Reach sets: checking them, reading their structure, and shrinking them before a solve.

A reach set is a ``scipy.sparse.csr_array`` of shape ``(n_candidates, n_demand)``. Its
*structure* (``indptr``/``indices``) says which demand points a candidate reaches within the
tier; ``.data`` holds walking seconds and may contain explicit zeros (a candidate standing on
a demand point), so nothing here calls ``.nonzero()`` or ``eliminate_zeros``.
"""
from __future__ import annotations

from dataclasses import dataclass

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
    """
    useful = sp.csr_array(pattern @ sp.diags_array((weights > 0).astype(float)))
    useful.eliminate_zeros()  # safe: this pattern holds only 0/1 values, not seconds
    sizes = np.diff(useful.indptr)
    overlap = sp.coo_array(useful @ useful.T)
    i, k, shared = overlap.row, overlap.col, overlap.data
    contained = (shared == sizes[i]) & (i != k) & (costs[k] <= costs[i])
    twin = (sizes[k] == sizes[i]) & (costs[k] == costs[i])
    dominated = contained & ~(twin & (k > i))
    drop = np.zeros(pattern.shape[0], dtype=bool)
    drop[i[dominated]] = True
    drop[sizes == 0] = True  # reaches nobody who needs it: never worth a site
    if drop.all():
        drop[np.argmin(costs)] = False
    return np.flatnonzero(~drop)
