"""A location model prepared and solved on a background thread: its progress read while it runs, a stop that
keeps the best plan.

The app starts a :class:`SolveJob`, draws :meth:`SolveJob.progress` every half second, and its
cancel button calls :meth:`SolveJob.cancel`: the solver ends as at a time limit, and the result
carries the best plan found so far — re-verified by the model like any other, with status
``time_limit`` and the ``optimize_stopped`` notice (not proven optimal).

A job may also build its model (``prepare``: the reach sets, many seconds on a big area) on its
thread: a cancel then lands between the preparation's steps and ends the job with no plan
(:meth:`SolveJob.result` raises ``optimize_cancelled_before_solve``). A job given
``abandon_after_s`` cancels itself when nobody has called :meth:`SolveJob.heartbeat` for that long
(the page that watched it was closed).
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from optimize.model import LocationModel
from optimize.program import Progress
from optimize.result import OptimizeResult
from planning.base.errors import PlanningError

PREPARING, SOLVING = "preparing", "solving"
# The app's progress beats every half second while its page is open; a browser tab closed (or a
# session gone) stops the beats. 20 s rides out a slow rerun or a brief network stall, and stops an
# abandoned solve long before its time limit (up to 300 s) would.
ABANDON_AFTER_S = 20.0


class _Cancelled(Exception):
    """Raised at a preparation's checkpoint once the job is cancelled."""


@dataclass(frozen=True)
class SolveProgress:
    """What a running solve has said so far.

    ``bound`` is the solver's proven bound on the objective, ``found`` the objective of the best plan so
    far (both NaN until the solver first reports), ``gap`` their relative distance (NaN when unknown),
    ``stage`` :data:`PREPARING` (building the model) or :data:`SOLVING`, ``seconds`` the time since
    that stage began.
    """

    seconds: float
    bound: float = math.nan
    found: float = math.nan
    reports: int = 0
    stage: str = SOLVING

    @property
    def gap(self) -> float:
        if not (math.isfinite(self.bound) and math.isfinite(self.found)):
            return math.nan
        return abs(self.found - self.bound) / max(abs(self.found), 1e-9)


class SolveJob:
    """``model.solve(...)`` on a daemon thread; ``cancel()`` stops it with the best plan so far.

    ``prepare(checkpoint)`` (instead of ``model``) builds the model on the job's thread, calling
    ``checkpoint()`` between its steps: once the job is cancelled, the next checkpoint ends it with no
    plan. ``listener`` (optional) hears each :class:`SolveProgress` on the solver's thread.
    ``abandon_after_s`` (optional): the job cancels itself when :meth:`heartbeat` has not been called
    for that many seconds.
    """

    def __init__(self, model: LocationModel | None = None, *, solver: str = "highs",
                 time_limit_s: float | None = None, mip_gap: float | None = None,
                 listener: Callable[[SolveProgress], None] | None = None,
                 prepare: Callable[[Callable[[], None]], LocationModel] | None = None,
                 abandon_after_s: float | None = None) -> None:
        if (model is None) == (prepare is None):
            raise ValueError("give a model or a prepare callable, not both")
        self.model = model
        self.time_limit_s = time_limit_s
        self.abandon_after_s = abandon_after_s
        self._prepare = prepare
        self._options = {"solver": solver, "time_limit_s": time_limit_s, "mip_gap": mip_gap}
        self._listener = listener
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._began = self._beat = time.perf_counter()
        self._heard = SolveProgress(0.0, stage=SOLVING if prepare is None else PREPARING)
        self._result: OptimizeResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="planning-solve", daemon=True)

    def start(self) -> SolveJob:
        self._began = self._beat = time.perf_counter()
        self._thread.start()
        return self

    def _run(self) -> None:
        progress = Progress(report=self._report, stop=self._stopping)
        try:
            if self._prepare is not None:
                self.model = self._prepare(self._checkpoint)
                self._checkpoint()
                self._enter(SOLVING)
            self._result = self.model.solve(**self._options, progress=progress)
        except _Cancelled:
            self._error = PlanningError("optimize_cancelled_before_solve")
        except BaseException as err:  # handed to the caller by result()
            self._error = err

    def _enter(self, stage: str) -> None:
        with self._lock:
            self._began = time.perf_counter()
            self._heard = SolveProgress(0.0, stage=stage)

    def _stopping(self) -> bool:
        """The solver's stop predicate: cancelled, or nobody has beaten the heart for ``abandon_after_s``."""
        if self.abandon_after_s is not None and time.perf_counter() - self._beat > self.abandon_after_s:
            self._stop.set()
        return self._stop.is_set()

    def _checkpoint(self) -> None:
        if self._stopping():
            raise _Cancelled

    def _report(self, bound: float, found: float, seconds: float) -> None:
        with self._lock:
            heard = SolveProgress(time.perf_counter() - self._began, _finite(bound), _finite(found),
                                  self._heard.reports + 1)
            self._heard = heard
        if self._listener is not None:
            self._listener(heard)

    def progress(self) -> SolveProgress:
        """The latest bounds heard and the stage, with the time elapsed in the stage now."""
        with self._lock:
            heard, began = self._heard, self._began
        return SolveProgress(time.perf_counter() - began, heard.bound, heard.found, heard.reports, heard.stage)

    def heartbeat(self) -> None:
        """Someone still watches: put off the self-cancel of a job given ``abandon_after_s``."""
        self._beat = time.perf_counter()

    def cancel(self) -> None:
        """Ask the job to stop: a solve ends at its next check with the best plan found so far, a preparation at
        its next checkpoint with none."""
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def done(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the job to end (at most ``timeout_s``); True when it has."""
        self._thread.join(timeout_s)
        return self.done()

    def result(self) -> OptimizeResult:
        """The model's result once done (raises what the job raised; ``optimize_cancelled_before_solve`` when it
        was cancelled while preparing)."""
        if not self.done():
            raise RuntimeError("the solve is still running")
        if self._error is not None:
            raise self._error
        return self._result


def _finite(value: float) -> float:
    """The solver's ±inf (nothing known yet, or HiGHS's 1e30-ish placeholders) as NaN."""
    return float(value) if math.isfinite(value) and abs(value) < 1e20 else math.nan
