"""Whom a figure counts: civilians, combatants, a mix, or unknown, from the words that follow it.

"20 civilians", "Twenty civilians, including nine children" -> civilians; "14 soldiers",
"dozens of fighters" -> combatants; "civilians and fighters", "12 civilians, including three
soldiers" -> mixed; "people", "persons", "others" or no noun at all -> unknown, whatever part a
breakdown names ("eight people, including five children": the other three are not said). Only the noun
phrase after the figure and a breakdown clause of the same sentence ("including", "among them")
are read, so a figure is never classed by another figure's noun.
"""

from __future__ import annotations

import re

from llmextract.schema import Victims
from llmextract.text.caseless import lowered, lowered_twin

_CIVILIAN = re.compile(
    r"\b(?:civilians?|children|child|kids|babies|infants|toddlers|minors|women|woman|girls?|boys?|elderly|"
    r"residents?|villagers?|worshippers?|students?|pupils?|schoolchildren|patients?|passengers?|pilgrims?|"
    r"farmers?|shepherds?|shoppers?|mourners?|wedding\s+guests|guests|refugees|displaced|journalists?|"
    r"reporters?|(?:aid|health|medical|humanitarian|rescue)\s+workers?|paramedics?|doctors?|nurses?|"
    r"teachers?|family\s+members?|relatives|fishermen|labou?rers|protesters|demonstrators|bystanders|"
    r"non-?combatants?|noncombatants?)\b", re.I)
_COMBATANT = re.compile(
    r"\b(?:fighters?|militants?|soldiers?|troops|insurgents?|rebels?|jihadists?|gunmen|gunman|attackers?|"
    r"assailants?|servicemen|militiamen|militia(?:\s+members)?|combatants?|mercenaries|"
    r"(?:security|government|regime|pro-government|army|armed|allied)\s+(?:forces|personnel|members)|"
    r"policemen|police(?:\s+officers)?|officers|guards|paramilitaries|terrorists|extremists|"
    r"(?:is|isis|isil|daesh|al-shabaab|taliban|houthi|sdf|pkk|ypg|hts)\s+(?:members|fighters|militants))\b",
    re.I)
# Both read case-sensitively in the lowered words when lowering keeps them in place (the same matches,
# faster: llmextract.text.caseless)
_CIVILIAN_LOW = lowered_twin(_CIVILIAN)
_COMBATANT_LOW = lowered_twin(_COMBATANT)
# The noun phrase after a figure ends where its clause does.
_PHRASE_END = re.compile(r"[.,;:!?()\[\]]|\b(?:were|was|are|is|have|has|had|died|killed|wounded|injured|who|"
                         r"when|after|in|on|at|by|during|as|while|said|according)\b")  # lower case: "IS" is a name
_BREAKDOWN = re.compile(r"\b(?:including|among\s+them|among\s+whom|of\s+whom|of\s+them|among\s+the\s+dead)\b",
                        re.I)
_NOUN_WINDOW = 60


def _classes(words: str) -> set[str]:
    found = set()
    low = lowered(words)
    civilian, combatant = (_CIVILIAN, _COMBATANT) if low is None else (_CIVILIAN_LOW, _COMBATANT_LOW)
    if civilian.search(low if low is not None else words):
        found.add("civilians")
    if combatant.search(low if low is not None else words):
        found.add("combatants")
    return found


def victims_after(text: str, end: int, sentence_end: int) -> Victims:
    """Whom the figure ending at ``end`` counts, reading up to ``sentence_end``."""
    window = text[end:min(sentence_end, end + _NOUN_WINDOW)]
    stop = _PHRASE_END.search(window)
    noun = window[:stop.start()] if stop else window
    found = _classes(noun)
    rest = text[end + len(noun):sentence_end]
    breakdown = _BREAKDOWN.search(rest)
    if found and breakdown:  # a breakdown names a part: it says who the rest are only beside a noun that does
        found |= _classes(rest[breakdown.end():breakdown.end() + _NOUN_WINDOW])
    if found == {"civilians", "combatants"}:
        return Victims.mixed
    if found:
        return Victims(found.pop())
    return Victims.unknown
