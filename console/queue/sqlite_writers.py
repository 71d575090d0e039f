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

A hot path can also hold the lock for its whole duration (`writer_turn`): with
many threads in one process, a lock holder that must win the GIL back after
every SQLite call from a dozen runnable threads holds SQLite's write lock many
times longer than its work takes; threads queued on the lock are not runnable,
so the holder runs at full speed.
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Past this, stop waiting for the in-process lock and let SQLite's own timeout decide.
LOCK_WAIT_SECONDS = 30.0

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()
_HELD = "console.queue.sqlite_writer_lock"


def lock_for_engine(engine) -> threading.RLock:
    key = str(engine.url)
    with _locks_guard:
        return _locks.setdefault(key, threading.RLock())


def _lock_for(connection) -> threading.RLock:
    return lock_for_engine(connection.engine)


@contextmanager
def writer_turn(engine):
    """Hold this process's SQLite writer lock for a whole block (no-op on other databases)."""
    if engine.dialect.name != "sqlite":
        yield
        return
    lock = lock_for_engine(engine)
    acquired = lock.acquire(timeout=LOCK_WAIT_SECONDS)
    try:
        yield
    finally:
        if acquired:
            lock.release()


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
