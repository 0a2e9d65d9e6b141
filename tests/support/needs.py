"""Needs-survey helpers: a survey of the 新街口 demo outline and a few places."""
from __future__ import annotations

from scenarios.voting.needs import NeedsService, Place
from tests.support.voting import SECRET

# 新街口 (Nanjing), roughly the demo area's extent (west, south, east, north)
BOUNDS = (118.764, 32.035, 118.797, 32.052)
PLACES = [Place("c-C01", "新街口社区01", 118.7700, 32.0400, "community"),
          Place("b-7", "石鼓路 7 号楼", 118.7790, 32.0430, "building")]


def open_survey(svc: NeedsService, mode: str = "codes", n_codes: int = 0, **kwargs) -> tuple[int, list[str]]:
    """Create and open a survey of every need type; return (survey id, codes issued)."""
    options = {"area_key": "demo:xinjiekou", "area_name": "南京 新街口（示例）", "bounds": BOUNDS, "places": PLACES,
               **kwargs}
    survey_id = svc.create_survey(SECRET, "新街口 身边缺什么", ["clinic_far", "meals", "parking", "day_care", "other"],
                                  mode=mode, **options)
    codes = svc.generate_survey_codes(SECRET, survey_id, n_codes) if n_codes else []
    svc.open_survey(SECRET, survey_id)
    return survey_id, codes
