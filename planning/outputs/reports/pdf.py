"""The report as an A4 PDF whose only font is an embedded subset of a Chinese TrueType font.

Text is broken into lines by :mod:`planning.outputs.linebreak` (no "（" at a line end, no "；" at a
line start); column headers break only between words.

The font (WenQuanYi Micro Hei from Debian ``fonts-wqy-microhei``, see :mod:`planning.outputs.fonts`)
carries Latin letters too, so ``pdffonts`` lists one embedded font and a print shop with no
Chinese font installed prints the same pages.
"""
from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as PdfTable

from planning.outputs.fonts import PDF_FONT, register_pdf_font
from planning.outputs.linebreak import BrokenParagraph
from planning.outputs.reports.content import (
    Figure,
    ReportContent,
    Section,
    Table,
    cell_text,
    label,
)

FONT = PDF_FONT
MARGIN = 18 * mm
TEXT_WIDTH = A4[0] - 2 * MARGIN
HEADER_BG = colors.HexColor("#dde6f0")
STRIPE_BG = colors.HexColor("#f5f7fa")
RIGHT_KINDS = {"int", "pct", "minutes", "yuan", "coord"}
CELL_SIZE = 7.5
CELL_PAD = 3.0  # points left and right of a cell's text
KEEP_ROWS = 25  # tables up to this many rows are not split across pages
FRAME_HEIGHT = A4[1] - 2 * MARGIN
FIGURE_HEIGHT = FRAME_HEIGHT / 2 - 26 * mm  # two maps and their captions fit one page
PAIR_HEIGHT = FRAME_HEIGHT * 0.55


def _markup(text: str) -> str:
    """Paragraph markup of plain text (escaped)."""
    return escape(text)


def _styles() -> dict[str, ParagraphStyle]:
    register_pdf_font()
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK", spaceAfter=4)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=28, alignment=TA_CENTER, spaceAfter=10),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=9, alignment=TA_CENTER, textColor=colors.grey),
        "h1": ParagraphStyle("h1", parent=base, fontSize=15, leading=22, spaceBefore=10, spaceAfter=6,
                             textColor=colors.HexColor("#1f3b5a")),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4,
                             textColor=colors.HexColor("#1f3b5a")),
        "body": base,
        "caption": ParagraphStyle("caption", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#444")),
        "cell": ParagraphStyle("cell", parent=base, fontSize=CELL_SIZE, leading=CELL_SIZE + 2, spaceAfter=0),
        "cell_right": ParagraphStyle("cell_right", parent=base, fontSize=CELL_SIZE, leading=CELL_SIZE + 2,
                                     spaceAfter=0, alignment=TA_RIGHT),
        # headers break only where _header_lines puts a line break, never inside a word
        "head": ParagraphStyle("head", parent=base, fontSize=CELL_SIZE, leading=CELL_SIZE + 2, spaceAfter=0,
                               wordWrap=None),
        "footer": ParagraphStyle("footer", parent=base, fontSize=8, leading=10, textColor=colors.grey),
    }


_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


def header_words(text: str) -> list[str]:
    """The pieces a column header may break between: words in English; in Chinese only before a
    bracket ("应达生活圈" / "（分钟）"), so no word is cut and no "（" is left at a line end."""
    if _CJK.search(text):
        return [w for w in re.split(r"(?=（)", text) if w]
    return text.split(" ")


def _width(text: str, size: float = CELL_SIZE) -> float:
    return stringWidth(text, FONT, size)


def _header_lines(text: str, width: float) -> str:
    """Header markup broken into lines of whole pieces that fit ``width`` points."""
    joiner = "" if _CJK.search(text) else " "
    lines: list[str] = []
    for word in header_words(text):
        if lines and _width(lines[-1] + joiner + word) <= width:
            lines[-1] += joiner + word
        else:
            lines.append(word)
    return "<br/>".join(_markup(line).replace(" ", "\u00a0") for line in lines)


def _column_widths(table: Table, lang: str) -> list[float]:
    """Widths that keep numbers and header words on one line; long text wraps when the page is too narrow."""
    pad = 2 * CELL_PAD + 2.0
    natural, least = [], []
    for column in table.frame.columns:
        cells = [cell_text(v, table.kinds[column], lang) for v in table.frame[column]]
        widest = max([_width(c) for c in cells] + [0.0]) + pad
        head = _width(str(column)) + pad
        word = max(_width(w) for w in header_words(str(column))) + pad
        natural.append(max(widest, head))
        floor = widest if table.kinds[column] in RIGHT_KINDS else min(widest, 60.0)
        least.append(max(floor, word))
    if sum(natural) <= TEXT_WIDTH:
        return [w * TEXT_WIDTH / sum(natural) for w in natural]
    extra = [n - m for n, m in zip(natural, least)]
    fill = min(1.0, max(TEXT_WIDTH - sum(least), 0.0) / sum(extra)) if sum(extra) else 0.0
    widths = [m + e * fill for m, e in zip(least, extra)]
    return [w * TEXT_WIDTH / sum(widths) for w in widths]


def _table(table: Table, lang: str, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Title, grid and caption of one table (the header row repeats on every page)."""
    widths = _column_widths(table, lang)
    head = [Paragraph(_header_lines(str(c), w - 2 * CELL_PAD), styles["head"])
            for c, w in zip(table.frame.columns, widths)]
    body = [[BrokenParagraph(cell_text(v, table.kinds[c], lang),
                             styles["cell_right" if table.kinds[c] in RIGHT_KINDS else "cell"])
             for c, v in zip(table.frame.columns, row)] for row in table.frame.itertuples(index=False)]
    grid = PdfTable([head, *body], colWidths=widths, repeatRows=1)
    grid.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT),  # the cell default (Helvetica) would be an unembedded font
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, STRIPE_BG]),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b8c0")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD), ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
    ]))
    parts: list[Flowable] = [BrokenParagraph(table.title, styles["h2"])] if table.title else []
    parts.append(grid)
    if table.caption:
        parts.append(BrokenParagraph(table.caption, styles["caption"]))
    return [*parts, Spacer(1, 3 * mm)]


def _image(png: bytes, width: float, height: float) -> Image:
    """The picture scaled to fit ``width`` × ``height`` points, aspect kept."""
    width_px, height_px = ImageReader(io.BytesIO(png)).getSize()
    scale = min(width / width_px, height / height_px)
    return Image(io.BytesIO(png), width=width_px * scale, height=height_px * scale)


def _figure(figure: Figure, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """A full-width map at most half a page high, so two maps share a page."""
    return [_image(figure.png, TEXT_WIDTH, FIGURE_HEIGHT), BrokenParagraph(figure.caption, styles["caption"]),
            Spacer(1, 3 * mm)]


def _figure_pair(left: Figure, right: Figure, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Two maps side by side (before → after), one caption under both."""
    half = TEXT_WIDTH / 2 - 2 * mm
    grid = PdfTable([[_image(left.png, half, PAIR_HEIGHT), _image(right.png, half, PAIR_HEIGHT)]],
                    colWidths=[TEXT_WIDTH / 2] * 2)
    grid.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                              ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    caption = " ".join(c for c in (left.caption, right.caption) if c)
    return [grid, BrokenParagraph(caption, styles["caption"]), Spacer(1, 3 * mm)]


def _figures(figures: list[Figure], styles: dict[str, ParagraphStyle]) -> list[list[Flowable]]:
    """Flowables of each figure, half figures two to a row."""
    blocks, pending = [], None
    for figure in figures:
        if figure.half and pending is not None:
            blocks.append(_figure_pair(pending, figure, styles))
            pending = None
        elif figure.half:
            pending = figure
        else:
            blocks.append(_figure(figure, styles))
    if pending is not None:
        blocks.append(_figure(pending, styles))
    return blocks


def _section(section: Section, lang: str, styles: dict[str, ParagraphStyle], first: bool) -> list[Flowable]:
    """A section's flowables; its heading is kept on the page of its first table or map."""
    heading = [BrokenParagraph(section.title, styles["h1"])]
    heading += [BrokenParagraph(p, styles["body"]) for p in section.paragraphs]
    blocks = [(_table(t, lang, styles), len(t.frame) <= KEEP_ROWS) for t in section.tables if t.printed]
    blocks += [(flowables, True) for flowables in _figures(section.figures, styles)]
    parts: list[Flowable] = [PageBreak()] if section.page_break and not first else []
    if blocks and blocks[0][1]:
        blocks[0] = (heading + blocks[0][0], True)
    else:
        parts += heading
    for flowables, keep in blocks:
        parts += [KeepTogether(flowables)] if keep else flowables
    return parts


def render_pdf(content: ReportContent) -> bytes:
    """A4 portrait PDF of the report; page numbers and the data attribution in the footer."""
    styles = _styles()
    buffer = io.BytesIO()

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        line = Paragraph(_markup(f"{content.title}　{content.attribution}"), styles["footer"])
        line.wrapOn(canvas, TEXT_WIDTH * 0.85, 12 * mm)
        line.drawOn(canvas, MARGIN, 9 * mm)
        canvas.setFont(FONT, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawRightString(A4[0] - MARGIN, 9.5 * mm, label("page", content.lang, page=doc.page))
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=content.title, author="shenghuoquan", lang=content.lang,
                            initialFontName=FONT)
    story: list[Flowable] = [BrokenParagraph(content.title, styles["title"])]
    story += [BrokenParagraph(line, styles["subtitle"]) for line in content.subtitle]
    for i, section in enumerate(content.sections):
        story += _section(section, content.lang, styles, first=i == 0)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
