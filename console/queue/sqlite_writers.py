"""SQLite's one writer at a time, queued in-process instead of in SQLite's busy handler.

SQLite lets one transaction write at a time. When a second one asks, SQLite's
busy handler makes it sleep and retry in steps of 1, 2, 5, 10 ... 100 ms, so
under a burst of claims a writer can wait tens of milliseconds after the lock
is already free. Worse, in a threaded server the thread holding SQLite's write
lock must win the GIL back after every SQLite call from every other runnable
thread, so it holds the lock many times longer than its work takes.

`writer_turn(engine)` is a per-database lock for a whole write transaction:
threads queued on it are not runnable, and wake in turn. The claim takes its
turn around its whole transaction; any other hot writer may do the same (begin
IMMEDIATE inside the turn, commit before leaving it). Writers that do not take
a turn, and other processes, still meet in SQLite's busy handler, as before.
On other databases the turn is a no-op.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager

# Past this, stop waiting for the in-process lock and let SQLite's own timeout decide.
LOCK_WAIT_SECONDS = 30.0

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


def lock_for_engine(engine) -> threading.RLock:
    key = str(engine.url)
    with _locks_guard:
        return _locks.setdefault(key, threading.RLock())


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
