"""The engine as a plain iterator: ``iter_extract`` and ``extract_many``, for code that is not async.

An event loop runs the engine in a background thread; outcomes come back through a queue, and
a window of credits (about 2 x concurrency x endpoints) bounds what is read ahead, in flight or
waiting to be consumed, so memory stays bounded however long the input. Leaving the loop early
(or closing the generator) cancels what is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any

from llmextract.batch.cache import ResponseCache
from llmextract.batch.endpoints import AsyncExtract, BatchEndpoint, _as_endpoints, _Built, build_endpoints
from llmextract.batch.engine import _END, DEFAULT_ARTICLE_TIMEOUT_S, _aiter_threaded, _Engine, _ReaderError
from llmextract.batch.outcomes import BatchItem
from llmextract.batch.sources import BadRecord
from llmextract.errors import InputError
from llmextract.io import as_article
from llmextract.schema import Article, ExtractionResult

__all__ = ["extract_many", "iter_extract"]


def iter_extract(
    articles: Iterable[Article | BadRecord],
    extractors: Sequence[AsyncExtract | BatchEndpoint | Callable[[Article], Any]],
    *,
    concurrency: int = 4,
    cache: ResponseCache | None = None,
    ordered: bool = True,
    article_timeout_s: float | None = DEFAULT_ARTICLE_TIMEOUT_S,
    keep_articles: bool = False,
) -> Iterator[BatchItem]:
    """Extract many articles concurrently, as a plain (synchronous) iterator of :class:`BatchItem`.

    An event loop runs in a background thread; at most about 2 x ``concurrency`` x endpoints
    articles are read ahead, in flight or waiting to be consumed, so memory stays bounded however
    long the input. ``ordered`` yields in input order (else as they finish). ``article_timeout_s``
    is each article's whole deadline (None: none). Breaking out of the
    loop (or closing the generator) cancels the work still in flight. The extractors run on that
    background loop: async clients they hold must not be bound to another loop.
    """
    endpoints = _as_endpoints(extractors)

    async def setup() -> list[BatchEndpoint]:
        return endpoints

    return _iter_engine(articles, setup, None, concurrency=concurrency, cache=cache, ordered=ordered,
                        article_timeout_s=article_timeout_s, keep_articles=keep_articles)


def _iter_engine(
    articles: Iterable[Article | BadRecord],
    setup: Callable[[], Awaitable[list[BatchEndpoint]]],
    teardown: Callable[[], Awaitable[None]] | None,
    *,
    concurrency: int,
    cache: ResponseCache | None,
    ordered: bool,
    article_timeout_s: float | None,
    keep_articles: bool,
) -> Iterator[BatchItem]:
    """Run the engine on a loop in a thread: ``setup`` makes the endpoints there, ``teardown`` closes them."""
    out_q: queue.SimpleQueue[Any] = queue.SimpleQueue()
    state: dict[str, Any] = {}
    stop = threading.Event()

    async def main() -> None:
        state["loop"] = asyncio.get_running_loop()
        state["task"] = asyncio.current_task()
        try:
            endpoints = _as_endpoints(await setup())
            window = max(2, sum(ep.concurrency or concurrency for ep in endpoints) * 2)
            credits = asyncio.Semaphore(window)
            state["credits"] = credits
            engine = _Engine(endpoints, concurrency=concurrency, cache=cache, emit=out_q.put,
                             article_timeout_s=article_timeout_s, credits=credits, ordered=ordered,
                             keep_articles=keep_articles, grace_s=0)
            await engine.run(_aiter_threaded(articles, max(2, window // 2), stop))
        finally:
            if teardown is not None:
                await teardown()

    def runner() -> None:
        try:
            asyncio.run(main())
            out_q.put(_END)
        except asyncio.CancelledError:
            out_q.put(_END)
        except BaseException as exc:
            out_q.put(_ReaderError(exc))

    thread = threading.Thread(target=runner, name="llmextract-extract-many", daemon=True)
    thread.start()
    try:
        while True:
            x = out_q.get()
            if x is _END:
                return
            if isinstance(x, _ReaderError):
                raise x.exc
            loop, credits = state.get("loop"), state.get("credits")
            if loop is not None and credits is not None:
                with contextlib.suppress(RuntimeError):  # the loop has closed
                    loop.call_soon_threadsafe(credits.release)
            yield x
    finally:
        stop.set()
        loop, task = state.get("loop"), state.get("task")
        if thread.is_alive() and loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        thread.join(timeout=30)


def extract_many(
    articles: Iterable[Article | str | BadRecord],
    *,
    endpoint: str | Sequence[str] | None = None,
    model: str | None = None,
    api_key: str | None = None,
    concurrency: int = 4,
    policy: str = "flag",
    cache: ResponseCache | bool | None = None,
    ordered: bool = True,
    article_timeout_s: float | None = DEFAULT_ARTICLE_TIMEOUT_S,
    **options: Any,
) -> Iterator[ExtractionResult | BatchItem]:
    """Extract many articles concurrently; a plain iterator of one outcome per article.

    Yields an ExtractionResult, or a :class:`~llmextract.batch.BatchItem` for an article that failed
    (its ``kind``, ``message`` and ``error``; ``unwrap()`` raises the error), in input order
    (``ordered=False``: as they finish); an article gets ``article_timeout_s`` seconds in all (None:
    no deadline). ``endpoint`` may list several URLs; each gets
    ``concurrency`` requests at a time. ``cache=True`` uses the default on-disk cache
    (``cache_dir() / "results.sqlite3"``). The work runs on an event loop in a background thread,
    reading ``articles`` lazily; leaving the loop early cancels what is in flight. ``options`` go
    to ``Pipeline.create``.
    """
    urls: list[str | None] = [endpoint] if endpoint is None or isinstance(endpoint, str) else list(endpoint)
    store = ResponseCache() if cache is True else (cache or None)

    def as_items(src: Iterable[Article | str | BadRecord]) -> Iterator[Article | BadRecord]:
        for n, a in enumerate(src):
            if isinstance(a, Article | BadRecord):
                yield a
                continue
            try:
                yield as_article(a)
            except InputError as exc:
                yield BadRecord(id=f"item-{n}", message=str(exc))

    holder: dict[str, _Built] = {}

    # Pipelines hold async clients bound to the runner's loop, so they are built inside it.
    async def setup() -> list[BatchEndpoint]:
        holder["built"] = await build_endpoints(urls, model=model, api_key=api_key, concurrency=concurrency,
                                                policy=policy, article_timeout=article_timeout_s or 0, **options)
        return holder["built"].endpoints

    async def teardown() -> None:
        if "built" in holder:
            await holder["built"].aclose()

    try:
        for item in _iter_engine(as_items(articles), setup, teardown, concurrency=concurrency, cache=store,
                                 ordered=ordered, article_timeout_s=article_timeout_s, keep_articles=False):
            yield item.result if item.result is not None else item
    finally:
        if cache is True and store is not None:
            store.close()  # the store opened here
