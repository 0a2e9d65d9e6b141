"""A model solved in the background (the app's cancel button): progress heard while it runs, and a cancel
that returns the best plan so far — feasible against the reach sets, and flagged as not proven optimal."""
from __future__ import annotations

import numpy as np
import pytest

from optimize import MCLP, PMedian
from optimize.background import SolveJob
from tests.siting.test_optimize_models import random_reach


def _dense(reach) -> np.ndarray:
    """Walking seconds candidate × demand, inf where the candidate does not reach the point."""
    dense = np.full(reach.shape, np.inf)
    dense[np.repeat(np.arange(reach.shape[0]), np.diff(reach.indptr)), reach.indices] = reach.data
    return dense


def test_cancelled_p_median_keeps_a_feasible_plan_not_flagged_optimal():
    reach, weights = random_reach(6, n_candidates=30, n_demand=200, density=0.6)
    optimum = PMedian.from_reach(reach, weights, 5).solve(mip_gap=0.0)
    assert optimum.status == "optimal"
    heard = []

    def cancel_at_first_report(progress):
        heard.append(progress)
        job.cancel()

    job = SolveJob(PMedian.from_reach(reach, weights, 5), mip_gap=0.0, time_limit_s=60,
                   listener=cancel_at_first_report).start()
    assert job.wait(60)
    result = job.result()
    assert job.cancelled and len(heard) == 1
    assert np.isfinite(heard[0].bound) and heard[0].bound <= heard[0].found + 1e-6 * heard[0].found
    assert heard[0].gap > 0  # stopped before the bound met the plan
    assert result.status == "time_limit" and not result.proven_optimal
    assert [n.code for n in result.notices] == ["optimize_stopped"]
    # the plan, checked against the reach sets independently of the model
    sites = np.asarray(result.site_index)
    assert len(sites) == 5 == len(set(sites.tolist()))
    nearest = _dense(reach)[sites].min(axis=0)
    assert np.isfinite(nearest[weights > 0]).all()  # everyone with weight walks to an open site
    assert result.objective == pytest.approx(float(nearest[weights > 0] @ weights[weights > 0]), rel=1e-12)
    assert result.objective >= optimum.objective - 1e-6


def test_cancelled_highs_solve_keeps_a_feasible_covering_plan():
    reach, weights = random_reach(8, n_candidates=150, n_demand=600, density=0.08)
    weights = weights + np.random.default_rng(3).random(len(weights))
    job = SolveJob(MCLP.from_reach(reach, weights, 12), mip_gap=0.0, time_limit_s=60)
    job.cancel()  # before HiGHS's first check: it stops with the start it was given
    assert job.start().wait(60)
    result = job.result()
    assert result.status == "time_limit" and not result.proven_optimal
    assert [n.code for n in result.notices][:1] == ["optimize_stopped"]
    sites = np.asarray(result.site_index)
    assert 0 < len(sites) <= 12
    covered = np.isfinite(_dense(reach)[sites]).any(axis=0)
    assert result.objective == pytest.approx(float(weights[covered].sum()), rel=1e-9)


def test_progress_before_any_report_says_nothing_unknown_as_a_number():
    reach, weights = random_reach(6, n_candidates=30, n_demand=200, density=0.6)
    job = SolveJob(PMedian.from_reach(reach, weights, 5), mip_gap=0.0)
    progress = job.progress()
    assert progress.reports == 0 and np.isnan(progress.gap) and not job.done()
