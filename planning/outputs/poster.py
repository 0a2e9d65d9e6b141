"""The 公示 poster: one A3 or A2 page for the community noticeboard (一表一图).

What a resident reads from 1.5 m: the plan map before → after, how many residents (and how many
aged 60+) gain a facility within walking reach, the task table (项目、位置、规模、投资估算、资金来源、
责任单位、完成时限), and either the vote's QR code and dates while the poll is open or the result with
its digests after publication. Body text is at least 14 pt on A3 (scaled up on A2); the only font
is the embedded Chinese TrueType subset of :mod:`planning.outputs.fonts`.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

import qrcode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A2, A3
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Flowable,
    Image,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from planning.areas.build import Area
from planning.base.errors import PlanningError
from planning.base.formatting import count_text, value_text, yuan_text
from planning.base.text import catalogue
from planning.outputs.fonts import PDF_FONT, register_pdf_font
from planning.outputs.reports.content import model_words, scenario_gain, task_table
from planning.outputs.reports.maps import scenario_focus, scenario_map_pngs
from scenarios.scenario import Scenario, plan_cost_yuan

SIZES = {"A3": A3, "A2": A2}
ATTRIBUTION = "© OpenStreetMap contributors"
INK = colors.HexColor("#1a1a1a")
ACCENT = colors.HexColor("#1f3b5a")
BAND = colors.HexColor("#eef2f6")


@dataclass(frozen=True)
class PosterPoll:
    """The vote the poster announces or reports.

    ``state`` is the poll's stage (``voting`` shows the QR code to ``url`` and the ``dates``;
    ``published``/``evaluated`` show ``published``, :meth:`scenarios.voting.VotingService.published_result`).
    """

    poll_id: int
    title: str
    state: str
    url: str = ""
    dates: str = ""
    published: dict[str, Any] | None = field(default=None)


def _t(key: str, lang: str, **params: Any) -> str:
    return catalogue("report").text(key, lang, **params)


def _styles(scale: float) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("p", fontName=PDF_FONT, fontSize=18 * scale, leading=25 * scale, wordWrap="CJK",
                          textColor=INK)

    def style(name: str, size: float, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, fontSize=size * scale, leading=size * 1.35 * scale, **kw)

    return {
        "title": style("title", 44, alignment=TA_CENTER, textColor=ACCENT),
        "name": style("name", 28, alignment=TA_CENTER),
        "sub": style("sub", 16, alignment=TA_CENTER, textColor=colors.HexColor("#444")),
        "h": style("h", 24, textColor=ACCENT, spaceBefore=4 * scale * mm, spaceAfter=2 * scale * mm),
        "big": style("big", 40, alignment=TA_CENTER, textColor=ACCENT),
        "key": style("key", 17, alignment=TA_CENTER),
        "body": base,
        "cell": style("cell", 16),
        "head": style("head", 16, textColor=colors.white),
        "caption": style("caption", 15, textColor=colors.HexColor("#333")),
        "fine": style("fine", 12, textColor=colors.HexColor("#333")),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _key_figures(scenario: Scenario, lang: str, styles: dict, width: float) -> PdfTable:
    """Three boxes: residents gaining access, of whom 60+, sites and cost."""
    gain, gain60 = scenario_gain(scenario)
    cells = [[_p(count_text(gain), styles["big"]), _p(count_text(gain60), styles["big"]),
              _p(f"{len(scenario.sites)}", styles["big"])],
             [_p(_t("poster_gain", lang), styles["key"]), _p(_t("poster_gain_elderly", lang), styles["key"]),
              _p(_t("poster_sites", lang, cost=yuan_text(plan_cost_yuan(scenario), lang)), styles["key"])]]
    grid = PdfTable(cells, colWidths=[width / 3] * 3)
    grid.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), PDF_FONT), ("BACKGROUND", (0, 0), (-1, -1), BAND),
                              ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LINEAFTER", (0, 0), (1, -1), 1, colors.white),
                              ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
    return grid


def _needs_answered(scenario: Scenario, lang: str, styles: dict) -> list:
    """With a 民情征集: "本方案覆盖了 212 条居民诉求中的 148 条" in large letters under the key figures."""
    if scenario.needs is None:
        return []
    words = catalogue("needs")
    return [Spacer(1, 3 * mm), _p(words.text("poster_needs_answered", lang, answered=scenario.needs.answered,
                                             total=scenario.needs.total), styles["name"]),
            _p(words.text("poster_needs_survey", lang, title=scenario.needs.title), styles["caption"])]


def _image(png: bytes, width: float) -> Image:
    w, h = ImageReader(io.BytesIO(png)).getSize()
    return Image(io.BytesIO(png), width=width, height=width * h / w)


def _maps(area: Area, scenario: Scenario, lang: str, styles: dict, width: float, scale: float) -> list:
    pair = scenario_map_pngs(area, scenario, lang, width_inches=5.6, dpi=int(170 * scale), label_size=9,
                             legend_size=9)
    if pair is None:
        raise PlanningError("poster_other_area", scenario=scenario.name, area=area.name_zh)
    half = width / 2 - 2 * mm
    arrow = _p("→", styles["big"])
    grid = PdfTable([[_image(pair[0], half - 6 * mm * scale), arrow, _image(pair[1], half - 6 * mm * scale)]],
                    colWidths=[half - 6 * mm * scale, 12 * mm * scale + 4 * mm, half - 6 * mm * scale])
    grid.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), PDF_FONT), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    kind, tier = scenario_focus(scenario)
    name = next(v for k, v in scenario.facility_types.items() if k == kind)
    type_name = name.name_zh if lang == "zh" or not name.name_en else name.name_en
    return [grid, _p(_t("map_scenario_caption", lang, type=type_name, tier=tier), styles["caption"])]


def _tasks(scenario: Scenario, lang: str, styles: dict, width: float) -> PdfTable:
    table = task_table(scenario, lang)
    head = [Paragraph(escape(str(c)), styles["head"]) for c in table.frame.columns]
    body = [[Paragraph(escape(value_text(v, table.kinds[c], lang) if v != "" else ""), styles["cell"])
             for c, v in zip(table.frame.columns, row)] for row in table.frame.itertuples(index=False)]
    shares = [0.06, 0.15, 0.13, 0.13, 0.09, 0.13, 0.10, 0.11, 0.10]
    grid = PdfTable([head, *body], colWidths=[width * s for s in shares], repeatRows=1)
    grid.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), PDF_FONT), ("BACKGROUND", (0, 0), (-1, 0), ACCENT),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, BAND]),
        ("GRID", (0, 0), (-1, -1), 0.8, colors.HexColor("#667")), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return grid


class _QrCode(Flowable):
    """A QR code drawn as black squares (vector, sharp at any size; no font involved)."""

    def __init__(self, text: str, side: float) -> None:
        super().__init__()
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
        code.add_data(text)
        self.matrix = code.get_matrix()
        self.side = side

    def wrap(self, *_args: Any) -> tuple[float, float]:
        return self.side, self.side

    def draw(self) -> None:
        cell = self.side / len(self.matrix)
        self.canv.setFillColor(colors.black)
        for r, row in enumerate(self.matrix):
            for c, dark in enumerate(row):
                if dark:
                    self.canv.rect(c * cell, self.side - (r + 1) * cell, cell, cell, stroke=0, fill=1)


def _vote(scenario: Scenario, poll: PosterPoll | None, lang: str, styles: dict, width: float, scale: float) -> list:
    """While voting: QR code, dates, how to vote. After publication: the result and its digests."""
    digest = _p(_t("poster_scenario_digest", lang, digest=scenario.digest or scenario.content_digest()), styles["fine"])
    if poll is None:
        return [_p(_t("poster_feedback", lang), styles["body"]), digest]
    if poll.state in ("published", "evaluated") and poll.published:
        lines = poll.published.get("outcome", {}).get(lang, [])
        parts = [_p(_t("poster_result", lang, title=poll.title), styles["h"])]
        parts += [_p(line, styles["body"]) for line in lines]
        parts.append(_p(_t("poster_ballots_digest", lang, digest=poll.published["ballots_digest"]), styles["fine"]))
        return [*parts, digest]
    if poll.state == "voting" and poll.url:
        side = 62 * mm * scale
        text = [_p(_t("poster_vote", lang, title=poll.title), styles["h"]),
                _p(_t("poster_vote_dates", lang, dates=poll.dates) if poll.dates else "", styles["body"]),
                _p(_t("poster_vote_how", lang), styles["body"]), Spacer(1, 2 * mm), digest]
        grid = PdfTable([[text, _QrCode(poll.url, side)]], colWidths=[width - side - 8 * mm, side + 8 * mm])
        grid.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), PDF_FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("BACKGROUND", (0, 0), (-1, -1), BAND)]))
        return [grid]
    return [_p(_t("poster_poll_state", lang, title=poll.title, state=_t(f"poll_state_{poll.state}", lang)),
               styles["body"]), digest]


def render_poster(area: Area, scenario: Scenario, *, size: str = "A3", lang: str = "zh",
                  poll: PosterPoll | None = None, today: date | None = None) -> bytes:
    """The poster as one PDF page.

    Parameters
    ----------
    area
        The area the plan is in (its communities and existing facilities are drawn).
    scenario
        A loaded scenario; its sites' task fields fill the task table (blank when not filled).
    size
        ``"A3"`` or ``"A2"`` (everything scales with the sheet).
    poll
        The vote to announce (QR code, dates) or report (result, digests), or None.

    Raises
    ------
    PlanningError
        ``poster_size_unknown``; ``poster_other_area`` when the plan's communities are not the area's;
        ``pdf_no_cjk_font``.
    """
    if size not in SIZES:
        raise PlanningError("poster_size_unknown", size=size, known="、".join(SIZES))
    register_pdf_font()
    page = SIZES[size]
    scale = page[0] / A3[0]
    margin = 14 * mm * scale
    width = page[0] - 2 * margin
    styles = _styles(scale)
    story: list = [
        _p(_t("poster_title", lang), styles["title"]), _p(scenario.name, styles["name"]),
        _p(_t("poster_subtitle", lang, area=scenario.area.name, model=model_words(scenario.model.name, lang),
              date=(today or date.today()).isoformat()), styles["sub"]), Spacer(1, 4 * mm * scale),
        _key_figures(scenario, lang, styles, width), *_needs_answered(scenario, lang, styles),
        _p(_t("poster_map", lang), styles["h"]), *_maps(area, scenario, lang, styles, width, scale),
        _p(_t("poster_tasks", lang), styles["h"]), _tasks(scenario, lang, styles, width),
        _p(_t("scenario_tasks_caption", lang), styles["caption"]), Spacer(1, 3 * mm * scale),
        *_vote(scenario, poll, lang, styles, width, scale),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=page, leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=margin + 8 * mm * scale, title=f"{_t('poster_title', lang)} — {scenario.name}",
                            author="shenghuoquan", lang=lang, initialFontName=PDF_FONT)

    def footer(canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFont(PDF_FONT, 12 * scale)
        canvas.setFillColor(colors.HexColor("#555"))
        canvas.drawString(margin, margin, _t("poster_footer", lang, attribution=ATTRIBUTION))
        canvas.restoreState()

    frame_height = page[1] - 2 * margin - 8 * mm * scale
    doc.build([KeepInFrame(width, frame_height, story, mode="shrink")], onFirstPage=footer)
    return buffer.getvalue()
