"""Sustained ballots per second with 50 concurrent clients, SQLite vs PostgreSQL, zero lost.

Run: ``python bench/bench_voting.py [--ballots 3000] [--clients 50] [--postgres-url URL]``.
Without ``--postgres-url`` a throwaway server is started from Debian's binaries
(see ``tests/postgres_server.py``); PostgreSQL is left out if they are absent.
"""
from __future__ import annotations

import argparse
import queue
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scenarios.scenario import save_scenario  # noqa: E402
from scenarios.voting import VotingService  # noqa: E402
from tests.support.postgres import postgres_bin_dir, throwaway_postgres  # noqa: E402
from tests.support.voting import SECRET, make_scenario  # noqa: E402


def run(url: str, files: list[Path], ballots: int, clients: int) -> dict[str, float]:
    """Cast ``ballots`` ballots from ``clients`` threads; return rate and losses."""
    svc = VotingService.connect(url)
    svc.setup_organiser(SECRET)
    poll_id = svc.create_poll(SECRET, "bench", files, "ranked")
    work: queue.SimpleQueue[str] = queue.SimpleQueue()
    for code in svc.generate_codes(SECRET, poll_id, ballots):
        work.put(code)
    svc.open_voting(SECRET, poll_id)
    receipts: list[str] = []
    failures: list[BaseException] = []

    def client(i: int) -> None:
        while True:
            try:
                code = work.get_nowait()
            except queue.Empty:
                return
            try:
                receipts.append(svc.cast_ballot(poll_id, code, {"ranking": ["ABC"[i % 3], "ABC"[(i + 1) % 3]]}))
            except BaseException as exc:  # noqa: BLE001  (counted and reported as lost)
                failures.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    stored = svc.poll(poll_id).ballots
    svc.engine.dispose()
    return {"seconds": seconds, "rate": len(receipts) / seconds, "acknowledged": len(receipts),
            "stored": stored, "lost": ballots - stored, "errors": len(failures)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        files = [save_scenario(make_scenario(n, s, g), tmp / "scenarios")
                 for n, s, g in (("甲", ["s1", "s2"], 0.5), ("乙", ["s3", "s4"], 0.6), ("丙", ["s1", "s4"], 0.4))]
        backends = {"sqlite (rollback journal, synchronous=FULL)": f"sqlite:///{tmp / 'bench.sqlite'}"}
        pg_url = args.postgres_url
        if pg_url is None and (bin_dir := postgres_bin_dir()) is not None:
            pg_url = stack.enter_context(throwaway_postgres(bin_dir))
        if pg_url:
            backends["postgresql"] = pg_url
        results = {name: run(url, files, args.ballots, args.clients) for name, url in backends.items()}
    base = next(iter(results.values()))["rate"]
    print(f"{'backend':32} {'clients':>7} {'ballots':>7} {'seconds':>8} {'ballots/s':>10} {'vs sqlite':>9} {'lost':>5} {'errors':>6}")
    for name, r in results.items():
        print(f"{name:32} {args.clients:>7} {r['acknowledged']:>7} {r['seconds']:>8.2f} {r['rate']:>10.0f} "
              f"{r['rate'] / base:>9.2f} {r['lost']:>5} {r['errors']:>6}")
    return 0 if all(r["lost"] == 0 and r["errors"] == 0 for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
