"""The date check: a date with its ``phrase`` (:class:`~llmextract.schema.EventDate`), or a date alone.

With a phrase, the date must be consistent with it and the published date
(:func:`llmextract.text.dates.consistent`): ``exact`` when the date is the one the phrase
resolves to, ``normalized`` when it is another date the phrase allows (an earlier Monday),
``inferred`` when the phrase is a back-reference ("a day earlier", "the day before February 12",
"the same day") and the date is the day it points to, shifted (the spans of both), else
``unsupported`` with the reason, also when the phrase fixes no date ("on Saturday" with no
published date). The phrase itself is a quote, checked as one (in the claim's scope).

A date with no phrase (a ``Date()`` field, a ``date``/``event_date`` key, or an EventDate whose
phrase is empty) is grounded by a date phrase of the text that resolves to it (``normalized``;
one in the claim's scope first, one only in another claim's sentences is ``misattached``) or by
the ISO date written in the text (``exact``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from llmextract.grounding.fields import join
from llmextract.grounding.report import Recorder
from llmextract.grounding.scopes import Ctx, Scopes
from llmextract.grounding.tables import PerArticle
from llmextract.schema import DatePrecision, Verdict
from llmextract.text.dates import DateMention, as_date, consistent, resolve
from llmextract.text.index import EvidenceIndex

#: The date phrases of an article that fix a day, by the published date they are read against.
_DAYS: PerArticle[dict[dt.date | None, dict[dt.date, list[DateMention]]]] = PerArticle(lambda index: {})


class DateCheck:
    """Grounds the dates of one run, against the article's published date."""

    def __init__(self, index: EvidenceIndex, rec: Recorder, scopes: Scopes, published: dt.date | None) -> None:
        self.index = index
        self.rec = rec
        self.scopes = scopes
        self.published = published

    def check(self, path: str, values: dict[str, Any], ctx: Ctx) -> None:
        """``values``: the node's fields by name; checked when it has a ``date`` (with or without a ``phrase``)."""
        if "date" not in values or values["date"] is None:
            return
        rec = self.rec
        raw = values["date"]
        dpath = join(path, "date")
        when = as_date(raw)
        if when is None:
            if isinstance(raw, str):
                rec.add(dpath, raw, Verdict.unsupported, reason="not an ISO date (YYYY-MM-DD)")
            return
        phrase = values.get("phrase")
        if not isinstance(phrase, str) or not phrase.strip():
            self.alone(dpath, raw if isinstance(raw, str) else when, when, ctx)
            return
        published = self.published
        got = self.scopes.aligned(join(path, "phrase"))
        spans = [rec.span(s, e) for s, e in got.spans] if got is not None else []
        if got is not None and self._back_reference(dpath, when, got.spans, spans):
            return
        ok, why = consistent(phrase, when, published)
        expected = resolve(phrase, published).date
        if ok and expected is None:  # "on Saturday" with no published date: any Saturday would do
            ok, why = False, "the phrase does not fix a date" + ("" if published else " without a published date")
        if not ok:
            rec.add(dpath, when, Verdict.unsupported, spans,
                    reason=f"{when.isoformat()} does not follow from {phrase!r}"
                           f"{' published ' + published.isoformat() if published else ' (no published date)'}: "
                           f"{why}")
            return
        if expected == when:
            rec.add(dpath, when, Verdict.exact, spans, reason=f"{phrase!r} resolves to {when.isoformat()}")
        else:
            rec.add(dpath, when, Verdict.normalized, spans,
                    reason=f"{phrase!r} allows {when.isoformat()} ({why}); the latest it allows is "
                           f"{expected.isoformat() if expected else 'not fixed'}")

    def _back_reference(self, dpath: str, when: dt.date, at: tuple[tuple[int, int], ...], spans: list) -> bool:
        """The phrase is "a day earlier", "the day before February 12": the day it points to, shifted."""
        s0, e0 = at[0][0], at[-1][1]
        for ref in self.index.back_references_of("day"):
            if not (ref.start < e0 and s0 < ref.end):
                continue
            rec = self.rec
            if ref.target is None:
                rec.add(dpath, when, Verdict.unsupported, spans,
                        reason=f"{ref.text!r} points back to a day, but the text names no day before it")
                return True
            ts, te = ref.target
            target = self.index.text[ts:te]
            base = resolve(target, self.published).date
            if base is None:
                rec.add(dpath, when, Verdict.unsupported, spans,
                        reason=f"{ref.text!r} counts from {target!r}, which does not fix a day"
                               + ("" if self.published else " without a published date"))
                return True
            day = base + dt.timedelta(days=ref.shift)
            if day != when:
                rec.add(dpath, when, Verdict.unsupported, spans,
                        reason=f"{ref.text!r} counts from {target!r} ({base.isoformat()}): {day.isoformat()}, "
                               f"not {when.isoformat()}")
                return True
            rec.add(dpath, when, Verdict.inferred, [*spans, rec.span(ts, te)],
                    reason=f"{ref.text!r} refers back to {target!r} ({base.isoformat()}): {day.isoformat()}")
            return True
        return False

    def _days(self) -> dict[dt.date, list[DateMention]]:
        """The date phrases of the text that fix a day, by that day (against the published date), in text order."""
        out: dict[dt.date, list[DateMention]] = {}
        for d in self.index.dates:
            r = resolve(d.text, self.published)
            if r.date is not None and r.precision is DatePrecision.day:
                out.setdefault(r.date, []).append(d)
        return out

    def alone(self, dpath: str, shown: Any, when: dt.date, ctx: Ctx) -> None:
        """A date with no phrase: a date phrase of the text that resolves to it, in the claim's scope first."""
        rec = self.rec
        claim = ctx.claim
        by_published = _DAYS(self.index)
        days = by_published.get(self.published)
        if days is None:
            days = by_published[self.published] = self._days()
        found = days.get(when)
        if found:
            scoped = claim is not None and claim.is_claim and claim.anchored
            inside = [d for d in found if not scoped or claim.holds(d.start, d.end)]  # type: ignore[union-attr]
            if inside:
                d = inside[0]
                rec.add(dpath, shown, Verdict.normalized, [rec.span(d.start, d.end)],
                        reason=f"{d.text!r} resolves to {when.isoformat()}")
                return
            d = found[0]
            assert claim is not None
            whose = claim.whose(d.start, d.end)
            where = f"{whose}'s evidence" if whose else "a sentence outside this claim"
            rec.add(dpath, shown, Verdict.misattached, [rec.span(d.start, d.end)],
                    reason=f"{when.isoformat()} is the day of {d.text!r} in “{self.index.context(d.start, d.end)}”, "
                           f"{where}, not of this claim's sentences")
            return
        iso = self.index.find(when.isoformat())
        if iso is not None:
            rec.add(dpath, shown, Verdict.exact, [rec.span(*iso)], reason="appears verbatim")
            return
        rec.add(dpath, shown, Verdict.unsupported, reason="no phrase is given for the date and no date phrase "
                                                          "of the text resolves to it")
