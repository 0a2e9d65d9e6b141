"""结果公示 / Results: the published tally, the chosen plan, every receipt; organiser controls.

A shared first place is shown as a tie with the meeting's rule, never with a plan as the winner.
Poll titles and option names are user text: escaped, or kept out of Markdown altogether.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from planning.app.common import (
    current_area,
    escape_markdown,
    labels,
    lang,
    planning_errors,
    scenario_dir,
    scenario_map_png,
    scenario_sentences,
    t,
    voting_service,
)
from planning.areas.build import DEFAULT_AREA
from planning.base.errors import PlanningError
from scenarios.scenario import load_scenario
from scenarios.voting.outcome import irv_lines, outcome_lines
from scenarios.voting.slips import DEFAULT_BASE_URL, write_slips
from scenarios.voting.tally import METHODS

st.title(t("page_results"))
service = voting_service()
try:
    default_id = int(st.query_params.get("poll", st.session_state.get("org_poll_id", 1)))
except ValueError:
    default_id = 1
poll_id = int(st.number_input(t("results_poll_id"), min_value=1, step=1, value=default_id))

info = published = None
try:
    info = service.poll(poll_id)
    published = service.published_result(poll_id)
except PlanningError as err:
    st.info(err.message(lang()))

if info is not None:
    st.header(escape_markdown(info.title))
    st.write(t("results_state", state=t(f"state_{info.state}"), issued=info.codes_issued, used=info.codes_used,
               ballots=info.ballots))

if published is not None:
    titles = {o["key"]: o["title"] for o in published["options"]}
    tally = published["tally"]
    winner = tally["winners"][0] if len(tally["winners"]) == 1 else None  # None on a tie or without ballots
    decision = outcome_lines(tally, lang())  # option keys only; the chart below names them
    (st.success if winner else st.warning)(decision[0])
    for line in decision[1:]:
        st.info(line)
    if published.get("quorum") is not None:
        st.write(t("results_quorum_met" if published["quorum_met"] else "results_quorum_not_met", n=published["quorum"]))
    totals = pd.Series(tally["totals"], name=t(f"results_total_{tally['method']}"))
    totals.index = [f"{k} {titles[k]}" for k in totals.index]
    st.bar_chart(totals, horizontal=True)
    runoff = irv_lines(tally, lang())
    if runoff:
        st.subheader(t("results_irv"))
        for line in runoff:
            st.text(line)

    if winner is not None:
        st.subheader(t("results_plan"))
        st.text(f"{winner} {titles[winner]}")
        chosen = next(o for o in published["options"] if o["key"] == winner)
        with planning_errors():
            scenario = load_scenario(scenario_dir() / chosen["scenario_file"])
            _, area_id = current_area()
            area_key = area_id.split(":", 1)[1] if area_id.startswith("demo:") else DEFAULT_AREA
            png = scenario_map_png(scenario, scenario.digest, area_key, lang())
            if png:
                st.image(png, width=520)
            for sentence in scenario_sentences(scenario):
                st.markdown(f"- {escape_markdown(sentence)}")

    st.subheader(t("results_receipts"))
    st.caption(t("results_receipts_help"))
    # a plain table (not a canvas grid): residents find their receipt with the browser's search
    st.table(pd.DataFrame([{t("col_receipt"): b["receipt"], t("col_ballot"): str(b["ballot"])}
                           for b in published["ballots"]]).set_index(t("col_receipt")))
    st.write(t("results_digest"))
    st.code(published["ballots_digest"], language=None)

# -- organiser ------------------------------------------------------------------------------
with st.expander(t("org_title"), expanded=False):
    secret = st.text_input(t("org_secret"), type="password", help=t("org_secret_help"))
    if not service.is_set_up():
        st.info(t("org_not_set_up"))
        if st.button(t("org_setup"), disabled=not secret):
            with planning_errors():
                service.setup_organiser(secret)
                st.success(t("org_setup_done"))
    st.markdown(f"**{t('org_create')}**")
    title = st.text_input(t("org_poll_title"), value=t("org_poll_title_default"))
    files = sorted(scenario_dir().glob("*.yaml"))
    options = st.multiselect(t("org_options"), files, default=files[:3], format_func=lambda p: p.stem)
    method = st.selectbox(t("org_method"), METHODS, format_func=labels(METHODS, lambda m: t(f"method_{m}")))
    if st.button(t("org_create_button"), disabled=not secret):
        with planning_errors():
            new_id = service.create_poll(secret, title, options, method)
            st.session_state["org_poll_id"] = new_id
            st.success(t("org_created", id=new_id))

    st.markdown(f"**{t('org_manage', id=poll_id)}**")
    count = st.number_input(t("org_code_count"), 1, 5000, 20)
    base_url = st.text_input(t("org_base_url"), value=DEFAULT_BASE_URL, help=t("org_base_url_help"))
    cols = st.columns(4)
    if cols[0].button(t("org_codes"), disabled=not secret):
        with planning_errors():
            codes = service.generate_codes(secret, poll_id, int(count))
            path = Path(tempfile.mkdtemp(prefix="planning-slips-")) / f"poll-{poll_id}-slips.pdf"
            write_slips(path, poll_id, info.title if info else title, codes, base_url)
            st.session_state["slips"] = (poll_id, path.read_bytes(), codes)
    for column, action, label in ((cols[1], service.open_voting, "org_open"), (cols[2], service.close, "org_close"),
                                  (cols[3], service.publish, "org_publish")):
        if column.button(t(label), disabled=not secret):
            with planning_errors():
                action(secret, poll_id)
                st.rerun()
    slips = st.session_state.get("slips")
    if slips and slips[0] == poll_id:
        st.download_button(t("org_slips_pdf"), slips[1], file_name=f"poll-{poll_id}-slips.pdf",
                           mime="application/pdf")
        st.caption(t("org_codes_once"))
        st.code("\n".join(slips[2]), language=None)
