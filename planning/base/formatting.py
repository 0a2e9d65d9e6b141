"""Numbers as people read them — minutes, shares, yuan, counts — in Chinese or English.

One family of helpers for the CLI, the app, the reports and the exports, so that the same
figure reads the same everywhere and no reader ever sees ``inf``, ``NaN`` or ``None``:

* a walking time beyond the reporting limit (stored as ``inf``) reads "超过 60 分钟 / over 60 min";
* a figure that cannot be computed (``NaN``/``None``, e.g. a share of zero residents) reads "—",
  which the page or report explains in a footnote;
* a cost nobody gave reads "未填写 / not given" — an unknown cost is never 0.

Shares are printed with one decimal (42.7%) in every front end, so a figure can be checked
against the CLI, the app, the PDF and the GeoPackage. Machine-readable files keep numbers
numeric instead: :func:`export_numbers` turns ``inf`` into an empty cell (NULL).
The words come from ``planning/locale/numbers.yaml``.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from planning.base.text import catalogue
from planning.base.walking import MAX_REPORTED_MINUTES

SHARE_DECIMALS = 1
MINUTE_DECIMALS = 1


def word(key: str, lang: str = "zh", **params: Any) -> str:
    """The word ``key`` of ``numbers.yaml`` in ``lang`` (``"zh"``/``"en"``), ``params`` filled in."""
    return catalogue("numbers").text(key, lang, **params)


UNKNOWN = "—"


def as_number(value: Any) -> float | None:
    """``value`` as a float, or None when it is missing (None, NaN, pandas NA, not a number).

    Infinity is kept: for walking minutes it means "beyond the reporting limit".
    """
    if value is None or isinstance(value, bool) or not isinstance(value, (Real, np.number)):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def is_known(value: Any) -> bool:
    """True for a finite number; False for None, NaN and infinity."""
    number = as_number(value)
    return number is not None and math.isfinite(number)


def minutes_text(value: Any, lang: str = "zh", *, unit: bool = False, decimals: int = MINUTE_DECIMALS) -> str:
    """Walking minutes: ``12.3`` (``12.3 分钟`` with ``unit``), "超过 60 分钟" for ``inf``, "—" if unknown."""
    number = as_number(value)
    if number is None:
        return UNKNOWN
    if math.isinf(number) or number > MAX_REPORTED_MINUTES:
        return word("beyond_minutes", lang, minutes=f"{MAX_REPORTED_MINUTES:g}")
    text = f"{number:.{decimals}f}"
    return word("minutes_unit", lang, value=text) if unit else text


def share_text(value: Any, lang: str = "zh", *, decimals: int = SHARE_DECIMALS) -> str:
    """A share (0–1) as a percentage, ``42.7%``; "—" when it cannot be computed."""
    if not is_known(value):
        return UNKNOWN
    return f"{float(value) * 100:.{decimals}f}%"


def share_change_text(before: Any, after: Any, lang: str = "zh") -> str:
    """``17.5% → 35.0%``."""
    return f"{share_text(before, lang)} → {share_text(after, lang)}"


def points_text(before: Any, after: Any, lang: str = "zh", *, decimals: int = SHARE_DECIMALS) -> str:
    """The change of a share in percentage points, ``+17.5 个百分点`` / ``+17.5 pt``; "—" if unknown."""
    if not (is_known(before) and is_known(after)):
        return UNKNOWN
    return word("percent_points", lang, value=f"{(float(after) - float(before)) * 100:+.{decimals}f}")


def count_text(value: Any, lang: str = "zh") -> str:
    """People or things, ``12,345``; "—" when unknown."""
    return f"{float(value):,.0f}" if is_known(value) else UNKNOWN


def number_text(value: Any, decimals: int = 1) -> str:
    """Any other figure with thousands separators, ``17,541,177.6``; "—" when unknown."""
    return f"{float(value):,.{decimals}f}" if is_known(value) else UNKNOWN


def yuan_text(value: Any, lang: str = "zh", *, unit: bool = True) -> str:
    """A cost in yuan, ``1,500,000 元``; "未填写 / not given" when nobody gave it."""
    if not is_known(value):
        return word("cost_not_given", lang)
    text = f"{float(value):,.0f}"
    return word("yuan", lang, value=text) if unit else text


def wan_yuan_text(value: Any, lang: str = "zh") -> str:
    """A cost as residents say it: ``约 150 万元`` / ``about 1,500,000 yuan``; "未填写 / not given" if unknown.

    Rounded to 10,000 yuan (one decimal of 万 below 100 万); below 10,000 yuan the exact amount.
    """
    if not is_known(value):
        return word("cost_not_given", lang)
    if float(value) < 10_000:
        return yuan_text(value, lang)
    step = 10_000 if float(value) >= 1_000_000 else 1_000
    rounded = math.floor(float(value) / step + 0.5) * step
    if lang == "en":
        return word("wan_yuan", lang, value=f"{rounded:,.0f}")
    return word("wan_yuan", lang, value=f"{rounded / 10_000:,.{0 if step == 10_000 else 1}f}".removesuffix(".0"))


def value_text(value: Any, kind: str, lang: str = "zh") -> str:
    """A table cell as printed, by kind: ``int`` · ``pct`` · ``minutes`` · ``yuan`` · ``coord`` · ``text``.

    Unknown numbers read "—" (costs: "未填写 / not given"); ``inf`` minutes "超过 60 分钟".
    """
    if kind == "int":
        return count_text(value, lang)
    if kind == "pct":
        return share_text(value, lang)
    if kind == "minutes":
        return minutes_text(value, lang)
    if kind == "yuan":
        return yuan_text(value, lang, unit=False)
    if kind == "coord":
        return f"{float(value):.5f}" if is_known(value) else UNKNOWN
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return UNKNOWN
    return str(value)


def export_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every infinite number replaced by NaN, written as an empty cell / NULL.

    For machine-readable files (CSV, GeoPackage): numeric columns stay numeric, and a walking
    time beyond the reporting limit is empty rather than the string or float ``inf``.
    """
    return frame.replace([np.inf, -np.inf], np.nan)
