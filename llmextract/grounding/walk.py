"""The walk: :func:`ground` visits every leaf of an extraction once and hands it to its check.

Any shape is walked: an :class:`~llmextract.schema.ExtractionResult` (its claims), a
:class:`~llmextract.schema.ClaimList`, any pydantic model, a dict, a list, or a JSON string of
one. A dict with a ``claims`` list that validates as :class:`~llmextract.schema.ClaimList` (or,
with ``provenance``, :class:`~llmextract.schema.ExtractionResult`) is read as that model first.
Each leaf's marker (:mod:`llmextract.grounding.fields`) picks its check (numbers, names, quotes,
dates); the scopes in force at each node (:mod:`llmextract.grounding.scopes`) say where its value
may come from.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from pydantic import BaseModel, ValidationError

from llmextract.errors import InputError
from llmextract.grounding.dates import DateCheck
from llmextract.grounding.fields import GROUNDED, Children, child_names, is_count
from llmextract.grounding.names import NameCheck
from llmextract.grounding.numbers import NumberCheck
from llmextract.grounding.quotes import QuoteCheck
from llmextract.grounding.report import GroundingReport, Recorder
from llmextract.grounding.scopes import Ctx, Scopes
from llmextract.markers import Grounded, Marker, Name, Quote, Skip
from llmextract.schema import Article, ClaimList, ExtractionResult
from llmextract.text.index import EvidenceIndex

log = logging.getLogger(__name__)


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
    obj = _prepare(extraction)
    walker = _Walker(index, published)
    if isinstance(obj, ExtractionResult):
        walker.walk(obj.claims, "claims", None, Ctx())
    else:
        walker.walk(obj, "", None, Ctx())
    return walker.rec.report()


def _prepare(extraction: Any) -> Any:
    """JSON parsed; a dict of claims read as the model it is (a dumped Count's ``best`` is dropped by Count)."""
    if isinstance(extraction, str | bytes):
        try:
            extraction = json.loads(extraction)
        except ValueError as exc:
            raise InputError(f"the extraction is not JSON: {exc}") from exc
    if isinstance(extraction, dict) and isinstance(extraction.get("claims"), list):
        model = ExtractionResult if "provenance" in extraction else ClaimList
        try:
            return model.model_validate(extraction)
        except ValidationError:
            log.debug("extraction has claims but is not a %s; walking it as a plain dict", model.__name__)
    return extraction


class _Walker:
    """One grounding run: the walk, the scopes it keeps, the checks it calls, the findings they add."""

    def __init__(self, index: EvidenceIndex, published: dt.date | None) -> None:
        self.rec = Recorder(index)
        self.children = Children()
        self.scopes = Scopes(index, self.children)
        self.numbers = NumberCheck(index, self.rec, self.scopes)
        self.names = NameCheck(index, self.rec)
        self.quotes = QuoteCheck(index, self.rec, self.scopes)
        self.dates = DateCheck(index, self.rec, self.scopes, published)

    def walk(self, obj: Any, path: str, marker: Marker | None, ctx: Ctx) -> None:
        if obj is None or isinstance(marker, Skip):
            return
        if isinstance(obj, BaseModel | dict):
            self.walk_node(obj, path, ctx)
        elif isinstance(obj, list | tuple):
            item_ctx = self.scopes.items(obj, path, ctx)
            for i, item in enumerate(obj):
                if isinstance(item, BaseModel | dict):
                    self.walk_node(item, f"{path}[{i}]", item_ctx.get(i, ctx), item=True)
                else:
                    self.walk(item, f"{path}[{i}]", marker, ctx)
        elif isinstance(obj, bool):
            return
        elif isinstance(obj, int | float):
            self.numbers.check(obj, path or "value", marker if isinstance(marker, Grounded) else GROUNDED, ctx)
        elif isinstance(obj, str):
            if isinstance(marker, Name):
                self.names.check(obj, path or "value", marker)
            elif isinstance(marker, Quote):
                self.quotes.check(obj, path or "value", marker)

    def walk_node(self, obj: BaseModel | dict, path: str, ctx: Ctx, *, item: bool = False) -> None:
        kids = self.children(obj)
        ctx = self.scopes.enter(obj, path, ctx, count=is_count(obj), item=item)
        prefix = path + "." if path else ""
        for piece, value, marker in kids:
            # what walk() would skip, skipped here without a call: None, Skip, unmarked strings, booleans
            if value is None or value is True or value is False or marker.__class__ is Skip or (
                    value.__class__ is str and marker is None):
                continue
            self.walk(value, prefix + piece, marker, ctx)
        if "date" in child_names(obj):
            self.dates.check(path, {piece: value for piece, value, _m in kids})
