"""Evidence for the scoring model: for each criterion and answer option of the lead definition in force, the
hand-offs that had it and what became of them (accepted, opportunity, won), the win rate with its Wilson
interval, the options whose points disagree with their win rates, and the points the evidence suggests."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select

from console.extensions import db
from console.handoffs.models import Handoff, HandoffStatus, Outcome, RejectionResult
from console.reports import rules
from console.reports.alignment_rules import Interval, OptionEvidence, disagreeing, suggested_points
from console.reports.objections import day_bounds
from console.scoring import services as scoring
from console.scoring.rules import Criterion


@dataclass
class OptionRow:
    value: str
    label: str
    points: int
    handoffs: int = 0
    accepted: int = 0
    opportunities: int = 0
    won: int = 0
    flagged: bool = False
    suggested: int | None = None

    @property
    def evidence(self) -> OptionEvidence:
        return OptionEvidence(self.value, self.points, self.handoffs, self.won)

    @property
    def win_rate(self) -> float | None:
        return self.evidence.win_rate

    @property
    def interval(self) -> Interval | None:
        return self.evidence.interval

    @property
    def chart_row(self) -> tuple[str, float | None, Interval | None, bool]:
        """Its line in the win-rate chart (reports/_alignment_charts.html `win_rates`)."""
        return self.label, self.win_rate, self.interval, self.flagged


@dataclass
class CriterionRow:
    key: str
    label: str
    options: list[OptionRow]
    unmatched: int = 0  # hand-offs with no answer to it, or an answer no option of today's model matches

    @property
    def flagged(self) -> bool:
        return any(option.flagged for option in self.options)


@dataclass
class Evidence:
    campaign_id: int | None
    definition_number: int  # the version of the lead definition in force whose options are read
    handoffs: int = 0
    criteria: list[CriterionRow] = field(default_factory=list)

    @property
    def suggestions(self) -> list[str]:
        """The changed points as the proposal editor reads them: "criterion:value:points" (scoring.views)."""
        return [f"{criterion.key}:{option.value}:{option.suggested}" for criterion in self.criteria
                for option in criterion.options if option.suggested is not None and option.suggested != option.points]


def _counted(campaign_id: int | None, start: date | None, end: date | None, zone: str):
    """The hand-offs the evidence counts: those sales saw (not held in marketing's review) and not re-routed (the
    new hand-off a procedural rejection made counts instead), made between start and end."""
    since, until = day_bounds(start, end, zone)
    conditions = [Handoff.status != HandoffStatus.REVIEW,
                  func.coalesce(Handoff.rejection_result, "") != RejectionResult.REROUTED]
    if campaign_id is not None:
        conditions.append(Handoff.campaign_id == campaign_id)
    if since is not None:
        conditions.append(Handoff.created_at >= since)
    if until is not None:
        conditions.append(Handoff.created_at < until)
    return conditions


def _tally(conditions, criterion: Criterion):
    """(answer value, hand-offs, accepted, opportunities, won) per stored answer to the criterion, in SQL: the
    value each hand-off kept in its answers when it was made (console.handoffs.services.create_handoff)."""
    inner = select(Handoff.answers[(criterion.key, "value")].as_string().label("value"),
                   case((Handoff.status == HandoffStatus.ACCEPTED, 1), else_=0).label("accepted"),
                   case((Handoff.opportunity_at.is_not(None), 1), else_=0).label("opportunity"),
                   case((Handoff.outcome == Outcome.WON, 1), else_=0).label("won")).where(*conditions).subquery()
    return db.session.execute(select(inner.c.value, func.count(), func.sum(inner.c.accepted),
                                     func.sum(inner.c.opportunity), func.sum(inner.c.won)).group_by(inner.c.value))


def evidence(campaign_id: int | None, start: date | None = None, end: date | None = None,
             zone: str = rules.DEFAULT_ZONE) -> Evidence:
    """The evidence table for the definition in force for the campaign (its own, else the global one; every
    campaign's hand-offs when None). One grouped query per criterion; a number's answers are grouped by value in
    SQL, then placed in the model's bands."""
    definition = scoring.in_force(campaign_id)
    conditions = _counted(campaign_id, start, end, zone)
    result = Evidence(campaign_id, definition.number,
                      db.session.scalar(select(func.count(Handoff.id)).where(*conditions)) or 0)
    for criterion in definition.model.criteria:
        rows = {option.value: OptionRow(option.value, f"{option.label} ({criterion.band_words(option)})"
                                        if criterion.is_numeric else option.label, option.points)
                for option in criterion.options}
        line = CriterionRow(criterion.key, criterion.label, list(rows.values()))
        for value, handoffs, accepted, opportunities, won in _tally(conditions, criterion):
            option = criterion.option(str(value)) if value is not None else None
            if option is None:
                line.unmatched += handoffs
                continue
            row = rows[option.value]
            row.handoffs += handoffs
            row.accepted += int(accepted or 0)
            row.opportunities += int(opportunities or 0)
            row.won += int(won or 0)
        measured = [row.evidence for row in line.options]
        flagged = disagreeing(measured)
        suggested = suggested_points(measured)
        for row in line.options:
            row.flagged = row.value in flagged
            row.suggested = suggested[row.value]
        result.criteria.append(line)
    return result
