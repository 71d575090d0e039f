"""The lead's derived queue columns in the real database: the band moves in SQL agree with the rule in Python,
and `flask queue rebuild` puts every lead back where the rule says."""
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.campaigns.models import Campaign
from console.compliance.models import DoNotCallEntry
from console.extensions import db
from console.leads import services as leads
from console.leads.models import Account, Lead
from console.leads.queue_columns import queue_rank
from console.queue import services as queue
from tests.builders import next_weekday_at

SPACING = 60  # the campaign's minimum minutes between attempts

# Leads as the console leaves them: a held lead was claimed while due (its due time is past), and a
# retry's due time is never sooner than the campaign's spacing after its last attempt.
held_leads = st.fixed_dictionaries({
    "queue_state": st.sampled_from(["new", "retry", "callback"]),
    "next_call": st.one_of(st.none(), st.integers(-120, 0)),
    "hold_ends": st.sampled_from([-10, -1, 0, 1, 10]),  # minutes from the moment the clock moves to
    "last_called": st.one_of(st.none(), st.integers(-600, -SPACING)),
})
waiting_leads = st.fixed_dictionaries({
    "queue_state": st.sampled_from(["retry", "callback"]),
    "last_called": st.integers(-180, 0),
    # after the last attempt's spacing (retries) or after it at all (callbacks)
    "wait": st.sampled_from([0, 1, 30, 59, 60, 61, 120, 240]),
})


def _empty_tables():
    db.session.rollback()
    for model in (DoNotCallEntry, Lead, Account, Campaign):
        db.session.query(model).delete()
    db.session.commit()
    queue.forget_process_memory()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(held=st.lists(held_leads, max_size=8), waiting=st.lists(waiting_leads, max_size=8),
       later=st.sampled_from([0, 1, 30, 59, 60, 61, 120, 240]), holder_index=st.integers(0, 1))
def test_the_band_moves_in_sql_agree_with_the_rank_rule_as_the_clock_moves(make_user, held, waiting, later,
                                                                           holder_index):
    agents = [make_user().id, make_user().id]
    start = next_weekday_at(17)
    moment = start + timedelta(minutes=later)
    try:
        campaign = Campaign(name="Bands", source="list", min_retry_minutes=SPACING)
        account = Account(name="Bands Inc")
        db.session.add(campaign)
        db.session.flush()
        stored = []
        for index, facts in enumerate(held):
            stored.append(leads.create_lead(
                campaign_id=campaign.id, account=account, first_name="Held", last_name=str(index),
                phone=f"+1212555{index:04d}", state="NY", queue_state=facts["queue_state"],
                next_call_at=start + timedelta(minutes=facts["next_call"]) if facts["next_call"] is not None else None,
                last_called_at=start + timedelta(minutes=facts["last_called"])
                if facts["last_called"] is not None else None,
                claimed_by_id=agents[holder_index],
                claim_expires_at=moment + timedelta(minutes=facts["hold_ends"])))
        for index, facts in enumerate(waiting):
            last_called = start + timedelta(minutes=facts["last_called"])
            spacing = SPACING if facts["queue_state"] == "retry" else 0
            stored.append(leads.create_lead(
                campaign_id=campaign.id, account=account, first_name="Waiting", last_name=str(index),
                phone=f"+1312555{index:04d}", state="IL", queue_state=facts["queue_state"], attempts=1,
                last_called_at=last_called, next_call_at=last_called + timedelta(minutes=spacing + facts["wait"])))
        for lead in stored:
            leads.refresh_queue_columns(lead, start)  # as the writer left them, at the start
        campaign_id = campaign.id
        db.session.commit()

        with db.engine.begin() as connection:
            leads.refresh_bands(connection, {campaign_id: SPACING}, moment)
        db.session.rollback()  # read afresh, after the moves
        for lead in stored:
            lead = db.session.get(Lead, lead.id)
            assert lead.queue_rank == queue_rank(lead.queue_facts(), moment), (lead.first_name, lead.queue_facts())
    finally:
        _empty_tables()


def test_rebuilding_puts_every_lead_where_the_rule_says_and_reports_progress(users, campaign, make_lead, list_number):
    from sqlalchemy import update

    from console.clock import utcnow
    from console.leads.queue_columns import queue_columns

    listed = make_lead(campaign, phone="+12125550140")
    moved = make_lead(campaign, phone="+13125550141", state="IL")
    untouched = make_lead(campaign, phone="+12125550142")
    list_number(listed.phone)
    # Written behind the writer's back: a stale key, a flag and rank the list no longer backs.
    db.session.execute(update(Lead).where(Lead.id == moved.id).values(time_zones="Pacific/Honolulu", state="HI"))
    db.session.execute(update(Lead).where(Lead.id == listed.id).values(do_not_call=False, queue_rank=12345))
    db.session.commit()
    reported = []
    changed = leads.rebuild_queue_columns(batch_size=2, progress=lambda done, total: reported.append((done, total)))
    assert changed == 2
    assert reported == [(2, 3), (3, 3)]
    db.session.expire_all()
    for lead in (listed, moved, untouched):  # new leads, due: their rank does not move with the clock
        lead = db.session.get(Lead, lead.id)
        assert {"window_key": lead.window_key, "queue_rank": lead.queue_rank} == queue_columns(lead.queue_facts(),
                                                                                               utcnow())
    assert db.session.get(Lead, listed.id).do_not_call and db.session.get(Lead, listed.id).queue_rank is None
    assert db.session.get(Lead, moved.id).window_key == "Pacific/Honolulu|HI"


def test_the_rebuild_command_shows_its_progress(runner, campaign, make_lead):
    make_lead(campaign)
    make_lead(campaign)
    result = runner.invoke(args=["queue", "rebuild", "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    assert "1 of 2 leads (50 %)" in result.output and "2 of 2 leads (100 %)" in result.output
    assert "0 leads changed place in the queue." in result.output
