"""Tables grounding builds once per article: which mentions of the text lie in given sentences.

The checks ask, claim by claim, which names, number mentions or back-references of the text
overlap the claim's sentences. Scanning every mention of the text for every claim makes
grounding quadratic in the text's length (a long report has more claims *and* more mentions);
an :class:`Overlaps` table sorts a list of mentions by start once, so each question costs a
bisection plus the mentions near the sentences asked about.

Tables are kept with the article's :class:`~llmextract.text.index.EvidenceIndex`, in its
``memo``, each under a :class:`PerArticle` key of the module that asks for it, and live as long
as the index; a list the index's owner replaced is read afresh (:func:`overlaps`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from llmextract.text.index import EvidenceIndex

T = TypeVar("T")


#: A list this short is scanned whole: sorting it would cost more than it saves.
SCANNED = 24


class Overlaps(Generic[T]):
    """Items with spans (``start``, ``end``), sorted by start once: which of them overlap given spans.

    An item overlaps a span ``(a, b)`` when ``item.start < b and item.end > a``, the test the
    checks used to make against every item. Answers keep the items' own order. A list of at most
    :data:`SCANNED` items is scanned whole instead.
    """

    def __init__(self, items: Sequence[T]) -> None:
        self.items = items
        self._scanned = len(items) <= SCANNED
        if self._scanned:  # starts and ends in the items' order
            self._order: list[int] = []
            self._starts = [x.start for x in items]  # type: ignore[attr-defined]
            self._ends = [x.end for x in items]  # type: ignore[attr-defined]
            return
        # in the order of the starts; ``_order`` maps back to the items' order
        self._order = sorted(range(len(items)), key=lambda k: items[k].start)  # type: ignore[attr-defined]
        self._starts = [items[k].start for k in self._order]  # type: ignore[attr-defined]
        self._ends = [items[k].end for k in self._order]  # type: ignore[attr-defined]
        # an item starting more than the longest item's length before a span ends before it
        self._longest = max(e - s for s, e in zip(self._starts, self._ends, strict=True))

    def _hits(self, a: int, b: int) -> list[int]:
        """The positions (in the start order) of the items overlapping ``(a, b)``."""
        ends, starts = self._ends, self._starts
        return [k for k in range(bisect_left(starts, a - self._longest), bisect_left(starts, b)) if ends[k] > a]

    def within(self, spans: Sequence[tuple[int, int]]) -> list[T]:
        """The items overlapping any of ``spans``, in the items' own order."""
        if self._scanned:
            return scan_within(self.items, spans)
        order = self._order
        found = sorted({order[k] for a, b in spans for k in self._hits(a, b)})
        return [self.items[i] for i in found]

    def any_within(self, spans: Sequence[tuple[int, int]]) -> bool:
        """Whether any item overlaps any of ``spans``."""
        if self._scanned:
            for s, e in zip(self._starts, self._ends, strict=True):
                for a, b in spans:
                    if s < b and e > a:
                        return True
            return False
        return any(self._hits(a, b) for a, b in spans)


def scan_within(items: Sequence[T], spans: Sequence[tuple[int, int]]) -> list[T]:
    """The items (with ``start`` and ``end``) overlapping any of ``spans``, in their order: a scan, for a short
    list (at most :data:`SCANNED` items) no table is built for."""
    out: list[T] = []
    for x in items:
        s, e = x.start, x.end  # type: ignore[attr-defined]
        for a, b in spans:
            if s < b and e > a:
                out.append(x)
                break
    return out




class PerArticle(Generic[T]):
    """A table of one article, made by ``build(index)`` when first asked for and kept in the index's
    ``memo`` with this object as its key: a module's tables are its own and live as long as the index.
    Made once, at module level (it holds how to build the table, never a table)."""

    def __init__(self, build: Callable[[EvidenceIndex], T]) -> None:
        self._build = build

    def __call__(self, index: EvidenceIndex) -> T:
        return index.kept(self, self._build, index)


def overlaps(index: EvidenceIndex, items: Sequence[T]) -> Overlaps[T]:
    """The :class:`Overlaps` table of one of the index's lists of mentions (``index.names``,
    ``index.counts``...), built when first asked for and kept with the index."""
    return index.kept_of((Overlaps, id(items)), items, Overlaps)
