"""The evidence index: the article read once, every fact with char offsets into the original text.

Everything downstream (the offline extractor, the prompt's hints, the grounding checks)
asks the index; nothing scans the raw text again.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import fuzz

from llmextract.text.dates import DateMention, find_dates
from llmextract.text.names import NameMention, find_names, fold, match_name
from llmextract.text.numbers import NumberMention, find_numbers
from llmextract.schema import Article

# Sentence ends: . ! ? (and a closing quote) followed by space and an upper-case letter, a
# digit or a quote; or a blank line. Common abbreviations are not ends.
_SENT_END = re.compile(
    r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9\u0600-\u06FF])|\n\s*\n|(?<=[a-z0-9])\n(?=\s*[A-Z])"
)
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Col|Lt|Sgt|Capt|Maj|Prof|St|No|Jr|Sr|Rep|Sen|Gov|vs|Inc|Co|Corp"
                     r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|\b(?:U\.S|U\.N|U\.K))\.$")
_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                              "`": "'", "´": "'", "–": "-", "—": "-", "‐": "-", "\u00a0": " "})


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

    def numbers_in(self, start: int, end: int) -> list[NumberMention]:
        return [n for n in self.numbers if n.start >= start and n.end <= end]

    def names_in(self, start: int, end: int) -> list[NameMention]:
        return [n for n in self.names if n.start >= start and n.end <= end]

    def dates_in(self, start: int, end: int) -> list[DateMention]:
        return [d for d in self.dates if d.start >= start and d.end <= end]

    def numbers_allowing(self, value: int) -> list[NumberMention]:
        """Mentions whose stated bounds include ``value`` (vague quantities: only their low bound)."""
        return [n for n in self.numbers if n.allows(value)]

    def match_names(self, candidate: str, kind: str | None = None,
                    threshold: float = 0.85) -> list[tuple[NameMention, str, float]]:
        """Text mentions the candidate name matches, best first: (mention, how, score)."""
        out: list[tuple[NameMention, str, float]] = []
        for mention in self.names:
            if kind and mention.kind not in (kind, "other"):
                continue
            m = match_name(candidate, mention.text)
            if m is None and mention.canonical:
                m = match_name(candidate, mention.canonical)
                if m is not None and m[0] in ("exact", "normalized"):
                    m = ("alias", 1.0)
            if m is not None and (m[0] != "fuzzy" or m[1] >= threshold):
                out.append((mention, m[0], m[1]))
        rank = {"exact": 0, "normalized": 1, "alias": 2, "fuzzy": 3}
        out.sort(key=lambda t: (rank[t[1]], -t[2], t[0].start))
        return out

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
