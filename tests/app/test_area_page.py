"""The 区域与数据 page with saved areas (AppTest): the same store as ``planning area add``, the area
named in the URL, and a layer to pick when an upload holds several."""
from __future__ import annotations

import gzip

import geopandas as gpd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from planning.areas.build import AreaInputs
from planning.areas.store import save_area
from tests.support.data import MISSION_TOWN, ROOT

APP = str(ROOT / "app.py")


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNING_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLANNING_DB", str(tmp_path / "votes.sqlite"))
    return tmp_path / "home"


def _app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _headers(at: AppTest) -> list[str]:
    return [h.value for h in at.header]


def test_an_area_saved_on_the_command_line_opens_from_its_link(home):
    save_area("团城山街道", AreaInputs(source=MISSION_TOWN))
    at = _app(area="团城山街道")
    assert "当前区域：团城山街道" in _headers(at)
    assert "团城山街道" in at.selectbox[0].options[-1]  # listed after the demos
    assert at.table[0].value["来源"].iloc[0] == "本单位文件：MissionTown.graphml.gz"


def test_a_damaged_settings_file_is_said_and_the_first_page_still_draws_its_map(home):
    """settings.json saved as GBK by a hand edit: once an exception box on the first page, and on siting."""
    home.mkdir(parents=True, exist_ok=True)
    damaged = '{"map": {"basemap": "天地图"}}'.encode("gbk")
    (home / "settings.json").write_bytes(damaged)
    at = _app()
    assert any("设置文件" in w.value and "已损坏" in w.value for w in at.warning), [w.value for w in at.warning]
    assert at.get("selectbox") and "底图" in [s.label for s in at.selectbox]  # the base-map choice, at its default
    assert (home / "settings.json").read_bytes() == damaged  # left for the organiser to look at


def test_a_saved_area_that_can_no_longer_be_read_says_so_and_falls_back_to_the_demo(home):
    save_area("团城山街道", AreaInputs(source=MISSION_TOWN))
    (home / "areas" / "团城山街道" / "area.yaml").write_bytes(b"\xff\xfe damaged")
    at = _app(area="团城山街道")
    assert any("团城山街道" in e.value and "无法读取" in e.value for e in at.error), [e.value for e in at.error]
    assert any("新街口" in h for h in _headers(at)) and at.query_params["area"] == "xinjiekou"


def test_a_link_to_an_area_that_is_gone_falls_back_to_the_demo(home):
    at = _app(area="已删除的街道")
    assert any("已删除的街道" in w.value for w in at.warning)
    assert any("新街口" in h for h in _headers(at))


def _two_layer_gpkg(path):
    """A GeoPackage with two layers, 街道 and 社区."""
    box = shapely.box(114.9, 30.1, 115.2, 30.3)
    for layer in ("街道", "社区"):
        gpd.GeoDataFrame({"name": [layer]}, geometry=[box], crs=4326).to_file(path, layer=layer)
    return path


def test_an_upload_with_several_layers_asks_which_one(home, tmp_path):
    path = _two_layer_gpkg(tmp_path / "区划.gpkg")
    at = _app()
    at.radio[0].set_value("upload").run()
    at.file_uploader[0].set_value(("团城山.graphml", gzip.decompress(MISSION_TOWN.read_bytes()), "application/xml"))
    at.file_uploader[1].set_value(("区划.gpkg", path.read_bytes(), "application/geopackage+sqlite3")).run()
    choice = next(s for s in at.selectbox if "区划" in s.label)  # the file name, as Markdown-escaped text
    assert choice.options == ["街道", "社区"]


def test_an_upload_named_like_a_path_is_kept_inside_the_sessions_upload_folder(home, tmp_path, monkeypatch):
    """Streamlit passes the browser's file name on as it came; a crafted upload named ``../../x`` wrote
    two folders above the session's upload folder (as the server's user, anywhere it could write)."""
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # the page's upload folder: temp/planning-upload-*
    path = _two_layer_gpkg(tmp_path / "区划.gpkg")
    at = _app()
    at.radio[0].set_value("upload").run()
    at.file_uploader[1].set_value(("../../逃逸.gpkg", path.read_bytes(), "application/geopackage+sqlite3")).run()
    assert not at.exception, at.exception
    (upload_folder,) = temp.glob("planning-upload-*")
    kept = [p for p in tmp_path.rglob("*逃逸*")]
    assert len(kept) == 1 and kept[0].parent.parent == upload_folder
    assert next(s for s in at.selectbox if "逃逸" in s.label).options == ["街道", "社区"]  # and it was read


def test_a_saved_areas_coverage_is_kept_on_disk_under_what_the_area_is_made_of(home):
    from planning.areas.store import saved_area_digest
    from planning.base.catalogue import load_catalogue
    from planning.base.paths import cache_dir
    from planning.base.walking import DEFAULT_SPEED_KMH, TIERS_MINUTES
    from planning.coverage.cache import coverage_key

    save_area("团城山街道", AreaInputs(source=MISSION_TOWN))
    at = _app(area="团城山街道")
    at.switch_page(str(ROOT / "planning" / "app" / "pages" / "coverage.py")).run()
    assert not at.exception, at.exception
    key = coverage_key(saved_area_digest("团城山街道"), list(load_catalogue().values()), TIERS_MINUTES,
                       DEFAULT_SPEED_KMH)
    # a restarted app reads this file instead of computing again
    assert sorted(p.name for p in cache_dir().glob("coverage-*.pickle")) == [f"coverage-{key}.pickle"]
