"""What the rules read once per article and keep with its index, so each sentence or claim asks instead of rescanning.

The rules ask the same questions of a sentence many times (every claim that reads it): where its
speech verbs are, its casualty cues, its weapons, who speaks in it. Whatever is worked out once per
article is kept in the article's :attr:`llmextract.text.index.EvidenceIndex.memo` (:func:`per_index`),
under a key of the module that builds it: it lives as long as the index, and articles read in
parallel threads never see each other's (a module global keyed by the text would be neither).

:class:`Scan` runs a case-insensitive pattern over the whole text once (as
:class:`llmextract.text.caseless.CaselessPattern`, the fast way to run a long case-insensitive
alternation); a sentence gets its matches with :meth:`Scan.within`.

The rules' patterns are compiled with :func:`compiled`: their long lists of words are tried letter by
letter (:func:`by_first_letter`), the same matches found faster.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator
from typing import TypeVar

from llmextract.text.caseless import CaselessPattern
from llmextract.text.index import EvidenceIndex

_T = TypeVar("_T")
_QUANTIFIERS = ("?", "*", "+", "{")


def by_first_letter(alternation: str) -> str:
    """The same alternation with its alternatives grouped by their first letter: "kill|dead|killed" ->
    "(?:kill|killed)|dead".

    Python's regex engine tries an alternation's alternatives one after another (skipping one at once only on a
    first literal matched case-sensitively), so a long list of words is tried word by word at every position;
    grouped, it is tried letter by letter. The matches are the same, with or without ``re.IGNORECASE``: two
    alternatives that start with different letters (in either case) never both match at one position, and the
    alternatives that share a first letter keep their order. A group that opens an alternative is spread over it
    ("(?:put|puts)\\s+X" -> "put\\s+X|puts\\s+X", the order its backtracking tries them in). An alternative
    that starts otherwise (a class, an escape, an optional letter, a case-insensitive group) stays where it is,
    and the words on either side of it are grouped apart."""
    runs: list[list[str] | str] = []  # runs of words to group, and the alternatives kept in place between them
    for alternative in _alternatives(alternation):
        spread = _spread(alternative)
        if spread is None:
            runs.append(alternative)
        elif runs and isinstance(runs[-1], list):
            runs[-1] += spread
        else:
            runs.append(spread)
    out: list[str] = []
    for run in runs:
        if isinstance(run, str):
            out.append(run)
            continue
        groups: dict[str, list[str]] = {}
        for word in run:
            groups.setdefault(word[0].lower(), []).append(word)
        out += [group[0] if len(group) == 1 else "(?:" + "|".join(group) + ")" for group in groups.values()]
    return "|".join(out)


def compiled(source: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(source, flags)``, its alternations tried letter by letter (:func:`letter_by_letter`)."""
    return re.compile(letter_by_letter(source), flags)


def _alternatives(source: str) -> list[str]:
    """The top-level alternatives of a pattern's source (escapes, classes and groups kept whole)."""
    out, start = [], 0
    for i, c, depth in _reading(source):
        if c == "|" and depth == 0:
            out.append(source[start:i])
            start = i + 1
    out.append(source[start:])
    return out


def _reading(source: str) -> Iterator[tuple[int, str, int]]:
    """Each character of a pattern's source outside escapes and classes, with its offset and the depth of the
    groups it stands in (a parenthesis counts in the depth it opens or closes into)."""
    depth, i, in_class = 0, 0, False
    while i < len(source):
        c = source[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            i += 1 + len(re.match(r"\^?\]?", source[i + 1:i + 3]).group(0))  # "[]...]", "[^]...]": "]" a member
            continue
        else:
            depth += c == "("
            depth -= c == ")"
            yield i, c, depth
        i += 1


_GROUP_HEAD = re.compile(r"\((?:\?(?:P<\w+>|<[=!]|[=!:]|[aiLmsux-]+:))?")  # "(", "(?:", "(?P<np>", "(?<!", "(?i:"


def letter_by_letter(source: str) -> str:
    """A pattern's source with every alternation in it, its own and its groups', grouped by first letter
    (:func:`by_first_letter`): the same matches, tried faster. What it does not know ("(?(1)...)") is kept as is."""
    if "(?(" in source or "(?#" in source:
        return source
    out: list[str] = []
    opened: list[int] = []  # for each open group, where its body starts in ``out``
    last = 0
    for i, c, _depth in _reading(source):
        if c == "(":
            head = _GROUP_HEAD.match(source, i)
            body = head.end() if head else i + 1
            out.append(source[last:body])
            last = body
            opened.append(len(out))
        elif c == ")" and opened:
            at = opened.pop()
            out[at:] = [by_first_letter("".join(out[at:]) + source[last:i])]
            last = i
    out.append(source[last:])
    return by_first_letter("".join(out))


def _spread(alternative: str) -> list[str] | None:
    """``alternative`` as alternatives (in the order they are tried) that each start with a literal letter, or None.
    A group is spread only over a tail with no capturing group (a group's number and name are its own)."""
    if alternative.startswith("(?:"):
        close = next((i for i, c, depth in _reading(alternative) if c == ")" and depth == 0), None)
        if close is None or alternative[close + 1:].startswith(_QUANTIFIERS):
            return None
        body, tail = alternative[3:close], alternative[close + 1:]
        if re.search(r"\((?!\?)|\(\?P<", tail):
            return None
        out: list[str] = []
        for part in _alternatives(body):
            spread = _spread(part + tail)
            if spread is None:
                return None
            out += spread
        return out if sum(map(len, out)) <= 8 * len(alternative) else None  # a long tail is not copied many times
    if not alternative or not (alternative[0].isalnum() or alternative[0] in "'’-") \
            or alternative[1:2].startswith(_QUANTIFIERS):
        return None
    return [alternative]


def per_index(index: EvidenceIndex, key: object, build: Callable[[], _T]) -> _T:
    """``index.memo[key]``, made by ``build()`` the first time it is asked for."""
    memo = index.memo
    if key in memo:
        return memo[key]  # type: ignore[return-value]
    got = memo[key] = build()
    return got


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
    letters a match can start with (see :class:`~llmextract.text.caseless.CaselessPattern`)."""

    def __init__(self, words: str, first: str) -> None:
        self.pattern = CaselessPattern(letter_by_letter(rf"\b(?:{words})\b"), first)

    def spans(self, index: EvidenceIndex) -> list[tuple[int, int]]:
        """Every match's (start, end) in the index's text, leftmost first, not overlapping."""
        return per_index(index, self, lambda: list(self.pattern.spans(index.text, index.lowered)))

    def within(self, index: EvidenceIndex, start: int, end: int) -> list[tuple[int, int]]:
        """The matches that lie inside ``text[start:end]``."""
        return spans_within(self.spans(index), start, end)

    def any_within(self, index: EvidenceIndex, start: int, end: int) -> bool:
        spans = self.spans(index)
        i = bisect.bisect_left(spans, (start, -1))
        return i < len(spans) and spans[i][1] <= end
