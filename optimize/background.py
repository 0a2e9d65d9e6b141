"""A location model solved on a background thread: its progress read while it runs, a stop that keeps the best plan.

The app starts a :class:`SolveJob`, draws :meth:`SolveJob.progress` every half second, and its
cancel button calls :meth:`SolveJob.cancel`: the solver ends as at a time limit, and the result
carries the best plan found so far — re-verified by the model like any other, with status
``time_limit`` and the ``optimize_stopped`` notice (not proven optimal).
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


@dataclass(frozen=True)
class SolveProgress:
    """What a running solve has said so far.

    ``bound`` is the solver's proven bound on the objective, ``found`` the objective of the best plan so
    far (both NaN until the solver first reports), ``gap`` their relative distance (NaN when unknown),
    ``seconds`` the time since the job started.
    """

    seconds: float
    bound: float = math.nan
    found: float = math.nan
    reports: int = 0

    @property
    def gap(self) -> float:
        if not (math.isfinite(self.bound) and math.isfinite(self.found)):
            return math.nan
        return abs(self.found - self.bound) / max(abs(self.found), 1e-9)


class SolveJob:
    """``model.solve(...)`` on a daemon thread; ``cancel()`` stops it with the best plan so far.

    ``listener`` (optional) hears each :class:`SolveProgress` on the solver's thread.
    """

    def __init__(self, model: LocationModel, *, solver: str = "highs", time_limit_s: float | None = None,
                 mip_gap: float | None = None, listener: Callable[[SolveProgress], None] | None = None) -> None:
        self.model = model
        self.time_limit_s = time_limit_s
        self._options = {"solver": solver, "time_limit_s": time_limit_s, "mip_gap": mip_gap}
        self._listener = listener
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._began = time.perf_counter()
        self._heard = SolveProgress(0.0)
        self._result: OptimizeResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="planning-solve", daemon=True)

    def start(self) -> SolveJob:
        self._began = time.perf_counter()
        self._thread.start()
        return self

    def _run(self) -> None:
        progress = Progress(report=self._report, stop=self._stop.is_set)
        try:
            self._result = self.model.solve(**self._options, progress=progress)
        except BaseException as err:  # handed to the caller by result()
            self._error = err

    def _report(self, bound: float, found: float, seconds: float) -> None:
        heard = SolveProgress(time.perf_counter() - self._began, _finite(bound), _finite(found),
                              self._heard.reports + 1)
        with self._lock:
            self._heard = heard
        if self._listener is not None:
            self._listener(heard)

    def progress(self) -> SolveProgress:
        """The latest bounds heard, with the time elapsed now."""
        with self._lock:
            heard = self._heard
        return SolveProgress(time.perf_counter() - self._began, heard.bound, heard.found, heard.reports)

    def cancel(self) -> None:
        """Ask the solver to stop; it ends at its next check with the best plan found so far."""
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def done(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the solve to end (at most ``timeout_s``); True when it has."""
        self._thread.join(timeout_s)
        return self.done()

    def result(self) -> OptimizeResult:
        """The model's result once done (raises what the solve raised)."""
        if not self.done():
            raise RuntimeError("the solve is still running")
        if self._error is not None:
            raise self._error
        return self._result


def _finite(value: float) -> float:
    """The solver's ±inf (nothing known yet, or HiGHS's 1e30-ish placeholders) as NaN."""
    return float(value) if math.isfinite(value) and abs(value) < 1e20 else math.nan
