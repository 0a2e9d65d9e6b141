"""Scenario files: round trip, no silent overwrite, validation and tampering; comparisons."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from planning.base.errors import PlanningError
from scenarios.compare import compare_scenarios
from scenarios.scenario import (
    build_scenario,
    load_scenario,
    plan_cost_yuan,
    save_scenario,
    sites_frame,
)
from tests.support.display_checks import legacy_p_median_plan
from tests.support.voting import FACILITY_TYPES, make_scenario


def test_saved_scenario_loads_back_identical_with_digest(tmp_path):
    original = make_scenario("方案甲", ["s1", "s2"], 0.5)
    path = save_scenario(original, tmp_path)
    loaded = load_scenario(path)
    assert loaded.model_dump(exclude={"digest"}) == original.model_dump(exclude={"digest"})
    assert len(loaded.digest) == 64 and loaded.digest == original.content_digest()


def test_saving_again_writes_a_new_version_instead_of_overwriting(tmp_path):
    first = save_scenario(make_scenario("方案甲", ["s1"], 0.5), tmp_path)
    second = save_scenario(make_scenario("方案甲", ["s1", "s2"], 0.5), tmp_path)
    assert first.name == "方案甲.yaml" and second.name == "方案甲-v2.yaml"
    assert [s.id for s in load_scenario(first).sites] == ["s1"]


def test_named_file_is_replaced_only_with_explicit_overwrite(tmp_path):
    save_scenario(make_scenario("甲", ["s1"], 0.5), tmp_path, filename="plan.yaml")
    with pytest.raises(PlanningError) as err:
        save_scenario(make_scenario("乙", ["s3"], 0.5), tmp_path, filename="plan.yaml")
    assert err.value.code == "scenario_exists"
    assert load_scenario(tmp_path / "plan.yaml").name == "甲"
    save_scenario(make_scenario("乙", ["s3"], 0.5), tmp_path, filename="plan.yaml", overwrite=True)
    assert load_scenario(tmp_path / "plan.yaml").name == "乙"


def test_file_edited_after_saving_is_refused_as_tampered(tmp_path):
    path = save_scenario(make_scenario("方案甲", ["s1", "s2"], 0.5), tmp_path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["sites"][0]["cost_yuan"] = 1.0  # still valid, but not what was saved
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PlanningError) as err:
        load_scenario(path)
    assert err.value.code == "scenario_tampered"
    assert "edited after saving" in err.value.en and "被修改" in err.value.zh


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda raw: raw["sites"][0].update(lat=132.0), "sites.0.lat"),
        (lambda raw: raw["model"].pop("speed_mps"), "model.speed_mps"),
        (lambda raw: raw["metrics"]["overall"][0].update(covered_after=10**9), "metrics.overall.0"),
        (lambda raw: raw["sites"][0].update(type="swimming_pool"), "(file)"),
    ],
)
def test_invalid_file_is_refused_naming_the_field(tmp_path, edit, field):
    path = save_scenario(make_scenario("方案甲", ["s1", "s2"], 0.5), tmp_path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PlanningError) as err:
        load_scenario(path)
    assert err.value.code == "scenario_invalid"
    assert err.value.params["field"] == field
    assert field in err.value.zh and field in err.value.en


def test_unknown_schema_version_is_refused(tmp_path):
    path = save_scenario(make_scenario("方案甲", ["s1"], 0.5), tmp_path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["schema_version"] = 2
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PlanningError) as err:
        load_scenario(path)
    assert err.value.code == "scenario_schema_version"


@pytest.mark.parametrize("content", [b"\xff\xfe binary", "名称: 方案甲\n".encode("gbk"), b"name: [unclosed\n"])
def test_a_scenario_file_that_is_not_yaml_text_is_refused_in_both_languages(tmp_path, content):
    """A binary or GBK-saved file once ended in a UnicodeDecodeError traceback (exit 1)."""
    path = tmp_path / "方案.yaml"
    path.write_bytes(content)
    with pytest.raises(PlanningError) as err:
        load_scenario(path)
    assert err.value.code == "scenario_not_yaml" and "方案.yaml" in err.value.zh and "方案.yaml" in err.value.en


def test_comparison_reports_site_changes_cost_and_newly_covered(scenario_files):
    a, b, c = (load_scenario(p) for p in scenario_files)
    result = compare_scenarios([a, b, c], labels=["A", "B", "C"])
    sites = result.sites.set_index("id")
    assert sites.loc["s1", "status_B"] == "removed" and sites.loc["s3", "status_B"] == "added"
    assert sites.loc["s1", "status_C"] == "kept" and sites.loc["s4", "status_C"] == "added"
    summary = result.summary.set_index("scenario")
    assert summary.loc["B", "cost_yuan_vs_reference"] == (1_200_000 + 900_000) - (800_000 + 650_000)
    # A builds only elderly care: people newly covered are exactly the elderly-care gains
    overall = result.coverage[result.coverage["scenario"] == "A"]
    assert summary.loc["A", "newly_covered"] == (overall["covered_after"] - overall["covered_before"]).sum() > 0
    assert (overall.loc[overall["type"] == "clinic", "newly_covered"] == 0).all()
    assert summary.loc["A", "newly_covered_60_plus"] > 0


def test_comparison_per_community_and_tidy_data_agree(scenario_files):
    scenarios = [load_scenario(p) for p in scenario_files[:2]]
    result = compare_scenarios(scenarios, labels=["A", "B"])
    row = result.communities.query("scenario == 'B' and community == '石鼓路社区' and type == 'clinic' and tier_minutes == 15")
    assert row["covered_after_vs_reference"].item() == row["covered_after"].item() - int(8200 * 0.6)
    tidy = result.tidy.query("scenario == 'B' and community == '石鼓路社区' and type == 'clinic' and tier_minutes == 15")
    assert tidy.set_index("measure").loc["covered_after", "value"] == row["covered_after"].item()
    assert set(result.tidy["community"]) >= {"(all)", "王府园社区"}


def test_comparison_needs_two_distinct_scenarios(scenario_files):
    a = load_scenario(scenario_files[0])
    with pytest.raises(PlanningError, match="two scenarios"):
        compare_scenarios([a])
    with pytest.raises(PlanningError) as err:
        compare_scenarios([a, a])
    assert err.value.code == "compare_duplicate_label"


def test_a_cost_not_given_stays_unknown_through_save_load_and_compare(tmp_path):
    priced = make_scenario("有造价", ["s1", "s2"], 0.5)
    rows = [{**site.model_dump(), "cost_yuan": float("nan") if site.id == "s4" else site.cost_yuan}
            for site in make_scenario("x", ["s3", "s4"], 0.6).sites]
    unpriced = build_scenario(name="缺造价", area=priced.area.model_dump(), facility_types=FACILITY_TYPES,
                              model=priced.model.model_dump(), sites=pd.DataFrame(rows),
                              overall=[r.model_dump(exclude={"community"}) for r in priced.metrics.overall])
    loaded = load_scenario(save_scenario(unpriced, tmp_path))
    assert loaded.cost_yuan is None and plan_cost_yuan(loaded) is None  # one site without a cost: total unknown
    summary = compare_scenarios([priced, loaded]).summary.set_index("scenario")
    assert np.isnan(summary.loc["缺造价", "cost_yuan"]) and np.isnan(summary.loc["缺造价", "cost_yuan_vs_reference"])


def test_old_p_median_plans_saved_at_zero_yuan_read_as_not_given_and_still_load(tmp_path):
    loaded = load_scenario(save_scenario(legacy_p_median_plan(), tmp_path))
    assert loaded.cost_yuan == 0 and plan_cost_yuan(loaded) is None
    assert sites_frame(loaded)["cost_yuan"].isna().all()
    assert plan_cost_yuan(make_scenario("新方案", ["s1"], 0.5)) == 800_000
