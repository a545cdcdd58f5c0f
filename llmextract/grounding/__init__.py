"""Grounding: every number, name, quote and date of an extraction checked against the source text.

::

    report = ground(result, article)          # ExtractionResult, ClaimList, any pydantic model, dict, list
    report.ok                                 # nothing unsupported
    for f in report.unsupported:              # Finding(path, value, verdict, spans, score, reason)
        print(f.path, f.value, f.verdict, f.reason)

What is checked, leaf by leaf (the markers of :mod:`llmextract.markers` say how; see below for
plain dicts):

* **numbers** (every int/float leaf that is not ``Skip``): ``exact`` when a number mention of
  the text states that value in digits ("20", the bound of "at least 12"); ``normalized`` when it
  is written otherwise ("Twenty", "a dozen", "5,961", the conservative low bound 12 of
  "Dozens"); ``derived`` when the value is only a sum or product of mentions (17 from "nine
  children and eight women"); ``misattached`` when the only mentions stating it lie outside the
  leaf's own evidence (see *locality*); ``unsupported`` otherwise.
* **names** (``Name()``): ``exact``, ``normalized`` (case, diacritics, hyphens, apostrophes,
  Arabic articles), ``alias`` (alias table, gazetteer alternate names, transliteration
  skeleton: "Dayr al-Zawr" for "Deir ez-Zor"; a skeleton alone only with three consonants or
  more, as Bunia and Beni share "ban"), ``fuzzy`` (rapidfuzz ratio of folded forms at or above
  the marker's threshold, with the score, and no more than a typo apart: one edit per six
  letters, so Bobangui is not Bangui), else ``unsupported``.
* **quotes** (``Quote()``): aligned exactly (whole-word occurrences first, inside the claim's
  sentences first), after quote-mark/whitespace/case normalisation, or fuzzily: the whole quote
  against the whole passage at the marker's threshold, at most one word in ten differing, every
  figure and every capitalised word as in the passage (one number or name changed is a
  different statement, not a typo). A quote with an ellipsis aligns piece by piece, in order.
  Else ``unsupported``.
* **dates**: a node with a ``phrase`` and a resolved ``date`` (:class:`~llmextract.schema.EventDate`)
  must be consistent with the phrase and the published date (:func:`llmextract.text.dates.consistent`):
  ``exact`` when the date is the one the phrase resolves to, ``normalized`` when it is another
  date the phrase allows (an earlier Monday), else ``unsupported`` with the reason, also when
  the phrase fixes no date ("on Saturday" with no published date).

**Locality.** Quotes say where a claim's figures may come from. The root and every list item
that holds figures or names of its own (a claim) is a scope: its *evidence* is the sentences its
quotes align to, figure phrases apart (a claim: its evidence quotes and date phrase). A figure
phrase (the quote of a node with figures, :attr:`Count.phrase`) must sit in those sentences; one
found only elsewhere is ``misattached`` ("17" lifted from another sentence), and so is one inside
another claim's evidence. With no evidence quotes, the claim's figure phrases are its evidence.
A number is then judged in the innermost scope holding any number mention: its Count's phrase,
that phrase's sentence, the claim's evidence; a mention there grounds it, a value stated only
outside is ``misattached``. Without any aligned quote there is no locality, and any mention
in the text grounds the value.

**Plain dicts and lists** carry no annotations: every number is grounded (except under keys
such as ``start``, ``end``, ``id``, ``score``), strings under place/organisation keys
(``place``, ``village``, ``city``, ``province``, ``country``, ``location``, ``claimant``,
``source``, ``perpetrator``, ``name``, ...) are names and strings under ``quote``,
``evidence``, ``text``, ``phrase`` (or ending in ``_quote``/``_phrase``) are quotes. A dict
with a ``claims`` list that validates as :class:`~llmextract.schema.ClaimList` (or, with
``provenance``, :class:`~llmextract.schema.ExtractionResult`) is read as that model first.

Offsets in every :class:`~llmextract.schema.Span` index the original text:
``text[span.start:span.end] == span.text``.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import itertools
import json
import logging
import re
import threading
import typing
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from llmextract.text.dates import consistent, resolve
from llmextract.errors import ConfigError, InputError
from llmextract.text.index import EvidenceIndex
from llmextract.markers import Grounded, Name, Quote, Skip
from llmextract.text.names import canonical_alias, fold, get_gazetteer, match_name, skeleton
from llmextract.text.numbers import NumberMention, find_numbers, parse_count
from llmextract.schema import (
    Article,
    ClaimList,
    Count,
    DatePrecision,
    ExtractionResult,
    Finding,
    Qualifier,
    Span,
    Verdict,
    claimlist_schema,
)

log = logging.getLogger(__name__)

__all__ = [
    "POLICIES",
    "GroundingReport",
    "ground",
    "claims_validator",
    "apply_policy",
    "grounded_schema",
    "from_grounded",
    "index_for",
    "render_findings",
]

POLICIES = ("strict", "flag", "off")

Marker = Grounded | Name | Quote | Skip
_MARKERS = (Grounded, Name, Quote, Skip)
_GROUNDED = Grounded()
_QUOTE = Quote()
_COUNT_FIELDS = ("killed", "injured", "children_killed", "women_killed", "men_killed")
_STRICT_FIELDS = ("killed", "injured", "place", "attribution.claimant")
_NOT_A_COUNT = ("year", "date", "measure")

# Plain dicts: how a key says what its value is.
_PLACE_KEYS = frozenset({"place", "places", "location", "locations", "village", "city", "town", "province",
                         "country", "district", "region", "locality", "governorate", "settlement", "admin1",
                         "admin2", "admin3", "where"})
_ORG_KEYS = frozenset({"claimant", "source", "sources", "perpetrator", "perpetrators", "relay", "relays", "outlet",
                       "actor", "actor1", "actor2", "organization", "organisation", "org", "agency", "group"})
_PERSON_KEYS = frozenset({"person", "victim_name", "spokesperson", "spokesman"})
_ANY_NAME_KEYS = frozenset({"name", "names", "entity", "entities"})
_QUOTE_KEYS = frozenset({"quote", "quotes", "evidence", "text", "phrase", "excerpt", "snippet", "span_text",
                         "source_text", "verbatim"})
_SKIP_KEYS = frozenset({"start", "end", "offset", "char_start", "char_end", "start_char", "end_char", "begin",
                        "id", "index", "idx", "score", "confidence", "probability", "prob", "attempts",
                        "version", "page", "line", "latency_s", "tokens", "prompt_tokens", "completion_tokens",
                        "total_tokens", "rank", "position"})


# ============================================================================ the report


class GroundingReport(BaseModel):
    """The findings of one grounding run, in the order the leaves were walked."""

    findings: list[Finding] = Field(default_factory=list)
    accepted: list[str] = Field(
        default_factory=list, description="Paths whose derived value is accepted (Grounded(derived_ok=True)).")

    def _bad(self, f: Finding) -> bool:
        return not f.ok and not (f.verdict is Verdict.derived and f.path in self.accepted)

    @property
    def unsupported(self) -> list[Finding]:
        """Every finding that is not grounded: unsupported, misattached or derived (unless accepted)."""
        return [f for f in self.findings if self._bad(f)]

    @property
    def ok(self) -> bool:
        return not any(self._bad(f) for f in self.findings)

    @property
    def by_path(self) -> dict[str, Finding]:
        return {f.path: f for f in self.findings}

    @property
    def summary(self) -> dict[str, int]:
        """How many findings of each verdict (every verdict listed, zeros included)."""
        out = {v.value: 0 for v in Verdict}
        for f in self.findings:
            out[f.verdict.value] += 1
        return out

    def for_claim(self, index: int, root: str = "claims") -> list[Finding]:
        prefix = f"{root}[{index}]"
        return [f for f in self.findings if f.path == prefix or f.path.startswith(prefix + ".")]

    def to_messages(self) -> list[str]:
        """One line per problem, for a person or for re-asking a model: path, value, verdict, what the text says."""
        return [_message(f) for f in self.unsupported]


def _message(f: Finding) -> str:
    advice = {
        Verdict.derived: "Do not add up or multiply figures: give each figure as the text states it, in its own field.",
        Verdict.misattached: "That figure belongs to another statement; use the figure this claim's own words state.",
    }.get(f.verdict, "")
    reason = f.reason.rstrip(". ") + "."
    return f"{f.path} = {_show(f.value)}: {f.verdict.value}. {reason}" + (f" {advice}" if advice else "")


def _show(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


# ============================================================================ index cache

_CACHE_SIZE = 64
_INDEX_CACHE: OrderedDict[tuple[str, Any], EvidenceIndex] = OrderedDict()
_INDEX_LOCK = threading.Lock()


def index_for(source: str | Article | EvidenceIndex) -> EvidenceIndex:
    """The evidence index of a text or article, from a small LRU cache keyed by content hash and published date."""
    if isinstance(source, EvidenceIndex):
        return source
    article = _as_article(source)
    key = (hashlib.sha256(article.text.encode("utf-8", "surrogatepass")).hexdigest(), article.published)
    with _INDEX_LOCK:
        index = _INDEX_CACHE.get(key)
        if index is not None:
            _INDEX_CACHE.move_to_end(key)
            return index
    index = EvidenceIndex.build(article)
    with _INDEX_LOCK:
        _INDEX_CACHE[key] = index
        while len(_INDEX_CACHE) > _CACHE_SIZE:
            _INDEX_CACHE.popitem(last=False)
    return index


def _as_article(source: str | Article) -> Article:
    if isinstance(source, Article):
        return source
    if isinstance(source, str):
        return Article(text=source)
    raise InputError(f"ground() needs the article text, an Article or an EvidenceIndex, not {type(source).__name__}")


# ============================================================================ per-index helpers


@dataclass
class _Aux:
    """Look-up tables over one index, built once per index and kept on it."""

    index: EvidenceIndex
    count_by_value: dict[int, list[NumberMention]] = field(default_factory=dict)
    any_by_value: dict[int, list[NumberMention]] = field(default_factory=dict)
    counts: list[NumberMention] = field(default_factory=list)
    name_by_fold: dict[str, list[Any]] = field(default_factory=dict)
    name_by_canonical: dict[str, list[Any]] = field(default_factory=dict)
    _words: list[tuple[int, int]] | None = None
    _span_sentences: dict[tuple[int, int], tuple[tuple[int, int], ...]] = field(default_factory=dict)
    _word_pos: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for m in self.index.numbers:
            values = {m.low} if m.qualifier is Qualifier.vague else {m.low, m.high}
            for v in values:
                if v is None:
                    continue
                self.any_by_value.setdefault(v, []).append(m)
                if m.kind not in _NOT_A_COUNT:
                    self.count_by_value.setdefault(v, []).append(m)
            if m.kind not in _NOT_A_COUNT:
                self.counts.append(m)
        for n in self.index.names:
            key = fold(n.text)
            if key:
                self.name_by_fold.setdefault(key, []).append(n)
            if n.canonical:
                self.name_by_canonical.setdefault(n.canonical, []).append(n)

    def sentences_of_span(self, s: int, e: int) -> tuple[tuple[int, int], ...]:
        """(start, end) of the sentences a span touches, cached per index."""
        got = self._span_sentences.get((s, e))
        if got is None:
            first = self.index.sentence_at(s).index
            last = self.index.sentence_at(max(s, e - 1)).index
            got = tuple((x.start, x.end) for x in self.index.sentences[first:last + 1])
            self._span_sentences[(s, e)] = got
        return got

    def find_folded(self, key: str) -> tuple[int, int] | None:
        """The first run of 1-6 words of the text whose :func:`fold` is ``key`` (a name the mention finder missed)."""
        if not key:
            return None
        if self._words is None:
            text = self.index.text
            self._words = [(m.start(), m.end()) for m in _WORDS.finditer(text)]
            self._word_pos = {}
            for i, (ws, we) in enumerate(self._words):
                folded = fold(text[ws:we])  # "Sar-e" folds to "sar e": index it by its first token
                if folded:
                    self._word_pos.setdefault(folded.split(" ", 1)[0], []).append(i)
        words, text = self._words, self.index.text
        first = key.split(" ", 1)[0]
        starts: list[int] = []
        for i in self._word_pos.get(first, ()):
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


_WORDS = re.compile(r"[\w\u0300-\u036f]+(?:['’ʼ`\-‐‑][\w\u0300-\u036f]+)*")
_AUX_ATTR = "_llmextract_grounding_aux"


def _aux(index: EvidenceIndex) -> _Aux:
    aux = index.__dict__.get(_AUX_ATTR)
    if aux is None:
        aux = _Aux(index)
        index.__dict__[_AUX_ATTR] = aux
    return aux


# ============================================================================ field markers


def _markers_in(tp: Any) -> Marker | None:
    """The first marker anywhere inside a type annotation (Annotated, unions, list items)."""
    if typing.get_origin(tp) is typing.Annotated:
        for meta in tp.__metadata__:
            if isinstance(meta, _MARKERS):
                return meta
        return _markers_in(typing.get_args(tp)[0])
    for arg in typing.get_args(tp):
        found = _markers_in(arg)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=512)
def _model_fields(cls: type[BaseModel]) -> tuple[tuple[str, Marker | None], ...]:
    out: list[tuple[str, Marker | None]] = []
    for name, info in cls.model_fields.items():
        marker = next((m for m in info.metadata if isinstance(m, _MARKERS)), None)
        if marker is None:
            marker = _markers_in(info.annotation)
        out.append((name, marker))
    return tuple(out)


def _key_marker(key: str) -> Marker | None:
    k = key.lower()
    last = k.rsplit("_", 1)[-1]
    if k in _SKIP_KEYS:
        return Skip()
    if k in _QUOTE_KEYS or last in ("quote", "phrase", "evidence", "excerpt"):
        return _QUOTE
    if k in _PLACE_KEYS or last in ("place", "village", "city", "town", "province", "country", "location"):
        return Name(kind="place")
    if k in _ORG_KEYS or last in ("claimant", "perpetrator", "source", "outlet", "agency"):
        return Name(kind="org")
    if k in _PERSON_KEYS:
        return Name(kind="person")
    if k in _ANY_NAME_KEYS or last == "name":
        return Name()
    return None


def _children(obj: Any) -> list[tuple[str, Any, Marker | None]]:
    """(path piece, value, marker) of a model's fields or a dict's items."""
    if isinstance(obj, BaseModel):
        return [(name, getattr(obj, name, None), marker) for name, marker in _model_fields(type(obj))]
    if isinstance(obj, dict):
        return [(str(k), v, _key_marker(str(k))) for k, v in obj.items()]
    return []


def children_names(obj: Any) -> Any:
    """The field names of a model (cached per class) or the keys of a dict."""
    if isinstance(obj, BaseModel):
        return _field_names(type(obj))
    return obj.keys() if isinstance(obj, dict) else ()


@lru_cache(maxsize=512)
def _field_names(cls: type[BaseModel]) -> frozenset[str]:
    return frozenset(cls.model_fields)


def _join(path: str, piece: str) -> str:
    return f"{path}.{piece}" if path else piece


# ============================================================================ alignment


@dataclass(frozen=True)
class _Aligned:
    spans: tuple[tuple[int, int], ...]
    how: str  # exact | normalized | fuzzy
    score: float


_ELLIPSIS = re.compile(r"\s*(?:\.\s?\.\s?\.|…|\[\.\.\.\])\s*")
_CAP_TOKEN = re.compile(r"\b[A-Z]\w*")


def _fuzzy_keeps_facts(quote: str, found: str, threshold: float) -> bool:
    """A fuzzy alignment may differ in spacing, punctuation or a typo, never in a figure or a name.

    The whole quote must match the whole passage (rapidfuzz ratio, not just a partial match), its
    figures must be the passage's, at most one word in ten (at least one) may differ, and every
    capitalised word must be in the passage as it is (folded).
    """
    if fuzz.ratio(_squash(quote), _squash(found)) < threshold * 100:
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


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s.translate(_QUOTE_MARKS)).strip().lower()


_QUOTE_MARKS = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "‚": "'",
                              "`": "'", "´": "'", "–": "-", "—": "-", "‐": "-", "\u00a0": " "})


# ============================================================================ the walk


@dataclass(frozen=True)
class _Scope:
    spans: tuple[tuple[int, int], ...]
    label: str


@dataclass(frozen=True)
class _Ctx:
    scopes: tuple[_Scope, ...] = ()
    count_phrase: tuple[int, int] | None = None  # the aligned phrase of the Count being walked
    count_phrase_text: str | None = None
    is_count: bool = False
    foreign: tuple[tuple[int, int], ...] = ()  # sentences of the other claims' evidence


@dataclass(frozen=True)
class _Quoted:
    path: str
    text: str
    threshold: float
    figure: bool  # the phrase of a node with figures of its own (Count.phrase)
    parent: str  # the path of the node that holds it


@lru_cache(maxsize=512)
def _count_like_model(cls: type[BaseModel]) -> bool:
    return issubclass(cls, Count) or any(isinstance(m, Grounded) for _n, m in _model_fields(cls))


class _Grounder:
    def __init__(self, index: EvidenceIndex, published: dt.date | None) -> None:
        self.index = index
        self.text = index.text
        self.published = published
        self.aux = _aux(index)
        self.findings: list[Finding] = []
        self.accepted: list[str] = []
        self._aligned: dict[str, _Aligned | None] = {}
        self._own_scope: dict[int, bool] = {}
        self._outside: dict[str, str] = {}  # figure phrases found outside their claim: why
        self._collected: dict[str, list[_Quoted]] = {}
        self._home: dict[tuple[tuple[_Scope, ...], bool], _Scope | None] = {}
        self._spans: dict[tuple[int, int], Span] = {}
        self._by_parent: dict[str, list[_Quoted]] = {}
        self._judged: set[str] = set()
        self._sentences: dict[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]] = {}

    # -- spans
    def span(self, s: int, e: int) -> Span:
        span = self._spans.get((s, e))
        if span is None:
            span = self._spans[(s, e)] = Span(start=s, end=e, text=self.text[s:e])
        return span

    def context(self, s: int, e: int, width: int = 60) -> str:
        sent = self.index.sentence_at(s)
        a, b = sent.start, max(sent.end, e)
        if b - a > 2 * width + (e - s):
            a, b = max(a, s - width), min(b, e + width)
        snippet = re.sub(r"\s+", " ", self.text[a:b]).strip()
        return ("…" if a > sent.start else "") + snippet + ("…" if b < sent.end else "")

    def sentences_of(self, spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
        key = tuple(spans)
        got = self._sentences.get(key)
        if got is None:
            got = self._sentences[key] = self._sentences_of(key)
        return got

    def _sentences_of(self, spans: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
        if len(spans) == 1:
            return self.aux.sentences_of_span(*spans[0])
        out: set[tuple[int, int]] = set()
        for s, e in spans:
            out.update(self.aux.sentences_of_span(s, e))
        return tuple(sorted(out))

    # -- quotes
    def align(self, quote: str, threshold: float, prefer: tuple[tuple[int, int], ...] = ()) -> _Aligned | None:
        if not quote or not quote.strip():
            return None
        text = self.text
        pos = text.find(quote)
        if pos >= 0:
            # the best occurrence: whole words ("9", not the 9 of "190"), inside the preferred sentences
            best, best_rank = pos, (2, 2)
            while pos >= 0:
                rank = (0 if _word_bounded(text, pos, pos + len(quote)) else 1,
                        0 if not prefer or _inside(pos, pos + len(quote), prefer) else 1)
                if rank < best_rank:
                    best, best_rank = pos, rank
                if rank == (0, 0):
                    break
                pos = text.find(quote, pos + 1)
            return _Aligned(((best, best + len(quote)),), "exact", 1.0)
        a = self.index.align(quote, threshold)
        if a is not None:
            start, end = a.start, a.end
            if a.how == "fuzzy":  # snap to whole words
                while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
                    start -= 1
                while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
                    end += 1
            if a.how != "fuzzy" or _fuzzy_keeps_facts(quote, text[start:end], threshold):
                return _Aligned(((start, end),), a.how, round(a.score, 4))
        parts = [p for p in _ELLIPSIS.split(quote) if p.strip()]
        if len(parts) >= 2:
            spans: list[tuple[int, int]] = []
            worst, score, cursor = "exact", 1.0, 0
            rank = {"exact": 0, "normalized": 1, "fuzzy": 2}
            for part in parts:
                got = self.align(part, threshold)
                if got is None or got.spans[0][0] < cursor:
                    return None
                spans.extend(got.spans)
                cursor = got.spans[-1][1]
                score = min(score, got.score)
                worst = max(worst, got.how, key=rank.__getitem__)
            return _Aligned(tuple(spans), "normalized" if worst == "exact" else worst, score)
        return None

    def nearest(self, quote: str) -> tuple[str, float] | None:
        if len(quote.strip()) < 4:
            return None
        res = fuzz.partial_ratio_alignment(quote.lower(), self.text.lower())
        if res is None or res.score < 40:
            return None
        s, e = res.dest_start, res.dest_end
        return re.sub(r"\s+", " ", self.text[s:e]).strip(), round(res.score / 100, 2)

    # -- pre-pass: which quotes a node's subtree holds
    def own_scope(self, obj: Any) -> bool:
        """Whether a list item is a scope of its own: it holds figures or names (a claim), not only quotes."""
        key = id(obj)
        if key in self._own_scope:
            return self._own_scope[key]
        found = False
        for _piece, value, marker in _children(obj):
            if isinstance(marker, Skip) or value is None or isinstance(value, bool):
                continue
            values = value if isinstance(value, list | tuple) else [value]
            for v in values:
                if isinstance(v, bool):
                    continue
                if isinstance(v, int | float) or (isinstance(v, str) and isinstance(marker, Name)) or (
                        isinstance(v, BaseModel | dict) and self.own_scope(v)):
                    found = True
                    break
            if found:
                break
        self._own_scope[key] = found
        return found

    def count_like(self, obj: Any) -> bool:
        """A node whose quote states its own figures (a Count and its phrase)."""
        if isinstance(obj, BaseModel):
            return _count_like_model(type(obj))
        if isinstance(obj, dict):
            return "low" in obj or "high" in obj or any(
                isinstance(v, int | float) and not isinstance(v, bool) and not isinstance(_key_marker(str(k)), Skip)
                for k, v in obj.items())
        return False

    def collect_quotes(self, obj: Any, path: str, out: list[_Quoted]) -> None:
        figure = self.count_like(obj)
        for piece, value, marker in _children(obj):
            self._collect_value(value, _join(path, piece), marker, out, figure, path)

    def _collect_value(self, value: Any, path: str, marker: Marker | None, out: list[_Quoted], figure: bool,
                       parent: str) -> None:
        if isinstance(marker, Skip) or value is None:
            return
        if isinstance(value, str):
            if isinstance(marker, Quote):
                out.append(_Quoted(path, value, marker.threshold, figure, parent))
        elif isinstance(value, BaseModel | dict):
            self.collect_quotes(value, path, out)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel | dict) and self.own_scope(item):
                    continue  # a list item with figures or names of its own (a claim) is a scope of its own
                self._collect_value(item, f"{path}[{i}]", marker, out, figure, path)

    def collected(self, obj: Any, path: str) -> list[_Quoted]:
        """The quotes of a scope root's subtree, collected once; also indexed by the node that holds them."""
        got = self._collected.get(path)
        if got is None:
            got = []
            self.collect_quotes(obj, path, got)
            self._collected[path] = got
            for q in got:
                self._by_parent.setdefault(q.parent, []).append(q)
        return got

    def aligned(self, q: _Quoted, prefer: tuple[tuple[int, int], ...]) -> _Aligned | None:
        if q.path not in self._aligned:
            self._aligned[q.path] = self.align(q.text, q.threshold, prefer)
        return self._aligned[q.path]

    def anchors(self, obj: Any, path: str) -> tuple[tuple[int, int], ...]:
        """The sentences of a node's evidence (its quotes that are not figure phrases)."""
        spans: list[tuple[int, int]] = []
        for q in sorted((q for q in self.collected(obj, path) if not q.figure), key=lambda q: -len(q.text)):
            got = self.aligned(q, self.sentences_of(spans))
            if got is not None:
                spans.extend(got.spans)
        return self.sentences_of(spans)

    def node_scopes(self, obj: Any, path: str, ctx: _Ctx) -> _Ctx:
        """Scopes of a scope root (the root, a claim): its evidence sentences; its figure phrases judged."""
        quotes = self.collected(obj, path)
        if not quotes:
            return ctx
        outer = tuple(s for scope in ctx.scopes for s in scope.spans)
        anchor_spans: list[tuple[int, int]] = []
        for q in sorted((q for q in quotes if not q.figure), key=lambda q: -len(q.text)):
            got = self.aligned(q, self.sentences_of(anchor_spans) if anchor_spans else outer)
            if got is not None:
                anchor_spans.extend(got.spans)
        anchor_sents = self.sentences_of(anchor_spans)
        scope_spans = list(anchor_spans)
        for q in sorted((q for q in quotes if q.figure), key=lambda q: -len(q.text)):
            got = self.aligned(q, anchor_sents or outer)
            if got is None or q.path in self._outside:
                continue
            if q.path not in self._judged:
                self._judged.add(q.path)
                why = self.outside(got, anchor_sents, ctx.foreign)
                if why:
                    self._outside[q.path] = why
                    continue
            scope_spans.extend(got.spans)
        if scope_spans:
            ctx = _Ctx((_Scope(self.sentences_of(scope_spans), "this claim's evidence"), *ctx.scopes),
                       ctx.count_phrase, ctx.count_phrase_text, ctx.is_count, ctx.foreign)
        return self.direct_scopes(path, ctx)

    def direct_scopes(self, path: str, ctx: _Ctx) -> _Ctx:
        """Scopes of a node with quotes of its own (a Count): their sentences, then their exact spans."""
        spans: list[tuple[int, int]] = []
        phrase_span: tuple[int, int] | None = None
        phrase_text: str | None = None
        for q in self._by_parent.get(path, ()):
            if q.path in self._outside:
                continue
            got = self._aligned.get(q.path)
            if got is not None:
                spans.extend(got.spans)
                if phrase_span is None:
                    phrase_span, phrase_text = (got.spans[0][0], got.spans[-1][1]), q.text
        if not spans:
            return ctx
        scopes = (_Scope(tuple(spans), "its own phrase"), _Scope(self.sentences_of(spans), "its own sentence"),
                  *ctx.scopes)
        return _Ctx(scopes, phrase_span, phrase_text, ctx.is_count, ctx.foreign)

    def outside(self, got: _Aligned, anchors: tuple[tuple[int, int], ...],
                foreign: tuple[tuple[int, int], ...]) -> str | None:
        """Why a figure phrase found at ``got`` does not belong to the claim whose evidence is ``anchors``."""
        s, e = got.spans[0][0], got.spans[-1][1]
        if anchors and _inside(s, e, anchors):
            return None
        where = f"“{self.context(s, e)}”"
        if foreign and _inside(s, e, foreign):
            return f"found in {where}, which is another claim's evidence, not this claim's"
        if anchors:
            return f"found in {where}, outside the sentences this claim quotes as its evidence"
        return None

    # -- walking
    def walk(self, obj: Any, path: str, marker: Marker | None, ctx: _Ctx) -> None:
        if obj is None or isinstance(marker, Skip):
            return
        if isinstance(obj, BaseModel | dict):
            self.walk_node(obj, path, ctx)
        elif isinstance(obj, list | tuple):
            scoped = [i for i, item in enumerate(obj) if isinstance(item, BaseModel | dict) and self.own_scope(item)]
            anchors = {i: self.anchors(obj[i], f"{path}[{i}]") for i in scoped} if len(scoped) > 1 else {}
            for i, item in enumerate(obj):
                if isinstance(item, BaseModel | dict):
                    item_ctx = ctx
                    if anchors and i in anchors:
                        own = set(anchors[i])
                        foreign = tuple(sorted({s for j, a in anchors.items() if j != i for s in a} - own))
                        item_ctx = _Ctx(ctx.scopes, None, None, ctx.is_count, foreign)
                    self.walk_node(item, f"{path}[{i}]", item_ctx, item=True)
                else:
                    self.walk(item, f"{path}[{i}]", marker, ctx)
        elif isinstance(obj, bool):
            return
        elif isinstance(obj, int | float):
            self.number(obj, path or "value", marker if isinstance(marker, Grounded) else _GROUNDED, ctx)
        elif isinstance(obj, str):
            if isinstance(marker, Name):
                self.name(obj, path or "value", marker)
            elif isinstance(marker, Quote):
                self.quote(obj, path or "value", marker)

    def walk_node(self, obj: BaseModel | dict, path: str, ctx: _Ctx, *, item: bool = False) -> None:
        is_count = isinstance(obj, Count) or (
            isinstance(obj, dict) and "phrase" in obj and ("low" in obj or "high" in obj))
        children = _children(obj)
        if is_count != ctx.is_count or ctx.count_phrase is not None:
            ctx = _Ctx(ctx.scopes, None, None, is_count, ctx.foreign)
        # Scopes start at the root and at list items with figures or names (a claim); a node with quotes
        # of its own (a Count) narrows them to its phrase.
        if not path or (item and self.own_scope(obj)):
            ctx = self.node_scopes(obj, path, ctx)
        elif path in self._by_parent:
            ctx = self.direct_scopes(path, ctx)
        prefix = path + "." if path else ""
        for piece, value, marker in children:
            # what walk() would skip, skipped here without a call: None, Skip, unmarked strings, booleans
            if value is None or value is True or value is False or marker.__class__ is Skip or (
                    value.__class__ is str and marker is None):
                continue
            self.walk(value, prefix + piece, marker, ctx)
        if "date" in children_names(obj):
            self.date_check(obj, path, children)

    # -- numbers
    def number(self, raw: int | float, path: str, marker: Grounded, ctx: _Ctx) -> None:
        if isinstance(raw, float) and not raw.is_integer():
            self.add(path, raw, Verdict.unsupported, reason=f"{raw} is not a whole number; the text states counts")
            return
        value = int(raw)
        by_value = self.aux.count_by_value if ctx.is_count else self.aux.any_by_value
        allowing = by_value.get(value, [])
        mentions = self.aux.counts if ctx.is_count else self.index.numbers
        # a singular victim: "A muezzin" is one, "a mayor and his secretary" two
        if ctx.is_count and ctx.count_phrase is not None and value in (1, 2) and ctx.count_phrase_text:
            s, e = ctx.count_phrase
            if not any(_overlaps(m, ((s, e),)) for m in mentions) and _singular(ctx.count_phrase_text) == value:
                noun = "one person" if value == 1 else "two people"
                self.add(path, raw, Verdict.normalized, [self.span(s, e)],
                         reason=f"the phrase {self.text[s:e]!r} names {noun}")
                return
        key = (ctx.scopes, ctx.is_count)
        if key in self._home:
            home = self._home[key]
        else:
            home = next((scope for scope in ctx.scopes if any(_overlaps(m, scope.spans) for m in mentions)), None)
            self._home[key] = home
        if home is None:  # no locality known: any mention grounds it
            if allowing:
                self.grounded_number(path, raw, value, allowing[0])
                return
            if self.derived(path, raw, value, marker, mentions, None):
                return
            self.add(path, raw, Verdict.unsupported, reason=self.absent_reason(value, mentions, ()))
            return
        local = [m for m in allowing if _overlaps(m, home.spans)]
        if local:
            self.grounded_number(path, raw, value, local[0])
            return
        home_mentions = [m for m in mentions if _overlaps(m, home.spans)]
        if self.derived(path, raw, value, marker, home_mentions, home):
            return
        if allowing:
            m = allowing[0]
            stated = ", ".join(repr(x.text) for x in home_mentions[:4])
            self.add(path, raw, Verdict.misattached, [self.span(m.start, m.end) for m in allowing[:3]],
                     reason=f"{value} is stated as {m.text!r} in “{self.context(m.start, m.end)}”, outside "
                            f"{home.label}, which states {stated}")
            return
        for scope in ctx.scopes:
            if scope is home:
                continue
            if self.derived(path, raw, value, marker, [m for m in mentions if _overlaps(m, scope.spans)], scope):
                return
        self.add(path, raw, Verdict.unsupported, reason=self.absent_reason(value, home_mentions, home.spans))

    def absent_reason(self, value: int, near: list[NumberMention], spans: tuple[tuple[int, int], ...]) -> str:
        if near and spans:
            stated = "; ".join(f"{m.text!r} ({_bounds(m)})" for m in near[:5])
            return f"{value} is not stated in the text; the claim's own words state {stated}"
        figures = ", ".join(sorted({m.text for m in self.aux.counts}, key=self.text.find)[:10])
        return f"{value} is not stated anywhere in the text" + (f"; its figures are {figures}" if figures else "")

    def grounded_number(self, path: str, raw: Any, value: int, m: NumberMention) -> None:
        if m.qualifier is Qualifier.vague:
            verdict = Verdict.normalized
            reason = f"{m.text!r} is a vague quantity; {value} is its conservative low bound"
        elif re.search(rf"(?<![\d,.]){value}(?![\d]|[.,]\d)", m.text):
            verdict = Verdict.exact
            reason = f"stated as {m.text!r}" + (f" ({_bounds(m)})" if m.qualifier is not Qualifier.exact else "")
        else:
            verdict = Verdict.normalized
            reason = f"{m.text!r} = {_bounds(m)}"
        self.add(path, raw, verdict, [self.span(m.start, m.end)], reason=reason)

    def derived(self, path: str, raw: Any, value: int, marker: Grounded, pool: list[NumberMention],
                scope: _Scope | None) -> bool:
        """value = a sum of 2-3 or a product of 2 figures, in one scope (or, without one, one sentence)."""
        groups: list[list[NumberMention]]
        if scope is None:
            by_sentence: dict[int, list[NumberMention]] = {}
            for m in pool:
                by_sentence.setdefault(self.index.sentence_at(m.start).index, []).append(m)
            groups = list(by_sentence.values())
        else:
            groups = [pool]
        for group in groups:
            found = _combination(value, [m for m in group if m.value is not None][:12])
            if found is None:
                continue
            terms, op = found
            expr = f" {op} ".join(str(m.value) for m in terms)
            words = " and ".join(repr(m.text) for m in terms)
            self.add(path, raw, Verdict.derived, [self.span(m.start, m.end) for m in terms],
                     reason=f"{value} is not stated; it is computed from {words} ({expr} = {value})")
            if marker.derived_ok:
                self.accepted.append(path)
            return True
        return False

    # -- names
    def name(self, value: str, path: str, marker: Name) -> None:
        if not value.strip():
            return
        got = self.find_name(value.strip(), marker)
        if got is None and value.strip().lower().startswith("the "):
            got = self.find_name(value.strip()[4:], marker)
        if got is None:
            self.add(path, value, Verdict.unsupported, reason=self.name_absent(value, marker))
            return
        verdict, (s, e), score, reason = got
        self.add(path, value, verdict, [self.span(s, e)], score=score, reason=reason)

    def find_name(self, value: str, marker: Name) -> tuple[Verdict, tuple[int, int], float | None, str] | None:
        text = self.text
        pos = text.find(value)
        while pos >= 0:
            if _word_bounded(text, pos, pos + len(value)):
                return Verdict.exact, (pos, pos + len(value)), None, "appears verbatim"
            pos = text.find(value, pos + 1)
        key = fold(value)
        if not key:
            return None
        for n in self.aux.name_by_fold.get(key, ()):
            return Verdict.normalized, (n.start, n.end), None, f"{n.text!r} once case, diacritics, hyphens and " \
                                                               "articles are folded"
        canon = canonical_alias(value)
        if canon is not None:
            for n in self.aux.name_by_canonical.get(canon, ()):
                return Verdict.alias, (n.start, n.end), None, f"{n.text!r} is another name of {canon} (alias table)"
        found = self.aux.find_folded(key)
        if found:
            s, e = found
            return Verdict.normalized, (s, e), None, f"{text[s:e]!r} once case, diacritics, hyphens and " \
                                                     "articles are folded"
        if marker.kind in (None, "place"):
            for variant in sorted(get_gazetteer().variants(value)):
                found = self.aux.find_folded(fold(variant))
                if found:
                    s, e = found
                    return Verdict.alias, (s, e), None, f"{text[s:e]!r} is another name of the same place " \
                                                        "(gazetteer alternate names)"
        best: tuple[Verdict, tuple[int, int], float | None, str] | None = None
        best_score = -1.0
        for n in self.index.names:
            m = match_name(value, n.text, threshold=marker.threshold)
            how = None if m is None else m[0]
            if m is None and n.canonical:
                m2 = match_name(value, n.canonical, threshold=marker.threshold)
                if m2 is not None and m2[0] != "fuzzy":
                    m, how = ("alias", 1.0), "alias"
            if m is None:
                continue
            if how == "alias":
                kind = self.alias_kind(value, n.text)
                if kind is None:
                    continue
                return Verdict.alias, (n.start, n.end), None, f"{n.text!r} is another spelling of the same " \
                                                              f"{'place' if n.kind == 'place' else 'name'} ({kind})"
            if how in ("exact", "normalized"):
                return Verdict.normalized, (n.start, n.end), None, f"{n.text!r} once folded"
            if Levenshtein.distance(fold(value), fold(n.text)) > max(1, max(len(value), len(n.text)) // 6):
                continue  # more than a typo apart: Bobangui is not Bangui
            if m[1] > best_score:
                best_score = m[1]
                best = (Verdict.fuzzy, (n.start, n.end), round(m[1], 3),
                        f"closest name {n.text!r} scores {m[1]:.2f} (threshold {marker.threshold:.2f})")
        return best

    def alias_kind(self, value: str, target: str) -> str | None:
        """How two names are one: the alias table, the gazetteer, or a transliteration skeleton.

        A skeleton alone is trusted only with three consonants or more: short skeletons collide
        (Bunia and Beni are both "ban", different towns).
        """
        ca = canonical_alias(value)
        if ca is not None and ca == canonical_alias(target):
            return "alias table"
        target_key = fold(target)
        if any(fold(v) == target_key for v in get_gazetteer().variants(value)):
            return "gazetteer"
        key = skeleton(value)
        if key == skeleton(target) and sum(1 for c in key if c.isalpha() and c != "a") >= 3:
            return "transliteration"
        return None

    def name_absent(self, value: str, marker: Name) -> str:
        kinds = {marker.kind, "other"} if marker.kind else None
        seen: dict[str, None] = {}
        for n in self.index.names:
            if kinds is None or n.kind in kinds:
                seen.setdefault(n.text, None)
        listed = ", ".join(list(seen)[:12])
        what = {"place": "places", "org": "parties", "person": "people"}.get(marker.kind or "", "names")
        return (f"{value!r} is not in the text, as written or as a known variant (folded, alias, gazetteer, "
                f"transliteration, fuzzy >= {marker.threshold:.2f})" + (f"; {what} the text names: {listed}"
                                                                         if listed else ""))

    # -- quotes
    def quote(self, value: str, path: str, marker: Quote) -> None:
        if path not in self._aligned:
            self._aligned[path] = self.align(value, marker.threshold)
        got = self._aligned[path]
        if got is not None and path in self._outside:
            self.add(path, value, Verdict.misattached, [self.span(s, e) for s, e in got.spans],
                     reason=self._outside[path])
            return
        if got is None:
            if not value.strip():
                self.add(path, value, Verdict.unsupported, reason="the quote is empty")
                return
            near = self.nearest(value)
            reason = "not found in the text, exactly, normalised or fuzzily"
            if near is not None:
                reason += f"; the closest passage (score {near[1]:.2f}) reads “{near[0]}”"
            self.add(path, value, Verdict.unsupported, reason=reason)
            return
        verdict = Verdict(got.how)
        reason = {"exact": "found verbatim", "normalized": "found once quote marks, dashes, spaces and case are "
                  "normalised", "fuzzy": f"found fuzzily (score {got.score:.2f} >= {marker.threshold:.2f}); "
                  "its figures and names match"}[got.how]
        if len(got.spans) > 1:
            reason = f"found in {len(got.spans)} pieces around the ellipsis"
        self.add(path, value, verdict, [self.span(s, e) for s, e in got.spans],
                 score=got.score if got.how == "fuzzy" else None, reason=reason)

    # -- dates
    def date_check(self, obj: Any, path: str, children: list[tuple[str, Any, Marker | None]]) -> None:
        values = {piece: value for piece, value, _m in children}
        if "date" not in values or "phrase" not in values:
            return
        when, phrase = values["date"], values["phrase"]
        if isinstance(when, str):
            try:
                when = dt.date.fromisoformat(when[:10])
            except ValueError:
                self.add(_join(path, "date"), values["date"], Verdict.unsupported, reason="not an ISO date")
                return
        if not isinstance(when, dt.date) or isinstance(when, dt.datetime):
            return
        dpath = _join(path, "date")
        published = self.published
        if not isinstance(phrase, str) or not phrase.strip():
            for d in self.index.dates:
                r = resolve(d.text, published)
                if r.date == when and r.precision is DatePrecision.day:
                    self.add(dpath, when, Verdict.normalized, [self.span(d.start, d.end)],
                             reason=f"{d.text!r} resolves to {when.isoformat()}")
                    return
            iso = self.text.find(when.isoformat())
            if iso >= 0:
                self.add(dpath, when, Verdict.exact, [self.span(iso, iso + 10)], reason="appears verbatim")
                return
            self.add(dpath, when, Verdict.unsupported, reason="no phrase is given for the date and no date phrase "
                                                              "of the text resolves to it")
            return
        ok, why = consistent(phrase, when, published)
        got = self._aligned.get(_join(path, "phrase"))
        spans = [self.span(s, e) for s, e in got.spans] if got is not None else []
        expected = resolve(phrase, published).date
        if ok and expected is None:  # "on Saturday" with no published date: any Saturday would do
            ok, why = False, "the phrase does not fix a date" + ("" if published else " without a published date")
        if not ok:
            self.add(dpath, when, Verdict.unsupported, spans,
                     reason=f"{when.isoformat()} does not follow from {phrase!r}"
                            f"{' published ' + published.isoformat() if published else ' (no published date)'}: "
                            f"{why}")
            return
        if expected == when:
            self.add(dpath, when, Verdict.exact, spans, reason=f"{phrase!r} resolves to {when.isoformat()}")
        else:
            self.add(dpath, when, Verdict.normalized, spans,
                     reason=f"{phrase!r} allows {when.isoformat()} ({why}); the latest it allows is "
                            f"{expected.isoformat() if expected else 'not fixed'}")

    def add(self, path: str, value: Any, verdict: Verdict, spans: list[Span] | None = None, *,
            score: float | None = None, reason: str = "") -> None:
        self.findings.append(Finding(path=path, value=value, verdict=verdict, spans=spans or [], score=score,
                                     reason=reason))


def _is_child(p: str, path: str) -> bool:
    rel = p[len(path) + 1:] if path else p
    return "." not in rel and "[" not in rel


def _inside(s: int, e: int, spans: tuple[tuple[int, int], ...]) -> bool:
    return any(a <= s and e <= b for a, b in spans)


def _overlaps(m: NumberMention, spans: tuple[tuple[int, int], ...]) -> bool:
    return any(m.start < b and m.end > a for a, b in spans)


def _word_bounded(text: str, s: int, e: int) -> bool:
    return (s == 0 or not text[s - 1].isalnum() or not text[s].isalnum()) and (
        e >= len(text) or not text[e].isalnum() or not text[e - 1].isalnum())


def _bounds(m: NumberMention) -> str:
    if m.qualifier is Qualifier.vague:
        return f"at least {m.low}, vague"
    if m.low is not None and m.high is not None:
        return str(m.low) if m.low == m.high else f"{m.low}-{m.high}"
    if m.low is not None:
        return f"{m.qualifier.value.replace('_', ' ')} {m.low}"
    return f"{m.qualifier.value.replace('_', ' ')} {m.high}"


_SINGULAR_HEAD = re.compile(r"^(?:an?|one|the|another|this|that|his|her|their|mr\.?|mrs\.?|ms\.?|dr\.?|chief|pa)\s+\S",
                            re.I)
_PROPER = re.compile(r"^[A-Z][a-z'’-]+(?:\s+[A-Z][a-z.'’-]+){1,3}$")
_PAIR = re.compile(r"\band\s+(?:his|her|their|an?|the|another)\s", re.I)


def _singular(phrase: str) -> int | None:
    """1 for "A muezzin", "the mayor", "Ahmed Karimi"; 2 for "a mayor and his secretary"; else None."""
    p = phrase.strip()
    if not (_SINGULAR_HEAD.match(p) or _PROPER.match(p)):
        return None
    pairs = len(_PAIR.findall(p))
    return 1 + pairs if pairs <= 1 else None


def _combination(value: int, pool: list[NumberMention]) -> tuple[list[NumberMention], str] | None:
    vals = [(m, m.value) for m in pool if m.value is not None and m.value > 0]
    for k in (2, 3):
        for combo in itertools.combinations(vals, k):
            if sum(v for _m, v in combo) == value:
                return [m for m, _v in combo], "+"
    for (m1, v1), (m2, v2) in itertools.combinations(vals, 2):
        if v1 > 1 and v2 > 1 and v1 * v2 == value:
            return [m1, m2], "×"
    return None


# ============================================================================ public API


def ground(extraction: Any, text_or_article: str | Article | EvidenceIndex, *,
           index: EvidenceIndex | None = None) -> GroundingReport:
    """Check every number, name, quote and date of ``extraction`` against the text.

    ``extraction`` may be an :class:`ExtractionResult` (its claims are walked), a
    :class:`ClaimList`, a :class:`Claim`, any pydantic model, a dict, a list, or a JSON string of
    one. ``text_or_article`` is the source text, an :class:`Article` (its published date resolves
    relative dates) or an already built :class:`EvidenceIndex`; ``index`` skips building one.
    """
    if index is None:
        index = index_for(text_or_article)
    published = None
    if isinstance(text_or_article, Article):
        published = text_or_article.published
    if published is None and isinstance(index.published, dt.date):
        published = index.published
    if published is None and isinstance(extraction, ExtractionResult):
        published = extraction.published
    obj = _prepare(extraction)
    g = _Grounder(index, published)
    if isinstance(obj, ExtractionResult):
        g.walk(obj.claims, "claims", None, _Ctx())
    else:
        g.walk(obj, "", None, _Ctx())
    return GroundingReport(findings=g.findings, accepted=g.accepted)


def _prepare(extraction: Any) -> Any:
    if isinstance(extraction, str | bytes):
        try:
            extraction = json.loads(extraction)
        except ValueError as exc:
            raise InputError(f"the extraction is not JSON: {exc}") from exc
    if isinstance(extraction, dict) and isinstance(extraction.get("claims"), list):
        model = ExtractionResult if "provenance" in extraction else ClaimList
        try:
            return model.model_validate(_drop_computed(extraction))
        except ValidationError:
            log.debug("extraction has claims but is not a %s; walking it as a plain dict", model.__name__)
    return extraction


def _drop_computed(data: Any) -> Any:
    """A dumped Count carries its computed ``best``; Count forbids extra keys, so drop it before validating."""
    if isinstance(data, dict):
        out = {k: _drop_computed(v) for k, v in data.items()}
        if "phrase" in out and "best" in out and ("low" in out or "high" in out):
            out.pop("best")
        return out
    if isinstance(data, list):
        return [_drop_computed(v) for v in data]
    return data


def claims_validator() -> Callable[[ClaimList, EvidenceIndex], list[str]]:
    """A validator for ``LLMExtractor(validator=...)``: the problems of a ClaimList, one message each.

    It is handed the article's evidence index (the pipeline's; never built again). Every
    unsupported, misattached or derived finding becomes a message naming the path, the value and
    what the text says near it, so a re-ask can fix exactly that.
    """

    def validate(claims: ClaimList, index: EvidenceIndex) -> list[str]:
        return ground(claims, index).to_messages()

    return validate


def apply_policy(result: ExtractionResult, report: GroundingReport, policy: str) -> ExtractionResult:
    """Attach the findings to ``result`` according to ``policy``.

    * ``off``: ``result`` unchanged.
    * ``flag``: a copy with ``findings`` set to the report's.
    * ``strict``: as ``flag``, then every claim whose killed, injured, place or claimant still has
      an unsupported (or misattached, or derived) finding moves to ``result.dropped``, with a
      provenance note per claim saying why. Finding paths follow the claims: the findings of a
      kept claim are re-indexed to its new position (``claims[2]`` -> ``claims[1]``) and those of
      a dropped claim point into ``dropped`` (``claims[1]`` -> ``dropped[0]``), so every path
      always names a claim of the returned result.
    """
    if policy not in POLICIES:
        raise ConfigError(f"unknown grounding policy {policy!r}; choose one of {', '.join(POLICIES)}")
    if policy == "off":
        return result
    findings = list(report.findings)
    if policy == "flag":
        return result.model_copy(update={"findings": findings})
    bad = {f.path for f in report.unsupported}
    drop: dict[int, list[str]] = {}
    for i in range(len(result.claims)):
        for f in findings:
            if f.path not in bad:
                continue
            for name in _STRICT_FIELDS:
                prefix = f"claims[{i}].{name}"
                if f.path == prefix or f.path.startswith(prefix + ".") or f.path.startswith(prefix + "["):
                    drop.setdefault(i, []).append(f"{f.path}={_show(f.value)} {f.verdict.value}")
    if not drop:
        return result.model_copy(update={"findings": findings})
    kept = [c for i, c in enumerate(result.claims) if i not in drop]
    dropped = list(result.dropped)
    new_path: dict[int, str] = {}
    k = 0
    for i in range(len(result.claims)):
        if i in drop:
            new_path[i] = f"dropped[{len(dropped)}]"
            dropped.append(result.claims[i])
        else:
            new_path[i] = f"claims[{k}]"
            k += 1
    renamed = [_repath(f, new_path) for f in findings]
    notes = list(result.provenance.notes)
    for i, why in drop.items():
        notes.append(f"grounding (strict): claims[{i}] moved to {new_path[i]}: {'; '.join(why)}")
    provenance = result.provenance.model_copy(update={"notes": notes})
    return result.model_copy(update={"claims": kept, "dropped": dropped, "findings": renamed,
                                     "provenance": provenance})


_CLAIM_PATH = re.compile(r"^claims\[(\d+)\]")


def _repath(f: Finding, new_path: dict[int, str]) -> Finding:
    m = _CLAIM_PATH.match(f.path)
    if m is None or int(m.group(1)) not in new_path:
        return f
    return f.model_copy(update={"path": new_path[int(m.group(1))] + f.path[m.end():]})


# ============================================================================ display


def render_findings(report: GroundingReport, *, only_problems: bool = False, title: str | None = None) -> Any:
    """A ``rich`` table of the findings (path, value, verdict, where, reason), problems in red."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("path", no_wrap=True)
    table.add_column("value", overflow="fold", max_width=32)
    table.add_column("verdict", no_wrap=True)
    table.add_column("where", no_wrap=True)
    table.add_column("reason", overflow="fold")
    styles = {"exact": "green", "normalized": "green", "alias": "cyan", "fuzzy": "yellow",
              "derived": "red", "misattached": "red", "unsupported": "bold red"}
    bad = {id(f) for f in report.unsupported}
    for f in report.findings:
        if only_problems and id(f) not in bad:
            continue
        where = ", ".join(f"{s.start}-{s.end}" for s in f.spans[:3])
        verdict = f.verdict.value + (f" {f.score:.2f}" if f.score is not None else "")
        table.add_row(f.path, _show(f.value), Text(verdict, style=styles.get(f.verdict.value, "")), where, f.reason)
    return table
