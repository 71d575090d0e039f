"""Activating a definition rescores the open leads in batches through the lead's writer: handed-over leads keep
their score, the queue order follows at once, progress is reported, a run cut short goes on where it stopped; and
a proposal's impact is counted exactly."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.auth.models import Role
from console.calls import services as calls
from console.clock import utcnow
from console.extensions import db
from console.handoffs.models import Handoff
from console.leads import queue_columns
from console.leads.models import Lead, Touch
from console.leads.rules import Stage
from console.queue.services import claim_next_lead
from console.scoring import jobs, open_leads, services
from console.scoring.models import DefinitionVersion
from console.scoring.rules import SHIPPED_GLOSSARY, SHIPPED_MODEL, model_to_dict

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN
STRONG = {"budget": "confirmed", "authority": "decision_maker", "need": "urgent", "timeline": "under_3_months"}


def activated(users, make_user, model: dict, campaign_id=None) -> DefinitionVersion:
    """A proposal approved by both sides (its rescoring job queued, not run)."""
    proposal = services.propose(users[M], campaign_id=campaign_id, model=model, glossary=SHIPPED_GLOSSARY,
                                note="Change", submit=True)
    services.vote(proposal, users[S], decision="approve")
    services.vote(proposal, make_user(S), decision="approve")
    db.session.rollback()
    version = db.session.get(DefinitionVersion, proposal.id)
    assert version.status == "active"
    return version


def need_worth(points: int) -> dict:
    model = model_to_dict(SHIPPED_MODEL)
    model["criteria"][2]["options"][0]["points"] = points  # Need: urgent
    return model


def fresh(lead_id: int) -> Lead:
    db.session.rollback()
    return db.session.get(Lead, lead_id)


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(jobs, "READ_BATCH", 3)
    monkeypatch.setattr(jobs, "WRITE_GROUP", 3)


def test_open_leads_are_rescored_with_the_new_version_and_the_queue_order_follows(
        users, make_user, campaign, make_lead, answer_lead, small_batches):
    leads = [make_lead(campaign) for _ in range(7)]
    answer_lead(leads[0], need="urgent")  # 30: cool, becomes 90 hot
    answer_lead(leads[1], budget="confirmed", authority="decision_maker")  # 50 warm: no need answered, unchanged
    answer_lead(leads[2], need="some", timeline="3_to_6_months")  # 20 cool, unchanged
    version = activated(users, make_user, need_worth(90))
    reports = []
    result = jobs.rescore(version.id, lambda done, total, stage: reports.append((done, total)),
                          wait_for_snapshots=False)
    assert result == {"rescored": 7, "changed": 1, "in_force": True, "seconds": result["seconds"]}
    assert set(result["seconds"]) == {"waiting_for_batches", "waiting_for_turns", "writing"}
    first = fresh(leads[0].id)
    assert (first.score, first.score_band, first.score_model_version) == (90, "hot", version.id)
    assert {fresh(lead.id).score_model_version for lead in leads} == {version.id}
    assert fresh(leads[6].id).score is None  # nothing counted: still unscored
    now = utcnow()
    for lead in leads:
        stored = fresh(lead.id)
        assert stored.queue_rank == queue_columns.queue_rank(stored.queue_facts(), now)
    assert claim_next_lead(users[T]).lead_id == leads[0].id  # now the best scored, so called first
    assert reports[-1] == (7, 7)
    row = db.session.get(DefinitionVersion, version.id)
    assert (row.rescore_done, row.rescore_changed, row.rescore_total) == (7, 1, 7) and row.rescore_finished_at


def test_a_lead_handed_over_keeps_the_score_and_version_it_was_handed_over_with(
        users, make_user, campaign, make_lead, small_batches):
    agent = users[T]
    make_lead(campaign)
    call = claim_next_lead(agent)
    for key, value in STRONG.items():
        calls.save_answer(call, agent, key, value)
    handoff = calls.record_disposition(call, agent, "qualified")
    open_lead = make_lead(campaign)
    version = activated(users, make_user, need_worth(5))
    jobs.rescore(version.id, wait_for_snapshots=False)
    handed = fresh(call.lead_id)
    assert handed.stage == Stage.MQL
    assert (handed.score, handed.score_model_version) == (100, 1)
    stored = db.session.get(Handoff, handoff.id)
    assert (stored.score, stored.score_band, stored.score_model_version) == (100, "hot", 1)
    assert fresh(open_lead.id).score_model_version == version.id


def test_a_run_cut_short_goes_on_from_the_last_lead_stored(users, make_user, campaign, make_lead, answer_lead,
                                                          small_batches, monkeypatch):
    leads = [make_lead(campaign) for _ in range(8)]
    for lead in leads:
        answer_lead(lead, need="urgent")
    version = activated(users, make_user, need_worth(80))
    port = open_leads.current()
    calls_made = []

    def failing_store(rescored, model_version):
        calls_made.append(len(rescored))
        if len(calls_made) == 2:
            raise RuntimeError("the worker died")
        return type(port).store(port, rescored, model_version)

    monkeypatch.setattr(port, "store", failing_store)
    with pytest.raises(RuntimeError):
        jobs.rescore(version.id, wait_for_snapshots=False)
    db.session.rollback()
    row = db.session.get(DefinitionVersion, version.id)
    done_before = row.rescore_done
    assert 0 < done_before < 8 and row.rescore_last_id == leads[done_before - 1].id
    assert [fresh(lead.id).score for lead in leads[:done_before]] == [80] * done_before
    assert fresh(leads[-1].id).score == 30
    monkeypatch.undo()
    monkeypatch.setattr(jobs, "READ_BATCH", 3)
    result = jobs.rescore(version.id, wait_for_snapshots=False)
    assert result["rescored"] == 8  # each lead stored once: the second run began after the last one stored
    assert [fresh(lead.id).score for lead in leads] == [80] * 8


def test_a_lead_changed_while_it_was_being_rescored_is_left_to_its_change_then_swept(
        users, make_user, campaign, make_lead, answer_lead, monkeypatch):
    lead = make_lead(campaign)
    answer_lead(lead, need="urgent")
    version = activated(users, make_user, need_worth(80))
    port = open_leads.current()
    real_read = type(port).read
    moved = []

    def read_then_changed(self, scope, after_id, limit, *, not_at_model=None):
        batch = real_read(self, scope, after_id, limit, not_at_model=not_at_model)
        if batch and not moved:  # an agent saves an answer after the job read the lead, scored with the old model
            moved.append(True)
            row = db.session.get(Lead, lead.id)
            row.version += 1
            row.score_model_version = 1
            db.session.commit()
        return batch

    monkeypatch.setattr(type(port), "read", read_then_changed)
    jobs.rescore(version.id, wait_for_snapshots=False)
    stored = fresh(lead.id)
    assert (stored.score, stored.score_model_version) == (80, version.id)  # the sweep took it again


def test_a_superseded_versions_job_stops_and_leaves_the_leads_to_the_next(users, make_user, campaign, make_lead,
                                                                         answer_lead):
    lead = make_lead(campaign)
    answer_lead(lead, need="urgent")
    first = activated(users, make_user, need_worth(80))
    second = activated(users, make_user, need_worth(70))
    assert jobs.rescore(first.id, wait_for_snapshots=False) == {"skipped": "not in force"}
    jobs.rescore(second.id, wait_for_snapshots=False)
    assert fresh(lead.id).score == 70


def test_a_campaigns_own_definition_rescores_its_leads_only(users, make_user, make_campaign, make_lead, answer_lead):
    own, other = make_campaign("Own"), make_campaign("Other")
    mine, theirs = make_lead(own), make_lead(other)
    answer_lead(mine, need="urgent")
    answer_lead(theirs, need="urgent")
    version = activated(users, make_user, need_worth(80), campaign_id=own.id)
    jobs.rescore(version.id, wait_for_snapshots=False)
    assert (fresh(mine.id).score, fresh(theirs.id).score) == (80, 30)
    assert fresh(theirs.id).score_model_version == 1


def test_engagement_points_count_on_rescoring_and_fade_with_age(users, make_user, campaign, make_lead, answer_lead):
    lead = make_lead(campaign, touches=[Touch(kind="webinar", description="Attended", occurred_at=utcnow()
                                              - timedelta(days=12, hours=5))])
    answer_lead(lead, need="urgent")
    model = model_to_dict(SHIPPED_MODEL)
    model["engagement"] = {"half_life_days": 16, "cap": None,
                           "kinds": [{"kind": "webinar", "label": "Webinar attended", "points": 10}]}
    version = activated(users, make_user, model)
    jobs.rescore(version.id, wait_for_snapshots=False)
    assert fresh(lead.id).score == 36
    result = calls.score_lead(fresh(lead.id), services.current_model(campaign.id))
    assert [str(line) for line in result.engagement] == ["Webinar attended 12 days ago +6 (decayed from 10)"]


def test_the_impact_of_a_proposal_is_counted_as_by_hand(users, campaign, make_lead, answer_lead):
    """Need urgent 30 → 60 and hot from 70 → 80. By hand, with the model in force and the proposal:
    A urgent+decision maker: 55 warm → 85 hot (up; was over the qualified line already)
    B urgent only: 30 cool → 60 warm (up; crosses the qualified line)
    C budget+decision maker+some+3-6 months: 70 hot → 70 warm (down)
    D budget confirmed: 25 cool → 25 cool (no move)
    E no answers: unscored both ways."""
    a, b, c, d, e = (make_lead(campaign, first_name=name) for name in "ABCDE")
    answer_lead(a, need="urgent", authority="decision_maker")
    answer_lead(b, need="urgent")
    answer_lead(c, budget="confirmed", authority="decision_maker", need="some", timeline="3_to_6_months")
    answer_lead(d, budget="confirmed")
    model = need_worth(60)
    model["thresholds"]["hot"] = 80
    proposal = services.propose(users[M], campaign_id=None, model=model, glossary=SHIPPED_GLOSSARY, note="x",
                                submit=True)
    assert jobs.impact(proposal.id, proposal.revision) == {"leads": 5, "moved": 3}
    db.session.rollback()
    impact = db.session.get(DefinitionVersion, proposal.id).impact
    assert (impact["leads"], impact["up"], impact["down"], impact["moved"]) == (5, 2, 1, 3)
    assert (impact["qualified_gained"], impact["qualified_lost"]) == (1, 0)
    assert impact["bands"]["warm"]["hot"] == 1 and impact["bands"]["cool"]["warm"] == 1
    assert impact["bands"]["hot"]["warm"] == 1 and impact["bands"]["cool"]["cool"] == 1
    assert impact["bands"]["unscored"]["unscored"] == 1
    assert {item["name"].split()[0]: (item["before"], item["after"], item["qualified"]) for item in impact["list"]} == {
        "A": ([55, "warm"], [85, "hot"], ""), "B": ([30, "cool"], [60, "warm"], "gained"),
        "C": ([70, "hot"], [70, "warm"], "")}
    # A revision makes the earlier revision's impact obsolete: it is not stored over the new one.
    services.revise(db.session.get(DefinitionVersion, proposal.id), users[M], model=model, glossary=SHIPPED_GLOSSARY,
                    note="y", submit=True)
    assert jobs.impact(proposal.id, 1) == {"skipped": "the proposal changed or closed since"}


def test_a_large_rescoring_reads_and_scores_in_a_second_process(users, make_user, campaign, make_lead, answer_lead,
                                                                small_batches, monkeypatch):
    monkeypatch.setattr(jobs, "READER_PROCESS_FROM", 1)  # what a million open leads get
    leads = [make_lead(campaign) for _ in range(5)]
    for lead in leads:
        answer_lead(lead, need="urgent")
    version = activated(users, make_user, need_worth(80))
    result = jobs.rescore(version.id, wait_for_snapshots=False)
    assert (result["rescored"], result["changed"], result["in_force"]) == (5, 5, True)
    assert [fresh(lead.id).score for lead in leads] == [80] * 5


def test_a_source_criterion_rescores_each_lead_by_where_marketing_got_it(users, make_user, campaign, make_lead,
                                                                        answer_lead):
    webinar = make_lead(campaign, source="Webinar attendees")
    listed = make_lead(campaign, source="Trade show")
    for lead in (webinar, listed):
        answer_lead(lead, need="urgent")
    model = model_to_dict(SHIPPED_MODEL)
    model["criteria"].append({"key": "lead_source", "label": "Source", "question": "", "kind": "source",
                              "required": False, "group": "", "unit": "", "options": [
                                  {"value": "webinar attendees", "label": "Attended a webinar", "points": 15,
                                   "at_least": None}]})
    version = activated(users, make_user, model)
    jobs.rescore(version.id, wait_for_snapshots=False)
    assert fresh(webinar.id).score == 45 and fresh(listed.id).score == 30


def test_a_group_is_written_in_queue_order_and_a_run_cut_short_inside_it_stores_nothing_twice(
        users, make_user, campaign, make_lead, answer_lead, monkeypatch):
    monkeypatch.setattr(jobs, "READ_BATCH", 3)
    monkeypatch.setattr(jobs, "WRITE_GROUP", 6)
    leads = [make_lead(campaign) for _ in range(8)]
    needs = ["some", "urgent", "none", "urgent", "some", "none", "urgent", "some"]
    for lead, need in zip(leads, needs):
        answer_lead(lead, need=need)
    ranks = {lead.id: fresh(lead.id).queue_rank for lead in leads}
    version = activated(users, make_user, need_worth(80))
    port = open_leads.current()
    stored_ids = []

    def failing_store(rescored, model_version):
        stored_ids.append([item.id for item in rescored])
        if len(stored_ids) == 2:
            raise RuntimeError("the worker died")
        return type(port).store(port, rescored, model_version)

    monkeypatch.setattr(port, "store", failing_store)
    with pytest.raises(RuntimeError):
        jobs.rescore(version.id, wait_for_snapshots=False)
    first_group = stored_ids[0] + stored_ids[1]  # the first six leads read, in the order of their places in the queue
    assert sorted(first_group) == [lead.id for lead in leads[:6]]
    assert [ranks[lead_id] for lead_id in first_group] == sorted(ranks[lead_id] for lead_id in first_group)
    db.session.rollback()
    row = db.session.get(DefinitionVersion, version.id)
    assert (row.rescore_done, row.rescore_last_id) == (3, 0)  # the group was not finished: no checkpoint past it
    monkeypatch.undo()
    result = jobs.rescore(version.id, wait_for_snapshots=False)
    assert result["rescored"] == 8  # the three stored before were not read again
    worth = {"some": 10, "urgent": 80, "none": -20}
    assert [fresh(lead.id).score for lead in leads] == [worth[need] for need in needs]
