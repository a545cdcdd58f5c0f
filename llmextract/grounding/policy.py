"""What a run does with the findings: the policies (strict, flag, off) and the re-ask validator.

* ``off``: the result as the extractor made it.
* ``flag``: every finding attached to the result.
* ``strict``: as ``flag``, then every claim whose killed, injured, place or claimant still has a
  failure (:mod:`llmextract.grounding.report`: ``misattached``, ``unsupported``, ``derived``...),
  or that has any value ``unanchored`` or ``suspicious_source`` (nothing ties it to the text, or
  it comes from text addressed to a model), moves to ``dropped``, with a note saying why.
  ``unchecked`` values never drop a claim.

:func:`claims_validator` gives the LLM extractor the same findings as messages, so a model is
re-asked about exactly the values that failed before anything is dropped: each message says
which claim or role a misattached value belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from llmextract.choices import POLICIES
from llmextract.errors import ConfigError
from llmextract.grounding.report import GroundingReport, show_value
from llmextract.grounding.walk import ground
from llmextract.schema import ClaimList, ExtractionResult, Finding, Verdict
from llmextract.text.index import EvidenceIndex

_STRICT_FIELDS = ("killed", "injured", "place", "attribution.claimant")
_DROP_ANYWHERE = (Verdict.unanchored, Verdict.suspicious_source)
_CLAIM_PATH = re.compile(r"^claims\[(\d+)\]")


def claims_validator() -> Callable[[ClaimList, EvidenceIndex], list[str]]:
    """A validator for ``LLMExtractor(validator=...)``: the problems of a ClaimList, one message each.

    It is handed the article's evidence index (the pipeline's; never built again). Every failure
    (unsupported, misattached, derived, unanchored, suspicious_source) becomes a message naming the
    path, the value, what the text says near it and which claim or role the value belongs to, so a
    re-ask can fix exactly that; unchecked values are not sent.
    """

    def validate(claims: ClaimList, index: EvidenceIndex) -> list[str]:
        return ground(claims, index).to_messages()

    return validate


def apply_policy(result: ExtractionResult, report: GroundingReport, policy: str) -> ExtractionResult:
    """Attach the findings to ``result`` according to ``policy``.

    * ``off``: ``result`` unchanged.
    * ``flag``: a copy with ``findings`` set to the report's.
    * ``strict``: as ``flag``, then every claim whose killed, injured, place or claimant still has
      a failure (unsupported, misattached, derived...), or any value unanchored or from a
      suspicious source, moves to ``result.dropped``, with a provenance note per claim saying why.
      Unchecked values drop nothing. Finding paths follow the claims: the findings of a
      kept claim are re-indexed to its new position (``claims[2]`` -> ``claims[1]``) and those of
      a dropped claim point into ``dropped`` (``claims[1]`` -> ``dropped[0]``), so every path
      always names a claim of the returned result.
    """
    if policy not in POLICIES:
        raise ConfigError(f"unknown grounding policy {policy!r}; choose one of {', '.join(POLICIES)}")
    if policy == "off":
        return result
    findings = list(report.findings)
    if policy == "flag":
        return result.model_copy(update={"findings": findings})
    bad = {f.path for f in report.unsupported}
    drop: dict[int, list[str]] = {}
    for i in range(len(result.claims)):
        for f in findings:
            if f.path not in bad:
                continue
            claim = f"claims[{i}]"
            if f.verdict in _DROP_ANYWHERE and (f.path == claim or f.path.startswith(claim + ".")):
                drop.setdefault(i, []).append(f"{f.path}={show_value(f.value)} {f.verdict.value}")
                continue
            for name in _STRICT_FIELDS:
                prefix = f"{claim}.{name}"
                if f.path == prefix or f.path.startswith(prefix + ".") or f.path.startswith(prefix + "["):
                    drop.setdefault(i, []).append(f"{f.path}={show_value(f.value)} {f.verdict.value}")
    if not drop:
        return result.model_copy(update={"findings": findings})
    kept = [c for i, c in enumerate(result.claims) if i not in drop]
    dropped = list(result.dropped)
    new_path: dict[int, str] = {}
    k = 0
    for i in range(len(result.claims)):
        if i in drop:
            new_path[i] = f"dropped[{len(dropped)}]"
            dropped.append(result.claims[i])
        else:
            new_path[i] = f"claims[{k}]"
            k += 1
    renamed = [_repath(f, new_path) for f in findings]
    notes = list(result.provenance.notes)
    for i, why in drop.items():
        notes.append(f"grounding (strict): claims[{i}] moved to {new_path[i]}: {'; '.join(why)}")
    provenance = result.provenance.model_copy(update={"notes": notes})
    return result.model_copy(update={"claims": kept, "dropped": dropped, "findings": renamed,
                                     "provenance": provenance})


def _repath(f: Finding, new_path: dict[int, str]) -> Finding:
    m = _CLAIM_PATH.match(f.path)
    if m is None or int(m.group(1)) not in new_path:
        return f
    return f.model_copy(update={"path": new_path[int(m.group(1))] + f.path[m.end():]})
