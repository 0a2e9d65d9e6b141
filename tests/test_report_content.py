"""What the report says: uncovered residents are all accounted for, places are described, the threshold bites."""
from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest

from planning.reports import prepare_report_data
from planning.reports.clusters import direction_from_centre
from planning.reports.content import assemble_report, cell_text, label, location_text
from planning.summary import served_weight


@pytest.fixture(scope="module")
def data(demo_area):
    return prepare_report_data(demo_area)


def test_clusters_account_for_every_resident_outside_the_tier(data):
    for ftype in (t for t in data.types if t.key in data.present):
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

    present = sum(t.key in data.present for t in data.types)
    assert verdicts(0.0).count("达标") == present
    assert verdicts(1.01).count("达标") == 0
    assert verdicts(0.5).count("达标") == int((data.coverage.overall.set_index("type")["covered_at_tier"]
                                             .loc[data.present] >= 0.5).sum())
    assert verdicts(0.5).count("无设施数据") == len(data.types) - present


def test_unreachable_walk_times_print_as_beyond_sixty_minutes(data):
    overall = next(t for s in assemble_report(data, "en").sections for t in s.tables if t.key == "overall")
    median = overall.frame[label("col_median", "en")]
    assert np.isinf(median).any()  # no 社区食堂 in OSM: nobody reaches one
    assert cell_text(float("inf"), "minutes", "en") == "over 60 min"
    assert cell_text(float("inf"), "minutes", "zh") == "超过 60 分钟"
