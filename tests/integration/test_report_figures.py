"""Every figure of the campaign report against counts done by hand on a small fixed world (America/New_York,
Monday 2 to Friday 6 March 2026, winter time: UTC−5)."""
from datetime import date, datetime

import pytest

from console.auth.models import Role
from console.calls.rules import CallStatus
from console.extensions import db
from console.handoffs.models import HandoffStatus, Outcome, RejectionKind
from console.handoffs.sla import Clock
from console.reports import services
from console.reports.rules import Attribution, Grouping
from tests.integration.report_world import add_call, add_handoff, add_touch

NY = "America/New_York"
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 6)


@pytest.fixture
def world(make_campaign, make_lead, make_user, users):
    a = make_campaign("Alpha", budget_cents=500_000)
    b = make_campaign("Beta")
    agent1, agent2 = users[Role.TELEPROSPECTOR], make_user(Role.TELEPROSPECTOR, full_name="Second Agent")
    sales = users[Role.SALES]
    leads = [make_lead(a, buying_role="decision maker", source="webinar") for _ in range(9)]
    leads[4].buying_role, leads[4].source = "champion", "trade show"
    for lead in leads:
        lead.created_at = datetime(2026, 2, 1, 12)
    beta_lead = make_lead(b, source="webinar")
    beta_lead.created_at = datetime(2026, 2, 1, 12)
    db.session.commit()

    add_call(leads[0], agent1, "no_answer", datetime(2026, 3, 2, 14))  # a dial only
    add_call(leads[1], agent1, "voicemail", datetime(2026, 3, 3, 14), since_previous=30)  # connect by disposition
    add_call(leads[2], agent1, "no_answer", datetime(2026, 3, 3, 15), since_previous=30, answered=True, talk=5)
    add_call(leads[3], agent1, "not_interested", datetime(2026, 3, 4, 14))  # connect, conversation
    c5 = add_call(leads[4], agent2, "qualified", datetime(2026, 3, 5, 14), answered=True, talk=300)
    c6 = add_call(leads[5], agent1, "qualified", datetime(2026, 3, 7, 4, 30))  # 23:30 local on the last day: in
    add_call(leads[6], agent1, "qualified", datetime(2026, 3, 7, 5))  # 00:00 local the day after: out
    add_call(leads[7], agent1, "qualified", datetime(2026, 3, 2, 4, 59))  # 23:59 local the day before: out
    add_call(leads[8], agent1, None, datetime(2026, 3, 4, 16), status=CallStatus.OPEN)  # not closed: no dial
    c10 = add_call(beta_lead, agent1, "qualified", datetime(2026, 3, 4, 15))

    h1 = add_handoff(c5, sales, datetime(2026, 3, 5, 15), status=HandoffStatus.ACCEPTED,
                     first_contact_at=datetime(2026, 3, 5, 16), meeting_held_at=datetime(2026, 3, 5, 18),
                     opportunity_at=datetime(2026, 3, 5, 19), outcome=Outcome.WON,
                     outcome_at=datetime(2026, 3, 5, 20), won_cents=1_000_000, rating=5)
    add_handoff(c6, sales, datetime(2026, 3, 6, 15), status=HandoffStatus.REJECTED,
                rejection_kind=RejectionKind.CLERICAL, decided_at=datetime(2026, 3, 6, 16), rating=2,
                breaches=(Clock.ACCEPT,))
    add_handoff(c6, sales, datetime(2026, 3, 4, 15), status=HandoffStatus.ACCEPTED,
                first_contact_at=datetime(2026, 3, 6, 15), opportunity_at=datetime(2026, 3, 6, 16),
                breaches=(Clock.FIRST_CONTACT,))
    add_handoff(c6, sales, datetime(2026, 3, 3, 15), status=HandoffStatus.REVIEW, breaches=(Clock.HANDOVER,))
    add_handoff(c6, sales, datetime(2026, 3, 3, 16), status=HandoffStatus.ACCEPTED,
                reviewed_by_id=users[Role.MARKETING].id)
    add_handoff(c6, sales, datetime(2026, 2, 20, 15), status=HandoffStatus.ACCEPTED, outcome=Outcome.WON,
                outcome_at=datetime(2026, 3, 3), won_cents=999)  # made before the range: not counted
    add_handoff(c10, sales, datetime(2026, 3, 4, 16), status=HandoffStatus.ACCEPTED, outcome=Outcome.WON,
                outcome_at=datetime(2026, 3, 6, 12), won_cents=200_000)

    # h1's lead: Beta touched it first (before it was created in Alpha), Alpha last before the win; a Beta touch
    # after the win and a touch without a campaign take no credit.
    add_touch(leads[4], datetime(2026, 1, 15), b.id)
    add_touch(leads[4], datetime(2026, 3, 3), b.id)
    add_touch(leads[4], datetime(2026, 3, 4), a.id)
    add_touch(leads[4], datetime(2026, 3, 10), b.id)
    add_touch(leads[4], datetime(2026, 3, 4, 12), None)
    return dict(a=a, b=b, agent1=agent1, agent2=agent2, h1=h1)


def test_calls_are_counted_as_dials_connects_conversations_and_qualified_by_local_day(world):
    figures = services.campaign_report(world["a"], FIRST, LAST, NY)
    assert (figures.dials, figures.connects, figures.conversations, figures.qualified) == (6, 5, 3, 2)
    assert figures.connect_rate == pytest.approx(5 / 6)
    assert figures.qualification_rate == pytest.approx(2 / 3)


def test_handoff_figures_follow_the_handoffs_made_in_the_range(world):
    figures = services.campaign_report(world["a"], FIRST, LAST, NY)
    assert (figures.handed_over, figures.accepted, figures.rejected) == (5, 3, 1)
    assert figures.rejected_by_kind == {RejectionKind.PROCEDURAL: 0, RejectionKind.CLERICAL: 1,
                                        RejectionKind.DEFINITIONAL: 0}
    assert (figures.meetings, figures.opportunities, figures.won, figures.won_cents) == (1, 2, 1, 1_000_000)
    assert figures.average_rating == pytest.approx(3.5)


def test_the_follow_up_rate_counts_first_contacts_without_a_breach_over_every_handoff(world):
    figures = services.campaign_report(world["a"], FIRST, LAST, NY)
    assert figures.followed_up == 1
    assert figures.follow_up_rate == pytest.approx(0.2)
    assert figures.follow_up_verdict.startswith("Below the usual 30 %")


def test_sla_compliance_counts_each_clock_over_the_handoffs_it_runs_for(world):
    clocks = services.campaign_report(world["a"], FIRST, LAST, NY).clocks
    assert (clocks[Clock.HANDOVER].applies, clocks[Clock.HANDOVER].breached) == (2, 1)
    assert (clocks[Clock.ACCEPT].applies, clocks[Clock.ACCEPT].breached) == (4, 1)
    assert (clocks[Clock.FIRST_CONTACT].applies, clocks[Clock.FIRST_CONTACT].breached) == (3, 1)
    assert clocks[Clock.FIRST_CONTACT].compliance == pytest.approx(2 / 3)


def test_first_touch_credits_the_campaign_that_touched_the_lead_first(world):
    alpha = services.campaign_report(world["a"], FIRST, LAST, NY, Attribution.FIRST)
    beta = services.campaign_report(world["b"], FIRST, LAST, NY, Attribution.FIRST)
    assert (alpha.attributed_won, alpha.attributed_won_cents) == (0, 0)
    assert (beta.attributed_won, beta.attributed_won_cents) == (2, 1_200_000)
    assert alpha.cost_per_won_cents is None


def test_last_touch_credits_the_last_campaign_before_the_win(world):
    alpha = services.campaign_report(world["a"], FIRST, LAST, NY, Attribution.LAST)
    beta = services.campaign_report(world["b"], FIRST, LAST, NY, Attribution.LAST)
    assert (alpha.attributed_won, alpha.attributed_won_cents) == (1, 1_000_000)
    assert (beta.attributed_won, beta.attributed_won_cents) == (1, 200_000)
    assert alpha.cost_per_won_cents == 500_000


def test_cost_per_qualified_lead_divides_the_budget(world):
    figures = services.campaign_report(world["a"], FIRST, LAST, NY)
    assert figures.cost_per_qualified_cents == 250_000
    assert services.campaign_report(world["b"], FIRST, LAST, NY).cost_per_qualified_cents is None


def test_all_campaigns_side_by_side_add_up_to_their_totals(world):
    report = services.all_campaigns_report(FIRST, LAST, NY, Attribution.LAST)
    by_name = {row.name: row for row in report.rows}
    assert by_name["Beta"].dials == 1 and by_name["Beta"].handed_over == 1
    assert report.totals.dials == 7
    assert report.totals.handed_over == 6
    assert report.totals.attributed_won == 2 and report.totals.attributed_won_cents == 1_200_000


def test_the_daily_trend_puts_each_call_on_its_local_day(world):
    points = services.trend(world["a"], FIRST, LAST, NY, Grouping.DAY)
    assert [point.period.first for point in points] == [date(2026, 3, day) for day in range(2, 7)]
    assert [point.dials for point in points] == [1, 2, 1, 1, 1]
    assert [point.qualified for point in points] == [0, 0, 0, 1, 1]
    assert [point.handed_over for point in points] == [0, 2, 1, 1, 1]


def test_the_weekly_trend_sums_the_days_of_each_week(world):
    points = services.trend(world["a"], date(2026, 2, 25), LAST, NY, Grouping.WEEK)
    assert [(point.period.first, point.period.last) for point in points] == [
        (date(2026, 2, 25), date(2026, 3, 1)), (date(2026, 3, 2), date(2026, 3, 6))]
    assert [point.dials for point in points] == [1, 6]  # 23:59 local on Sunday 1 March is in the first week


def test_breakdowns_group_by_agent_and_by_persona(world):
    by_agent = {row.label: row for row in services.breakdown(world["a"], FIRST, LAST, NY, services.Breakdown.AGENT)}
    assert by_agent["Second Agent"].dials == 1 and by_agent["Second Agent"].won == 1
    assert by_agent["Teleprospector Person"].dials == 5
    assert by_agent["Teleprospector Person"].handed_over == 4
    by_persona = {row.label: row for row in services.breakdown(world["a"], FIRST, LAST, NY,
                                                               services.Breakdown.PERSONA)}
    assert by_persona["champion"].qualified == 1 and by_persona["champion"].won_cents == 1_000_000
    assert by_persona["decision maker"].dials == 5
    by_source = {row.label: row for row in services.breakdown(world["a"], FIRST, LAST, NY,
                                                              services.Breakdown.SOURCE)}
    assert by_source["trade show"].dials == 1


def test_the_agent_view_counts_pace_talk_time_and_handoffs(world):
    rows = {row.name: row for row in services.agent_view(FIRST, LAST, NY)}
    first = rows["Teleprospector Person"]
    assert (first.dials, first.connects, first.conversations, first.qualified) == (6, 5, 3, 2)
    assert first.logged_seconds == 6 * 60 + 2 * 30
    assert first.calls_per_hour == pytest.approx(6 * 3600 / 420)
    assert first.talk_seconds == 5
    assert first.seconds_between_calls == pytest.approx(30)
    assert (first.handed_over, first.accepted, first.rejected) == (5, 3, 1)
    assert first.acceptance_rate == pytest.approx(0.6) and first.rejection_rate == pytest.approx(0.2)
    assert first.average_rating == pytest.approx(2)
    second = rows["Second Agent"]
    assert (second.dials, second.talk_seconds, second.handed_over, second.accepted) == (1, 300, 1, 1)
    assert second.average_rating == pytest.approx(5)


def test_the_agent_view_of_one_campaign_leaves_the_others_out(world):
    rows = {row.name: row for row in services.agent_view(FIRST, LAST, NY, world["b"].id)}
    assert list(rows) == ["Teleprospector Person"]
    assert rows["Teleprospector Person"].dials == 1 and rows["Teleprospector Person"].handed_over == 1


def test_a_call_at_half_past_eleven_on_the_last_day_of_a_dst_change_is_in_the_range(make_campaign, make_lead,
                                                                                      users):
    campaign = make_campaign("Spring")
    lead = make_lead(campaign)
    agent = users[Role.TELEPROSPECTOR]
    add_call(lead, agent, "busy", datetime(2026, 3, 8, 5, 30))  # 00:30 EST on the 8th, the day clocks go forward
    add_call(lead, agent, "busy", datetime(2026, 3, 9, 3, 30))  # 23:30 EDT on the 8th
    add_call(lead, agent, "busy", datetime(2026, 3, 9, 4, 0))  # 00:00 EDT on the 9th
    day = date(2026, 3, 8)
    assert services.campaign_report(campaign, day, day, NY).dials == 2
    assert [point.dials for point in services.trend(campaign, day, date(2026, 3, 9), NY, Grouping.DAY)] == [2, 1]


def test_breakdowns_by_imported_list_and_score_band_name_their_groups(world):
    from console.leads.models import Lead, LeadList
    lead = db.session.get(Lead, db.session.get(services.Handoff, world["h1"].id).lead_id)
    listed = LeadList(campaign_id=world["a"].id, file_name="expo-leads.csv")
    db.session.add(listed)
    db.session.flush()
    lead.lead_list_id, lead.score_band = listed.id, "hot"
    db.session.commit()
    by_list = {row.label: row for row in services.breakdown(world["a"], FIRST, LAST, NY, services.Breakdown.LIST)}
    assert by_list["expo-leads.csv"].dials == 1 and by_list["expo-leads.csv"].won == 1
    assert by_list["(none)"].dials == 5
    by_band = {row.label: row for row in services.breakdown(world["a"], FIRST, LAST, NY, services.Breakdown.BAND)}
    assert by_band["hot"].qualified == 1
