"""Tables grounding builds once per article: which mentions of the text lie in given sentences.

The checks ask, claim by claim, which names, number mentions or back-references of the text
overlap the claim's sentences. Scanning every mention of the text for every claim makes
grounding quadratic in the text's length (a long report has more claims *and* more mentions);
an :class:`Overlaps` table sorts a list of mentions by start once, so each question costs a
bisection plus the mentions near the sentences asked about.

Tables are kept with the article's :class:`~llmextract.text.index.EvidenceIndex`, in its
``memo`` under this module's own key (:func:`overlaps`), and live as long as the index; a list
the index's owner replaced is read afresh.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from llmextract.text.index import EvidenceIndex

T = TypeVar("T")


def _span_of(item: Any) -> tuple[int, int]:
    return item.start, item.end


#: A list this short is scanned whole: sorting it would cost more than it saves.
SCANNED = 24


class Overlaps(Generic[T]):
    """Items with spans (``start``, ``end``), sorted by start once: which of them overlap given spans.

    An item overlaps a span ``(a, b)`` when ``item.start < b and item.end > a``, the test the
    checks used to make against every item. Answers keep the items' own order. A list of at most
    :data:`SCANNED` items is scanned whole instead.
    """

    def __init__(self, items: Sequence[T], span: Callable[[T], tuple[int, int]] = _span_of) -> None:
        self.items = items
        spans = [span(x) for x in items]
        self._spans = spans
        self._scanned = len(items) <= SCANNED
        if self._scanned:
            return
        order = sorted(range(len(items)), key=lambda k: spans[k][0])
        self._order = order
        self._starts = [spans[k][0] for k in order]
        self._ends = [spans[k][1] for k in order]
        # an item starting more than the longest item's length before a span ends before it
        self._longest = max((e - s for s, e in spans), default=0)

    def _hits(self, a: int, b: int) -> list[int]:
        """The positions (in the start order) of the items overlapping ``(a, b)``."""
        ends, starts = self._ends, self._starts
        return [k for k in range(bisect_left(starts, a - self._longest), bisect_left(starts, b)) if ends[k] > a]

    def within(self, spans: Iterable[tuple[int, int]]) -> list[T]:
        """The items overlapping any of ``spans``, in the items' own order."""
        if self._scanned:
            spans = tuple(spans)
            out: list[T] = []
            for x, (s, e) in zip(self.items, self._spans, strict=True):
                for a, b in spans:
                    if s < b and e > a:
                        out.append(x)
                        break
            return out
        order = self._order
        found = sorted({order[k] for a, b in spans for k in self._hits(a, b)})
        return [self.items[i] for i in found]

    def any_within(self, spans: Iterable[tuple[int, int]]) -> bool:
        """Whether any item overlaps any of ``spans``."""
        if self._scanned:
            spans = tuple(spans)
            for s, e in self._spans:
                for a, b in spans:
                    if s < b and e > a:
                        return True
            return False
        return any(self._hits(a, b) for a, b in spans)


_KEY = object()  # this module's key in index.memo


def kept(index: EvidenceIndex, what: str, build: Callable[[], T]) -> T:
    """A table of the article made by ``build`` when first asked for, and kept with the index under
    ``what`` (a name the asking module owns)."""
    memo = index.memo
    key = (_KEY, what)
    if key not in memo:
        memo[key] = build()
    return memo[key]  # type: ignore[return-value]


def overlaps(index: EvidenceIndex, items: Sequence[T]) -> Overlaps[T]:
    """The :class:`Overlaps` table of one of the index's lists of mentions (``index.names``,
    ``index.counts``...), built when first asked for and kept with the index."""
    tables: dict[int, tuple[Sequence[Any], int, Overlaps[Any]]] = index.memo.setdefault(_KEY, {})  # type: ignore[assignment]
    got = tables.get(id(items))
    if got is None or got[0] is not items or got[1] != len(items):
        got = tables[id(items)] = (items, len(items), Overlaps(items))
    return got[2]
