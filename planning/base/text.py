"""Words in Chinese and English: one mechanism for every part of the product.

Texts live in YAML catalogues under ``planning/locale/`` (data, not code), each entry keyed
by a short id with a ``zh`` and an ``en`` text and ``{placeholders}``:
``ui.yaml`` (the app), ``report.yaml`` (reports), ``cli.yaml`` (the command line) and
``messages*.yaml`` (errors and notices, read by :mod:`planning.base.errors`, which adds
hints). Code asks :func:`catalogue` for a table and reads it with :meth:`Texts.text` (one
language) or :meth:`Texts.both` (``"中文 / English"``, as the command line prints).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def normalise_language(value: Any) -> str:
    """``"zh"`` or ``"en"``; anything else falls back to Chinese."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Texts:
    """One catalogue: key → {"zh": …, "en": …}."""

    name: str
    table: dict[str, dict[str, str]]

    def text(self, key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
        """The text for ``key`` in ``lang`` with ``params`` filled in.

        Raises
        ------
        KeyError
            When the key is missing (a missing translation is a bug, never shown silently).
        """
        try:
            entry = self.table[key]
        except KeyError:
            raise KeyError(f"no text {key!r} in {LOCALE_DIR / self.name}.yaml") from None
        text = entry[normalise_language(lang)]
        return text.format(**params) if params else text

    def both(self, key: str, /, **params: Any) -> str:
        """``"中文 / English"``: how the command line says everything."""
        return f"{self.text(key, 'zh', **params)} / {self.text(key, 'en', **params)}"


def read_yaml(stream) -> Any:
    """``yaml.safe_load`` by libyaml where PyYAML has it (the app reads every catalogue on its first
    page: the C loader takes a tenth of the time), the same safe subset either way."""
    return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@lru_cache(maxsize=None)
def catalogue(name: str) -> Texts:
    """The catalogue ``planning/locale/<name>.yaml``."""
    with open(LOCALE_DIR / f"{name}.yaml", encoding="utf-8") as fh:
        return Texts(name, read_yaml(fh) or {})


def pick(pair: tuple[str, str], lang: str = DEFAULT_LANGUAGE) -> str:
    """The ``lang`` half of a (zh, en) pair, as notices from :func:`planning.base.errors.warning_text` come."""
    return pair[1] if normalise_language(lang) == "en" else pair[0]


def ui_table() -> dict[str, dict[str, str]]:
    """The app's whole table (``ui.yaml``)."""
    return catalogue("ui").table


def ui_text(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """A word of the app in ``lang``."""
    return catalogue("ui").text(key, lang, **params)
