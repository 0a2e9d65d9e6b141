"""User text in a poll (titles, batch labels, reasons, comments): cleaned once, limited, and made safe to print.

Everything a person types is stored as plain text: Unicode NFC, without control or format
characters — among them the bidirectional marks and overrides (U+202A–U+202E, U+2066–U+2069,
U+200E/U+200F, U+061C) that can make a title read differently from what it says — and at most a
stated number of characters, checked here so that SQLite and PostgreSQL accept the same texts
and refuse longer ones with the same Chinese/English message. Pages show it as text, never as
Markdown or HTML.
"""
from __future__ import annotations

import re
import unicodedata

from planning.base.errors import PlanningError

# Cc control, Cf format (bidi marks, zero-width joiners, BOM), Cs surrogates, Co private use
_DROPPED = frozenset(("Cc", "Cf", "Cs", "Co"))
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\n{3,}")
# Printed slips use the Adobe-GB1 font STSong-Light: no emoji, pictographs or variation selectors.
_UNPRINTABLE = re.compile(
    "[\U00010000-\U0010FFFF\u2600-\u2604\u2607-\u263F\u2641\u2643-\u27BF\u2B00-\u2BFF\uFE00-\uFE0F\u20E3]"
)


def clean_text(value: object, too_long: str, maximum: int, *, multiline: bool = False,
               empty: str | None = None) -> str:
    """``value`` as stored: NFC, no control/format characters, spaces collapsed, stripped.

    Parameters
    ----------
    too_long
        Error code raised when the cleaned text has more than ``maximum`` characters.
    multiline
        Keep line breaks (comments); otherwise every line break becomes a space.
    empty
        Error code raised when nothing is left (None: an empty text is allowed).
    """
    text = unicodedata.normalize("NFC", str(value))
    text = text.replace("\r\n", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    if not multiline:
        text = text.replace("\n", " ")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _DROPPED)
    text = _NEWLINES.sub("\n\n", _SPACES.sub(" ", text)).strip()
    if empty is not None and not text:
        raise PlanningError(empty)
    if len(text) > maximum:
        raise PlanningError(too_long, maximum=maximum, length=len(text))
    return text


def slip_text(value: str) -> str:
    """``value`` as a printed slip can show it: cleaned, and without emoji or symbols the CJK font lacks."""
    text = clean_text(value, "poll_title_too_long", 10 * len(str(value)) + 1)
    return _SPACES.sub(" ", _UNPRINTABLE.sub("", text)).strip()
