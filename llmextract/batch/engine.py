"""The async engine of a batch: articles to endpoints under per-endpoint limits, one outcome each.

It takes articles from an async iterator (:func:`_aiter_threaded` turns a plain, possibly
blocking, iterable into one, read in a thread through a bounded queue), answers what it can from
the result cache, and sends the rest to the endpoint with the fewest requests outstanding
(round-robin among equals), never more than that endpoint's limit at once. For an endpoint whose
extractor waits for a request slot (:func:`llmextract.extractors.slots.request_slot`: the
pipelines with a model that ``build_endpoints`` and ``run_batch(workers=...)`` make), the limit is on its *requests*
in flight, and a few more articles than that are admitted (:func:`_spare`), so that an article's
CPU stages (its index before the request, grounding after) hold no request slot and the server
always has its full share; for any other extractor, on its articles. Each outcome, a result
or the error the article failed with, goes to ``emit`` as a :class:`~llmextract.batch.outcomes.BatchItem`,
in input order when ``ordered``, else as it finishes. Per-article failures are outcomes, never
exceptions of the run, with two exceptions that stop everything and are raised: an error of
``emit`` (the output cannot be written), and a *fatal* endpoint error (a refused key, a model the
server does not have: see :mod:`llmextract.errors`), which every other article would meet too.
A stop request takes no new articles and gives the ones in flight a grace period; a second
abandons them.

Every article has a whole-article deadline (:data:`DEFAULT_ARTICLE_TIMEOUT_S` unless set; None
or 0: none), however its own time is spent (a server that drips a byte at a time never trips a
per-read timeout); the time it waits for a request slot, while other articles' requests fill the
endpoint's share, is not its own and does not count
(:func:`~llmextract.extractors.slots.exclude_waits`). An article past it fails with
:class:`~llmextract.errors.ArticleTimeoutError` saying after how long and what it was waiting for
(:data:`llmextract.batch.offload.stage`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from llmextract.batch.cache import ResponseCache
from llmextract.batch.endpoints import BatchEndpoint
from llmextract.batch.offload import stage
from llmextract.batch.outcomes import BatchItem
from llmextract.batch.sources import BadRecord
from llmextract.choices import DEFAULT_ARTICLE_TIMEOUT
from llmextract.errors import ArticleTimeoutError, ConfigError
from llmextract.extractors.slots import exclude_waits, limit_requests
from llmextract.schema import Article, ExtractionResult

logger = logging.getLogger(__name__)

_END = object()  # the end of a queue's items
_T = TypeVar("_T")

#: The whole-article deadline, in seconds, unless a run sets its own: ten minutes, room for a
#: 135M-parameter model on two CPU cores to answer a long article with its retries and re-asks.
DEFAULT_ARTICLE_TIMEOUT_S = DEFAULT_ARTICLE_TIMEOUT  # one default, the extractor's own


def _spare(limit: int) -> int:
    """Articles admitted beyond an endpoint's request limit, to do their CPU stages while it is full."""
    return max(2, limit // 4)


def _is_fatal(exc: BaseException) -> bool:
    """An error no retry can fix and every other article would meet too (``fatal`` on its class)."""
    return bool(getattr(exc, "fatal", False))


class _Engine:
    """Feeds articles to endpoints under per-endpoint limits and hands each outcome to ``emit``."""

    def __init__(
        self,
        endpoints: list[BatchEndpoint],
        *,
        concurrency: int,
        cache: ResponseCache | None,
        emit: Callable[[BatchItem], None],
        skip: Callable[[Article | BadRecord], str | None] | None = None,
        article_timeout_s: float | None = DEFAULT_ARTICLE_TIMEOUT_S,
        credits: asyncio.Semaphore | None = None,
        ordered: bool = False,
        keep_articles: bool = False,
        grace_s: float = 30.0,
        on_abandon: Callable[[], object] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {concurrency}")
        self.endpoints = endpoints
        self.limits = [ep.concurrency or concurrency for ep in endpoints]  # requests in flight, per endpoint
        gated = [bool(getattr(ep.extract, "waits_for_request_slots", False)) for ep in endpoints]
        self.slots = [asyncio.Semaphore(n) if g else None for n, g in zip(self.limits, gated, strict=True)]
        self.admit = [n + _spare(n) if g else n for n, g in zip(self.limits, gated, strict=True)]  # articles
        self.outstanding = [0] * len(endpoints)
        self.cache = cache
        self.scopes = [ep.cache_scope for ep in endpoints]
        self.use_cache = cache is not None and any(s is not None for s in self.scopes)
        self._emit_out = emit
        self.skip = skip
        self.article_timeout_s = article_timeout_s
        self.credits = credits
        self.ordered = ordered
        self.keep_articles = keep_articles
        self.tasks: set[asyncio.Task[None]] = set()
        self.skipped_by: Counter[str] = Counter()  # why entries were not sent: skip()'s reasons
        self.interrupted = False
        self.unfinished = 0
        self.fatal: BaseException | None = None
        self.grace_s = grace_s  # after a stop request, the in-flight articles' time to finish
        self.on_abandon = on_abandon  # told before the articles in flight are cancelled (the run is ending)
        self._deadline: float | None = None
        self._slot_free = asyncio.Event()
        self._hard_stop = False
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()  # set by the first stop request (or a fatal error)
        self._dispatcher: asyncio.Task[None] | None = None
        self._rr = 0
        # ordered output
        self._seq = 0
        self._next_out = 0
        self._pending: dict[int, BatchItem] = {}

    @property
    def skipped(self) -> int:
        """Entries ``skip`` set aside as already done."""
        return self.skipped_by["done"]

    # -- stopping
    def request_stop(self) -> None:
        """First call: take no new articles, let in-flight ones finish. Second call: abandon them."""
        if not self.interrupted:
            self.interrupted = True
            self._deadline = time.monotonic() + self.grace_s
            self._stopping.set()
            logger.warning("batch: stopping; finishing %d in-flight article(s) within %.0fs "
                           "(signal again to abandon them)", len(self.tasks), self.grace_s)
            if self._dispatcher is not None:
                self._dispatcher.cancel()
        else:
            logger.warning("batch: abandoning %d in-flight article(s); they will be redone on resume",
                           len(self.tasks))
            self._hard_stop = True
        self._wakeup.set()

    def _fail(self, exc: BaseException) -> None:
        """An error of the run as a whole (the output cannot be written): stop everything, at once: the other
        articles are cancelled now, so none waiting for the request slot it freed sends a request."""
        if self.fatal is None:
            self.fatal = exc
        self.interrupted = True
        self._hard_stop = True
        self._stopping.set()
        if self._dispatcher is not None:
            self._dispatcher.cancel()
        if self.on_abandon is not None:
            self.on_abandon()
        me = asyncio.current_task()
        for task in self.tasks:
            if task is not me:
                task.cancel()
        self._wakeup.set()

    # -- output
    def _emit(self, seq: int, item: BatchItem) -> None:
        if self.fatal is not None:
            return
        try:
            if not self.ordered:
                self._emit_out(item)
                return
            self._pending[seq] = item
            while self._next_out in self._pending:
                self._emit_out(self._pending.pop(self._next_out))
                self._next_out += 1
        except Exception as exc:
            self._fail(exc)

    # -- one article
    def _pick(self) -> int | None:
        best: int | None = None
        n = len(self.endpoints)
        for k in range(n):
            i = (self._rr + k) % n
            if self.outstanding[i] < self.admit[i] and (best is None or self.outstanding[i] < self.outstanding[best]):
                best = i
        if best is not None:
            self._rr = (best + 1) % n
        return best

    async def _one(self, seq: int, i: int, article: Article) -> None:
        ep = self.endpoints[i]
        item = BatchItem.of(article, endpoint=ep.label, model=ep.model,
                            article=article if self.keep_articles else None)
        try:
            limit_requests(self.slots[i], stage=stage)  # this task's requests (a context variable: this article's)
            result = ep.extract(article)
            if inspect.isawaitable(result):
                if self.article_timeout_s:
                    result = await self._within(result, self.article_timeout_s, article, ep)
                else:
                    result = await result
            if not isinstance(result, ExtractionResult):
                raise TypeError(f"the extractor returned {type(result).__name__}, not an ExtractionResult")
            item.result = result
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any per-article failure is a record, never a crash of the run
            item.error = exc
            if item.kind == "internal":
                logger.error("batch: %s: unexpected %s: %s", article.id, type(exc).__name__, exc,
                             exc_info=logger.isEnabledFor(logging.DEBUG))
        finally:
            self.outstanding[i] -= 1
            self._slot_free.set()
        if item.error is not None and _is_fatal(item.error):
            self._fail(item.error)  # every article would fail alike: stop, write no record for any
            return
        scope = self.scopes[i]
        if item.result is not None and self.cache is not None and scope is not None:
            try:
                self.cache.put(scope, article.content_hash, item.result)
            except Exception as exc:  # a full disk must not lose the result
                logger.warning("batch: cache write failed: %s", exc)
        self._emit(seq, item)

    def _done(self, task: asyncio.Task[None]) -> None:
        """A task ended: forget it; a bug of the engine itself (not an article's failure) stops the run."""
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._fail(task.exception())  # type: ignore[arg-type]

    @staticmethod
    async def _within(work: Awaitable[Any], seconds: float, article: Article, ep: BatchEndpoint) -> Any:
        """``work`` under the whole-article deadline; past it, an ArticleTimeoutError saying what it waited for."""
        try:
            async with asyncio.timeout(seconds) as deadline:
                exclude_waits(deadline)  # the time it waits for a request slot is the other articles'
                return await work
        except TimeoutError:
            if not deadline.expired():  # the extractor's own timeout, not the deadline
                raise
            what = stage.get() or f"the extractor of {ep.label}"
            raise ArticleTimeoutError(
                f"{article.id}: no result within the whole-article deadline of {seconds:g} s "
                f"(it was waiting for {what})", seconds=seconds, stage=what) from None

    # -- the loop
    async def _take(self, items: AsyncIterator[Article | BadRecord]) -> None:
        async for entry in items:
            if self.interrupted:  # a stop request: no new article (this one is done again on resume)
                return
            reason = self.skip(entry) if self.skip is not None else None
            if reason:
                self.skipped_by[reason] += 1
                continue
            if self.credits is not None:
                await self.credits.acquire()
            seq = self._seq
            self._seq += 1
            if isinstance(entry, BadRecord):
                self._emit(seq, BatchItem(entry.id, entry.content_hash, error=entry.as_error()))
                continue
            if self.fatal is not None:
                return
            if self.use_cache:
                found = None
                try:
                    found = self.cache.lookup(self.scopes, entry.content_hash)  # type: ignore[union-attr]
                except Exception as exc:
                    logger.warning("batch: cache read failed: %s", exc)
                if found is not None:
                    i, cached = found
                    cached.article_id = entry.id
                    self._emit(seq, BatchItem.of(entry, result=cached, cached=True, endpoint=self.endpoints[i].label,
                                                 model=self.endpoints[i].model,
                                                 article=entry if self.keep_articles else None))
                    continue
            i = self._pick()
            while i is None:
                self._slot_free.clear()
                await self._slot_free.wait()
                i = self._pick()
            self.outstanding[i] += 1
            task = asyncio.create_task(self._one(seq, i, entry))
            self.tasks.add(task)
            task.add_done_callback(self._done)

    async def unless_stopped(self, work: Awaitable[_T]) -> _T | None:
        """``work``'s result, or None (and ``work`` cancelled) if a stop is requested first (say, while the
        run's worker processes start)."""
        task = asyncio.ensure_future(work)
        stop = asyncio.create_task(self._stopping.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            if not task.done():
                task.cancel()
        return task.result() if task.done() and not task.cancelled() else None

    async def run(self, items: AsyncIterator[Article | BadRecord], grace_s: float | None = None) -> None:
        """Take every article from ``items`` (none once a stop is requested, even before it begins), then wait
        for the ones in flight; ``grace_s`` replaces the grace period given to the constructor."""
        if grace_s is not None:
            self.grace_s = grace_s
        if self.interrupted:  # stopped before it began: nothing is taken
            await self._finish()
            if self.fatal is not None:
                raise self.fatal
            return
        self._dispatcher = asyncio.create_task(self._take(items))
        try:
            await self._dispatcher
        except asyncio.CancelledError:
            if not self.interrupted:  # cancelled from outside, not by request_stop
                await self._abandon()
                raise
        except BaseException:
            await self._abandon()
            raise
        await self._finish()
        if self.fatal is not None:
            raise self.fatal

    async def _finish(self) -> None:
        """Wait for the in-flight articles: all of them, or until the grace period after a stop ends."""
        waker = asyncio.create_task(self._wakeup.wait())
        try:
            while self.tasks and not self._hard_stop:
                timeout = None
                if self._deadline is not None:
                    timeout = self._deadline - time.monotonic()
                    if timeout <= 0:
                        break
                if waker.done():
                    self._wakeup.clear()
                    waker = asyncio.create_task(self._wakeup.wait())
                await asyncio.wait(set(self.tasks) | {waker}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
        await self._abandon()

    async def _abandon(self) -> None:
        left = [t for t in self.tasks if not t.done()]
        self.unfinished = len(left)
        if left and self.on_abandon is not None:
            self.on_abandon()
        for t in left:
            t.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)


async def _aiter_threaded(items: Iterable[Article | BadRecord], maxsize: int,
                          stop: threading.Event) -> AsyncIterator[Article | BadRecord]:
    """Iterate a (possibly blocking) sync iterable in a daemon thread, through a bounded queue."""
    loop = asyncio.get_running_loop()
    q: asyncio.Queue[Any] = asyncio.Queue(maxsize=maxsize)

    def put(x: Any) -> bool:
        try:
            fut = asyncio.run_coroutine_threadsafe(q.put(x), loop)
        except RuntimeError:  # the loop is closed
            return False
        while True:
            try:
                fut.result(timeout=0.2)
                return True
            except TimeoutError:
                if stop.is_set() or loop.is_closed():
                    fut.cancel()
                    return False
            except Exception:  # the loop went away
                return False

    def reader() -> None:
        try:
            for x in items:
                if stop.is_set() or not put(x):
                    return
            put(_END)
        except BaseException as exc:  # an error of the input as a whole: re-raised in the loop
            put(_ReaderError(exc))

    thread = threading.Thread(target=reader, name="llmextract-batch-reader", daemon=True)
    thread.start()
    try:
        while True:
            x = await q.get()
            if x is _END:
                return
            if isinstance(x, _ReaderError):
                raise x.exc
            yield x
    finally:
        stop.set()


@dataclass
class _ReaderError:
    """An exception of the thread that fills a queue, raised again by the queue's consumer."""

    exc: BaseException
