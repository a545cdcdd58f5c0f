"""What the rules read once per article and keep with its index, so each sentence or claim asks instead of rescanning.

The rules ask the same questions of a sentence many times (every claim that reads it): where its
speech verbs are, its casualty cues, its weapons, who speaks in it. Whatever is worked out once per
article is kept in the article's :attr:`llmextract.text.index.EvidenceIndex.memo` (:func:`per_index`),
under a key of the module that builds it: it lives as long as the index, and articles read in
parallel threads never see each other's (a module global keyed by the text would be neither).

:class:`Scan` runs a case-insensitive pattern over the whole text once (as
:class:`llmextract.text.caseless.CaselessPattern`, the fast way to run a long case-insensitive
alternation); a sentence gets its matches with :meth:`Scan.within`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import TypeVar

from llmextract.extractors.offline.patterns import letter_by_letter
from llmextract.text.caseless import CaselessPattern
from llmextract.text.index import EvidenceIndex, Sentence

_T = TypeVar("_T")


def per_index(index: EvidenceIndex, key: object, build: Callable[[], _T]) -> _T:
    """``index.memo[key]``, made by ``build()`` the first time it is asked for."""
    memo = index.memo
    if key in memo:
        return memo[key]  # type: ignore[return-value]
    got = memo[key] = build()
    return got


def lowered_text(index: EvidenceIndex) -> str | None:
    """:attr:`~llmextract.text.index.EvidenceIndex.lowered` (the text in lower case, offset for offset; None when
    lowering would misplace characters), asked once per index: an index that removed invisible marks lowers its
    text anew each time it is asked."""
    return per_index(index, lowered_text, lambda: index.lowered)


def holds(index: EvidenceIndex, sent: Sentence, *words: str) -> bool:
    """Whether the sentence holds one of ``words`` (in lower case, in any case in the text): a pattern that needs
    one of them is not tried on a sentence without. Read in the index's lowered text; a text that lowering would
    misplace (see llmextract.text.caseless) is said to hold them all, and so is a sentence not read as written."""
    low = lowered_text(index)
    if low is None or not as_written(sent):
        return True
    read = low[sent.start:sent.end]
    for word in words:
        if word in read:
            return True
    return False


def as_written(sent: Sentence) -> bool:
    """Whether the sentence as read is its text as written: the index removed no invisible mark from it (the rules
    read ``sent.text``, the scans of the whole text read it with its marks)."""
    return len(sent.text) == sent.end - sent.start


def spans_within(spans: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The spans (in text order, not overlapping) that lie inside ``[start, end)``."""
    i = bisect.bisect_left(spans, (start, -1))
    out = []
    while i < len(spans) and spans[i][0] < end:
        if spans[i][1] <= end:
            out.append(spans[i])
        i += 1
    return out


class Scan:
    """One case-insensitive pattern, its matches in an article's text found once and kept with its index.

    ``words``: an alternation of words (and phrases) to find whole, as ``\\b(?:words)\\b``; ``first``: the
    letters a match can start with (see :class:`~llmextract.text.caseless.CaselessPattern`); ``needs``: words (in
    lower case) one of which every match holds: a text holding none of them is not scanned."""

    def __init__(self, words: str, first: str, needs: tuple[str, ...] = ()) -> None:
        self.pattern = CaselessPattern(letter_by_letter(rf"\b(?:{words})\b"), first)
        self.needs = needs

    def spans(self, index: EvidenceIndex) -> list[tuple[int, int]]:
        """Every match's (start, end) in the index's text, leftmost first, not overlapping."""
        return per_index(index, self, lambda: self._scan(index))

    def _scan(self, index: EvidenceIndex) -> list[tuple[int, int]]:
        low = lowered_text(index)
        if low is not None and self.needs and not any(word in low for word in self.needs):
            return []
        return list(self.pattern.spans(index.text, low))

    def within(self, index: EvidenceIndex, start: int, end: int) -> list[tuple[int, int]]:
        """The matches that lie inside ``text[start:end]``."""
        return spans_within(self.spans(index), start, end)

    def any_within(self, index: EvidenceIndex, start: int, end: int) -> bool:
        spans = self.spans(index)
        i = bisect.bisect_left(spans, (start, -1))
        return i < len(spans) and spans[i][1] <= end
