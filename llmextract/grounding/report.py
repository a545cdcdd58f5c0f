"""The grounding report: the findings of one run, which verdicts are failures, and how a finding reads.

Verdicts (:class:`~llmextract.schema.Verdict`), written down once:

* grounded: ``exact`` (the text states it as written), ``normalized`` (the text states it
  another way: "Twenty", folded case and diacritics, a conservative low bound), ``alias``
  (another name of the same party or place), ``fuzzy`` (a typo away, with its score);
* failures: ``derived`` (computed from figures of the text, not stated; accepted only where the
  field is marked ``Grounded(derived_ok=True)``), ``misattached`` (stated, but outside the
  value's own scope: see :mod:`llmextract.grounding.scopes`), ``unsupported`` (not in the text).

:attr:`GroundingReport.ok` is False when any finding is a failure; :meth:`GroundingReport.to_messages`
words each failure for a person or for re-asking a model. The checks add findings through a
:class:`Recorder`, one per run.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel, Field

from llmextract.schema import Finding, Span, Verdict
from llmextract.text.index import EvidenceIndex


class GroundingReport(BaseModel):
    """The findings of one grounding run, in the order the leaves were walked."""

    findings: list[Finding] = Field(default_factory=list)
    accepted: list[str] = Field(
        default_factory=list, description="Paths whose derived value is accepted (Grounded(derived_ok=True)).")

    def _bad(self, f: Finding) -> bool:
        return not f.ok and not (f.verdict is Verdict.derived and f.path in self.accepted)

    @property
    def unsupported(self) -> list[Finding]:
        """Every finding that is not grounded: unsupported, misattached or derived (unless accepted)."""
        return [f for f in self.findings if self._bad(f)]

    @property
    def ok(self) -> bool:
        return not any(self._bad(f) for f in self.findings)

    @property
    def by_path(self) -> dict[str, Finding]:
        return {f.path: f for f in self.findings}

    @property
    def summary(self) -> dict[str, int]:
        """How many findings of each verdict (every verdict listed, zeros included)."""
        out = {v.value: 0 for v in Verdict}
        for f in self.findings:
            out[f.verdict.value] += 1
        return out

    def for_claim(self, index: int, root: str = "claims") -> list[Finding]:
        prefix = f"{root}[{index}]"
        return [f for f in self.findings if f.path == prefix or f.path.startswith(prefix + ".")]

    def to_messages(self) -> list[str]:
        """One line per problem, for a person or for re-asking a model: path, value, verdict, what the text says."""
        return [_message(f) for f in self.unsupported]


_ADVICE = {
    Verdict.derived: "Do not add up or multiply figures: give each figure as the text states it, in its own field.",
    Verdict.misattached: "That figure belongs to another statement; use the figure this claim's own words state.",
}


def _message(f: Finding) -> str:
    advice = _ADVICE.get(f.verdict, "")
    reason = f.reason.rstrip(". ") + "."
    return f"{f.path} = {show_value(f.value)}: {f.verdict.value}. {reason}" + (f" {advice}" if advice else "")


def show_value(value: Any) -> str:
    """A finding's value as a person reads it: a date as YYYY-MM-DD, a string in double quotes, else repr."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


class Recorder:
    """The findings of one run as the checks add them (with the spans they point at, made once each)."""

    def __init__(self, index: EvidenceIndex) -> None:
        self.text = index.text
        self.findings: list[Finding] = []
        self.accepted: list[str] = []
        self._spans: dict[tuple[int, int], Span] = {}

    def span(self, s: int, e: int) -> Span:
        span = self._spans.get((s, e))
        if span is None:
            span = self._spans[(s, e)] = Span(start=s, end=e, text=self.text[s:e])
        return span

    def add(self, path: str, value: Any, verdict: Verdict, spans: list[Span] | None = None, *,
            score: float | None = None, reason: str = "") -> None:
        self.findings.append(Finding(path=path, value=value, verdict=verdict, spans=spans or [], score=score,
                                     reason=reason))

    def accept(self, path: str) -> None:
        """A derived value its marker accepts (``Grounded(derived_ok=True)``)."""
        self.accepted.append(path)

    def report(self) -> GroundingReport:
        return GroundingReport(findings=self.findings, accepted=self.accepted)
