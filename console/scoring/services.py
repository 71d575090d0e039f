"""The lead definition in force, and how it changes: versions, proposals, the two sides' votes, activation.

`current_model(campaign_id)` is what every new score is made with: the campaign's own active version, else
the global one (version 1 is the model the console ships with). Each process keeps the active versions in a
short Snapshot (docs/architecture.md, "What a process may remember"), dropped at once when this process
writes a version; another process's activation is seen within ACTIVE_TTL_SECONDS, and the rescoring job
sweeps once more after that time for any score made with the old model meanwhile.

A change is a proposal: a version with a note, proposed by a sales member or a marketing manager (or an
admin), put to the vote, and made active in the transaction of the vote that completes the approvals each
side must give (`ApprovalSettings`, by default two from sales and one from marketing). The functions a view
calls own their transaction; every message (notifications, emails) and job (impact, rescoring) they cause is
written in it (docs/outbox.md).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, func, or_, select, text, update
from sqlalchemy.orm import selectinload

from console.audit import services as audit
from console.auth.models import Role, User
from console.clock import utcnow
from console.database import writers
from console.database.snapshots import Memo, Snapshot
from console.extensions import db
from console.outbox import services as outbox
from console.scoring import open_leads, rules
from console.scoring.models import ApprovalSettings, DefinitionVersion, DefinitionVote
from console.scoring.rules import (APPROVE, MARKETING, REJECT, SALES, SHIPPED_GLOSSARY, SHIPPED_MODEL, ScoringModel,
                                   VersionStatus)
from console.web import absolute_url_for, path_for

# Job kinds, registered by console/scoring/jobs.py.
IMPACT_JOB = "job.definition_impact"
RESCORE_JOB = "job.definition_rescore"
# Registered by console/guides/jobs.py: the published guides checked against a newly active definition.
GUIDE_CHECK_JOB = "job.guide_definition_check"

SHIPPED_VERSION = 1
SHIPPED_NOTE = "The definition the console shipped with."
ROLE_SIDES = {Role.SALES: SALES, Role.MARKETING: MARKETING}

# How long a process trusts its list of active versions (see the module docstring).
ACTIVE_TTL_SECONDS = 2.0
_active_versions = Snapshot(ACTIVE_TTL_SECONDS, DefinitionVersion)
_models = Memo(limit=500)  # a version's model, parsed once a process (an active version's model never changes)


class DefinitionError(Exception):
    """A change to the definition that cannot be made, in words a person can act on."""


class DefinitionInvalid(DefinitionError):
    """A proposed model that cannot be used: every problem found (scoring.rules.model_problems)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__(" ".join(problems))


# ---------------------------------------------------------------- the model in force

def _parsed(version_id: int, model: dict) -> ScoringModel:
    parsed = _models.get(version_id)
    if parsed is None:
        parsed = _models.remember(version_id, rules.model_from_dict(model, version=version_id))
    return parsed


def _load_active() -> dict[int | None, ScoringModel]:
    rows = db.session.execute(select(DefinitionVersion.id, DefinitionVersion.campaign_id, DefinitionVersion.model)
                              .where(DefinitionVersion.status == VersionStatus.ACTIVE)).all()
    return {campaign_id: _parsed(version_id, model) for version_id, campaign_id, model in rows}


def _models_in_force() -> dict[int | None, ScoringModel]:
    return _active_versions.get(str(db.engine.url), _load_active)


def current_model(campaign_id: int | None = None) -> ScoringModel:
    """The model new scores of this campaign's leads are made with: the campaign's own, else the global one."""
    models = _models_in_force()
    if campaign_id is not None and campaign_id in models:
        return models[campaign_id]
    return models.get(None, SHIPPED_MODEL)


def model_version(version: int) -> ScoringModel | None:
    """The model a stored score was made with, if it is still known."""
    if version == SHIPPED_VERSION and db.session.get(DefinitionVersion, SHIPPED_VERSION) is None:
        return SHIPPED_MODEL
    row = db.session.get(DefinitionVersion, version)
    if row is None:
        return None
    return _parsed(row.id, row.model) if not row.is_open else rules.model_from_dict(row.model, version=row.id)


def campaigns_with_own_definition() -> tuple[int, ...]:
    return tuple(sorted(campaign_id for campaign_id in _models_in_force() if campaign_id is not None))


def scope_of(campaign_id: int | None) -> open_leads.LeadScope:
    """The leads a definition of this scope scores (a campaign's own wins over the global one)."""
    if campaign_id is not None:
        return open_leads.LeadScope(campaign_id=campaign_id)
    # Read now, not from the snapshot: a rescoring asks each batch, and a campaign given its own meanwhile drops out.
    return open_leads.LeadScope(except_campaigns=tuple(db.session.scalars(
        select(DefinitionVersion.campaign_id).where(DefinitionVersion.status == VersionStatus.ACTIVE,
                                                    DefinitionVersion.campaign_id.is_not(None))
        .order_by(DefinitionVersion.campaign_id))))


# ---------------------------------------------------------------- reading versions

@dataclass(frozen=True)
class Definition:
    """A version as the pages show it: its model and glossary read, its approvers, its standing."""

    version: DefinitionVersion | None  # None: the shipped definition, never stored (a new database)
    model: ScoringModel
    glossary: dict[str, str]
    approvers: tuple[DefinitionVote, ...]

    @property
    def number(self) -> int:
        return self.version.id if self.version else SHIPPED_VERSION

    @property
    def since(self) -> datetime | None:
        return self.version.activated_at if self.version else None

    @property
    def note(self) -> str:
        return self.version.note if self.version else SHIPPED_NOTE


def _definition(version: DefinitionVersion | None) -> Definition:
    if version is None:
        return Definition(None, SHIPPED_MODEL, dict(SHIPPED_GLOSSARY), ())
    approvers = tuple(vote for vote in version.current_votes() if vote.decision == APPROVE)
    return Definition(version, rules.model_from_dict(version.model, version=version.id),
                      {**SHIPPED_GLOSSARY, **(version.glossary or {})}, approvers)


def _version_query():
    return select(DefinitionVersion).options(
        selectinload(DefinitionVersion.votes).selectinload(DefinitionVote.voter),
        selectinload(DefinitionVersion.proposed_by), selectinload(DefinitionVersion.campaign))


def in_force(campaign_id: int | None = None) -> Definition:
    """The definition in force for a campaign (its own, else the global one), or the global one."""
    rows = {row.campaign_id: row for row in db.session.scalars(_version_query().where(
        DefinitionVersion.status == VersionStatus.ACTIVE,
        or_(DefinitionVersion.campaign_id.is_(None), DefinitionVersion.campaign_id == campaign_id)))}
    return _definition(rows.get(campaign_id) if campaign_id is not None and campaign_id in rows else rows.get(None))


def definition_of(version: DefinitionVersion) -> Definition:
    return _definition(version)


def version(version_id: int) -> DefinitionVersion | None:
    return db.session.scalars(_version_query().where(DefinitionVersion.id == version_id)).first()


def history(campaign_id: int | None = None, *, every_scope: bool = True) -> list[DefinitionVersion]:
    """Every version, newest first (one scope's when asked)."""
    query = _version_query().order_by(DefinitionVersion.id.desc())
    if not every_scope:
        query = query.where(DefinitionVersion.campaign_id == campaign_id if campaign_id is not None
                            else DefinitionVersion.campaign_id.is_(None))
    versions = list(db.session.scalars(query))
    if not any(row.id == SHIPPED_VERSION for row in versions) and (every_scope or campaign_id is None):
        versions.append(None)  # the shipped version, never stored in this database yet
    return versions


def open_proposals() -> list[DefinitionVersion]:
    return list(db.session.scalars(_version_query().where(DefinitionVersion.status.in_(VersionStatus.OPEN))
                                   .order_by(DefinitionVersion.id.desc())))


def changes_between(first: Definition, second: Definition) -> tuple[rules.Change, ...]:
    return rules.definition_changes((rules.model_to_dict(first.model), first.glossary),
                                    (rules.model_to_dict(second.model), second.glossary))


def definition_numbered(number: int) -> Definition | None:
    """Any version by its number (1 is the shipped one even before this database stored it)."""
    row = version(number)
    if row is None:
        return _definition(None) if number == SHIPPED_VERSION else None
    return _definition(row)


def approval_settings() -> dict[str, int]:
    row = db.session.get(ApprovalSettings, 1)
    return {SALES: row.sales_approvals, MARKETING: row.marketing_approvals} if row else dict(rules.DEFAULT_APPROVALS)


def tally_of(version: DefinitionVersion, needed: Mapping[str, int] | None = None) -> rules.Tally:
    return rules.tally([rules.Ballot(vote.side, vote.decision, ROLE_SIDES.get(vote.voter.role) == vote.side)
                        for vote in version.current_votes()], needed or approval_settings())


def voted(version: DefinitionVersion, user) -> DefinitionVote | None:
    return next((vote for vote in version.current_votes() if vote.voter_id == user.id), None)


def vote_refusal(version: DefinitionVersion, user) -> str | None:
    """Why this user may not vote on this proposal now (None: they may)."""
    if version.status != VersionStatus.PROPOSED:
        return f"Version {version.id} is not open for votes ({version.status_label.lower()})."
    if user.role not in (Role.SALES, Role.MARKETING, Role.ADMIN):
        return "Only sales members, marketing managers and admins vote on the lead definition."
    if voted(version, user) is not None:
        return "You have already voted on this revision; a revision by its proposer opens a new vote."
    return None


def distribution(campaign_id: int | None = None) -> dict[str | None, int]:
    """The open leads the definition scores, by band (None: unscored)."""
    return open_leads.current().band_counts(scope_of(campaign_id))


# ---------------------------------------------------------------- what the pages show

@dataclass(frozen=True)
class DefinitionPage:
    definition: Definition
    campaign_id: int | None
    reaches: tuple[rules.Reach, ...]
    distribution: dict[str | None, int]
    open_proposals: int

    @property
    def open_leads(self) -> int:
        return sum(self.distribution.values())


# Counting a million open leads by band takes a few hundred milliseconds: each process keeps the counts briefly.
DISTRIBUTION_TTL_SECONDS = 60.0
_distributions = Snapshot(DISTRIBUTION_TTL_SECONDS)


def definition_page(campaign_id: int | None = None) -> DefinitionPage:
    definition = in_force(campaign_id)
    scope = definition.version.campaign_id if definition.version is not None else None
    counts = _distributions.get((str(db.engine.url), scope, definition.number), lambda: distribution(scope))
    pending = db.session.scalar(select(func.count(DefinitionVersion.id)).where(
        DefinitionVersion.status.in_((VersionStatus.PROPOSED, VersionStatus.DRAFT)))) or 0
    return DefinitionPage(definition, scope, rules.reaches(definition.model), counts, pending)


@dataclass(frozen=True)
class ProposalPage:
    version: DefinitionVersion
    definition: Definition
    base: Definition
    changes: tuple[rules.Change, ...]
    tally: rules.Tally
    impact: dict | None  # the latest revision's, once worked out
    earlier_votes: tuple[DefinitionVote, ...]
    my_vote: DefinitionVote | None
    vote_refusal: str | None
    can_change: bool
    in_force_number: int

    @property
    def impact_pending(self) -> bool:
        return self.version.is_open and self.impact is None

    @property
    def rescoring(self) -> bool:
        return self.version.status == VersionStatus.ACTIVE and self.version.rescore_finished_at is None


def proposal_page(version_id: int, viewer) -> ProposalPage | None:
    row = version(version_id)
    if row is None:
        return None
    definition = _definition(row)
    base = definition_numbered(row.base_id) if row.base_id else None
    if base is None:
        base = definition
    impact = row.impact if row.impact and row.impact.get("revision") == row.revision else None
    return ProposalPage(
        version=row, definition=definition, base=base, changes=changes_between(base, definition),
        tally=tally_of(row), impact=impact,
        earlier_votes=tuple(vote for vote in row.votes if vote.revision != row.revision),
        my_vote=voted(row, viewer), vote_refusal=vote_refusal(row, viewer), can_change=row.can_be_changed_by(viewer),
        in_force_number=current_model(row.campaign_id).version)


@dataclass(frozen=True)
class Comparison:
    first: Definition
    second: Definition
    changes: tuple[rules.Change, ...]


def comparison(first: int, second: int) -> Comparison | None:
    a, b = definition_numbered(first), definition_numbered(second)
    if a is None or b is None:
        return None
    return Comparison(a, b, changes_between(a, b))


# ---------------------------------------------------------------- changing it: one transaction each

def _lock_definition() -> ApprovalSettings:
    """The settings row, locked on PostgreSQL: every change to the definition queues on it, so two votes that
    each complete the approvals cannot both activate. (SQLite's writer turn already makes them queue.)"""
    row = db.session.scalars(select(ApprovalSettings).where(ApprovalSettings.id == 1).with_for_update()).first()
    if row is None:
        row = ApprovalSettings(id=1, sales_approvals=rules.DEFAULT_APPROVALS[SALES],
                               marketing_approvals=rules.DEFAULT_APPROVALS[MARKETING])
        db.session.add(row)
        db.session.flush()
    return row


def _ensure_shipped() -> None:
    """Store the shipped definition as version 1 if this database has no version yet (migration 0013 does on an
    upgraded database). Joins the caller's transaction."""
    if db.session.scalar(select(func.count(DefinitionVersion.id))):
        return
    db.session.add(DefinitionVersion(id=SHIPPED_VERSION, status=VersionStatus.ACTIVE,
                                     model=rules.model_to_dict(SHIPPED_MODEL), glossary=dict(SHIPPED_GLOSSARY),
                                     note=SHIPPED_NOTE, activated_at=utcnow(), rescore_finished_at=utcnow()))
    db.session.flush()
    if db.engine.dialect.name == "postgresql":  # an id given by hand leaves the sequence behind
        db.session.execute(text("SELECT setval(pg_get_serial_sequence('definition_versions', 'id'), "
                                "(SELECT MAX(id) FROM definition_versions))"))


def _active_row(campaign_id: int | None) -> DefinitionVersion | None:
    return db.session.scalars(select(DefinitionVersion).where(
        DefinitionVersion.status == VersionStatus.ACTIVE,
        DefinitionVersion.campaign_id == campaign_id if campaign_id is not None
        else DefinitionVersion.campaign_id.is_(None))).first()


def _in_force_row(campaign_id: int | None) -> DefinitionVersion:
    """The version in force for a scope: the campaign's own, else the global one."""
    return (_active_row(campaign_id) if campaign_id is not None else None) or _active_row(None)


def _checked(model: dict, glossary: Mapping[str, str]) -> tuple[dict, dict]:
    try:
        parsed = rules.model_from_dict(model)
    except ValueError as error:
        raise DefinitionInvalid([str(error)]) from None
    problems = list(rules.model_problems(parsed))
    unknown = sorted(set(glossary) - set(rules.GLOSSARY_TERMS))
    if unknown:
        problems.append(f"Unknown glossary terms: {', '.join(unknown)}.")
    for term, definition in glossary.items():
        if len(definition) > rules.LIMITS["definition"]:
            problems.append(f"The definition of {term} is longer than {rules.LIMITS['definition']} characters.")
    if problems:
        raise DefinitionInvalid(problems)
    return rules.model_to_dict(parsed), {term: glossary[term].strip() for term in rules.GLOSSARY_TERMS
                                         if term in glossary}


def _side_members() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active.is_(True), User.role.in_(tuple(ROLE_SIDES)))
                                   .order_by(User.id)))


def _scope_words(version: DefinitionVersion) -> str:
    return f"{version.campaign.name}'s lead definition" if version.campaign_id else "the lead definition"


def _ask_for_votes(version: DefinitionVersion, actor) -> None:
    """Everyone on either side who has not voted on this revision hears that it needs their vote."""
    already = {vote.voter_id for vote in version.current_votes()}
    members = [user for user in _side_members() if user.id not in already and user.id != actor.id]
    title = f"Version {version.id} of {_scope_words(version)} needs your vote"
    url = path_for("scoring.proposal", version_id=version.id)
    key = f"definition:{version.id}:r{version.revision}:vote"
    if members:
        outbox.notify([user.id for user in members], title, body=f"Proposed by {actor.full_name}: {version.note}"[:300],
                      url=url, dedupe_key=f"{key}:notification")
    for user in members:
        outbox.email(user.email, title, "definition_vote", {
            "user": user, "version": version, "actor": actor, "scope": _scope_words(version),
            "url": absolute_url_for("scoring.proposal", version_id=version.id)}, dedupe_key=f"{key}:email:{user.id}")


def _tell_everyone_involved(version: DefinitionVersion, title: str, body: str, event: str) -> None:
    """The proposer and both sides (everyone asked to vote) hear how a proposal ended."""
    people = {user.id: user for user in _side_members()}
    if version.proposed_by is not None:
        people[version.proposed_by.id] = version.proposed_by
    for vote in version.votes:
        people[vote.voter.id] = vote.voter
    key = f"definition:{version.id}:{event}"
    url = path_for("scoring.proposal", version_id=version.id)
    outbox.notify(list(people), title, body=body[:300], url=url, dedupe_key=f"{key}:notification")
    for user in people.values():
        outbox.email(user.email, title, "definition_decided", {
            "user": user, "version": version, "title": title, "body": body,
            "url": absolute_url_for("scoring.proposal", version_id=version.id)}, dedupe_key=f"{key}:email:{user.id}")


def _enqueue_impact(version: DefinitionVersion) -> None:
    version.impact = None
    version.impact_job_id = outbox.enqueue(IMPACT_JOB, {"version_id": version.id, "revision": version.revision},
                                           dedupe_key=f"definition:{version.id}:r{version.revision}:impact")


def _record_proposer_vote(version: DefinitionVersion, actor) -> None:
    """The proposer's own vote counts for their side (an admin proposing votes like any admin, later)."""
    side = ROLE_SIDES.get(actor.role)
    if side is not None:
        db.session.add(DefinitionVote(version_id=version.id, revision=version.revision, voter_id=actor.id, side=side,
                                      decision=APPROVE, comment="Proposed it."))
        db.session.flush()


def _may_propose(actor) -> None:
    if actor.role not in (Role.SALES, Role.MARKETING, Role.ADMIN):
        raise DefinitionError("Only sales members, marketing managers and admins propose changes to the definition.")


def propose(actor, *, campaign_id: int | None, model: dict, glossary: Mapping[str, str], note: str,
            submit: bool) -> DefinitionVersion:
    """A new version of the definition of a scope, against the one in force there: a draft, or (`submit`) put
    to the vote at once. Raises DefinitionInvalid with every problem of the model."""
    _may_propose(actor)
    model, glossary = _checked(model, glossary)
    with writers.write_transaction(db.session):
        _lock_definition()
        _ensure_shipped()
        base = _in_force_row(campaign_id)
        version = DefinitionVersion(campaign_id=campaign_id, status=VersionStatus.DRAFT, model=model,
                                    glossary=glossary, note=note.strip(), base_id=base.id,
                                    proposed_by_id=actor.id)
        db.session.add(version)
        db.session.flush()
        audit.record("definition.proposed" if submit else "definition.drafted", version, actor=actor,
                     campaign_id=campaign_id, base=base.id)
        if submit:
            _submit(version, actor)
        _enqueue_impact(version)
    return version


def _submit(version: DefinitionVersion, actor) -> None:
    version.status = VersionStatus.PROPOSED
    version.proposed_at = utcnow()
    _record_proposer_vote(version, actor)
    db.session.refresh(version, ["votes"])
    _ask_for_votes(version, actor)
    _maybe_activate(version, actor)


def _refuse_unless_proposer(version: DefinitionVersion, actor, doing: str) -> None:
    if actor.id != version.proposed_by_id:
        raise DefinitionError(f"Only its proposer {doing} a proposal.")
    if not version.is_open:
        raise DefinitionError(f"Version {version.id} is {version.status_label.lower()}: it can no longer change.")


def revise(version: DefinitionVersion, actor, *, model: dict, glossary: Mapping[str, str], note: str,
           submit: bool) -> DefinitionVersion:
    """The proposer changes their proposal: a new revision, whose votes start again (earlier ones stay in the
    history). A stale proposal is rebased first."""
    version_id = version.id
    model, glossary = _checked(model, glossary)
    with writers.write_transaction(db.session):
        _lock_definition()
        version = db.session.get(DefinitionVersion, version_id)
        _refuse_unless_proposer(version, actor, "revises")
        if version.status == VersionStatus.STALE:
            raise DefinitionError(f"Another version took effect since version {version.id} was proposed: rebase "
                                  "it onto the definition in force first.")
        version.model, version.glossary, version.note = model, glossary, note.strip()
        version.revision += 1
        version.updated_at = utcnow()
        version.status = VersionStatus.DRAFT
        audit.record("definition.revised", version, actor=actor, revision=version.revision)
        if submit:
            _submit(version, actor)
        _enqueue_impact(version)
    return version


def submit(version: DefinitionVersion, actor) -> DefinitionVersion:
    """Put a draft to the vote (the proposer's own vote counts for their side)."""
    version_id = version.id
    with writers.write_transaction(db.session):
        _lock_definition()
        version = db.session.get(DefinitionVersion, version_id)
        _refuse_unless_proposer(version, actor, "submits")
        if version.status != VersionStatus.DRAFT:
            raise DefinitionError(f"Version {version.id} is {version.status_label.lower()}, not a draft.")
        audit.record("definition.proposed", version, actor=actor, revision=version.revision)
        _submit(version, actor)
    return version


def rebase(version: DefinitionVersion, actor) -> DefinitionVersion:
    """Move a stale proposal onto the version in force now: its own changes applied to it, a new revision, a
    draft again; where both changed one thing, the proposal's value is kept and named for its proposer."""
    version_id = version.id
    with writers.write_transaction(db.session):
        _lock_definition()
        version = db.session.get(DefinitionVersion, version_id)
        _refuse_unless_proposer(version, actor, "rebases")
        in_force = _in_force_row(version.campaign_id)
        if version.base_id == in_force.id:
            raise DefinitionError(f"Version {version.id} is already based on version {in_force.id}, in force.")
        base = db.session.get(DefinitionVersion, version.base_id)
        moved = rules.rebase((base.model, base.glossary or {}), (version.model, version.glossary or {}),
                             (in_force.model, in_force.glossary or {}))
        version.model, version.glossary = moved.model, moved.glossary
        version.rebase_conflicts = list(moved.conflicts)
        version.base_id = in_force.id
        version.revision += 1
        version.status = VersionStatus.DRAFT
        version.stale_at = None
        version.updated_at = utcnow()
        audit.record("definition.rebased", version, actor=actor, onto=in_force.id, conflicts=len(moved.conflicts))
        _enqueue_impact(version)
    return version


def vote(version: DefinitionVersion, actor, *, decision: str, comment: str = "", side: str | None = None) -> str:
    """Approve or reject a proposal's latest revision. A member votes for their side; an admin for the side
    they choose. A rejection (with a comment) ends the proposal; the approval that completes both sides'
    counts makes it active in this transaction. Returns the proposal's status after the vote."""
    version_id = version.id
    comment = comment.strip()
    if decision not in (APPROVE, REJECT):
        raise DefinitionError("Approve or reject.")
    if decision == REJECT and not comment:
        raise DefinitionError("Say why you reject it: the proposer reads your comment.")
    side = ROLE_SIDES.get(actor.role, side)
    if side not in rules.SIDES:
        raise DefinitionError("Choose the side your vote counts for.")
    with writers.write_transaction(db.session):
        _lock_definition()
        version = db.session.get(DefinitionVersion, version_id)
        db.session.refresh(version, ["votes"])
        refusal = vote_refusal(version, actor)
        if refusal:
            raise DefinitionError(refusal)
        db.session.add(DefinitionVote(version_id=version.id, revision=version.revision, voter_id=actor.id, side=side,
                                      decision=decision, comment=comment[:2000]))
        db.session.flush()
        db.session.refresh(version, ["votes"])
        audit.record("definition.voted", version, actor=actor, decision=decision, side=side,
                     revision=version.revision)
        if decision == REJECT:
            version.status = VersionStatus.REJECTED
            version.rejected_at = utcnow()
            audit.record("definition.rejected", version, actor=actor, comment=comment[:240])
            _tell_everyone_involved(version, f"Version {version.id} of {_scope_words(version)} was rejected",
                                    f"{actor.full_name} ({rules.SIDE_LABELS[side].lower()}): {comment}", "rejected")
        else:
            _maybe_activate(version, actor)
        return version.status


def _maybe_activate(version: DefinitionVersion, actor) -> None:
    if tally_of(version, approval_settings()).complete:
        activate(version, actor)


def activate(version: DefinitionVersion, actor) -> None:
    """Make an approved proposal the definition in force for its scope: the one before it is replaced, other
    open proposals whose base is no longer in force go stale, the open leads are rescored by a job, the
    published guides are checked against it, and everyone involved hears of it. Joins the caller's
    transaction."""
    now = utcnow()
    previous = _active_row(version.campaign_id)
    if previous is not None:
        previous.status, previous.superseded_at = VersionStatus.SUPERSEDED, now
    version.status, version.activated_at = VersionStatus.ACTIVE, now
    version.rescore_last_id, version.rescore_done, version.rescore_changed = 0, 0, 0
    version.rescore_started_at = version.rescore_finished_at = None
    db.session.flush()
    _active_versions.clear()
    for other in db.session.scalars(select(DefinitionVersion).where(
            DefinitionVersion.status.in_((VersionStatus.DRAFT, VersionStatus.PROPOSED)),
            DefinitionVersion.id != version.id)):
        if other.base_id != _in_force_row(other.campaign_id).id:
            other.status, other.stale_at = VersionStatus.STALE, now
            audit.record("definition.stale", other, actor=actor, because=version.id)
            if other.proposed_by_id:
                outbox.notify([other.proposed_by_id], f"Version {other.id} went stale: version {version.id} took "
                              "effect", body="Rebase your proposal onto the definition in force to continue.",
                              url=path_for("scoring.proposal", version_id=other.id),
                              dedupe_key=f"definition:{other.id}:stale:{version.id}")
    version.rescore_job_id = outbox.enqueue(RESCORE_JOB, {"version_id": version.id},
                                            dedupe_key=f"definition:{version.id}:rescore")
    outbox.enqueue(GUIDE_CHECK_JOB, {"version_id": version.id}, dedupe_key=f"definition:{version.id}:guides")
    audit.record("definition.activated", version, actor=actor, campaign_id=version.campaign_id,
                 replaced=previous.id if previous else None)
    approvers = ", ".join(vote.voter.full_name for vote in version.current_votes() if vote.decision == APPROVE)
    _tell_everyone_involved(version, f"Version {version.id} of {_scope_words(version)} is approved and in force",
                            f"Approved by {approvers}. Open leads are being rescored.", "activated")


def save_approval_settings(actor, *, sales: int | None, marketing: int | None) -> dict[str, int]:
    """An admin sets how many approvals each side gives; proposals open now count against the new numbers
    (and one that already meets them takes effect)."""
    problems = rules.approvals_problem(sales, marketing)
    if problems:
        raise DefinitionInvalid(list(problems.values()))
    with writers.write_transaction(db.session):
        row = _lock_definition()
        before = {SALES: row.sales_approvals, MARKETING: row.marketing_approvals}
        row.sales_approvals, row.marketing_approvals = sales, marketing
        row.updated_by_id, row.updated_at = actor.id, utcnow()
        db.session.flush()
        audit.record("definition.approvals_set", None, actor=actor, before=before,
                     after={SALES: sales, MARKETING: marketing})
        for proposal in db.session.scalars(select(DefinitionVersion).where(
                DefinitionVersion.status == VersionStatus.PROPOSED).order_by(DefinitionVersion.id)):
            if proposal.status == VersionStatus.PROPOSED:  # an earlier one activating may have made it stale
                _maybe_activate(proposal, actor)
    return {SALES: sales, MARKETING: marketing}


# ---------------------------------------------------------------- the jobs' writes

def store_impact(version_id: int, revision: int, impact: dict) -> bool:
    """Keep what a revision would do to the open leads (only if it is still the latest revision)."""
    with writers.write_transaction(db.session):
        written = db.session.execute(update(DefinitionVersion).where(
            DefinitionVersion.id == version_id, DefinitionVersion.revision == revision)
            .values(impact=impact).execution_options(synchronize_session=False)).rowcount
    return bool(written)


def rescore_progress(version_id: int, *, last_id: int, done: int, changed: int, total: int | None = None,
                     started: bool = False, finished: bool = False) -> None:
    """Where the rescoring of a version's leads stands. Joins the caller's transaction (the batch's own, so
    that a restart goes on from exactly the last lead stored)."""
    connection = db.session.connection()  # Core, on the batch's connection: one prepared statement a batch
    connection.execute(_RESCORE_PROGRESS, {"version_id": version_id, "last_id": last_id, "done": done,
                                           "changed": changed})
    if total is not None or started or finished:
        table = DefinitionVersion.__table__
        values = {"rescore_total": total} if total is not None else {}
        if started:
            values["rescore_started_at"] = utcnow()
        if finished:
            values["rescore_finished_at"] = utcnow()
        connection.execute(update(table).where(table.c.id == version_id).values(**values))


_versions = DefinitionVersion.__table__
_RESCORE_PROGRESS = update(_versions).where(_versions.c.id == bindparam("version_id")).values(
    rescore_last_id=bindparam("last_id"), rescore_done=bindparam("done"), rescore_changed=bindparam("changed"))


def forget_models() -> None:
    """Drop this process's active versions (after a change written behind the ORM's back)."""
    _active_versions.clear()


def job_lease_seconds() -> int:
    return int(current_app.config["OUTBOX_JOB_LEASE_SECONDS"])
