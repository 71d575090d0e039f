"""The one source of "now": naive UTC datetimes, stored the same way on SQLite and PostgreSQL."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def elapsed_clock(since: datetime, now: datetime | None = None) -> str:
    """A running clock as the console shows it, "4:07" or "1 h 05 min" (console.js ticks the same format
    in the browser from each clock's data-since, so the first drawing and every tick agree)."""
    seconds = max(0, int(((now or utcnow()) - since).total_seconds()))
    minutes = seconds // 60
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes}:{seconds % 60:02d}"
