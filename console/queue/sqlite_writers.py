"""SQLite's one writer at a time, queued in-process instead of in SQLite's busy handler.

SQLite lets one transaction write at a time. When a second one asks, SQLite's
busy handler makes it sleep and retry in steps of 1, 2, 5, 10 ... 100 ms, so
under a burst of claims a writer can wait tens of milliseconds after the lock
is already free. Within one process we know better: transactions begun
IMMEDIATE (the claim, and any service that declares itself a writer the same
way) take a per-database Python lock first, so they queue and wake in turn.
Other processes still meet in SQLite's busy handler, as before.

The lock is released once the transaction has really ended (the commit or
rollback is performed here, then SQLAlchemy's own call finds nothing to do).
"""
from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Past this, stop waiting for the in-process lock and let SQLite's own timeout decide.
LOCK_WAIT_SECONDS = 30.0

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
_HELD = "console.queue.sqlite_writer_lock"


def _lock_for(connection) -> threading.Lock:
    key = str(connection.engine.url)
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _dbapi(connection):
    return connection.connection.dbapi_connection


@event.listens_for(Engine, "begin", insert=True)
def _queue_immediate_writers(connection) -> None:
    """Runs before console/__init__.py issues BEGIN IMMEDIATE: wait our turn first."""
    if connection.dialect.name != "sqlite":
        return
    if connection.get_execution_options().get("sqlite_begin") != "IMMEDIATE":
        return
    stale = connection.info.pop(_HELD, None)
    if stale is not None:  # a BEGIN that failed after we took the lock never saw its end
        stale.release()
    lock = _lock_for(connection)
    if lock.acquire(timeout=LOCK_WAIT_SECONDS):
        connection.info[_HELD] = lock


def _end_and_release(connection, finish: str) -> None:
    lock = connection.info.pop(_HELD, None)
    if lock is None:
        return
    try:
        dbapi_connection = _dbapi(connection)
        if isinstance(dbapi_connection, sqlite3.Connection) and dbapi_connection.in_transaction:
            getattr(dbapi_connection, finish)()
    finally:
        lock.release()


@event.listens_for(Engine, "commit")
def _release_after_commit(connection) -> None:
    _end_and_release(connection, "commit")


@event.listens_for(Engine, "rollback")
def _release_after_rollback(connection) -> None:
    _end_and_release(connection, "rollback")
