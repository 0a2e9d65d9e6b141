"""Several facility types in one budgeted model, with per-type minimums and an equity floor.

For each type ``t``: ``x_ti`` opens type ``t`` at candidate ``i`` and ``y_tj`` (0–1) marks
demand ``j`` covered. Constraints: ``y_tj <= sum_{i reaches j} x_ti``; each candidate hosts
at most one facility (or, with ``floor_area_m2``, the types' areas fit its floor area);
``sum_i x_ti >= min_count_t``; total cost within the budget; and, with ``equity_floor``,
every community's population-weighted coverage of every type reaches the floor.
The objective is the sum over types of people covered (weights per type come from the
caller, e.g. residents aged 60+ for meal halls).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimize import checks
from optimize.model import FEASIBILITY_TOL, LocationModel, Plan, community_table
from optimize.program import LinearProgram, SolverOutcome, rows, solve_program
from optimize.reach import Reduction, check_reach, merge_demand, reached_by, structure
from optimize.result import Notice
from planning.base.errors import PlanningError


@dataclass
class TypeInput:
    """One facility type's data in a :class:`MultiTypeBudget` model (the model's input, not the
    catalogue's :class:`planning.base.catalogue.FacilityType`).

    Parameters
    ----------
    name
        Type name shown to users (e.g. ``"社区食堂"``).
    reach
        ``(n_candidates, n_demand)`` reach set for this type's tier.
    weights
        People this type serves at each demand point (e.g. residents 60+).
    costs_yuan
        Cost of building this type at each candidate; ``inf`` = cannot host it.
    already_covered
        Demand points existing facilities of this type already reach.
    min_count
        Fewest new facilities of this type.
    area_m2
        Floor area one facility needs (used with ``floor_area_m2`` of the model).
    """

    name: str
    reach: sp.csr_array
    weights: np.ndarray
    costs_yuan: np.ndarray | float
    already_covered: np.ndarray | None = None
    min_count: int = 0
    area_m2: float = 0.0


@dataclass
class _Type:
    spec: TypeInput
    reach: sp.csr_array
    weights: np.ndarray
    costs: np.ndarray
    already: np.ndarray
    pattern: sp.csr_array  # candidates × merged demand
    merged_weights: np.ndarray
    merged_group: np.ndarray


class MultiTypeBudget(LocationModel):
    """Site several facility types at once within one budget (yuan)."""

    name = "multi_type"

    @classmethod
    def from_types(
        cls,
        types: list[TypeInput],
        budget_yuan: float,
        communities: np.ndarray | None = None,
        equity_floor: float | None = None,
        floor_area_m2: np.ndarray | None = None,
        candidates: pd.DataFrame | None = None,
    ) -> MultiTypeBudget:
        """Build the model.

        Parameters
        ----------
        types
            The facility types, all over the same candidates and demand points.
        budget_yuan
            Total budget for all new facilities.
        communities
            Community of each demand point (needed for ``equity_floor``).
        equity_floor
            Share (0–1) of each community's people every type must cover.
        floor_area_m2
            Floor area per candidate; when given, a candidate may host several types
            whose ``area_m2`` fit, instead of at most one facility.
        candidates
            Candidate table (GeoDataFrame with ``id``).
        """
        start = time.perf_counter()
        if not types:
            raise PlanningError("optimize_missing_input", what="types")
        first = check_reach(types[0].reach)
        n_candidates, n_demand = first.shape
        communities = checks.labels(communities, n_demand, "communities")
        if equity_floor is not None and (communities is None or not 0 < equity_floor <= 1):
            raise PlanningError("optimize_bad_equity_floor", floor=equity_floor)
        group_names, group = np.unique(communities if communities is not None else np.zeros(n_demand, dtype=str), return_inverse=True)
        prepared = [cls._prepare(spec, n_candidates, n_demand, group) for spec in types]
        all_costs = np.concatenate([t.costs for t in prepared])
        budget = checks.budget(budget_yuan, all_costs[np.isfinite(all_costs)].min())
        cls._check_counts(prepared, budget)
        area = None if floor_area_m2 is None else checks.numbers(floor_area_m2, n_candidates, "floor_area_m2")
        model = cls(None, Reduction(n_candidates, n_candidates, n_demand * len(types), sum(len(t.merged_weights) for t in prepared)), 0.0, checks.candidates_frame(candidates, n_candidates))
        model.types, model.budget, model.area, model.floor = prepared, budget, area, equity_floor
        model.communities, model.group_names, model.group = communities, group_names, group
        if equity_floor is not None:
            model._check_equity_reachable()
        model.program, model.equity_labels, model.equity_rows = model._build()
        model.build_seconds = time.perf_counter() - start
        return model

    @staticmethod
    def _prepare(spec: TypeInput, n_candidates: int, n_demand: int, group: np.ndarray) -> _Type:
        reach = check_reach(spec.reach, n_demand)
        if reach.shape[0] != n_candidates:
            raise PlanningError("optimize_length_mismatch", what=f"{spec.name} reach", got=reach.shape[0], expected=n_candidates)
        weights = checks.numbers(spec.weights, n_demand, f"{spec.name} weights")
        costs = checks.numbers(spec.costs_yuan, n_candidates, f"{spec.name} costs_yuan", allow_inf=True)
        already = checks.mask(spec.already_covered, n_demand, f"{spec.name} already_covered")
        need = np.flatnonzero(~already & (weights > 0))
        pattern = structure(reach)[:, need]
        representative, inverse = merge_demand(pattern, group[need])
        merged_weights = np.bincount(inverse, weights[need], minlength=len(representative))
        pattern = sp.csr_array(pattern[:, representative])
        return _Type(spec, reach, weights, costs, already, pattern, merged_weights, group[need][representative])

    @staticmethod
    def _check_counts(types: list[_Type], budget: float) -> None:
        needed = 0.0
        for t in types:
            allowed = np.sort(t.costs[np.isfinite(t.costs)])
            if t.spec.min_count > len(allowed):
                raise PlanningError("optimize_min_count_above_candidates", type=t.spec.name, count=t.spec.min_count, available=len(allowed))
            needed += allowed[: t.spec.min_count].sum()
        if needed > budget:
            raise PlanningError("optimize_budget_below_minimum_counts", budget=f"{budget:,.0f}", needed=f"{needed:,.0f}")

    def _check_equity_reachable(self) -> None:
        for t in self.types:
            allowed = np.flatnonzero(np.isfinite(t.costs))
            best = t.already | reached_by(t.reach, allowed)
            total = np.bincount(self.group, t.weights, minlength=len(self.group_names))
            covered = np.bincount(self.group, t.weights * best, minlength=len(self.group_names))
            short = (total > 0) & (covered < self.floor * total - FEASIBILITY_TOL)
            if short.any():
                g = int(np.flatnonzero(short)[0])
                raise PlanningError(
                    "optimize_equity_unreachable",
                    community=self.group_names[g], type=t.spec.name,
                    best=f"{covered[g] / total[g]:.1%}", floor=f"{self.floor:.0%}",
                )

    def _build(self) -> tuple[LinearProgram, list[str], np.ndarray]:
        n_candidates = self.reduction.candidates_before
        n_types = len(self.types)
        widths = [n_candidates] * n_types + [len(t.merged_weights) for t in self.types]
        offsets = np.concatenate([[0], np.cumsum(widths)])
        n_cols = int(offsets[-1])

        def place(block, k):
            block = sp.csr_array(block)
            return sp.hstack([sp.csr_array((block.shape[0], offsets[k])), block, sp.csr_array((block.shape[0], n_cols - offsets[k] - block.shape[1]))], format="csr")

        blocks, lower, upper = [], [], []

        def add(block, lo, hi):
            blocks.append(block)
            lower.append(np.asarray(lo, dtype=float))
            upper.append(np.asarray(hi, dtype=float))

        for k, t in enumerate(self.types):
            n_merged = len(t.merged_weights)
            add(place(-t.pattern.T, k) + place(sp.eye_array(n_merged), n_types + k), np.full(n_merged, -np.inf), np.zeros(n_merged))
        share = sum(place(sp.eye_array(n_candidates) * (1.0 if self.area is None else t.spec.area_m2), k) for k, t in enumerate(self.types))
        add(share, np.full(n_candidates, -np.inf), np.ones(n_candidates) if self.area is None else self.area)
        for k, t in enumerate(self.types):
            if t.spec.min_count > 0:
                add(place(np.ones((1, n_candidates)), k), [t.spec.min_count], [np.inf])
        finite_costs = [np.where(np.isfinite(t.costs), t.costs, 0.0) for t in self.types]
        add(place(np.concatenate(finite_costs)[None, :], 0), [-np.inf], [self.budget])
        labels, first_equity = [], sum(b.shape[0] for b in blocks)
        if self.floor is not None:
            for k, t in enumerate(self.types):
                total = np.bincount(self.group, t.weights, minlength=len(self.group_names))
                done = np.bincount(self.group, t.weights * t.already, minlength=len(self.group_names))
                missing = self.floor * total - done
                for g in np.flatnonzero(missing > FEASIBILITY_TOL * np.maximum(total, 1)):
                    add(place(np.where(t.merged_group == g, t.merged_weights, 0.0)[None, :], n_types + k), [missing[g]], [np.inf])
                    labels.append(f"{self.group_names[g]}（{t.spec.name}）")
        matrix, row_lower, row_upper = rows(blocks, lower, upper)
        col_upper = np.concatenate([np.isfinite(t.costs).astype(float) for t in self.types] + [np.ones(len(t.merged_weights)) for t in self.types])
        program = LinearProgram(
            cost=np.concatenate([np.zeros(n_candidates * n_types)] + [t.merged_weights for t in self.types]),
            matrix=matrix, row_lower=row_lower, row_upper=row_upper,
            col_lower=np.zeros(n_cols), col_upper=col_upper,
            integer=np.arange(n_cols) < n_candidates * n_types, maximize=True,
            offset=float(sum(t.weights[t.already].sum() for t in self.types)),
        )
        return program, labels, first_equity + np.arange(len(labels))

    def _explain_failure(self, outcome: SolverOutcome, solver: str) -> list[Notice]:
        if outcome.status != "infeasible":
            return super()._explain_failure(outcome, solver)
        short = self._communities_short(solver)
        if short:
            return [Notice.of("optimize_equity_budget", floor=f"{self.floor:.0%}", communities="、".join(short))]
        types = "、".join(f"{t.spec.name} ≥ {t.spec.min_count}" for t in self.types if t.spec.min_count)
        return [Notice.of("optimize_min_counts_conflict", types=types or "—")]

    def _communities_short(self, solver: str) -> list[str]:
        """Relax every equity row with a slack; the rows that need slack name the communities."""
        n_equity = len(self.equity_rows)
        if n_equity == 0:
            return []
        program = self.program
        slack = sp.csr_array((np.ones(n_equity), (self.equity_rows, np.arange(n_equity))), shape=(program.matrix.shape[0], n_equity))
        relaxed = LinearProgram(
            cost=np.concatenate([np.zeros(len(program.cost)), 1.0 / program.row_lower[self.equity_rows]]),
            matrix=sp.hstack([program.matrix, slack], format="csr"),
            row_lower=program.row_lower, row_upper=program.row_upper,
            col_lower=np.zeros(len(program.cost) + n_equity),
            col_upper=np.concatenate([program.col_upper, np.full(n_equity, np.inf)]),
            integer=np.concatenate([program.integer, np.zeros(n_equity, dtype=bool)]), maximize=False,
        )
        outcome = solve_program(relaxed, solver)
        if outcome.values is None:
            return []
        needed = outcome.values[len(program.cost):] > FEASIBILITY_TOL * np.maximum(program.row_lower[self.equity_rows], 1.0)
        return [label for label, short in zip(self.equity_labels, needed) if short]

    def _opened(self, values: np.ndarray) -> list[np.ndarray]:
        n_candidates = self.reduction.candidates_before
        return [np.flatnonzero(values[k * n_candidates : (k + 1) * n_candidates] > 0.5) for k in range(len(self.types))]

    def _decode(self, values: np.ndarray) -> Plan:
        opened = self._opened(values)
        covered = [t.already | reached_by(t.reach, o) for t, o in zip(self.types, opened)]
        return self._plan(opened, covered)

    def _plan(self, opened: list[np.ndarray], covered: list[np.ndarray]) -> Plan:
        n_types = len(self.types)
        return Plan(
            site_index=np.concatenate(opened).astype(int),
            objective=float(sum(t.weights[c].sum() for t, c in zip(self.types, covered))),
            weights=np.concatenate([t.weights for t in self.types]),
            served_before=np.concatenate([t.already for t in self.types]).astype(float),
            served_after=np.concatenate(covered).astype(float),
            site_columns={
                "type": np.concatenate([[t.spec.name] * len(o) for t, o in zip(self.types, opened)]).astype(str),
                "cost_yuan": np.concatenate([t.costs[o] for t, o in zip(self.types, opened)]),
            },
            communities=None if self.communities is None else np.tile(self.communities, n_types),
            demand_type=np.repeat([t.spec.name for t in self.types], len(self.group)),
        )

    def _plan_nothing(self) -> Plan:
        return self._plan([np.array([], dtype=int)] * len(self.types), [t.already for t in self.types])

    def _verify(self, plan: Plan, outcome: SolverOutcome) -> None:
        opened = self._opened(outcome.values)
        n_candidates = self.reduction.candidates_before
        hosted = sum(np.bincount(o, minlength=n_candidates) * (1.0 if self.area is None else t.spec.area_m2) for t, o in zip(self.types, opened))
        if (hosted > (1.0 if self.area is None else self.area) + FEASIBILITY_TOL).any():
            raise self._violation("a candidate hosts more facilities than it can")
        if plan.site_columns["cost_yuan"].sum() > self.budget * (1 + FEASIBILITY_TOL):
            raise self._violation("budget exceeded")
        start = n_candidates * len(self.types)
        for t, o in zip(self.types, opened):
            if len(o) < t.spec.min_count:
                raise self._violation(f"{t.spec.name}: {len(o)} sites < minimum {t.spec.min_count}")
            claimed = outcome.values[start : start + len(t.merged_weights)] > FEASIBILITY_TOL
            start += len(t.merged_weights)
            reached = t.pattern.T @ np.isin(np.arange(n_candidates), o).astype(float) > 0
            if (claimed & ~reached).any():
                raise self._violation(f"{t.spec.name}: demand counted as covered outside every open site's reach")
        table = plan.communities is not None and self.floor is not None
        if table and (community_table(plan)["coverage_after"] < self.floor - 1e-6).any():
            raise self._violation("equity floor not met")
