"""The SQLite writer turn: one writer at a time across the threads and the processes of a server."""
import multiprocessing
import queue
import threading
import time

from sqlalchemy import create_engine

from console.queue import sqlite_writers


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
    import sqlite3

    import pytest
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    import console  # noqa: F401  (its engine events: WAL, explicit BEGIN)

    database = tmp_path / "turns.db"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
    other = sqlite3.connect(database, timeout=0, isolation_level=None)
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
