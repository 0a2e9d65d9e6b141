"""The Chinese font printed PDFs embed, so a print shop without Chinese fonts prints every character.

ReportLab embeds a *subset* (only the glyphs used) of a TrueType-outline font. Noto Sans CJK
(Debian ``fonts-noto-cjk``) has CFF outlines ReportLab cannot embed, so the first choice is
WenQuanYi Micro Hei (Debian ``fonts-wqy-microhei``; Apache-2.0 or GPL-3+ with the font
exception, which allows embedding in documents). It has Latin letters, digits and the signs the
reports use (© ² ° · – —), so one font draws everything and no unembedded base font is left.
``PLANNING_PDF_FONT`` may name another TrueType/TTC file (e.g. ``C:/Windows/Fonts/msyh.ttc``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from planning.base.errors import PlanningError

PDF_FONT = "PlanningCJK"  # the name the PDFs register the embedded font under
FONT_ENV = "PLANNING_PDF_FONT"
# TrueType-outline CJK fonts, most suitable first: (file, face index in a .ttc, licence).
CANDIDATES: tuple[tuple[str, int, str], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "Apache-2.0 / GPL-3+ with font exception"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "GPL-2 with font exception"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "Arphic Public License"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0, "Apache-2.0"),
    ("C:/Windows/Fonts/msyh.ttc", 0, "Microsoft (system font)"),
    ("C:/Windows/Fonts/simhei.ttf", 0, "Microsoft (system font)"),
    ("/Library/Fonts/Arial Unicode.ttf", 0, "Apple (system font)"),
)
INSTALL_HINT = "apt-get install fonts-wqy-microhei"


@dataclass(frozen=True)
class PdfFont:
    """The font file registered as :data:`PDF_FONT` and its licence."""

    path: Path
    licence: str


def _candidates() -> list[tuple[Path, int, str]]:
    given = os.environ.get(FONT_ENV)
    chosen = [(Path(given), 0, "given by PLANNING_PDF_FONT")] if given else []
    return chosen + [(Path(p), i, lic) for p, i, lic in CANDIDATES]


@lru_cache(maxsize=1)
def register_pdf_font() -> PdfFont:
    """Register the first usable TrueType CJK font with ReportLab as :data:`PDF_FONT` (embedded, subset).

    Raises
    ------
    PlanningError
        ``pdf_no_cjk_font`` when none is installed (the hint names the Debian package).
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    for path, index, licence in _candidates():
        if not path.is_file():
            continue
        try:
            font = TTFont(PDF_FONT, str(path), subfontIndex=index)
        except (TTFError, OSError):
            continue  # CFF outlines (OpenType .otf) or a broken file: ReportLab cannot embed it
        if font.face.charToGlyph.get(ord("社")) is None:
            continue
        pdfmetrics.registerFont(font)
        return PdfFont(path, licence)
    raise PlanningError("pdf_no_cjk_font", package=INSTALL_HINT)


def has_glyphs(text: str) -> bool:
    """Whether the registered PDF font draws every character of ``text`` (spaces and line breaks aside)."""
    from reportlab.pdfbase import pdfmetrics

    register_pdf_font()
    glyphs = pdfmetrics.getFont(PDF_FONT).face.charToGlyph
    return all(ord(ch) in glyphs for ch in text if not ch.isspace())
