"""How a one-event description is scored: the figure a benchmark compares (WAD's deaths and injured)."""

from __future__ import annotations

from llmextract.schema import ClaimKind, Count, ExtractionResult, Qualifier


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
