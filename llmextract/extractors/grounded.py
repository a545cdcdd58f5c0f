"""Grounded by construction: a JSON schema whose free text is replaced by choices taken from the article.

An endpoint that enforces the schema cannot emit a figure, a name, a quote or a date phrase that the
text does not hold; :func:`from_grounded` turns the chosen phrases back into values.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from pydantic import BaseModel

from llmextract.schema import COUNT_FIELDS, ClaimList, claimlist_schema
from llmextract.text.dates import resolve
from llmextract.text.index import EvidenceIndex
from llmextract.text.numbers import parse_count


def _names_of(index: EvidenceIndex, kinds: tuple[str, ...]) -> list[str]:
    seen: dict[str, None] = {}
    for n in index.names:
        if n.kind in kinds:
            seen.setdefault(n.text, None)
    return list(seen)


def _choice(values: list[str], description: str, nullable: bool = True) -> dict[str, Any]:
    if not values:
        return {"type": "null", "description": description + " (the text offers none)"}
    node: dict[str, Any] = {"type": "string", "enum": values, "description": description}
    if nullable:
        return {"anyOf": [node, {"type": "null"}], "description": description}
    return node


def grounded_schema(index: EvidenceIndex) -> dict[str, Any]:
    """ClaimList's JSON schema with the free text replaced by choices taken from the text.

    Count fields keep only ``phrase``, an ``enum`` of the text's number phrases ("Twenty",
    "at least 40"): ``low``/``high``/``qualifier`` are computed by :func:`from_grounded`.
    Places, claimants, relays, outlets and perpetrators are ``enum`` s of the names in the
    text; evidence quotes an ``enum`` of its sentences; date phrases an ``enum`` of its date
    phrases (the date itself is resolved by the toolkit). An endpoint that enforces the schema
    cannot emit a figure or a name that is not there.
    """
    schema = copy.deepcopy(claimlist_schema())  # changed below: a copy of the shared one
    defs = schema["$defs"]
    numbers = list(dict.fromkeys(m.text for m in index.counts))
    places = _names_of(index, ("place", "other"))
    parties = _names_of(index, ("org", "person", "other"))
    sentences = list(dict.fromkeys(s.text for s in index.sentences))
    date_phrases = list(dict.fromkeys(d.text for d in index.dates))
    count_desc = "The words of the text that state the figure, chosen from the text's number phrases."
    defs["Count"] = {
        "title": "Count", "type": "object", "additionalProperties": False,
        "description": "A casualty figure: the phrase of the text that states it (bounds are computed from it).",
        "properties": {"phrase": _choice(numbers, count_desc, nullable=False) if numbers
                       else {"type": "string", "enum": [""], "description": count_desc}},
        "required": ["phrase"],
    }
    defs["Place"] = {
        "title": "Place", "type": "object",
        "properties": {
            "phrase": _choice(places, "The place as the text writes it.", nullable=False) if places
            else {"type": "string", "enum": [""]},
            "province": _choice(places, "The province, as the text writes it."),
            "country": _choice(places, "The country, as the text writes it."),
        },
        "required": ["phrase"],
    }
    defs["Attribution"] = {
        "title": "Attribution", "type": "object",
        "properties": {
            "claimant": _choice(parties, "Who makes the claim, as the text names them."),
            "relays": {"type": "array",
                       "items": _choice(parties, "A party that passed it on.", nullable=False)
                       if parties else {"type": "null"},
                       "description": "Who passed it on, nearest the claimant first."},
            "outlet": _choice(parties, "The outlet that published the article, if the text names it."),
        },
    }
    defs["EventDate"] = {
        "title": "EventDate", "type": "object",
        "properties": {"phrase": _choice(date_phrases, "The date phrase of the text: 'on Monday'.")},
    }
    defs["Evidence"] = {
        "title": "Evidence", "type": "object",
        "properties": {"quote": _choice(sentences, "A sentence of the text that states the claim.", nullable=False)},
        "required": ["quote"],
    }
    claim = defs["Claim"]["properties"]
    claim["perpetrator"] = _choice(parties, "Who is said to have done it, as the text names them.")
    return schema


def from_grounded(data: dict[str, Any] | BaseModel, index: EvidenceIndex) -> ClaimList:
    """Turn a reply to :func:`grounded_schema` (chosen phrases) into a ClaimList with values.

    Count bounds and qualifiers come from :func:`llmextract.text.numbers.parse_count` of the chosen
    phrase (whatever bounds a reply carries are replaced); evidence quotes get their offsets;
    date phrases are resolved against the index's published date; a place's ``name`` is its
    gazetteer/alias canonical where known.
    """
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    published = index.published if isinstance(index.published, dt.date) else None
    canon = {n.text: n.canonical for n in index.names if n.canonical}
    stated = {m.text: m for m in reversed(index.counts)}
    claims: list[dict[str, Any]] = []
    for raw in data.get("claims") or []:
        if not isinstance(raw, dict):
            continue
        claim = dict(raw)
        for name in COUNT_FIELDS:
            value = claim.get(name)
            if not isinstance(value, dict):
                continue
            phrase = str(value.get("phrase") or "").strip()
            mention = stated.get(phrase)
            count = mention.to_count() if mention is not None else parse_count(phrase) if phrase else None
            claim[name] = None if count is None else count.model_dump(exclude={"best"})
        place = claim.get("place")
        if isinstance(place, dict):
            phrase = place.get("phrase")
            if not phrase:
                claim["place"] = None
            else:
                claim["place"] = {**place, "name": place.get("name") or canon.get(phrase) or phrase}
        date = claim.get("date")
        if isinstance(date, dict):
            phrase = date.get("phrase")
            claim["date"] = resolve(phrase, published).model_dump(mode="json") if phrase else None
        evidence = []
        for ev in claim.get("evidence") or []:
            quote = ev.get("quote") if isinstance(ev, dict) else None
            if not quote:
                continue
            a = index.align(quote)
            evidence.append({"quote": quote, "start": a.start if a else None, "end": a.end if a else None})
        claim["evidence"] = evidence
        attribution = claim.get("attribution")
        if isinstance(attribution, dict):
            claim["attribution"] = {**attribution, "relays": [r for r in attribution.get("relays") or [] if r]}
        claims.append(claim)
    return ClaimList.model_validate({"claims": claims})
