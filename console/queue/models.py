"""Queue records: no tables (the queue state lives on leads), only an in-process change signal."""
from __future__ import annotations

import itertools

_window_key_changes = itertools.count(1)
_latest = [0]


def window_keys_changed() -> None:
    """A lead got a calling-window key this process may not know yet: drop the cached key lists."""
    _latest[0] = next(_window_key_changes)


def window_keys_generation() -> int:
    return _latest[0]
