"""Running the areas on dask.distributed: a local cluster by default, or a running scheduler.

The city's shared layers go to every worker once; each task then carries one area's polygon
and residents and cuts the area's network there, so a worker holds one area's cut at a time.
When the workers see the main process's files (the local cluster), the city is written to one
file that every worker reads at the same time, so sending it does not grow with the workers;
otherwise it is broadcast (``client.scatter``). Tasks are submitted a bounded number in flight.
A task that raises is retried (``retries``); a task whose worker dies is rescheduled by Dask on
another worker, which reads the file if it has not yet. Dask keeps a single copy of scattered
data once no waiting task needs more, so a worker that dies may take a broadcast city's last
copy with it: the city is then sent again and the areas that needed it run again (at most
:data:`MAX_RESENDS` times each). An area that still fails is never dropped: it comes back as a
row of :attr:`BatchRun.failures`.
"""
from __future__ import annotations

import contextlib
import socket
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from distributed import Client, Future, LocalCluster, as_completed
from tqdm import tqdm

from planning.base.errors import PlanningError, error_reason
from planning.outputs.batch.jobs import City, StreetOffice, load_city, run_city_area, write_city
from planning.outputs.batch.task import AreaFailure, AreaOutcome

KEY_PREFIX = "batch-area-"
PROBE_SECONDS = 5.0  # a scheduler that does not accept a connection in this time is not there
MAX_RESENDS = 3  # times an area is run again after the worker holding the city's only copy died


@dataclass
class BatchRun:
    """What came back: one outcome per finished area, one row per failed area.

    ``failures`` columns: ``area``, ``name``, ``error_code``, ``error_zh``, ``error_en``.
    """

    outcomes: list[AreaOutcome]
    failures: pd.DataFrame
    n_workers: int
    n_resent: int = 0  # areas run again because the worker holding the city's only copy died


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
        check_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise PlanningError("batch_scheduler_unreachable", address=scheduler, reason=error_reason(exc)) from exc
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def check_scheduler(scheduler: str) -> None:
    """Open and close one TCP connection to a ``tcp://`` or ``tls://`` scheduler address.

    A refused, silent or malformed address is refused here at once (``Client`` would retry a
    refused one for its whole timeout); other protocols are left to ``Client``.

    Raises
    ------
    PlanningError
        When nothing accepts the connection, or the address has no host and port.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        protocol, location = parse_address(scheduler)
        if protocol in ("tcp", "tls"):
            socket.create_connection(parse_host_port(location), timeout=PROBE_SECONDS).close()
    except (OSError, ValueError, OverflowError) as exc:  # refused or silent; no port; port out of range
        raise PlanningError("batch_scheduler_unreachable", address=scheduler, reason=error_reason(exc)) from exc


def _city_lost(future: Future, sent_with: Future | str) -> bool:
    """Whether ``future`` was cancelled because the broadcast city copy it needed was lost with a worker."""
    return future.status == "cancelled" and isinstance(sent_with, Future) and sent_with.status != "finished"


def _send_city(client: Client, city: City, via_folder: Path | None) -> Future | str:
    """The city on every worker: through a file in ``via_folder`` (every worker reads it at once),
    or broadcast when there is no folder the workers share."""
    if via_folder is None:
        return client.scatter(city, broadcast=True, hash=False)
    path = write_city(city, via_folder)
    try:
        client.run(load_city, path)
    except OSError as exc:  # a scheduler's worker that does not see the folder (or may not read it)
        raise PlanningError("batch_city_folder_unseen", folder=via_folder, reason=error_reason(exc)) from exc
    return path


def _failure(area: StreetOffice, exc: BaseException | None) -> dict:
    if isinstance(exc, AreaFailure):
        code, zh, en = exc.code, exc.zh, exc.en
    else:  # a crash (bug, out of memory, worker killed too often, data lost): keep its reason
        reason = f"{type(exc).__name__}: {exc}" if exc is not None else "cancelled: its worker or its data was lost"
        err = PlanningError("batch_area_crashed", area=area.name, reason=reason[:300])
        code, zh, en = err.code, err.message("zh"), err.message("en")
    return {"area": area.code, "name": area.name, "error_code": code, "error_zh": zh, "error_en": en}


def run_jobs(client: Client, city: City, areas: list[StreetOffice], retries: int = 1,
             in_flight: int | None = None, progress: bool = True, via_folder: Path | None = None) -> BatchRun:
    """Run every area on ``client``'s cluster, showing progress as areas finish.

    Parameters
    ----------
    city
        The shared layers, sent to each worker once.
    retries
        Extra attempts for an area whose task raised.
    in_flight
        Most areas submitted but not finished (default: twice the worker threads).
    via_folder
        A folder every worker can read (a local cluster's, or a share given as ``--city-folder``):
        the city goes through a file there.
    """
    n_threads = sum(client.nthreads().values()) or 1
    in_flight = in_flight or 2 * n_threads
    shared = _send_city(client, city, via_folder)  # a broadcast city is sent again if lost
    source, token = iter(areas), uuid.uuid4().hex[:8]
    waiting: dict[str, tuple[StreetOffice, Future | str]] = {}  # key → the area and the city it was sent with
    resent: Counter[str] = Counter()
    finished = as_completed()

    def submit(area: StreetOffice) -> None:
        key = f"{KEY_PREFIX}{area.code}-{token}" + (f"-{resent[area.code]}" if resent[area.code] else "")
        future = client.submit(run_city_area, shared, area, key=key, retries=retries, pure=False)
        waiting[future.key] = (area, shared)
        finished.add(future)

    def submit_next() -> None:
        area = next(source, None)
        if area is not None:
            submit(area)

    for _ in range(in_flight):
        submit_next()
    outcomes: list[AreaOutcome] = []
    failures = []
    with tqdm(total=len(areas), desc="街道 / areas", unit="area", disable=not progress) as bar:
        for future in finished:
            area, sent_with = waiting.pop(future.key)
            if future.status == "finished":
                outcomes.append(future.result())
            elif _city_lost(future, sent_with) and resent[area.code] < MAX_RESENDS:
                # Dask keeps one copy of scattered data once no waiting task needs more (its memory
                # manager drops the others); when that copy's worker dies, the area cannot be rerun
                # from it: send the city again (once per loss) and run the area again
                if shared.status != "finished":
                    shared = _send_city(client, city, None)
                resent[area.code] += 1
                future.release()
                submit(area)
                continue
            else:
                failures.append(_failure(area, future.exception()))
            future.release()
            bar.update()
            submit_next()
    if isinstance(shared, Future):
        shared.release()
    columns = ["area", "name", "error_code", "error_zh", "error_en"]
    return BatchRun(outcomes, pd.DataFrame(failures, columns=columns), len(client.nthreads()), sum(resent.values()))
