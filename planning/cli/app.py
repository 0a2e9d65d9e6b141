"""``planning app``: start the Streamlit app from any install (a wheel needs no checkout).

Streamlit serves the ``static`` folder beside its entry script, so the entry is written into
the user folder next to a link to the package's vendored map files, and the settings of the
repository's ``.streamlit/config.toml`` are passed on the command line.
"""
from __future__ import annotations

import argparse

from planning.cli.args import number

ENTRY = '''"""Written by `planning app`: runs the installed app."""
from planning.app.main import main

main()
'''
# the repository's .streamlit/config.toml, for installs that have no checkout
STREAMLIT_OPTIONS = {
    "server.headless": "true", "server.enableStaticServing": "true", "server.fileWatcherType": "none",
    "runner.postScriptGC": "false", "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal", "theme.base": "light", "theme.baseFontSize": "18",
}


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=number(1, 65535, integer=True), default=8501, help="端口 / port (default 8501)")
    p.add_argument("--address", default="0.0.0.0",
                   help="监听地址（默认全部，手机可用局域网地址访问）/ address to listen on (default: all, so phones on the LAN can reach it)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import subprocess
    import sys

    from planning.base import paths
    from planning.base.text import catalogue
    from planning.io.write import write_text
    from planning.outputs.maps.assets import ensure_app_static

    folder = paths.home() / "app"
    entry = folder / "planning_app.py"
    if not entry.exists() or entry.read_text(encoding="utf-8") != ENTRY:
        write_text(entry, ENTRY)
    ensure_app_static(folder)
    options = {**STREAMLIT_OPTIONS, "server.port": str(args.port), "server.address": args.address}
    print(catalogue("cli").both("app_starting", url=f"http://localhost:{args.port}"))
    command = [sys.executable, "-m", "streamlit", "run", str(entry), *(f"--{k}={v}" for k, v in options.items())]
    return subprocess.call(command)
