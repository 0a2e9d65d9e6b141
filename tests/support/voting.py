"""Sample scenarios of 新街口 (Xinjiekou, Nanjing) and poll helpers for the scenario and voting tests.

The fixtures ``scenario_files`` and ``service`` built on these are in ``tests/conftest.py``.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from scenarios.scenario import Scenario, build_scenario
from scenarios.voting import VotingService

SECRET = "居委会-2024-议事会"

# Four communities of 新街口街道 with rough resident and 60+ counts.
COMMUNITIES = {"石鼓路社区": (8200, 2100), "王府园社区": (6400, 1700), "文昌巷社区": (5100, 1500), "螺丝转弯社区": (4300, 1200)}
FACILITY_TYPES = {
    "elderly_care": {"name_zh": "社区养老服务站", "name_en": "Elderly day-care station", "tiers_minutes": [5, 15]},
    "clinic": {"name_zh": "社区卫生服务站", "name_en": "Community health station", "tiers_minutes": [5, 15]},
}
MODEL = {"name": "max_coverage", "p": 2, "budget_yuan": 3_000_000, "minutes": 15, "speed_mps": 1.0,
         "solver": "highs", "gap": 0.01, "time_limit_seconds": 60}
CANDIDATE_SITES = {
    "s1": ("elderly_care", 118.7795, 32.0428, 800_000),
    "s2": ("elderly_care", 118.7862, 32.0391, 650_000),
    "s3": ("clinic", 118.7741, 32.0455, 1_200_000),
    "s4": ("clinic", 118.7830, 32.0372, 900_000),
}


def make_scenario(name: str, site_ids: list[str], gain: float) -> Scenario:
    """A scenario whose sites raise covered shares by ``gain`` (0..1) of the uncovered people."""
    sites = pd.DataFrame(
        [{"id": s, "type": t, "lon": lon, "lat": lat, "cost_yuan": c, "capacity": None}
         for s, (t, lon, lat, c) in CANDIDATE_SITES.items() if s in site_ids]
    )
    rows = []
    for community, (pop, pop60) in COMMUNITIES.items():
        for ftype in FACILITY_TYPES:
            for tier, before_share in ((5, 0.3), (15, 0.6)):
                built = (sites["type"] == ftype).any()
                after_share = before_share + (1 - before_share) * gain if built else before_share
                rows.append({
                    "community": community, "type": ftype, "tier_minutes": tier,
                    "population": pop, "population_60_plus": pop60,
                    "covered_before": int(pop * before_share), "covered_after": int(pop * after_share),
                    "covered_60_plus_before": int(pop60 * before_share), "covered_60_plus_after": int(pop60 * after_share),
                })
    communities = pd.DataFrame(rows)
    overall = communities.drop(columns="community").groupby(["type", "tier_minutes"], as_index=False).sum()
    return build_scenario(
        name=name, area={"name": "南京市玄武区新街口街道", "bbox": (118.770, 32.035, 118.790, 32.048)},
        facility_types=FACILITY_TYPES, model=MODEL, sites=sites, overall=overall, communities=communities,
        data_sources=[{"name": "OpenStreetMap", "path": "nanjing_xinjiekou_2021.osm.pbf", "version": "2021"}],
    )


def open_poll(svc: VotingService, files: list[Path], method: str, n_codes: int, **kwargs) -> tuple[int, list[str]]:
    """Create a poll, issue codes and open voting; return (poll id, codes)."""
    poll_id = svc.create_poll(SECRET, f"新街口便民设施选址（{method}）", files, method, **kwargs)
    issued = svc.generate_codes(SECRET, poll_id, n_codes)
    svc.open_voting(SECRET, poll_id)
    return poll_id, issued


# One tied count per method, on the three options A, B, C of ``scenario_files``: (method, ballots, tied options).
TIED_COUNTS = {
    "approval 3:3": ("approval", [{"approve": ["A"]}] * 3 + [{"approve": ["B"]}] * 3, ["A", "B"]),
    "score 6:6": ("score", [{"scores": {"A": 5, "B": 2}}, {"scores": {"A": 1, "B": 4}}, {"scores": {"C": 5}}],
                  ["A", "B"]),
    # a Condorcet cycle of equal strength: Schulze and IRV both find A, B and C level
    "Schulze cycle": ("ranked", [{"ranking": r} for r in (["A", "B", "C"], ["B", "C", "A"], ["C", "A", "B"])],
                      ["A", "B", "C"]),
    # IRV drops C, whose voters split evenly: A 4, B 4 at the end (and A, B level by Schulze too)
    "IRV ends level": ("ranked", [{"ranking": ["A"]}] * 3 + [{"ranking": ["B"]}] * 3
                       + [{"ranking": ["C", "A"]}, {"ranking": ["C", "B"]}], ["A", "B"]),
}


def publish_tied_poll(svc: VotingService, files: list[Path], case: str) -> int:
    """A published poll whose count is the tie ``case`` of :data:`TIED_COUNTS`; return its id."""
    method, ballots, _ = TIED_COUNTS[case]
    poll_id, issued = open_poll(svc, files, method, len(ballots))
    for code, ballot in zip(issued, ballots):
        svc.cast_ballot(poll_id, code, ballot)
    svc.close(SECRET, poll_id)
    svc.publish(SECRET, poll_id)
    return poll_id
