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

import qrcode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A2, A3
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    Flowable,
    Image,
    KeepInFrame,
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
from planning.outputs.linebreak import BrokenParagraph
from planning.outputs.reports.content import model_words, scenario_gain, task_table
from planning.outputs.reports.maps import (
    map_size_inches,
    scenario_focus,
    scenario_legend_texts,
    scenario_map_pngs,
)
from scenarios.scenario import Scenario, plan_cost_yuan
from scenarios.voting import VotingService
from scenarios.voting.slips import DEFAULT_BASE_URL

SIZES = {"A3": A3, "A2": A2}
ATTRIBUTION = "© OpenStreetMap contributors"
INK = colors.HexColor("#1a1a1a")
ACCENT = colors.HexColor("#1f3b5a")
BAND = colors.HexColor("#eef2f6")
FRAME_PADDING = 6.0  # points: ReportLab's frame padding on each side
ARROW_MM = 10.0  # room for the arrow between the before and after maps (A3)
MAP_LEGEND_INCHES = 1.2  # legend under each map (A3)
MAP_DPI = 160
MAP_TITLE_POINTS = 30.0  # the title matplotlib sets above each map (12 pt and its padding)
MIN_MAP_MM = 60.0  # a map never shrinks below this width, however long the task table
SLACK_MM = 4.0  # kept free so the page never overflows on rounding
MARGIN_MM = 10.0  # page margin (A3): printers need 5 mm


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


def poster_poll(service: VotingService, poll_id: int, scenario: Scenario, base_url: str = DEFAULT_BASE_URL,
                dates: str = "") -> PosterPoll:
    """The poll ``poll_id`` as the poster of ``scenario`` shows it: the voting page's address for the QR
    code (``<base_url>/vote?poll=<id>``), the ``dates`` the organiser gives (polls store none), and the
    published result once there is one.

    Raises
    ------
    PlanningError
        ``poll_not_found``; ``poster_poll_other_plan`` when the plan is not one of the poll's options.
    """
    info = service.poll(poll_id)
    digest = scenario.digest or scenario.content_digest()
    if digest not in {option.scenario_digest for option in info.options}:
        raise PlanningError("poster_poll_other_plan", poll_id=poll_id, title=info.title, scenario=scenario.name)
    published = service.published_result(poll_id) if info.state in ("published", "evaluated") else None
    return PosterPoll(info.id, info.title, info.state, url=f"{base_url.rstrip('/')}/vote?poll={poll_id}",
                      dates=dates.strip(), published=published)


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


def _p(text: str, style: ParagraphStyle) -> Flowable:
    return BrokenParagraph(text, style)


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


def _height(flowables: list[Flowable], width: float) -> float:
    """Points the flowables take one under the other in a frame ``width`` points wide."""
    return sum(f.wrap(width, 1e6)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in flowables)


@dataclass(frozen=True)
class MapLayout:
    """Where the before → after maps go: ``"side"`` by side, each ``map_width`` points wide with its legend
    below, or ``"stacked"`` one above the other, each drawn ``figure`` points (width, height) with the
    legend beside the map."""

    kind: str
    map_width: float
    figure: tuple[float, float] | None = None


def map_layout(area: Area, width: float, height: float, arrow: float, legend_below: float,
               legend_beside: float, title: float = MAP_TITLE_POINTS) -> MapLayout:
    """The layout that draws the larger maps in a box of ``width`` × ``height`` points: side by side
    for a tall or square area, one above the other for a wide area when the page has the height.

    ``arrow``: points between the maps; ``legend_below``/``legend_beside``: points the legend takes
    under or beside a map; ``title``: points of the title above each map.
    """
    per_width = map_size_inches(area.communities, 1.0, legend=0.0)[1]  # map height per unit of width
    side = min((width - arrow) / 2, (height - legend_below) / per_width)
    stacked = min(width - legend_beside, ((height - arrow) / 2 - title) / per_width)
    if side >= stacked:
        return MapLayout("side", side)
    return MapLayout("stacked", stacked, (stacked + legend_beside, stacked * per_width + title))


def _legend_width(scenario: Scenario, lang: str, size: float) -> float:
    """Points a legend beside the map takes: its longest text, the symbol before it and the gaps."""
    return max(stringWidth(text, PDF_FONT, size + 1) for text in scenario_legend_texts(scenario, lang)) + 5 * size


def _maps(area: Area, scenario: Scenario, lang: str, styles: dict, width: float, height: float,
          scale: float) -> list:
    """The plan map before → after, as large as ``height`` points of the page allow."""
    arrow, legend_size = ARROW_MM * mm * scale, 11 * scale
    layout = map_layout(area, width, height, arrow, MAP_LEGEND_INCHES * 72 * scale,
                        _legend_width(scenario, lang, legend_size))
    side = max(layout.map_width, MIN_MAP_MM * mm * scale)
    figure = (layout.figure[0] / 72, layout.figure[1] / 72) if layout.figure else None
    pair = scenario_map_pngs(area, scenario, lang, width_inches=side / 72, dpi=MAP_DPI, label_size=12 * scale,
                             legend_size=legend_size, legend_inches=MAP_LEGEND_INCHES * scale, size_inches=figure,
                             legend_beside=layout.kind == "stacked")
    if pair is None:
        raise PlanningError("poster_other_area", scenario=scenario.name, area=area.name_zh)
    if layout.kind == "side":
        grid = PdfTable([[_image(pair[0], side), _p("→", styles["big"]), _image(pair[1], side)]],
                        colWidths=[side, arrow, side])
    else:
        shown = layout.figure[0]
        grid = PdfTable([[_image(pair[0], shown)], [_p("↓", styles["big"])], [_image(pair[1], shown)]],
                        colWidths=[width], rowHeights=[None, arrow, None])
    grid.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), PDF_FONT), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                              ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                              ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
    return [grid]


def _map_caption(scenario: Scenario, lang: str, styles: dict) -> Flowable:
    kind, tier = scenario_focus(scenario)
    name = next(v for k, v in scenario.facility_types.items() if k == kind)
    type_name = name.name_zh if lang == "zh" or not name.name_en else name.name_en
    return _p(_t("map_scenario_caption", lang, type=type_name, tier=tier), styles["caption"])


def _tasks(scenario: Scenario, lang: str, styles: dict, width: float) -> PdfTable:
    table = task_table(scenario, lang)
    head = [_p(str(c), styles["head"]) for c in table.frame.columns]
    body = [[_p(value_text(v, table.kinds[c], lang) if v != "" else "", styles["cell"])
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
    margin = MARGIN_MM * mm * scale
    width = page[0] - 2 * margin - 2 * FRAME_PADDING  # what the page's frame holds
    height = page[1] - 2 * margin - 8 * mm * scale - 2 * FRAME_PADDING
    styles = _styles(scale)
    if scenario_focus(scenario) is None:
        raise PlanningError("poster_other_area", scenario=scenario.name, area=area.name_zh)
    head = [
        _p(_t("poster_title", lang), styles["title"]), _p(scenario.name, styles["name"]),
        _p(_t("poster_subtitle", lang, area=scenario.area.name, model=model_words(scenario.model.name, lang),
              date=(today or date.today()).isoformat()), styles["sub"]), Spacer(1, 4 * mm * scale),
        _key_figures(scenario, lang, styles, width), *_needs_answered(scenario, lang, styles),
    ]
    parts = [[_p(_t("poster_map", lang), styles["h"]), _map_caption(scenario, lang, styles)],
             [_p(_t("poster_tasks", lang), styles["h"]), _tasks(scenario, lang, styles, width),
              _p(_t("scenario_tasks_caption", lang), styles["caption"]), Spacer(1, 3 * mm * scale)],
             _vote(scenario, poll, lang, styles, width, scale)]
    fixed = _height(head + [f for part in parts for f in part], width)
    room = height - fixed - SLACK_MM * mm * scale
    maps = _maps(area, scenario, lang, styles, width, room, scale)
    parts[0][1:1] = maps  # under the heading, above the caption
    # when the area's shape leaves room beside the largest maps that fit, it goes between the parts
    gap = max(room - _height(maps, width), 0.0) / len(parts)
    story = [*head, *(f for part in parts for f in [Spacer(1, gap), *part])]
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

    doc.build([KeepInFrame(width, height, story, mode="shrink")], onFirstPage=footer)
    return buffer.getvalue()
