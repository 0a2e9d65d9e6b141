"""200 residents answering a 民情征集 at once on SQLite and on a real PostgreSQL server: none lost."""
from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, select

from planning.base.errors import PlanningError
from scenarios.voting import db
from scenarios.voting.needs import NeedsService
from tests.support.needs import open_survey
from tests.support.postgres import fresh_database
from tests.support.voting import SECRET

RESIDENTS = 200
REUSED = 40  # residents who try a code someone else also holds


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'planning.sqlite'}"
    return fresh_database(request.getfixturevalue("postgres_url"), f"n_{uuid.uuid4().hex[:12]}")


def _at_once(count: int, answer) -> tuple[list, list[str], list[BaseException]]:
    receipts, refused, errors = [], [], []
    start = threading.Barrier(count)

    def resident(i: int) -> None:
        start.wait()
        try:
            receipts.append((i, answer(i)))
        except PlanningError as err:
            refused.append(err.code)
        except BaseException as exc:  # noqa: BLE001  (any other failure must fail the test)
            errors.append(exc)

    threads = [threading.Thread(target=resident, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return receipts, refused, errors


def test_200_concurrent_answers_with_codes_all_stored_once_and_reuse_refused(database):
    svc = NeedsService.connect(database)
    svc.setup_organiser(SECRET)
    survey_id, codes = open_survey(svc, n_codes=RESIDENTS)
    held = codes + codes[:REUSED]  # the first 40 codes are held by two residents each
    kinds = ["clinic_far", "meals", "parking", "day_care"]
    receipts, refused, errors = _at_once(len(held), lambda i: svc.submit_need(
        survey_id, kinds[i % 4], lon=118.770 + (i % 20) * 0.001, lat=32.040 + (i // 20) * 0.0005,
        text=f"第{i}位居民", code=held[i]))
    assert errors == []
    assert Counter(refused) == {"survey_code_used": REUSED}
    assert len(receipts) == RESIDENTS
    assert sorted(r.followup_code for _, r in receipts) == sorted(codes)  # every code answered exactly once
    stored = svc.stated_needs(SECRET, survey_id)
    assert len(stored) == RESIDENTS  # 0 lost
    accepted = {f"第{i}位居民" for i, _ in receipts}
    assert {n.text for n in stored} == accepted
    info = svc.survey(survey_id)
    assert (info.answers, info.codes_used) == (RESIDENTS, RESIDENTS)
    svc.engine.dispose()


def test_200_concurrent_anonymous_answers_all_stored_under_a_high_limit(database):
    svc = NeedsService.connect(database)
    svc.setup_organiser(SECRET)
    survey_id, _ = open_survey(svc, mode="anonymous", per_minute=RESIDENTS)
    receipts, refused, errors = _at_once(RESIDENTS + 10, lambda i: svc.submit_need(
        survey_id, "meals", lon=118.78, lat=32.04, text=f"匿名{i}"))
    assert errors == []
    assert Counter(refused) == {"survey_busy": 10}  # the limit holds exactly under concurrency
    assert len(receipts) == RESIDENTS and len({r.followup_code for _, r in receipts}) == RESIDENTS
    with svc.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.survey_answers)).scalar_one() == RESIDENTS
    svc.engine.dispose()
