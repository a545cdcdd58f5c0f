"""What a model's reply becomes, given the article's evidence index: the request's facts, then the result.

These are the LLM extractor's steps that need the index and no client: :func:`facts` (what a
request needs of the index: the prompt's hints, the grounded schema) and :func:`result` (a
fitting reply's claims with their phrases turned into values, evidence offsets and count bounds,
under a provenance made where the requests were). They live apart from
:mod:`llmextract.extractors.llm` so that a process that keeps indexes for a batch
(:mod:`llmextract.batch.workers`) runs them without loading openai or instructor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llmextract.extractors.grounded import from_grounded, grounded_schema
from llmextract.schema import COUNT_FIELDS, Article, Claim, ClaimList, Count, ExtractionResult, Provenance
from llmextract.text.index import EvidenceIndex
from llmextract.text.numbers import parse_count

__all__ = ["Facts", "facts", "postprocess", "result"]


@dataclass(frozen=True)
class Facts:
    """What a request needs of the article's evidence index: the prompt's hints, and the grounded schema
    (None unless one is sent). Small and picklable, so the index can stay where it was built."""

    hints: list[str]
    grounded: dict[str, Any] | None = None


def facts(index: EvidenceIndex, grounded: bool) -> Facts:
    """What a request for the article needs of its index; ``grounded``: the request sends a grounded schema."""
    return Facts(index.hints(), grounded_schema(index) if grounded else None)


def result(article: Article, index: EvidenceIndex, parsed: ClaimList, provenance: Provenance, *,
           grounded: bool) -> ExtractionResult:
    """The result of the reply that fitted: a grounded schema's chosen phrases turned into values, evidence
    offsets and count bounds filled (:func:`postprocess`, its notes added to ``provenance``)."""
    if grounded:
        parsed = from_grounded(parsed, index)
    claims = list(parsed.claims)
    postprocess(claims, index, provenance.notes)
    return ExtractionResult(article_id=article.id, content_hash=article.content_hash,
                            published=article.published, claims=claims, provenance=provenance)


def postprocess(claims: list[Claim], index: EvidenceIndex, notes: list[str] | None = None) -> list[Claim]:
    """Fill evidence offsets where a quote occurs verbatim; derive a count's bounds from its phrase.

    A quote found nowhere keeps start/end None (the grounding layer judges it). A count with a
    phrase and neither bound gets low/high/qualifier from :func:`llmextract.text.numbers.parse_count`.
    """
    notes = notes if notes is not None else []
    for i, claim in enumerate(claims):
        for evidence in claim.evidence:
            quote = evidence.quote
            if (evidence.start is not None and evidence.end is not None
                    and index.text[evidence.start:evidence.end] == quote and quote):
                continue
            found = index.find(quote)
            evidence.start, evidence.end = found if found is not None else (None, None)
        for name in COUNT_FIELDS:
            count: Count | None = getattr(claim, name)
            if count is None or not count.phrase.strip() or count.low is not None or count.high is not None:
                continue
            derived = parse_count(count.phrase)
            if derived is not None:
                setattr(claim, name, Count(phrase=count.phrase, low=derived.low, high=derived.high,
                                           qualifier=derived.qualifier))
                notes.append(f"claims[{i}].{name}: low/high derived from the phrase {count.phrase!r}")
    return claims
