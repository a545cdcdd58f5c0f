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
"""

from __future__ import annotations

import re
from collections.abc import Iterator

LOWERING_UNSAFE = ("\u0130", "\u0131", "\u017f")
_UNSAFE = re.compile("[" + "".join(LOWERING_UNSAFE) + "]")
# The last text lowered and its lowered form (None: unsafe to lower). Several patterns scan the same
# text one after another; a tuple is replaced whole, so threads at worst lower a text again.
_last: tuple[str, str | None] = ("", "")


def _lowered(text: str) -> str | None:
    """``text.lower()``, or None when ``text`` holds a character that lowering would misplace."""
    global _last
    last = _last
    if last[0] is text:
        return last[1]
    lowered = None if not text.isascii() and _UNSAFE.search(text) else text.lower()
    _last = (text, lowered)
    return lowered


class CaselessPattern:
    """``re.compile(source, re.IGNORECASE)``, scanned as described above.

    ``source`` must write its literals in lower case; ``first`` lists every character (a regex
    character-class body, such as ``\\d`` or ``a-z``) that a match can start with.
    """

    def __init__(self, source: str, first: str) -> None:
        self.caseless = re.compile(source, re.IGNORECASE)
        self._lowered = re.compile(rf"(?=[{first}])(?:{source})")

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each match in ``text``: leftmost first, not overlapping, as ``finditer``."""
        lowered = _lowered(text)
        if lowered is None:
            return (m.span() for m in self.caseless.finditer(text))
        return (m.span() for m in self._lowered.finditer(lowered))
