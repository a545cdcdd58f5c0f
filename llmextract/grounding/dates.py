"""The date check: a node with a ``date`` and its ``phrase`` (:class:`~llmextract.schema.EventDate`).

The date must be consistent with the phrase and the published date
(:func:`llmextract.text.dates.consistent`): ``exact`` when the date is the one the phrase
resolves to, ``normalized`` when it is another date the phrase allows (an earlier Monday), else
``unsupported`` with the reason, also when the phrase fixes no date ("on Saturday" with no
published date). A date with no phrase is grounded by a date phrase of the text that resolves to
it (``normalized``) or by the ISO date written in the text (``exact``). The phrase itself is a
quote, checked as one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from llmextract.grounding.fields import join
from llmextract.grounding.report import Recorder
from llmextract.grounding.scopes import Scopes
from llmextract.schema import DatePrecision, Verdict
from llmextract.text.dates import consistent, resolve
from llmextract.text.index import EvidenceIndex


class DateCheck:
    """Grounds the dates of one run, against the article's published date."""

    def __init__(self, index: EvidenceIndex, rec: Recorder, scopes: Scopes, published: dt.date | None) -> None:
        self.index = index
        self.rec = rec
        self.scopes = scopes
        self.published = published

    def check(self, path: str, values: dict[str, Any]) -> None:
        """``values``: the node's fields by name; checked when it has both a ``date`` and a ``phrase``."""
        if "date" not in values or "phrase" not in values:
            return
        rec = self.rec
        when, phrase = values["date"], values["phrase"]
        dpath = join(path, "date")
        if isinstance(when, str):
            try:
                when = dt.date.fromisoformat(when[:10])
            except ValueError:
                rec.add(dpath, values["date"], Verdict.unsupported, reason="not an ISO date")
                return
        if not isinstance(when, dt.date) or isinstance(when, dt.datetime):
            return
        published = self.published
        if not isinstance(phrase, str) or not phrase.strip():
            self._without_phrase(dpath, when)
            return
        ok, why = consistent(phrase, when, published)
        got = self.scopes.aligned(join(path, "phrase"))
        spans = [rec.span(s, e) for s, e in got.spans] if got is not None else []
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

    def _without_phrase(self, dpath: str, when: dt.date) -> None:
        rec = self.rec
        for d in self.index.dates:
            r = resolve(d.text, self.published)
            if r.date == when and r.precision is DatePrecision.day:
                rec.add(dpath, when, Verdict.normalized, [rec.span(d.start, d.end)],
                        reason=f"{d.text!r} resolves to {when.isoformat()}")
                return
        iso = self.index.find(when.isoformat())
        if iso is not None:
            rec.add(dpath, when, Verdict.exact, [rec.span(*iso)], reason="appears verbatim")
            return
        rec.add(dpath, when, Verdict.unsupported, reason="no phrase is given for the date and no date phrase "
                                                         "of the text resolves to it")
