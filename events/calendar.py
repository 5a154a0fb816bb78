"""Calendar rules every layer shares: completed age, legal age, the window that matches a move. Pure.

The register (processors/register), the projection folds (projections/fold), the live counters
(which follow the register's flags) and the analyses (analyses/fold.py) import these; none keeps
a copy (tests/unit/test_rules_agree.py feeds one log to all of them).
"""

from __future__ import annotations

import calendar
from datetime import date

# EVENTS.md: "A move_out with no move_in within 6 months stays a departure with unconfirmed
# destination." Six calendar months, not 183 days.
MOVE_MATCH_MONTHS = 6
# EVENTS.md: marriage at legal age, M 20, F 18 (Law on Marriage and Family 2014, art. 8); under
# age is accepted and counted as a child marriage.
LEGAL_MARRIAGE_AGE = {"M": 20, "F": 18}


def completed_age(birth_date: date, on: date) -> int:
    """Completed years on `on` (a 29 February birthday falls on 1 March in common years)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later; a day the month lacks is its last day
    (31 August + 6 months = 28 February, or 29 in a leap year)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def move_window_end(out_on: date, months: int = MOVE_MATCH_MONTHS) -> date:
    """The last day (inclusive) on which a move_in still completes a move_out of `out_on`:
    `out_on` + 6 calendar months, clamped to the month's end. Out 31 January, in 31 July: one
    move; in 1 August: missed by a day (the departure stays unconfirmed, the arrival is new)."""
    return add_months(out_on, months)


def within_move_window(out_on: date, in_on: date, months: int = MOVE_MATCH_MONTHS) -> bool:
    """Whether a move_in on `in_on` falls in the window of a move_out on `out_on` (both ends
    inclusive: an arrival the same day as the departure completes it)."""
    return out_on <= in_on <= move_window_end(out_on, months)
