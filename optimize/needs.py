"""Residents' stated needs (民情征集) in the siting models: demand weights, and how many a plan answers.

A stated need is a point with a need type (``need``: 看病远、吃饭难 … keys of
``data/need_types.yaml``). A new site of a facility type answers the needs whose type names that
facility type (``answers``) and that lie within the type's walking tier of the site. Existing
facilities do not answer a stated need: the resident said the need is not met today.

:func:`prepare_needs` snaps the points onto the network once; :func:`stack_needs` appends them to
a model's demand as extra columns of the reach set, weighted ``need_weight`` each, beside the
residents weighted ``population_weight`` (0: plan for the stated needs alone);
:func:`needs_answered` counts what a plan answers, per need.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from optimize.reach import reached_by
from planning.base.catalogue import FacilityType
from planning.base.errors import PlanningError, warning_text
from planning.base.needs import NeedType, load_need_types
from planning.coverage.times import reach_seconds
from planning.network.snapping import Snapped, snap_points

NEEDS_MODELS = ("mclp", "lscp", "p_median")


@dataclass
class SitingNeeds:
    """Stated needs placed on the walking network (rows that snapped; ``notes`` says how many did not).

    ``points`` keeps the input's columns (``need`` at least) in the network's CRS; ``position``
    is each kept row's position in the input.
    """

    points: gpd.GeoDataFrame
    snap: Snapped
    n_input: int
    need_types: dict[str, NeedType]
    notes: list[tuple[str, str]] = field(default_factory=list)
    _reach: dict[float, sp.csr_array] = field(default_factory=dict, repr=False)

    @property
    def position(self) -> np.ndarray:
        return self.snap.kept

    def for_type(self, ftype: FacilityType) -> np.ndarray:
        """Mask of the needs a new site of ``ftype`` answers (by need type)."""
        kinds = [k for k, n in self.need_types.items() if ftype.key in n.answers]
        return self.points["need"].isin(kinds).to_numpy()

    def reach(self, data, minutes: float) -> sp.csr_array:
        """Candidates (rows) × needs (columns) within ``minutes`` on foot, in seconds."""
        if minutes not in self._reach:
            self._reach[minutes] = reach_seconds(data.network, data.candidate_snap, self.snap, data.speed_mps,
                                                 minutes * 60)
        return self._reach[minutes]


def prepare_needs(data, needs: gpd.GeoDataFrame, need_types: dict[str, NeedType] | None = None) -> SitingNeeds:
    """Snap the stated needs (points with ``need``) onto ``data``'s network.

    Parameters
    ----------
    data
        A :class:`optimize.siting.SitingData` (its network, candidates and walking speed are used).
    needs
        Points in any CRS with a ``need`` column.
    """
    snapped = snap_points(data.network, needs, data.max_snap_m)
    notes = []
    if snapped.n_dropped:
        notes.append(warning_text("needs_some_far", n=snapped.n_dropped, total=snapped.n_input, max_m=data.max_snap_m))
    points = needs.iloc[snapped.kept].to_crs(data.network.crs).reset_index(drop=True)
    return SitingNeeds(points, snapped, len(needs), need_types or load_need_types(), notes)


def check_weights(need_weight: float, population_weight: float) -> tuple[float, float]:
    """Both weights as non-negative finite numbers, not both 0."""
    values = []
    for value in (need_weight, population_weight):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise PlanningError("needs_bad_weight", value=value) from None
        if not np.isfinite(number) or number < 0:
            raise PlanningError("needs_bad_weight", value=value)
        values.append(number)
    if values[0] == 0 and values[1] == 0:
        raise PlanningError("needs_bad_weight", value=0)
    return values[0], values[1]


def stack_needs(data, needs: SitingNeeds, ftype: FacilityType, minutes: float, reach: sp.csr_array,
                weights: np.ndarray, already: np.ndarray, need_weight: float,
                population_weight: float) -> tuple[sp.csr_array, np.ndarray, np.ndarray, np.ndarray]:
    """The model's demand with the needs ``ftype`` answers appended.

    Returns
    -------
    reach, weights, already_covered, communities
        Residents first (weighted ``population_weight``), then the needs (``need_weight`` each,
        never already covered: an existing facility does not answer a stated need); communities
        are the residents' and ``"needs"`` for the appended columns.
    """
    need_weight, population_weight = check_weights(need_weight, population_weight)
    mine = needs.for_type(ftype)
    need_reach = sp.csr_array(needs.reach(data, minutes)[:, np.flatnonzero(mine)])
    stacked = sp.hstack([reach, need_reach], format="csr")
    stacked_weights = np.concatenate([np.asarray(weights, float) * population_weight,
                                      np.full(int(mine.sum()), need_weight)])
    stacked_already = np.concatenate([np.asarray(already, bool), np.zeros(int(mine.sum()), bool)])
    communities = np.concatenate([data.communities, np.full(int(mine.sum()), "needs", dtype=object)])
    return sp.csr_array(stacked), stacked_weights, stacked_already, communities


def needs_answered(data, needs: SitingNeeds, sites: pd.DataFrame, types: list[FacilityType]) -> np.ndarray:
    """Per stated need (kept rows of ``needs``): answered by one of ``sites`` — a site of a type the need
    names, within that type's walking tier.

    ``sites`` are a result's chosen rows (``candidate_index``, and ``type`` for multi-type plans).
    """
    answered = np.zeros(len(needs.points), bool)
    for ftype in types:
        chosen = sites if "type" not in sites else sites[sites["type"] == ftype.key]
        if chosen.empty:
            continue
        reached = reached_by(needs.reach(data, ftype.tier_minutes), chosen["candidate_index"].to_numpy())
        answered |= reached & needs.for_type(ftype)
    return answered


def needs_summary(data, needs: SitingNeeds, sites: pd.DataFrame, types: list[FacilityType]) -> dict:
    """How many stated needs a plan answers: ``total`` (every need given, also those far from the
    network), ``answered``, and per need type ``{need: [answered, total]}``."""
    answered = needs_answered(data, needs, sites, types)
    kinds = needs.points["need"].astype(str).to_numpy()
    by_type = {k: [int((answered & (kinds == k)).sum()), int((kinds == k).sum())] for k in dict.fromkeys(kinds)}
    return {"total": int(needs.n_input), "answered": int(answered.sum()), "by_type": by_type}
