"""Hourly rollups of the call figures the reports read over every campaign or agent, kept by the worker.

Counting millions of calls (and a leg lookup for each) per request is too slow, so the worker job
`reports.rollup` (console/reports/jobs.py) keeps, per UTC hour of the calls' start, each campaign's dials,
connects, conversations and qualified (services._call_counts) and each agent's agent-view sums
(models.CampaignHour, models.AgentHour), and their sums per UTC day (CampaignDay, AgentDay: a 90-day range reads
a row a day and the hours around them). The one RollupState row's watermark says every change to a call or leg
before it is in them.

The read rule (`spans`): rollup rows for the whole hours of a range before the watermark, and before the first hour
touched since it (a call that ended or a leg the line reported on after the watermark: the job has not counted it
yet); the raw rows for the rest (the range's partial-hour edges in a zone whose offset is not whole hours, the hours
since the watermark). So the figures equal the raw aggregates whatever the job's lag; a late job only makes the
reads slower.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, and_, delete, func, insert, literal_column, or_, select, type_coerce

from console.calls.models import Call
from console.calls.rules import CallStatus
from console.clock import utcnow
from console.database import writers
from console.extensions import db
from console.reports.models import AgentDay, AgentHour, CampaignDay, CampaignHour, RollupState
from console.telephony.models import PhoneCall

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
CALL_COUNTS = ("dials", "connects", "conversations", "qualified")
STATE_ID = 1
# A call's end (or a leg's update) is stamped before its transaction commits: the watermark stays this far behind
# the job's start, so that a change committed just after the job read is read again by the next run.
MARGIN = timedelta(minutes=2)
HOURS_PER_TRANSACTION = 24


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def floor_day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def ceil_day(moment: datetime) -> datetime:
    floor = floor_day(moment)
    return floor if floor == moment else floor + DAY


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def _hour_of(column):
    """The UTC hour a time falls in, as the database stores a DateTime (SQLite: SQLAlchemy's text form)."""
    if _sqlite():
        return type_coerce(func.strftime(literal_column("'%Y-%m-%d %H:00:00.000000'"), column), DateTime)
    return func.date_trunc(literal_column("'hour'"), column)


def _day_of(column):
    """The UTC day a time falls in (its midnight), stored as _hour_of stores an hour."""
    if _sqlite():
        return type_coerce(func.strftime(literal_column("'%Y-%m-%d 00:00:00.000000'"), column), DateTime)
    return func.date_trunc(literal_column("'day'"), column)


# ---------------------------------------------------------------- reading

@dataclass(frozen=True)
class Spans:
    """A range [lo, hi) cut in two: `rolled` (whole hours read from the rollups, or None) and `raw` (the rest)."""

    rolled: tuple[datetime, datetime] | None
    raw: tuple[tuple[datetime, datetime], ...]

    def started_in_raw(self):
        """The raw part as a condition on the calls' start."""
        return or_(*(and_(Call.started_at >= lo, Call.started_at < hi) for lo, hi in self.raw))


def readable_until() -> datetime | None:
    """The hour before which the rollups are exact now: the watermark's hour, or the first hour touched since the
    watermark when earlier (None: no rollups yet). Two index range reads (ix_calls_ended, ix_phone_calls_updated)
    over what changed since the last run."""
    watermark = db.session.scalar(select(RollupState.watermark).where(RollupState.id == STATE_ID))
    if watermark is None:
        return None
    # min() over an expression, not the bare column: SQLite would otherwise walk ix_calls_started from the oldest
    # call looking for one that matches, instead of reading the few changed rows by their own index.
    earliest = func.min(func.coalesce(Call.started_at, Call.started_at))
    touched = [db.session.scalar(select(earliest).where(Call.ended_at >= watermark)),
               db.session.scalar(select(earliest).select_from(PhoneCall).join(Call, Call.id == PhoneCall.call_id)
                                 .where(PhoneCall.updated_at >= watermark))]
    return floor_hour(min([watermark] + [moment for moment in touched if moment is not None]))


def spans(lo: datetime, hi: datetime) -> Spans:
    """Which part of [lo, hi) the rollups answer exactly now, and which part the raw rows must (the read rule)."""
    until = readable_until()
    first, last = ceil_hour(lo), floor_hour(hi)
    if until is not None:
        last = min(last, until)
    if until is None or first >= last:
        return Spans(None, ((lo, hi),))
    raw = tuple(edge for edge in ((lo, first), (last, hi)) if edge[0] < edge[1])
    return Spans((first, last), raw)


def campaign_calls(lo: datetime, hi: datetime, campaign_ids: list[int] | None) -> dict[int, list[int]]:
    """{campaign id: [dials, connects, conversations, qualified]} of the calls started in [lo, hi): the rollups'
    whole hours plus the raw rows of the rest, both grouped by campaign (in `campaign_ids`, or every campaign)."""
    from console.reports import services

    cut = spans(lo, hi)
    result: dict[int, list[int]] = {}
    statements = []
    if cut.raw:
        raw = (select(Call.campaign_id, *services._call_counts())
               .where(Call.status == CallStatus.COMPLETED, cut.started_in_raw()).group_by(Call.campaign_id))
        if campaign_ids is not None:
            raw = raw.where(Call.campaign_id.in_(campaign_ids))
        statements.append(raw)
    if cut.rolled:
        only = (lambda model: (model.campaign_id.in_(campaign_ids),)) if campaign_ids is not None else (
            lambda model: ())
        statements += _rolled(cut.rolled, CampaignHour, CampaignDay, "campaign_id", CALL_COUNTS, only)
    for statement in statements:
        for campaign_id, *values in db.session.execute(statement):
            totals = result.setdefault(campaign_id, [0, 0, 0, 0])
            for index, value in enumerate(values):
                totals[index] += int(value or 0)
    return result


AGENT_SUMS = ("dials", "connects", "conversations", "qualified", "call_seconds", "gaps", "gap_seconds",
              "talk_seconds")


def agent_calls(lo: datetime, hi: datetime) -> dict[int, dict[str, float]]:
    """{agent id: {AGENT_SUMS name: value}} of the calls started in [lo, hi) in every campaign: the rollups' whole
    hours plus the raw rows of the rest (the agent view's statements over them, grouped by agent)."""
    cut = spans(lo, hi)
    result: dict[int, dict[str, float]] = {}
    statements = []
    if cut.raw:
        statements.append(_agent_sums((Call.status == CallStatus.COMPLETED, cut.started_in_raw()), by_hour=False))
    if cut.rolled:
        statements += _rolled(cut.rolled, AgentHour, AgentDay, "agent_id", AGENT_SUMS, lambda model: ())
    for statement in statements:
        for agent_id, *values in db.session.execute(statement):
            totals = result.setdefault(agent_id, dict.fromkeys(AGENT_SUMS, 0))
            for name, value in zip(AGENT_SUMS, values):
                totals[name] += float(value or 0) if name == "call_seconds" else int(value or 0)
    return result


def _rolled(rolled: tuple[datetime, datetime], hours, days, key: str, sums: tuple[str, ...], scope) -> list:
    """The statements summing the rollups over whole hours [a, b): the daily rows for its whole UTC days, the
    hourly rows for the hours around them; each grouped by `key`, with `scope(model)`'s conditions."""
    first, last = rolled
    whole = (ceil_day(first), floor_day(last))
    if whole[0] >= whole[1]:
        whole, edges = None, ((first, last),)
    else:
        edges = tuple(edge for edge in ((first, whole[0]), (whole[1], last)) if edge[0] < edge[1])
    statements = []
    if edges:
        statements.append(select(getattr(hours, key), *(func.sum(getattr(hours, name)) for name in sums))
                          .where(or_(*(and_(hours.hour >= lo, hours.hour < hi) for lo, hi in edges)), *scope(hours))
                          .group_by(getattr(hours, key)))
    if whole:
        statements.append(select(getattr(days, key), *(func.sum(getattr(days, name)) for name in sums))
                          .where(days.day >= whole[0], days.day < whole[1], *scope(days))
                          .group_by(getattr(days, key)))
    return statements


def _agent_sums(conditions, *, by_hour: bool):
    """The agent view's call sums grouped by agent (and by hour, for the rollups), in AGENT_SUMS' order: the
    talk time is each call's legs' durations, read by ix_phone_calls_call_id."""
    from console.reports import services

    talk = (select(func.coalesce(func.sum(PhoneCall.duration_seconds), 0)).where(PhoneCall.call_id == Call.id)
            .scalar_subquery())
    keys = (Call.agent_id, _hour_of(Call.started_at)) if by_hour else (Call.agent_id,)
    return (select(*keys, *services._call_counts(),
                   func.coalesce(func.sum(services._seconds_between(Call.started_at, Call.ended_at)), 0),
                   func.count(Call.seconds_since_previous_call),
                   func.coalesce(func.sum(Call.seconds_since_previous_call), 0),
                   func.coalesce(func.sum(talk), 0))
            .where(*conditions).group_by(*keys))


# ---------------------------------------------------------------- keeping them

def _recount(lo: datetime, hi: datetime) -> None:
    """The rollup rows of the hours in [lo, hi) (whole hours) counted again from the calls. Joins the caller's
    transaction."""
    from console.reports import services

    db.session.execute(delete(CampaignHour).where(CampaignHour.hour >= lo, CampaignHour.hour < hi))
    db.session.execute(delete(AgentHour).where(AgentHour.hour >= lo, AgentHour.hour < hi))
    dialled = (Call.status == CallStatus.COMPLETED, Call.started_at >= lo, Call.started_at < hi)
    hour = _hour_of(Call.started_at)
    db.session.execute(insert(CampaignHour).from_select(
        ["campaign_id", "hour", "dials", "connects", "conversations", "qualified"],
        select(Call.campaign_id, hour, *services._call_counts()).where(*dialled).group_by(Call.campaign_id, hour)))
    db.session.execute(insert(AgentHour).from_select(["agent_id", "hour", *AGENT_SUMS],
                                                     _agent_sums(dialled, by_hour=True)))


def _add_up_days(lo: datetime, hi: datetime) -> None:
    """The daily rows of the UTC days [lo, hi) (midnights) added up again from the hourly rows. Joins the
    caller's transaction."""
    for hours, days, key, sums in ((CampaignHour, CampaignDay, "campaign_id", CALL_COUNTS),
                                   (AgentHour, AgentDay, "agent_id", AGENT_SUMS)):
        db.session.execute(delete(days).where(days.day >= lo, days.day < hi))
        day = _day_of(hours.hour)
        db.session.execute(insert(days).from_select(
            [key, "day", *sums],
            select(getattr(hours, key), day, *(func.sum(getattr(hours, name)) for name in sums))
            .where(hours.hour >= lo, hours.hour < hi).group_by(getattr(hours, key), day)))


def touched_hours(since: datetime) -> list[datetime]:
    """The hours (of the calls' start) of every call that ended, or whose leg changed, since `since`."""
    hour = _hour_of(Call.started_at)
    ended = select(hour).where(Call.ended_at >= since)
    legs = select(hour).join(PhoneCall, PhoneCall.call_id == Call.id).where(PhoneCall.updated_at >= since)
    union = ended.union(legs).subquery()
    return sorted(db.session.scalars(select(union.c[0])))


@dataclass(frozen=True)
class Refreshed:
    rebuilt: bool
    hours: int
    watermark: datetime
    seconds: float

    def as_dict(self) -> dict:
        return {"rebuilt": self.rebuilt, "hours": self.hours, "watermark": self.watermark.isoformat(),
                "seconds": round(self.seconds, 2)}


def refresh(rebuild: bool = False) -> Refreshed:
    """Bring the rollups up to now: the hours touched since the watermark counted again (or, on the first run or
    when asked, every hour), a day or HOURS_PER_TRANSACTION hours per short write transaction, then the watermark
    moved to the run's start less MARGIN."""
    import time

    began, now = time.perf_counter(), utcnow()
    watermark = now - MARGIN
    state = db.session.get(RollupState, STATE_ID)
    rebuilding = state is None or rebuild
    if rebuilding:
        hours = _rebuild()
    else:
        touched = touched_hours(state.watermark)
        for start in range(0, len(touched), HOURS_PER_TRANSACTION):
            with writers.write_transaction(db.session):
                batch = touched[start:start + HOURS_PER_TRANSACTION]
                for hour in batch:
                    _recount(hour, hour + HOUR)
                for day in sorted({floor_day(hour) for hour in batch}):
                    _add_up_days(day, day + DAY)
        hours = len(touched)
    with writers.write_transaction(db.session):
        state = db.session.get(RollupState, STATE_ID)
        if state is None:
            db.session.add(RollupState(id=STATE_ID, watermark=watermark, refreshed_at=now, hours_refreshed=hours))
        else:
            state.watermark, state.refreshed_at, state.hours_refreshed = (
                max(state.watermark, watermark), now, hours)
    return Refreshed(rebuilt=rebuilding, hours=hours, watermark=watermark,
                     seconds=time.perf_counter() - began)


def _rebuild() -> int:
    """Every hour (and day) counted again from nothing, a UTC day per transaction (short, so agents' writes go on
    between). The watermark is dropped first, so that the
    reports read the raw rows until the rollups are whole again. Returns the hours of calls counted."""
    with writers.write_transaction(db.session):
        db.session.execute(delete(RollupState))
        for model in (CampaignHour, AgentHour, CampaignDay, AgentDay):
            db.session.execute(delete(model))
    first, last = db.session.execute(select(func.min(Call.started_at), func.max(Call.started_at))).one()
    if first is None:
        return 0
    start, end = floor_day(first), floor_day(last) + DAY
    while start < end:
        with writers.write_transaction(db.session):
            _recount(start, start + DAY)
            _add_up_days(start, start + DAY)
        start += DAY
    return db.session.scalar(select(func.count(func.distinct(CampaignHour.hour))))


def campaign_calls_by_period(campaign_id: int, periods: list, period_of) -> dict[int, list[int]] | None:
    """{period index: [dials, connects, conversations, qualified]} of one campaign's calls over `periods` (in
    order, contiguous; `period_of(column)` the CASE placing a time in one), or None when a period starts inside an
    hour (a zone whose offset is not whole hours): an hour's rollup row would then straddle two periods, and the
    caller reads the calls."""
    from console.reports import services

    if any(floor_hour(period.lo) != period.lo for period in periods):
        return None
    cut = spans(periods[0].lo, periods[-1].hi)
    result: dict[int, list[int]] = {}
    statements = []
    if cut.raw:
        key = period_of(Call.started_at).label("period")
        statements.append(select(key, *services._call_counts())
                          .where(Call.campaign_id == campaign_id, Call.status == CallStatus.COMPLETED,
                                 cut.started_in_raw()).group_by(key))
    if cut.rolled:
        key = period_of(CampaignHour.hour).label("period")
        statements.append(select(key, *(func.sum(column) for column in (
            CampaignHour.dials, CampaignHour.connects, CampaignHour.conversations, CampaignHour.qualified)))
            .where(CampaignHour.campaign_id == campaign_id, CampaignHour.hour >= cut.rolled[0],
                   CampaignHour.hour < cut.rolled[1]).group_by(key))
    for statement in statements:
        for index, *values in db.session.execute(statement):
            totals = result.setdefault(index, [0, 0, 0, 0])
            for position, value in enumerate(values):
                totals[position] += int(value or 0)
    return result
