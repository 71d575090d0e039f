"""The per-process snapshots of small tables the claim reads (console/database/snapshots.py)."""
import threading

from console.database.snapshots import Snapshot, forget_all


def counting_loader(values):
    calls = []

    def load():
        calls.append(1)
        return values[len(calls) - 1]

    return load, calls


def test_a_value_is_loaded_once_and_reused_within_its_time():
    snapshot = Snapshot(60.0)
    load, calls = counting_loader(["first", "second"])
    assert snapshot.get("db", load) == "first"
    assert snapshot.get("db", load) == "first"
    assert len(calls) == 1


def test_keys_are_kept_apart():
    snapshot = Snapshot(60.0)
    assert snapshot.get("sqlite", lambda: 1) == 1
    assert snapshot.get("postgresql", lambda: 2) == 2
    assert snapshot.get("sqlite", lambda: 3) == 1


def test_an_expired_value_is_loaded_again():
    snapshot = Snapshot(0.0)
    load, calls = counting_loader(["first", "second"])
    assert snapshot.get("db", load) == "first"
    assert snapshot.get("db", load) == "second"


def test_a_change_drops_every_value_at_once():
    snapshot = Snapshot(60.0)
    snapshot.get("db", lambda: "old")
    snapshot.clear()
    assert snapshot.get("db", lambda: "new") == "new"
    forget_all()
    assert snapshot.get("db", lambda: "newer") == "newer"


def test_a_value_read_while_a_change_happened_is_not_kept():
    """A load that overlaps a change may have read the old rows: it is used once, never cached."""
    snapshot = Snapshot(60.0)
    started, changed = threading.Event(), threading.Event()

    def slow_load():
        started.set()
        changed.wait(5)
        return "read before the change"

    reader = threading.Thread(target=lambda: snapshot.get("db", slow_load))
    reader.start()
    started.wait(5)
    snapshot.clear()
    changed.set()
    reader.join(5)
    assert snapshot.get("db", lambda: "after the change") == "after the change"
