"""The siting page's part of a 民情征集: which survey to plan with, to what end, and what the plan answers.

Goals: ``residents`` (the most residents; the survey's needs are only counted), ``needs`` (the most
stated needs: residents weigh nothing) and ``both`` (residents, plus each stated need weighing as
many residents as the planner sets). Only closed surveys of the area in use are offered. For a
single facility type, the planner may also add a candidate site at each place many residents name
(a cluster of needs that type answers: ``need-N001`` …), beside the area's own candidates.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from optimize.needs import NEEDS_MODELS, needs_summary, prepare_needs
from optimize.siting import SitingData
from planning.app.common import (
    labels,
    lang,
    markdown_literal,
    needs_service,
    needs_text,
    planning_errors,
    show_notes,
    siting_data,
)
from planning.base.catalogue import FacilityType
from planning.base.formatting import count_text
from planning.base.needs import load_need_types
from planning.base.walking import DEFAULT_SPEED_KMH
from scenarios.needs import needs_candidates, needs_frame, needs_record
from scenarios.voting.needs import need_rows

GOALS = ("residents", "needs", "both")
DEFAULT_NEED_WEIGHT = 50.0


def needs_choice(area_id: str, model: str, types: list[str] | None = None) -> tuple[Any, dict]:
    """Widgets: the survey to count or plan with (None: none) and the goal with its weight; for one
    facility type (``types``), whether the clusters of needs it answers become candidate sites."""
    surveys = []
    with planning_errors():
        surveys = [s for s in needs_service().surveys()
                   if s.area_key == area_id and s.state in ("closed", "followup") and s.answers]
    if not surveys:
        return None, {}
    by_id = {s.id: s for s in surveys}
    chosen = st.selectbox(needs_text("siting_survey"), [None, *by_id], help=needs_text("siting_survey_help"),
                          format_func=lambda i: needs_text("siting_no_survey") if i is None else
                          needs_text("siting_survey_choice", id=i, title=by_id[i].title, n=by_id[i].answers))
    if chosen is None:
        return None, {}
    goals = GOALS if model in NEEDS_MODELS else GOALS[:1]
    goal = st.radio(needs_text("siting_goal"), goals, horizontal=True,
                    format_func=labels(goals, lambda g: needs_text(f"siting_goal_{g}")))
    weight = DEFAULT_NEED_WEIGHT
    if goal == "both":
        weight = st.number_input(needs_text("siting_need_weight"), 0.0, 100_000.0, DEFAULT_NEED_WEIGHT, 10.0,
                                 help=needs_text("siting_need_weight_help"))
    cluster_sites = False
    if types is not None and len(types) == 1:
        cluster_sites = st.checkbox(needs_text("siting_cluster_sites"), value=False,
                                    help=needs_text("siting_cluster_sites_help"))
    return by_id[chosen], {"goal": goal, "weight": float(weight), "cluster_sites": bool(cluster_sites)}


def _survey_frame(survey):
    return needs_frame(need_rows(needs_service().planning_needs(survey.id)))


@st.cache_resource(show_spinner=False, max_entries=4)
def _with_cluster_sites(_area, area_id: str, _survey, survey_id: int, answers: int, _ftype: FacilityType,
                        type_key: str, speed_kmh: float = DEFAULT_SPEED_KMH) -> SitingData:
    candidates = needs_candidates(_area, _survey_frame(_survey), _ftype)
    return SitingData.prepare(_area.network, _area.demand, candidates, _area.facilities, speed_kmh)


def planning_data(area, area_id: str, survey, goal: dict, types: list[FacilityType]) -> SitingData:
    """The siting data the run plans on: the area's own, or with a candidate site at each cluster of
    stated needs the (single) facility type answers when the planner asked for it."""
    if survey is None or not goal.get("cluster_sites") or len(types) != 1:
        return siting_data(area, area_id)
    return _with_cluster_sites(area, area_id, survey, survey.id, survey.answers, types[0], types[0].key)


def stated_needs(data: SitingData, survey):
    """The survey's needs placed on the network of ``data`` (None without a survey)."""
    if survey is None:
        return None
    return prepare_needs(data, _survey_frame(survey))


def needs_params(needs, goal: dict) -> dict:
    """The model parameters for the goal: nothing for ``residents``."""
    if needs is None or goal.get("goal", "residents") == "residents":
        return {}
    if goal["goal"] == "needs":
        return {"needs": needs, "need_weight": 1.0, "population_weight": 0.0}
    return {"needs": needs, "need_weight": goal["weight"], "population_weight": 1.0}


def needs_outcome(data: SitingData, survey, needs, goal: dict, sites, types) -> dict | None:
    """What the run answers of the survey, and the record its scenario keeps (None without a survey)."""
    if survey is None or needs is None:
        return None
    summary = needs_summary(data, needs, sites, types) if len(sites) else \
        {"total": needs.n_input, "answered": 0, "by_type": {}}
    weights = needs_params(needs, goal)
    record = needs_record(survey.id, survey.title, summary, weights.get("need_weight"), weights.get("population_weight"))
    return {"record": record, "notes": needs.notes}


def needs_weighted(outcome: dict | None) -> bool:
    return bool(outcome) and outcome["record"]["need_weight"] is not None


def show_needs_answered(outcome: dict | None) -> None:
    """"本方案覆盖了 212 条居民诉求中的 148 条" under the result."""
    if not outcome:
        return
    record = outcome["record"]
    st.metric(needs_text("siting_needs_answered_label"),
              needs_text("needs_answered_value", answered=record["answered"], total=record["total"]))
    st.caption(needs_text("siting_needs_answered_help", title=markdown_literal(record["title"]), id=record["survey_id"]))
    show_notes(outcome["notes"])


def show_need_sites(sites, community_names) -> None:
    """The plan's sites at places many residents named (``need-N001`` …): the need, how many named it, the 社区."""
    if "need" not in sites:
        return
    mine = sites[sites["need"].notna()]
    if mine.empty:
        return
    kinds = load_need_types()
    st.caption(needs_text("siting_cluster_sites_chosen", n=len(mine)))
    st.dataframe({
        needs_text("col_cluster_site"): mine["id"].astype(str).tolist(),
        needs_text("col_cluster_need"): [kinds[k].name(lang()) if k in kinds else str(k) for k in mine["need"]],
        needs_text("col_cluster_count"): [count_text(v, lang()) for v in mine["need_count"]],
        needs_text("col_cluster_place"): mine["community"].map(community_names).fillna("").astype(str).tolist(),
    }, hide_index=True, width="stretch")
