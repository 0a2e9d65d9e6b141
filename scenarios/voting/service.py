"""The voting service: poll life cycle, ballot codes, casting, comments, ratings, results.

Every public method is one database transaction; a refusal raises :class:`PlanningError`
before commit, so nothing is stored. Organiser actions take the organiser secret; residents
need only a ballot code. The UI and the CLI both call this class.

Life cycle (议事会 practice)::

    draft → hearing (民情恳谈/听证) → voting → closed → published (公示) → evaluated (成效评议)

``draft → voting`` is also allowed, for meetings that held the hearing elsewhere.
"""
from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.engine import Connection

from planning.base.errors import PlanningError
from scenarios.scenario import load_scenario
from scenarios.voting import codes as codes_mod
from scenarios.voting import db
from scenarios.voting.ballots import ballots_digest, canonical_json, validate_ballot
from scenarios.voting.organiser import SCRYPT_N, check_secret, hash_secret
from scenarios.voting.outcome import irv_lines, outcome_lines
from scenarios.voting.tally import METHODS, TallyResult, tally

STATES = ("draft", "hearing", "voting", "closed", "published", "evaluated")
STATE_ZH = {
    "draft": "草案", "hearing": "听证", "voting": "投票", "closed": "投票结束",
    "published": "公示", "evaluated": "成效评议",
}
TRANSITIONS = {
    "draft": ("hearing", "voting"),
    "hearing": ("voting",),
    "voting": ("closed",),
    "closed": ("published",),
    "published": ("evaluated",),
    "evaluated": (),
}
ELECTORATES = {"residents": "全体居民", "representatives": "居民代表"}
MAX_CODES = 100_000
MAX_COMMENT_CHARS = 2000
_ACTION_ZH = {"vote": "投票", "comment": "提交意见", "rate": "评价", "generate codes": "生成选票码"}


@dataclass(frozen=True)
class PollOption:
    """One scenario offered in a poll."""

    key: str
    title: str
    scenario_file: str
    scenario_digest: str


@dataclass(frozen=True)
class PollInfo:
    """A poll's settings, stage and counts (no ballots, no codes)."""

    id: int
    title: str
    method: str
    electorate: str
    quorum: int | None
    state: str
    options: list[PollOption]
    codes_issued: int
    codes_used: int
    ballots: int


@dataclass(frozen=True)
class PollResult:
    """The count of a closed poll with quorum, and the receipts that let voters check it."""

    poll: PollInfo
    tally: TallyResult
    quorum_met: bool | None
    entries: list[dict[str, Any]]
    ballots_digest: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result, as published (公示): on a tie ``tally.winner`` is None and the outcome says so."""
        counted = self.tally.to_dict()
        return {
            "poll_id": self.poll.id,
            "title": self.poll.title,
            "electorate": self.poll.electorate,
            "quorum": self.poll.quorum,
            "quorum_met": self.quorum_met,
            "options": [vars(o) for o in self.poll.options],
            "tally": counted,
            "outcome": {lang: outcome_lines(counted, lang, self._name) + irv_lines(counted, lang, self._name)
                        for lang in ("zh", "en")},
            "ballots": self.entries,
            "ballots_digest": self.ballots_digest,
        }

    def _name(self, key: str) -> str:
        return next(f"{o.key} {o.title}" for o in self.poll.options if o.key == key)


class VotingService:
    """Polls and ballots stored through SQLAlchemy (SQLite or PostgreSQL).

    Parameters
    ----------
    engine
        An engine from :func:`scenarios.voting.db.connect` (schema already migrated).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def connect(cls, url: str | None = None) -> VotingService:
        """Open (and migrate) the database named by ``url`` / ``DATABASE_URL`` / ``PLANNING_DB``."""
        return cls(db.connect(url))

    # organiser ---------------------------------------------------------------

    def is_set_up(self) -> bool:
        """Whether an organiser secret has been stored."""
        with self.engine.connect() as conn:
            return conn.execute(select(db.organiser.c.id)).first() is not None

    def setup_organiser(self, secret: str) -> None:
        """Store the organiser secret (scrypt hash) once; refuse a second setup."""
        salt, digest = hash_secret(secret)
        with self.engine.begin() as conn:
            if conn.execute(select(db.organiser.c.id)).first() is not None:
                raise PlanningError("organiser_already_set_up")
            conn.execute(insert(db.organiser).values(id=1, salt=salt, secret_hash=digest, scrypt_n=SCRYPT_N))

    def create_poll(
        self,
        secret: str,
        title: str,
        scenario_files: Sequence[str | Path],
        method: str,
        electorate: str = "residents",
        quorum: int | None = None,
    ) -> int:
        """Create a draft poll offering the scenarios (checked for tampering); return its id.

        Options are keyed ``A``, ``B``, ``C`` … in the order given.
        """
        if method not in METHODS:
            raise PlanningError("poll_bad_method", method=method, choices=", ".join(METHODS))
        if electorate not in ELECTORATES:
            raise PlanningError("poll_bad_electorate", electorate=electorate, choices=", ".join(ELECTORATES))
        if quorum is not None and (isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1):
            raise PlanningError("poll_bad_quorum", quorum=quorum)
        if len(scenario_files) < 2:
            raise PlanningError("poll_too_few_options", count=len(scenario_files))
        scenarios = [(Path(p), load_scenario(p)) for p in scenario_files]
        with self.engine.begin() as conn:
            self._authorise(conn, secret)
            poll_id = conn.execute(
                insert(db.polls).values(
                    title=title, method=method, electorate=electorate, quorum=quorum, state="draft",
                    code_salt=codes_mod.new_salt(), created_at=db.now(),
                )
            ).inserted_primary_key[0]
            conn.execute(
                insert(db.poll_options),
                [
                    {"poll_id": poll_id, "key": key, "position": i, "title": s.name,
                     "scenario_file": path.name, "scenario_digest": s.digest}
                    for i, (key, (path, s)) in enumerate(zip(string.ascii_uppercase, scenarios))
                ],
            )
        return int(poll_id)

    def generate_codes(self, secret: str, poll_id: int, count: int) -> list[str]:
        """Issue ``count`` one-time ballot codes; only their salted hashes are stored.

        The codes are returned once, for printing (:func:`scenarios.voting.slips.write_slips`).
        """
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_CODES:
            raise PlanningError("codes_bad_count", count=count, maximum=MAX_CODES)
        with self.engine.begin() as conn:
            self._authorise(conn, secret)
            poll = self._poll_row(conn, poll_id)
            self._require_state(poll, ("draft", "hearing", "voting"), "generate codes")
            issued = [codes_mod.new_ballot_code() for _ in range(count)]
            conn.execute(
                insert(db.ballot_codes),
                [{"poll_id": poll_id, "code_hash": codes_mod.hash_code(c, poll.code_salt), "used": False} for c in issued],
            )
        return issued

    def start_hearing(self, secret: str, poll_id: int) -> None:
        """draft → hearing: residents read the scenarios and leave comments."""
        self._advance(secret, poll_id, "hearing")

    def open_voting(self, secret: str, poll_id: int) -> None:
        """draft/hearing → voting."""
        self._advance(secret, poll_id, "voting")

    def close(self, secret: str, poll_id: int) -> None:
        """voting → closed: no more ballots."""
        self._advance(secret, poll_id, "closed")

    def publish(self, secret: str, poll_id: int) -> PollResult:
        """closed → published (公示): store the result, receipts and ballots digest."""
        with self.engine.begin() as conn:
            self._authorise(conn, secret)
            self._transition(conn, poll_id, "published")
            result = self._result(conn, poll_id)
            conn.execute(
                update(db.polls).where(db.polls.c.id == poll_id).values(
                    result_json=canonical_json(result.to_dict()), ballots_digest=result.ballots_digest
                )
            )
        return result

    def start_evaluation(self, secret: str, poll_id: int) -> None:
        """published → evaluated (成效评议): the facility has opened; residents rate it."""
        self._advance(secret, poll_id, "evaluated")

    # residents ---------------------------------------------------------------

    def cast_ballot(self, poll_id: int, code: str, ballot: Mapping[str, Any]) -> str:
        """Cast one ballot with a one-time code; return the receipt once it is committed.

        Marking the code used and storing the ballot happen in one transaction; the
        conditional ``UPDATE … WHERE used = false`` lets exactly one use of a code win.
        """
        canonical_code = codes_mod.normalise_code(code)  # typos refused before any lookup
        with self.engine.begin() as conn:
            # FOR SHARE (PostgreSQL) keeps "close" from committing between this check and the insert
            poll = conn.execute(
                select(db.polls).where(db.polls.c.id == poll_id).with_for_update(read=True)
            ).first()
            if poll is None:
                raise PlanningError("poll_not_found", poll_id=poll_id)
            self._require_state(poll, ("voting",), "vote")
            content = validate_ballot(poll.method, self._option_keys(conn, poll_id), ballot)
            code_hash = codes_mod.hash_code(canonical_code, poll.code_salt)
            marked = conn.execute(
                update(db.ballot_codes)
                .where(db.ballot_codes.c.poll_id == poll_id)
                .where(db.ballot_codes.c.code_hash == code_hash)
                .where(db.ballot_codes.c.used.is_(False))
                .values(used=True)
            ).rowcount
            if marked != 1:
                known = conn.execute(
                    select(db.ballot_codes.c.id).where(db.ballot_codes.c.poll_id == poll_id)
                    .where(db.ballot_codes.c.code_hash == code_hash)
                ).first()
                raise PlanningError("code_used" if known else "code_unknown")
            receipt = codes_mod.new_receipt()
            conn.execute(insert(db.ballots).values(poll_id=poll_id, receipt=receipt, content=canonical_json(content)))
        return receipt

    def add_comment(self, poll_id: int, text: str, option_key: str | None = None) -> int:
        """Store a hearing comment or suggestion, optionally about one option."""
        text = text.strip()
        if not text:
            raise PlanningError("comment_empty")
        if len(text) > MAX_COMMENT_CHARS:
            raise PlanningError("comment_too_long", maximum=MAX_COMMENT_CHARS)
        with self.engine.begin() as conn:
            poll = self._poll_row(conn, poll_id)
            self._require_state(poll, ("hearing",), "comment")
            if option_key is not None:
                keys = self._option_keys(conn, poll_id)
                if option_key not in keys:
                    raise PlanningError("ballot_unknown_option", option=option_key, choices=", ".join(keys))
            new_id = conn.execute(
                insert(db.comments).values(poll_id=poll_id, option_key=option_key, text=text, created_at=db.now())
            ).inserted_primary_key[0]
        return int(new_id)

    def comments(self, poll_id: int) -> list[dict[str, Any]]:
        """All hearing comments of a poll, oldest first."""
        with self.engine.connect() as conn:
            self._poll_row(conn, poll_id)
            rows = conn.execute(
                select(db.comments.c.option_key, db.comments.c.text, db.comments.c.created_at)
                .where(db.comments.c.poll_id == poll_id).order_by(db.comments.c.id)
            )
            return [dict(r._mapping) for r in rows]

    def rate(self, poll_id: int, stars: int, comment: str = "") -> None:
        """Store a 1–5 rating of the built facility (成效评议)."""
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise PlanningError("rating_bad_stars", stars=stars)
        if len(comment) > MAX_COMMENT_CHARS:
            raise PlanningError("comment_too_long", maximum=MAX_COMMENT_CHARS)
        with self.engine.begin() as conn:
            poll = self._poll_row(conn, poll_id)
            self._require_state(poll, ("evaluated",), "rate")
            conn.execute(insert(db.ratings).values(poll_id=poll_id, stars=stars, comment=comment.strip(), created_at=db.now()))

    def ratings_summary(self, poll_id: int) -> dict[str, Any]:
        """Count, mean stars, stars → count, and the comments of the evaluation."""
        with self.engine.connect() as conn:
            self._poll_row(conn, poll_id)
            rows = conn.execute(
                select(db.ratings.c.stars, db.ratings.c.comment).where(db.ratings.c.poll_id == poll_id)
            ).all()
        stars = [r.stars for r in rows]
        return {
            "count": len(stars),
            "mean": sum(stars) / len(stars) if stars else None,
            "distribution": {s: stars.count(s) for s in range(1, 6)},
            "comments": [r.comment for r in rows if r.comment],
        }

    # results -----------------------------------------------------------------

    def poll(self, poll_id: int) -> PollInfo:
        """Settings, stage and counts of a poll."""
        with self.engine.connect() as conn:
            return self._info(conn, self._poll_row(conn, poll_id))

    def result(self, poll_id: int) -> PollResult:
        """Count the stored ballots of a closed (or later) poll."""
        with self.engine.connect() as conn:
            return self._result(conn, poll_id)

    def published_result(self, poll_id: int) -> dict[str, Any]:
        """The result exactly as published (公示)."""
        with self.engine.connect() as conn:
            poll = self._poll_row(conn, poll_id)
        if poll.result_json is None:
            raise PlanningError("result_not_published", poll_id=poll_id)
        return json.loads(poll.result_json)

    # internals ---------------------------------------------------------------

    def _authorise(self, conn: Connection, secret: str | None) -> None:
        row = conn.execute(select(db.organiser)).first()
        if row is None:
            raise PlanningError("organiser_not_set_up")
        check_secret(secret, row.salt, row.secret_hash, row.scrypt_n)

    def _advance(self, secret: str, poll_id: int, target: str) -> None:
        with self.engine.begin() as conn:
            self._authorise(conn, secret)
            self._transition(conn, poll_id, target)

    def _transition(self, conn: Connection, poll_id: int, target: str) -> None:
        poll = self._poll_row(conn, poll_id)
        if target not in TRANSITIONS[poll.state]:
            raise PlanningError(
                "poll_bad_transition", state=poll.state, state_zh=STATE_ZH[poll.state],
                target=target, target_zh=STATE_ZH[target],
            )
        moved = conn.execute(
            update(db.polls).where(db.polls.c.id == poll_id).where(db.polls.c.state == poll.state).values(state=target)
        ).rowcount
        if moved != 1:  # another organiser moved it first
            raise PlanningError(
                "poll_bad_transition", state=poll.state, state_zh=STATE_ZH[poll.state],
                target=target, target_zh=STATE_ZH[target],
            )
        conn.execute(insert(db.poll_events).values(poll_id=poll_id, from_state=poll.state, to_state=target, at=db.now()))

    def _result(self, conn: Connection, poll_id: int) -> PollResult:
        poll = self._poll_row(conn, poll_id)
        if STATES.index(poll.state) < STATES.index("closed"):
            raise PlanningError("tally_not_available", state=poll.state, state_zh=STATE_ZH[poll.state])
        rows = conn.execute(
            select(db.ballots.c.receipt, db.ballots.c.content).where(db.ballots.c.poll_id == poll_id)
            .order_by(db.ballots.c.receipt)
        ).all()
        entries = [{"receipt": r.receipt, "ballot": json.loads(r.content)} for r in rows]
        info = self._info(conn, poll)
        digest = ballots_digest(entries)  # published, so it seeds the IRV lot anyone can redraw
        counted = tally(poll.method, [o.key for o in info.options], [e["ballot"] for e in entries], seed=digest)
        return PollResult(
            poll=info,
            tally=counted,
            quorum_met=None if poll.quorum is None else len(entries) >= poll.quorum,
            entries=entries,
            ballots_digest=digest,
        )

    def _info(self, conn: Connection, poll: Any) -> PollInfo:
        options = [
            PollOption(r.key, r.title, r.scenario_file, r.scenario_digest)
            for r in conn.execute(
                select(db.poll_options).where(db.poll_options.c.poll_id == poll.id).order_by(db.poll_options.c.position)
            )
        ]
        issued, used = conn.execute(
            select(func.count(), func.count().filter(db.ballot_codes.c.used.is_(True)))
            .where(db.ballot_codes.c.poll_id == poll.id)
        ).one()
        n_ballots = conn.execute(select(func.count()).where(db.ballots.c.poll_id == poll.id)).scalar_one()
        return PollInfo(
            id=poll.id, title=poll.title, method=poll.method, electorate=poll.electorate, quorum=poll.quorum,
            state=poll.state, options=options, codes_issued=issued, codes_used=used, ballots=n_ballots,
        )

    @staticmethod
    def _poll_row(conn: Connection, poll_id: int) -> Any:
        row = conn.execute(select(db.polls).where(db.polls.c.id == poll_id)).first()
        if row is None:
            raise PlanningError("poll_not_found", poll_id=poll_id)
        return row

    @staticmethod
    def _option_keys(conn: Connection, poll_id: int) -> list[str]:
        return list(
            conn.execute(
                select(db.poll_options.c.key).where(db.poll_options.c.poll_id == poll_id).order_by(db.poll_options.c.position)
            ).scalars()
        )

    @staticmethod
    def _require_state(poll: Any, allowed: tuple[str, ...], action: str) -> None:
        if poll.state not in allowed:
            raise PlanningError(
                "poll_wrong_state", state=poll.state, state_zh=STATE_ZH[poll.state], action=action,
                action_zh=_ACTION_ZH[action], needed=" / ".join(allowed),
                needed_zh=" / ".join(STATE_ZH[s] for s in allowed),
            )
