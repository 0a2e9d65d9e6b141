"""p-median on sparse reach: open p sites, minimise population-weighted walking time.

Only (candidate, demand) pairs inside the reach set may be assigned, so the program has one
assignment variable per stored entry, never a dense candidate × demand matrix. Demand points
with identical reach *and* identical walking seconds (e.g. points snapped to one node) merge.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimize import _inputs
from optimize._program import LinearProgram, SolverOutcome, rows
from optimize.model import FEASIBILITY_TOL, LocationModel, Plan
from optimize.reach import Reduction, check_reach, merge_demand, unreachable
from optimize.result import Notice
from planning.errors import PlanningError


class PMedian(LocationModel):
    """Open exactly ``p`` sites; every demand point walks to an open site within reach.

    The objective is the sum over demand points of people × walking seconds.
    """

    name = "p_median"

    @classmethod
    def from_reach(
        cls,
        reach: sp.csr_array,
        weights: np.ndarray,
        p: int,
        candidates: pd.DataFrame | None = None,
        communities: np.ndarray | None = None,
        demand_ids: np.ndarray | None = None,
    ) -> PMedian:
        """Build the model.

        Parameters
        ----------
        reach
            ``(n_candidates, n_demand)`` CSR reach set; ``.data`` are walking seconds.
        weights
            People at each demand point.
        p
            Number of sites to open.
        candidates, communities, demand_ids
            As for :meth:`optimize.MCLP.from_reach`; ``demand_ids`` name unreachable points.
        """
        start = time.perf_counter()
        reach = check_reach(reach)
        n_candidates, n_demand = reach.shape
        weights = _inputs.numbers(weights, n_demand, "weights")
        p = _inputs.count_p(p, n_candidates)
        candidates = _inputs.candidates_frame(candidates, n_candidates)
        communities = _inputs.labels(communities, n_demand, "communities")
        need = weights > 0
        lost = need & unreachable(reach)
        if lost.any():
            positions = np.flatnonzero(lost)
            ids = _inputs.labels(demand_ids, n_demand, "demand_ids")
            raise PlanningError("optimize_pmedian_unreachable", count=len(positions), ids=_inputs.first_ids(ids, positions))
        by_demand = sp.csr_array(sp.csr_array(reach.T)[np.flatnonzero(need)])
        by_demand.sort_indices()
        representative, inverse = merge_demand(by_demand.T, with_seconds=True)
        merged = sp.csr_array(by_demand[representative])
        merged_weights = np.bincount(inverse, weights[need], minlength=len(representative))
        program = cls._program(merged, merged_weights, p)
        program.start = _greedy_start(merged, merged_weights, p)
        model = cls(program, Reduction(n_candidates, n_candidates, n_demand, len(representative)), 0.0, candidates)
        model.reach, model.weights, model.p, model.communities, model.merged = reach, weights, p, communities, merged
        model.build_seconds = time.perf_counter() - start
        return model

    @staticmethod
    def _program(merged: sp.csr_array, merged_weights: np.ndarray, p: int) -> LinearProgram:
        n_merged, n_candidates = merged.shape
        n_pairs = merged.nnz
        pair_site = merged.indices
        assign = sp.csr_array((np.ones(n_pairs), np.arange(n_pairs), merged.indptr), shape=(n_merged, n_pairs))
        link = sp.hstack([
            sp.csr_array((-np.ones(n_pairs), (np.arange(n_pairs), pair_site)), shape=(n_pairs, n_candidates)),
            sp.eye_array(n_pairs),
        ], format="csr")
        count = sp.hstack([sp.csr_array(np.ones((1, n_candidates))), sp.csr_array((1, n_pairs))])
        assign = sp.hstack([sp.csr_array((n_merged, n_candidates)), assign])
        matrix, lower, upper = rows(
            [assign, link, count],
            [np.ones(n_merged), np.full(n_pairs, -np.inf), [p]],
            [np.ones(n_merged), np.zeros(n_pairs), [p]],
        )
        pair_weight = np.repeat(merged_weights, np.diff(merged.indptr))
        n_cols = n_candidates + n_pairs
        return LinearProgram(
            cost=np.concatenate([np.zeros(n_candidates), pair_weight * merged.data]),
            matrix=matrix,
            row_lower=lower,
            row_upper=upper,
            col_lower=np.zeros(n_cols),
            col_upper=np.ones(n_cols),
            integer=np.arange(n_cols) < n_candidates,
            maximize=False,
        )

    def _nearest_open(self, opened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Walking seconds to, and index of, the nearest open site for every demand point."""
        is_open = np.zeros(self.reach.shape[0], dtype=bool)
        is_open[opened] = True
        by_demand = sp.csr_array(self.reach.T)
        pair_site = by_demand.indices
        seconds = np.where(is_open[pair_site], by_demand.data, np.inf)
        rows_of = np.repeat(np.arange(by_demand.shape[0]), np.diff(by_demand.indptr))
        order = np.lexsort((seconds, rows_of))
        first = by_demand.indptr[:-1]
        has_pair = np.diff(by_demand.indptr) > 0
        best = np.full(by_demand.shape[0], np.inf)
        site = np.full(by_demand.shape[0], -1)
        best[has_pair] = seconds[order][first[has_pair]]
        site[has_pair] = np.where(np.isfinite(best[has_pair]), pair_site[order][first[has_pair]], -1)
        return best, site

    def _decode(self, values: np.ndarray) -> Plan:
        n_candidates = self.reach.shape[0]
        opened = np.flatnonzero(values[:n_candidates] > 0.5)
        seconds, site = self._nearest_open(opened)
        served = np.isfinite(seconds)
        weighted = np.where(served, seconds, 0.0) * self.weights
        load = np.bincount(site[served], self.weights[served], minlength=n_candidates)
        return Plan(
            site_index=opened,
            objective=float(weighted.sum()),
            weights=self.weights,
            served_before=np.zeros(len(self.weights)),
            served_after=served.astype(float),
            communities=self.communities,
            site_columns={"served_people": load[opened]},
            details={"assigned_site": site, "walk_seconds": seconds, "mean_walk_seconds": float(weighted.sum() / self.weights.sum())},
        )

    def _plan_nothing(self) -> Plan:
        zeros = np.zeros(len(self.weights))
        return Plan(np.array([], dtype=int), float("nan"), self.weights, zeros, zeros, communities=self.communities)

    def _explain_failure(self, outcome: SolverOutcome, solver: str) -> list[Notice]:
        if outcome.status == "infeasible":
            return [Notice.of("optimize_pmedian_p_too_small", p=self.p)]
        return super()._explain_failure(outcome, solver)

    def _verify(self, plan: Plan, outcome: SolverOutcome) -> None:
        n_candidates = self.reach.shape[0]
        if len(plan.site_index) != self.p:
            raise self._violation(f"{len(plan.site_index)} sites opened, p = {self.p}")
        assigned = outcome.values[n_candidates:] > 0.5
        is_open = outcome.values[:n_candidates] > 0.5
        if (assigned & ~is_open[self.merged.indices]).any():
            raise self._violation("demand assigned to a site that is not open")
        if (self.weights > 0).any() and (plan.served_after[self.weights > 0] < 1).any():
            raise self._violation("a demand point has no open site within reach")
        if plan.objective > outcome.objective + FEASIBILITY_TOL * max(1.0, outcome.objective):
            raise self._violation(f"solver claims {outcome.objective:.3f}, nearest open sites give {plan.objective:.3f}")


def _greedy_start(merged: sp.csr_array, merged_weights: np.ndarray, p: int) -> np.ndarray | None:
    """Open, p times, the site that most lowers people × seconds (unassigned = very far).

    Returns the full start vector (sites, then assignments), or None if some demand point
    is still unassigned after p sites.
    """
    n_merged, n_candidates = merged.shape
    pair_demand = np.repeat(np.arange(n_merged), np.diff(merged.indptr))
    far = 10.0 * (merged.data.max() + 1.0)
    current = np.full(n_merged, far)
    opened = np.zeros(n_candidates, dtype=bool)
    for _ in range(p):
        gain = np.bincount(merged.indices, merged_weights[pair_demand] * np.clip(current[pair_demand] - merged.data, 0, None), minlength=n_candidates)
        gain[opened] = -1.0
        best = int(np.argmax(gain))
        opened[best] = True
        at_best = merged.indices == best
        np.minimum.at(current, pair_demand[at_best], merged.data[at_best])
    if (current >= far).any():
        return None
    seconds = np.where(opened[merged.indices], merged.data, np.inf)
    order = np.lexsort((seconds, pair_demand))
    assign = np.zeros(merged.nnz)
    assign[order[merged.indptr[:-1]]] = 1.0
    return np.concatenate([opened.astype(float), assign])
