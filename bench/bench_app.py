"""App responsiveness in a real browser (Debian chromium): cold start and widget interactions.

Starts ``streamlit run app.py`` (after the demo derivation is cached, as on a second start),
then times: server start → area page drawn; the coverage page opened from the navigation (its
first run) and then reloaded by the browser (a bookmark or a refresh: the whole app loads again);
changing the tier on the coverage page until the page settles; the siting and area pages opened
again; and the command line's ``planning --help`` and its first error (a missing input file).
Prints a table with the machine's load (``os.getloadavg``) before and after; targets: start < 10 s,
interaction < 1 s.

    python bench/bench_app.py
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SETTLED = "!document.querySelector('[data-testid=\"stStatusWidget\"]')"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    from planning.areas.build import load_demo_area

    load_before = os.getloadavg()
    load_demo_area()  # the first derivation is cached on disk, as after any first start
    port = _port()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    rows = []
    try:
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url)
            page.get_by_text("南京 新街口", exact=False).first.wait_for(timeout=120_000)
            page.wait_for_function(SETTLED, timeout=120_000)
            rows.append(("cold start → area page drawn", time.perf_counter() - start))
            t0 = time.perf_counter()
            page.get_by_role("link", name="覆盖分析").first.click()
            page.get_by_text("各社区缺口").first.wait_for(timeout=120_000)
            page.wait_for_timeout(50)
            page.wait_for_function(SETTLED, timeout=120_000)
            rows.append(("page switch → coverage (its first run)", time.perf_counter() - t0))
            t0 = time.perf_counter()
            page.goto(f"{url}/coverage")  # a bookmark or a refresh: the browser loads the whole app again
            page.get_by_text("各社区缺口").first.wait_for(timeout=120_000)
            page.wait_for_function(SETTLED, timeout=120_000)
            rows.append(("coverage page reloaded by the browser", time.perf_counter() - t0))
            for label in ("10 分钟", "15 分钟", "5 分钟"):
                t0 = time.perf_counter()
                page.get_by_text(label, exact=True).first.click()
                page.wait_for_timeout(50)
                page.wait_for_function(SETTLED, timeout=60_000)
                rows.append((f"coverage: switch tier to {label}", time.perf_counter() - t0))
            for name, path, text in (("siting", "siting", "开始计算"), ("area (again)", "", "南京 新街口")):
                t0 = time.perf_counter()
                page.get_by_role("link", name={"siting": "设施选址", "area (again)": "区域与数据"}[name]).first.click()
                page.get_by_text(text, exact=False).first.wait_for(timeout=120_000)
                page.wait_for_timeout(50)
                page.wait_for_function(SETTLED, timeout=120_000)
                rows.append((f"page switch → {name}", time.perf_counter() - t0))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rows += _cli_rows()
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}; "
          f"after: {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({os.cpu_count()} cores)")
    width = max(len(r[0]) for r in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:6.2f} s")


def _cli_rows() -> list[tuple[str, float]]:
    """``planning --help`` and the first error a mistyped path gives, each in a fresh process."""
    planning = [sys.executable, "-m", "planning.cli.main"]
    rows = []
    for name, args in (("CLI: planning --help", ["--help"]),
                       ("CLI: first error (missing network file)",
                        ["coverage", "--network", str(ROOT / "no-such-network.graphml"), "--facilities",
                         str(ROOT / "no-such-facilities.csv"), "--out", str(ROOT / "no-such-output")])):
        t0 = time.perf_counter()
        subprocess.run(planning + args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rows.append((name, time.perf_counter() - t0))
    return rows


if __name__ == "__main__":
    main()
