"""The HTTP clients llmextract makes for a model endpoint: a total deadline on every request, a cap on every reply.

httpx's timeouts bound each socket operation, not a request: a server that drips one byte every
two seconds never trips a five-second read timeout and holds the request for as long as it likes.
So the clients made here bound the whole request (:func:`deadline`): every connect, read and
write is given only the time left before the deadline, and fails with a timeout once it has
passed, however the server spaces its bytes. The deadline is a context variable, set around each
request by :class:`~llmextract.extractors.llm.LLMExtractor` (the request timeout, or what is left
of the article's deadline if that is sooner).

A reply larger than ``max_reply_bytes`` is refused as it arrives (:class:`ReplyTooLarge`), whatever
its ``Content-Length`` says, before it is held in memory whole.

A client passed to the extractor by the caller (``http_client=``) is used as it is: its own
timeouts apply, and the extractor checks the reply's size after the fact.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

import httpcore2
import httpx2
import openai

__all__ = ["ReplyTooLarge", "async_http_client", "deadline", "http_client", "remaining"]

_DEADLINE: ContextVar[float | None] = ContextVar("llmextract_request_deadline", default=None)


class ReplyTooLarge(openai.OpenAIError):
    """The endpoint's reply passed the size limit (an ``openai.OpenAIError``, so the client passes it on as it is)."""

    def __init__(self, limit: int, seen: int) -> None:
        self.limit = limit
        self.seen = seen
        super().__init__(f"the reply was larger than the limit of {limit:,} bytes (max_reply_bytes)")


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Within the block, every socket operation of these clients ends ``seconds`` from now at the latest
    (an enclosing deadline that is sooner stays). ``None``: no deadline of its own."""
    if seconds is None:
        yield
        return
    until = time.monotonic() + max(0.0, seconds)
    outer = _DEADLINE.get()
    token = _DEADLINE.set(until if outer is None else min(outer, until))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float | None:
    """Seconds left before the current deadline (``None``: none set; never negative)."""
    until = _DEADLINE.get()
    return None if until is None else max(0.0, until - time.monotonic())


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    left = remaining()
    if left is None:
        return timeout
    if left <= 0:
        raise error("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore2.NetworkStream):
    """A socket stream whose every read and write gets at most the time left before the deadline."""

    def __init__(self, stream: httpcore2.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore2.NetworkStream:
        stream = self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore2.ConnectTimeout))
        return _DeadlineStream(stream)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore2.NetworkBackend):
    """The standard blocking backend, its connections bounded by :func:`deadline`."""

    def __init__(self, backend: httpcore2.NetworkBackend | None = None) -> None:
        self._backend = backend or httpcore2.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore2.NetworkStream:
        stream = self._backend.connect_tcp(host, port, _bounded(timeout, httpcore2.ConnectTimeout), local_address,
                                           socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> httpcore2.NetworkStream:
        stream = self._backend.connect_unix_socket(path, _bounded(timeout, httpcore2.ConnectTimeout), socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _check_length(response: httpx2.Response, limit: int) -> None:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        response.close()
        raise ReplyTooLarge(limit, int(declared))


class _CappedStream(httpx2.SyncByteStream):
    def __init__(self, stream: Any, limit: int) -> None:
        self._stream, self._limit, self._seen = stream, limit, 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            self._seen += len(chunk)
            if self._seen > self._limit:
                raise ReplyTooLarge(self._limit, self._seen)
            yield chunk

    def close(self) -> None:
        self._stream.close()


class _ACappedStream(httpx2.AsyncByteStream):
    def __init__(self, stream: Any, limit: int) -> None:
        self._stream, self._limit, self._seen = stream, limit, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            self._seen += len(chunk)
            if self._seen > self._limit:
                raise ReplyTooLarge(self._limit, self._seen)
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


class _Transport(httpx2.HTTPTransport):
    """The standard transport with the deadline backend and the reply cap."""

    def __init__(self, *, max_reply_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_reply_bytes = max_reply_bytes
        pool = getattr(self, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None:  # httpcore's pool keeps its backend here; without it only the cap applies
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = super().handle_request(request)
        _check_length(response, self._max_reply_bytes)
        response.stream = _CappedStream(response.stream, self._max_reply_bytes)
        return response


class _AsyncTransport(httpx2.AsyncHTTPTransport):
    """The standard async transport with the reply cap (the extractor bounds async requests with asyncio)."""

    def __init__(self, *, max_reply_bytes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._max_reply_bytes = max_reply_bytes

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await super().handle_async_request(request)
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_reply_bytes:
            await response.aclose()
            raise ReplyTooLarge(self._max_reply_bytes, int(declared))
        response.stream = _ACappedStream(response.stream, self._max_reply_bytes)
        return response


class _Client(httpx2.Client):
    """``httpx2.Client`` whose transports (direct and through a proxy from the environment) are :class:`_Transport`."""

    def __init__(self, *, max_reply_bytes: int, **kwargs: Any) -> None:
        self._max_reply_bytes = max_reply_bytes
        super().__init__(**kwargs)

    def _init_transport(self, *args: Any, transport: Any = None, **kwargs: Any) -> Any:
        return transport or _Transport(max_reply_bytes=self._max_reply_bytes, **kwargs)

    def _init_proxy_transport(self, proxy: Any, **kwargs: Any) -> Any:
        return _Transport(max_reply_bytes=self._max_reply_bytes, proxy=proxy, **kwargs)


class _AsyncClient(httpx2.AsyncClient):
    """``httpx2.AsyncClient`` whose transports are :class:`_AsyncTransport`."""

    def __init__(self, *, max_reply_bytes: int, **kwargs: Any) -> None:
        self._max_reply_bytes = max_reply_bytes
        super().__init__(**kwargs)

    def _init_transport(self, *args: Any, transport: Any = None, **kwargs: Any) -> Any:
        return transport or _AsyncTransport(max_reply_bytes=self._max_reply_bytes, **kwargs)

    def _init_proxy_transport(self, proxy: Any, **kwargs: Any) -> Any:
        return _AsyncTransport(max_reply_bytes=self._max_reply_bytes, proxy=proxy, **kwargs)


def _limits(limits: httpx2.Limits | None) -> httpx2.Limits:
    if limits is not None:
        return limits
    from openai._constants import DEFAULT_CONNECTION_LIMITS

    return DEFAULT_CONNECTION_LIMITS


def http_client(*, timeout: float, max_reply_bytes: int, limits: httpx2.Limits | None = None) -> httpx2.Client:
    """A blocking client as the openai SDK makes one (its pool limits, redirects followed, proxies from the
    environment), whose requests end by :func:`deadline` and whose replies are capped at ``max_reply_bytes``."""
    return _Client(max_reply_bytes=max_reply_bytes, timeout=timeout, limits=_limits(limits), follow_redirects=True)


def async_http_client(*, timeout: float, max_reply_bytes: int,
                      limits: httpx2.Limits | None = None) -> httpx2.AsyncClient:
    """An async client as the openai SDK makes one, whose replies are capped at ``max_reply_bytes`` (the
    extractor bounds each async request's time itself)."""
    return _AsyncClient(max_reply_bytes=max_reply_bytes, timeout=timeout, limits=_limits(limits),
                        follow_redirects=True)
