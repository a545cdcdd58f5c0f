"""Who says so: the claimant, relays and outlet of a sentence, from its speech verbs."""

from __future__ import annotations

import re

from llmextract.schema import Attribution
from llmextract.text.index import EvidenceIndex, Sentence

SPEECH = re.compile(r"\b(?:said|says|say|told|tells|reported|reports|report|stated|states|noted|added|claimed|claims|"
                     r"announced|confirmed|quoted|cited|according\s+to|citing|reporting)\b", re.I)
_GENERIC_CLAIMANT = re.compile(
    r"\b((?:(?:the|a|an|local|official|medical|security|military|police|hospital|government|state|rescue|"
    r"health|activist|opposition|humanitarian|monitoring|eyewitness|several|two|other|some|unnamed|anonymous|"
    r"various|multiple|informed|reliable|credible|diplomatic|intelligence|tribal|medical|"
    r"Britain-based|UK-based|London-based|provincial|district|regional|residents')\s+){0,4}"
    r"(?:sources?|group|officials?|police|observatory|agency|ministry|army|military|witnesses|residents|"
    r"spokes(?:man|woman|person)|activists|monitor|media|reports|authorities|governor|medics|doctors|"
    r"paramedics|rescuers|villagers|survivors|statement|official))\b",
    re.I,
)


def sentence_attribution(index: EvidenceIndex, sent: Sentence) -> Attribution:
    """Claimant, relays and outlet from the speech verbs of one sentence."""
    text = index.text
    names = index.names_in(sent.start, sent.end)
    claimant: str | None = None
    relays: list[str] = []
    outlet: str | None = None
    for sm in SPEECH.finditer(sent.text):
        verb = sm.group(0).lower()
        vs, ve = sent.start + sm.start(), sent.start + sm.end()
        if verb.startswith("according") or verb == "citing":
            after = [n for n in names if n.start >= ve and n.start - ve <= 12 and n.kind != "place"]
            if after:
                party = after[0].text
                if claimant is None:
                    claimant = party
                elif party != claimant:
                    outlet = party
            else:
                g = _GENERIC_CLAIMANT.match(text[ve:sent.end].lstrip())
                if g and claimant is None:
                    claimant = g.group(1)
            continue
        before_names = [n for n in names if n.end <= vs and vs - n.end <= 40 and n.kind != "place"]
        subject: str | None = None
        subject_end = -1
        if before_names:
            n = before_names[-1]
            earlier = [x for x in before_names[:-1] if x.canonical and x.canonical == n.canonical
                       and re.fullmatch(r"\s*\(", text[x.end:n.start])]
            n = earlier[-1] if earlier else n  # "the Syrian Arab News Agency (SANA) reported"
            subject, subject_end = n.text, n.end
        generic = list(_GENERIC_CLAIMANT.finditer(text[sent.start:vs]))
        if generic and sent.start + generic[-1].end() >= vs - 30 and sent.start + generic[-1].end() > subject_end \
                and not (before_names
                         and before_names[-1].start < sent.start + generic[-1].end() <= before_names[-1].end):
            subject = generic[-1].group(1)
        if subject and claimant is None:
            claimant = subject.strip(" ,")
        elif subject and subject.strip(" ,") != claimant:
            outlet = subject.strip(" ,")
        if verb in ("told", "tells"):
            obj = [n for n in names if n.start >= ve and n.start - ve <= 60 and n.kind != "place"]
            if obj:
                same = [n for n in obj if obj[0].canonical and n.canonical == obj[0].canonical]
                relays.append(same[-1].text if same else obj[0].text)  # "Syria's official news agency, SANA"
    return Attribution(claimant=claimant, relays=relays, outlet=outlet)
