"""The voting service: organiser, poll life cycle, ballot codes, the ballot chain, comments, ratings, results.

Every public method is one database transaction; a refusal raises :class:`PlanningError`
before commit, so nothing is stored, and a database fault (disk full, read-only database,
lost connection) comes out as a :class:`PlanningError` in Chinese and English with nothing
half-written. Organiser actions take the organiser secret and are logged with their time (the
log is published with the result); residents need only a ballot code. The UI and the CLI both
call this class.

Life cycle (议事会 practice)::

    draft → hearing (民情恳谈/听证) → voting → closed → published (公示) → evaluated (成效评议)

``draft → voting`` is also allowed, for meetings that held the hearing elsewhere. Codes are
issued before voting opens; a batch issued later needs a stated reason and is published as late.

A poll is sealed when it is created (its settings and the digest of each scenario file, see
:mod:`scenarios.voting.chain`); each ballot is appended to a hash chain starting from that seal,
and its receipt carries its position and the chain value. Counting refuses a chain that does not
verify, a count of ballots that differs from the codes used, a head that differs from the one
recorded at closing or published, and a scenario file that differs from its sealed digest.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection

from planning.base import paths
from planning.base.errors import PlanningError
from scenarios.voting import chain
from scenarios.voting import codes as codes_mod
from scenarios.voting import db
from scenarios.voting.ballots import ballots_digest, canonical_json, validate_ballot
from scenarios.voting.links import check_base_url
from scenarios.voting.organiser import SCRYPT_N, check_secret, hash_secret
from scenarios.voting.rules import (
    ELECTORATES,
    MAX_CODES,
    MAX_COMMENT_CHARS,
    MAX_LABEL_CHARS,
    MAX_REASON_CHARS,
    MAX_TITLE_CHARS,
    METHODS,
    STATE_ZH,
    STATES,
    TRANSITIONS,
)
from scenarios.voting.text import clean_text

RESULT_FORMAT = "shenghuoquan-poll-result/2"
_ACTION_ZH = {"vote": "投票", "comment": "提交意见", "rate": "评价", "generate codes": "生成选票码"}
_TRANSITION_ACTION = {"hearing": "hearing", "voting": "open", "closed": "close", "published": "publish",
                      "evaluated": "evaluate"}
_BASE_URL_SETTING = "base_url"


@dataclass(frozen=True)
class PollOption:
    """One scenario offered in a poll, with the digest sealed at creation."""

    key: str
    title: str
    scenario_file: str
    scenario_digest: str


@dataclass(frozen=True)
class CodeBatch:
    """One batch of ballot codes (a booth, a printing): how many were issued and used."""

    batch: int
    label: str
    issued: int
    used: int
    late: bool
    reason: str
    at: datetime | None


@dataclass(frozen=True)
class PollInfo:
    """A poll's settings, stage, counts and chain head (no ballots, no codes)."""

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
    publish_receipts: bool = True
    publish_comments: bool = False
    base_url: str | None = None
    seal: str | None = None
    chain_head: str | None = None
    chain_length: int = 0
    batches: list[CodeBatch] = field(default_factory=list)


@dataclass(frozen=True)
class Receipt:
    """What a voter is given once the ballot is stored: its position in the chain and the chain value.

    ``receipt`` is the receipt code; ``published`` says whether the result lists it beside the
    ballot (a poll may publish ballots without receipts, so that no one can prove their vote).
    """

    receipt: str
    position: int
    chain_value: str
    published: bool


@dataclass(frozen=True)
class PollResult:
    """The count of a closed poll whose chain verifies, and what is published with it."""

    poll: PollInfo
    tally: Any  # scenarios.voting.tally.TallyResult
    quorum_met: bool | None
    entries: list[dict[str, Any]]  # chain order: position, receipt, nonce, ballot, commitment, value
    ballots_digest: str
    log: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] | None = None

    def published_ballots(self) -> list[dict[str, Any]]:
        """Ballots as published: with position, receipt and nonce, or alone in canonical order."""
        if self.poll.publish_receipts:
            return [{k: e[k] for k in ("position", "receipt", "nonce", "ballot")} for e in self.entries]
        return sorted(({"ballot": e["ballot"]} for e in self.entries), key=lambda e: canonical_json(e["ballot"]))

    def to_dict(self) -> dict[str, Any]:
        """The result as published (公示), without its signature: on a tie ``tally.winner`` is None and the outcome says so."""
        from scenarios.voting.outcome import published_outcome

        counted = self.tally.to_dict()
        options = [vars(o) for o in self.poll.options]
        out = {
            "format": RESULT_FORMAT,
            "poll_id": self.poll.id,
            "title": self.poll.title,
            "method": self.poll.method,
            "electorate": self.poll.electorate,
            "quorum": self.poll.quorum,
            "quorum_met": self.quorum_met,
            "options": options,
            "settings": _seal_settings(self.poll),
            "seal": self.poll.seal,
            "codes": {"issued": self.poll.codes_issued, "used": self.poll.codes_used,
                      "batches": [_batch_dict(b) for b in self.poll.batches]},
            "tally": counted,
            "outcome": published_outcome(counted, options),
            "ballots": self.published_ballots(),
            "ballots_digest": self.ballots_digest,
            "chain": {
                "genesis": chain.genesis(self.poll.seal),
                "length": len(self.entries),
                "head": self.entries[-1]["value"] if self.entries else chain.genesis(self.poll.seal),
                "entries": [{"position": e["position"], "commitment": e["commitment"], "value": e["value"]}
                            for e in self.entries],
            },
            "log": self.log,
        }
        if self.comments is not None:
            out["comments"] = self.comments
        return out


class VotingService:
    """Polls and ballots stored through SQLAlchemy (SQLite or PostgreSQL).

    Parameters
    ----------
    engine
        An engine from :func:`scenarios.voting.db.connect` (schema already migrated).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._after_fault = False

    @classmethod
    def connect(cls, url: str | None = None) -> VotingService:
        """Open (and migrate) the database named by ``url`` / ``DATABASE_URL`` / ``PLANNING_DB``."""
        return cls(db.connect(url))

    # organiser ---------------------------------------------------------------

    def is_set_up(self) -> bool:
        """Whether an organiser secret has been stored."""
        with self._read() as conn:
            return conn.execute(select(db.organiser.c.id)).first() is not None

    def setup_organiser(self, secret: str) -> str:
        """Store the organiser secret (scrypt hash) and a new signing key, once; return the key's fingerprint.

        Only the command line calls this (``planning poll setup``); the app sets the secret with a
        one-time token printed by the server (:meth:`setup_with_token`).
        """
        with self._write() as conn:
            return self._store_organiser(conn, secret, "cli")

    def issue_setup_token(self) -> str | None:
        """A new one-time setup token while no secret is set (the previous token stops working), else None.

        The app's server prints it on its console at start; whoever reads it there may set the secret.
        """
        with self._write() as conn:
            if conn.execute(select(db.organiser.c.id)).first() is not None:
                return None
            token = codes_mod.new_setup_token()
            conn.execute(delete(db.setup_token))
            conn.execute(insert(db.setup_token).values(id=1, token_hash=_token_hash(token), created_at=db.now()))
        return token

    def setup_with_token(self, token: str, secret: str) -> str:
        """Set the organiser secret with the server's one-time token; return the signing key's fingerprint."""
        with self._write() as conn:
            row = conn.execute(select(db.setup_token)).first()
            if conn.execute(select(db.organiser.c.id)).first() is not None:
                raise PlanningError("organiser_already_set_up")
            if row is None:
                raise PlanningError("setup_token_missing")
            given = _token_hash(str(token).strip().upper().replace(" ", ""))
            if not hmac.compare_digest(given, row.token_hash):
                raise PlanningError("setup_token_wrong")
            conn.execute(delete(db.setup_token))
            return self._store_organiser(conn, secret, "token")

    def rotate_secret(self, old_secret: str, new_secret: str) -> str:
        """Replace the organiser secret (``planning poll setup --rotate``); the signing key stays the same."""
        from scenarios.voting import signing

        with self._write() as conn:
            row = self._authorise(conn, old_secret)
            salt, digest = hash_secret(new_secret)
            locked = signing.relock(_locked_key(row), old_secret, new_secret)
            conn.execute(update(db.organiser).where(db.organiser.c.id == row.id).values(
                salt=salt, secret_hash=digest, scrypt_n=SCRYPT_N, key_salt=locked.salt, key_nonce=locked.nonce,
                key_sealed=locked.sealed))
            self._log(conn, None, "rotate", {"fingerprint": signing.fingerprint(locked.public_key)})
            return signing.fingerprint(locked.public_key)

    def check_organiser(self, secret: str | None) -> None:
        """Refuse (``organiser_secret_wrong`` …) unless ``secret`` is the organiser's: the organiser page's door."""
        with self._read() as conn:
            self._check(conn, secret)

    def organiser_public_key(self) -> str | None:
        """The organiser's Ed25519 public key in hex (printed on the slips), or None before setup."""
        with self._read() as conn:
            row = conn.execute(select(db.organiser.c.public_key)).first()
        return None if row is None else row.public_key

    def default_base_url(self) -> str | None:
        """The voting site's address remembered from the last poll set up (for the QR codes), or None."""
        with self._read() as conn:
            return conn.execute(select(db.app_settings.c.value)
                                .where(db.app_settings.c.key == _BASE_URL_SETTING)).scalar()

    def set_base_url(self, secret: str, poll_id: int, base_url: str) -> str:
        """Keep ``base_url`` as the poll's QR address (and the default for new polls); logged."""
        url = check_base_url(base_url)
        with self._write() as conn:
            self._authorise(conn, secret)
            self._poll_row(conn, poll_id)
            conn.execute(update(db.polls).where(db.polls.c.id == poll_id).values(base_url=url))
            self._remember_base_url(conn, url)
            self._log(conn, poll_id, "base_url", {"url": url})
        return url

    # polls -------------------------------------------------------------------

    def create_poll(
        self,
        secret: str,
        title: str,
        scenario_files: Sequence[str | Path],
        method: str,
        electorate: str = "residents",
        quorum: int | None = None,
        *,
        publish_receipts: bool = True,
        publish_comments: bool = False,
        base_url: str | None = None,
    ) -> int:
        """Create a draft poll offering the scenarios (checked for tampering) and seal it; return its id.

        Options are keyed ``A``, ``B``, ``C`` … in the order given. The seal covers the settings
        and each scenario's digest; the scenario content is kept so the result archive carries it.
        """
        from scenarios.scenario import load_scenario

        title = clean_text(title, "poll_title_too_long", MAX_TITLE_CHARS, empty="poll_title_empty")
        if method not in METHODS:
            raise PlanningError("poll_bad_method", method=method, choices=", ".join(METHODS))
        if electorate not in ELECTORATES:
            raise PlanningError("poll_bad_electorate", electorate=electorate, choices=", ".join(ELECTORATES))
        if quorum is not None and (isinstance(quorum, bool) or not isinstance(quorum, int) or quorum < 1):
            raise PlanningError("poll_bad_quorum", quorum=quorum)
        if len(scenario_files) < 2:
            raise PlanningError("poll_too_few_options", count=len(scenario_files))
        if len(scenario_files) > len(string.ascii_uppercase):
            raise PlanningError("poll_too_many_options", count=len(scenario_files), maximum=len(string.ascii_uppercase))
        url = None if base_url is None else check_base_url(base_url)
        loaded = [(Path(p).resolve(), load_scenario(p)) for p in scenario_files]
        options = [
            {"key": key, "position": i, "title": clean_text(s.name, "option_title_too_long", MAX_TITLE_CHARS),
             "scenario_file": path.name, "scenario_digest": s.digest, "scenario_path": str(path),
             "scenario_content": canonical_json(s.model_dump(mode="json"))}
            for i, (key, (path, s)) in enumerate(zip(string.ascii_uppercase, loaded))
        ]
        with self._write() as conn:
            self._authorise(conn, secret)
            if url is None:
                url = conn.execute(select(db.app_settings.c.value)
                                   .where(db.app_settings.c.key == _BASE_URL_SETTING)).scalar()
            else:
                self._remember_base_url(conn, url)
            poll_id = conn.execute(
                insert(db.polls).values(
                    title=title, method=method, electorate=electorate, quorum=quorum, state="draft",
                    code_salt=codes_mod.new_salt(), created_at=db.now(), publish_receipts=bool(publish_receipts),
                    publish_comments=bool(publish_comments), base_url=url, chain_length=0,
                )
            ).inserted_primary_key[0]
            conn.execute(insert(db.poll_options), [{"poll_id": poll_id, **o} for o in options])
            settings = chain.seal_settings(
                poll_id=poll_id, title=title, method=method, electorate=electorate, quorum=quorum,
                publish_receipts=publish_receipts, publish_comments=publish_comments, options=options)
            poll_seal = chain.seal(settings)
            conn.execute(update(db.polls).where(db.polls.c.id == poll_id).values(
                seal=poll_seal, chain_head=chain.genesis(poll_seal)))
            self._log(conn, poll_id, "create", {"title": title, "method": method, "seal": poll_seal,
                                                "options": [{k: o[k] for k in ("key", "title", "scenario_digest")}
                                                            for o in options],
                                                "publish_receipts": bool(publish_receipts),
                                                "publish_comments": bool(publish_comments), "base_url": url})
        return int(poll_id)

    def generate_codes(self, secret: str, poll_id: int, count: int, label: str = "",
                       late_reason: str | None = None) -> list[str]:
        """Issue a batch of ``count`` one-time ballot codes; only their salted hashes are stored.

        Codes are issued before voting opens. Once it is open a batch needs ``late_reason`` and
        is published as late, with its size and reason. The codes are returned once, for
        printing (:func:`scenarios.voting.slips.write_slips`); they are stored in another, random
        order with random ids, so the database does not keep the printing order.
        """
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_CODES:
            raise PlanningError("codes_bad_count", count=count, maximum=MAX_CODES)
        label = clean_text(label, "batch_label_too_long", MAX_LABEL_CHARS)
        reason = clean_text(late_reason or "", "late_reason_too_long", MAX_REASON_CHARS)
        with self._write() as conn:
            self._authorise(conn, secret)
            poll = self._poll_row(conn, poll_id, lock=True)
            self._require_state(poll, ("draft", "hearing", "voting"), "generate codes")
            late = poll.state == "voting"
            if late and not reason:
                raise PlanningError("codes_after_opening")
            batch = (conn.execute(select(func.max(db.code_batches.c.batch))
                                  .where(db.code_batches.c.poll_id == poll_id)).scalar() or 0) + 1
            issued = [codes_mod.new_ballot_code() for _ in range(count)]
            stored = list(issued)
            secrets.SystemRandom().shuffle(stored)
            conn.execute(insert(db.ballot_codes), [
                {"id": db.random_id(), "poll_id": poll_id, "code_hash": codes_mod.hash_code(c, poll.code_salt),
                 "used": False, "batch": batch} for c in stored])
            conn.execute(insert(db.code_batches).values(poll_id=poll_id, batch=batch, label=label, issued=count,
                                                        late=late, reason=reason if late else "", at=db.now()))
            self._log(conn, poll_id, "codes", {"batch": batch, "count": count, "label": label, "late": late,
                                               "reason": reason if late else ""})
        return issued

    def start_hearing(self, secret: str, poll_id: int) -> None:
        """draft → hearing: residents read the scenarios and leave comments."""
        self._advance(secret, poll_id, "hearing")

    def open_voting(self, secret: str, poll_id: int) -> None:
        """draft/hearing → voting."""
        self._advance(secret, poll_id, "voting")

    def close(self, secret: str, poll_id: int) -> PollInfo:
        """voting → closed: no more ballots; the chain head at closing is logged (and printed by the CLI)."""
        self._advance(secret, poll_id, "closed")
        self._vacuum()
        return self.poll(poll_id)

    def publish(self, secret: str, poll_id: int) -> PollResult:
        """closed → published (公示): check the chain, count, and store the result signed with the organiser's key."""
        from scenarios.voting import signing

        with self._write() as conn:
            row = self._authorise(conn, secret)
            poll = self._poll_row(conn, poll_id, lock=True)
            self._check_transition(poll, "published")
            counted = self._result(conn, poll)  # refuses a broken chain before anything changes
            self._log(conn, poll_id, "publish", {"chain_head": counted.entries[-1]["value"] if counted.entries
                                                 else poll.chain_head, "ballots": len(counted.entries),
                                                 "ballots_digest": counted.ballots_digest})
            self._transition(conn, poll, "published")
            result = PollResult(counted.poll, counted.tally, counted.quorum_met, counted.entries, counted.ballots_digest,
                                self._log_entries(conn, poll_id), counted.comments)
            payload = result.to_dict()
            locked = _locked_key(row)
            payload["signature"] = {
                "algorithm": signing.ALGORITHM, "public_key": locked.public_key,
                "fingerprint": signing.fingerprint(locked.public_key),
                "value": signing.sign(signing.unlock(locked, secret), signing.signed_bytes(payload)),
            }
            conn.execute(update(db.polls).where(db.polls.c.id == poll_id).values(
                result_json=canonical_json(payload), ballots_digest=result.ballots_digest))
        return result

    def start_evaluation(self, secret: str, poll_id: int) -> None:
        """published → evaluated (成效评议): the facility has opened; residents rate it."""
        self._advance(secret, poll_id, "evaluated")

    # residents ---------------------------------------------------------------

    def cast_ballot(self, poll_id: int, code: str, ballot: Mapping[str, Any]) -> Receipt:
        """Cast one ballot with a one-time code; return the receipt once it is committed.

        One transaction marks the code used (a conditional update: exactly one use of a code
        wins; the code row keeps no reference to the ballot) and appends the ballot to the chain
        with a random id and a random receipt. On PostgreSQL the poll's used codes are rewritten
        in a random order in the same transaction, so that their ``xmin`` (all equal) and
        ``ctid`` (shuffled) do not tell which code was used with which ballot.
        """
        canonical_code = codes_mod.normalise_code(code)  # typos refused before any lookup
        with self._write() as conn:
            # locked: ballots are appended one at a time, and "close" cannot commit in between
            poll = self._poll_row(conn, poll_id, lock=True)
            self._require_state(poll, ("voting",), "vote")
            content = validate_ballot(poll.method, self._option_keys(conn, poll_id), ballot)
            code_hash = codes_mod.hash_code(canonical_code, poll.code_salt)
            if not self._use_code(conn, poll_id, code_hash):
                known = conn.execute(
                    select(db.ballot_codes.c.id).where(db.ballot_codes.c.poll_id == poll_id)
                    .where(db.ballot_codes.c.code_hash == code_hash)
                ).first()
                raise PlanningError("code_used" if known else "code_unknown")
            position = poll.chain_length + 1
            receipt, nonce = codes_mod.new_receipt(), codes_mod.new_nonce()
            committed = chain.commitment(content, nonce, receipt)
            value = chain.next_value(poll.chain_head, position, committed)
            conn.execute(insert(db.ballots).values(
                id=db.random_id(), poll_id=poll_id, receipt=receipt, content=canonical_json(content), position=position,
                nonce=nonce, commitment=committed, chain_value=value))
            moved = conn.execute(update(db.polls).where(db.polls.c.id == poll_id)
                                 .where(db.polls.c.chain_length == poll.chain_length)
                                 .values(chain_head=value, chain_length=position)).rowcount
            if moved != 1:  # cannot happen while the poll row is locked; never append twice at one position
                raise PlanningError("chain_head_mismatch", poll_id=poll_id)
        return Receipt(receipt, position, value, bool(poll.publish_receipts))

    def add_comment(self, poll_id: int, text: str, option_key: str | None = None) -> int:
        """Store a hearing comment or suggestion, optionally about one option."""
        text = clean_text(text, "comment_too_long", MAX_COMMENT_CHARS, multiline=True, empty="comment_empty")
        with self._write() as conn:
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
        """All hearing comments of a poll, oldest first (``option_key``, ``text``, ``created_at``)."""
        with self._read() as conn:
            self._poll_row(conn, poll_id)
            return self._comment_rows(conn, poll_id)

    def rate(self, poll_id: int, stars: int, comment: str = "") -> None:
        """Store a 1–5 rating of the built facility (成效评议)."""
        if isinstance(stars, bool) or not isinstance(stars, int) or not 1 <= stars <= 5:
            raise PlanningError("rating_bad_stars", stars=stars)
        comment = clean_text(comment, "comment_too_long", MAX_COMMENT_CHARS, multiline=True)
        with self._write() as conn:
            poll = self._poll_row(conn, poll_id)
            self._require_state(poll, ("evaluated",), "rate")
            conn.execute(insert(db.ratings).values(poll_id=poll_id, stars=stars, comment=comment, created_at=db.now()))

    def ratings_summary(self, poll_id: int) -> dict[str, Any]:
        """Count, mean stars, stars → count, and the comments of the evaluation."""
        with self._read() as conn:
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
        """Settings, stage, counts, code batches and chain head of a poll."""
        with self._read() as conn:
            return self._info(conn, self._poll_row(conn, poll_id))

    def polls(self) -> list[PollInfo]:
        """Every poll, newest first."""
        with self._read() as conn:
            rows = conn.execute(select(db.polls).order_by(db.polls.c.id.desc())).all()
            return [self._info(conn, row) for row in rows]

    def organiser_log(self, poll_id: int) -> list[dict[str, Any]]:
        """The organiser's actions on this poll and on the organiser secret, oldest first (``at``, ``action``, ``detail``)."""
        with self._read() as conn:
            self._poll_row(conn, poll_id)
            return self._log_entries(conn, poll_id)

    def result(self, poll_id: int) -> PollResult:
        """Count the stored ballots of a closed (or later) poll, after checking the chain and the scenario files."""
        with self._read() as conn:
            poll = self._poll_row(conn, poll_id)
            counted = self._result(conn, poll)
            options = self._option_rows(conn, poll_id)
        for option in options:
            _sealed_scenario(option)
        return counted

    def published_result(self, poll_id: int) -> dict[str, Any]:
        """The result exactly as published (公示), with its signature."""
        with self._read() as conn:
            poll = self._poll_row(conn, poll_id)
        if poll.result_json is None:
            raise PlanningError("result_not_published", poll_id=poll_id)
        return json.loads(poll.result_json)

    def sealed_scenario(self, poll_id: int, key: str):
        """The scenario of option ``key`` as sealed in the poll (a :class:`~scenarios.scenario.Scenario`).

        Read from its file when the file is still there, and refused (``scenario_not_sealed``)
        when that file differs from the digest sealed at creation; the sealed copy otherwise.
        """
        with self._read() as conn:
            self._poll_row(conn, poll_id)
            option = next((o for o in self._option_rows(conn, poll_id) if o.key == key), None)
        if option is None:
            raise PlanningError("ballot_unknown_option", option=key, choices="")
        return _sealed_scenario(option)

    def scenario_contents(self, poll_id: int) -> dict[str, str]:
        """Option key → the sealed scenario as YAML, for the result archive."""
        import yaml

        with self._read() as conn:
            options = self._option_rows(conn, poll_id)
        return {o.key: yaml.safe_dump(_sealed_scenario(o).model_dump(mode="json"), allow_unicode=True, sort_keys=False)
                for o in options}

    def archive(self, poll_id: int) -> bytes:
        """The published result as a ZIP: ``result.json``, two offline HTML pages and the sealed scenarios."""
        from scenarios.voting.archive import build_archive

        return build_archive(self.published_result(poll_id), self.scenario_contents(poll_id))

    # internals ---------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if self._after_fault:
            # connections opened during a fault may keep it (a SQLite file opened read-only, a PostgreSQL
            # session started read-only): after one, every write starts on fresh connections until one commits
            self.engine.dispose()
        with self._faults(), self.engine.begin() as conn:
            yield conn
        self._after_fault = False

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._faults(), db.reading(self.engine) as conn:
            yield conn

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """A database fault as its zh/en error; the pooled connections are dropped, so that the next
        action opens fresh ones once the fault is gone (a SQLite file opened while read-only stays so)."""
        try:
            with db.faults():
                yield
        except PlanningError as err:
            if err.code.startswith("database_"):
                self._after_fault = True
                self.engine.dispose()
            raise

    def _store_organiser(self, conn: Connection, secret: str, via: str) -> str:
        from scenarios.voting import signing

        if conn.execute(select(db.organiser.c.id)).first() is not None:
            raise PlanningError("organiser_already_set_up")
        salt, digest = hash_secret(secret)
        locked = signing.new_key(secret)
        conn.execute(insert(db.organiser).values(
            id=1, salt=salt, secret_hash=digest, scrypt_n=SCRYPT_N, public_key=locked.public_key,
            key_salt=locked.salt, key_nonce=locked.nonce, key_sealed=locked.sealed))
        conn.execute(delete(db.setup_token))
        fingerprint = signing.fingerprint(locked.public_key)
        self._log(conn, None, "setup", {"via": via, "fingerprint": fingerprint})
        return fingerprint

    def _check(self, conn: Connection, secret: str | None) -> Any:
        row = conn.execute(select(db.organiser)).first()
        if row is None:
            raise PlanningError("organiser_not_set_up")
        check_secret(secret, row.salt, row.secret_hash, row.scrypt_n)
        return row

    def _authorise(self, conn: Connection, secret: str | None) -> Any:
        """The organiser row once ``secret`` checks; an organiser set up before signing keys existed gets one now."""
        row = self._check(conn, secret)
        if row.public_key is None:
            from scenarios.voting import signing

            locked = signing.new_key(secret)
            conn.execute(update(db.organiser).where(db.organiser.c.id == row.id).values(
                public_key=locked.public_key, key_salt=locked.salt, key_nonce=locked.nonce, key_sealed=locked.sealed))
            self._log(conn, None, "key_created", {"fingerprint": signing.fingerprint(locked.public_key)})
            row = conn.execute(select(db.organiser)).first()
        return row

    def _remember_base_url(self, conn: Connection, url: str) -> None:
        conn.execute(delete(db.app_settings).where(db.app_settings.c.key == _BASE_URL_SETTING))
        conn.execute(insert(db.app_settings).values(key=_BASE_URL_SETTING, value=url))

    def _log(self, conn: Connection, poll_id: int | None, action: str, detail: Mapping[str, Any]) -> None:
        conn.execute(insert(db.organiser_log).values(poll_id=poll_id, at=db.now(), action=action,
                                                     detail=canonical_json(dict(detail))))

    def _log_entries(self, conn: Connection, poll_id: int) -> list[dict[str, Any]]:
        log = db.organiser_log
        rows = conn.execute(select(log.c.at, log.c.action, log.c.detail, log.c.poll_id)
                            .where((log.c.poll_id == poll_id) | log.c.poll_id.is_(None)).order_by(log.c.id))
        return [{"at": _iso(r.at), "action": r.action, "detail": json.loads(r.detail),
                 "poll": r.poll_id is not None} for r in rows]

    def _comment_rows(self, conn: Connection, poll_id: int) -> list[dict[str, Any]]:
        rows = conn.execute(
            select(db.comments.c.option_key, db.comments.c.text, db.comments.c.created_at)
            .where(db.comments.c.poll_id == poll_id).order_by(db.comments.c.id)
        )
        return [dict(r._mapping) for r in rows]

    def _advance(self, secret: str, poll_id: int, target: str) -> None:
        with self._write() as conn:
            self._authorise(conn, secret)
            poll = self._poll_row(conn, poll_id, lock=True)
            self._check_transition(poll, target)
            detail: dict[str, Any] = {}
            if target == "closed":
                info = self._info(conn, poll)
                detail = {"chain_head": poll.chain_head, "ballots": poll.chain_length,
                          "codes_issued": info.codes_issued, "codes_used": info.codes_used}
            self._log(conn, poll_id, _TRANSITION_ACTION[target], detail)
            self._transition(conn, poll, target)

    @staticmethod
    def _check_transition(poll: Any, target: str) -> None:
        if target not in TRANSITIONS[poll.state]:
            raise PlanningError(
                "poll_bad_transition", state=poll.state, state_zh=STATE_ZH[poll.state],
                target=target, target_zh=STATE_ZH[target],
            )

    def _transition(self, conn: Connection, poll: Any, target: str) -> None:
        self._check_transition(poll, target)
        moved = conn.execute(
            update(db.polls).where(db.polls.c.id == poll.id).where(db.polls.c.state == poll.state).values(state=target)
        ).rowcount
        if moved != 1:  # another organiser moved it first
            raise PlanningError(
                "poll_bad_transition", state=poll.state, state_zh=STATE_ZH[poll.state],
                target=target, target_zh=STATE_ZH[target],
            )
        conn.execute(insert(db.poll_events).values(poll_id=poll.id, from_state=poll.state, to_state=target, at=db.now()))

    def _use_code(self, conn: Connection, poll_id: int, code_hash: str) -> bool:
        """Mark the code used; False when it is unknown or used already."""
        codes = db.ballot_codes
        unused = (codes.c.poll_id == poll_id) & (codes.c.code_hash == code_hash) & codes.c.used.is_(False)
        if conn.dialect.name != "postgresql":
            # SQLite overwrites the row in place: nothing in the file records when a code was used
            return conn.execute(update(codes).where(unused).values(used=True)).rowcount == 1
        taken = conn.execute(delete(codes).where(unused).returning(codes.c.batch)).first()
        if taken is None:
            return False
        earlier = conn.execute(delete(codes).where(codes.c.poll_id == poll_id).where(codes.c.used.is_(True))
                               .returning(codes.c.code_hash, codes.c.batch)).all()
        rows = [{"code_hash": code_hash, "batch": taken.batch}, *({"code_hash": r.code_hash, "batch": r.batch}
                                                                   for r in earlier)]
        secrets.SystemRandom().shuffle(rows)
        conn.execute(insert(codes), [{"id": db.random_id(), "poll_id": poll_id, "used": True, **r} for r in rows])
        return True

    def _vacuum(self) -> None:
        """PostgreSQL: drop the dead row versions the ballots left behind (they carry the old ``xmin``)."""
        if self.engine.dialect.name != "postgresql":
            return
        with db.faults(), self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("ballot_codes", "ballots", "polls"):
                conn.execute(text(f"VACUUM {table}"))

    def _result(self, conn: Connection, poll: Any) -> PollResult:
        from scenarios.voting.tally import tally

        if STATES.index(poll.state) < STATES.index("closed"):
            raise PlanningError("tally_not_available", state=poll.state, state_zh=STATE_ZH[poll.state])
        info = self._info(conn, poll)
        entries = self._checked_entries(conn, poll, info)
        partial = PollResult(info, None, None, entries, "")
        digest = ballots_digest(partial.published_ballots())  # published, so it seeds the IRV lot anyone can redraw
        if poll.result_json is not None:
            published = json.loads(poll.result_json)
            head = entries[-1]["value"] if entries else chain.genesis(poll.seal)
            if published.get("ballots_digest") != digest or published.get("chain", {}).get("head", head) != head:
                raise PlanningError("published_mismatch", poll_id=poll.id)
        counted = tally(poll.method, [o.key for o in info.options], [e["ballot"] for e in entries], seed=digest)
        comments = None
        if poll.publish_comments:
            comments = [{"option": c["option_key"], "text": c["text"], "date": _iso(c["created_at"])[:10]}
                        for c in self._comment_rows(conn, poll.id)]
        return PollResult(
            poll=info,
            tally=counted,
            quorum_met=None if poll.quorum is None else len(entries) >= poll.quorum,
            entries=entries,
            ballots_digest=digest,
            log=self._log_entries(conn, poll.id),
            comments=comments,
        )

    def _checked_entries(self, conn: Connection, poll: Any, info: PollInfo) -> list[dict[str, Any]]:
        """The ballots in chain order once the seal, the chain, the code count and the closing head all agree."""
        if poll.seal != chain.seal(_seal_settings(info)):
            raise PlanningError("poll_seal_mismatch", poll_id=poll.id)
        rows = conn.execute(
            select(db.ballots.c.position, db.ballots.c.receipt, db.ballots.c.nonce, db.ballots.c.content,
                   db.ballots.c.commitment, db.ballots.c.chain_value)
            .where(db.ballots.c.poll_id == poll.id).order_by(db.ballots.c.position)
        ).all()
        entries = []
        for row in rows:
            try:
                ballot = json.loads(row.content)
            except (TypeError, ValueError):
                raise PlanningError("chain_broken", poll_id=poll.id, position=row.position) from None
            entries.append({"position": row.position, "receipt": row.receipt, "nonce": row.nonce, "ballot": ballot,
                            "commitment": row.commitment, "value": row.chain_value})
        checked = chain.check_chain(poll.seal, entries)
        if not checked.ok:
            raise PlanningError("chain_broken", poll_id=poll.id, position=checked.broken_at)
        if checked.head != poll.chain_head or checked.length != poll.chain_length:
            raise PlanningError("chain_head_mismatch", poll_id=poll.id)
        if info.codes_used != len(entries):
            raise PlanningError("ballots_codes_mismatch", poll_id=poll.id, used=info.codes_used, ballots=len(entries))
        closing = [e for e in self._log_entries(conn, poll.id) if e["action"] == "close"]
        if closing and (closing[-1]["detail"].get("chain_head") != checked.head
                        or closing[-1]["detail"].get("ballots") != checked.length):
            raise PlanningError("chain_changed_after_close", poll_id=poll.id,
                                head=chain.short(closing[-1]["detail"].get("chain_head")))
        return entries

    def _info(self, conn: Connection, poll: Any) -> PollInfo:
        options = [PollOption(r.key, r.title, r.scenario_file, r.scenario_digest)
                   for r in self._option_rows(conn, poll.id)]
        codes = db.ballot_codes
        counts = {r.batch: (r.issued, r.used) for r in conn.execute(
            select(codes.c.batch, func.count().label("issued"), func.count().filter(codes.c.used.is_(True)).label("used"))
            .where(codes.c.poll_id == poll.id).group_by(codes.c.batch))}
        batches = [CodeBatch(r.batch, r.label, r.issued, counts.get(r.batch, (0, 0))[1], bool(r.late), r.reason, r.at)
                   for r in conn.execute(select(db.code_batches).where(db.code_batches.c.poll_id == poll.id)
                                         .order_by(db.code_batches.c.batch))]
        n_ballots = conn.execute(select(func.count()).where(db.ballots.c.poll_id == poll.id)).scalar_one()
        return PollInfo(
            id=poll.id, title=poll.title, method=poll.method, electorate=poll.electorate, quorum=poll.quorum,
            state=poll.state, options=options, codes_issued=sum(i for i, _ in counts.values()),
            codes_used=sum(u for _, u in counts.values()), ballots=n_ballots,
            publish_receipts=bool(poll.publish_receipts), publish_comments=bool(poll.publish_comments),
            base_url=poll.base_url, seal=poll.seal, chain_head=poll.chain_head, chain_length=poll.chain_length,
            batches=batches,
        )

    @staticmethod
    def _poll_row(conn: Connection, poll_id: int, lock: bool = False) -> Any:
        query = select(db.polls).where(db.polls.c.id == poll_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise PlanningError("poll_not_found", poll_id=poll_id)
        return row

    @staticmethod
    def _option_rows(conn: Connection, poll_id: int) -> list[Any]:
        return conn.execute(select(db.poll_options).where(db.poll_options.c.poll_id == poll_id)
                            .order_by(db.poll_options.c.position)).all()

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


def _seal_settings(info: PollInfo) -> dict[str, Any]:
    return chain.seal_settings(
        poll_id=info.id, title=info.title, method=info.method, electorate=info.electorate, quorum=info.quorum,
        publish_receipts=info.publish_receipts, publish_comments=info.publish_comments,
        options=[vars(o) for o in info.options])


def _sealed_scenario(option: Any):
    """The option's scenario: its file if it is still there (refused when it differs from the seal), else the sealed copy."""
    from scenarios.scenario import Scenario, load_scenario

    candidates = [Path(option.scenario_path)] if option.scenario_path else []
    candidates.append(paths.scenario_dir() / option.scenario_file)
    path = next((p for p in candidates if p.is_file()), None)
    if path is not None:
        scenario = load_scenario(path)
        if scenario.digest != option.scenario_digest:
            raise PlanningError("scenario_not_sealed", path=path, key=option.key,
                                sealed=chain.short(option.scenario_digest), found=chain.short(scenario.digest))
        return scenario
    if option.scenario_content is None:
        raise PlanningError("file_not_found", path=candidates[-1])
    scenario = Scenario.model_validate(json.loads(option.scenario_content))
    if scenario.content_digest() != option.scenario_digest or scenario.digest != option.scenario_digest:
        raise PlanningError("scenario_not_sealed", path=option.scenario_file, key=option.key,
                            sealed=chain.short(option.scenario_digest), found=chain.short(scenario.content_digest()))
    return scenario


def _locked_key(row: Any):
    from scenarios.voting.signing import LockedKey

    return LockedKey(row.public_key, row.key_salt, row.key_nonce, row.key_sealed)


def _batch_dict(batch: CodeBatch) -> dict[str, Any]:
    return {"batch": batch.batch, "label": batch.label, "issued": batch.issued, "used": batch.used,
            "late": batch.late, "reason": batch.reason, "at": _iso(batch.at)}


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso(moment: datetime | None) -> str:
    """ISO time in UTC (SQLite hands back naive datetimes, which are UTC here)."""
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"
