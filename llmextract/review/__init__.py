"""Review, scoring and export of results: read result files, score them against gold, show them, flatten them.

::

    from llmextract.review import evaluate, format_report, render_review, to_rows, write_csv

    report = evaluate("examples/gold/", "offline.jsonl", "model.jsonl")
    html = render_review("results.jsonl", articles="articles/")
    write_csv("results.jsonl", "claims.csv")

Modules: :mod:`~llmextract.review.results` (reading results, flat gold and review files),
:mod:`~llmextract.review.evaluate` (claim matching and scores), :mod:`~llmextract.review.export`
(flat rows, CSV, JSONL, DataFrame), :mod:`~llmextract.review.html` (the review page),
:mod:`~llmextract.review.commands` (what ``llmextract eval``, ``review`` and ``export`` do).
Only :mod:`llmextract.schema` is imported up front; the grounder's name folding and aliases load
when names are compared, pandas when a DataFrame is asked for.
"""

from __future__ import annotations

from llmextract.review.evaluate import EvalReport, evaluate, format_report, max_weight_matching
from llmextract.review.export import COLUMNS, to_dataframe, to_rows, write_csv, write_jsonl
from llmextract.review.html import render_review, write_review
from llmextract.review.results import ResultRecord, ResultSet, apply_review, read_articles, read_results

__all__ = [
    "COLUMNS",
    "EvalReport",
    "ResultRecord",
    "ResultSet",
    "apply_review",
    "evaluate",
    "format_report",
    "max_weight_matching",
    "read_articles",
    "read_results",
    "render_review",
    "to_dataframe",
    "to_rows",
    "write_csv",
    "write_jsonl",
    "write_review",
]
