"""Facility siting models on sparse reach sets (PuLP / HiGHS).

One class per model, each built with ``from_reach`` (or ``from_types``) and solved with
``solve(solver=..., time_limit_s=..., mip_gap=...)`` into an :class:`OptimizeResult`.
The classes are imported on first use (``from optimize import MCLP``), so importing a light
module such as :mod:`optimize.names` does not load the solvers.
"""
from importlib import import_module

_WHERE = {
    "CapacitatedCoverage": "optimize.capacitated", "LSCP": "optimize.covering", "MCLP": "optimize.covering",
    "TypeInput": "optimize.multi_type", "MultiTypeBudget": "optimize.multi_type", "PMedian": "optimize.p_median",
    "ParkingDeficit": "optimize.parking", "Reduction": "optimize.reach", "Notice": "optimize.result",
    "OptimizeResult": "optimize.result",
}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'optimize' has no attribute {name!r}")
