"""``planning info``: the version and where the user's files live (scenarios, ballots, caches)."""
from __future__ import annotations

import argparse


def configure(p: argparse.ArgumentParser) -> None:
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    from planning.base import paths
    from planning.base.text import catalogue
    from scenarios.voting.db import database_url

    words = catalogue("cli")
    try:
        installed = version("shenghuoquan")
    except PackageNotFoundError:  # run from a checkout without installing
        installed = "?"
    for what, src, dst in paths.move_legacy_state():
        print(words.both(f"legacy_{what}", src=src, dst=dst))
    rows = [("info_version", installed), ("info_home", paths.home()), ("info_scenarios", paths.scenario_dir()),
            ("info_areas", paths.areas_dir()), ("info_database", database_url()), ("info_cache", paths.cache_dir()),
            ("info_settings", paths.config_dir() / "settings.json"), ("info_shipped", paths.DATA_DIR)]
    for key, value in rows:
        print(f"{words.both(key)}: {value}")
    return 0
