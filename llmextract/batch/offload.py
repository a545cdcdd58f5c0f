"""CPU work of a batch kept off the event loop: a pool of daemon threads, and the pipeline run that uses it.

On the event loop, every article's requests wait for replies; a stage that computes for long
there (the evidence index of a large article, grounding a reply made of one huge quote) stalls
all of them: replies that have arrived sit unread until their deadline passes, and Ctrl-C waits.
:class:`_PipelineRun` runs one article through a :class:`~llmextract.pipeline.Pipeline` with its
CPU stages (the index, the offline extractor, derivation and grounding) in :class:`_CpuPool`'s
threads, and only the model request on the loop, so the loop stays free to read replies, keep
deadlines and take signals. The work still shares the GIL, but the loop gets its turn every few
milliseconds instead of after the stage ends.

The pool's threads are daemon threads, unlike ``asyncio.to_thread``'s: a stage that never ends
cannot keep the process alive after a run is abandoned (a second Ctrl-C). A stage cannot be
interrupted: an article whose deadline passes is given up at once, and its stage runs to its end
in the background, its result dropped.

:data:`stage` says what the current article is waiting for, so a deadline's error can say it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from llmextract.schema import Article, ExtractionResult

__all__ = ["stage"]

_T = TypeVar("_T")

#: What the current article (task) is doing, for the message of its deadline: set by the extractors here.
stage: contextvars.ContextVar[str | None] = contextvars.ContextVar("llmextract_batch_stage", default=None)


class _CpuPool:
    """Up to ``max_workers`` daemon threads, started as needed, that run functions for an event loop."""

    def __init__(self, max_workers: int = 4, name: str = "llmextract-batch-cpu") -> None:
        self.max_workers = max(1, max_workers)
        self.name = name
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    async def run(self, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(*args)`` in a worker thread; cancelling the await gives up on the result, not the work."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        self._submit((fn, args, future, loop))
        return await future

    def _submit(self, job: Any) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the CPU pool is closed")
            if self._idle <= 0 and len(self._threads) < self.max_workers:
                t = threading.Thread(target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True)
                self._threads.append(t)
                self._idle += 1  # counted idle until it takes its first job
                t.start()
            self._idle -= 1  # the job will occupy an idle worker (or wait for one)
        self._jobs.put(job)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, args, future, loop = job
            if not future.cancelled():
                try:
                    value, error = fn(*args), None
                except BaseException as exc:  # handed to the awaiting task
                    value, error = None, exc
                with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
                    loop.call_soon_threadsafe(_settle, future, value, error)
            with self._lock:
                self._idle += 1

    def close(self) -> None:
        """Let the workers end once the jobs already queued are done; never waits for them."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            n = len(self._threads)
        for _ in range(n):
            self._jobs.put(None)


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # given up (a deadline, a stop)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


class _PipelineRun:
    """``Pipeline.arun`` with its CPU stages in a :class:`_CpuPool` (the index, the offline extractor,
    and derivation, grounding and the policy after the model's reply), telling :data:`stage` each step."""

    @property
    def waits_for_request_slots(self) -> bool:
        """A model's requests wait for the engine's request slots (:mod:`llmextract.extractors.slots`), so the
        engine bounds its requests in flight, not its articles; an offline pipeline's articles are bounded."""
        return bool(self.pipeline.uses_model)

    def __init__(self, pipeline: Any, pool: _CpuPool) -> None:
        self.pipeline = pipeline
        self.pool = pool

    async def __call__(self, article: Article) -> ExtractionResult:
        result: ExtractionResult = await self.pipeline.arun(article, cpu=self.pool.run, on_stage=stage.set)
        return result
