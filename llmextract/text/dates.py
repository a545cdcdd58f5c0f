"""Date phrases in news text, and their resolution against a publication date.

"on Monday" in an article published 2018-01-01 (a Monday) is that day or an earlier Monday:
the resolver takes the most recent one on or before publication. "last week" resolves to a
week, "November 23" to the latest such day not after publication. Without a publication
date nothing relative is resolved; the phrase is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from llmextract.schema import DatePrecision, EventDate
from llmextract.text.caseless import CaselessPattern

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_MONTH_RE = r"(?:" + "|".join(MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"

_DATE_SOURCE = (
    r"\b(?:(?:on|last|this|early|late)\s+)?(?:" + "|".join(WEEKDAYS) + r")(?:\s+(?:morning|night|evening|afternoon))?\b"
    r"|\b(?:on\s+)?" + _MONTH_RE + r"\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b"
    r"|\b(?:on\s+)?\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s+\d{4})?\b"
    r"|\b(?:last|this|next)\s+(?:week|month|year|weekend)\b"
    r"|\b(?:yesterday|today|a\s+day\s+(?:earlier|later)|the\s+day\s+before|earlier\s+in\s+the\s+day|earlier\s+today)\b"
    r"|\b(?:in|since|early|late|mid-?)\s*" + _MONTH_RE + r"(?:\s+\d{4})?\b"
)
# Every alternative starts with a digit or one of these letters (weekdays, months, and on, last,
# this, early, late, next, yesterday, today, a, the, earlier, in, since, mid).
_DATE_FIRST = "".join(sorted({w[0] for w in WEEKDAYS + MONTHS} | set("oltenyaism")))
_DATES = CaselessPattern(_DATE_SOURCE, rf"\d{_DATE_FIRST}")
DATE_PATTERNS = _DATES.caseless


@dataclass(frozen=True, slots=True)
class DateMention:
    start: int
    end: int
    text: str


def find_dates(text: str) -> list[DateMention]:
    """Date phrases in ``text``: the matches of :data:`DATE_PATTERNS`, leftmost first, not overlapping."""
    return [DateMention(s, e, text[s:e]) for s, e in _DATES.spans(text)]


def _month(token: str) -> int | None:
    t = token.lower().rstrip(".")
    if t in MONTHS:
        return MONTHS.index(t) + 1
    return _MONTH_ABBR.get(t[:4] if t.startswith("sept") else t[:3])


def resolve(phrase: str, published: dt.date | None) -> EventDate:
    """Resolve a date phrase; the verbatim phrase is always kept."""
    p = phrase.lower()
    for i, day in enumerate(WEEKDAYS):
        if re.search(rf"\b{day}\b", p):
            if published is None:
                return EventDate(phrase=phrase, precision=DatePrecision.day)
            back = (published.weekday() - i) % 7
            if re.search(r"\blast\b", p) and back == 0:
                back = 7
            return EventDate(phrase=phrase, date=published - dt.timedelta(days=back), precision=DatePrecision.day)
    m = re.search(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+\.?)|([a-z]+\.?)\s+(\d{1,2})\b", p)
    if m:
        day_s, month_s = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        month = _month(month_s)
        year_m = re.search(r"\b(\d{4})\b", p)
        if month:
            year = int(year_m.group(1)) if year_m else (published.year if published else None)
            if year is None:
                return EventDate(phrase=phrase, precision=DatePrecision.day)
            try:
                when = dt.date(year, month, int(day_s))
            except ValueError:
                return EventDate(phrase=phrase)
            if not year_m and published and when > published:
                when = when.replace(year=year - 1)
            return EventDate(phrase=phrase, date=when, precision=DatePrecision.day)
    if published is not None:
        if re.search(r"\byesterday\b", p):
            return EventDate(phrase=phrase, date=published - dt.timedelta(days=1), precision=DatePrecision.day)
        if re.search(r"\b(?:today|earlier in the day|earlier today)\b", p):
            return EventDate(phrase=phrase, date=published, precision=DatePrecision.day)
        if re.search(r"\blast week\b", p):
            start = published - dt.timedelta(days=published.weekday() + 7)
            return EventDate(phrase=phrase, date=start, precision=DatePrecision.week)
    if re.search(r"\bweek\b", p):
        return EventDate(phrase=phrase, precision=DatePrecision.week)
    mm = re.search(_MONTH_RE, p)
    if mm and _month(mm.group(0)):
        year_m = re.search(r"\b(\d{4})\b", p)
        if year_m:
            return EventDate(phrase=phrase, date=dt.date(int(year_m.group(1)), _month(mm.group(0)) or 1, 1),
                             precision=DatePrecision.month)
        return EventDate(phrase=phrase, precision=DatePrecision.month)
    return EventDate(phrase=phrase, precision=DatePrecision.unknown)


def consistent(phrase: str, resolved: dt.date, published: dt.date | None) -> tuple[bool, str]:
    """Whether ``resolved`` can follow from ``phrase`` and the published date, with a reason."""
    p = phrase.lower()
    for i, day in enumerate(WEEKDAYS):
        if re.search(rf"\b{day}\b", p):
            if resolved.weekday() != i:
                return False, f"{resolved.isoformat()} is a {WEEKDAYS[resolved.weekday()].title()}, not a {day.title()}"
            if published and resolved > published:
                return False, f"{resolved.isoformat()} is after the published date {published.isoformat()}"
            return True, f"a {day.title()} on or before publication"
    expected = resolve(phrase, published)
    if expected.date is None:
        if published is None:
            return False, "the phrase cannot be resolved without a published date"
        return False, f"'{phrase}' does not determine a date"
    if expected.precision is DatePrecision.week:
        ok = expected.date <= resolved < expected.date + dt.timedelta(days=7)
        return ok, ("within that week" if ok else f"not in the week starting {expected.date.isoformat()}")
    if expected.precision is DatePrecision.month:
        ok = (resolved.year, resolved.month) == (expected.date.year, expected.date.month)
        return ok, ("within that month" if ok else "not in that month")
    ok = resolved == expected.date
    return ok, ("matches" if ok else f"the phrase gives {expected.date.isoformat()}")
