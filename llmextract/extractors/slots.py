"""How many model requests may be in flight at once: a limit a caller sets for its tasks, which every request honours.

A batch bounds each endpoint's requests in flight (its concurrency). When the bound is on the
article instead, an article's CPU work before and after its request (the evidence index, grounding)
holds a slot the server could use. So the batch engine sets the endpoint's slots for each article's
task (:func:`limit_requests`, a context variable: that task and the ones it starts), and the LLM
extractor holds one (:func:`request_slot`) around each request only, its time starting once it has
one. Without a limit set, a request goes at once.

An article's time spent waiting for a slot is the other articles' time, not its own, so its
deadlines do not run while it waits: the engine's whole-article deadline (an ``asyncio.Timeout``
the engine hands to :func:`exclude_waits`) stands still during the wait, and the extractor's own
deadline moves on by :func:`waited`. While it waits, the article's stage (what a deadline's error
says it was waiting for) reads :data:`WAITING`. Light on purpose: the engine imports it, and it must
not load an HTTP client.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar

__all__ = ["WAITING", "exclude_waits", "limit_requests", "request_slot", "waited"]

#: What an article waiting for a request slot is waiting for (its stage, while it waits).
WAITING = "a request slot (the endpoint's requests in flight are at its concurrency)"


class _Share:
    """One article's share of a limit: the slots, its deadline, its stage, and the time it has waited."""

    def __init__(self, slots: asyncio.Semaphore, stage: ContextVar[str | None] | None) -> None:
        self.slots = slots
        self.stage = stage
        self.deadline: asyncio.Timeout | None = None
        self.waited = 0.0

    async def acquire(self) -> None:
        if not self.slots.locked():  # a slot is free: no wait
            await self.slots.acquire()
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        left = self._pause(started)
        said = self.stage.get() if self.stage is not None else None
        if self.stage is not None:
            self.stage.set(WAITING)
        try:
            await self.slots.acquire()
        finally:
            now = loop.time()
            self.waited += now - started
            if self.stage is not None:
                self.stage.set(said)
            if left is not None:
                self._reschedule(now + left)

    def _pause(self, now: float) -> float | None:
        """Stop the deadline; the time it had left (None: no deadline, or it has already passed)."""
        deadline = self.deadline
        when = deadline.when() if deadline is not None and not deadline.expired() else None
        if when is None:
            return None
        if not self._reschedule(None):
            return None
        return when - now

    def _reschedule(self, when: float | None) -> bool:
        try:
            self.deadline.reschedule(when)  # type: ignore[union-attr]
        except RuntimeError:  # it has expired or ended meanwhile: nothing to move
            return False
        return True


_SHARE: ContextVar[_Share | None] = ContextVar("llmextract_request_slots", default=None)


def limit_requests(slots: asyncio.Semaphore | None, *, stage: ContextVar[str | None] | None = None) -> None:
    """In the current task (and the tasks it starts), every request waits for one of ``slots`` (None: none).

    ``stage`` (a context variable saying what the article waits for) reads :data:`WAITING` during a wait."""
    _SHARE.set(None if slots is None else _Share(slots, stage))


def exclude_waits(deadline: asyncio.Timeout) -> None:
    """The current task's ``deadline`` stands still while the task waits for a request slot."""
    share = _SHARE.get()
    if share is not None:
        share.deadline = deadline


def waited() -> float:
    """Seconds the current task has waited for request slots (0 without a limit): a deadline's extension."""
    share = _SHARE.get()
    return 0.0 if share is None else share.waited


@contextlib.asynccontextmanager
async def request_slot() -> AsyncIterator[None]:
    """Hold one of the slots :func:`limit_requests` set, for the block (one request); without any, go at once."""
    share = _SHARE.get()
    if share is None:
        yield
        return
    await share.acquire()
    try:
        yield
    finally:
        share.slots.release()
