"""The app in a real browser: Debian's chromium driven by Playwright, a streamlit server per module.

Browser tests are skipped only when /usr/bin/chromium is missing and ``CI`` is not set
(``apt-get install chromium fonts-noto-cjk``); in CI a missing browser is a failure.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.data import ROOT

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags chromium keeps trying hosts this offline machine refuses.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                                    reason="apt-get install chromium fonts-noto-cjk")
SETTLED = "!document.querySelector('[data-testid=\"stStatusWidget\"]')"


def _wait_until_answering(url: str) -> None:
    """Poll a Streamlit server's health address for up to a minute."""
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
            return
        except OSError:
            time.sleep(0.25)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(env: Mapping[str, str], script: str = "app.py", cwd: Path = ROOT,
                     options: tuple[str, ...] = ()) -> Iterator[str]:
    """``streamlit run script`` on a free local port; yields its URL once it answers."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1", *options],
                            cwd=cwd, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # busy drawing a page for a loaded machine: stop it outright
            proc.kill()
            proc.wait(timeout=30)


@contextmanager
def chromium() -> Iterator:
    """A headless Debian chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def settle(page, timeout_ms: int = 60_000) -> None:
    """Wait until the app has finished its script run."""
    page.wait_for_timeout(500)
    page.wait_for_function(SETTLED, timeout=timeout_ms)


@contextmanager
def app_server(env: Mapping[str, str]) -> Iterator[tuple[str, list[str]]]:
    """Like :func:`streamlit_server` for ``app.py``, also collecting what the server prints in its
    window (the organiser setup token is printed there): yields (URL, lines printed so far)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    printed: list[str] = []
    threading.Thread(target=lambda: printed.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(url)
        yield url, printed
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def offline_context(browser, **options):
    """A browser context that lets requests reach only this machine; ``context.left`` lists the others."""
    context = browser.new_context(**options)
    left: list[str] = []

    def guard(route):
        url = route.request.url
        host = url.split("/")[2] if "://" in url else ""
        if host.startswith(("127.0.0.1", "localhost")) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            left.append(url)
            route.abort()

    context.route("**/*", guard)
    context.left = left
    return context
