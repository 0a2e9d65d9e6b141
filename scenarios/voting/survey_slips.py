"""Printed matter of a 民情征集: QR slips (one code each) and a QR poster for the noticeboard.

Made with the ballot slips' machinery (:mod:`scenarios.voting.slips`): the same CJK font, cut lines,
vector QR codes, text made printable; written completely or not at all.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from planning.base.text import LANGUAGES, catalogue
from planning.io.write import atomic_output
from scenarios.voting.links import survey_url
from scenarios.voting.slips import CJK_FONT, _fit_lines, _qr
from scenarios.voting.text import slip_text

_COLUMNS, _ROWS = 2, 5


def _both(key: str, **params) -> list[str]:
    words = catalogue("needs")
    return [words.text(key, lang, **params) for lang in LANGUAGES]


def write_survey_slips(path: str | Path, survey_id: int, title: str, codes: Sequence[str], base_url: str) -> Path:
    """An A4 PDF of ten slips a page, each with its code and a QR code opening the survey with the code filled in."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    title = slip_text(title)
    width, height = A4
    slip_w, slip_h = width / _COLUMNS, height / _ROWS
    per_page = _COLUMNS * _ROWS
    with atomic_output(path) as tmp:
        canvas = Canvas(str(tmp), pagesize=A4)
        canvas.setTitle(f"{title} — 民情征集码 / needs survey codes")
        for i, code in enumerate(codes):
            if i and i % per_page == 0:
                canvas.showPage()
            col, row = (i % per_page) % _COLUMNS, (i % per_page) // _COLUMNS
            x, y = col * slip_w, height - (row + 1) * slip_h
            canvas.setDash(3, 3)
            canvas.setLineWidth(0.5)
            canvas.rect(x, y, slip_w, slip_h)
            canvas.setDash()
            pad = 6 * mm
            side = min(slip_h - 2 * pad, 0.4 * slip_w)
            _qr(canvas, survey_url(base_url, survey_id, code), x + slip_w - pad - side, y + pad, side)
            text_w, top = slip_w - 3 * pad - side, y + slip_h - pad
            canvas.setFont(CJK_FONT, 10)
            for n, line in enumerate(_fit_lines(title, CJK_FONT, 10, text_w, max_lines=2)):
                canvas.drawString(x + pad, top - 10 - 12 * n, line)
            canvas.setFont(CJK_FONT, 8)
            canvas.drawString(x + pad, top - 36, " / ".join(_both("slip_survey_id", survey_id=survey_id)))
            canvas.setFont("Courier-Bold", 12)
            canvas.drawString(x + pad, top - 52, code)
            canvas.setFont(CJK_FONT, 7)
            for n, line in enumerate([*_both("slip_survey_scan"), *_both("slip_survey_once")]):
                canvas.drawString(x + pad, top - 68 - 10 * n, line[:60])
        canvas.save()
    return Path(path)


def write_survey_poster(path: str | Path, survey_id: int, title: str, base_url: str,
                        need_names: Sequence[str], window: str = "") -> Path:
    """An A4 noticeboard poster: the title, the needs asked, the window and one large QR code to the survey."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    title = slip_text(title)
    width, height = A4
    margin = 20 * mm
    with atomic_output(path) as tmp:
        canvas = Canvas(str(tmp), pagesize=A4)
        canvas.setTitle(f"{title} — 民情征集 / needs survey")
        y = height - margin - 16

        def line(text: str, size: float, gap: float = 1.5) -> None:
            nonlocal y
            canvas.setFont(CJK_FONT, size)
            for part in _fit_lines(slip_text(text), CJK_FONT, size, width - 2 * margin, max_lines=3):
                canvas.drawString(margin, y, part)
                y -= size * gap

        for text in _both("poster_survey_heading"):
            line(text, 22)
        line(title, 26)
        y -= 4 * mm
        for text in _both("poster_survey_asks", needs="、".join(need_names)):
            line(text, 14)
        if window:
            line(window, 14)
        side = min(width - 2 * margin, y - margin - 40 * mm)
        _qr(canvas, survey_url(base_url, survey_id), (width - side) / 2, margin + 30 * mm, side)
        y = margin + 22 * mm
        for text in _both("poster_survey_scan"):
            line(text, 14)
        canvas.setFont("Courier", 10)
        canvas.drawString(margin, margin, survey_url(base_url, survey_id))
        canvas.save()
    return Path(path)
