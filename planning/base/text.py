"""Words of the app in Chinese and English, read from ``planning/locale/ui.yaml`` (data, not code).

Every user-visible string of the Streamlit pages comes from that one table, keyed by a short
name; ``{placeholders}`` are filled with :meth:`str.format`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

UI_TEXT_PATH = Path(__file__).resolve().parent.parent / "locale" / "ui.yaml"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


@lru_cache(maxsize=1)
def ui_table() -> dict[str, dict[str, str]]:
    """The whole table: key → {"zh": …, "en": …}."""
    with open(UI_TEXT_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def normalise_language(value: Any) -> str:
    """``"zh"`` or ``"en"``; anything else falls back to Chinese."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def ui_text(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The text for ``key`` in ``lang``, with ``params`` filled in.

    Raises
    ------
    KeyError
        When the key is not in ``ui.yaml`` (a missing translation is a bug, never shown silently).
    """
    entry = ui_table()[key]
    text = entry[normalise_language(lang)]
    return text.format(**params) if params else text
