"""The siting page while a long model solves: its progress and a cancel button that keeps the best plan so far,
labelled as not proven optimal — and that plan checked against the demo's reach sets."""
from __future__ import annotations

import time

import numpy as np
import pytest

from optimize import PMedian
from optimize.siting import P_MEDIAN_MINUTES, SitingData
from planning.app.common import stop_solve_elsewhere
from planning.base.catalogue import load_catalogue
from planning.coverage.residents import served_weight
from tests.app.test_app_pages import _app, _button, env  # noqa: F401 (env is a fixture)
from tests.support.siting import plan_shown

CANCEL = "取消（保留目前最好的方案）"


@pytest.fixture
def slow_p_median(monkeypatch):
    """p-median that, like a long solve, runs until it is asked to stop (then it solves as stopped)."""
    real = PMedian._run

    def until_stopped(self, solver, time_limit_s, mip_gap, progress):
        began = time.perf_counter()
        while progress is not None and not progress.stop() and time.perf_counter() - began < 60:
            time.sleep(0.05)
        return real(self, solver, time_limit_s, mip_gap, progress)

    monkeypatch.setattr(PMedian, "_run", until_stopped)


def _start_p_median():
    """The siting page with a 3-site p-median started (slowed by ``slow_p_median``: it runs until stopped)."""
    at = _app("siting")
    at.selectbox[0].set_value("p_median").run()
    at.number_input[0].set_value(3).run()
    _button(at, "开始计算").click().run()
    assert not at.exception, at.exception
    return at


def test_cancel_during_a_long_solve_keeps_the_best_plan_labelled_not_optimal(env, slow_p_median):
    at = _start_p_median()
    assert "siting_job" in at.session_state and "siting" not in at.session_state
    assert any(p.value >= 0 and "正在求解" in p.text for p in at.get("progress")), [p.proto for p in at.get("progress")]
    assert "求解器尚未报告界" in "".join(c.value for c in at.caption)
    _button(at, CANCEL).click().run()
    assert not at.exception, at.exception
    assert "siting_job" not in at.session_state
    assert not any(b.label == CANCEL for b in at.button)
    assert any("已按您的要求停止" in w.value and "未证明最优" in w.value for w in at.warning)
    assert any("求解已按您的要求停止" in m.value for m in at.markdown)  # the model's own notice
    run = at.session_state["siting"]
    result, data = run["result"], run["data"]
    assert result.status == "time_limit" and not result.proven_optimal and run["stopped"]
    # the kept plan against the reach sets: 3 sites, everyone with weight walks to one; the objective recomputed
    reach = data.reach(P_MEDIAN_MINUTES)
    dense = np.full(reach.shape, np.inf)
    dense[np.repeat(np.arange(reach.shape[0]), np.diff(reach.indptr)), reach.indices] = reach.data
    nearest = dense[np.asarray(result.site_index)].min(axis=0)
    weights = served_weight(data.demand, load_catalogue()["meal_hall"])
    assert len(set(result.site_index.tolist())) == 3 and len(run["sites"]) == 3
    assert np.isfinite(nearest[weights > 0]).all()
    assert result.objective == pytest.approx(float(nearest[weights > 0] @ weights[weights > 0]), rel=1e-9)


def test_leaving_the_page_stops_the_solve_and_back_on_siting_its_plan_shows_as_stopped(env, slow_p_median):
    at = _start_p_median()
    job = at.session_state["siting_job"]["job"]
    assert not job.cancelled
    at.switch_page("planning/app/pages/coverage.py").run()  # another page of the app, same session
    assert not at.exception, at.exception
    assert job.cancelled and job.wait(30)
    at.switch_page("planning/app/pages/siting.py").run()
    assert plan_shown(at), [s.label for s in at.status]
    assert not at.exception, at.exception
    assert "siting_job" not in at.session_state
    assert any("离开本页时计算已停止" in w.value and "未证明最优" in w.value for w in at.warning)
    run = at.session_state["siting"]
    assert run["stopped"] and run["result"].status == "time_limit" and len(run["sites"]) == 3


def test_the_switch_cancels_only_a_running_solve_off_the_siting_page():
    class Job:
        cancelled = False

        def done(self) -> bool:
            return False

        def cancel(self) -> None:
            self.cancelled = True

    state = {"siting_job": {"job": Job()}}
    assert not stop_solve_elsewhere("siting", state) and not state["siting_job"]["job"].cancelled
    assert stop_solve_elsewhere("coverage", state) and state["siting_job"]["job"].cancelled
    assert not stop_solve_elsewhere("coverage", {})


@pytest.fixture
def slow_reach(monkeypatch):
    """Reach sets that take three seconds, like a big area's (then computed for real)."""
    real = SitingData.reach

    def slowly(self, minutes):
        time.sleep(3)
        return real(self, minutes)

    monkeypatch.setattr(SitingData, "reach", slowly)


def test_cancel_while_preparing_says_no_plan_without_an_error(env, slow_reach):
    at = _app("siting")
    _button(at, "开始计算").click().run()
    assert not at.exception, at.exception
    assert any("正在准备数据" in p.text for p in at.get("progress")), [p.proto for p in at.get("progress")]
    _button(at, "取消（尚无方案）").click().run()
    assert not at.exception, at.exception
    assert "siting_job" not in at.session_state and "siting" not in at.session_state
    assert any("已在求解前取消，未得到方案" in w.value for w in at.warning)
    assert not at.error
