"""Running area jobs on dask.distributed: a local cluster by default, or a running scheduler.

Jobs are submitted lazily, a bounded number in flight, so neither this process nor the
scheduler ever holds every area's network at once. A task that raises is retried
(``retries``); a task whose worker dies is rescheduled by Dask on another worker. An area that
still fails is never dropped: it comes back as a row of :attr:`BatchRun.failures`.
"""
from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pandas as pd
from distributed import Client, LocalCluster, as_completed
from tqdm import tqdm

from planning.batch.task import AreaFailure, AreaJob, AreaOutcome, run_area
from planning.errors import PlanningError

KEY_PREFIX = "batch-area-"


@dataclass
class BatchRun:
    """What came back: one outcome per finished area, one row per failed area.

    ``failures`` columns: ``area``, ``name``, ``error_code``, ``error_zh``, ``error_en``.
    """

    outcomes: list[AreaOutcome]
    failures: pd.DataFrame
    n_workers: int


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None,
                memory_limit: str | float = "auto") -> Iterator[Client]:
    """A client of ``scheduler``, or of a new local cluster of single-threaded worker processes.

    Raises
    ------
    PlanningError
        When the scheduler cannot be reached.
    """
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise PlanningError("batch_scheduler_unreachable", address=scheduler, reason=str(exc)[:200]) from exc
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def _failure(job: AreaJob, exc: BaseException) -> dict:
    if isinstance(exc, AreaFailure):
        code, zh, en = exc.code, exc.zh, exc.en
    else:  # a crash (bug, out of memory, worker killed too often): keep its reason
        err = PlanningError("batch_area_crashed", area=job.name, reason=f"{type(exc).__name__}: {exc}"[:300])
        code, zh, en = err.code, err.message("zh"), err.message("en")
    return {"area": job.code, "name": job.name, "error_code": code, "error_zh": zh, "error_en": en}


def run_jobs(client: Client, jobs: Iterable[AreaJob], n_jobs: int, retries: int = 1,
             in_flight: int | None = None, progress: bool = True) -> BatchRun:
    """Run every job on ``client``'s cluster, showing progress as areas finish.

    Parameters
    ----------
    jobs
        Area jobs, consumed lazily.
    n_jobs
        How many ``jobs`` yields (for the progress bar).
    retries
        Extra attempts for an area whose task raised.
    in_flight
        Most jobs submitted but not finished (default: twice the worker threads).
    """
    n_threads = sum(client.nthreads().values()) or 1
    in_flight = in_flight or 2 * n_threads
    source, token = iter(jobs), uuid.uuid4().hex[:8]
    waiting: dict[str, AreaJob] = {}
    finished = as_completed()

    def submit_next() -> None:
        job = next(source, None)
        if job is not None:
            future = client.submit(run_area, job, key=f"{KEY_PREFIX}{job.code}-{token}", retries=retries, pure=False)
            waiting[future.key] = job
            finished.add(future)

    for _ in range(in_flight):
        submit_next()
    outcomes, failures = [], []
    for future in tqdm(finished, total=n_jobs, desc="街道 / areas", unit="area", disable=not progress):
        job = waiting.pop(future.key)
        if future.status == "finished":
            outcomes.append(future.result())
        else:
            failures.append(_failure(job, future.exception()))
        future.release()
        submit_next()
    columns = ["area", "name", "error_code", "error_zh", "error_en"]
    return BatchRun(outcomes, pd.DataFrame(failures, columns=columns), len(client.nthreads()))
