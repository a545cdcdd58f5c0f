"""The extractor that needs no model: claims built from the evidence index by rules.

It attaches count mentions to casualty cues ("killed", "wounded", "among the dead"), keeps
breakdowns ("including nine children") apart from the main figure, finds the claimant and
relays from speech verbs ("told SANA", "according to Press TV"), the place from place cues
and name mentions, the date from date mentions, and tells cumulative tallies from incidents.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from llmextract._version import __version__
from llmextract.schema import (
    Article,
    Attribution,
    Claim,
    ClaimKind,
    Count,
    Evidence,
    ExtractionResult,
    Place,
    Provenance,
    Qualifier,
)
from llmextract.text.dates import resolve
from llmextract.text.folding import fold
from llmextract.text.gazetteer import get_gazetteer
from llmextract.text.index import EvidenceIndex, Sentence
from llmextract.text.names import NameMention
from llmextract.text.numbers import NumberMention

_KILL = (r"killed|killing|hanged|decapitated|kills|kill|dead|assassinated|assassination|gunned\s+down|"
         r"stabbed\s+to\s+death|murder|died|die|deaths?|death\s+toll|toll|lost\s+their\s+lives|perished|slain|"
         r"massacred|executed|murdered|shot\s+to\s+death|fatalities|fatally\s+(?:shot|stabbed|wounded|injured)|fatally|lives|bodies|beheaded|lynched|slaughtered|"
         r"shot\s+dead|burned\s+to\s+death|burnt\s+to\s+death|hacked\s+to\s+death|stoned\s+to\s+death|"
         r"drowned|massacre|deceased|victims|were\s+found\s+dead|lifeless|corpses")
_INJURE = r"wounded|wounding|wounds|injured|injuring|injuries|injury|injures|hurt|maimed|hospitali[sz]ed"
_CUE = re.compile(rf"\b(?:(?P<kill>{_KILL})|(?P<injure>{_INJURE}))\b", re.I)
# A cue that comes before the figure it counts: "killed 13", "killing at least 5", "wounding 14 others",
# "the death toll rose to 20", "claimed the lives of 98 people".
_LEFT_GAP = re.compile(
    r"^\s*(?:(?:rose|risen|climbed|jumped|increased|reached|stood|stands|is|was|has|had|have|to|at|of|the|"
    r"lives|a|total|some|an|estimated|reportedly|roughly|around|about|nearly|almost|approximately|least|at|"
    r"more|than|over|up|as|many|no|fewer|less|another|further|additional|and|respectively|,)\s*)*$",
    re.I,
)
_VICTIM_NOUN = re.compile(
    r"^\s*(?:other\s+|more\s+|of\s+the\s+|of\s+them\b|of\s+whom\b|members\s+of\b|)?(?:[\w'’-]+\s+){0,3}?"
    r"(?:people|persons?|civilians?|villagers?|men|women|children|kids|girls?|boys?|minors|infants?|babies|"
    r"others?|soldiers?|troops|police(?:men|\s+officers)?|officers?|guards?|students?|worshipp?ers|pilgrims|"
    r"members|residents|farmers|miners|workers|passengers|employees|family|relatives|individuals|"
    r"fighters|militants|rebels|insurgents|protesters|demonstrators|refugees|migrants|herders|traders|"
    r"teachers|journalists|patients|staff|mourners|shoppers|bystanders|victims|dead|killed|wounded|injured|"
    r"people's|Christians|Muslims|Shi'?ites?|Sunnis?|Hazaras?|Yazidis?|Rohingya|Fulani|Tutsis?|Hutus?|bodies|deaths|"
    r"inmates|prisoners|elders|locals|casualties|fatalities|[a-z]{3,}(?<!s)s)\b",
    re.I,
)
_VICTIM_EXPLICIT = re.compile(_VICTIM_NOUN.pattern.replace(r"|[a-z]{3,}(?<!s)s)", ")"), re.I)
_HEAD_PREFIX = (r"(?:(?!(?:when|who|whom|which|that|as|after|before|while|and|or|in|on|at|of|by|with|from|"
                r"were|was|have|has|had|are|is)\b)[\w'’-]+\s+){0,2}?")
_ATTACKER = re.compile(r"^\s*" + _HEAD_PREFIX + r"(?:bombers?|gunmen|attackers|assailants|"
                       r"militants\s+(?:attacked|stormed|opened)|suicide|shooters?|men\s+armed|armed\s+men|"
                       r"jihadists\s+(?:attacked|stormed))\b", re.I)
_BREAKDOWN_BEFORE = re.compile(r"(?:including|among\s+them|among\s+whom|of\s+whom|of\s+them|among\s+the\s+\w+\s+were"
                               r"|mostly|mainly|most\s+of\s+them)\s*(?:at\s+least\s+|some\s+|about\s+)?$"
                               r"|(?:including|among\s+them)\s+[^,;.]{1,30}\band\s+(?:at\s+least\s+)?$",
                               re.I)
_NON_VICTIM = re.compile(
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
_CHILD = re.compile(r"^\s*(?:[\w'’-]+\s+){0,2}?(?:children|child|kids|minors|boys|girls|infants|babies|toddlers|"
                    r"students|schoolchildren|teenagers)\b", re.I)
_WOMAN = re.compile(r"^\s*(?:[\w'’-]+\s+){0,2}?(?:women|woman|girls|mothers|female)\b", re.I)
_MAN = re.compile(r"^\s*(?:[\w'’-]+\s+){0,2}?(?:men|man|boys|fathers|male)\b", re.I)
_TALLY = re.compile(r"\b(?:a\s+total\s+of|in\s+total|since\s+(?:the\s+start|the\s+beginning|\w+\s+\d{4}|\d{4})|"
                    r"over\s+the\s+(?:past|last)|so\s+far|to\s+date|this\s+year|since\s+the|overall|"
                    r"between\s+\w+\s+\d{1,2}\s+and\s+\w+\s+\d{1,2}|per\s+cent|in\s+recent\s+(?:months|years)|"
                    r"as\s+a\s+result\s+of\s+the\s+attacks)\b", re.I)
# A superlative, then no figure, up to the "since the" that follows it.
_SUPERLATIVE_SINCE = re.compile(r"\b(?:largest|biggest|deadliest|bloodiest|worst|heaviest|highest|greatest|first|"
                                r"most\s+(?!of\b)\w+)\b[^.;\d]{0,60}$", re.I)
_SINCE_THE = re.compile(r"since\s+the", re.I)


def _is_tally(text: str) -> bool:
    """A cumulative count ("since the start of the war", "so far this year"); "the deadliest attack since the
    crackdown" dates an incident, it does not add one up (only a bare "since the" after a superlative, with no
    figure between them, is read so: "since the start" always adds up)."""
    return any(not (_SINCE_THE.fullmatch(m.group(0)) and _SUPERLATIVE_SINCE.search(text, 0, m.start()))
               for m in _TALLY.finditer(text))


_SPEECH = re.compile(r"\b(?:said|says|say|told|tells|reported|reports|report|stated|states|noted|added|claimed|claims|"
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
_PLACE_CUE = re.compile(r"\b(?:village|town|city|province|district|area|neighbou?rhood|settlement|region|governorate|"
                        r"camp|county|state|suburb|market|municipality|locality|outskirts)\s+of\s+$|\b(?:in|near|at|"
                        r"outside|around|across|from)\s+(?:the\s+)?(?:\w+\s+)?$", re.I)
_PROVINCE_CUE = re.compile(r"\b(?:province|governorate|region|state|district)\s+of\s+\[?$", re.I)
_MEANS = re.compile(r"\b(air\s*strikes?|aerial\s+(?:attacks?|assaults?|bombardment)|air\s+raids?|warplanes|"
                    r"shelling|artillery|mortars?|rockets?|missiles?|drones?|suicide\s+(?:bomb(?:ing|er)s?|attack)|"
                    r"car\s+bomb|roadside\s+bomb|IEDs?|explosions?|bomb(?:ing)?s?|gunmen|shooting|gunfire|"
                    r"machetes?|knives|arson|white\s+phosphorus|beheading|grenades?|landmines?|clashes)\b", re.I)
_PERPETRATOR = re.compile(r"\b((?:the\s+)?US-led\s+(?:coalition|military\s+aircraft|warplanes|air\s+raids?|strikes)|"
                          r"(?:the\s+)?coalition(?:\s+led\s+by\s+the\s+United\s+States)?|Boko\s+Haram|(?:the\s+)?Taliban|"
                          r"al-Shabaa?b|Daesh|ISIS|ISIL|Islamic\s+State|(?:the\s+)?Russian\s+(?:warplanes|air\s*force|army)|"
                          r"(?:the\s+)?Syrian\s+(?:army|regime|government\s+forces)|Fulani\s+(?:herdsmen|militants|gunmen)|"
                          r"(?:the\s+)?Saudi-led\s+coalition|Houthis?|al-Qaeda|security\s+forces|gunmen|militants)\b",
                          re.I)
_RISE = re.compile(r"\b(?:expected\s+to\s+rise|(?:may|could|might|likely\s+to)\s+(?:rise|increase|climb)|"
                   r"not\s+(?:yet\s+)?final|critical\s+condition|critically\s+(?:wounded|injured))\b", re.I)
_ALLEGE = re.compile(r"\b(?:accused\s+of|used\s+(?:internationally-banned\s+)?(?:white\s+phosphorus|banned|chemical)|"
                     r"white\s+phosphorus|war\s+crimes?|crimes\s+against\s+humanity|targeting\s+civilian)\b", re.I)


@dataclass
class _Attach:
    mention: NumberMention
    role: str  # killed, injured, children_killed, women_killed, men_killed
    distance: int


@dataclass
class _Draft:
    sentences: list[Sentence]
    counts: dict[str, NumberMention] = field(default_factory=dict)
    kind: ClaimKind = ClaimKind.incident


def _sentence_cues(index: EvidenceIndex, sent: Sentence) -> list[tuple[int, int, str]]:
    return [(sent.start + m.start(), sent.start + m.end(), "kill" if m.group("kill") else "injure")
            for m in _CUE.finditer(sent.text)]


_RIGHT_GAP = re.compile(
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
_PAREN = re.compile(
    r",?\s*\(?(?:including|among\s+them|mostly|mainly|many\s+of\s+them|most\s+of\s+them|all)\b[^,;()—–]*[,)]"
    r"|\s*(?:—|–|--)[^—–]*(?:—|–|--)"
    r"|\s+(?:including|mostly|mainly)\s+(?:[\w-]+\s+){0,2}?(?:women|children|men|the\s+elderly|civilians|soldiers|"
    r"police(?:men)?|students|officers)(?:,?\s+(?:and\s+)?(?:[\w-]+\s+)?(?:women|children|men|the\s+elderly|"
    r"elderly|civilians|soldiers|students|officers))*"
    r"|\s+including\s+[^,;.]{1,80}?(?=\s+(?:have|has|were|was|are|had)\s)",
    re.I,
)
_TOLL = re.compile(r"(?:\b(?:death\s+)?toll\b|\bnumber\s+of\s+(?:people|persons|victims|those|the\s+dead|deaths|"
                   r"fatalities)\b)[^.;]{0,90}?\b(?:(?:rose|risen|climbed|reached|jumped|increased)(?:\s+to)?|stands\s+at|"
                   r"stood\s+at|is\s+now|to)\s+", re.I)
_AMONG_DEAD = re.compile(
    r"\bamong\s+(?:the|those)\s+(?:dead|killed|victims|deceased|fatalities|casualties|bodies)\b", re.I)


def _victim_role(after: str) -> str | None:
    if re.match(r"^\s*(?:[\w'’-]+\s+){0,1}?(?:women\s+and\s+children|children\s+and\s+women)\b", after, re.I):
        return "mixed"
    if _CHILD.match(after):
        return "children_killed"
    if _WOMAN.match(after):
        return "women_killed"
    if _MAN.match(after):
        return "men_killed"
    return None


def _right_cue(text: str, m: NumberMention, cues: list[tuple[int, int, str]],
               mentions: list[NumberMention]) -> tuple[int, str] | None:
    """A cue after the figure: "13 people were killed", "Seven employees of TOLO were killed"."""
    for cs, _ce, kind in cues:
        if cs < m.end:
            continue
        parens = [(m.end + p.start(), m.end + p.end()) for p in _PAREN.finditer(text[m.end:cs])]
        if any(m.end <= x.start < cs and not any(a <= x.start < b for a, b in parens) for x in mentions):
            return None  # another figure, outside any "including ..." aside, stands between this one and the cue
        gap = _PAREN.sub(" ", text[m.end:cs])
        gap = re.sub(r",[^,;]{1,80},", " ", gap)
        gap = re.sub(r"\b(?:\w+ed|shot|beaten|stabbed|hit|burnt)\s+and\s+$", "", gap)
        gap = re.sub(r"\b(?:women|men)\s+and\s+(?:children|girls|boys)\b|\bchildren\s+and\s+(?:women|the\s+elderly)\b",
                     "people", gap)
        if len(gap) > 130 or re.search(r"[;:]|\.\s|\b(?:and(?!\s+[A-Z])|but|while|when|after|as|which|for)\b", gap) \
                and not re.fullmatch(r"\s*(?:[\w'’-]+\s+){0,3}?(?:who\s+(?:were|had\s+been)|that\s+were)\s+",
                                     gap, re.I):
            return None
        if _RIGHT_GAP.match(gap) and not any(
                w.lower() not in _ED_OK
                for w in re.findall(r"\b[a-z]{3,}ed\b|\b(?:that|following|during|said|says)\b", gap)):
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


def _attach_counts(index: EvidenceIndex, sent: Sentence) -> list[_Attach]:
    """Attach each count mention of a sentence to the casualty cue it counts."""
    text = index.text
    cues = _sentence_cues(index, sent)
    if not cues:
        return []
    mentions = [m for m in index.numbers_in(sent.start, sent.end) if m.kind == "count"]
    among_dead = bool(_AMONG_DEAD.search(sent.text))
    toll = _TOLL.search(sent.text)
    attaches: list[_Attach] = []
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
        attaches.append(_Attach(whole, "killed", hit[0]))
        for g in group:
            role = _victim_role(text[g.end:sent.end])
            if role and role != "mixed":
                attaches.append(_Attach(g, role, hit[0]))
    for m in mentions:
        if m.start in grouped:
            continue
        if toll and m.start == sent.start + toll.end():
            attaches.append(_Attach(m, "killed", -1))  # "the death toll rose to 16": the latest figure
            continue
        after = text[m.end:sent.end]
        if _ATTACKER.match(after):
            continue
        partitive = re.match(r"^\s+of\s+(?:the|these|those|them|his|her|their)\b", after, re.I)
        if (_NON_VICTIM.match(after) and not _VICTIM_EXPLICIT.match(after)) or \
                (partitive and _NON_VICTIM.match(after[partitive.end():])):
            continue  # "two communities", "three attacks", "one of the villages"
        if among_dead and _victim_role(after) not in (None, "mixed"):
            # "nine children and eight women were among the dead": each is a breakdown of the toll
            attaches.append(_Attach(m, _victim_role(after) or "", 0))
            continue
        left = _left_cue(text, m, cues)
        headed = (_VICTIM_NOUN.match(after) or m.qualifier is Qualifier.vague
                  or re.match(r"^\s*(?:were|have|had|are|was|has)\b", after, re.I))
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
        before = text[max(0, m.start - 40):m.start]
        sub = bool(_BREAKDOWN_BEFORE.search(before) or re.match(r"^\s+(?:of\s+them|of\s+whom)", after, re.I))
        if re.search(r"\bincluding\s+(?:at\s+least\s+|some\s+|about\s+)?$", before, re.I) and victim in (None, "mixed"):
            continue  # "including 17 people of the same family" is part of a larger figure
        if (sub or among_dead) and victim:
            if victim == "mixed":
                continue
            role = victim
        else:
            role = "killed" if kind == "kill" else "injured"
        attaches.append(_Attach(m, role, dist))
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
_SINGULAR_SUBJECT = re.compile(
    r"\b(?:An?|an?|One|one|The|the)\s+(?!(?:suicide\s+)?(?:bomber|gunman|attacker|assailant|militant)\b)"
    + _SINGULAR_NOUN + r"\b[^.;]{0,120}?\b(?:was|has\s+been|had\s+been|is|has(?=\s+died))\s+"
    r"(?:(?:reportedly|allegedly|also|later|found|brutally|fatally)\s+)*(?:\w+ed\s+and\s+)?"
    r"(?:shot\s+dead|killed|shot\s+and\s+killed|murdered|assassinated|beheaded|lynched|gunned\s+down|"
    r"stabbed\s+to\s+death|hacked\s+to\s+death|beaten\s+to\s+death|burned\s+to\s+death|blown\s+up|"
    r"shot\s+to\s+death|tortured\s+to\s+death|fatally\s+shot|"
    r"executed|slain|found\s+dead|abducted\s+and\s+killed|died|shot\s+down|ambushed\s+and\s+murdered)\b",
)
_SINGULAR_OBJECT = re.compile(
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
_NAMED_VICTIM = re.compile(
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


_SINGULAR_START = re.compile(
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
_PAIR_SUBJECT = re.compile(
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
_PRONOUN_OBJECT = re.compile(r"\b(?:beheaded|executed|shot\s+dead|killed|killing|murdered|assassinated|lynched|"
                             r"hacked\s+to\s+death|stabbed\s+to\s+death)\s+(?P<np>him|her)\b(?!\s*self)")
_ALONG_WITH_ONE = re.compile(r"^[^.;:]{0,30}?,?\s+(?:along\s+with|alongside|together\s+with)\s+"
                             r"(?:his|her|their|an?|the)\s+(?![\w'’-]+s\b)", re.I)


def _singular_victim(index: EvidenceIndex, sent: Sentence) -> NumberMention | None:
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
        start, end = sent.start + s, sent.start + e
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
    re.compile(r"\b" + _KILL_VERB + r"\s+(?P<np>" + _ONE + r"|(?i:an?|the)\s+(?:[\w'’-]+\s+){0,2}?[a-z][\w'’-]+)"
               r"\b(?P<mid>[^.;:()]{0,80}?),?\s+" + _ALONG + r"\s+$"),
    re.compile(r"(?:^|,\s+|\bthat\s+)(?P<np>" + _ONE + r")\b(?P<mid>[^.;:()]{0,80}?),?\s+"
               r"(?:and|along\s+with|alongside|together\s+with|as\s+well\s+as)\s+$"),
    re.compile(r"(?:^|,\s+|\bthat\s+)(?P<np>" + _ONE + r")\b[^.;:()]{0,160}?\b(?:was|has\s+been|had\s+been)\s+"
               r"(?:(?:reportedly|allegedly|also|later|brutally|fatally)\s+)*" + _KILL_VERB
               + r"\b(?P<mid>[^.;:()]{0,40}?),?\s+(?:along\s+with|alongside|together\s+with|with|and)\s+$"),
]
_THEY_KILLED = re.compile(r"^[^.;:]{0,60}?\b(?:were|have\s+been|had\s+been|are)\s+(?:(?:reportedly|allegedly|all|also|"
                          r"later|brutally|fatally)\s+)*(?:\w+ed\s+and\s+)?" + _KILL_VERB + r"\b")


def _with_companions(index: EvidenceIndex, sent: Sentence) -> NumberMention | None:
    """One victim and a counted group killed with them: "killing a mother and four children" is five."""
    text = index.text
    for c in index.numbers_in(sent.start, sent.end):
        if c.kind != "count" or c.qualifier in (Qualifier.vague, Qualifier.up_to, Qualifier.range) or not c.low:
            continue
        after = text[c.end:sent.end]
        noun = _VICTIM_EXPLICIT.match(after) or _VICTIM_NOUN.match(after) \
            or re.match(r"\s+(?:other|more)\b", after, re.I) or re.match(r"\s+of\s+(?:his|her|their)\s+[a-z]+", after)
        if not noun or (_NON_VICTIM.match(after) and not _VICTIM_EXPLICIT.match(after)) or _ATTACKER.match(after):
            continue
        rest = after[noun.end():]
        if re.match(r"^\s*(?:(?:were|was|are|have\s+been|had\s+been|also|reportedly)\s+)*(?:" + _INJURE + r")\b",
                    rest, re.I):
            continue  # "a policeman was killed and two others injured": the two are not among the dead
        before = text[sent.start:c.start]
        for i, pattern in enumerate(_ONE_BEFORE):
            m = pattern.search(before)
            if m is None or _CUE.search(m.group("mid")) or re.search(r"\d", m.group("mid")) \
                    or index.numbers_in(sent.start + m.start("np"), c.start):
                continue
            if i == 1 and not _THEY_KILLED.match(rest):
                continue
            start, end = sent.start + m.start("np"), c.end + noun.end()
            # "killing him, his son and two guests": each named one counts
            listed = re.fullmatch(r"(?:,\s+(?:his|her|their|an?|the)\s+[\w'’-]+(?:\s+[\w'’-]+)?)+", m.group("mid"))
            low = 1 + c.low + (m.group("mid").count(",") if listed else 0)
            hedged = c.qualifier is not Qualifier.exact
            return NumberMention(start, end, text[start:end], low, None if hedged else low,
                                 Qualifier.at_least if hedged else Qualifier.exact, start, end, "sum")
    return None


_SUBJECT_PREFIX = re.compile(
    r"^(?:(?:[^,;:]{0,60},\s+){1,3}|[^,;:]{0,80}?\b(?:said|says|say|reported|confirmed)\s+(?:that\s+)?)?$", re.I)
_PASSIVE_KILLED = re.compile(
    r"\b(?:were|have\s+been|had\s+been|are\s+said\s+to\s+have\s+been|"
    r"were\s+(?:said|reported|believed|feared)\s+(?:by\s+[^,.;]{1,60}?\s+)?to\s+have\s+been)\s+"
    r"(?:(?:reportedly|allegedly|all|also|later|brutally|fatally|confirmed)\s+)*(?:\w+\s+and\s+)?"
    r"(?:killed|shot\s+dead|shot\s+to\s+death|gunned\s+down|murdered|massacred|slain|executed|beheaded|"
    r"hacked\s+to\s+death|burned\s+to\s+death|burnt\s+to\s+death|stabbed\s+to\s+death|beaten\s+to\s+death|"
    r"fatally\s+shot|lynched|found\s+dead)\b", re.I)


def _subject_count(index: EvidenceIndex, sent: Sentence) -> NumberMention | None:
    """The counted subject of a passive kill, however long the noun phrase between them:
    "Two members of the Citizens for Liberty Party were killed", "Nine people are said to have been killed"."""
    text = index.text
    mentions = [m for m in index.numbers_in(sent.start, sent.end) if m.kind == "count"]
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


def _claimant(index: EvidenceIndex, sent: Sentence) -> Attribution:
    """Claimant, relays and outlet from the speech verbs of one sentence."""
    text = index.text
    names = index.names_in(sent.start, sent.end)
    claimant: str | None = None
    relays: list[str] = []
    outlet: str | None = None
    for sm in _SPEECH.finditer(sent.text):
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


def _is_country(n: NameMention) -> bool:
    entry = get_gazetteer().lookup(n.canonical or n.text, prefer="country")
    return entry is not None and entry.kind == "country" and fold(entry.name) == fold(n.canonical or n.text)


def _place(index: EvidenceIndex, sents: list[Sentence]) -> Place | None:
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


def _merge_repeats(drafted: list[tuple[Claim, int, int]]) -> list[Claim]:
    """One incident told twice (a headline and its lede, "20" and "Twenty") becomes one claim.

    Two incident claims merge when their killed figures are equal and within three sentences'
    distance of each other; fields missing from the later one are taken from the earlier one, and
    the evidence of both is kept.
    """
    out: list[Claim] = []
    last_sentence: list[int] = []
    for claim, first, last in drafted:
        j = next((j for j in range(len(out) - 1, -1, -1)
                  if out[j].kind is claim.kind is ClaimKind.incident and out[j].killed and claim.killed
                  and out[j].killed.best == claim.killed.best and first - last_sentence[j] <= 3), None)
        if j is None:
            out.append(claim)
            last_sentence.append(last)
            continue
        twin = out[j]
        last_sentence[j] = last
        richer, other = (claim, twin) if _richness(claim) >= _richness(twin) else (twin, claim)
        merged = richer.model_copy(deep=True)
        for name in ("date", "place", "perpetrator", "means", "injured", "children_killed", "women_killed",
                     "men_killed"):
            if getattr(merged, name) is None and getattr(other, name) is not None:
                setattr(merged, name, getattr(other, name))
        a, b = merged.attribution, other.attribution
        a.claimant = a.claimant or b.claimant
        a.outlet = a.outlet or b.outlet
        a.relays = a.relays or b.relays
        merged.toll_may_rise = merged.toll_may_rise or other.toll_may_rise
        merged.evidence = sorted([*twin.evidence, *claim.evidence], key=lambda e: e.start or 0)
        out[j] = merged
    return out


def _richness(c: Claim) -> int:
    return sum(x is not None for x in (c.place, c.date, c.attribution.claimant, c.children_killed, c.women_killed,
                                       c.injured)) + len(c.attribution.relays)


def extract_offline(article: Article, index: EvidenceIndex | None = None) -> ExtractionResult:
    """Claims from rules over the evidence index. No model is used."""
    t0 = time.perf_counter()
    index = index or EvidenceIndex.build(article)
    text = index.text
    drafts: list[_Draft] = []
    for sent in index.sentences:
        attaches = _attach_counts(index, sent)
        group = _with_companions(index, sent)
        if group is not None:
            # "killing a tribal elder and five other people": the one and the five, not the five alone
            attaches = [a for a in attaches if a.role != "killed" or not group.start <= a.mention.start < group.end]
            if not any(a.role == "killed" for a in attaches):
                attaches.insert(0, _Attach(group, "killed", 0))
        if not any(a.role == "killed" for a in attaches):
            subject = _subject_count(index, sent)
            if subject is not None:
                attaches.insert(0, _Attach(subject, "killed", 0))
        if not any(a.role == "killed" for a in attaches) and not any(d.counts for d in drafts):
            # "A tribal leader was killed and two others injured": the injured count is not the only one
            single = _singular_victim(index, sent)
            if single is not None:
                attaches.insert(0, _Attach(single, "killed", 0))
        if not attaches:
            if _ALLEGE.search(sent.text) and _SPEECH.search(sent.text):
                drafts.append(_Draft([sent], kind=ClaimKind.allegation))
            continue
        main = [a for a in attaches if a.role in ("killed", "injured")]
        prev = drafts[-1] if drafts and drafts[-1].kind is not ClaimKind.allegation and \
            drafts[-1].sentences[-1].index >= sent.index - 2 else None
        if prev is not None and (not main or (
                not {a.role for a in attaches} & set(prev.counts) and not _is_tally(sent.text)
                and not re.match(r"^\s*(?:in\s+(?:a\s+)?(?:separate|another)|separately|meanwhile|elsewhere)",
                                 sent.text, re.I))):
            # details of the last claim: "nine children and eight women were among the dead",
            # "At least 45 people were wounded"
            draft = prev
            draft.sentences.append(sent)
        else:
            draft = _Draft([sent])
            drafts.append(draft)
        for a in sorted(attaches, key=lambda a: (a.distance >= 1000, a.distance >= 0, a.mention.start)):
            if a.role in draft.counts and a.role in ("killed", "injured"):
                continue
            draft.counts.setdefault(a.role, a.mention)
        if _is_tally(sent.text):
            draft.kind = ClaimKind.tally
    taken = {s.index for d in drafts for s in d.sentences}
    claims = _merge_repeats([(_build_claim(index, article, d, taken), d.sentences[0].index, d.sentences[-1].index)
                             for d in drafts])
    provenance = Provenance(
        extractor="offline", model_used=False, version=__version__,
        latency_s=time.perf_counter() - t0,
        notes=["No model was used: claims come from rules over the evidence index. "
               "Set an endpoint (endpoint=..., LLMEXTRACT_BASE_URL or --endpoint) to use a language model."],
    )
    _ = text
    return ExtractionResult(article_id=article.id, content_hash=article.content_hash, published=article.published,
                            claims=claims, provenance=provenance)


def _build_claim(index: EvidenceIndex, article: Article, d: _Draft, taken: set[int]) -> Claim:
    """A claim from a draft; ``taken`` holds the sentences that belong to other claims."""
    text = index.text
    first = d.sentences[0]
    neighbourhood = [first] + d.sentences[1:]
    if first.index + 1 < len(index.sentences) and index.sentences[first.index + 1] not in neighbourhood:
        neighbourhood.append(index.sentences[first.index + 1])
    attribution = Attribution()
    last = d.sentences[-1].index
    around = [index.sentences[i] for i in range(first.index, min(last + 2, len(index.sentences)))
              if i <= last or i not in taken]
    if first.index > 0 and first.index - 1 not in taken:
        around.append(index.sentences[first.index - 1])
    for sent in around:
        a = _claimant(index, sent)
        if a.claimant and not attribution.claimant:
            attribution.claimant = a.claimant
        for r in a.relays:
            if r not in attribution.relays:
                attribution.relays.append(r)
        if a.outlet and not attribution.outlet:
            attribution.outlet = a.outlet
    if attribution.outlet is None:
        m = re.search(r"\bSource:\s*\[?([^\]\n]+?)\]?(?:\(|\n|$)", text[: max(200, first.start)])
        if m:
            attribution.outlet = m.group(1).strip()
    event_date = None
    for sent in d.sentences:
        found = index.dates_in(sent.start, sent.end)
        if found:
            event_date = resolve(found[0].text, article.published)
            break
    means = None
    perpetrator = None
    for sent in neighbourhood:
        if means is None and (mm := _MEANS.search(sent.text)):
            means = mm.group(1)
        if perpetrator is None and (pm := _PERPETRATOR.search(sent.text)):
            perpetrator = pm.group(1)
    counts = {role: m.to_count() for role, m in d.counts.items()}
    rise = any(_RISE.search(s.text) for s in neighbourhood)
    return Claim(
        kind=d.kind,
        attribution=attribution,
        date=event_date,
        place=_place(index, d.sentences),
        perpetrator=perpetrator,
        means=means,
        killed=counts.get("killed"),
        injured=counts.get("injured"),
        children_killed=counts.get("children_killed"),
        women_killed=counts.get("women_killed"),
        men_killed=counts.get("men_killed"),
        toll_may_rise=rise,
        evidence=[Evidence(quote=s.text, start=s.start, end=s.end) for s in d.sentences],
    )


def primary_counts(result: ExtractionResult, *, refine_vague: bool = True) -> tuple[Count | None, Count | None]:
    """The first incident's killed and injured counts (how a one-event description is scored).

    With ``refine_vague``, a vague first figure ("Several") gives way to the next incident's stated
    figure when that is at least as large (its injured count too, when the first has none).
    """
    incidents = [c for c in result.claims if c.kind is ClaimKind.incident and (c.killed or c.injured)]
    if incidents:
        first = incidents[0]
        if refine_vague and first.killed is not None and first.killed.qualifier is Qualifier.vague:
            # "Several civilians were killed ... the strike killed at least 11 civilians": the figure refines the
            # vague word when the next incident claim states one at least as large
            nxt = next((c for c in incidents[1:] if c.killed is not None), None)
            if nxt is not None and nxt.killed is not None and nxt.killed.qualifier is not Qualifier.vague \
                    and (nxt.killed.low or 0) >= (first.killed.low or 0):
                return nxt.killed, first.injured or nxt.injured
        return first.killed, first.injured
    for claim in result.claims:
        if claim.killed or claim.injured:
            return claim.killed, claim.injured
    return None, None
