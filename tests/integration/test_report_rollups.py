"""The hourly rollups: the report figures read through them equal the raw aggregates whatever the job's lag (calls
ending, legs reported and dispositions changed after the watermark, the job run at random points), the
partial-hour edges of a half-hour zone, the job and the command that keep them."""
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, select, update

from console.auth.models import Role
from console.calls.models import Call
from console.calls.rules import DISPOSITIONS, CallStatus
from console.extensions import db
from console.outbox.services import job_kind
from console.reports import rollups, rules, services
from console.reports.jobs import ROLLUP
from console.reports.models import AgentDay, AgentHour, CampaignDay, CampaignHour, RollupState
from console.telephony.models import PhoneCall
from tests.integration.report_world import add_call

START = datetime(2026, 3, 7, 12, 0)  # the simulated clock's start, mid-range
FIRST, LAST = date(2026, 3, 5), date(2026, 3, 9)
ZONES = ("America/Chicago", "Asia/Kolkata")
CODES = [d.code for d in DISPOSITIONS]

steps = st.lists(st.one_of(
    # a call started `back` minutes before now, by one agent, on one lead; ended now when completed
    st.tuples(st.just("call"), st.integers(0, 3), st.integers(0, 1), st.sampled_from(CODES),
              st.integers(0, 2 * 24 * 60), st.booleans(), st.booleans(), st.integers(0, 900)),
    st.tuples(st.just("dispose"), st.integers(0, 30), st.sampled_from(CODES)),  # an open call closed now
    st.tuples(st.just("leg"), st.integers(0, 30), st.booleans(), st.integers(0, 400)),  # a late leg
    st.tuples(st.just("tick"), st.integers(1, 12 * 60)),
    st.tuples(st.just("job"), st.booleans()),  # the worker runs (rebuild or not)
), max_size=25)


@pytest.fixture
def scene(make_campaign, make_lead, make_user, users, monkeypatch):
    campaigns = [make_campaign("One"), make_campaign("Two")]
    leads = [make_lead(campaigns[index % 2]) for index in range(4)]
    agents = [users[Role.TELEPROSPECTOR], make_user(Role.TELEPROSPECTOR)]
    clock = [START]
    monkeypatch.setattr(rollups, "utcnow", lambda: clock[0])
    return campaigns, leads, agents, clock


def _settle():
    """The legs reported when they were placed (add_call stamps them with the real clock's now)."""
    db.session.execute(update(PhoneCall).values(updated_at=PhoneCall.placed_at))
    db.session.commit()


def _clear():
    for table in (PhoneCall, Call, CampaignHour, AgentHour, CampaignDay, AgentDay, RollupState):
        db.session.execute(delete(table))
    db.session.commit()


def _raw_campaign(campaign_id: int, lo: datetime, hi: datetime) -> tuple[int, int, int, int]:
    """dials, connects, conversations, qualified counted one call at a time by the rules' Python functions."""
    answered = {call_id for (call_id,) in db.session.execute(
        select(PhoneCall.call_id).where(PhoneCall.answered_at.is_not(None)))}
    dials = [call for call in db.session.scalars(select(Call)) if call.campaign_id == campaign_id
             and call.status == CallStatus.COMPLETED and lo <= call.started_at < hi]
    return (len(dials), sum(rules.is_connect(call.disposition, call.id in answered) for call in dials),
            sum(rules.is_conversation(call.disposition) for call in dials),
            sum(call.disposition == rules.QUALIFIED for call in dials))


def _raw_agents(lo: datetime, hi: datetime) -> dict[int, tuple]:
    """The agent view's call figures counted one call at a time."""
    answered = {call_id for (call_id,) in db.session.execute(
        select(PhoneCall.call_id).where(PhoneCall.answered_at.is_not(None)))}
    talk: dict[int, int] = {}
    for leg in db.session.scalars(select(PhoneCall)):
        talk[leg.call_id] = talk.get(leg.call_id, 0) + (leg.duration_seconds or 0)
    result = {}
    for call in db.session.scalars(select(Call)):
        if call.status != CallStatus.COMPLETED or not lo <= call.started_at < hi:
            continue
        row = result.setdefault(call.agent_id, [0, 0, 0, 0, 0.0, 0, 0, 0])
        gap = call.seconds_since_previous_call
        for index, value in enumerate((1, rules.is_connect(call.disposition, call.id in answered),
                                       rules.is_conversation(call.disposition), call.disposition == rules.QUALIFIED,
                                       (call.ended_at - call.started_at).total_seconds(), gap is not None, gap or 0,
                                       talk.get(call.id, 0))):
            row[index] += value
    return {agent_id: (dials, connects, conversations, qualified, round(seconds) + gap_seconds, talk_seconds, gaps,
                       gap_seconds)
            for agent_id, (dials, connects, conversations, qualified, seconds, gaps, gap_seconds, talk_seconds)
            in result.items()}


def _assert_figures_equal_raw(campaigns):
    for zone in ZONES:
        lo, hi = rules.utc_bounds(FIRST, LAST, zone)
        side = services.all_campaigns_report(FIRST, LAST, zone)
        for row in side.rows:
            assert (row.dials, row.connects, row.conversations, row.qualified) == _raw_campaign(row.campaign_id, lo, hi)
        for campaign in campaigns:
            one = services.campaign_report(campaign, FIRST, LAST, zone)
            assert (one.dials, one.connects, one.conversations, one.qualified) == _raw_campaign(campaign.id, lo, hi)
        for point in services.trend(campaigns[0], FIRST, LAST, zone, rules.Grouping.DAY):
            assert (point.dials, point.connects, point.conversations, point.qualified) == _raw_campaign(
                campaigns[0].id, point.period.lo, point.period.hi)
        agents = {row.agent_id: (row.dials, row.connects, row.conversations, row.qualified, row.logged_seconds,
                                 row.talk_seconds, row.gaps, row.gap_seconds)
                  for row in services.agent_view(FIRST, LAST, zone) if row.dials}
        assert agents == _raw_agents(lo, hi)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_figures_read_through_the_rollups_equal_the_raw_aggregates_whatever_the_jobs_lag(scene, steps):
    campaigns, leads, agents, clock = scene
    _clear()
    clock[0] = START
    made: list[int] = []
    for step in steps:
        kind, *facts = step
        now = clock[0]
        if kind == "call":
            lead, agent, code, back, completed, answered, seconds = facts
            started = now - timedelta(minutes=back, seconds=seconds)
            call = add_call(leads[lead], agents[agent], code if completed else None, started,
                            status=CallStatus.COMPLETED if completed else CallStatus.OPEN,
                            seconds=int((now - started).total_seconds()), answered=answered,
                            talk=seconds if answered else None, since_previous=back % 97 if back % 3 else None)
            db.session.execute(update(PhoneCall).where(PhoneCall.call_id == call.id).values(updated_at=now))
            db.session.commit()
            made.append(call.id)
        elif kind == "dispose" and made:
            call = db.session.get(Call, made[facts[0] % len(made)])
            if call.status == CallStatus.OPEN:
                call.status, call.disposition, call.ended_at = CallStatus.COMPLETED, facts[1], now
                db.session.commit()
        elif kind == "leg" and made:
            call = db.session.get(Call, made[facts[0] % len(made)])
            answered, talk = facts[1], facts[2]
            db.session.add(PhoneCall(call_id=call.id, placed_by_id=call.agent_id, mode="browser", status="completed",
                                     to_number="+12125550100", placed_at=call.started_at,
                                     answered_at=call.started_at + timedelta(seconds=5) if answered else None,
                                     duration_seconds=talk if answered else None, updated_at=now))
            db.session.commit()
        elif kind == "tick":
            clock[0] = now + timedelta(minutes=facts[0])
            _assert_figures_equal_raw(campaigns)
        elif kind == "job":
            rollups.refresh(rebuild=facts[0])
            _assert_figures_equal_raw(campaigns)
    _assert_figures_equal_raw(campaigns)


def test_the_rollups_are_what_the_reports_read_for_whole_hours_before_the_watermark(scene):
    campaigns, leads, agents, clock = scene
    add_call(leads[0], agents[0], "qualified", datetime(2026, 3, 6, 15, 10), answered=True, talk=300)
    add_call(leads[0], agents[0], "no_answer", datetime(2026, 3, 6, 15, 40))
    _settle()
    clock[0] = datetime(2026, 3, 20)
    rollups.refresh()

    assert db.session.execute(select(CampaignHour.hour, CampaignHour.dials, CampaignHour.connects,
                                     CampaignHour.qualified)).all() == [(datetime(2026, 3, 6, 15), 2, 1, 1)]
    assert db.session.execute(select(CampaignDay.day, CampaignDay.dials, CampaignDay.connects)).all() == [
        (datetime(2026, 3, 6), 2, 1)]
    assert db.session.execute(select(AgentDay.dials, AgentDay.talk_seconds)).all() == [(2, 300)]
    # A rollup row changed by hand shows: the page read it, not the calls. A range of whole UTC days reads the
    # daily rows; one cut in the middle of a day reads the hourly rows of that day.
    db.session.execute(update(CampaignDay).values(dials=7))
    db.session.execute(update(AgentDay).values(talk_seconds=9))
    db.session.execute(update(CampaignHour).values(dials=5))
    db.session.commit()
    assert services.campaign_report(campaigns[0], FIRST, LAST, "America/Chicago").dials == 7
    assert [row.talk_seconds for row in services.agent_view(FIRST, LAST, "America/Chicago")] == [9]
    one_day = date(2026, 3, 6)
    assert services.campaign_report(campaigns[0], one_day, one_day, "America/Chicago").dials == 5


def test_an_hour_touched_after_the_watermark_is_read_raw_until_the_job_counts_it(scene):
    campaigns, leads, agents, clock = scene
    call = add_call(leads[0], agents[0], "no_answer", datetime(2026, 3, 6, 15, 10))
    _settle()
    clock[0] = datetime(2026, 3, 20)
    rollups.refresh()
    # The line reports the call answered after the job ran: a connect now, though the rollup says otherwise.
    db.session.add(PhoneCall(call_id=call.id, placed_by_id=agents[0].id, mode="browser", status="completed",
                             to_number="+12125550100", placed_at=call.started_at, answered_at=call.started_at,
                             duration_seconds=20, updated_at=datetime(2026, 3, 20, 0, 1)))
    db.session.commit()

    assert services.campaign_report(campaigns[0], FIRST, LAST, "America/Chicago").connects == 1
    assert rollups.spans(*rules.utc_bounds(FIRST, LAST, "America/Chicago")).rolled[1] == datetime(2026, 3, 6, 15)
    clock[0] = datetime(2026, 3, 20, 0, 5)
    assert rollups.refresh().hours == 1
    assert db.session.scalar(select(CampaignHour.connects)) == 1
    assert services.campaign_report(campaigns[0], FIRST, LAST, "America/Chicago").connects == 1


def test_a_half_hour_zone_reads_its_ranges_partial_hours_from_the_calls(scene):
    campaigns, leads, agents, clock = scene
    zone = "Asia/Kolkata"  # UTC+5:30: the 5th of March starts at 18:30 UTC on the 4th
    lo, hi = rules.utc_bounds(FIRST, LAST, zone)
    assert lo == datetime(2026, 3, 4, 18, 30)
    add_call(leads[0], agents[0], "qualified", datetime(2026, 3, 4, 18, 10))  # 23:40 local on the 4th: out
    add_call(leads[0], agents[0], "qualified", datetime(2026, 3, 4, 18, 40))  # 00:10 local on the 5th: in
    add_call(leads[0], agents[0], "qualified", datetime(2026, 3, 9, 18, 20))  # 23:50 local on the 9th: in
    add_call(leads[0], agents[0], "qualified", datetime(2026, 3, 9, 18, 35))  # 00:05 local on the 10th: out
    add_call(leads[0], agents[0], "qualified", datetime(2026, 3, 7, 12, 0))
    _settle()
    clock[0] = datetime(2026, 3, 20)
    rollups.refresh()

    cut = rollups.spans(lo, hi)
    assert cut.rolled == (datetime(2026, 3, 4, 19), datetime(2026, 3, 9, 18))
    assert cut.raw == ((lo, datetime(2026, 3, 4, 19)), (datetime(2026, 3, 9, 18), hi))
    assert services.campaign_report(campaigns[0], FIRST, LAST, zone).qualified == 3
    assert [row.dials for row in services.agent_view(FIRST, LAST, zone)] == [3]


def test_without_a_first_run_the_reports_read_the_calls(scene):
    campaigns, leads, agents, clock = scene
    add_call(leads[0], agents[0], "qualified", datetime(2026, 3, 6, 15, 10))

    assert rollups.spans(*rules.utc_bounds(FIRST, LAST, "America/Chicago")).rolled is None
    assert services.campaign_report(campaigns[0], FIRST, LAST, "America/Chicago").qualified == 1


def test_the_rollup_job_is_registered_and_runs_every_minute(scene):
    campaigns, leads, agents, clock = scene
    add_call(leads[0], agents[0], "qualified", datetime(2026, 3, 6, 15, 10))
    clock[0] = datetime(2026, 3, 20)
    job = job_kind(ROLLUP)

    assert job.every_seconds == 60
    first = job.run({}, lambda *_: None)
    assert first["rebuilt"] is True and first["hours"] == 1
    clock[0] = datetime(2026, 3, 20, 0, 1)
    assert job.run({}, lambda *_: None)["rebuilt"] is False
    state = db.session.get(RollupState, rollups.STATE_ID)
    assert state.watermark == datetime(2026, 3, 20, 0, 1) - rollups.MARGIN


def test_flask_reports_rollup_rebuilds_on_demand(scene, runner):
    campaigns, leads, agents, clock = scene
    add_call(leads[0], agents[0], "qualified", datetime(2026, 3, 6, 15, 10))
    clock[0] = datetime(2026, 3, 20)

    result = runner.invoke(args=["reports", "rollup", "--rebuild"])

    assert result.exit_code == 0, result.output
    assert "rollups rebuilt: 1 hours counted" in result.output
    assert db.session.scalar(select(CampaignHour.dials)) == 1
    result = runner.invoke(args=["reports", "rollup"])
    assert "rollups refreshed: 0 hours counted" in result.output
