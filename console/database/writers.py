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

The claim goes further: `in_line(engine, item, work)` is group commit. The claims
of one process that queue at the same moment are written by the first of them in
one turn and one transaction, so each commit's fixed cost (the lock, the pages
written to the WAL) is shared (WriterLine).
"""
from __future__ import annotations

import os
import threading
from collections import deque
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
    _lines.clear()


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


@contextmanager
def write_transaction(session):
    """The one way a service writes: a transaction that commits at the end of the block, or rolls back.

    On SQLite it runs in this database's writer turn, begun IMMEDIATE (writer_turn): the
    session's read transaction ends first (committing what the caller changed). On PostgreSQL
    the request's transaction goes on into the write (READ COMMITTED: each statement reads
    what is committed), with no round trip more; what the caller changed is flushed into it.
    Either way what the caller loaded is read afresh inside. Everything
    the block adds to the session (audit rows, outbox messages) commits with it or not at all.

    A service called inside another's write transaction joins it: only the outermost
    block commits (or rolls back, when anything inside raises).
    """
    if session.info.get(_WRITING):
        yield
        return
    if session.get_bind().dialect.name != "sqlite":
        # What the caller changed goes into this transaction (SQLite: writer_turn commits it first), then
        # everything loaded is read afresh inside.
        session.flush()
        session.expire_all()
    session.info[_WRITING] = True
    try:
        with writer_turn(session):
            yield
            session.commit()
    finally:
        session.info[_WRITING] = False


_WRITING = "console.write_transaction"


def begin_immediate(session):
    """Start the session's write transaction, ending its read transaction first (loaded rows are read afresh).

    On SQLite it begins IMMEDIATE, taking the write lock before anything is read: a
    transaction begun DEFERRED would read, then find another writer had committed
    since, and fail ("database is locked"). Elsewhere it is an ordinary transaction.
    """
    session.commit()
    return session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})  # read by console._begin


# ---------------------------------------------------------------- group commit

# Most requests one write transaction serves together (the claim's: docs/queue.md, "Group commit").
BATCH_LIMIT = 32


class _Request:
    """One thread's item waiting in a line; `wake` is released when it is served, or when it leads."""

    __slots__ = ("item", "result", "error", "served", "wake")

    def __init__(self, item):
        self.item, self.result, self.error, self.served = item, None, None, False
        self.wake = threading.Lock()
        self.wake.acquire()

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.result


class WriterLine:
    """Threads of one process waiting to write, served together: one writer turn, one transaction, one commit.

    The thread at the head of the line leads: it takes every request waiting (up to
    BATCH_LIMIT), runs `work(connection, items)` for them on its own connection inside
    one writer turn, commits once, hands each thread its result, and wakes the next
    head. SQLite's cost per transaction (taking the write lock, writing the changed
    pages to the WAL, once each however many rows changed them) is paid once a batch.

    A failing item must not cost the others their work: when any item raises, the
    batch is rolled back and each item runs again alone, in its own transaction, so an
    exception reaches only the thread whose item raised it.
    """

    def __init__(self):
        self._mutex = threading.Lock()
        self._queue: deque[_Request] = deque()

    def serve(self, engine, item, work):
        request = _Request(item)
        with self._mutex:
            self._queue.append(request)
            leading = len(self._queue) == 1
        if not leading:
            request.wake.acquire()  # served by a leader, or at the head of the line
            if request.served:
                return request.outcome()
        with self._mutex:
            batch = [self._queue[n] for n in range(min(len(self._queue), BATCH_LIMIT))]
        failure = None
        try:
            with engine.connect() as connection:
                connection.execution_options(sqlite_begin="IMMEDIATE")  # every transaction on it writes
                _serve_batch(connection, batch, work)
        except BaseException as error:  # beyond any one item (no connection, say): raised here, reported to all
            failure = error
            raise
        finally:
            with self._mutex:
                for _request in batch:
                    self._queue.popleft()
                head = self._queue[0] if self._queue else None
            for served in batch:
                if not served.served:  # never left waiting
                    served.served = True
                    served.error = RuntimeError(f"the writer serving this request failed: {failure!r}")
                    served.error.__cause__ = failure
                if served is not request:
                    served.wake.release()
            if head is not None:
                head.wake.release()  # not served: it leads the next batch
        return request.outcome()


def _serve_batch(connection, batch: list[_Request], work) -> None:
    def turn():
        return _turn(connection.engine, begin=connection.begin, rollback=connection.rollback)

    if len(batch) > 1:
        try:
            with turn():
                results = work(connection, [request.item for request in batch])
                connection.commit()
        except Exception:  # noqa: BLE001  (rolled back: each item runs again alone, below)
            pass
        else:
            for request, result in zip(batch, results, strict=True):
                request.result, request.served = result, True
            return
    for request in batch:
        try:
            with turn():
                request.result, = work(connection, [request.item])
                connection.commit()
        except Exception as error:  # noqa: BLE001  (raised again in the thread that asked)
            request.error = error
        request.served = True


_lines: dict[str, WriterLine] = {}


def in_line(engine, item, work):
    """`work(connection, items)` in a SQLite write transaction it may share with other threads' items.

    `work` returns one result for each item, in order; it must neither commit nor roll
    back. An exception it raises for one item rolls back that item only, and is raised
    here. The caller ends its own read transaction first: a request waiting in line
    should hold no snapshot.
    """
    key = str(engine.url)
    line = _lines.get(key)
    if line is None:
        with _locks_guard:
            line = _lines.setdefault(key, WriterLine())
    return line.serve(engine, item, work)
