"""The objections report: how often each objection was raised on a campaign's calls, the share of those calls
that ended qualified, per guide version, and before and after the latest edit of its response."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from console.extensions import db
from console.guides import services as guides
from console.guides.models import CallGuide, GuideVersion
from console.guides.rules import ResponseStats
from console.reports import rules
from console.reports.alignment_rules import last_response_edit


@dataclass
class VersionLine:
    version: int
    stats: ResponseStats
    response_edited: bool = False  # this version is the first with the present response text


@dataclass
class ObjectionLine:
    """One objection of one guide on the chosen calls."""

    guide_id: int
    guide: str
    objection_id: str
    objection: str
    stats: ResponseStats = field(default_factory=ResponseStats)
    versions: list[VersionLine] = field(default_factory=list)
    edited_in: int | None = None  # the version whose response text is the present one (None: never edited)
    before_edit: ResponseStats | None = None
    after_edit: ResponseStats | None = None

    @property
    def key(self) -> str:
        return f"{self.guide_id}-{self.objection_id}"

    @property
    def chart_row(self) -> tuple[str, int, int]:
        """(label, raised, ended qualified): its bar in the chart (reports/_alignment_charts.html `bars`)."""
        return self.objection, self.stats.used, self.stats.qualified

    @property
    def change_since_edit(self) -> float | None:
        """The qualified share after the latest response edit minus the share before it (points of share)."""
        if self.before_edit is None or self.after_edit is None:
            return None
        before, after = self.before_edit.qualified_share, self.after_edit.qualified_share
        return None if before is None or after is None else after - before


def day_bounds(start: date | None, end: date | None, zone: str) -> tuple[datetime | None, datetime | None]:
    """Local days [start, end] in `zone` (the viewer's, as every report reads them: rules.utc_bounds) as the naive
    UTC instants since..until (until excluded); an open end is None."""
    return (rules.utc_instant(start, zone) if start else None,
            rules.utc_instant(end + timedelta(days=1), zone) if end else None)


def _guide_texts(guide_ids: set[int]) -> tuple[dict[int, str], dict[int, dict[int, dict]]]:
    """Guide names, and every version's objections by id (guide id → version number → objection id → item)."""
    names = dict(db.session.execute(select(CallGuide.id, CallGuide.name).where(CallGuide.id.in_(guide_ids))).all())
    items: dict[int, dict[int, dict]] = {guide_id: {} for guide_id in guide_ids}
    rows = db.session.execute(select(GuideVersion.guide_id, GuideVersion.number, GuideVersion.content)
                              .where(GuideVersion.guide_id.in_(guide_ids)))
    for guide_id, number, content in rows:
        items[guide_id][number] = {item["id"]: item for item in (content or {}).get("objections", ())}
    return names, items


def objection_report(campaign_id: int | None, start: date | None, end: date | None,
                     zone: str = rules.DEFAULT_ZONE) -> list[ObjectionLine]:
    """Every objection raised on the campaign's calls (every campaign's when None) between start and end, most
    raised first. The counts come from guides.services.objection_counts (one query); each guide's versions are
    read once for the objection's words and the versions where its response changed."""
    since, until = day_bounds(start, end, zone)
    counts = guides.objection_counts(campaign_id=campaign_id, since=since, until=until)
    if not counts:
        return []
    names, versions = _guide_texts({count.guide_id for count in counts})
    lines: dict[tuple[int, str], ObjectionLine] = {}
    for count in counts:
        key = (count.guide_id, count.objection_id)
        line = lines.get(key)
        if line is None:
            texts = versions[count.guide_id]
            present = [items[count.objection_id] for _, items in sorted(texts.items()) if count.objection_id in items]
            line = lines[key] = ObjectionLine(count.guide_id, names.get(count.guide_id, ""), count.objection_id,
                                              present[-1]["objection"] if present else count.objection_id)
            line.edited_in = last_response_edit(
                (number, items[count.objection_id].get("response") if count.objection_id in items else None)
                for number, items in texts.items())
        line.stats = line.stats + count.stats
        line.versions.append(VersionLine(count.version, count.stats, count.version == line.edited_in))
    for line in lines.values():
        if line.edited_in is not None:
            line.before_edit = sum((v.stats for v in line.versions if v.version < line.edited_in), ResponseStats())
            line.after_edit = sum((v.stats for v in line.versions if v.version >= line.edited_in), ResponseStats())
    return sorted(lines.values(), key=lambda line: (-line.stats.used, line.guide, line.objection))
