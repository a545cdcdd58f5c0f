"""The name check: a place, party or person (a ``Name()`` leaf) found among the names of the text.

``exact`` (verbatim, whole words), ``normalized`` (case, diacritics, hyphens, apostrophes,
Arabic articles folded), ``alias`` (alias table, gazetteer alternate names, transliteration
skeleton: "Dayr al-Zawr" for "Deir ez-Zor"; how two names are one is
:func:`llmextract.text.names.match_name`'s to say), ``fuzzy`` (rapidfuzz ratio of folded forms
at or above the marker's threshold, with the score, and no more than a typo apart: one edit per
six letters, so Bobangui is not Bangui), else ``unsupported`` with the names the text does hold.
A leading "the" may be dropped.
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from llmextract.grounding.report import Recorder
from llmextract.markers import Name
from llmextract.schema import Verdict
from llmextract.text.index import EvidenceIndex
from llmextract.text.names import canonical_alias, fold, get_gazetteer, match_name

_Found = tuple[Verdict, tuple[int, int], float | None, str]
_FOLDED = "once case, diacritics, hyphens and articles are folded"


class NameCheck:
    """Grounds the name leaves of one run."""

    def __init__(self, index: EvidenceIndex, rec: Recorder) -> None:
        self.index = index
        self.rec = rec

    def check(self, value: str, path: str, marker: Name) -> None:
        if not value.strip():
            return
        got = self._find(value.strip(), marker)
        if got is None and value.strip().lower().startswith("the "):
            got = self._find(value.strip()[4:], marker)
        if got is None:
            self.rec.add(path, value, Verdict.unsupported, reason=self._absent(value, marker))
            return
        verdict, (s, e), score, reason = got
        self.rec.add(path, value, verdict, [self.rec.span(s, e)], score=score, reason=reason)

    def _find(self, value: str, marker: Name) -> _Found | None:
        index = self.index
        found = index.find_word(value)
        if found is not None:
            return Verdict.exact, found, None, "appears verbatim"
        key = fold(value)
        if not key:
            return None
        for n in index.names_folding_to(key):
            return Verdict.normalized, (n.start, n.end), None, f"{n.text!r} {_FOLDED}"
        canon = canonical_alias(value)
        if canon is not None:
            for n in index.names_of(canon):
                return Verdict.alias, (n.start, n.end), None, f"{n.text!r} is another name of {canon} (alias table)"
        found = index.find_folded(key)
        if found:
            s, e = found
            return Verdict.normalized, (s, e), None, f"{index.text[s:e]!r} {_FOLDED}"
        if marker.kind in (None, "place"):
            for variant in sorted(get_gazetteer().variants(value)):
                found = index.find_folded(fold(variant))
                if found:
                    s, e = found
                    return Verdict.alias, (s, e), None, f"{index.text[s:e]!r} is another name of the same place " \
                                                        "(gazetteer alternate names)"
        best: _Found | None = None
        best_score = -1.0
        for n in index.names:
            m = match_name(value, n.text, threshold=marker.threshold)
            if m is None and n.canonical:
                # the name the index resolved the mention to (alias table or gazetteer)
                m2 = match_name(value, n.canonical, threshold=marker.threshold)
                if m2 is not None and m2[0] != "fuzzy":
                    m = ("alias", 1.0)
            if m is None:
                continue
            how, score = m
            if how == "alias":
                what = "place" if n.kind == "place" else "name"
                return Verdict.alias, (n.start, n.end), None, f"{n.text!r} is another spelling of the same " \
                                                              f"{what} (alias table, gazetteer or transliteration)"
            if how in ("exact", "normalized"):
                return Verdict.normalized, (n.start, n.end), None, f"{n.text!r} once folded"
            if Levenshtein.distance(fold(value), fold(n.text)) > max(1, max(len(value), len(n.text)) // 6):
                continue  # more than a typo apart: Bobangui is not Bangui
            if score > best_score:
                best_score = score
                best = (Verdict.fuzzy, (n.start, n.end), round(score, 3),
                        f"closest name {n.text!r} scores {score:.2f} (threshold {marker.threshold:.2f})")
        return best

    def _absent(self, value: str, marker: Name) -> str:
        kinds = {marker.kind, "other"} if marker.kind else None
        seen: dict[str, None] = {}
        for n in self.index.names:
            if kinds is None or n.kind in kinds:
                seen.setdefault(n.text, None)
        listed = ", ".join(list(seen)[:12])
        what = {"place": "places", "org": "parties", "person": "people"}.get(marker.kind or "", "names")
        return (f"{value!r} is not in the text, as written or as a known variant (folded, alias, gazetteer, "
                f"transliteration, fuzzy >= {marker.threshold:.2f})" + (f"; {what} the text names: {listed}"
                                                                         if listed else ""))
