"""Command-line entry: ``planning <command>`` / ``python -m planning <command>``.

Each command lives in ``planning/cli/<name>.py`` with ``configure(parser)`` (its arguments)
and ``run(args)`` (returns an exit code). Only the chosen command's module is imported, and
command modules import the heavy libraries inside ``run``, so ``--help`` and a bad argument
are answered at once. A :class:`PlanningError` is printed as one zh/en line (exit 2);
Ctrl-C and SIGTERM stop with one line (exit 130 / 143).
"""
from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from planning.base.errors import PlanningError
from planning.base.text import catalogue
from planning.cli.args import Parser
from planning.cli.common import check_inputs_exist

COMMANDS = ("demo", "area", "coverage", "reach", "optimize", "report", "poster", "export", "batch", "poll", "info", "app")


def build_parser(command: str | None = None) -> Parser:
    """The parser: every command listed, the arguments of ``command`` (or of all when None)."""
    words = catalogue("cli")
    parser = Parser(prog="planning", description=words.both("prog"))
    sub = parser.add_subparsers(dest="command", required=True, metavar=words.both("command"),
                                parser_class=Parser)
    for name in COMMANDS:
        chosen = sub.add_parser(name, help=words.both(f"cmd_{name}"), description=words.both(f"cmd_{name}"))
        if command in (None, name):
            importlib.import_module(f"planning.cli.{name}").configure(chosen)
    return parser


def _chosen_command(argv: Sequence[str]) -> str | None:
    return next((arg for arg in argv if not arg.startswith("-")), None)


class _Stopped(BaseException):
    """SIGTERM, turned into an exception so ``finally`` blocks remove partial files.

    A ``BaseException`` like ``KeyboardInterrupt``: no ``except Exception`` on the way (a
    reader turning a parser's error into "cannot read the file") may swallow it."""


_interrupted = threading.Event()  # set by the signal handlers below, before they raise


def _on_sigterm(signum, frame) -> None:
    _interrupted.set()
    raise _Stopped


def _on_sigint(signum, frame) -> None:
    _interrupted.set()
    raise KeyboardInterrupt


def _quiet_after_interruption(hook):
    def quiet(unraisable) -> None:
        if not _interrupted.is_set():
            hook(unraisable)
    return quiet


@contextmanager
def stops_as_exceptions() -> Iterator[None]:
    """In the main thread: SIGTERM raises :class:`_Stopped` and Ctrl-C ``KeyboardInterrupt`` (unless Ctrl-C is
    ignored, as for a job started with nohup). Once either came, an error in the destructor of an object the
    signal cut short is not printed: numba's llvmlite builds objects whose ``__del__`` fails when ``__init__``
    was interrupted ("Exception ignored in … AttributeError: _ptr", a traceback), which is not the user's
    concern; the one line of :func:`main` is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _interrupted.clear()
    previous_term = signal.signal(signal.SIGTERM, _on_sigterm)
    own_sigint = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if own_sigint:
        signal.signal(signal.SIGINT, _on_sigint)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_after_interruption(previous_hook)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        if own_sigint:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if not _interrupted.is_set():  # else kept: the cut-short objects may be freed after this
            sys.unraisablehook = previous_hook


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; print a zh/en line and return non-zero on bad input or interruption."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _chosen_command(argv)
    args = build_parser(command if command in COMMANDS else "").parse_args(argv)
    with stops_as_exceptions():
        try:
            check_inputs_exist(args)
            return int(args.handler(args) or 0)
        except PlanningError as err:
            print(f"错误 / Error: {err.one_line()}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"\n{PlanningError('cli_interrupted').one_line()}", file=sys.stderr)
            return 130
        except _Stopped:
            print(PlanningError("cli_interrupted").one_line(), file=sys.stderr)
            return 143


def entry() -> None:
    """The ``planning`` command: :func:`main`, then end the process with its exit code.

    After Ctrl-C or SIGTERM the process ends as soon as its one line is out (``os._exit``): the
    search threads still finishing their chunks are not waited for, and the interpreter's own
    shutdown, which treats a late second signal as a crash (exit -2), never starts. Partial files
    are gone by then: the ``finally`` blocks ran as the interruption unwound to :func:`main`.
    """
    code = main()
    if code in (130, 143):
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
