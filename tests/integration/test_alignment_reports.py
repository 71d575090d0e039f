"""The objections report and the evidence for the scoring model, against hand-computed figures on a small fixed
data set."""
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from console.auth.models import Role
from console.calls import services as calls
from console.calls.models import Call, CallStatus
from console.clock import utcnow
from console.extensions import db
from console.guides import services as guides
from console.handoffs.models import Handoff, HandoffStatus, Outcome, RejectionResult
from console.reports.evidence import evidence
from console.reports.objections import objection_report

def today():
    return utcnow().date()  # the suite's clock (tests/conftest.py), read inside a test


@pytest.fixture
def agent(users):
    return users[Role.TELEPROSPECTOR]


@pytest.fixture
def make_call(campaign, make_lead, agent, default_guide):
    def make(version=None, campaign_=None) -> Call:
        call = Call(lead=make_lead(campaign_ or campaign), campaign_id=(campaign_ or campaign).id, agent=agent,
                    guide_version=version or default_guide.published_version, status=CallStatus.OPEN)
        db.session.add(call)
        db.session.commit()
        return call

    return make


def publish_response(guide, objection_id: str, response: str, editor):
    latest = guides.latest_version(guide)
    content = dict(latest.content, objections=[dict(item, response=response) if item["id"] == objection_id else item
                                               for item in latest.content["objections"]])
    guides.save_draft(guide, content, author=editor, base_number=latest.number)
    version = guides.publish(guide, latest.number + 1, actor=editor)
    db.session.commit()
    return version


def _mark(make_call, agent, version, outcome, disposition, campaign_=None):
    call = make_call(version, campaign_)
    calls.mark_objection(call, agent, "too-expensive", outcome)
    call.disposition, call.status = disposition, CallStatus.COMPLETED
    db.session.commit()


def test_objections_count_per_version_and_before_and_after_the_response_edit(
        default_guide, make_call, agent, users, make_campaign, campaign):
    first = default_guide.published_version
    for outcome, disposition in [("worked", "qualified"), ("failed", "not_interested"), ("failed", "not_interested"),
                                 ("raised", "not_interested")]:
        _mark(make_call, agent, first, outcome, disposition)
    edited = publish_response(default_guide, "too-expensive", "Let us compare the cost of doing nothing.",
                              users[Role.SALES])
    for outcome, disposition in [("worked", "qualified"), ("worked", "qualified"), ("failed", "not_interested")]:
        _mark(make_call, agent, edited, outcome, disposition)
    other = make_campaign("Elsewhere")
    _mark(make_call, agent, edited, "worked", "qualified", other)  # another campaign: not counted below

    lines = objection_report(campaign.id, today() - timedelta(days=1), today())
    [line] = lines
    assert (line.stats.used, line.stats.qualified, line.stats.failed) == (7, 3, 3)
    assert [(v.version, v.stats.used, v.stats.qualified, v.response_edited) for v in line.versions] == [
        (first.number, 4, 1, False), (edited.number, 3, 2, True)]
    assert line.edited_in == edited.number
    assert line.before_edit.qualified_share == pytest.approx(1 / 4)
    assert line.after_edit.qualified_share == pytest.approx(2 / 3)
    assert line.change_since_edit == pytest.approx(2 / 3 - 1 / 4)

    every = {line.key: line for line in objection_report(None, today(), today())}
    assert sum(line.stats.used for line in every.values()) == 8
    assert objection_report(None, today() - timedelta(days=10), today() - timedelta(days=2)) == []


@pytest.fixture
def handoffs(qualify, campaign):
    """Six hand-offs of one campaign with hand-set answers and outcomes (the table below is computed by hand)."""
    facts = [
        # budget answer, status, opportunity, outcome
        ("confirmed", HandoffStatus.ACCEPTED, True, Outcome.WON),
        ("confirmed", HandoffStatus.ACCEPTED, True, Outcome.LOST),
        ("confirmed", HandoffStatus.REJECTED, False, None),
        ("planned", HandoffStatus.ACCEPTED, True, Outcome.WON),
        ("planned", HandoffStatus.ACCEPTED, False, None),
        (None, HandoffStatus.PENDING, False, None),
    ]
    made = []
    for budget, status, opportunity, outcome in facts:
        handoff = qualify(campaign)
        answers = dict(handoff.answers)
        if budget is None:
            answers.pop("budget")
        else:
            answers["budget"] = dict(answers["budget"], value=budget)
        db.session.execute(update(Handoff).where(Handoff.id == handoff.id).values(
            answers=answers, status=status, opportunity_at=utcnow() if opportunity else None, outcome=outcome,
            won_cents=100_000 if outcome == Outcome.WON else None))
        made.append(handoff.id)
    rerouted = qualify(campaign)  # re-routed: its new hand-off counts instead, so it does not
    db.session.execute(update(Handoff).where(Handoff.id == rerouted.id).values(
        status=HandoffStatus.REJECTED, rejection_result=RejectionResult.REROUTED))
    db.session.commit()
    return made


def test_the_evidence_table_counts_each_answer_option_with_its_win_rate_and_interval(handoffs, campaign):
    table = evidence(campaign.id, today(), today())
    assert table.handoffs == 6
    budget = next(criterion for criterion in table.criteria if criterion.key == "budget")
    rows = {option.value: option for option in budget.options}
    confirmed, planned = rows["confirmed"], rows["planned"]
    assert (confirmed.handoffs, confirmed.accepted, confirmed.opportunities, confirmed.won) == (3, 2, 2, 1)
    assert (planned.handoffs, planned.accepted, planned.opportunities, planned.won) == (2, 2, 1, 1)
    assert rows["none"].handoffs == 0 and rows["none"].interval is None
    assert budget.unmatched == 1
    assert confirmed.win_rate == pytest.approx(1 / 3)
    # Wilson 95 % for 1 of 3: centre (1/3 + 0.6403) / 2.2805 = 0.4270, half-width 0.3654
    assert confirmed.interval.low == pytest.approx(0.0615, abs=1e-4)
    assert confirmed.interval.high == pytest.approx(0.7923, abs=1e-4)
    assert not budget.flagged  # three and two hand-offs: the intervals overlap
    assert table.suggestions == []  # below MIN_HANDOFFS_FOR_SUGGESTION, nothing moves
    authority = next(criterion for criterion in table.criteria if criterion.key == "authority")
    assert next(o for o in authority.options if o.value == "decision_maker").handoffs == 6


def test_the_evidence_leaves_out_other_days_and_other_campaigns(handoffs, campaign, make_campaign):
    assert evidence(campaign.id, today() - timedelta(days=9), today() - timedelta(days=1)).handoffs == 0
    assert evidence(make_campaign("Empty").id, today(), today()).handoffs == 0
    assert evidence(None, today(), today()).handoffs == 6


def test_options_whose_points_disagree_are_flagged_and_points_suggested(qualify, campaign):
    for index in range(24):  # confirmed (25 points) wins 1 of 12; planned (15 points) wins 11 of 12
        handoff = qualify(campaign)
        budget = "confirmed" if index < 12 else "planned"
        won = (index == 0) if budget == "confirmed" else index != 12
        db.session.execute(update(Handoff).where(Handoff.id == handoff.id).values(
            answers=dict(handoff.answers, budget=dict(handoff.answers["budget"], value=budget)),
            status=HandoffStatus.ACCEPTED, outcome=Outcome.WON if won else Outcome.LOST))
    db.session.commit()
    table = evidence(campaign.id, today(), today())
    budget = next(criterion for criterion in table.criteria if criterion.key == "budget")
    rows = {option.value: option for option in budget.options}
    assert rows["confirmed"].flagged and rows["planned"].flagged and not rows["unknown"].flagged
    # the range of points stays -10..25: the worst measured option gets -10, the best 25
    assert (rows["confirmed"].suggested, rows["planned"].suggested) == (-10, 25)
    assert table.suggestions == ["budget:confirmed:-10", "budget:planned:25"]
