"""The SQLite writer turn: one writer at a time across the threads and the processes of a server."""
import multiprocessing
import queue
import sqlite3
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import console  # noqa: F401  (its engine events: WAL, explicit BEGIN)
from console.queue import sqlite_writers


def _notes_database(tmp_path):
    """An engine on a database with one table, and another writer on it that never waits for a lock."""
    database = tmp_path / "turns.db"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    return engine, sqlite3.connect(database, timeout=0, isolation_level=None)


def _take_the_turn(url: str, started, taken) -> None:
    """In another process: wait for the turn, and say when it came."""
    lock = sqlite_writers.lock_for_engine(create_engine(url))
    started.set()
    lock.acquire()
    taken.put(time.monotonic())
    lock.release()


def test_a_second_process_waits_until_the_turn_is_released(tmp_path):
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    lock = sqlite_writers.lock_for_engine(create_engine(url))
    context = multiprocessing.get_context("spawn")
    started, taken = context.Event(), context.Queue()
    assert lock.acquire()
    lock.acquire()  # re-entrant: a writer inside a writer's turn
    child = context.Process(target=_take_the_turn, args=(url, started, taken))
    child.start()
    try:
        assert started.wait(30)
        time.sleep(0.3)
        lock.release()  # the inner turn ends: the outer one still holds
        time.sleep(0.3)
        assert taken.empty()
        released_at = time.monotonic()
        lock.release()
        assert taken.get(timeout=30) >= released_at
    finally:
        child.join(30)
    assert child.exitcode == 0


def test_threads_of_one_process_take_turns(tmp_path):
    lock = sqlite_writers.lock_for_engine(create_engine(f"sqlite:///{tmp_path / 'turns.db'}"))
    inside, overlaps = [0], []
    guard = threading.Lock()

    def writer():
        for _ in range(50):
            lock.acquire()
            with guard:
                inside[0] += 1
                overlaps.append(inside[0])
            time.sleep(0.0005)
            with guard:
                inside[0] -= 1
            lock.release()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(overlaps) == 400 and max(overlaps) == 1


def test_an_in_memory_database_needs_no_lock_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lock = sqlite_writers.lock_for_engine(create_engine("sqlite://"))
    assert lock.acquire()
    lock.release()
    assert list(tmp_path.iterdir()) == []


def test_another_database_is_another_turn(tmp_path):
    first = sqlite_writers.lock_for_engine(create_engine(f"sqlite:///{tmp_path / 'one.db'}"))
    second = sqlite_writers.lock_for_engine(create_engine(f"sqlite:///{tmp_path / 'two.db'}"))
    assert first.acquire()
    box = queue.Queue()
    thread = threading.Thread(target=lambda: box.put(second.acquire(timeout=5) and (second.release() or True)))
    thread.start()
    thread.join(10)
    first.release()
    assert box.get_nowait() is True


def test_a_writer_that_fails_leaves_the_database_unlocked_for_the_next(tmp_path):
    """The turn begins IMMEDIATE (the write lock is taken at once) and rolls back a block that raises."""
    engine, other = _notes_database(tmp_path)
    with Session(engine) as session:
        with pytest.raises(RuntimeError):
            with sqlite_writers.writer_turn(session):
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")  # the turn holds SQLite's write lock before writing
                session.execute(text("INSERT INTO notes VALUES ('lost')"))
                raise RuntimeError("the writer fails")
        other.execute("BEGIN IMMEDIATE")  # free as the turn passes on, while this session is still open
        assert other.execute("SELECT count(*) FROM notes").fetchone() == (0,)
        other.execute("COMMIT")
    engine.dispose()


def test_a_connections_turn_ends_its_read_first_writes_immediately_and_rolls_back_a_failure(tmp_path):
    """The claim's turn, on the Core connection it holds across its read and its write."""
    engine, other = _notes_database(tmp_path)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM notes")) == 0  # a read transaction (BEGIN DEFERRED)
        with sqlite_writers.connection_writer_turn(connection):
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")  # the turn holds SQLite's write lock before writing
            connection.execute(text("INSERT INTO notes VALUES ('kept')"))
            connection.commit()
        other.execute("BEGIN IMMEDIATE")  # free again once the block has committed
        other.execute("INSERT INTO notes VALUES ('from another writer')")
        other.execute("COMMIT")
        # The next transaction on this connection reads afresh, and begins DEFERRED again.
        assert connection.scalar(text("SELECT count(*) FROM notes")) == 2
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        connection.rollback()

        with pytest.raises(RuntimeError):
            with sqlite_writers.connection_writer_turn(connection):
                connection.execute(text("INSERT INTO notes VALUES ('lost')"))
                raise RuntimeError("the writer fails")
        other.execute("BEGIN IMMEDIATE")  # rolled back inside the turn: nothing holds the write lock
        assert other.execute("SELECT count(*) FROM notes").fetchone() == (2,)
        other.execute("COMMIT")
    engine.dispose()


def test_a_connection_waiting_for_the_turn_holds_no_snapshot(tmp_path):
    """A claim queueing for the writer turn has ended its read: what the writer before it wrote, it sees."""
    engine, _other = _notes_database(tmp_path)
    lock = sqlite_writers.lock_for_engine(engine)
    seen = queue.Queue()

    def waiting_writer():
        with engine.connect() as connection:
            connection.scalar(text("SELECT count(*) FROM notes"))  # its read, before queueing
            started.set()
            with sqlite_writers.connection_writer_turn(connection):
                seen.put(connection.scalar(text("SELECT count(*) FROM notes")))
                connection.commit()

    started = threading.Event()
    assert lock.acquire()
    thread = threading.Thread(target=waiting_writer)
    thread.start()
    try:
        assert started.wait(10)
        with engine.begin() as connection:  # the writer holding the turn writes meanwhile
            connection.execute(text("INSERT INTO notes VALUES ('first')"))
    finally:
        lock.release()
    thread.join(10)
    assert seen.get_nowait() == 1
    engine.dispose()
