"""The report's tables as an Excel workbook, one sheet per table (openpyxl).

Made for a clerk who opens it and prints it: Chinese headers, columns as wide as their longest
cell (long text wraps instead of being cut), whole residents and yuan as whole numbers.
"""
from __future__ import annotations

import io
import math
import unicodedata
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from planning.outputs.cells import text_not_formulas
from planning.outputs.reports.content import ReportContent, label

NUMBER_FORMATS = {"int": "#,##0", "pct": "0.0%", "minutes": "0.0", "yuan": "#,##0", "coord": "0.000000"}
# How a number looks with its format, to measure the column (the formats above, in Python)
_SHOWN = {"int": "{:,.0f}", "pct": "{:.1%}", "minutes": "{:.1f}", "yuan": "{:,.0f}", "coord": "{:.6f}"}
WHOLE_KINDS = {"int", "yuan"}  # people counted and yuan: whole numbers in the cell, not 143002.1
MAX_WIDTH = 48.0  # characters; a longer text wraps within the column
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def _value(value: Any, kind: str = "text") -> Any:
    """A cell value: NaN and infinity become an empty cell (Excel has neither); people and yuan whole."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if kind in WHOLE_KINDS and isinstance(value, float):
        return int(round(value))
    return value


def text_width(text: str) -> float:
    """Width of ``text`` in Excel's column unit (the width of "0"): a Chinese character counts two."""
    return float(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text))


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind in _SHOWN and isinstance(value, (int, float)):
        return _SHOWN[kind].format(value)
    return str(value)


def column_width(header: str, cells: list[str]) -> float:
    """The column width that shows the header and every cell whole (two units of margin), at most
    :data:`MAX_WIDTH`; wider text wraps."""
    widest = max([text_width(header), *(text_width(c) for c in cells)])
    return min(MAX_WIDTH, widest + 2.0)


def render_xlsx(content: ReportContent) -> bytes:
    """Workbook bytes: sheets named from ``report.yaml`` (``sheet_<key>``), headers frozen.

    Unreachable walking times (none within 60 minutes) are empty cells.
    """
    book = Workbook()
    book.remove(book.active)
    wrap = Alignment(wrap_text=True, vertical="top")
    for table in content.sheets():
        sheet = book.create_sheet(label(f"sheet_{table.key}", content.lang)[:31])
        kinds = [table.kinds[c] for c in table.frame.columns]
        sheet.append([str(c) for c in table.frame.columns])
        for row in table.frame.itertuples(index=False):
            sheet.append([_value(v, kind) for v, kind in zip(row, kinds)])
        text_not_formulas(sheet)  # a 社区 or plan name beginning with "=" is text, never a formula
        for i, (column, kind) in enumerate(zip(table.frame.columns, kinds), start=1):
            letter = get_column_letter(i)
            sheet[f"{letter}1"].font = Font(bold=True)
            sheet[f"{letter}1"].fill = _HEADER_FILL
            cells = sheet[letter][1:]
            width = column_width(str(column), [_shown(cell.value, kind) for cell in cells])
            sheet.column_dimensions[letter].width = width
            number_format = NUMBER_FORMATS.get(kind)
            for cell in cells:
                if number_format:
                    cell.number_format = number_format
                elif width >= MAX_WIDTH:
                    cell.alignment = wrap
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
