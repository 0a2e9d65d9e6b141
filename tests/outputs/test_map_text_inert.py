"""Text on a map is never run as a template on the server.

branca compiles each element's rendered output again as a Jinja template, so a 社区 name such as
``{{ cycler.__init__.__globals__.os.mkdir(…) }}`` (from an uploaded boundary file, an OSM name tag
or a resident's survey area) ran Python on the server when the map was drawn. Every place the map
shows text gets such a name here: the 社区 polygons and their labels, facility and site tooltips,
type names in the legend and the map words, the resident's pin map and the organiser's needs map.
Each must draw literally, in the page and through the app's ``show_map``, and create nothing.
"""
from __future__ import annotations

import json

import folium
import geopandas as gpd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from planning.outputs.maps.assets import standalone_html
from planning.outputs.maps.inert import WORD_JOINER, inert_text
from planning.outputs.maps.layers import MapLabels
from planning.outputs.maps.needs import add_needs_layers, pin_map
from planning.outputs.maps.webmap import build_map


BOXES = [shapely.box(118.78 + 0.01 * i, 32.04, 118.79 + 0.01 * i, 32.05) for i in range(4)]  # four 社区 in a row


def _payloads(marker_dir, where: str) -> list[str]:
    """Three ways into Jinja, each leaving a word (``where``) only if it is drawn as text, and a command
    that would create ``marker_dir/where`` if it ran."""
    command = f"{{{{ cycler.__init__.__globals__.os.mkdir('{marker_dir / where}') }}}}"
    return [f"{{{{ {where}_expr }}}}", f"{{% if 0 %}}{where}_block{{% endif %}}", f"{{# {where}_comment #}}", command]


def _shown(text: str) -> str:
    """The text as a reader sees it (the word joiner is zero-width)."""
    return text.replace(WORD_JOINER, "").replace("\\u2060", "")


def _words(where: str) -> list[str]:
    return [f"{where}_expr", f"{where}_block", f"{where}_comment"]


def _coverage_map(marker_dir) -> tuple[folium.Map, list[str]]:
    communities = gpd.GeoDataFrame({"name": _payloads(marker_dir, "community"), "covered_share": [0.1, 0.5, 0.9, None]},
                                   geometry=BOXES, crs=4326)
    points = [shapely.Point(118.785 + 0.01 * i, 32.045) for i in range(4)]
    facilities = gpd.GeoDataFrame({"name": _payloads(marker_dir, "facility"), "type": "clinic"}, geometry=points,
                                  crs=4326)
    sites = gpd.GeoDataFrame({"id": _payloads(marker_dir, "site"), "type": "clinic"}, geometry=points, crs=4326)
    names = _payloads(marker_dir, "label")
    labels = MapLabels(names[0], names[1], names[2], names[3], "未覆盖需求", "步行范围", "分钟", legend="图例")
    m = build_map(communities, labels, facilities=facilities, sites=sites,
                  type_names={"clinic": _payloads(marker_dir, "typename")[0]})
    words = [w for where in ("community", "facility", "site", "label") for w in _words(where)]
    return m, [*words, "typename_expr"]


def _resident_map(marker_dir) -> folium.Map:
    """The resident's pin map: 社区 outlines with hostile names, and the pin's label."""
    outline = gpd.GeoDataFrame({"name": _payloads(marker_dir, "outline")}, geometry=BOXES, crs=4326).__geo_interface__
    m, _ = pin_map(outline, (118.78, 32.04, 118.82, 32.05), (118.785, 32.045), _payloads(marker_dir, "pin")[0])
    return m


def _with_needs(m: folium.Map, marker_dir) -> folium.Map:
    """The organiser's map: stated needs over the coverage map, need types and the heat layer named."""
    needs = gpd.GeoDataFrame({"need": ["meals", "meals", "parking"], "covered_today": [True, False, False]},
                             geometry=[shapely.Point(118.785, 32.045), shapely.Point(118.786, 32.045),
                                       shapely.Point(118.795, 32.045)], crs=4326)
    names = {"meals": _payloads(marker_dir, "needname")[1], "parking": _payloads(marker_dir, "needname")[2]}
    return add_needs_layers(m, needs, names, heat_name=_payloads(marker_dir, "heat")[0])


NEEDS_WORDS = [*_words("outline"), "pin_expr", "needname_block", "needname_comment", "heat_expr"]


@pytest.fixture
def marker_dir(tmp_path):
    folder = tmp_path / "ran"
    folder.mkdir()
    return folder


def test_inert_text_reads_the_same_and_opens_no_jinja_tag():
    for text in ("{{ a }}", "{%x%}", "{#c#}", "{{{", "社区 {1} }}", "plain"):
        inert = inert_text(text)
        assert _shown(inert) == text
        assert not any(tag in inert for tag in ("{{", "{%", "{#"))
    assert inert_text("{ a } {b}") == "{ a } {b}"  # a brace opening no tag is left alone


def test_every_text_on_the_coverage_and_needs_maps_draws_literally_and_runs_nothing(marker_dir):
    coverage, words = _coverage_map(marker_dir)
    pages = [standalone_html(_with_needs(coverage, marker_dir)), standalone_html(_resident_map(marker_dir))]
    assert list(marker_dir.iterdir()) == []  # no command ran
    shown = _shown("\n".join(pages))
    missing = [w for w in [*words, *NEEDS_WORDS] if w not in shown]
    assert missing == []  # each word drawn as text, none swallowed by a template


def _app_script(marker_dir: str) -> None:
    from pathlib import Path

    import geopandas as gpd
    import shapely

    from planning.app.map_widgets import show_map
    from planning.outputs.maps.layers import MapLabels
    from planning.outputs.maps.webmap import build_map

    name = f"{{{{ cycler.__init__.__globals__.os.mkdir('{Path(marker_dir) / 'app'}') }}}} {{{{ app_expr }}}}"
    communities = gpd.GeoDataFrame({"name": [name], "covered_share": [0.5]},
                                   geometry=[shapely.box(118.78, 32.04, 118.79, 32.05)], crs=4326)
    show_map(build_map(communities, MapLabels("社区", "覆盖比例", "现有设施", "新选址", "未覆盖需求", "步行范围", "分钟")),
             key="map", returned_objects=[])


def test_the_app_draws_the_same_names_literally_and_runs_nothing(marker_dir):
    at = AppTest.from_function(_app_script, args=(str(marker_dir),), default_timeout=60).run()
    assert not at.exception, at.exception
    (component,) = at.get("component_instance")
    sent = json.dumps(json.loads(component.proto.json_args), ensure_ascii=False)
    assert list(marker_dir.iterdir()) == []
    assert "app_expr" in _shown(sent)
