"""Command-line entry: ``planning <command>`` / ``python -m planning <command>``.

Each command lives in ``planning/cli/<name>.py`` and exposes ``register(subparsers)``;
the handler it sets returns an exit code. :class:`PlanningError` is printed as one zh/en line.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from planning.base.errors import PlanningError

COMMAND_MODULES = ("coverage", "reach", "demo", "optimize", "poll", "report", "export", "batch")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every available command registered."""
    parser = argparse.ArgumentParser(
        prog="planning",
        description="社区生活圈规划工具 / Community life-circle planning tool (GB 50180-2018, TD/T 1062-2021)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令/command")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"planning.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"planning.cli.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; print a zh/en error line and return non-zero on bad input."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except PlanningError as err:
        print(f"错误 / Error: {err.one_line()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
