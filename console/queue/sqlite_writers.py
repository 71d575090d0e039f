"""SQLite's one writer at a time, queued by the console instead of in SQLite's busy handler.

SQLite lets one transaction write at a time. When a second one asks, SQLite's
busy handler makes it sleep and retry in steps of 1, 2, 5, 10 ... 100 ms, so
under a burst of claims a writer can wait tens of milliseconds after the lock
is already free. Worse, in a threaded server the thread holding SQLite's write
lock must win the GIL back after every SQLite call from every other runnable
thread, so it holds the lock many times longer than its work takes.

`writer_turn(session)` is a per-database lock for a whole write transaction.
Threads of one process queue on a lock, and the processes of one server
(gunicorn's workers) on an exclusive `flock` of a file beside the database
(`<database>-writers`): a waiting writer sleeps in the kernel, not runnable, and
wakes as soon as the turn is free. The claim and the disposition take their turn
around their whole transaction; any other hot writer may do the same (begin
IMMEDIATE inside the turn, commit before leaving it). Writers that do not take a
turn still meet in SQLite's busy handler, as before. On other databases the
turn is a no-op.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # not POSIX: threads still queue, processes meet in SQLite's busy handler
    fcntl = None

# Past this, stop waiting for this process's lock and let SQLite's own timeout decide.
LOCK_WAIT_SECONDS = 30.0


class WriterLock:
    """The writer turn of one SQLite database: a re-entrant thread lock, and a file lock across processes."""

    def __init__(self, database: str | None):
        self._threads = threading.RLock()
        self._depth = threading.local()
        # An in-memory database belongs to one process: the thread lock is all it needs.
        self._path = f"{database}-writers" if database and database != ":memory:" and fcntl else None
        self._file = None

    def acquire(self, timeout: float = LOCK_WAIT_SECONDS) -> bool:
        if not self._threads.acquire(timeout=timeout):
            return False
        depth = getattr(self._depth, "value", 0)
        if depth == 0 and self._path:
            try:
                fcntl.flock(self._fileno(), fcntl.LOCK_EX)  # sleeps in the kernel until the other process is done
            except BaseException:
                self._threads.release()
                raise
        self._depth.value = depth + 1
        return True

    def release(self) -> None:
        self._depth.value -= 1
        if self._depth.value == 0 and self._path:
            fcntl.flock(self._fileno(), fcntl.LOCK_UN)
        self._threads.release()

    def _fileno(self) -> int:
        if self._file is None:
            self._file = open(self._path, "a+b")  # noqa: SIM115  (held for the life of the process)
        return self._file.fileno()


_locks: dict[str, WriterLock] = {}
_locks_guard = threading.Lock()


def _forget_locks_in_child() -> None:
    # A forked child must not share its parent's lock file description (flock locks belong
    # to it), nor a thread lock some parent thread held at the fork: it starts afresh.
    global _locks_guard
    _locks_guard = threading.Lock()
    _locks.clear()


os.register_at_fork(after_in_child=_forget_locks_in_child)


def lock_for_engine(engine) -> WriterLock:
    key = str(engine.url)
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = WriterLock(engine.url.database)
        return lock


@contextmanager
def writer_turn(session):
    """Hold this database's SQLite writer turn for a whole block (other databases: no turn).

    The session's read transaction ends first: a reader waiting in line would hold
    an old snapshot, and while any reader does, SQLite cannot checkpoint the WAL
    back to the start; under a steady stream of writers the WAL would only grow.
    Inside the turn the session's write transaction has begun (BEGIN IMMEDIATE); the
    block commits it. A block that raises is rolled back at once, on every database:
    the next SQLite writer never finds the write lock still held, and PostgreSQL's
    row locks are not kept while the caller reports the failure.
    """
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        try:
            yield
        except BaseException:
            session.rollback()
            raise
        return
    session.commit()  # before queueing: a writer waiting in line holds no snapshot
    with _turn(engine, begin=lambda: begin_immediate(session), rollback=session.rollback):
        yield


@contextmanager
def connection_writer_turn(connection):
    """The same turn for a Core connection the caller holds across transactions (the claim's).

    Its read transaction ends, the turn is taken, and the write transaction begins
    (BEGIN IMMEDIATE) on the same connection: nothing inside the turn waits for the
    pool or the ORM. The block commits; one that raises is rolled back inside the turn.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    if connection.in_transaction():
        connection.commit()

    def begin():
        connection.execution_options(sqlite_begin="IMMEDIATE")  # read by console._begin
        try:
            connection.begin()
        finally:
            connection.execution_options(sqlite_begin="DEFERRED")

    with _turn(connection.engine, begin=begin, rollback=connection.rollback):
        yield


@contextmanager
def _turn(engine, *, begin, rollback):
    lock = lock_for_engine(engine)
    acquired = lock.acquire()
    try:
        begin()
        yield
    except BaseException:
        rollback()
        raise
    finally:
        if acquired:
            lock.release()


def begin_immediate(session):
    """Start the session's write transaction, ending its read transaction first (loaded rows are read afresh).

    On SQLite it begins IMMEDIATE, taking the write lock before anything is read: a
    transaction begun DEFERRED would read, then find another writer had committed
    since, and fail ("database is locked"). Elsewhere it is an ordinary transaction.
    """
    session.commit()
    return session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})  # read by console._begin
