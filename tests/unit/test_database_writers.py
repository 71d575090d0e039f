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
from console.database import writers


def _notes_database(tmp_path):
    """An engine on a database with one table, and another writer on it that never waits for a lock."""
    database = tmp_path / "turns.db"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    return engine, sqlite3.connect(database, timeout=0, isolation_level=None, check_same_thread=False)


def _take_the_turn(url: str, started, taken) -> None:
    """In another process: wait for the turn, and say when it came."""
    lock = writers.lock_for_engine(create_engine(url))
    started.set()
    lock.acquire()
    taken.put(time.monotonic())
    lock.release()


def test_a_second_process_waits_until_the_turn_is_released(tmp_path):
    url = f"sqlite:///{tmp_path / 'turns.db'}"
    lock = writers.lock_for_engine(create_engine(url))
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
    lock = writers.lock_for_engine(create_engine(f"sqlite:///{tmp_path / 'turns.db'}"))
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
    lock = writers.lock_for_engine(create_engine("sqlite://"))
    assert lock.acquire()
    lock.release()
    assert list(tmp_path.iterdir()) == []


def test_another_database_is_another_turn(tmp_path):
    first = writers.lock_for_engine(create_engine(f"sqlite:///{tmp_path / 'one.db'}"))
    second = writers.lock_for_engine(create_engine(f"sqlite:///{tmp_path / 'two.db'}"))
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
            with writers.writer_turn(session):
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")  # the turn holds SQLite's write lock before writing
                session.execute(text("INSERT INTO notes VALUES ('lost')"))
                raise RuntimeError("the writer fails")
        other.execute("BEGIN IMMEDIATE")  # free as the turn passes on, while this session is still open
        assert other.execute("SELECT count(*) FROM notes").fetchone() == (0,)
        other.execute("COMMIT")
    engine.dispose()


def _in_line_threads(engine, work, count: int, leading: threading.Event) -> tuple[list, list]:
    """`count` threads each put one item (its number) in line; returns (results by thread, errors by thread).

    Thread 0 starts first and leads (its batch is item 0 alone); the others start once it is serving (`leading`).
    """
    results, errors = [None] * count, [None] * count

    def ask(number):
        try:
            results[number] = writers.in_line(engine, number, work)
        except Exception as error:  # noqa: BLE001  (the test looks at it)
            errors[number] = error

    threads = [threading.Thread(target=ask, args=(number,)) for number in range(count)]
    threads[0].start()
    assert leading.wait(10)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


def _hold_the_first_batch(work, count: int):
    """`work`, but the first batch waits until the other requests are all in line (so they are served together).

    Returns (that work, the event set when the first batch is being served, the batches served).
    """
    first = threading.Event()
    batches = []

    def held(connection, items):
        if not first.is_set():
            first.set()
            deadline = time.monotonic() + 10
            line = writers._lines[str(connection.engine.url)]
            while len(line._queue) < count and time.monotonic() < deadline:
                time.sleep(0.005)
        batches.append(list(items))
        return work(connection, items)

    return held, first, batches


def test_requests_in_line_are_served_together_in_one_transaction(tmp_path):
    engine, other = _notes_database(tmp_path)

    def write(connection, items):
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")  # the line holds SQLite's write lock before writing
        for item in items:
            connection.execute(text("INSERT INTO notes VALUES (:body)"), {"body": f"note {item}"})
        return [f"done {item}" for item in items]

    work, leading, batches = _hold_the_first_batch(write, 8)
    results, errors = _in_line_threads(engine, work, 8, leading)
    assert errors == [None] * 8
    assert results == [f"done {number}" for number in range(8)]  # each thread gets its own item's result
    # The requests that queued behind the first were served together, in the order they queued.
    assert [sorted(batch) for batch in batches] == [[0], [1, 2, 3, 4, 5, 6, 7]]
    assert sorted(item for batch in batches for item in batch) == list(range(8))
    other.execute("BEGIN IMMEDIATE")  # free once the line is empty
    assert other.execute("SELECT count(*) FROM notes").fetchone() == (8,)
    other.execute("COMMIT")
    engine.dispose()


def test_an_item_that_fails_costs_only_its_own_request(tmp_path):
    """The batch is rolled back and each item runs again alone: the others' writes are kept, the error goes to its own
    thread."""
    engine, other = _notes_database(tmp_path)

    def write(connection, items):
        for item in items:
            connection.execute(text("INSERT INTO notes VALUES (:body)"), {"body": f"note {item}"})
            if item == 3:
                raise ValueError("item 3 cannot be written")
        return list(items)

    work, leading, batches = _hold_the_first_batch(write, 6)
    results, errors = _in_line_threads(engine, work, 6, leading)
    assert [str(error) if error else None for error in errors] == [None, None, None, "item 3 cannot be written", None,
                                                                   None]
    assert results == [0, 1, 2, None, 4, 5]
    # The shared batch failed, and each of its items ran again alone, in the batch's order.
    assert [sorted(batch) for batch in batches[:2]] == [[0], [1, 2, 3, 4, 5]]
    assert batches[2:] == [[item] for item in batches[1]]
    rows = sorted(row[0] for row in other.execute("SELECT body FROM notes").fetchall())
    assert rows == ["note 0", "note 1", "note 2", "note 4", "note 5"]
    other.execute("BEGIN IMMEDIATE")  # nothing left locked
    other.execute("COMMIT")
    engine.dispose()


def test_a_request_waiting_in_line_is_served_after_the_writer_before_it(tmp_path):
    """While another writer holds the turn, the line waits; what that writer wrote, the line's transaction sees."""
    engine, _other = _notes_database(tmp_path)
    lock = writers.lock_for_engine(engine)
    seen = queue.Queue()

    def count_notes(connection, items):
        return [connection.scalar(text("SELECT count(*) FROM notes")) for _item in items]

    assert lock.acquire()
    thread = threading.Thread(target=lambda: seen.put(writers.in_line(engine, "count", count_notes)))
    thread.start()
    try:
        time.sleep(0.2)
        assert seen.empty()  # waiting for the turn
        with engine.begin() as connection:  # the writer holding the turn writes meanwhile
            connection.execute(text("INSERT INTO notes VALUES ('first')"))
    finally:
        lock.release()
    thread.join(10)
    assert seen.get_nowait() == 1
    engine.dispose()


def test_a_leader_that_cannot_write_at_all_fails_every_request_it_held_and_the_line_goes_on(tmp_path, monkeypatch):
    """No connection for the batch: each waiting request gets an error saying why, none waits forever."""
    engine, _other = _notes_database(tmp_path)

    def write(connection, items):
        connection.execute(text("INSERT INTO notes VALUES ('kept')"))
        return list(items)

    work, leading, batches = _hold_the_first_batch(write, 4)
    real_connect, calls = engine.connect, []

    def connect_once_then_fail():
        calls.append(1)
        if len(calls) == 2:  # the second batch's leader
            raise OSError("disk gone")
        return real_connect()

    monkeypatch.setattr(engine, "connect", connect_once_then_fail)
    results, errors = _in_line_threads(engine, work, 4, leading)
    assert results[0] == 0 and errors[0] is None
    # The leader of the second batch gets the error itself; the two it held, an error caused by it.
    assert sorted(type(error).__name__ for error in errors[1:]) == ["OSError", "RuntimeError", "RuntimeError"]
    assert all("disk gone" in str(error) for error in errors[1:])
    assert results[1:] == [None, None, None]
    assert writers.in_line(engine, 9, write) == 9  # the line serves the next request as usual
    engine.dispose()
