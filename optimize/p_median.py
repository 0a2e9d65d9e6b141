"""p-median on sparse reach: open p sites, minimise population-weighted walking time.

The program is the radius formulation (Cornuéjols, Nemhauser & Wolsey 1980; Elloumi 2010).
For demand point i let ``D_i^1 < … < D_i^K`` be its distinct walking seconds to the
candidates that reach it. Variables: ``y_j`` (open, binary) and ``z_ik >= 0`` for
``k < K`` ("the nearest open site is farther than ``D_i^k``"); the objective is
``sum_i w_i (D_i^1 + sum_k (D_i^{k+1} - D_i^k) z_ik)`` with ``sum_j y_j = p`` and, for every k,
``z_ik + sum_{j: d_ij <= D_i^k} y_j >= 1`` (``z_iK = 0``: every point must be within reach
of an open site). Those prefix rows are stated in the equivalent chained form
``z_ik - z_i,k-1 + sum_{j: d_ij = D_i^k} y_j >= 0`` (``z_i0 = 1``), which telescopes to the
prefix rows and has the same LP relaxation but only one nonzero per reach entry plus two per
row, instead of ``sum_i K_i^2 / 2`` (8.5 million on a near-dense 178 × 1,112 reach). The
chained rows are the default: on the benchmark grids HiGHS solved them faster in 4 of 5
instances (``formulation = "radius_prefix"`` writes the prefix rows out). Distances from
which at least one of the nearer candidates must be open anyway (more than ``n - p`` of
them) are cut off (Elloumi's reduction). Each point is then assigned to its nearest open site.

The program is the same for every solver route (HiGHS arrays, PuLP HiGHS, CBC). The classic
assignment formulation (``x_ij <= y_j``, one variable per reach entry) is kept as
``formulation = "assignment"`` for cross-checks. Demand points with identical reach *and*
identical walking seconds (e.g. points snapped to one node) merge. The solver starts from a
greedy plan improved by site swaps (:mod:`optimize.p_median_start`), which is what a run that
stops at its time limit returns.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimize import checks
from optimize.model import FEASIBILITY_TOL, LocationModel, Plan
from optimize.p_median_start import greedy_nearest, improve_by_swaps
from optimize.p_median_cuts import solve_by_cuts
from optimize.program import LinearProgram, Progress, SolverOutcome, check_options, rows
from optimize.reach import Reduction, check_reach, merge_demand, unreachable
from optimize.result import Notice, OptimizeResult
from planning.base.errors import PlanningError


class PMedian(LocationModel):
    """Open exactly ``p`` sites; every demand point walks to an open site within reach.

    The objective is the sum over demand points of people × walking seconds.
    """

    name = "p_median"
    #: "radius" (chained rows, the default), "radius_prefix" (the same program with the prefix
    #: rows written out) or "assignment" (the classic x_ij <= y_j); the last two for cross-checks.
    formulation = "radius"

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
        weights = checks.numbers(weights, n_demand, "weights")
        p = checks.count_p(p, n_candidates)
        candidates = checks.candidates_frame(candidates, n_candidates)
        communities = checks.labels(communities, n_demand, "communities")
        need = weights > 0
        lost = need & unreachable(reach)
        if lost.any():
            positions = np.flatnonzero(lost)
            ids = checks.labels(demand_ids, n_demand, "demand_ids")
            raise PlanningError("optimize_pmedian_unreachable", count=len(positions), ids=checks.first_ids(ids, positions))
        by_demand = sp.csr_array(sp.csr_array(reach.T)[np.flatnonzero(need)])
        by_demand.sort_indices()
        representative, inverse = merge_demand(by_demand.T, with_seconds=True)
        merged = sp.csr_array(by_demand[representative])
        merged_weights = np.bincount(inverse, weights[need], minlength=len(representative))
        greedy = greedy_nearest(merged, merged_weights, p)
        nearest = None if greedy is None else improve_by_swaps(merged, merged_weights, greedy[0])
        model = cls(None, Reduction(n_candidates, n_candidates, n_demand, len(representative)), 0.0, candidates)
        model.reach, model.weights, model.p, model.communities, model.merged = reach, weights, p, communities, merged
        model.merged_weights, model.nearest = merged_weights, nearest
        model.build_seconds = time.perf_counter() - start
        return model

    @property
    def program(self) -> LinearProgram:
        """The whole program of :attr:`formulation`, written out when first asked for: the default
        solve (HiGHS, radius) adds only the cuts it needs (:mod:`optimize.p_median_cuts`)."""
        if self._program is None:
            merged, merged_weights, p, nearest = self.merged, self.merged_weights, self.p, self.nearest
            if self.formulation == "assignment":
                self._program = self._program_of(merged, merged_weights, p)
                self._program.start = None if nearest is None else _assignment_start(merged, nearest[0])
            else:
                radius = _Radius.of(merged, p)
                self._program = radius.program(merged_weights, p, chained=self.formulation != "radius_prefix")
                self._program.start = None if nearest is None else radius.start(nearest)
        return self._program

    @program.setter
    def program(self, value: LinearProgram | None) -> None:
        self._program = value

    def _nothing_to_do(self) -> bool:
        return False  # everyone must walk somewhere

    def _run(self, solver: str, time_limit_s, mip_gap, progress: Progress | None) -> SolverOutcome:
        """Branch and cut for the default route; the written-out program for the others."""
        if solver != "highs" or self.formulation != "radius":
            return super()._run(solver, time_limit_s, mip_gap, progress)
        check_options(solver, time_limit_s, mip_gap)
        start = None if self.nearest is None else self.nearest[0]
        return solve_by_cuts(self.merged, self.merged_weights, self.p, start, time_limit_s, mip_gap, progress)

    @staticmethod
    def _program_of(merged: sp.csr_array, merged_weights: np.ndarray, p: int) -> LinearProgram:
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

    def _result(self, status, plan: Plan, gap, solve_seconds, solver, notices) -> OptimizeResult:
        """p-median has no coverage tier (everyone walks to an open site): coverage is NaN, and
        each community gets its residents' mean walk to their nearest open site instead."""
        result = super()._result(status, plan, gap, solve_seconds, solver, notices)
        result.coverage_before = result.coverage_after = float("nan")
        result.community_coverage = _mean_walk_by_community(plan)
        return result

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
        if self.formulation == "assignment":
            assigned = outcome.values[n_candidates:] > 0.5
            is_open = outcome.values[:n_candidates] > 0.5
            if (assigned & ~is_open[self.merged.indices]).any():
                raise self._violation("demand assigned to a site that is not open")
        if (self.weights > 0).any() and (plan.served_after[self.weights > 0] < 1).any():
            raise self._violation("a demand point has no open site within reach")
        if plan.objective > outcome.objective + FEASIBILITY_TOL * max(1.0, outcome.objective):
            raise self._violation(f"solver claims {outcome.objective:.3f}, nearest open sites give {plan.objective:.3f}")


def _mean_walk_by_community(plan: Plan) -> pd.DataFrame | None:
    """Per community: people and their population-weighted mean walk (minutes) to the nearest open site."""
    if plan.communities is None or "walk_seconds" not in plan.details:
        return None
    seconds = plan.details["walk_seconds"]
    people = np.where(np.isfinite(seconds), plan.weights, 0.0)
    frame = pd.DataFrame({"community": plan.communities, "population": plan.weights,
                          "reached": people, "walk": np.where(people > 0, seconds, 0.0) * people})
    table = frame.groupby("community", sort=True).sum().reset_index()
    table["mean_walk_minutes"] = table["walk"] / table["reached"].where(table["reached"] > 0) / 60
    return table[["community", "population", "mean_walk_minutes"]]


def _assignment_start(merged: sp.csr_array, opened: np.ndarray) -> np.ndarray:
    """Start for the assignment formulation: the open sites, each point assigned to its nearest."""
    pair_demand = np.repeat(np.arange(merged.shape[0]), np.diff(merged.indptr))
    seconds = np.where(opened[merged.indices], merged.data, np.inf)
    order = np.lexsort((seconds, pair_demand))
    assign = np.zeros(merged.nnz)
    assign[order[merged.indptr[:-1]]] = 1.0
    return np.concatenate([opened.astype(float), assign])


class _Radius:
    """The distinct-distance levels of every merged demand point, cut off where redundant.

    Levels are numbered row-major (point, then increasing distance); ``level_*`` arrays have
    one entry per kept level, ``entry_*`` one per reach entry whose level is kept.
    """

    def __init__(self, **arrays) -> None:
        self.__dict__.update(arrays)

    @classmethod
    def of(cls, merged: sp.csr_array, p: int) -> _Radius:
        n_merged, n_candidates = merged.shape
        row = np.repeat(np.arange(n_merged), np.diff(merged.indptr))
        order = np.lexsort((merged.data, row))
        seconds, site = merged.data[order], merged.indices[order]
        starts = np.ones(len(row), dtype=bool)
        starts[1:] = (row[1:] != row[:-1]) | (seconds[1:] != seconds[:-1])
        level = np.cumsum(starts) - 1  # global level of each entry
        level_point = row[starts]
        level_seconds = seconds[starts]
        first_level = level[merged.indptr[:-1]]  # every merged point has at least one entry
        level_k = np.arange(len(level_point)) - first_level[level_point]
        n_levels = np.diff(np.append(first_level, len(level_point)))
        # Elloumi: once more than n - p candidates lie within D_ik, one of them is open.
        within = np.cumsum(np.bincount(level, minlength=len(level_point)))
        within -= merged.indptr[:-1][level_point]  # entries of the point's earlier levels only
        full = within >= n_candidates - p + 1
        cut = n_levels.copy()
        np.minimum.at(cut, level_point[full], level_k[full] + 1)
        keep = level_k < cut[level_point]
        kept_index = np.cumsum(keep) - 1  # new number of each kept level
        entry_keep = keep[level]
        n_z = cut - 1
        z_start = np.append(0, np.cumsum(n_z))[:-1] + n_candidates
        return cls(
            n_candidates=n_candidates,
            cut=cut,
            z_start=z_start,
            n_z=int(n_z.sum()),
            level_point=level_point[keep],
            level_k=level_k[keep],
            level_seconds=level_seconds[keep],
            entry_site=site[entry_keep],
            entry_level=kept_index[level[entry_keep]],
        )

    def program(self, merged_weights: np.ndarray, p: int, chained: bool = True) -> LinearProgram:
        n_candidates, n_levels = self.n_candidates, len(self.level_point)
        point, k = self.level_point, self.level_k
        has_z = k < self.cut[point] - 1  # z_ik exists for every level but the last
        z_col = self.z_start[point] + k  # column of z_ik (where it exists)
        level_ids = np.arange(n_levels)
        if chained:
            y_rows, y_cols = self.entry_level, self.entry_site
            has_prev = k > 0  # -z_i,k-1 in row (i, k)
            row_parts = [y_rows, level_ids[has_z], level_ids[has_prev]]
            col_parts = [y_cols, z_col[has_z], z_col[has_prev] - 1]
            val_parts = [np.ones(len(y_rows)), np.ones(int(has_z.sum())), -np.ones(int(has_prev.sum()))]
            lower = np.where(k == 0, 1.0, 0.0)
        else:  # prefix rows: entry of level k of point i appears in rows (i, k), …, (i, last)
            copies = self.cut[point[self.entry_level]] - k[self.entry_level]
            source = np.repeat(np.arange(len(self.entry_level)), copies)
            step = np.arange(len(source)) - np.repeat(np.cumsum(copies) - copies, copies)
            row_parts = [self.entry_level[source] + step, level_ids[has_z]]
            col_parts = [self.entry_site[source], z_col[has_z]]
            val_parts = [np.ones(len(source)), np.ones(int(has_z.sum()))]
            lower = np.ones(n_levels)
        n_cols = n_candidates + self.n_z
        levels = sp.csr_array(
            (np.concatenate(val_parts), (np.concatenate(row_parts), np.concatenate(col_parts))),
            shape=(n_levels, n_cols),
        )
        levels.sum_duplicates()
        count = sp.csr_array((np.ones(n_candidates), (np.zeros(n_candidates, dtype=int), np.arange(n_candidates))), shape=(1, n_cols))
        matrix, row_lower, row_upper = rows([levels, count], [lower, [p]], [np.full(n_levels, np.inf), [p]])
        step_cost = np.zeros(n_levels)
        step_cost[has_z] = merged_weights[point[has_z]] * (self.level_seconds[level_ids[has_z] + 1] - self.level_seconds[has_z])
        cost = np.zeros(n_cols)
        cost[z_col[has_z]] = step_cost[has_z]
        return LinearProgram(
            cost=cost,
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=np.zeros(n_cols),
            col_upper=np.ones(n_cols),
            integer=np.arange(n_cols) < n_candidates,
            maximize=False,
            offset=float(merged_weights @ self.level_seconds[k == 0]),
        )

    def start(self, nearest: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """Start vector from an open mask and each merged point's nearest open seconds."""
        opened, seconds = nearest
        point, k = self.level_point, self.level_k
        has_z = k < self.cut[point] - 1
        values = np.zeros(self.n_candidates + self.n_z)
        values[: self.n_candidates] = opened
        values[(self.z_start[point] + k)[has_z]] = (self.level_seconds < seconds[point])[has_z]
        return values
