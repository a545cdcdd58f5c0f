"""The endpoints a batch runs on: what the engine sees of one, and building them from endpoint URLs.

An endpoint is an async extractor (``Pipeline.arun``, ``LLMExtractor.aextract`` or any callable
of an article), a label for records and logs, its model, the cache scope of its results, and
optionally its own concurrency. :func:`build_endpoints` makes one :class:`~llmextract.pipeline.Pipeline`
per URL, with a connection pool the size of the concurrency and the scope its settings decide, run
with its CPU stages off the event loop (:mod:`~llmextract.batch.offload`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from llmextract.batch.cache import CacheScope
from llmextract.batch.offload import _CpuPool, _PipelineRun
from llmextract.errors import ConfigError
from llmextract.schema import Article, ExtractionResult

__all__ = ["AsyncExtract", "BatchEndpoint", "async_http_client", "build_endpoints"]


@runtime_checkable
class AsyncExtract(Protocol):
    """Anything that turns one article into a result, asynchronously (``Pipeline.arun``)."""

    async def __call__(self, article: Article) -> ExtractionResult: ...


@dataclass
class BatchEndpoint:
    """One endpoint's extractor, as the runner sees it.

    ``label`` names it in records and logs (never with credentials); ``cache_scope`` says what
    decides its results besides the article (None: its results are not cached); ``concurrency``
    overrides the run's per-endpoint limit; ``model`` is the model it runs, written in each record
    (a resumed run refuses an output another model made).
    """

    extract: AsyncExtract | Callable[[Article], Any]
    label: str = ""
    cache_scope: CacheScope | None = None
    concurrency: int | None = None
    model: str | None = None


def _as_endpoints(extractors: Sequence[AsyncExtract | BatchEndpoint | Callable[[Article], Any]]) -> list[BatchEndpoint]:
    """Endpoints from extractors or endpoints; an unlabelled one is named by its place."""
    if not extractors:
        raise ConfigError("a batch needs at least one extractor")
    out: list[BatchEndpoint] = []
    for i, e in enumerate(extractors):
        ep = e if isinstance(e, BatchEndpoint) else BatchEndpoint(extract=e)
        if not ep.label:
            ep = BatchEndpoint(ep.extract, label=f"endpoint-{i}" if len(extractors) > 1 else "endpoint",
                               cache_scope=ep.cache_scope, concurrency=ep.concurrency, model=ep.model)
        out.append(ep)
    return out


def async_http_client(concurrency: int, *, timeout: float | None = None, max_reply_bytes: int | None = None) -> Any:
    """An async client for the openai client whose connection pool matches ``concurrency``, with the
    extractor's own reply cap (:func:`llmextract.extractors.transport.async_http_client`)."""
    import httpx2

    from llmextract.config import DEFAULT_MAX_REPLY_BYTES, EndpointConfig
    from llmextract.extractors.transport import async_http_client as capped_client

    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency,
                           keepalive_expiry=30.0)
    return capped_client(timeout=timeout or EndpointConfig.model_fields["timeout"].default,
                         max_reply_bytes=max_reply_bytes or DEFAULT_MAX_REPLY_BYTES, limits=limits)


@dataclass
class _Built:
    """The endpoints :func:`build_endpoints` made, with the pipelines and clients to close after the run."""

    endpoints: list[BatchEndpoint]
    pipelines: list[Any]
    clients: list[Any]
    pool: _CpuPool | None = None

    async def aclose(self) -> None:
        if self.pool is not None:
            self.pool.close()
        for p in self.pipelines:
            with contextlib.suppress(Exception):
                await p.aclose()
        for c in self.clients:
            with contextlib.suppress(Exception):
                await c.aclose()


async def build_endpoints(
    endpoints: Sequence[str | None],
    *,
    model: str | None = None,
    api_key: str | None = None,
    concurrency: int = 4,
    policy: str = "flag",
    prepare: bool = True,
    **options: Any,
) -> _Built:
    """One :class:`~llmextract.pipeline.Pipeline` per endpoint URL (None: the environment's, else offline),
    each with a connection pool of ``concurrency`` and a cache scope, its CPU stages run in a pool of
    daemon threads (:mod:`~llmextract.batch.offload`) so the event loop stays free.

    With ``prepare`` the model and profile of each endpoint are settled first (``GET /models`` when
    either was not given), since both are part of the cache key. ``options`` go to ``Pipeline.create``
    (profile, timeout, transport_retries, reask_budget, grounded_schema). Close the result with
    ``await built.aclose()`` after the run.
    """
    from llmextract.pipeline import Pipeline

    built = _Built([], [], [], _CpuPool(max_workers=min(8, max(2, concurrency))))
    assert built.pool is not None
    try:
        for url in endpoints or [None]:
            client = async_http_client(concurrency, timeout=options.get("timeout"),
                                       max_reply_bytes=options.get("max_reply_bytes"))
            built.clients.append(client)
            pipeline = Pipeline.create(url, model, api_key, policy=policy, async_http_client=client, **options)
            built.pipelines.append(pipeline)
            scope: CacheScope | None = None
            label = "offline"
            model_name: str | None = None
            llm = pipeline.llm
            if llm is not None:
                if prepare:
                    await llm.aprepare()
                ident = pipeline.cache_identity()
                label = str(ident.get("endpoint") or llm.endpoint)
                model_name = llm.model
                scope = CacheScope.of(ident.get("endpoint"), ident.get("model"), ident.get("prompt_hash"),
                                      profile=llm.profile, policy=policy,
                                      grounded_schema=bool(options.get("grounded_schema")))
            built.endpoints.append(BatchEndpoint(extract=_PipelineRun(pipeline, built.pool), label=label,
                                                 cache_scope=scope, model=model_name))
    except BaseException:
        await built.aclose()
        raise
    return built
