"""Numbers as people read them: beyond-reach minutes, unknown shares and costs never print as inf/nan/None."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planning.base.formatting import (
    count_text,
    export_numbers,
    minutes_text,
    points_text,
    share_text,
    value_text,
    wan_yuan_text,
    yuan_text,
)

MISSING = [None, float("nan"), np.nan, pd.NA]


def test_unreachable_minutes_read_beyond_sixty_in_both_languages():
    assert minutes_text(np.inf, "zh") == "超过 60 分钟"
    assert minutes_text(float("inf"), "en") == "over 60 min"
    assert minutes_text(12.34, "zh") == "12.3" and minutes_text(12.34, "en", unit=True) == "12.3 min"


@pytest.mark.parametrize("missing", MISSING)
def test_figures_that_cannot_be_computed_read_as_a_dash(missing):
    assert minutes_text(missing) == share_text(missing) == count_text(missing) == "—"
    assert points_text(0.2, missing) == "—"
    assert value_text(missing, "text", "en") == value_text(missing, "pct", "en") == "—"


@pytest.mark.parametrize("missing", MISSING)
def test_a_cost_nobody_gave_reads_not_given_never_zero(missing):
    assert yuan_text(missing, "zh") == wan_yuan_text(missing, "zh") == "未填写"
    assert wan_yuan_text(missing, "en") == value_text(missing, "yuan", "en") == "not given"


def test_costs_read_as_residents_say_them():
    assert wan_yuan_text(1_500_000, "zh") == "约 150 万元"
    assert wan_yuan_text(45_000, "zh") == "约 4.5 万元"
    assert wan_yuan_text(4_500_000, "en") == "about 4,500,000 yuan"
    assert yuan_text(0, "zh") == "0 元"  # a real zero stays zero


def test_shares_have_one_decimal_everywhere():
    assert share_text(0.42727) == "42.7%"
    assert points_text(0.1, 0.275, "zh") == "+17.5 个百分点" and points_text(0.1, 0.275, "en") == "+17.5 pt"


def test_exports_keep_numbers_numeric_with_empty_cells_for_beyond_reach():
    frame = export_numbers(pd.DataFrame({"minutes": [3.0, np.inf], "name": ["a", "b"]}))
    assert frame["minutes"].dtype == float and np.isnan(frame["minutes"].iloc[1])
    assert "inf" not in frame.to_csv(index=False)
