"""Numbers as news text writes them: digits, words, hedges, ranges and vague quantities.

``find_numbers(text)`` returns every number mention with char offsets into ``text``; each
mention carries the figure's low and high bounds and its qualifier. Vague quantities get a
conservative low bound (ACLED's convention: "dozens" is coded 12) and no high bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llmextract.schema import Count, Qualifier
from llmextract.text.caseless import CaselessPattern

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
    r"^\s*-?\s*(?:km|kilomet(?:er|re)s?|miles?|met(?:er|re)s?|mi\b|kg|tons?|tonnes?|percent|per\s+cent|%|"
    r"(?:year|month|week|day|hour|minute)s?[\s-]+old|years?\b|months?\b|weeks?\b|days?\b|hours?\b|"
    r"minutes?\b|seconds?\b|am\b|pm\b|a\.m\.|p\.m\.|gmt\b|utc\b|dollars?|usd|euros?)",
    re.I,
)
_YEAR_BEFORE = re.compile(r"\b(?:in|since|of|until|by|from|during|early|late|mid|summer|winter|spring|"
                          r"autumn|fall)\s+$", re.I)


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
    kind: str = "count"  # count, year, date, measure

    @property
    def value(self) -> int | None:
        return self.low if self.low is not None else self.high

    def allows(self, value: int) -> bool:
        """Whether ``value`` is a figure this phrase states (its bounds; vague: only the low bound)."""
        if self.qualifier is Qualifier.vague:
            return value == self.low
        if self.qualifier is Qualifier.range:
            return value in (self.low, self.high)
        return value in (self.low, self.high)

    def to_count(self) -> Count:
        return Count(phrase=self.text, low=self.low, high=self.high, qualifier=self.qualifier)


def words_to_int(words: str) -> int | None:
    """'two hundred and fifty' -> 250, 'twenty-one' -> 21, 'a dozen' -> 12, 'half a dozen' -> 6."""
    tokens = [t for t in re.split(r"[\s-]+", words.lower()) if t and t != "and"]
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
    tokens = [t for t in re.split(r"[\s-]+", words.lower()) if t and t not in ("and", "a", "an", "half")]
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
    return [(start + tok.start(), start + tok.end()) for tok in re.finditer(r"[A-Za-z]+(?:-[A-Za-z]+)*", run)]


def _raw_numerals(text: str) -> list[tuple[int, int, int, str]]:
    """(start, end, value, kind) of every numeral, words and digits, in text order."""
    found: list[tuple[int, int, int, str]] = []
    for m in _DIGITS.finditer(text):
        value = _digits_value(m.group(1), m.group(2))
        if value is None:
            continue
        found.append((m.start(), m.end(), value, "digits"))
    for run_start, run_end in _WORD_RUNS.spans(text):
        for s, e in _split_run(text, run_start, run_end):
            value = words_to_int(text[s:e])
            if value is not None:
                found.append((s, e, value, "words"))
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


def _kind(text: str, start: int, end: int, value: int, how: str) -> str:
    before = text[max(0, start - 16):start]
    after = text[end:end + 24]
    if _MONTH_BEFORE.search(before) or _MONTH_AFTER.match(after):
        return "date"
    if _MEASURE_AFTER.match(after):
        return "measure"
    if how == "digits" and 1900 <= value <= 2100 and "," not in text[start:end]:
        if _YEAR_BEFORE.search(before) or not re.match(r"^\s+(?:people|civilians|persons|of)\b", after, re.I):
            return "year"
    return "count"


# Any hedge at all: most numbers have none, and one search says so where four would.
_ANY_HEDGE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _HEDGE_BEFORE), re.I)


def _hedge(text: str, start: int) -> tuple[Qualifier, int]:
    before = text[max(0, start - 30):start]
    if not before[-1:].isspace() or not _ANY_HEDGE.search(before):
        return Qualifier.exact, start
    for pattern, qualifier in _HEDGE_BEFORE:
        m = pattern.search(before)
        if m:
            return qualifier, start - (len(before) - m.start())
    return Qualifier.exact, start


def find_numbers(text: str) -> list[NumberMention]:
    """Every number mention in ``text``, in order, with offsets into ``text``."""
    numerals = _raw_numerals(text)
    mentions: list[NumberMention] = []
    consumed_until = -1
    i = 0
    while i < len(numerals):
        s, e, value, how = numerals[i]
        if s < consumed_until:
            i += 1
            continue
        kind = _kind(text, s, e, value, how)
        low: int | None = value
        high: int | None = value
        qualifier = Qualifier.exact
        start, end = s, e
        # ranges: "between 6 and 8", "6 to 8", "6-8", "two or three"
        if i + 1 < len(numerals):
            s2, e2, value2, _ = numerals[i + 1]
            gap = text[e:s2]
            between = re.search(r"\bbetween\s+$", text[max(0, s - 10):s], re.I)
            joined = re.fullmatch(r"\s*(?:to|-|–|or)\s*", gap, re.I) or (
                between and re.fullmatch(r"\s+and\s+", gap, re.I))
            if joined \
                    and value2 > value and kind == "count":
                low, high, qualifier, end = value, value2, Qualifier.range, e2
                if between:
                    start = s - (len(text[max(0, s - 10):s]) - between.start())
                i += 1
        if qualifier is Qualifier.exact:
            qualifier, start = _hedge(text, s)
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
        mentions.append(NumberMention(start, end, text[start:end], low, high, qualifier, s, e, kind))
        consumed_until = end
        i += 1
    for v_start, v_end in _VAGUE.spans(text):
        if any(x.start <= v_start < x.end for x in mentions):
            continue
        if _NUMBER_BEFORE.search(text[max(0, v_start - 12):v_start]):
            continue  # "two hundreds" is not a vague quantity
        low_v, high_v = VAGUE[" ".join(text[v_start:v_end].lower().split())]
        qualifier, start = _hedge(text, v_start)
        mentions.append(NumberMention(start, v_end, text[start:v_end], low_v, high_v, Qualifier.vague,
                                      v_start, v_end, "count"))
    mentions.sort(key=lambda x: x.start)
    return mentions


def parse_count(phrase: str) -> Count | None:
    """Turn a phrase such as 'at least a dozen' into a Count; None if it states no count."""
    counts = [m for m in find_numbers(phrase) if m.kind == "count"]
    if not counts:
        return None
    best = max(counts, key=lambda m: m.end - m.start)
    return Count(phrase=phrase.strip(), low=best.low, high=best.high, qualifier=best.qualifier)
