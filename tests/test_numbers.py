"""Number words, hedges, ranges and vague quantities, with offsets that slice back to the mention; what each
number is (its kind) and what a count counts in its sentence (its role)."""

from __future__ import annotations

import pytest

from llmextract.schema import Qualifier
from llmextract.text.numbers import (
    _HEDGE_BEFORE,
    _VAGUE,
    _WORD_RUNS,
    KIND_NAMES,
    KINDS,
    SCALES,
    TENS,
    UNITS,
    VAGUE,
    _hedge,
    count_roles,
    find_numbers,
    parse_count,
    words_to_int,
)


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("Twenty", 20), ("nine", 9), ("twenty-one", 21), ("two hundred and fifty", 250), ("a dozen", 12),
        ("half a dozen", 6), ("two dozen", 24), ("one thousand two hundred", 1200), ("Fifteen", 15),
        ("a hundred", 100), ("ninety nine", 99),
    ],
)
def test_words_to_int(words: str, value: int) -> None:
    assert words_to_int(words) == value


@pytest.mark.parametrize(
    ("text", "phrase", "low", "high", "qualifier"),
    [
        ("said at least a dozen civilians lost their lives", "at least a dozen", 12, None, Qualifier.at_least),
        ("a total of at least 5,961 civilians", "at least 5,961", 5961, None, Qualifier.at_least),
        ("Twenty civilians, including women", "Twenty", 20, 20, Qualifier.exact),
        ("between 6 and 8 people died", "between 6 and 8", 6, 8, Qualifier.range),
        ("two or three bodies", "two or three", 2, 3, Qualifier.range),
        ("more than 20 people were killed", "more than 20", 20, None, Qualifier.more_than),
        ("Over 20 people were killed", "Over 20", 20, None, Qualifier.more_than),
        ("some 300,000 civilians are trapped", "some 300,000", 300000, 300000, Qualifier.about),
        ("nearly 50 people", "nearly 50", 50, 50, Qualifier.about),
        ("up to 30 people", "up to 30", None, 30, Qualifier.up_to),
        ("as many as 25 people", "as many as 25", None, 25, Qualifier.up_to),
        ("Dozens of civilians", "Dozens", 12, None, Qualifier.vague),
        ("scores of others injured", "scores", 20, None, Qualifier.vague),
        ("hundreds of civilians", "hundreds", 100, None, Qualifier.vague),
        ("20-plus people", "20-plus", 20, None, Qualifier.at_least),
        ("1.5 million people", "1.5 million", 1_500_000, 1_500_000, Qualifier.exact),
    ],
)
def test_mentions(text: str, phrase: str, low: int | None, high: int | None, qualifier: Qualifier) -> None:
    counts = [m for m in find_numbers(text) if m.kind == "count"]
    assert counts, text
    m = counts[0]
    assert (m.text, m.low, m.high, m.qualifier) == (phrase, low, high, qualifier)
    assert text[m.start:m.end] == m.text


def test_offsets_slice_back_on_a_whole_article(articles: dict[str, str]) -> None:
    for text in articles.values():
        mentions = find_numbers(text)
        assert mentions
        for m in mentions:
            assert text[m.start:m.end] == m.text
            assert m.start <= m.num_start < m.num_end <= m.end


def test_dates_years_and_measures_are_not_counts() -> None:
    text = ("The observatory reported on November 23 that strikes since September 2014 over the past 38 months "
            "hit a city 455 kilometers away; F-16 jets flew at 04:44 GMT.")
    kinds = {m.text: m.kind for m in find_numbers(text)}
    assert kinds["23"] == "date"
    assert kinds["2014"] == "date"
    assert kinds["38"] == "measure"
    assert kinds["455"] == "measure"
    assert "16" not in kinds and "04" not in kinds and "44" not in kinds


def test_two_numbers_side_by_side_stay_two() -> None:
    values = [m.low for m in find_numbers("nine children and eight women")]
    assert values == [9, 8]


def test_vague_allows_only_its_conservative_bound() -> None:
    (m,) = find_numbers("Dozens of civilians")
    assert m.allows(12)
    assert not m.allows(50)


def test_parse_count() -> None:
    c = parse_count("at least a dozen")
    assert c is not None and (c.low, c.high, c.qualifier) == (12, None, Qualifier.at_least)
    assert parse_count("no figure here") is None


@pytest.mark.parametrize(
    "text",
    [
        "TWENTY civilians, Nine Children and EIGHT women; Half A Dozen others, a HUNDRED, two three",
        "DOZENS of people, Scores wounded, A Handful. Several; A  Few, numerous, tens of thousands, HUNDREDS",
        "Fourty-Two, ninety nine, One Thousand Two Hundred and Fifty; someone, often, tenfold, Anyone",
        "SİX people, sıx people, ſeven people, ſix: characters that change, or not, when lowered",
        "\u212aelvin, ﬁfteen, ß, ΟΔΟΣ, ١٢ people and twelve more",
        "",
    ],
)
def test_word_runs_are_the_case_insensitive_pattern(text: str) -> None:
    found = 0
    for pattern in (_WORD_RUNS, _VAGUE):
        reference = [m.span() for m in pattern.caseless.finditer(text)]
        assert list(pattern.spans(text)) == reference
        found += len(reference)
    assert found or not text  # the strings hold number words: the comparison is not of two empty lists


def test_numbers_do_not_depend_on_case(articles: dict[str, str]) -> None:
    for text in articles.values():
        plain = [(n.start, n.end, n.low, n.high) for n in find_numbers(text)]
        assert plain
        for variant in (text.upper(), text.swapcase()):
            for pattern in (_WORD_RUNS, _VAGUE):
                assert list(pattern.spans(variant)) == [m.span() for m in pattern.caseless.finditer(variant)]
            assert [(n.start, n.end, n.low, n.high) for n in find_numbers(variant)] == plain


def _hedge_by_search(text: str, start: int) -> tuple[Qualifier, int]:
    """The hedge found by trying every pattern, without the last-word shortcut."""
    before = text[max(0, start - 30):start]
    for pattern, qualifier in _HEDGE_BEFORE:
        m = pattern.search(before)
        if m:
            return qualifier, start - (len(before) - m.start())
    return Qualifier.exact, start


@pytest.mark.parametrize(
    "lead",
    ["at least", "AT LEAST", "no fewer than", "a minimum of", "not less than", "more than", "over", "upwards of",
     "in excess of", "above", "(about", "around", "approximately", "Roughly", "some", "nearly", "almost",
     "close to", "an estimated", "estimated", "approx.", "circa", "an approximate", "up to", "as many as",
     "less than", "fewer than", "under", "at most", "no more than", "ſome", "estİmated", "the", "killed", "",
     "at least\u00a0", "over-", "leftover", "handsome"],
)
def test_the_hedge_shortcut_changes_nothing(lead: str) -> None:
    for text in (f"{lead} 12 people", f"They said {lead} twelve", f"{lead}\t5", f"{lead}12"):
        start = text.index("12") if "12" in text else text.rindex("twelve") if "twelve" in text else text.index("5")
        assert _hedge(text, start) == _hedge_by_search(text, start), text


def test_every_vague_quantity_and_number_word_starts_where_the_scan_looks() -> None:
    # the caseless scans only try positions starting with the letters they were given: each word they
    # know must be found, whatever its case
    words = [*VAGUE, *UNITS, *TENS, *SCALES, "dozen", "a dozen", "half a dozen", "an hundred"]
    for word in words:
        for form in (word, word.upper(), word.title()):
            text = f"They said {form} of the people were killed."
            spans = [*_WORD_RUNS.spans(text), *_VAGUE.spans(text)]
            assert (text.index(form), text.index(form) + len(form)) in spans, form


# ----------------------------------------------------------------------------- what a number is: kinds


@pytest.mark.parametrize("text,numeral,kind", [
    ("A 12-year-old boy was killed.", "12", "age"),
    ("A shepherd aged 25 died.", "25", "age"),
    ("The farmers, aged 41 and 57, were shot.", "57", "age"),
    ("The official, 52, said the toll was rising.", "52", "age"),
    ("Prices rose 20 percent after the siege.", "20", "percent"),
    ("Prices rose 20% after the siege.", "20", "percent"),
    ("Families were paid $5 each.", "5", "money"),
    ("The ransom was 40 dollars.", "40", "money"),
    ("The blast came at 0400 GMT.", "0400", "time"),
    ("The strike came at 5 pm.", "5", "time"),
    ("It was the third raid this month.", "third", "ordinal"),
    ("On the 2nd day the shelling stopped.", "2nd", "ordinal"),
    ("Call 0800 555 0199 for news.", "555", "phone"),
    ("Ring +44 20 7946 0958 for news.", "7946", "phone"),
    ("Resolution 2254 calls for a truce.", "2254", "identifier"),
    ("Gunmen closed Highway 4 at dawn.", "4", "identifier"),
    ("See Page 12 for the list.", "12", "identifier"),
    ("Flight 370 vanished.", "370", "identifier"),
    ("Building 7 collapsed.", "7", "identifier"),
    ("Militants fired 5 rockets at the base.", "5", "things"),
    ("The strikes destroyed 14 houses.", "14", "things"),
    ("Two ambulances were destroyed in the raid.", "Two", "things"),
    ("The convoy stopped 30 km from the town.", "30", "measure"),
    ("Twelve civilians were killed.", "Twelve", "count"),
    ("Three farm hands were shot dead.", "Three", "count"),
])
def test_kinds(text: str, numeral: str, kind: str) -> None:
    found = {text[m.num_start:m.num_end]: m for m in find_numbers(text)}
    m = found[numeral]
    assert m.kind == kind, (text, m.kind)
    assert m.kind in KINDS and m.counts_people is (kind == "count")
    if kind != "count":
        assert kind in KIND_NAMES or kind == "things"


def test_a_range_or_a_hedge_of_things_is_kept_and_phones_keep_their_pieces() -> None:
    (m,) = find_numbers("Two or three houses burned.")
    assert (m.text, m.low, m.high, m.kind) == ("Two or three", 2, 3, "things")
    pieces = [(m.text, m.kind) for m in find_numbers("Call 0800 555 0199 now.")]
    assert pieces == [("0800", "phone"), ("555", "phone"), ("0199", "phone")]
    assert [m.kind for m in find_numbers("The dates 2019-02-12 and 10:30 are not phones.")] == ["year"]


# ----------------------------------------------------------------------------- what a count counts: roles


def _roles(text: str) -> dict[str, tuple[str | None, str | None, bool]]:
    mentions = find_numbers(text)
    roles = count_roles(text, mentions, [(0, len(text))])
    return {m.text: (roles[m.start].event, roles[m.start].group, roles[m.start].part)
            for m in mentions if m.kind == "count"}


@pytest.mark.parametrize("text,expected", [
    ("Five people were killed and 12 were wounded.",
     {"Five": ("killed", "people", False), "12": ("injured", None, False)}),
    ("The shells killed four people and wounded 16 on Friday.",
     {"four": ("killed", "people", False), "16": ("injured", None, False)}),
    ("Officials said 16 civilians, including seven children, were killed.",
     {"16": ("killed", "people", False), "seven": ("killed", "children", True)}),
    ("Witnesses said nine children and eight women were among the dead.",
     {"nine": ("killed", "children", True), "eight": ("killed", "women", True)}),
    ("The raids claimed the lives of 98 people, including four children.",
     {"98": ("killed", "people", False), "four": ("killed", "children", True)}),
    ("Medics said 50 people were killed and scores of others injured.",
     {"50": ("killed", "people", False), "scores": ("injured", "people", False)}),
    ("Some 300,000 civilians are trapped in the old city.", {"Some 300,000": ("other", "people", False)}),
    ("Some 12 displaced Iraqis were killed by the blast.", {"Some 12": ("killed", "people", False)}),
    ("The attack on the market left 60 casualties.", {"60": ("casualties", None, False)}),
    ("Medics said 20 people were killed or wounded.", {"20": ("casualties", "people", False)}),
    ("The death toll from the week of clashes between the two villages has risen to 22.",
     {"22": ("killed", None, False)}),
    ("Gunmen shot dead three shepherds near the well.", {"three": ("killed", "people", False)}),
    ("Three of the dead were women, the council said.", {"Three": ("killed", "women", True)}),
    ("The bomb killed a family of six, including four children.",
     {"six": ("killed", "people", False), "four": ("killed", "children", True)}),
    ("Reports said 61 Palestinians, 14 of them children, were killed.",
     {"61": ("killed", "people", False), "14": ("killed", "children", True)}),
    ("Five children were killed when the school was hit.", {"Five": ("killed", "children", False)}),
    ("Reports said 12 students who were kidnapped in May have been killed.", {"12": ("killed", "people", False)}),
    ("Officials said 40 villagers who fled the raid are missing.", {"40": ("other", "people", False)}),
])
def test_roles(text: str, expected: dict[str, tuple[str | None, str | None, bool]]) -> None:
    got = _roles(text)
    for phrase, role in expected.items():
        assert got[phrase] == role, (text, phrase, got[phrase])


@pytest.mark.parametrize(("text", "low"), [("Shelling wounded ſeveral people in Tell Abra.", 3),
                                           ("Dozenſ of families fled the shelling of Tell Abra.", 12),
                                           ("ſCORES of homes burned in Tell Abra.", 20)])
def test_a_vague_quantity_spelled_with_a_long_s_reads_as_the_word_it_folds_to(text: str, low: int) -> None:
    # the case-insensitive scan takes "ſ" for "s"; the bounds were looked up lowered only: a KeyError
    [vague] = [m for m in find_numbers(text) if m.qualifier is Qualifier.vague]
    assert (vague.low, vague.high) == (low, None)
