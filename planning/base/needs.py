"""The kinds of need residents can name in a 民情征集 (needs survey), read from ``data/need_types.yaml``.

Standard library and YAML only: the survey service, the siting models and the pages all read it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from planning.base.errors import PlanningError
from planning.base.paths import DATA_DIR
from planning.base.text import pick

NEED_TYPES_PATH = DATA_DIR / "need_types.yaml"


@dataclass(frozen=True)
class NeedType:
    """One kind of need (看病远、吃饭难 …) and the facility types whose new sites answer it."""

    key: str
    name_zh: str
    name_en: str
    answers: tuple[str, ...] = ()

    def name(self, lang: str = "zh") -> str:
        return pick((self.name_zh, self.name_en), lang)


@dataclass(frozen=True)
class TextTheme:
    """A keyword group for the residents' free text."""

    key: str
    name_zh: str
    name_en: str
    words: tuple[str, ...]

    def name(self, lang: str = "zh") -> str:
        return pick((self.name_zh, self.name_en), lang)


@lru_cache(maxsize=4)
def _raw(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def load_need_types(path: str | Path = NEED_TYPES_PATH) -> dict[str, NeedType]:
    """Need types by key, in the file's order; a zh/en error naming an entry that is wrong."""
    types = {}
    for key, entry in (_raw(str(path)).get("types") or {}).items():
        try:
            types[key] = NeedType(key=key, name_zh=entry["name_zh"], name_en=entry["name_en"],
                                  answers=tuple(entry.get("answers") or ()))
        except (TypeError, KeyError) as exc:
            raise PlanningError("need_types_invalid", key=key, reason=str(exc)) from None
    return types


def load_text_themes(path: str | Path = NEED_TYPES_PATH) -> dict[str, TextTheme]:
    """Keyword groups for free text, by key."""
    themes = {}
    for key, entry in (_raw(str(path)).get("themes") or {}).items():
        try:
            themes[key] = TextTheme(key=key, name_zh=entry["name_zh"], name_en=entry["name_en"],
                                    words=tuple(str(w).lower() for w in entry["words"]))
        except (TypeError, KeyError) as exc:
            raise PlanningError("need_types_invalid", key=key, reason=str(exc)) from None
    return themes


def answering_types(need_types: dict[str, NeedType], facility_type: str) -> list[str]:
    """The need types a new site of ``facility_type`` answers."""
    return [k for k, n in need_types.items() if facility_type in n.answers]
