"""Every report table as CSV rows (header first): what the pages show, cell for cell; console.csv_files writes them
with every would-be formula made text."""
from __future__ import annotations

from collections.abc import Iterator

from console.forms import money
from console.handoffs.models import RejectionKind
from console.reports.services import AgentRow, BreakdownRow, Figures, TrendPoint


def ratio(value: float | None, digits: int = 1) -> str:
    """A rate as a percentage ("42.5"), empty when there is nothing to divide by."""
    return "" if value is None else f"{value * 100:.{digits}f}"


def number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


FIGURE_HEADER = ["Campaign", "Dials", "Connects", "Conversations", "Qualified", "Handed over", "Accepted",
                 *(f"Rejected: {label}" for label in RejectionKind.LABELS.values()), "Follow-up rate %",
                 "SLA hand over %", "SLA accept %", "SLA first contact %", "Meetings", "Opportunities",
                 "Won (its hand-offs)", "Won (attributed)", "Won revenue (attributed)", "Average rating",
                 "Budget", "Cost per qualified", "Cost per won"]


def figure_row(figures: Figures) -> list:
    return [figures.name, figures.dials, figures.connects, figures.conversations, figures.qualified,
            figures.handed_over, figures.accepted, *figures.rejected_by_kind.values(), ratio(figures.follow_up_rate),
            *(ratio(reading.compliance) for reading in figures.clocks.values()), figures.meetings,
            figures.opportunities, figures.won, figures.attributed_won, money(figures.attributed_won_cents),
            number(figures.average_rating, 2), money(figures.budget_cents), money(figures.cost_per_qualified_cents),
            money(figures.cost_per_won_cents)]


def figures_rows(rows: list[Figures], totals: Figures | None = None) -> Iterator[list]:
    yield FIGURE_HEADER
    for figures in rows:
        yield figure_row(figures)
    if totals is not None:
        yield figure_row(totals)


def funnel_rows(figures: Figures) -> Iterator[list]:
    yield ["Step", "Count", "Of the step before %"]
    previous = None
    for label, count in figures.funnel:
        yield [label, count, ratio(count / previous) if previous else ""]
        previous = count


def trend_rows(points: list[TrendPoint]) -> Iterator[list]:
    yield ["From", "To", "Dials", "Connects", "Conversations", "Qualified", "Handed over", "Accepted", "Won"]
    for point in points:
        yield [point.period.first.isoformat(), point.period.last.isoformat(), point.dials, point.connects,
               point.conversations, point.qualified, point.handed_over, point.accepted, point.won]


def breakdown_rows(label: str, rows: list[BreakdownRow]) -> Iterator[list]:
    yield [label, "Dials", "Connects", "Connect rate %", "Conversations", "Qualified", "Qualification rate %",
           "Handed over", "Accepted", "Acceptance rate %", "Won", "Won revenue"]
    for row in rows:
        yield [row.label, row.dials, row.connects, ratio(row.connect_rate), row.conversations, row.qualified,
               ratio(row.qualification_rate), row.handed_over, row.accepted, ratio(row.acceptance_rate), row.won,
               money(row.won_cents)]


def agent_rows(rows: list[AgentRow]) -> Iterator[list]:
    yield ["Agent", "Dials", "Calls per hour", "Talk time (s)", "Seconds between calls", "Connect rate %",
           "Qualification rate %", "Handed over", "Acceptance rate %", "Rejection rate %", "Average rating"]
    for row in rows:
        yield [row.name, row.dials, number(row.calls_per_hour), row.talk_seconds, number(row.seconds_between_calls, 0),
               ratio(row.connect_rate), ratio(row.qualification_rate), row.handed_over, ratio(row.acceptance_rate),
               ratio(row.rejection_rate), number(row.average_rating, 2)]


OBJECTION_HEADER = ["Guide", "Objection", "Raised", "Ended qualified", "Qualified %", "Worked", "Not worked",
                    "Worked %", "Response edited in version", "Qualified % before the edit",
                    "Qualified % since the edit"]


def objection_rows(lines) -> Iterator[list]:
    """The objections page's table (console/reports/objections.py `ObjectionLine`), one row an objection."""
    yield OBJECTION_HEADER
    for line in lines:
        stats = line.stats
        yield [line.guide, line.objection, stats.used, stats.qualified, ratio(stats.qualified_share), stats.worked,
               stats.failed, ratio(stats.worked_share), line.edited_in or "",
               ratio(line.before_edit.qualified_share) if line.before_edit else "",
               ratio(line.after_edit.qualified_share) if line.after_edit else ""]


EVIDENCE_HEADER = ["Criterion", "Answer", "Points", "Hand-offs", "Accepted", "Opportunities", "Won", "Win rate %",
                   "95 % interval low %", "95 % interval high %", "Points disagree", "Suggested points"]


def evidence_rows(table) -> Iterator[list]:
    """The evidence page's tables (console/reports/evidence.py `Evidence`), one row an answer option."""
    yield EVIDENCE_HEADER
    for criterion in table.criteria:
        for option in criterion.options:
            interval = option.interval
            yield [criterion.label, option.label, option.points, option.handoffs, option.accepted,
                   option.opportunities, option.won, ratio(option.win_rate), ratio(interval.low if interval else None),
                   ratio(interval.high if interval else None), "yes" if option.flagged else "",
                   "" if option.suggested is None else option.suggested]
