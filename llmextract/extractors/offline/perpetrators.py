"""Who is said to have done it: the perpetrator as the text names it, and its normalised name.

The phrase is read where the text names the party: the subject of an attack verb ("Russian
warplanes struck", "Islamic State gunmen shot dead"), the agent of a passive ("carried out by
the coalition led by the United States", "killed by suspected herdsmen"), or a party word before
a weapon anywhere in the claim ("an Israeli airstrike", "Turkish drones"). A phrase that names
only a weapon ("a car bomb", "mortar fire") names no perpetrator. The phrase is kept verbatim
(grounding checks it against the text).

:func:`normalise_perpetrator` maps the phrase to one name per party, from a small table
(:data:`PARTIES`): adjectives of countries to the country ("Israeli airstrike" -> "Israel",
"Russian missile strike" -> "Russia", "Turkish drones" -> "Turkey"), coalitions to their one
name ("the coalition led by the United States" -> "US-led coalition"), "regime forces" and
"the Syrian army" to "Syrian government forces", armed groups to their usual English name
("Daesh", "ISIS" -> "Islamic State"). A phrase the table does not know normalises to None.
"""

from __future__ import annotations

import re

from llmextract.text.index import EvidenceIndex, Sentence

# The normalisation table: a pattern over the perpetrator phrase -> one name per party. First match wins;
# keep it small: it names parties, it is not a gazetteer of armed groups.
PARTIES: tuple[tuple[str, str], ...] = (
    (r"\bUS-led\b|\bcoalition\s+led\s+by\s+the\s+United\s+States\b|\bAmerican-led\b", "US-led coalition"),
    (r"\bSaudi-led\b|\bSaudi\s+and\s+Emirati\b", "Saudi-led coalition"),
    (r"\b(?:regime|pro-regime|pro-government\s+Syrian|Syrian\s+(?:government|army|regime|troops|forces|"
     r"warplanes|air\s*force|artillery|jets|helicopters)|Assad)\b", "Syrian government forces"),
    (r"\b(?:Islamic\s+State|(?-i:ISIS|ISIL|IS)|Daesh)\b", "Islamic State"),
    (r"\bBoko\s+Haram\b", "Boko Haram"),
    (r"\bal-?Shabaa?b\b", "al-Shabaab"),
    (r"\bTaliban\b", "Taliban"),
    (r"\bHouthis?\b", "Houthis"),
    (r"\bRapid\s+Support\s+Forces\b|\b(?-i:RSF)\b", "Rapid Support Forces"),
    (r"\b(?:Israeli|Israel|IDF)\b", "Israel"),
    (r"\b(?:Russian|Russia)\b", "Russia"),
    (r"\b(?:Turkish|Turkey|Türkiye)\b", "Turkey"),
    (r"\b(?:Ukrainian|Ukraine)\b", "Ukraine"),
    (r"\b(?:American|(?-i:U\.?S\.?))(?!-)\b", "United States"),
    (r"\b(?:coalition)\b", "coalition"),
)
_PARTIES = tuple((re.compile(p, re.I), name) for p, name in PARTIES)

# Words that make a noun phrase name a party (not only a weapon).
_DEMONYMS = (r"[A-Z][A-Za-z]*-(?:led|backed|allied|aligned|run)|Israeli|Russian|Turkish|Syrian|Ukrainian|American|"
             r"US|U\.S\.|Iraqi|Iranian|Saudi|Emirati|Afghan|"
             r"Pakistani|Nigerian|Somali|Sudanese|Ethiopian|Kenyan|Malian|Burkinabe|Congolese|Yemeni|Libyan|"
             r"Egyptian|Israeli-led|Russian-led|Houthi|Kurdish|Pro-Turkey|pro-Turkey|Turkey-backed|Chadian|"
             r"Cameroonian|Nigerien|Myanmar|Burmese|Indian|French|British")
_ACTORS = (r"coalition|army|forces|troops|soldiers|military|militants|gunmen|rebels|insurgents|jihadists|fighters|"
           r"militia|militiamen|police|policemen|bandits|herdsmen|herders|attackers|assailants|raiders|extremists|"
           r"terrorists|regime|junta|separatists|paramilitaries|Taliban|Islamic\s+State|ISIS|ISIL|Daesh|al-Shabaab|"
           r"al-Shabab|Boko\s+Haram|Houthis?|ADF|M23|RSF|Hamas|Hezbollah|PKK|YPG|SDF|HTS|Tatmadaw|Wagner")
_WEAPONS = (r"air\s*strikes?|airstrikes?|missiles?(?:\s+strikes?)?|rockets?|drones?(?:\s+strikes?)?|shelling|artillery|"
            r"warplanes|jets|aircraft|helicopters|planes|mortars?(?:\s+fire)?|bombardment|raids?|strikes?|"
            r"gunfire|snipers?|tanks?|bombers?|suicide\s+bombers?|fire")
_PARTY_NP = re.compile(
    r"\b((?:(?:the|a|an)\s+)?(?:(?:suspected|alleged|unidentified|armed|pro-government|government|state|"
    r"[A-Z][\w'’-]*)\s+){0,4}?(?:(?:" + _DEMONYMS + r")\s+(?:[\w-]+\s+){0,2}?(?:" + _WEAPONS + r"|" + _ACTORS
    + r")|(?:[A-Z][\w'’-]*\s+){0,3}(?:" + _ACTORS + r")(?:\s+(?:" + _WEAPONS + r"))?)"
    r"(?:\s+led\s+by\s+the\s+United\s+States)?)\b")
_ATTACK_VERB = re.compile(
    r"\s+(?:(?:have|has|had|reportedly|allegedly|also|then|later|again)\s+)*(?:struck|hit|shelled|bombed|pounded|"
    r"attacked|killed|killing|shot|opened\s+fire|fired|stormed|raided|ambushed|dropped|targeted|launched|"
    r"carried\s+out|massacred|executed|beheaded|abducted|torched|burned|set\s+fire|blew|exploded|rammed|overran)\b",
    re.I)
_SPEAKS = re.compile(r"\s+(?:\w+\s+)?(?:said|say|says|told|tells|reported|reports|added|stated|confirmed|"
                     r"announced|claimed|blamed|accused)\b", re.I)
_BY_AGENT = re.compile(r"\b(?:carried\s+out|conducted|launched|committed|perpetrated|killed|shot|attacked|"
                       r"targeted|bombed|shelled|claimed|blamed\s+on|attributed\s+to|hit)\s+by\s+$", re.I)


_WEAPON_AFTER = re.compile(r"(?:\s+[\w-]+){0,2}?\s+(?:" + _WEAPONS + r")\b", re.I)
_TARGET_BEFORE = re.compile(r"\b(?:against|fighting|fight|on|targeting|targeted|toward|towards|of|from|with|"
                            r"vestiges\s+of)\s+$", re.I)


def _party_phrases(text: str, start: int, end: int) -> list[tuple[int, int, int]]:
    """(start, end, strength) of every party noun phrase: 3 the subject of an attack verb, 2 the agent of a
    passive or a party naming a weapon ("US-led airstrikes", "an Israeli airstrike"), 1 a party named alone.
    A party in the possessive ("Daesh's stronghold") or after "against", "fighting" (a target) is not one."""
    out = []
    for m in _PARTY_NP.finditer(text, start, end):
        s, e = m.start(1), m.end(1)
        phrase = text[s:e]
        if re.fullmatch(r"(?:the|a|an)\s+\w+", phrase, re.I) and not re.search(_ACTORS, phrase):
            continue
        if re.match(r"['’]s?\b", text[e:e + 2]):
            if not _WEAPON_AFTER.match(text, e + (2 if text[e + 1:e + 2] == "s" else 1), end):
                continue  # "Daesh's main stronghold"; but "the coalition's air strikes" names who struck
            out.append((s, e, 2))
            continue
        if _SPEAKS.match(text, e, end):
            continue  # "police said": the speaker, not the perpetrator
        if _ATTACK_VERB.match(text, e, end):
            strength = 3
        elif _BY_AGENT.search(text, max(start, s - 40), s) or re.search(
                r"(?:" + _WEAPONS + r")$", phrase, re.I):
            strength = 2
        elif _TARGET_BEFORE.search(text, max(start, s - 25), s):
            continue
        else:
            strength = 1
        out.append((s, e, strength))
    return out


def find_perpetrator(index: EvidenceIndex, sents: list[Sentence], *, strength: int = 1) -> str | None:
    """The perpetrator as the claim's sentences name it (strongest reading first, then text order), of at least
    ``strength``."""
    text = index.text
    found: list[tuple[int, int, int]] = []
    for sent in sents:
        found += [f for f in _party_phrases(text, sent.start, sent.end) if f[2] >= strength]
    if not found:
        return None
    s, e, _ = max(found, key=lambda f: (f[2], -f[0]))
    return text[s:e]


def normalise_perpetrator(phrase: str | None) -> str | None:
    """One name per party (:data:`PARTIES`): "Israeli airstrike" -> "Israel"; None when the table does not know it."""
    if not phrase:
        return None
    for pattern, name in _PARTIES:
        if pattern.search(phrase):
            return name
    return None
