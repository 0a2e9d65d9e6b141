"""Shared by the display tests: what a meaningless figure looks like, and a plan saved by an older version.

Imported by the test modules as ``tests.support.display_checks``.
"""
from __future__ import annotations

import re

from scenarios.scenario import ModelSettings, Scenario
from tests.support.voting import make_scenario

# "inf", "nan" … as words: "information" or "Infinite" in a sentence are not matched.
MEANINGLESS = re.compile(r"\b(?:inf|Infinity|nan|NaN|None)\b")
LEGACY_NAME = "旧版 P 中位方案"


def meaningless(text: str) -> list[str]:
    """Every meaningless figure in ``text`` with 40 characters around it (empty when clean)."""
    return [text[max(m.start() - 40, 0):m.end() + 40].replace("\n", " ") for m in MEANINGLESS.finditer(text)]


def legacy_p_median_plan() -> Scenario:
    """A plan as saved before a cost could be "not given": p-median, every cost written as 0 yuan."""
    plan = make_scenario(LEGACY_NAME, ["s1", "s2"], 0.5)
    model = ModelSettings(**{**plan.model.model_dump(), "name": "p_median", "gap": None})
    sites = [s.model_copy(update={"cost_yuan": 0.0}) for s in plan.sites]
    return plan.model_copy(update={"model": model, "sites": sites, "cost_yuan": 0.0})
