"""Printable reports (PDF, HTML, Excel) and standard exports of a planning area's coverage.

Data flows one way: :func:`prepare_report_data` computes coverage, uncovered clusters and
walking areas; :func:`~planning.outputs.reports.content.assemble_report` turns them into headings,
paragraphs and tables (pure); the renderers write PDF, HTML or Excel bytes.
"""
from __future__ import annotations

from planning.outputs.reports.build import report_bytes, report_format, write_report
from planning.outputs.reports.data import ReportData, prepare_report_data

__all__ = ["ReportData", "prepare_report_data", "report_bytes", "report_format", "write_report"]
