"""The report's tables as an Excel workbook, one sheet per table (openpyxl)."""
from __future__ import annotations

import io
import math
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from planning.outputs.reports.content import ReportContent, label

NUMBER_FORMATS = {"int": "#,##0", "pct": "0.0%", "minutes": "0.0", "yuan": "#,##0", "coord": "0.000000"}
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def _value(value: Any) -> Any:
    """Excel has no NaN or infinity: both become an empty cell."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def render_xlsx(content: ReportContent) -> bytes:
    """Workbook bytes: sheets named from ``report.yaml`` (``sheet_<key>``), headers frozen.

    Unreachable walking times (none within 60 minutes) are empty cells.
    """
    book = Workbook()
    book.remove(book.active)
    for table in content.sheets():
        sheet = book.create_sheet(label(f"sheet_{table.key}", content.lang)[:31])
        sheet.append([str(c) for c in table.frame.columns])
        for row in table.frame.itertuples(index=False):
            sheet.append([_value(v) for v in row])
        for i, column in enumerate(table.frame.columns, start=1):
            letter = get_column_letter(i)
            sheet[f"{letter}1"].font = Font(bold=True)
            sheet[f"{letter}1"].fill = _HEADER_FILL
            sheet.column_dimensions[letter].width = min(40, max(10, 2 * len(str(column))))
            number_format = NUMBER_FORMATS.get(table.kinds[column])
            if number_format:
                for cell in sheet[letter][1:]:
                    cell.number_format = number_format
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
