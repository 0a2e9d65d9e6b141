"""Line breaks for printed Chinese text that follow the rules of Chinese typesetting (禁则).

ReportLab's CJK wrapping breaks after any character: a line may end with "（" or "“" and the
next begin with "；", "，" or "）". :func:`break_lines` breaks where a typesetter would: between
two Chinese characters or at a space, never after an opening bracket or quote, never before
closing punctuation, and never inside a run of Latin letters and digits ("GB 50180-2018",
"1.2", "building=yes") unless that run alone is wider than the line.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from xml.sax.saxutils import escape

from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph

# may not end a line: opening brackets and quotes
NO_LINE_END = frozenset("（([{【《〈「『“‘〔［｛")
# may not start a line: closing brackets and quotes, punctuation, and the second half of "——" / "……"
NO_LINE_START = frozenset("）)]}】》〉」』”’〕］｝，。、；：！？,.;:!?％%…—·")
# runs kept whole: Latin letters, digits and the signs that join them
_TOKENS = re.compile(r"\s+|[A-Za-z0-9_.,:;/=+\-%@#&'°²×~–]+|.", re.DOTALL)


def _units(text: str) -> list[str]:
    """The pieces a line may break between (spaces are pieces of their own)."""
    units: list[str] = []
    for token in _TOKENS.findall(text):
        glued = units and not token.isspace() and not units[-1].isspace() and (
            units[-1][-1] in NO_LINE_END or token[0] in NO_LINE_START)
        if glued:
            units[-1] += token
        else:
            units.append(token)
    return units


def _fit(line: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """The line, or, when one piece alone is wider than ``width`` (a long file name in a narrow
    column), the line cut by characters."""
    if measure(line) <= width:
        return [line]
    parts = [""]
    for ch in line:
        if parts[-1] and measure(parts[-1] + ch) > width:
            carried = ""  # the rules hold here too: take a character along rather than break before "、"
            if len(parts[-1]) > 1 and (ch in NO_LINE_START or parts[-1][-1] in NO_LINE_END):
                parts[-1], carried = parts[-1][:-1], parts[-1][-1]
            parts.append(carried)
        parts[-1] += ch
    return parts


def break_lines(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` in lines no wider than ``width`` (as ``measure`` gives widths), broken by the rules above.

    Existing line breaks are kept; spaces where a line breaks are dropped.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for unit in _units(paragraph):
            if unit.isspace():
                line += unit if line else ""
                continue
            if line and measure(line + unit) > width:
                lines += _fit(line.rstrip(), width, measure)
                line = ""
            line += unit
        lines += _fit(line.rstrip(), width, measure)
    return lines


class BrokenParagraph(Flowable):
    """A ReportLab paragraph of plain text broken by :func:`break_lines` at the width it is given
    (a frame, a table column), so every renderer follows the same rules.

    Parameters
    ----------
    text
        Plain text (escaped here; no markup).
    style
        The paragraph style; its font and size measure the lines.
    """

    def __init__(self, text: str, style: ParagraphStyle) -> None:
        super().__init__()
        self.text, self.style = str(text), style
        self._lines_style = ParagraphStyle(f"{style.name}-lines", parent=style, wordWrap=None)
        self.spaceBefore, self.spaceAfter = style.spaceBefore, style.spaceAfter
        self._paragraph: Paragraph | None = None

    def _measure(self, text: str) -> float:
        return stringWidth(text, self.style.fontName, self.style.fontSize)

    def _laid_out(self, width: float) -> Paragraph:
        lines = break_lines(self.text, width - 0.5, self._measure)  # half a point against rounding
        return Paragraph("<br/>".join(escape(line).replace("  ", "\u00a0 ") for line in lines), self._lines_style)

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803 (ReportLab's names)
        self._paragraph = self._laid_out(availWidth)
        width, self.height = self._paragraph.wrap(availWidth, availHeight)
        self.width = availWidth
        return availWidth, self.height

    def split(self, availWidth: float, availHeight: float) -> list:  # noqa: N803
        return self._laid_out(availWidth).split(availWidth, availHeight)

    def draw(self) -> None:
        self._paragraph.drawOn(self.canv, 0, 0)
