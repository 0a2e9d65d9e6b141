"""Database connection, tables and automatic schema migration for polls and ballots.

SQLite file by default (``planning.sqlite`` in the user folder, see :mod:`planning.base.paths`, or env ``PLANNING_DB``), PostgreSQL when
env ``DATABASE_URL`` names one. Migrations are a small ordered list of steps recorded in a
``schema_version`` table (simpler than Alembic for a handful of tables, and no extra
dependency): step *n* brings the schema to version *n*, each in its own transaction.

Secret ballot, as far as the database goes (see ``docs/threat-model.md``): ballots and codes
have random ids and nothing that points from one to the other. SQLite runs with a rollback
journal (deleted at each commit) and ``secure_delete``, so no write-ahead log keeps the
order of past transactions; on PostgreSQL the service rewrites the used codes at each ballot
(:meth:`~scenarios.voting.service.VotingService.cast_ballot`), so their ``xmin`` and ``ctid``
say nothing about when each was used.

Database faults (disk full, read-only database, lost connection) come out of :func:`faults` as
a :class:`PlanningError` in Chinese and English; the transaction is rolled back, so nothing
half-written stays behind and the same action succeeds once the fault is gone.
"""
from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from planning.base import paths
from planning.base.errors import PlanningError

BUSY_TIMEOUT_MS = 30_000


def _v1_tables(meta: MetaData) -> None:
    """The tables as version 1 created them (frozen: later versions change them by migration)."""
    Table("organiser", meta, Column("id", Integer, primary_key=True), Column("salt", LargeBinary, nullable=False),
          Column("secret_hash", LargeBinary, nullable=False), Column("scrypt_n", Integer, nullable=False))
    Table("polls", meta, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("title", String(200), nullable=False), Column("method", String(16), nullable=False),
          Column("electorate", String(32), nullable=False), Column("quorum", Integer),
          Column("state", String(16), nullable=False), Column("code_salt", LargeBinary, nullable=False),
          Column("created_at", DateTime(timezone=True), nullable=False), Column("result_json", Text),
          Column("ballots_digest", String(64)))
    Table("poll_options", meta, Column("poll_id", ForeignKey("polls.id"), primary_key=True),
          Column("key", String(8), primary_key=True), Column("position", Integer, nullable=False),
          Column("title", String(200), nullable=False), Column("scenario_file", String(500), nullable=False),
          Column("scenario_digest", String(64), nullable=False))
    Table("ballot_codes", meta, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True),
          Column("code_hash", String(64), nullable=False, unique=True),
          Column("used", Boolean, nullable=False, default=False))
    Table("ballots", meta, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True),
          Column("receipt", String(32), nullable=False, unique=True), Column("content", Text, nullable=False))
    Table("comments", meta, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True), Column("option_key", String(8)),
          Column("text", Text, nullable=False), Column("created_at", DateTime(timezone=True), nullable=False))
    Table("ratings", meta, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True), Column("stars", Integer, nullable=False),
          Column("comment", Text, nullable=False, default=""),
          Column("created_at", DateTime(timezone=True), nullable=False))
    Table("poll_events", meta, Column("id", Integer, primary_key=True, autoincrement=True),
          Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True),
          Column("from_state", String(16), nullable=False), Column("to_state", String(16), nullable=False),
          Column("at", DateTime(timezone=True), nullable=False))


# -- the current schema (version 3) ---------------------------------------------------------------

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
organiser = Table(
    "organiser", metadata,
    Column("id", Integer, primary_key=True),
    Column("salt", LargeBinary, nullable=False),
    Column("secret_hash", LargeBinary, nullable=False),
    Column("scrypt_n", Integer, nullable=False),
    # v2: the Ed25519 signing key, its private half locked by the secret (scenarios.voting.signing)
    Column("public_key", String(64)),
    Column("key_salt", LargeBinary),
    Column("key_nonce", LargeBinary),
    Column("key_sealed", LargeBinary),
)
polls = Table(
    "polls", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("method", String(16), nullable=False),
    Column("electorate", String(32), nullable=False),
    Column("quorum", Integer),
    Column("state", String(16), nullable=False),
    Column("code_salt", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("result_json", Text),
    Column("ballots_digest", String(64)),
    # v2
    Column("seal", String(64)),
    Column("chain_head", String(64)),
    Column("chain_length", Integer, nullable=False, server_default="0"),
    Column("publish_receipts", Boolean, nullable=False, server_default=text("true")),
    Column("publish_comments", Boolean, nullable=False, server_default=text("false")),
    Column("base_url", String(300)),
)
poll_options = Table(
    "poll_options", metadata,
    Column("poll_id", ForeignKey("polls.id"), primary_key=True),
    Column("key", String(8), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("scenario_file", String(500), nullable=False),
    Column("scenario_digest", String(64), nullable=False),
    # v2: where the file was, and its sealed content (the result archive carries it)
    Column("scenario_path", Text),
    Column("scenario_content", Text),
)
# Random ids; "used" says nothing of when or for which ballot.
ballot_codes = Table(
    "ballot_codes", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("used", Boolean, nullable=False, default=False),
    Column("batch", Integer, nullable=False, server_default="1"),
)
# No link from a ballot to its code and no timestamps: random ids, the chain position only.
ballots = Table(
    "ballots", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True),
    Column("receipt", String(32), nullable=False, unique=True),
    Column("content", Text, nullable=False),
    Column("position", Integer),
    Column("nonce", String(32)),
    Column("commitment", String(64)),
    Column("chain_value", String(64)),
)
comments = Table(
    "comments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True),
    Column("option_key", String(8)),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
ratings = Table(
    "ratings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True),
    Column("stars", Integer, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
poll_events = Table(
    "poll_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
# v2 tables
code_batches = Table(
    "code_batches", metadata,
    Column("poll_id", ForeignKey("polls.id"), primary_key=True),
    Column("batch", Integer, primary_key=True),
    Column("label", String(40), nullable=False, default=""),
    Column("issued", Integer, nullable=False),
    Column("late", Boolean, nullable=False, default=False),
    Column("reason", Text, nullable=False, default=""),
    Column("at", DateTime(timezone=True), nullable=False),
)
organiser_log = Table(
    "organiser_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("poll_id", ForeignKey("polls.id"), index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False, default="{}"),
)
setup_token = Table(
    "setup_token", metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
app_settings = Table(
    "app_settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# v3: needs surveys (民情征集), siblings of polls: the same organiser, the same kind of one-time codes.
surveys = Table(
    "surveys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("area_key", String(200), nullable=False),  # the area the survey covers, as the app names it
    Column("area_name", String(200), nullable=False),
    Column("need_types", Text, nullable=False),  # JSON list of need-type keys offered
    Column("ask_age", Boolean, nullable=False, default=False),
    Column("ask_car", Boolean, nullable=False, default=False),
    Column("mode", String(16), nullable=False),  # "codes": one answer per code; "anonymous": rate-limited
    Column("per_minute", Integer, nullable=False),  # anonymous answers accepted per minute, whole survey
    Column("state", String(16), nullable=False),
    Column("opens_at", DateTime(timezone=True)),
    Column("closes_at", DateTime(timezone=True)),
    Column("code_salt", LargeBinary, nullable=False),
    Column("base_url", String(300)),
    Column("places", Text, nullable=False, default="[]"),  # JSON: the 小区/楼栋 a resident may pick instead of the map
    Column("bounds", Text, nullable=False),  # JSON [west, south, east, north] in degrees: pins must fall inside
    Column("outline", Text, nullable=False, default="{}"),  # GeoJSON of the area's 社区 (names, outlines) for the map
    Column("created_at", DateTime(timezone=True), nullable=False),
)
# Random ids, like ballot codes; "used" says nothing of when.
survey_codes = Table(
    "survey_codes", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("survey_id", ForeignKey("surveys.id"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("used", Boolean, nullable=False, default=False),
)
# One row per stated need: what the resident chose and typed, nothing else. ``followup_hash`` is the
# salted hash of the code that may answer the 成效评议 (the slip's code, or the follow-up code an
# anonymous answer is given), so the same person is asked whether the need was met.
survey_answers = Table(
    "survey_answers", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("survey_id", ForeignKey("surveys.id"), nullable=False, index=True),
    Column("need_type", String(32), nullable=False),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("place", String(64)),
    Column("text", Text, nullable=False, default=""),
    Column("age_group", String(16)),
    Column("has_car", Boolean),
    Column("followup_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("followup", String(16)),
    Column("followup_text", Text),
    Column("followup_at", DateTime(timezone=True)),
)

DATA_TABLES = ("organiser", "polls", "poll_options", "ballot_codes", "ballots", "comments", "ratings", "poll_events",
               "code_batches", "organiser_log", "setup_token", "app_settings", "surveys", "survey_codes",
               "survey_answers")
_NEW_IN_V2 = ("code_batches", "organiser_log", "setup_token", "app_settings")
_NEW_IN_V3 = ("surveys", "survey_codes", "survey_answers")


def _v1(conn: Connection) -> None:
    frozen = MetaData()
    _v1_tables(frozen)
    frozen.create_all(conn)


def _v2(conn: Connection) -> None:
    """Signing key, seal and chain, code batches, organiser log, setup token, settings; 64-bit random ids."""
    for name, columns in (("organiser", ("public_key", "key_salt", "key_nonce", "key_sealed")),
                          ("polls", ("seal", "chain_head", "chain_length", "publish_receipts", "publish_comments",
                                     "base_url")),
                          ("poll_options", ("scenario_path", "scenario_content")),
                          ("ballot_codes", ("batch",)),
                          ("ballots", ("position", "nonce", "commitment", "chain_value"))):
        for column in columns:
            _add_column(conn, metadata.tables[name].c[column])
    if conn.dialect.name == "postgresql":
        for name in ("ballot_codes", "ballots"):
            conn.execute(text(f"ALTER TABLE {name} ALTER COLUMN id DROP DEFAULT"))
            conn.execute(text(f"ALTER TABLE {name} ALTER COLUMN id TYPE BIGINT"))
    for name in _NEW_IN_V2:
        metadata.tables[name].create(conn)
    _seal_older_polls(conn)


def _add_column(conn: Connection, column: Column) -> None:
    kind = column.type.compile(dialect=conn.dialect)
    default = "" if column.server_default is None else f" DEFAULT {getattr(column.server_default.arg, 'text', column.server_default.arg)}"
    not_null = " NOT NULL" if not column.nullable and default else ""
    conn.execute(text(f"ALTER TABLE {column.table.name} ADD COLUMN {column.name} {kind}{default}{not_null}"))


def _seal_older_polls(conn: Connection) -> None:
    """Polls made before version 2 get their seal and chain now (ballots chained in a random order)."""
    from scenarios.voting import chain
    from scenarios.voting.codes import new_nonce

    for poll in conn.execute(select(polls)).all():
        options = conn.execute(select(poll_options).where(poll_options.c.poll_id == poll.id)
                               .order_by(poll_options.c.position)).mappings().all()
        poll_seal = chain.seal(chain.seal_settings(
            poll_id=poll.id, title=poll.title, method=poll.method, electorate=poll.electorate, quorum=poll.quorum,
            publish_receipts=True, publish_comments=False, options=options))
        rows = conn.execute(select(ballots.c.id, ballots.c.receipt, ballots.c.content)
                            .where(ballots.c.poll_id == poll.id)).all()
        secrets.SystemRandom().shuffle(rows)
        value = chain.genesis(poll_seal)
        for position, row in enumerate(rows, start=1):
            nonce = new_nonce()
            committed = chain.commitment(json.loads(row.content), nonce, row.receipt)
            value = chain.next_value(value, position, committed)
            conn.execute(update(ballots).where(ballots.c.id == row.id).values(
                position=position, nonce=nonce, commitment=committed, chain_value=value))
        conn.execute(update(polls).where(polls.c.id == poll.id).values(
            seal=poll_seal, chain_head=value, chain_length=len(rows)))
        issued = conn.execute(select(func.count()).where(ballot_codes.c.poll_id == poll.id)).scalar_one()
        if issued:
            conn.execute(insert(code_batches).values(poll_id=poll.id, batch=1, label="", issued=issued, late=False,
                                                     reason="", at=poll.created_at))


def _v3(conn: Connection) -> None:
    """Needs surveys (民情征集): surveys, their one-time codes and the residents' answers."""
    for name in _NEW_IN_V3:
        metadata.tables[name].create(conn)


MIGRATIONS: list[Callable[[Connection], None]] = [_v1, _v2, _v3]


def database_url(explicit: str | None = None) -> str:
    """The URL to use: ``explicit`` (URL or SQLite path), else ``DATABASE_URL``, else ``PLANNING_DB``."""
    chosen = explicit or os.environ.get("DATABASE_URL")
    if not chosen:
        return f"sqlite:///{os.environ.get('PLANNING_DB') or paths.database_path()}"
    if "://" not in chosen:
        return f"sqlite:///{chosen}"
    for plain in ("postgresql://", "postgres://"):
        if chosen.startswith(plain):
            return "postgresql+psycopg://" + chosen[len(plain):]
    return chosen


def connect(url: str | None = None) -> Engine:
    """An engine with the schema migrated to the current version.

    SQLite keeps a rollback journal (no write-ahead log) with a busy timeout, and every
    transaction starts with ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing
    with "database is locked" — except those of connections marked ``read_only`` (see
    :func:`reading`), which take no write lock and so also work on a read-only file. Connections are checked before use, so a lost PostgreSQL
    connection is replaced once the server answers again.
    """
    url = database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        if path and path != ":memory:":
            _check_sqlite_path(Path(path))
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, pool_size=8, max_overflow=8,
                               pool_pre_ping=True)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    try:
        migrate(engine)
    except PlanningError:
        engine.dispose()
        raise
    except DBAPIError as exc:  # OperationalError, or "file is not a database"
        engine.dispose()
        known = fault(exc, _shown(engine))
        if known is not None and known.code != "database_connection_lost":
            raise known from None
        raise PlanningError("database_unreachable", url=_shown(engine), reason=_first_line(exc)) from None
    return engine


def _check_sqlite_path(path: Path) -> None:
    """The SQLite file's folder exists (created if missing) and the path is not a folder."""
    if path.is_dir():
        raise PlanningError("database_is_folder", path=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise PlanningError("output_parent_is_file", path=path) from None
    except OSError as exc:
        raise PlanningError("database_unreachable", url=str(path), reason=exc.strerror or str(exc)) from None


def _shown(engine: Engine) -> str:
    """The database as a message names it: the SQLite file, or the URL without its password."""
    return engine.url.database if engine.dialect.name == "sqlite" else engine.url.render_as_string(hide_password=True)


def migrate(engine: Engine) -> int:
    """Apply missing migration steps; return the schema version now in force."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # two processes starting at once must not both create the tables
            conn.execute(text("SELECT pg_advisory_xact_lock(5180)"))
        schema_version.create(conn, checkfirst=True)
        current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
        if current > len(MIGRATIONS):
            raise PlanningError("database_newer", found=current, supported=len(MIGRATIONS))
        for version in range(current + 1, len(MIGRATIONS) + 1):
            MIGRATIONS[version - 1](conn)
            conn.execute(insert(schema_version).values(version=version, applied_at=now()))
    return len(MIGRATIONS)


def reading(engine: Engine) -> Connection:
    """A connection for reading only: on SQLite its transactions take no write lock."""
    return engine.connect().execution_options(read_only=True)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per data table, to show that a refused action stored nothing."""
    with reading(engine) as conn:
        return {
            name: conn.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one()
            for name in DATA_TABLES
        }


def now() -> datetime:
    """The current UTC time, second precision."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def random_id() -> int:
    """A random positive 62-bit row id: row ids say nothing about the order rows were written in."""
    return secrets.randbits(62) + 1


# -- faults ---------------------------------------------------------------------------------------

_SQLITE_FAULTS = {13: "database_disk_full", 8: "database_read_only", 14: "database_cannot_open", 10: "database_io_error",
                  5: "database_busy", 6: "database_busy"}
_POSTGRES_FAULTS = {"53100": "database_disk_full", "53200": "database_disk_full", "25006": "database_read_only",
                    "57P01": "database_connection_lost", "57P02": "database_connection_lost",
                    "57P03": "database_connection_lost"}


def fault(exc: BaseException, url: str = "") -> PlanningError | None:
    """The zh/en error for a database fault (disk full, read-only, lost connection …) of the database
    ``url`` (as shown to people), or None."""
    if not isinstance(exc, DBAPIError):
        return None
    original = getattr(exc, "orig", None)
    reason = _first_line(exc)
    code = None
    sqlite_code = getattr(original, "sqlite_errorcode", None)
    if sqlite_code is not None:
        code = _SQLITE_FAULTS.get(sqlite_code & 0xFF)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is not None:
        code = _POSTGRES_FAULTS.get(sqlstate) or ("database_connection_lost" if sqlstate.startswith("08") else None)
    if code is None and (exc.connection_invalidated or _looks_disconnected(reason)):
        code = "database_connection_lost"
    return None if code is None else PlanningError(code, reason=reason, url=url)


@contextmanager
def faults(engine: Engine | None = None) -> Iterator[None]:
    """Turn a fault of ``engine``'s database into its :class:`PlanningError` (the transaction has been rolled back)."""
    try:
        yield
    except DBAPIError as exc:
        known = fault(exc, "" if engine is None else _shown(engine))
        if known is None:
            raise
        raise known from exc


_DISCONNECTED = ("server closed the connection", "connection refused", "terminating connection", "connection is closed",
                 "consuming input failed", "could not connect", "connection failed", "not currently accepting connections",
                 "the connection is lost", "connection is bad")


def _looks_disconnected(reason: str) -> bool:
    lowered = reason.lower()
    return any(part in lowered for part in _DISCONNECTED)


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # let SQLAlchemy's "begin" event emit BEGIN IMMEDIATE instead of pysqlite's lazy BEGIN
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # a rollback journal, deleted at each commit: no write-ahead log keeps the order of past transactions
    cursor.execute("PRAGMA journal_mode=DELETE")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten with zeros
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # FULL: a commit is on disk before the voter sees the receipt, even after a power cut
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
