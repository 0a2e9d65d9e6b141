"""结果公示 / Results: the meeting screen while voting, then the published result anyone can check.

Public: no organiser action here (they are on the organiser page, reached only by its address).
While voting is open the page is the meeting screen: turnout (codes used / issued, per batch)
and the ballot chain's head, refreshed every few seconds. Once published: the outcome (a shared
first place is a tie with the meeting's rule, never a win), whole-number counts, every ballot in
words, the chain head, seal, digest and signature, the organiser's log, the hearing comments if
the poll publishes them, and the result archive to download (JSON + offline pages) for
``planning poll verify``. User text is shown literally, never as Markdown or HTML.
"""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from planning.app.common import (
    ALERT_ICONS,
    HASH_CSS,
    current_area,
    lang,
    markdown_literal,
    planning_errors,
    print_downloads,
    scenario_map_png,
    scenario_sentences,
    show_hash,
    show_list,
    show_notice,
    show_table,
    show_title,
    t,
    turnout_panel,
    voting_service,
)
from planning.areas.build import DEFAULT_AREA
from planning.base.errors import PlanningError
from scenarios.voting.archive import log_words, result_html
from scenarios.voting.chain import short
from scenarios.voting.outcome import ballot_words, irv_lines, option_namer, outcome_lines

REFRESH_SECONDS = 5
RESULTS_CSS = """
<style>
  .block-container p, .block-container li, .block-container td, .block-container th { font-size: 1.2rem; }
  .block-container .stAlert p { font-size: 1.35rem; }
  [data-testid="stMetricValue"] { font-size: 3rem; }
</style>
"""

st.markdown(RESULTS_CSS + HASH_CSS, unsafe_allow_html=True)
st.title(t("page_results"))
service = voting_service()
try:
    default_id = int(st.query_params.get("poll", 1))
except ValueError:
    default_id = 1
poll_id = int(st.number_input(t("results_poll_id"), min_value=1, step=1, value=max(default_id, 1)))
if st.query_params.get("poll") != str(poll_id):
    st.query_params["poll"] = str(poll_id)

info = None
try:
    info = service.poll(poll_id)
except PlanningError as err:
    st.info(markdown_literal(err.message(lang())), icon=ALERT_ICONS["info"])
    st.stop()

show_title(info.title)


@st.fragment(run_every=REFRESH_SECONDS if info.state == "voting" else None)
def meeting_screen() -> None:
    """Turnout and chain head, refreshed while voting is open."""
    if turnout_panel(service, poll_id).state == "voting":
        st.caption(t("results_refresh", s=REFRESH_SECONDS))


if info.state in ("draft", "hearing", "voting", "closed"):
    meeting_screen()
    if info.state == "closed":
        st.info(t("results_closed"), icon=ALERT_ICONS["info"])
    st.stop()

published = None
with planning_errors():
    published = service.published_result(poll_id)
if published is None:
    st.stop()

name = option_namer(published["options"])
tally = published["tally"]
winner = tally["winners"][0] if len(tally["winners"]) == 1 else None  # None on a tie or without ballots
decision = outcome_lines(tally, lang(), name)
show_notice(decision[0], "ok" if winner else "tie")
for line in decision[1:]:
    show_notice(line)
if published.get("quorum") is not None:
    st.write(t("results_quorum_met" if published["quorum_met"] else "results_quorum_not_met", n=published["quorum"]))

st.subheader(t("results_counts"))
places = {key: place for place, group in enumerate(tally["ranking"], start=1) for key in group}
counts = pd.DataFrame({
    t("col_place"): [places[k] for k in tally["options"]],
    t("col_option"): [name(k) for k in tally["options"]],
    t(f"results_total_{tally['method']}"): [int(tally["totals"][k]) for k in tally["options"]],
}).sort_values(t("col_place"), kind="stable")
show_table(counts)
chart = counts.rename(columns={t("col_option"): "option", t(f"results_total_{tally['method']}"): "count"})
bars = alt.Chart(chart).mark_bar(size=34).encode(
    x=alt.X("count:Q", title=t(f"results_total_{tally['method']}"),
            axis=alt.Axis(format="d", tickMinStep=1, labelFontSize=14, titleFontSize=15)),
    y=alt.Y("option:N", title=None, sort=None, axis=alt.Axis(labelFontSize=15, labelLimit=320)))
labelled = bars + bars.mark_text(align="left", dx=6, fontSize=18, fontWeight="bold").encode(text="count:Q")
st.altair_chart(labelled.properties(height=56 * len(chart)), width="stretch")
if len(tally["winners"]) > 1:
    st.caption(t("results_tie_note"))
runoff = irv_lines(tally, lang(), name)
if runoff:
    st.subheader(t("results_irv"))
    for line in runoff:
        st.text(line)

scenario = area = None
if winner is not None:
    st.subheader(t("results_plan"))
    st.text(name(winner))
    with planning_errors():
        scenario = service.sealed_scenario(poll_id, winner)
        area, area_id = current_area()
        area_key = area_id.split(":", 1)[1] if area_id.startswith("demo:") else DEFAULT_AREA
        png = scenario_map_png(scenario, scenario.digest, area_key, lang())
        if png:
            st.image(png, width=520)
        show_list(scenario_sentences(scenario))
    if scenario is not None and area is not None:  # the chosen plan's report, tables and the poster with the published result
        print_downloads(area, area_id, scenario, key="results_print", poll_id=poll_id)

st.subheader(t("results_receipts"))
receipts = bool(published["settings"]["publish_receipts"])
st.caption(t("results_receipts_help" if receipts else "results_receipts_secret"))
values = {e["position"]: e["value"] for e in published["chain"]["entries"]}
if receipts:
    rows = pd.DataFrame({t("col_position"): [b["position"] for b in published["ballots"]],
                         t("col_receipt"): [b["receipt"] for b in published["ballots"]],
                         t("col_ballot"): [ballot_words(b["ballot"], name, lang()) for b in published["ballots"]],
                         t("col_chain"): [short(values[b["position"]]) for b in published["ballots"]]})
else:
    rows = pd.DataFrame({t("col_ballot"): [ballot_words(b["ballot"], name, lang()) for b in published["ballots"]]})
show_table(rows)  # a plain table (not a canvas grid): residents find their receipt with the browser's search

st.subheader(t("results_check"))
st.write(t("results_chain_head", n=published["chain"]["length"], short=short(published["chain"]["head"])))
show_hash(published["chain"]["head"])
st.write(t("results_digest"))
show_hash(published["ballots_digest"])
st.write(t("results_seal"))
show_hash(published["seal"])
signature = published.get("signature") or {}
st.write(t("results_fingerprint", fingerprint=signature.get("fingerprint", "—")))
show_hash(signature.get("public_key"))
codes = published["codes"]
st.write(t("results_codes", issued=codes["issued"], used=codes["used"], ballots=len(published["ballots"])))
late = [b for b in codes["batches"] if b["late"]]
for batch in late:
    st.warning(markdown_literal(t("results_late_batch", batch=batch["batch"], count=batch["issued"],
                                  reason=batch["reason"])), icon=ALERT_ICONS["warning"])

st.subheader(t("results_log"))
show_table(pd.DataFrame({t("col_time"): [e["at"] for e in published.get("log", [])],
                         t("col_action"): [log_words(e, lang()) for e in published.get("log", [])]}))

if published.get("comments"):
    st.subheader(t("results_comments"))
    for comment in published["comments"]:
        st.text(f"{name(comment['option']) if comment['option'] else t('results_comment_all')} · {comment['date']}")
        st.text(comment["text"])

st.subheader(t("results_download"))
with planning_errors():
    st.download_button(t("results_archive"), service.archive(poll_id), file_name=f"poll-{poll_id}-result.zip",
                       mime="application/zip")
    st.download_button(t("results_html"), result_html(published, lang()), file_name=f"poll-{poll_id}-result-{lang()}.html",
                       mime="text/html")
st.caption(t("results_verify_help"))
