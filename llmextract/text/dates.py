"""Date phrases in news text, their resolution against a publication date, and the publication date itself.

"on Monday" in an article published 2018-01-01 (a Monday) is that day or an earlier Monday:
the resolver takes the most recent one on or before publication. "last week" resolves to a
week, "November 23" to the latest such day not after publication. Without a publication
date nothing relative is resolved; the phrase is kept.

Every resolved phrase has a ``start`` and an ``end`` (equal for one day): a week, a month,
a range ("between October 23 and November 23", "from 3 to 9 May"), an open period up to
publication ("since September 2014", "since October 7", "over the past 38 months") keep
their span, and a range has no single ``date``.

:func:`find_published` reads the publication date off the text itself, in this order: a
leading ``date YYYY-MM-DD`` line; an ISO date or datetime alone at the start of a line; a
"Published ..." line; a dateline ("KYIV, June 3 (Reuters) -", "Sept. 29, 2020 -"). A dateline
without a year takes the year only from another such line; a scrape timestamp ("04:44
GMT29 September 2020") is never taken. Only the head of the text (the first 600 characters)
is read.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from llmextract.schema import DatePrecision, EventDate
from llmextract.text.caseless import CaselessPattern

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_MONTH_RE = r"(?:" + "|".join(MONTHS) + r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"

_DAY_MONTH = r"\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s+\d{4}\b)?"
_MONTH_DAY = _MONTH_RE + r"\s+\d{1,2}(?:st|nd|rd|th)?\b(?:,?\s+\d{4}\b)?"
_POINT = r"(?:" + _MONTH_DAY + r"|" + _DAY_MONTH + r"|" + _MONTH_RE + r"(?:\s+\d{4})?)"
_SPAN_NUMBER = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a\s+few|several)"
_DATE_SOURCE = (
    # Every alternative starts a word: the \b stands once before them all, so a position inside a word is
    # rejected at once instead of by each alternative. Periods first: at one position the longest
    # reading wins.
    r"\b(?:between\s+(?:\d{1,2}(?:st|nd|rd|th)?\s+and\s+" + _DAY_MONTH + r"|" + _POINT + r"\s+and\s+" + _POINT
    + r"|(?:19|20)\d\d\s+and\s+(?:19|20)\d\d)\b"
    r"|from\s+(?:\d{1,2}(?:st|nd|rd|th)?\s+(?:to|until|till|through)\s+" + _DAY_MONTH + r"|" + _POINT
    + r"\s+(?:to|until|till|through)\s+" + _POINT + r")\b"
    r"|since\s+(?:(?:the\s+)?" + _DAY_MONTH + r"|" + _MONTH_DAY + r"|(?:19|20)\d\d\b)"
    r"|(?:over|in|during|for|within)\s+the\s+(?:past|last|previous)\s+" + _SPAN_NUMBER
    + r"\s+(?:days|weeks|months|years)\b"
    r"|(?:(?:on|last|this|early|late)\s+)?(?:" + "|".join(WEEKDAYS)
    + r")(?:\s+(?:morning|night|evening|afternoon))?\b"
    r"|(?:on\s+)?" + _MONTH_RE + r"\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?\b"
    r"|(?:on\s+)?\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s+\d{4})?\b"
    r"|(?:last|this|next)\s+(?:week|month|year|weekend)\b"
    r"|(?:yesterday|today|a\s+day\s+(?:earlier|later)|the\s+day\s+before|earlier\s+in\s+the\s+day|earlier\s+today)\b"
    r"|(?:in|since|early|late|mid-?)\s*" + _MONTH_RE + r"(?:\s+\d{4})?\b)"
)
# Every alternative starts with a digit or one of these letters (weekdays, months, and on, last,
# this, early, late, next, yesterday, today, a, the, earlier, in, since, mid, between, during, from,
# for, over, within).
_DATE_FIRST = "".join(sorted({w[0] for w in WEEKDAYS + MONTHS} | set("oltenyaismbdfw")))
_DATES = CaselessPattern(_DATE_SOURCE, rf"\d{_DATE_FIRST}")
DATE_PATTERNS = _DATES.caseless


@dataclass(frozen=True, slots=True)
class DateMention:
    start: int
    end: int
    text: str


def find_dates(text: str, lowered_text: str | None = None) -> list[DateMention]:
    """Date phrases in ``text``: the matches of :data:`DATE_PATTERNS`, leftmost first, not overlapping.
    ``lowered_text``: :func:`~llmextract.text.caseless.lowered` of ``text``, when the caller has it."""
    return [DateMention(s, e, text[s:e]) for s, e in _DATES.spans(text, lowered_text)]


def _month(token: str) -> int | None:
    t = token.lower().rstrip(".")
    if t in MONTHS:
        return MONTHS.index(t) + 1
    return _MONTH_ABBR.get(t[:4] if t.startswith("sept") else t[:3])


_WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "eleven": 11, "twelve": 12}
_PAST = re.compile(r"\b(?:past|last|previous)\s+(\d{1,3}|[a-z]+)\s+(days|weeks|months|years)\b")
_BETWEEN = re.compile(r"^\s*(?:between|from)\s+(.+?)\s+(?:and|to|until|till|through)\s+(.+?)\s*$", re.I)
_BARE_YEAR = re.compile(r"^(?:19|20)\d\d$")
_SINCE = re.compile(r"^\s*since\s+(?:the\s+)?(.+?)\s*$", re.I)
# What a lowered date phrase is read by (compiled once: phrases are resolved many times per article)
_WEEKDAY_WORDS = [(i, day, re.compile(rf"\b{day}\b")) for i, day in enumerate(WEEKDAYS)]
_LAST = re.compile(r"\blast\b")
_DAY_AND_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([a-z]+\.?)|([a-z]+\.?)\s+(\d{1,2})\b")
_YEAR = re.compile(r"\b(\d{4})\b")
_YESTERDAY = re.compile(r"\byesterday\b")
_TODAY = re.compile(r"\b(?:today|earlier in the day|earlier today)\b")
_LAST_WEEK = re.compile(r"\blast week\b")
_WEEK = re.compile(r"\bweek\b")
_MONTH_WORD = re.compile(_MONTH_RE)


def resolve(phrase: str, published: dt.date | None) -> EventDate:
    """Resolve a date phrase into a day (``date``) and the period it allows (``start``, ``end``).

    The verbatim phrase is always kept. A period (a range, "since ...", "over the past N months")
    has ``start`` and ``end`` but no single ``date``; an open period ends on the published date
    (unknown without one).
    """
    period = _resolve_period(phrase, published)
    if period is not None:
        return period
    point = _resolve_point(phrase, published)
    start, end = _span(point)
    return point.model_copy(update={"start": start, "end": end})


def _span(point: EventDate) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day a resolved point covers."""
    if point.date is None:
        return None, None
    if point.precision is DatePrecision.week:
        return point.date, point.date + dt.timedelta(days=6)
    if point.precision is DatePrecision.month:
        last = calendar.monthrange(point.date.year, point.date.month)[1]
        return point.date, point.date.replace(day=last)
    if point.precision is DatePrecision.year:
        return point.date, point.date.replace(month=12, day=31)
    return point.date, point.date


def _year_point(text: str) -> EventDate | None:
    if _BARE_YEAR.match(text.strip()):
        return EventDate(phrase=text, date=dt.date(int(text), 1, 1), precision=DatePrecision.year)
    return None


def _resolve_period(phrase: str, published: dt.date | None) -> EventDate | None:
    p = phrase.lower()
    m = _BETWEEN.match(p)
    if m:
        first, second = m.group(1), m.group(2)
        if re.fullmatch(r"\d{1,2}(?:st|nd|rd|th)?", first):  # "from 3 to 9 May": the month follows the second day
            month = re.search(_MONTH_RE + r"(?:,?\s+\d{4})?", second)
            first = f"{first} {month.group(0)}" if month else first
        elif not re.search(r"\d{4}", first) and (year := re.search(r"\d{4}", second)):
            first = f"{first} {year.group(0)}"  # "between October 23 and November 23, 2018"
        a = _year_point(first) or _resolve_point(first, published)
        b = _year_point(second) or _resolve_point(second, published)
        start, end = _span(a)[0], _span(b)[1]
        if start is None or end is None:
            return EventDate(phrase=phrase)
        if start > end and not re.search(r"\d{4}", m.group(1)):
            start = start.replace(year=start.year - 1)  # "between December 28 and January 3"
        return EventDate(phrase=phrase, start=start, end=end)
    m = _SINCE.match(p)
    if m and (re.search(r"\d", m.group(1)) or _month(m.group(1).split()[0])):
        point = _year_point(m.group(1)) or _resolve_point(m.group(1), published)
        start = _span(point)[0]
        return EventDate(phrase=phrase, start=start, end=published if start is not None else None)
    m = _PAST.search(p)
    if m and published is not None:
        n = int(m.group(1)) if m.group(1).isdigit() else _WORD_NUMBERS.get(m.group(1))
        if n is None:
            return EventDate(phrase=phrase, end=published)
        unit = m.group(2)
        if unit == "days":
            start = published - dt.timedelta(days=n)
        elif unit == "weeks":
            start = published - dt.timedelta(weeks=n)
        else:
            months = n * (12 if unit == "years" else 1)
            year, month = divmod(published.year * 12 + published.month - 1 - months, 12)
            start = dt.date(year, month + 1, min(published.day, calendar.monthrange(year, month + 1)[1]))
        return EventDate(phrase=phrase, start=start, end=published)
    if m:
        return EventDate(phrase=phrase)
    return None


def _resolve_point(phrase: str, published: dt.date | None) -> EventDate:
    """One day, week or month (no period), without start and end."""
    p = phrase.lower()
    for i, _day, word in _WEEKDAY_WORDS:
        if word.search(p):
            if published is None:
                return EventDate(phrase=phrase, precision=DatePrecision.day)
            back = (published.weekday() - i) % 7
            if _LAST.search(p) and back == 0:
                back = 7
            return EventDate(phrase=phrase, date=published - dt.timedelta(days=back), precision=DatePrecision.day)
    m = _DAY_AND_MONTH.search(p)
    if m:
        day_s, month_s = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        month = _month(month_s)
        year_m = _YEAR.search(p)
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
        if _YESTERDAY.search(p):
            return EventDate(phrase=phrase, date=published - dt.timedelta(days=1), precision=DatePrecision.day)
        if _TODAY.search(p):
            return EventDate(phrase=phrase, date=published, precision=DatePrecision.day)
        if _LAST_WEEK.search(p):
            start = published - dt.timedelta(days=published.weekday() + 7)
            return EventDate(phrase=phrase, date=start, precision=DatePrecision.week)
    if _WEEK.search(p):
        return EventDate(phrase=phrase, precision=DatePrecision.week)
    mm = _MONTH_WORD.search(p)
    if mm and _month(mm.group(0)):
        year_m = _YEAR.search(p)
        if year_m:
            return EventDate(phrase=phrase, date=dt.date(int(year_m.group(1)), _month(mm.group(0)) or 1, 1),
                             precision=DatePrecision.month)
        return EventDate(phrase=phrase, precision=DatePrecision.month)
    return EventDate(phrase=phrase, precision=DatePrecision.unknown)


def consistent(phrase: str, resolved: dt.date, published: dt.date | None) -> tuple[bool, str]:
    """Whether ``resolved`` can follow from ``phrase`` and the published date, with a reason."""
    period = _resolve_period(phrase, published)
    if period is not None:
        if period.start is None or period.end is None:
            return False, f"'{phrase}' does not fix a period without a published date"
        ok = period.start <= resolved <= period.end
        within = f"{period.start.isoformat()} to {period.end.isoformat()}"
        return ok, (f"within {within}" if ok else f"outside {within}")
    p = phrase.lower()
    for i, day, word in _WEEKDAY_WORDS:
        if word.search(p):
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


_HEAD = 600
_FULL_DATE = (r"(?:\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH_RE + r",?\s+\d{4}|" + _MONTH_RE
              + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{4}-\d{2}-\d{2})")
_PUBLISHED = [
    re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\b"),
    re.compile(r"^[ \t]*(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?[ \t]*$",
               re.M),
    re.compile(r"^[ \t]*(?:first\s+)?(?:published|posted)(?:\s+on)?\s*:?\s+(?:[a-z]+day,?\s+)?(" + _FULL_DATE + r")",
               re.I | re.M),
    re.compile(r"^[ \t]*(" + _MONTH_RE + r"\s+\d{1,2},?\s+\d{4})\s*[-–—]", re.I | re.M),  # "Sept. 29, 2020 -"
]
# "KYIV, June 3 (Reuters) -": a place in capitals, the day, an agency in brackets, a dash
_DATELINE = re.compile(r"^[ \t]*[A-Z][A-Z .'’-]{1,40},\s+(" + _MONTH_RE + r"\s+\d{1,2})(?:,?\s+(\d{4}))?\s*"
                       r"(?:\([^)\n]{1,40}\)\s*)?[-–—]", re.I | re.M)
_ANY_FULL_DATE = re.compile(r"\b" + _FULL_DATE + r"\b", re.I)


def _parse_full(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    point = _resolve_point(text, None)
    return point.date if point.precision is DatePrecision.day else None


def find_published(text: str) -> dt.date | None:
    """The publication date the text states in its head (see the module docstring), or None."""
    head = text[:_HEAD]
    for pattern in _PUBLISHED:
        m = pattern.search(head)
        if m and (when := _parse_full(m.group(1))) is not None:
            return when
    m = _DATELINE.search(head)
    if m is None:
        return None
    if m.group(2):
        return _parse_full(f"{m.group(1)}, {m.group(2)}")
    years = [d.year for d in (_parse_full(x.group(0)) for x in _ANY_FULL_DATE.finditer(text)) if d is not None]
    return _parse_full(f"{m.group(1)}, {max(years)}") if years else None


_SPEECH_VERB = (r"(?:said|says|say|reported|reports|announced|announces|told|tells|stated|states|added|claimed|claims|"
                r"confirmed|confirms|tweeted|wrote|published|issued|released)")
_REPORTED_BY = re.compile(r"\b" + _SPEECH_VERB + r"(?:\s+[\w'’-]+){0,2}\s*$", re.I)
# "On November 15, local reports claimed ...": a date fronted before its speaker
_FRONTED = re.compile(r",?\s+(?:[\w'’-]+\s+){0,4}?" + _SPEECH_VERB + r"\b", re.I)
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n\s*)$")


def is_report_date(text: str, start: int, end: int | None = None) -> bool:
    """Whether the date phrase at ``start`` (ending at ``end``) dates a statement rather than an event.

    "the ministry said on Monday", "reported on Monday" (the speech verb just before), and a date
    fronted at the head of its sentence before its speaker: "On November 15, local reports claimed".
    """
    if _REPORTED_BY.search(text[max(0, start - 40):start]) is not None:
        return True
    at_head = _SENTENCE_START.search(text[max(0, start - 3):start]) is not None
    return end is not None and at_head and _FRONTED.match(text, end) is not None


def as_date(value: Any) -> dt.date | None:
    """A ``datetime.date`` (not a datetime) or an ISO date's text as a date; else None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None
