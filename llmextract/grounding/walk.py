"""The walk: :func:`ground` visits every leaf of an extraction once and hands it to its check.

Any shape is walked: an :class:`~llmextract.schema.ExtractionResult` (its claims), a
:class:`~llmextract.schema.ClaimList`, any pydantic model, a dict, a list, or a JSON string of
one. A dict with a ``claims`` list that validates as :class:`~llmextract.schema.ClaimList` (or,
with ``provenance``, :class:`~llmextract.schema.ExtractionResult`) is read as that model first;
a key the model does not know ("deaths" in a claim) is walked too, by the key rules, never
dropped. Each leaf's marker or key rule (:mod:`llmextract.grounding.fields`) picks its check
(numbers, names, quotes, dates); the scopes in force at each node
(:mod:`llmextract.grounding.scopes`) say where its value may come from.

What no rule covers is listed, not skipped: a string is ``unchecked``; a string that holds a
number ("500", "twenty") is a number; ``true`` where a count is expected is ``unsupported``.
A value stated only in text addressed to a model, and every value of a claim whose evidence is
such text, is ``suspicious_source`` (:mod:`llmextract.text.instructions`).

Bounds: an extraction nested deeper than :data:`MAX_DEPTH` levels is refused with an
:class:`~llmextract.errors.InputError`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from llmextract.errors import InputError
from llmextract.grounding.dates import DateCheck, as_date
from llmextract.grounding.fields import (
    GROUNDED,
    LEAF,
    NODE,
    SHAPE_OF,
    Children,
    NumberRole,
    has_date,
    is_count,
    last_key,
    number_role,
    role_of_marker,
)
from llmextract.grounding.names import NameCheck
from llmextract.grounding.numbers import NumberCheck
from llmextract.grounding.quotes import QuoteCheck
from llmextract.grounding.report import GroundingReport, Recorder
from llmextract.grounding.scopes import Ctx, Scopes
from llmextract.markers import Date, Grounded, Marker, Name, Quote, Skip
from llmextract.schema import Article, Claim, ClaimList, ExtractionResult, Finding, Verdict
from llmextract.text.index import EvidenceIndex
from llmextract.text.numbers import find_numbers, parse_count, words_to_int

log = logging.getLogger(__name__)

#: Extractions nested deeper than this are refused (a claim list is 5 levels deep).
MAX_DEPTH = 64
_DIGITS_ONLY = re.compile(r"\s*[+-]?\d{1,3}(?:,\d{3})+\s*|\s*[+-]?\d+(?:\.\d+)?\s*")


def ground(extraction: Any, source: str | Article | EvidenceIndex) -> GroundingReport:
    """Check every number, name, quote and date of ``extraction`` against the text.

    ``extraction`` may be an :class:`ExtractionResult` (its claims are walked), a
    :class:`ClaimList`, a :class:`Claim`, any pydantic model, a dict, a list, or a JSON string of
    one. ``source`` is the article's :class:`EvidenceIndex` (the pipeline's: used as it is), an
    :class:`Article` (its published date resolves relative dates) or the text; an index is built
    only when not handed one, and none is kept.
    """
    if isinstance(source, EvidenceIndex):
        index = source
    elif isinstance(source, Article):
        index = EvidenceIndex.build(source)
    elif isinstance(source, str):  # as an Article: a "date 2018-01-02" header is its published date
        index = EvidenceIndex.build(Article(text=source))
    else:
        raise InputError(f"ground() needs the article text, an Article or an EvidenceIndex, "
                         f"not {type(source).__name__}")
    published = index.published if isinstance(index.published, dt.date) else None
    if published is None and isinstance(extraction, ExtractionResult):
        published = extraction.published
    obj, extras = _prepare(extraction)
    if not isinstance(obj, ExtractionResult | ClaimList | Claim):  # the schema's own depth is bounded
        _check_depth(obj)
    walker = _Walker(index, published, extras)
    if isinstance(obj, ExtractionResult):
        walker.walk(obj.claims, "claims", None, Ctx(), 0)
    else:
        walker.walk(obj, "", None, Ctx(), 0)
    walker.suspicious()
    return walker.rec.report()


def _prepare(extraction: Any) -> tuple[Any, dict[str, dict[str, Any]]]:
    """JSON parsed; a dict of claims read as the model it is (a dumped Count's ``best`` is dropped by
    Count), with the keys the model does not know kept apart, by the path of the node that held them."""
    if isinstance(extraction, str | bytes):
        try:
            extraction = json.loads(extraction)
        except RecursionError:
            raise InputError(f"the extraction is nested deeper than {MAX_DEPTH} levels") from None
        except ValueError as exc:
            raise InputError(f"the extraction is not JSON: {exc}") from exc
    if isinstance(extraction, dict) and isinstance(extraction.get("claims"), list):
        model = ExtractionResult if "provenance" in extraction else ClaimList
        try:
            validated = model.model_validate(extraction)
        except ValidationError:
            log.debug("extraction has claims but is not a %s; walking it as a plain dict", model.__name__)
        except RecursionError:
            raise InputError(f"the extraction is nested deeper than {MAX_DEPTH} levels") from None
        else:
            extras: dict[str, dict[str, Any]] = {}
            root = "claims"
            for i, (raw, claim) in enumerate(zip(extraction["claims"], validated.claims, strict=False)):
                _extras(raw, claim, f"{root}[{i}]", extras)
            return validated, extras
    return extraction, {}


def _check_depth(obj: Any) -> None:
    """Refuse an extraction nested deeper than :data:`MAX_DEPTH` levels (looked at without recursion)."""
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"the extraction is nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list | tuple | BaseModel))
        elif isinstance(node, list | tuple):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list | tuple | BaseModel))
        elif isinstance(node, BaseModel):
            stack.extend((v, depth + 1) for v in node.__dict__.values()
                         if isinstance(v, dict | list | tuple | BaseModel))


def _extras(raw: Any, model: BaseModel, path: str, out: dict[str, dict[str, Any]]) -> None:
    """The keys of ``raw`` that ``model`` (validated from it) does not hold, by path."""
    if not isinstance(raw, dict):
        return
    fields = type(model).model_fields
    for key, value in raw.items():
        if key not in fields:
            if key == "best" and "low" in fields:  # a dumped Count's computed figure
                continue
            out.setdefault(path, {})[key] = value
            continue
        sub = getattr(model, key, None)
        if isinstance(sub, BaseModel):
            _extras(value, sub, f"{path}.{key}", out)
        elif isinstance(sub, list) and isinstance(value, list):
            for i, (r, m) in enumerate(zip(value, sub, strict=False)):
                if isinstance(m, BaseModel):
                    _extras(r, m, f"{path}.{key}[{i}]", out)


def _as_number(value: str, count: bool) -> int | float | None:
    """A string that holds a number: "500", "1,200", "twenty"; under a count key also "at least 20"."""
    s = value.strip()
    if not s:
        return None
    if _DIGITS_ONLY.fullmatch(s):
        number = float(s.replace(",", ""))
        return int(number) if number.is_integer() else number
    words = words_to_int(s) if re.fullmatch(r"[A-Za-z][A-Za-z\s-]*", s) else None
    if words is not None:
        return words
    if count:
        parsed = parse_count(s)
        if parsed is not None and parsed.best is not None and len(find_numbers(s)) == 1:
            return parsed.best
    return None


def _own_date(obj: BaseModel | dict) -> bool:
    """Whether a node's ``date`` may be a date of its own, checked with the node's phrase (a model's empty
    date or a node below it, a Claim's EventDate, is not)."""
    if isinstance(obj, dict):
        return True  # its keys, as the walk reads them, decide
    date = getattr(obj, "date", None)
    return date is not None and SHAPE_OF[date.__class__] is LEAF


class _Walker:
    """One grounding run: the walk, the scopes it keeps, the checks it calls, the findings they add."""

    def __init__(self, index: EvidenceIndex, published: dt.date | None,
                 extras: dict[str, dict[str, Any]] | None = None) -> None:
        self.index = index
        self.rec = Recorder(index)
        self.children = Children(extras)
        self.scopes = Scopes(index, self.children)
        self.numbers = NumberCheck(index, self.rec, self.scopes)
        self.names = NameCheck(index, self.rec)
        self.quotes = QuoteCheck(index, self.rec, self.scopes)
        self.dates = DateCheck(index, self.rec, self.scopes, published)
        self.claims: dict[str, Ctx] = {}

    def walk(self, obj: Any, path: str, marker: Marker | None, ctx: Ctx, depth: int) -> None:
        if obj is None or isinstance(marker, Skip):
            return
        if depth > MAX_DEPTH:
            raise InputError(f"the extraction is nested deeper than {MAX_DEPTH} levels")
        kind = SHAPE_OF[obj.__class__]
        if kind is LEAF:
            self.leaf(obj, path or "value", marker, ctx)
        elif kind is NODE:
            self.walk_node(obj, path, ctx, depth)
        else:
            item_ctx = self.scopes.items(obj, path, ctx)
            for i, item in enumerate(obj):
                if SHAPE_OF[item.__class__] is NODE:
                    self.walk_node(item, f"{path}[{i}]", item_ctx.get(i, ctx), depth + 1, item=True)
                else:
                    self.walk(item, f"{path}[{i}]", marker, ctx, depth + 1)

    def leaf(self, obj: Any, path: str, marker: Marker | None, ctx: Ctx) -> None:
        if obj.__class__ is str and marker is not None:  # the common case first: a name or a quote
            if marker.__class__ is Name:
                self.names.check(obj, path, marker, ctx)  # type: ignore[arg-type]
                return
            if marker.__class__ is Quote:
                self.quotes.check(obj, path, marker, ctx)  # type: ignore[arg-type]
                return
        role = self._number_role(path, marker, ctx)
        counted = isinstance(marker, Grounded) or (role is not None and role.people) or ctx.is_count
        if isinstance(obj, bool):
            if counted:
                self.rec.add(path, obj, Verdict.unsupported,
                             reason=f"{str(obj).lower()} is a yes/no value where a count of people is expected")
            elif marker is None or isinstance(marker, Name | Quote | Date):
                self.rec.add(path, obj, Verdict.unchecked,
                             reason=f"a yes/no value under {last_key(path) or 'the root'!r}: nothing in the text can "
                                    "check it")
            return
        if isinstance(obj, int | float):
            if isinstance(marker, Name | Quote):
                self.rec.add(path, obj, Verdict.unchecked, reason=f"a number where {type(marker).__name__}() "
                                                                  "expects text: not checked")
                return
            self.numbers.check(obj, path, marker if isinstance(marker, Grounded) else GROUNDED, ctx, role)
            return
        if isinstance(obj, dt.date):
            if isinstance(marker, Date) or marker is None:
                self.dates.alone(path, obj, as_date(obj), ctx)  # type: ignore[arg-type]
            return
        if isinstance(obj, str):
            if isinstance(marker, Name):
                self.names.check(obj, path, marker, ctx)
                return
            if isinstance(marker, Quote):
                self.quotes.check(obj, path, marker, ctx)
                return
            if isinstance(marker, Date):
                when = as_date(obj)
                if when is not None:
                    self.dates.alone(path, obj, when, ctx)
                else:  # a date phrase: a quote of the claim's sentences
                    self.quotes.check(obj, path, Quote(role="date"), ctx)
                return
            number = _as_number(obj, counted)
            if number is not None:
                self.numbers.check(number, path, marker if isinstance(marker, Grounded) else GROUNDED, ctx, role,
                                   shown=obj)
                return
            if counted:
                self.rec.add(path, obj, Verdict.unchecked,
                             reason=f"{obj!r} states no number where a count of people is expected: not checked")
                return
            self.rec.add(path, obj, Verdict.unchecked,
                         reason=f"no marker or key rule says how to check {last_key(path) or 'the value'!r}: listed, "
                                "not checked")
            return
        self.rec.add(path, obj, Verdict.unchecked, reason=f"a {type(obj).__name__} value: not checked")

    def _number_role(self, path: str, marker: Marker | None, ctx: Ctx) -> NumberRole | None:
        if isinstance(marker, Grounded) and marker.role is not None:
            return role_of_marker(marker.role)
        own = number_role(last_key(path)) if path else None
        if ctx.role is None:
            return own
        return ctx.role.join(own)

    def walk_node(self, obj: BaseModel | dict, path: str, ctx: Ctx, depth: int, *, item: bool = False) -> None:
        if depth > MAX_DEPTH:
            raise InputError(f"the extraction is nested deeper than {MAX_DEPTH} levels")
        parent = last_key(path) if path else ""
        kids = self.children.checked(obj, parent, path)  # with a value, not skipped
        ctx = self.scopes.enter(obj, path, ctx, count=is_count(obj), item=item, kids=kids, key=parent)
        if ctx.claim is not None and ctx.claim.path == path:
            self.claims[path] = ctx
        prefix = path + "." if path else ""
        dated = has_date(obj)
        for piece, value, marker in kids:
            if dated and piece == "date" and SHAPE_OF[value.__class__] is not NODE:
                continue  # checked below, with the node's phrase
            self.walk(value, prefix + piece, marker, ctx, depth + 1)
        if dated and _own_date(obj):
            self.dates.check(path, {piece: value for piece, value, _m in self.children(obj, parent, path)}, ctx)

    # -- text addressed to a model
    def suspicious(self) -> None:
        """Grounded values stated only in text addressed to a model, and every value of a claim whose
        evidence lies in such text, become ``suspicious_source``."""
        index = self.index
        if not index.instructions:
            return
        tainted: dict[str, str] = {}
        for path, ctx in self.claims.items():
            claim = ctx.claim
            if claim is None:
                continue
            for s, e in claim.quoted:
                found = index.instruction_at(s, e)
                if found is not None:
                    tainted[path] = f"this claim's evidence lies in text addressed to a model ({found.why}: " \
                                    f"“{index.context(*found.cue)}”), not news"
                    break
        out: list[Finding] = []
        for f in self.rec.findings:
            if f.ok or (f.spans and f.verdict in (Verdict.misattached, Verdict.unanchored, Verdict.derived)):
                why = next((why for p, why in tainted.items() if not p or f.path == p or f.path.startswith(p + ".")
                            or f.path.startswith(p + "[")), None)
                if why is None:
                    for sp in f.spans:
                        found = index.instruction_at(sp.start, sp.end)
                        if found is not None:
                            why = f"stated in text addressed to a model ({found.why}: " \
                                  f"“{index.context(*found.cue)}”), not news"
                            break
                if why is not None:
                    f = f.model_copy(update={"verdict": Verdict.suspicious_source, "reason": why})
            out.append(f)
        self.rec.findings = out
