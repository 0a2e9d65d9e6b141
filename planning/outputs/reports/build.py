"""One call from an area to report bytes, for the CLI and the app's download button."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from planning.areas.build import Area
from planning.base.catalogue import FacilityType
from planning.base.errors import PlanningError
from planning.base.walking import DEFAULT_SPEED_KMH, TIERS_MINUTES
from planning.io.write import write_bytes
from planning.outputs.formats import MEETS_SHARE, REPORT_FORMATS
from planning.outputs.reports.content import ReportContent, assemble_report
from planning.outputs.reports.data import ReportData, prepare_report_data
from planning.outputs.reports.html import render_html
from planning.outputs.reports.maps import report_figures
from planning.outputs.reports.pdf import render_pdf
from planning.outputs.reports.xlsx import render_xlsx
from scenarios.scenario import Scenario

RENDERERS: dict[str, Callable[[ReportContent], bytes]] = {"pdf": render_pdf, "html": render_html, "xlsx": render_xlsx}
MIME_TYPES = {"pdf": "application/pdf", "html": "text/html",
              "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def report_format(path: str | Path) -> str:
    """``pdf``, ``html`` or ``xlsx`` from a file name (``.htm`` counts as HTML)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    fmt = "html" if suffix == "htm" else suffix
    if fmt not in REPORT_FORMATS:
        raise PlanningError("report_format_unknown", path=path, known=", ".join(REPORT_FORMATS))
    return fmt


def render(data: ReportData, fmt: str, lang: str = "zh", share: float = MEETS_SHARE) -> bytes:
    """Report bytes in ``fmt`` (maps are drawn for PDF and HTML only)."""
    if fmt not in REPORT_FORMATS:
        raise PlanningError("report_format_unknown", path=fmt, known=", ".join(REPORT_FORMATS))
    figures, notes = {}, []
    if fmt != "xlsx":
        try:
            figures = report_figures(data, lang)
        except PlanningError as err:
            if err.code != "static_map_no_cjk_font":
                raise
            notes.append(err.message(lang))  # the report is still useful without maps; say why they are missing
    return RENDERERS[fmt](assemble_report(data, lang, figures, share=share, notes=notes))


def report_bytes(area: Area, fmt: str = "pdf", *, lang: str = "zh", types: list[FacilityType] | None = None,
                 tiers: tuple[float, ...] = TIERS_MINUTES, speed_kmh: float = DEFAULT_SPEED_KMH,
                 scenario: Scenario | None = None, poll: dict[str, Any] | None = None,
                 share: float = MEETS_SHARE) -> bytes:
    """The report of ``area`` as bytes, e.g. for ``st.download_button(data=..., mime=MIME_TYPES[fmt])``.

    Parameters
    ----------
    fmt
        ``"pdf"``, ``"html"`` or ``"xlsx"``.
    lang
        ``"zh"`` or ``"en"``.
    scenario
        A loaded scenario (:func:`scenarios.scenario.load_scenario`) to describe.
    poll
        A published poll result (:meth:`scenarios.voting.VotingService.published_result`).
    share
        Share of served residents within the tier for a type to meet it (assumption, default 0.8).
    """
    data = prepare_report_data(area, types, tiers, speed_kmh, scenario, poll)
    return render(data, fmt, lang, share)


def write_report(path: str | Path, data: ReportData, lang: str = "zh", share: float = MEETS_SHARE,
                 inputs=()) -> Path:
    """Write the report to ``path`` completely or not at all (never over one of ``inputs``);
    the format follows the suffix (.pdf, .html, .xlsx)."""
    path = Path(path)
    payload = render(data, report_format(path), lang, share)
    return write_bytes(path, payload, inputs)
