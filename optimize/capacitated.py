"""Capacitated coverage: each open site serves at most its capacity, only people within reach.

Variables: ``x_i`` (open site ``i``) and ``f_ij >= 0`` (people at demand ``j`` served by
``i``), one per reach pair. Maximise people served subject to ``sum_i f_ij <= w_j``,
``sum_j f_ij <= capacity_i x_i``, ``f_ij <= w_j x_i``, and ``p`` and/or a budget.
As in :class:`optimize.MCLP`, people an existing facility already reaches (``already_covered``)
count as served and take no new site's capacity (``w_j = 0`` in the program); the objective is
everyone served, existing cover included. Demand points with identical reach sets in the same
community merge (people add up).
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimize import checks
from optimize.model import FEASIBILITY_TOL, LocationModel, Plan
from optimize.program import LinearProgram, SolverOutcome, rows
from optimize.reach import Reduction, check_reach, merge_demand, structure
from planning.base.errors import PlanningError


class CapacitatedCoverage(LocationModel):
    """Open up to ``p`` sites (or within a budget) to serve the most people within capacity."""

    name = "capacitated"

    @classmethod
    def from_reach(
        cls,
        reach: sp.csr_array,
        weights: np.ndarray,
        capacities: np.ndarray,
        p: int | None = None,
        costs: np.ndarray | None = None,
        budget_yuan: float | None = None,
        candidates: pd.DataFrame | None = None,
        communities: np.ndarray | None = None,
        already_covered: np.ndarray | None = None,
    ) -> CapacitatedCoverage:
        """Build the model.

        Parameters
        ----------
        reach
            ``(n_candidates, n_demand)`` CSR reach set.
        weights
            People at each demand point.
        capacities
            People each candidate can serve if opened.
        p, costs, budget_yuan
            Site count limit and/or cost per site (yuan) with a budget; at least one limit.
        candidates, communities, already_covered
            As for :meth:`optimize.MCLP.from_reach`.
        """
        start = time.perf_counter()
        reach = check_reach(reach)
        n_candidates, n_demand = reach.shape
        weights = checks.numbers(weights, n_demand, "weights")
        capacities = checks.numbers(capacities, n_candidates, "capacities")
        costs = checks.numbers(costs, n_candidates, "costs", default=1.0)
        if p is None and budget_yuan is None:
            raise PlanningError("optimize_need_p_or_budget")
        p = None if p is None else checks.count_p(p, n_candidates)
        budget = checks.budget(budget_yuan, costs.min())
        candidates = checks.candidates_frame(candidates, n_candidates)
        communities = checks.labels(communities, n_demand, "communities")
        already = checks.mask(already_covered, n_demand, "already_covered")
        group = None if communities is None else np.unique(communities, return_inverse=True)[1]
        representative, inverse = merge_demand(reach, group)
        merged_weights = np.bincount(inverse, np.where(already, 0.0, weights), minlength=len(representative))
        merged = sp.csr_array(structure(sp.csr_array(reach.T))[representative])
        model = cls(
            cls._program(merged, merged_weights, capacities, costs, p, budget),
            Reduction(n_candidates, n_candidates, n_demand, len(representative)),
            0.0,
            candidates,
        )
        model.weights, model.capacities, model.costs, model.p, model.budget = weights, capacities, costs, p, budget
        model.communities, model.merged, model.inverse, model.merged_weights = communities, merged, inverse, merged_weights
        model.already = already
        model.reach = reach
        model.build_seconds = time.perf_counter() - start
        return model

    @staticmethod
    def _program(merged, merged_weights, capacities, costs, p, budget) -> LinearProgram:
        n_merged, n_candidates = merged.shape
        n_pairs = merged.nnz
        pair_site = merged.indices
        pair_demand = np.repeat(np.arange(n_merged), np.diff(merged.indptr))
        pairs = np.arange(n_pairs)
        no_x = sp.csr_array((n_merged, n_candidates))
        demand = sp.hstack([no_x, sp.csr_array((np.ones(n_pairs), pairs, merged.indptr), shape=(n_merged, n_pairs))])
        site_flow = sp.csr_array((np.ones(n_pairs), (pair_site, pairs)), shape=(n_candidates, n_pairs))
        capacity = sp.hstack([sp.diags_array(-capacities), site_flow])
        strong = sp.hstack([
            sp.csr_array((-merged_weights[pair_demand], (pairs, pair_site)), shape=(n_pairs, n_candidates)),
            sp.eye_array(n_pairs),
        ])
        blocks = [demand, capacity, strong]
        lower = [np.full(n_merged, -np.inf), np.full(n_candidates, -np.inf), np.full(n_pairs, -np.inf)]
        upper = [merged_weights, np.zeros(n_candidates), np.zeros(n_pairs)]
        for limit, row in ((p, np.ones(n_candidates)), (budget, costs)):
            if limit is not None:
                blocks.append(sp.hstack([sp.csr_array(row[None, :]), sp.csr_array((1, n_pairs))]))
                lower.append([-np.inf])
                upper.append([limit])
        matrix, row_lower, row_upper = rows([sp.csr_array(b) for b in blocks], lower, upper)
        n_cols = n_candidates + n_pairs
        return LinearProgram(
            cost=np.concatenate([np.zeros(n_candidates), np.ones(n_pairs)]),
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=np.zeros(n_cols),
            col_upper=np.concatenate([np.ones(n_candidates), np.full(n_pairs, np.inf)]),
            integer=np.arange(n_cols) < n_candidates,
            maximize=True,
        )

    def _flows(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n_candidates = len(self.capacities)
        flows = np.clip(values[n_candidates:], 0.0, None)
        pair_demand = np.repeat(np.arange(self.merged.shape[0]), np.diff(self.merged.indptr))
        return flows, pair_demand

    def _decode(self, values: np.ndarray) -> Plan:
        n_candidates = len(self.capacities)
        opened = np.flatnonzero(values[:n_candidates] > 0.5)
        flows, pair_demand = self._flows(values)
        load = np.bincount(self.merged.indices, flows, minlength=n_candidates)
        served_merged = np.bincount(pair_demand, flows, minlength=self.merged.shape[0])
        share = np.divide(served_merged, self.merged_weights, out=np.zeros_like(served_merged), where=self.merged_weights > 0)
        before = self.already.astype(float)
        return Plan(
            site_index=opened,
            objective=float(flows.sum() + self.weights[self.already].sum()),
            weights=self.weights,
            served_before=before,
            served_after=np.maximum(before, np.clip(share[self.inverse], 0.0, 1.0)),
            communities=self.communities,
            site_columns={"served_people": load[opened], "capacity": self.capacities[opened], "cost_yuan": self.costs[opened]},
        )

    def _plan_nothing(self) -> Plan:
        before = self.already.astype(float)
        return Plan(np.array([], dtype=int), float(self.weights[self.already].sum()), self.weights, before, before,
                    communities=self.communities)

    def _verify(self, plan: Plan, outcome: SolverOutcome) -> None:
        n_candidates = len(self.capacities)
        flows, pair_demand = self._flows(outcome.values)
        tol = FEASIBILITY_TOL * max(1.0, self.weights.sum())
        is_open = np.zeros(n_candidates, dtype=bool)
        is_open[plan.site_index] = True
        if flows[~is_open[self.merged.indices]].sum() > tol:
            raise self._violation("people assigned to a site that is not open")
        load = np.bincount(self.merged.indices, flows, minlength=n_candidates)
        if (load > self.capacities + tol).any():
            site = int(np.argmax(load - self.capacities))
            raise self._violation(f"site {site} serves {load[site]:.1f} > capacity {self.capacities[site]:.1f}")
        if (np.bincount(pair_demand, flows, minlength=len(self.merged_weights)) > self.merged_weights + tol).any():
            raise self._violation("more people served than live at a demand point")
        if self.p is not None and len(plan.site_index) > self.p:
            raise self._violation(f"{len(plan.site_index)} sites opened, p = {self.p}")
        if self.budget is not None and self.costs[plan.site_index].sum() > self.budget * (1 + FEASIBILITY_TOL):
            raise self._violation("budget exceeded")
