"""Pure rules of the alignment pages: the Wilson interval, which answer options' points disagree with their win
rates, the points evidence suggests, where an objection's response was last edited, the period before a period."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Sequence

Z_95 = 1.959963984540054  # the normal quantile of a two-sided 95 % interval
# An option needs this many hand-offs before its win rate moves its suggested points.
MIN_HANDOFFS_FOR_SUGGESTION = 10
SUGGESTION_STEP = 5  # suggested points are rounded to this, as people write points


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def entirely_below(self, other: Interval) -> bool:
        return self.high < other.low


def wilson(successes: int, trials: int, z: float = Z_95) -> Interval | None:
    """The Wilson score interval of a proportion (None without trials): unlike the normal approximation it stays
    inside 0..1 and is honest for the small counts one answer option of one campaign has."""
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"{successes} successes out of {trials} trials")
    share = successes / trials
    z2 = z * z
    centre = (share + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class OptionEvidence:
    """What one answer option of one criterion has: its points now, the hand-offs that gave it and how many won."""

    value: str
    points: int
    handoffs: int
    won: int

    @property
    def win_rate(self) -> float | None:
        return self.won / self.handoffs if self.handoffs else None

    @property
    def interval(self) -> Interval | None:
        return wilson(self.won, self.handoffs)


def disagreeing(options: Sequence[OptionEvidence]) -> set[str]:
    """The options of one criterion whose points disagree with their win rates: an option worth more points than
    another whose win-rate interval lies entirely below the other's interval (so the order is not chance at 95 %).
    Both options of such a pair are flagged."""
    flagged: set[str] = set()
    for first in options:
        for second in options:
            if first.points > second.points and first.interval and second.interval \
                    and first.interval.entirely_below(second.interval):
                flagged |= {first.value, second.value}
    return flagged


def suggested_points(options: Sequence[OptionEvidence],
                     min_handoffs: int = MIN_HANDOFFS_FOR_SUGGESTION) -> dict[str, int]:
    """Points for each option that follow its win rate, inside the criterion's present range of points: the option
    with the best win rate gets the criterion's highest points, the worst its lowest, the others in proportion
    (rounded to SUGGESTION_STEP). Options with fewer than `min_handoffs` hand-offs keep their points; with fewer
    than two options to compare, or no spread in win rates, nothing changes."""
    suggested = {option.value: option.points for option in options}
    measured = [option for option in options if option.handoffs >= min_handoffs]
    if len(measured) < 2:
        return suggested
    low_points = min(option.points for option in options)
    high_points = max(option.points for option in options)
    rates = [option.win_rate for option in measured]
    worst, best = min(rates), max(rates)
    if best == worst or high_points == low_points:
        return suggested
    for option in measured:
        exact = low_points + (high_points - low_points) * (option.win_rate - worst) / (best - worst)
        suggested[option.value] = int(SUGGESTION_STEP * math.floor(exact / SUGGESTION_STEP + 0.5))
    return suggested


def last_response_edit(responses: Iterable[tuple[int, str | None]]) -> int | None:
    """The first version number of an objection's present response text: the version where its response was last
    edited (None when it never changed across the versions given). `responses` is (version number, the response
    text in that version, None when the objection is not in it), in any order."""
    ordered = sorted((number, text) for number, text in responses if text is not None)
    edit = None
    for (_, before), (number, after) in zip(ordered, ordered[1:]):
        if after != before:
            edit = number
    return edit


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before start..end (both inclusive)."""
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def change(now: int, before: int) -> float | None:
    """The relative change from the previous period (None: nothing to compare with)."""
    return (now - before) / before if before else None
