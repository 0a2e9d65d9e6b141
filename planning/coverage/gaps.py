"""Where the gaps are largest: communities ranked by the residents a facility type leaves out of reach."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def ranked_gaps(by_community: pd.DataFrame, column: str = "covered_at_tier",
                types: Sequence[str] | None = None) -> pd.DataFrame:
    """Community rows ranked, per facility type, by the residents out of walking reach.

    Parameters
    ----------
    by_community
        ``Coverage.by_community``: one row per community and type with ``served_population``
        and the covered share ``column`` (0–1, NaN where nobody the type serves lives).
    column
        The covered share to rank by: ``covered_at_tier`` (each type's own tier) or
        ``covered_<m>min``.
    types
        Facility type keys in the order the types are listed (default: as they appear).

    Returns
    -------
    DataFrame
        The rows of ``types``, ordered by type and then ``rank`` (1: most residents out of reach),
        with ``uncovered``: the residents the type serves who cannot reach one within the tier
        (served × (1 − share); 0 where nobody is served).
    """
    types = list(dict.fromkeys(by_community["type"])) if types is None else list(types)
    rows = by_community[by_community["type"].isin(types)]
    uncovered = (rows["served_population"] * (1.0 - rows[column])).fillna(0.0).clip(lower=0.0)
    order = rows["type"].map({key: i for i, key in enumerate(types)})
    ranked = rows.assign(uncovered=uncovered, _order=order).sort_values(
        ["_order", "uncovered"], ascending=[True, False], kind="stable")
    ranked["rank"] = ranked.groupby("type").cumcount() + 1
    return ranked.drop(columns="_order")
