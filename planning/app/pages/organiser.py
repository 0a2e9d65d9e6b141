"""组织者 / Organiser: everything only the organiser may do, behind the organiser secret.

Reached only by its address (``/organiser``); it is not in the navigation residents see and it
shows nothing but the sign-in until the secret is given. There is no default secret: it is set
with ``planning poll setup`` or, the first time, with the one-time token the server prints in
its console window. Every action here is logged with its time and published with the result.

The meeting: create a poll (sealed with its plans), set the QR address once (this computer's
address on the local network is offered), issue codes in batches before opening (a late batch
needs a reason), open, enter paper ballots one after another (the form clears after each and
says 已录入 or 无效 in large letters), watch turnout and the chain head, close (the head to read
out), publish (signed), read the hearing comments and the log, download the archive.
"""
from __future__ import annotations

import html
import tempfile
import time
from pathlib import Path

import pandas as pd
import streamlit as st

from planning.app.common import (
    ALERT_ICONS,
    HASH_CSS,
    labels,
    lang,
    markdown_literal,
    planning_errors,
    result_link,
    scenario_dir,
    show_error,
    show_table,
    show_title,
    t,
    turnout_panel,
    voting_service,
)
from planning.base.errors import PlanningError
from scenarios.voting.archive import log_words
from scenarios.voting.chain import short
from scenarios.voting.links import DEFAULT_PORT, lan_base_url
from scenarios.voting.rules import ELECTORATES, METHODS, TRANSITIONS

SECRET_KEY = "organiser_secret"
REFRESH_SECONDS = 5
PAPER_CSS = """
<style>
  .paper { font-size: 3.2rem; font-weight: 800; text-align: center; border-radius: 14px; padding: 1.2rem;
           margin: 0.6rem 0; }
  .paper small { display: block; font-size: 1.3rem; font-weight: 500; }
  .paper.ok { background: #e8f5e9; color: #14532d; border: 4px solid #1a9641; }
  .paper.bad { background: #fdecea; color: #7f1d1d; border: 4px solid #d7191c; }
  .paper.fault { background: #fff7e0; color: #713f12; border: 4px solid #f59e0b; }
</style>
"""
_ACTIONS = {"hearing": ("start_hearing", "org_hearing"), "voting": ("open_voting", "org_open"),
            "closed": ("close", "org_close"), "published": ("publish", "org_publish"),
            "evaluated": ("start_evaluation", "org_evaluate")}

st.markdown(PAPER_CSS + HASH_CSS, unsafe_allow_html=True)
st.title(t("page_organiser"))
service = voting_service()


def _set_up() -> None:
    """First use: the one-time token from the server's console window sets the secret."""
    st.info(t("org_not_set_up"), icon=ALERT_ICONS["info"])
    with st.form("setup"):
        token = st.text_input(t("org_token"), help=t("org_token_help"))
        secret = st.text_input(t("org_new_secret"), type="password", help=t("org_secret_help"))
        again = st.text_input(t("org_new_secret_again"), type="password")
        if st.form_submit_button(t("org_setup"), type="primary"):
            if secret != again:
                show_error(PlanningError("organiser_secrets_differ"))
                return
            with planning_errors():
                service.setup_with_token(token, secret)
                st.session_state[SECRET_KEY] = secret
                st.rerun()


def _sign_in() -> None:
    with st.form("sign_in"):
        secret = st.text_input(t("org_secret"), type="password")
        if st.form_submit_button(t("org_sign_in"), type="primary"):
            try:
                service.check_organiser(secret)
            except PlanningError as err:
                time.sleep(1)  # a guess costs time as well as scrypt
                show_error(err)
                return
            st.session_state[SECRET_KEY] = secret
            st.rerun()


with planning_errors():
    if not service.is_set_up():
        _set_up()
        st.stop()
secret = st.session_state.get(SECRET_KEY)
if not secret:
    _sign_in()
    st.stop()
if st.sidebar.button(t("org_sign_out")):
    st.session_state.pop(SECRET_KEY, None)
    st.rerun()


# -- a new poll ---------------------------------------------------------------------------
with st.expander(t("org_create"), expanded=not service.polls()):
    with st.form("create"):
        title = st.text_input(t("org_poll_title"), value=t("org_poll_title_default"), max_chars=200)
        files = sorted(scenario_dir().glob("*.yaml"))
        chosen = st.multiselect(t("org_options"), files, default=files[:3], format_func=lambda p: p.stem)
        method = st.selectbox(t("org_method"), METHODS, format_func=labels(METHODS, lambda m: t(f"method_{m}")))
        electorate = st.selectbox(t("org_electorate"), list(ELECTORATES),
                                  format_func=labels(list(ELECTORATES), lambda e: t(f"electorate_{e}")))
        quorum = st.number_input(t("org_quorum"), min_value=0, step=1, value=0, help=t("org_quorum_help"))
        receipts = st.checkbox(t("org_publish_receipts"), value=True, help=t("org_publish_receipts_help"))
        comments = st.checkbox(t("org_publish_comments"), value=False)
        if st.form_submit_button(t("org_create_button"), type="primary"):
            with planning_errors():
                new_id = service.create_poll(secret, title, chosen, method, electorate, int(quorum) or None,
                                             publish_receipts=receipts, publish_comments=comments)
                st.session_state["org_poll_id"] = new_id
                st.success(t("org_created", id=new_id), icon=ALERT_ICONS["success"])

polls = service.polls()
if not polls:
    st.stop()
ids = [p.id for p in polls]
remembered = st.session_state.get("org_poll_id", ids[0])
poll_id = st.selectbox(t("org_poll"), ids, index=ids.index(remembered) if remembered in ids else 0,
                       format_func=lambda i: t("org_poll_choice", id=i))
st.session_state["org_poll_id"] = poll_id
info = service.poll(poll_id)
show_title(info.title)
result_link(poll_id)


@st.fragment(run_every=REFRESH_SECONDS if info.state == "voting" else None)
def status() -> None:
    """Stage, turnout per batch and the chain head, refreshed while voting is open."""
    turnout_panel(service, poll_id)


status()

# -- the QR address, set once and kept ---------------------------------------------------
st.subheader(t("org_base_url_title"))
detected = lan_base_url(st.get_option("server.port") or DEFAULT_PORT)
current = info.base_url or service.default_base_url()
if not current:
    st.warning(t("org_base_url_missing"), icon=ALERT_ICONS["warning"])
if detected:
    st.caption(t("org_base_url_detected", url=detected))
with st.form("base_url"):
    base_url = st.text_input(t("org_base_url"), value=current or detected or "", help=t("org_base_url_help"))
    if st.form_submit_button(t("org_base_url_save")):
        with planning_errors():
            service.set_base_url(secret, poll_id, base_url)
            st.rerun()

# -- ballot codes ----------------------------------------------------------------------------
if info.state in ("draft", "hearing", "voting"):
    st.subheader(t("org_codes_title"))
    with st.form("codes"):
        count = st.number_input(t("org_code_count"), 1, 5000, 20)
        label = st.text_input(t("org_batch_label"), max_chars=40, help=t("org_batch_label_help"))
        reason = ""
        if info.state == "voting":
            st.warning(t("org_codes_late"), icon=ALERT_ICONS["warning"])
            reason = st.text_input(t("org_late_reason"), max_chars=500)
        if st.form_submit_button(t("org_codes")):
            with planning_errors():
                from scenarios.voting.slips import write_slips

                codes = service.generate_codes(secret, poll_id, int(count), label, reason or None)
                fresh = service.poll(poll_id)
                url = fresh.base_url or detected or "http://localhost:8501"
                path = Path(tempfile.mkdtemp(prefix="planning-slips-")) / f"poll-{poll_id}-slips.pdf"
                write_slips(path, poll_id, fresh.title, codes, url,
                            options=[(o.key, o.title, o.scenario_digest) for o in fresh.options],
                            public_key=service.organiser_public_key(), batch=fresh.batches[-1].batch, label=label)
                st.session_state["slips"] = (poll_id, path.read_bytes(), codes)
                path.unlink()
                st.rerun()
    slips = st.session_state.get("slips")
    if slips and slips[0] == poll_id:
        st.download_button(t("org_slips_pdf"), slips[1], file_name=f"poll-{poll_id}-slips.pdf", mime="application/pdf")
        st.caption(t("org_codes_once"))
        st.code("\n".join(slips[2]), language=None)

# -- stages ----------------------------------------------------------------------------------
st.subheader(t("org_stage"))
next_states = TRANSITIONS[info.state]
for column, target in zip(st.columns(max(len(next_states), 1)), next_states):
    method_name, label_key = _ACTIONS[target]
    if column.button(t(label_key), key=f"stage_{target}", type="primary"):
        with planning_errors():
            getattr(service, method_name)(secret, poll_id)
            st.rerun()
if info.state == "closed":
    st.info(t("org_read_head", short=short(info.chain_head)), icon=ALERT_ICONS["info"])

# -- paper ballots ---------------------------------------------------------------------------
if info.state == "voting":
    st.subheader(t("paper_title"))
    st.caption(t("paper_help"))
    keys = [o.key for o in info.options]
    show_table(pd.DataFrame({t("col_option"): keys, t("col_title"): [o.title for o in info.options]}))
    with st.form("paper", clear_on_submit=True):
        code = st.text_input(t("paper_code"), key="paper_code")
        if info.method == "approval":
            chosen_keys = [k for k in keys if st.checkbox(t("vote_approve", key=k), key=f"paper_approve_{k}")]
            ballot = {"approve": chosen_keys}
        elif info.method == "score":
            scores = {k: st.radio(t("vote_score", key=k), (None, 1, 2, 3, 4, 5), horizontal=True,
                                  key=f"paper_score_{k}", format_func=lambda v: "—" if v is None else str(v))
                      for k in keys}
            ballot = {"scores": {k: v for k, v in scores.items() if v is not None}}
        else:
            picks = [st.selectbox(t("vote_rank_place", n=n + 1), [None, *keys], key=f"paper_rank_{n}",
                                  format_func=lambda k: "—" if k is None else k) for n in range(len(keys))]
            ballot = {"ranking": [k for k in picks if k is not None]}
        submitted = st.form_submit_button(t("paper_submit"), type="primary", width="stretch")
    if submitted:
        entry = st.session_state.get("paper_entries", 0) + 1
        st.session_state["paper_entries"] = entry
        try:
            receipt = service.cast_ballot(poll_id, code, ballot)
            st.session_state["paper_last"] = ("ok", entry, t("paper_ok_detail", n=receipt.position), None)
        except PlanningError as err:
            kind = "fault" if err.code.startswith("database_") else "bad"
            st.session_state["paper_last"] = (kind, entry, "", err.message(lang()))
    last = st.session_state.get("paper_last")
    if last:
        kind, entry, detail, message = last
        word = t({"ok": "paper_ok", "bad": "paper_invalid", "fault": "paper_not_stored"}[kind])
        small = " · ".join(part for part in (t("paper_entry", n=entry), detail) if part)
        st.markdown(f'<div class="paper {kind}">{html.escape(word)}<small>{html.escape(small)}</small></div>',
                    unsafe_allow_html=True)
        if message:
            st.error(markdown_literal(message), icon=ALERT_ICONS["error"])
    turnout = service.poll(poll_id)
    st.metric(t("paper_turnout"), t("paper_turnout_value", used=turnout.codes_used, issued=turnout.codes_issued))

# -- hearing comments, log, archive ----------------------------------------------------------
st.subheader(t("org_comments"))
comment_rows = service.comments(poll_id)
if not comment_rows:
    st.caption(t("org_no_comments"))
for row in comment_rows:
    about = t("vote_option_key", key=row["option_key"]) if row["option_key"] else t("results_comment_all")
    st.text(f"{about} · {row['created_at']:%Y-%m-%d %H:%M}")
    st.text(row["text"])
st.caption(t("org_comments_published" if info.publish_comments else "org_comments_private"))

st.subheader(t("results_log"))
entries = service.organiser_log(poll_id)
show_table(pd.DataFrame({t("col_time"): [e["at"] for e in entries],
                         t("col_action"): [log_words(e, lang()) for e in entries]}))

if info.state in ("published", "evaluated"):
    with planning_errors():
        st.download_button(t("results_archive"), service.archive(poll_id), file_name=f"poll-{poll_id}-result.zip",
                           mime="application/zip")
