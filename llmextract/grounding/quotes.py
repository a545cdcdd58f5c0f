"""The quote check: a ``Quote()`` leaf aligned to the text, or the closest passage shown.

Aligned exactly (whole-word occurrences first, inside the claim's sentences first), after
quote-mark/whitespace/case normalisation, or fuzzily: the whole quote against the whole passage
at the marker's threshold, at most one word in ten differing, every figure and every
capitalised word as in the passage (one number or name changed is a different statement, not a
typo). A quote with an ellipsis aligns piece by piece, in order (:meth:`EvidenceIndex.locate
<llmextract.text.index.EvidenceIndex.locate>`). Else ``unsupported``, with the closest passage.
A figure phrase found outside its claim's evidence is ``misattached``
(:mod:`llmextract.grounding.scopes`).
"""

from __future__ import annotations

from llmextract.grounding.report import Recorder
from llmextract.grounding.scopes import Scopes
from llmextract.markers import Quote
from llmextract.schema import Verdict
from llmextract.text.index import EvidenceIndex

_HOW = {"exact": "found verbatim",
        "normalized": "found once quote marks, dashes, spaces and case are normalised"}


class QuoteCheck:
    """Grounds the quote leaves of one run."""

    def __init__(self, index: EvidenceIndex, rec: Recorder, scopes: Scopes) -> None:
        self.index = index
        self.rec = rec
        self.scopes = scopes

    def check(self, value: str, path: str, marker: Quote) -> None:
        rec = self.rec
        got = self.scopes.quote(path, value, marker.threshold)
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
            if near is not None:
                reason += f"; the closest passage (score {near[1]:.2f}) reads “{near[0]}”"
            rec.add(path, value, Verdict.unsupported, reason=reason)
            return
        reason = _HOW.get(got.how) or (f"found fuzzily (score {got.score:.2f} >= {marker.threshold:.2f}); "
                                        "its figures and names match")
        if len(got.spans) > 1:
            reason = f"found in {len(got.spans)} pieces around the ellipsis"
        rec.add(path, value, Verdict(got.how), [rec.span(s, e) for s, e in got.spans],
                score=got.score if got.how == "fuzzy" else None, reason=reason)
