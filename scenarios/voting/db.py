"""Database connection, tables and automatic schema migration for polls and ballots.

SQLite file by default (``planning.sqlite`` in the user folder, see :mod:`planning.base.paths`, or env ``PLANNING_DB``), PostgreSQL when
env ``DATABASE_URL`` names one. Migrations are a small ordered list of steps recorded in a
``schema_version`` table (simpler than Alembic for a handful of tables, and no extra
dependency): step *n* brings the schema to version *n*, each in its own transaction.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
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
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError

from planning.base import paths
from planning.base.errors import PlanningError

BUSY_TIMEOUT_MS = 30_000

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
)
poll_options = Table(
    "poll_options", metadata,
    Column("poll_id", ForeignKey("polls.id"), primary_key=True),
    Column("key", String(8), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("title", String(200), nullable=False),
    Column("scenario_file", String(500), nullable=False),
    Column("scenario_digest", String(64), nullable=False),
)
ballot_codes = Table(
    "ballot_codes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("used", Boolean, nullable=False, default=False),
)
# No link from a ballot to its code and no timestamps on either: the ballot stays secret.
ballots = Table(
    "ballots", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("poll_id", ForeignKey("polls.id"), nullable=False, index=True),
    Column("receipt", String(32), nullable=False, unique=True),
    Column("content", Text, nullable=False),
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

DATA_TABLES = ("organiser", "polls", "poll_options", "ballot_codes", "ballots", "comments", "ratings", "poll_events")


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[metadata.tables[name] for name in DATA_TABLES])


MIGRATIONS: list[Callable[[Connection], None]] = [_v1]


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

    SQLite runs in WAL mode with a busy timeout, and every transaction starts with
    ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing with "database is locked".
    """
    url = database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1]
        if path and path != ":memory:":
            _check_sqlite_path(Path(path))
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, pool_size=8, max_overflow=8)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        event.listen(engine, "handle_error", _sqlite_disk_full)
    else:
        engine = create_engine(url, pool_size=10, max_overflow=20)
    try:
        migrate(engine)
    except PlanningError:
        engine.dispose()
        raise
    except DatabaseError as exc:  # OperationalError, or "file is not a database"
        engine.dispose()
        raise PlanningError("database_unreachable", url=engine.url.render_as_string(), reason=_first_line(exc)) from None
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


def _sqlite_disk_full(context: Any) -> None:
    """A full disk (SQLITE_FULL) as a zh/en error; the transaction is rolled back, nothing half-stored."""
    if "disk is full" in str(context.original_exception).lower():
        raise PlanningError("database_disk_full", url=str(context.engine.url.database)) from context.original_exception


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


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per data table, to show that a refused action stored nothing."""
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one()
            for name in DATA_TABLES
        }


def now() -> datetime:
    """The current UTC time, second precision."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # let SQLAlchemy's "begin" event emit BEGIN IMMEDIATE instead of pysqlite's lazy BEGIN
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # FULL: a commit is on disk before the voter sees the receipt, even after a power cut
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]
