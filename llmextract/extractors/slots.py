"""How many model requests may be in flight at once: a limit a caller sets for its tasks, which every request honours.

A batch bounds each endpoint's requests in flight (its concurrency). When the bound is on the
article instead, an article's CPU work before and after its request (the evidence index, grounding)
holds a slot the server could use. So the batch engine sets the endpoint's slots for each article's
task (:func:`limit_requests`, a context variable: that task and the ones it starts), and the LLM
extractor holds one (:func:`request_slot`) around each request only, its time starting once it has
one. Without a limit set, a request goes at once. Light on purpose: the engine imports it, and it
must not load an HTTP client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar

__all__ = ["limit_requests", "request_slot"]

_SLOTS: ContextVar[asyncio.Semaphore | None] = ContextVar("llmextract_request_slots", default=None)


def limit_requests(slots: asyncio.Semaphore | None) -> None:
    """In the current task (and the tasks it starts), every request waits for one of ``slots`` (None: none)."""
    _SLOTS.set(slots)


@contextlib.asynccontextmanager
async def request_slot() -> AsyncIterator[None]:
    """Hold one of the slots :func:`limit_requests` set, for the block (one request); without any, go at once."""
    slots = _SLOTS.get()
    if slots is None:
        yield
        return
    async with slots:
        yield
