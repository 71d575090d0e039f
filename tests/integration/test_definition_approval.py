"""Changing the lead definition takes both sides: proposals, votes per side, rejection, revision, staleness and
rebasing, the approval counts an admin sets, and the definition in force every score is made with."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from console.auth.models import Role
from console.extensions import db
from console.outbox.models import OutboxEntry
from console.scoring import services
from console.scoring.models import DefinitionVersion
from console.scoring.rules import SHIPPED_GLOSSARY, SHIPPED_MODEL, VersionStatus, model_to_dict

T, S, M, A = Role.TELEPROSPECTOR, Role.SALES, Role.MARKETING, Role.ADMIN


def budget_worth(points: int, hot: int | None = None) -> dict:
    model = model_to_dict(SHIPPED_MODEL)
    model["criteria"][0]["options"][0]["points"] = points
    if hot is not None:
        model["thresholds"]["hot"] = hot
    return model


def propose(actor, points: int = 30, *, campaign_id=None, submit=True, hot=None, glossary=None):
    return services.propose(actor, campaign_id=campaign_id, model=budget_worth(points, hot),
                            glossary=glossary or SHIPPED_GLOSSARY, note=f"Budget confirmed worth {points}",
                            submit=submit)


def status(version) -> str:
    db.session.expire_all()
    return db.session.get(DefinitionVersion, version.id).status


def kinds_and_titles(kind: str) -> list[str]:
    return [row.payload.get("title") or row.payload.get("subject")
            for row in db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == kind).order_by(OutboxEntry.id))]


@pytest.fixture
def sales_team(users, make_user):
    return [users[S], make_user(S, full_name="Second Seller"), make_user(S, full_name="Third Seller")]


def test_the_shipped_model_is_version_one_in_force_until_a_change_is_approved(users):
    assert services.current_model() == SHIPPED_MODEL
    assert services.in_force().number == 1
    proposal = propose(users[M])
    assert proposal.id > 1 and proposal.status == VersionStatus.PROPOSED
    assert db.session.get(DefinitionVersion, 1).status == VersionStatus.ACTIVE  # stored now, as version 1
    assert services.current_model().version == 1


def test_one_side_alone_cannot_activate_a_change(users, sales_team):
    proposal = propose(sales_team[0])
    services.vote(proposal, sales_team[1], decision="approve")
    services.vote(proposal, sales_team[2], decision="approve")
    assert status(proposal) == VersionStatus.PROPOSED
    assert services.tally_of(db.session.get(DefinitionVersion, proposal.id)).still_needed() == (
        "1 more approval from marketing",)
    services.vote(proposal, users[M], decision="approve")
    assert status(proposal) == VersionStatus.ACTIVE
    assert services.current_model().criterion("budget").options[0].points == 30
    assert services.current_model().version == proposal.id


def test_by_default_two_sales_approvals_and_one_from_marketing_make_it_active(users, sales_team):
    proposal = propose(users[M])  # the proposer's own vote counts for marketing
    services.vote(proposal, sales_team[0], decision="approve")
    assert status(proposal) == VersionStatus.PROPOSED
    assert services.vote(proposal, sales_team[1], decision="approve") == VersionStatus.ACTIVE


def test_an_admin_sets_the_approvals_each_side_gives(users, sales_team, make_user):
    services.save_approval_settings(users[A], sales=1, marketing=2)
    assert services.approval_settings() == {"sales": 1, "marketing": 2}
    proposal = propose(users[M])
    services.vote(proposal, sales_team[0], decision="approve")
    assert status(proposal) == VersionStatus.PROPOSED  # marketing still owes one
    services.vote(proposal, make_user(M), decision="approve")
    assert status(proposal) == VersionStatus.ACTIVE


def test_approval_counts_outside_one_to_ten_are_refused(users):
    with pytest.raises(services.DefinitionInvalid):
        services.save_approval_settings(users[A], sales=0, marketing=1)
    assert services.approval_settings() == {"sales": 2, "marketing": 1}


def test_lowering_the_counts_activates_a_proposal_that_now_has_enough(users, sales_team):
    proposal = propose(users[M])
    services.vote(proposal, sales_team[0], decision="approve")
    services.save_approval_settings(users[A], sales=1, marketing=1)
    assert status(proposal) == VersionStatus.ACTIVE


def test_an_approver_cannot_vote_twice_on_one_revision(users, sales_team):
    proposal = propose(users[M])
    services.vote(proposal, sales_team[0], decision="approve")
    with pytest.raises(services.DefinitionError, match="already voted"):
        services.vote(proposal, sales_team[0], decision="approve")
    with pytest.raises(services.DefinitionError, match="already voted"):
        services.vote(proposal, users[M], decision="approve")  # the proposer voted by proposing


def test_admins_vote_on_the_side_they_choose_but_a_side_needs_one_of_its_own(users, sales_team, make_user):
    proposal = propose(users[M])
    services.vote(proposal, users[A], decision="approve", side="sales")
    services.vote(proposal, make_user(A), decision="approve", side="sales")
    assert status(proposal) == VersionStatus.PROPOSED
    assert services.tally_of(db.session.get(DefinitionVersion, proposal.id)).still_needed() == (
        "an approval from a sales member (admins' votes count only beside one)",)
    services.vote(proposal, sales_team[0], decision="approve")
    assert status(proposal) == VersionStatus.ACTIVE


def test_agents_neither_propose_nor_vote(users):
    with pytest.raises(services.DefinitionError):
        propose(users[T])
    proposal = propose(users[M])
    with pytest.raises(services.DefinitionError):
        services.vote(proposal, users[T], decision="approve")


def test_a_rejection_with_a_comment_ends_the_proposal_and_tells_everyone_involved(users, sales_team):
    proposal = propose(users[M])
    with pytest.raises(services.DefinitionError, match="Say why"):
        services.vote(proposal, sales_team[0], decision="reject")
    services.vote(proposal, sales_team[0], decision="reject", comment="Budget alone should not make a lead hot.")
    assert status(proposal) == VersionStatus.REJECTED
    with pytest.raises(services.DefinitionError):
        services.vote(proposal, sales_team[1], decision="approve")
    titles = kinds_and_titles("notification")
    assert f"Version {proposal.id} of the lead definition was rejected" in titles
    rejected = db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "notification")
                                  .order_by(OutboxEntry.id.desc())).first()
    assert users[M].id in rejected.payload["user_ids"]
    assert "Budget alone should not make a lead hot." in rejected.payload["body"]


def test_a_proposal_asks_both_sides_for_their_vote_in_the_app_and_by_email(users, sales_team):
    proposal = propose(users[M])
    notification = db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "notification")).one()
    assert notification.payload["title"] == f"Version {proposal.id} of the lead definition needs your vote"
    assert set(notification.payload["user_ids"]) == {member.id for member in sales_team}  # not the proposer
    emails = [row.payload["to"] for row in db.session.scalars(select(OutboxEntry).where(OutboxEntry.kind == "email"))]
    assert sorted(emails) == sorted(member.email for member in sales_team)


def test_a_revision_clears_the_approvals_given_so_far(users, sales_team):
    proposal = propose(users[M])
    services.vote(proposal, sales_team[0], decision="approve")
    revised = services.revise(proposal, users[M], model=budget_worth(35), glossary=SHIPPED_GLOSSARY,
                              note="35 then", submit=True)
    assert revised.revision == 2
    assert [(vote.voter_id, vote.revision) for vote in revised.current_votes()] == [(users[M].id, 2)]
    services.vote(revised, sales_team[0], decision="approve")  # may vote again on the new revision
    assert status(revised) == VersionStatus.PROPOSED
    services.vote(revised, sales_team[1], decision="approve")
    assert services.current_model().criterion("budget").options[0].points == 35


def test_only_the_proposer_revises(users, sales_team):
    proposal = propose(users[M])
    with pytest.raises(services.DefinitionError, match="Only its proposer"):
        services.revise(proposal, sales_team[0], model=budget_worth(10), glossary={}, note="", submit=True)


def test_a_draft_is_not_put_to_the_vote_until_its_proposer_submits_it(users, sales_team):
    draft = propose(users[M], submit=False)
    assert draft.status == VersionStatus.DRAFT
    with pytest.raises(services.DefinitionError, match="not open for votes"):
        services.vote(draft, sales_team[0], decision="approve")
    assert kinds_and_titles("notification") == []
    services.submit(draft, users[M])
    assert status(draft) == VersionStatus.PROPOSED


def test_an_unusable_model_is_refused_with_what_is_wrong(users):
    with pytest.raises(services.DefinitionInvalid) as refused:
        propose(users[M], hot=500)
    assert refused.value.problems[0].startswith("Hot (from 500) cannot be reached: the best answers score 105")


def test_activating_one_proposal_makes_the_others_of_its_scope_stale_and_rebasing_carries_them_on(
        users, sales_team, campaign):
    first = propose(users[M], 30)
    second = services.propose(sales_team[0], campaign_id=None, model=budget_worth(25, hot=75),
                              glossary={**SHIPPED_GLOSSARY, "lead": "Reworded."}, note="Hot from 75", submit=True)
    own = propose(users[M], 20, campaign_id=campaign.id)  # the campaign's own: based on the global one in force
    services.vote(first, sales_team[1], decision="approve")
    services.vote(first, sales_team[2], decision="approve")
    assert status(first) == VersionStatus.ACTIVE
    assert status(second) == VersionStatus.STALE and status(own) == VersionStatus.STALE
    with pytest.raises(services.DefinitionError, match="not open for votes"):
        services.vote(second, users[M], decision="approve")
    rebased = services.rebase(db.session.get(DefinitionVersion, second.id), sales_team[0])
    assert rebased.status == VersionStatus.DRAFT and rebased.base_id == first.id and rebased.rebase_conflicts == []
    merged = services.definition_of(rebased).model
    assert (merged.hot_from, merged.criterion("budget").options[0].points) == (75, 30)  # both changes kept
    assert services.definition_of(rebased).glossary["lead"] == "Reworded."


def test_a_campaigns_own_definition_wins_over_the_global_one_for_its_leads(users, sales_team, campaign,
                                                                             make_campaign):
    other = make_campaign("Other campaign")
    own = propose(users[M], 5, campaign_id=campaign.id)
    services.vote(own, sales_team[0], decision="approve")
    services.vote(own, sales_team[1], decision="approve")
    assert services.current_model(campaign.id).criterion("budget").options[0].points == 5
    assert services.current_model(other.id) == SHIPPED_MODEL
    assert services.current_model() == SHIPPED_MODEL
    assert services.in_force(campaign.id).number == own.id


def test_activation_queues_the_rescoring_and_the_guide_check_in_the_same_transaction(users, sales_team):
    proposal = propose(users[M])
    services.vote(proposal, sales_team[0], decision="approve")
    services.vote(proposal, sales_team[1], decision="approve")
    kinds = list(db.session.scalars(select(OutboxEntry.kind).where(OutboxEntry.family == "job")))
    assert kinds.count(services.RESCORE_JOB) == 1 and kinds.count(services.GUIDE_CHECK_JOB) == 1
    assert kinds.count(services.IMPACT_JOB) == 1
    assert f"Version {proposal.id} of the lead definition is approved and in force" in kinds_and_titles("notification")


def test_history_lists_every_version_with_who_approved_it(users, sales_team):
    proposal = propose(users[M])
    services.vote(proposal, sales_team[0], decision="approve")
    services.vote(proposal, sales_team[1], decision="approve")
    versions = services.history()
    assert [version.id for version in versions] == [proposal.id, 1]
    assert versions[1].status == VersionStatus.SUPERSEDED
    definition = services.in_force()
    assert {vote.voter.full_name for vote in definition.approvers} == {
        users[M].full_name, sales_team[0].full_name, sales_team[1].full_name}
    changes = services.changes_between(services.definition_numbered(1), definition)
    assert [(change.what, change.before, change.after) for change in changes] == [
        ("Budget: confirmed", "Budget confirmed +25", "Budget confirmed +30")]
