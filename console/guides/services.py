"""Call guides: the only code that writes them (drafts, publishing, revert, files in and out),
and the queries that choose, render and measure them.

Guide content names qualification fields and their answers: it is checked and
rendered against the scoring model in force (console.scoring.services). Marking
an objection on a call is the call's work (console.calls.services.mark_objection).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from console.audit import services as audit
from console.campaigns.models import Campaign
from console.clock import utcnow
from console.extensions import db
from console.guides import rules
from console.database import writers
from console.database.snapshots import Memo, Snapshot
from console.guides.models import CallGuide, CallObjection, GuideVersion
from console.outbox import services as outbox
from console.scoring import services as scoring
from console.scoring.services import current_model
from console.web import path_for

GUIDES_DIR = Path(__file__).resolve().parents[2] / "call_guides"

# What merge fields show in the editor's preview and the read-only guide page.
SAMPLE_VALUES = {
    "contact.first_name": "Jordan", "contact.last_name": "Lee", "contact.title": "VP Sales",
    "account.name": "Example Corp", "agent.first_name": "Alex", "agent.full_name": "Alex Agent",
    "campaign.name": "Sample campaign", "campaign.source": "webinar",
    "campaign.message": "A free 30-minute pipeline assessment.",
}


class GuideConflict(Exception):
    """Someone saved a newer version since the editor opened this one."""

    def __init__(self, latest: GuideVersion, base_number: int | None):
        self.latest = latest
        self.base_number = base_number
        who = latest.author.full_name if latest.author else "A guide file sync"
        super().__init__(f"{who} saved version {latest.number} while you were editing version {base_number}.")


class GuideActionError(Exception):
    """A publish or revert that cannot be done; the message says why."""


# ---------------------------------------------------------------- versions


def all_guides() -> list[CallGuide]:
    return list(db.session.scalars(select(CallGuide).order_by(CallGuide.name)))


def campaigns_using_guides() -> dict[int, list[str]]:
    """Guide id → the names of the campaigns whose guide it is."""
    used_by: dict[int, list[str]] = {}
    for guide_id, name in db.session.execute(select(Campaign.call_guide_id, Campaign.name)
                                             .where(Campaign.call_guide_id.is_not(None)).order_by(Campaign.name)):
        used_by.setdefault(guide_id, []).append(name)
    return used_by


def campaign_names() -> list[str]:
    """Every campaign's name: what a guide may name as its campaign."""
    return list(db.session.scalars(select(Campaign.name).order_by(Campaign.name)))


def latest_version(guide: CallGuide) -> GuideVersion | None:
    return db.session.scalar(
        select(GuideVersion).where(GuideVersion.guide_id == guide.id).order_by(GuideVersion.number.desc()).limit(1)
    )


def draft_version(guide: CallGuide) -> GuideVersion | None:
    """The latest version if agents do not see it yet (a draft waiting to be published)."""
    latest = latest_version(guide)
    if latest is None or latest.id == guide.published_version_id:
        return None
    published = guide.published_version
    if published is not None and latest.number < published.number:
        return None
    return latest


def version_by_number(guide: CallGuide, number: int) -> GuideVersion | None:
    return db.session.scalar(select(GuideVersion).where(GuideVersion.guide_id == guide.id,
                                                         GuideVersion.number == number))


def versions_of(guide: CallGuide) -> list[GuideVersion]:
    return list(db.session.scalars(
        select(GuideVersion).where(GuideVersion.guide_id == guide.id).order_by(GuideVersion.number.desc())
    ))


def check(raw) -> tuple[dict, list[rules.Problem]]:
    """Submitted content in canonical shape, with every problem found (against the scoring model in force)."""
    return rules.canonical(raw, model=current_model())


def render(content: dict, values: dict[str, str]) -> dict:
    """Guide content as the agent sees it, its answers labelled as the scoring model in force labels them."""
    return rules.render_guide(content, values, model=current_model())


def _lock(guide: CallGuide) -> None:
    """Serialise writers of one guide, inside their write transaction: on PostgreSQL the guide's row lock
    (SQLite's writer turn serialises every writer already)."""
    if db.session.get_bind().dialect.name != "sqlite":
        db.session.execute(select(CallGuide.id).where(CallGuide.id == guide.id).with_for_update())


def _new_version(guide: CallGuide, content: dict, *, author, change_note: str, base_number: int | None) -> GuideVersion:
    number = (db.session.scalar(select(func.max(GuideVersion.number)).where(GuideVersion.guide_id == guide.id)) or 0) + 1
    version = GuideVersion(guide=guide, number=number, content=content, content_hash=rules.content_hash(content),
                           change_note=change_note.strip(), author=author, base_number=base_number)
    db.session.add(version)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a writer that did not take the lock got there first
        raise GuideConflict(latest_version(guide), base_number) from None
    return version


def _publish(guide: CallGuide, version: GuideVersion, actor) -> None:
    guide.published_version = version
    guide.name = version.content["name"]
    guide.persona = version.content.get("persona", "")
    guide.campaign_name = version.content.get("campaign", "")
    if version.published_at is None:
        version.published_at = utcnow()
        version.published_by = actor


def add_version(guide: CallGuide, content: dict, *, author=None, change_note: str = "",
                publish: bool = False) -> GuideVersion | None:
    """Store content as the guide's next version, unless it equals the latest one (then None)."""
    latest = latest_version(guide)
    if latest is not None and latest.content_hash == rules.content_hash(content):
        if publish and guide.published_version_id != latest.id:
            _publish(guide, latest, author)
        return None
    version = _new_version(guide, content, author=author, change_note=change_note, base_number=None)
    if publish:
        _publish(guide, version, author)
    audit.record("guide.version_added", guide, actor=author, number=version.number, published=publish)
    return version


def save_draft(guide: CallGuide, raw: dict, *, author, base_number: int | None, change_note: str = "") -> GuideVersion | None:
    """Save what the editor submitted as a new draft version (None: nothing changed).

    Raises rules.GuideError when the content is invalid, and GuideConflict when
    someone saved a version after `base_number`, the version the editor opened:
    the caller shows the editor again with the text kept, so nothing is lost.
    """
    content = rules.validate(raw, source=guide.slug, model=current_model())
    with writers.write_transaction(db.session):
        _lock(guide)
        latest = latest_version(guide)
        if latest is not None and latest.number != base_number:
            raise GuideConflict(latest, base_number)
        if latest is not None and latest.content_hash == rules.content_hash(content):
            return None
        version = _new_version(guide, content, author=author, change_note=change_note, base_number=base_number)
        audit.record("guide.draft_saved", guide, actor=author, number=version.number, base=base_number,
                     note=version.change_note)
    return version


def publish(guide: CallGuide, number: int, *, actor) -> GuideVersion:
    """Make the latest version what agents see from their next call on."""
    with writers.write_transaction(db.session):
        _lock(guide)
        version = version_by_number(guide, number)
        latest = latest_version(guide)
        if version is None:
            raise GuideActionError(f"There is no version {number}.")
        if version.id == guide.published_version_id:
            raise GuideActionError(f"Version {number} is already published.")
        if version.number != latest.number:
            raise GuideActionError(f"Version {latest.number} was saved after version {number}: review it, then "
                                   "publish it, or revert to the version you want.")
        _publish(guide, version, actor)
        audit.record("guide.published", guide, actor=actor, number=number)
    return version


def revert(guide: CallGuide, number: int, *, actor, change_note: str = "") -> GuideVersion:
    """Publish an old version's content again, as a new version (history is never rewritten)."""
    with writers.write_transaction(db.session):
        _lock(guide)
        old = version_by_number(guide, number)
        if old is None:
            raise GuideActionError(f"There is no version {number}.")
        published = guide.published_version
        if published is not None and published.content_hash == old.content_hash:
            raise GuideActionError(f"Agents already see the text of version {number}.")
        note = f"Reverted to version {number}" + (f": {change_note.strip()}" if change_note.strip() else "")
        latest = latest_version(guide)
        version = _new_version(guide, old.content, author=actor, change_note=note,
                               base_number=latest.number if latest else None)
        _publish(guide, version, actor)
        audit.record("guide.reverted", guide, actor=actor, number=version.number, reverted_to=number)
    return version


def create_guide(slug: str, name: str, *, author, copy_from: CallGuide | None = None) -> CallGuide:
    """A new guide, starting as a draft copy of another (nothing is published until someone publishes it)."""
    slug = rules.slugify(slug, "")
    problems = []
    if not slug:
        problems.append(rules.Problem("slug", "use letters, digits and dashes"))
    elif db.session.scalar(select(CallGuide.id).where(CallGuide.slug == slug)) is not None:
        problems.append(rules.Problem("slug", f"a guide called {slug!r} exists already; choose another"))
    if problems:
        raise rules.GuideError("new guide", problems)
    source = (latest_version(copy_from).content if copy_from else None) or _starter_content()
    content = rules.validate(dict(source, name=name), source=slug, model=current_model())
    copied_from = copy_from.slug if copy_from else None
    with writers.write_transaction(db.session):
        guide = CallGuide(slug=slug, name=content["name"])
        db.session.add(guide)
        db.session.flush()
        note = f"Copied from {copied_from}" if copied_from else "New guide"
        _new_version(guide, content, author=author, change_note=note, base_number=None)
        audit.record("guide.created", guide, actor=author, copied_from=copied_from)
    return guide


def _starter_content() -> dict:
    return {
        "opening": "Hi {{ contact.first_name }}, this is {{ agent.first_name }} from Northwind.",
        "steps": [{"id": "need", "title": "Need", "field": "need", "question": "What made you look into this?"}],
        "handoff_script": "The next step is a short call with one of our account executives.",
        "voicemail_script": "Hi {{ contact.first_name }}, it's {{ agent.first_name }} from Northwind. "
                            "I'll try you again later this week.",
    }


# ---------------------------------------------------------------- files


def sync_file(path: Path, *, author=None) -> tuple[CallGuide, GuideVersion | None]:
    """Load one guide file as a new published version (no new version when nothing changed).

    Joins the caller's transaction (sync_directory's, a command's, the demo seed's).
    """
    content = rules.parse(path.read_text(encoding="utf-8"), source=path.name, model=current_model())
    slug = path.stem
    guide = db.session.scalar(select(CallGuide).where(CallGuide.slug == slug))
    if guide is None:
        guide = CallGuide(slug=slug, name=content["name"])
        db.session.add(guide)
        db.session.flush()
    version = add_version(guide, content, author=author, change_note=f"Synced from call_guides/{path.name}", publish=True)
    return guide, version


def sync_directory(directory: Path = GUIDES_DIR, *, author=None) -> list[tuple[CallGuide, GuideVersion | None]]:
    """Load every *.yaml guide file, in one transaction; all of them are checked before any is saved."""
    return sync_files(sorted(directory.glob("*.yaml")), author=author)


def sync_files(paths: list[Path], *, author=None) -> list[tuple[CallGuide, GuideVersion | None]]:
    """Load guide files as published versions, in one transaction; all of them are checked before any is saved."""
    problems = []
    for path in paths:
        try:
            rules.parse(path.read_text(encoding="utf-8"), source=path.name, model=current_model())
        except rules.GuideError as error:
            problems.append(error)
    if problems:
        raise rules.GuideError.combine(problems)
    with writers.write_transaction(db.session):
        return [sync_file(path, author=author) for path in paths]


def unknown_campaign(guide: CallGuide) -> str | None:
    """The campaign a guide names, if no campaign has that name (the guide then never applies to it)."""
    if not guide.campaign_name:
        return None
    found = db.session.scalar(select(Campaign.id).where(func.lower(Campaign.name) == guide.campaign_name.lower()))
    return None if found else guide.campaign_name


def export_directory(directory: Path = GUIDES_DIR) -> list[tuple[CallGuide, Path, bool]]:
    """Write each published guide to <slug>.yaml; returns (guide, path, whether the file changed)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    guides = db.session.scalars(select(CallGuide).where(CallGuide.published_version_id.is_not(None))
                                .order_by(CallGuide.slug))
    for guide in guides:
        path = directory / f"{guide.slug}.yaml"
        text = rules.to_yaml(guide.published_version.content)
        changed = not path.exists() or path.read_text(encoding="utf-8") != text
        if changed:
            path.write_text(text, encoding="utf-8")
        written.append((guide, path, changed))
    return written


# ---------------------------------------------------------------- choosing the guide for a call


_PUBLISHED_GUIDES = select(CallGuide.id, CallGuide.persona, CallGuide.campaign_name, CallGuide.published_version_id) \
    .where(CallGuide.published_version_id.is_not(None))


_published_guides = Snapshot(1.0, CallGuide)


def published_version_for(campaign_name: str, campaign_guide_id: int | None, buying_role: str | None) -> int | None:
    """The published version a call uses, chosen from the lead's campaign and buying role (see rules.choose_guide)."""
    return choose_published_version(published_guides(), campaign_name, campaign_guide_id, buying_role)


def published_guides(connection=None) -> list:
    """Every published guide's scope and version: few, and changed rarely.

    Each process keeps them for a second (console/database/snapshots.py), read on `connection`
    when given. The claim reads them before its write transaction.
    """
    return _published_guides.get(str(db.engine.url),
                                  lambda: (connection or db.session.connection()).execute(_PUBLISHED_GUIDES).all())


def choose_published_version(guides: list, campaign_name: str, campaign_guide_id: int | None,
                             buying_role: str | None) -> int | None:
    """The version among `guides` (published_guides()) a call to this lead uses."""
    chosen = rules.choose_guide([rules.GuideScope(row.id, row.persona, row.campaign_name) for row in guides],
                                campaign_name=campaign_name, campaign_guide_id=campaign_guide_id,
                                buying_role=buying_role)
    return next((row.published_version_id for row in guides if row.id == chosen), None)


def guide_version_for(lead) -> GuideVersion | None:
    """The published guide version a call to this lead uses: the most specific one (see rules.choose_guide)."""
    version_id = published_version_for(lead.campaign.name, lead.campaign.call_guide_id, lead.buying_role)
    return db.session.get(GuideVersion, version_id) if version_id else None


# ---------------------------------------------------------------- on the call screen


def merge_values(lead, agent, campaign) -> dict[str, str]:
    return {
        "contact.first_name": lead.first_name,
        "contact.last_name": lead.last_name,
        "contact.title": lead.title or "",
        "account.name": lead.account.name,
        "agent.first_name": agent.first_name,
        "agent.full_name": agent.full_name,
        "campaign.name": campaign.name,
        "campaign.source": campaign.source or "",
        "campaign.message": campaign.message,
    }


def marks_for(call) -> dict[str, bool | None]:
    """Objection id → worked (True/False) or None (raised, outcome not marked), for one call."""
    rows = db.session.execute(select(CallObjection.objection_id, CallObjection.worked)
                              .where(CallObjection.call_id == call.id)).all()
    return {objection_id: worked for objection_id, worked in rows}


# A guide version's content never changes once written (and its hash says what it is): each process renders
# a version's Markdown once, and fills in each call's merge fields from it (rules.prepare_guide, fill_guide).
_prepared_guides = Memo(limit=200)


def prepared_guide(version: GuideVersion, model) -> dict:
    """The version's guide with its authored texts rendered and sanitised, merge fields still to fill, its
    answers labelled by `model` (the lead definition the call scores with).

    Kept by this process (console/database/snapshots.py) by content hash and definition version (a version's
    model never changes): the content is read from the database only the first time (the call screen loads
    versions without it).
    """
    key = (version.content_hash, model.version)
    prepared = _prepared_guides.get(key)
    if prepared is None:
        prepared = _prepared_guides.remember(key, rules.prepare_guide(version.content, model=model))
    return prepared


def guide_for_call(call, model=None) -> dict | None:
    """The guide version this call uses, rendered for its lead and agent (None if the call has none), with the
    lead definition of the call's campaign (`model`, when the caller has it already)."""
    version = call.guide_version
    if version is None:
        return None
    model = model or current_model(call.lead.campaign_id)
    rendered = rules.fill_guide(prepared_guide(version, model),
                                merge_values(call.lead, call.agent, call.lead.campaign))
    rendered["version_number"] = version.number
    rendered["call_id"] = call.id
    rendered["marks"] = marks_for(call)
    return rendered


def quick_find(call, query: str) -> dict | None:
    """The call's guide with only the objections and battlecards matching the query, best first."""
    guide = guide_for_call(call)
    if guide is None:
        return None
    guide["query"] = query
    guide["objections"] = rules.find_objections(guide["objections"], query)
    guide["battlecards"] = rules.find_battlecards(guide["battlecards"], query)
    return guide


# ---------------------------------------------------------------- measured content


@dataclass
class Wording:
    """One wording of a response, and how it did (versions from..to used this text)."""

    response: str
    first_version: int
    last_version: int
    stats: rules.ResponseStats


@dataclass
class ObjectionPerformance:
    objection_id: str
    objection: str
    in_guide: bool  # False: removed from the latest version, kept for the record
    stats: rules.ResponseStats = field(default_factory=rules.ResponseStats)
    wordings: list[Wording] = field(default_factory=list)


@dataclass(frozen=True)
class ObjectionCount:
    """How one objection's response did on the calls of one guide version."""

    objection_id: str
    guide_id: int
    version: int  # the guide version's number
    stats: rules.ResponseStats


def objection_counts(*, guide_id: int | None = None, campaign_id: int | None = None, since: datetime | None = None,
                     until: datetime | None = None) -> list[ObjectionCount]:
    """Objections raised, per objection and guide version, counted in SQL (marked in since..until, on one guide's
    versions or one campaign's calls): the one count behind the guide editor's statistics and the objections
    report."""
    # guides sits above calls (docs/architecture.md): the call is reached through the relationship, not imported
    ended_qualified = CallObjection.call.has(disposition="qualified")
    query = (
        select(CallObjection.objection_id, GuideVersion.guide_id, GuideVersion.number,
               func.count(CallObjection.id),
               func.sum(case((CallObjection.worked.is_(True), 1), else_=0)),
               func.sum(case((CallObjection.worked.is_(False), 1), else_=0)),
               func.sum(case((ended_qualified, 1), else_=0)))
        .join(GuideVersion, GuideVersion.id == CallObjection.guide_version_id)
        .group_by(CallObjection.objection_id, GuideVersion.guide_id, GuideVersion.number)
        .order_by(CallObjection.objection_id, GuideVersion.guide_id, GuideVersion.number)
    )
    if guide_id is not None:
        query = query.where(GuideVersion.guide_id == guide_id)
    if campaign_id is not None:
        query = query.where(CallObjection.call.has(campaign_id=campaign_id))
    if since is not None:
        query = query.where(CallObjection.marked_at >= since)
    if until is not None:
        query = query.where(CallObjection.marked_at < until)
    return [ObjectionCount(objection_id, guide, number,
                           rules.ResponseStats(used, int(worked or 0), int(failed or 0), int(qualified or 0)))
            for objection_id, guide, number, used, worked, failed, qualified in db.session.execute(query)]


def objection_stats(guide: CallGuide, period: str = rules.DEFAULT_STATS_PERIOD,
                    now: datetime | None = None) -> list[ObjectionPerformance]:
    """For each objection of the guide: how often its response was used, marked worked, and ended qualified."""
    counts = objection_counts(guide_id=guide.id, since=rules.period_start(period, now or utcnow()))

    current = latest_version(guide)
    order = [item["id"] for item in current.content["objections"]] if current else []
    texts = {item["id"]: item["objection"] for item in current.content["objections"]} if current else {}
    versions = {version.number: version.content for version in versions_of(guide)}
    found: dict[str, ObjectionPerformance] = {
        objection_id: ObjectionPerformance(objection_id, texts[objection_id], True) for objection_id in order
    }
    for count in counts:
        objection_id, number, stats = count.objection_id, count.version, count.stats
        item = next((entry for entry in versions[number]["objections"] if entry["id"] == objection_id), None)
        performance = found.get(objection_id)
        if performance is None:
            performance = found[objection_id] = ObjectionPerformance(
                objection_id, item["objection"] if item else objection_id, False)
        performance.stats = performance.stats + stats
        response = item["response"] if item else ""
        last = performance.wordings[-1] if performance.wordings else None
        if last is not None and last.response == response:
            last.last_version, last.stats = number, last.stats + stats
        else:
            performance.wordings.append(Wording(response, number, number, stats))
    return list(found.values())


# ---------------------------------------------------------------- guides and the lead definition

def _guides_of_scope(campaign_id: int | None) -> list[CallGuide]:
    """The published guides a definition of this scope governs: every one for the global definition, the
    campaign's own (chosen in its settings, or naming it) for a campaign's."""
    query = select(CallGuide).where(CallGuide.published_version_id.is_not(None)).order_by(CallGuide.name)
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            return []
        query = query.where((CallGuide.id == campaign.call_guide_id) | (CallGuide.campaign_name == campaign.name))
    return list(db.session.scalars(query))


def guides_missing_criteria(campaign_id: int | None = None) -> dict[int, tuple[str, ...]]:
    """Guide id → the criteria the definition in force requires that its published version's discovery steps
    never ask (shown beside the guide to its editors)."""
    model = current_model(campaign_id)
    missing = {}
    for guide in _guides_of_scope(campaign_id):
        labels = rules.unasked_required(guide.published_version.content, model)
        if labels:
            missing[guide.id] = labels
    return missing


def flag_guides_missing_criteria(version_id: int) -> int:
    """After a definition took effect: each published guide of its scope whose discovery steps do not ask a
    criterion it newly requires is flagged (a notification) to the guide's editors and to the proposer and
    approvers of that version. Returns how many guides were flagged. A transaction of its own."""
    version = scoring.version(version_id)
    if version is None or version.status != scoring.VersionStatus.ACTIVE:
        return 0
    model = scoring.definition_of(version).model
    before = scoring.model_version(version.base_id) if version.base_id else None
    flagged = 0
    with writers.write_transaction(db.session):
        for guide in _guides_of_scope(version.campaign_id):
            content = guide.published_version.content
            missing = rules.unasked_required(content, model)
            earlier = set(rules.unasked_required(content, before)) if before is not None else set()
            introduced = [label for label in missing if label not in earlier]
            if not introduced:
                continue
            editors = set(db.session.scalars(select(GuideVersion.author_id).where(
                GuideVersion.guide_id == guide.id, GuideVersion.author_id.is_not(None)).distinct()))
            approvers = {vote.voter_id for vote in version.current_votes() if vote.decision == scoring.APPROVE}
            people = editors | approvers | ({version.proposed_by_id} if version.proposed_by_id else set())
            if people:
                outbox.notify(people, f"{guide.name} does not ask {', '.join(introduced)}",
                              body=f"Version {version.id} of the lead definition requires "
                                   f"{', '.join(introduced)} to qualify a lead; no discovery step of this guide "
                                   "asks it. Add a step bound to it.",
                              url=path_for("guides.show", guide_id=guide.id),
                              dedupe_key=f"guide:{guide.id}:definition:{version.id}")
            flagged += 1
    return flagged
