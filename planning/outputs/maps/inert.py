"""Text on a folium map that cannot run on the server.

branca renders each map element's output and then compiles that output again as a Jinja template
(``MacroElement.render`` → ``Element(script(...))``). Any text the map carries (a 社区 name from an
uploaded boundary file, a facility name from OpenStreetMap, a tooltip) therefore goes through
Jinja a second time: ``{{ 7*7 }}`` in a name is drawn as 49, and ``{{ cycler.__init__.__globals__
.os.system(…) }}`` runs a command on the server. :func:`make_inert` puts a word joiner (U+2060,
invisible and zero-width) after every ``{`` that would open a Jinja tag in every string the map's
elements hold, just before the map is rendered: the text reads the same, and Jinja sees none.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import branca.element
import folium

WORD_JOINER = "\u2060"
_TAG_OPENER = re.compile(r"\{(?=[{%#])")  # "{{", "{%" and "{#" open Jinja tags; "}}" alone is text


def inert_text(text: str) -> str:
    """``text`` with a word joiner after each ``{`` that opens a Jinja tag (``{{``, ``{%``, ``{#``)."""
    return _TAG_OPENER.sub("{" + WORD_JOINER, text)


def _inert(value: Any) -> Any:
    if isinstance(value, str):
        return inert_text(value) if "{" in value else value
    if isinstance(value, dict):
        # a GeoJSON geometry's coordinates are numbers only: not walked (they are most of the data)
        return {k: v if k == "coordinates" else _inert(v) for k, v in value.items()}
    if type(value) in (list, tuple):  # a named tuple or another sequence type is not rebuilt
        if all(isinstance(v, (int, float)) for v in value):
            return value
        return type(value)(_inert(v) for v in value)
    return value  # numbers, callables (style functions), JsCode written by us, elements (walked themselves)


def map_elements(element: branca.element.Element) -> Iterator[branca.element.Element]:
    """``element`` and every element under it."""
    yield element
    for child in element._children.values():
        yield from map_elements(child)


def make_inert(m: folium.Map) -> folium.Map:
    """Every string held by ``m`` and the elements in it (names, tooltips, GeoJSON properties, legend
    HTML, options) made inert with :func:`inert_text`; changed in place and returned. Call it right
    before rendering, after every layer is added. Templates (attributes starting with ``_``) are the
    libraries' and ours, and stay as they are."""
    for element in map_elements(m):
        for name, value in list(vars(element).items()):
            if not name.startswith("_"):
                setattr(element, name, _inert(value))
    return m
