"""Dates as data: periods keep their span, and the publication date is read off the text's head."""

from __future__ import annotations

import datetime as dt

import pytest

from llmextract.schema import Article, DatePrecision
from llmextract.text.dates import consistent, find_dates, find_published, resolve

D = dt.date
PUB = D(2021, 3, 15)  # a Monday


@pytest.mark.parametrize("text, phrase", [
    ("Shelling between April 2 and May 9 killed 14 people.", "between April 2 and May 9"),
    ("The office counted 40 deaths since February 21 in the district.", "since February 21"),
    ("Raids over the past 14 months destroyed the clinic.", "over the past 14 months"),
    ("At least 900 were killed since March 2019, the group said.", "since March 2019"),
    ("Fighting from 4 to 11 June displaced thousands.", "from 4 to 11 June"),
    ("He was detained since the 3rd of January and freed later.", "since the 3rd of January"),
    ("Clashes between 2015 and 2017 left the town empty.", "between 2015 and 2017"),
])
def test_periods_are_found_whole(text: str, phrase: str) -> None:
    assert [d.text for d in find_dates(text)] == [phrase]


def test_a_month_followed_by_a_count_is_not_a_day() -> None:
    found = find_dates("In June 5 people died, and since May 2020 more.")
    assert [d.text for d in found] == ["In June", "since May 2020"]


@pytest.mark.parametrize("phrase, start, end", [
    ("between January 2 and February 9", D(2021, 1, 2), D(2021, 2, 9)),
    ("between December 27 and January 4", D(2020, 12, 27), D(2021, 1, 4)),
    ("between October 3 and November 1, 2019", D(2019, 10, 3), D(2019, 11, 1)),
    ("from 4 to 11 February", D(2021, 2, 4), D(2021, 2, 11)),
    ("since February 21", D(2021, 2, 21), PUB),
    ("since March 2019", D(2019, 3, 1), PUB),
    ("since 2012", D(2012, 1, 1), PUB),
    ("over the past 14 months", D(2020, 1, 15), PUB),
    ("in the last three weeks", D(2021, 2, 22), PUB),
    ("between 2015 and 2017", D(2015, 1, 1), D(2017, 12, 31)),
])
def test_a_period_keeps_its_span_and_has_no_single_day(phrase: str, start: dt.date, end: dt.date) -> None:
    got = resolve(phrase, PUB)
    assert (got.start, got.end, got.date, got.phrase) == (start, end, None, phrase)
    inside, _ = consistent(phrase, start + (end - start) / 2, PUB)
    outside, reason = consistent(phrase, end + dt.timedelta(days=1), PUB)
    assert inside and not outside and "outside" in reason


@pytest.mark.parametrize("phrase, day, start, end", [
    ("on Friday", D(2021, 3, 12), D(2021, 3, 12), D(2021, 3, 12)),
    ("last week", D(2021, 3, 8), D(2021, 3, 8), D(2021, 3, 14)),
    ("March 2, 2020", D(2020, 3, 2), D(2020, 3, 2), D(2020, 3, 2)),
])
def test_a_day_or_week_spans_itself(phrase: str, day: dt.date, start: dt.date, end: dt.date) -> None:
    got = resolve(phrase, PUB)
    assert (got.date, got.start, got.end) == (day, start, end)


def test_an_open_period_without_a_published_date_stays_open() -> None:
    got = resolve("since February 21", None)
    assert (got.start, got.end, got.date) == (None, None, None)
    ok, reason = consistent("since February 21", D(2021, 3, 1), None)
    assert not ok and "published" in reason


@pytest.mark.parametrize("text, published", [
    ("date 2019-07-04\nTwo people were killed.", D(2019, 7, 4)),
    ("Strike hits market\n2022-11-30T08:15:00Z\nSeven people died.", D(2022, 11, 30)),
    ("Strike hits market\n2022-11-30\nSeven people died.", D(2022, 11, 30)),
    ("Headline here\nPublished 7 August 2023\nThe council said...", D(2023, 8, 7)),
    ("Headline\nPublished on: Tuesday, August 8, 2023 | 10:02\nText", D(2023, 8, 8)),
    ("Oct. 12, 2021 - Gunmen attacked a convoy near the border.", D(2021, 10, 12)),
    ("MOGADISHU, May 14, 2022 (AFP) - A blast killed four.", D(2022, 5, 14)),
    ("LAGOS, April 9 (Reuters) - Gunmen killed 11 villagers on April 7, 2020, police said.", D(2020, 4, 9)),
])
def test_the_published_date_is_read_off_the_head(text: str, published: dt.date) -> None:
    assert find_published(text) == published
    assert Article(text=text).published == published


@pytest.mark.parametrize("text", [
    "Headline\n11:20 GMT14 May 2022\nA blast killed four.",  # a scrape timestamp is not a publication date
    "LAGOS, April 9 (Reuters) - Gunmen killed 11 villagers, police said.",  # a dateline with no year anywhere
    "The war began in 2011 and 400,000 have died since.",
    "",
])
def test_no_published_date_where_the_head_does_not_state_one(text: str) -> None:
    assert find_published(text) is None


def test_a_given_published_date_wins_over_the_text() -> None:
    assert Article(text="date 2019-07-04\nBody", published=D(2020, 1, 1)).published == D(2020, 1, 1)


def test_only_the_head_is_read() -> None:
    assert find_published("x" * 700 + "\nPublished 7 August 2023\n") is None
    assert resolve("on Monday", None).precision is DatePrecision.day
