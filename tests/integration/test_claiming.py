"""Claiming the next lead against a real database: one lead, one agent, only dialable leads, fixed order."""
from concurrent.futures import ThreadPoolExecutor
from datetime import time, timedelta

from sqlalchemy import func, select

from console.calls.models import Call, CallStatus
from console.calls.services import record_disposition
from console.clock import utcnow
from console.compliance.models import DoNotCallEntry
from console.compliance.rules import CallingHours, calling_window
from console.extensions import db
from console.leads import queue_columns
from console.leads.models import Lead
from console.leads.queue_columns import LeadState
from console.leads.rules import QueueState
from console.queue import services


def test_an_agent_gets_one_lead_and_an_open_call_on_it(users, campaign, make_lead):
    lead = make_lead(campaign)
    call = services.claim_next_lead(users["teleprospector"])
    assert call.lead_id == lead.id
    assert call.status == CallStatus.OPEN
    assert call.guide_version_id == campaign.call_guide.published_version_id
    db.session.refresh(lead)
    assert lead.claimed_by_id == users["teleprospector"].id
    assert lead.claim_expires_at > utcnow()


def test_a_claim_is_in_the_audit_log_with_who_which_lead_and_which_call(app, users, campaign, make_lead):
    from console.audit.models import AuditEvent

    lead = make_lead(campaign)
    agent = users["teleprospector"]
    with app.test_request_context(environ_base={"REMOTE_ADDR": "203.0.113.9"}):
        call = services.claim_next_lead(agent)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.claimed")).one()
    assert (event.subject_type, event.subject_id, event.detail) == ("Lead", lead.id, {"call_id": call.id})
    assert (event.actor_id, event.actor_email, event.ip_address) == (agent.id, agent.email, "203.0.113.9")
    assert event.at == call.started_at


def test_claims_written_together_each_get_their_own_lead_call_and_audit_row(app, make_user, campaign, make_lead):
    """Eight agents claim while the writer turn is held elsewhere: on SQLite the first leads alone and the
    other seven queue in this process's writer line and are written together, in one transaction
    (writers.in_line); on PostgreSQL they claim side by side. Each gets its own lead, call and audit row."""
    import threading
    import time as clock

    from sqlalchemy import event

    from console.audit.models import AuditEvent
    from console.auth.models import User
    from console.database import writers

    for _ in range(10):
        make_lead(campaign)
    agent_ids = [make_user().id for _ in range(8)]
    sqlite = db.engine.dialect.name == "sqlite"
    commits = []

    def committed(_connection):
        commits.append(threading.get_ident())

    event.listen(db.engine, "commit", committed)
    turn = writers.lock_for_engine(db.engine)
    if sqlite:
        turn.acquire()  # the claims queue until the turn is free

    def claim(agent_id):
        with app.app_context():
            call = services.claim_next_lead(db.session.get(User, agent_id))
            result = (agent_id, call.id, call.lead_id)
            db.session.remove()
            return result

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(claim, agent_id) for agent_id in agent_ids]
            if sqlite:
                clock.sleep(0.5)  # every claim has read its state and joined the line
                before = len(commits)
                turn.release()
            results = [future.result() for future in futures]
    finally:
        event.remove(db.engine, "commit", committed)
    assert len({lead_id for _agent, _call, lead_id in results}) == 8
    if sqlite:
        # Written in two transactions: the leader's own, then the seven that waited behind it.
        writer_commits = commits[before:]
        assert len(writer_commits) == 2, writer_commits
    db.session.rollback()
    for agent_id, call_id, lead_id in results:
        call = db.session.get(Call, call_id)
        assert (call.agent_id, call.lead_id, call.status) == (agent_id, lead_id, CallStatus.OPEN)
        assert db.session.get(Lead, lead_id).claimed_by_id == agent_id
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "lead.claimed",
                                                            AuditEvent.subject_id == lead_id)).one()
        assert (event.actor_id, event.detail) == (agent_id, {"call_id": call_id})


def test_asking_again_returns_the_lead_the_agent_already_holds(users, campaign, make_lead):
    make_lead(campaign)
    make_lead(campaign)
    first = services.claim_next_lead(users["teleprospector"])
    second = services.claim_next_lead(users["teleprospector"])
    assert first.id == second.id


def test_two_agents_never_get_the_same_lead(users, make_user, campaign, make_lead):
    make_lead(campaign)
    other = make_user()
    first = services.claim_next_lead(users["teleprospector"])
    second = services.claim_next_lead(other)
    assert first is not None
    assert second is None


def test_many_agents_claiming_at_once_never_share_a_lead(app, make_user, campaign, make_lead):
    for _ in range(12):
        make_lead(campaign)
    agent_ids = [make_user().id for _ in range(16)]

    def claim(agent_id):
        with app.app_context():
            from console.auth.models import User

            call = services.claim_next_lead(db.session.get(User, agent_id))
            lead_id = call.lead_id if call else None
            db.session.remove()
            return lead_id

    with ThreadPoolExecutor(max_workers=16) as pool:
        claimed = [lead_id for lead_id in pool.map(claim, agent_ids) if lead_id is not None]
    assert len(claimed) == 12
    assert len(set(claimed)) == 12
    db.session.rollback()  # read what the threads committed, not this session's old snapshot
    holders = db.session.execute(select(Lead.claimed_by_id).where(Lead.claimed_by_id.is_not(None))).scalars().all()
    assert len(set(holders)) == 12


def test_a_lead_on_the_do_not_call_list_is_never_claimed(users, campaign, make_lead, list_number):
    lead = make_lead(campaign)
    list_number(lead.phone)
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_a_campaign_do_not_call_entry_blocks_only_that_campaign(users, make_campaign, make_lead, list_number):
    first, second = make_campaign(), make_campaign()
    blocked = make_lead(first, phone="+13125550111")
    allowed = make_lead(second, phone="+13125550111")
    list_number(blocked.phone, campaign_id=first.id, reason="campaign opt-out")
    assert services.claim_next_lead(users["teleprospector"]).lead_id == allowed.id


def test_a_lead_outside_its_calling_window_is_not_claimed(users, make_campaign, make_lead):
    now_new_york = utcnow().replace(tzinfo=None)
    # A campaign whose hours are closed right now in New York (a one-minute window two hours away).
    from zoneinfo import ZoneInfo
    from datetime import UTC

    local = now_new_york.replace(tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    opens = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    closed_campaign = make_campaign(calling_start=opens, calling_end=(
        local + timedelta(hours=2, minutes=1)).time().replace(second=0, microsecond=0))
    make_lead(closed_campaign)
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_a_lead_with_an_unknown_time_zone_is_not_claimed(users, campaign, make_lead):
    make_lead(campaign, time_zones="")
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_a_lead_out_of_attempts_is_not_claimed(users, campaign, make_lead):
    make_lead(campaign, attempts=campaign.max_attempts)
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_a_retry_is_not_claimed_before_its_delay_has_passed(users, campaign, make_lead):
    make_lead(campaign, queue_state=QueueState.RETRY, next_call_at=utcnow() + timedelta(minutes=30))
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_someone_elses_callback_is_not_offered_to_me(users, make_user, campaign, make_lead):
    owner = make_user()
    make_lead(campaign, queue_state=QueueState.CALLBACK, next_call_at=utcnow() - timedelta(minutes=1),
              callback_owner_id=owner.id)
    assert services.claim_next_lead(users["teleprospector"]) is None
    assert services.claim_next_lead(owner) is not None


def test_queue_order_is_callbacks_then_inbound_then_retries_then_new(users, campaign, make_lead):
    agent = users["teleprospector"]
    past = utcnow() - timedelta(minutes=5)
    new = make_lead(campaign)
    retry = make_lead(campaign, queue_state=QueueState.RETRY, next_call_at=past)
    inbound = make_lead(campaign, inbound=True)
    anyones_callback = make_lead(campaign, queue_state=QueueState.CALLBACK, next_call_at=past)
    my_callback = make_lead(campaign, queue_state=QueueState.CALLBACK, next_call_at=past, callback_owner_id=agent.id)

    order = []
    for _ in range(5):
        call = services.claim_next_lead(agent)
        order.append(call.lead_id)
        record_disposition(call, agent, "not_interested")
    assert order == [my_callback.id, anyones_callback.id, inbound.id, retry.id, new.id]


def test_higher_priority_campaigns_and_higher_scores_come_first(users, make_campaign, make_lead):
    agent = users["teleprospector"]
    low, high = make_campaign(priority=1), make_campaign(priority=9)
    low_lead = make_lead(low, score=90)
    high_cool = make_lead(high, score=10)
    high_hot = make_lead(high, score=80)
    order = []
    for _ in range(3):
        call = services.claim_next_lead(agent)
        order.append(call.lead_id)
        record_disposition(call, agent, "not_interested")
    assert order == [high_hot.id, high_cool.id, low_lead.id]


def test_a_lapsed_claim_returns_the_lead_to_the_queue(users, make_user, campaign, make_lead, change_lead):
    lead = make_lead(campaign)
    first_call = services.claim_next_lead(users["teleprospector"])
    lead = change_lead(db.session.get(Lead, lead.id), claim_expires_at=utcnow() - timedelta(seconds=1))

    other = make_user()
    second_call = services.claim_next_lead(other)
    assert second_call.lead_id == lead.id
    assert db.session.get(Call, first_call.id).status == CallStatus.ABANDONED
    assert services.current_call(users["teleprospector"]) is None


def test_inactive_campaigns_are_not_worked(users, make_campaign, make_lead):
    make_lead(make_campaign(active=False))
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_the_dialable_count_matches_what_can_be_claimed(users, campaign, make_lead):
    make_lead(campaign)
    make_lead(campaign, time_zones="")
    make_lead(campaign, attempts=99)
    assert services.count_dialable(users["teleprospector"]) == 1


def test_campaign_hours_are_read_in_the_leads_local_time(users, make_campaign, make_lead):
    # Around the clock for the campaign still means 08:00–21:00 for the lead.
    campaign = make_campaign(calling_start=time(0, 0), calling_end=time(23, 59))
    make_lead(campaign, phone="+18085550142")  # Honolulu
    expected_open = calling_window(["Pacific/Honolulu"], None, utcnow(), CallingHours(time(0), time(23, 59))).open
    assert (services.claim_next_lead(users["teleprospector"]) is not None) == expected_open


# ---------------------------------------------------------------- calling rules at claim time

import multiprocessing  # noqa: E402

import pytest  # noqa: E402

from console.auth.models import User  # noqa: E402
from console.queue import rules  # noqa: E402
from tests.builders import at_local, next_weekday_at  # noqa: E402


def test_cannot_claim_a_lead_outside_its_calling_window(users, campaign, make_lead):
    lead = make_lead(campaign, phone="+13125550150", state="IL")  # Chicago
    agent = users["teleprospector"]
    assert services.claim_next_lead(agent, now=at_local(7, 12, "America/Chicago")) is None
    assert services.claim_next_lead(agent, now=at_local(8, 0, "America/Chicago")).lead_id == lead.id


def test_a_texas_lead_waits_for_nine_while_an_illinois_lead_is_called_at_eight_thirty(users, campaign, make_lead):
    texas = make_lead(campaign, phone="+12145550150", state="TX")
    illinois = make_lead(campaign, phone="+13125550151", state="IL")
    moment = at_local(8, 30, "America/Chicago")
    call = services.claim_next_lead(users["teleprospector"], now=moment)
    assert call.lead_id == illinois.id
    assert services.claim_next_lead(users["teleprospector"], now=moment).lead_id == illinois.id  # still mine
    assert calling_window(texas.zone_list, "TX", moment).reason.endswith("opens 09:00 (Texas rule)")


def test_a_campaign_that_calls_on_weekdays_claims_nothing_on_saturday(users, make_campaign, make_lead):
    weekdays = make_campaign(calling_days="12345")
    make_lead(weekdays)
    assert services.claim_next_lead(users["teleprospector"], now=next_weekday_at(17, weekday=6)) is None
    assert services.claim_next_lead(users["teleprospector"], now=next_weekday_at(17, weekday=2)) is not None


def test_a_campaign_holiday_claims_nothing(users, make_campaign, make_lead):
    moment = next_weekday_at(17)
    closed = make_campaign(holidays=[moment.date().isoformat()])
    make_lead(closed)
    assert services.claim_next_lead(users["teleprospector"], now=moment) is None


def test_a_retry_is_not_claimed_before_the_campaigns_minimum_spacing(users, make_campaign, make_lead):
    spaced = make_campaign(min_retry_minutes=120)
    lead = make_lead(spaced, queue_state=QueueState.RETRY, attempts=1, next_call_at=utcnow() - timedelta(minutes=1),
                     last_called_at=utcnow() - timedelta(minutes=90))
    assert services.claim_next_lead(users["teleprospector"]) is None
    assert services.claim_next_lead(users["teleprospector"], now=utcnow() + timedelta(minutes=31)).lead_id == lead.id


def test_a_waiting_retry_is_promoted_when_its_time_comes(users, campaign, make_lead):
    lead = make_lead(campaign, queue_state=QueueState.RETRY, attempts=1,
                     next_call_at=utcnow() + timedelta(minutes=5), last_called_at=utcnow() - timedelta(hours=3))
    assert lead.queue_rank >= queue_columns.WAITING_LOW
    assert services.claim_next_lead(users["teleprospector"]) is None
    call = services.claim_next_lead(users["teleprospector"], now=utcnow() + timedelta(minutes=6))
    assert call.lead_id == lead.id


def test_a_number_put_on_the_list_while_waiting_is_never_claimed(users, campaign, make_lead, list_number):
    lead = make_lead(campaign)
    list_number(lead.phone)
    db.session.refresh(lead)
    assert lead.do_not_call and lead.queue_rank is None
    assert services.claim_next_lead(users["teleprospector"]) is None


def test_numbers_added_from_the_do_not_call_page_are_never_claimed_and_come_back_once_removed(
        users, make_campaign, make_lead):
    from console.leads import services as leads

    first, second = make_campaign(), make_campaign()
    one = make_lead(first, phone="+13125550171")
    in_file = [make_lead(first, phone=f"+1312555017{n}") for n in (2, 3)]
    other_campaign = make_lead(second, phone="+13125550172")
    admin, agent = users["admin"], users["teleprospector"]
    entry = leads.list_number(one.phone, admin, campaign_id=None, reason="asked by email")
    leads.list_numbers([lead.phone for lead in in_file], admin, campaign_id=first.id, reason="file", file_name="x.csv",
                       counts={})
    call = services.claim_next_lead(agent)
    assert call.lead_id == other_campaign.id  # the file was for the first campaign only
    record_disposition(call, agent, "not_interested")
    assert services.claim_next_lead(agent) is None

    leads.unlist_number(entry.id, admin, reason="listed by mistake")
    assert services.claim_next_lead(agent).lead_id == one.id


def test_an_opt_out_recorded_on_a_call_takes_the_number_out_of_every_campaign(users, make_campaign, make_lead):
    first, second = make_campaign(), make_campaign()
    make_lead(first, phone="+13125550160")
    twin = make_lead(second, phone="+13125550160")
    agent = users["teleprospector"]
    call = services.claim_next_lead(agent)
    record_disposition(call, agent, "do_not_call")
    db.session.refresh(twin)
    assert twin.do_not_call
    assert services.claim_next_lead(agent) is None


def test_a_list_entry_written_behind_the_flag_is_still_refused_at_claim(users, campaign, make_lead):
    lead = make_lead(campaign)
    # Written with plain SQL, so no hook flags the lead: the claim's own check must catch it.
    db.session.execute(DoNotCallEntry.__table__.insert().values(phone=lead.phone, reason="imported", added_at=utcnow()))
    db.session.commit()
    assert services.claim_next_lead(users["teleprospector"]) is None
    db.session.refresh(lead)
    assert lead.do_not_call  # and the claim mended the flag


def test_a_stale_window_key_is_never_trusted(users, make_campaign, make_lead):
    campaign = make_campaign(calling_start=time(8), calling_end=time(21))
    lead = make_lead(campaign, phone="+13125550170", state="IL")
    moment = next_weekday_at(18)  # midday in Chicago, 08:00 or 07:00 in Honolulu
    # Re-zone the lead to Honolulu behind its writer's back: the key still says Chicago.
    db.session.execute(Lead.__table__.update().where(Lead.__table__.c.id == lead.id)
                       .values(time_zones="Pacific/Honolulu", state="HI"))
    db.session.commit()
    honolulu_open = calling_window(["Pacific/Honolulu"], "HI", moment).open
    call = services.claim_next_lead(users["teleprospector"], now=moment)
    assert (call is not None) == honolulu_open
    db.session.refresh(lead)
    assert lead.window_key == "Pacific/Honolulu|HI"


def test_my_own_due_callback_comes_before_anything_else_even_in_a_lower_priority_campaign(users, make_campaign,
                                                                                          make_lead):
    agent = users["teleprospector"]
    low, high = make_campaign(priority=1), make_campaign(priority=9)
    make_lead(high, inbound=True, score=99)
    mine = make_lead(low, queue_state=QueueState.CALLBACK, next_call_at=utcnow() - timedelta(minutes=1),
                     callback_owner_id=agent.id, attempts=1)
    assert services.claim_next_lead(agent).lead_id == mine.id


@pytest.mark.parametrize("hour_utc, weekday", [(12, 2), (14, 2), (17, 2), (23, 2), (2, 3), (5, 3), (18, 7), (15, 6)])
def test_no_claimed_lead_ever_breaks_a_calling_rule(make_user, make_campaign, make_lead, list_number, hour_utc,
                                                   weekday):
    """Many leads across zones, states with rules, lists and attempts: whatever is claimed is callable."""
    campaign = make_campaign(calling_start=time(8), calling_end=time(21), max_attempts=3, calling_days="123456")
    numbers = [("+12125550101", "NY"), ("+13055550102", "FL"), ("+12145550103", "TX"), ("+15025550104", "KY"),
               ("+12055550105", "AL"), ("+14015550106", "RI"), ("+18015550107", "UT"), ("+14155550108", "CA"),
               ("+19075550109", "AK"), ("+18085550110", "HI"), ("+16025550111", "AZ"), ("+18005550112", None)]
    for index, (phone, state) in enumerate(numbers * 2):
        lead = make_lead(campaign, phone=phone[:-2] + f"{index:02d}", state=state,
                         time_zones=",".join(rules_infer(phone, state)), attempts=index % 4)
        if index % 7 == 0:
            list_number(lead.phone)
    moment = next_weekday_at(hour_utc, weekday)
    claimed = []
    for _ in range(len(numbers) * 2):
        agent = make_user()
        call = services.claim_next_lead(agent, now=moment)
        if call is None:
            break
        lead = db.session.get(Lead, call.lead_id)
        facts = LeadState(**{**lead.queue_facts().__dict__, "claimed_by_id": None, "claim_expires_at": None})
        assert rules.problems(facts, campaign.calling_rules(), moment) == [], lead.phone
        claimed.append(lead.id)
    assert len(claimed) == len(set(claimed))
    expected = sum(1 for lead in db.session.scalars(select(Lead).where(Lead.campaign_id == campaign.id))
                   if lead.id in claimed or not rules.problems(
                       LeadState(**{**lead.queue_facts().__dict__, "do_not_call": is_listed(lead.phone, lead.campaign_id)}),
                       campaign.calling_rules(), moment))
    assert len(claimed) == expected


def is_listed(phone, campaign_id):
    from console.compliance.services import is_listed as listed

    return listed(phone, campaign_id)


def rules_infer(phone, state):
    from console.compliance.rules import infer_time_zones

    return infer_time_zones(phone, state)


def _claim_in_a_process(database_url: str, agent_ids: list[int], now) -> list[int]:
    """Claims in a fresh process; `now` is the suite's clock, which a spawned process does not share."""
    from console import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x"})
    claimed = []
    with app.app_context():
        for agent_id in agent_ids:
            call = services.claim_next_lead(db.session.get(User, agent_id), now=now)
            if call is not None:
                claimed.append(call.lead_id)
        db.session.remove()
        db.engine.dispose()
    return claimed


def test_agents_in_separate_processes_never_share_a_lead(app, make_user, campaign, make_lead):
    for _ in range(10):
        make_lead(campaign)
    agent_ids = [make_user().id for _ in range(16)]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = pool.starmap(_claim_in_a_process, [(url, agent_ids[n::4], utcnow()) for n in range(4)])
    claimed = [lead_id for result in results for lead_id in result]
    assert len(claimed) == 10
    assert len(set(claimed)) == 10


def test_a_tab_that_looked_before_another_tab_claimed_gets_that_tabs_call(app, users, campaign, make_lead):
    """The claim reads the agent's state before it writes; the claiming statement itself refuses a second lead.

    Forces the race: both tabs of one agent read that the agent holds nothing before
    either writes. SQLite: the writer turn is held until both have read and queued.
    PostgreSQL: the first tab is held inside its claim (the calls table is locked, so it
    waits to open its call) while the second reads its state in a statement whose
    snapshot predates the first tab's commit.
    """
    import threading
    import time as clock

    from sqlalchemy import text

    from console.database import writers

    for _ in range(3):
        make_lead(campaign)
    agent_id = users["teleprospector"].id
    results = {}

    def tab(name):
        with app.app_context():
            call = services.claim_next_lead(db.session.get(User, agent_id))
            results[name] = (call.id, call.lead_id)
            db.session.remove()

    tabs = [threading.Thread(target=tab, args=(name,)) for name in ("first", "second")]
    if db.engine.dialect.name == "sqlite":
        turn = writers.lock_for_engine(db.engine)
        turn.acquire()
        for thread in tabs:
            thread.start()
        clock.sleep(0.5)  # both have read the agent's state (nothing held) and queued to write
        turn.release()
    else:
        blocker = db.engine.connect()
        blocker.execute(text("LOCK TABLE calls IN EXCLUSIVE MODE"))
        tabs[0].start()
        clock.sleep(0.5)  # the first tab holds the agent's claim lock and a lead, waiting to open its call
        tabs[1].start()
        clock.sleep(0.5)  # the second tab's first statement waits for the agent's claim lock
        blocker.rollback()
        blocker.close()
    for thread in tabs:
        thread.join(30)
    assert results["first"] == results["second"]
    db.session.rollback()
    assert db.session.scalar(select(func.count(Lead.id)).where(Lead.claimed_by_id == agent_id)) == 1
    assert db.session.scalar(select(func.count(Call.id)).where(Call.agent_id == agent_id)) == 1


def test_one_agent_claiming_from_several_processes_holds_one_lead(app, users, campaign, make_lead):
    """Tabs of one agent served by different server processes: still exactly one lead."""
    for _ in range(8):
        make_lead(campaign)
    agent_id = users["teleprospector"].id
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = pool.starmap(_claim_in_a_process, [(url, [agent_id] * 3, utcnow()) for _ in range(4)])
    assert {lead_id for result in results for lead_id in result} != set()
    assert len({lead_id for result in results for lead_id in result}) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count(Lead.id)).where(Lead.claimed_by_id == agent_id)) == 1
    assert db.session.scalar(select(func.count(Call.id)).where(Call.agent_id == agent_id)) == 1


def test_a_lapsed_lease_is_released_and_its_open_call_abandoned(users, make_user, campaign, make_lead):
    lead = make_lead(campaign)
    first = services.claim_next_lead(users["teleprospector"])
    later = utcnow() + timedelta(minutes=16)  # past the 15-minute lease
    other = make_user()
    second = services.claim_next_lead(other, now=later)
    assert second.lead_id == lead.id
    assert db.session.get(Call, first.id).status == CallStatus.ABANDONED


def test_many_tabs_of_one_agent_claiming_at_once_hold_one_lead(app, users, campaign, make_lead):
    """One agent pressing Next lead in 8 tabs at the same moment still holds exactly one lead."""
    for _ in range(8):
        make_lead(campaign)
    agent_id = users["teleprospector"].id

    def claim(_tab):
        with app.app_context():
            from console.auth.models import User

            call = services.claim_next_lead(db.session.get(User, agent_id))
            result = (call.id, call.lead_id) if call else None
            db.session.remove()
            return result

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(claim, range(8)))
    assert len(set(results)) == 1 and results[0] is not None
    db.session.rollback()
    assert db.session.scalar(select(func.count(Lead.id)).where(Lead.claimed_by_id == agent_id)) == 1
    assert db.session.scalar(select(func.count(Call.id)).where(Call.agent_id == agent_id)) == 1


def test_the_call_a_claim_returns_is_the_row_it_stored(users, campaign, make_lead):
    """The claim hands back the call it inserted without reading it again: it must match the row."""
    make_lead(campaign)
    call = services.claim_next_lead(users["teleprospector"])
    returned = {column.key: getattr(call, column.key) for column in Call.__table__.columns}
    stored = db.session.get(Call, call.id, populate_existing=True)
    assert returned == {column.key: getattr(stored, column.key) for column in Call.__table__.columns}
    assert call.lead.id == call.lead_id and call.agent.id == users["teleprospector"].id


def test_a_campaign_paused_in_this_process_stops_claims_at_once(users, make_user, campaign, make_lead):
    """The running campaigns are kept for a second per process, but a change made here drops them at once."""
    make_lead(campaign)
    make_lead(campaign)
    assert services.claim_next_lead(users["teleprospector"]) is not None
    campaign.active = False
    db.session.commit()
    assert services.claim_next_lead(make_user()) is None


def test_a_head_of_leads_that_cannot_be_called_does_not_hide_the_next_dialable_lead(users, make_user, campaign,
                                                                                    make_lead):
    """More leads with no known zone than the fast path reads lead the queue: the claim still finds the dialable
    one (on SQLite going straight to the per-window path for the rest of the minute)."""
    from console.leads import services as leads
    from console.leads.models import Account
    from console.queue.statements import HEAD_SCAN

    account = Account(name="Nowhere Inc", industry="Software", employees=20)
    for n in range(HEAD_SCAN + 10):
        leads.create_lead(campaign=campaign, account=account, first_name="Pat", last_name=f"Unknown{n}",
                          phone=f"+1212555{n:04d}", time_zones="", state=None, inbound=True)
    db.session.commit()
    dialable = [make_lead(campaign).id, make_lead(campaign).id]
    moment = utcnow().replace(second=0)
    services.forget_process_memory()  # whatever an earlier test in this minute left
    first = services.claim_next_lead(users["teleprospector"], now=moment)
    assert first is not None and first.lead_id in dialable
    assert services.claims_by_path == {"fast_missed": 1, "per_window": 1}
    second = services.claim_next_lead(make_user(), now=moment)
    assert second is not None and {first.lead_id, second.lead_id} == set(dialable)
    # SQLite remembers the miss for the minute; PostgreSQL tries the fast path again (a miss may be momentary).
    missed = 1 if db.engine.dialect.name == "sqlite" else 2
    assert services.claims_by_path == {"fast_missed": missed, "per_window": 2}
    services.claim_next_lead(make_user(), now=moment + timedelta(minutes=1))
    assert services.claims_by_path["fast_missed"] == missed + 1  # a new minute: the fast path is tried again


def test_a_campaign_never_claims_a_lead_in_a_state_it_does_not_serve(users, make_campaign, make_lead):
    campaign = make_campaign(excluded_states=["TX"])
    texan = make_lead(campaign, phone="+12145550160", state="TX")
    new_yorker = make_lead(campaign, phone="+12125550161", state="NY")
    agent = users["teleprospector"]
    assert services.claim_next_lead(agent).lead_id == new_yorker.id
    record_disposition(services.current_call(agent), agent, "not_interested")
    assert services.claim_next_lead(agent) is None
    explanation = services.explain_lead(texan, users["marketing"])
    assert [problem.text for problem in explanation.problems] == ["state not served by this campaign"]
    breakdown = services.campaign_dialability(campaign)
    assert {reason.code: reason.count for reason in breakdown.reasons}["state_not_served"] == 1


def test_an_ended_or_archived_campaign_is_never_claimed_whatever_its_active_flag_says(users, make_campaign, make_lead):
    """Ending sets `active` off too, but the rule does not rely on it: a row left active is still refused."""
    now = utcnow()
    ended = make_campaign("Ended", ended_at=now - timedelta(days=1))
    archived = make_campaign("Archived", ended_at=now - timedelta(days=9), archived_at=now - timedelta(days=2))
    make_lead(ended)
    make_lead(archived)
    assert ended.active and archived.active
    assert services.claim_next_lead(users["teleprospector"]) is None
    assert services.count_dialable(users["teleprospector"]) == 0


def test_ending_a_campaign_stops_claims_at_once_and_the_lead_says_why(users, make_user, campaign, make_lead):
    from console.campaigns import services as campaigns

    first, second = make_lead(campaign), make_lead(campaign)
    assert services.claim_next_lead(users["teleprospector"]) is not None
    campaigns.change_life(campaign, users["marketing"], "end")
    assert services.claim_next_lead(make_user()) is None
    waiting = second if services.current_call(users["teleprospector"]).lead_id == first.id else first
    explanation = services.explain_lead(waiting, users["marketing"])
    assert [problem.text for problem in explanation.problems] == [
        f"campaign Main campaign ended on {utcnow():%Y-%m-%d}"]


def test_a_campaign_outside_its_dates_is_not_claimed_until_they_come(users, make_campaign, make_lead):
    today = utcnow().date()
    make_lead(make_campaign("Later", start_date=today + timedelta(days=1)))
    make_lead(make_campaign("Over", end_date=today - timedelta(days=1)))
    agent = users["teleprospector"]
    assert services.claim_next_lead(agent) is None
    assert services.claim_next_lead(agent, now=utcnow() + timedelta(days=1)) is not None  # Later's first day


def test_a_campaign_with_its_own_lead_fields_is_claimed_like_any_other(users, make_campaign, make_lead):
    campaign = make_campaign(custom_fields=[{"key": "fleet_size", "label": "Fleet size"}],
                             holidays=["2030-12-25"])
    lead = make_lead(campaign, custom_fields={"fleet_size": "40"})
    assert services.claim_next_lead(users["teleprospector"]).lead_id == lead.id
