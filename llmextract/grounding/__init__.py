"""Grounding: every number, name, quote and date of an extraction checked against the source text.

::

    report = ground(result, index)            # the article's EvidenceIndex, an Article, or its text
    report.ok                                 # no failures
    for f in report.unsupported:              # Finding(path, value, verdict, spans, score, reason)
        print(f.path, f.value, f.verdict, f.reason)

The package, one idea a module:

* :mod:`~llmextract.grounding.walk`: :func:`ground`, the walk over any extraction;
* :mod:`~llmextract.grounding.fields`: how each field is checked (markers, plain dict keys);
* :mod:`~llmextract.grounding.scopes`: locality, the sentences a value may come from;
* the checks: :mod:`~llmextract.grounding.numbers`, :mod:`~llmextract.grounding.names`,
  :mod:`~llmextract.grounding.quotes`, :mod:`~llmextract.grounding.dates` (each says its verdicts);
* :mod:`~llmextract.grounding.report`: the report and what each verdict means;
* :mod:`~llmextract.grounding.policy`: strict, flag, off, and the re-ask validator.

Grounding asks the article's :class:`~llmextract.text.index.EvidenceIndex` and never scans the
text itself. Offsets in every :class:`~llmextract.schema.Span` index the original text:
``text[span.start:span.end] == span.text``.
"""

from llmextract.grounding.policy import POLICIES, apply_policy, claims_validator
from llmextract.grounding.report import GroundingReport
from llmextract.grounding.walk import ground

__all__ = ["POLICIES", "GroundingReport", "apply_policy", "claims_validator", "ground"]
