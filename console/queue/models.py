"""Queue records: no tables (the queue state lives on leads), only this process's list of window keys."""
from __future__ import annotations

from console.database.snapshots import Snapshot

# How long a process trusts its list of a campaign's window keys. A lead created or
# re-zoned in this process drops the lists at once; one from another process is seen within this time.
WINDOW_KEYS_TTL_SECONDS = 30.0
window_key_lists = Snapshot(WINDOW_KEYS_TTL_SECONDS)


def window_keys_changed() -> None:
    """A lead got a calling-window key this process may not know yet: drop the cached key lists."""
    window_key_lists.clear()
