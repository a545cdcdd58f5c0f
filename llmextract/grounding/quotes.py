"""The quote check: a ``Quote()`` leaf aligned to the text, or the closest passage shown.

Aligned exactly (whole-word occurrences first, inside the claim's sentences first), after
quote-mark/whitespace/case normalisation, or fuzzily: the whole quote against the whole passage
at the marker's threshold, at most one word in ten differing, every figure and every
capitalised word as in the passage (one number or name changed is a different statement, not a
typo). A quote with an ellipsis aligns piece by piece, in order (:meth:`EvidenceIndex.locate
<llmextract.text.index.EvidenceIndex.locate>`); one longer than
:data:`~llmextract.text.index.MAX_QUOTE_CHARS` only verbatim or normalised. Else
``unsupported``, with the closest passage.

Where: a figure phrase (a count's) found outside its claim's evidence is ``misattached``
(:mod:`llmextract.grounding.scopes`); so is a date phrase found only outside its claim's scope
("on Friday" of another claim), and a date phrase of a claim with no evidence and no count
phrase is ``unanchored``.
"""

from __future__ import annotations

from llmextract.grounding.report import Recorder
from llmextract.grounding.scopes import Ctx, Scopes
from llmextract.markers import Quote
from llmextract.schema import Verdict
from llmextract.text.index import MAX_QUOTE_CHARS, EvidenceIndex

_HOW = {"exact": "found verbatim",
        "normalized": "found once quote marks, dashes, spaces and case are normalised"}


class QuoteCheck:
    """Grounds the quote leaves of one run."""

    def __init__(self, index: EvidenceIndex, rec: Recorder, scopes: Scopes) -> None:
        self.index = index
        self.rec = rec
        self.scopes = scopes

    def check(self, value: str, path: str, marker: Quote, ctx: Ctx) -> None:
        rec = self.rec
        claim = ctx.claim
        date_phrase = marker.role == "date"
        prefer = claim.sentences if date_phrase and claim is not None else ()
        got = self.scopes.quote(path, value, marker.threshold, prefer)
        if got is not None:
            outside = self.scopes.outside(path)
            if outside is not None:
                rec.add(path, value, Verdict.misattached, [rec.span(s, e) for s, e in got.spans], reason=outside)
                return
        if got is None:
            if not value.strip():
                rec.add(path, value, Verdict.unsupported, reason="the quote is empty")
                return
            near = self.index.nearest(value)
            reason = "not found in the text, exactly, normalised or fuzzily"
            if len(value) > MAX_QUOTE_CHARS:
                reason = (f"not found in the text verbatim or normalised; a quote of {len(value):,} characters is "
                          f"longer than the {MAX_QUOTE_CHARS:,} aligned fuzzily")
            if near is not None:
                reason += f"; the closest passage (score {near[1]:.2f}) reads “{near[0]}”"
            rec.add(path, value, Verdict.unsupported, reason=reason)
            return
        spans = [rec.span(s, e) for s, e in got.spans]
        if date_phrase and claim is not None and claim.is_claim:
            s, e = got.spans[0][0], got.spans[-1][1]
            if not claim.anchored:
                rec.add(path, value, Verdict.unanchored, spans,
                        reason=f"{value!r} is in the text (“{self.index.context(s, e)}”), but the claim has no "
                               "evidence quote and no count phrase found in the text, so nothing says it is this "
                               "claim's date")
                return
            if not claim.holds(s, e):
                whose = claim.whose(s, e)
                where = f"{whose}'s evidence" if whose else "a sentence outside this claim"
                rec.add(path, value, Verdict.misattached, spans,
                        reason=f"the date phrase {value!r} is in “{self.index.context(s, e)}”, {where}, not in this "
                               "claim's own sentences or the sentence before each")
                return
        reason = _HOW.get(got.how) or (f"found fuzzily (score {got.score:.2f} >= {marker.threshold:.2f}); "
                                       "its figures and names match")
        if len(got.spans) > 1:
            reason = f"found in {len(got.spans)} pieces around the ellipsis"
        rec.add(path, value, Verdict[got.how], spans, score=got.score if got.how == "fuzzy" else None, reason=reason)
