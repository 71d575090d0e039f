"""Guide versions in the database: drafts, publishing, revert, concurrent editors, and calls keeping their version."""
import threading

import pytest
from sqlalchemy import select

from console.audit.models import AuditEvent
from console.auth.models import Role, User
from console.extensions import db
from console.guides import rules, services
from console.guides.models import CallGuide, GuideVersion
from console.queue.services import claim_next_lead


def edited(guide: CallGuide, objection_id: str = "too-expensive", response: str = "A sharper answer.") -> dict:
    """The guide's latest content with one objection response rewritten, as the editor would submit it."""
    content = services.latest_version(guide).content
    return dict(content, objections=[dict(item, response=response) if item["id"] == objection_id else item
                                     for item in content["objections"]])


def response_of(content: dict, objection_id: str = "too-expensive") -> str:
    return next(item["response"] for item in content["objections"] if item["id"] == objection_id)


@pytest.fixture
def editor(make_user):
    return make_user(Role.SALES, full_name="Sam Seller")


def test_a_saved_draft_is_not_what_agents_see_until_it_is_published(default_guide, editor):
    draft = services.save_draft(default_guide, edited(default_guide), author=editor, base_number=1,
                                change_note="Sharper price answer")
    db.session.commit()
    assert draft.number == 2 and draft.change_note == "Sharper price answer" and draft.author == editor
    assert default_guide.published_version.number == 1
    assert services.draft_version(default_guide) == draft

    services.publish(default_guide, 2, actor=editor)
    db.session.commit()
    assert response_of(default_guide.published_version.content) == "A sharper answer."
    assert draft.published_at is not None and draft.published_by == editor
    assert services.draft_version(default_guide) is None


def test_saving_the_same_text_again_makes_no_new_version(default_guide, editor):
    assert services.save_draft(default_guide, services.latest_version(default_guide).content, author=editor,
                               base_number=1) is None
    assert len(services.versions_of(default_guide)) == 1


def test_an_invalid_draft_is_refused_and_nothing_is_saved(default_guide, editor):
    content = edited(default_guide, response="Hi {{ contact.shoe_size }}")
    with pytest.raises(rules.GuideError) as refused:
        services.save_draft(default_guide, content, author=editor, base_number=1)
    db.session.rollback()
    [problem] = refused.value.problems
    assert problem.path.startswith("objections[") and "unknown merge field {{ contact.shoe_size }}" in problem.message
    assert len(services.versions_of(default_guide)) == 1


def test_a_second_editor_saving_the_same_draft_is_told_and_the_first_save_is_kept(default_guide, editor, make_user):
    colleague = make_user(Role.SALES, full_name="Riley Closer")
    services.save_draft(default_guide, edited(default_guide, response="Sam's words."), author=editor, base_number=1)
    db.session.commit()
    with pytest.raises(services.GuideConflict) as conflict:
        services.save_draft(default_guide, edited(default_guide, response="Riley's words."), author=colleague,
                            base_number=1)
    db.session.rollback()
    assert str(conflict.value) == "Sam Seller saved version 2 while you were editing version 1."
    assert conflict.value.latest.number == 2
    assert response_of(services.latest_version(default_guide).content) == "Sam's words."

    # Told, and having seen version 2, the colleague saves on top of it: both texts are in the history.
    services.save_draft(default_guide, edited(default_guide, response="Riley's words."), author=colleague, base_number=2)
    db.session.commit()
    assert [response_of(version.content) for version in services.versions_of(default_guide)][:2] == [
        "Riley's words.", "Sam's words."]


def test_two_editors_saving_at_the_same_moment_one_wins_and_the_other_is_told(app, default_guide, editor, make_user):
    colleague = make_user(Role.SALES)
    guide_id, authors = default_guide.id, {"sam": editor.id, "riley": colleague.id}
    db.session.commit()
    start, outcomes = threading.Barrier(2), {}

    def save(name):
        with app.app_context():
            guide = db.session.get(CallGuide, guide_id)
            content = edited(guide, response=f"{name}'s words.")
            author = db.session.get(User, authors[name])
            start.wait()
            try:
                services.save_draft(guide, content, author=author, base_number=1)
                db.session.commit()
                outcomes[name] = "saved"
            except services.GuideConflict:
                db.session.rollback()
                outcomes[name] = "told"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(name,)) for name in authors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes.values()) == ["saved", "told"]
    db.session.expire_all()
    assert [version.number for version in services.versions_of(default_guide)] == [2, 1]


def test_only_the_latest_version_can_be_published(default_guide, editor):
    services.save_draft(default_guide, edited(default_guide, response="First."), author=editor, base_number=1)
    services.save_draft(default_guide, edited(default_guide, response="Second."), author=editor, base_number=2)
    with pytest.raises(services.GuideActionError, match="Version 3 was saved after version 2"):
        services.publish(default_guide, 2, actor=editor)
    with pytest.raises(services.GuideActionError, match="Version 1 is already published"):
        services.publish(default_guide, 1, actor=editor)


def test_publishing_copies_the_persona_and_campaign_used_to_choose_guides(default_guide, editor):
    content = dict(services.latest_version(default_guide).content, persona="Champion", campaign="Main campaign")
    services.save_draft(default_guide, content, author=editor, base_number=1)
    assert default_guide.persona == ""  # a draft changes nothing for agents
    services.publish(default_guide, 2, actor=editor)
    assert (default_guide.persona, default_guide.campaign_name) == ("champion", "Main campaign")


def test_revert_publishes_an_old_text_as_a_new_version(default_guide, editor):
    original = response_of(default_guide.published_version.content)
    services.save_draft(default_guide, edited(default_guide), author=editor, base_number=1)
    services.publish(default_guide, 2, actor=editor)
    reverted = services.revert(default_guide, 1, actor=editor, change_note="the old one converted better")
    db.session.commit()
    assert reverted.number == 3 and default_guide.published_version == reverted
    assert response_of(reverted.content) == original
    assert reverted.change_note == "Reverted to version 1: the old one converted better"
    assert [version.number for version in services.versions_of(default_guide)] == [3, 2, 1]


def test_reverting_to_what_agents_already_see_is_refused(default_guide, editor):
    with pytest.raises(services.GuideActionError, match="Agents already see the text of version 1"):
        services.revert(default_guide, 1, actor=editor)


def test_saves_publishes_and_reverts_are_audited(default_guide, editor):
    services.save_draft(default_guide, edited(default_guide), author=editor, base_number=1, change_note="why")
    services.publish(default_guide, 2, actor=editor)
    services.revert(default_guide, 1, actor=editor)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "CallGuide")
                                .order_by(AuditEvent.id)).all()
    assert [(event.action, event.actor_id) for event in events][-3:] == [
        ("guide.draft_saved", editor.id), ("guide.published", editor.id), ("guide.reverted", editor.id)]
    assert events[-3].detail["note"] == "why" and events[-1].detail["reverted_to"] == 1


def test_a_call_keeps_the_version_it_started_with_and_the_next_call_gets_the_new_one(
        default_guide, campaign, make_lead, users, editor):
    agent = users[Role.TELEPROSPECTOR]
    make_lead(campaign)
    make_lead(campaign)
    first = claim_next_lead(agent)
    services.save_draft(default_guide, edited(default_guide), author=editor, base_number=1)
    services.publish(default_guide, 2, actor=editor)
    db.session.commit()

    on_screen = services.guide_for_call(first)
    assert on_screen["version_number"] == 1 and "sharper" not in str(on_screen["objections"])

    from console.calls.services import record_disposition
    record_disposition(first, agent, "busy")
    db.session.commit()
    second = claim_next_lead(agent)
    assert second.id != first.id and second.guide_version.number == 2
    assert "A sharper answer." in str(services.guide_for_call(second)["objections"])


def test_a_new_guide_starts_as_an_unpublished_copy(default_guide, editor):
    guide = services.create_guide("Champion variant!", "Northwind: champions", author=editor, copy_from=default_guide)
    db.session.commit()
    assert guide.slug == "champion-variant" and guide.published_version is None
    [draft] = services.versions_of(guide)
    assert draft.content["objections"] == default_guide.published_version.content["objections"]
    assert draft.content["name"] == "Northwind: champions" and draft.change_note == "Copied from default-b2b"
    with pytest.raises(rules.GuideError, match="exists already"):
        services.create_guide("champion-variant", "Again", author=editor)


def test_versions_are_numbered_per_guide(default_guide, editor):
    other = services.create_guide("other", "Other guide", author=editor)
    assert services.latest_version(other).number == 1
    assert db.session.scalar(select(GuideVersion.number).where(GuideVersion.guide_id == default_guide.id)) == 1
