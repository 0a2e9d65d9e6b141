"""Printable reports (PDF, HTML, Excel) and standard exports of a planning area's coverage.

Data flows one way: :func:`prepare_report_data` computes coverage, uncovered clusters and
walking areas; :func:`~planning.outputs.reports.content.assemble_report` turns them into headings,
paragraphs and tables (pure); the renderers write PDF, HTML or Excel bytes.
"""
from __future__ import annotations

import importlib

_WHERE = {"ReportData": "data", "prepare_report_data": "data",
          "report_bytes": "build", "report_format": "build", "write_report": "build"}
__all__ = list(_WHERE)


def __getattr__(name: str):
    """The renderers load matplotlib and the PDF stack: imported when first used, so that a page reading
    only :mod:`planning.outputs.reports.content` (the app's area page) does not pay for them."""
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
