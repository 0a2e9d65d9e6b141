"""A printable PDF of cut-out ballot slips, each with its code and a QR code to the voting page.

Chinese text uses ReportLab's built-in CID font ``STSong-Light``, so no system font is needed.
The QR code is drawn as vector squares from the ``qrcode`` matrix (sharp at any print size).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlencode

import qrcode
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from planning.io.write import atomic_output

CJK_FONT = "STSong-Light"
DEFAULT_BASE_URL = "http://localhost:8501"
_COLUMNS, _ROWS = 2, 5


def vote_url(base_url: str, poll_id: int, code: str) -> str:
    """``{base_url}/vote?poll=<id>&code=<code>``: opens the voting page with the code filled in."""
    return f"{base_url.rstrip('/')}/vote?{urlencode({'poll': poll_id, 'code': code})}"


def write_slips(
    path: str | Path, poll_id: int, title: str, codes: Sequence[str], base_url: str = DEFAULT_BASE_URL
) -> Path:
    """Write an A4 PDF with ten slips per page (two columns, five rows) and dashed cut lines."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    path = Path(path)
    with atomic_output(path) as tmp:  # complete or not at all
        _draw(tmp, poll_id, title, codes, base_url)
    return path


def _draw(path: Path, poll_id: int, title: str, codes: Sequence[str], base_url: str) -> None:
    canvas = Canvas(str(path), pagesize=A4)
    canvas.setTitle(f"{title} — 选票码 / ballot codes")
    width, height = A4
    slip_w, slip_h = width / _COLUMNS, height / _ROWS
    per_page = _COLUMNS * _ROWS
    for i, code in enumerate(codes):
        if i and i % per_page == 0:
            canvas.showPage()
        col, row = (i % per_page) % _COLUMNS, (i % per_page) // _COLUMNS
        _slip(canvas, col * slip_w, height - (row + 1) * slip_h, slip_w, slip_h, poll_id, title, code, base_url)
    canvas.save()


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
    canvas.drawString(text_x, top - 36, f"投票编号 / Poll {poll_id}")
    canvas.setFont("Courier-Bold", 12)
    canvas.drawString(text_x, top - 52, code)
    canvas.setFont(CJK_FONT, 7)
    lines = (
        "扫描二维码或在投票页输入选票码。",
        "每码只能投一次；不记名投票。",
        "Scan the QR code or enter the code.",
        "One code, one vote; secret ballot.",
    )
    for n, line in enumerate(lines):
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
