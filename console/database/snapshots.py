"""What a process remembers between requests: snapshots of rarely changed rows, and memos of pure answers.

Snapshots. 
A claim needs the running campaigns, the published call guides and each campaign's
window keys. They change a few times a day and are read hundreds of times a second,
so each process keeps what it read for at most `ttl` seconds, and drops it at once
when this process writes one of the tables (ORM flush events) or says it changed
(`clear()`). Another process's change is seen within `ttl`. Only use this for
facts that are checked again where it matters: the dial guard re-reads the
campaign before any call is placed.

Memos. A `Memo` keeps answers of pure functions that are costly and asked again
and again (is this window key open this minute?); the key holds everything the
answer depends on, so a memo is never stale, only bounded in size.

Nothing here is shared between processes: on PostgreSQL several hosts share one
database, and each keeps only what it may safely forget. `forget_all()` empties
every snapshot and memo of this process (tests do, after emptying tables).
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable

from sqlalchemy import event


_all: list = []  # every Snapshot, Memo and Tally of this process


def forget_all() -> None:
    """Forget every snapshot, memo and tally of this process (tests do, after emptying tables behind the ORM's back)."""
    for remembered in _all:
        remembered.clear()


class Snapshot:
    """Values by key (include the database), each loaded by `load()` and reused for up to `ttl` seconds."""

    def __init__(self, ttl: float, *models) -> None:
        _all.append(self)
        self.ttl = ttl
        self._values: dict[Hashable, tuple[float, int, object]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        for model in models:
            for name in ("after_insert", "after_update", "after_delete"):
                event.listen(model, name, self._changed)

    def _changed(self, *_args) -> None:
        with self._lock:
            self._generation += 1
            self._values.clear()

    def get(self, key: Hashable, load: Callable[[], object]):
        now = time.monotonic()
        with self._lock:
            cached = self._values.get(key)
            generation = self._generation
        if cached is not None and cached[0] > now and cached[1] == generation:
            return cached[2]
        value = load()
        with self._lock:
            if self._generation == generation:  # not changed while loading
                self._values[key] = (now + self.ttl, generation, value)
        return value

    def clear(self) -> None:
        self._changed()


class Tally(Counter):
    """Counts this process keeps (how its claims found their lead), forgotten with everything else."""

    def __init__(self) -> None:
        super().__init__()
        _all.append(self)


class Memo(dict):
    """Answers by key, forgotten all at once when there are more than `limit` (keys say what they depend on)."""

    def __init__(self, limit: int = 10_000) -> None:
        super().__init__()
        _all.append(self)
        self.limit = limit

    def remember(self, key: Hashable, value):
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
