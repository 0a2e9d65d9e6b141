"""What the report says: uncovered residents are all accounted for, places are described, the threshold bites."""
from __future__ import annotations

import re
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest

from planning.coverage.residents import served_weight
from planning.outputs.reports import prepare_report_data
from planning.outputs.reports.clusters import direction_from_centre
from planning.outputs.reports.content import (
    assemble_report,
    cell_text,
    label,
    location_text,
    poll_section,
)
from planning.outputs.reports.maps import type_map
from tests.support.voting import SECRET, TIED_COUNTS, open_poll, publish_tied_poll


@pytest.fixture(scope="module")
def data(demo_area):
    return prepare_report_data(demo_area)


def test_clusters_account_for_every_resident_outside_the_tier(data):
    for ftype in (t for t in data.types if t.key in data.present and t.life_circle):
        demand = data.coverage.demand
        outside = served_weight(demand, ftype)[demand[f"minutes_to_{ftype.key}"] > ftype.tier_minutes].sum()
        assert data.clusters[f"uncovered_{ftype.key}"].sum() == pytest.approx(outside)
    assert data.clusters["uncovered"].is_monotonic_decreasing


def test_largest_clusters_are_described_by_community_street_and_direction(data):
    top = data.clusters.head(10)
    assert (top["community_name"].str.startswith("新街口社区")).all()
    assert (top["street"] != "").sum() >= 8  # OSM street names of Nanjing are read from the graph
    texts = [location_text(row, "zh") for _, row in top.iterrows()]
    assert all("区域中心" in t or "区域中部" in t for t in texts)
    assert any(f"{top['street'].iloc[0]}附近" in t for t in texts)


def test_direction_is_measured_from_the_area_centre(demo_area):
    centre = demo_area.communities.union_all().centroid
    points = gpd.GeoSeries(gpd.points_from_xy([centre.x + 1500, centre.x - 1000, centre.x + 20],
                                              [centre.y, centre.y - 1000, centre.y]), crs=demo_area.crs)
    found = direction_from_centre(points, demo_area.communities)
    assert found["direction"].tolist() == ["e", "sw", "centre"]
    assert found["distance_km"].iloc[0] == pytest.approx(1.5)


def test_threshold_decides_which_types_meet_their_tier(data):
    def verdicts(share: float) -> list[str]:
        overall = next(t for s in assemble_report(data, "zh", share=share).sections for t in s.tables
                       if t.key == "overall").frame
        return overall[label("col_meets", "zh")].tolist()

    circle = [t.key for t in data.types if t.life_circle]
    present = [k for k in data.present if k in circle]
    assert verdicts(0.0).count("达标") == len(present)
    assert verdicts(1.01).count("达标") == 0
    assert verdicts(0.5).count("达标") == int((data.coverage.overall.set_index("type")["covered_at_tier"]
                                             .loc[present] >= 0.5).sum())
    assert verdicts(0.5).count("无设施数据") == len(circle) - len(present)


def test_hospitals_are_shown_for_reference_not_judged_against_a_tier(data):
    overall = next(t for s in assemble_report(data, "zh", share=0.0).sections for t in s.tables
                   if t.key == "overall").frame
    verdict = overall.set_index(label("col_type", "zh"))[label("col_meets", "zh")]
    assert "hospital" in data.present and verdict["医院"] == "仅供参考（非生活圈设施）"
    assert not any(k.startswith("uncovered_hospital") for k in data.clusters.columns)


def test_unreachable_walk_times_print_as_beyond_sixty_minutes(data):
    overall = next(t for s in assemble_report(data, "en").sections for t in s.tables if t.key == "overall")
    median = overall.frame[label("col_median", "en")]
    assert np.isinf(median).any()  # no 社区食堂 in OSM: nobody reaches one
    assert cell_text(float("inf"), "minutes", "en") == "over 60 min"
    assert cell_text(float("inf"), "minutes", "zh") == "超过 60 分钟"


@pytest.mark.parametrize("case", list(TIED_COUNTS))
def test_poll_section_tells_a_tie_as_a_tie_with_the_meetings_rule(service, scenario_files, case):
    published = service.published_result(publish_tied_poll(service, scenario_files, case))
    names = {o["key"]: f"{o['key']} {o['title']}" for o in published["options"]}
    tied = TIED_COUNTS[case][2]
    for lang, tie, rule, win in (("zh", f"并列第一：{'、'.join(names[k] for k in tied)}（平票）", "议事会", "胜出方案："),
                                 ("en", f"Tie for first: {', '.join(names[k] for k in tied)}.", "run-off", "Winner")):
        paragraphs = poll_section(published, lang).paragraphs
        assert paragraphs[1].startswith(tie) and rule in paragraphs[2]
        assert not any(win in p for p in paragraphs)


def test_poll_section_names_the_single_winner_and_irv_only_for_reference(service, scenario_files):
    poll_id, codes = open_poll(service, scenario_files, "ranked", 7)
    # Schulze elects B (everyone else ranks B second); IRV drops B first and elects A
    for code, ranking in zip(codes, (["A", "B"], ["A", "B"], ["A", "B"], ["C", "B"], ["C", "B"], ["B", "A"], ["C", "B"])):
        service.cast_ballot(poll_id, code, {"ranking": ranking})
    service.close(SECRET, poll_id)
    paragraphs = poll_section(service.publish(SECRET, poll_id).to_dict(), "zh").paragraphs
    assert paragraphs[1] == "胜出方案：B 方案乙 医疗优先。"
    assert paragraphs[2].startswith("即时决选（IRV，仅供参考，公示结果以 Schulze 法为准）：A 方案甲 养老优先")
    assert "以 Schulze 法为准" in paragraphs[3] and sum("胜出" in p for p in paragraphs) == 1


def test_data_assumptions_read_as_chinese_sentences_in_the_chinese_report(data):
    method = assemble_report(data, "zh").sections[1]
    notes = next(p for p in method.paragraphs if p.startswith("数据假设："))
    for zh, en in data.area.assumptions:
        assert zh in notes and zh.endswith("。") and en.endswith(".") and en[0].isupper(), (zh, en)
    assert not re.search(r"[\u4e00-\u9fff][/;,][\u4e00-\u9fff]", notes)  # 商店、设施, not 商店/设施
    assert not re.search(r"\d%[\u4e00-\u9fff]", notes)  # "占 19%本区域": two notes ran together
    standards = next(p for p in method.paragraphs if p.startswith("各类设施依据的标准条文"))
    assert not re.search(r"[A-Za-z]{3,} [a-z]{3,}", standards)  # no English sentence beside the codes


def test_each_coverage_map_caption_names_the_walking_times_it_draws(data):
    clinic = next(t for t in data.types if t.key == "clinic")
    full = type_map(data, clinic, "zh").caption
    assert "实线 5 分钟、虚线 10 分钟、点线 15 分钟" in full
    shorter = replace(data, isochrones=data.isochrones[data.isochrones["minutes"] <= 10])
    caption = type_map(shorter, clinic, "zh").caption
    assert "现有设施的步行范围：实线 5 分钟、虚线 10 分钟。" in caption and "15 分钟" not in caption
    assert "（5 分钟）" in caption  # the type's own tier
    english = type_map(shorter, clinic, "en").caption
    assert "solid 5 minutes, dashed 10 minutes." in english and "15" not in english
