"""Relative dates against the published date; the evidence index's sentences and quote alignment."""

from __future__ import annotations

import datetime as dt

import pytest

from llmextract.schema import Article, DatePrecision
from llmextract.text.dates import DATE_PATTERNS, MONTHS, WEEKDAYS, consistent, find_dates, resolve
from llmextract.text.index import EvidenceIndex

PUBLISHED = dt.date(2018, 1, 1)  # a Monday, as in the sample "date 2018-01-01"


@pytest.mark.parametrize(
    ("phrase", "expected", "precision"),
    [
        ("on Monday", dt.date(2018, 1, 1), DatePrecision.day),
        ("on Saturday", dt.date(2017, 12, 30), DatePrecision.day),
        ("last Monday", dt.date(2017, 12, 25), DatePrecision.day),
        ("on November 23", dt.date(2017, 11, 23), DatePrecision.day),
        ("On December 14", dt.date(2017, 12, 14), DatePrecision.day),
        ("last week", dt.date(2017, 12, 25), DatePrecision.week),
        ("in March 2013", dt.date(2013, 3, 1), DatePrecision.month),
    ],
)
def test_resolve_against_published(phrase: str, expected: dt.date, precision: DatePrecision) -> None:
    got = resolve(phrase, PUBLISHED)
    assert (got.phrase, got.date, got.precision) == (phrase, expected, precision)


def test_unresolved_without_published_date_keeps_the_phrase() -> None:
    got = resolve("on Saturday", None)
    assert got.date is None and got.phrase == "on Saturday"
    # "a day earlier" is relative to another event, not to publication: never resolved
    assert resolve("a day earlier", PUBLISHED).date is None


def test_consistency_check() -> None:
    assert consistent("on Monday", dt.date(2018, 1, 1), PUBLISHED)[0]
    assert consistent("on Monday", dt.date(2017, 12, 25), PUBLISHED)[0]
    ok, why = consistent("on Monday", dt.date(2018, 1, 2), PUBLISHED)
    assert not ok and "Tuesday" in why
    ok, why = consistent("on Monday", dt.date(2018, 1, 8), PUBLISHED)
    assert not ok and "after" in why


def test_published_date_header_is_read() -> None:
    art = Article(text=" date 2018-01-01 A monitoring group said at least a dozen civilians lost their lives.")
    assert art.published == PUBLISHED
    assert art.text.startswith(" date 2018-01-01")  # the text itself is never modified
    assert Article(text="04:44 GMT29 September 2020\nFifteen civilians were killed.").published is None


def test_find_dates_offsets(articles: dict[str, str]) -> None:
    text = articles["000_68a82acbaa1f11d0"]
    found = find_dates(text)
    assert "on Monday" in [d.text for d in found]
    for d in found:
        assert text[d.start:d.end] == d.text


def _reference_dates(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in DATE_PATTERNS.finditer(text)]


@pytest.mark.parametrize(
    "text",
    [
        "ON MONDAY NIGHT, on 3rd of March 2019 and Since June; mid-March, midMarch, inMarch, earlier today.",
        "Last Week, this weekend, Next year, a day later, The day before, Sept. 5, 2017, 12th Dec",
        "Monday's raid on Tuesdays, mondays, Maybe, Marching in, decisive, 1234 March, ١٢ March",
        "İn March, on Frıday, on ſunday: these match ignoring case but change (or not) when lowered",
        "\u212aelvin sign, ﬅ ligature, ß, Σ final sigma ΟΔΟΣ on Wednesday",
        "",
    ],
)
def test_find_dates_is_the_case_insensitive_pattern(text: str) -> None:
    got = [(d.start, d.end, d.text) for d in find_dates(text)]
    assert got == _reference_dates(text)


def test_find_dates_is_the_case_insensitive_pattern_on_the_articles(articles: dict[str, str]) -> None:
    for text in articles.values():
        for variant in (text, text.upper(), text.swapcase()):
            assert [(d.start, d.end, d.text) for d in find_dates(variant)] == _reference_dates(variant)


def test_sentences_cover_the_text(articles: dict[str, str]) -> None:
    for text in articles.values():
        index = EvidenceIndex(text)
        assert len(index.sentences) > 5
        for s in index.sentences:
            assert text[s.start:s.end] == s.text and s.text.strip() == s.text
        for s in index.sentences:
            assert index.sentence_at(s.start) == s


def test_align_exact_normalized_fuzzy(hajin: str) -> None:
    index = EvidenceIndex(hajin)
    exact = "nine children and eight women were among the dead"
    a = index.align(exact)
    assert a is not None and a.how == "exact" and hajin[a.start:a.end] == exact
    # curly vs straight quotes and collapsed whitespace
    b = index.align("declared goal of \"destroying   Daesh.\"")
    assert b is not None and b.how == "normalized" and hajin[b.start:b.end].startswith("declared goal of “")
    c = index.align("nine children and eight woman were amongst the dead")
    assert c is not None and c.how == "fuzzy" and 0.9 <= c.score < 1.0
    assert "nine children" in hajin[c.start:c.end]
    assert index.align("fifty children were killed in Raqqa by Russian jets") is None


def test_hints_are_phrases_in_the_text(hajin: str) -> None:
    hints = EvidenceIndex(hajin).hints()
    assert "Twenty" in hints and "Hajin" in hints and "SANA" in hints
    assert all(h in hajin for h in hints)


def test_every_date_word_starts_where_the_scan_looks() -> None:
    # find_dates tries only positions starting with a digit or a letter it was given: each phrase the
    # pattern knows must be found, whatever its case
    phrases = [*WEEKDAYS, *(f"on {d}" for d in WEEKDAYS), *(f"last {d}" for d in WEEKDAYS),
               *(f"{m} 3" for m in MONTHS), "sept. 3", "dec 3", "3 march", "in june", "since may", "mid-april",
               "early march", "late june", "this week", "next month", "yesterday", "today", "a day earlier",
               "the day before", "earlier in the day", "earlier today", "this monday"]
    for phrase in phrases:
        for form in (phrase, phrase.upper(), phrase.title()):
            text = f"They said {form}, and more."
            assert [d.text for d in find_dates(text)] == [form], form


def test_sentence_ends_are_the_pattern_s_matches(articles: dict[str, str]) -> None:
    from llmextract.text.index import _SENT_END, _sentence_ends

    samples = [*articles.values(), "One. Two! Three? \u201cFour.\u201d (Five.) Six.\n\nSeven\nEight. nine. 10 dead.",
               "Mr. Smith said. U.S. forces.\n\n\n\nEnd.", "", "...", "a.\nB", "a\nB"]
    for text in samples:
        assert [m.span() for m in _sentence_ends(text)] == [m.span() for m in _SENT_END.finditer(text)]
    assert len(list(_sentence_ends(samples[-6]))) >= 6  # the hand-made sample has sentence ends to find
