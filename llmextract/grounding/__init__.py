"""Grounding: every number, name, quote and date of an extraction checked against the text, in its claim and role.

::

    report = ground(result, index)            # the article's EvidenceIndex, an Article, or its text
    report.ok                                 # no failures (unchecked values are not failures)
    for f in report.unsupported:              # Finding(path, value, verdict, spans, score, reason)
        print(f.path, f.value, f.verdict, f.reason)
    report.unchecked                          # what nothing could check, listed

A value passes only when the text states it in its own claim (the claim's scope: its evidence and
count-phrase sentences and the sentence before each) and in its role (a killed count by a killed
figure, never a year, an age or a wounded figure). The verdicts are
:class:`~llmextract.schema.Verdict`'s; ``docs/grounding.md`` explains them with examples.

The package, one idea a module:

* :mod:`~llmextract.grounding.walk`: :func:`ground`, the walk over any extraction;
* :mod:`~llmextract.grounding.fields`: how each field is checked (markers, key rules for any schema);
* :mod:`~llmextract.grounding.scopes`: claim scopes, the sentences a value may come from;
* :mod:`~llmextract.grounding.tables`: which mentions lie in given sentences, tables built once per
  article (so a claim's checks cost the same however long the text is);
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
