"""The one error family of the project: every message in Chinese and English, with a hint.

Loaders, models and services raise :class:`PlanningError`; the CLI and the app show it.
Message texts live in ``planning/locale/messages*.yaml`` (data, not code) keyed by ``code``;
each part of the product keeps its own file (``messages_optimize.yaml``, ``messages_voting.yaml`` …).
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import PurePath
from typing import Any

from planning.base.text import LOCALE_DIR, catalogue, pick


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[str, str]]:
    """Every ``messages*.yaml`` (each part of the product keeps its own), merged; a code defined twice is a bug."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALE_DIR.glob("messages*.yaml")):
        entries = catalogue(path.stem).table
        clash = merged.keys() & entries.keys()
        if clash:
            raise KeyError(f"error codes defined twice ({path.name}): {sorted(clash)}")
        merged.update(entries)
    return merged


class _SafeDict(dict):
    """Leave unknown ``{placeholders}`` visible instead of failing to format."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class PlanningError(Exception):
    """A problem the user can act on, described in Chinese and English.

    Parameters
    ----------
    code
        Key in ``messages.yaml`` (for example ``"file_empty"``).
    **params
        Values for the ``{placeholders}`` in the message and hint.
    """

    def __init__(self, code: str, **params: Any) -> None:
        entry = _catalogue().get(code)
        if entry is None:
            raise KeyError(f"no message for error code {code!r} in {LOCALE_DIR}/messages*.yaml")
        values = _SafeDict({k: v for k, v in params.items()})
        self.code = code
        self.params = params
        self.zh = entry["zh"].format_map(values)
        self.en = entry["en"].format_map(values)
        self.hint_zh = entry.get("hint_zh", "").format_map(values)
        self.hint_en = entry.get("hint_en", "").format_map(values)
        super().__init__(self.one_line())

    def __reduce__(self):
        # rebuilt from code and parameters, so the error crosses process boundaries (Dask workers)
        return (_rebuild, (self.code, self.params))

    def message(self, lang: str = "zh") -> str:
        """The message with its hint in one language (``"zh"`` or ``"en"``)."""
        text, hint = pick(((self.zh, self.hint_zh), (self.en, self.hint_en)), lang)
        return f"{text} {hint}".strip()

    def one_line(self) -> str:
        """Chinese then English on one line, as the CLI prints it."""
        return f"{self.message('zh')} / {self.message('en')}"

    def with_paths_as(self, names: Mapping[str, str]) -> PlanningError:
        """The same error with each path in ``names`` (the longest first) written as its value wherever a
        parameter holds it, e.g. a working copy named as the user gave the file."""
        def named(value: Any) -> Any:
            if not isinstance(value, (str, PurePath)):
                return value
            text = str(value)
            for path in sorted(names, key=len, reverse=True):
                text = text.replace(path, names[path])
            return text if isinstance(value, str) else PurePath(text)

        return PlanningError(self.code, **{key: named(value) for key, value in self.params.items()})


def error_reason(exc: BaseException, limit_chars: int = 200) -> str:
    """A library's error as the reason quoted in one of our messages: its first line (the exception's type
    when it says nothing), and when that is longer than ``limit_chars``, cut after the last sentence or
    clause that fits, else at a word, with "…"."""
    lines = str(exc).strip().splitlines()
    text = lines[0].strip() if lines else type(exc).__name__
    if len(text) <= limit_chars:
        return text
    head = text[:limit_chars]
    for end in (". ", "; ", ", "):
        cut = head.rfind(end)
        if cut >= limit_chars // 2:
            return head[:cut + 1] + " …"
    cut = head.rfind(" ")
    return (head[:cut] if cut >= limit_chars // 2 else head) + "…"


def _rebuild(code: str, params: dict[str, Any]) -> PlanningError:
    return PlanningError(code, **params)


def warning_text(code: str, **params: Any) -> tuple[str, str]:
    """(zh, en) text of a non-fatal notice from the same catalogue (e.g. repaired polygons)."""
    err = PlanningError(code, **params)
    return err.message("zh"), err.message("en")
