"""The number check: a number leaf grounded by the number mentions of its scope, in its role.

``exact`` when a mention states that value in digits ("20", the bound of "at least 12");
``normalized`` when it is written otherwise ("Twenty", "a dozen", "5,961", the conservative low
bound 12 of "Dozens"), or when a count's phrase names one or two people ("A muezzin", "a mayor
and his secretary"); ``inferred`` when a back-reference of its scope states it ("four children
and as many women": 4 women); ``derived`` when the value is only a sum of 2-3 or a product of 2
mentions of one scope (17 from "nine children and eight women"); ``misattached`` when the only
mentions stating it lie outside the leaf's scope (:mod:`llmextract.grounding.scopes`) or state
it in another role; ``unanchored`` when its claim has no evidence and no count phrase in the
text; ``unsupported`` otherwise, also for a number that is not whole.

**Roles.** A number whose field names a role (killed, injured, casualties, children, women, men,
people: :mod:`llmextract.grounding.fields`), or that sits in a count, is grounded only by a
mention that counts people (:attr:`~llmextract.text.numbers.NumberMention.kind` ``count``): not a
year, a date, an age, an ordinal, a measure, a time, money, a percentage, a count of things, a
phone number or an identifier (stated only so: ``unsupported``, and the reason says what the
text's figure is). Killed, injured and casualties are distinct roles, and so are the breakdowns
and the totals (:meth:`~llmextract.text.index.EvidenceIndex.role_of`): a killed field grounded
only by a wounded figure is ``misattached``, and the reason names the role. A number under a key
no rule covers is grounded by any mention, and its finding says its role was not checked.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from llmextract.grounding.fields import NumberRole, last_key
from llmextract.grounding.report import Recorder
from llmextract.grounding.scopes import Ctx, Scope, Scopes, Spans, overlaps
from llmextract.grounding.tables import SCANNED, Overlaps, PerArticle, scan_within
from llmextract.grounding.tables import overlaps as overlaps_table
from llmextract.markers import Grounded
from llmextract.schema import Qualifier, Verdict
from llmextract.text.index import BackReference, EvidenceIndex
from llmextract.text.numbers import KIND_NAMES, CountRole, NumberMention

_SINGULAR_HEAD = re.compile(r"^(?:an?|one|the|another|this|that|his|her|their|mr\.?|mrs\.?|ms\.?|dr\.?|chief|pa)\s+\S",
                            re.I)
_PROPER = re.compile(r"^[A-Z][a-z'’-]+(?:\s+[A-Z][a-z.'’-]+){1,3}$")
_PAIR = re.compile(r"\band\s+(?:his|her|their|an?|the|another)\s", re.I)
_VALUES_KEPT = 10_000  # tables of the mentions stating a value kept with an index (values asked: any number)
_BREAKDOWNS = frozenset({"children", "women", "men"})
_PEOPLE = NumberRole(None, "people")  # the role of a number in a count whose key says none
_EVENT_NAMES = {"killed": "a killed figure", "injured": "a wounded figure",
                "casualties": "a casualty figure (killed and wounded together)",
                "other": "a count of people neither killed nor wounded"}


def role_words(role: NumberRole) -> str:
    """How a reason names a field's role: "a count of the killed", "a count of children killed"."""
    if role.group in _BREAKDOWNS:
        return f"a count of {role.group}" + (f" {role.event}" if role.event else "")
    if role.event == "casualties":
        return "a count of casualties (killed and wounded together)"
    if role.event in ("killed", "injured"):
        return f"a count of the {role.event}"
    return "a count of people"


def fits(r: CountRole, role: NumberRole) -> bool:
    """Whether a count whose words say ``r`` can ground a field of ``role``."""
    if role.event is not None and r.event is not None and r.event != role.event:
        return False
    if role.group in _BREAKDOWNS:
        return r.group in (role.group, None, "mixed")
    if role.event is not None:  # a total: not a breakdown that is part of another figure
        return not (r.part and r.group in ("children", "women", "men", "mixed"))
    return True


class NumberCheck:
    """Grounds the number leaves of one run."""

    def __init__(self, index: EvidenceIndex, rec: Recorder, scopes: Scopes) -> None:
        self.index = index
        self.rec = rec
        self.scopes = scopes

    def check(self, raw: int | float, path: str, marker: Grounded, ctx: Ctx, role: NumberRole | None,
              shown: Any = None) -> None:
        """Ground the number ``raw`` at ``path`` in ``role`` (None: no rule covers its key); ``shown`` is
        the value as the extraction wrote it (a string holding a number)."""
        rec, index = self.rec, self.index
        value_shown = raw if shown is None else shown
        if isinstance(raw, float) and not raw.is_integer():
            rec.add(path, value_shown, Verdict.unsupported,
                    reason=f"{raw} is not a whole number; the text states counts")
            return
        value = int(raw)
        if role is None and ctx.is_count:
            role = _PEOPLE
        people = role is not None and role.people
        unchecked = "" if people else (
            "; its role is not checked (Grounded(role='any'))" if role is not None and role.any else
            f"; its role is not checked: no rule covers the key {last_key(path) or 'value'!r}")
        mentions = index.counts if people else index.numbers
        claim = ctx.claim
        unanchored = claim is not None and claim.is_claim and not claim.anchored
        # a singular victim: "A muezzin" is one, "a mayor and his secretary" two
        if ctx.is_count and ctx.count_phrase is not None and value in (1, 2) and ctx.count_phrase_text:
            s, e = ctx.count_phrase
            if not overlaps_table(index, mentions).any_within(((s, e),)) and _singular(ctx.count_phrase_text) == value:
                noun = "one person" if value == 1 else "two people"
                rec.add(path, value_shown, Verdict.normalized, [rec.span(s, e)],
                        reason=f"the phrase {index.text[s:e]!r} names {noun}")
                return
        home = self.scopes.home(ctx, mentions)
        if home is not None:  # the common case first: a mention of its scope states it, in its role
            local = self._allowing(self._stating_within(value, home.spans), role if people else None)
            if local:
                self._grounded(path, value_shown, value, self._pick(local), unchecked)
                return
        allowing, wrong, other_kinds = self._fitting(index.stating(value), role if people else None)
        if home is None:  # no locality known: any mention grounds it
            if allowing:
                m = self._pick(allowing)
                if unanchored:
                    rec.add(path, value_shown, Verdict.unanchored, [rec.span(m.start, m.end)],
                            reason=f"{value} is stated as {m.text!r} in “{index.context(m.start, m.end)}”, but the "
                                   "claim has no evidence quote and no count phrase found in the text, so nothing "
                                   "ties the figure to this claim")
                    return
                self._grounded(path, value_shown, value, m, unchecked)
                return
            if self._inferred(path, value_shown, value, role, None):
                return
            if self._derived(path, value_shown, value, marker, mentions, None):
                return
            if self._wrong_role(path, value_shown, value, role, wrong, None):
                return
            rec.add(path, value_shown, Verdict.unsupported, reason=self._absent(value, mentions, (), other_kinds))
            return
        if self._inferred(path, value_shown, value, role, home):
            return
        near_kinds = [m for m in other_kinds if overlaps(m, home.spans)]
        if near_kinds:  # the claim's own words state it, but as a date, an age, a measure...
            rec.add(path, value_shown, Verdict.unsupported, reason=self._absent(value, [], (), near_kinds))
            return
        home_mentions = overlaps_table(index, mentions).within(home.spans)
        if self._derived(path, value_shown, value, marker, home_mentions, home):
            return
        if self._wrong_role(path, value_shown, value, role, [m for m in wrong if overlaps(m, home.spans)], home):
            return
        if allowing:
            m = allowing[0]
            stated = ", ".join(repr(x.text) for x in home_mentions[:4])
            rec.add(path, value_shown, Verdict.misattached, [rec.span(m.start, m.end) for m in allowing[:3]],
                    reason=f"{value} is stated as {m.text!r} in “{index.context(m.start, m.end)}”, outside "
                           f"{home.label}, which states {stated}")
            return
        for scope in ctx.scopes:
            if scope is home:
                continue
            if self._derived(path, value_shown, value, marker, overlaps_table(index, mentions).within(scope.spans),
                             scope):
                return
        if self._wrong_role(path, value_shown, value, role, wrong, home):
            return
        rec.add(path, value_shown, Verdict.unsupported,
                reason=self._absent(value, home_mentions, home.spans, other_kinds))

    def _stating_within(self, value: int, spans: Spans) -> list[NumberMention]:
        """The mentions stating ``value`` (:meth:`EvidenceIndex.stating`) that overlap ``spans``; a long list
        (a long text states a small figure many times) is sorted once and kept per value."""
        stating = self.index.stating(value)
        if len(stating) <= SCANNED:
            return scan_within(stating, spans)  # nothing to keep
        tables = _BY_VALUE(self.index)
        got = tables.get(value)
        if got is None:
            got = Overlaps(stating)
            if len(tables) < _VALUES_KEPT:
                tables[value] = got
        return got.within(spans)

    def _allowing(self, stating: list[NumberMention], role: NumberRole | None) -> list[NumberMention]:
        """The mentions (of a value) that can ground a field of ``role`` (None: any number): the first list of
        :meth:`_fitting`."""
        if role is None:
            return stating
        role_of = self.index.role_of
        return [m for m in stating if m.kind == "count" and fits(role_of(m), role)]

    def _fitting(self, stating: list[NumberMention], role: NumberRole | None
                 ) -> tuple[list[NumberMention], list[NumberMention], list[NumberMention]]:
        """Mentions stating a value, sorted out for a field of ``role`` (None: any number): those that
        can ground it, the counts in another role, the numbers of another kind (a year, an age...)."""
        if role is None:
            return list(stating), [], []
        # a mention equal to one allowed is allowed too (same start: same role), so one test per mention
        fit = [(m, fits(self.index.role_of(m), role)) for m in stating if m.kind == "count"]
        return ([m for m, ok in fit if ok], [m for m, ok in fit if not ok],
                [m for m in stating if m.kind != "count"])

    def _pick(self, found: list[NumberMention]) -> NumberMention:
        """The first mention that is not in text addressed to a model, else the first."""
        if self.index.instructions:
            for m in found:
                if self.index.instruction_at(m.start, m.end) is None:
                    return m
        return found[0]

    def _wrong_role(self, path: str, raw: Any, value: int, role: NumberRole | None, wrong: list[NumberMention],
                    home: Scope | None) -> bool:
        """Stated, but as a count in another role: misattached, the reason naming both roles."""
        if not wrong or role is None:
            return False
        index = self.index
        m = wrong[0]
        r = index.role_of(m)
        said = _EVENT_NAMES.get(r.event or "", "")
        if r.group in _BREAKDOWNS or r.group == "mixed":
            group = "women and children" if r.group == "mixed" else r.group
            said = (said + ", " if said else "") + f"a count of {group}" + (
                ", part of a larger figure" if r.part else "")
        elif r.part:
            said = (said + ", " if said else "") + "part of a larger figure"
        cue = f" (“{index.text[r.cue[0]:r.cue[1]]}”)" if r.cue else ""
        where = "" if home is None or overlaps(m, home.spans) else f", outside {home.label}"
        self.rec.add(path, raw, Verdict.misattached, [self.rec.span(m.start, m.end)],
                     reason=f"{value} is stated as {m.text!r} in “{index.context(m.start, m.end)}”{where}: "
                            f"{said or 'a count in another role'}{cue}, not {role_words(role)}")
        return True

    def _inferred(self, path: str, raw: Any, value: int, role: NumberRole | None, home: Scope | None) -> bool:
        """"Four children and as many women": 4 women, through the back-reference."""
        if role is None or not role.people:
            return False
        index = self.index
        for ref in _NUMBER_REFERENCES(index).get(value, ()):
            if home is not None and not any(ref.start < b and ref.end > a for a, b in home.spans):
                continue
            group = {"girls": "children", "boys": "children", "minors": "children", "civilians": "people",
                     "others": "people"}.get(ref.what, ref.what)
            if role.group in _BREAKDOWNS and group != role.group:
                continue
            ts, te = ref.target
            self.rec.add(path, raw, Verdict.inferred, [self.rec.span(ref.start, ref.end), self.rec.span(ts, te)],
                         reason=f"{ref.text!r} refers back to {index.text[ts:te]!r}: {value}")
            return True
        return False

    def _absent(self, value: int, near: list[NumberMention], spans: tuple[tuple[int, int], ...],
                other_kinds: list[NumberMention]) -> str:
        if other_kinds:
            m = other_kinds[0]
            what = KIND_NAMES.get(m.kind, m.kind)
            if m.kind == "date" and (m.value or 0) > 31:
                what = "the year of a date"
            return (f"{value} is stated only as {what} ({m.text!r} in "
                    f"“{self.index.context(m.start, m.end)}”), never as a count of people")
        if near and spans:
            stated = "; ".join(f"{m.text!r} ({_bounds(m)})" for m in near[:5])
            return f"{value} is not stated in the text; the claim's own words state {stated}"
        figures = _FIGURES(self.index)
        return f"{value} is not stated anywhere in the text" + (f"; its figures are {figures}" if figures else "")

    def _grounded(self, path: str, raw: Any, value: int, m: NumberMention, suffix: str = "") -> None:
        if m.qualifier is Qualifier.vague:
            verdict = Verdict.normalized
            reason = f"{m.text!r} is a vague quantity; {value} is its conservative low bound"
        elif re.search(rf"(?<![\d,.]){value}(?![\d]|[.,]\d)", m.text):
            verdict = Verdict.exact
            reason = f"stated as {m.text!r}" + (f" ({_bounds(m)})" if m.qualifier is not Qualifier.exact else "")
        else:
            verdict = Verdict.normalized
            reason = f"{m.text!r} = {_bounds(m)}"
        self.rec.add(path, raw, verdict, [self.rec.span(m.start, m.end)], reason=reason + suffix)

    def _derived(self, path: str, raw: Any, value: int, marker: Grounded, pool: list[NumberMention],
                 scope: Scope | None) -> bool:
        """value = a sum of 2-3 or a product of 2 figures, in one scope (or, without one, one sentence)."""
        groups: list[list[NumberMention]]
        if scope is None:  # the index's counts or numbers are grouped by sentence once
            groups = _COUNTS_BY_SENTENCE(self.index) if pool is self.index.counts else \
                _NUMBERS_BY_SENTENCE(self.index) if pool is self.index.numbers else _by_sentence(self.index, pool)
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


def _number_references(index: EvidenceIndex) -> dict[int, list[BackReference]]:
    """The back-references of the text that state a number ("as many women"), by the number, in text order."""
    out: dict[int, list[BackReference]] = {}
    for ref in index.back_references_of("number"):
        if ref.target is not None and ref.value is not None:
            out.setdefault(ref.value, []).append(ref)
    return out


def _figures(index: EvidenceIndex) -> str:
    """The text's figures in the order their words first occur, as an unsupported figure's reason lists them."""
    first: dict[str, int] = {}
    for m in index.counts:
        if m.text not in first:
            found = index.find(m.text)
            first[m.text] = found[0] if found else m.start
    return ", ".join(sorted(first, key=first.__getitem__)[:10])


def _by_sentence(index: EvidenceIndex, pool: list[NumberMention]) -> list[list[NumberMention]]:
    """The mentions of each sentence, sentences in the order their first mention comes."""
    by_sentence: dict[int, list[NumberMention]] = {}
    for m in pool:
        by_sentence.setdefault(index.sentence_at(m.start).index, []).append(m)
    return list(by_sentence.values())


# Tables of one article (llmextract.grounding.tables), built when first asked for.
_BY_VALUE: PerArticle[dict[int, Overlaps[NumberMention]]] = PerArticle(lambda index: {})
_NUMBER_REFERENCES = PerArticle(_number_references)
_FIGURES = PerArticle(_figures)
_COUNTS_BY_SENTENCE = PerArticle(lambda index: _by_sentence(index, index.counts))
_NUMBERS_BY_SENTENCE = PerArticle(lambda index: _by_sentence(index, index.numbers))


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
