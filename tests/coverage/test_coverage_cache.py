"""Coverage kept on disk for a demo area: read back instead of computed again, the same numbers, and a new
computation whenever the area, the types, the tiers, the speed or the code that computes it change."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from planning.base.catalogue import load_catalogue
from planning.base.walking import DEFAULT_SPEED_KMH, TIERS_MINUTES
from planning.coverage import cache
from planning.coverage.cache import coverage_key, kept_coverage
from planning.coverage.residents import compute_coverage


def test_demo_coverage_is_computed_once_and_read_back_with_the_same_minutes(demo_area, tmp_path):
    from planning.areas.build import demo_area_digest

    types = list(load_catalogue().values())
    calls = []

    def compute():
        calls.append(1)
        return compute_coverage(demo_area.network, demo_area.demand, demo_area.facilities, types,
                                demo_area.communities, TIERS_MINUTES, DEFAULT_SPEED_KMH)

    digest = demo_area_digest("xinjiekou")
    first = kept_coverage(digest, types, TIERS_MINUTES, DEFAULT_SPEED_KMH, compute, tmp_path)
    again = kept_coverage(digest, types, TIERS_MINUTES, DEFAULT_SPEED_KMH, compute, tmp_path)
    assert calls == [1] and again is not first  # the second came from the disk
    columns = [c for c in first.demand if c.startswith("minutes_to_")]
    assert len(columns) == len(types)
    np.testing.assert_array_equal(again.demand[columns].to_numpy(), first.demand[columns].to_numpy())
    assert again.by_community.equals(first.by_community) and again.tiers == first.tiers


def test_the_key_changes_with_everything_the_result_depends_on(monkeypatch, tmp_path):
    types = list(load_catalogue().values())
    base = coverage_key("xinjiekou-abc-1234-v5", types, TIERS_MINUTES, 4.5)
    changed_type = [dataclasses.replace(types[0], tier_minutes=types[0].tier_minutes + 5), *types[1:]]
    others = [coverage_key("xinjiekou-abd-1234-v5", types, TIERS_MINUTES, 4.5),
              coverage_key("xinjiekou-abc-1234-v5", changed_type, TIERS_MINUTES, 4.5),
              coverage_key("xinjiekou-abc-1234-v5", types, (5.0, 10.0), 4.5),
              coverage_key("xinjiekou-abc-1234-v5", types, TIERS_MINUTES, 4.0)]
    code = tmp_path / "network"
    code.mkdir()
    (code / "search.py").write_text("# another search\n")
    monkeypatch.setattr(cache, "_CODE", (*cache._CODE, code))
    others.append(coverage_key("xinjiekou-abc-1234-v5", types, TIERS_MINUTES, 4.5))
    assert len({base, *others}) == 1 + len(others)


def test_a_result_kept_under_another_key_is_not_read(tmp_path):
    types = list(load_catalogue().values())
    results = iter(["first", "second"])
    assert kept_coverage("area-1", types, TIERS_MINUTES, 4.5, lambda: next(results), tmp_path) == "first"
    assert kept_coverage("area-2", types, TIERS_MINUTES, 4.5, lambda: next(results), tmp_path) == "second"
    assert kept_coverage("area-1", types, TIERS_MINUTES, 4.5, lambda: pytest.fail("computed again"), tmp_path) == "first"
