"""The name check: a place, party or person (a ``Name()`` leaf) found among the names of the text, in its claim.

How a name is found, best first: ``exact`` (verbatim, whole words), ``normalized`` (case,
diacritics, hyphens, apostrophes, Arabic articles folded), ``alias`` (alias table, gazetteer
alternate names, transliteration skeleton: "Dayr al-Zawr" for "Deir ez-Zor"; how two names are
one is :func:`llmextract.text.names.match_name`'s to say), ``fuzzy`` (rapidfuzz ratio of folded
forms at or above the marker's threshold, with the score, and no more than a typo apart: one edit
per six letters, so Bobangui is not Bangui). A leading "the" may be dropped.

**Where.** The claimant, a relay, a source, the perpetrator, the place, its province and its
country (the scoped roles of :mod:`llmextract.grounding.fields`) must be named in their claim's
scope (:mod:`llmextract.grounding.scopes`); an occurrence there of any of the kinds above
grounds the value. Else, in order:

* ``inferred``: a back-reference of the scope points to it ("in the same province" ->
  "Deir Ezzor"), with the spans of both; or, for a province or a country, it follows from the
  claim's place (or a place its scope names) through the gazetteer ("Hajin is in Deir ez-Zor,
  Syria"), and the reason says so;
* ``misattached``: named in the scope only as a reference point ("455 km northeast of the
  capital Damascus": reason "named as a reference point"), or named only outside the scope (with
  the span, and the claim whose sentence it is when it is another's);
* ``unanchored``: the claim has no evidence and no count phrase found in the text: the name is
  there, but nothing says it is this claim's;
* ``unsupported``: not in the text, with the names the text does hold.

The outlet, and names of no claim role, are grounded anywhere in the text.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator

from rapidfuzz.distance import Levenshtein

from llmextract.grounding.fields import SCOPED_NAMES
from llmextract.grounding.report import Recorder
from llmextract.grounding.scopes import ClaimScope, Ctx
from llmextract.grounding.tables import PerArticle, overlaps
from llmextract.markers import Name
from llmextract.schema import Verdict
from llmextract.text.index import EvidenceIndex
from llmextract.text.names import canonical_alias, fold, get_gazetteer, match_name

_Found = tuple[Verdict, tuple[int, int], float | None, str]
_Inferred = tuple[list[tuple[int, int]], str]  # the spans of both ends, and the reason
_FOLDED = "once case, diacritics, hyphens and articles are folded"
_MEMO_MAX = 20_000  # name searches kept with an index
# Generic head words of a party's name ("the US-led coalition"), and the attacks named after a party.
_GENERIC_ACTOR = frozenset({"coalition", "forces", "force", "army", "military", "troops", "government", "regime",
                            "alliance", "militia", "militias", "group", "fighters", "jets", "warplanes", "aircraft",
                            "planes", "air", "authorities", "security"})
_ATTACK_AFTER = re.compile(
    r"(?:[\s-]+(?:military|air|aerial|naval|ground))?[\s-]+(?:strikes?|air\s*strikes?|raids?|air\s+raids?|attacks?|"
    r"bombings?|bombardments?|shelling|warplanes|jets|aircraft|planes|forces|troops|drones?|artillery|missiles?|"
    r"operations?|assaults?|offensive|sorties|campaign|fire)\b",
    re.I,
)
#: The back-references of an article that point to a place ("the same province").
_PLACE_REFERENCES = PerArticle(lambda index: [ref for ref in index.back_references_of("place")
                                              if ref.target is not None])
#: The names an unsupported name's reason lists, by kind.
_LISTED: PerArticle[dict[str | None, str]] = PerArticle(lambda index: {})
_ROLE_WORDS = {"claimant": "the claimant", "relay": "a relay", "source": "the source", "perpetrator": "the perpetrator",
               "place": "the place", "province": "the province", "country": "the country"}


def _in_scope(hits: list[_Found], starts: list[int], claim: ClaimScope) -> list[_Found]:
    """The hits (in text order, ``starts`` their starts) that lie in the claim's scope, in text order."""
    out: list[_Found] = []
    for a, b in claim.sentences:
        i = bisect.bisect_left(starts, a)
        while i < len(hits) and starts[i] < b:
            out.append(hits[i])
            i += 1
    return out


class NameCheck:
    """Grounds the name leaves of one run."""

    def __init__(self, index: EvidenceIndex, rec: Recorder) -> None:
        self.index = index
        self.rec = rec

    def check(self, value: str, path: str, marker: Name, ctx: Ctx) -> None:
        if not value.strip():
            return
        rec = self.rec
        claim = ctx.claim
        role = marker.role
        scoped = role in SCOPED_NAMES and claim is not None and claim.is_claim
        if not scoped or claim is None:
            got = next(self._hits(value, marker), None)
            if got is None:
                rec.add(path, value, Verdict.unsupported, reason=self._absent(value, marker))
                return
            verdict, (s, e), score, reason = got
            rec.add(path, value, verdict, [rec.span(s, e)], score=score, reason=reason)
            return
        if not claim.anchored:
            got = next(self._hits(value, marker), None)
            if got is None:
                rec.add(path, value, Verdict.unsupported, reason=self._absent(value, marker))
                return
            _v, (s, e), _score, _reason = got
            rec.add(path, value, Verdict.unanchored, [rec.span(s, e)],
                    reason=f"{value!r} is in the text (“{self.index.context(s, e)}”), but the claim has no evidence "
                           "quote and no count phrase found in the text, so nothing says it is this claim's; "
                           "quote the sentence that states the claim")
            return
        reference: tuple[_Found, str] | None = None  # the first hit of the scope that is a reference point
        outside: list[list[_Found]] = []  # the kinds of match, in order, with hits outside the scope
        # the cheap kinds of match everywhere; then what the scope says of it (a back-reference, the
        # gazetteer); then the costly match (alias, transliteration, typo) over the names of the scope only
        for hits, starts in self._groups(value, marker):
            if not hits:
                continue
            inside = _in_scope(hits, starts, claim)
            if len(inside) < len(hits):
                outside.append(hits)
            got, reference = self._grounding(value, role, inside, reference)
            if got is not None:
                verdict, (s, e), score, reason = got
                rec.add(path, value, verdict, [rec.span(s, e)], score=score, reason=reason)
                return
        if self._inferred(value, path, role, claim):
            return
        inside = self._matched(value, marker, claim.sentences)
        if inside:
            outside.append(inside)
        got, reference = self._grounding(value, role, inside, reference)
        if got is not None:
            verdict, (s, e), score, reason = got
            rec.add(path, value, verdict, [rec.span(s, e)], score=score, reason=reason)
            return
        if reference is not None:
            (_v, (s, e), _score, _r), phrase = reference
            rec.add(path, value, Verdict.misattached, [rec.span(s, e)],
                    reason=f"{value!r} is named as a reference point (“{' '.join(phrase.split())}”), not as the "
                           "place where the event happened")
            return
        # where else it is named: the first hit outside the scope, of the first kind of match that has one
        elsewhere = next((h for hits in outside for h in hits if not claim.holds(*h[1])), None)
        if elsewhere is None:
            elsewhere = next((got for got in self._matched(value, marker, None) if not claim.holds(*got[1])), None)
        if elsewhere is not None:
            _v, (s, e), _score, _r = elsewhere
            whose = claim.whose(s, e)
            where = f"{whose}'s evidence" if whose else "a sentence outside this claim"
            rec.add(path, value, Verdict.misattached, [rec.span(s, e)],
                    reason=f"{value!r} is named in “{self.index.context(s, e)}”, {where}, not in this claim's own "
                           f"sentences or the sentence before each; it is not {_ROLE_WORDS.get(role or '', 'named')} "
                           "of this claim as the text says it")
            return
        rec.add(path, value, Verdict.unsupported, reason=self._absent(value, marker))

    def _grounding(self, value: str, role: str | None, inside: list[_Found], reference: tuple[_Found, str] | None
                   ) -> tuple[_Found | None, tuple[_Found, str] | None]:
        """The first of the scope's hits that grounds the name, if one does, and the first that is a reference
        point (a place named to locate another: not the place of the event)."""
        for got in inside:
            if role == "place":
                s, e = got[1]
                ref = self.index.reference_at(s, e)
                if ref is not None:
                    reference = reference or (got, ref.text)
                    continue
                if reference is not None and fold(self.index.text[s:e]) != fold(value):
                    continue  # named as written only as a reference point: another spelling is not it
            return got, reference
        return None, reference

    # -- back-references and the gazetteer
    def _inferred(self, value: str, path: str, role: str | None, claim: ClaimScope) -> bool:
        """A back-reference, the gazetteer or the party's attacks: recorded as ``inferred`` when one applies.
        What applies depends on the text, the value and the claim's sentences and places only: it is
        worked out once and kept with the index."""
        key = ("name inferred", value, role, claim.own, claim.sentences, claim.places)
        memo = self.index.memo
        if key in memo:
            got = memo[key]
        else:
            got = None
            if role in ("place", "province", "country"):
                got = self._through_reference(value, claim)
            if got is None and role in ("province", "country"):
                got = self._through_gazetteer(value, role, claim)
            if got is None and role == "perpetrator":
                got = self._through_attacks(value, claim)
            if len(memo) < _MEMO_MAX:
                memo[key] = got
        if got is None:
            return False
        spans, reason = got  # type: ignore[misc]
        self.rec.add(path, value, Verdict.inferred, [self.rec.span(s, e) for s, e in spans], reason=reason)
        return True

    def _through_reference(self, value: str, claim: ClaimScope) -> _Inferred | None:
        """"In the same province" in the claim's scope, pointing to a place that is ``value``."""
        index, gaz = self.index, get_gazetteer()
        # in the claim's own sentences: the sentence before may speak of another place
        for ref in overlaps(index, _PLACE_REFERENCES(index)).within(claim.own):
            ts, te = ref.target  # type: ignore[misc]
            target = index.text[ts:te]
            if not (fold(target) == fold(value) or gaz.same_place(target, value)
                    or match_name(value, target) is not None):
                continue
            return ([(ref.start, ref.end), (ts, te)],
                    f"“{ref.text}” in this claim's sentences refers back to {target!r} (“{index.context(ts, te)}”)")
        return None

    def _through_gazetteer(self, value: str, role: str, claim: ClaimScope) -> _Inferred | None:
        """A province or country that follows from the claim's place, or a place its scope names."""
        gaz = get_gazetteer()
        want = gaz.lookup(value, prefer="country" if role == "country" else "province")
        if want is None:
            return None
        # the claim's places, then the places its scope names (not as reference points), asked in turn
        scoped = overlaps(self.index, self.index.names).within(claim.sentences)
        candidates: Iterator[tuple[str, tuple[int, int] | None]] = itertools.chain(
            ((p, None) for p in claim.places),
            ((n.text, (n.start, n.end)) for n in scoped
             if n.kind in ("place", "other") and self.index.reference_at(n.start, n.end) is None))
        for place, span in candidates:
            entry = gaz.lookup(place, prefer="settlement")
            if entry is None or entry.country_code is None or entry.country_code != want.country_code:
                continue
            if role == "country":
                ok = want.kind == "country"
                where = f"{entry.name} is in {want.name}"
            else:
                ok = entry.admin1 is not None and (fold(entry.admin1) == fold(want.name)
                                                   or gaz.same_place(entry.admin1, value))
                where = f"{entry.name} is in {entry.admin1}"
            if not ok:
                continue
            named = f"the claim's place {place!r}" if span is None else \
                f"{place!r}, named in “{self.index.context(*span)}”"
            return ([span] if span is not None else [], f"follows from {named} through the gazetteer: {where}")
        return None

    def _through_attacks(self, value: str, claim: ClaimScope) -> _Inferred | None:
        """A perpetrator named in the scope by its distinctive words on its attacks: "US-led strikes" for
        "the US-led coalition", "Saudi-led air raids" for "the Saudi-led coalition"."""
        words = [w for w in value.split() if w.lower() not in _GENERIC_ACTOR and w.lower() != "the"]
        if not words or len(words) == len(value.split()) or not any(w[:1].isupper() for w in words):
            return None
        distinctive = fold(" ".join(words))
        if not distinctive:
            return None
        index = self.index
        for s, e in index.find_all_folded(distinctive):
            if not claim.holds(s, e):
                continue
            after = _ATTACK_AFTER.match(index.text, e)
            if after is None:
                continue
            end = after.end()
            return ([(s, end)], f"this claim's sentences name the attackers by {index.text[s:e]!r}, the words "
                                f"that set {value!r} apart: “{index.text[s:end]}”")
        return None

    # -- finding the name
    def _hits(self, value: str, marker: Name, *, cheap: bool = False) -> Iterator[_Found]:
        """Every occurrence of the name, by kind of match (exact first), each kind in text order; unless
        ``cheap``, the costly match against every name of the text (:meth:`_matched`) follows, when reached."""
        for hits, _starts in self._groups(value, marker):
            yield from hits
        if not cheap:
            yield from self._matched(value, marker, None)

    def _groups(self, value: str, marker: Name) -> Iterator[tuple[list[_Found], list[int]]]:
        """The cheap kinds of match, each a list of hits in text order with their starts. Each kind is
        searched when first reached and kept with the index (it depends on the text and the name only)."""
        key = ("name hits", value, marker.kind, marker.threshold)
        memo = self.index.memo
        got = memo.get(key)
        if got is None:
            got = (self._steps(value, marker), {})
            if len(memo) < _MEMO_MAX:
                memo[key] = got
        steps, groups = got  # type: ignore[misc]
        for k, (how, what) in enumerate(steps):
            group = groups.get(k)
            if group is None:
                hits = self._step(how, what)
                group = groups[k] = (hits, [h[1][0] for h in hits])  # the same whoever computes it first
            yield group

    def _steps(self, value: str, marker: Name) -> list[tuple[str, str]]:
        """The cheap kinds of match, in order, for the name and for it without a leading "the": (how, what)
        pairs :meth:`_step` searches (plain data: what the index keeps holds nothing of this run)."""
        v = value.strip()
        forms = [v] + ([v[4:]] if v.lower().startswith("the ") else [])
        steps: list[tuple[str, str]] = []
        for form in forms:
            key = fold(form)
            steps.append(("verbatim", form))
            if not key:
                continue
            steps += [("folded name", key), ("alias", form), ("folded words", key)]
            if marker.kind in (None, "place"):
                steps.append(("gazetteer", form))
        return steps

    def _step(self, how: str, what: str) -> list[_Found]:
        """The hits of one kind of match (:meth:`_steps`), in text order."""
        index = self.index
        if how == "verbatim":
            return [(Verdict.exact, span, None, "appears verbatim") for span in index.find_words(what)]
        if how == "folded name":
            return [(Verdict.normalized, (n.start, n.end), None, f"{n.text!r} {_FOLDED}")
                    for n in index.names_folding_to(what)]
        if how == "alias":
            return self._aliases(what)
        if how == "folded words":
            return [(Verdict.normalized, (s, e), None, f"{index.text[s:e]!r} {_FOLDED}")
                    for s, e in index.find_all_folded(what)]
        return self._variants(what)  # "gazetteer"

    def _aliases(self, value: str) -> list[_Found]:
        canon = canonical_alias(value)
        if canon is None:
            return []
        return [(Verdict.alias, (n.start, n.end), None, f"{n.text!r} is another name of {canon} (alias table)")
                for n in self.index.names_of(canon)]

    def _variants(self, value: str) -> list[_Found]:
        index = self.index
        found: list[_Found] = []
        # variants that fold alike ("Deir ez-Zor", "Deir Ezzor") are searched once: a span has one fold
        for key in {fold(variant) for variant in get_gazetteer().variants(value)}:
            for s, e in index.find_all_folded(key):
                found.append((Verdict.alias, (s, e), None,
                              f"{index.text[s:e]!r} is another name of the same place (gazetteer alternate names)"))
        return sorted(found, key=lambda f: f[1])

    def _matched(self, value: str, marker: Name, within: tuple[tuple[int, int], ...] | None) -> list[_Found]:
        """Names of the text (``within`` those spans only) that match by alias, transliteration or a typo
        (fuzzy: best score first)."""
        key = ("name matches", value, marker.kind, marker.threshold, within)
        memo = self.index.memo
        got = memo.get(key)
        if got is None:
            names = self.index.names if within is None else overlaps(self.index, self.index.names).within(within)
            got = self._match_names(value, marker, names)
            if len(memo) < _MEMO_MAX:
                memo[key] = got
        return got  # type: ignore[return-value]

    def _match_names(self, value: str, marker: Name, names: list) -> list[_Found]:  # type: ignore[type-arg]
        out: list[_Found] = []
        fuzzy: list[tuple[float, _Found]] = []
        for n in names:
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
                out.append((Verdict.alias, (n.start, n.end), None,
                            f"{n.text!r} is another spelling of the same {what} (alias table, gazetteer or "
                            "transliteration)"))
                continue
            if how in ("exact", "normalized"):
                out.append((Verdict.normalized, (n.start, n.end), None, f"{n.text!r} once folded"))
                continue
            if Levenshtein.distance(fold(value), fold(n.text)) > max(1, max(len(value), len(n.text)) // 6):
                continue  # more than a typo apart: Bobangui is not Bangui
            fuzzy.append((score, (Verdict.fuzzy, (n.start, n.end), round(score, 3),
                                  f"closest name {n.text!r} scores {score:.2f} (threshold {marker.threshold:.2f})")))
        fuzzy.sort(key=lambda x: -x[0])
        return out + [f for _s, f in fuzzy]

    def _absent(self, value: str, marker: Name) -> str:
        by_kind = _LISTED(self.index)
        listed = by_kind.get(marker.kind)
        if listed is None:
            listed = by_kind[marker.kind] = self._listed(marker.kind)
        what = {"place": "places", "org": "parties", "person": "people"}.get(marker.kind or "", "names")
        return (f"{value!r} is not in the text, as written or as a known variant (folded, alias, gazetteer, "
                f"transliteration, fuzzy >= {marker.threshold:.2f})" + (f"; {what} the text names: {listed}"
                                                                         if listed else ""))

    def _listed(self, kind: str | None) -> str:
        """The first dozen names of the text of that kind (or any), as an unsupported name's reason lists them."""
        kinds = {kind, "other"} if kind else None
        seen: dict[str, None] = {}
        for n in self.index.names:
            if kinds is None or n.kind in kinds:
                seen.setdefault(n.text, None)
        return ", ".join(list(seen)[:12])
