"""How a one-event description is scored: the figure a benchmark compares (WAD's deaths and injured).

The extractor's claims keep every figure as the text states it, each source's apart; this module
only picks which of them a one-event benchmark compares with its coded figure. The base reading is
the first incident's count (a vague first figure gives way to the next incident's stated one).
Three readings follow how the PITF Worldwide Atrocities Dataset (WAD) codes deaths; each takes the
evidence index and is off unless asked for:

* ``civilians``: WAD counts the deaths of non-combatants. A total the text breaks down into
  civilians and others ("at least 15 people, eight of them civilians", "seven civilians and two
  soldiers", "The dead included six civilians and four police") is scored by its civilian part; a
  first figure that counts fighters only ("102 militants were killed ... eight civilians were
  killed") gives way to the next incident's civilian count (:func:`civilian_part`).
* ``restated``: a later account of the same event with a higher figure ("other reports put the
  death toll at more than 60", "the toll later rose to 19") is scored in place of the first, as
  UCDP's high estimate and Airwars' range reach the highest credible report.
* ``add``: later accounts of more dead in the same event ("four more people died", "another 12
  bodies were later found") are added to the first figure, when they do not fit inside it.
"""

from __future__ import annotations

import re

from llmextract.extractors.offline.patterns import compiled
from llmextract.schema import Claim, ClaimKind, Count, ExtractionResult, Qualifier, Victims
from llmextract.text.index import EvidenceIndex
from llmextract.text.victims import victims_after

__all__ = ["civilian_part", "primary_counts"]

_CIVILIAN_NOUN = compiled(r"\s*(?:(?:other|more|innocent|unarmed|local|[A-Z][\w-]+)\s+)?civilians?\b")
_CIVILIAN_BREAKDOWN = compiled(
    r"[^.;]{0,60}?(?:\(|\b(?:including|among\s+them|among\s+whom|of\s+whom|mostly|comprising|consisting\s+of)\s+)"
    r"(?:at\s+least\s+)?", re.I)
_OF_THEM_CIVILIANS = compiled(r",?\s+(?:of\s+(?:them|whom)|of\s+those|of\s+the\s+dead)\s+(?:were\s+)?civilians\b",
                              re.I)
_AMONG_DEAD_WERE = compiled(
    r"\b(?:among\s+(?:those|the)\s+(?:killed|dead)|the\s+dead\s+included|of\s+(?:those|the)\s+(?:killed|dead))\b",
    re.I)
_WERE_CIVILIANS = compiled(r"\s+were\s+civilians\b", re.I)

_RESTATED = compiled(
    r"\b(?:other|another|later|subsequent|separate|different|earlier)\s+(?:\w+\s+){0,2}?(?:reports?|sources?|"
    r"accounts?|estimates?|tolls?|figures?|counts?)\b|\b(?:put|puts|putting|placed|places|placing|raised|"
    r"estimated)\s+(?:the\s+)?(?:\w+\s+){0,3}?(?:toll|number|figure|count)\b|\b(?:increased|rose|risen|climbed|"
    r"jumped)\s+to\b|\b(?:later|subsequently|eventually|since\s+then)\b|\bpresumed\b|"
    r"\bnumber\s+of\s+(?:people|persons|those|victims)\b|^\s*(?:but|however|yet)\b[^.;]*\b(?:said|say|says|claimed|"
    r"claim|reported|insisted|told)\b", re.I)
_SEPARATE = compiled(r"\s*(?:in\s+(?:a\s+)?(?:separate|another|other)|separately|meanwhile|elsewhere|also\b|"
                     r"on\s+the\s+\d+)", re.I)
# more dead, not a new figure for the same dead: "another 12 bodies", "an additional 12 civilians were also killed"
_ADDED_BEFORE = compiled(r"\b(?:additional|further|another|other)\s+$", re.I)
_ADDED_AFTER = compiled(r"\s+(?:more|other|others|additional|further)\b|[^.;]*\balso\b", re.I)
_MORE_AFTER = compiled(r"\s+more\b", re.I)
_WINDOW = 3  # sentences after the first figure's where a restatement or an addition is read


def _killed_at(index: EvidenceIndex, claim: Claim) -> tuple[int, int] | None:
    """Where the claim's killed phrase stands in its evidence."""
    killed = claim.killed
    if killed is None:
        return None
    text = index.text
    for e in claim.evidence:
        if e.start is not None and e.end is not None:
            at = text.find(killed.phrase, e.start, e.end)
            if at >= 0:
                return at, at + len(killed.phrase)
    return None


def _victims(index: EvidenceIndex, claim: Claim) -> Victims | None:
    at = _killed_at(index, claim)
    return None if at is None else victims_after(index.text, at[1], index.sentence_at(at[0]).end)


def civilian_part(index: EvidenceIndex, claim: Claim) -> Count | None:
    """The civilians among a claim's killed, when the text breaks its total down so; else None.

    A group's civilian parts ("seven civilians and two soldiers"); a breakdown after the total in its
    sentence or the next two ("including five civilians", "eight of them civilians", "(13 civilians)",
    "Among those killed, at least 10 were civilians"). A total that counts civilians already is its own
    civilian part (None)."""
    killed = claim.killed
    at = _killed_at(index, claim)
    if killed is None or killed.low is None or at is None:
        return None
    text = index.text
    start, end = at
    sent = index.sentence_at(start)
    inner = [m for m in index.numbers_in(start, end) if m.kind == "count"]
    if len(inner) >= 2 or (inner and re.search(r"\band\s+(?:a|an|one)\s", text[inner[0].end:end])):
        # a group: "seven civilians and eight soldiers", "eight civilians and a soldier"
        civ = [m for m in inner if _CIVILIAN_NOUN.match(text, m.end, end)]
        if civ and (len(civ) < len(inner) or len(inner) == 1):
            low = sum(m.low or 0 for m in civ)
            return Count(phrase=" and ".join(m.text for m in civ), low=low, high=low)
        return None
    if _CIVILIAN_NOUN.match(text, end, sent.end):
        return None  # the total counts civilians already
    scope = [sent, *index.sentences[sent.index + 1:sent.index + 3]]
    for k, s in enumerate(scope):
        lead = max(s.start, end) if k == 0 else s.start
        for m in index.numbers_in(lead, s.end):
            if m.kind != "count" or m.low is None or m.low >= killed.low:
                continue
            named = _CIVILIAN_NOUN.match(text, m.end, s.end)
            among = k > 0 and _AMONG_DEAD_WERE.search(text, s.start, m.start)
            if named and (_CIVILIAN_BREAKDOWN.fullmatch(text, lead, m.start) or among) \
                    or _OF_THEM_CIVILIANS.match(text, m.end, s.end) \
                    or among and _WERE_CIVILIANS.match(text, m.end, s.end):
                return m.to_count()
    return None


def _later(index: EvidenceIndex, result: ExtractionResult, first: Claim):  # type: ignore[no-untyped-def]
    """The incident claims after ``first`` whose killed figure stands within a few sentences of its own, with the
    sentence and span of that figure."""
    at = _killed_at(index, first)
    last = index.sentence_at(at[0] if at else first.evidence[-1].start or 0).index
    for c in result.claims[result.claims.index(first) + 1:]:
        if c.killed is None or c.killed.best is None or c.kind is not ClaimKind.incident:
            continue
        where = _killed_at(index, c)
        if where is None:
            continue
        sent = index.sentence_at(where[0])
        if sent.index - last > _WINDOW:
            return
        yield c, sent, where


def _is_added(index: EvidenceIndex, sent, where: tuple[int, int]) -> bool:  # type: ignore[no-untyped-def]
    text = index.text
    return bool(_ADDED_BEFORE.search(text, max(sent.start, where[0] - 24), where[0])
                or _ADDED_AFTER.match(text, where[1], sent.end))


_SAME_DEAD = frozenset({"people", "persons", "civilians", "others", "dead", "killed", "deaths", "victims", "bodies",
                        "villagers", "residents", None})


def _noun_after(index: EvidenceIndex, claim: Claim) -> set[str | None]:
    """The first two words after the claim's killed figure (its noun, perhaps after an adjective)."""
    at = _killed_at(index, claim)
    words = re.findall(r"[A-Za-z]+", index.text[at[1]:at[1] + 30])[:2] if at else []
    return {w.lower() for w in words} or {None}


def _restated_higher(index: EvidenceIndex, result: ExtractionResult, first: Claim) -> Claim | None:
    """A later account of the same event with a higher figure: "other reports put the toll at 60"."""
    base = first.killed
    if base is None or base.low is None or base.qualifier is Qualifier.vague:
        return None
    best = first
    at = _killed_at(index, first)
    own = index.sentence_at(at[0]).index if at else -1
    for c, sent, where in _later(index, result, first):
        # a second source in the first figure's own sentence ("police said five, although residents said 12")
        # restates it; so does a later sentence that says it does ("other reports put the toll at 60")
        same = sent.index == own
        if not same and (_SEPARATE.match(sent.text) or not _RESTATED.search(sent.text)) \
                or _is_added(index, sent, where):
            continue
        if _victims(index, first) is Victims.civilians and not _noun_after(index, c) & _SAME_DEAD:
            continue  # "six civilians ... However, the ministry claimed seven Taliban": other dead, not a new toll
        if (c.killed.best or 0) > (best.killed.best or 0):  # type: ignore[union-attr]
            best = c
    return None if best is first else best


def _added(index: EvidenceIndex, result: ExtractionResult, first: Claim) -> list[Claim]:
    """Later accounts of more dead in the same event ("four more people died", "another 12 bodies were found"),
    when they do not fit inside the first figure (then they are its parts)."""
    base = first.killed
    if base is None or base.low is None or base.qualifier is Qualifier.vague:
        return []
    later, added, more = [], [], False
    for c, sent, where in _later(index, result, first):
        later.append(c)
        if _is_added(index, sent, where):
            added.append(c)
            more = more or bool(_MORE_AFTER.match(index.text, where[1], sent.end))
    if added and (more or sum(c.killed.low or 0 for c in later) > base.low):
        return added
    return []


def primary_counts(result: ExtractionResult, index: EvidenceIndex | None = None, *, refine_vague: bool = True,
                   civilians: bool = False, restated: bool = False,
                   add: bool = False) -> tuple[Count | None, Count | None]:
    """The first incident's killed and injured counts (how a one-event description is scored).

    With ``refine_vague``, a vague first figure ("Several") gives way to the next incident's stated
    figure when that is at least as large (its injured count too, when the first has none). With the
    ``index``, the WAD readings of the module docstring: ``civilians``, ``restated``, ``add``.
    """
    killed, injured, claim = _first(result, refine_vague)
    if index is None or claim is None or killed is None:
        return killed, injured
    if add:
        extra = _added(index, result, claim)
        if extra:
            low = (killed.low or 0) + sum(c.killed.low or 0 for c in extra if c.killed)
            return Count(phrase=killed.phrase, low=low, high=low), injured
    if restated:
        higher = _restated_higher(index, result, claim)
        if higher is not None and higher.killed is not None:
            killed, claim = higher.killed, higher
    if civilians:
        part = civilian_part(index, claim)
        if part is not None:
            return part, injured
        if _victims(index, claim) is Victims.combatants:
            # "102 militants were killed ... eight civilians were killed": the civilians' claim is the atrocity
            later = next((c for c in result.claims[result.claims.index(claim) + 1:]
                          if c.kind is ClaimKind.incident and c.killed is not None
                          and _victims(index, c) is Victims.civilians), None)
            if later is not None:
                return later.killed, later.injured or injured
    return killed, injured


def _first(result: ExtractionResult, refine_vague: bool) -> tuple[Count | None, Count | None, Claim | None]:
    incidents = [c for c in result.claims if c.kind is ClaimKind.incident and (c.killed or c.injured)]
    if incidents:
        first = incidents[0]
        if refine_vague and first.killed is not None and first.killed.qualifier is Qualifier.vague:
            # "Several civilians were killed ... the strike killed at least 11 civilians": the figure refines the
            # vague word when the next incident claim states one at least as large
            nxt = next((c for c in incidents[1:] if c.killed is not None), None)
            if nxt is not None and nxt.killed is not None and nxt.killed.qualifier is not Qualifier.vague \
                    and (nxt.killed.low or 0) >= (first.killed.low or 0):
                return nxt.killed, first.injured or nxt.injured, nxt
        return first.killed, first.injured, first
    for claim in result.claims:
        if claim.killed or claim.injured:
            return claim.killed, claim.injured, claim
    return None, None, None
