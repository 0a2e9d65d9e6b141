"""Side-by-side comparison of two or more scenarios, as tables and as tidy chart data.

The first scenario is the reference: sites are "added"/"removed" relative to it and
``*_vs_reference`` columns give each scenario's difference from it. "Newly covered" is
always relative to a scenario's own status quo (``covered_after - covered_before``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from planning.base.errors import PlanningError
from scenarios.scenario import Scenario, coverage_frame, plan_cost_yuan, sites_frame

_KEYS = ["type", "tier_minutes"]


@dataclass(frozen=True)
class Comparison:
    """Tables comparing scenarios; every frame has a ``scenario`` column or one column per scenario.

    Attributes
    ----------
    summary
        One row per scenario: sites, cost_yuan, people and people 60+ newly covered
        (summed over facility types and tiers), and the change in cost vs the reference.
        A cost that is not given is NaN, and so is its difference: unknown is never 0.
    sites
        One row per site id: type, lon, lat, one boolean column per scenario, and
        ``status`` per non-reference scenario (``added``/``removed``/``kept``) in ``status_<label>``.
    coverage
        Overall coverage per scenario, type and tier with shares and newly covered counts.
    communities
        The same per community.
    tidy
        Long format (scenario, community, type, tier_minutes, measure, value) for charts;
        ``community`` is ``"(all)"`` for the whole area.
    """

    summary: pd.DataFrame
    sites: pd.DataFrame
    coverage: pd.DataFrame
    communities: pd.DataFrame
    tidy: pd.DataFrame


def compare_scenarios(scenarios: Sequence[Scenario], labels: Sequence[str] | None = None) -> Comparison:
    """Compare scenarios; the first is the reference.

    Parameters
    ----------
    scenarios
        Two or more loaded scenarios.
    labels
        Names for the columns; default the scenario names.
    """
    if len(scenarios) < 2:
        raise PlanningError("compare_too_few", count=len(scenarios))
    labels = list(labels) if labels is not None else [s.name for s in scenarios]
    duplicates = {label for label in labels if labels.count(label) > 1}
    if duplicates:
        raise PlanningError("compare_duplicate_label", label=", ".join(sorted(duplicates)))
    coverage = pd.concat(
        [coverage_frame(s).assign(scenario=label) for s, label in zip(scenarios, labels)],
        ignore_index=True,
    )
    coverage = _with_changes(coverage)
    overall = _versus_reference(coverage[coverage["community"].isna()].drop(columns="community"), labels[0], _KEYS)
    communities = _versus_reference(
        coverage[coverage["community"].notna()], labels[0], ["community", *_KEYS]
    )
    return Comparison(
        summary=_summary(scenarios, labels, overall),
        sites=_sites(scenarios, labels),
        coverage=overall,
        communities=communities,
        tidy=_tidy(coverage),
    )


def _with_changes(coverage: pd.DataFrame) -> pd.DataFrame:
    out = coverage.assign(
        newly_covered=coverage["covered_after"] - coverage["covered_before"],
        newly_covered_60_plus=coverage["covered_60_plus_after"] - coverage["covered_60_plus_before"],
        share_before=coverage["covered_before"] / coverage["population"].where(coverage["population"] > 0),
        share_after=coverage["covered_after"] / coverage["population"].where(coverage["population"] > 0),
    )
    return out[["scenario", *[c for c in out.columns if c != "scenario"]]]


def _versus_reference(frame: pd.DataFrame, reference: str, keys: list[str]) -> pd.DataFrame:
    ref = frame.loc[frame["scenario"] == reference, [*keys, "covered_after", "covered_60_plus_after"]]
    merged = frame.merge(ref, on=keys, how="left", suffixes=("", "_reference"))
    merged["covered_after_vs_reference"] = merged["covered_after"] - merged.pop("covered_after_reference")
    merged["covered_60_plus_after_vs_reference"] = merged["covered_60_plus_after"] - merged.pop(
        "covered_60_plus_after_reference"
    )
    return merged.reset_index(drop=True)


def _summary(scenarios: Sequence[Scenario], labels: list[str], overall: pd.DataFrame) -> pd.DataFrame:
    gains = overall.groupby("scenario", sort=False)[["newly_covered", "newly_covered_60_plus"]].sum()
    summary = pd.DataFrame(
        {
            "scenario": labels,
            "sites": [len(s.sites) for s in scenarios],
            "cost_yuan": pd.Series([plan_cost_yuan(s) for s in scenarios], dtype=float),
        }
    ).join(gains, on="scenario")
    summary["cost_yuan_vs_reference"] = summary["cost_yuan"] - summary["cost_yuan"].iloc[0]
    return summary


def _sites(scenarios: Sequence[Scenario], labels: list[str]) -> pd.DataFrame:
    frames = [sites_frame(s).assign(scenario=label) for s, label in zip(scenarios, labels)]
    every = pd.concat(frames, ignore_index=True)
    table = every.drop_duplicates("id")[["id", "type", "lon", "lat"]].set_index("id")
    for label in labels:
        table[label] = table.index.isin(every.loc[every["scenario"] == label, "id"])
    reference = table[labels[0]]
    for label in labels[1:]:
        status = pd.Series("kept", index=table.index)
        status[table[label] & ~reference] = "added"
        status[~table[label] & reference] = "removed"
        status[~table[label] & ~reference] = ""
        table[f"status_{label}"] = status
    return table.reset_index()


def _tidy(coverage: pd.DataFrame) -> pd.DataFrame:
    measures = [
        "population", "population_60_plus", "covered_before", "covered_after",
        "covered_60_plus_before", "covered_60_plus_after", "newly_covered",
        "newly_covered_60_plus", "share_before", "share_after",
    ]
    long = coverage.assign(community=coverage["community"].fillna("(all)")).melt(
        id_vars=["scenario", "community", *_KEYS], value_vars=measures, var_name="measure"
    )
    return long.reset_index(drop=True)
