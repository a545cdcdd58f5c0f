"""Locality: the scopes a value may be grounded in, and the figure phrases found outside their claim.

Quotes say where a claim's figures may come from. The root and every list item that holds
figures or names of its own (a claim) is a *scope root*: its *evidence* is the sentences its
quotes align to, figure phrases apart (a claim: its evidence quotes and date phrase). A figure
phrase (the quote of a node with figures, :attr:`~llmextract.schema.Count.phrase`) must sit in
those sentences; one found only elsewhere is ``misattached`` ("17" lifted from another
sentence), and so is one inside another claim's evidence. With no evidence quotes, the claim's
figure phrases are its evidence.

A number is then judged in the innermost scope holding any number mention: its Count's phrase,
that phrase's sentence, the claim's evidence (:meth:`Scopes.home`); a mention there grounds it, a
value stated only outside is ``misattached``. Without any aligned quote there is no locality,
and any mention in the text grounds the value.

One :class:`Scopes` per grounding run keeps what the walk learns (quotes aligned once, which
figure phrases are outside their claim); a :class:`Ctx` is the scopes in force at a node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from llmextract.grounding.fields import Children, join, states_figures
from llmextract.markers import Marker, Name, Quote, Skip
from llmextract.text.index import EvidenceIndex, Located
from llmextract.text.numbers import NumberMention

Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Scope:
    """Sentences (or exact spans) a value may be grounded in, and how a reason names them."""

    spans: Spans
    label: str


@dataclass(frozen=True)
class Ctx:
    """The scopes in force at a node of the walk, innermost first."""

    scopes: tuple[Scope, ...] = ()
    count_phrase: tuple[int, int] | None = None  # the aligned phrase of the Count being walked
    count_phrase_text: str | None = None
    is_count: bool = False
    foreign: Spans = ()  # sentences of the other claims' evidence


@dataclass(frozen=True)
class _Quoted:
    path: str
    text: str
    threshold: float
    figure: bool  # the phrase of a node with figures of its own (Count.phrase)
    parent: str  # the path of the node that holds it


def overlaps(m: NumberMention, spans: Spans) -> bool:
    """Whether a mention overlaps any of the spans."""
    return any(m.start < b and m.end > a for a, b in spans)


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
        self._home: dict[tuple[tuple[Scope, ...], bool], Scope | None] = {}
        self._by_parent: dict[str, list[_Quoted]] = {}
        self._judged: set[str] = set()
        self._sentences: dict[Spans, Spans] = {}

    # -- what the checks ask
    def sentences_of(self, spans: Any) -> Spans:
        key = tuple(spans)
        got = self._sentences.get(key)
        if got is None:
            got = self._sentences[key] = self.index.sentences_of(key)
        return got

    def quote(self, path: str, text: str, threshold: float) -> Located | None:
        """Where the quote at ``path`` sits (aligned once per run: a scope may have aligned it already)."""
        if path not in self._aligned:
            self._aligned[path] = self.index.locate(text, threshold)
        return self._aligned[path]

    def aligned(self, path: str) -> Located | None:
        """Where the quote at ``path`` was aligned, if it was."""
        return self._aligned.get(path)

    def outside(self, path: str) -> str | None:
        """Why the figure phrase at ``path`` does not belong to its claim, or None."""
        return self._outside.get(path)

    def home(self, ctx: Ctx, mentions: list[NumberMention]) -> Scope | None:
        """The innermost scope in force that holds any of ``mentions`` (the numbers a value may be)."""
        key = (ctx.scopes, ctx.is_count)
        if key in self._home:
            return self._home[key]
        home = next((scope for scope in ctx.scopes if any(overlaps(m, scope.spans) for m in mentions)), None)
        self._home[key] = home
        return home

    # -- entering nodes
    def enter(self, obj: BaseModel | dict, path: str, ctx: Ctx, *, count: bool, item: bool) -> Ctx:
        """The scopes in force inside a node: a count starts afresh; the root and a claim (a list item
        with figures or names) are scope roots; a node with quotes of its own narrows to them."""
        if count != ctx.is_count or ctx.count_phrase is not None:
            ctx = Ctx(ctx.scopes, None, None, count, ctx.foreign)
        if not path or (item and self.own_scope(obj)):
            return self._root_scopes(obj, path, ctx)
        if path in self._by_parent:
            return self._direct_scopes(path, ctx)
        return ctx

    def items(self, items: list[Any] | tuple[Any, ...], path: str, ctx: Ctx) -> dict[int, Ctx]:
        """The context of each claim of a list that holds several: other claims' evidence is foreign."""
        scoped = [i for i, item in enumerate(items) if isinstance(item, BaseModel | dict) and self.own_scope(item)]
        if len(scoped) <= 1:
            return {}
        anchors = {i: self._anchors(items[i], f"{path}[{i}]") for i in scoped}
        out: dict[int, Ctx] = {}
        for i, own in anchors.items():
            mine = set(own)
            foreign = tuple(sorted({s for j, a in anchors.items() if j != i for s in a} - mine))
            out[i] = Ctx(ctx.scopes, None, None, ctx.is_count, foreign)
        return out

    def own_scope(self, obj: Any) -> bool:
        """Whether a list item is a scope of its own: it holds figures or names (a claim), not only quotes."""
        key = id(obj)
        if key in self._own_scope:
            return self._own_scope[key]
        found = False
        for _piece, value, marker in self.children(obj):
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

    # -- the quotes of a scope root
    def _collect(self, obj: Any, path: str, out: list[_Quoted]) -> None:
        figure = states_figures(obj)
        for piece, value, marker in self.children(obj):
            self._collect_value(value, join(path, piece), marker, out, figure, path)

    def _collect_value(self, value: Any, path: str, marker: Marker | None, out: list[_Quoted], figure: bool,
                       parent: str) -> None:
        if isinstance(marker, Skip) or value is None:
            return
        if isinstance(value, str):
            if isinstance(marker, Quote):
                out.append(_Quoted(path, value, marker.threshold, figure, parent))
        elif isinstance(value, BaseModel | dict):
            self._collect(value, path, out)
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel | dict) and self.own_scope(item):
                    continue  # a list item with figures or names of its own (a claim) is a scope of its own
                self._collect_value(item, f"{path}[{i}]", marker, out, figure, path)

    def _collected(self, obj: Any, path: str) -> list[_Quoted]:
        """The quotes of a scope root's subtree, collected once; also indexed by the node that holds them."""
        got = self._quotes_of.get(path)
        if got is None:
            got = []
            self._collect(obj, path, got)
            self._quotes_of[path] = got
            for q in got:
                self._by_parent.setdefault(q.parent, []).append(q)
        return got

    def _align(self, q: _Quoted, prefer: Spans) -> Located | None:
        if q.path not in self._aligned:
            self._aligned[q.path] = self.index.locate(q.text, q.threshold, prefer)
        return self._aligned[q.path]

    def _anchors(self, obj: Any, path: str) -> Spans:
        """The sentences of a node's evidence (its quotes that are not figure phrases)."""
        spans: list[tuple[int, int]] = []
        for q in sorted((q for q in self._collected(obj, path) if not q.figure), key=lambda q: -len(q.text)):
            got = self._align(q, self.sentences_of(spans))
            if got is not None:
                spans.extend(got.spans)
        return self.sentences_of(spans)

    def _root_scopes(self, obj: Any, path: str, ctx: Ctx) -> Ctx:
        """Scopes of a scope root (the root, a claim): its evidence sentences; its figure phrases judged."""
        quotes = self._collected(obj, path)
        if not quotes:
            return ctx
        outer = tuple(s for scope in ctx.scopes for s in scope.spans)
        anchor_spans: list[tuple[int, int]] = []
        for q in sorted((q for q in quotes if not q.figure), key=lambda q: -len(q.text)):
            got = self._align(q, self.sentences_of(anchor_spans) if anchor_spans else outer)
            if got is not None:
                anchor_spans.extend(got.spans)
        anchor_sents = self.sentences_of(anchor_spans)
        scope_spans = list(anchor_spans)
        for q in sorted((q for q in quotes if q.figure), key=lambda q: -len(q.text)):
            got = self._align(q, anchor_sents or outer)
            if got is None or q.path in self._outside:
                continue
            if q.path not in self._judged:
                self._judged.add(q.path)
                why = self._why_outside(got, anchor_sents, ctx.foreign)
                if why:
                    self._outside[q.path] = why
                    continue
            scope_spans.extend(got.spans)
        if scope_spans:
            ctx = Ctx((Scope(self.sentences_of(scope_spans), "this claim's evidence"), *ctx.scopes),
                      ctx.count_phrase, ctx.count_phrase_text, ctx.is_count, ctx.foreign)
        return self._direct_scopes(path, ctx)

    def _direct_scopes(self, path: str, ctx: Ctx) -> Ctx:
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
        scopes = (Scope(tuple(spans), "its own phrase"), Scope(self.sentences_of(spans), "its own sentence"),
                  *ctx.scopes)
        return Ctx(scopes, phrase_span, phrase_text, ctx.is_count, ctx.foreign)

    def _why_outside(self, got: Located, anchors: Spans, foreign: Spans) -> str | None:
        """Why a figure phrase found at ``got`` does not belong to the claim whose evidence is ``anchors``."""
        s, e = got.spans[0][0], got.spans[-1][1]
        if anchors and _inside(s, e, anchors):
            return None
        where = f"“{self.index.context(s, e)}”"
        if foreign and _inside(s, e, foreign):
            return f"found in {where}, which is another claim's evidence, not this claim's"
        if anchors:
            return f"found in {where}, outside the sentences this claim quotes as its evidence"
        return None
