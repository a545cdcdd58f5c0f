"""The number check: a number leaf grounded by the number mentions of its scope.

``exact`` when a mention states that value in digits ("20", the bound of "at least 12");
``normalized`` when it is written otherwise ("Twenty", "a dozen", "5,961", the conservative low
bound 12 of "Dozens"), or when a count's phrase names one or two people ("A muezzin", "a mayor
and his secretary"); ``derived`` when the value is only a sum of 2-3 or a product of 2 mentions
of one scope (17 from "nine children and eight women"); ``misattached`` when the only mentions
stating it lie outside the leaf's scope (:mod:`llmextract.grounding.scopes`); ``unsupported``
otherwise, also for a number that is not whole. A number inside a count is grounded only by
mentions that count (not a year, a date or a measure).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from llmextract.grounding.report import Recorder
from llmextract.grounding.scopes import Ctx, Scope, Scopes, overlaps
from llmextract.markers import Grounded
from llmextract.schema import Qualifier, Verdict
from llmextract.text.index import EvidenceIndex
from llmextract.text.numbers import NumberMention

_SINGULAR_HEAD = re.compile(r"^(?:an?|one|the|another|this|that|his|her|their|mr\.?|mrs\.?|ms\.?|dr\.?|chief|pa)\s+\S",
                            re.I)
_PROPER = re.compile(r"^[A-Z][a-z'’-]+(?:\s+[A-Z][a-z.'’-]+){1,3}$")
_PAIR = re.compile(r"\band\s+(?:his|her|their|an?|the|another)\s", re.I)


class NumberCheck:
    """Grounds the number leaves of one run."""

    def __init__(self, index: EvidenceIndex, rec: Recorder, scopes: Scopes) -> None:
        self.index = index
        self.rec = rec
        self.scopes = scopes

    def check(self, raw: int | float, path: str, marker: Grounded, ctx: Ctx) -> None:
        rec, index = self.rec, self.index
        if isinstance(raw, float) and not raw.is_integer():
            rec.add(path, raw, Verdict.unsupported, reason=f"{raw} is not a whole number; the text states counts")
            return
        value = int(raw)
        allowing = index.stating(value, counts_only=ctx.is_count)
        mentions = index.counts if ctx.is_count else index.numbers
        # a singular victim: "A muezzin" is one, "a mayor and his secretary" two
        if ctx.is_count and ctx.count_phrase is not None and value in (1, 2) and ctx.count_phrase_text:
            s, e = ctx.count_phrase
            if not any(overlaps(m, ((s, e),)) for m in mentions) and _singular(ctx.count_phrase_text) == value:
                noun = "one person" if value == 1 else "two people"
                rec.add(path, raw, Verdict.normalized, [rec.span(s, e)],
                        reason=f"the phrase {index.text[s:e]!r} names {noun}")
                return
        home = self.scopes.home(ctx, mentions)
        if home is None:  # no locality known: any mention grounds it
            if allowing:
                self._grounded(path, raw, value, allowing[0])
                return
            if self._derived(path, raw, value, marker, mentions, None):
                return
            rec.add(path, raw, Verdict.unsupported, reason=self._absent(value, mentions, ()))
            return
        local = [m for m in allowing if overlaps(m, home.spans)]
        if local:
            self._grounded(path, raw, value, local[0])
            return
        home_mentions = [m for m in mentions if overlaps(m, home.spans)]
        if self._derived(path, raw, value, marker, home_mentions, home):
            return
        if allowing:
            m = allowing[0]
            stated = ", ".join(repr(x.text) for x in home_mentions[:4])
            rec.add(path, raw, Verdict.misattached, [rec.span(m.start, m.end) for m in allowing[:3]],
                    reason=f"{value} is stated as {m.text!r} in “{index.context(m.start, m.end)}”, outside "
                           f"{home.label}, which states {stated}")
            return
        for scope in ctx.scopes:
            if scope is home:
                continue
            if self._derived(path, raw, value, marker, [m for m in mentions if overlaps(m, scope.spans)], scope):
                return
        rec.add(path, raw, Verdict.unsupported, reason=self._absent(value, home_mentions, home.spans))

    def _absent(self, value: int, near: list[NumberMention], spans: tuple[tuple[int, int], ...]) -> str:
        if near and spans:
            stated = "; ".join(f"{m.text!r} ({_bounds(m)})" for m in near[:5])
            return f"{value} is not stated in the text; the claim's own words state {stated}"
        # the figures in the order their words first occur in the text
        first = {}
        for m in self.index.counts:
            if m.text not in first:
                found = self.index.find(m.text)
                first[m.text] = found[0] if found else m.start
        figures = ", ".join(sorted(first, key=first.__getitem__)[:10])
        return f"{value} is not stated anywhere in the text" + (f"; its figures are {figures}" if figures else "")

    def _grounded(self, path: str, raw: Any, value: int, m: NumberMention) -> None:
        if m.qualifier is Qualifier.vague:
            verdict = Verdict.normalized
            reason = f"{m.text!r} is a vague quantity; {value} is its conservative low bound"
        elif re.search(rf"(?<![\d,.]){value}(?![\d]|[.,]\d)", m.text):
            verdict = Verdict.exact
            reason = f"stated as {m.text!r}" + (f" ({_bounds(m)})" if m.qualifier is not Qualifier.exact else "")
        else:
            verdict = Verdict.normalized
            reason = f"{m.text!r} = {_bounds(m)}"
        self.rec.add(path, raw, verdict, [self.rec.span(m.start, m.end)], reason=reason)

    def _derived(self, path: str, raw: Any, value: int, marker: Grounded, pool: list[NumberMention],
                 scope: Scope | None) -> bool:
        """value = a sum of 2-3 or a product of 2 figures, in one scope (or, without one, one sentence)."""
        groups: list[list[NumberMention]]
        if scope is None:
            by_sentence: dict[int, list[NumberMention]] = {}
            for m in pool:
                by_sentence.setdefault(self.index.sentence_at(m.start).index, []).append(m)
            groups = list(by_sentence.values())
        else:
            groups = [pool]
        for group in groups:
            found = _combination(value, [m for m in group if m.value is not None][:12])
            if found is None:
                continue
            terms, op = found
            expr = f" {op} ".join(str(m.value) for m in terms)
            words = " and ".join(repr(m.text) for m in terms)
            self.rec.add(path, raw, Verdict.derived, [self.rec.span(m.start, m.end) for m in terms],
                         reason=f"{value} is not stated; it is computed from {words} ({expr} = {value})")
            if marker.derived_ok:
                self.rec.accept(path)
            return True
        return False


def _bounds(m: NumberMention) -> str:
    if m.qualifier is Qualifier.vague:
        return f"at least {m.low}, vague"
    if m.low is not None and m.high is not None:
        return str(m.low) if m.low == m.high else f"{m.low}-{m.high}"
    if m.low is not None:
        return f"{m.qualifier.value.replace('_', ' ')} {m.low}"
    return f"{m.qualifier.value.replace('_', ' ')} {m.high}"


def _singular(phrase: str) -> int | None:
    """1 for "A muezzin", "the mayor", "Ahmed Karimi"; 2 for "a mayor and his secretary"; else None."""
    p = phrase.strip()
    if not (_SINGULAR_HEAD.match(p) or _PROPER.match(p)):
        return None
    pairs = len(_PAIR.findall(p))
    return 1 + pairs if pairs <= 1 else None


def _combination(value: int, pool: list[NumberMention]) -> tuple[list[NumberMention], str] | None:
    vals = [(m, m.value) for m in pool if m.value is not None and m.value > 0]
    for k in (2, 3):
        for combo in itertools.combinations(vals, k):
            if sum(v for _m, v in combo) == value:
                return [m for m, _v in combo], "+"
    for (m1, v1), (m2, v2) in itertools.combinations(vals, 2):
        if v1 > 1 and v2 > 1 and v1 * v2 == value:
            return [m1, m2], "×"
    return None
