"""Casualty figures of one sentence: each count mention attached to the cue it counts.

Cues are the words of killing and wounding ("killed", "wounded", "among the dead"); a figure
attaches to a cue before it ("killing at least 13") or after it ("13 people were killed"), a
breakdown ("including nine children") is kept apart from the main figure, coordinated groups
("nine men and four women") are summed with their parts kept, and a victim named without a
figure ("A muezzin was shot dead", "killing a mother and four children") counts one (or one
more).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from llmextract.extractors.offline.patterns import compiled
from llmextract.extractors.offline.scan import WordList, as_written, found, holds
from llmextract.schema import Qualifier
from llmextract.text.caseless import lowered_twin
from llmextract.text.index import EvidenceIndex, Sentence
from llmextract.text.numbers import NumberMention

_KILL = (r"killed|killing|hanged|decapitated|kills|kill|dead|assassinated|assassination|gunned\s+down|"
         r"stabbed\s+to\s+death|murder|died|die|deaths?|death\s+toll|toll|lost\s+their\s+lives|perished|slain|"
         r"massacred|executed|murdered|shot\s+to\s+death|fatalities|fatally\s+(?:shot|stabbed|wounded|injured)|fatally|lives|bodies|beheaded|lynched|slaughtered|"
         r"shot\s+dead|burned\s+to\s+death|burnt\s+to\s+death|hacked\s+to\s+death|stoned\s+to\s+death|"
         r"drowned|massacre|deceased|victims|were\s+found\s+dead|lifeless|corpses")
_INJURE = r"wounded|wounding|wounds|injured|injuring|injuries|injury|injures|hurt|maimed|hospitali[sz]ed"
_CUE = compiled(rf"\b(?:(?P<kill>{_KILL})|(?P<injure>{_INJURE}))\b", re.I)
# The same, case-sensitively over the lowered text behind a first-letter look-ahead: Python skips a failing
# alternative on its first literal only case-sensitively (see llmextract.text.caseless), so one scan of the
# lowered text costs a fraction of the case-insensitive scan of every sentence.
_CUE_FIRST = "".join(sorted({w[0] for w in (_KILL + "|" + _INJURE).split("|")}))
_CUE_LOWER = compiled(rf"(?=[{_CUE_FIRST}])\b(?:(?P<kill>{_KILL})|(?P<injure>{_INJURE}))\b")
_CUE_WORDS = WordList(rf"{_KILL}|{_INJURE}", _CUE_LOWER, _CUE_FIRST)
# A cue that comes before the figure it counts: "killed 13", "killing at least 5", "wounding 14 others",
# "the death toll rose to 20", "claimed the lives of 98 people".
_LEFT_GAP = compiled(
    r"^\s*(?:(?:rose|risen|climbed|jumped|increased|reached|stood|stands|is|was|has|had|have|to|at|of|the|"
    r"lives|a|total|some|an|estimated|reportedly|roughly|around|about|nearly|almost|approximately|least|at|"
    r"more|than|over|up|as|many|no|fewer|less|another|further|additional|and|respectively|,)\s*)*$",
    re.I,
)
_VICTIM_NOUN_SOURCE = (
    r"^\s*(?:other\s+|more\s+|of\s+the\s+|of\s+them\b|of\s+whom\b|members\s+of\b|)?(?:[\w'’-]+\s+){0,3}?"
    r"(?:people|persons?|civilians?|villagers?|men|women|children|kids|girls?|boys?|minors|infants?|babies|"
    r"others?|soldiers?|troops|police(?:men|\s+officers)?|officers?|guards?|students?|worshipp?ers|pilgrims|"
    r"members|residents|farmers|miners|workers|passengers|employees|family|relatives|individuals|"
    r"fighters|militants|rebels|insurgents|protesters|demonstrators|refugees|migrants|herders|traders|"
    r"teachers|journalists|patients|staff|mourners|shoppers|bystanders|victims|dead|killed|wounded|injured|"
    r"people's|Christians|Muslims|Shi'?ites?|Sunnis?|Hazaras?|Yazidis?|Rohingya|Fulani|Tutsis?|Hutus?|bodies|deaths|"
    r"inmates|prisoners|elders|locals|casualties|fatalities|[a-z]{3,}(?<!s)s)\b"
)
_VICTIM_NOUN = compiled(_VICTIM_NOUN_SOURCE, re.I)
_VICTIM_EXPLICIT = compiled(_VICTIM_NOUN_SOURCE.replace(r"|[a-z]{3,}(?<!s)s)", ")"), re.I)  # the nouns named
_HEAD_PREFIX = (r"(?:(?!(?:when|who|whom|which|that|as|after|before|while|and|or|in|on|at|of|by|with|from|"
                r"were|was|have|has|had|are|is)\b)[\w'’-]+\s+){0,2}?")
_ATTACKER = compiled(r"^\s*" + _HEAD_PREFIX + r"(?:bombers?|gunmen|attackers|assailants|"
                     r"militants\s+(?:attacked|stormed|opened)|suicide|shooters?|men\s+armed|armed\s+men|"
                     r"jihadists\s+(?:attacked|stormed))\b", re.I)
_BREAKDOWN_BEFORE = compiled(r"(?:including|among\s+them|among\s+whom|of\s+whom|of\s+them|among\s+the\s+\w+\s+were"
                             r"|mostly|mainly|most\s+of\s+them)\s*(?:at\s+least\s+|some\s+|about\s+)?$"
                             r"|(?:including|among\s+them)\s+[^,;.]{1,30}\band\s+(?:at\s+least\s+)?$",
                             re.I)
_NON_VICTIM = compiled(
    r"^\s*" + _HEAD_PREFIX + r"(?:attacks?|bomb(?:s|ings)?|explosions?|blasts|devices|villages?|facilities|"
    r"days?|times|houses|homes|buildings|vehicles|cars|trucks|communities|areas|districts|towns|sites|"
    r"locations|positions|hours|weeks|months|years|separate|incidents|rockets|missiles|shells|mortars|"
    r"drones|(?:suicide\s+)?bombers|gunmen|attackers|assailants|men\s+armed|explosive|tonnes|tons|kg|"
    r"kilometers|km|miles|pigs|cattle|cows|livestock|goats|sheep|camels|animals|per\s+cent|percent|churches|"
    r"mosques|schools|markets|checkpoints|hospitals|buses|camps|prisons|posts|bases|convoys|checkpoints|"
    r"provinces|regions|states|cities|countries|occasions|rounds|shots|bullets)\b"
    r"(?!\s+[a-z]{3,}s\b)",  # "village leaders": a modifier, not the head
    re.I,
)
_CHILD = compiled(r"^\s*(?:[\w'’-]+\s+){0,2}?(?:children|child|kids|minors|boys|girls|infants|babies|toddlers|"
                  r"students|schoolchildren|teenagers)\b", re.I)
_WOMAN = compiled(r"^\s*(?:[\w'’-]+\s+){0,2}?(?:women|woman|girls|mothers|female)\b", re.I)
_MAN = compiled(r"^\s*(?:[\w'’-]+\s+){0,2}?(?:men|man|boys|fathers|male)\b", re.I)


@dataclass
class Attach:
    mention: NumberMention
    role: str  # killed, injured, children_killed, women_killed, men_killed
    distance: int



class _Cues:
    """Every casualty cue of an article's text, (start, end, "kill" or "injure") in text order, scanned once and
    kept with its index; with their starts and ends (both ascending: the cues do not overlap)."""

    def __init__(self, index: EvidenceIndex) -> None:
        text = index.text
        scan = found(index, _CUE_WORDS)  # in the one pass of the word lists over the lowered text
        if scan is None:
            low = text.lower()  # the index declines to lower the text: lowered here
            scan = _CUE_LOWER.finditer(low) if len(low) == len(text) else _CUE.finditer(text)
        self.cues = [(m.start(), m.end(), "kill" if m.group("kill") else "injure") for m in scan]
        self.starts = [c[0] for c in self.cues]
        self.ends = [c[1] for c in self.cues]

    def inside(self, start: int, end: int) -> list[tuple[int, int, str]]:
        """The cues that lie inside ``[start, end)``."""
        i = bisect.bisect_left(self.starts, start)
        out = []
        while i < len(self.cues) and self.starts[i] < end:
            if self.ends[i] <= end:
                out.append(self.cues[i])
            i += 1
        return out

    def touching(self, start: int, end: int) -> bool:
        """Whether a cue overlaps ``[start, end)``. A sentence no cue touches holds no word of killing or wounding:
        each such word, matched by any rule, is a cue or inside one (a cue may run over a sentence's edge)."""
        i = bisect.bisect_right(self.ends, start)
        return i < len(self.cues) and self.starts[i] < end


def _cues(index: EvidenceIndex) -> _Cues:
    return index.kept(_Cues, _Cues, index)


def _sentence_cues(index: EvidenceIndex, sent: Sentence) -> list[tuple[int, int, str]]:
    return _cues(index).inside(sent.start, sent.end)


_RIGHT_GAP = compiled(
    r"^\s*(?:[\w'’.,\[\]()/-]+\s+){0,14}?(?:(?:were|was|have|has|had|are|is|been|being|also|reportedly|allegedly|later|all|"
    r"confirmed|found|feared|left|lay|now|so\s+far|initially|among\s+the|among|who\s+were|who\s+had|that\s+were|"
    r"said|to|believed|thought|understood|reported)\s+)*$",
    re.I,
)
_ED_OK = {"armed", "unarmed", "displaced", "detained", "kidnapped", "abducted", "trapped", "suspected", "alleged",
          "confirmed", "reported", "feared", "believed", "unidentified", "wounded", "injured", "related", "unnamed",
          "aged", "based", "owned", "affiliated", "linked", "backed", "led", "named", "identified", "estimated",
          "registered", "internally", "stranded", "besieged", "assumed", "presumed", "elected",
          "retired", "uniformed", "married", "employed", "unemployed", "hundred", "unexploded"}
_PAREN = compiled(
    r",?\s*\(?(?:including|among\s+them|mostly|mainly|many\s+of\s+them|most\s+of\s+them|all)\b[^,;()—–]*[,)]"
    r"|\s*(?:—|–|--)[^—–]*(?:—|–|--)"
    r"|\s+(?:including|mostly|mainly)\s+(?:[\w-]+\s+){0,2}?(?:women|children|men|the\s+elderly|civilians|soldiers|"
    r"police(?:men)?|students|officers)(?:,?\s+(?:and\s+)?(?:[\w-]+\s+)?(?:women|children|men|the\s+elderly|"
    r"elderly|civilians|soldiers|students|officers))*"
    r"|\s+including\s+[^,;.]{1,80}?(?=\s+(?:have|has|were|was|are|had)\s)",
    re.I,
)
_TOLL = compiled(r"(?:\b(?:death\s+)?toll\b|\bnumber\s+of\s+(?:people|persons|victims|those|the\s+dead|deaths|"
                 r"fatalities)\b)[^.;]{0,90}?\b(?:(?:rose|risen|climbed|reached|jumped|increased)(?:\s+to)?|stands\s+at|"
                 r"stood\s+at|is\s+now|to)\s+", re.I)
_AMONG_DEAD = compiled(
    r"\bamong\s+(?:the|those)\s+(?:dead|killed|victims|deceased|fatalities|casualties|bodies)\b", re.I)


_MIXED = compiled(r"^\s*(?:[\w'’-]+\s+){0,1}?(?:women\s+and\s+children|children\s+and\s+women)\b", re.I)
_PARTITIVE = compiled(r"^\s+of\s+(?:the|these|those|them|his|her|their)\b", re.I)
_AUXILIARY_AFTER = compiled(r"^\s*(?:were|have|had|are|was|has)\b", re.I)
_OF_WHOM_AFTER = compiled(r"^\s+(?:of\s+them|of\s+whom)", re.I)
_INCLUDING_BEFORE = compiled(r"\bincluding\s+(?:at\s+least\s+|some\s+|about\s+)?$", re.I)
# The same two, case-sensitively, for the words before a figure read in the lowered text (llmextract.text.caseless)
_BREAKDOWN_BEFORE_LOW, _INCLUDING_BEFORE_LOW = lowered_twin(_BREAKDOWN_BEFORE), lowered_twin(_INCLUDING_BEFORE)


def _victim_role(after: str) -> str | None:
    if _MIXED.match(after):
        return "mixed"
    if _CHILD.match(after):
        return "children_killed"
    if _WOMAN.match(after):
        return "women_killed"
    if _MAN.match(after):
        return "men_killed"
    return None


# What may stand between a figure and the cue after it
_GAP_COMMAS = compiled(r",[^,;]{1,80},")
_GAP_VERB_AND = compiled(r"\b(?:\w+ed|shot|beaten|stabbed|hit|burnt)\s+and\s+$")
_GAP_PEOPLE = compiled(r"\b(?:women|men)\s+and\s+(?:children|girls|boys)\b|"
                       r"\bchildren\s+and\s+(?:women|the\s+elderly)\b")
_GAP_BREAK = compiled(r"[;:]|\.\s|\b(?:and(?!\s+[A-Z])|but|while|when|after|as|which|for)\b")
_GAP_RELATIVE = compiled(r"\s*(?:[\w'’-]+\s+){0,3}?(?:who\s+(?:were|had\s+been)|that\s+were)\s+", re.I)
_GAP_VERBS = compiled(r"\b[a-z]{3,}ed\b|\b(?:that|following|during|said|says)\b")


def _right_cue(text: str, m: NumberMention, cues: list[tuple[int, int, str]],
               mentions: list[NumberMention]) -> tuple[int, str] | None:
    """A cue after the figure: "13 people were killed", "Seven employees of TOLO were killed"."""
    for cs, _ce, kind in cues:
        if cs < m.end:
            continue
        parens = [p.span() for p in _PAREN.finditer(text, m.end, cs)]  # as in text[m.end:cs]: no look behind
        if any(m.end <= x.start < cs and not any(a <= x.start < b for a, b in parens) for x in mentions):
            return None  # another figure, outside any "including ..." aside, stands between this one and the cue
        # the words between, each aside read as one space
        gap = " ".join(text[a:b] for a, b in zip([m.end] + [e for _s, e in parens], [s for s, _e in parens] + [cs],
                                                 strict=True))
        gap = _GAP_COMMAS.sub(" ", gap)
        gap = _GAP_VERB_AND.sub("", gap)
        gap = _GAP_PEOPLE.sub("people", gap)
        if len(gap) > 130 or _GAP_BREAK.search(gap) and not _GAP_RELATIVE.fullmatch(gap):
            return None
        if _RIGHT_GAP.match(gap) and not any(w.lower() not in _ED_OK for w in _GAP_VERBS.findall(gap)):
            return cs - m.end, kind
        return None
    return None


def _left_cue(text: str, m: NumberMention, cues: list[tuple[int, int, str]]) -> tuple[int, str, bool] | None:
    """A cue before the figure: "killed at least 13", "wounding 14 others". The bool says the gap holds 'and'."""
    best = None
    for _cs, ce, kind in cues:
        if ce <= m.start and m.start - ce <= 40 and _LEFT_GAP.match(text[ce:m.start]):
            best = (m.start - ce, kind, bool(re.search(r"\band\b|,", text[ce:m.start])))
    return best


def _group_at(text: str, mentions: list[NumberMention], i: int) -> list[NumberMention] | None:
    """Figures of coordinated victim groups: "nine men and four women", "two priests and 17 others"."""
    group = [mentions[i]]
    j = i
    while j + 1 < len(mentions):
        a, b = mentions[j], mentions[j + 1]
        gap = text[a.end:b.start]
        if not re.fullmatch(r"\s+(?:[\w'’-]+\s+){0,2}?[\w'’-]+(?:\s+and\s+[a-z]+s)?(?:,\s+and|\s+and)\s+"
                            r"(?:at\s+least\s+)?", gap) \
                or re.match(r"\s+of\s+(?:them|whom|those)\b", text[b.end:b.end + 12]) \
                or not _VICTIM_NOUN.match(gap) or _CUE.search(gap) or b.kind != "count" \
                or b.qualifier is Qualifier.vague:
            break
        group.append(b)
        j += 1
    if len(group) < 2 or group[0].kind != "count" or group[0].qualifier is Qualifier.vague:
        return None
    return group


def attach_counts(index: EvidenceIndex, sent: Sentence, mentions: list[NumberMention]) -> list[Attach]:
    """Attach each count mention of a sentence (``mentions``) to the casualty cue it counts."""
    text = index.text
    if not mentions:
        return []
    cues = _sentence_cues(index, sent)
    if not cues:
        return []
    low = index.lowered
    words, breakdown_before, including_before = (text, _BREAKDOWN_BEFORE, _INCLUDING_BEFORE) if low is None \
        else (low, _BREAKDOWN_BEFORE_LOW, _INCLUDING_BEFORE_LOW)  # the words before a figure, as these read them
    among_dead = holds(index, sent, "among") and bool(_AMONG_DEAD.search(sent.text))
    toll = _TOLL.search(sent.text) if holds(index, sent, "toll", "number") else None
    attaches: list[Attach] = []
    grouped: set[int] = set()
    for i, m in enumerate(mentions):
        if m.start in grouped or among_dead:
            continue
        group = _group_at(text, mentions, i)
        if group is None:
            continue
        last = group[-1]
        noun = _VICTIM_NOUN.match(text[last.end:sent.end])
        end = last.end + (noun.end() if noun else 0)
        low = sum(g.low or 0 for g in group)
        hedged = any(g.qualifier is not Qualifier.exact for g in group)
        whole = NumberMention(m.start, end, text[m.start:end], low, None if hedged else low,
                              Qualifier.at_least if hedged else Qualifier.exact, m.start, end, "sum")
        left = _left_cue(text, m, cues)
        right = _right_cue(text, whole, cues, mentions)
        hit = (left[0], left[1]) if left and not left[2] else right
        if hit is None or hit[1] != "kill":
            continue
        grouped.update(g.start for g in group)
        attaches.append(Attach(whole, "killed", hit[0]))
        for g in group:
            role = _victim_role(text[g.end:sent.end])
            if role and role != "mixed":
                attaches.append(Attach(g, role, hit[0]))
    for m in mentions:
        if m.start in grouped:
            continue
        if toll and m.start == index.offset_in(sent, toll.end()):
            attaches.append(Attach(m, "killed", -1))  # "the death toll rose to 16": the latest figure
            continue
        after = text[m.end:sent.end]
        if _ATTACKER.match(after):
            continue
        partitive = _PARTITIVE.match(after)
        if (_NON_VICTIM.match(after) and not _VICTIM_EXPLICIT.match(after)) or \
                (partitive and _NON_VICTIM.match(after[partitive.end():])):
            continue  # "two communities", "three attacks", "one of the villages"
        if among_dead and _victim_role(after) not in (None, "mixed"):
            # "nine children and eight women were among the dead": each is a breakdown of the toll
            attaches.append(Attach(m, _victim_role(after) or "", 0))
            continue
        left = _left_cue(text, m, cues)
        headed = (_VICTIM_NOUN.match(after) or m.qualifier is Qualifier.vague
                  or _AUXILIARY_AFTER.match(after))
        right = _right_cue(text, m, cues, mentions) if headed else None
        if left and not left[2]:
            dist, kind = left[0], left[1]
        elif right:
            dist, kind = right
        elif left:
            dist, kind = left[0] + 1000, left[1]
        else:
            continue
        victim = _victim_role(after) if kind == "kill" else None
        before = words[max(0, m.start - 40):m.start]
        sub = bool(breakdown_before.search(before) or _OF_WHOM_AFTER.match(after))
        if including_before.search(before) and victim in (None, "mixed"):
            continue  # "including 17 people of the same family" is part of a larger figure
        if (sub or among_dead) and victim:
            if victim == "mixed":
                continue
            role = victim
        else:
            role = "killed" if kind == "kill" else "injured"
        attaches.append(Attach(m, role, dist))
    return attaches


_SINGULAR_NOUN = (r"(?:[\w'’.,-]+\s+){0,6}?(?:man|woman|boy|girl|child|baby|infant|person|civilian|soldier|"
                  r"policeman|officer|journalist|reporter|cameraman|photographer|priest|imam|cleric|pastor|monk|"
                  r"muezzin|sheikh|chief|king|leader|headman|chairman|mayor|official|politician|lawmaker|"
                  r"activist|student|teacher|doctor|nurse|worker|farmer|trader|businessman|lawyer|judge|"
                  r"prosecutor|commander|commissioner|member|administrator|employee|guard|driver|villager|"
                  r"resident|pilgrim|convert|Christian|Muslim|Hindu|Buddhist|refugee|migrant|herder|"
                  r"herdsman|councillor|councilor|governor|head|figure|elder|youth|teenager|pupil|engineer|"
                  r"candidate|deputy|mother|father|son|daughter|wife|husband|brother|sister|"
                  r"(?!(?:after|other|another|later|over|under|never|whether|either|neither|together|number|order|"
                  r"power|water|border|matter|offer|corner|quarter|layer|paper|lower|upper|ever|outer|inner)\b)"
                  r"[a-z]{3,}(?:er|or|ist|ian))")
_SINGULAR_SUBJECT = compiled(
    r"\b(?:An?|an?|One|one|The|the)\s+(?!(?:suicide\s+)?(?:bomber|gunman|attacker|assailant|militant)\b)"
    + _SINGULAR_NOUN + r"\b[^.;]{0,120}?\b(?:was|has\s+been|had\s+been|is|has(?=\s+died))\s+"
    r"(?:(?:reportedly|allegedly|also|later|found|brutally|fatally)\s+)*(?:\w+ed\s+and\s+)?"
    r"(?:shot\s+dead|killed|shot\s+and\s+killed|murdered|assassinated|beheaded|lynched|gunned\s+down|"
    r"stabbed\s+to\s+death|hacked\s+to\s+death|beaten\s+to\s+death|burned\s+to\s+death|blown\s+up|"
    r"shot\s+to\s+death|tortured\s+to\s+death|fatally\s+shot|"
    r"executed|slain|found\s+dead|abducted\s+and\s+killed|died|shot\s+down|ambushed\s+and\s+murdered)\b",
)
_SINGULAR_OBJECT = compiled(
    r"\b(?:shot\s+dead|killed|killing|murdered|assassinated|beheaded|lynched|gunned\s+down|stabbed|"
    r"(?i:the|an?)\s+(?:[a-z]+\s+)?(?:killing|murder|assassination|death|beheading|body|slaying)\s+of|"
    r"hacked\s+to\s+death|executed|"
    r"shot\s+and\s+killed|fatally\s+shot|beat\s+to\s+death|beaten\s+to\s+death)\s+"
    r"(?P<np>(?:an?|one|the|its|his|her|their)\s+(?!(?:number|total|series|spate|wave|string|host|lot|couple|few|"
    r"handful|dozen|"
    r"hundred|thousand|score)\b)(?:[\w'’-]+\s+){0,3}?[\w'’-]+?(?:\s+and\s+(?:his|her|their|an?|the)\s+"
    r"(?:[\w'’-]+\s+){0,2}?[\w'’-]+?)?)(?=\s+(?:who|whom|in|at|on|near|outside|inside|of|from|during|after|while|as|"
    r"with|by|and|late|early|last|this|overnight|when|because|for|was|were|has|had|is|\w+ing|\w+ed)\b|[,.;:\"”]|\s*$)",
)
_NAMED_VICTIM = compiled(
    r"\b(?:shot\s+dead|killed|murdered|assassinated|beheaded|gunned\s+down|stabbed\s+to\s+death|hacked\s+to\s+death)"
    r"\s+(?:(?!(?:in|at|on|near|from|of|by|during|after)\b)[a-z][\w-]*\s+){0,3}?"
    r"(?P<np>[A-Z][a-z]+(?:\s+[A-Z][a-z.]+){1,2})\b"
    r"|(?P<np2>(?:Mr\.?|Mrs\.?|Dr\.?|Pa|Chief)\s+[A-Z][a-z]+|[A-Z][a-z]+\s+[A-Z][a-z]+),?[^.;]{0,130}?\b"
    r"(?:was|has\s+been|had\s+been)\s+(?:reportedly\s+|allegedly\s+)?(?:shot\s+dead|killed|murdered|"
    r"assassinated|gunned\s+down|found\s+dead|beheaded|shot\s+and\s+killed|fatally\s+shot|executed|"
    r"(?:found\s+)?(?:beaten|stabbed|hacked|burned|burnt|shot|tortured)\s+to\s+death)\b"
    r"|(?P<np3>(?:Mr\.?|Mrs\.?|Dr\.?|Pa|Chief)\s+[A-Z][a-z]+|[A-Z][a-z]+\s+[A-Z][a-z]+),?[^.;]{0,160}?\b"
    r"(?:has\s+|had\s+)?died\s+(?:(?:on\s+\w+\s+)?(?:of|from)\s+(?:his\s+|her\s+|the\s+)?(?:wounds|injuries)|"
    r"in\s+(?:a\s+|the\s+)?hospital|after\s+being\s+(?:shot|stabbed|attacked|beaten|tortured))\b"
)


_SINGULAR_START = compiled(
    r"^(?P<np>(?:An?|One)\s+(?:[\w'’-]+\s+){0,4}?[\w'’-]+)\b[^.;]{0,150}?\b(?:(?:has\s+|had\s+)?died\b|"
    r"(?:was|has\s+been|had\s+been)\s+"
    r"(?:(?:reportedly|allegedly|also|later|found|brutally|fatally)\s+)*(?:\w+ed\s+and\s+)?"
    r"(?:shot\s+dead|killed|shot\s+and\s+killed|murdered|assassinated|beheaded|lynched|gunned\s+down|"
    r"stabbed\s+to\s+death|hacked\s+to\s+death|beaten\s+to\s+death|burned\s+to\s+death|found\s+dead|"
    r"executed|slain|shot\s+down|fatally\s+shot|shot\s+to\s+death|tortured\s+to\s+death)\b)"
    r"|^(?P<np2>(?:An?|The)\s+(?:[\w'’-]+\s+){0,2}?(?:body|corpse))\s+(?:(?:was|has\s+been|had\s+been)\s+)?"
    r"(?:found|discovered|recovered)\b"
)
# two victims named together: "The mayor and a council member ... were gunned down",
# "Abdul Karim and his brother were killed"
_PAIR_SUBJECT = compiled(
    r"(?P<np>(?i:an?|the)\s+(?:[\w'’-]+\s+){0,2}?couple|(?:(?i:an?|the)\s+" + _SINGULAR_NOUN
    + r"(?:\s+of\s+(?:the\s+)?(?:[\w'’-]+\s+){0,3}?[\w'’-]+)?|(?:Mr\.?|Mrs\.?|Dr\.?|Chief)\s+[A-Z][a-z]+|"
    r"[A-Z][a-z]+\s+[A-Z][a-z]+|^[A-Z][a-z]{2,}(?=\s+and\s+(?:his|her)\s))\s+and\s+"
    r"(?:(?:an?|the|his|her|their)\s+" + _SINGULAR_NOUN
    + r"|(?:an?|the|his|her|their)\s+(?:[\w'’.-]+\s+){0,3}?[\w'’-]+|"
    r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?|" + _SINGULAR_NOUN + r"))"
    r"\b[^.;:]{0,80}?\b(?<!to\s)(?:were|have\s+been|had\s+been)\s+(?:(?:reportedly|allegedly|also|later|brutally)\s+)*"
    r"(?:\w+ed\s+and\s+)?(?:killed|shot\s+dead|shot\s+to\s+death|gunned\s+down|murdered|assassinated|"
    r"fatally\s+shot|beheaded|executed|slain|found\s+dead|stabbed\s+to\s+death|hacked\s+to\s+death)\b"
)
_PRONOUN_OBJECT = compiled(r"\b(?:beheaded|executed|shot\s+dead|killed|killing|murdered|assassinated|lynched|"
                           r"hacked\s+to\s+death|stabbed\s+to\s+death)\s+(?P<np>him|her)\b(?!\s*self)")
_ALONG_WITH_ONE = compiled(r"^[^.;:]{0,30}?,?\s+(?:along\s+with|alongside|together\s+with)\s+"
                           r"(?:his|her|their|an?|the)\s+(?![\w'’-]+s\b)", re.I)


def singular_victim(index: EvidenceIndex, sent: Sentence) -> NumberMention | None:
    """One unnamed or named victim: "A muezzin ... was shot dead", "Gunmen killed a cleric"."""
    for pattern in (_PAIR_SUBJECT, _SINGULAR_SUBJECT, _SINGULAR_OBJECT, _NAMED_VICTIM, _SINGULAR_START,
                    _PRONOUN_OBJECT):
        m = pattern.search(sent.text)
        if not m:
            continue
        if pattern is _SINGULAR_SUBJECT:
            s, e = m.start(), m.start() + len(re.match(r"\S+\s+" + _SINGULAR_NOUN + r"\b", m.group(0)).group(0))
        else:
            g = next(g for g in ("np", "np2", "np3") if g in pattern.groupindex and m.group(g))
            s, e = m.start(g), m.end(g)
        if pattern is _SINGULAR_START and m.group("np"):
            head = re.match(r"\S+\s+" + _SINGULAR_NOUN + r"\b", sent.text[s:s + 60])
            e = max(e, s + head.end()) if head else e  # "A liberal blogger", not "A liberal"
        start, end = index.span_in(sent, s, e)
        phrase = index.text[start:end]
        people = 2 if pattern is _PAIR_SUBJECT or re.search(r"\band\s+(?:his|her|their|an?|the)\s", phrase) \
            or _ALONG_WITH_ONE.match(sent.text[m.end():]) else 1
        return NumberMention(start, end, phrase, people, people, Qualifier.exact, start, end, "singular")
    return None


_ONE = (r"(?:(?i:an?|one|the|his|her|their)\s+(?!(?:suicide\s+)?(?:bomber|gunman|attacker|assailant|militant)\b)"
        + _SINGULAR_NOUN + r"|him|her|(?:Mr\.?|Mrs\.?|Dr\.?|Chief)\s+[A-Z][a-z]+|[A-Z][a-z]+\s+[A-Z][a-z]+)")
_KILL_VERB = (r"(?:killed|killing|shot\s+dead|gunned\s+down|murdered|assassinated|beheaded|executed|"
              r"shot\s+and\s+killed|fatally\s+shot|hacked\s+to\s+death|stabbed\s+to\s+death|lynched|slain)")
_ALONG = r"(?:and|along\s+with|alongside|together\s+with|with|as\s+well\s+as)"
# the one before the others: "killed a tribal elder ... and five other people" (object),
# "A priest and four customs officers were killed" (subject), "A mayor was killed Friday with four others"
_ONE_BEFORE = [
    compiled(r"\b" + _KILL_VERB + r"\s+(?P<np>" + _ONE + r"|(?i:an?|the)\s+(?:[\w'’-]+\s+){0,2}?[a-z][\w'’-]+)"
             r"\b(?P<mid>[^.;:()]{0,80}?),?\s+" + _ALONG + r"\s+$"),
    compiled(r"(?:^|,\s+|\bthat\s+)(?P<np>" + _ONE + r")\b(?P<mid>[^.;:()]{0,80}?),?\s+"
             r"(?:and|along\s+with|alongside|together\s+with|as\s+well\s+as)\s+$"),
    compiled(r"(?:^|,\s+|\bthat\s+)(?P<np>" + _ONE + r")\b[^.;:()]{0,160}?\b(?:was|has\s+been|had\s+been)\s+"
             r"(?:(?:reportedly|allegedly|also|later|brutally|fatally)\s+)*" + _KILL_VERB
             + r"\b(?P<mid>[^.;:()]{0,40}?),?\s+(?:along\s+with|alongside|together\s+with|with|and)\s+$"),
]
# The last word of each _ALONG (and of the second pattern's list), as the words before the figure end in it
_JOINING = ("and", "with", "alongside", "as")
_THEY_KILLED = compiled(r"^[^.;:]{0,60}?\b(?:were|have\s+been|had\s+been|are)\s+(?:(?:reportedly|allegedly|all|also|"
                        r"later|brutally|fatally)\s+)*(?:\w+ed\s+and\s+)?" + _KILL_VERB + r"\b")


_OTHERS_AFTER = compiled(r"\s+(?:other|more)\b", re.I)
_KIN_AFTER = compiled(r"\s+of\s+(?:his|her|their)\s+[a-z]+")
_INJURED_AFTER = compiled(r"^\s*(?:(?:were|was|are|have\s+been|had\s+been|also|reportedly)\s+)*(?:" + _INJURE + r")\b",
                          re.I)


def with_companions(index: EvidenceIndex, sent: Sentence, mentions: list[NumberMention]) -> NumberMention | None:
    """One victim and a counted group killed with them: "killing a mother and four children" is five. ``mentions``:
    the sentence's count mentions."""
    text = index.text
    for c in mentions:
        if c.qualifier in (Qualifier.vague, Qualifier.up_to, Qualifier.range) or not c.low:
            continue
        after = text[c.end:sent.end]
        noun = _VICTIM_EXPLICIT.match(after) or _VICTIM_NOUN.match(after) \
            or _OTHERS_AFTER.match(after) or _KIN_AFTER.match(after)
        if not noun or (_NON_VICTIM.match(after) and not _VICTIM_EXPLICIT.match(after)) or _ATTACKER.match(after):
            continue
        rest = after[noun.end():]
        if _INJURED_AFTER.match(rest):
            continue  # "a policeman was killed and two others injured": the two are not among the dead
        before = text[sent.start:c.start]
        if not before.rstrip().endswith(_JOINING):
            continue  # each pattern ends in a joining word before the figure ("and", "along with")
        # the first and last patterns need a verb of killing before the figure: a cue there (see _Cues.touching)
        killing_before = _cues(index).touching(sent.start, c.start)
        for i, pattern in enumerate(_ONE_BEFORE):
            if (i == 1 and not _THEY_KILLED.match(rest)) or (i != 1 and not killing_before):
                continue
            m = pattern.search(before)
            if m is None or _CUE.search(m.group("mid")) or re.search(r"\d", m.group("mid")) \
                    or index.numbers_in(sent.start + m.start("np"), c.start):
                continue
            start, end = sent.start + m.start("np"), c.end + noun.end()
            # "killing him, his son and two guests": each named one counts
            listed = re.fullmatch(r"(?:,\s+(?:his|her|their|an?|the)\s+[\w'’-]+(?:\s+[\w'’-]+)?)+", m.group("mid"))
            low = 1 + c.low + (m.group("mid").count(",") if listed else 0)
            hedged = c.qualifier is not Qualifier.exact
            return NumberMention(start, end, text[start:end], low, None if hedged else low,
                                 Qualifier.at_least if hedged else Qualifier.exact, start, end, "sum")
    return None


_SUBJECT_PREFIX = compiled(
    r"^(?:(?:[^,;:]{0,60},\s+){1,3}|[^,;:]{0,80}?\b(?:said|says|say|reported|confirmed)\s+(?:that\s+)?)?$", re.I)
_PASSIVE_KILLED = compiled(
    r"\b(?:were|have\s+been|had\s+been|are\s+said\s+to\s+have\s+been|"
    r"were\s+(?:said|reported|believed|feared)\s+(?:by\s+[^,.;]{1,60}?\s+)?to\s+have\s+been)\s+"
    r"(?:(?:reportedly|allegedly|all|also|later|brutally|fatally|confirmed)\s+)*(?:\w+\s+and\s+)?"
    r"(?:killed|shot\s+dead|shot\s+to\s+death|gunned\s+down|murdered|massacred|slain|executed|beheaded|"
    r"hacked\s+to\s+death|burned\s+to\s+death|burnt\s+to\s+death|stabbed\s+to\s+death|beaten\s+to\s+death|"
    r"fatally\s+shot|lynched|found\s+dead)\b", re.I)


def subject_count(index: EvidenceIndex, sent: Sentence, mentions: list[NumberMention]) -> NumberMention | None:
    """The counted subject of a passive kill, however long the noun phrase between them:
    "Two members of the Citizens for Liberty Party were killed", "Nine people are said to have been killed".
    ``mentions``: the sentence's count mentions."""
    text = index.text
    if not mentions:
        return None
    m = mentions[0]
    after = text[m.end:sent.end]
    if not _SUBJECT_PREFIX.match(text[sent.start:m.start]) or not _VICTIM_NOUN.match(after) \
            or (_NON_VICTIM.match(after) and not _VICTIM_EXPLICIT.match(after)) or _ATTACKER.match(after):
        return None
    verb = _PASSIVE_KILLED.search(after, 0, 260)
    if verb is None:
        return None
    gap = after[:verb.start()]
    if _CUE.search(gap) or re.search(r"\b(?:was|is|are|were|has|have|had|will|would)\b|[;:]", gap, re.I) \
            or any(m.end <= x.start < m.end + verb.start() for x in mentions):
        return None
    # "Eight civilians, an intelligence agent and a soldier were killed": each one named with an article counts
    ones = list(re.finditer(r"(?:,\s+|,?\s+and\s+)(?:an?|one)\s+[\w'’-]+(?:\s+[\w'’-]+)?"
                            r"(?=,|\s+and\s|\s+(?:were|have|had|are)\s)", after[:verb.end()]))
    ones = [o for o in ones if o.start() < verb.start()]
    if ones and not re.search(r"\b(?:including|among|of\s+whom|of\s+them|such\s+as|with)\b", gap, re.I):
        end = m.end + ones[-1].end()
        low = (m.low or 0) + len(ones)
        hedged = m.qualifier is not Qualifier.exact
        return NumberMention(m.start, end, text[m.start:end], low, None if hedged else low,
                             Qualifier.at_least if hedged else Qualifier.exact, m.start, end, "sum")
    return m


# "four children and as many women": the second group counts as many as the first
_AS_MANY = compiled(r"\s+(?:[\w'’-]+\s+)?(?:children|women|men|boys|girls|minors)\s+and\s+(as\s+many\s+"
                    r"(women|men|children|girls|boys|minors))\b", re.I)
_AS_MANY_ROLE = {"women": "women_killed", "girls": "women_killed", "men": "men_killed", "boys": "men_killed",
                 "children": "children_killed", "minors": "children_killed", "child": "children_killed",
                 "woman": "women_killed", "man": "men_killed"}
# "some people are seriously injured": an injured count the text gives only vaguely
_SOME_INJURED = compiled(r"\b((?:some|many)\s+(?:other\s+)?(?:people|persons|civilians|others|residents))\s+"
                         r"(?:are|were|have\s+been|had\s+been|was|got)\s+(?:\w+ly\s+)?(?:injured|wounded|hurt)\b",
                         re.I)


_BREAKDOWN_AFTER = compiled(
    r"\s+(?:[\w'’-]+,?\s+){0,5}?[(—–-]?\s*(?:including|among\s+them|among\s+whom|of\s+whom|mostly|mainly|"
    r"most\s+of\s+them)\s+(?:at\s+least\s+|some\s+|about\s+)?", re.I)
_NOUN_COMMA = compiled(r"\s+(?:[\w'’-]+\s+){0,3}?[\w'’-]+,\s*")
_OF_THEM = compiled(r"\s+of\s+(?:them|whom)\s+(?:were\s+)?(children|women|men|girls|boys)\b", re.I)
_AND_NEXT = compiled(r"\s+(?:[\w'’-]+\s+){0,2}?[\w'’-]+(?:,\s+|,?\s+and\s+)(?:at\s+least\s+)?", re.I)


def _breakdown_after(index: EvidenceIndex, sent: Sentence, killed: Attach, attaches: list[Attach]) -> list[Attach]:
    """A breakdown right after the killed figure, with no cue of its own: "killing 11 civilians, including five
    children and two women"."""
    text = index.text
    taken = {a.mention.start for a in attaches}
    out: list[Attach] = []
    mentions = [m for m in index.numbers_in(killed.mention.end, sent.end) if m.kind == "count"]
    if mentions and _NOUN_COMMA.fullmatch(text, killed.mention.end, mentions[0].start):
        # "61 Palestinians, 14 of them children, have been killed"
        m = mentions[0]
        of = _OF_THEM.match(text, m.end, sent.end)
        role = _AS_MANY_ROLE.get(of.group(1).lower()) if of else None
        if role and m.start not in taken and (m.low or 0) <= (killed.mention.low or 0):
            out.append(Attach(m, role, killed.distance))
        return out
    if not mentions or not _BREAKDOWN_AFTER.fullmatch(text, killed.mention.end, mentions[0].start):
        return out
    prev_end = None
    for m in mentions:
        if prev_end is not None and not _AND_NEXT.fullmatch(text, prev_end, m.start):
            break
        role = _victim_role(text[m.end:sent.end])
        if role in (None, "mixed") or m.start in taken or (m.low or 0) > (killed.mention.low or 0):
            break
        out.append(Attach(m, role, killed.distance))
        prev_end = m.end
    return out


_PART_OF_DEAD = compiled(r"\s+of\s+(?:the|those)\s+(?:dead|killed|victims|deceased|fatalities)\s+(?:were|was|are|"
                         r"included)\s+(?:\w+\s+)?([a-z]+)", re.I)


_AND_ONE = compiled(r"\s+(?:[\w'’-]+\s+){0,2}?(?:[\w'’-]+)\s+and\s+(?:a|an|one)\s+(?:[\w'’-]+\s+){0,2}?[a-z][\w'’-]*"
                    r"(?=\s*(?:[,.;:]|$|\s+(?:in|at|on|near|outside|when|after|as|during|while|and|who|from)\b))")


def _and_one_more(index: EvidenceIndex, sent: Sentence, a: Attach) -> Attach:
    """ "killing five teachers and a municipal worker": the one named after the counted group is one more."""
    m = a.mention
    if m.kind not in ("count",) or m.low is None or m.qualifier is Qualifier.vague:
        return a
    more = _AND_ONE.match(index.text, m.end, sent.end)
    if more is None or _CUE.search(more.group(0)) or not _VICTIM_NOUN.match(index.text[m.end:more.end()]) \
            or _NON_VICTIM.match(index.text[m.end:more.end()]):
        return a
    end = more.end()
    low = m.low + 1
    hedged = m.qualifier is not Qualifier.exact
    text = index.text
    return Attach(NumberMention(m.start, end, text[m.start:end], low, None if hedged else low,
                                Qualifier.at_least if hedged else Qualifier.exact, m.start, end, "sum"), a.role,
                  a.distance)


def sentence_figures(index: EvidenceIndex, sent: Sentence, counted_before: bool) -> list[Attach]:
    """Every figure of a sentence with its role: the counts attached to their cues, a victim and their companions
    ("killing a mother and four children"), a counted subject far from its verb, a single victim (only while no
    sentence before has given a figure), a breakdown given "as many" ("four children and as many women"), and a
    vague injured count ("some people are seriously injured")."""
    text = index.text
    # a victim with companions, a counted subject and "some people are injured" each need a word of killing or
    # wounding: a sentence no cue touches is not read for them
    cued = _cues(index).touching(sent.start, sent.end)
    if not cued and counted_before and as_written(sent):
        return []  # each rule below needs a cue, save the single victim (read only before any figure)
    mentions = [m for m in index.numbers_in(sent.start, sent.end) if m.kind == "count"]
    attaches = attach_counts(index, sent, mentions)
    group = with_companions(index, sent, mentions) if cued else None
    if group is not None:
        # "killing a tribal elder and five other people": the one and the five, not the five alone
        attaches = [a for a in attaches if a.role != "killed" or not group.start <= a.mention.start < group.end]
        if not any(a.role == "killed" for a in attaches):
            attaches.insert(0, Attach(group, "killed", 0))
    if not any(a.role == "killed" for a in attaches):
        subject = subject_count(index, sent, mentions) if cued else None
        if subject is not None:
            attaches.insert(0, Attach(subject, "killed", 0))
    if not any(a.role == "killed" for a in attaches) and not counted_before:
        # "A tribal leader was killed and two others injured": the injured count is not the only one
        single = singular_victim(index, sent)
        if single is not None:
            attaches.insert(0, Attach(single, "killed", 0))
    for i, a in enumerate(attaches):
        part = _PART_OF_DEAD.match(text, a.mention.end, sent.end) if a.role == "killed" else None
        if part is not None:
            # "Three of the dead were women": a breakdown of a toll told before, never a toll of its own
            role = _AS_MANY_ROLE.get(part.group(1).lower(), "part")
            attaches[i] = Attach(a.mention, role, a.distance)
    attaches = [a for a in attaches if a.role != "part"]
    for killed in [a for a in attaches if a.role == "killed"]:
        attaches += _breakdown_after(index, sent, killed, attaches)
    attaches = [_and_one_more(index, sent, a) if a.role == "killed" else a for a in attaches]
    for a in list(attaches):
        if a.role in ("children_killed", "women_killed", "men_killed"):
            m = _AS_MANY.match(text, a.mention.end, sent.end)
            role = _AS_MANY_ROLE[m.group(2).lower()] if m else None
            if m and role and not any(x.role == role for x in attaches):
                s, e = m.start(1), m.end(1)
                attaches.append(Attach(NumberMention(s, e, text[s:e], a.mention.low, a.mention.high,
                                                     a.mention.qualifier, s, e, "same"), role, a.distance))
    if (cued or not as_written(sent)) and not any(a.role == "injured" for a in attaches) \
            and holds(index, sent, "some", "many"):
        m = _SOME_INJURED.search(sent.text)
        if m is not None:
            s, e = index.span_in(sent, m.start(1), m.end(1))
            attaches.append(Attach(NumberMention(s, e, text[s:e], None, None, Qualifier.vague, s, e, "vague"),
                                   "injured", 0))
    return attaches
