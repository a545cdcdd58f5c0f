"""Many articles through one or more model endpoints: concurrent, streaming, resumable (the public surface).

    articles = iter_articles("articles/")               # a folder of .txt, a JSONL file, or "-"
    summary = asyncio.run(run_batch(articles, [pipeline.arun], Path("results.jsonl"),
                                    concurrency=8, resume=True))

    for outcome in extract_many(texts, endpoint=URL):  # no event loop of your own
        print(outcome.article_id, outcome.kind if isinstance(outcome, BatchItem) else len(outcome.claims))

The runner reads its input lazily through a bounded queue, keeps at most ``concurrency``
requests in flight per endpoint (articles, for extractors that do not wait for request slots;
a new article goes to the endpoint with the fewest outstanding), and appends one JSON line
per article as soon as it finishes, a result or an error record alike, so memory follows the
concurrency, never the input size.
A run locks its output (a second run on it refuses, naming the first's pid). ``resume=True``
skips every article whose current record (the last whole line of its id) is a result of the
same text, and does the rest again, failed ones included (``skip_failed=True`` keeps those);
at the end the file is compacted to one current record per article, so a run killed at any
point and resumed ends with exactly one record per article. An error no retry can fix (a
refused key, a model the server lacks) stops the run at once. Every article has a
whole-article deadline (600 s by default). SIGINT or SIGTERM stops taking new articles and
gives the ones in flight ``grace_s`` seconds to finish (a second signal abandons them);
whatever was not written is done on resume. ``workers=N`` runs the CPU stages (the evidence
index, grounding, the result's JSON) in N worker processes that live as long as the run.

The modules, one idea each::

    sources.py    reading the input: a folder, a JSONL file, stdin (iter_articles, BadRecord)
    endpoints.py  the endpoints a batch runs on (BatchEndpoint) and building them from URLs
    engine.py     the async engine: bounded read-ahead, endpoint sharing, the result cache, deadlines, stop
    offload.py    CPU work off the event loop: daemon worker threads, the pipeline run that uses them
    workers.py    CPU work in worker processes (run_batch(workers=N)): the pool, its wire, the worker's loop
    outcomes.py   one article's outcome, a result or a typed error, and its output record (BatchItem)
    output.py     the output file: its lock, the writer, the resume scan, compaction, read_records
    cache.py      the on-disk result cache (ResponseCache)
    digests.py    what a run remembers per article, in a few bytes (DigestMap)
    summary.py    the tallies, BatchProgress and BatchSummary
    runner.py     run_batch: a run to a file, start to end
    iterate.py    iter_extract and extract_many: the engine as a plain iterator

The library draws nothing: ``llmextract batch`` (:mod:`llmextract.cli.batch`) draws its progress
bar from ``run_batch``'s ``progress`` callback and prints the summary.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

from llmextract.batch.cache import ResponseCache
from llmextract.batch.endpoints import BatchEndpoint
from llmextract.batch.iterate import extract_many, iter_extract
from llmextract.batch.outcomes import BatchItem
from llmextract.batch.output import read_records
from llmextract.batch.runner import run_batch
from llmextract.batch.sources import BadRecord, iter_articles
from llmextract.batch.summary import BatchProgress, BatchSummary

__all__ = [
    "BadRecord",
    "BatchEndpoint",
    "BatchItem",
    "BatchProgress",
    "BatchSummary",
    "ResponseCache",
    "extract_many",
    "iter_articles",
    "iter_extract",
    "read_records",
    "run_batch",
]

# Names this module exported before the split, kept for one release: name -> (module, attribute).
_DEPRECATED = {
    "ArticleError": ("llmextract.batch.outcomes", "BatchItem"),
    "AsyncExtract": ("llmextract.batch.endpoints", "AsyncExtract"),
    "async_http_client": ("llmextract.batch.endpoints", "async_http_client"),
    "build_endpoints": ("llmextract.batch.endpoints", "build_endpoints"),
    "count_articles": ("llmextract.batch.sources", "count_articles"),
    "error_kind": ("llmextract.batch.outcomes", "error_kind"),
    "scan_output": ("llmextract.batch.output", "scan_output"),
}


def __getattr__(name: str) -> Any:
    moved = _DEPRECATED.get(name)
    if moved is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = moved
    new = f"{module}.{attr}"
    if name == "ArticleError":
        hint = "llmextract.batch.ArticleError is llmextract.batch.BatchItem now (the one outcome type)"
    else:
        hint = f"llmextract.batch.{name} moved to {new}"
    warnings.warn(f"{hint}; the old name goes in the next release", DeprecationWarning, stacklevel=2)
    return getattr(importlib.import_module(module), attr)
