"""设施选址 / Siting: choose a location model, run it, see the new sites, save the plan as a scenario."""
from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from optimize.background import ABANDON_AFTER_S, PREPARING, SolveJob, SolveProgress
from optimize.siting import MODELS, prepare_model, priced, tier_coverage
from planning.app.common import (
    ALERT_ICONS,
    catalogue,
    community_layer,
    coverage,
    current_area,
    draw_map,
    labels,
    lang,
    numeric_or_text,
    planning_errors,
    print_downloads,
    remember,
    remembered,
    scenario_dir,
    share,
    show_error,
    t,
    task_editor,
    type_name,
    unknown_footnote,
)
from planning.app.needs_widgets import (
    needs_choice,
    needs_outcome,
    needs_params,
    needs_weighted,
    planning_data,
    show_need_sites,
    show_needs_answered,
    stated_needs,
)
from planning.base.errors import PlanningError
from planning.base.formatting import (
    count_text,
    is_known,
    minutes_text,
    number_text,
    points_text,
    share_text,
    wan_yuan_text,
)
from planning.base.walking import DEFAULT_SPEED_KMH
from scenarios.assemble import scenario_from_plan
from scenarios.scenario import save_scenario, with_tasks

QUICK_SOLVE_SECONDS = 1.0  # a solve that ends within this shows its plan at once; a longer one its progress

st.title(t("page_siting"))
st.caption(t("siting_intro"))
cat = catalogue()
area = area_id = cov = None
with planning_errors(), st.spinner(t("area_loading")):
    area, area_id = current_area()
    cov = coverage(area, area_id)
if cov is None:
    st.stop()

model = st.selectbox(t("siting_model"), MODELS, index=MODELS.index(remembered("model", "mclp")),
                     format_func=labels(MODELS, lambda k: t(f"model_{k}")))
remember("model", model)
st.info(t(f"model_{model}_help"), icon=ALERT_ICONS["info"])

params: dict = {}
if model == "budget":
    params["types"] = st.multiselect(t("siting_types"), list(cat), default=["meal_hall", "day_care"],
                                     format_func=labels(cat, type_name))
elif model == "parking":
    params["types"] = ["parking"]
else:
    keys = [k for k in cat if k != "parking"]
    params["types"] = [st.selectbox(t("siting_type"), keys, index=keys.index(remembered("siting_type", "meal_hall")),
                                    format_func=labels(keys, type_name))]
    remember("siting_type", params["types"][0])
if model in ("mclp", "p_median", "capacitated"):
    params["p"] = st.number_input(t("siting_p"), 1, 50, 3, help=t("siting_p_help"))
if model == "lscp":
    params["share"] = st.slider(t("siting_share"), 0.5, 1.0, 0.9, 0.05, help=t("siting_share_help"))
if model in ("budget", "parking"):
    params["budget_yuan"] = st.number_input(t("siting_budget"), 100_000, 1_000_000_000, 5_000_000, 500_000,
                                       help=t("siting_budget_help"))
if model == "parking":
    params["cars_per_household"] = st.slider(t("siting_cars"), 0.1, 1.5, 0.4, 0.05, help=t("siting_cars_help"))
time_limit = st.number_input(t("siting_time_limit"), 5, 300, 30, help=t("siting_time_limit_help"))
# 民情征集: plan for the stated needs too, or count them; places many residents name as candidate sites
survey, needs_goal = needs_choice(area_id, model, params["types"])


def _stop_running_solve() -> None:
    """A new run (or a new area) replaces a solve still running in the background."""
    running = st.session_state.pop("siting_job", None)
    if running is not None:
        running["job"].cancel()


def _finish(running: dict) -> None:
    """The finished solve's plan, priced and with the stated needs it answers, as the page's run."""
    job, context = running["job"], running["context"]
    try:
        result = job.result()
        sites = result.sites.copy()
        if "type" not in sites:
            sites["type"] = context["params"]["types"][0]
        types = context.pop("types")
        data = context["data"]
        if len(sites):
            sites = priced(data, sites, types)
        needs = context.pop("needs_inputs")
        st.session_state["siting"] = {**context, "result": result, "sites": sites, "stopped": job.cancelled,
                                      "left_page": running.get("left_page", False),
                                      "needs": needs_outcome(data, *needs, sites, types)}
    except PlanningError as err:
        st.session_state["siting_error"] = err
        if err.code == "optimize_cancelled_before_solve":
            st.session_state.pop("siting", None)  # no plan: not an earlier run's below the notice


def _show_progress(job: SolveJob) -> SolveProgress:
    """The job's stage: preparing the data (elapsed time), or solving (elapsed of the limit, bound and best plan).
    Returns the progress drawn."""
    now = job.progress()
    if now.stage == PREPARING:
        st.progress(0.0, text=t("siting_preparing", elapsed=number_text(now.seconds, 0)))
        return now
    limit = job.time_limit_s
    st.progress(min(now.seconds / limit, 1.0) if limit else 0.0,
                text=t("siting_solving", elapsed=number_text(now.seconds, 0), limit=number_text(limit, 0)))
    if now.reports:
        st.caption(t("siting_solving_bounds", found=number_text(now.found, 0), bound=number_text(now.bound, 0),
                     gap=share_text(now.gap, lang(), decimals=2)))
    else:
        st.caption(t("siting_solving_no_bound"))
    return now


@st.fragment(run_every=0.5)
def _solve_progress() -> None:
    """While the job runs: its stage and progress, and a cancel button; each run tells the job someone watches."""
    running = st.session_state.get("siting_job")
    if running is None:
        return
    job = running["job"]
    job.heartbeat()
    if not job.done():
        preparing = _show_progress(job).stage == PREPARING  # the button names the stage the bar shows
        if st.button(t("siting_cancel_preparing" if preparing else "siting_cancel"), key="siting_cancel"):
            job.cancel()
            job.wait(10)
        if not job.done():
            return
    st.session_state.pop("siting_job", None)
    _finish(running)
    if "siting" in st.session_state:
        st.session_state["siting"]["late"] = True  # the status box said "see below": say it is done
    st.rerun()


if st.session_state.get("siting_job") is not None and st.session_state["siting_job"]["context"]["area_id"] != area_id:
    _stop_running_solve()
if st.button(t("siting_run"), type="primary"):
    _stop_running_solve()
    st.session_state.pop("siting_error", None)
    with st.status(t("siting_running"), expanded=False) as status:
        try:
            st.write(t("siting_step_reach"))
            types = [cat[k] for k in params["types"]]
            data = planning_data(area, area_id, survey, needs_goal, types)  # cached: snapped on this thread
            needs = stated_needs(data, survey)
            # the reach sets and the model are built on the job's thread, where a cancel can stop them
            prepare = partial(prepare_model, data, model, types, {**params, **needs_params(needs, needs_goal)})
            st.write(t("siting_step_solve"))
            job = SolveJob(prepare=prepare, time_limit_s=float(time_limit), abandon_after_s=ABANDON_AFTER_S).start()
            running = {"job": job, "context": {
                "model": model, "params": params, "area_id": area_id, "time_limit": float(time_limit), "data": data,
                "types": types, "needs_inputs": (survey, needs, needs_goal)}}
            if job.wait(QUICK_SOLVE_SECONDS):  # most runs end here: no progress bar flashes past
                _finish(running)
                failed = "siting_error" in st.session_state  # the model could not be built or solved
                status.update(label=t("siting_failed" if failed else "siting_done"),
                              state="error" if failed else "complete")
            else:  # a long solve: the progress below, with its cancel button, until it ends
                st.session_state["siting_job"] = running
                status.update(label=t("siting_solving_long"), state="complete")
        except PlanningError as err:
            status.update(label=t("siting_failed"), state="error")
            show_error(err)
if st.session_state.get("siting_job") is not None:  # only then: the fragment reruns twice a second
    _solve_progress()  # a finished job reruns the page from here
    st.stop()  # the plan is drawn once the solve ends
if st.session_state.get("siting_error") is not None:
    err = st.session_state.pop("siting_error")
    if err.code == "optimize_cancelled_before_solve":  # asked for: a notice, not an error
        st.warning(err.message(lang()), icon=ALERT_ICONS["warning"])
    else:
        show_error(err)

run = st.session_state.get("siting")
if run is None or run["area_id"] != area_id:
    st.stop()

result, sites, data = run["result"], run["sites"], run["data"]
st.subheader(t("siting_result"))
if run.pop("late", False):
    st.success(t("siting_done"), icon=ALERT_ICONS["success"])
if run.get("stopped"):
    st.warning(t("siting_stopped_on_leaving" if run.get("left_page") else "siting_stopped"), icon=ALERT_ICONS["warning"])
st.write(result.explain(lang()))
# p-median has no tier, and a plan weighted by stated needs mixes needs into its own shares: both show residents by tier
by_tier = ((not is_known(result.coverage_after) or needs_weighted(run.get("needs")))
           and result.has_solution and not sites.empty)
show_needs_answered(run.get("needs"))
if by_tier:  # p-median has no coverage tier: show coverage at each type's own tier from the chosen sites
    run_types = [cat[k] for k in dict.fromkeys(sites["type"])]
    before, after, per_community = tier_coverage(data, sites, run_types)
    st.caption(t("siting_by_tier", minutes="、".join(f"{f.tier_minutes:g}" for f in run_types)))
else:
    before, after, per_community = result.coverage_before, result.coverage_after, result.community_coverage
mean_walk = result.details.get("mean_walk_seconds")
cols = st.columns(4 if mean_walk is not None else 3)
cols[0].metric(t("siting_before"), share(before))
cols[1].metric(t("siting_after"), share(after), delta=points_text(before, after, lang()) if is_known(after) else None)
cols[2].metric(t("siting_n_sites"), len(sites))
if mean_walk is not None:
    cols[3].metric(t("siting_mean_walk"), minutes_text(mean_walk / 60, lang(), unit=True))
if not result.has_solution or sites.empty:
    st.stop()

names = area.communities.set_index("code")["name"]
site_table = pd.DataFrame({
    t("col_site"): sites["id"].astype(str),
    t("col_type"): sites["type"].map(type_name),
    t("col_community"): sites["community"].map(names).fillna("") if "community" in sites else "",
    t("col_cost_wan"): numeric_or_text(sites["cost_yuan"], wan_yuan_text, scale=1e-4),
})
st.dataframe(site_table, hide_index=True, width="stretch")
unknown_footnote(site_table)
show_need_sites(sites, names)  # sites at places many residents named: which need, how many, where
map_type = sites["type"].iloc[0]
after_layer = community_layer(area, cov, map_type, None)
if per_community is not None and "coverage_after" in per_community:  # the map shows the plan built
    rows = per_community if "type" not in per_community else per_community[per_community["type"] == map_type]
    after = rows.set_index("community")["coverage_after"]
    after_layer["covered_share"] = after_layer["code"].map(after).fillna(after_layer["covered_share"]).to_numpy()
    st.caption(t("siting_map_after"))
draw_map(after_layer, key="siting_map", facilities=area.facilities_of(map_type), sites=sites[["id", "type", "geometry"]])
if per_community is not None:
    table = per_community.copy()
    if by_tier and result.community_coverage is not None and "mean_walk_minutes" in result.community_coverage:
        table = table.merge(result.community_coverage[["community", "mean_walk_minutes"]], on="community", how="left")
    shown = pd.DataFrame({t("col_community"): table["community"].map(names).fillna(table["community"])})
    if "type" in table:
        shown[t("col_type")] = table["type"].map(type_name)
    shown[t("col_served")] = numeric_or_text(table["population"], count_text, decimals=0)
    for column, label in (("coverage_before", "col_before_pct"), ("coverage_after", "col_after_pct")):
        if column in table:
            shown[t(label)] = numeric_or_text(table[column], share_text, scale=100)
    if "mean_walk_minutes" in table:
        shown[t("col_mean_walk")] = table["mean_walk_minutes"].map(lambda v: minutes_text(v, lang()))
    st.dataframe(shown, hide_index=True, width="stretch")
    unknown_footnote(shown)


with planning_errors():
    if "plan" not in run:  # assembled once per run: the print buttons and the save button share it
        run["plan"] = scenario_from_plan(t(f"model_{run['model']}"), area, data, sites, result,
                                         cat, run["params"], DEFAULT_SPEED_KMH, run["time_limit"],
                                         needs=(run.get("needs") or {}).get("record"))
    print_downloads(area, area_id, run["plan"], key="siting_print")

# -- save as scenario -----------------------------------------------------------------------
st.subheader(t("siting_save"))
name = st.text_input(t("siting_scenario_name"), value=t("siting_default_name", model=t(f"model_{run['model']}")))
st.caption(t("tasks_help"))
tasks = task_editor(run["plan"], key="siting_tasks")
if st.button(t("siting_save_button")):
    with planning_errors():
        scenario = with_tasks(run["plan"], tasks).model_copy(update={"name": name.strip() or run["plan"].name})
        path = save_scenario(scenario, scenario_dir())
        st.success(t("siting_saved", path=path.name), icon=ALERT_ICONS["success"])
