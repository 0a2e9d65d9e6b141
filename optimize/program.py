"""One sparse mixed-integer program and the solvers that run it.

Every model in this package states itself as a :class:`LinearProgram` (sparse constraint
rows, bounds, integrality). :func:`solve_program` then hands it either straight to HiGHS
as arrays (``solver="highs"``, the fast default) or to PuLP (``"pulp_highs"`` — PuLP's
``pulp.HiGHS`` interface — or ``"cbc"`` — ``pulp.PULP_CBC_CMD``). The three routes solve the
same program, so they agree on the optimum.

PuLP's HiGHS interface reports a run stopped by the time limit as "Optimal"; the status here
is read from HiGHS itself so that a time-limited run is never taken for a proven optimum.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pulp
import scipy.sparse as sp

from optimize.names import SOLVER_NAMES
from planning.base.errors import PlanningError

SOLVERS = SOLVER_NAMES


@dataclass
class LinearProgram:
    """``max/min cost @ x`` s.t. ``row_lower <= A @ x <= row_upper``, column bounds, integrality."""

    cost: np.ndarray
    matrix: sp.csr_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    maximize: bool
    offset: float = 0.0
    start: np.ndarray | None = None  # a feasible solution to start from (HiGHS route only)


@dataclass
class Progress:
    """How a long solve reports and how it is stopped (the app's progress line and cancel button).

    ``report(bound, found, seconds)`` is called as the solver's best bound and best plan's
    objective move; once ``stop()`` returns True the solver ends as at a time limit, with the best
    plan found so far. Both are called from the solver's thread.
    """

    report: Callable[[float, float, float], None] = lambda bound, found, seconds: None
    stop: Callable[[], bool] = lambda: False


@dataclass
class SolverOutcome:
    """What the solver said, in solver-neutral words.

    ``status`` is one of ``optimal``, ``time_limit`` (a solution, not proven optimal),
    ``no_solution`` (stopped before finding any), ``infeasible``, ``unbounded``.
    """

    status: str
    values: np.ndarray | None
    objective: float
    mip_gap: float
    solve_seconds: float


def rows(blocks: list[sp.sparray], lower: list[np.ndarray], upper: list[np.ndarray]) -> tuple:
    """Stack constraint blocks (each already as wide as the program) into one CSR matrix."""
    matrix = sp.vstack(blocks, format="csr")
    return matrix, np.concatenate(lower), np.concatenate(upper)


def check_options(solver: str, time_limit_s: float | None, mip_gap: float | None) -> None:
    """Refuse an unknown solver, a time limit that is not positive or a gap outside [0, 1)."""
    if solver not in SOLVERS:
        raise PlanningError("optimize_unknown_solver", solver=solver, choices=", ".join(SOLVERS))
    if time_limit_s is not None and not time_limit_s > 0:
        raise PlanningError("optimize_bad_time_limit", value=time_limit_s)
    if mip_gap is not None and not 0 <= mip_gap < 1:
        raise PlanningError("optimize_bad_mip_gap", value=mip_gap)


def solve_program(
    program: LinearProgram,
    solver: str = "highs",
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    progress: Progress | None = None,
) -> SolverOutcome:
    """Solve ``program`` with the named solver; see the module docstring for the choices.

    ``progress`` reports and stops the HiGHS route (PuLP's routes run to their end).
    """
    check_options(solver, time_limit_s, mip_gap)
    start = time.perf_counter()
    if solver == "highs":
        outcome = _solve_highs(program, time_limit_s, mip_gap, progress)
    else:
        outcome = _solve_pulp(program, solver, time_limit_s, mip_gap)
    outcome.solve_seconds = time.perf_counter() - start
    return outcome


def _highs_outcome(highs) -> SolverOutcome:
    import highspy

    model_status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    ms = highspy.HighsModelStatus
    if model_status == ms.kOptimal:
        status = "optimal"
    elif model_status == ms.kInfeasible:
        status = "infeasible"
    elif model_status in (ms.kUnbounded, ms.kUnboundedOrInfeasible):
        status = "unbounded" if model_status == ms.kUnbounded else "infeasible"
    else:
        status = "time_limit" if has_solution else "no_solution"
    if status in ("optimal", "time_limit") and has_solution:
        values = np.asarray(highs.getSolution().col_value, dtype=float)
        objective = float(info.objective_function_value)
    else:
        values, objective = None, float("nan")
    gap = float(info.mip_gap) if status in ("optimal", "time_limit") else float("nan")
    if not np.isfinite(gap) or gap > 1e20:
        gap = 0.0 if status == "optimal" else float("nan")
    return SolverOutcome(status, values, objective, gap, 0.0)


def _solve_highs(program: LinearProgram, time_limit_s, mip_gap, progress: Progress | None = None) -> SolverOutcome:
    """LP relaxation first (interior point + crossover), then branch and bound if needed.

    Covering models often have an integral LP optimum, which proves itself optimal; and a
    start within the gap of the LP bound is proven good enough. HiGHS's MIP solver starts with
    dual simplex, which on large covering LPs can be many times slower than interior point.
    """
    start = time.perf_counter()
    gap_target = 1e-4 if mip_gap is None else mip_gap  # HiGHS's default mip_rel_gap

    def remaining() -> float | None:
        return None if time_limit_s is None else max(time_limit_s - (time.perf_counter() - start), 0.01)

    if program.integer.any():
        relaxed = _run_highs(program, time_limit_s, mip_gap, relax=True, progress=progress)
        if relaxed.status in ("infeasible", "unbounded"):
            return relaxed
        if relaxed.status != "optimal":
            return _run_highs(program, remaining(), mip_gap, progress=progress)
        values = relaxed.values
        ints = program.integer
        if np.all(np.abs(values[ints] - np.round(values[ints])) < 1e-6):
            values[ints] = np.round(values[ints])
            return SolverOutcome("optimal", values, relaxed.objective, 0.0, 0.0)
        if program.start is not None:
            found = float(program.cost @ program.start + program.offset)
            gap = abs(relaxed.objective - found) / max(abs(found), 1e-9)
            if gap <= gap_target:
                return SolverOutcome("optimal", program.start.astype(float), found, gap, 0.0)
    return _run_highs(program, remaining(), mip_gap, progress=progress)


def _listen(highs, progress: Progress) -> None:
    """Let ``progress`` stop HiGHS (simplex, interior point, branch and bound) and hear its bounds."""
    def check(event) -> None:
        if progress.stop():
            event.interrupt()

    def report(event) -> None:
        out = event.data_out
        progress.report(float(out.mip_dual_bound), float(out.mip_primal_bound), float(out.running_time))
        check(event)

    highs.cbSimplexInterrupt += check
    highs.cbIpmInterrupt += check
    highs.cbMipInterrupt += report


def _run_highs(program: LinearProgram, time_limit_s, mip_gap, relax: bool = False,
               progress: Progress | None = None) -> SolverOutcome:
    import highspy

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    if progress is not None:
        _listen(highs, progress)
    if time_limit_s is not None:
        highs.setOptionValue("time_limit", float(time_limit_s))
    if mip_gap is not None:
        highs.setOptionValue("mip_rel_gap", float(mip_gap))
    if relax:
        highs.setOptionValue("solver", "ipm")
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(program.cost), program.matrix.shape[0]
    lp.col_cost_ = program.cost.astype(float)
    lp.col_lower_, lp.col_upper_ = program.col_lower.astype(float), program.col_upper.astype(float)
    lp.row_lower_, lp.row_upper_ = program.row_lower.astype(float), program.row_upper.astype(float)
    lp.offset_ = float(program.offset)
    lp.sense_ = highspy.ObjSense.kMaximize if program.maximize else highspy.ObjSense.kMinimize
    matrix = program.matrix.tocsr()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(float)
    if not relax:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in program.integer
        ]
    highs.passModel(lp)
    if program.start is not None and not relax:
        highs.setSolution(len(program.start), np.arange(len(program.start), dtype=np.int32), program.start.astype(float))
    highs.run()
    return _highs_outcome(highs)


def to_pulp(program: LinearProgram) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """The same program as a PuLP problem (for CBC and PuLP's HiGHS interface)."""
    sense = pulp.LpMaximize if program.maximize else pulp.LpMinimize
    problem = pulp.LpProblem("planning_optimize", sense)
    inf = np.inf
    variables = [
        problem.add_variable(
            f"v{k}",
            lowBound=None if lo == -inf else float(lo),
            upBound=None if hi == inf else float(hi),
            cat=pulp.LpInteger if flag else pulp.LpContinuous,
        )
        for k, (lo, hi, flag) in enumerate(
            zip(program.col_lower, program.col_upper, program.integer)
        )
    ]
    nonzero = np.flatnonzero(program.cost)
    problem += pulp.LpAffineExpression(
        zip([variables[k] for k in nonzero], program.cost[nonzero].tolist()),
        constant=program.offset,
    )
    matrix = program.matrix.tocsr()
    for r in range(matrix.shape[0]):
        cols = matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]]
        vals = matrix.data[matrix.indptr[r] : matrix.indptr[r + 1]].tolist()
        expr = pulp.LpAffineExpression(zip([variables[k] for k in cols], vals))
        lo, hi = program.row_lower[r], program.row_upper[r]
        if lo == hi:
            problem += pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{r}", float(lo))
            continue
        if lo > -inf:
            problem += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{r}_lo", float(lo))
        if hi < inf:
            problem += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{r}_hi", float(hi))
    return problem, variables


class _HiGHSWithStart(pulp.HiGHS):
    """``pulp.HiGHS`` that hands HiGHS the program's start solution after building the model."""

    def __init__(self, start: dict[pulp.LpVariable, float] | None, **options) -> None:
        super().__init__(**options)
        self.start = start

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:
        super().buildSolverModel(lp)
        if self.start:
            known = {var.name: var.index for var in lp.variables()}
            pairs = [(known[var.name], value) for var, value in self.start.items() if var.name in known]
            index, values = (np.array(column) for column in zip(*pairs))
            lp.solverModel.setSolution(len(index), index.astype(np.int32), values.astype(float))


def _solve_pulp(program: LinearProgram, solver: str, time_limit_s, mip_gap) -> SolverOutcome:
    problem, variables = to_pulp(program)
    start = None if program.start is None else dict(zip(variables, program.start.tolist()))
    if solver == "pulp_highs":
        problem.solve(_HiGHSWithStart(start, msg=False, timeLimit=time_limit_s, gapRel=mip_gap))
        outcome = _highs_outcome(problem.solverModel)  # PuLP calls a time-limited run "Optimal"
        if outcome.values is not None:  # HiGHS columns follow PuLP's name order, not ours
            outcome.values = np.array([v.varValue or 0.0 for v in variables])
            outcome.objective += program.offset  # pulp.HiGHS does not pass the objective constant
        return outcome
    for var, value in (start or {}).items():
        var.setInitialValue(value)
    problem.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, gapRel=mip_gap, warmStart=start is not None))
    status = {
        pulp.LpStatusOptimal: "optimal",
        pulp.LpStatusInfeasible: "infeasible",
        pulp.LpStatusUnbounded: "unbounded",
    }.get(problem.status, "no_solution")
    if status == "optimal" and problem.sol_status != pulp.LpSolutionOptimal:
        status = "time_limit"
    if status not in ("optimal", "time_limit"):
        return SolverOutcome(status, None, float("nan"), float("nan"), 0.0)
    values = np.array([v.varValue or 0.0 for v in variables])
    gap = 0.0 if status == "optimal" else float("nan")
    objective = pulp.value(problem.objective)  # None when the objective is only a constant
    objective = float(program.cost @ values + program.offset) if objective is None else float(objective)
    return SolverOutcome(status, values, objective, gap, 0.0)
