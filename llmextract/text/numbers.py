"""Numbers as news text writes them: digits, words, hedges, ranges, vague quantities, and what each counts.

``find_numbers(text)`` returns every number mention with char offsets into ``text``; each
mention carries the figure's low and high bounds and its qualifier. Vague quantities get a
conservative low bound (ACLED's convention: "dozens" is coded 12) and no high bound.

**Kinds** (:attr:`NumberMention.kind`, :data:`KINDS`): what a number is. Only a ``count``
counts people (or says nothing of what it counts: "killing 11"); every other kind counts no
people: ``things`` (missiles, raids, houses), ``year``, ``date`` (a day of the month),
``measure`` (a distance, a weight, a duration), ``age`` ("12-year-old", "aged 25", "Ahmed
Karimi, 34, was"), ``percent``, ``money``, ``time`` ("0400 GMT"), ``ordinal`` ("third",
"2nd"), ``phone`` (each digit group of "0800 555 0199") and ``identifier`` ("Resolution
2254", "Highway 4", "Flight 370").

**Roles** (:func:`count_roles`): what a count counts in its sentence. The event (``killed``,
``injured``, ``casualties`` for killed-or-wounded, ``other`` for the trapped, displaced or
kidnapped), the group (``people``, ``children``, ``women``, ``men``, ``mixed``), and whether it
is a part of another figure (a breakdown: "including five children", "nine children and eight
women were among the dead"). Read from the words around the figure only; a role the words do
not settle is None.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from llmextract.schema import Count, Qualifier
from llmextract.text.caseless import CaselessPattern, lowered, lowered_twin, word_starts

UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
# Vague quantities: (conservative low bound, high bound or None).
VAGUE = {
    "dozens": (12, None), "scores": (20, None), "hundreds": (100, None),
    "thousands": (1000, None), "tens": (10, None), "several": (3, None),
    "a few": (2, None), "a handful": (2, None), "a number": (2, None), "numerous": (2, None),
}

_WORD = "|".join(sorted([*UNITS, *TENS, *SCALES, "dozen"], key=len, reverse=True))
_WORD_RUN_SOURCE = (
    rf"\b(?:(?:half\s+)?an?\s+(?=(?:hundred|thousand|million|dozen)\b))?"
    rf"(?:{_WORD})(?:(?:\s*-\s*|\s+and\s+|\s+)(?:{_WORD}))*\b"
)
# Number words ("Twenty", "nine", "a dozen"), case-insensitive; a match starts with "h", "a" or the
# first letter of a number word.
_WORD_RUNS = CaselessPattern(_WORD_RUN_SOURCE, "ha" + "".join(sorted({w[0] for w in _WORD.split("|")})))
_DIGIT_RUN = re.compile(r"\d+")
_DIGITS = re.compile(
    r"(?<![\w.,:/-])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s+(million|thousand|hundred|dozen|billion)\b)?(?![\w:/]|[.,]\d)",
    re.IGNORECASE,
)
# Vague quantities, case-insensitive; the span is the quantity's words alone (what follows is looked at).
_VAGUE = CaselessPattern(
    r"\b(?:dozens|scores|hundreds|thousands|tens|several|a\s+few|a\s+handful|a\s+number|numerous)\b"
    r"(?=\s+(?:of\b|\w)|\s*[,.;:)]|\s*$)",
    "dshtan",
)
# A numeral just before a vague word: "two hundreds" is not a vague quantity.
_NUMBER_BEFORE = re.compile(r"\d\s*$|\b(?:" + _WORD + r")\s+$", re.I)
_HEDGE_BEFORE = [
    (re.compile(r"\b(?:at\s+least|no\s+(?:fewer|less)\s+than|a\s+minimum\s+of|not\s+less\s+than)\s+$", re.I),
     Qualifier.at_least),
    (re.compile(r"\b(?:more\s+than|over|upwards\s+of|in\s+excess\s+of|above)\s+$", re.I), Qualifier.more_than),
    (re.compile(r"\b(?:about|around|approximately|roughly|some|nearly|almost|close\s+to|an\s+estimated|"
                r"estimated|approx\.|circa|an\s+approximate)\s+$", re.I), Qualifier.about),
    (re.compile(r"\b(?:up\s+to|as\s+many\s+as|less\s+than|fewer\s+than|under|at\s+most|no\s+more\s+than)\s+$",
                re.I), Qualifier.up_to),
]
_HEDGE_AFTER = re.compile(r"^(?:\s+or\s+more\b|\s*-?\s*plus\b|\+)", re.I)
_MONTHS = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
           r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?")
_MONTH_BEFORE = re.compile(_MONTHS + r"\s+$", re.I)
_MONTH_AFTER = re.compile(r"^(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTHS + r"\b", re.I)
_MEASURE_AFTER = re.compile(
    r"^\s*-?\s*(?:km|kilomet(?:er|re)s?|miles?|met(?:er|re)s?|mi\b|kg|kilograms?|grams?|tons?|tonnes?|litres?|"
    r"liters?|feet|foot|ft\b|inch(?:es)?|hectares?|acres?|"
    r"years?\b|months?\b|weeks?\b|days?\b|hours?\b|minutes?\b|seconds?\b|decades?\b|centur(?:y|ies)\b)",
    re.I,
)
_AGE_AFTER = re.compile(r"^\s*-?\s*(?:year|month|week|day)s?[\s-]+old\b", re.I)
_AGE_BEFORE = re.compile(r"\b(?:aged?|ages)\s+(?:of\s+|between\s+|about\s+|around\s+|just\s+|only\s+)?$", re.I)
# "Ahmed Karimi, 34, was killed", "The official, 52, said": an age in apposition to a person
_AGE_APPOSITION_BEFORE = re.compile(r"\b[A-Za-z][\w'’-]+,\s$")
_AGE_APPOSITION_AFTER = re.compile(r"^,\s+(?!(?:and|or|including|among|of)\b)[a-z]")
# "aged 41 and 57", "aged 19, 22 and 23": the ages after the first
_AGE_LIST_GAP = re.compile(r"\s*(?:,|and|or|to|,\s*and)\s*")
_PERCENT_AFTER = re.compile(r"^\s*(?:percent|per\s*cent|%|pc\b|percentage\s+points?)", re.I)
_MONEY_BEFORE = re.compile(r"(?:[$£€¥₹₦]|\bUS\$|\b(?:USD|EUR|GBP|SYP|IQD|NGN|AFN|PKR|INR)\s?)\s*$")
_MONEY_AFTER = re.compile(
    r"^\s*(?:dollars?|usd\b|euros?|pounds?\s+sterling|pounds?\b(?!\s+of)|riyals?|liras?|lira\b|dinars?|rupees?|naira\b|"
    r"shillings?|francs?|yuan\b|yen\b|rubles?|roubles?|cents?\b|pesos?|dirhams?|afghanis?|taka\b|birr\b)",
    re.I,
)
_TIME_AFTER = re.compile(r"^\s*(?:am\b|pm\b|a\.m\.|p\.m\.|gmt\b|utc\b|hrs\b|o['’]clock\b|local\s+time\b|"
                         r"hours?\s+(?:gmt|utc|local)\b)", re.I)
# An identifier: a designator before the number ("Resolution 2254", "Highway 4", "Flight 370").
# Lower case too for these; the capitalised-only ones below are ordinary words in lower case.
_IDENT_WORDS_ANY_CASE = (
    "resolution|resolutions|highway|route|motorway|page|flight|building|block|room|apartment|gate|platform|article|"
    "section|chapter|paragraph|clause|decree|exit|terminal|ward|checkpoint|brigade|battalion|regiment|squadron|"
    "division|corps|channel|kilometre|kilometer|km|road|rd\\.|apt\\.|para\\.|fig\\.|vol\\."
)
_IDENT_WORDS_CAPITALISED = (
    "Line|Bus|Hall|Law|Bill|No\\.|Nos\\.|Number|Unit|Sector|Zone|Station|Bed|Cell|Flat|Lot|Plot|Street|Avenue|"
    "Tower|Level|Floor|Phase|Episode|Volume|Part|Version|Model|Type|Mark|Mk\\.|Class|Category|Grade|Item|"
    "Figure|Table|Hill|Point|Post|Base|District|Camp|Square|Lane|Gallery|Case|Act|Protocol|Annex|Ch\\.|Art\\.|Sec\\."
)
_IDENT_BEFORE = re.compile(
    r"(?:\b(?i:" + _IDENT_WORDS_ANY_CASE + r")|\b(?:" + _IDENT_WORDS_CAPITALISED + r"))"
    r"\s*(?:(?i:no\.?|number)\s*|#\s*)?$"
)
_YEAR_BEFORE = re.compile(r"\b(?:in|since|of|until|by|from|during|early|late|mid|summer|winter|spring|"
                          r"autumn|fall)\s+$", re.I)
# Ordinals: "2nd", "21st", "third", "twenty-first", "hundredth"
_ORDINAL_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                  "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
                  "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
                  "nineteenth": 19}
_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
                 "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100, "thousandth": 1000}
_ORDINAL_UNIT_WORDS = "|".join(sorted(_ORDINAL_UNITS, key=len, reverse=True))
_ORDINALS = CaselessPattern(
    r"\b(?:\d+(?:st|nd|rd|th)"
    r"|(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)[\s-](?:" + _ORDINAL_UNIT_WORDS + r"))"
    r"|(?:" + "|".join(sorted([*_ORDINAL_UNITS, *_ORDINAL_TENS], key=len, reverse=True)) + r"))\b",
    r"\dfstnetho",
)
# Phone numbers: digit groups joined by single spaces, dots or dashes, with a leading + or 0, or
# three groups or more; seven digits at least. An ISO date is not one.
_PHONE = re.compile(
    r"(?<![\w+.,/-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,5}){1,5}(?![\w/]|[.,-]\d)"
)
# Two digits joined as in a phone number: a match of _PHONE holds one within 17 characters of its start
# (at the latest in "+123 (12345) 1234-5"), so its scan starts _PHONE_REACH characters before the first.
_PHONE_PAIR = re.compile(r"\d[ .-]\d")
_PHONE_REACH = 60
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What a count counts, by the noun that follows it: things, or a time (a vague "few days").
_THING_NOUNS = (
    r"missiles?|rockets?|shells?|mortars?|bombs?|grenades?|bullets?|rounds|drones?|raids?|air[\s-]?strikes?|"
    r"strikes?|sorties?|attacks?|assaults?|explosions?|blasts?|bombings?|shellings?|incidents?|operations?|"
    r"clashes|battles?|houses?|homes?|buildings?|apartments?|vehicles?|cars?|trucks?|buses|tanks?|boats?|ships?|"
    r"aircraft|warplanes?|planes?|jets?|helicopters?|villages?|towns?|cities|districts?|provinces?|regions?|"
    r"areas?|neighbou?rhoods?|schools?|hospitals?|clinics?|mosques?|churches?|markets?|shops?|tents?|camps?|"
    r"checkpoints?|positions?|posts?|bases?|targets?|sites?|bridges?|roads?|wells?|farms?|weapons?|guns?|"
    r"rifles?|letters?|statements?|reports?|resolutions?|occasions?|times|waves?|countries|nations?|"
    r"tons?|tonnes?|cattle|cows?|sheep|goats?|camels?|livestock|animals?|bags?|boxes|containers?|items?|"
    r"pieces?|pages?|votes?|seats?|facilities|devices?|convoys?|prisons?|fronts?|graves?|kilograms?|"
    r"factions?|groups|organi[sz]ations?|agencies|companies|rallies|protests|demonstrations|ambulances?|"
    r"(?:land)?mines|bulldozers?|shelters?|generators?|trees|crops|barrels?|munitions|explosives|ieds?|"
    r"roadblocks?|tunnels?|warehouses?|stores?|offices?|stations?|plants?|factories|flights?|trains?"
)
# "two ambulances were destroyed": what only things undergo
_THING_VERB = re.compile(
    r"^\s+(?:[\w'’-]+\s+){0,3}?(?:were|was|have\s+been|had\s+been|are|being|got)\s+(?:\w+ly\s+)?(?:destroyed|damaged|"
    r"demolished|cleared|torched|razed|seized|confiscated|fired|launched|dropped|looted|defused|planted|detonated|"
    r"intercepted|shot\s+down|downed|flattened|levelled|leveled|set\s+ablaze|burned\s+down|burnt\s+down)\b",
    re.I,
)
_TIME_NOUNS = r"days?|weeks?|months?|years?|hours?|minutes?|seconds?|decades?|nights?"
_PEOPLE_NOUNS = (
    r"people|persons?|civilians?|children|child|kids?|minors?|boys?|girls?|infants?|babies|baby|toddlers?|"
    r"schoolchildren|teenagers?|women|woman|men|man|members?|residents?|villagers?|inhabitants?|citizens?|"
    r"individuals?|others|fighters?|militants?|terrorists?|soldiers?|troops|servicemen|policemen|police|"
    r"officers?|personnel|guards?|workers?|employees?|staff|journalists?|students?|pupils?|worshippers?|"
    r"pilgrims?|refugees?|migrants?|farmers?|shepherds?|herders?|passengers?|patients?|doctors?|nurses?|"
    r"protesters?|demonstrators?|prisoners?|detainees?|hostages?|victims?|casualties|bodies|corpses|dead|"
    r"wounded|injured|families|family|relatives?|brothers?|sisters?|sons?|daughters?|teachers?|elders?|"
    r"youths?|gunmen|insurgents?|rebels?|jihadists?|combatants?|commanders?|leaders?|officials?|mourners?|"
    r"guests?|shoppers?|traders?|vendors?|persons|adults?|elderly|those"
)
_NOUN_STOP = frozenset({
    "in", "on", "at", "to", "from", "by", "with", "for", "and", "or", "but", "were", "was", "are", "is", "be",
    "been", "have", "has", "had", "who", "which", "that", "said", "says", "after", "when", "as", "while",
    "since", "during", "including", "among", "near", "into", "across", "against", "over", "than", "per",
    "will", "would", "could", "may", "might", "killed", "wounded", "injured", "dead", "died",
})
_WORD_AFTER = re.compile(r"\s*([A-Za-z][\w'’-]*)")
_OF_AFTER_VAGUE = re.compile(r"\s+of\s+(?:the\s+|these\s+|those\s+)?", re.I)  # "a number of (the) houses"
_THING_RE = re.compile(rf"(?:{_THING_NOUNS})$", re.I)
_TIME_RE = re.compile(rf"(?:{_TIME_NOUNS})$", re.I)
_PEOPLE_RE = re.compile(rf"(?:{_PEOPLE_NOUNS})$", re.I)


#: Every kind of number mention (:attr:`NumberMention.kind`); only ``count`` counts people.
KINDS = ("count", "things", "year", "date", "measure", "age", "percent", "money", "time", "ordinal", "phone",
         "identifier")
#: How a reason names each kind that counts no people.
KIND_NAMES = {"things": "a count of things", "year": "a year", "date": "a date (a day of the month)",
              "measure": "a measure (a distance, a weight or a duration)", "age": "an age", "percent": "a percentage",
              "money": "a sum of money", "time": "a time of day", "ordinal": "an ordinal",
              "phone": "part of a phone number", "identifier": "an identifier (a number naming something)"}


@dataclass(frozen=True, slots=True)
class NumberMention:
    """One number in the text. ``start``/``end`` cover the whole phrase, hedge included."""

    start: int
    end: int
    text: str
    low: int | None
    high: int | None
    qualifier: Qualifier
    num_start: int  # the numeral itself, without the hedge
    num_end: int
    kind: str = "count"  # one of KINDS: count (of people), things, year, date, measure, age, percent, ...

    @property
    def value(self) -> int | None:
        return self.low if self.low is not None else self.high

    @property
    def counts_people(self) -> bool:
        """Whether the mention may count people (its kind is ``count``)."""
        return self.kind == "count"

    def allows(self, value: int) -> bool:
        """Whether ``value`` is a figure this phrase states (its bounds; vague: only the low bound)."""
        if self.qualifier is Qualifier.vague:
            return value == self.low
        if self.qualifier is Qualifier.range:
            return value in (self.low, self.high)
        return value in (self.low, self.high)

    def to_count(self) -> Count:
        return Count(phrase=self.text, low=self.low, high=self.high, qualifier=self.qualifier)


_WORD_SPLIT = re.compile(r"[\s-]+")
_DIGIT_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)")
_RUN_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
# A range: "between 6 and 8", "6 to 8", "6-8", "two or three"
_BETWEEN_BEFORE = re.compile(r"\bbetween\s+$", re.I)
_RANGE_GAP = re.compile(r"\s*(?:to|-|–|or)\s*", re.I)
_AND_GAP = re.compile(r"\s+and\s+", re.I)


def words_to_int(words: str) -> int | None:
    """'two hundred and fifty' -> 250, 'twenty-one' -> 21, 'a dozen' -> 12, 'half a dozen' -> 6."""
    tokens = [t for t in _WORD_SPLIT.split(words.lower()) if t and t != "and"]
    if not tokens:
        return None
    half = False
    if tokens[0] == "half":
        half, tokens = True, tokens[1:]
    if tokens and tokens[0] in ("a", "an"):
        tokens = ["one", *tokens[1:]]
    total, current, seen = 0, 0, False
    for tok in tokens:
        if tok in UNITS:
            current += UNITS[tok]
        elif tok in TENS:
            current += TENS[tok]
        elif tok == "dozen":
            current = (current or 1) * 12
        elif tok == "hundred":
            current = (current or 1) * 100
        elif tok in SCALES:
            total += (current or 1) * SCALES[tok]
            current = 0
        else:
            return None
        seen = True
    if not seen:
        return None
    value = total + current
    return value // 2 if half else value


def ordinal_value(word: str) -> int | None:
    """'third' -> 3, '21st' -> 21, 'twenty-first' -> 21, 'hundredth' -> 100."""
    w = word.lower()
    m = _DIGIT_ORDINAL.fullmatch(w)
    if m:
        return int(m.group(1))
    if w in _ORDINAL_UNITS:
        return _ORDINAL_UNITS[w]
    if w in _ORDINAL_TENS:
        return _ORDINAL_TENS[w]
    parts = _WORD_SPLIT.split(w)
    if len(parts) == 2 and parts[0] in TENS and parts[1] in _ORDINAL_UNITS:
        return TENS[parts[0]] + _ORDINAL_UNITS[parts[1]]
    return None


def _digits_value(digits: str, scale: str | None) -> int | None:
    try:
        number = float(digits.replace(",", ""))
    except ValueError:
        return None
    if scale:
        number *= 12 if scale.lower() == "dozen" else SCALES[scale.lower()]
    if number != int(number):
        return None
    return int(number)


def _well_formed(words: str) -> bool:
    """Reject runs like 'one two' or 'five four', which are two numbers, not one."""
    tokens = [t for t in _WORD_SPLIT.split(words.lower()) if t and t not in ("and", "a", "an", "half")]
    small_after_small = any(
        (a in UNITS or a in TENS) and b in UNITS and not (a in TENS and UNITS[b] < 10 and UNITS[b] > 0)
        for a, b in zip(tokens, tokens[1:], strict=False)
    )
    return not small_after_small


def _split_run(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split an ill-formed word run ('two three') at each place a new number starts."""
    run = text[start:end]
    if _well_formed(run):
        return [(start, end)]
    return [(start + tok.start(), start + tok.end()) for tok in _RUN_WORD.finditer(run)]


def _digit_matches(text: str, runs: list[tuple[int, int]] | None = None) -> Iterator[re.Match[str]]:
    """``_DIGITS.finditer(text)``, tried only where a run of digits starts: a match starts with a digit
    that follows no word character, and a pattern that opens with a lookbehind is otherwise tried at
    every character of the text. ``runs``: the spans of ``_DIGIT_RUN.finditer(text)``, when the caller has them."""
    pos = 0
    for start, _end in runs if runs is not None else (r.span() for r in _DIGIT_RUN.finditer(text)):
        if start < pos:
            continue
        m = _DIGITS.match(text, start)
        if m is not None:
            yield m
            pos = m.end()


def _needles(words: Iterable[str], length: int = 4) -> tuple[str, ...]:
    """Beginnings that every one of ``words`` starts with (its first ``length`` letters, or a shorter one that
    is itself a beginning: "six" for "sixteen" and "sixty"), for :func:`~llmextract.text.caseless.word_starts`."""
    heads = {w[:length] for w in words}
    return tuple(sorted(h for h in heads if not any(h != o and h.startswith(o) for o in heads)))


_SCALE_WORDS = ("hundred", "thousand", "million", "dozen")  # what "a", "an" and "half a" stand before
_NUMBER_NEEDLES = _needles(_WORD.split("|"))
_ORDINAL_NEEDLES = _needles([*_ORDINAL_UNITS, *_ORDINAL_TENS, *TENS])
_ORDINAL_SUFFIXES = ("st", "nd", "rd", "th")
_VAGUE_WORDS = ("dozens", "scores", "hundreds", "thousands", "tens", "several", "numerous")
_VAGUE_AFTER_A = ("few", "handful", "number")  # "a few", "a handful", "a number"
# Every word any of the three patterns can start from, looked for once (most needles serve two of them)
_ALL_NEEDLES = _needles([*_NUMBER_NEEDLES, *_ORDINAL_NEEDLES, *_VAGUE_WORDS, *_VAGUE_AFTER_A], length=99)


def _word_starts(low: str, needles: tuple[str, ...], hits: list[int] | None) -> list[int]:
    """:func:`~llmextract.text.caseless.word_starts` of ``needles``, taken from ``hits`` (the word starts of
    :data:`_ALL_NEEDLES`, when the caller has them) or else looked for."""
    if hits is None:
        return word_starts(low, needles)
    return [at for at in hits if low.startswith(needles, at)]


def _before_space(low: str, pos: int) -> int:
    """The offset of the whitespace run that ends at ``pos`` (``pos`` when none does)."""
    while pos > 0 and low[pos - 1].isspace():
        pos -= 1
    return pos


def _word_run_starts(low: str, hits: list[int] | None = None) -> list[int]:
    """Every offset where a match of :data:`_WORD_RUNS` can start in the lowered text: a word starting like a
    number word, and the "a", "an" or "half a(n)" before a scale word ("a dozen", "half a million").
    ``hits``: the word starts of :data:`_ALL_NEEDLES`, when the caller has them."""
    starts = _word_starts(low, _NUMBER_NEEDLES, hits)
    more = []
    for at in starts:
        if low.startswith(_SCALE_WORDS, at):
            gap = _before_space(low, at)
            if gap < at:  # "a" or "an", and maybe "half" before it
                for article in (gap - 1, gap - 2):
                    more += [article, _before_space(low, article) - 4]
    if more:
        starts = sorted({*starts, *(s for s in more if s >= 0)})
    return starts


def _ordinal_starts(low: str, digit_runs: list[tuple[int, int]], hits: list[int] | None = None) -> list[int]:
    """Every offset where a match of :data:`_ORDINALS` can start in the lowered text: a word starting like an
    ordinal word (or a tens word: "twenty-first"), and a run of digits followed by st, nd, rd or th.
    ``hits``: the word starts of :data:`_ALL_NEEDLES`, when the caller has them."""
    starts = _word_starts(low, _ORDINAL_NEEDLES, hits)
    digits = [s for s, e in digit_runs if low.startswith(_ORDINAL_SUFFIXES, e)]
    return sorted({*starts, *digits}) if digits else starts


def _vague_starts(low: str, hits: list[int] | None = None) -> list[int]:
    """Every offset where a match of :data:`_VAGUE` can start in the lowered text: its words, and the "a" of
    "a few", "a handful", "a number". ``hits``: the word starts of :data:`_ALL_NEEDLES`, when the caller has them."""
    starts = _word_starts(low, _VAGUE_WORDS, hits)
    after_a = _word_starts(low, _VAGUE_AFTER_A, hits)
    if after_a:
        starts = sorted({*starts, *(_before_space(low, at) - 1 for at in after_a)} - {-1})
    return starts


def _raw_numerals(text: str, lowered_text: str | None = None, hits: list[int] | None = None,
                  digit_runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int, int, str]]:
    """(start, end, value, how) of every numeral, words, digits and ordinals, in text order.
    ``lowered_text``: :func:`~llmextract.text.caseless.lowered` of ``text``, when the caller has it; ``hits``:
    the word starts of :data:`_ALL_NEEDLES` in it, ``digit_runs`` the spans of ``_DIGIT_RUN.finditer(text)``,
    when the caller has them."""
    found: list[tuple[int, int, int, str]] = []
    if digit_runs is None:
        digit_runs = [r.span() for r in _DIGIT_RUN.finditer(text)]
    for m in _digit_matches(text, digit_runs):
        value = _digits_value(m.group(1), m.group(2))
        if value is None:
            continue
        found.append((m.start(), m.end(), value, "digits"))
    low = lowered_text
    # the word patterns tried only where a match can start when the text lowers in place (else in full)
    word_runs = (_WORD_RUNS.spans(text) if low is None else
                 _WORD_RUNS.spans_at(low, _word_run_starts(low, hits)))
    for run_start, run_end in word_runs:
        for s, e in _split_run(text, run_start, run_end):
            value = words_to_int(text[s:e])
            if value is not None:
                found.append((s, e, value, "words"))
    ordinals = (_ORDINALS.spans(text) if low is None else
                _ORDINALS.spans_at(low, _ordinal_starts(low, digit_runs, hits)))
    for s, e in ordinals:
        value = ordinal_value(text[s:e])
        if value is not None:
            found.append((s, e, value, "ordinal"))
    found.sort()
    # drop overlaps (keep the earlier, longer one)
    out: list[tuple[int, int, int, str]] = []
    for item in found:
        if out and item[0] < out[-1][1]:
            if item[1] - item[0] > out[-1][1] - out[-1][0]:
                out[-1] = item
            continue
        out.append(item)
    return out


def _search(pattern: re.Pattern[str], twin: re.Pattern[str], text: str, low: str | None, start: int,
            end: int) -> re.Match[str] | None:
    """``pattern.search(text[start:end])``, made in the lowered text when there is one (``twin`` is
    :func:`~llmextract.text.caseless.lowered_twin` of ``pattern``). Offsets are the slice's either way."""
    return twin.search(low[start:end]) if low is not None else pattern.search(text[start:end])


_PEOPLE_AFTER_YEAR = re.compile(r"^\s+(?:people|civilians|persons|of)\b", re.I)
_MONTH_BEFORE_LOW = lowered_twin(_MONTH_BEFORE)
_AGE_BEFORE_LOW = lowered_twin(_AGE_BEFORE)
_YEAR_BEFORE_LOW = lowered_twin(_YEAR_BEFORE)
_NUMBER_BEFORE_LOW = lowered_twin(_NUMBER_BEFORE)


# The words after a numeral that settle its kind, in the order _kind asks: one match says which reads first.
_KIND_AFTER = re.compile("|".join(f"(?P<{kind}>{pattern.pattern})" for kind, pattern in (
    ("date", _MONTH_AFTER), ("money", _MONEY_AFTER), ("percent", _PERCENT_AFTER), ("age", _AGE_AFTER),
    ("time", _TIME_AFTER), ("measure", _MEASURE_AFTER))), re.I)


def _kind(text: str, start: int, end: int, value: int, how: str, low: str | None = None) -> str:
    """The kind of the numeral ``text[start:end]``; ``low``: the lowered text (caseless.lowered), if any.

    The words after it are matched once (:data:`_KIND_AFTER`): the first of its patterns that matches is the
    one each step below would find matching, the steps before it having found none."""
    b0 = max(0, start - 24)
    before = text[b0:start]
    after = text[end:end + 32]
    got = _KIND_AFTER.match(after)
    after_kind = got.lastgroup if got is not None else None
    if after_kind == "date" or _search(_MONTH_BEFORE, _MONTH_BEFORE_LOW, text, low, b0, start):
        return "date"
    if how == "ordinal":
        return "ordinal"
    if after_kind == "money" or _MONEY_BEFORE.search(before):
        return "money"
    if after_kind == "percent":
        return "percent"
    if after_kind == "age" or _search(_AGE_BEFORE, _AGE_BEFORE_LOW, text, low, b0, start) or (
            how == "digits" and value <= 120 and _AGE_APPOSITION_BEFORE.search(before)
            and _AGE_APPOSITION_AFTER.match(after)):
        return "age"
    if after_kind == "time":
        return "time"
    if after_kind == "measure":
        return "measure"
    if _IDENT_BEFORE.search(before) and not _counts_people_after(after):
        return "identifier"
    if how == "digits" and 1900 <= value <= 2100 and "," not in text[start:end]:
        if _search(_YEAR_BEFORE, _YEAR_BEFORE_LOW, text, low, b0, start) or not _PEOPLE_AFTER_YEAR.match(after):
            return "year"
    return "count"


def _counts_people_after(after: str) -> bool:
    w = _WORD_AFTER.match(after)
    return w is not None and _PEOPLE_RE.match(w.group(1)) is not None


def _counted(text: str, end: int, vague: bool) -> str:
    """What the words after a count say it counts: ``things``, ``measure`` (a vague "few days") or ``count``.

    The noun phrase after the figure is read, up to three words, past "of" after a vague quantity
    ("a number of houses"): its head (the last noun before a function word, a verb or a
    punctuation mark) decides. A people noun ends the look at once ("three village leaders")."""
    pos = end
    if vague:
        of = _OF_AFTER_VAGUE.match(text[pos:pos + 20])
        if of:
            pos += of.end()
    head = "count"
    if _THING_VERB.match(text, pos):
        return "things"
    for _ in range(3):
        w = _WORD_AFTER.match(text, pos)
        if w is None or w.start(1) - pos > 2:
            break
        low = w.group(1).lower()
        if _PEOPLE_RE.match(low):
            return "count"
        if low in _NOUN_STOP or (head != "count" and low.endswith(("ed", "ing"))):
            break
        if _THING_RE.match(low):
            head = "things"
        elif _TIME_RE.match(low):
            head = "measure" if vague else "count"
        else:
            head = "count"
        pos = w.end()
    return head


# Any hedge at all: most numbers have none, and one search says so where four would.
_ANY_HEDGE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _HEDGE_BEFORE), re.I)
_ANY_HEDGE_LOW = lowered_twin(_ANY_HEDGE)
_HEDGE_BEFORE_LOW = [lowered_twin(pattern) for pattern, _ in _HEDGE_BEFORE]


def _hedge(text: str, start: int, low: str | None = None) -> tuple[Qualifier, int]:
    """The hedge before the numeral at ``start`` and where it starts; ``low``: the lowered text, if any."""
    b0 = max(0, start - 30)
    if not text[b0:start][-1:].isspace() or not _search(_ANY_HEDGE, _ANY_HEDGE_LOW, text, low, b0, start):
        return Qualifier.exact, start
    for (pattern, qualifier), twin in zip(_HEDGE_BEFORE, _HEDGE_BEFORE_LOW, strict=True):
        m = _search(pattern, twin, text, low, b0, start)
        if m:
            return qualifier, b0 + m.start()
    return Qualifier.exact, start


def _first_digit_pair(text: str, digit_runs: list[tuple[int, int]]) -> int:
    """Where ``_PHONE_PAIR.search(text)`` matches (-1: nowhere), read off the runs of digits (the spans of
    ``_DIGIT_RUN.finditer(text)``): the last digit of the first run followed by a space, a dot or a dash and
    then the next run."""
    for (_s, e), (next_start, _e) in zip(digit_runs, digit_runs[1:], strict=False):
        if next_start == e + 1 and text[e] in " .-":
            return e - 1
    return -1


def _phone_pieces(text: str, digit_runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """The spans of the phone numbers of ``text``; ``digit_runs``: the spans of ``_DIGIT_RUN.finditer(text)``,
    when the caller has them.

    Every phone number holds two digits joined by a space, a dot or a dash: the scan starts a little
    before the first such pair (a match starts at most :data:`_PHONE_REACH` characters before the pair
    it holds), and a text without one has no phone number."""
    out: list[tuple[int, int]] = []
    if digit_runs is None:
        pair = _PHONE_PAIR.search(text)
        first = -1 if pair is None else pair.start()
    else:
        first = _first_digit_pair(text, digit_runs)
    if first < 0:
        return out
    for m in _PHONE.finditer(text, max(0, first - _PHONE_REACH)):
        phone = m.group(0)
        digits = sum(c.isdigit() for c in phone)
        groups = len(re.findall(r"\d+", phone))
        if digits < 7 or _ISO_DATE.match(phone):
            continue
        lead = phone[0] in "+(" or phone[0] == "0"
        if lead or groups >= 3 or re.fullmatch(r"\d{3}[.-]\d{4}", phone):
            out.append(m.span())
    return out


def find_numbers(text: str, lowered_text: str | None = None) -> list[NumberMention]:
    """Every number mention in ``text``, in order, with offsets into ``text``.

    ``lowered_text``: :func:`~llmextract.text.caseless.lowered` of ``text``, when the caller has it
    (the evidence index does); else lowered here, once."""
    if lowered_text is None:
        lowered_text = lowered(text)
    # the words a number word, an ordinal or a vague quantity can start from, looked for once for the three
    hits = None if lowered_text is None else word_starts(lowered_text, _ALL_NEEDLES)
    digit_runs = [r.span() for r in _DIGIT_RUN.finditer(text)]  # read by the digits, ordinals and phones
    numerals = _raw_numerals(text, lowered_text, hits, digit_runs)
    phones = _phone_pieces(text, digit_runs)
    mentions: list[NumberMention] = []
    consumed_until = -1
    i = 0
    while i < len(numerals):
        s, e, value, how = numerals[i]
        if s < consumed_until:
            i += 1
            continue
        if phones and any(a <= s and e <= b for a, b in phones):
            mentions.append(NumberMention(s, e, text[s:e], value, value, Qualifier.exact, s, e, "phone"))
            consumed_until = e
            i += 1
            continue
        kind = _kind(text, s, e, value, how, lowered_text)
        low: int | None = value
        high: int | None = value
        qualifier = Qualifier.exact
        start, end = s, e
        # ranges: "between 6 and 8", "6 to 8", "6-8", "two or three"
        if i + 1 < len(numerals) and numerals[i + 1][3] != "ordinal":
            s2, e2, value2, _ = numerals[i + 1]
            gap = text[e:s2]
            between = _BETWEEN_BEFORE.search(text[max(0, s - 10):s])
            joined = _RANGE_GAP.fullmatch(gap) or (between and _AND_GAP.fullmatch(gap))
            if joined \
                    and value2 > value and kind == "count":
                low, high, qualifier, end = value, value2, Qualifier.range, e2
                if between:
                    start = s - (len(text[max(0, s - 10):s]) - between.start())
                i += 1
        if qualifier is Qualifier.exact:
            qualifier, start = _hedge(text, s, lowered_text)
            if qualifier is Qualifier.exact:
                after = _HEDGE_AFTER.match(text[e:e + 10])
                if after:
                    qualifier, end = Qualifier.at_least, e + after.end()
            if qualifier in (Qualifier.at_least, Qualifier.more_than):
                high = None
            elif qualifier is Qualifier.up_to:
                low = None
        if kind != "count" and qualifier is not Qualifier.range:
            start, end, low, high, qualifier = s, e, value, value, Qualifier.exact
        if kind == "count":
            kind = _counted(text, end, False)
        mentions.append(NumberMention(start, end, text[start:end], low, high, qualifier, s, e, kind))
        consumed_until = end
        i += 1
    for k in range(1, len(mentions)):  # "aged 41 and 57": the ages after the first
        prev, m = mentions[k - 1], mentions[k]
        if prev.kind == "age" and m.kind == "count" and m.qualifier is Qualifier.exact and m.value is not None \
                and m.value <= 120 and _AGE_LIST_GAP.fullmatch(text, prev.end, m.start):
            mentions[k] = NumberMention(m.num_start, m.num_end, text[m.num_start:m.num_end], m.value, m.value,
                                        Qualifier.exact, m.num_start, m.num_end, "age")
    vague = (_VAGUE.spans(text) if lowered_text is None else
             _VAGUE.spans_at(lowered_text, _vague_starts(lowered_text, hits)))
    for v_start, v_end in vague:
        if any(x.start <= v_start < x.end for x in mentions):
            continue
        if _search(_NUMBER_BEFORE, _NUMBER_BEFORE_LOW, text, lowered_text, max(0, v_start - 12), v_start):
            continue  # "two hundreds" is not a vague quantity
        bounds = _vague_bounds(text[v_start:v_end])
        if bounds is None:
            continue
        low_v, high_v = bounds
        qualifier, start = _hedge(text, v_start, lowered_text)
        mentions.append(NumberMention(start, v_end, text[start:v_end], low_v, high_v, Qualifier.vague,
                                      v_start, v_end, _counted(text, v_end, True)))
    mentions.sort(key=lambda x: x.start)
    return mentions


def _vague_bounds(words: str) -> tuple[int, int | None] | None:
    """The bounds :data:`VAGUE` gives a vague quantity as the text spells it. The case-insensitive scan also
    takes letters that only case-fold to the listed ones ("ſeveral", "dozenſ" with a long s): looked up
    case-folded too, and None for a spelling neither way finds."""
    key = " ".join(words.lower().split())
    return VAGUE.get(key) or VAGUE.get(" ".join(words.casefold().split()))


def parse_count(phrase: str) -> Count | None:
    """Turn a phrase such as 'at least a dozen' into a Count; None if it states no count."""
    counts = [m for m in find_numbers(phrase) if m.kind in ("count", "things")]
    if not counts:
        return None
    best = max(counts, key=lambda m: m.end - m.start)
    return Count(phrase=phrase.strip(), low=best.low, high=best.high, qualifier=best.qualifier)


# --------------------------------------------------------------------------------------------
# Roles: what a count counts in its sentence
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CountRole:
    """What a count mention counts, as the words around it say.

    ``event``: killed, injured, casualties (killed or wounded, together), other (trapped,
    displaced, kidnapped...) or None when the words do not say. ``group``: people, children,
    women, men, mixed ("women and children") or None. ``part``: a breakdown of another figure
    ("including five children", "nine children and eight women were among the dead").
    ``cue``: the span of the words that say the event; ``of``: the start of the figure it is part of.
    """

    event: str | None = None
    group: str | None = None
    part: bool = False
    cue: tuple[int, int] | None = None
    of: int | None = None


_KILL_AFTER = frozenset({"killed", "dead", "died", "perished", "slain", "massacred", "executed", "murdered",
                         "martyred", "deaths", "fatalities", "bodies", "corpses", "deceased"})
_INJURE_AFTER = frozenset({"wounded", "injured", "hurt", "maimed", "injuries", "wounds", "hospitalised",
                           "hospitalized"})
_OTHER_AFTER = frozenset({"missing", "kidnapped", "abducted", "arrested", "detained", "displaced", "trapped", "fled",
                          "evacuated", "rescued", "captured", "held", "freed", "released", "remain", "remained",
                          "remains", "live", "lived", "living", "homeless", "affected", "stranded", "besieged",
                          "sick", "infected", "ill", "survived", "deported", "returned", "recruited", "sentenced",
                          "charged", "convicted", "protested", "gathered",
                          "marched", "attended", "voted", "employed", "enrolled"})
_CASUALTY_NOUNS = frozenset({"casualties", "casualty"})
_KILL_BEFORE = frozenset({"killed", "killing", "kills", "kill", "slaughtered", "massacred", "executing", "executed",
                          "murdering", "murdered", "claimed", "beheaded", "beheading", "lynched", "lynching",
                          "assassinated", "assassinating", "butchered", "slaying", "slew", "slain"})
# Words a verb and its figure may have between them: "killing on August 25 at least 11"
_DATE_WORDS = frozenset({"on", "in", "last", "this", "late", "early", "monday", "tuesday", "wednesday", "thursday",
                         "friday", "saturday", "sunday", "january", "february", "march", "april", "may", "june",
                         "july", "august", "september", "october", "november", "december", "morning", "night",
                         "evening", "afternoon", "week", "weekend", "yesterday", "today", "overnight"})
_INJURE_BEFORE = frozenset({"wounded", "wounding", "wounds", "wound", "injured", "injuring", "injures", "injure",
                            "hurt", "hurting", "maimed", "maiming"})
_OTHER_BEFORE = frozenset({"kidnapped", "kidnapping", "abducted", "abducting", "arrested", "arresting", "detained",
                           "detaining", "displaced", "displacing", "evacuated", "evacuating", "rescued", "rescuing",
                           "captured", "capturing", "freed", "freeing", "released", "releasing", "holding", "held",
                           "trapping", "trapped", "sheltering", "hosting", "housing", "treated", "treating"})
_AUX = frozenset({"were", "was", "are", "is", "have", "has", "had", "been", "being", "be", "reportedly", "also", "all",
                  "later", "allegedly", "now", "since", "subsequently", "both", "critically", "seriously", "badly",
                  "fatally", "slightly", "lightly", "mortally", "confirmed", "who", "that", "found", "feared",
                  "left", "lay", "shot", "stabbed", "beaten", "burned", "burnt", "hit", "struck", "crushed",
                  "apparently", "then", "either", "reported", "believed", "said", "thought", "known", "to",
                  "so", "far", "initially", "instantly", "immediately", "eventually", "mostly", "mainly"})
_HEDGE_WORDS = frozenset({"a", "an", "the", "total", "of", "another", "further", "additional", "estimated", "some",
                          "more", "family", "group"})
_DEAD_VERBS = frozenset({"shot", "stabbed", "beaten", "burned", "burnt", "hacked", "bludgeoned", "found", "left",
                         "leaving", "stoned", "crushed"})
_EVENT_NOUNS = {"dead": "killed", "killed": "killed", "victims": "killed", "deceased": "killed", "fatalities": "killed",
                "bodies": "killed", "wounded": "injured", "injured": "injured", "casualties": "casualties"}
_PART_BEFORE = frozenset({"including", "incl", "among", "them", "whom", "besides", "plus"})
_PAREN_START = frozenset({"including", "among", "mostly", "mainly", "most", "many", "all", "both", "of", "incl",
                          "majority", "some", "half", "several", "largely", "chiefly", "primarily"})
_NP_STOP = frozenset({"in", "on", "at", "to", "from", "by", "with", "for", "but", "after", "when", "as", "while",
                      "since", "during", "near", "into", "across", "against", "over", "than", "per", "will",
                      "would", "could", "may", "might", "before", "because", "whereas", "where", "if",
                      "said", "says", "say", "told", "according", "between", "within", "under", "amid", "despite",
                      "this", "these", "those", "their", "its", "his", "her", "our", "they", "he", "she", "it",
                      "we", "you", "i"})
_CHILDREN = frozenset({"children", "child", "kids", "kid", "minors", "minor", "boys", "boy", "girls", "girl",
                       "infants", "infant", "babies", "baby", "toddlers", "toddler", "schoolchildren",
                       "teenagers", "teenager", "schoolboys", "schoolgirls", "newborns"})
_WOMEN = frozenset({"women", "woman", "females", "mothers", "wives"})
_MEN = frozenset({"men", "man", "males"})
_TOKEN = re.compile(r"[^\W\d_][\w'’-]*|\d[\d,.]*|[,;:()—–]")
_SPAN, _GROUP = re.Match.span, re.Match.group


def _group_of(word: str) -> str | None:
    if word in _CHILDREN:
        return "children"
    if word in _WOMEN:
        return "women"
    if word in _MEN:
        return "men"
    if _PEOPLE_RE.match(word) and word not in ("dead", "wounded", "injured", "casualties", "bodies", "corpses"):
        return "people"
    return None


class _Tokens:
    """A sentence as words, punctuation and count mentions (``m``), with offsets.

    The sentence's tokens are read in one scan; a count mention takes the place of the tokens that start
    inside it, when one does (a mention starting inside a token is part of that token, not an item)."""

    def __init__(self, text: str, start: int, end: int, mentions: list[NumberMention]) -> None:
        tokens = list(_TOKEN.finditer(text, start, end))
        spans = list(map(_SPAN, tokens))
        written = list(map(_GROUP, tokens))
        words = list(map(str.lower, written))
        kinds = ["w" if w[0].isalnum() else "p" for w in written]
        starts = [s for s, _e in spans]
        self.kind: list[str] = []  # "w" word, "p" punctuation, "m" a count mention
        self.word: list[str] = []
        self.span: list[tuple[int, int]] = []
        self.mention: list[int] = []  # index into ``mentions`` for "m" items, else -1
        i = 0  # the first token not yet taken
        for k in sorted(range(len(mentions)), key=lambda x: mentions[x].start):
            m_start, m_end = mentions[k].start, mentions[k].end
            j = bisect_left(starts, m_start, i)
            if j == len(starts) or starts[j] >= m_end:
                continue  # no token starts inside it
            self._tokens(kinds, words, spans, i, j)
            self.kind.append("m")
            self.word.append("")
            self.span.append((m_start, m_end))
            self.mention.append(k)
            i = bisect_left(starts, m_end, j)
        self._tokens(kinds, words, spans, i, len(starts))

    def _tokens(self, kinds: list[str], words: list[str], spans: list[tuple[int, int]], i: int, j: int) -> None:
        """Take tokens ``i`` to ``j`` as they are."""
        self.kind += kinds[i:j]
        self.word += words[i:j]
        self.span += spans[i:j]
        self.mention += [-1] * (j - i)

    def w(self, j: int) -> str:
        return self.word[j] if 0 <= j < len(self.word) and self.kind[j] == "w" else ""

    def __len__(self) -> int:
        return len(self.kind)


def _cue_word(t: _Tokens, j: int) -> tuple[str, int] | None:
    """(event, last item) of a cue starting at item ``j``: "killed", "killed or wounded", "lost their lives"."""
    w = t.w(j)
    if not w:
        return None
    if w in _KILL_AFTER or w in _INJURE_AFTER:
        other = t.w(j + 2)
        if t.w(j + 1) in ("or", "and") and (
                (w in _KILL_AFTER and other in _INJURE_AFTER) or (w in _INJURE_AFTER and other in _KILL_AFTER)):
            return "casualties", j + 2
        return ("killed" if w in _KILL_AFTER else "injured"), j
    if w in _CASUALTY_NOUNS:
        return "casualties", j
    if w == "lost" and t.w(j + 1) in ("their", "his", "her", "the") and t.w(j + 2) in ("lives", "life"):
        return "killed", j + 2
    if w == "among" and t.w(j + 1) in ("the", "those"):
        nxt = t.w(j + 2)
        if nxt in _KILL_AFTER or nxt == "victims":
            return "killed", j + 2
        if nxt in _INJURE_AFTER:
            return "injured", j + 2
        if nxt in _CASUALTY_NOUNS:
            return "casualties", j + 2
    if w in _OTHER_AFTER:
        return "other", j
    return None


def _relative(t: _Tokens, k: int, j: int) -> bool:
    """Whether the word at ``j`` sits in a relative clause about the figure at ``k`` ("who were ...")."""
    return any(t.w(x) in ("who", "that", "whom") for x in range(k + 1, j))


def _main_cue(t: _Tokens, j: int) -> tuple[str, tuple[int, int]] | None:
    """A killed or injured cue after a relative clause: "(have|were) (been)? killed" within a few words."""
    for x in range(j, min(len(t), j + 10)):
        if t.kind[x] != "w":
            return None
        if t.w(x) in ("have", "has", "had", "were", "was", "are", "is"):
            y = x + 1
            while t.w(y) in ("been", "reportedly", "also", "all", "later", "allegedly", "since"):
                y += 1
            cue = _cue_word(t, y)
            if cue is not None and cue[0] != "other":
                return cue[0], (t.span[y][0], t.span[cue[1]][1])
    return None


def _after(t: _Tokens, k: int) -> tuple[str | None, tuple[int, int] | None, bool, list[int], list[int]]:
    """The cue after the figure at item ``k``: (event, cue span, among, coordinated items, parenthetical items)."""
    j = k + 1
    coord: list[int] = []
    paren: list[int] = []
    np_words = 0
    aux = False
    n = len(t)
    while j < n:
        kind = t.kind[j]
        if kind == "w":
            w = t.word[j]
            cue = _cue_word(t, j)
            if cue is not None and cue[0] == "other" and np_words == 0 and not aux and t.w(j + 1) \
                    and t.w(j + 1) not in _NP_STOP and t.w(j + 1) not in _AUX and t.w(j + 1) not in ("and", "or"):
                cue = None  # "12 displaced Iraqis": a modifier, not what befell them
            if cue is not None and cue[0] == "other" and _relative(t, k, j):
                main = _main_cue(t, cue[1] + 1)  # "12 students who were kidnapped in May have been killed"
                if main is not None:
                    return main[0], main[1], False, coord, paren
            if cue is not None:
                partitive = w in _EVENT_NOUNS and t.w(j - 1) in ("the", "those") and t.w(j - 2) == "of" \
                    and j - 2 == k + 1
                return cue[0], (t.span[j][0], t.span[cue[1]][1]), w == "among" or partitive, coord, paren
            if w in _AUX:
                aux = True
                j += 1
                continue
            if aux:
                return None, None, False, coord, paren
            if w in ("and", "or", "as") and j + 1 < n:
                nxt = j + 1
                if t.w(nxt) == "well" and t.w(nxt + 1) == "as":
                    nxt += 2
                if nxt < n and t.kind[nxt] == "m" and np_words > 0:  # "nine children and eight women ..."
                    coord.append(nxt)
                    j = nxt + 1
                    np_words = 0
                    continue
                return None, None, False, coord, paren
            if w == "of" and (np_words == 0 or t.w(j + 1) in ("a", "the", "them", "whom", "those")):
                j += 1
                continue
            if w in _NP_STOP or np_words >= 6:
                return None, None, False, coord, paren
            np_words += 1
            j += 1
            continue
        if kind == "p" and t.word[j] == "," and (t.w(j + 1) in _PAREN_START or (
                j + 1 < n and t.kind[j + 1] == "m" and t.w(j + 2) == "of" and t.w(j + 3) in ("them", "whom"))):
            close = next((x for x in range(j + 1, min(n, j + 16)) if t.kind[x] == "p" and t.word[x] in ",;"), None)
            if close is None or t.word[close] != ",":
                return None, None, False, coord, paren
            paren += [x for x in range(j + 1, close) if t.kind[x] == "m"]
            j = close + 1
            continue
        if kind == "p" and t.word[j] == "(":
            close = next((x for x in range(j + 1, min(n, j + 16)) if t.word[x] == ")"), None)
            if close is None:
                return None, None, False, coord, paren
            paren += [x for x in range(j + 1, close) if t.kind[x] == "m"]
            j = close + 1
            continue
        return None, None, False, coord, paren
    return None, None, False, coord, paren


def _before(t: _Tokens, k: int) -> tuple[str | None, tuple[int, int] | None, bool]:
    """The cue before the figure at item ``k``: (event, cue span, a part marker such as "including")."""
    j = k - 1
    skipped = 0
    while j >= 0 and t.w(j) in _HEDGE_WORDS and skipped < 3 and not (t.w(j) == "of" and t.w(j - 1) in (
            "lives", "toll", "whom", "them")):
        j -= 1
        skipped += 1
    w = t.w(j)
    if w in _DATE_WORDS or w.isdigit():  # "killing on August 25 at least 11"
        x = j
        while x >= 0 and (t.w(x) in _DATE_WORDS or t.w(x).isdigit() or t.word[x] == ",") and j - x < 5:
            x -= 1
        if t.w(x) in _KILL_BEFORE | _INJURE_BEFORE:
            j = x
            w = t.w(j)
    if not w:
        return None, None, False
    span = t.span[j]
    if w in _PART_BEFORE:
        if w in ("them", "whom") and t.w(j - 1) not in ("among", "of"):
            return None, None, False
        return None, None, True
    if w in _INJURE_BEFORE and t.w(j - 1) in ("or", "and") and t.w(j - 2) in _KILL_BEFORE:
        return "casualties", (t.span[j - 2][0], span[1]), False
    if w == "dead" and t.w(j - 1) in _DEAD_VERBS:  # "shot dead three shepherds"
        return "killed", (t.span[j - 1][0], span[1]), False
    if w == "down" and t.w(j - 1) == "gunned":
        return "killed", (t.span[j - 1][0], span[1]), False
    if w in ("were", "are", "was", "is", "included", "include", "includes"):
        # "Among the dead were three women", "The dead included four children"
        for x in range(j - 1, max(-1, j - 4), -1):
            noun = t.w(x)
            if noun in _EVENT_NOUNS:
                return _EVENT_NOUNS[noun], (t.span[x][0], span[1]), True
            if noun not in ("the", "those", "among", "who", "people"):
                break
    if w in _KILL_BEFORE:
        return "killed", span, False
    if w in _INJURE_BEFORE:
        return "injured", span, False
    if w in _OTHER_BEFORE:
        return "other", span, False
    if w == "of" and t.w(j - 1) in ("lives", "life"):
        return "killed", (t.span[j - 1][0], span[1]), False
    # "the death toll from the clashes between the two communities has risen to 22"
    if w in ("to", "at") and t.w(j - 1) in ("rose", "risen", "climbed", "jumped", "increased", "stood", "stands",
                                          "risen", "reached", "soared", "grown", "gone"):
        for x in range(j - 2, max(-1, j - 16), -1):
            if t.kind[x] != "w":
                break
            if t.word[x] == "toll":
                return "killed", (t.span[x][0], span[1]), False
    # "the death toll rose to 15", "a death toll of 15", "the number of dead reached 20"
    x = j
    steps = 0
    while x >= 0 and steps < 7 and t.kind[x] == "w":
        word = t.word[x]
        if word in ("toll", "dead", "deaths", "fatalities", "killed") and (
                word == "toll" or t.w(x - 1) == "of"):
            return "killed", (t.span[x][0], span[1]), False
        if word in ("wounded", "injured", "injuries") and t.w(x - 1) == "of":
            return "injured", (t.span[x][0], span[1]), False
        if word in ("casualties",) and t.w(x - 1) == "of":
            return "casualties", (t.span[x][0], span[1]), False
        if word not in ("rose", "risen", "climbed", "reached", "jumped", "increased", "stood", "stands", "is",
                        "was", "has", "had", "now", "to", "at", "of", "the", "number", "death", "hit", "further",
                        "have", "risen", "gone", "up", "total", "overall", "final", "latest"):
            break
        x -= 1
        steps += 1
    return None, None, False


def _group_after(t: _Tokens, k: int) -> tuple[str | None, bool]:
    """The group the words after the figure name (children, women, men, mixed, people), and whether
    it is partitive ("five of them children")."""
    j = k + 1
    partitive = False
    if t.w(j) == "of" and t.w(j + 1) in ("them", "whom", "those"):
        partitive = True
        j += 2
        nxt = _group_of(t.w(j)) if t.w(j) else None
        return nxt or "people", True  # "five of them children"; "15 of them": of the people named before
    if t.w(k - 1) == "of" and t.w(k - 2) in ("family", "group", "crowd"):
        return "people", False  # "a family of six"
    elif t.w(j) == "of" and t.w(j + 1) in ("the", "those") and t.w(j + 2) in _EVENT_NOUNS:
        # "Three of the dead were women"
        partitive = True
        if t.w(j + 3) in ("were", "was", "are"):
            group = _group_of(t.w(j + 4))
            if group is not None:
                return group, True
        return None, True
    elif t.w(j) == "of":
        j += 1
    for _ in range(4):
        w = t.w(j)
        if not w:
            return None, partitive
        group = _group_of(w)
        if group is not None:
            if group in ("women", "children") and t.w(j + 1) == "and" and _group_of(t.w(j + 2)) in (
                    "women", "children") and _group_of(t.w(j + 2)) != group:
                return "mixed", partitive
            return group, partitive
        if w in _NP_STOP or w in _AUX or w in ("and", "or") or w in _KILL_AFTER or w in _INJURE_AFTER \
                or w in _CASUALTY_NOUNS:
            return None, partitive
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss") and t.w(j + 1) not in _CHILDREN | _WOMEN | _MEN:
            return "people", partitive  # a plural noun that is not a group word: "eight travellers"
        j += 1
    return None, partitive


def count_roles(text: str, mentions: list[NumberMention],
                sentences: list[tuple[int, int]]) -> dict[int, CountRole]:
    """The role of every count mention (``kind == "count"``), by the mention's ``start``.

    ``sentences``: (start, end) of the sentences of ``text``, in order; a role is read inside
    its sentence only.
    """
    counts = [m for m in mentions if m.kind == "count"]
    out: dict[int, CountRole] = {}
    if not counts:
        return out
    i = 0
    for s_start, s_end in sentences:
        here: list[NumberMention] = []
        while i < len(counts) and counts[i].start < s_end:
            if counts[i].start >= s_start:
                here.append(counts[i])
            i += 1
        if here:
            out.update(_roles_in(text, s_start, s_end, here))
    for m in counts:
        out.setdefault(m.start, CountRole())
    return out


def _roles_in(text: str, start: int, end: int, mentions: list[NumberMention]) -> dict[int, CountRole]:
    t = _Tokens(text, start, end, mentions)
    items = [j for j in range(len(t)) if t.kind[j] == "m"]
    event: dict[int, str | None] = {}
    cue: dict[int, tuple[int, int] | None] = {}
    part: dict[int, bool] = {}
    parent: dict[int, int] = {}
    group: dict[int, str | None] = {}
    for k in items:
        g, partitive = _group_after(t, k)
        group[k] = g
        part[k] = part.get(k, False) or partitive
        if k in event:  # already settled as coordinated with an earlier figure
            continue
        b_event, b_cue, b_part = _before(t, k)
        if b_part:
            part[k] = True
            prev = [x for x in items if x < k]
            if prev and b_event is None:
                parent[k] = prev[-1]
        a_event, a_cue, among, coord, paren = _after(t, k)
        if b_event is not None:
            ev, cu = b_event, b_cue
        elif a_event is not None:
            ev, cu = a_event, a_cue
        else:
            ev, cu = None, None
        event[k], cue[k] = ev, cu
        if among:
            part[k] = True
        for x in coord:
            if x not in event:
                event[x], cue[x] = (a_event, a_cue) if a_event is not None else (ev, cu)
            part[x] = True
            part[k] = True
        for x in paren:
            part[x] = True
            parent[x] = k
    # figures that are part of another take its event when they state none of their own
    for k in items:
        if event.get(k) is None and k in parent:
            p = parent[k]
            event[k], cue[k] = event.get(p), cue.get(p)
    out: dict[int, CountRole] = {}
    for k in items:
        m = mentions[t.mention[k]]
        of = mentions[t.mention[parent[k]]].start if k in parent else None
        out[m.start] = CountRole(event.get(k), group.get(k), part.get(k, False), cue.get(k), of)
    return out
