"""Checks on caller input that turn bad values into clear zh/en errors."""
from __future__ import annotations

import numpy as np
import pandas as pd

from planning.base.errors import PlanningError


def numbers(values, n: int, what: str, default: float | None = None, allow_inf: bool = False) -> np.ndarray:
    """A float array of length ``n`` with no negative, NaN (or infinite) values."""
    if values is None:
        if default is None:
            raise PlanningError("optimize_missing_input", what=what)
        return np.full(n, float(default))
    array = np.asarray(values, dtype=float)
    if array.ndim == 0:
        array = np.full(n, float(array))
    if array.shape != (n,):
        raise PlanningError("optimize_length_mismatch", what=what, got=len(array), expected=n)
    bad = np.isnan(array) | (array < 0) | (~allow_inf & np.isinf(array))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise PlanningError("optimize_negative_value", what=what, count=int(bad.sum()), index=first, value=array[first])
    return array.astype(float)


def mask(values, n: int, what: str) -> np.ndarray:
    """A boolean array of length ``n`` (all False when ``values`` is None)."""
    if values is None:
        return np.zeros(n, dtype=bool)
    array = np.asarray(values, dtype=bool)
    if array.shape != (n,):
        raise PlanningError("optimize_length_mismatch", what=what, got=len(array), expected=n)
    return array


def labels(values, n: int, what: str) -> np.ndarray | None:
    """Community labels (or demand ids) as a string array of length ``n``, or None."""
    if values is None:
        return None
    array = np.asarray(values).astype(str)
    if array.shape != (n,):
        raise PlanningError("optimize_length_mismatch", what=what, got=len(array), expected=n)
    return array


def count_p(p, n_candidates: int) -> int:
    """The number of new sites, between 1 and the number of candidates."""
    if p is None or int(p) != p or p < 1:
        raise PlanningError("optimize_bad_p", p=p)
    if p > n_candidates:
        raise PlanningError("optimize_p_above_candidates", p=int(p), n=n_candidates)
    return int(p)


def budget(value, cheapest_yuan: float) -> float | None:
    """The budget in yuan, or None; it must buy at least the cheapest site."""
    if value is None:
        return None
    value = float(value)
    if not value >= 0:
        raise PlanningError("optimize_negative_value", what="budget_yuan", count=1, index=0, value=value)
    if value < cheapest_yuan:
        raise PlanningError("optimize_budget_below_cheapest", budget=f"{value:,.0f}", cheapest=f"{cheapest_yuan:,.0f}")
    return value


def candidates_frame(candidates: pd.DataFrame | None, n: int) -> pd.DataFrame | None:
    """The candidate table, checked against the reach set's row count."""
    if candidates is None:
        return None
    if len(candidates) != n:
        raise PlanningError("optimize_length_mismatch", what="candidates", got=len(candidates), expected=n)
    return candidates


def first_ids(ids: np.ndarray | None, positions: np.ndarray, limit: int = 10) -> str:
    """Up to ``limit`` demand ids (or positions) for a message."""
    shown = positions[:limit] if ids is None else ids[positions[:limit]]
    text = ", ".join(str(v) for v in shown)
    return text + (" …" if len(positions) > limit else "")
