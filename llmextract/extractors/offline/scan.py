"""What the rules read once per article and keep with its index, so each sentence or claim asks instead of rescanning.

The rules ask the same questions of a sentence many times (every claim that reads it): where its
speech verbs are, its casualty cues, its weapons, who speaks in it. Whatever is worked out once per
article is kept with the article's index (:meth:`llmextract.text.index.EvidenceIndex.kept`), under a
key of the module that builds it: it lives as long as the index, and articles read in
parallel threads never see each other's (a module global keyed by the text would be neither).

:class:`Scan` runs a case-insensitive pattern over the whole text once (as
:class:`llmextract.text.caseless.CaselessPattern`, the fast way to run a long case-insensitive
alternation); a sentence gets its matches with :meth:`Scan.within`.

The word lists scanned over the whole text (:class:`WordList`: casualty cues, speech verbs, weapons
and fighters, means, words of a rising toll) are found in one pass over the lowered text
(:func:`found`): most of a scan's cost is the regex engine stepping through every position of the
text, so the pass steps once, stops where a word of any list starts, and asks each list's own
pattern there.
"""

from __future__ import annotations

import bisect
import re

from llmextract.extractors.offline.patterns import compiled, letter_by_letter
from llmextract.text.caseless import CaselessPattern, lowered_twin
from llmextract.text.index import EvidenceIndex, Sentence


class WordList:
    """A list of words (and phrases) found whole in an article's lowered text in one pass with every other list.

    ``words``: the alternation; ``pattern``: the list's own pattern, case-sensitive, for the lowered text (its
    matches, leftmost first and not overlapping, are what :func:`found` gives: the pass only stops where it may
    match); ``first``: the letters a match starts with (the pattern is asked only where one stands)."""

    made: list[WordList] = []  # every list, in the order made: the pass looks for all of them

    def __init__(self, words: str, pattern: re.Pattern[str], first: str) -> None:
        if not (first.isalpha() and first.isascii() and pattern.pattern.startswith(f"(?=[{first}])")):
            raise ValueError(f"not a pattern that looks ahead for its first letters, listed: {first!r}")
        self.words, self.pattern, self.first = words, pattern, frozenset(first)
        WordList.made.append(self)


_UNIONS: dict[int, re.Pattern[str]] = {}  # the pass's pattern for the first n lists made (lists, not texts)


def _union(n: int) -> re.Pattern[str]:
    """Where a word of one of the first ``n`` lists starts: a position each list's pattern may match at."""
    if n not in _UNIONS:
        words = "|".join(f"(?:{wl.words})" for wl in WordList.made[:n])
        _UNIONS[n] = compiled(rf"\b(?=(?:{words})\b)")
    return _UNIONS[n]


def found(index: EvidenceIndex, wl: WordList) -> list[re.Match[str]] | None:
    """``list(wl.pattern.finditer(lowered text))``, found in the one pass over the index's lowered text (made the
    first time a list asks); None when the index has no lowered text (lowering would misplace characters)."""
    low = index.lowered
    if low is None:
        return None
    every = index.kept(WordList, _one_pass, low)
    if wl not in every:  # a list made after the pass ran
        every[wl] = list(wl.pattern.finditer(low))
    return every[wl]


def _one_pass(low: str) -> dict[WordList, list[re.Match[str]]]:
    lists = list(WordList.made)
    out: dict[WordList, list[re.Match[str]]] = {wl: [] for wl in lists}
    ends = dict.fromkeys(lists, 0)
    by_letter: dict[str, list[WordList]] = {}  # the lists a word starting with the letter may be of
    for wl in lists:
        for letter in wl.first:
            by_letter.setdefault(letter, []).append(wl)
    for at in map(re.Match.start, _union(len(lists)).finditer(low)):
        for wl in by_letter.get(low[at], ()):
            if at >= ends[wl]:  # a list's matches do not overlap: it is looked at again after its last one ends
                m = wl.pattern.match(low, at)
                if m is not None:
                    out[wl].append(m)
                    ends[wl] = m.end()
    return out


class Caseless:
    """A case-insensitive pattern searched in spans of an article's text: in its lowered text by the pattern's
    case-sensitive twin when the index has one (llmextract.text.caseless: the same spans, faster). The match is
    of the lowered text then: for its span, not its words' case."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern, self.twin = pattern, lowered_twin(pattern)

    def search(self, index: EvidenceIndex, start: int, end: int) -> re.Match[str] | None:
        low = index.lowered
        return self.pattern.search(index.text, start, end) if low is None else self.twin.search(low, start, end)


def holds(index: EvidenceIndex, sent: Sentence, *words: str) -> bool:
    """Whether the sentence holds one of ``words`` (in lower case, in any case in the text): a pattern that needs
    one of them is not tried on a sentence without. Read in the index's lowered text; a text that lowering would
    misplace (see llmextract.text.caseless) is said to hold them all, and so is a sentence not read as written."""
    low = index.lowered
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
    letters a match can start with (see :class:`~llmextract.text.caseless.CaselessPattern`). Its matches are
    found in the one pass of the word lists (:class:`WordList`) when the index has a lowered text."""

    def __init__(self, words: str, first: str) -> None:
        source = letter_by_letter(rf"\b(?:{words})\b")
        self.pattern = CaselessPattern(source, first)
        # the pattern CaselessPattern runs over the lowered text
        self.words = WordList(words, re.compile(rf"(?=[{first}])(?:{source})"), first)

    def spans(self, index: EvidenceIndex) -> list[tuple[int, int]]:
        """Every match's (start, end) in the index's text, leftmost first, not overlapping."""
        return index.kept(self, self._scan, index)

    def _scan(self, index: EvidenceIndex) -> list[tuple[int, int]]:
        matches = found(index, self.words)
        return list(self.pattern.spans(index.text)) if matches is None else [m.span() for m in matches]

    def within(self, index: EvidenceIndex, start: int, end: int) -> list[tuple[int, int]]:
        """The matches that lie inside ``text[start:end]``."""
        return spans_within(self.spans(index), start, end)

    def any_within(self, index: EvidenceIndex, start: int, end: int) -> bool:
        spans = self.spans(index)
        i = bisect.bisect_left(spans, (start, -1))
        return i < len(spans) and spans[i][1] <= end
