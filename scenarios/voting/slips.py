"""A printable PDF of cut-out ballot slips, each with its code and a QR code to the voting page.

The first page is a header sheet kept with the slips: the poll, the batch, each option with the
digest sealed at creation, the voting address and the organiser's public signing key with its
fingerprint — the key a published result must be signed with.

Chinese text uses ReportLab's built-in CID font ``STSong-Light``, so no system font is needed;
text it cannot show (emoji, pictographs) is left out and control characters, among them
right-to-left marks, are removed (:func:`scenarios.voting.text.slip_text`). The QR code is drawn
as vector squares from the ``qrcode`` matrix (sharp at any print size). The file is written
completely or not at all (:mod:`planning.io.write`).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import qrcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from planning.base.text import LANGUAGES, catalogue
from planning.io.write import atomic_output
from scenarios.voting.links import vote_url
from scenarios.voting.text import slip_text

CJK_FONT = "STSong-Light"
DEFAULT_BASE_URL = "http://localhost:8501"
_COLUMNS, _ROWS = 2, 5


def write_slips(
    path: str | Path, poll_id: int, title: str, codes: Sequence[str], base_url: str = DEFAULT_BASE_URL, *,
    options: Sequence[tuple[str, str, str]] = (), public_key: str | None = None, batch: int = 1, label: str = "",
) -> Path:
    """Write an A4 PDF: the header sheet, then ten slips per page (two columns, five rows) with dashed cut lines.

    Parameters
    ----------
    options
        ``(key, title, sealed scenario digest)`` of each option, for the header sheet.
    public_key
        The organiser's Ed25519 public key in hex (None before one exists).
    """
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    title = slip_text(title)
    with atomic_output(path) as tmp:
        canvas = Canvas(str(tmp), pagesize=A4)
        canvas.setTitle(f"{title} — 选票码 / ballot codes")
        _header_sheet(canvas, poll_id, title, len(codes), base_url, options, public_key, batch, slip_text(label))
        canvas.showPage()
        width, height = A4
        slip_w, slip_h = width / _COLUMNS, height / _ROWS
        per_page = _COLUMNS * _ROWS
        for i, code in enumerate(codes):
            if i and i % per_page == 0:
                canvas.showPage()
            col, row = (i % per_page) % _COLUMNS, (i % per_page) // _COLUMNS
            _slip(canvas, col * slip_w, height - (row + 1) * slip_h, slip_w, slip_h, poll_id, title, code, base_url)
        canvas.save()
    return Path(path)


def _both(key: str, **params) -> list[str]:
    words = catalogue("poll")
    return [words.text(key, lang, **params) for lang in LANGUAGES]


def _header_sheet(canvas: Canvas, poll_id: int, title: str, count: int, base_url: str,
                  options: Sequence[tuple[str, str, str]], public_key: str | None, batch: int, label: str) -> None:
    from scenarios.voting.signing import fingerprint

    width, height = A4
    x, y, text_width = 20 * mm, height - 25 * mm, width - 40 * mm

    def line(text: str, size: float = 11, font: str = CJK_FONT, gap: float = 1.5) -> None:
        nonlocal y
        canvas.setFont(font, size)
        for part in _fit_lines(text, font, size, text_width, max_lines=3):
            canvas.drawString(x, y, part)
            y -= size * gap

    for text in _both("slip_header"):
        line(text, 15)
    y -= 4 * mm
    label_text = catalogue("poll").text("log_label", "zh", label=label) if label else ""
    line(catalogue("poll").text("slip_poll", "zh", poll_id=poll_id, title=title), 13)
    line(catalogue("poll").text("slip_batch", "zh", batch=batch, label=label_text, count=count))
    line(catalogue("poll").text("slip_batch", "en", batch=batch, label=f" ({label})" if label else "", count=count))
    for text in _both("slip_url", url=base_url):
        line(text)
    y -= 4 * mm
    for text in _both("slip_options"):
        line(text, 12)
    for key, option_title, digest in options:
        line(f"{key}  {slip_text(option_title)}")
        line(f"    sha256 {digest}", 8, "Courier")
    y -= 4 * mm
    for text in _both("slip_key"):
        line(text, 12)
    if public_key:
        line(catalogue("poll").text("slip_fingerprint", "zh", fingerprint=fingerprint(public_key)), 14, gap=1.8)
        for start in range(0, len(public_key), 32):
            line(public_key[start:start + 32], 10, "Courier")
    else:
        for text in _both("slip_no_key"):
            line(text)
    y -= 4 * mm
    for text in _both("slip_check"):
        line(text, 10)


def _slip(canvas: Canvas, x: float, y: float, w: float, h: float, poll_id: int, title: str, code: str, base_url: str) -> None:
    canvas.setDash(3, 3)
    canvas.setLineWidth(0.5)
    canvas.rect(x, y, w, h)
    canvas.setDash()
    pad = 6 * mm
    qr_size = min(h - 2 * pad, 0.4 * w)  # leaves room for the 17-character code beside it
    _qr(canvas, vote_url(base_url, poll_id, code), x + w - pad - qr_size, y + pad, qr_size)
    text_x, top = x + pad, y + h - pad
    text_width = w - 3 * pad - qr_size
    canvas.setFont(CJK_FONT, 10)
    for n, line in enumerate(_fit_lines(title, CJK_FONT, 10, text_width, max_lines=2)):
        canvas.drawString(text_x, top - 10 - 12 * n, line)
    canvas.setFont(CJK_FONT, 8)
    canvas.drawString(text_x, top - 36, " / ".join(_both("slip_poll_id", poll_id=poll_id)))
    canvas.setFont("Courier-Bold", 12)
    canvas.drawString(text_x, top - 52, code)
    canvas.setFont(CJK_FONT, 7)
    lines = [*_both("slip_scan"), *_both("slip_once")]
    for n, line in enumerate((lines[0], lines[2], lines[1], lines[3])):
        canvas.drawString(text_x, top - 68 - 10 * n, line)


def _fit_lines(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Break ``text`` by character (Chinese has no spaces) into lines no wider than ``width``."""
    lines = [""]
    for ch in text:
        if pdfmetrics.stringWidth(lines[-1] + ch, font, size) > width:
            if len(lines) == max_lines:
                lines[-1] = lines[-1][:-1] + "…"
                break
            lines.append("")
        lines[-1] += ch
    return lines


def _qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    cell = size / len(matrix)
    canvas.setFillColorRGB(0, 0, 0)
    for r, line in enumerate(matrix):
        for c, dark in enumerate(line):
            if dark:
                canvas.rect(x + c * cell, y + size - (r + 1) * cell, cell, cell, stroke=0, fill=1)
