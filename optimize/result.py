"""The one result object every model returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from optimize.reach import Reduction
from planning.base.errors import warning_text
from planning.base.formatting import (
    is_known,
    minutes_text,
    number_text,
    share_text,
    word,
)
from planning.base.text import pick

_SOLVED = ("optimal", "time_limit")


@dataclass
class Notice:
    """A non-fatal message for the user in Chinese and English."""

    code: str
    zh: str
    en: str

    @classmethod
    def of(cls, code: str, **params: Any) -> Notice:
        """Build from the message catalogue (``planning/locale/messages_optimize.yaml``)."""
        zh, en = warning_text(code, **params)
        return cls(code, zh, en)


@dataclass
class OptimizeResult:
    """Outcome of one model solve.

    Attributes
    ----------
    model
        Model name (``"mclp"``, ``"lscp"``, ``"p_median"`` …).
    status
        ``optimal``; ``time_limit`` (best found, not proven optimal); ``nothing_to_do``;
        ``infeasible``; ``unbounded``; ``no_solution`` (stopped before any solution).
    objective
        Objective value in the model's units (people, sites, people·seconds, yuan, spaces).
    sites
        Chosen candidate rows (a GeoDataFrame with its ``id`` column when candidates were
        given as one) plus ``candidate_index`` and model columns (``type``, ``spaces`` …).
    coverage_before, coverage_after
        Population-weighted share of demand covered before / after the new sites (0–1);
        NaN for a model without a coverage tier (p-median: see ``details["mean_walk_seconds"]``).
    community_coverage
        Per community: ``population``, ``coverage_before``, ``coverage_after``
        (and ``type`` for multi-type models; p-median: ``population``, ``mean_walk_minutes``);
        shares are NaN for a community with nobody to serve; ``None`` without community labels.
    mip_gap
        Relative gap the solver proved (0 when optimal, NaN when unknown).
    build_seconds, solve_seconds
        Time to check, reduce and build the program; time inside the solver.
    reduction
        Problem size before and after reduction.
    notices
        Warnings and explanations (zh/en), e.g. time limit hit, infeasible because ….
    details
        ``served_share_before`` / ``served_share_after`` (0–1 per demand point, stacked by
        type for multi-type models) and model-specific tables (e.g. ``residual_deficit``).
    """

    model: str
    status: str
    objective: float
    sites: pd.DataFrame
    coverage_before: float
    coverage_after: float
    community_coverage: pd.DataFrame | None
    mip_gap: float
    build_seconds: float
    solve_seconds: float
    reduction: Reduction
    solver: str
    notices: list[Notice] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def proven_optimal(self) -> bool:
        """True when the solver proved optimality (within the requested MIP gap)."""
        return self.status == "optimal"

    @property
    def has_solution(self) -> bool:
        """True when ``sites`` holds a usable plan."""
        return self.status in _SOLVED or self.status == "nothing_to_do"

    @property
    def site_index(self) -> np.ndarray:
        """Positions of the chosen candidates in the candidate list."""
        return self.sites["candidate_index"].to_numpy()

    def explain(self, lang: str = "zh") -> str:
        """Plain-language summary of the outcome and every notice, in ``"zh"`` or ``"en"``.

        A model without a coverage tier (p-median) is summarised by the residents' average walk
        to their nearest new site; a gap the solver did not report reads "未知 / unknown".
        """
        mean_seconds = self.details.get("mean_walk_seconds")
        by_walk = self.status in _SOLVED and mean_seconds is not None and not is_known(self.coverage_after)
        zh, en = warning_text(
            f"optimize_status_{self.status}" + ("_walk" if by_walk else ""),
            model=self.model,
            n_sites=len(self.sites),
            objective=number_text(self.objective),
            before=share_text(self.coverage_before),
            after=share_text(self.coverage_after),
            gap=share_text(self.mip_gap, decimals=2) if is_known(self.mip_gap) else word("not_known", lang),
            minutes=minutes_text(mean_seconds / 60 if by_walk else None),
        )
        lines = [pick((zh, en), lang)] + [pick((n.zh, n.en), lang) for n in self.notices]
        return "\n".join(lines)
