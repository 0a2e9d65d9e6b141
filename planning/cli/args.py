"""Argument parsing that answers in Chinese and English, with every number range-checked.

argparse's own messages are English only (``invalid float value: 'abc'``); :class:`Parser`
says each in both languages, and the value types below refuse NaN, infinities, out-of-range
numbers and repeated list entries before any work starts. Only the standard library is
imported here, so ``planning --help`` and a bad argument are answered at once.
"""
from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable
from typing import NoReturn

from planning.base.errors import PlanningError

# argparse's messages (Python 3.11–3.13) → our message code; the groups fill its placeholders
_ARGPARSE_MESSAGES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"the following arguments are required: (?P<args>.+)"), "cli_required"),
    (re.compile(r"unrecognized arguments: (?P<args>.+)"), "cli_unrecognized"),
    (re.compile(r"argument (?P<arg>.+?): invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)"),
     "cli_invalid_choice"),
    (re.compile(r"argument (?P<arg>\S+?): expected one argument"), "cli_expected_one"),
    (re.compile(r"argument (?P<arg>\S+?): not allowed with argument (?P<other>\S+)"), "cli_not_allowed_with"),
    (re.compile(r"argument (?P<arg>\S+?): invalid (?P<kind>\w+) value: (?P<value>.+)"), "cli_invalid_value"),
    (re.compile(r"one of the arguments (?P<args>.+) is required"), "cli_one_required"),
    (re.compile(r"argument (?P<arg>\S+?): ignored explicit argument (?P<value>.+)"), "cli_unrecognized_value"),
]
_OWN_MESSAGE = re.compile(r"argument (?P<arg>\S+?): (?P<text_zh>.+?) / (?P<text_en>.+)", re.S)


_HEADINGS = (("usage: ", "用法 / usage: "), ("positional arguments:", "参数 / positional arguments:"),
             ("options:", "选项 / options:"), ("optional arguments:", "选项 / options:"))


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose help and errors are in both languages (errors exit with 2)."""

    def __init__(self, *args, **kwargs) -> None:
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        if add_help:
            self.add_argument("-h", "--help", action="help", help="显示帮助 / show this help")

    def format_help(self) -> str:
        return _bilingual_headings(super().format_help())

    def format_usage(self) -> str:
        return _bilingual_headings(super().format_usage())

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"错误 / Error: {translate(message)}\n")


def _bilingual_headings(text: str) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        for english, both in _HEADINGS:
            if line.startswith(english):
                lines[i] = both + line[len(english):]
    return "\n".join(lines)


def translate(message: str) -> str:
    """argparse's English ``message`` as our Chinese / English line."""
    own = _OWN_MESSAGE.fullmatch(message)
    if own:  # raised by a value type below: already in both languages
        return PlanningError("cli_bad_value", **own.groupdict()).one_line()
    for pattern, code in _ARGPARSE_MESSAGES:
        match = pattern.fullmatch(message)
        if match:
            return PlanningError(code, **match.groupdict()).one_line()
    return PlanningError("cli_other", text=message).one_line()


def _refuse(code: str, **params) -> NoReturn:
    raise argparse.ArgumentTypeError(PlanningError(code, **params).one_line())


def number(low: float | None = None, high: float | None = None, *, integer: bool = False,
           low_open: bool = False) -> Callable[[str], float]:
    """A value type: a finite number in ``[low, high]`` (``(low, high]`` with ``low_open``)."""

    def convert(text: str) -> float:
        try:
            value = int(text) if integer else float(text)
        except ValueError:
            _refuse("cli_not_integer" if integer else "cli_not_number", value=text)
        if not math.isfinite(value):
            _refuse("cli_not_finite", value=text)
        too_low = low is not None and (value <= low if low_open else value < low)
        if too_low or (high is not None and value > high):
            _refuse("cli_out_of_range", value=text, range=_range_text(low, high, low_open))
        return value

    return convert


def _range_text(low: float | None, high: float | None, low_open: bool) -> str:
    left = "(" if low_open else "["
    return f"{left}{'-∞' if low is None else f'{low:g}'}, {'∞' if high is None else f'{high:g}'}]"


def unique_list(text: str) -> list[str]:
    """A comma-separated list (``,`` or ``，``) without blanks; a repeated entry is refused."""
    items = [part.strip() for part in re.split(r"[,，]", text) if part.strip()]
    if not items:
        _refuse("cli_empty_list", value=text)
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        _refuse("cli_repeated", items=", ".join(repeated))
    return items


def minutes_list(text: str) -> tuple[float, ...]:
    """Life-circle tiers such as ``5,10,15``: each above 0 and at most 60 minutes, none repeated."""
    check = number(0, 60, low_open=True)
    values = [check(item) for item in unique_list(text)]
    if len(set(values)) < len(values):
        _refuse("cli_repeated", items=text)
    return tuple(values)


# the ranges every command shares
SPEED_KMH = number(0, 30, low_open=True)  # 30 km/h is a sprint: anything faster is a typo
MINUTES = number(0, 60, low_open=True)
SNAP_M = number(0, 5000)
COUNT = number(1, 1_000_000, integer=True)
SHARE = number(0, 1)
YUAN = number(0, None, low_open=True)
SECONDS = number(0, 7 * 24 * 3600, low_open=True)
