"""``run_batch``: a batch run to a JSONL file, start to end (resume, signals, progress, the summary).

It wires the pieces together: the resume scan of the output (:mod:`~llmextract.batch.output`),
the engine (:mod:`~llmextract.batch.engine`) fed from the input in a reader thread, the writer,
the tally (:mod:`~llmextract.batch.summary`) and the caller's progress callback, and SIGINT /
SIGTERM handlers that ask the engine to stop. What a run does to its output file as a whole
(what counts as done, how it ends) belongs here; how one line is written and read belongs to
:mod:`~llmextract.batch.output`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from llmextract.batch.cache import ResponseCache
from llmextract.batch.endpoints import AsyncExtract, BatchEndpoint, _as_endpoints
from llmextract.batch.engine import _aiter_threaded, _Engine
from llmextract.batch.outcomes import BatchItem
from llmextract.batch.output import _record_key, _Writer, scan_output
from llmextract.batch.sources import BadRecord
from llmextract.batch.summary import BatchProgress, BatchSummary, _Tally
from llmextract.schema import Article

logger = logging.getLogger(__name__)

__all__ = ["run_batch"]


async def run_batch(
    articles: Iterable[Article | BadRecord],
    extractors: Sequence[AsyncExtract | BatchEndpoint | Callable[[Article], Any]],
    out: str | Path,
    *,
    concurrency: int = 4,
    resume: bool = False,
    cache: ResponseCache | None = None,
    progress: Callable[[BatchProgress], None] | None = None,
    grace_s: float = 30.0,
    article_timeout_s: float | None = None,
    handle_signals: bool = True,
    queue_size: int | None = None,
) -> BatchSummary:
    """Run every article through the extractors and stream one JSON line per article to ``out``.

    ``extractors`` has one async extractor per endpoint (``Pipeline.arun`` or a
    :class:`~llmextract.batch.BatchEndpoint` naming it and its cache scope); each gets at most
    ``concurrency`` articles at a time and a new article goes to the one with the fewest in flight.
    ``resume`` keeps ``out`` (cutting a torn last line) and skips the articles it already holds;
    without it ``out`` is overwritten. ``cache`` answers unchanged articles without a request.
    ``progress`` is called with a :class:`~llmextract.batch.BatchProgress` after every record
    written (the CLI draws its bar from it). On SIGINT/SIGTERM (when ``handle_signals`` and running
    in the main thread) in-flight articles get ``grace_s`` seconds to finish. Per-article failures
    become error records; nothing but a broken output file or input source raises.
    """
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable of BatchProgress, not {type(progress).__name__}")
    endpoints = _as_endpoints(extractors)
    out = Path(out)
    done: set[int] = set()
    if resume:
        done, existing = scan_output(out)
        logger.info("batch: resuming %s: %d record(s) already there", out, existing)
    writer = _Writer(out, append=resume)
    tally = _Tally()
    engine: _Engine

    def emit(item: BatchItem) -> None:
        writer.write(item._head(), item.result)  # the same line as json.dumps(item.record()), made faster
        tally.add(item)
        if progress is not None:
            progress(tally.progress(engine.skipped))

    def skip(entry: Article | BadRecord) -> bool:
        if not done:
            return False
        return _record_key(entry.id, entry.content_hash) in done

    engine = _Engine(endpoints, concurrency=concurrency, cache=cache, emit=emit, skip=skip if resume else None,
                     article_timeout_s=article_timeout_s)
    loop = asyncio.get_running_loop()
    installed: list[int] = []
    if handle_signals and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, engine.request_stop)
                installed.append(sig)
    stop = threading.Event()
    window = queue_size or max(2, sum(engine.limits))
    try:
        await engine.run(_aiter_threaded(articles, window, stop), grace_s)
    finally:
        stop.set()
        for sig in installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        writer.close()
    summary = tally.finish()
    summary.skipped = engine.skipped
    summary.interrupted = engine.interrupted
    summary.unfinished = engine.unfinished
    summary.out = str(out)
    logger.info("batch: %d article(s) written (%d ok, %d failed, %d cached, %d skipped) in %.1fs",
                summary.articles, summary.ok, summary.failed, summary.cached, summary.skipped, summary.wall_s)
    return summary
