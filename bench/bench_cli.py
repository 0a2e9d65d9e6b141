"""Command-line start-up: ``planning --help``, a bad argument, and a paper ballot's ``--help``,
this checkout against an earlier commit, side by side in one run.

Each command runs as a fresh process (as a clerk types it), five times; the table shows the
median wall time, CPU time and peak memory. The earlier commit (default: the last one before
the CLI imported lazily) is checked out into a temporary git worktree and run from there.
Targets: ``--help`` < 1 s, a bad argument < 1.5 s on 2 cores.

    python bench/bench_cli.py [--before f2072a3] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CALLS = {
    "planning --help": ["--help"],
    "planning coverage --minutes abc (bad argument)": ["coverage", "--network", "x", "--facilities", "y",
                                                       "--out", "z", "--minutes", "abc"],
    "planning poll vote --help": ["poll", "vote", "--help"],
}


def _time(checkout: Path, argv: list[str], runs: int) -> tuple[float, float, float]:
    """(median wall s, median CPU s, peak RSS MB) of ``python -m planning argv`` run in ``checkout``."""
    walls, cpus, peaks = [], [], []
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "planning", *argv], cwd=checkout, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(proc.pid, 0)  # this child's own CPU time and peak memory
        walls.append(time.perf_counter() - start)
        proc.returncode = 0  # reaped above
        cpus.append(usage.ru_utime + usage.ru_stime)
        peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(walls), statistics.median(cpus), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="f2072a3", help="earlier commit to compare with")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(old), args.before], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs each, median")
            print(f"{'call':<48} {'before s':>9} {'now s':>7} {'before/now':>10} {'CPU before':>10} "
                  f"{'CPU now':>8} {'MB before':>9} {'MB now':>7}")
            for name, argv in CALLS.items():
                b_wall, b_cpu, b_mb = _time(old, argv, args.runs)
                n_wall, n_cpu, n_mb = _time(ROOT, argv, args.runs)
                print(f"{name:<48} {b_wall:9.2f} {n_wall:7.2f} {b_wall / n_wall:9.1f}× {b_cpu:10.2f} "
                      f"{n_cpu:8.2f} {b_mb:9.0f} {n_mb:7.0f}")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
