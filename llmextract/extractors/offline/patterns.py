"""The rules' patterns compiled so that their lists of words are tried letter by letter: the same matches, faster.

Python's regex engine tries an alternation's alternatives one after another, skipping one at once
only on a first literal matched case-sensitively; a list of a hundred words ("killed|killing|...")
is tried word by word at every position it is asked at. :func:`compiled` compiles a pattern with
every alternation in it grouped by first letter (:func:`by_first_letter`), so the engine tries a
letter, then the few words that start with it. The rules stay written as they read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
    """``re.compile(source, flags)``, its alternations tried letter by letter (:func:`letter_by_letter`). A verbose
    pattern is compiled as it is (its spaces are not literals)."""
    if flags & re.VERBOSE or "(?x" in source:
        return re.compile(source, flags)
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
