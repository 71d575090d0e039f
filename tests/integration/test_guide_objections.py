"""Objections marked on calls, and what they tell sales: how often each response is used, works, and ends qualified."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from console.auth.models import Role
from console.calls.models import Call, CallStatus
from console.clock import utcnow
from console.extensions import db
from console.calls import services as calls
from console.calls.errors import CallError, NotYourCall
from console.guides import services
from console.guides.models import CallObjection


@pytest.fixture
def agent(users):
    return users[Role.TELEPROSPECTOR]


@pytest.fixture
def make_call(campaign, make_lead, agent, default_guide):
    """A call on a new lead, using a given guide version (default: the published one)."""

    def make(version=None, disposition: str | None = None, who=None) -> Call:
        call = Call(lead=make_lead(campaign), campaign_id=campaign.id, agent=who or agent,
                    guide_version=version or default_guide.published_version, status=CallStatus.OPEN)
        db.session.add(call)
        db.session.commit()
        if disposition:
            call.disposition, call.status = disposition, CallStatus.COMPLETED
        return call

    return make


def publish_response(guide, objection_id: str, response: str, editor):
    latest = services.latest_version(guide)
    content = dict(latest.content, objections=[dict(item, response=response) if item["id"] == objection_id else item
                                               for item in latest.content["objections"]])
    services.save_draft(guide, content, author=editor, base_number=latest.number)
    version = services.publish(guide, latest.number + 1, actor=editor)
    db.session.commit()
    return version


def test_an_agent_marks_an_objection_raised_then_whether_the_response_worked(make_call, agent):
    call = make_call()
    calls.mark_objection(call, agent, "no-budget", "raised")
    assert services.marks_for(call) == {"no-budget": None}
    calls.mark_objection(call, agent, "no-budget", "worked")
    calls.mark_objection(call, agent, "send-email", "failed")
    db.session.commit()
    assert services.marks_for(call) == {"no-budget": True, "send-email": False}
    assert db.session.scalar(select(func.count(CallObjection.id))) == 2  # one row per objection per call
    mark = db.session.scalar(select(CallObjection).where(CallObjection.objection_id == "no-budget"))
    assert mark.guide_version_id == call.guide_version_id and mark.agent == agent


def test_undo_removes_the_mark(make_call, agent):
    call = make_call()
    calls.mark_objection(call, agent, "no-budget", "worked")
    calls.mark_objection(call, agent, "no-budget", "clear")
    assert services.marks_for(call) == {}


def test_only_the_calls_own_agent_marks_objections_on_it(make_call, make_user):
    with pytest.raises(NotYourCall):
        calls.mark_objection(make_call(), make_user(Role.TELEPROSPECTOR), "no-budget", "worked")


def test_a_finished_call_and_an_objection_from_another_guide_are_refused(make_call, agent):
    with pytest.raises(CallError, match="This call is finished"):
        calls.mark_objection(make_call(disposition="busy"), agent, "no-budget", "worked")
    with pytest.raises(CallError, match="not in this call's guide"):
        calls.mark_objection(make_call(), agent, "security-review", "worked")


def test_the_call_screen_guide_carries_the_calls_marks(make_call, agent):
    call = make_call()
    calls.mark_objection(call, agent, "too-expensive", "failed")
    assert services.guide_for_call(call)["marks"] == {"too-expensive": False}


def test_statistics_count_uses_worked_and_qualified_per_objection(default_guide, make_call, agent):
    outcomes = [("worked", "qualified"), ("worked", None), ("failed", "not_interested"), ("raised", "qualified")]
    for outcome, disposition in outcomes:
        call = make_call()
        calls.mark_objection(call, agent, "too-expensive", outcome)
        call.disposition = disposition
    db.session.commit()
    performance = {item.objection_id: item for item in services.objection_stats(default_guide, "30")}
    stats = performance["too-expensive"].stats
    assert (stats.used, stats.worked, stats.failed, stats.qualified) == (4, 2, 1, 2)
    assert stats.worked_share == pytest.approx(2 / 3) and stats.qualified_share == 0.5
    assert performance["no-budget"].stats.used == 0
    assert list(performance) == [item["id"] for item in default_guide.published_version.content["objections"]]


def test_statistics_compare_each_wording_of_a_response(default_guide, make_call, agent, make_user):
    editor = make_user(Role.SALES)
    for _ in range(5):
        calls.mark_objection(make_call(), agent, "too-expensive", "failed")
    old_version = default_guide.published_version
    new_version = publish_response(default_guide, "too-expensive", "What would it cost to do nothing?", editor)
    for outcome in ("worked", "worked", "failed"):
        calls.mark_objection(make_call(new_version), agent, "too-expensive", outcome)
    db.session.commit()

    [item] = [item for item in services.objection_stats(default_guide) if item.objection_id == "too-expensive"]
    assert item.stats.used == 8 and item.stats.verdict == "losing"
    first, second = item.wordings
    assert (first.first_version, first.last_version, first.stats.failed) == (old_version.number, old_version.number, 5)
    assert first.stats.verdict == "losing"
    assert second.response == "What would it cost to do nothing?" and (second.stats.worked, second.stats.failed) == (2, 1)


def test_statistics_only_count_marks_inside_the_period(default_guide, make_call, agent):
    calls.mark_objection(make_call(), agent, "no-budget", "worked")
    calls.mark_objection(make_call(), agent, "no-budget", "failed")
    db.session.commit()
    db.session.execute(update(CallObjection).where(CallObjection.worked.is_(False))
                       .values(marked_at=utcnow() - timedelta(days=45)))
    db.session.commit()

    def used(period):
        return next(item.stats.used for item in services.objection_stats(default_guide, period)
                    if item.objection_id == "no-budget")

    assert (used("7"), used("30"), used("90"), used("all")) == (1, 1, 2, 2)


def test_an_objection_removed_from_the_guide_keeps_its_record(default_guide, make_call, agent, make_user):
    calls.mark_objection(make_call(), agent, "happy-with-crm", "worked")
    latest = services.latest_version(default_guide)
    content = dict(latest.content, objections=[item for item in latest.content["objections"]
                                               if item["id"] != "happy-with-crm"])
    services.save_draft(default_guide, content, author=make_user(Role.SALES), base_number=latest.number)
    db.session.commit()
    removed = [item for item in services.objection_stats(default_guide) if not item.in_guide]
    assert [(item.objection_id, item.objection, item.stats.worked) for item in removed] == [
        ("happy-with-crm", "Our CRM already does this.", 1)]
