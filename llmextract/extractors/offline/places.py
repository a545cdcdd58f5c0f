"""Where a claim happened: the place, province and country of a claim's sentences.

A place named only as a reference point is never the claim's place: "455 km northeast of the
capital Damascus", "20 km south of Deir ez-Zor city" (:func:`is_reference_point`). A claim that
names no place of its own but points back ("in the same province", "on the city") takes the
place of the claim before, at the level the words name (:func:`back_place`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from llmextract.extractors.offline.patterns import compiled
from llmextract.schema import Place
from llmextract.text.caseless import lowered_twin
from llmextract.text.folding import fold
from llmextract.text.gazetteer import get_gazetteer
from llmextract.text.index import EvidenceIndex, Sentence
from llmextract.text.names import NameMention

_PLACE_CUE = compiled(r"\b(?:village|town|city|province|district|area|neighbou?rhood|settlement|region|governorate|"
                      r"camp|county|state|suburb|market|municipality|locality|outskirts)\s+of\s+$|\b(?:in|near|at|"
                      r"outside|around|across|from|on)\s+(?:the\s+)?(?:\w+\s+)?$", re.I)
_PROVINCE_CUE = compiled(r"\b(?:province|governorate|region|state|district)\s+of\s+\[?$", re.I)
# The same, case-sensitively, for the words before a name read in the lowered text (llmextract.text.caseless)
_PLACE_CUE_LOW, _PROVINCE_CUE_LOW = lowered_twin(_PLACE_CUE), lowered_twin(_PROVINCE_CUE)
_ADJECTIVE = compiled(r"^-(?:led|backed|based|allied|run|born|made|installed|aligned|controlled)\b")
_DEMONYM = compiled(r"[A-Z][a-z]+(?:ian|ese|ish|i)")
_DIRECTION = r"(?:north|south|east|west)(?:[\s-]?(?:east|west))?(?:ern)?"
# "455 km northeast of the capital", "20 km south of", "south of the provincial capital city of", "5 miles from"
_REFERENCE_BEFORE = compiled(
    r"(?:\b\d[\d,.]*\s*-?\s*(?:km|kms|kilomet(?:er|re)s?|miles?|mi)\s+(?:\([^)]{1,30}\)\s+)?"
    r"(?:(?:to\s+the\s+)?" + _DIRECTION + r"\s+(?:of|from)|from|outside|away\s+from)"
    r"|(?<!the\s)\b" + _DIRECTION + r"\s+of)"
    r"\s+(?:the\s+)?(?:(?:provincial|regional|district|state|national|Syrian|Iraqi)\s+)?"
    r"(?:(?:capital|city|town|village|border\s+town|port\s+city)(?:\s+city)?(?:\s+of)?\s+)?$", re.I)
_DIGIT = re.compile(r"\d")
# Words that point back to a place named before: "in the same province", "on the city"
_BACK = compiled(r"\b(?:in|on|at|near|across|inside|around|against|to)\s+the\s+(same\s+)?"
                 r"(province|governorate|region|district|city|town|village|area|camp|settlement)\b"
                 r"(?!\s+of\b)(?![ \t]+[A-Z])")


def is_reference_point(index: EvidenceIndex, n: NameMention) -> bool:
    """Whether the name is named only to say where something else is ("20 km south of X", "north of Y").

    Read from the words just before the name, as the index's reference points are (a local look: the
    extractor asks it of a few names, where the index scans the whole text). A reference point needs a
    distance (a digit) or a direction before the name: the pattern is tried only where there is one."""
    start = max(0, n.start - 80)
    low = index.lowered
    if low is not None and not _DIGIT.search(index.text, start, n.start) \
            and not any(low.find(word, start, n.start) >= 0 for word in ("north", "south", "east", "west")):
        return False
    return bool(_REFERENCE_BEFORE.search(index.text, start, n.start))


def back_place(index: EvidenceIndex, sents: list[Sentence], earlier: list[Place]) -> Place | None:
    """The place a claim's words point back to ("in the same province", "on the city"): the province (or
    place) of the claim before that has one."""
    m = next((m for s in sents if (m := _BACK.search(s.text))), None)
    if m is None:
        return None
    word = m.group(2).lower()
    if word in ("province", "governorate", "region", "district"):
        prov = next((p.province or (p.phrase if p.phrase == p.province else None) for p in reversed(earlier)
                     if p.province), None)
        return province_place(index, prov, None) if prov else None
    if m.group(1) is None and word not in ("city", "town", "village", "camp", "settlement"):
        return None
    return next((p.model_copy() for p in reversed(earlier) if p.phrase != p.province and p.phrase != p.country),
                None)


def _demonym(index: EvidenceIndex, n: NameMention) -> bool:
    """ "Iraqi border", "the Syrian army": an adjective, not a place; "Qamishli", "Ghazni" are places."""
    if not _DEMONYM.fullmatch(n.text):
        return False
    return get_gazetteer().lookup(n.canonical or n.text) is None or bool(
        re.match(r"\s+[a-z]", index.text[n.end:n.end + 3]))


def _is_country(n: NameMention) -> bool:
    entry = get_gazetteer().lookup(n.canonical or n.text, prefer="country")
    return entry is not None and entry.kind == "country" and fold(entry.name) == fold(n.canonical or n.text)


def _first_place(index: EvidenceIndex, key: tuple[str, str], test: Callable[[NameMention], bool]) -> str | None:
    """The first place name of the article that passes ``test``: looked for once per index and ``key`` (what
    ``test`` asks), as every claim placed in one province or country asks the same."""
    found: dict[tuple[str, str], str | None] = index.kept(_first_place, dict)
    if key not in found:
        found[key] = next((n.text for n in index.names if n.kind == "place" and test(n)), None)
    return found[key]


def _candidate(index: EvidenceIndex, n: NameMention) -> bool:
    """Whether a place name may be where a claim happened: not an adjective ("US-led"), not a reference point. Each
    name is asked by every claim that reads its sentence: read once per index."""
    if n.kind != "place":
        return False
    read: dict[tuple[int, int], bool] = index.kept(_candidate, dict)
    got = read.get((n.start, n.end))
    if got is None:
        got = read[(n.start, n.end)] = not _ADJECTIVE.match(index.text[n.end:n.end + 12]) \
            and not is_reference_point(index, n)
    return got


def claim_place(index: EvidenceIndex, sents: list[Sentence], *, more: list[Sentence] | None = None) -> Place | None:
    """The place of a claim's sentences: a place after a place cue ("in the village of X"), else the first
    place named; a province or country cued as such fills those fields. Reference points never count.
    ``more``: sentences to look in for a place inside the province when the claim's own name only one."""
    text = index.text
    best: NameMention | None = None
    province: str | None = None
    country: str | None = None
    countries = 0
    gaz = get_gazetteer()
    low = index.lowered
    words, province_cue, place_cue = (text, _PROVINCE_CUE, _PLACE_CUE) if low is None \
        else (low, _PROVINCE_CUE_LOW, _PLACE_CUE_LOW)  # the words before a name, as the cues read them
    for sent in sents:
        if best is not None:
            break
        names = [n for n in index.names_in(sent.start, sent.end) if _candidate(index, n)]
        cued: list[NameMention] = []
        plain: list[NameMention] = []
        for n in names:
            before = words[max(0, n.start - 40):n.start]
            if _is_country(n):
                country = country or n.text.replace("'s", "").replace("’s", "")
                countries += 1
                continue
            if province_cue.search(before) or (
                    re.match(r"^\]?\s+(?:province|governorate)", text[n.end:n.end + 14])
                    and not _demonym(index, n)):
                province = province or n.text
                continue
            if n.canonical in ("Syria", "Iraq") or n.text in ("Syria", "Iraq", "Syria's"):
                country = country or n.text.replace("'s", "")
                continue
            if _demonym(index, n) or fold(n.text) == fold(province or ""):
                continue
            (cued if place_cue.search(before) else plain).append(n)
        # "In Kaduna, the commissioner said bandits killed eight ... outside Birnin Gwari": the opening "In X,"
        # frames the region; a place the sentence names after it is where it happened
        framing = [n for n in cued if re.fullmatch(r"\s*in\s+", text[sent.start:n.start], re.I)
                   and text[n.end:n.end + 1] == ","]
        ranked = [n for n in cued if n not in framing] + framing + plain
        if ranked:
            best = ranked[0]
            entry = gaz.lookup(best.canonical or best.text)
            finer = next((n for n in ranked[1:] if (e := gaz.lookup(n.canonical or n.text)) is not None
                          and e.kind not in ("province", "country") and entry is not None
                          and entry.kind == "province" and e.admin1 and gaz.same_place(e.admin1, entry.name)),
                         None)
            if finer is not None:  # "In Anbar, ... in Haditha": the town, in the province named first
                province = province or best.text
                best = finer
    if best is None and province is not None:
        # a province only: a place inside it, named in the sentences that go with the claim ("the city of X")
        for sent in more or []:
            for n in index.names_in(sent.start, sent.end):
                if not _candidate(index, n) or _is_country(n) or fold(n.text) == fold(province):
                    continue
                entry = gaz.lookup(n.canonical or n.text)
                cued = re.search(r"\b(?:village|town|city|settlement|camp|neighbou?rhood)\s+of\s+$",
                                 text[max(0, n.start - 30):n.start])
                if cued or (entry is not None and entry.kind != "province" and entry.admin1
                            and gaz.same_place(entry.admin1, province)):
                    best = n
                    break
            if best is not None:
                break
    if best is None and province is None:
        if country is None or countries > 1:
            return None  # "in Iraq and Syria": no one country is the place
        return Place(phrase=country, name=country, country=country)  # "in Syria": the country is the place
    phrase = best.text if best else province
    assert phrase is not None
    return _place(index, phrase, best, province, country)


def _place(index: EvidenceIndex, phrase: str, best: NameMention | None, province: str | None,
           country: str | None) -> Place:
    gaz = get_gazetteer()
    entry = gaz.lookup(phrase)
    name = entry.name if entry else (best.canonical if best and best.canonical else phrase)
    if best is not None and province is None and entry is not None and entry.admin1:
        # the gazetteer's province, written as the article writes it, and only if the article names it
        admin1 = entry.admin1
        province = _first_place(index, ("province", admin1), lambda n: gaz.same_place(n.text, admin1))
    if country is None and entry is not None and entry.country_code:
        code = entry.country_code
        country = _first_place(index, ("country", code), lambda n: _is_country(n) and (
            c := gaz.lookup(n.canonical or n.text, prefer="country")) is not None and c.country_code == code)
    if province is not None and fold(province) == fold(phrase):
        province = None if best is not None else province
    return Place(phrase=phrase, name=name, province=province, country=country)


def province_place(index: EvidenceIndex, province: str, country: str | None) -> Place:
    """A claim placed at a province only ("in the same province": the province named before)."""
    return _place(index, province, None, province, country)
