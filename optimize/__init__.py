"""Facility siting models on sparse reach sets (PuLP / HiGHS).

One class per model, each built with ``from_reach`` (or ``from_types``) and solved with
``solve(solver=..., time_limit_s=..., mip_gap=...)`` into an :class:`OptimizeResult`.
"""
from optimize.capacitated import CapacitatedCoverage
from optimize.covering import LSCP, MCLP
from optimize.multi_type import FacilityType, MultiTypeBudget
from optimize.p_median import PMedian
from optimize.parking import ParkingDeficit
from optimize.reach import Reduction
from optimize.result import Notice, OptimizeResult

__all__ = [
    "MCLP", "LSCP", "PMedian", "CapacitatedCoverage", "MultiTypeBudget", "FacilityType",
    "ParkingDeficit", "OptimizeResult", "Notice", "Reduction",
]
