"""A scenario records the 民情征集 it used; files without one read, save and digest exactly as before."""
from __future__ import annotations

import hashlib
import json

import pytest
import yaml

from planning.base.errors import PlanningError
from scenarios.scenario import build_scenario, load_scenario, save_scenario
from tests.support.data import TEST_DATA
from tests.support.voting import make_scenario

BEFORE_NEEDS = TEST_DATA / "scenario_before_needs.yaml"  # saved by main at af7128a, before surveys

RECORD = {"survey_id": 3, "title": "新街口 身边缺什么", "total": 212, "answered": 148,
          "by_type": {"meals": [90, 120], "parking": [0, 92]}, "need_weight": 50.0, "population_weight": 1.0}


def _plain_digest(raw: dict) -> str:
    """The digest as versions before surveys computed it: canonical JSON of the file less its digest."""
    content = {k: v for k, v in raw.items() if k != "digest"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                                     default=str).encode("utf-8")).hexdigest()


def test_a_plan_without_a_survey_has_no_needs_key_and_the_same_digest_as_before(tmp_path):
    path = save_scenario(make_scenario("方案甲", ["s1", "s2"], 0.5), tmp_path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert "needs" not in raw
    raw["created_at"] = raw["created_at"].isoformat().replace("+00:00", "Z") if hasattr(raw["created_at"], "isoformat") \
        else raw["created_at"]
    assert load_scenario(path).digest == raw["digest"] == _plain_digest(raw)


def test_a_file_saved_before_surveys_existed_loads_and_saves_again_with_its_own_digest(tmp_path):
    stored = yaml.safe_load(BEFORE_NEEDS.read_text(encoding="utf-8"))
    loaded = load_scenario(BEFORE_NEEDS)  # refused if the digest no longer matched
    assert loaded.needs is None
    assert loaded.digest == loaded.content_digest() == stored["digest"]
    again = yaml.safe_load(save_scenario(loaded, tmp_path).read_text(encoding="utf-8"))
    assert "needs" not in again
    assert again["digest"] == stored["digest"]


def test_the_survey_record_is_saved_sealed_and_checked(tmp_path):
    plain = make_scenario("方案乙", ["s3"], 0.5)
    with_needs = build_scenario(**{**_fields(plain), "needs": RECORD})
    path = save_scenario(with_needs, tmp_path)
    loaded = load_scenario(path)
    assert loaded.needs.model_dump() == RECORD
    assert loaded.digest != plain.content_digest()
    with pytest.raises(PlanningError) as err:
        build_scenario(**{**_fields(plain), "needs": {**RECORD, "answered": 213}})
    assert err.value.code == "scenario_invalid"


def _fields(scenario) -> dict:
    data = scenario.model_dump(mode="json")
    return {"name": data["name"], "area": data["area"], "facility_types": data["facility_types"],
            "model": data["model"], "sites": data["sites"], "overall": data["metrics"]["overall"],
            "communities": data["metrics"]["communities"], "data_sources": data["data_sources"],
            "description": data["description"]}
