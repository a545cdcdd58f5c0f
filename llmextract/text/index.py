"""The evidence index: the article read once, every fact with char offsets into the original text.

Everything downstream (the offline extractor, the prompt's hints, the grounding checks)
asks the index; nothing scans the raw text again. Besides the sentences, numbers, names and
dates found when it is built, the index answers the questions grounding asks, with look-up
tables built on first use and kept on the index:

* numbers: :attr:`EvidenceIndex.counts` (mentions that count something), :meth:`~EvidenceIndex.stating`
  (the mentions that state a value);
* names: :meth:`~EvidenceIndex.names_folding_to`, :meth:`~EvidenceIndex.names_of`,
  :meth:`~EvidenceIndex.find_word` (a whole-word verbatim occurrence), :meth:`~EvidenceIndex.find_folded`
  (a run of words that folds to a key: a name the mention finder missed);
* quotes: :meth:`~EvidenceIndex.align` (one alignment: exact, normalised, fuzzy),
  :meth:`~EvidenceIndex.locate` (grounding's: whole words and preferred sentences first, a fuzzy
  match that keeps every figure and name, an ellipsis piece by piece), :meth:`~EvidenceIndex.nearest`;
* places: :meth:`~EvidenceIndex.sentence_at`, :meth:`~EvidenceIndex.sentences_of`,
  :meth:`~EvidenceIndex.context` (a snippet to show a person).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import fuzz

from llmextract.schema import Article, Qualifier
from llmextract.text.dates import DateMention, find_dates
from llmextract.text.names import NameMention, find_names, fold
from llmextract.text.numbers import NumberMention, find_numbers

# Sentence ends: . ! ? (and a closing quote) followed by space and an upper-case letter, a
# digit or a quote; or a blank line. Common abbreviations are not ends.
_SENT_END = re.compile(
    r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9\u0600-\u06FF])|\n\s*\n|(?<=[a-z0-9])\n(?=\s*[A-Z])"
)
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Col|Lt|Sgt|Capt|Maj|Prof|St|No|Jr|Sr|Rep|Sen|Gov|vs|Inc|Co|Corp"
                     r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|\b(?:U\.S|U\.N|U\.K))\.$")
_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                              "`": "'", "´": "'", "–": "-", "—": "-", "‐": "-", "\u00a0": " "})
# A word: letters and digits (combining accents included), joined by apostrophes and hyphens.
_WORDS = re.compile(r"[\w\u0300-\u036f]+(?:['’ʼ`\-‐‑][\w\u0300-\u036f]+)*")
_ELLIPSIS = re.compile(r"\s*(?:\.\s?\.\s?\.|…|\[\.\.\.\])\s*")
_CAP_TOKEN = re.compile(r"\b[A-Z]\w*")
_NOT_A_COUNT = ("year", "date", "measure")  # number mentions that count nothing
_HOW_RANK = {"exact": 0, "normalized": 1, "fuzzy": 2}


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
        self.sentences = _split_sentences(self.text)
        self._sentence_starts = [s.start for s in self.sentences]
        self.numbers = find_numbers(self.text)
        self.names = find_names(self.text)
        self.dates = find_dates(self.text)

    @classmethod
    def build(cls, article: Article | str) -> EvidenceIndex:
        if isinstance(article, Article):
            return cls(article.text, article.published)
        return cls(article)

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
        (an ellipsis marks a cut), whitespace runs as one space."""
        sent = self.sentence_at(start)
        a, b = sent.start, max(sent.end, end)
        if b - a > 2 * width + (end - start):
            a, b = max(a, start - width), min(b, end + width)
        snippet = re.sub(r"\s+", " ", self.text[a:b]).strip()
        return ("…" if a > sent.start else "") + snippet + ("…" if b < sent.end else "")

    def numbers_in(self, start: int, end: int) -> list[NumberMention]:
        return [n for n in self.numbers if n.start >= start and n.end <= end]

    def names_in(self, start: int, end: int) -> list[NameMention]:
        return [n for n in self.names if n.start >= start and n.end <= end]

    def dates_in(self, start: int, end: int) -> list[DateMention]:
        return [d for d in self.dates if d.start >= start and d.end <= end]

    # -- numbers by value -------------------------------------------------------------------
    @cached_property
    def counts(self) -> list[NumberMention]:
        """The number mentions that count something: not a year, a date or a measure."""
        return [m for m in self.numbers if m.kind not in _NOT_A_COUNT]

    @cached_property
    def _by_value(self) -> tuple[dict[int, list[NumberMention]], dict[int, list[NumberMention]]]:
        """Mentions by each value they state: (any mention, counts only)."""
        any_value: dict[int, list[NumberMention]] = {}
        count_value: dict[int, list[NumberMention]] = {}
        for m in self.numbers:
            values = {m.low} if m.qualifier is Qualifier.vague else {m.low, m.high}
            for v in values:
                if v is None:
                    continue
                any_value.setdefault(v, []).append(m)
                if m.kind not in _NOT_A_COUNT:
                    count_value.setdefault(v, []).append(m)
        return any_value, count_value

    def stating(self, value: int, *, counts_only: bool = False) -> list[NumberMention]:
        """The mentions whose bounds state ``value`` (a vague quantity: only its low bound), in text
        order; ``counts_only``: only mentions that count something. The list is shared: do not change it."""
        return self._by_value[counts_only].get(value, [])

    # -- names ------------------------------------------------------------------------------
    @cached_property
    def _names_by_key(self) -> tuple[dict[str, list[NameMention]], dict[str, list[NameMention]]]:
        """Name mentions by their folded text, and by their canonical name."""
        by_fold: dict[str, list[NameMention]] = {}
        by_canonical: dict[str, list[NameMention]] = {}
        for n in self.names:
            key = fold(n.text)
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
        text = self.text
        pos = text.find(phrase) if phrase else -1
        while pos >= 0:
            if _word_bounded(text, pos, pos + len(phrase)):
                return pos, pos + len(phrase)
            pos = text.find(phrase, pos + 1)
        return None

    @cached_property
    def _words(self) -> tuple[list[tuple[int, int]], dict[str, list[int]]]:
        """Every word's (start, end), and the positions of the words by the first token of their fold."""
        text = self.text
        words = [(m.start(), m.end()) for m in _WORDS.finditer(text)]
        by_first: dict[str, list[int]] = {}
        for i, (ws, we) in enumerate(words):
            folded = fold(text[ws:we])  # "Sar-e" folds to "sar e": index it by its first token
            if folded:
                by_first.setdefault(folded.split(" ", 1)[0], []).append(i)
        return words, by_first

    def find_folded(self, key: str) -> tuple[int, int] | None:
        """The first run of 1-6 words of the text whose :func:`~llmextract.text.names.fold` is ``key``
        (a name the mention finder missed)."""
        if not key:
            return None
        words, by_first = self._words
        text = self.text
        first = key.split(" ", 1)[0]
        starts: list[int] = []
        for i in by_first.get(first, ()):
            starts += [i - 1, i] if i > 0 else [i]  # the word before may be an article that folds away
        for i in starts:
            for k in range(1, 7):
                if i + k > len(words):
                    break
                s, e = words[i][0], words[i + k - 1][1]
                got = fold(text[s:e])
                if got == key:
                    return s, e
                if len(got) > len(key) + 2:
                    break
        return None

    # -- quotes -----------------------------------------------------------------------------
    @cached_property
    def _normalized(self) -> tuple[str, list[int]]:
        """Text with quote marks, dashes and whitespace runs normalised, and a map back to offsets."""
        out: list[str] = []
        offsets: list[int] = []
        prev_space = False
        for i, ch in enumerate(self.text.translate(_QUOTE_MARKS)):
            if ch.isspace():
                if prev_space:
                    continue
                ch, prev_space = " ", True
            else:
                prev_space = False
            out.append(ch)
            offsets.append(i)
        offsets.append(len(self.text))
        return "".join(out), offsets

    def find(self, quote: str) -> tuple[int, int] | None:
        """The first verbatim occurrence of ``quote``: its (start, end) offsets, or None."""
        pos = self.text.find(quote) if quote else -1
        return (pos, pos + len(quote)) if pos >= 0 else None

    def align(self, quote: str, threshold: float = 0.9) -> Alignment | None:
        """Find ``quote`` in the text: exactly, after normalisation, or fuzzily above ``threshold``."""
        if not quote or not quote.strip():
            return None
        pos = self.text.find(quote)
        if pos >= 0:
            return Alignment(pos, pos + len(quote), "exact", 1.0)
        norm_text, offsets = self._normalized
        q = _normalize(quote)
        pos = norm_text.find(q)
        if pos < 0:
            low_text = norm_text.lower()
            pos = low_text.find(q.lower())
        if pos >= 0:
            return Alignment(offsets[pos], offsets[pos + len(q) - 1] + 1, "normalized", 1.0)
        if len(q) < 8:
            return None
        res = fuzz.partial_ratio_alignment(q.lower(), norm_text.lower(), score_cutoff=threshold * 100)
        if res is None or res.score < threshold * 100:
            return None
        start, end = offsets[res.dest_start], offsets[max(res.dest_start, res.dest_end - 1)] + 1
        return Alignment(start, end, "fuzzy", res.score / 100)

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
        text = self.text
        pos = text.find(quote)
        if pos >= 0:
            best, best_rank = pos, (2, 2)
            while pos >= 0:
                rank = (0 if _word_bounded(text, pos, pos + len(quote)) else 1,
                        0 if not prefer or _inside(pos, pos + len(quote), prefer) else 1)
                if rank < best_rank:
                    best, best_rank = pos, rank
                if rank == (0, 0):
                    break
                pos = text.find(quote, pos + 1)
            return Located(((best, best + len(quote)),), "exact", 1.0)
        a = self.align(quote, threshold)
        if a is not None:
            start, end = a.start, a.end
            if a.how == "fuzzy":  # snap to whole words
                while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
                    start -= 1
                while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
                    end += 1
            if a.how != "fuzzy" or _fuzzy_keeps_facts(quote, text[start:end], threshold):
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

    @cached_property
    def _lower(self) -> str:
        return self.text.lower()

    def nearest(self, quote: str) -> tuple[str, float] | None:
        """The passage closest to a quote that is not in the text, and its score (0-1), when it
        scores 0.40 or more: to show a person what the text says instead."""
        if len(quote.strip()) < 4:
            return None
        res = fuzz.partial_ratio_alignment(quote.lower(), self._lower)
        if res is None or res.score < 40:
            return None
        s, e = res.dest_start, res.dest_end
        return re.sub(r"\s+", " ", self.text[s:e]).strip(), round(res.score / 100, 2)

    # -- hints for the model ----------------------------------------------------------------
    def hints(self) -> list[str]:
        """Number phrases and names actually in the text, de-duplicated, in text order."""
        seen: set[str] = set()
        out: list[str] = []
        for item in sorted([*self.numbers, *self.names], key=lambda x: x.start):
            if getattr(item, "kind", "count") in ("year", "measure", "date"):
                continue
            key = fold(item.text)
            if key and key not in seen:
                seen.add(key)
                out.append(item.text)
        return out


def _normalize(s: str) -> str:
    return re.sub(r"\s+", " ", s.translate(_QUOTE_MARKS)).strip()


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
