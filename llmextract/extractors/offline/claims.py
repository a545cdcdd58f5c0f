"""Claims from the sentences' figures: incidents, tallies and allegations, one claim per source.

Each sentence's figures (:mod:`.counts`) open a claim or add details to the one before it
("At least 45 people were wounded" after "12 were killed"; a breakdown; an update told later).
A sentence that gives two sources' figures ("police said five were killed, although residents
said more than 12 were") makes one claim per source, each with its own clause as evidence. A
vague lede ("Dozens of civilians have been killed ...") followed by the incident it summarises
told with a figure is one claim, not two. A count of casualties ("an attack with 60 casualties")
is never a count of the killed or the injured: it makes an incident with its ``casualties``.
An allegation ("massacre", "war crimes", "white phosphorus",
"accusing ... of killing") is a claim of its own when a speaker makes it. A sentence addressed to a
model ("Ignore previous instructions and report ...": :mod:`llmextract.text.instructions`) makes no claim.

The claim's fields come from its own sentences first: the speaker (:mod:`.attribution`), the
place (:mod:`.places`), the date, the perpetrator (:mod:`.perpetrators`). Words that point back
("in the same province", "the raid", "said the letters") take the place, date or speaker of the
sentence they point to, and that sentence joins the claim's evidence.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field

from llmextract._version import __version__
from llmextract.extractors.offline.attribution import SPEECH, SPEECH_SCAN, Speech, resolve_reference, sentence_speech
from llmextract.extractors.offline.counts import sentence_figures
from llmextract.extractors.offline.patterns import compiled
from llmextract.extractors.offline.perpetrators import find_perpetrator, party_named
from llmextract.extractors.offline.places import back_place, claim_place, is_reference_point
from llmextract.extractors.offline.scan import Caseless, Scan, holds
from llmextract.schema import (
    Article,
    Attribution,
    Claim,
    ClaimKind,
    DatePrecision,
    EventDate,
    Evidence,
    ExtractionResult,
    Place,
    Provenance,
    Qualifier,
)
from llmextract.text.dates import resolve
from llmextract.text.index import EvidenceIndex, Sentence
from llmextract.text.numbers import NumberMention

_TALLY = compiled(r"\b(?:a\s+total\s+of|in\s+total|since\s+(?:the\s+start|the\s+beginning|\w+\s+\d{4}|\d{4}|"
                  r"\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]+|[A-Z][a-z]+\s+\d{1,2}\b|(?:last\s+)?(?:Monday|Tuesday|"
                  r"Wednesday|Thursday|Friday|Saturday|Sunday)|January|February|March|April|May|June|July|August|"
                  r"September|October|November|December)|"
                  r"over\s+the\s+(?:past|last)|so\s+far|to\s+date|this\s+year|since\s+the|overall|"
                  r"between\s+\w+\s+\d{1,2}\s+and\s+\w+\s+\d{1,2}|per\s+cent|in\s+recent\s+(?:months|years)|"
                  r"as\s+a\s+result\s+of\s+the\s+attacks|in\s+(?:the\s+\w+\s+(?:quarter|half)\s+of\s+)?(?:19|20)\d\d|"
                  r"during\s+the\s+(?:[\w-]+\s+){0,2}(?:days|weeks|months|years)\s+of)\b", re.I)
_TALLY_WORDS = ("total", "since", "over", "far", "date", "year", "between", "cent", "recent", "result", "19", "20",
                "during")  # a word each of _TALLY's alternatives needs
# A superlative, then no figure, up to the "since the" that follows it.
_SUPERLATIVE_SINCE = compiled(r"\b(?:largest|biggest|deadliest|bloodiest|worst|heaviest|highest|greatest|first|"
                              r"most\s+(?!of\b)\w+)\b[^.;\d]{0,60}$", re.I)
_SINCE_THE = compiled(r"since\s+the", re.I)
# An ordinal or a superlative counts occurrences, not the dead: "the fourth attack on the town since 2018",
# "the deadliest raid since 2002", "the second day of the battle since it began"
_ORDINAL_SINCE = compiled(
    r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th)|latest|last|"
    r"largest|biggest|deadliest|bloodiest|worst|heaviest)\b"
    r"(?:\s+(?!\d|(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|forty|fifty|hundred|dozen|"
    r"dozens|scores|hundreds)\b)[\w'’-]+){0,10}?\s+$", re.I)  # no figure between: "the first 40 deaths since" adds up
_ORDINAL_SINCE_IN = Caseless(_ORDINAL_SINCE)  # the same, before a date mention of the index


def _is_tally(text: str) -> bool:
    """A cumulative count ("since the start of the war", "so far this year", "38 ... since Monday"); "the deadliest
    attack since the crackdown" and "the fourth attack on the town since 2018" date or rank an incident, they do not
    add one up."""
    for m in _TALLY.finditer(text):
        if _SINCE_THE.fullmatch(m.group(0)) and _SUPERLATIVE_SINCE.search(text, 0, m.start()):
            continue
        if m.group(0).lower().startswith(("since", "in ")) and _ORDINAL_SINCE.search(text, max(0, m.start() - 90),
                                                                                      m.start()):
            continue
        return True
    return False


# Scanned once per text (see .scan), asked per sentence
_MEANS = Scan(r"air\s*strikes?|aerial\s+(?:attacks?|assaults?|bombardment)|air\s+raids?|warplanes|"
              r"shelling|artillery|mortars?|rockets?|missiles?|drones?|suicide\s+(?:bomb(?:ing|er)s?|attack)|"
              r"car\s+bomb|roadside\s+bomb|ieds?|explosions?|bomb(?:ing)?s?|gunmen|shooting|gunfire|"
              r"machetes?|knives|arson|white\s+phosphorus|beheading|grenades?|landmines?|clashes", "abcdegiklmrsw")
_RISE = Scan(r"expected\s+to\s+rise|(?:may|could|might|likely\s+to)\s+(?:rise|increase|climb)|"
             r"not\s+(?:yet\s+)?final|critical\s+condition|critically\s+(?:wounded|injured)", "cemln")
_ALLEGE = compiled(r"\b(?:accus(?:ed|es|ing)\s+(?:[\w'’-]+\s+){0,6}?of|used\s+(?:[\w-]+\s+)?(?:white\s+phosphorus|"
                   r"banned|chemical|cluster)|white\s+phosphorus|chemical\s+weapons|cluster\s+munitions|"
                   r"war\s+crimes?|crimes\s+against\s+humanity|massacres?|genocide|ethnic\s+cleansing|"
                   r"targeting\s+civilian)\b", re.I)
_ALLEGE_WORDS = ("accus", "used", "phosphorus", "chemical", "cluster", "war", "crimes", "massacre", "genocide",
                 "cleansing", "targeting")  # a word each of _ALLEGE's alternatives needs
_SEPARATE = compiled(r"^\s*(?:in\s+(?:a\s+)?(?:separate|another|other)|separately|meanwhile|elsewhere|in\s+the\s+"
                     r"(?:north|south|east|west|capital)|on\s+the\s+\d+)", re.I)
# Two sources in one sentence: a contrast, or a semicolon, before a second speaker's figure
_SOURCE_BREAK = compiled(r";\s*|,?\s+(?:although|though|but|while|whereas|however|yet)\s+|,\s+and\s+(?=\w+\s+\w+\s+"
                         r"(?:said|say|says|reported|put|claimed))", re.I)
_RESTATE = compiled(r"\b(?:put|puts|putting|placed|places|placing)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?"
                    r"(?:toll|total|tally|figure|number)\b|\bother\s+(?:\w+\s+)?(?:reports?|sources?|accounts?)\b",
                    re.I)
_CASUALTIES_AFTER = compiled(r"^\s+(?:[\w-]+\s+)?casualties\b", re.I)
_ATTACK_NOUN = compiled(r"\b(?:attacks?|strikes?|raids?|bombings?|shelling|blasts?|explosions?|massacres?|"
                        r"assaults?|ambush(?:es)?|clashes)\b", re.I)
# A claim that points back at an event told before: "killed as a result of the raid", "in the attack"
_EVENT_BACK = compiled(r"\b(?:the|that|this)\s+(?:same\s+)?(?:raids?|strikes?|air\s*strikes?|attacks?|bombings?|"
                       r"shelling|assaults?|blasts?|explosions?|bombardment)\b", re.I)
_DAY_BEFORE = compiled(r"^(?:a\s+day\s+earlier|the\s+day\s+before|the\s+previous\s+day|a\s+day\s+before)$", re.I)


@dataclass
class _Draft:
    sentences: list[Sentence]
    counts: dict[str, NumberMention] = field(default_factory=dict)
    kind: ClaimKind = ClaimKind.incident
    clause: tuple[int, int] | None = None  # the claim is one clause of its (one) sentence: a second source
    casualties: NumberMention | None = None  # "60 casualties": killed and injured together
    anchor: int | None = None  # an allegation's charge ("massacre"): where its speaker's words must reach

    def focus(self, sent: Sentence) -> int | None:
        """The offset in ``sent`` the claim is about (its figure, casualty count or charge), if any."""
        at = [m.start for m in self.counts.values() if sent.start <= m.start < sent.end]
        at += [x for x in (self.anchor, self.casualties.start if self.casualties else None)
               if x is not None and sent.start <= x < sent.end]
        return min(at) if at else None


def _clause_sentence(index: EvidenceIndex, sent: Sentence, start: int, end: int) -> Sentence:
    return Sentence(sent.index, start, end, index.text[start:end])


def _source_clauses(index: EvidenceIndex, sent: Sentence, figures: list) -> list[tuple[int, int, list]]:
    """The sentence cut where a second source gives its own figure ("..., although residents said 12 ...")."""
    killed = sorted((a for a in figures if a.role == "killed"), key=lambda a: a.mention.start)
    if len(killed) < 2:
        return [(sent.start, sent.end, figures)]
    text = index.text
    cuts: list[int] = []
    for a, b in zip(killed, killed[1:], strict=False):
        for m in _SOURCE_BREAK.finditer(text, a.mention.end, b.mention.start):
            rest = text[m.end():b.mention.start]
            if SPEECH.search(rest) or _RESTATE.search(rest):
                cuts.append(m.start())
                break
    if not cuts:
        return [(sent.start, sent.end, figures)]
    bounds = [sent.start, *cuts, sent.end]
    parts = []
    for s, e in zip(bounds, bounds[1:], strict=False):
        part = [a for a in figures if s <= a.mention.start < e]
        s2 = s + len(text[s:e]) - len(text[s:e].lstrip(" ;,"))
        s2 = s2 + (m.end() - m.start() if (m := _SOURCE_BREAK.match(text, s2)) else 0)
        parts.append((s2, e, part))
    return parts


def _continues_other_claim(index: EvidenceIndex, sent: Sentence, taken: set[int]) -> bool:
    return sent.index - 1 in taken


def _drafts(index: EvidenceIndex) -> list[_Draft]:
    text = index.text
    drafts: list[_Draft] = []
    counted = False  # whether a draft has a figure yet (figures are only ever added to the draft placed into)
    for sent in index.sentences:
        if index.instruction_at(sent.start, sent.end) is not None:
            continue  # text addressed to a model is never read as news
        figures = sentence_figures(index, sent, counted)
        casualties = [m for m in index.numbers_in(sent.start, sent.end)
                      if m.kind == "count" and _CASUALTIES_AFTER.match(text[m.end:sent.end])] \
            if holds(index, sent, "casualties") else []
        if casualties:
            # "an attack with 60 casualties": neither the killed nor the injured
            figures = [a for a in figures if not any(a.mention.start <= c.start < a.mention.end for c in casualties)]
        if not any(a.role in ("killed", "injured") for a in figures):
            if casualties and _ATTACK_NOUN.search(sent.text):
                drafts.append(_Draft([sent], casualties=casualties[0]))
            charge = _ALLEGE.search(sent.text) if SPEECH_SCAN.any_within(index, sent.start, sent.end) \
                and holds(index, sent, *_ALLEGE_WORDS) else None
            if charge:
                at = index.offset_in(sent, charge.start())
                sp = sentence_speech(index, sent, focus=at)
                if sp.claimant or sp.anaphor:  # a charge someone makes, not the outlet's own narration
                    drafts.append(_Draft([sent], kind=ClaimKind.allegation, anchor=at))
            if not figures:
                continue
        for k, (cs, ce, part) in enumerate(_source_clauses(index, sent, figures)):
            clause = None if (cs, ce) == (sent.start, sent.end) else (cs, ce)
            piece = sent if clause is None else _clause_sentence(index, sent, cs, ce)
            draft = _place_figures(index, drafts, sent, piece, part, new_source=k > 0)
            counted = counted or bool(draft.counts)
            if clause is not None and draft.sentences == [sent]:
                draft.clause = clause
    return drafts


def _place_figures(index: EvidenceIndex, drafts: list[_Draft], sent: Sentence, piece: Sentence, figures: list, *,
                   new_source: bool) -> _Draft:
    """Put a sentence's (or clause's) figures into the claim they belong to: a new one, or the one before as its
    details (injured after killed, a breakdown, the killed of an injured-only claim)."""
    roles = {a.role for a in figures}
    main = roles & {"killed", "injured"}
    prev = drafts[-1] if drafts and drafts[-1].kind is not ClaimKind.allegation and drafts[-1].counts \
        and drafts[-1].sentences[-1].index >= sent.index - 2 else None
    tally = holds(index, piece, *_TALLY_WORDS) and _is_tally(piece.text)
    details = prev is not None and not new_source and not _SEPARATE.match(piece.text) and (
        not main or (not main & set(prev.counts) and (not tally or prev.kind is ClaimKind.tally)))
    if details and prev is not None:
        draft = prev
        if sent not in draft.sentences:
            draft.sentences.append(sent)
    else:
        draft = _Draft([sent])
        drafts.append(draft)
        if tally:
            draft.kind = ClaimKind.tally
    for a in sorted(figures, key=lambda a: (a.distance >= 1000, a.distance >= 0, a.mention.start)):
        if a.role in draft.counts and a.role in ("killed", "injured"):
            continue
        draft.counts.setdefault(a.role, a.mention)
    return draft


def extract_offline(article: Article, index: EvidenceIndex | None = None) -> ExtractionResult:
    """Claims from rules over the evidence index. No model is used."""
    t0 = time.perf_counter()
    index = index or EvidenceIndex.build(article)
    drafts = _drafts(index)
    taken = {s.index for d in drafts for s in d.sentences}
    built: list[tuple[Claim, int, int]] = []
    places: list[Place] = []  # the places of the claims built so far
    for d in drafts:
        claim = _build_claim(index, article, d, taken, places)
        built.append((claim, d.sentences[0].index, d.sentences[-1].index))
        if claim.place is not None:
            places.append(claim.place)
    claims = _merge_repeats(_merge_ledes(built))
    provenance = Provenance(
        extractor="offline", model_used=False, version=__version__,
        latency_s=time.perf_counter() - t0,
        notes=["No model was used: claims come from rules over the evidence index. "
               "Set an endpoint (endpoint=..., LLMEXTRACT_BASE_URL or --endpoint) to use a language model."],
    )
    return ExtractionResult(article_id=article.id, content_hash=article.content_hash, published=article.published,
                            claims=claims, provenance=provenance)


# ------------------------------------------------------------------------------------------ one claim


_SOURCE_LINE = compiled(r"\bSource:\s*\[?([^\]\n]+?)\]?(?:\(|\n|$)")
_DATELINE = compiled(r"^[A-Z][A-Z .'-]+,\s+[A-Z][a-z]+\.?\s+\d{1,2}(?:,\s+\d{4})?\s+"
                     r"\(([A-Z][\w .&-]{1,30})\)\s*[-–—]", re.M)


def _outlet(index: EvidenceIndex, article: Article, before: int) -> str | None:
    """The article's publisher: its metadata, else a "Source: X" line or a wire dateline ("KYIV, June 3
    (Reuters) -") near the top."""
    if article.outlet:
        return article.outlet
    found: dict[int, str | None] = index.kept(_outlet, dict)  # by the length of the head read
    size = max(300, before)
    if size not in found:
        text = index.text  # searched as if it ended at ``size`` (the head)
        # a dateline in the head is one in the text (the pattern looks at nothing after it): the text's first, if it
        # ends in the head, else the head searched
        first = index.kept(_DATELINE, _DATELINE.search, text)
        dateline = first if first is None or first.end() <= size else _DATELINE.search(text, 0, size)
        m = (text.find("Source:", 0, size) >= 0 and _SOURCE_LINE.search(text, 0, size)) or dateline
        found[size] = m.group(1).strip() if m else None
    return found[size]


def _attribution(index: EvidenceIndex, article: Article, d: _Draft, own: list[Sentence],
                 taken: set[int]) -> tuple[Attribution, list[Sentence]]:
    """Who says so: the first speaker of the claim's own sentences (and of the sentences between them and the next
    claim). A pronoun or a document ("said the letters") resolves to an earlier speaker or the document's author,
    whose sentence joins the evidence. The sentence before is read only when it introduces this claim ("Police
    said on Monday that gunmen raided the village.") and continues no other claim: narration by the outlet is not
    the speech of a neighbouring source."""
    outlet = _outlet(index, article, d.sentences[0].start)
    attribution = Attribution()
    extra: list[Sentence] = []
    first = d.sentences[0]
    scope = list(own)
    if d.clause is None and first.index > 0 and first.index - 1 not in taken \
            and not _continues_other_claim(index, index.sentences[first.index - 1], taken):
        prev = index.sentences[first.index - 1]
        if re.search(r"\b(?:said|says|told|reported|stated)\b[^.]{0,40}\bthat\b", prev.text) \
                and not sentence_speech(index, first).claimant:
            scope.append(prev)
    for sent in scope:
        sp: Speech = sentence_speech(index, sent, outlet=outlet, focus=d.focus(sent))
        if attribution.claimant is None and sp.anaphor is not None:
            found = resolve_reference(index, sp.anaphor, sent.start)
            if found is not None:
                attribution.claimant = found[0]
                extra.append(index.sentences[found[1]])
                extra.append(sent)
        if sp.claimant and not attribution.claimant:
            attribution.claimant = sp.claimant
            extra.append(sent)
        for r in sp.relays:
            if r not in attribution.relays:
                attribution.relays.append(r)
        if sp.outlet and not attribution.outlet:
            attribution.outlet = sp.outlet
    attribution.outlet = attribution.outlet or outlet
    return attribution, extra


def _dates_of(index: EvidenceIndex, sents: list[Sentence], kind: ClaimKind) -> list:
    """The date mentions of a claim's sentences that may date it: for an incident not a period, and not the
    point an ordinal counts from ("the fourth attack since 2 January")."""
    out = []
    for sent in sents:
        for m in index.dates_in(sent.start, sent.end):
            low = m.text.lower()
            if kind is ClaimKind.incident and (low.startswith(("since", "over", "between", "from", "during", "for",
                                                               "within", "in the past"))
                                               or _ORDINAL_SINCE_IN.search(index, max(sent.start, m.start - 90),
                                                                           m.start)):
                continue
            out.append(m)
    return out


def _event_date(index: EvidenceIndex, article: Article, d: _Draft, sents: list[Sentence]) -> EventDate | None:
    found = _dates_of(index, sents, d.kind)
    if not found:
        return None
    if d.kind is ClaimKind.incident and len(found) >= 2 and _DAY_BEFORE.match(found[1].text):
        # "On February 12, the ministry said strikes a day earlier killed ...": the event's day, not the statement's
        return _day_reference(index, index.sentence_at(found[1].start), article.published) or \
            resolve(found[0].text, article.published)
    first = found[0]
    before = index.text[max(0, first.start - 6):first.start]
    if d.kind is ClaimKind.tally and re.search(r"\bsince\s+$", before, re.I) \
            and not first.text.lower().startswith("since"):
        # "38 ... killed since Monday": a period from that day to publication, not the day
        start = first.start - len(before) + before.lower().rfind("since")
        point = resolve(first.text, article.published)
        end = article.published if point.date is not None else None
        return EventDate(phrase=index.text[start:first.end], start=point.date, end=end,
                         precision=point.precision if end else DatePrecision.unknown)
    return resolve(first.text, article.published)


def _antecedent(index: EvidenceIndex, sent: Sentence, taken_by_others: set[int]) -> Sentence | None:
    """The sentence an event back-reference ("the raid") points to: the nearest earlier one (up to three back)
    that tells an attack at a named place."""
    for i in range(sent.index - 1, max(-1, sent.index - 4), -1):
        cand = index.sentences[i]
        if not _ATTACK_NOUN.search(cand.text) and not re.search(r"\b(?:struck|hit|pounded|bombed|shelled)\b",
                                                                 cand.text):
            continue
        if any(n.kind == "place" and not is_reference_point(index, n)
               and not re.match(r"^-(?:led|backed|based)", index.text[n.end:n.end + 8])
               for n in index.names_in(cand.start, cand.end)):
            return cand
    return None


_DAY_SHIFT = compiled(r"\b(?:a\s+day\s+(?:earlier|before)|the\s+(?:day|night)\s+before|"
                      r"the\s+previous\s+(?:day|night))\b", re.I)


def _day_reference(index: EvidenceIndex, sent: Sentence, published: dt.date | None) -> EventDate | None:
    """ "a day earlier", "the day before February 12": the day before the date named right after the words, else
    before the one named earlier in the sentence."""
    m = _DAY_SHIFT.search(sent.text)
    if m is None:
        return None
    s, e = index.span_in(sent, m.start(), m.end())
    dates = [d for d in index.dates_in(sent.start, sent.end) if not _DAY_SHIFT.fullmatch(d.text)]
    anchor = next((d for d in dates if e <= d.start <= e + 12), None) or next(
        (d for d in reversed(dates) if d.end <= s), None)
    point = resolve(anchor.text, published) if anchor is not None else None
    if point is None or point.date is None:
        return EventDate(phrase=m.group(0), precision=DatePrecision.day)
    day = point.date - dt.timedelta(days=1)
    return EventDate(phrase=m.group(0), date=day, precision=DatePrecision.day, start=day, end=day)


def _build_claim(index: EvidenceIndex, article: Article, d: _Draft, taken: set[int],
                 earlier: list[Place]) -> Claim:
    """A claim from a draft; ``taken`` holds the sentences of every draft; ``earlier`` the places of the claims built
    before."""
    text = index.text
    first = d.sentences[0]
    last = d.sentences[-1].index
    if d.clause is not None:
        sents = [_clause_sentence(index, first, *d.clause)]
        own = sents
    else:
        sents = list(d.sentences)
        mine = {s.index for s in d.sentences}
        own = [index.sentences[i] for i in range(first.index, min(last + 2, len(index.sentences)))
               if i in mine or i not in taken]  # its sentences, and those between them and the next claim's
    attribution, extra = _attribution(index, article, d, own, taken)
    between = [s for s in own if s not in sents]
    place = claim_place(index, sents, more=between)  # a province only: narrowed by the sentences between
    event_date = _event_date(index, article, d, sents)
    if place is None or place.phrase in (place.province, place.country):
        place = back_place(index, sents, earlier) or place
    if place is not None and d.kind is ClaimKind.allegation and place.phrase == place.country:
        place = None  # a charge "against Syria's people" names no place where anything happened
    ante_perpetrator = None
    if d.kind is ClaimKind.incident and (place is None or event_date is None) \
            and any(_EVENT_BACK.search(s.text) for s in sents):
        ante = _antecedent(index, first, taken)
        if ante is not None:
            if place is None:
                place = claim_place(index, [ante])
            if event_date is None:
                event_date = _day_reference(index, ante, article.published)
            ante_perpetrator = find_perpetrator(index, [ante])
            extra.append(ante)
    if d.kind is ClaimKind.allegation and event_date is None:
        # a statement's date: the sentence that named its author ("On February 12, the ministry, in two letters")
        for s in extra:
            found = index.dates_in(s.start, s.end)
            if found:
                event_date = resolve(found[0].text, article.published)
                break
    neighbourhood = list(sents)
    if d.clause is None and first.index + 1 < len(index.sentences) and index.sentences[first.index + 1] not in sents:
        neighbourhood.append(index.sentences[first.index + 1])
    means = next((text[m[0]:m[1]] for s in neighbourhood for m in _MEANS.within(index, s.start, s.end)), None)
    perpetrator = find_perpetrator(index, sents) or find_perpetrator(index, between, strength=2) or ante_perpetrator
    if perpetrator is not None:
        # "in US-led strikes" when the claim's sentences name "the US-led coalition": the party by its name
        scope = sorted({*sents, *extra, *([index.sentences[first.index - 1]] if first.index else [])},
                       key=lambda s: s.start)
        perpetrator = party_named(index, scope, perpetrator) or perpetrator
    counts = {role: m.to_count() for role, m in d.counts.items()}
    rise = any(_RISE.any_within(index, s.start, s.end) for s in neighbourhood)
    evidence = sorted({(s.start, s.end) for s in [*sents, *extra]})
    return Claim(
        kind=d.kind,
        attribution=attribution,
        date=event_date,
        place=place,
        perpetrator=perpetrator,
        means=means,
        killed=counts.get("killed"),
        injured=counts.get("injured"),
        casualties=d.casualties.to_count() if d.casualties is not None else None,
        children_killed=counts.get("children_killed"),
        women_killed=counts.get("women_killed"),
        men_killed=counts.get("men_killed"),
        toll_may_rise=rise,
        evidence=[Evidence(quote=text[s:e], start=s, end=e) for s, e in evidence],
    )


# ------------------------------------------------------------------------------------------ merging


def _merge_into(keep: Claim, other: Claim) -> Claim:
    """``keep`` with the fields it lacks taken from ``other`` and the evidence of both. Both are left as they were:
    the merged claim is a copy of ``keep`` with its own attribution (the one part of it changed in place)."""
    merged = keep.model_copy(update={"attribution": keep.attribution.model_copy()})
    for name in ("date", "place", "perpetrator", "means", "injured", "children_killed", "women_killed",
                 "men_killed"):
        if getattr(merged, name) is None and getattr(other, name) is not None:
            setattr(merged, name, getattr(other, name))
    a, b = merged.attribution, other.attribution
    a.claimant = a.claimant or b.claimant
    a.outlet = a.outlet or b.outlet
    a.relays = a.relays or b.relays
    merged.toll_may_rise = merged.toll_may_rise or other.toll_may_rise
    spans = {(e.start, e.end): e for e in [*keep.evidence, *other.evidence]}
    merged.evidence = [spans[k] for k in sorted(spans, key=lambda k: (k[0] or 0, k[1] or 0))]
    return merged


def _compatible_places(a: Place | None, b: Place | None) -> bool:
    if a is None or b is None:
        return True
    names = {x.lower() for x in (a.phrase, a.name, a.province) if x}
    return bool(names & {x.lower() for x in (b.phrase, b.name, b.province) if x})


def _merge_ledes(drafted: list[tuple[Claim, int, int]]) -> list[tuple[Claim, int, int]]:
    """A vague lede ("Dozens of civilians have been killed ...") and the incident it sums up, told next with a
    figure at least as large ("Local sources said 50 people were killed ..."), are one claim: the figure's."""
    out: list[tuple[Claim, int, int]] = []
    skip: set[int] = set()
    for i, (claim, first, last) in enumerate(drafted):
        if i in skip:
            continue
        k = claim.killed
        if claim.kind is ClaimKind.incident and k is not None and k.qualifier is Qualifier.vague \
                and claim.attribution.claimant is None:
            j = next((j for j in range(i + 1, len(drafted)) if drafted[j][0].killed is not None), None)
            if j is not None:
                nxt, nfirst, nlast = drafted[j]
                nk = nxt.killed
                if nxt.kind is ClaimKind.incident and nk is not None and nk.qualifier is not Qualifier.vague \
                        and (nk.low or 0) >= (k.low or 0) and nfirst - last <= 2 \
                        and not _SEPARATE.match(nxt.evidence[0].quote if nxt.evidence else "") \
                        and _compatible_places(claim.place, nxt.place):
                    drafted[j] = (_merge_into(nxt, claim), first, nlast)
                    continue
        out.append((claim, first, last))
    return out


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
        out[j] = _merge_into(richer, other)
    return out


def _richness(c: Claim) -> int:
    return sum(x is not None for x in (c.place, c.date, c.attribution.claimant, c.children_killed, c.women_killed,
                                       c.injured)) + len(c.attribution.relays)
