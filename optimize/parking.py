"""Parking as a capacity deficit: build lots within budget to cut the unmet parking spaces.

Demand per demand unit (residential compound, building …):
``needed = households × cars_per_household``; ``deficit = max(0, needed − existing spaces
within a 5-min walk)``.

Sizing design: a candidate lot of ``capacity_spaces`` is built in ``levels`` equal steps
(e.g. a 3-storey ramp built 0–3 storeys, or a surface lot built in sections); building
``n`` of its ``L`` levels gives ``n × capacity / L`` spaces and costs
``fixed_cost_yuan + n × capacity / L × cost_per_space_yuan`` (the fixed part only if
``n > 0``). ``levels = 1`` means all or nothing.

Variables: ``open_i`` (binary), ``n_i`` (integer levels), ``f_ij >= 0`` spaces of lot ``i``
used by unit ``j`` (reach pairs only), ``u_j >= 0`` unmet spaces. Minimise
``sum u_j`` plus a tie-break of at most 0.001 space on cost, so that among plans with the
same unmet spaces the cheaper one is chosen.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimize import checks
from optimize.model import FEASIBILITY_TOL, LocationModel, Plan
from optimize.program import LinearProgram, SolverOutcome, rows
from optimize.reach import Reduction, check_reach, structure
from planning.base.errors import PlanningError

_COST_TIE_BREAK_SPACES = 1e-3


class ParkingDeficit(LocationModel):
    """Choose and size parking lots within a budget to minimise unmet parking spaces."""

    name = "parking"

    @classmethod
    def from_reach(
        cls,
        reach: sp.csr_array,
        households: np.ndarray,
        cars_per_household: np.ndarray | float,
        existing_spaces: np.ndarray,
        capacity_spaces: np.ndarray,
        cost_per_space_yuan: np.ndarray | float,
        budget_yuan: float,
        fixed_cost_yuan: np.ndarray | float = 0.0,
        levels: np.ndarray | int = 1,
        candidates: pd.DataFrame | None = None,
        communities: np.ndarray | None = None,
    ) -> ParkingDeficit:
        """Build the model.

        Parameters
        ----------
        reach
            ``(n_lots, n_units)`` reach set (a 5-minute walk).
        households, cars_per_household
            Households per demand unit and car ownership ratio (per unit or one value).
        existing_spaces
            Spaces already available within a 5-minute walk of each unit.
        capacity_spaces, cost_per_space_yuan, fixed_cost_yuan, levels
            Lot size when fully built, cost per space, fixed cost when built at all, and the
            number of equal steps it can be built in (see the module docstring).
        budget_yuan
            Total budget.
        candidates, communities
            As for :meth:`optimize.MCLP.from_reach`; residual deficit is reported per community.
        """
        start = time.perf_counter()
        reach = check_reach(reach)
        n_lots, n_units = reach.shape
        households = checks.numbers(households, n_units, "households")
        needed = households * checks.numbers(cars_per_household, n_units, "cars_per_household")
        existing = checks.numbers(existing_spaces, n_units, "existing_spaces")
        capacity = checks.numbers(capacity_spaces, n_lots, "capacity_spaces")
        per_space = checks.numbers(cost_per_space_yuan, n_lots, "cost_per_space_yuan")
        fixed = checks.numbers(fixed_cost_yuan, n_lots, "fixed_cost_yuan")
        steps = checks.numbers(levels, n_lots, "levels")
        if (steps < 1).any() or (steps != np.round(steps)).any():
            raise PlanningError("optimize_bad_levels")
        step_spaces = capacity / steps
        budget = checks.budget(budget_yuan, (fixed + per_space * step_spaces).min())
        deficit = np.clip(needed - existing, 0.0, None)
        model = cls(None, Reduction(n_lots, n_lots, n_units, n_units), 0.0, checks.candidates_frame(candidates, n_lots))
        model.reach, model.needed, model.existing, model.deficit = reach, needed, existing, deficit
        model.fixed, model.per_space, model.steps, model.step_spaces, model.budget = fixed, per_space, steps, step_spaces, budget
        model.communities = checks.labels(communities, n_units, "communities")
        model.by_unit = structure(sp.csr_array(reach.T))
        if deficit.sum() > FEASIBILITY_TOL:
            model.program = model._build()
        model.build_seconds = time.perf_counter() - start
        return model

    def _build(self) -> LinearProgram:
        n_units, n_lots = self.by_unit.shape
        n_pairs = self.by_unit.nnz
        pairs = np.arange(n_pairs)
        pair_lot = self.by_unit.indices
        # columns: open (n_lots) | levels (n_lots) | flows (n_pairs) | unmet (n_units)
        lot_zero = sp.csr_array((n_units, 2 * n_lots))
        demand = sp.hstack([lot_zero, sp.csr_array((np.ones(n_pairs), pairs, self.by_unit.indptr), shape=(n_units, n_pairs)), sp.eye_array(n_units)])
        supply = sp.hstack([
            sp.csr_array((n_lots, n_lots)), sp.diags_array(-self.step_spaces),
            sp.csr_array((np.ones(n_pairs), (pair_lot, pairs)), shape=(n_lots, n_pairs)), sp.csr_array((n_lots, n_units)),
        ])
        opening = sp.hstack([sp.diags_array(-self.steps), sp.eye_array(n_lots), sp.csr_array((n_lots, n_pairs + n_units))])
        cost_row = np.concatenate([self.fixed, self.per_space * self.step_spaces, np.zeros(n_pairs + n_units)])
        matrix, lower, upper = rows(
            [sp.csr_array(demand), sp.csr_array(supply), sp.csr_array(opening), sp.csr_array(cost_row[None, :])],
            [self.deficit, np.full(n_lots, -np.inf), np.full(n_lots, -np.inf), [-np.inf]],
            [self.deficit, np.zeros(n_lots), np.zeros(n_lots), [self.budget]],
        )
        n_cols = 2 * n_lots + n_pairs + n_units
        tie_break = _COST_TIE_BREAK_SPACES / max(self.budget, 1.0)
        return LinearProgram(
            cost=tie_break * cost_row + np.concatenate([np.zeros(2 * n_lots + n_pairs), np.ones(n_units)]),
            matrix=matrix, row_lower=lower, row_upper=upper,
            col_lower=np.zeros(n_cols),
            col_upper=np.concatenate([np.ones(n_lots), self.steps, np.full(n_pairs + n_units, np.inf)]),
            integer=np.arange(n_cols) < 2 * n_lots, maximize=False,
        )

    def _split(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n_units, n_lots = self.by_unit.shape
        built_levels = np.round(values[n_lots : 2 * n_lots])
        flows = np.clip(values[2 * n_lots : 2 * n_lots + self.by_unit.nnz], 0.0, None)
        served = np.bincount(np.repeat(np.arange(n_units), np.diff(self.by_unit.indptr)), flows, minlength=n_units)
        return built_levels, flows, served

    def _decode(self, values: np.ndarray) -> Plan:
        built_levels, flows, served = self._split(values)
        built = np.flatnonzero(built_levels > 0)
        spaces = built_levels * self.step_spaces
        used = np.bincount(self.by_unit.indices, flows, minlength=len(spaces))
        return self._plan(built, served, {
            "levels": built_levels[built], "spaces": spaces[built], "used_spaces": used[built],
            "cost_yuan": self.fixed[built] + self.per_space[built] * spaces[built],
        })

    def _plan(self, built: np.ndarray, served: np.ndarray, columns: dict) -> Plan:
        met_before = self.needed - self.deficit
        residual = np.clip(self.deficit - served, 0.0, None)
        table = pd.DataFrame({
            "community": self.communities if self.communities is not None else np.full(len(self.needed), "—"),
            "needed_spaces": self.needed, "existing_spaces": self.existing,
            "deficit_before": self.deficit, "new_spaces_used": served, "deficit_after": residual,
        }).groupby("community", sort=True).sum().reset_index()
        return Plan(
            site_index=built, objective=float(residual.sum()), weights=self.needed,
            served_before=_share(met_before, self.needed),
            served_after=_share(met_before + np.minimum(served, self.deficit), self.needed),
            communities=self.communities, site_columns=columns, details={"residual_deficit": table},
        )

    def _plan_nothing(self) -> Plan:
        return self._plan(np.array([], dtype=int), np.zeros(len(self.needed)), {})

    def _verify(self, plan: Plan, outcome: SolverOutcome) -> None:
        built_levels, flows, served = self._split(outcome.values)
        spaces = built_levels * self.step_spaces
        tol = FEASIBILITY_TOL * max(1.0, self.needed.sum())
        used = np.bincount(self.by_unit.indices, flows, minlength=len(spaces))
        if (used > spaces + tol).any():
            lot = int(np.argmax(used - spaces))
            raise self._violation(f"lot {lot} uses {used[lot]:.1f} spaces of {spaces[lot]:.1f} built")
        if (served > self.deficit + tol).any():
            raise self._violation("more spaces assigned than a unit lacks")
        if plan.site_columns["cost_yuan"].sum() > self.budget * (1 + FEASIBILITY_TOL):
            raise self._violation("budget exceeded")


def _share(met: np.ndarray, needed: np.ndarray) -> np.ndarray:
    return np.divide(met, needed, out=np.ones_like(met), where=needed > 0)
