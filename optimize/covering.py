"""Covering models: MCLP (best p sites) and LSCP (fewest sites for full or partial cover).

Both are built on the reduced problem: demand points that need no new site (already covered,
zero weight, or — for MCLP — out of every candidate's reach) leave the program, demand points
with identical reach sets merge, and dominated candidates drop (:mod:`optimize.reach`).
The decoded plan is then re-checked against the *original* reach set.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimize import checks
from optimize.model import FEASIBILITY_TOL, LocationModel, Plan
from optimize.program import LinearProgram, SolverOutcome, rows
from optimize.reach import (
    Reduction,
    check_reach,
    drop_dominated,
    merge_demand,
    reached_by,
    structure,
    unreachable,
)
from optimize.result import Notice
from planning.base.errors import PlanningError


@dataclass
class _Covering:
    """The reduced covering problem shared by MCLP and LSCP."""

    reach: sp.csr_array
    weights: np.ndarray
    already: np.ndarray
    costs: np.ndarray
    pattern: sp.csr_array  # kept candidates × merged demand, 0/1
    kept: np.ndarray  # original index of each kept candidate
    merged_weights: np.ndarray
    communities: np.ndarray | None

    @classmethod
    def reduce(cls, reach, weights, already, costs, communities, need: np.ndarray) -> tuple[_Covering, Reduction]:
        pattern = structure(reach)[:, np.flatnonzero(need)]
        representative, inverse = merge_demand(pattern)
        merged_weights = np.bincount(inverse, weights[need], minlength=len(representative))
        pattern = sp.csr_array(pattern[:, representative])
        kept = drop_dominated(pattern, merged_weights, costs)
        covering = cls(reach, weights, already, costs, sp.csr_array(pattern[kept]), kept, merged_weights, communities)
        reduction = Reduction(reach.shape[0], len(kept), reach.shape[1], len(representative))
        return covering, reduction

    def link_rows(self, with_y: bool) -> sp.sparray:
        """``y_j - sum_{i reaches j} x_i`` (with y) or ``sum_{i reaches j} x_i`` per merged demand."""
        if not with_y:
            return sp.csr_array(self.pattern.T)
        return sp.hstack([-self.pattern.T, sp.eye_array(self.pattern.shape[1])], format="csr")

    def greedy_start(self, p: int, budget: float | None, with_y: bool) -> np.ndarray:
        """A feasible start: repeatedly open the affordable site adding the most uncovered people."""
        n_kept = len(self.kept)
        costs = self.costs[self.kept]
        opened = np.zeros(n_kept, dtype=bool)
        uncovered = np.ones(len(self.merged_weights), dtype=bool)
        left = np.inf if budget is None else budget
        for _ in range(p):
            gain = self.pattern @ (self.merged_weights * uncovered)
            gain[opened | (costs > left)] = -1.0
            best = int(np.argmax(gain))
            if gain[best] <= 0:
                break
            opened[best], left = True, left - costs[best]
            uncovered &= ~(self.pattern[[best]].toarray().ravel() > 0)
        return np.concatenate([opened, ~uncovered] if with_y else [opened]).astype(float)

    def plan(self, values: np.ndarray, objective_of) -> Plan:
        opened = self.kept[values[: len(self.kept)] > 0.5]
        covered = self.already | reached_by(self.reach, opened)
        return Plan(
            site_index=opened,
            objective=objective_of(opened, covered),
            weights=self.weights,
            served_before=self.already.astype(float),
            served_after=covered.astype(float),
            communities=self.communities,
            site_columns={"cost_yuan": self.costs[opened]},
        )

    def nothing(self, objective: float) -> Plan:
        return Plan(np.array([], dtype=int), objective, self.weights, self.already.astype(float), self.already.astype(float), communities=self.communities, site_columns={"cost_yuan": np.array([])})

    def check_claims(self, model: LocationModel, values: np.ndarray, plan: Plan) -> None:
        """Every merged demand point the solver counts as covered is reached by an open site."""
        n_kept = len(self.kept)
        claimed = values[n_kept:] > FEASIBILITY_TOL
        opened = values[:n_kept] > 0.5
        reached = (self.pattern.T @ opened.astype(float)) > 0
        if (claimed & ~reached).any():
            raise model._violation(f"{int((claimed & ~reached).sum())} demand points counted as covered lie outside every open site's reach")


def _reduced_start(reach, weights, already_covered, costs, candidates, communities):
    reach = check_reach(reach)
    n_candidates, n_demand = reach.shape
    weights = checks.numbers(weights, n_demand, "weights", default=1.0)
    already = checks.mask(already_covered, n_demand, "already_covered")
    costs = checks.numbers(costs, n_candidates, "costs", default=1.0)
    candidates = checks.candidates_frame(candidates, n_candidates)
    communities = checks.labels(communities, n_demand, "communities")
    return reach, weights, already, costs, candidates, communities


class MCLP(LocationModel):
    """Maximal covering: open ``p`` new sites to cover the most people within the tier.

    Demand points in ``already_covered`` (reached by existing facilities) count as covered
    and need no new site. The objective is all people covered, existing cover included.
    """

    name = "mclp"

    @classmethod
    def from_reach(
        cls,
        reach: sp.csr_array,
        weights: np.ndarray,
        p: int,
        already_covered: np.ndarray | None = None,
        costs: np.ndarray | None = None,
        budget_yuan: float | None = None,
        candidates: pd.DataFrame | None = None,
        communities: np.ndarray | None = None,
    ) -> MCLP:
        """Build the model.

        Parameters
        ----------
        reach
            ``(n_candidates, n_demand)`` CSR reach set (structure = within the tier).
        weights
            People at each demand point.
        p
            Most new sites to open (fewer when more would add nobody).
        already_covered
            Demand points existing facilities already reach.
        costs, budget_yuan
            Cost per candidate (yuan) and an optional budget on their sum.
        candidates
            Candidate table (GeoDataFrame with ``id``); chosen rows are returned.
        communities
            Community label of each demand point, for per-community coverage.
        """
        start = time.perf_counter()
        reach, weights, already, costs, candidates, communities = _reduced_start(reach, weights, already_covered, costs, candidates, communities)
        p = checks.count_p(p, reach.shape[0])
        budget = checks.budget(budget_yuan, costs.min())
        need = ~already & (weights > 0) & ~unreachable(reach)
        covering, reduction = _Covering.reduce(reach, weights, already, costs, communities, need)
        program = cls._program(covering, p, budget) if need.any() else None
        if program is not None:
            program.start = covering.greedy_start(p, budget, with_y=True)
        model = cls(program, reduction, time.perf_counter() - start, candidates)
        model.covering, model.p, model.budget = covering, p, budget
        return model

    @staticmethod
    def _program(covering: _Covering, p: int, budget: float | None) -> LinearProgram:
        link = covering.link_rows(with_y=True)
        n_kept = len(covering.kept)
        n_merged = len(covering.merged_weights)
        n_cols = n_kept + n_merged
        pick = sp.hstack([sp.csr_array(np.ones((1, n_kept))), sp.csr_array((1, n_merged))])
        blocks, lower, upper = [link, pick], [np.full(n_merged, -np.inf), [-np.inf]], [np.zeros(n_merged), [p]]
        if budget is not None:
            blocks.append(sp.hstack([sp.csr_array(covering.costs[covering.kept][None, :]), sp.csr_array((1, n_merged))]))
            lower.append([-np.inf])
            upper.append([budget])
        matrix, row_lower, row_upper = rows(blocks, lower, upper)
        return LinearProgram(
            cost=np.concatenate([np.zeros(n_kept), covering.merged_weights]),
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=np.zeros(n_cols),
            col_upper=np.ones(n_cols),
            integer=np.arange(n_cols) < n_kept,
            maximize=True,
            offset=float(covering.weights[covering.already].sum()),
        )

    def _decode(self, values: np.ndarray) -> Plan:
        return self.covering.plan(values, lambda opened, covered: float(self.covering.weights[covered].sum()))

    def _plan_nothing(self) -> Plan:
        return self.covering.nothing(float(self.covering.weights[self.covering.already].sum()))

    def _verify(self, plan: Plan, outcome: SolverOutcome) -> None:
        cov = self.covering
        if len(plan.site_index) > self.p:
            raise self._violation(f"{len(plan.site_index)} sites opened, p = {self.p}")
        if self.budget is not None and cov.costs[plan.site_index].sum() > self.budget * (1 + FEASIBILITY_TOL):
            raise self._violation("budget exceeded")
        cov.check_claims(self, outcome.values, plan)
        if plan.objective < outcome.objective - FEASIBILITY_TOL * max(1.0, outcome.objective):
            raise self._violation(f"solver claims {outcome.objective:.3f} people covered, sites reach {plan.objective:.3f}")

    def _notices(self, plan: Plan) -> list[Notice]:
        if len(plan.site_index) < self.p:
            return [Notice.of("optimize_fewer_sites_than_p", used=len(plan.site_index), p=self.p)]
        return []


class LSCP(LocationModel):
    """Set covering: the fewest new sites (or least cost) so that every demand point — or a
    population share such as 95 % — is covered within the tier."""

    name = "lscp"

    @classmethod
    def from_reach(
        cls,
        reach: sp.csr_array,
        weights: np.ndarray | None = None,
        share: float = 1.0,
        already_covered: np.ndarray | None = None,
        costs: np.ndarray | None = None,
        candidates: pd.DataFrame | None = None,
        communities: np.ndarray | None = None,
        demand_ids: np.ndarray | None = None,
    ) -> LSCP:
        """Build the model.

        Parameters
        ----------
        reach
            ``(n_candidates, n_demand)`` CSR reach set.
        weights
            People per demand point (default 1 each); used for ``share`` and coverage.
        share
            Population share that must be covered (0–1, default all).
        already_covered
            Demand points existing facilities already reach.
        costs
            Cost per candidate (yuan); minimise total cost instead of the site count.
        candidates, communities
            As for :meth:`MCLP.from_reach`.
        demand_ids
            Demand point ids, used to name unreachable points in errors.
        """
        start = time.perf_counter()
        reach, weights, already, costs, candidates, communities = _reduced_start(reach, weights, already_covered, costs, candidates, communities)
        if not 0 < share <= 1:
            raise PlanningError("optimize_bad_share", share=share)
        ids = checks.labels(demand_ids, reach.shape[1], "demand_ids")
        need = ~already & (weights > 0)
        cls._check_reachable(reach, weights, need, share, ids)
        need &= ~unreachable(reach)
        total = weights.sum()
        missing = share * total - weights[already].sum()
        covering, reduction = _Covering.reduce(reach, weights, already, costs, communities, need)
        program = cls._program(covering, share, missing) if missing > FEASIBILITY_TOL * total and need.any() else None
        model = cls(program, reduction, time.perf_counter() - start, candidates)
        model.covering, model.share = covering, share
        return model

    @staticmethod
    def _check_reachable(reach, weights, need, share, ids) -> None:
        lost = need & unreachable(reach)
        if not lost.any():
            return
        positions = np.flatnonzero(lost)
        best = 1 - weights[lost].sum() / weights.sum()
        if share >= 1 or best < share - FEASIBILITY_TOL:
            raise PlanningError(
                "optimize_lscp_unreachable",
                count=len(positions),
                ids=checks.first_ids(ids, positions),
                best=f"{best:.1%}",
                share=f"{share:.1%}",
            )

    @staticmethod
    def _program(covering: _Covering, share: float, missing: float) -> LinearProgram:
        n_kept, n_merged = covering.pattern.shape
        kept_costs = covering.costs[covering.kept]
        if share >= 1:
            link = covering.link_rows(with_y=False)
            matrix, lower, upper = rows([link], [np.ones(n_merged)], [np.full(n_merged, np.inf)])
            n_cols, cost = n_kept, kept_costs
        else:
            link = covering.link_rows(with_y=True)
            target = sp.hstack([sp.csr_array((1, n_kept)), sp.csr_array(covering.merged_weights[None, :])])
            matrix, lower, upper = rows([link, target], [np.full(n_merged, -np.inf), [missing]], [np.zeros(n_merged), [np.inf]])
            n_cols, cost = n_kept + n_merged, np.concatenate([kept_costs, np.zeros(n_merged)])
        return LinearProgram(
            cost=cost,
            matrix=matrix,
            row_lower=lower,
            row_upper=upper,
            col_lower=np.zeros(n_cols),
            col_upper=np.ones(n_cols),
            integer=np.arange(n_cols) < n_kept,
            maximize=False,
        )

    def _decode(self, values: np.ndarray) -> Plan:
        return self.covering.plan(values, lambda opened, covered: float(self.covering.costs[opened].sum()))

    def _plan_nothing(self) -> Plan:
        return self.covering.nothing(0.0)

    def _verify(self, plan: Plan, outcome: SolverOutcome) -> None:
        cov = self.covering
        achieved = cov.weights @ plan.served_after / cov.weights.sum()
        if achieved < self.share - FEASIBILITY_TOL:
            raise self._violation(f"covers {achieved:.4%} of people, {self.share:.4%} required")
        if self.share < 1:
            cov.check_claims(self, outcome.values, plan)
