"""What the toolkit derives for any extractor's claims, from the index and data rather than from a model.

Run by the pipeline on every result, offline or from a model, before grounding, so both paths
give the same kind of data: each count says whom it counts (:mod:`llmextract.text.victims`);
each date phrase gets its span (a day, a week, a range, an open period up to publication); a
date that dates a statement ("the ministry said on Monday") becomes the claim's ``reported``
date, and the event keeps the claim's other date phrase, if any; the civilians among a mixed
killed total (UCDP's deaths_civilians) and the perpetrator's party under one name (the
belligerent) are filled; each place is resolved by the gazetteer to its canonical province, ISO
country code, GeoNames id, coordinates and UCDP precision, at the nearest level it resolves (the
model returns the phrase, the toolkit resolves it). Only fields the schema marks as derived are written, and what the
extractor set is never overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from llmextract.extractors.offline.perpetrators import normalise_perpetrator
from llmextract.extractors.offline.scoring import civilian_part
from llmextract.schema import COUNT_FIELDS, Claim, Count, EventDate, ExtractionResult, Place
from llmextract.text.dates import DateMention, is_report_date, resolve
from llmextract.text.folding import fold
from llmextract.text.gazetteer import get_gazetteer, resolve_place
from llmextract.text.index import EvidenceIndex
from llmextract.text.numbers import NumberMention
from llmextract.text.victims import victims_after

__all__ = ["derive"]


def derive(result: ExtractionResult, index: EvidenceIndex) -> ExtractionResult:
    """``result`` with its claims' derived fields filled in (the claims are changed in place)."""
    published = result.published or index.published
    for claim in [*result.claims, *result.dropped]:
        spans = _evidence_spans(claim)
        for name in COUNT_FIELDS:
            count: Count | None = getattr(claim, name)
            if count is not None and count.phrase:
                mention = _located(index, "numbers", count.phrase, spans)
                if mention is not None:
                    sentence = index.sentence_at(mention.start)
                    count.victims = victims_after(index.text, mention.end, sentence.end)
        _dates(claim, index, spans, published)
        if claim.civilians_killed is None:
            claim.civilians_killed = civilian_part(index, claim)
        if claim.belligerent is None:
            claim.belligerent = normalise_perpetrator(claim.perpetrator)
        if claim.place is not None and claim.place.precision is None:
            claim.place = _resolved(claim.place, index, spans)
    return result


def _evidence_spans(claim: Claim) -> list[tuple[int, int]]:
    return [(e.start, e.end) for e in claim.evidence if e.start is not None and e.end is not None]


def _by_text(index: EvidenceIndex, kind: str, *, lower: bool = False) -> dict[str, list[Any]]:
    """The index's ``kind`` mentions ("numbers", "names", "dates") by their text (``lower``: lower-cased), in
    text order: built once per index and kept with it (each claim's phrases are looked up in them)."""
    def table(mentions: Sequence[Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for m in mentions:
            out.setdefault(m.text.lower() if lower else m.text, []).append(m)
        return out

    return index.kept_of(("derive: mentions by text", kind, lower), getattr(index, kind), table)


def _located(index: EvidenceIndex, kind: str, phrase: str,
             spans: list[tuple[int, int]]) -> NumberMention | DateMention | None:
    """The mention written ``phrase``: inside the claim's evidence first, else the first in the text."""
    same = _by_text(index, kind, lower=True).get(phrase.strip().lower(), [])
    inside = [m for m in same if any(s <= m.start and m.end <= e for s, e in spans)]
    return (inside or same or [None])[0]


def _dates(claim: Claim, index: EvidenceIndex, spans: list[tuple[int, int]], published: object) -> None:
    date = claim.date
    if date is None or not date.phrase:
        return
    mention = _located(index, "dates", date.phrase, spans)
    if mention is not None and claim.reported is None and is_report_date(index.text, mention.start, mention.end):
        claim.reported = _filled(date, published)
        others = [d for d in index.dates if any(s <= d.start and d.end <= e for s, e in spans)
                  and d.start != mention.start and not is_report_date(index.text, d.start, d.end)]
        claim.date = resolve(others[0].text, published) if others else None  # type: ignore[arg-type]
        return
    claim.date = _filled(date, published)


def _filled(date: EventDate, published: object) -> EventDate:
    """``date`` with its span from the phrase; a date the extractor gave is kept as it is."""
    if date.start is not None or not date.phrase:
        return date
    resolved = resolve(date.phrase, published)  # type: ignore[arg-type]
    update = {"start": resolved.start, "end": resolved.end}
    if date.date is None and resolved.date is not None:
        update |= {"date": resolved.date, "precision": resolved.precision}
    elif date.date is not None and not (resolved.start and resolved.end
                                        and resolved.start <= date.date <= resolved.end):
        update = {"start": date.date, "end": date.date}  # the extractor's own day (grounding judges it)
    return date.model_copy(update=update)


def _country_codes(index: EvidenceIndex) -> frozenset[str]:
    """The countries the article's place names point to: worked out once per index (and only if a claim has a
    place), afresh if the index's owner replaced its names."""
    return index.kept_of(_country_codes, index.names,
                         lambda names: get_gazetteer().countries_in(n.text for n in names if n.kind == "place"))


_PROVINCE_AFTER = re.compile(r"\s+(?:province|governorate)\b", re.I)
_PROVINCE_BEFORE = re.compile(r"\b(?:province|governorate)\s+of\s+(?:the\s+)?$", re.I)


def _resolved(place: Place, index: EvidenceIndex, spans: list[tuple[int, int]]) -> Place:
    """``place`` with the data of what the gazetteer resolves its phrase to (the same phrase of several claims
    resolved once per index)."""
    prefer = "province" if place.province and fold(place.province) == fold(place.phrase) else None
    mention = next((n for n in _by_text(index, "names").get(place.phrase, ()) if any(s <= n.start and n.end <= e
                                                                                for s, e in spans)), None)
    if mention is not None and (_PROVINCE_AFTER.match(index.text, mention.end, mention.end + 16)
                                or _PROVINCE_BEFORE.search(index.text, max(0, mention.start - 24), mention.start)):
        prefer = "province"  # "Deir ez-Zor province": the division, not its capital
    countries = _country_codes(index)
    resolved: dict[tuple[object, ...], Any] = index.kept(_resolved, dict)
    key = (place.phrase, place.province, place.country, countries, prefer)
    found = resolved.get(key)
    if found is None:
        found = resolved[key] = resolve_place(place.phrase, province=place.province, country=place.country,
                                              countries=countries, prefer=prefer)
    if found.precision is None:
        return place
    return place.model_copy(update={"admin1": found.admin1, "country_code": found.country_code,
                                    "geonames_id": found.geonames_id, "latitude": found.latitude,
                                    "longitude": found.longitude, "precision": found.precision})
