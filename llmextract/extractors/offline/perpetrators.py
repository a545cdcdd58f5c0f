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

import bisect
import re

from llmextract.extractors.offline.patterns import compiled
from llmextract.extractors.offline.scan import Caseless, WordList, found
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
_PARTIES = tuple((compiled(p, re.I), name) for p, name in PARTIES)

# Words that make a noun phrase name a party (not only a weapon).
_DEMONYMS = (r"[A-Z][A-Za-z]*-(?:led|backed|allied|aligned|run)|Israeli|Russian|Turkish|Syrian|Ukrainian|American|"
             r"US|U\.S\.|Iraqi|Iranian|Saudi|Emirati|Afghan|"
             r"Pakistani|Nigerian|Somali|Sudanese|Ethiopian|Kenyan|Malian|Burkinabe|Congolese|Yemeni|Libyan|"
             r"Egyptian|Israeli-led|Russian-led|Houthi|Kurdish|Pro-Turkey|pro-Turkey|Turkey-backed|Chadian|"
             r"Cameroonian|Nigerien|Myanmar|Burmese|Indian|French|British|Egyptian|Palestinian|Lebanese|Jordanian|"
             r"(?i:government|pro-government|military|army|coalition|regime|rebel|militia|jihadist|insurgent|"
             r"security\s+forces?)|Taliban|Islamic\s+State|IS|ISIS|ISIL|Daesh|al-Shabaab|Boko\s+Haram|Hamas")
_ACTORS = (r"(?i:coalition|army|forces|troops|soldiers|military|militants|gunmen|rebels|insurgents|jihadists|fighters|"
           r"militia|militiamen|police|policemen|bandits|herdsmen|herders|attackers|assailants|raiders|extremists|"
           r"terrorists|regime|junta|separatists|paramilitaries|Taliban|Islamic\s+State|ISIS|ISIL|Daesh|al-Shabaab|"
           r"al-Shabab|Boko\s+Haram|Houthis?|border\s+guards|guards|snipers|bombers?|suicide\s+bombers?)|ADF|M23|RSF|"
           r"Hamas|Hezbollah|PKK|YPG|SDF|HTS|Tatmadaw|Wagner")
_WEAPONS = (r"(?i:tank\s+fire|mortar\s+fire|artillery\s+fire|gunfire|(?:truck|car|roadside)\s+bombs?|ambush(?:es)?|"
            r"attacks?|assaults?|bombings?|air\s*strikes?|airstrikes?|missiles?(?:\s+strikes?)?|rockets?|"
            r"drones?(?:\s+strikes?)?|shelling|artillery|"
            r"warplanes|jets|aircraft|helicopters|planes|mortars?(?:\s+fire)?|bombardment|raids?|strikes?|"
            r"snipers?|tanks?|bombers?|suicide\s+bombers?|bombs?|fire)")
# Words that may stand between a party's adjective and its weapon or fighters: "army air strikes", "Russian glide
# bombs", "Islamic State suicide bomber"; never a verb or a function word ("the government said eastern forces")
_MID = (r"(?:(?!(?:said|says|say|told|reported|reports|added|and|or|of|in|on|at|by|with|from|to|that|the|a|an|was|"
        r"were|is|are|has|have|had|who|which|after|when|while)\b)[\w-]+\s+){0,2}?")
# A party word that heads no noun phrase of its own: "a police officer", "an army spokesman"
_NOT_HEAD = (r"(?!\s+(?:officers?|spokes(?:man|woman|person)|officials?|chief|commanders?|sources?|statement|station|"
             r"command|headquarters|base|checkpoint|post|patrol|convoy|vehicle|units?|cordon)\b)(?!-)")
# Head words, lower-cased, scanned case-sensitively over the lowered text behind a first-letter look-ahead
# (as llmextract.text.caseless explains: a case-insensitive alternation is tried in full at every position)
_HEAD_BODY = (_WEAPONS + "|" + _ACTORS).replace("(?i:", "(?:").lower()
_HEAD_FIRST = "".join(sorted({w.lstrip("(?:")[:1] for w in _HEAD_BODY.split("|") if w.lstrip("(?:")[:1].isalnum()}))
_HEAD = compiled(rf"(?=[{_HEAD_FIRST}])\b(?:{_HEAD_BODY})\b")
_HEAD_WORDS = WordList(_HEAD_BODY, _HEAD, _HEAD_FIRST)


class _Heads:
    """The head words of an article's text (scanned once, lowered), with their starts and ends (both ascending:
    the spans do not overlap); the party phrases read from each sentence (a sentence is read for several
    claims) and the party each phrase names."""

    def __init__(self, index: EvidenceIndex) -> None:
        text = index.text
        heads = found(index, _HEAD_WORDS)  # in the one pass of the word lists over the lowered text
        if heads is None:
            low = text.lower()  # the index declines to lower the text: lowered here
            heads = list(_HEAD.finditer(low)) if len(low) == len(text) else []
        self.spans = [m.span() for m in heads]
        self.starts = [s for s, _e in self.spans]
        self.ends = [e for _s, e in self.spans]
        self.phrases: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        self.parties: dict[str, tuple[str | None, bool]] = {}  # see _party_of

    def within(self, start: int, end: int) -> list[tuple[int, int]]:
        """(start, end) of the head words in [start, end)."""
        return self.spans[bisect.bisect_left(self.starts, start):bisect.bisect_right(self.ends, end)]


def _heads_of(index: EvidenceIndex) -> _Heads:
    return index.kept(_Heads, _Heads, index)


_ATTACK_VERB = compiled(
    r"\s+(?:(?:have|has|had|reportedly|allegedly|also|then|later|again)\s+)*(?:struck|hit|shelled|bombed|pounded|"
    r"attacked|killed|killing|shot|opened\s+fire|fired|stormed|raided|ambushed|dropped|targeted|launched|"
    r"carried\s+out|massacred|executed|beheaded|abducted|torched|burned|set\s+fire|blew|exploded|rammed|overran)\b",
    re.I)
_COUNTED = compiled(r"(?:\b\d[\d,]*|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens|"
                    r"scores|hundreds|several|many))\s+(?:[\w-]+\s+)?$|\b(?:killing|killed|wounding|wounded|among|"
                    r"including)\s+$", re.I)
_SPEAKS = compiled(r"\s+(?:\w+\s+)?(?:said|say|says|told|tells|reported|reports|added|stated|confirmed|"
                   r"announced|claimed|blamed|accused)\b", re.I)
_BY_AGENT = compiled(r"\b(?:carried\s+out|conducted|launched|committed|perpetrated|killed|shot|attacked|"
                     r"targeted|bombed|shelled|claimed|blamed\s+on|attributed\s+to|hit)\s+by\s+$", re.I)


_WEAPON_AFTER = compiled(r"(?:\s+[\w-]+){0,2}?\s+(?:" + _WEAPONS + r")\b", re.I)
_TARGET_BEFORE = compiled(r"\b(?:against|fighting|fight|on|targeting|targeted|toward|towards|of|from|with|"
                          r"vestiges\s+of)\s+$", re.I)
# The words before a phrase, read in the lowered text when the index has one (see scan.Caseless)
_COUNTED_IN, _BY_AGENT_IN, _TARGET_BEFORE_IN = Caseless(_COUNTED), Caseless(_BY_AGENT), Caseless(_TARGET_BEFORE)


def _party_phrases(index: EvidenceIndex, start: int, end: int) -> list[tuple[int, int, int]]:
    """:func:`_read_party_phrases`, remembered with the index (a sentence is read for several claims)."""
    heads = _heads_of(index)
    got = heads.phrases.get((start, end))
    if got is None:
        got = heads.phrases[(start, end)] = _read_party_phrases(index, heads, start, end)
    return got


_MODIFIERS = frozenset("""
suspected alleged unidentified unknown armed rival eastern western northern southern local heavily
pro-government government military army coalition regime rebel militia jihadist insurgent security police junta
state opposition separatist paramilitary tribal glide suicide air missile drone tank ballistic cruise heavy
artillery mortar rocket truck car roadside cluster barrel incendiary phosphorus naval border
""".split())
_PARTY_WORDS = frozenset({"government", "pro-government", "military", "army", "coalition", "regime", "rebel",
                          "militia", "jihadist", "insurgent", "security", "police", "junta", "paramilitary",
                          "separatist", "opposition"})
_DETERMINER = frozenset({"the", "a", "an"})
_TOKEN_BACK = compiled(r"[\w'’.-]+")
_ACTOR_HEAD = compiled(r"(?:" + _ACTORS + r")$", re.I)
_WEAPON_NEXT = compiled(r"\s+(?:(?:air|missile|drone|artillery|mortar|tank|rocket|glide|car|truck|roadside)\s+)?"
                        r"(?:" + _WEAPONS + r")\b", re.I)
_TAIL = compiled(r"\s+led\s+by\s+the\s+United\s+States\b|\s+on\s+(?:motor(?:cycles|bikes)|pick-?up\s+trucks|"
                 r"horseback)\b")
_NOT_HEAD_RE = compiled(_NOT_HEAD)
_LED = compiled(r"[\w-]+-(?:led|backed|allied|aligned|run|installed|controlled)")


def _noun_phrases(text: str, heads: _Heads, start: int, end: int) -> list[tuple[int, int]]:
    """The party noun phrases of a span: each head word (a weapon or a fighting party) widened to the words
    before it that qualify it ("the Russian-installed", "Islamic State", "suspected") and to a weapon, an agent
    or a vehicle after it ("army air strikes", "the coalition led by the United States", "Gunmen on
    motorbikes"); kept when a word of it names a party, not only a weapon ("a car bomb" names nobody)."""
    out: list[tuple[int, int]] = []
    done = start
    found = heads.within(start, end)
    for i, (h_start, h_end) in enumerate(found):
        if h_start < done:
            continue
        if i + 1 < len(found) and not text[h_end:found[i + 1][0]].strip():
            continue  # "Regime forces", "Islamic State gunmen": the next head word heads the phrase
        head = text[h_start:h_end]
        actor = bool(_ACTOR_HEAD.match(head))
        e = h_end
        nxt = _WEAPON_NEXT.match(text, e, end) if actor else None
        if nxt is not None:
            e = nxt.end()
        tail = _TAIL.match(text, e, end)
        if tail is not None:
            e = tail.end()
        if not _NOT_HEAD_RE.match(text, e, end):
            continue  # "a police officer": police is not the head
        tokens = list(_TOKEN_BACK.finditer(text, max(done, h_start - 70), h_start))
        s = h_start
        party = actor
        for tok in reversed(tokens[-6:]):
            if text[tok.end():s].strip():
                break  # punctuation between: the phrase ends there
            word = tok.group(0)
            low = word.lower()
            if low in _DETERMINER:
                s = tok.start()
                break
            if any(c.isupper() for c in word) or low in _MODIFIERS or _LED.fullmatch(low):
                s = tok.start()
                party = party or any(c.isupper() for c in word) or low in _PARTY_WORDS \
                    or low.endswith(("-led", "-backed"))
                continue
            break
        if party:
            out.append((s, e))
            done = e
    return out


def _read_party_phrases(index: EvidenceIndex, heads: _Heads, start: int, end: int) -> list[tuple[int, int, int]]:
    """(start, end, strength) of every party noun phrase: 3 the subject of an attack verb, 2 the agent of a
    passive or a party naming a weapon ("US-led airstrikes", "an Israeli airstrike"), 1 a party named alone.
    A party in the possessive ("Daesh's stronghold") or after "against", "fighting" (a target) is not one."""
    text = index.text
    out = []
    for s, e in _noun_phrases(text, heads, start, end):
        if _COUNTED_IN.search(index, max(start, s - 24), s):
            continue  # "killing 14 soldiers": counted, so among the victims
        if text[e:e + 1] in ("'", "’") and re.match(r"['’]s?\b", text[e:e + 2]):
            if not _WEAPON_AFTER.match(text, e + (2 if text[e + 1:e + 2] == "s" else 1), end):
                continue  # "Daesh's main stronghold"; but "the coalition's air strikes" names who struck
            out.append((s, e, 2))
            continue
        if _SPEAKS.match(text, e, end):
            continue  # "police said": the speaker, not the perpetrator
        if _ATTACK_VERB.match(text, e, end):
            strength = 3
        elif _BY_AGENT_IN.search(index, max(start, s - 40), s) or not _ACTOR_HEAD.search(text, s, e):
            strength = 2
        elif _TARGET_BEFORE_IN.search(index, max(start, s - 25), s):
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
        found += [f for f in _party_phrases(index, sent.start, sent.end) if f[2] >= strength]
    if not found:
        return None
    s, e, _ = max(found, key=lambda f: (f[2], -f[0]))
    return text[s:e]


_PARTY_NOUN = compiled(r"(?:" + _ACTORS + r")$")


def party_named(index: EvidenceIndex, sents: list[Sentence], phrase: str) -> str | None:
    """The noun phrase that names the same party as ``phrase`` in ``sents``, when ``phrase`` names it by an
    adjective and a weapon ("US-led strikes" and "the US-led coalition"); None when there is none."""
    table = _heads_of(index).parties
    party, by_noun = _party_of(table, phrase)
    if party is None or by_noun:
        return None
    text = index.text
    for sent in sents:
        for s, e, _ in _party_phrases(index, sent.start, sent.end):
            found = text[s:e]
            other, other_by_noun = _party_of(table, found)
            if other_by_noun and other == party:
                return found
    return None


def _party_of(table: dict[str, tuple[str | None, bool]], phrase: str) -> tuple[str | None, bool]:
    """The party ``phrase`` names (:func:`normalise_perpetrator`) and whether it ends in a party noun ("the
    coalition", not "US-led strikes"); ``table`` keeps what was read (a phrase is asked for by several claims)."""
    got = table.get(phrase)
    if got is None:
        got = table[phrase] = (normalise_perpetrator(phrase), bool(_PARTY_NOUN.search(phrase)))
    return got


def normalise_perpetrator(phrase: str | None) -> str | None:
    """One name per party (:data:`PARTIES`): "Israeli airstrike" -> "Israel"; None when the table does not know it."""
    if not phrase:
        return None
    for pattern, name in _PARTIES:
        if pattern.search(phrase):
            return name
    return None
