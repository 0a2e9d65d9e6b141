"""The 一表一图 task-table fields of a scenario's sites: optional, sealed by the digest, old files still load."""
from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
import yaml

from planning.base.errors import PlanningError
from scenarios.scenario import (
    TASK_FIELDS,
    load_scenario,
    save_scenario,
    sites_frame,
    with_tasks,
)
from tests.support.voting import make_scenario

OLD_SITE_KEYS = ("id", "type", "lon", "lat", "cost_yuan", "capacity")


def _old_file(tmp_path):
    """A scenario file as the program wrote it before the task fields existed, digest computed here."""
    content = make_scenario("旧方案", ["s1", "s3"], 0.4).model_dump(mode="json", exclude={"digest", "needs"})
    content["sites"] = [{k: site[k] for k in OLD_SITE_KEYS} for site in content["sites"]]
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    content["digest"] = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_a_file_saved_before_the_task_fields_loads_with_its_digest_and_blank_tasks(tmp_path):
    scenario = load_scenario(_old_file(tmp_path))
    assert all(getattr(site, name) is None for site in scenario.sites for name in TASK_FIELDS)
    again = load_scenario(save_scenario(scenario, tmp_path, "again.yaml"))
    assert again.digest == scenario.digest  # unfilled fields change neither digest nor file
    assert "responsible" not in (tmp_path / "again.yaml").read_text(encoding="utf-8")


def test_filled_tasks_are_saved_sealed_and_an_edit_afterwards_is_refused(tmp_path):
    plan = with_tasks(make_scenario("方案甲", ["s1", "s3"], 0.4), {
        "s1": {"project": "石鼓路社区老年助餐点", "responsible": "新街口街道办事处", "deadline": "2025 年 12 月"},
        "s3": {"funding": "  区财政  ", "scale": ""},
    })
    path = save_scenario(plan, tmp_path)
    loaded = load_scenario(path)
    rows = sites_frame(loaded).set_index("id")
    assert rows.loc["s1", "responsible"] == "新街口街道办事处" and rows.loc["s3", "funding"] == "区财政"
    assert pd.isna(rows.loc["s3", "scale"]) and pd.isna(rows.loc["s1", "funding"])  # blank stays blank
    path.write_text(path.read_text(encoding="utf-8").replace("新街口街道办事处", "某公司"), encoding="utf-8")
    with pytest.raises(PlanningError) as err:
        load_scenario(path)
    assert err.value.code == "scenario_tampered"


@pytest.mark.parametrize("tasks", [{"s9": {"project": "x"}}, {"s1": {"owner": "x"}}, {"s1": {"project": "长" * 201}}])
def test_tasks_for_an_unknown_site_or_field_or_too_long_are_refused(tasks):
    with pytest.raises(PlanningError) as err:
        with_tasks(make_scenario("方案甲", ["s1"], 0.4), tasks)
    assert err.value.code == "scenario_invalid"
