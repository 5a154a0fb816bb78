"""Reporting periods (YYYY-MM, YYYY-Qn, YYYY) and the knowledge instant of `known_on`. Pure."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

# Vietnam's clock: "known on 1 March" means recorded before midnight of 1 March in Hanoi.
VIETNAM = timezone(timedelta(hours=7), "ICT")
_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")


class PeriodError(ValueError):
    """A period or date the read side cannot use; the message says which shape is expected."""


@dataclass(frozen=True)
class Period:
    code: str
    kind: str  # month | quarter | year
    start: date
    end: date  # last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def mid(self) -> date:
        """The day whose end gives the mid-period population: 1 July of a year, the 15th of a month."""
        return self.start + timedelta(days=self.days // 2 - 1)

    @property
    def after(self) -> date:
        return self.end + timedelta(days=1)


def parse_period(text: str) -> Period:
    m = _PERIOD.match(text.strip().upper())
    if not m:
        raise PeriodError(f"period {text!r}: use YYYY-MM (a month), YYYY-Qn (a quarter) or YYYY (a year)")
    year = int(m.group(1))
    if m.group(2):
        month = int(m.group(2))
        return Period(
            f"{year}-{month:02d}", "month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        )
    if m.group(3):
        q = int(m.group(3))
        last = 3 * q
        return Period(
            f"{year}-Q{q}", "quarter", date(year, last - 2, 1), date(year, last, calendar.monthrange(year, last)[1])
        )
    return Period(f"{year}", "year", date(year, 1, 1), date(year, 12, 31))


def ymd(day: date) -> int:
    """A date as the integer YYYYMMDD (completed years are differences of these // 10000)."""
    return day.year * 10000 + day.month * 100 + day.day


def parse_day(value: date | str | None, what: str = "known_on") -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PeriodError(f"{what} {value!r}: use a date YYYY-MM-DD") from None


def knowledge_instant(known_on: date | None) -> datetime | str:
    """The first instant NOT known on `known_on` (end of that day in Vietnam); 'infinity' for now."""
    if known_on is None:
        return "infinity"
    return datetime.combine(known_on + timedelta(days=1), time(0), tzinfo=VIETNAM)
