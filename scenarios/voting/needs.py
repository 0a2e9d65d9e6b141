"""Needs surveys (民情征集): residents put their needs on the map before a plan is made.

A survey is a sibling of a poll and shares its machinery: the same organiser secret, one-time
codes of the same form stored only as salted hashes (:mod:`scenarios.voting.codes`), the same
text cleaning and limits on SQLite and PostgreSQL (:mod:`scenarios.voting.text`), the same fault
handling (a full disk, a read-only database or a lost connection is a zh/en error and nothing
half-written stays), the same QR slips (:mod:`scenarios.voting.slips`).

Life cycle::

    draft → open (answers taken, within the window if one is set) → closed → followup (成效评议)

A resident answers once per code (``mode="codes"``), or without a code when the organiser
chooses ``mode="anonymous"``: then the whole survey takes at most ``per_minute`` answers a
minute, and each answer is given a follow-up code. An answer holds the need type, a point (the
pin, or the 小区/楼栋 picked from the list), the sentence the resident typed and, if the survey
asks, an age group and whether the household has a car — nothing else. In the 成效评议 the same
code (the slip's or the follow-up code) answers whether the need was met.

Unlike a ballot, an answer is not secret from the organiser: it is kept with the hash of the code
that may follow it up, so that the same person can be asked again. The organiser learns which
printed slip gave which answer, not who holds the slip (see ``docs/threat-model.md``).
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from planning.base.errors import PlanningError
from planning.base.needs import load_need_types
from scenarios.voting import codes as codes_mod
from scenarios.voting import db
from scenarios.voting.links import check_base_url
from scenarios.voting.rules import MAX_CODES, MAX_COMMENT_CHARS, MAX_TITLE_CHARS
from scenarios.voting.service import VotingService
from scenarios.voting.text import clean_text

SURVEY_STATES = ("draft", "open", "closed", "followup")
SURVEY_TRANSITIONS = {"draft": ("open",), "open": ("closed",), "closed": ("open", "followup"), "followup": ()}
MODES = ("codes", "anonymous")
AGE_GROUPS = ("under_18", "18_39", "40_59", "60_79", "80_plus")
FOLLOWUPS = ("met", "partly", "not_met")
MAX_NEED_CHARS = 300
MAX_PLACES = 5000
DEFAULT_PER_MINUTE = 30
BOUNDS_MARGIN_DEG = 0.002  # ≈ 200 m: a pin just outside the area's outline is still taken


@dataclass(frozen=True)
class Place:
    """A 小区 or 楼栋 a resident may pick instead of tapping the map (WGS84 degrees)."""

    key: str
    name: str
    lon: float
    lat: float
    kind: str = "building"  # "community" (小区/社区) or "building" (楼栋)


@dataclass(frozen=True)
class SurveyInfo:
    """A survey's settings, stage and counts (no answers, no codes)."""

    id: int
    title: str
    area_key: str
    area_name: str
    need_types: list[str]
    mode: str
    per_minute: int
    state: str
    ask_age: bool
    ask_car: bool
    opens_at: datetime | None
    closes_at: datetime | None
    base_url: str | None
    places: list[Place]
    bounds: tuple[float, float, float, float]
    outline: dict[str, Any] = field(default_factory=dict)
    codes_issued: int = 0
    codes_used: int = 0
    answers: int = 0
    followups: int = 0


@dataclass(frozen=True)
class NeedReceipt:
    """What a resident is told once the answer is stored: the code that answers the 成效评议 later.

    ``followup_code`` is the slip's own code in a survey with codes, or a new code shown once in an
    anonymous survey (``new_code`` True: the resident should keep it).
    """

    followup_code: str
    new_code: bool


@dataclass
class StatedNeed:
    """One stored answer, as the organiser reads it (full precision; publish it coarsened)."""

    id: int
    need_type: str
    lon: float
    lat: float
    place: str | None
    text: str
    age_group: str | None
    has_car: bool | None
    followup: str | None
    followup_text: str | None
    extra: dict[str, Any] = field(default_factory=dict)


class NeedsService(VotingService):
    """Needs surveys on the voting database: the organiser, codes and faults as for polls."""

    # organiser ---------------------------------------------------------------

    def create_survey(
        self, secret: str, title: str, need_types: Sequence[str], *, area_key: str, area_name: str,
        bounds: Sequence[float], places: Sequence[Place] = (), outline: Mapping[str, Any] | None = None,
        mode: str = "codes",
        per_minute: int = DEFAULT_PER_MINUTE, ask_age: bool = False, ask_car: bool = False,
        opens_at: datetime | None = None, closes_at: datetime | None = None, base_url: str | None = None,
    ) -> int:
        """Create a draft survey of one area; return its id.

        Parameters
        ----------
        need_types
            Keys of ``data/need_types.yaml`` residents may choose from.
        bounds
            ``(west, south, east, north)`` of the area in degrees: pins outside are refused.
        places
            小区/楼栋 offered as a list for residents who cannot use a map.
        outline
            GeoJSON FeatureCollection of the area's 社区 (``name`` and outline, WGS84), drawn under the pins.
        mode
            ``"codes"`` (one answer per printed code) or ``"anonymous"`` (no code, ``per_minute`` answers
            a minute at most for the whole survey).
        opens_at, closes_at
            The window (UTC); outside it answers are refused even while the survey is open.
        """
        title = clean_text(title, "poll_title_too_long", MAX_TITLE_CHARS, empty="poll_title_empty")
        known = load_need_types()
        chosen = list(dict.fromkeys(need_types))
        unknown = [k for k in chosen if k not in known]
        if not chosen or unknown:
            raise PlanningError("survey_bad_need_types", given=", ".join(unknown) or "—", known=", ".join(known))
        if mode not in MODES:
            raise PlanningError("survey_bad_mode", mode=mode, choices=", ".join(MODES))
        if isinstance(per_minute, bool) or not isinstance(per_minute, int) or not 1 <= per_minute <= 10_000:
            raise PlanningError("survey_bad_rate", value=per_minute)
        west, south, east, north = (float(b) for b in bounds)
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise PlanningError("survey_bad_bounds", bounds=f"{west}, {south}, {east}, {north}")
        if opens_at is not None and closes_at is not None and closes_at <= opens_at:
            raise PlanningError("survey_bad_window")
        if len(places) > MAX_PLACES:
            raise PlanningError("survey_too_many_places", count=len(places), maximum=MAX_PLACES)
        place_rows = [{"key": clean_text(p.key, "poll_title_too_long", 64, empty="poll_title_empty"),
                       "name": clean_text(p.name, "poll_title_too_long", MAX_TITLE_CHARS, empty="poll_title_empty"),
                       "lon": float(p.lon), "lat": float(p.lat), "kind": p.kind} for p in places]
        if len({p["key"] for p in place_rows}) != len(place_rows):
            raise PlanningError("survey_places_not_unique")
        url = None if base_url is None else check_base_url(base_url)
        with self._write() as conn:
            self._authorise(conn, secret)
            if url is None:
                url = self.default_base_url_in(conn)
            survey_id = conn.execute(insert(db.surveys).values(
                title=title, area_key=str(area_key)[:200], area_name=clean_text(area_name, "poll_title_too_long",
                                                                                MAX_TITLE_CHARS),
                need_types=json.dumps(chosen), ask_age=bool(ask_age), ask_car=bool(ask_car), mode=mode,
                per_minute=per_minute, state="draft", opens_at=_utc(opens_at), closes_at=_utc(closes_at),
                code_salt=codes_mod.new_salt(), base_url=url, places=json.dumps(place_rows, ensure_ascii=False),
                bounds=json.dumps([west, south, east, north]), created_at=db.now(),
                outline=json.dumps(dict(outline or {}), ensure_ascii=False),
            )).inserted_primary_key[0]
        return int(survey_id)

    def generate_survey_codes(self, secret: str, survey_id: int, count: int) -> list[str]:
        """Issue ``count`` one-time codes for a survey with codes; only their salted hashes are stored."""
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_CODES:
            raise PlanningError("codes_bad_count", count=count, maximum=MAX_CODES)
        with self._write() as conn:
            self._authorise(conn, secret)
            survey = self._survey_row(conn, survey_id)
            if survey.mode != "codes":
                raise PlanningError("survey_anonymous_no_codes")
            if survey.state == "followup":
                raise PlanningError("survey_wrong_state", state=survey.state)
            issued = [codes_mod.new_ballot_code() for _ in range(count)]
            stored = list(issued)
            secrets.SystemRandom().shuffle(stored)
            conn.execute(insert(db.survey_codes), [
                {"id": db.random_id(), "survey_id": survey_id, "code_hash": codes_mod.hash_code(c, survey.code_salt),
                 "used": False} for c in stored])
        return issued

    def set_survey_base_url(self, secret: str, survey_id: int, base_url: str) -> str:
        """Keep ``base_url`` as the survey's QR address."""
        url = check_base_url(base_url)
        with self._write() as conn:
            self._authorise(conn, secret)
            self._survey_row(conn, survey_id)
            conn.execute(update(db.surveys).where(db.surveys.c.id == survey_id).values(base_url=url))
        return url

    def open_survey(self, secret: str, survey_id: int) -> None:
        """draft/closed → open: answers are taken (within the window, if one is set)."""
        self._move(secret, survey_id, "open")

    def close_survey(self, secret: str, survey_id: int) -> None:
        """open → closed: no more answers."""
        self._move(secret, survey_id, "closed")

    def start_followup(self, secret: str, survey_id: int) -> None:
        """closed → followup (成效评议): the same codes now say whether each need was met."""
        self._move(secret, survey_id, "followup")

    def stated_needs(self, secret: str, survey_id: int) -> list[StatedNeed]:
        """Every answer of a survey at full precision, oldest first: for the organiser only."""
        with self._read() as conn:
            self._check(conn, secret)
            self._survey_row(conn, survey_id)
            return self._needs(conn, survey_id)

    def planning_needs(self, survey_id: int) -> list[StatedNeed]:
        """The answers of a closed survey, for the siting models on the planner's desk (counted, never
        shown there as points; coarsen before publishing any, :func:`scenarios.needs.coarsen`)."""
        with self._read() as conn:
            survey = self._survey_row(conn, survey_id)
            if survey.state not in ("closed", "followup"):
                raise PlanningError("survey_wrong_state", state=survey.state)
            return self._needs(conn, survey_id)

    # residents ---------------------------------------------------------------

    def submit_need(
        self, survey_id: int, need_type: str, *, lon: float | None = None, lat: float | None = None,
        place: str | None = None, text: str = "", age_group: str | None = None, has_car: bool | None = None,
        code: str | None = None,
    ) -> NeedReceipt:
        """Store one stated need; return the code that answers the 成效评议.

        The location is the pin (``lon``/``lat`` in WGS84 degrees) or a ``place`` key from the
        survey's list. In a survey with codes, a code answers once: the conditional update of its
        row lets exactly one of two simultaneous answers through.
        """
        text = clean_text(text, "need_text_too_long", MAX_NEED_CHARS, multiline=True)
        canonical = None
        if code is not None and str(code).strip():
            canonical = codes_mod.normalise_code(code)  # a typo is refused before any lookup
        if age_group is not None and age_group not in AGE_GROUPS:
            raise PlanningError("need_bad_age_group", value=age_group, choices=", ".join(AGE_GROUPS))
        with self._write() as conn:
            # locked: answers of one survey are taken one at a time (rate limit, window, state)
            survey = self._survey_row(conn, survey_id, lock=True)
            self._require_open(survey)
            offered = json.loads(survey.need_types)
            if need_type not in offered:
                raise PlanningError("need_bad_type", value=need_type, choices=", ".join(offered))
            lon, lat, place = self._where(survey, lon, lat, place)
            if survey.mode == "codes":
                if canonical is None:
                    raise PlanningError("survey_code_needed")
                code_hash = codes_mod.hash_code(canonical, survey.code_salt)
                unused = ((db.survey_codes.c.survey_id == survey_id) & (db.survey_codes.c.code_hash == code_hash)
                          & db.survey_codes.c.used.is_(False))
                if conn.execute(update(db.survey_codes).where(unused).values(used=True)).rowcount != 1:
                    known = conn.execute(select(db.survey_codes.c.id).where(
                        (db.survey_codes.c.survey_id == survey_id) & (db.survey_codes.c.code_hash == code_hash))).first()
                    raise PlanningError("survey_code_used" if known else "survey_code_unknown")
                receipt = NeedReceipt(canonical, False)
            else:
                since = db.now() - timedelta(seconds=60)
                recent = conn.execute(select(func.count()).where(db.survey_answers.c.survey_id == survey_id)
                                      .where(db.survey_answers.c.created_at > since)).scalar_one()
                if recent >= survey.per_minute:
                    raise PlanningError("survey_busy", per_minute=survey.per_minute)
                receipt = NeedReceipt(codes_mod.new_ballot_code(), True)
                code_hash = codes_mod.hash_code(receipt.followup_code, survey.code_salt)
            conn.execute(insert(db.survey_answers).values(
                id=db.random_id(), survey_id=survey_id, need_type=need_type, lon=lon, lat=lat, place=place, text=text,
                age_group=age_group if survey.ask_age else None,
                has_car=None if has_car is None or not survey.ask_car else bool(has_car),
                followup_hash=code_hash, created_at=db.now()))
        return receipt

    def my_need(self, survey_id: int, code: str) -> StatedNeed:
        """The answer given with ``code`` (for the 成效评议 page, which shows it back to its author)."""
        canonical = codes_mod.normalise_code(code)
        with self._read() as conn:
            survey = self._survey_row(conn, survey_id)
            row = self._answer_for(conn, survey, canonical)
            return _need(row)

    def follow_up(self, survey_id: int, code: str, outcome: str, text: str = "") -> None:
        """成效评议: the resident who stated a need says whether it was met (``met``/``partly``/``not_met``).

        A code answers the follow-up once (a second answer is refused, ``followup_already_given``: the
        conditional update lets exactly one of two simultaneous answers through); only while the survey
        is in ``followup``.
        """
        if outcome not in FOLLOWUPS:
            raise PlanningError("followup_bad_value", value=outcome, choices=", ".join(FOLLOWUPS))
        text = clean_text(text, "need_text_too_long", MAX_NEED_CHARS, multiline=True)
        canonical = codes_mod.normalise_code(code)
        with self._write() as conn:
            survey = self._survey_row(conn, survey_id)
            if survey.state != "followup":
                raise PlanningError("survey_no_followup", state=survey.state)
            row = self._answer_for(conn, survey, canonical)
            done = conn.execute(update(db.survey_answers).where(
                db.survey_answers.c.id == row.id, db.survey_answers.c.followup.is_(None)).values(
                followup=outcome, followup_text=text, followup_at=db.now()))
            if done.rowcount != 1:
                raise PlanningError("followup_already_given")

    # reading -----------------------------------------------------------------

    def survey(self, survey_id: int) -> SurveyInfo:
        """Settings, stage and counts of a survey (public: no answers)."""
        with self._read() as conn:
            return self._survey_info(conn, self._survey_row(conn, survey_id))

    def surveys(self) -> list[SurveyInfo]:
        """Every survey, newest first."""
        with self._read() as conn:
            rows = conn.execute(select(db.surveys).order_by(db.surveys.c.id.desc())).all()
            return [self._survey_info(conn, r) for r in rows]

    def followup_summary(self, survey_id: int) -> dict[str, int]:
        """How many answers say met / partly / not_met, and how many have not said."""
        with self._read() as conn:
            self._survey_row(conn, survey_id)
            rows = conn.execute(select(db.survey_answers.c.followup, func.count()).where(
                db.survey_answers.c.survey_id == survey_id).group_by(db.survey_answers.c.followup)).all()
        counts = {k: 0 for k in (*FOLLOWUPS, "unanswered")}
        for value, n in rows:
            counts[value or "unanswered"] += int(n)
        return counts

    # internals ---------------------------------------------------------------

    def default_base_url_in(self, conn: Connection) -> str | None:
        return conn.execute(select(db.app_settings.c.value).where(db.app_settings.c.key == "base_url")).scalar()

    def _move(self, secret: str, survey_id: int, target: str) -> None:
        with self._write() as conn:
            self._authorise(conn, secret)
            survey = self._survey_row(conn, survey_id, lock=True)
            if target not in SURVEY_TRANSITIONS[survey.state]:
                raise PlanningError("survey_bad_transition", state=survey.state, target=target)
            moved = conn.execute(update(db.surveys).where(db.surveys.c.id == survey_id)
                                 .where(db.surveys.c.state == survey.state).values(state=target)).rowcount
            if moved != 1:
                raise PlanningError("survey_bad_transition", state=survey.state, target=target)

    @staticmethod
    def _survey_row(conn: Connection, survey_id: int, lock: bool = False) -> Any:
        query = select(db.surveys).where(db.surveys.c.id == survey_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise PlanningError("survey_not_found", survey_id=survey_id)
        return row

    @staticmethod
    def _require_open(survey: Any) -> None:
        if survey.state != "open":
            raise PlanningError("survey_not_open" if survey.state == "draft" else "survey_closed")
        now = db.now()
        if survey.opens_at is not None and now < _utc(survey.opens_at):
            raise PlanningError("survey_not_yet", opens=_utc(survey.opens_at).strftime("%Y-%m-%d %H:%M UTC"))
        if survey.closes_at is not None and now >= _utc(survey.closes_at):
            raise PlanningError("survey_closed")

    @staticmethod
    def _where(survey: Any, lon: float | None, lat: float | None, place: str | None) -> tuple[float, float, str | None]:
        if place is not None:
            chosen = next((p for p in json.loads(survey.places) if p["key"] == place), None)
            if chosen is None:
                raise PlanningError("need_unknown_place", place=str(place)[:64])
            return float(chosen["lon"]), float(chosen["lat"]), chosen["key"]
        try:
            lon, lat = float(lon), float(lat)
        except (TypeError, ValueError):
            raise PlanningError("need_no_location") from None
        west, south, east, north = json.loads(survey.bounds)
        m = BOUNDS_MARGIN_DEG
        if not (west - m <= lon <= east + m and south - m <= lat <= north + m):
            raise PlanningError("need_outside_area", lon=f"{lon:.5f}", lat=f"{lat:.5f}", area=survey.area_name)
        return lon, lat, None

    @staticmethod
    def _answer_for(conn: Connection, survey: Any, canonical: str) -> Any:
        code_hash = codes_mod.hash_code(canonical, survey.code_salt)
        row = conn.execute(select(db.survey_answers).where(db.survey_answers.c.survey_id == survey.id)
                           .where(db.survey_answers.c.followup_hash == code_hash)).first()
        if row is None:
            raise PlanningError("followup_code_unknown")
        return row

    @staticmethod
    def _needs(conn: Connection, survey_id: int) -> list[StatedNeed]:
        rows = conn.execute(select(db.survey_answers).where(db.survey_answers.c.survey_id == survey_id)
                            .order_by(db.survey_answers.c.created_at, db.survey_answers.c.id)).all()
        return [_need(r) for r in rows]

    def _survey_info(self, conn: Connection, row: Any) -> SurveyInfo:
        codes = db.survey_codes
        issued, used = conn.execute(select(func.count(), func.count().filter(codes.c.used.is_(True)))
                                    .where(codes.c.survey_id == row.id)).one()
        answers = db.survey_answers
        n_answers, n_followups = conn.execute(select(func.count(), func.count(answers.c.followup))
                                              .where(answers.c.survey_id == row.id)).one()
        return SurveyInfo(
            id=row.id, title=row.title, area_key=row.area_key, area_name=row.area_name,
            need_types=json.loads(row.need_types), mode=row.mode, per_minute=row.per_minute, state=row.state,
            ask_age=bool(row.ask_age), ask_car=bool(row.ask_car), opens_at=_utc(row.opens_at),
            closes_at=_utc(row.closes_at), base_url=row.base_url,
            places=[Place(**p) for p in json.loads(row.places)], bounds=tuple(json.loads(row.bounds)),
            outline=json.loads(row.outline or "{}"),
            codes_issued=int(issued), codes_used=int(used), answers=int(n_answers), followups=int(n_followups),
        )


def _need(row: Any) -> StatedNeed:
    return StatedNeed(id=row.id, need_type=row.need_type, lon=float(row.lon), lat=float(row.lat), place=row.place,
                      text=row.text, age_group=row.age_group, has_car=row.has_car, followup=row.followup,
                      followup_text=row.followup_text)


def _utc(moment: datetime | None) -> datetime | None:
    """Aware UTC (SQLite hands back naive datetimes, which are UTC here)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def need_rows(needs: Sequence[StatedNeed]) -> list[Mapping[str, Any]]:
    """Answers as plain rows (for a GeoDataFrame: ``lon``/``lat`` in WGS84)."""
    return [{"id": n.id, "need": n.need_type, "lon": n.lon, "lat": n.lat, "place": n.place, "text": n.text,
             "age_group": n.age_group, "has_car": n.has_car, "followup": n.followup} for n in needs]
