"""Reading the article, once: the evidence index and what it is built from.

:mod:`~llmextract.text.index` (the EvidenceIndex) is the only place that scans an article's text;
:mod:`~llmextract.text.numbers`, :mod:`~llmextract.text.names`, :mod:`~llmextract.text.dates`,
:mod:`~llmextract.text.gazetteer` and their helpers find what it holds.
"""
