"""Case-insensitive patterns, scanned quickly.

Python's regex engine skips a failing alternative on its first literal only when it matches
case-sensitively, so a large case-insensitive alternation ("twenty|thirty|...", "monday|...")
is tried in full at every position of the text. :class:`CaselessPattern` runs the same pattern
case-sensitively over the lowercased text instead, behind a lookahead that rejects at once any
position not starting with one of the characters a match can start with. The spans are the
same: lowering keeps every character in place, and each character then matches a pattern
element case-sensitively exactly when it matched it ignoring case, except for three: "İ" lowers
to two characters, and dotless "ı" and long "ſ" match "i" and "s" ignoring case yet stay
themselves when lowered. A text holding one of them is scanned with the case-insensitive pattern.

Lowering a text costs about as much as one scan of it, and a text is scanned by several patterns:
a caller that scans one text many times lowers it once with :func:`lowered` and hands the result
to each :meth:`CaselessPattern.spans` (the evidence index keeps it: ``EvidenceIndex.lowered``).
A pattern matched at given positions or in short slices (the words before a figure) is compiled
case-sensitively by :func:`lowered_twin` and matched against the lowered text the same way.

A pattern whose matches start at a word with one of a few beginnings (number words, ordinals) need
not be tried at every character at all: :func:`word_starts` finds those words with ``str.find`` (a
fast search in C) and :meth:`CaselessPattern.spans_at` tries the pattern there only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

LOWERING_UNSAFE = ("\u0130", "\u0131", "\u017f")
_UNSAFE = re.compile("[" + "".join(LOWERING_UNSAFE) + "]")


def lowered(text: str) -> str | None:
    """``text.lower()``, or None when ``text`` holds a character that lowering would misplace."""
    # three searches for one character each (fast in C) instead of a pattern tried at every character
    unsafe = not text.isascii() and any(c in text for c in LOWERING_UNSAFE)
    return None if unsafe else text.lower()


def lowered_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """A case-insensitive pattern whose literals are in lower case, compiled case-sensitively: matched
    against the :func:`lowered` text (or a slice of it), it finds what ``pattern`` finds in the text,
    at the same offsets, and several times faster. For a pattern applied to short slices or from given
    positions, where a :class:`CaselessPattern` scan of the whole text does not fit."""
    if not pattern.flags & re.IGNORECASE or pattern.pattern != pattern.pattern.lower():
        raise ValueError(f"not a case-insensitive pattern written in lower case: {pattern.pattern!r}")
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


_SPAN = re.Match.span


def word_starts(low: str, needles: Iterable[str]) -> list[int]:
    """The offsets, ascending, at which one of ``needles`` occurs in ``low`` with no word character (``\\w``)
    before it: where a word starting with it starts. Each needle is found with ``str.find``, a fast search in C,
    where a pattern opening with ``\\b`` is tried at every character of the text."""
    found: set[int] = set()
    for needle in needles:
        pos = low.find(needle)
        while pos >= 0:
            if pos == 0 or not _is_word_char(low[pos - 1]):
                found.add(pos)
            pos = low.find(needle, pos + 1)
    return sorted(found)


def _is_word_char(c: str) -> bool:
    """Whether ``re`` reads the character ``c`` as ``\\w`` (a letter or digit of any script, or "_")."""
    return c.isalnum() or c == "_"


class CaselessPattern:
    """``re.compile(source, re.IGNORECASE)``, scanned as described above.

    ``source`` must write its literals in lower case; ``first`` lists every character (a regex
    character-class body, such as ``\\d`` or ``a-z``) that a match can start with.
    """

    def __init__(self, source: str, first: str) -> None:
        self.caseless = re.compile(source, re.IGNORECASE)
        self._lowered = re.compile(rf"(?=[{first}])(?:{source})")

    def finditer(self, text: str, lowered_text: str | None = None) -> Iterator[re.Match[str]]:
        """The matches :meth:`spans` gives the spans of. They are matches of the lowered text when it is
        safe to lower: their groups are in lower case."""
        low = lowered_text if lowered_text is not None else lowered(text)
        if low is None:
            return self.caseless.finditer(text)
        return self._lowered.finditer(low)

    def spans(self, text: str, lowered_text: str | None = None) -> Iterator[tuple[int, int]]:
        """(start, end) of each match in ``text``: leftmost first, not overlapping, as ``finditer``.

        ``lowered_text``: :func:`lowered` of ``text`` when the caller has it (None: lowered here)."""
        low = lowered_text if lowered_text is not None else lowered(text)
        if low is None:
            return map(_SPAN, self.caseless.finditer(text))
        return map(_SPAN, self._lowered.finditer(low))

    def spans_at(self, lowered_text: str, starts: Iterable[int]) -> list[tuple[int, int]]:
        """The spans :meth:`spans` gives for a text whose :func:`lowered` is ``lowered_text`` (not None), the
        pattern tried only at ``starts``: ascending offsets that include every offset a match can start at
        (more do no harm). The pattern must not match the empty string."""
        out: list[tuple[int, int]] = []
        end = 0
        match = self._lowered.match
        for start in starts:
            if start < end:
                continue
            m = match(lowered_text, start)
            if m is not None:
                out.append(m.span())
                end = m.end()
        return out
