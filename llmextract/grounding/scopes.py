"""Scopes: the sentences each value may be grounded in, claim by claim.

**Claim scope.** The root and every list item that holds figures or names of its own (a claim)
is a *scope root*. Its *own sentences* are those of its evidence quotes and of its count phrases
(a figure phrase found outside the evidence is not one: it is ``misattached``); its *scope* is
those sentences plus the sentence before each (where "the network said" names its subject). The
claimant, the relays, the perpetrator, the place (and its province and country) and the date
phrase of a claim are grounded inside its scope (:mod:`~llmextract.grounding.names`,
:mod:`~llmextract.grounding.quotes`); a value found only elsewhere is ``misattached``, with the
claim whose sentence it is when it is another's. The outlet may be named anywhere. A claim (see
:func:`~llmextract.grounding.fields.is_claim`) with neither an evidence quote nor a count phrase
found in the text is *unanchored*: nothing says where its values are stated, and they are not
grounded document-wide silently.

**Number scopes.** A number is judged in the innermost scope holding any number mention: its
Count's phrase, that phrase's sentence, the claim's own sentences (:meth:`Scopes.home`); a
mention there grounds it, a value stated only outside is ``misattached``. Without any aligned
quote there is no locality, and any mention in the text grounds the value.

One :class:`Scopes` per grounding run keeps what the walk learns (quotes aligned once, which
figure phrases are outside their claim, each claim's scope); a :class:`Ctx` is what is in force
at a node. The claims of one list share one :class:`Siblings` (whose is each sentence), and the
number mentions of a scope are found by bisection (:mod:`llmextract.grounding.tables`), so a
claim costs the same however many claims and sentences the text holds.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from pydantic import BaseModel

from llmextract.grounding.fields import (
    LEAF,
    NODE,
    SEQUENCE,
    SHAPE_OF,
    Children,
    NumberRole,
    is_claim,
    last_key,
    number_role,
    quote_fields,
    quote_holders,
    states_figures,
)
from llmextract.grounding.tables import PerArticle
from llmextract.grounding.tables import overlaps as overlaps_table
from llmextract.markers import Marker, Name, Quote, Skip
from llmextract.text.index import EvidenceIndex, Located
from llmextract.text.numbers import NumberMention

Spans = tuple[tuple[int, int], ...]

#: Where each quote asked about sits in an article (by the quote, its threshold and the spans preferred).
_LOCATED: PerArticle[dict[tuple[str, float, Spans], Located | None]] = PerArticle(lambda index: {})
_LOCATED_KEPT = 10_000


class Scope(NamedTuple):
    """Sentences (or exact spans) a value may be grounded in, and how a reason names them."""

    spans: Spans
    label: str


class Siblings:
    """The claims of one list and their own sentences: whose is a sentence, and is it another claim's.

    Built once per list from each claim's own sentences (the index's sentences: sorted and
    disjoint); each question is a bisection over the sentences any claim owns, not a scan of
    every other claim.
    """

    def __init__(self, owns: dict[int, Spans], path: str) -> None:
        owners: dict[tuple[int, int], list[int]] = {}
        for i, own in owns.items():  # in list order: each sentence's owners ascending
            for sentence in own:
                owners.setdefault(sentence, []).append(i)
        sentences = sorted(owners)
        self._starts = [a for a, _b in sentences]
        self._ends = [b for _a, b in sentences]
        self._owners = [owners[x] for x in sentences]
        self._path = path

    def whose(self, s: int, e: int, mine: int) -> str | None:
        """The path of the first claim other than ``mine`` whose own sentence overlaps the span."""
        lo = bisect.bisect_right(self._ends, s)  # the first sentence ending after the span starts
        hi = bisect.bisect_left(self._starts, e)  # past the last one starting before it ends
        first = min((j for k in range(lo, hi) for j in self._owners[k] if j != mine), default=None)
        return None if first is None else f"{self._path}[{first}]"

    def holds_inside(self, s: int, e: int, mine: int) -> bool:
        """Whether a sentence that is another claim's own, and not ``mine``'s, holds the whole span."""
        k = bisect.bisect_right(self._starts, s) - 1  # the sentences starting at or before the span
        while k >= 0 and self._ends[k] >= e:
            if mine not in self._owners[k]:
                return True
            k -= 1
        return False


@dataclass(frozen=True)
class Others:
    """The other claims of a claim's list: its :class:`Siblings`, less the claim (``mine``)."""

    siblings: Siblings
    mine: int

    def whose(self, s: int, e: int) -> str | None:
        return self.siblings.whose(s, e, self.mine)

    def holds_inside(self, s: int, e: int) -> bool:
        return self.siblings.holds_inside(s, e, self.mine)


@dataclass(frozen=True)
class ClaimScope:  # a cached property needs a __dict__: no slots
    """Where one claim is stated: its own sentences, its scope (with the sentence before each), and
    the other claims' own sentences (to name whose a value is)."""

    path: str
    own: Spans
    sentences: Spans
    is_claim: bool
    others: Others | None = None  # the other claims of its list, to name whose a sentence is
    places: tuple[str, ...] = ()  # the claim's place names: its province and country may follow from them
    quoted: Spans = ()  # the spans its evidence quotes and count phrases were found at

    @property
    def anchored(self) -> bool:
        return bool(self.own)

    @cached_property
    def _starts(self) -> list[int]:
        return [a for a, _b in self.sentences]

    def holds(self, s: int, e: int) -> bool:
        """Whether the span overlaps the claim's scope (its sentences are sorted and disjoint)."""
        i = bisect.bisect_left(self._starts, e) - 1  # the last sentence starting before the span ends
        return i >= 0 and self.sentences[i][1] > s

    def whose(self, s: int, e: int) -> str | None:
        """The path of the other claim (the first in its list) whose own sentence overlaps the span, if one does."""
        return self.others.whose(s, e) if self.others is not None else None


class Ctx(NamedTuple):
    """What is in force at a node of the walk: number scopes (innermost first), the claim, the role.
    Immutable; a node's is its parent's with changes (``ctx._replace(...)``)."""

    scopes: tuple[Scope, ...] = ()
    count_phrase: tuple[int, int] | None = None  # the aligned phrase of the Count being walked
    count_phrase_text: str | None = None
    is_count: bool = False
    foreign: Others | None = None  # the other claims of the list: their evidence sentences are foreign
    claim: ClaimScope | None = None
    role: NumberRole | None = None  # the number role the keys above say


class _Quoted(NamedTuple):
    path: str
    text: str
    threshold: float
    role: str  # evidence, figure (a count's phrase), date (a date phrase)
    parent: str  # the path of the node that holds it


def overlaps(m: NumberMention, spans: Spans) -> bool:
    """Whether a mention overlaps any of the spans."""
    return any(m.start < b and m.end > a for a, b in spans)


def _names_and_quotes(kids: list[tuple[str, Any, Marker | None]]) -> bool:
    """Whether a node holds only names and quotes (an evidence quote): checks that ask for the claim, never
    for the number scopes in force."""
    for _piece, value, marker in kids:
        if not (isinstance(value, str) and isinstance(marker, Name | Quote)):
            return False
    return True


def _inside(s: int, e: int, spans: Spans) -> bool:
    return any(a <= s and e <= b for a, b in spans)


class Scopes:
    """The locality of one grounding run: quotes aligned once, scopes entered node by node."""

    def __init__(self, index: EvidenceIndex, children: Children) -> None:
        self.index = index
        self.children = children
        self._aligned: dict[str, Located | None] = {}
        self._own_scope: dict[int, bool] = {}
        self._outside: dict[str, str] = {}  # figure phrases found outside their claim: why
        self._quotes_of: dict[str, list[_Quoted]] = {}
        self._places_of: dict[str, list[str]] = {}
        self._home: dict[tuple[tuple[Scope, ...], int], Scope | None] = {}
        self._by_parent: dict[str, list[_Quoted]] = {}
        self._judged: set[str] = set()
        self._sentences: dict[Spans, Spans] = {}
        self._own: dict[str, Spans] = {}

    # -- what the checks ask
    def sentences_of(self, spans: Any) -> Spans:
        key = tuple(spans)
        got = self._sentences.get(key)
        if got is None:
            got = self._sentences[key] = self.index.sentences_of(key)
        return got

    def quote(self, path: str, text: str, threshold: float, prefer: Spans = ()) -> Located | None:
        """Where the quote at ``path`` sits (aligned once per run: a scope may have aligned it already)."""
        if path not in self._aligned:
            self._aligned[path] = self._locate(text, threshold, prefer)
        return self._aligned[path]

    def aligned(self, path: str) -> Located | None:
        """Where the quote at ``path`` was aligned, if it was."""
        return self._aligned.get(path)

    def outside(self, path: str) -> str | None:
        """Why the figure phrase at ``path`` does not belong to its claim, or None."""
        return self._outside.get(path)

    def home(self, ctx: Ctx, mentions: list[NumberMention]) -> Scope | None:
        """The innermost scope in force that holds any of ``mentions`` (the numbers a value may be: a
        list of the index's). Kept per run by the scopes and the list asked about (the counts of people
        or every number: the same scopes can have different homes for the two)."""
        key = (ctx.scopes, id(mentions))
        if key in self._home:
            return self._home[key]
        table = overlaps_table(self.index, mentions)
        home = next((scope for scope in ctx.scopes if table.any_within(scope.spans)), None)
        self._home[key] = home
        return home

    # -- entering nodes
    def enter(self, obj: BaseModel | dict, path: str, ctx: Ctx, *, count: bool, item: bool,
              kids: list[tuple[str, Any, Marker | None]], key: str = "") -> Ctx:
        """What is in force inside a node (held under ``key``): the number role its key adds; a count
        starts afresh; the root and a claim (a list item with figures or names) are scope roots; a node
        with quotes of its own narrows to them."""
        role = ctx.role
        key_role = number_role(key) if key else None
        if key_role is not None:
            role = role.join(key_role) if role is not None else key_role
        if count != ctx.is_count or ctx.count_phrase is not None or role is not ctx.role:
            ctx = ctx._replace(count_phrase=None, count_phrase_text=None, is_count=count, role=role)
        if not path or (item and self.own_scope(obj, key)):
            return self._root_scopes(obj, path, ctx, kids)
        if path in self._by_parent and not _names_and_quotes(kids):  # (which no number scope concerns)
            return self._direct_scopes(path, ctx)
        return ctx

    def items(self, items: list[Any] | tuple[Any, ...], path: str, ctx: Ctx) -> dict[int, Ctx]:
        """The context of each claim of a list that holds several: the other claims' sentences are foreign."""
        key = last_key(path)
        scoped = [i for i, item in enumerate(items) if SHAPE_OF[item.__class__] is NODE and self.own_scope(item, key)]
        if len(scoped) <= 1:
            return {}
        siblings = Siblings({i: self._own_sentences(items[i], f"{path}[{i}]") for i in scoped}, path)
        out: dict[int, Ctx] = {}
        for i in scoped:
            others = Others(siblings, i)  # a sentence another claim owns, and not this one, is foreign
            out[i] = ctx._replace(count_phrase=None, count_phrase_text=None, foreign=others,
                                  claim=ClaimScope(f"{path}[{i}]", (), (), False, others))
        return out

    def own_scope(self, obj: Any, parent: str = "") -> bool:
        """Whether a list item is a scope of its own: it holds figures or names (a claim), not only quotes."""
        key = id(obj)
        if key in self._own_scope:
            return self._own_scope[key]
        found = False
        for piece, value, marker in self.children.checked(obj, parent):
            for v in value if SHAPE_OF[value.__class__] is SEQUENCE else (value,):
                if SHAPE_OF[v.__class__] is NODE:
                    found = self.own_scope(v, piece)
                else:  # a number (not a yes/no) or a name
                    found = (isinstance(v, int | float) and not isinstance(v, bool)) or (
                        isinstance(v, str) and isinstance(marker, Name))
                if found:
                    break
            if found:
                break
        self._own_scope[key] = found
        return found

    # -- the quotes of a scope root
    def _collect(self, obj: Any, path: str, out: list[_Quoted], places: list[str], parent: str) -> None:
        figure = states_figures(obj)
        prefix = path + "." if path else ""
        if isinstance(obj, BaseModel) and path not in self.children.extras:
            # only the fields that can hold a quote or a place (read off the class once)
            for piece, marker in quote_holders(obj.__class__, parent):
                value = getattr(obj, piece, None)
                if value is not None:
                    self._collect_value(value, prefix + piece, marker, out, places, figure, path, piece)
            return
        wanted = quote_fields(type(obj), parent) if isinstance(obj, BaseModel) else None
        for piece, value, marker in self.children(obj, parent, path):
            if value is None or (wanted is not None and piece not in wanted and not isinstance(marker, Quote | Name)):
                continue  # empty, or a field that can hold no quote and no place (its extras are walked)
            self._collect_value(value, prefix + piece, marker, out, places, figure, path, piece)

    def _collect_value(self, value: Any, path: str, marker: Marker | None, out: list[_Quoted], places: list[str],
                       figure: bool, parent: str, key: str) -> None:
        if value is None or isinstance(marker, Skip):
            return
        kind = SHAPE_OF[value.__class__]
        if kind is LEAF:
            if isinstance(value, str):
                if isinstance(marker, Quote):
                    role = marker.role or ("figure" if figure else "evidence")
                    out.append(_Quoted(path, value, marker.threshold, role, parent))
                elif isinstance(marker, Name) and marker.role == "place" and value.strip():
                    places.append(value.strip())
        elif kind is NODE:
            self._collect(value, path, out, places, key)
        else:
            for i, item in enumerate(value):
                if SHAPE_OF[item.__class__] is NODE and self.own_scope(item, key):
                    continue  # a list item with figures or names of its own (a claim) is a scope of its own
                self._collect_value(item, f"{path}[{i}]", marker, out, places, figure, parent, key)

    def _collected(self, obj: Any, path: str) -> list[_Quoted]:
        """The quotes of a scope root's subtree, collected once; also indexed by the node that holds them."""
        got = self._quotes_of.get(path)
        if got is None:
            got = []
            places: list[str] = []
            self._collect(obj, path, got, places, last_key(path) if path else "")
            self._quotes_of[path] = got
            self._places_of[path] = places
            for q in got:
                self._by_parent.setdefault(q.parent, []).append(q)
        return got

    def _align(self, q: _Quoted, prefer: Spans) -> Located | None:
        if q.path not in self._aligned:
            self._aligned[q.path] = self._locate(q.text, q.threshold, prefer)
        return self._aligned[q.path]

    def _locate(self, text: str, threshold: float, prefer: Spans) -> Located | None:
        """:meth:`EvidenceIndex.locate`, asked once per article (a re-ask grounds the same quotes again)."""
        located = _LOCATED(self.index)
        key = (text, threshold, prefer)
        if key in located:
            return located[key]
        got = self.index.locate(text, threshold, prefer)
        if len(located) < _LOCATED_KEPT:
            located[key] = got
        return got

    def _own_sentences(self, obj: Any, path: str) -> Spans:
        """A scope root's own sentences: those of its evidence quotes, else of its count phrases."""
        got = self._own.get(path)
        if got is not None:
            return got
        quotes = self._collected(obj, path)
        spans: list[tuple[int, int]] = []
        for q in sorted((q for q in quotes if q.role == "evidence"), key=lambda q: -len(q.text)):
            found = self._align(q, self.sentences_of(spans))
            if found is not None:
                spans.extend(found.spans)
        if not spans:
            for q in (q for q in quotes if q.role == "figure"):
                found = self._align(q, ())
                if found is not None:
                    spans.extend(found.spans)
        got = self._own[path] = self.sentences_of(spans) if spans else ()
        return got

    def _root_scopes(self, obj: Any, path: str, ctx: Ctx, kids: list[tuple[str, Any, Marker | None]]) -> Ctx:
        """Scopes of a scope root (the root, a claim): its evidence sentences; its figure phrases judged;
        its claim scope."""
        quotes = self._collected(obj, path)
        claim = is_claim(obj, kids)
        outer = tuple(s for scope in ctx.scopes for s in scope.spans)
        anchor_spans: list[tuple[int, int]] = []
        for q in sorted((q for q in quotes if q.role == "evidence"), key=lambda q: -len(q.text)):
            got = self._align(q, self.sentences_of(anchor_spans) if anchor_spans else outer)
            if got is not None:
                anchor_spans.extend(got.spans)
        anchor_sents = self.sentences_of(anchor_spans)
        scope_spans = list(anchor_spans)
        for q in sorted((q for q in quotes if q.role == "figure"), key=lambda q: -len(q.text)):
            got = self._align(q, anchor_sents or outer)
            if got is None or q.path in self._outside:
                continue
            if q.path not in self._judged:
                self._judged.add(q.path)
                why = self._why_outside(got, anchor_sents, ctx)
                if why:
                    self._outside[q.path] = why
                    continue
            scope_spans.extend(got.spans)
        own = self.sentences_of(scope_spans) if scope_spans else ()
        if scope_spans:
            ctx = ctx._replace(scopes=(Scope(own, "this claim's evidence"), *ctx.scopes))
        prior = ctx.claim
        others = prior.others if prior is not None and prior.path == path else None
        ctx = ctx._replace(claim=ClaimScope(path, own, self._with_before(own), claim, others,
                                            tuple(self._places_of.get(path, ())), tuple(scope_spans)))
        return self._direct_scopes(path, ctx)

    def _with_before(self, own: Spans) -> Spans:
        """The sentences and the sentence before each."""
        if not own:
            return ()
        sentences = self.index.sentences
        out: set[tuple[int, int]] = set(own)
        for s, _e in own:
            i = self.index.sentence_at(s).index
            if i > 0:
                prev = sentences[i - 1]
                out.add((prev.start, prev.end))
        return tuple(sorted(out))

    def _direct_scopes(self, path: str, ctx: Ctx) -> Ctx:
        """Scopes of a node with quotes of its own (a Count): their sentences, then their exact spans."""
        spans: list[tuple[int, int]] = []
        phrase_span: tuple[int, int] | None = None
        phrase_text: str | None = None
        for q in self._by_parent.get(path, ()):
            if q.path in self._outside or q.role == "date":
                continue
            got = self._aligned.get(q.path)
            if got is not None:
                spans.extend(got.spans)
                if phrase_span is None:
                    phrase_span, phrase_text = (got.spans[0][0], got.spans[-1][1]), q.text
        if not spans:
            return ctx
        scopes = (Scope(tuple(spans), "its own phrase"), Scope(self.sentences_of(spans), "its own sentence"),
                  *ctx.scopes)
        return ctx._replace(scopes=scopes, count_phrase=phrase_span, count_phrase_text=phrase_text)

    def _why_outside(self, got: Located, anchors: Spans, ctx: Ctx) -> str | None:
        """Why a figure phrase found at ``got`` does not belong to the claim whose evidence is ``anchors``."""
        s, e = got.spans[0][0], got.spans[-1][1]
        if anchors and _inside(s, e, anchors):
            return None
        where = f"“{self.index.context(s, e)}”"
        foreign = ctx.foreign
        if foreign is not None and foreign.holds_inside(s, e):
            whose = ctx.claim.whose(s, e) if ctx.claim is not None else None
            return f"found in {where}, which is another claim's evidence" + (f" ({whose})" if whose else "") + \
                ", not this claim's"
        if anchors:
            return f"found in {where}, outside the sentences this claim quotes as its evidence"
        return None
