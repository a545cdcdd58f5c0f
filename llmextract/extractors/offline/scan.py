"""Word patterns of the rules scanned once per text, so each sentence asks for its matches instead of rescanning.

The rules ask the same questions of a sentence many times (every claim that reads it): where its
speech verbs are, its casualty cues, its weapons. :class:`Scan` runs a case-insensitive pattern
over the whole text once (as :class:`llmextract.text.caseless.CaselessPattern`, the fast way to
run a long case-insensitive alternation) and keeps the spans of the last text it saw; a sentence
gets its own with :meth:`Scan.within`.
"""

from __future__ import annotations

import bisect
import threading

from llmextract.text.caseless import CaselessPattern


class Scan:
    """The spans of one case-insensitive pattern in the last text scanned (one text at a time per thread)."""

    def __init__(self, source: str, first: str) -> None:
        self.pattern = CaselessPattern(source, first)
        self._local = threading.local()

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Every match's (start, end) in ``text``, leftmost first, not overlapping."""
        last = getattr(self._local, "last", None)
        if last is not None and last[0] is text:
            return last[1]
        spans = list(self.pattern.spans(text))
        self._local.last = (text, spans)
        return spans

    def within(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """The matches that lie inside ``text[start:end]``."""
        spans = self.spans(text)
        i = bisect.bisect_left(spans, (start, -1))
        out = []
        while i < len(spans) and spans[i][0] < end:
            if spans[i][1] <= end:
                out.append(spans[i])
            i += 1
        return out

    def any_within(self, text: str, start: int, end: int) -> bool:
        spans = self.spans(text)
        i = bisect.bisect_left(spans, (start, -1))
        return i < len(spans) and spans[i][1] <= end
