"""SQLite's one writer at a time, queued in-process instead of in SQLite's busy handler.

SQLite lets one transaction write at a time. When a second one asks, SQLite's
busy handler makes it sleep and retry in steps of 1, 2, 5, 10 ... 100 ms, so
under a burst of claims a writer can wait tens of milliseconds after the lock
is already free. Worse, in a threaded server the thread holding SQLite's write
lock must win the GIL back after every SQLite call from every other runnable
thread, so it holds the lock many times longer than its work takes.

`writer_turn(session)` is a per-database lock for a whole write transaction:
threads queued on it are not runnable, and wake in turn. The claim takes its
turn around its whole transaction; any other hot writer may do the same (begin
IMMEDIATE inside the turn, commit before leaving it). Writers that do not take
a turn, and other processes, still meet in SQLite's busy handler, as before.
On other databases the turn is a no-op.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

from sqlalchemy.orm import scoped_session

# Past this, stop waiting for the in-process lock and let SQLite's own timeout decide.
LOCK_WAIT_SECONDS = 30.0

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


def lock_for_engine(engine) -> threading.RLock:
    key = str(engine.url)
    with _locks_guard:
        return _locks.setdefault(key, threading.RLock())


@contextmanager
def writer_turn(session):
    """Hold this process's SQLite writer lock for a whole block (no-op on other databases).

    The session's read transaction ends first: a reader waiting in line would hold
    an old snapshot, and while any reader does, SQLite cannot checkpoint the WAL
    back to the start; under a steady stream of writers the WAL would only grow.
    """
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        yield
        return
    session.commit()
    lock = lock_for_engine(engine)
    acquired = lock.acquire(timeout=LOCK_WAIT_SECONDS)
    try:
        yield
    finally:
        if acquired:
            lock.release()


def begin_immediate(session):
    """Start the session's write transaction with BEGIN IMMEDIATE (SQLite), ending any read transaction first.

    A transaction already begun DEFERRED could not take the write lock up front:
    it would read, then find another process had written since, and fail.
    """
    session = session() if isinstance(session, scoped_session) else session
    if session.in_transaction():
        session.commit()
    return session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
