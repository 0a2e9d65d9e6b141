"""App responsiveness in a real browser (Debian chromium): cold start and widget interactions.

Starts ``streamlit run app.py`` (after the demo derivation is cached, as on a second start),
then times: server start → area page drawn; coverage page drawn; changing the tier on the
coverage page until the page settles. Prints a table; targets: start < 10 s, interaction < 1 s.

    python bench/bench_app.py
"""
from __future__ import annotations

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
            page.goto(f"{url}/coverage")
            page.get_by_text("各社区缺口").first.wait_for(timeout=120_000)
            page.wait_for_function(SETTLED, timeout=120_000)
            rows.append(("open coverage page (first run of coverage)", time.perf_counter() - t0))
            for label in ("10 分钟", "15 分钟", "5 分钟"):
                t0 = time.perf_counter()
                page.get_by_text(label, exact=True).first.click()
                page.wait_for_timeout(50)
                page.wait_for_function(SETTLED, timeout=60_000)
                rows.append((f"coverage: switch tier to {label}", time.perf_counter() - t0))
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    width = max(len(r[0]) for r in rows)
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:6.2f} s")


if __name__ == "__main__":
    main()
