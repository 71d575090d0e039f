"""The one source of "now": naive UTC datetimes, stored the same way on SQLite and PostgreSQL."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def seconds_since(since: datetime, now: datetime | None = None) -> int:
    """Whole seconds from `since` to now (never negative)."""
    return max(0, int(((now or utcnow()) - since).total_seconds()))


def elapsed_clock(since: datetime, now: datetime | None = None) -> str:
    """A running clock as the console shows it, "4:07" or "1 h 05 min". console.js ticks the same format in
    the browser on from the seconds the server drew (data-elapsed), so the browser's own clock, right or
    wrong, never enters: every clock counting from the same moment shows the same time."""
    seconds = seconds_since(since, now)
    minutes = seconds // 60
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes}:{seconds % 60:02d}"
