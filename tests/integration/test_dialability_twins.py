"""Each dialability rule and its SQL twin agree, on generated leads in the real database; so do the claim and the rule.

console/queue/rules.py states every rule once in Python; console/queue/statements.py
gives each its twin: a predicate on the lead's row, or the plan's running campaigns
and open window keys. Here hypothesis generates leads and campaigns, the console
stores them as it does (console.leads.services), and every twin is compared with its
rule, lead by lead. Then leads are claimed until none is left: every claimed lead
passes every rule, and every lead the rules call dialable was claimed.
"""
from datetime import time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import DateTime, bindparam, text

from console.auth.models import Role, User
from console.calls.models import Call
from console.campaigns.models import Campaign
from console.compliance.models import DoNotCallEntry
from console.extensions import db
from console.leads import services as leads
from console.leads.models import Account, Lead
from console.leads.queue_columns import LeadState
from console.queue import rules, statements
from console.queue import services as queue
from tests.builders import next_weekday_at

AGENTS = 3
# Where leads are: zones open at most hours, zones often closed, a state rule, and an unknown zone.
PLACES = [(("America/New_York",), "NY"), (("America/Chicago",), "TX"), (("Pacific/Honolulu",), "HI"),
          (("America/Los_Angeles",), "CA"), (("America/Anchorage", "America/Adak"), "AK"), ((), None),
          (("America/New_York",), "RI")]
MOMENTS = [(12, 2), (14, 3), (17, 2), (21, 4), (2, 3), (18, 7), (15, 6)]  # (hour UTC, ISO weekday)


def minutes(*choices):
    """Offsets from the moment judged, the edges of every rule among them (a minute either side of each)."""
    return st.sampled_from(choices).map(lambda value: timedelta(minutes=value))


lead_facts = st.fixed_dictionaries({
    "queue_state": st.sampled_from(["new", "retry", "callback", "closed"]),
    "place": st.sampled_from(PLACES),
    "listed": st.booleans(),
    "attempts": st.integers(0, 7),
    "last_called": st.one_of(st.none(), minutes(-300, -121, -120, -119, -31, -30, -29, -1, 0, 1)),
    "next_call": st.one_of(st.none(), minutes(-120, -1, 0, 1, 120)),
    "callback_owner": st.one_of(st.none(), st.integers(0, AGENTS - 1)),
    "holder": st.one_of(st.none(), st.integers(0, AGENTS - 1)),
    "hold_ends": minutes(-30, -1, 0, 1, 30),
    "inbound": st.booleans(),
    "score": st.one_of(st.none(), st.integers(-50, 120)),
})
campaigns = st.fixed_dictionaries({
    "active": st.sampled_from([True, True, True, False]),
    "starts_in_days": st.sampled_from([None, -3, 2]),
    "ends_in_days": st.sampled_from([None, 0, 3]),  # 0: its last day
    # Mostly a campaign as it is; else ended by marketing (final, whatever `active` says), archived, or past its end.
    "life": st.sampled_from([None] * 6 + ["ended", "archived", "past its end date"]),
    "hours": st.sampled_from([(time(0), time(23, 59)), (time(9), time(17)), (time(8), time(21))]),
    "calling_days": st.sampled_from(["1234567", "12345", "6"]),
    "max_attempts": st.integers(1, 6),
    "min_retry_minutes": st.sampled_from([0, 30, 120]),
    "excluded_states": st.sampled_from([[], ["TX"], ["NY", "HI"]]),
})


def _empty_tables():
    db.session.rollback()
    for model in (Call, DoNotCallEntry, Lead, Account, Campaign):
        db.session.query(model).delete()
    db.session.commit()
    queue.forget_process_memory()


def _store(campaign_facts, facts_list, agent_ids, moment):
    starts, ends, life = campaign_facts["starts_in_days"], campaign_facts["ends_in_days"], campaign_facts["life"]
    if life == "past its end date":
        ends = -1
    campaign = Campaign(name="Generated", source="list", active=campaign_facts["active"],
                        start_date=moment.date() + timedelta(days=starts) if starts is not None else None,
                        end_date=moment.date() + timedelta(days=ends) if ends is not None else None,
                        ended_at=moment - timedelta(days=1) if life in ("ended", "archived") else None,
                        archived_at=moment - timedelta(hours=1) if life == "archived" else None,
                        calling_start=campaign_facts["hours"][0], calling_end=campaign_facts["hours"][1],
                        calling_days=campaign_facts["calling_days"], max_attempts=campaign_facts["max_attempts"],
                        min_retry_minutes=campaign_facts["min_retry_minutes"],
                        excluded_states=campaign_facts["excluded_states"])
    db.session.add(campaign)
    db.session.flush()
    account = Account(name="Generated Inc")
    stored = []
    for index, facts in enumerate(facts_list):
        zones, state = facts["place"]
        phone = f"+1212555{index:04d}"
        holder = agent_ids[facts["holder"]] if facts["holder"] is not None else None
        lead = leads.create_lead(
            campaign_id=campaign.id, account=account, first_name="Pat", last_name=f"Generated{index}", phone=phone,
            state=state, time_zones=zones, queue_state=facts["queue_state"], attempts=facts["attempts"],
            last_called_at=moment + facts["last_called"] if facts["last_called"] is not None else None,
            next_call_at=moment + facts["next_call"] if facts["next_call"] is not None else None,
            callback_owner_id=agent_ids[facts["callback_owner"]] if facts["callback_owner"] is not None else None,
            claimed_by_id=holder, claim_expires_at=moment + facts["hold_ends"] if holder is not None else None,
            inbound=facts["inbound"], score=facts["score"])
        if facts["listed"]:
            leads.add_to_do_not_call(phone, reason="generated")
        stored.append(lead)
    db.session.commit()
    for lead in stored:
        leads.refresh_queue_columns(lead, moment)  # the columns as of the moment judged
    db.session.commit()
    return campaign, stored


def _row_twins(campaign, moment, agent_id):
    """Each row twin's verdict for every lead of the campaign, evaluated by the database itself."""
    row_twins = [twin for twin in statements.TWINS if twin.decided == statements.ROW]
    columns = ", ".join(f"CASE WHEN {twin.sql} THEN 1 ELSE 0 END AS {twin.code}" for twin in row_twins)
    rules_of = campaign.calling_rules()
    rows = db.session.execute(text(
        f"SELECT l.id, {columns} FROM leads AS l CROSS JOIN (SELECT :max_attempts AS max_attempts,"
        " :spaced_before AS spaced_before) AS k WHERE l.campaign_id = :campaign_id")
        .bindparams(bindparam("now", type_=DateTime()), bindparam("spaced_before", type_=DateTime())),
        {"campaign_id": campaign.id, "max_attempts": rules_of.max_attempts, "now": moment, "agent_id": agent_id,
         "spaced_before": moment - timedelta(minutes=rules_of.min_retry_minutes)}).all()
    return {row.id: {twin.code: bool(getattr(row, twin.code)) for twin in row_twins} for row in rows}


def test_every_rule_has_its_twin_and_every_twin_a_rule():
    assert set(statements.TWIN_OF) == set(rules.REASONS) - {"dialable"}
    for twin in statements.TWINS:
        assert twin.decided in (statements.ROW, statements.WINDOW_KEY, statements.CAMPAIGN, statements.DIAL_TIME)
        assert bool(twin.sql) == (twin.decided == statements.ROW), twin.code


def test_every_claiming_and_counting_statement_applies_every_row_twin():
    for dialect in ("sqlite", "postgresql"):
        for name in ("fast_claim", "per_window_claim", "own_callback_claim", "count_dialable", "per_window_peek"):
            sql = statements.render(name, dialect, campaigns=2)
            for twin in statements.TWINS:
                if twin.decided == statements.ROW:
                    assert twin.sql in sql, (dialect, name, twin.code)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(campaign_facts=campaigns, facts_list=st.lists(lead_facts, min_size=1, max_size=12),
       moment_at=st.sampled_from(MOMENTS), viewer=st.one_of(st.none(), st.integers(0, AGENTS - 1)))
def test_each_twin_agrees_with_its_rule_on_generated_leads(make_user, campaign_facts, facts_list, moment_at, viewer):
    agent_ids = _agents(make_user)
    moment = next_weekday_at(*moment_at)
    try:
        campaign, stored = _store(campaign_facts, facts_list, agent_ids, moment)
        agent_id = agent_ids[viewer] if viewer is not None else None
        verdicts = _row_twins(campaign, moment, agent_id)
        rules_of = campaign.calling_rules()
        plan = queue.claim_plan(moment)
        for lead in stored:
            facts = lead.queue_facts()
            found = {problem.code for problem in rules.problems(facts, rules_of, moment, agent_id=agent_id)}
            for code, passes in verdicts[lead.id].items():
                assert passes == (code not in found), (code, facts)
            running = campaign.id in plan.campaigns
            assert running == ("campaign_paused" not in found)
            if running:
                key_found = found & {twin.code for twin in statements.TWINS if twin.decided == statements.WINDOW_KEY}
                assert plan.is_open(campaign.id, lead.window_key) == (not key_found), (lead.window_key, key_found)
    finally:
        _empty_tables()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(campaign_facts=campaigns, facts_list=st.lists(lead_facts, min_size=1, max_size=12),
       moment_at=st.sampled_from(MOMENTS))
def test_no_claimed_lead_ever_breaks_a_rule_and_every_dialable_lead_is_claimed(make_user, campaign_facts, facts_list,
                                                                               moment_at):
    agent_ids = _agents(make_user)
    moment = next_weekday_at(*moment_at)
    try:
        campaign, stored = _store(campaign_facts, facts_list, agent_ids, moment)
        rules_of = campaign.calling_rules()
        # Fresh agents claim: nobody holds a lead or owns a callback, so "dialable" means dialable by anyone.
        dialable = {lead.id for lead in stored
                    if not rules.problems(_as_listed(lead.queue_facts(), lead), rules_of, moment, agent_id=-1)}
        claimed = []
        for _ in range(len(stored) + 1):
            call = queue.claim_next_lead(make_user(Role.TELEPROSPECTOR), now=moment)
            if call is None:
                break
            lead = db.session.get(Lead, call.lead_id)
            before = LeadState(**{**lead.queue_facts().__dict__, "claimed_by_id": None, "claim_expires_at": None})
            assert rules.problems(before, rules_of, moment) == [], lead.phone
            claimed.append(lead.id)
        assert len(claimed) == len(set(claimed))
        assert set(claimed) == dialable
    finally:
        _empty_tables()


def _as_listed(facts: LeadState, lead) -> LeadState:
    from console.compliance.services import is_listed

    return LeadState(**{**facts.__dict__, "do_not_call": facts.do_not_call or is_listed(lead.phone, lead.campaign_id)})


_agent_ids: dict[str, list[int]] = {}


def _agents(make_user) -> list[int]:
    """Agents who may hold leads and own callbacks (users outlive the examples of a test: made once per test)."""
    key = str(db.engine.url)
    ids = [user_id for user_id in (_agent_ids.get(key) or []) if db.session.get(User, user_id) is not None]
    if len(ids) < AGENTS:
        ids = [make_user(Role.TELEPROSPECTOR).id for _ in range(AGENTS)]
        _agent_ids[key] = ids
    return ids
