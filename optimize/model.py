"""The life cycle every location model shares: build → solve → decode → re-verify → result.

A model subclass builds a :class:`~optimize.program.LinearProgram` in ``from_reach`` and
implements ``_decode`` (solver values → :class:`Plan`) and ``_verify`` (check the plan against
the original reach sets, raising on any violation). Everything else lives here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimize.program import LinearProgram, Progress, SolverOutcome, solve_program
from optimize.reach import Reduction
from optimize.result import Notice, OptimizeResult
from planning.base.errors import PlanningError
from planning.base.formatting import is_known, share_text

FEASIBILITY_TOL = 1e-6


@dataclass
class Plan:
    """A decoded solution: which candidates open, and how well demand is served.

    ``served_before`` / ``served_after`` are the served share (0–1) of each demand weight;
    ``demand_type`` labels demand rows when a model stacks several facility types.
    """

    site_index: np.ndarray
    objective: float
    weights: np.ndarray
    served_before: np.ndarray
    served_after: np.ndarray
    site_columns: dict[str, np.ndarray] = field(default_factory=dict)
    communities: np.ndarray | None = None
    demand_type: np.ndarray | None = None
    details: dict = field(default_factory=dict)


class LocationModel:
    """Base class; use a concrete model such as :class:`optimize.MCLP`."""

    name = "model"

    def __init__(
        self,
        program: LinearProgram | None,
        reduction: Reduction,
        build_seconds: float,
        candidates: pd.DataFrame | None,
    ) -> None:
        self.program = program
        self.reduction = reduction
        self.build_seconds = build_seconds
        self.candidates = candidates

    def solve(
        self, solver: str = "highs", time_limit_s: float | None = None, mip_gap: float | None = None,
        progress: Progress | None = None,
    ) -> OptimizeResult:
        """Solve and re-verify.

        Parameters
        ----------
        solver
            ``"highs"`` (HiGHS from arrays, default), ``"pulp_highs"`` (``pulp.HiGHS``) or
            ``"cbc"`` (``pulp.PULP_CBC_CMD``).
        time_limit_s
            Stop after this many seconds and return the best plan found (status ``time_limit``).
        mip_gap
            Relative optimality gap at which to stop (e.g. ``0.001`` for 0.1 %).
        progress
            Hears the solver's bounds and may stop it early (status ``time_limit``, with the best
            plan so far); the HiGHS route only.
        """
        if self._nothing_to_do():
            return self._result("nothing_to_do", self._plan_nothing(), 0.0, 0.0, solver, [Notice.of("optimize_nothing_to_do")])
        outcome = self._run(solver, time_limit_s, mip_gap, progress)
        if outcome.values is None:
            notices = self._explain_failure(outcome, solver)
            return self._result(outcome.status, self._plan_nothing(), outcome.mip_gap, outcome.solve_seconds, solver, notices)
        plan = self._decode(outcome.values)
        self._verify(plan, outcome)
        notices = []
        if outcome.status == "time_limit" and progress is not None and progress.stop():
            notices.append(Notice.of("optimize_stopped", gap=share_text(outcome.mip_gap, decimals=2)))
        elif outcome.status == "time_limit":
            notices.append(Notice.of("optimize_time_limit", limit=f"{time_limit_s:g}", gap=share_text(outcome.mip_gap, decimals=2))
                           if is_known(outcome.mip_gap) else Notice.of("optimize_time_limit_no_gap", limit=f"{time_limit_s:g}"))
        notices += self._notices(plan)
        return self._result(outcome.status, plan, outcome.mip_gap, outcome.solve_seconds, solver, notices)

    # -- for subclasses -------------------------------------------------------------------
    def _nothing_to_do(self) -> bool:
        """A model that needs no new site has no program."""
        return self.program is None

    def _run(self, solver: str, time_limit_s, mip_gap, progress: Progress | None) -> SolverOutcome:
        """Solve the model's program (a model with its own algorithm overrides this)."""
        return solve_program(self.program, solver, time_limit_s, mip_gap, progress)

    def _decode(self, values: np.ndarray) -> Plan:
        raise NotImplementedError

    def _verify(self, plan: Plan, outcome: SolverOutcome) -> None:
        raise NotImplementedError

    def _plan_nothing(self) -> Plan:
        raise NotImplementedError

    def _notices(self, plan: Plan) -> list[Notice]:
        return []

    def _explain_failure(self, outcome: SolverOutcome, solver: str) -> list[Notice]:
        return [Notice.of(f"optimize_failed_{outcome.status}", model=self.name)]

    def _violation(self, check: str) -> PlanningError:
        return PlanningError("optimize_verification_failed", model=self.name, check=check)

    # -- shared assembly ------------------------------------------------------------------
    def _result(self, status, plan: Plan, gap, solve_seconds, solver, notices) -> OptimizeResult:
        total = plan.weights.sum()
        before = float(plan.weights @ plan.served_before / total) if total > 0 else 0.0
        after = float(plan.weights @ plan.served_after / total) if total > 0 else 0.0
        return OptimizeResult(
            model=self.name,
            status=status,
            objective=plan.objective,
            sites=self._sites(plan),
            coverage_before=before,
            coverage_after=after,
            community_coverage=community_table(plan),
            mip_gap=gap,
            build_seconds=self.build_seconds,
            solve_seconds=solve_seconds,
            reduction=self.reduction,
            solver=solver,
            notices=notices,
            details={**plan.details, "served_share_before": plan.served_before, "served_share_after": plan.served_after},
        )

    def _sites(self, plan: Plan) -> pd.DataFrame:
        if self.candidates is None:
            sites = pd.DataFrame(index=pd.RangeIndex(len(plan.site_index)))
        else:
            sites = self.candidates.iloc[plan.site_index].copy()
        sites["candidate_index"] = plan.site_index
        for column, values in plan.site_columns.items():
            sites[column] = values
        return sites


def community_table(plan: Plan) -> pd.DataFrame | None:
    if plan.communities is None:
        return None
    frame = pd.DataFrame(
        {
            "community": plan.communities,
            "population": plan.weights,
            "coverage_before": plan.weights * plan.served_before,
            "coverage_after": plan.weights * plan.served_after,
        }
    )
    keys = ["community"]
    if plan.demand_type is not None:
        frame.insert(0, "type", plan.demand_type)
        keys = ["type", "community"]
    table = frame.groupby(keys, sort=True).sum().reset_index()
    population = table["population"].where(table["population"] > 0)
    for column in ("coverage_before", "coverage_after"):
        table[column] = table[column] / population  # NaN: nobody there to serve (not "100 % covered")
    return table
