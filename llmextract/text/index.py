"""The evidence index: the article read once, every fact with char offsets into the original text.

Everything downstream (the offline extractor, the prompt's hints, the grounding checks)
asks the index; nothing scans the raw text again. Besides the sentences, numbers, names and
dates found when it is built, the index answers the questions grounding asks, with look-up
tables built on first use and kept on the index:

* numbers: :attr:`EvidenceIndex.counts` (mentions that count people), :meth:`~EvidenceIndex.stating`
  (the mentions that state a value), :meth:`~EvidenceIndex.role_of` (what a count counts:
  killed, injured, casualties; a total or children, women, men; a part of another figure);
* names: :meth:`~EvidenceIndex.names_folding_to`, :meth:`~EvidenceIndex.names_of`,
  :meth:`~EvidenceIndex.find_word` / :meth:`~EvidenceIndex.find_words` (whole-word verbatim
  occurrences), :meth:`~EvidenceIndex.find_folded` / :meth:`~EvidenceIndex.find_all_folded`
  (runs of words that fold to a key: a name the mention finder missed);
* places named only as reference points ("455 km northeast of the capital Damascus"):
  :attr:`~EvidenceIndex.references`, :meth:`~EvidenceIndex.reference_at`;
* back-references ("in the same province", "as many women", "a day earlier", "the day before
  February 12") and what each points to: :attr:`~EvidenceIndex.back_references`, one kind at a time
  :meth:`~EvidenceIndex.back_references_of`;
* text addressed to a model ("Ignore previous instructions and ..."):
  :attr:`~EvidenceIndex.instructions`, :meth:`~EvidenceIndex.instruction_at`
  (:mod:`llmextract.text.instructions`);
* quotes: :meth:`~EvidenceIndex.align` (one alignment: exact, normalised, fuzzy),
  :meth:`~EvidenceIndex.locate` (grounding's: whole words and preferred sentences first, a fuzzy
  match that keeps every figure and name, an ellipsis piece by piece), :meth:`~EvidenceIndex.nearest`;
* places: :meth:`~EvidenceIndex.sentence_at`, :meth:`~EvidenceIndex.sentences_of`,
  :meth:`~EvidenceIndex.context` (a snippet to show a person).

**Invisible marks.** Zero-width characters, bidirectional marks (LRM, RLM, the embeddings,
overrides and isolates), the Arabic letter mark, the BOM and the soft hyphen split words
without showing: "Ha\u200bjin" is "Hajin" to a reader. The index reads the text with them
removed, and maps every offset back: spans always index the original text.

**Bounds.** A quote longer than :data:`MAX_QUOTE_CHARS` (5,000 characters) is aligned verbatim
or normalised only, never fuzzily; the nearest-passage search reads at most
:data:`MAX_NEAREST_CHARS` (2,000) characters of a quote and picks its candidate passages by the
words they share with it, in time linear in the quote's length.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import accumulate
from typing import Any, TypeVar

from rapidfuzz import fuzz

from llmextract.schema import Article, Qualifier
from llmextract.text.caseless import CaselessPattern, lowered, lowered_twin
from llmextract.text.dates import DateMention, find_dates
from llmextract.text.instructions import Instruction, find_instructions
from llmextract.text.names import NameMention, find_names, fold
from llmextract.text.numbers import CountRole, NumberMention, count_roles, find_numbers

#: Quotes longer than this are aligned verbatim or normalised only, never fuzzily.
MAX_QUOTE_CHARS = 5_000
#: The nearest-passage search reads at most this many characters of a quote.
MAX_NEAREST_CHARS = 2_000

_M = TypeVar("_M", NumberMention, NameMention, DateMention)
_T = TypeVar("_T")
_MISSING = object()

# Sentence ends: . ! ? (and a closing quote) followed by space and an upper-case letter, a
# digit or a quote; or a blank line. Common abbreviations are not ends.
_SENT_END = re.compile(
    r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9\u0600-\u06FF])|\n\s*\n|(?<=[a-z0-9])\n(?=\s*[A-Z])"
)
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Col|Lt|Sgt|Capt|Maj|Prof|St|No|Jr|Sr|Rep|Sen|Gov|vs|Inc|Co|Corp"
                     r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|\b(?:U\.S|U\.N|U\.K))\.$")
_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                              "`": "'", "´": "'", "–": "-", "—": "-", "‐": "-", "\u00a0": " "})
_QUOTE_PAIRS = tuple((chr(mark), plain) for mark, plain in _QUOTE_MARKS.items())  # each plain one is no mark
# Marks that split words without showing: zero-width, bidirectional, the BOM, the soft hyphen.
_MARK_RANGES = ((0x200b, 0x200f), (0x202a, 0x202e), (0x2060, 0x2064), (0x2066, 0x2069), (0xfeff, 0xfeff),
                (0x00ad, 0x00ad), (0x061c, 0x061c), (0x180e, 0x180e))
_MARKS = re.compile("[" + "".join(f"{chr(a)}-{chr(b)}" for a, b in _MARK_RANGES) + "]")
# Each mark on its own: whether a text holds one is asked with a search for one character per mark (fast in C),
# not with the pattern tried at every character.
_MARK_CHARS = tuple(chr(c) for a, b in _MARK_RANGES for c in range(a, b + 1))
# A word: letters and digits (combining accents included), joined by apostrophes and hyphens.
_WORDS = re.compile(r"[\w\u0300-\u036f]+(?:['’ʼ`\-‐‑][\w\u0300-\u036f]+)*")
# The text split into the gaps between words and the words, alternately (a gap may be empty).
_WORD_PIECES = re.compile(f"({_WORDS.pattern})")
_SPACE_RUN = re.compile(r"\s+")
_LONG_SPACE_RUN = re.compile(r"\s\s+")
_ELLIPSIS = re.compile(r"\s*(?:\.\s?\.\s?\.|…|\[\.\.\.\])\s*")
_CAP_TOKEN = re.compile(r"\b[A-Z]\w*")
_HOW_RANK = {"exact": 0, "normalized": 1, "fuzzy": 2}
# Number kinds the prompt's hints left out before kinds were refined (kept so a prompt does not change).
_NOT_HINTED = frozenset({"year", "date", "measure", "age", "percent", "money", "time", "ordinal"})

# Reference points: "455 kilometers northeast of the capital", "20 km south of", "north of".
_DIRECTION = (r"(?:north|south|east|west|north[\s-]?east|north[\s-]?west|south[\s-]?east|south[\s-]?west|"
              r"northern|southern|eastern|western)")
_REFERENCE_LEAD = re.compile(
    r"(?:\b(?:about|some|around|nearly|approximately|roughly|almost|over|just|only|less\s+than|more\s+than)\s+)?"
    r"(?:\b\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|seventy|eighty|ninety|a\s+hundred|a\s+few|several|a\s+dozen)\b)"
    r"[\s-]*(?:km|kms|kilomet(?:er|re)s?|miles?|mi|met(?:er|re)s?|m)\b(?:\s*\([^)]{1,30}\))?\s+"
    r"(?:(?:to\s+the\s+)?" + _DIRECTION + r"\s+(?:of|from)|from|outside|away\s+from|off)\s+"
    r"|(?<!\bthe\s)(?<!\bthe\s\s)\b(?<![-\w])(?:north|south|east|west|north[\s-]?east|north[\s-]?west|"
    r"south[\s-]?east|south[\s-]?west)\s+of\s+",
    re.I,
)
# The words a reference point's lead must hold, scanned as two patterns that never overlap (a word and a
# figure with "m"), the word one case-insensitively the fast way (llmextract.text.caseless)
_REFERENCE_ANCHOR_WORDS = ("km", "kms", "kilomet", "mile", "metre", "meter", "north", "south", "east", "west")
_REFERENCE_ANCHOR_WORD = CaselessPattern("|".join(_REFERENCE_ANCHOR_WORDS), "kmnsew")
_REFERENCE_ANCHOR_M = re.compile(r"\d\s*m\b")
_REFERENCE_TAIL = re.compile(
    r"(?:the\s+)?(?:(?:provincial|regional|state|district|country['’]s|syrian|iraqi|national)\s+)?"
    r"(?:(?:capital|city|town|village|border\s+town|port\s+city|provincial\s+capital)(?:\s+city)?(?:\s+of)?\s+)?",
    re.I,
)
_REFERENCE_LEAD_LOW = lowered_twin(_REFERENCE_LEAD)
_REFERENCE_TAIL_LOW = lowered_twin(_REFERENCE_TAIL)
# Back-references: a place, a figure or a day named through an earlier one.
# Scanned case-insensitively the fast way (CaselessPattern: literals in lower case, so "[a-z]" is any letter).
_PLACE_REF = CaselessPattern(
    r"\b(?:the|that|this)\s+(same\s+)?(province|governorate|town|city|village|area|district|region|"
    r"neighbou?rhood|locality|camp|country|settlement)\b(?!\s+(?:of|council|hall|centre|center)\b)(?!\s+[a-z])",
    "t",
)
_NUMBER_REF = CaselessPattern(
    r"\bas\s+many\s+(?!as\b)(women|children|men|girls|boys|minors|people|civilians|others)\b", "a")
_DAY_SHIFT = {"same": 0, "before": -1, "earlier": -1, "previous": -1, "after": 1, "later": 1, "next": 1,
              "following": 1, "that": 0, "prior": -1}
_DAY_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_DATE_REF = CaselessPattern(
    r"\b(?:(?P<n>a|one|two|three|four|five|six|seven|\d)\s+days?\s+(?P<dir1>earlier|later|before|after|prior)"
    r"|the\s+(?:day|night)\s+(?P<dir2>before|after|prior)"
    r"|the\s+(?P<dir3>previous|following|next|same)\s+(?:day|night)"
    r"|(?P<dir4>that)\s+(?:same\s+)?day)\b",
    r"\daotfs",
)
#: The kinds of :class:`BackReference`, in the order :attr:`EvidenceIndex.back_references` lists a kind's
#: references before another's at one offset.
BACK_REFERENCE_KINDS = ("place", "number", "day")
# A day reference holds only letters, digits and whitespace, and "day" or "night": it lies in a run of
# word characters and whitespace holding one of them, the only runs its pattern is tried in.
_DATE_REF_LOW = re.compile(_DATE_REF.caseless.pattern)  # for the lowered text, as CaselessPattern reads it
_WORDS_AND_SPACES = re.compile(r"[\w\s]*")
_PROVINCE_WORDS = frozenset({"province", "governorate", "region"})
_NO_ROLE = CountRole()  # frozen: one shared empty role


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Alignment:
    """Where a quote sits in the text. ``how`` is exact, normalized or fuzzy."""

    start: int
    end: int
    how: str
    score: float


@dataclass(frozen=True, slots=True)
class Located:
    """Where a quote sits, as grounding judges it: one span, or one per piece around an ellipsis.

    ``how`` is exact, normalized or fuzzy (the worst of the pieces; pieces that are all exact
    make the whole ``normalized``, as the quote is not in the text as written).
    """

    spans: tuple[tuple[int, int], ...]
    how: str
    score: float


@dataclass(frozen=True, slots=True)
class Reference:
    """A place named as a reference point: ``name`` is its span, ``start``/``end`` the whole phrase."""

    start: int
    end: int
    name: tuple[int, int]
    text: str


@dataclass(frozen=True, slots=True)
class BackReference:
    """Words that point back to something named earlier: "the same province" -> "Deir Ezzor".

    ``kind``: place (``what`` is the place word: province, town...), number (``value`` and the
    group: "as many women" -> 4) or day (``shift`` in days from the day pointed to).
    ``target``: the span pointed to, or None when the text names nothing it can point to.
    """

    start: int
    end: int
    text: str
    kind: str
    what: str
    target: tuple[int, int] | None
    value: int | None = None
    shift: int = 0


@dataclass(frozen=True, slots=True)
class _Words:
    """The words of a text (:data:`_WORDS`), kept compactly: word ``i`` is ``text[starts[i]:ends[i]]``; and
    ``by_first``, the positions ``i`` of the words by the first token of their fold, each list ascending."""

    starts: array[int]
    ends: array[int]
    by_first: dict[str, list[int]]


@dataclass
class EvidenceIndex:
    """Sentences, numbers, names and dates of one text, with offsets into it."""

    text: str
    published: object = None  # datetime.date | None
    sentences: list[Sentence] = field(init=False)
    numbers: list[NumberMention] = field(init=False)
    names: list[NameMention] = field(init=False)
    dates: list[DateMention] = field(init=False)

    def __post_init__(self) -> None:
        text = self.text
        if not text.isascii() and any(mark in text for mark in _MARK_CHARS):
            scan, back = _strip_marks(text)
        else:
            scan, back = text, None
        self._scan = scan  # the text as read: invisible marks removed (the text itself when it has none)
        self._back = back  # offsets of ``_scan`` in ``text`` (None: the same)
        # the text as read, lowered once for every case-insensitive scan (None: lowering moves characters)
        self._scan_lowered = low = lowered(scan)
        sentences = _split_sentences(scan)
        numbers = find_numbers(scan, low)
        names = find_names(scan, low)
        dates = find_dates(scan, low)
        self._scan_sentences = [(x.start, x.end) for x in sentences]
        if back is not None:
            sentences = [Sentence(x.index, *self._orig(x.start, x.end), x.text) for x in sentences]
            numbers = [self._moved(m, num=True) for m in numbers]
            names = [self._moved(n) for n in names]
            dates = [self._moved(d) for d in dates]
        self.sentences = sentences
        self._sentence_starts = [s.start for s in self.sentences]
        self.numbers = numbers
        self.names = names
        self.dates = dates
        self._mention_starts: dict[str, tuple[list[Any], int, list[int] | None]] = {}
        # the name starts and ends of the reference points, for reference_at
        self._reference_bounds: tuple[list[Reference], int, tuple[list[int], list[int]] | None] | None = None

    @cached_property
    def lowered(self) -> str | None:
        """:func:`~llmextract.text.caseless.lowered` of :attr:`text`: its lower case, offset for offset
        (None when lowering would move characters), for a :class:`~llmextract.text.caseless.CaselessPattern`
        scan of :attr:`text` (``pattern.spans(index.text, index.lowered)``), lowered once per index."""
        return self._scan_lowered if self._back is None else lowered(self.text)

    @classmethod
    def build(cls, article: Article | str) -> EvidenceIndex:
        if isinstance(article, Article):
            return cls(article.text, article.published)
        return cls(article)

    # -- offsets ----------------------------------------------------------------------------
    def _orig(self, s: int, e: int) -> tuple[int, int]:
        """Offsets of the text as read -> offsets of the original text."""
        back = self._back
        if back is None:
            return s, e
        return back[s], (back[e - 1] + 1 if e > s else back[s])

    def _moved(self, mention, *, num: bool = False):  # type: ignore[no-untyped-def]
        s, e = self._orig(mention.start, mention.end)
        if num:
            ns, ne = self._orig(mention.num_start, mention.num_end)
            return replace(mention, start=s, end=e, num_start=ns, num_end=ne)
        return replace(mention, start=s, end=e)

    def _scan_offset(self, offset: int) -> int:
        """An offset of the original text -> the offset of the text as read."""
        back = self._back
        if back is None:
            return offset
        return bisect.bisect_left(back, offset)

    def offset_in(self, sent: Sentence, i: int) -> int:
        """The offset in :attr:`text` of position ``i`` of ``sent.text``, the sentence as read (its invisible
        marks removed, so a match in ``sent.text`` at ``i`` is not always at ``sent.start + i``)."""
        if self._back is None:
            return sent.start + i
        return self._back[self._scan_sentences[sent.index][0] + i]

    def span_in(self, sent: Sentence, s: int, e: int) -> tuple[int, int]:
        """The span of :attr:`text` that ``sent.text[s:e]`` was read from (see :meth:`offset_in`)."""
        if self._back is None:
            return sent.start + s, sent.start + e
        base = self._scan_sentences[sent.index][0]
        return self._orig(base + s, base + e)

    # -- locating ---------------------------------------------------------------------------
    def sentence_at(self, offset: int) -> Sentence:
        i = bisect.bisect_right(self._sentence_starts, offset) - 1
        return self.sentences[max(0, min(i, len(self.sentences) - 1))]

    @cached_property
    def _span_sentences(self) -> dict[tuple[int, int], tuple[tuple[int, int], ...]]:
        return {}

    def sentences_of(self, spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
        """(start, end) of every sentence the spans touch, in text order (one span's: cached)."""
        spans = tuple(spans)
        if len(spans) == 1:
            return self._sentences_of_span(*spans[0])
        out: set[tuple[int, int]] = set()
        for s, e in spans:
            out.update(self._sentences_of_span(s, e))
        return tuple(sorted(out))

    def _sentences_of_span(self, s: int, e: int) -> tuple[tuple[int, int], ...]:
        got = self._span_sentences.get((s, e))
        if got is None:
            first = self.sentence_at(s).index
            last = self.sentence_at(max(s, e - 1)).index
            got = tuple((x.start, x.end) for x in self.sentences[first:last + 1])
            self._span_sentences[(s, e)] = got
        return got

    def context(self, start: int, end: int, width: int = 60) -> str:
        """The sentence around a span, for a person to read: cut to ``width`` characters either side
        (an ellipsis marks a cut), whitespace runs as one space, invisible marks dropped."""
        sent = self.sentence_at(start)
        a, b = sent.start, max(sent.end, end)
        if b - a > 2 * width + (end - start):
            a, b = max(a, start - width), min(b, end + width)
        snippet = re.sub(r"\s+", " ", _MARKS.sub("", self.text[a:b])).strip()
        return ("…" if a > sent.start else "") + snippet + ("…" if b < sent.end else "")

    def numbers_in(self, start: int, end: int) -> list[NumberMention]:
        return _within(self.numbers, self._starts_of("numbers", self.numbers), start, end)

    def names_in(self, start: int, end: int) -> list[NameMention]:
        return _within(self.names, self._starts_of("names", self.names), start, end)

    def dates_in(self, start: int, end: int) -> list[DateMention]:
        return _within(self.dates, self._starts_of("dates", self.dates), start, end)

    def _starts_of(self, kind: str, mentions: list[Any]) -> list[int] | None:
        """The starts of a kind of mention, for bisecting (None: not in text order, so scanned whole).
        Kept per list, so a list the index's owner replaced is read afresh."""
        got = self._mention_starts.get(kind)
        if got is None or got[0] is not mentions or got[1] != len(mentions):
            starts = [m.start for m in mentions]
            ordered = all(a <= b for a, b in zip(starts, starts[1:], strict=False))
            got = self._mention_starts[kind] = (mentions, len(mentions), starts if ordered else None)
        return got[2]

    # -- numbers by value -------------------------------------------------------------------
    @cached_property
    def counts(self) -> list[NumberMention]:
        """The number mentions that may count people: not a year, a date, a measure, an age, a count
        of things, a phone number... (:data:`llmextract.text.numbers.KINDS`)."""
        return [m for m in self.numbers if m.kind == "count"]

    @cached_property
    def _by_value(self) -> tuple[dict[int, list[NumberMention]], dict[int, list[NumberMention]]]:
        """Mentions by each value they state: (any mention, counts of people only)."""
        any_value: dict[int, list[NumberMention]] = {}
        count_value: dict[int, list[NumberMention]] = {}
        for m in self.numbers:
            values = {m.low} if m.qualifier is Qualifier.vague else {m.low, m.high}
            for v in values:
                if v is None:
                    continue
                any_value.setdefault(v, []).append(m)
                if m.kind == "count":
                    count_value.setdefault(v, []).append(m)
        return any_value, count_value

    def stating(self, value: int, *, counts_only: bool = False) -> list[NumberMention]:
        """The mentions whose bounds state ``value`` (a vague quantity: only its low bound), in text
        order; ``counts_only``: only mentions that may count people. The list is shared: do not change it."""
        return self._by_value[counts_only].get(value, [])

    @cached_property
    def _roles(self) -> dict[int, CountRole]:
        back = self._back
        if back is None:
            return count_roles(self.text, self.numbers, [(s.start, s.end) for s in self.sentences])
        # read in the text as read; keyed by the original start
        scan_counts = [replace(m, start=self._scan_offset(m.start), end=self._scan_offset(m.end))
                       for m in self.numbers]
        roles = count_roles(self._scan, scan_counts, self._scan_sentences)
        out: dict[int, CountRole] = {}
        for m, sm in zip(self.numbers, scan_counts, strict=True):
            r = roles.get(sm.start)
            if r is not None:
                out[m.start] = replace(r, cue=self._orig(*r.cue) if r.cue else None,
                                       of=back[r.of] if r.of is not None else None)
        return out

    def role_of(self, m: NumberMention) -> CountRole:
        """What a count counts (:class:`~llmextract.text.numbers.CountRole`); an empty role for other kinds.
        Read one sentence at a time, only for the sentences asked about (:attr:`_roles` reads them all)."""
        roles = self.__dict__.get("_roles") if "_count_sentences" not in self.__dict__ else None
        if roles is None:
            roles = self._roles_of_sentence(m.start)
        return roles.get(m.start) or _NO_ROLE

    @cached_property
    def _count_sentences(self) -> tuple[set[int], dict[int, list[NumberMention]]] | None:
        """The counts as :attr:`_roles` reads them, taken when a role is first asked (as :attr:`_roles` is):
        the original starts of the number mentions, and the counts (at offsets of the text as read) by the
        sentence they start in. None when the counts are out of text order: then :attr:`_roles` reads them."""
        back = self._back
        counts = [m for m in self.numbers if m.kind == "count"]
        if back is not None:
            counts = [replace(m, start=self._scan_offset(m.start), end=self._scan_offset(m.end)) for m in counts]
        starts = [m.start for m in counts]
        if any(a > b for a, b in zip(starts, starts[1:], strict=False)):
            return None
        sentences = self._scan_sentences
        sentence_starts = [s for s, _e in sentences]
        by_sentence: dict[int, list[NumberMention]] = {}
        for m in counts:  # the sentence count_roles puts it in: the one it starts in (none: a gap, no role)
            i = bisect.bisect_right(sentence_starts, m.start) - 1
            if i >= 0 and m.start < sentences[i][1]:
                by_sentence.setdefault(i, []).append(m)
        return ({m.start for m in self.numbers} if back is not None else set()), by_sentence

    def _roles_of_sentence(self, start: int) -> dict[int, CountRole]:
        """:attr:`_roles`' entries for the sentence a mention starting at ``start`` starts in (kept per sentence),
        all of them when the counts are out of text order."""
        taken = self._count_sentences
        if taken is None:
            return self._roles
        number_starts, by_sentence = taken
        back = self._back
        at = self._scan_offset(start)
        i = bisect.bisect_right(self._sentence_starts_read, at) - 1
        kept = self._sentence_roles
        got = kept.get(i)
        if got is None:
            got = {}
            here = by_sentence.get(i)
            if here:
                s, e = self._scan_sentences[i]
                roles = count_roles(self._scan, here, [(s, e)])
                if back is None:
                    got = roles
                else:  # keyed by the original start of every number mention read at a count's start
                    moved = {sm: replace(r, cue=self._orig(*r.cue) if r.cue else None,
                                         of=back[r.of] if r.of is not None else None) for sm, r in roles.items()}
                    for sm, r in moved.items():  # the original offsets read at ``sm``: after the marks before it
                        for ns in range(back[sm - 1] + 1 if sm > 0 else 0, back[sm] + 1):
                            if ns in number_starts:
                                got[ns] = r
            kept[i] = got
        return got

    @cached_property
    def _sentence_starts_read(self) -> list[int]:
        return [s for s, _e in self._scan_sentences]

    @cached_property
    def _sentence_roles(self) -> dict[int, dict[int, CountRole]]:
        """:meth:`_roles_of_sentence` already read: sentence index (of the text as read) -> roles."""
        return {}

    # -- names ------------------------------------------------------------------------------
    @cached_property
    def _names_by_key(self) -> tuple[dict[str, list[NameMention]], dict[str, list[NameMention]]]:
        """Name mentions by their folded text, and by their canonical name."""
        by_fold: dict[str, list[NameMention]] = {}
        by_canonical: dict[str, list[NameMention]] = {}
        for n in self.names:
            key = fold(_MARKS.sub("", n.text) if self._back is not None else n.text)
            if key:
                by_fold.setdefault(key, []).append(n)
            if n.canonical:
                by_canonical.setdefault(n.canonical, []).append(n)
        return by_fold, by_canonical

    def names_folding_to(self, key: str) -> list[NameMention]:
        """The name mentions whose :func:`~llmextract.text.names.fold` is ``key``, in text order."""
        return self._names_by_key[0].get(key, [])

    def names_of(self, canonical: str) -> list[NameMention]:
        """The name mentions the index resolved to ``canonical`` (alias table or gazetteer), in text order."""
        return self._names_by_key[1].get(canonical, [])

    def find_word(self, phrase: str) -> tuple[int, int] | None:
        """The first verbatim occurrence of ``phrase`` that does not start or end inside a word."""
        found = self.find_words(phrase, first=True)
        return found[0] if found else None

    @cached_property
    def memo(self) -> dict[object, object]:
        """Tables its readers build from the index and keep with it (grounding's name searches: the
        same names are asked of every claim and every re-ask). Keys are the readers' own; bounded."""
        return {}

    def kept(self, key: object, build: Callable[..., _T], *args: Any) -> _T:
        """``memo[key]``, made by ``build(*args)`` the first time it is asked for: a table a reader of the
        index builds once per article and keeps with it, under a key object of its own."""
        memo = self.memo
        got = memo.get(key, _MISSING)
        if got is _MISSING:
            got = memo[key] = build(*args)
        return got  # type: ignore[return-value]

    def kept_of(self, key: object, items: Sequence[Any], build: Callable[[Sequence[Any]], _T]) -> _T:
        """:meth:`kept` for a table built from ``items``, one of the index's lists (``names``, ``counts``...):
        built afresh when the index's owner has replaced or grown that list since."""
        memo = self.memo
        got = memo.get(key)
        if got is None or got[0] is not items or got[1] != len(items):  # type: ignore[index]
            got = memo[key] = (items, len(items), build(items))
        return got[2]  # type: ignore[index,no-any-return]

    @cached_property
    def _found(self) -> dict[tuple[str, str], list[tuple[int, int]]]:
        """Searches already made (grounding asks the same names of each claim): (how, what) -> spans."""
        return {}

    def find_words(self, phrase: str, *, first: bool = False) -> list[tuple[int, int]]:
        """Every verbatim occurrence of ``phrase`` that does not start or end inside a word, in text order.
        The list is shared: do not change it."""
        got = self._found.get(("word", phrase))
        if got is not None:
            return got[:1] if first else got
        got = self._find_words(phrase)
        if len(self._found) < 10_000:
            self._found[("word", phrase)] = got
        return got[:1] if first else got

    def _find_words(self, phrase: str) -> list[tuple[int, int]]:
        if self._back is not None:
            phrase = _MARKS.sub("", phrase)
        text = self._scan
        out: list[tuple[int, int]] = []
        pos = text.find(phrase) if phrase else -1
        while pos >= 0:
            if _word_bounded(text, pos, pos + len(phrase)):
                out.append(self._orig(pos, pos + len(phrase)))
            pos = text.find(phrase, pos + 1)
        return out

    @cached_property
    def _words(self) -> _Words:
        """Every word of the text as read (:class:`_Words`: their starts and ends, and where each first token
        of a fold occurs)."""
        # split into gap, word, gap, ..., word, gap: each piece's offset is the sum of the lengths before it
        pieces = _WORD_PIECES.split(self._scan)
        offsets = array("q", accumulate(map(len, pieces), initial=0))
        words = pieces[1::2]
        by_word: dict[str, list[int]] = {}  # each distinct word, folded once below
        for i, word in enumerate(words):
            at = by_word.get(word)
            if at is None:
                by_word[word] = [i]
            else:
                at.append(i)
        by_first: dict[str, list[int]] = {}
        for word, at in by_word.items():
            folded = fold(word)  # "Sar-e" folds to "sar e": index it by its first token
            head = folded.split(" ", 1)[0] if folded else ""
            if head:
                known = by_first.get(head)
                by_first[head] = at if known is None else sorted(known + at)
        return _Words(offsets[1:-1:2], offsets[2::2], by_first)

    def find_folded(self, key: str) -> tuple[int, int] | None:
        """The first run of 1-6 words of the text whose :func:`~llmextract.text.names.fold` is ``key``
        (a name the mention finder missed)."""
        found = self.find_all_folded(key, first=True)
        return found[0] if found else None

    def find_all_folded(self, key: str, *, first: bool = False) -> list[tuple[int, int]]:
        """Every run of 1-6 words whose fold is ``key``, in text order (one per starting word). The list is
        shared: do not change it."""
        if not key:
            return []
        got = self._found.get(("fold", key))
        if got is None:
            got = self._find_all_folded(key)
            if len(self._found) < 10_000:
                self._found[("fold", key)] = got
        return got[:1] if first else got

    def _find_all_folded(self, key: str) -> list[tuple[int, int]]:
        words = self._words
        word_starts, word_ends = words.starts, words.ends
        text = self._scan
        head = key.split(" ", 1)[0]
        starts: list[int] = []
        for i in words.by_first.get(head, ()):
            starts += [i - 1, i] if i > 0 else [i]  # the word before may be an article that folds away
        out: list[tuple[int, int]] = []
        seen: set[int] = set()
        for i in starts:
            for k in range(1, 7):
                if i + k > len(word_starts):
                    break
                s, e = word_starts[i], word_ends[i + k - 1]
                got = fold(text[s:e])
                if got == key:
                    if s not in seen:
                        seen.add(s)
                        out.append(self._orig(s, e))
                    break
                if len(got) > len(key) + 2:
                    break
        return sorted(out)

    # -- reference points and back-references ------------------------------------------------
    @cached_property
    def references(self) -> list[Reference]:
        """Places named as reference points: "455 kilometers northeast of the capital Damascus",
        "20 km south of Deir ez-Zor city", "north of Aleppo"."""
        out: list[Reference] = []
        places = [n for n in self.names if n.kind in ("place", "other")]
        if not places:
            return out
        starts = [n.start for n in places]
        text = self._scan
        # the lead is looked for only near the words it must hold (a unit or a direction)
        windows: list[tuple[int, int]] = []
        low = self._scan_lowered
        words = (_REFERENCE_ANCHOR_WORD.spans(text) if low is None else
                 _literal_spans(low, _REFERENCE_ANCHOR_WORDS))  # the same spans, found the faster way
        anchors = sorted([*words, *(a.span() for a in _REFERENCE_ANCHOR_M.finditer(text))])
        for a_start, a_end in anchors:
            s0, e0 = max(0, a_start - 60), a_end + 20
            if windows and s0 <= windows[-1][1]:
                windows[-1] = (windows[-1][0], e0)
            else:
                windows.append((s0, e0))
        # read in the lowered text when there is one (the same matches, faster: llmextract.text.caseless)
        read, lead, tail_of = (text, _REFERENCE_LEAD, _REFERENCE_TAIL) if low is None else (
            low, _REFERENCE_LEAD_LOW, _REFERENCE_TAIL_LOW)
        seen: set[int] = set()
        for m in (m for w0, w1 in windows for m in lead.finditer(read, w0, w1)):
            if m.start() in seen:
                continue
            seen.add(m.start())
            tail = tail_of.match(read, m.end())
            at = tail.end() if tail else m.end()
            s0, _e0 = self._orig(m.start(), at)
            name_start = self._orig(at, at)[0]
            i = bisect.bisect_left(starts, name_start)
            if i < len(places) and places[i].start == name_start:
                n = places[i]
                out.append(Reference(s0, n.end, (n.start, n.end), self.text[s0:n.end]))
        return out

    def reference_at(self, start: int, end: int) -> Reference | None:
        """The reference point whose place name covers the span, if the span is one (the first, in the
        list's order, of those that do)."""
        refs = self.references
        bounds = self._reference_bounds
        if bounds is None or bounds[0] is not refs or bounds[1] != len(refs):
            starts = [r.name[0] for r in refs]
            ends = [r.name[1] for r in refs]
            ordered = all(a <= b for a, b in zip(starts, starts[1:], strict=False)) and all(
                a <= b for a, b in zip(ends, ends[1:], strict=False))
            # kept with the list they were read from, as _starts_of keeps mention starts (None: not in
            # order, so scanned whole)
            bounds = self._reference_bounds = (refs, len(refs), (starts, ends) if ordered else None)
        if bounds[2] is None:
            return next((r for r in refs if r.name[0] <= start and end <= r.name[1]), None)
        # names in order, by start and by end: those starting by ``start`` and ending at or after ``end``
        # are the last few of those starting by ``start``; the first of them is the answer
        starts, ends = bounds[2]
        i = bisect.bisect_right(starts, start) - 1
        found = None
        while i >= 0 and ends[i] >= end:
            found = refs[i]
            i -= 1
        return found

    @cached_property
    def back_references(self) -> list[BackReference]:
        """"The same province", "the city", "as many women", "a day earlier", "the day before
        February 12", with what each points to (the nearest earlier name, figure or day that fits):
        every kind of :meth:`back_references_of`, in text order."""
        out = [ref for kind in BACK_REFERENCE_KINDS for ref in self.back_references_of(kind)]
        out.sort(key=lambda r: r.start)
        return out

    def back_references_of(self, kind: str) -> list[BackReference]:
        """The back-references of one kind (place, number or day), in text order: only that kind's
        pattern is scanned for, once per index. The list is shared: do not change it."""
        got = self._back_references_by_kind.get(kind)
        if got is None:
            got = self._back_references_by_kind[kind] = self._find_back_references(kind)
        return got

    @cached_property
    def _back_references_by_kind(self) -> dict[str, list[BackReference]]:
        return {}

    def _find_back_references(self, kind: str) -> list[BackReference]:
        if kind not in BACK_REFERENCE_KINDS:
            raise ValueError(f"no back-references of kind {kind!r}: {', '.join(BACK_REFERENCE_KINDS)}")
        text = self._scan
        out: list[BackReference] = []
        low = self._scan_lowered
        if low is None:
            low = text.lower()
        # the matches are of the lowered text when lowering is safe: their words are read in lower case
        if kind == "place" and ("same" in low or "the " in low):
            for m in _PLACE_REF.finditer(text, self._scan_lowered):
                s, e = self._orig(*m.span())
                out.append(BackReference(s, e, self.text[s:e], "place", m.group(2).lower(),
                                         self._place_target(s, m.group(2).lower())))
        elif kind == "number" and "as many" in low:
            for m in _NUMBER_REF.finditer(text, self._scan_lowered):
                s, e = self._orig(*m.span())
                sent = self.sentence_at(s)
                before = [c for c in self.counts if sent.start <= c.start and c.end <= s and c.value is not None]
                target = before[-1] if before else None
                out.append(BackReference(s, e, self.text[s:e], "number", m.group(1).lower(),
                                         (target.start, target.end) if target else None,
                                         target.value if target else None))
        elif kind == "day" and ("day" in low or "night" in low):
            matches = _DATE_REF.finditer(text) if self._scan_lowered is None else (
                m for w0, w1 in _runs_holding(low, ("day", "night")) for m in _DATE_REF_LOW.finditer(low, w0, w1))
            for m in matches:
                s, e = self._orig(*m.span())
                word = next(m.group(g) for g in ("dir1", "dir2", "dir3", "dir4") if m.group(g)).lower()
                n = _DAY_NUMBERS.get((m.group("n") or "a").lower()) if not (m.group("n") or "").isdigit() \
                    else int(m.group("n"))
                shift = _DAY_SHIFT[word] * (n or 1)
                out.append(BackReference(s, e, self.text[s:e], "day", word, self._day_target(s, e), shift=shift))
        return out

    def _place_target(self, at: int, what: str) -> tuple[int, int] | None:
        """The nearest place named before ``at`` that a ``what`` ("province", "town") can be."""
        from llmextract.text.names import get_gazetteer

        gaz = get_gazetteer()
        names = self.names
        starts = self._starts_of("names", names)
        # from the nearest back: in text order, a name ending by ``at`` starts by it
        last = bisect.bisect_right(starts, at) if starts is not None else len(names)
        for i in range(last - 1, -1, -1):
            n = names[i]
            if n.end > at or n.kind not in ("place", "other"):
                continue
            if self.reference_at(n.start, n.end) is not None:
                continue  # "80 km northeast of Hasakah" locates another place: "the city" is not Hasakah
            entry = gaz.lookup(n.canonical or n.text, prefer="province" if what in _PROVINCE_WORDS else None)
            if entry is None:
                continue
            if what in _PROVINCE_WORDS:
                if entry.kind == "province":
                    return n.start, n.end
            elif what == "country":
                if entry.kind == "country":
                    return n.start, n.end
            elif entry.kind not in ("country", "province", "region", "river"):
                return n.start, n.end
        return None

    def _day_target(self, start: int, end: int) -> tuple[int, int] | None:
        """The date a day reference counts from: one written right after it ("the day before
        February 12"), else the nearest date named before it."""
        dates = self.dates
        starts = self._starts_of("dates", dates)
        if starts is None:
            after = [d for d in dates if end <= d.start <= end + 12 and d.end > end]
            if after:
                return after[0].start, after[0].end
            before = [d for d in dates if d.end <= start and _counts_from(d)]
            return (before[-1].start, before[-1].end) if before else None
        # in text order: the first date starting within 12 characters of the end, else the last before
        # the start (by bisection: a date ending by ``start`` starts before it)
        for i in range(bisect.bisect_left(starts, end), bisect.bisect_right(starts, end + 12)):
            if dates[i].end > end:
                return dates[i].start, dates[i].end
        for i in range(bisect.bisect_right(starts, start) - 1, -1, -1):
            d = dates[i]
            if d.end <= start and _counts_from(d):
                return d.start, d.end
        return None

    # -- instructions addressed to a model ----------------------------------------------------
    @cached_property
    def instructions(self) -> list[Instruction]:
        """The sentences addressed to a model (:mod:`llmextract.text.instructions`), in text order."""
        found = find_instructions(self._scan, self._scan_sentences, self._scan_lowered)
        if self._back is None:
            return found
        return [Instruction(*self._orig(i.start, i.end), i.why, self._orig(*i.cue)) for i in found]

    @property
    def instruction_spans(self) -> tuple[tuple[int, int], ...]:
        """(start, end) of every sentence addressed to a model."""
        return tuple((i.start, i.end) for i in self.instructions)

    def instruction_at(self, start: int, end: int) -> Instruction | None:
        """The instruction-like sentence that overlaps the span, if any."""
        for i in self.instructions:
            if start < i.end and end > i.start:
                return i
        return None

    # -- quotes -----------------------------------------------------------------------------
    @cached_property
    def _normalized(self) -> tuple[str, list[int]]:
        """Text with quote marks, dashes and whitespace runs normalised, and a map back to offsets."""
        # Each run of whitespace (``\s`` is str.isspace) becomes one space at the run's first offset: the
        # offsets are every position but the second and later characters of the longer runs. The marks
        # are replaced one character for one, so they move no offset.
        text = _replace_quote_marks(self._scan)
        offsets: list[int] = []
        pos = 0
        for run in _LONG_SPACE_RUN.finditer(text):
            offsets += range(pos, run.start() + 1)
            pos = run.end()
        offsets += range(pos, len(text))
        back = self._back
        if back is not None:
            offsets = [back[i] for i in offsets]
        offsets.append(len(self.text))
        return _SPACE_RUN.sub(" ", text), offsets

    def find(self, quote: str) -> tuple[int, int] | None:
        """The first verbatim occurrence of ``quote``: its (start, end) offsets, or None."""
        if self._back is not None:
            quote = _MARKS.sub("", quote)
        pos = self._scan.find(quote) if quote else -1
        return self._orig(pos, pos + len(quote)) if pos >= 0 else None

    def align(self, quote: str, threshold: float = 0.9) -> Alignment | None:
        """Find ``quote`` in the text: exactly, after normalisation, or fuzzily above ``threshold``
        (not beyond :data:`MAX_QUOTE_CHARS`)."""
        if not quote or not quote.strip():
            return None
        if _MARKS.search(quote):
            quote = _MARKS.sub("", quote)
        pos = self._scan.find(quote)
        if pos >= 0:
            return Alignment(*self._orig(pos, pos + len(quote)), "exact", 1.0)
        norm_text, offsets = self._normalized
        q = _normalize(quote)
        pos = norm_text.find(q)
        if pos < 0:
            low_text = self._norm_lower
            pos = low_text.find(q.lower())
        if pos >= 0 and q:
            return Alignment(offsets[pos], offsets[pos + len(q) - 1] + 1, "normalized", 1.0)
        if len(q) < 8 or len(q) > MAX_QUOTE_CHARS:
            return None
        res = fuzz.partial_ratio_alignment(q.lower(), self._norm_lower, score_cutoff=threshold * 100)
        if res is None or res.score < threshold * 100:
            return None
        start, end = offsets[res.dest_start], offsets[max(res.dest_start, res.dest_end - 1)] + 1
        return Alignment(start, end, "fuzzy", res.score / 100)

    @cached_property
    def _norm_lower(self) -> str:
        return self._normalized[0].lower()

    def locate(self, quote: str, threshold: float = 0.9,
               prefer: tuple[tuple[int, int], ...] = ()) -> Located | None:
        """Where ``quote`` sits, as grounding judges a quote.

        Verbatim first, and of several occurrences the best: whole words ("9", not the 9 of
        "190"), then inside the ``prefer`` spans (a claim's sentences). Else :meth:`align`: a
        normalised match, or a fuzzy one snapped to whole words that keeps the facts (the whole
        quote against the whole passage at ``threshold``, at most one word in ten differing,
        every figure and every capitalised word as in the passage: one number or name changed is
        a different statement, not a typo). A quote with an ellipsis aligns piece by piece, in order.
        """
        if not quote or not quote.strip():
            return None
        if _MARKS.search(quote):
            quote = _MARKS.sub("", quote)
            if not quote.strip():  # nothing but invisible marks and spaces: no statement to find
                return None
        pos = self._best_occurrence(quote, prefer)
        if pos is not None:
            return Located((self._orig(pos, pos + len(quote)),), "exact", 1.0)
        a = self.align(quote, threshold)
        if a is not None:
            start, end = a.start, a.end
            if a.how == "fuzzy":  # snap to whole words
                orig = self.text
                while start > 0 and orig[start - 1].isalnum() and orig[start].isalnum():
                    start -= 1
                while end < len(orig) and orig[end].isalnum() and orig[end - 1].isalnum():
                    end += 1
            if a.how != "fuzzy" or _fuzzy_keeps_facts(quote, _MARKS.sub("", self.text[start:end]), threshold):
                return Located(((start, end),), a.how, round(a.score, 4))
        parts = [p for p in _ELLIPSIS.split(quote) if p.strip()]
        if len(parts) >= 2:
            spans: list[tuple[int, int]] = []
            worst, score, cursor = "exact", 1.0, 0
            for part in parts:
                got = self.locate(part, threshold)
                if got is None or got.spans[0][0] < cursor:
                    return None
                spans.extend(got.spans)
                cursor = got.spans[-1][1]
                score = min(score, got.score)
                worst = max(worst, got.how, key=_HOW_RANK.__getitem__)
            return Located(tuple(spans), "normalized" if worst == "exact" else worst, score)
        return None

    def _best_occurrence(self, quote: str, prefer: tuple[tuple[int, int], ...]) -> int | None:
        """Where :meth:`locate` takes a verbatim ``quote`` from (an offset of the text as read), or None when
        it does not occur: of its occurrences, the first (in text order) in whole words inside a ``prefer``
        span, else the first in whole words, else the first inside a ``prefer`` span, else the first.

        Only the ``prefer`` spans are searched for the preferred occurrences, and the whole text only up to
        the quote's first occurrence in whole words: a quote that occurs all over a long text is not looked
        at in every place it occurs (that made grounding a long text quadratic in its length)."""
        text = self._scan
        first = text.find(quote)
        if first < 0:
            return None
        inside: list[tuple[int, int]] = []  # (first occurrence, first in whole words) inside each span
        for a, b in prefer:
            start, end = self._scan_offset(max(0, a)), self._scan_offset(max(0, b))
            pos, found, bounded = text.find(quote, start, end), -1, -1
            while pos >= 0:
                if _inside(*self._orig(pos, pos + len(quote)), prefer):
                    if found < 0:
                        found = pos
                    if _word_bounded(text, pos, pos + len(quote)):
                        bounded = pos
                        break
                pos = text.find(quote, pos + 1, end)
            if found >= 0:
                inside.append((found, bounded))
        bounded_inside = [b for _f, b in inside if b >= 0]
        if bounded_inside:
            return min(bounded_inside)
        pos = first
        while pos >= 0:
            if _word_bounded(text, pos, pos + len(quote)):
                return pos
            pos = text.find(quote, pos + 1)
        if inside:
            return min(f for f, _b in inside)
        return first

    @cached_property
    def _sentence_words(self) -> tuple[list[str], dict[str, list[int]]]:
        """Each sentence's normalised lower-case text, and the sentences each word occurs in."""
        texts = [_normalize(_MARKS.sub("", s.text)).lower() for s in self.sentences]
        by_word: dict[str, list[int]] = {}
        for i, t in enumerate(texts):
            for w in dict.fromkeys(re.findall(r"\w+", t)):
                by_word.setdefault(w, []).append(i)
        return texts, by_word

    def nearest(self, quote: str) -> tuple[str, float] | None:
        """The passage closest to a quote that is not in the text, and its score (0-1), when it
        scores 0.40 or more: to show a person what the text says instead.

        Linear in the quote's length: the first :data:`MAX_NEAREST_CHARS` characters are read,
        the three sentences sharing the most words with them are the candidates (with their
        neighbours), and only those are compared character by character."""
        q = _normalize(_MARKS.sub("", quote[:MAX_NEAREST_CHARS * 2]))[:MAX_NEAREST_CHARS].lower()
        if len(q.strip()) < 4:
            return None
        texts, by_word = self._sentence_words
        shared: Counter[int] = Counter()
        for w in dict.fromkeys(re.findall(r"\w+", q)):  # in order: the same picks on every run
            for i in by_word.get(w, ()):
                shared[i] += 1
        picks = sorted(shared, key=lambda i: (-shared[i], i))[:3] or [0]
        best: tuple[float, int, int] | None = None
        for i in picks:
            a, b = max(0, i - 1), min(len(self.sentences), i + 2)
            window = " ".join(texts[a:b])
            if len(window) > 4 * MAX_NEAREST_CHARS:
                window = texts[i][:4 * MAX_NEAREST_CHARS]
                a, b = i, i + 1
            res = fuzz.partial_ratio_alignment(q, window)
            if res is None:
                continue
            if best is None or res.score > best[0]:
                best = (res.score, a, i)
        if best is None or best[0] < 40:
            return None
        score, _a, i = best
        # the passage shown: the best sentence, as the text writes it
        passage = re.sub(r"\s+", " ", _MARKS.sub("", self.sentences[i].text)).strip()
        if len(passage) > 400:
            passage = passage[:400] + "…"
        return passage, round(score / 100, 2)

    # -- hints for the model ----------------------------------------------------------------
    def hints(self) -> list[str]:
        """Number phrases and names actually in the text, de-duplicated, in text order."""
        seen: set[str] = set()
        out: list[str] = []
        for item in sorted([*self.numbers, *self.names], key=lambda x: x.start):
            if isinstance(item, NumberMention) and item.kind in _NOT_HINTED and not (
                    item.kind == "measure" and item.qualifier is Qualifier.vague):
                continue
            key = fold(item.text)
            if key and key not in seen:
                seen.add(key)
                out.append(item.text)
        return out


def _counts_from(d: DateMention) -> bool:
    """Whether a day reference can count from the date: a day or a figure, not itself a day reference."""
    return not _DATE_REF.caseless.fullmatch(d.text.strip()) and re.search(r"\d|day", d.text, re.I) is not None


def _strip_marks(text: str) -> tuple[str, list[int]]:
    """``text`` without invisible marks, and each kept character's offset in ``text`` (one more at the end)."""
    kept: list[str] = []
    back: list[int] = []
    pos = 0
    for m in _MARKS.finditer(text):
        kept.append(text[pos:m.start()])
        back.extend(range(pos, m.start()))
        pos = m.end()
    kept.append(text[pos:])
    back.extend(range(pos, len(text)))
    back.append(len(text))
    return "".join(kept), back


def _literal_spans(text: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    """The spans ``re.finditer("|".join(words), text)`` gives for plain words (no regex syntax in them):
    each word's occurrences found with ``str.find`` (a fast search in C, where the pattern would be
    tried at every character), then the leftmost kept, none overlapping one kept, and of two words at
    one offset the one listed first, as the alternation takes it."""
    found: list[tuple[int, int, int]] = []  # (start, the word's rank, end)
    for rank, word in enumerate(words):
        pos = text.find(word)
        while pos >= 0:
            found.append((pos, rank, pos + len(word)))
            pos = text.find(word, pos + 1)
    found.sort()
    out: list[tuple[int, int]] = []
    end = 0
    for s, _rank, e in found:
        if s >= end:
            out.append((s, e))
            end = e
    return out


def _runs_holding(text: str, words: tuple[str, ...]) -> list[tuple[int, int]]:
    """The runs of word characters and whitespace of ``text`` (``[\\w\\s]*`` between two other characters)
    that hold one of ``words``, as (start, end), in text order.

    A pattern whose matches hold only word characters and whitespace, and one of ``words``, finds the
    same matches in these runs (``pattern.finditer(text, start, end)``) as in the whole text: no match
    crosses a run's end, and a word boundary reads the same at a run's edge (the character beyond is
    not a word character). Each run is found from one of the words it holds, forwards in the text and
    backwards in the text reversed, never by trying a pattern at every character."""
    at = sorted(pos for word in words for pos in _occurrences(text, word))
    if not at:
        return []
    backwards = text[::-1]
    n = len(text)
    runs: list[tuple[int, int]] = []
    for pos in at:
        if runs and pos < runs[-1][1]:
            continue  # in the run already found
        start = n - _WORDS_AND_SPACES.match(backwards, n - pos).end()
        runs.append((start, _WORDS_AND_SPACES.match(text, pos).end()))
    return runs


def _occurrences(text: str, word: str) -> Iterator[int]:
    """The offset of every occurrence of ``word`` in ``text`` (overlapping ones too), in text order."""
    pos = text.find(word)
    while pos >= 0:
        yield pos
        pos = text.find(word, pos + 1)


def _replace_quote_marks(s: str) -> str:
    """``s.translate(_QUOTE_MARKS)``: each mark that ``s`` holds replaced in one pass of its own (a
    translation table is looked up character by character, the slower way for a long text)."""
    for mark, plain in _QUOTE_PAIRS:
        if mark in s:
            s = s.replace(mark, plain)
    return s


def _normalize(s: str) -> str:
    return _SPACE_RUN.sub(" ", _replace_quote_marks(s)).strip()


def _word_bounded(text: str, s: int, e: int) -> bool:
    """Whether ``text[s:e]`` neither starts nor ends inside a word."""
    return (s == 0 or not text[s - 1].isalnum() or not text[s].isalnum()) and (
        e >= len(text) or not text[e].isalnum() or not text[e - 1].isalnum())


def _inside(s: int, e: int, spans: tuple[tuple[int, int], ...]) -> bool:
    return any(a <= s and e <= b for a, b in spans)


def _fuzzy_keeps_facts(quote: str, found: str, threshold: float) -> bool:
    """A fuzzy alignment may differ in spacing, punctuation or a typo, never in a figure or a name.

    The whole quote must match the whole passage (rapidfuzz ratio, not just a partial match), its
    figures must be the passage's, at most one word in ten (at least one) may differ, and every
    capitalised word must be in the passage as it is (folded).
    """
    if fuzz.ratio(_normalize(quote).lower(), _normalize(found).lower()) < threshold * 100:
        return False
    if _figures(quote) - _figures(found):  # a figure the passage does not state, or states fewer times
        return False
    found_tokens = _folded_words(found)
    words = [fold(w.group(0)) for w in _WORDS.finditer(quote)]
    if sum(1 for w in words if w not in found_tokens) > max(1, len(words) // 10):
        return False  # more than a typo's worth of words that are not in the passage
    found_parts = {fold(p) for p in re.findall(r"\w+", found)}
    return all(fold(p) in found_parts for p in _CAP_TOKEN.findall(quote))  # names verbatim: Ghazni is not Ghani


def _figures(s: str) -> Counter[int]:
    """Every distinct bound of every number mention, counted ("between 19 and 22" states 19 and 22)."""
    return Counter(v for m in find_numbers(s) for v in {m.low, m.high} if v is not None)


def _folded_words(s: str) -> set[str]:
    """Each word folded on its own (folding a whole phrase treats a word after another as a possible
    assimilated article: "Uttar" alone stays "uttar")."""
    return {fold(w.group(0)) for w in _WORDS.finditer(s)}


# Where a sentence end can start: just after . ! ? (the first alternative's lookbehind) or at a
# newline (the other two).
_SENT_END_AT = re.compile(r"[.!?\n]")


def _sentence_ends(text: str) -> Iterator[re.Match[str]]:
    """``_SENT_END.finditer(text)``, but tried only where a match can start: a pattern that opens
    with a lookbehind makes the regex engine try it at every character, which was most of the cost."""
    pos = 0
    for c in _SENT_END_AT.finditer(text):
        at = c.start() if c.group() == "\n" else c.end()
        if at < pos:
            continue
        m = _SENT_END.match(text, at)
        if m is not None:
            yield m
            pos = m.end()


def _split_sentences(text: str) -> list[Sentence]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _sentence_ends(text):
        if _ABBREV.search(text[max(start, m.start() - 6):m.start()]):
            continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    sentences: list[Sentence] = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            sentences.append(Sentence(len(sentences), s, e, text[s:e]))
    if not sentences:
        sentences.append(Sentence(0, 0, len(text), text))
    return sentences


def _within(mentions: list[_M], starts: list[int] | None, start: int, end: int) -> list[_M]:
    """The mentions that lie within [start, end), in list order: those starting in it, found by bisection
    when the list is in text order (a mention starting past ``end`` cannot end by it)."""
    if starts is None:
        return [m for m in mentions if m.start >= start and m.end <= end]
    i = bisect.bisect_left(starts, start)
    j = bisect.bisect_right(starts, end, i)
    return [m for m in mentions[i:j] if m.end <= end]
