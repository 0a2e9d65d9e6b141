"""方案比较 / Compare: two or more saved scenarios side by side."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from planning.app.common import (
    ALERT_ICONS,
    current_area,
    lang,
    numeric_or_text,
    planning_errors,
    print_downloads,
    scenario_dir,
    show_error,
    t,
    task_form,
)
from planning.base.errors import PlanningError
from planning.base.formatting import UNKNOWN, count_text, yuan_text
from scenarios.compare import compare_scenarios
from scenarios.scenario import load_scenario

st.title(t("page_compare"))
st.caption(t("compare_intro"))

files = sorted(scenario_dir().glob("*.yaml"))
if len(files) < 2:
    st.info(t("compare_need_two", n=len(files)), icon=ALERT_ICONS["info"])
    st.stop()

chosen = st.multiselect(t("compare_pick"), files, default=files[:3], format_func=lambda p: p.stem)
scenarios = []
for path in chosen:
    try:
        scenarios.append(load_scenario(path))
    except PlanningError as err:
        show_error(err)
if len(scenarios) < 2:
    st.info(t("compare_need_two", n=len(scenarios)), icon=ALERT_ICONS["info"])
    st.stop()

labels = [f"{s.name} ({p.stem})" if [x.name for x in scenarios].count(s.name) > 1 else s.name
          for s, p in zip(scenarios, chosen)]
comparison = None
with planning_errors():
    comparison = compare_scenarios(scenarios, labels)
if comparison is None:
    st.stop()

type_names = {key: ftype.name_en if lang() == "en" and ftype.name_en else ftype.name_zh
              for scenario in scenarios for key, ftype in scenario.facility_types.items()}
summary = comparison.summary.set_index("scenario")
st.subheader(t("compare_summary"))
shown = pd.DataFrame({
    t("col_sites"): summary["sites"],
    t("col_cost_yuan"): numeric_or_text(summary["cost_yuan"], lambda v, lang: yuan_text(v, lang, unit=False), decimals=0),
    t("col_newly"): numeric_or_text(summary["newly_covered"], count_text, decimals=0),
    t("col_newly60"): numeric_or_text(summary["newly_covered_60_plus"], count_text, decimals=0),
    t("col_cost_vs_ref"): numeric_or_text(summary["cost_yuan_vs_reference"], count_text, decimals=0),
}, index=summary.index.rename(t("col_scenario")))
st.dataframe(shown, width="stretch")
unpriced = summary.index[summary["cost_yuan"].isna()].tolist()
if unpriced:
    st.caption(t("compare_cost_unknown", names=t("list_sep").join(unpriced)))

left, right = st.columns(2)
with left:
    st.markdown(f"**{t('compare_chart_gain')}**")
    st.bar_chart(summary[["newly_covered", "newly_covered_60_plus"]].rename(
        columns={"newly_covered": t("col_newly"), "newly_covered_60_plus": t("col_newly60")}), stack=False)
with right:
    st.markdown(f"**{t('compare_chart_cost')}**")
    st.bar_chart((summary["cost_yuan"].dropna() / 10_000).rename(t("col_cost_wan")))

st.subheader(t("compare_communities"))
st.caption(t("compare_communities_help", reference=labels[0]))
diff = comparison.communities.pivot_table(index=["community", "type", "tier_minutes"], columns="scenario",
                                          values="newly_covered", aggfunc="sum")[labels].reset_index()
diff[labels] = diff[labels].apply(numeric_or_text, args=(count_text,), decimals=0)
diff["type"] = diff["type"].map(type_names).fillna(diff["type"])
st.dataframe(diff.rename(columns={"community": t("col_community"), "type": t("col_type"),
                                  "tier_minutes": t("col_tier")}),
             hide_index=True, width="stretch")
if diff[labels].astype(str).eq(UNKNOWN).any(axis=None):
    st.caption(t("compare_type_not_in_plan"))

st.subheader(t("compare_sites"))
sites = comparison.sites.assign(type=comparison.sites["type"].map(type_names).fillna(comparison.sites["type"]))
sites = sites.rename(columns={"id": t("col_site"), "type": t("col_type")})
st.dataframe(pd.DataFrame(sites), hide_index=True, width="stretch")

printed = st.selectbox(t("compare_print_pick"), range(len(scenarios)), format_func=lambda i: labels[i])
task_form(scenarios[printed], key="compare_tasks")
with planning_errors():
    area, area_id = current_area()
    print_downloads(area, area_id, scenarios[printed], key="compare_print")
