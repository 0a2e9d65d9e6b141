"""The p-median solved by branch and cut on the radius formulation's Benders cuts.

The radius formulation (see :mod:`optimize.p_median`) projected onto the site variables ``y`` and
one walking time ``theta_i`` per demand point is, for every point i and each of its distinct
distances D (Duran-Mateluna, Ales & Elloumi 2023, "An efficient Benders decomposition for the
p-median problem", EJOR 308)::

    theta_i + sum_{j: d_ij < D} (D - d_ij) y_j >= D

with ``sum_j y_j = p`` and every point within reach of an open site. Only the cuts that some
``y`` violates are ever written: the master program has one column per candidate and per point
and a few cuts per point, so its LP solves in milliseconds where the full radius LP (55,000 rows
on the 新街口 demo) takes HiGHS many seconds. For a given ``y`` the most violated cut of a point
is found by walking its candidates nearest first until the open share reaches one.

The LP bound is the radius formulation's (the strongest of the classic p-median programs). Where
the LP optimum is fractional, a best-first branch and bound on the sites keeps the cut loop at
every node (warm-started), fixes sites by reduced cost against the best plan, and rounds each
node's LP to a plan (its p largest sites) for a new best. It stops when the bounds meet within
``mip_gap`` (0 proves the optimum up to rounding), at the time limit, or when asked to.
"""
from __future__ import annotations

import heapq
import itertools
import time

import highspy
import numba
import numpy as np
import scipy.sparse as sp

from optimize.program import Progress, SolverOutcome

INTEGRAL_TOL = 1e-6
CUT_TOL = 1e-9  # relative violation for a cut to be added
MAX_ROUNDS = 1000  # cut rounds per node, a guard only


class _Nearest:
    """Every merged point's reach, nearest candidate first (CSR rows)."""

    def __init__(self, merged: sp.csr_array) -> None:
        rows = np.repeat(np.arange(merged.shape[0]), np.diff(merged.indptr))
        order = np.lexsort((merged.indices, merged.data, rows))
        self.ptr = merged.indptr.astype(np.int64)
        self.seconds = merged.data[order].astype(float)
        self.site = merged.indices[order].astype(np.int64)

    def walk(self, opened: np.ndarray) -> np.ndarray:
        """Seconds from every point to its nearest open site (inf where none is in reach)."""
        return _nearest_open(self.ptr, self.seconds, self.site, opened.astype(np.bool_))


@numba.njit(cache=True, nogil=True)
def _nearest_open(ptr, seconds, site, opened):
    out = np.full(len(ptr) - 1, np.inf)
    for i in range(len(ptr) - 1):
        for k in range(ptr[i], ptr[i + 1]):
            if opened[site[k]]:
                out[i] = seconds[k]
                break
    return out


@numba.njit(cache=True, nogil=True)
def _violated_cuts(ptr, seconds, site, y, theta, tol):
    """The most violated cut of every point whose ``theta`` lies below it at ``y``.

    Returns (point, D, row start, site, coefficient) of the cuts as a CSR block.
    """
    n = len(ptr) - 1
    level = np.empty(n, np.int64)  # first entry at the cut's distance D, per violated point
    points = np.empty(n, np.int64)
    n_cuts = 0
    n_entries = 0
    for i in range(n):
        a, b = ptr[i], ptr[i + 1]
        share = 0.0
        k = b - 1
        for q in range(a, b):
            share += y[site[q]]
            if share >= 1.0 - 1e-9:
                k = q
                break
        d_cut = seconds[k]
        first = k
        while first > a and seconds[first - 1] == d_cut:
            first -= 1
        value = d_cut
        for q in range(a, first):
            value -= (d_cut - seconds[q]) * y[site[q]]
        if value > theta[i] + tol * max(1.0, abs(value)):
            points[n_cuts] = i
            level[n_cuts] = first
            n_cuts += 1
            n_entries += 1 + first - a
    starts = np.empty(n_cuts, np.int64)
    cols = np.empty(n_entries, np.int64)
    coefs = np.empty(n_entries)
    lower = np.empty(n_cuts)
    e = 0
    for c in range(n_cuts):
        i, first = points[c], level[c]
        a = ptr[i]
        d_cut = seconds[first]
        starts[c] = e
        cols[e] = -1 - i  # theta_i, placed by the caller
        coefs[e] = 1.0
        e += 1
        for q in range(a, first):
            cols[e] = site[q]
            coefs[e] = d_cut - seconds[q]
            e += 1
        lower[c] = d_cut
    return starts, cols, coefs, lower


class _Master:
    """The master program in HiGHS: y (sites), theta (seconds per point), p, cover rows, cuts."""

    def __init__(self, merged: sp.csr_array, weights: np.ndarray, p: int, nearest: _Nearest) -> None:
        n_points, n_sites = merged.shape
        self.n_sites, self.n_points, self.nearest = n_sites, n_points, nearest
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n_sites + n_points, 0
        lp.col_cost_ = np.concatenate([np.zeros(n_sites), weights]).astype(float)
        first = nearest.seconds[nearest.ptr[:-1]]
        lp.col_lower_ = np.concatenate([np.zeros(n_sites), first])
        lp.col_upper_ = np.concatenate([np.ones(n_sites), np.full(n_points, np.inf)])
        self.highs.passModel(lp)
        self.highs.addRow(p, p, n_sites, np.arange(n_sites, dtype=np.int32), np.ones(n_sites))
        cover = merged.indices.astype(np.int32)  # every point within reach of an open site
        self.highs.addRows(n_points, np.ones(n_points), np.full(n_points, np.inf), len(cover),
                           merged.indptr[:-1].astype(np.int32), cover, np.ones(len(cover)))

    def add_cuts(self, y: np.ndarray, theta: np.ndarray) -> int:
        """Add the violated cuts at (y, theta); return how many."""
        n = self.nearest
        starts, cols, coefs, lower = _violated_cuts(n.ptr, n.seconds, n.site, y, theta, CUT_TOL)
        if len(starts):
            cols = np.where(cols < 0, self.n_sites - 1 - cols, cols)  # theta_i is column n_sites + i
            self.highs.addRows(len(starts), lower, np.full(len(starts), np.inf), len(cols),
                               starts.astype(np.int32), cols.astype(np.int32), coefs)
        return len(starts)

    def set_sites(self, lower: np.ndarray, upper: np.ndarray) -> None:
        index = np.arange(self.n_sites, dtype=np.int32)
        self.highs.changeColsBounds(self.n_sites, index, lower.astype(float), upper.astype(float))

    def solve_lp(self, deadline: float) -> tuple[str, float, np.ndarray, np.ndarray]:
        """Cut loop: (status, bound, y, reduced costs of y); status "ok", "infeasible" or "time"."""
        for _ in range(MAX_ROUNDS):
            left = deadline - time.perf_counter()
            if left <= 0:
                return "time", -np.inf, np.zeros(0), np.zeros(0)
            # HiGHS counts its time limit from the object's creation, across runs
            self.highs.setOptionValue("time_limit", float(self.highs.getRunTime() + left))
            self.highs.run()
            status = self.highs.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                return "infeasible", np.inf, np.zeros(0), np.zeros(0)
            if status != highspy.HighsModelStatus.kOptimal:
                return "time", -np.inf, np.zeros(0), np.zeros(0)
            solution = self.highs.getSolution()
            values = np.asarray(solution.col_value)
            y, theta = values[:self.n_sites], values[self.n_sites:]
            if self.add_cuts(np.clip(y, 0.0, 1.0), theta) == 0:
                bound = float(self.highs.getInfo().objective_function_value)
                return "ok", bound, y, np.asarray(solution.col_dual)[:self.n_sites]
        raise RuntimeError("p-median cut loop did not settle")  # a guard: each round adds cuts


def solve_by_cuts(merged: sp.csr_array, weights: np.ndarray, p: int, start: np.ndarray | None,
                  time_limit_s: float | None = None, mip_gap: float | None = None,
                  progress: Progress | None = None) -> SolverOutcome:
    """Best p sites of the merged reach (rows points, columns candidates, data seconds).

    ``start`` is an open mask that reaches every point (or None). The outcome's values are the
    open mask of the best plan; its objective is people × seconds of that plan.
    """
    began = time.perf_counter()
    deadline = began + (time_limit_s if time_limit_s is not None else np.inf)
    gap_target = 1e-4 if mip_gap is None else float(mip_gap)
    progress = progress or Progress()
    nearest = _Nearest(merged)
    n_sites = merged.shape[1]

    def cost(opened: np.ndarray) -> float:
        return float(weights @ nearest.walk(opened))

    best = start.astype(bool) if start is not None else None
    upper = cost(best) if best is not None else np.inf
    master = _Master(merged, weights, p, nearest)
    if best is not None:
        master.add_cuts(best.astype(float), np.full(merged.shape[0], -np.inf))

    def closed(lower: float) -> bool:
        """Whether a bound leaves nothing worth finding below the best plan."""
        return lower >= upper - max(gap_target * abs(upper), 1e-9 * max(1.0, abs(upper)))

    def outcome(status: str, lower: float) -> SolverOutcome:
        values = best.astype(float) if best is not None else None
        gap = 0.0 if status == "optimal" and gap_target == 0 else max(0.0, (upper - lower) / max(abs(upper), 1e-9))
        return SolverOutcome(status if best is not None or status == "infeasible" else "no_solution",
                             values, upper if best is not None else float("nan"),
                             gap if np.isfinite(gap) else float("nan"), time.perf_counter() - began)

    fixed_low, fixed_high = np.zeros(n_sites), np.ones(n_sites)
    order = itertools.count()  # ties in bound: the earlier node first (and arrays never compared)
    queue: list = [(-np.inf, next(order), fixed_low.copy(), fixed_high.copy())]  # (parent's bound, order, site bounds)
    root = True
    while queue:
        parent, _, low, high = heapq.heappop(queue)  # the open node of lowest bound
        if closed(parent):
            heapq.heappush(queue, (parent, next(order), low, high))
            break
        if progress.stop() or time.perf_counter() >= deadline:
            heapq.heappush(queue, (parent, next(order), low, high))
            return outcome("time_limit", queue[0][0])
        master.set_sites(np.maximum(low, fixed_low), np.minimum(high, fixed_high))
        status, bound, y, reduced = master.solve_lp(deadline)
        if status == "time":
            heapq.heappush(queue, (parent, next(order), low, high))
            return outcome("time_limit", queue[0][0])
        if status == "infeasible" or closed(bound):
            continue
        rounded = np.zeros(n_sites, bool)
        rounded[np.argsort(-y, kind="stable")[:p]] = True  # the node's LP as a plan: its p likeliest sites
        found = cost(rounded)
        if found < upper:
            best, upper = rounded, found
        if root:  # root: a site whose reduced cost lifts the bound past the best plan is decided
            margin = upper + 1e-9 * abs(upper) - bound
            fixed_high[(y < INTEGRAL_TOL) & (reduced > margin)] = 0.0
            fixed_low[(y > 1 - INTEGRAL_TOL) & (-reduced > margin)] = 1.0
            root = False
        progress.report(min([bound] + [q[0] for q in queue]), upper, time.perf_counter() - began)
        fractional = np.abs(y - np.round(y))
        if fractional.max() < INTEGRAL_TOL or closed(bound):
            continue  # an integral LP optimum is a plan, found above: nothing below it here
        branch = int(np.argmax(fractional))
        for side in (1.0, 0.0):
            child_low, child_high = low.copy(), high.copy()
            child_low[branch] = child_high[branch] = side
            heapq.heappush(queue, (bound, next(order), child_low, child_high))
    if best is None:
        return outcome("infeasible", np.inf)
    return outcome("optimal", min(queue[0][0], upper) if queue else upper)
