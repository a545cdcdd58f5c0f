"""``run_batch``: a batch run to a JSONL file, start to end (lock, resume, signals, progress, compaction, the summary).

It wires the pieces together: the output's lock and resume scan (:mod:`~llmextract.batch.output`),
the engine (:mod:`~llmextract.batch.engine`) fed from the input in a reader thread, the writer,
the tally (:mod:`~llmextract.batch.summary`) and the caller's progress callback, and SIGINT /
SIGTERM handlers that ask the engine to stop. What a run does to its output file as a whole
belongs here; how one line is written and read belongs to :mod:`~llmextract.batch.output`:

* the run holds the output's lock from start to end: a second run on it refuses at once;
* a resumed run skips the articles whose current record (the last whole line of their id) is a
  result, and does the others again: errors too, unless ``skip_failed``; it refuses an output
  made by another model or endpoint, naming both;
* records are appended as articles finish; at the end the file is compacted (temporary file,
  rename) to one current record per article, still under the lock;
* a duplicate id in the input is reported and its later records skipped: the first one wins;
* an output that cannot be written (a folder, no permission, a full disk) stops the run with one
  OutputError; what was written stays whole, and the results that were not are in the cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from llmextract.batch.cache import ResponseCache
from llmextract.batch.digests import DigestSet, digest
from llmextract.batch.endpoints import AsyncExtract, BatchEndpoint, _as_endpoints
from llmextract.batch.engine import DEFAULT_ARTICLE_TIMEOUT_S, _aiter_threaded, _Engine
from llmextract.batch.outcomes import BatchItem
from llmextract.batch.output import _compact, _is_done, _output_error, _OutputLock, _Scan, _scan, _Writer
from llmextract.batch.sources import BadRecord
from llmextract.batch.summary import BatchProgress, BatchSummary, _Tally
from llmextract.errors import ConfigError, OutputError
from llmextract.schema import Article

if TYPE_CHECKING:
    from llmextract.batch.workers import WorkerPool

logger = logging.getLogger(__name__)

__all__ = ["run_batch"]

_SHOWN_DUPLICATES = 20


async def run_batch(
    articles: Iterable[Article | BadRecord],
    extractors: Sequence[AsyncExtract | BatchEndpoint | Callable[[Article], Any]],
    out: str | Path | IO[bytes],
    *,
    concurrency: int = 4,
    resume: bool = False,
    skip_failed: bool = False,
    overwrite: bool = True,
    cache: ResponseCache | None = None,
    progress: Callable[[BatchProgress], None] | None = None,
    grace_s: float = 30.0,
    article_timeout_s: float | None = DEFAULT_ARTICLE_TIMEOUT_S,
    handle_signals: bool = True,
    queue_size: int | None = None,
    workers: int = 0,
    wait_for_workers: bool = False,
) -> BatchSummary:
    """Run every article through the extractors and stream one JSON line per article to ``out``.

    ``extractors`` has one async extractor per endpoint (``Pipeline.arun`` or a
    :class:`~llmextract.batch.BatchEndpoint` naming it, its model and its cache scope); each gets
    at most ``concurrency`` articles at a time (for the pipelines with a model ``build_endpoints`` makes,
    and with ``workers``: ``concurrency`` requests, and a few more articles doing their CPU stages) and a new
    article goes to the one with the fewest in flight. ``out`` is a file (locked for the run), ``"-"``
    (standard output) or a binary stream.

    ``resume`` keeps ``out`` and skips the articles whose current record is a result (with
    ``skip_failed``, any record); without it ``out`` is replaced, unless ``overwrite`` is False
    and it holds something (OutputError). ``cache`` answers unchanged articles without a request.
    ``article_timeout_s`` is each article's whole deadline (None or 0: none). ``progress`` is
    called with a :class:`~llmextract.batch.BatchProgress` after every record written. On
    SIGINT/SIGTERM (when ``handle_signals`` and running in the main thread) in-flight articles get
    ``grace_s`` seconds to finish. Per-article failures become error records; what raises is an
    output that cannot be used (OutputError), an input source that cannot (InputError), and a
    fatal endpoint error (AuthError, ModelNotFoundError), which stops the run at once.

    ``workers`` > 0 runs the CPU stages (the evidence index, derivation, grounding, the result's
    JSON) in that many worker processes, started and ended with the run
    (:mod:`~llmextract.batch.workers`); every endpoint must then run a Pipeline. 0: threads of
    this process. The records are the same either way. The run does not wait for its workers to start:
    an article begun while none is ready runs in this process (all its stages: its index is here), and the
    ones begun after go to the workers. ``wait_for_workers`` waits for them (or until they fail to start, or
    a stop) before the first article, so that every article's stages run in a worker.
    """
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable of BatchProgress, not {type(progress).__name__}")
    if workers < 0:
        raise ConfigError(f"workers must be 0 (none: threads of this process) or more, got {workers}")
    endpoints = _as_endpoints(extractors)
    target = _Target.open(out, resume=resume, skip_failed=skip_failed, overwrite=overwrite)
    try:
        if target.scan is not None:
            _check_makers(target.path, target.scan, endpoints)
        return await _run(articles, endpoints, target, concurrency=concurrency, cache=cache, progress=progress,
                          grace_s=grace_s, article_timeout_s=article_timeout_s, handle_signals=handle_signals,
                          queue_size=queue_size, workers=workers, wait_for_workers=wait_for_workers)
    finally:
        target.close()


async def _run(articles: Iterable[Article | BadRecord], endpoints: list[BatchEndpoint], target: _Target, *,
               concurrency: int, cache: ResponseCache | None, progress: Callable[[BatchProgress], None] | None,
               grace_s: float, article_timeout_s: float | None, handle_signals: bool,
               queue_size: int | None, workers: int, wait_for_workers: bool) -> BatchSummary:
    done = target.scan.done if target.scan is not None else DigestSet()
    writer = target.writer
    tally = _Tally()
    seen = DigestSet()  # every id read: a digest each, not the string (memory follows the input only by this)
    duplicates: list[str] = []  # the first few
    n_duplicates = 0
    engine: _Engine

    def emit(item: BatchItem) -> None:
        try:
            writer.write(item._head(), item.result)  # the same line as json.dumps(item.record()), made faster
        except OSError as exc:  # a full disk: the run stops (the engine raises it), what was written stays whole
            target.failed = True
            raise OutputError(f"{_output_error(target.name, exc, 'cannot write it')}; {writer.written} record(s) "
                              "were written whole before it, the rest are done again on resume",
                              path=target.name) from None
        tally.add(item)
        if progress is not None:
            progress(tally.progress(engine.skipped))

    def skip(entry: Article | BadRecord) -> str | None:
        nonlocal n_duplicates
        if not seen.add(digest("id", entry.id)):  # the first record of an id wins; the others are reported
            n_duplicates += 1
            if len(duplicates) < _SHOWN_DUPLICATES:
                duplicates.append(str(entry.id))
            return "duplicate"
        if len(done) and _is_done(done, entry.id, entry.content_hash):
            return "done"
        return None

    pool: WorkerPool | None = None
    waited = 0.0  # for the workers to start (with wait_for_workers only)
    if workers:
        from llmextract.batch.workers import worker_endpoints  # the text stack, loaded only for the workers

        in_flight = sum(ep.concurrency or concurrency for ep in endpoints)
        pool, endpoints = worker_endpoints(endpoints, workers, keep=2 * in_flight + 16)
    engine = _Engine(endpoints, concurrency=concurrency, cache=cache, emit=emit, skip=skip,
                     article_timeout_s=article_timeout_s, grace_s=grace_s,
                     on_abandon=pool.halt if pool is not None else None)
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
        if pool is not None:
            pool.start()  # in the background: until a worker is ready, articles run in this process
            if wait_for_workers:
                started = time.perf_counter()
                ready = await engine.unless_stopped(pool.wait_ready())  # Ctrl-C while they start: no waiting
                waited = time.perf_counter() - started
                if engine.interrupted:  # the engine takes no article; the pool is closed below
                    logger.info("batch: stopped while the worker processes started")
                elif not ready:
                    logger.warning("batch: no worker process started; the CPU stages run in this process")
                else:
                    logger.info("batch: %d worker process(es) ready in %.2fs", ready, waited)
        await engine.run(_aiter_threaded(articles, window, stop))
    finally:
        stop.set()
        if pool is not None:
            try:
                await pool.aclose()
            except BaseException:  # cancelled while waiting for them: no waiting
                pool.kill_now()
                raise
        for sig in installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        if n_duplicates:
            shown = ", ".join(duplicates) + (", ..." if n_duplicates > len(duplicates) else "")
            logger.warning("batch: %d record(s) with an id seen before in the input were skipped (the first "
                           "record of each id is kept): %s", n_duplicates, shown)
    summary = tally.finish()
    summary.skipped = engine.skipped
    summary.duplicates = n_duplicates
    summary.duplicate_ids = duplicates
    summary.interrupted = engine.interrupted
    summary.unfinished = engine.unfinished
    summary.out = target.name
    if pool is not None:
        summary.workers = pool.size
        summary.workers_start_s = round(waited, 4)
    logger.info("batch: %d article(s) written (%d ok, %d failed, %d cached, %d skipped) in %.1fs",
                summary.articles, summary.ok, summary.failed, summary.cached, summary.skipped, summary.wall_s)
    return summary


def _who(maker: tuple[str, str | None]) -> str:
    endpoint, model = maker
    return f"model {model} at {endpoint}" if model else f"endpoint {endpoint}"


def _check_makers(path: Path | None, scan: _Scan, endpoints: list[BatchEndpoint]) -> None:
    """Refuse to resume an output whose records another model or endpoint made, naming both."""
    mine = [(ep.label, ep.model) for ep in endpoints]

    def ours(maker: tuple[str, str | None]) -> bool:
        return any(maker[0] == label and (maker[1] is None or model is None or maker[1] == model)
                   for label, model in mine)

    foreign = sorted((m for m in scan.makers if not ours(m)), key=lambda m: -scan.makers[m])
    if foreign:
        theirs = foreign[0]
        raise OutputError(f"{path}: {scan.makers[theirs]} record(s) made by {_who(theirs)}, but this run uses "
                          f"{' and '.join(_who(m) for m in mine)}: resuming would mix their results; write to "
                          "another output, or overwrite this one", path=str(path))


class _Target:
    """Where a run writes: a locked file (resumable, compacted at the end), or a stream (neither)."""

    def __init__(self, name: str, writer: _Writer, *, path: Path | None = None, lock: _OutputLock | None = None,
                 scan: _Scan | None = None) -> None:
        self.name = name
        self.writer = writer
        self.path = path
        self.lock = lock
        self.scan = scan
        self.failed = False  # a write failed: leave the file as it is

    @classmethod
    def open(cls, out: str | Path | IO[bytes], *, resume: bool, skip_failed: bool, overwrite: bool) -> _Target:
        if not isinstance(out, str | Path) or str(out) == "-":
            if resume:
                raise ConfigError("a run to standard output or a stream cannot be resumed: write to a file")
            stream = sys.stdout.buffer if isinstance(out, str | Path) else out
            return cls("<stdout>" if isinstance(out, str | Path) else getattr(out, "name", "<stream>"),
                       _Writer(None, append=True, stream=stream))
        path = Path(out)
        try:
            mode: int | None = path.stat().st_mode
        except FileNotFoundError:
            mode = None
        except OSError as exc:
            raise _output_error(path, exc, "cannot use it") from None
        if mode is not None and stat.S_ISDIR(mode):
            raise OutputError(f"{path}: is a folder; name a file to write the records to", path=str(path))
        if mode is not None and not stat.S_ISREG(mode):  # a device or a FIFO: written to, never locked or resumed
            if resume:
                raise OutputError(f"{path}: not a regular file, so it cannot be resumed", path=str(path))
            return cls(str(path), _open_writer(path, append=True), path=path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _output_error(path, exc, "cannot make its folder") from None
        lock = _OutputLock(path)
        lock.acquire()
        try:
            if not resume and not overwrite and _has_content(path):
                raise OutputError(f"{path}: exists and holds records; resume it, or overwrite it", path=str(path))
            scan = None
            if resume:
                try:
                    scan = _scan(path, skip_failed=skip_failed)
                except OSError as exc:
                    raise _output_error(path, exc, "cannot read it to resume") from None
                logger.info("batch: resuming %s: %d article(s) there, %d done, %d failed before%s", path,
                            scan.articles, len(scan.done), scan.failed,
                            " (kept as done)" if skip_failed else " (done again)")
            writer = _open_writer(path, append=resume)
        except BaseException:
            lock.release()
            raise
        return cls(str(path), writer, path=path, lock=lock, scan=scan)

    def close(self) -> None:
        """Close the writer; compact a resumed file that holds superseded lines; release the lock."""
        try:
            try:
                self.writer.close()
            except OSError as exc:
                self.failed = True
                logger.warning("batch: %s: closing it failed: %s", self.name, exc)
            if self.lock is not None and self.path is not None and not self.failed and self.scan is not None \
                    and (self.scan.records or self.scan.bad):
                try:
                    dropped = _compact(self.path)
                except OSError as exc:  # the appended file is still right for every reader (last line wins)
                    logger.warning("batch: %s: could not compact it (%s); it keeps superseded lines, which "
                                   "readers skip", self.name, exc)
                else:
                    if dropped:
                        logger.info("batch: %s: compacted, %d superseded or unreadable line(s) dropped",
                                    self.name, dropped)
        finally:
            if self.lock is not None:
                self.lock.release()


def _has_content(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def _open_writer(path: Path, *, append: bool) -> _Writer:
    try:
        return _Writer(path, append=append)
    except OSError as exc:
        raise _output_error(path, exc, "cannot write it") from None


