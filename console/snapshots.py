"""Small, rarely changed facts read on every claim, kept by each process for a moment.

A claim needs the running campaigns, the published call guides and each campaign's
window keys. They change a few times a day and are read hundreds of times a second,
so each process keeps what it read for at most `ttl` seconds, and drops it at once
when this process writes one of the tables (ORM flush events) or says it changed
(`clear()`). Another process's change is seen within `ttl`. Only use this for
facts that are checked again where it matters: the dial guard re-reads the
campaign before any call is placed.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from sqlalchemy import event


_all: list[Snapshot] = []


def clear_all() -> None:
    """Forget every snapshot (tests do, after emptying tables behind the ORM's back)."""
    for snapshot in _all:
        snapshot.clear()


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
