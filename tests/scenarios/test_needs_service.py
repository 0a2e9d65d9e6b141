"""民情征集 service: one answer per code, anonymous answers rate-limited, the window, plain text, the
follow-up by the same code, refusals that store nothing, and an older database migrated."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from planning.base.errors import PlanningError
from scenarios.voting import db
from scenarios.voting.needs import NeedsService
from tests.support.needs import open_survey
from tests.support.voting import SECRET

BIDI_TITLE = "\u202e诉求\u200f\x07"  # a right-to-left override, a mark and a bell


@pytest.fixture
def needs(service) -> NeedsService:
    return NeedsService(service.engine)


def _refused(svc: NeedsService, code: str, call) -> None:
    before = db.row_counts(svc.engine)
    with pytest.raises(PlanningError) as err:
        call()
    assert err.value.code == code, err.value.one_line()
    assert err.value.zh and err.value.en
    assert db.row_counts(svc.engine) == before  # a refusal stores nothing


def test_a_code_answers_once_and_codes_are_stored_only_hashed(needs):
    survey_id, codes = open_survey(needs, n_codes=3)
    receipt = needs.submit_need(survey_id, "meals", lon=118.78, lat=32.04, text="楼下没有吃饭的地方", code=codes[0])
    assert (receipt.followup_code, receipt.new_code) == (codes[0], False)
    _refused(needs, "survey_code_used",
             lambda: needs.submit_need(survey_id, "clinic_far", lon=118.78, lat=32.04, code=codes[0].lower()))
    _refused(needs, "survey_code_needed", lambda: needs.submit_need(survey_id, "meals", lon=118.78, lat=32.04))
    other, other_codes = open_survey(needs, n_codes=1)
    _refused(needs, "survey_code_unknown",
             lambda: needs.submit_need(survey_id, "meals", lon=118.78, lat=32.04, code=other_codes[0]))
    with needs.engine.connect() as conn:
        stored = " ".join(map(str, conn.execute(select(db.survey_codes)).all()))
        answers = conn.execute(select(db.survey_answers)).all()
    assert not any(code in stored or code.replace("-", "") in stored for code in codes)
    assert [(a.need_type, a.text, a.lon, a.lat) for a in answers] == [("meals", "楼下没有吃饭的地方", 118.78, 32.04)]
    info = needs.survey(survey_id)
    assert (info.codes_issued, info.codes_used, info.answers) == (3, 1, 1)


def test_an_answer_needs_a_place_inside_the_area_or_from_the_list(needs):
    survey_id, codes = open_survey(needs, n_codes=3)
    _refused(needs, "need_no_location", lambda: needs.submit_need(survey_id, "meals", code=codes[0]))
    _refused(needs, "need_outside_area",
             lambda: needs.submit_need(survey_id, "meals", lon=116.40, lat=39.90, code=codes[0]))  # Beijing
    _refused(needs, "need_unknown_place", lambda: needs.submit_need(survey_id, "meals", place="nowhere", code=codes[0]))
    _refused(needs, "need_bad_type", lambda: needs.submit_need(survey_id, "cinema", place="b-7", code=codes[0]))
    needs.submit_need(survey_id, "day_care", place="b-7", code=codes[0])
    (answer,) = needs.stated_needs(SECRET, survey_id)
    assert (answer.place, answer.lon, answer.lat) == ("b-7", 118.7790, 32.0430)


def test_text_is_cleaned_and_limited_alike_and_only_asked_extras_are_kept(needs):
    survey_id, codes = open_survey(needs, n_codes=3)
    needs.submit_need(survey_id, "meals", lon=118.78, lat=32.04, text=f"  {BIDI_TITLE}\r\n<b>x</b> ", code=codes[0],
                      age_group="60_79", has_car=True)
    (answer,) = needs.stated_needs(SECRET, survey_id)
    assert "\u202e" not in answer.text and answer.text.endswith("<b>x</b>")  # kept as text, control marks gone
    assert (answer.age_group, answer.has_car) == (None, None)  # the survey did not ask: not stored
    _refused(needs, "need_text_too_long",
             lambda: needs.submit_need(survey_id, "meals", lon=118.78, lat=32.04, text="长" * 301, code=codes[1]))
    asking, asking_codes = open_survey(needs, n_codes=1, ask_age=True, ask_car=True)
    needs.submit_need(asking, "parking", lon=118.78, lat=32.04, code=asking_codes[0], age_group="60_79", has_car=False)
    (kept,) = needs.stated_needs(SECRET, asking)
    assert (kept.age_group, kept.has_car) == ("60_79", False)


def test_anonymous_answers_are_rate_limited_and_get_a_followup_code(needs):
    survey_id, _ = open_survey(needs, mode="anonymous", per_minute=3)
    receipts = [needs.submit_need(survey_id, "parking", lon=118.78, lat=32.04) for _ in range(3)]
    assert all(r.new_code for r in receipts) and len({r.followup_code for r in receipts}) == 3
    _refused(needs, "survey_busy", lambda: needs.submit_need(survey_id, "parking", lon=118.78, lat=32.04))
    _refused(needs, "survey_anonymous_no_codes", lambda: needs.generate_survey_codes(SECRET, survey_id, 5))


def test_answers_only_while_open_and_within_the_window(needs):
    survey_id = needs.create_survey(SECRET, "征集", ["meals"], area_key="demo:x", area_name="新街口",
                                    bounds=(118.764, 32.035, 118.797, 32.052), mode="anonymous")
    _refused(needs, "survey_not_open", lambda: needs.submit_need(survey_id, "meals", lon=118.78, lat=32.04))
    needs.open_survey(SECRET, survey_id)
    needs.submit_need(survey_id, "meals", lon=118.78, lat=32.04)
    needs.close_survey(SECRET, survey_id)
    _refused(needs, "survey_closed", lambda: needs.submit_need(survey_id, "meals", lon=118.78, lat=32.04))
    later = needs.create_survey(SECRET, "下月征集", ["meals"], area_key="demo:x", area_name="新街口", mode="anonymous",
                                bounds=(118.764, 32.035, 118.797, 32.052), opens_at=db.now() + timedelta(days=1))
    needs.open_survey(SECRET, later)
    _refused(needs, "survey_not_yet", lambda: needs.submit_need(later, "meals", lon=118.78, lat=32.04))
    past = needs.create_survey(SECRET, "上月征集", ["meals"], area_key="demo:x", area_name="新街口", mode="anonymous",
                               bounds=(118.764, 32.035, 118.797, 32.052), closes_at=db.now() - timedelta(seconds=1))
    needs.open_survey(SECRET, past)
    _refused(needs, "survey_closed", lambda: needs.submit_need(past, "meals", lon=118.78, lat=32.04))


def test_organiser_actions_need_the_secret_and_answers_are_not_public_while_open(needs):
    survey_id, codes = open_survey(needs, n_codes=1)
    needs.submit_need(survey_id, "meals", lon=118.78, lat=32.04, code=codes[0])
    for call in (lambda: needs.stated_needs("wrong", survey_id), lambda: needs.close_survey("wrong", survey_id),
                 lambda: needs.generate_survey_codes("wrong", survey_id, 2)):
        _refused(needs, "organiser_secret_wrong", call)
    _refused(needs, "survey_wrong_state", lambda: needs.planning_needs(survey_id))
    needs.close_survey(SECRET, survey_id)
    assert [n.need_type for n in needs.planning_needs(survey_id)] == ["meals"]


def test_the_same_code_says_in_the_followup_whether_the_need_was_met(needs):
    survey_id, codes = open_survey(needs, n_codes=2)
    needs.submit_need(survey_id, "clinic_far", lon=118.78, lat=32.04, text="看病要走二十分钟", code=codes[0])
    needs.submit_need(survey_id, "meals", lon=118.78, lat=32.04, code=codes[1])
    _refused(needs, "survey_no_followup", lambda: needs.follow_up(survey_id, codes[0], "met"))
    needs.close_survey(SECRET, survey_id)
    needs.start_followup(SECRET, survey_id)
    assert needs.my_need(survey_id, codes[0]).text == "看病要走二十分钟"
    needs.follow_up(survey_id, codes[0], "not_met")
    _refused(needs, "followup_already_given",  # a code answers the follow-up once
             lambda: needs.follow_up(survey_id, codes[0], "partly", "新开的卫生站周末不开门"))
    _refused(needs, "followup_bad_value", lambda: needs.follow_up(survey_id, codes[1], "maybe"))
    with pytest.raises(PlanningError) as err:
        needs.my_need(survey_id, "2345-6789-ABCD-EF")  # well-formed? either malformed or unknown, never another's
    assert err.value.code in ("code_malformed", "followup_code_unknown")
    assert needs.followup_summary(survey_id) == {"met": 0, "partly": 0, "not_met": 1, "unanswered": 1}


def test_anonymous_followup_code_finds_the_answer(needs):
    survey_id, _ = open_survey(needs, mode="anonymous")
    receipt = needs.submit_need(survey_id, "day_care", lon=118.78, lat=32.04, text="老人白天没人照看")
    needs.close_survey(SECRET, survey_id)
    needs.start_followup(SECRET, survey_id)
    needs.follow_up(survey_id, receipt.followup_code, "met")
    assert needs.followup_summary(survey_id)["met"] == 1


def test_a_version_2_database_gains_the_survey_tables_and_keeps_its_polls(tmp_path, scenario_files):
    path = tmp_path / "old.sqlite"
    old = db.connect(str(path))
    with old.begin() as conn:  # roll back to version 2: what a database made before surveys looks like
        for name in ("survey_answers", "survey_codes", "surveys"):
            db.metadata.tables[name].drop(conn)
        conn.execute(db.schema_version.delete().where(db.schema_version.c.version == 3))
        conn.execute(insert(db.app_settings).values(key="base_url", value="http://192.168.1.10:8501"))
    old.dispose()
    reopened = NeedsService.connect(str(path))
    with reopened.engine.connect() as conn:
        assert conn.execute(select(db.schema_version.c.version).order_by(db.schema_version.c.version.desc())
                            ).first()[0] == 3
    reopened.setup_organiser(SECRET)
    survey_id, codes = open_survey(reopened, n_codes=1)
    reopened.submit_need(survey_id, "meals", lon=118.78, lat=32.04, code=codes[0])
    assert reopened.survey(survey_id).base_url == "http://192.168.1.10:8501"  # the kept QR address
    reopened.engine.dispose()
