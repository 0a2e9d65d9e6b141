"""A 民情征集 read against the 新街口 demo area and written out: 社区 and 网格 of each need, needs outside
today's walking coverage, clusters, keyword groups, coarsened locations, GeoPackage and Excel, QR slips
and poster, and the 公示 poster's "覆盖了 … 条居民诉求中的 … 条"."""
from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from planning.base.catalogue import load_catalogue
from planning.coverage.residents import compute_coverage
from planning.outputs.needs_export import NeedsTables, needs_xlsx, write_needs_gpkg
from planning.outputs.poster import render_poster
from scenarios.needs import (
    coarsen,
    group_texts,
    locate_needs,
    need_clusters,
    need_counts,
    needs_frame,
    survey_area,
)
from scenarios.voting.survey_slips import write_survey_poster, write_survey_slips
from tests.support.plans import demo_plan
from tests.support.printing import needs_poppler, pdf_text

HOSTILE = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture(scope="module")
def answers(demo_area):
    """40 needs: 8 吃饭难 in a tight group, the rest spread over the area's resident buildings."""
    rng = np.random.default_rng(5)
    homes = demo_area.demand.to_crs(4326).geometry.centroid
    picked = homes.iloc[rng.choice(len(homes), 32, replace=False)]
    centre = homes.iloc[0]
    group = [(centre.x + dx, centre.y + dy) for dx, dy in rng.uniform(-0.0002, 0.0002, size=(8, 2))]
    kinds = ["clinic_far", "parking", "day_care", "other"]
    rows = [{"id": i, "need": "meals", "lon": x, "lat": y, "text": "想要老年食堂，吃饭难" if i % 2 else ""}
            for i, (x, y) in enumerate(group)]
    rows += [{"id": 100 + i, "need": kinds[i % 4], "lon": p.x, "lat": p.y,
              "text": [HOSTILE, "停车位太少", "看病要走很远", "晚上路灯不亮"][i % 4]} for i, p in enumerate(picked)]
    return needs_frame(rows)


@pytest.fixture(scope="module")
def located(answers, demo_area):
    return locate_needs(answers, demo_area, load_catalogue())


def test_each_need_gets_its_community_grid_and_todays_walk(located, answers, demo_area):
    inside = gpd.sjoin(answers.to_crs(demo_area.crs), demo_area.communities[["code", "geometry"]], predicate="within",
                       how="left")
    inside = inside[~inside.index.duplicated()]
    known = inside["code"].notna().to_numpy()
    assert known.mean() > 0.9
    assert (located["community"].to_numpy()[known] == inside["code"].to_numpy()[known]).all()
    assert located["grid"].str.fullmatch(r"\d\d-\d\d").all()
    # today's walk for 看病远: the coverage engine run on the needs as residents, clinics and health centres
    catalogue = load_catalogue()
    clinic = located["need"] == "clinic_far"
    points = located[clinic][["geometry"]].assign(population=1.0, community="all")
    cov = compute_coverage(demo_area.network, points, demo_area.facilities, [catalogue["clinic"],
                                                                            catalogue["health_center"]])
    expected = ((cov.demand["minutes_to_clinic"] <= catalogue["clinic"].tier_minutes)
                | (cov.demand["minutes_to_health_center"] <= catalogue["health_center"].tier_minutes)).to_numpy()
    assert located.loc[clinic, "covered_today"].tolist() == expected.tolist()
    assert located.loc[located["need"] == "other", "covered_today"].isna().all()  # nothing answers "other"
    assert (located["covered_today"] == False).sum() > 0  # noqa: E712  (some needs are flagged)


def test_counts_per_community_and_grid_add_up(located):
    for by in ("community", "grid"):
        table = need_counts(located, by)
        assert table["total"].sum() == len(located)
        assert table.drop(columns=[by, "total"]).sum(axis=1).tolist() == table["total"].tolist()
    assert "吃饭难" in need_counts(located, "community").columns


def test_a_tight_group_of_one_kind_is_a_cluster_and_scattered_needs_are_not(located):
    clusters = need_clusters(located, radius_m=100, min_needs=3)
    meals = clusters[clusters["need"] == "meals"]
    assert meals["count"].max() == 8
    assert clusters["count"].sum() < len(located)


def test_free_text_is_grouped_by_keyword_and_empty_text_skipped(located):
    groups = group_texts(located["text"].tolist()).set_index("theme")
    assert groups.loc["meals", "count"] == 4  # "想要老年食堂，吃饭难" (also 养老: 老年 is not a word there)
    assert groups.loc["parking", "count"] == 8 and groups.loc["health", "count"] == 8
    assert groups.loc["walking", "count"] == 8  # 路灯
    assert HOSTILE in groups.loc["other", "texts"]
    assert groups["count"].sum() >= (located["text"] != "").sum()


def test_coarsened_locations_move_to_a_50m_cell_centre_or_the_nearest_building(located, demo_area):
    cells = coarsen(located, "50m", demo_area).to_crs(demo_area.crs)
    moved = cells.geometry.distance(located.to_crs(demo_area.crs).geometry, align=False)
    assert (moved <= 25 * np.sqrt(2) + 1e-6).all()
    assert np.allclose((cells.geometry.x % 50), 25) and np.allclose((cells.geometry.y % 50), 25)
    buildings = coarsen(located, "building", demo_area).to_crs(demo_area.crs)
    homes = demo_area.demand.to_crs(demo_area.crs).geometry.centroid
    nearest = [homes.distance(p).min() for p in buildings.geometry]
    assert max(nearest) < 1e-6  # every published point is a building's


def test_geopackage_and_excel_hold_every_need_and_text_stays_text(located, tmp_path):
    tables = NeedsTables(coarsen(located, "50m"), need_clusters(located), need_counts(located, "community"),
                         need_counts(located, "grid"), group_texts(located["text"].tolist()))
    path = write_needs_gpkg(tmp_path / "needs.gpkg", tables)
    layers = dict(pyogrio.list_layers(path))
    assert {"needs", "clusters", "by_community", "by_grid", "texts"} <= set(layers)
    back = gpd.read_file(path, layer="needs")
    assert len(back) == len(located) and set(back["need_name"]) >= {"吃饭难", "停车难"}
    book = load_workbook(io.BytesIO(needs_xlsx(tables)))
    sheet = book["诉求"]
    header = [c.value for c in sheet[1]]
    texts = [row[header.index("text")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(texts) == len(located)
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.value == HOSTILE]
    assert cells and all(c.data_type == "s" for c in cells)  # never a formula


@needs_poppler
def test_survey_slips_and_poster_carry_the_codes_and_the_survey_address(tmp_path):
    codes = ["7KQM-X3RD-9PWE-HT", "ABCD-EFGH-JKLM-NP"]
    slips = write_survey_slips(tmp_path / "slips.pdf", 4, "新街口 身边缺什么\u202e", codes, "http://192.168.1.10:8501")
    text = pdf_text(slips)
    assert all(code in text for code in codes) and "民情征集 第 4 号" in text
    poster = write_survey_poster(tmp_path / "poster.pdf", 4, "新街口 身边缺什么", "http://192.168.1.10:8501",
                                 ["看病远", "吃饭难"], "2026-12-01 – 2026-12-15")
    flat = pdf_text(poster).replace(" ", "")
    assert "http://192.168.1.10:8501/needs?survey=4" in flat and "看病远、吃饭难" in flat


@needs_poppler
def test_the_public_poster_says_how_many_stated_needs_the_plan_answers(demo_area, tmp_path):
    plan = demo_plan(demo_area)
    plan = type(plan).model_validate({**plan.model_dump(), "needs": {"survey_id": 3, "title": "新街口 身边缺什么",
                                                                    "total": 212, "answered": 148}})
    out = tmp_path / "poster.pdf"
    out.write_bytes(render_poster(demo_area, plan))
    flat = pdf_text(out, raw=True).replace(" ", "").replace("\n", "")
    assert "本方案覆盖了212条居民诉求中的148条" in flat
    without = tmp_path / "plain.pdf"
    without.write_bytes(render_poster(demo_area, demo_plan(demo_area)))
    assert "居民诉求" not in pdf_text(without)


def test_survey_area_keeps_outlines_and_places_of_the_area(demo_area):
    settings = survey_area(demo_area, "demo:xinjiekou")
    assert settings["area_key"] == "demo:xinjiekou"
    assert len(settings["outline"]["features"]) == len(demo_area.communities)
    assert {p.name for p in settings["places"]} >= set(demo_area.communities["name"])
    west, south, east, north = settings["bounds"]
    assert west < east and south < north
    frame = pd.DataFrame([vars(p) for p in settings["places"]])
    assert frame["lon"].between(west, east).all() and frame["lat"].between(south, north).all()
