"""Loading guide files into versions and publishing them: the only code that writes guides."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from console.audit import services as audit
from console.extensions import db
from console.guides import rules
from console.guides.models import CallGuide, GuideVersion

GUIDES_DIR = Path(__file__).resolve().parents[2] / "call_guides"


def add_version(guide: CallGuide, content: dict, *, author=None, change_note: str = "", publish: bool = False) -> GuideVersion | None:
    """Store content as the guide's next version, unless it equals the latest one (then None)."""
    digest = rules.content_hash(content)
    latest = db.session.scalar(
        select(GuideVersion).where(GuideVersion.guide_id == guide.id).order_by(GuideVersion.number.desc()).limit(1)
    )
    if latest is not None and latest.content_hash == digest:
        if publish and guide.published_version_id != latest.id:
            guide.published_version = latest
        return None
    number = (db.session.scalar(select(func.max(GuideVersion.number)).where(GuideVersion.guide_id == guide.id)) or 0) + 1
    version = GuideVersion(guide=guide, number=number, content=content, content_hash=digest,
                           change_note=change_note, author=author)
    db.session.add(version)
    db.session.flush()
    if publish:
        guide.published_version = version
    audit.record("guide.version_added", guide, actor=author, number=number, published=publish)
    return version


def sync_file(path: Path, *, author=None) -> tuple[CallGuide, GuideVersion | None]:
    """Load one guide file as a new published version (no new version when nothing changed)."""
    content = rules.parse(path.read_text(encoding="utf-8"), source=path.name)
    slug = path.stem
    guide = db.session.scalar(select(CallGuide).where(CallGuide.slug == slug))
    if guide is None:
        guide = CallGuide(slug=slug, name=content["name"])
        db.session.add(guide)
        db.session.flush()
    guide.name = content["name"]
    version = add_version(guide, content, author=author, change_note=f"Synced from call_guides/{path.name}", publish=True)
    return guide, version


def sync_directory(directory: Path = GUIDES_DIR, *, author=None) -> list[tuple[CallGuide, GuideVersion | None]]:
    return [sync_file(path, author=author) for path in sorted(directory.glob("*.yaml"))]


def merge_values(lead, agent, campaign) -> dict[str, str]:
    return {
        "contact.first_name": lead.first_name,
        "contact.last_name": lead.last_name,
        "contact.title": lead.title or "",
        "account.name": lead.account.name,
        "agent.first_name": agent.first_name,
        "agent.full_name": agent.full_name,
        "campaign.name": campaign.name,
        "campaign.message": campaign.message,
    }


def guide_for_call(call) -> dict | None:
    """The guide version this call uses, rendered for its lead and agent (None if the campaign has none)."""
    version = call.guide_version
    if version is None:
        return None
    rendered = rules.render_guide(version.content, merge_values(call.lead, call.agent, call.lead.campaign))
    rendered["version_number"] = version.number
    return rendered
