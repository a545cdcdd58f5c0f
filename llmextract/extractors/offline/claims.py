"""Claims from a sentence's figures: drafts of incidents, tallies and allegations, and the claim of each."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from llmextract._version import __version__
from llmextract.extractors.offline.attribution import SPEECH, sentence_attribution
from llmextract.extractors.offline.counts import Attach, attach_counts, singular_victim, subject_count, with_companions
from llmextract.extractors.offline.places import claim_place
from llmextract.schema import (
    Article,
    Attribution,
    Claim,
    ClaimKind,
    Evidence,
    ExtractionResult,
    Provenance,
)
from llmextract.text.dates import resolve
from llmextract.text.index import EvidenceIndex, Sentence
from llmextract.text.numbers import NumberMention

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
class _Draft:
    sentences: list[Sentence]
    counts: dict[str, NumberMention] = field(default_factory=dict)
    kind: ClaimKind = ClaimKind.incident



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
        attaches = attach_counts(index, sent)
        group = with_companions(index, sent)
        if group is not None:
            # "killing a tribal elder and five other people": the one and the five, not the five alone
            attaches = [a for a in attaches if a.role != "killed" or not group.start <= a.mention.start < group.end]
            if not any(a.role == "killed" for a in attaches):
                attaches.insert(0, Attach(group, "killed", 0))
        if not any(a.role == "killed" for a in attaches):
            subject = subject_count(index, sent)
            if subject is not None:
                attaches.insert(0, Attach(subject, "killed", 0))
        if not any(a.role == "killed" for a in attaches) and not any(d.counts for d in drafts):
            # "A tribal leader was killed and two others injured": the injured count is not the only one
            single = singular_victim(index, sent)
            if single is not None:
                attaches.insert(0, Attach(single, "killed", 0))
        if not attaches:
            if _ALLEGE.search(sent.text) and SPEECH.search(sent.text):
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
        a = sentence_attribution(index, sent)
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
        place=claim_place(index, d.sentences),
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

