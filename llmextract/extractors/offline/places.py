"""Where a claim happened: the place, province and country of a claim's sentences."""

from __future__ import annotations

import re

from llmextract.schema import Place
from llmextract.text.folding import fold
from llmextract.text.gazetteer import get_gazetteer
from llmextract.text.index import EvidenceIndex, Sentence
from llmextract.text.names import NameMention

_PLACE_CUE = re.compile(r"\b(?:village|town|city|province|district|area|neighbou?rhood|settlement|region|governorate|"
                        r"camp|county|state|suburb|market|municipality|locality|outskirts)\s+of\s+$|\b(?:in|near|at|"
                        r"outside|around|across|from)\s+(?:the\s+)?(?:\w+\s+)?$", re.I)
_PROVINCE_CUE = re.compile(r"\b(?:province|governorate|region|state|district)\s+of\s+\[?$", re.I)


def _is_country(n: NameMention) -> bool:
    entry = get_gazetteer().lookup(n.canonical or n.text, prefer="country")
    return entry is not None and entry.kind == "country" and fold(entry.name) == fold(n.canonical or n.text)


def claim_place(index: EvidenceIndex, sents: list[Sentence]) -> Place | None:
    text = index.text
    best: NameMention | None = None
    province: str | None = None
    country: str | None = None
    for sent in sents:
        for n in index.names_in(sent.start, sent.end):
            if n.kind != "place":
                continue
            before = text[max(0, n.start - 40):n.start]
            if re.match(r"^-(?:led|backed|based|allied|run|born|made)\b", text[n.end:n.end + 10]):
                continue  # "US-led": an adjective, not where it happened
            if _is_country(n):
                country = country or n.text.replace("'s", "").replace("’s", "")
                continue
            if _PROVINCE_CUE.search(before) or (
                    re.match(r"^\]?\s+(?:province|governorate)", text[n.end:n.end + 14])
                    and not re.fullmatch(r"[A-Z][a-z]+(?:ian|ese|ish|i)", n.text)):
                province = province or n.text
                continue
            if n.canonical in ("Syria", "Iraq") or n.text in ("Syria", "Iraq", "Syria's"):
                country = country or n.text.replace("'s", "")
                continue
            if best is None and _PLACE_CUE.search(before):
                best = n
        if best is None:
            places = [n for n in index.names_in(sent.start, sent.end)
                      if n.kind == "place" and n.text not in (province, country) and not _is_country(n)
                      and not re.match(r"^-(?:led|backed|based|allied|run)\b", text[n.end:n.end + 10])
                      and not re.fullmatch(r"[A-Z][a-z]+(?:ian|ese|ish|i)", n.text)]
            if places:
                best = places[0]
        if best is not None:
            break
    if best is None and province is None:
        return None
    phrase = best.text if best else province
    assert phrase is not None
    gaz = get_gazetteer()
    entry = gaz.lookup(phrase)
    name = entry.name if entry else (best.canonical if best and best.canonical else phrase)
    if best is not None and province is None and entry is not None and entry.admin1:
        # the gazetteer's province, written as the article writes it, and only if the article names it
        province = next((n.text for n in index.names if n.kind == "place" and gaz.same_place(n.text, entry.admin1)),
                        None)
    if country is None and entry is not None and entry.country_code:
        country = next((n.text for n in index.names if n.kind == "place" and _is_country(n)
                        and (c := gaz.lookup(n.canonical or n.text, prefer="country")) is not None
                        and c.country_code == entry.country_code), None)
    if province is not None and fold(province) == fold(phrase):
        province = None
    return Place(phrase=phrase, name=name, province=province if best else None, country=country)

