"""The report's SQL equals a straightforward count in Python over the raw rows, after random inserts: calls at any
time around the range, hand-offs in every state, breaches, touches from either campaign."""
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, select

from console.auth.models import Role
from console.calls.models import Call
from console.calls.rules import DISPOSITIONS, CallStatus
from console.extensions import db
from console.handoffs.models import Handoff, HandoffStatus, Outcome, RejectionKind, SlaBreach
from console.handoffs.sla import Clock
from console.leads.models import Lead, Touch
from console.reports import rules, services
from console.telephony.models import PhoneCall
from tests.integration.report_world import add_call, add_handoff, add_touch

ZONE = "America/Chicago"
FIRST, LAST = date(2026, 3, 6), date(2026, 3, 10)  # over the spring change (8 March)
START = datetime(2026, 3, 5)
minutes = st.integers(0, 7 * 24 * 60)

calls = st.lists(st.tuples(st.integers(0, 3), st.sampled_from([d.code for d in DISPOSITIONS]), minutes,
                           st.booleans(), st.sampled_from([CallStatus.COMPLETED] * 4 + [CallStatus.ABANDONED])),
                 max_size=14)
handoffs = st.lists(st.tuples(
    st.integers(0, 3), minutes,
    st.sampled_from([HandoffStatus.REVIEW, HandoffStatus.PENDING, HandoffStatus.ACCEPTED, HandoffStatus.REJECTED]),
    st.sampled_from(list(RejectionKind.LABELS)), st.booleans(), st.booleans(), st.booleans(),
    st.sets(st.sampled_from(Clock.ALL)), st.one_of(st.none(), st.integers(1, 5))), max_size=8)
touches = st.lists(st.tuples(st.integers(0, 3), st.integers(-5 * 24 * 60, 7 * 24 * 60), st.integers(0, 2)),
                   max_size=8)


@pytest.fixture
def scene(make_campaign, make_lead, users):
    campaigns = [make_campaign("One"), make_campaign("Two")]
    leads = [make_lead(campaigns[index % 2]) for index in range(4)]
    for lead in leads:
        lead.created_at = START
    db.session.commit()
    return campaigns, leads, users[Role.TELEPROSPECTOR], users[Role.SALES]


def _python_figures(campaign_id: int, lo: datetime, hi: datetime, model: str) -> dict:
    """The figures counted one row at a time, by the rules' own Python functions."""
    answered = {call_id for (call_id,) in db.session.execute(
        select(PhoneCall.call_id).where(PhoneCall.answered_at.is_not(None)))}
    dials = [call for call in db.session.scalars(select(Call)) if call.campaign_id == campaign_id
             and call.status == CallStatus.COMPLETED and lo <= call.started_at < hi]
    made = [handoff for handoff in db.session.scalars(select(Handoff)) if lo <= handoff.created_at < hi]
    breaches = {(breach.handoff_id, breach.clock) for breach in db.session.scalars(select(SlaBreach))}
    own = [handoff for handoff in made if handoff.campaign_id == campaign_id]

    def applies(handoff, clock):
        if clock == Clock.HANDOVER:
            return handoff.reviewed_by_id is not None or handoff.status == HandoffStatus.REVIEW
        if clock == Clock.ACCEPT:
            return handoff.released_at is not None
        return handoff.released_at is not None and not (
            handoff.status == HandoffStatus.REJECTED and handoff.first_contact_at is None)

    credited = []
    for handoff in made:
        if handoff.outcome != Outcome.WON:
            continue
        lead = db.session.get(Lead, handoff.lead_id)
        lead_touches = [(touch.id, touch.occurred_at, touch.campaign_id) for touch in
                        db.session.scalars(select(Touch).where(Touch.lead_id == lead.id))]
        if rules.attributed_campaign(lead.campaign_id, lead.created_at, lead_touches, handoff.outcome_at,
                                     model) == campaign_id:
            credited.append(handoff)
    return dict(
        dials=len(dials),
        connects=sum(rules.is_connect(call.disposition, call.id in answered) for call in dials),
        conversations=sum(rules.is_conversation(call.disposition) for call in dials),
        qualified=sum(call.disposition == "qualified" for call in dials),
        handed_over=len(own), accepted=sum(h.status == HandoffStatus.ACCEPTED for h in own),
        rejected=sum(h.status == HandoffStatus.REJECTED for h in own),
        followed_up=sum(h.first_contact_at is not None and (h.id, Clock.FIRST_CONTACT) not in breaches for h in own),
        clocks={clock: (sum(applies(h, clock) for h in own),
                        sum(applies(h, clock) and (h.id, clock) in breaches for h in own)) for clock in Clock.ALL},
        won=sum(h.outcome == Outcome.WON for h in own),
        rated=sum(h.rating is not None for h in own), rating_total=sum(h.rating or 0 for h in own),
        attributed_won=len(credited), attributed_won_cents=sum(h.won_cents or 0 for h in credited))


def _sql_figures(figures: services.Figures) -> dict:
    return dict(dials=figures.dials, connects=figures.connects, conversations=figures.conversations,
                qualified=figures.qualified, handed_over=figures.handed_over, accepted=figures.accepted,
                rejected=figures.rejected, followed_up=figures.followed_up,
                clocks={clock: (reading.applies, reading.breached) for clock, reading in figures.clocks.items()},
                won=figures.won, rated=figures.rated, rating_total=figures.rating_total,
                attributed_won=figures.attributed_won, attributed_won_cents=figures.attributed_won_cents)


def _clear():
    for table in (SlaBreach, Handoff, PhoneCall, Touch, Call):
        db.session.execute(delete(table))
    db.session.commit()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=calls, handoffs=handoffs, touches=touches, model=st.sampled_from(list(rules.Attribution.LABELS)))
def test_the_sql_figures_equal_a_python_count_over_the_raw_rows(scene, users, calls, handoffs, touches, model):
    campaigns, leads, agent, sales = scene
    _clear()
    made_calls = [add_call(leads[lead], agent, disposition, START + timedelta(minutes=at), answered=answered,
                           talk=30 if answered else None, status=status,
                           since_previous=at % 90 if at % 3 else None)
                  for lead, disposition, at, answered, status in calls]
    anchor = made_calls[0] if made_calls else add_call(leads[0], agent, "qualified", START)
    for lead, at, status, kind, contacted, reviewed, won, clocks, rating in handoffs:
        call = next((c for c in made_calls if c.lead_id == leads[lead].id), anchor)
        created = START + timedelta(minutes=at)
        add_handoff(call, sales, created, status=status,
                    rejection_kind=kind if status == HandoffStatus.REJECTED else None,
                    first_contact_at=created + timedelta(hours=2) if contacted else None,
                    reviewed_by_id=users[Role.MARKETING].id if reviewed else None,
                    outcome=Outcome.WON if won else None, outcome_at=created + timedelta(hours=3) if won else None,
                    won_cents=1000 * (lead + 1) if won else None, rating=rating, breaches=tuple(sorted(clocks)))
    for lead, at, campaign in touches:
        add_touch(leads[lead], START + timedelta(minutes=at), campaigns[campaign].id if campaign < 2 else None)

    lo, hi = rules.utc_bounds(FIRST, LAST, ZONE)
    for campaign in campaigns:
        figures = services.campaign_report(campaign, FIRST, LAST, ZONE, model)
        assert _sql_figures(figures) == _python_figures(campaign.id, lo, hi, model)
    side = services.all_campaigns_report(FIRST, LAST, ZONE, model)
    assert side.totals.dials == sum(row.dials for row in side.rows)
    points = services.trend(campaigns[0], FIRST, LAST, ZONE, rules.Grouping.DAY)
    assert sum(point.dials for point in points) == services.campaign_report(campaigns[0], FIRST, LAST, ZONE).dials
