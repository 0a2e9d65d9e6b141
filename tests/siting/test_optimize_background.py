"""A model solved in the background (the app's cancel button): progress heard while it runs, and a cancel
that returns the best plan so far — feasible against the reach sets, and flagged as not proven optimal.
A model prepared on the job's thread stops between its steps when cancelled (no plan, said so); a job
nobody watches any more (no heartbeat) cancels itself."""
from __future__ import annotations

import threading
import time
from functools import partial

import numpy as np
import pytest

from optimize import MCLP, PMedian
from optimize.background import PREPARING, SOLVING, SolveJob
from optimize.siting import SitingData, build_model, prepare_model
from planning.base.catalogue import load_catalogue
from planning.base.errors import PlanningError
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


def _hard_p_median() -> PMedian:
    """A p-median HiGHS works on for well over ten seconds (the LP relaxation alone takes seconds)."""
    reach, weights = random_reach(11, n_candidates=60, n_demand=400, density=0.5)
    return PMedian.from_reach(reach, weights, 8)


def _cancelled_before_solving(job: SolveJob) -> bool:
    with pytest.raises(PlanningError) as raised:
        job.result()
    err = raised.value
    return (err.code == "optimize_cancelled_before_solve" and "已在求解前取消，未得到方案" in err.message("zh")
            and "Cancelled before solving: no plan" in err.message("en"))


def test_cancel_while_preparing_stops_between_steps_with_no_plan_and_says_so():
    steps, entered = [], threading.Event()

    def prepare(checkpoint):  # a long preparation, step by step like one reach set per tier
        for _ in range(3000):
            checkpoint()
            steps.append(time.perf_counter())
            entered.set()
            time.sleep(0.01)
        return _hard_p_median()

    job = SolveJob(prepare=prepare, time_limit_s=60).start()
    assert entered.wait(30)
    assert job.progress().stage == PREPARING and not job.done()
    job.cancel()
    assert job.wait(10)
    assert _cancelled_before_solving(job)
    assert job.model is None and len(steps) < 3000


@pytest.fixture(scope="module")
def data(demo_area):
    return SitingData.prepare(demo_area.network, demo_area.demand, demo_area.candidates,
                              demo_area.facilities, speed_kmh=4.0)


def test_prepared_model_is_the_built_one_and_a_cancel_lands_between_reach_sets(data):
    cat = load_catalogue()
    types = [cat["meal_hall"], cat["health_center"]]
    assert types[0].tier_minutes != types[1].tier_minutes
    params = {"budget_yuan": 6_000_000}
    passed = []

    def cancel_at_second_reach_set(checkpoint):
        passed.append(sorted(data._reach))
        if len(passed) == 2:
            job.cancel()
        checkpoint()

    fresh = SitingData(**{**vars(data), "_reach": {}})
    job = SolveJob(prepare=lambda checkpoint: prepare_model(fresh, "budget", types, params,
                                                           partial(cancel_at_second_reach_set, checkpoint)),
                   time_limit_s=60).start()
    assert job.wait(120) and _cancelled_before_solving(job)
    assert list(fresh._reach) == [types[0].tier_minutes]  # the second tier's reach set was never computed
    whole = SolveJob(prepare=partial(prepare_model, data, "budget", types, params), time_limit_s=60).start()
    assert whole.wait(120)
    assert whole.progress().stage == SOLVING
    direct = build_model(data, "budget", types, params).solve(time_limit_s=60)
    assert whole.result().objective == pytest.approx(direct.objective, rel=1e-9)
    assert sorted(whole.result().site_index) == sorted(direct.site_index)


def test_a_solve_nobody_watches_cancels_itself_and_keeps_its_best_plan():
    began = time.perf_counter()
    job = SolveJob(_hard_p_median(), mip_gap=0.0, time_limit_s=60, abandon_after_s=1.0).start()
    assert job.wait(30)  # far below the 60 s limit: stopped about a second after the last (only) heartbeat
    result = job.result()
    assert job.cancelled and 1.0 <= time.perf_counter() - began < 30
    assert result.status == "time_limit" and not result.proven_optimal and len(result.site_index) == 8
    assert [n.code for n in result.notices][:1] == ["optimize_stopped"]


def test_a_solve_that_hears_heartbeats_runs_on_past_the_abandon_time():
    job = SolveJob(_hard_p_median(), mip_gap=0.0, time_limit_s=4, abandon_after_s=1.0).start()
    while not job.wait(0.2):
        job.heartbeat()
    result = job.result()
    assert not job.cancelled  # ended by its own 4 s limit, not abandoned after 1 s
    assert result.status == "time_limit" and result.solve_seconds >= 3.0
    assert "optimize_stopped" not in [n.code for n in result.notices]


def test_a_preparation_nobody_watches_cancels_itself():
    def prepare(checkpoint):
        for _ in range(3000):
            checkpoint()
            time.sleep(0.01)
        return _hard_p_median()

    job = SolveJob(prepare=prepare, time_limit_s=60, abandon_after_s=1.0).start()
    assert job.wait(10) and job.cancelled and _cancelled_before_solving(job)
