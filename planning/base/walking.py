"""Walking: the one walking speed, the life-circle tiers and the distances every stage shares.

Tiers follow GB 50180-2018 (城市居住区规划设计标准) §3.0.4 and TD/T 1062-2021 (社区生活圈规划技术
指南): the 5-, 10- and 15-minute life circles (about 300 m, 500 m and 800–1000 m on foot). At the
default 4 km/h (≈67 m/min) 300 m ≈ 5 min and 1000 m ≈ 15 min; that conversion is our assumption.
"""
from __future__ import annotations

import math

from planning.base.errors import PlanningError

TIERS_MINUTES: tuple[float, ...] = (5, 10, 15)
DEFAULT_SPEED_KMH = 4.0
ELDERLY_SPEED_KMH = 2.88  # 0.8 m/s, a common design speed for older pedestrians
MAX_SNAP_M = 500.0  # points farther than this from every street are left out, and said so
MAX_REPORTED_MINUTES = 60.0  # beyond this a facility is "not within walking reach"


def speed_mps(speed_kmh: float) -> float:
    """Validate a walking speed in km/h and return it in metres per second."""
    if not math.isfinite(speed_kmh) or speed_kmh <= 0:
        raise PlanningError("speed_not_positive", value=speed_kmh)
    return float(speed_kmh) / 3.6


def check_minutes(minutes: float) -> float:
    """Validate a walking-time limit in minutes (finite, above zero, at most the reporting limit)."""
    if not math.isfinite(minutes) or minutes <= 0:
        raise PlanningError("minutes_not_positive", value=minutes)
    return float(minutes)
