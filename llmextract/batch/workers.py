"""CPU stages of a batch in worker processes: the pool, the worker's loop, and the article run that uses them.

With ``run_batch(..., workers=N)`` (``llmextract batch --workers N``) the event loop's process keeps
the model's requests, the parse of each reply, the output and the cache; N worker processes build
each article's evidence index, derive and ground its result and serialise it, so the loop no longer
shares the GIL with them. An article's index is needed before its request (the prompt's hints, a
grounded schema) and after its reply (the strict validator, grounding), and pickling it costs about
as much as building it, so it never travels: an article's stages all go to the worker that read it
(:class:`_Session`), which keeps the index (a bounded table, an entry dropped when the article ends)
and sends back only what the loop needs: the hints and schema (:class:`~llmextract.extractors.replies.Facts`),
the validator's problems, the result as JSON. Every message carries the article, so a worker that
no longer holds its index (restarted, or evicted) builds it again: correct, never lost.

The workers die with the run: the pool is closed when ``run_batch`` ends however it ends (a pipe's
end-of-file, then SIGKILL after a moment), a worker ignores SIGINT and SIGTERM (Ctrl-C reaches the
run, which decides), and the kernel kills it if the run's process dies (``PR_SET_PDEATHSIG``). A
stage that outlives its article's deadline (the article's error names the stage, as without workers)
gets its worker killed and restarted; the other articles' jobs on it are sent again. A worker that
dies fails the article whose stage it was running (an ``internal`` error naming the stage and the
exit status) and its other jobs are sent again. Jobs queued behind a stage that has run for over a
second go to another worker (which builds the article's index again), so one slow article holds up
no other.

A run waits for its workers to start (each imports the pipeline and loads the gazetteer: about a
second) before its first article; while none is ready (one that failed to start, or one restarting
alone) articles run in-process (:mod:`~llmextract.batch.offload`'s threads), with the same results.

Wire format: a frame is an 8-byte big-endian length and a pickle. The first frame to a worker holds
the pipelines' recipes (:meth:`~llmextract.pipeline.Pipeline.recipe`: a class and a policy; no endpoint,
client or key: a worker makes no request and never loads openai); it answers ``("ready",)``. Then
``(job, op, args)`` in, ``(job, ok, value)`` out, jobs done in the order sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmextract.batch.offload import _CpuPool, stage
from llmextract.errors import LLMExtractError
from llmextract.extractors.replies import Facts
from llmextract.schema import Article, ClaimList, ExtractionResult, Provenance
from llmextract.text.index import EvidenceIndex

logger = logging.getLogger(__name__)

_HEADER = struct.Struct("!Q")
_PROTOCOL = pickle.HIGHEST_PROTOCOL
_STOP_WAIT_S = 2.0  # a closed worker's time to exit before it is killed
_SLOW_S = 1.0  # a stage running this long makes its worker "stuck": the jobs queued behind it go elsewhere


_WARM_UP = Article(id="warm-up", text="Officials said on Monday that at least seven people were killed and twelve "
                                      "injured when shells hit a market in the north of the city.")


class WorkerError(LLMExtractError):
    """A worker process died while running an article's stage."""

    kind = "internal"


# --------------------------------------------------------------------------- the worker process


def _frame(message: Any) -> bytes:
    payload = pickle.dumps(message, protocol=_PROTOCOL)
    return _HEADER.pack(len(payload)) + payload


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux); exit now if it already has."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(0)


class _Stages:
    """A worker's side: the pipelines, and the articles it has read and not finished (a bounded table)."""

    def __init__(self, recipes: list[dict[str, Any]], keep: int) -> None:
        from llmextract.pipeline import Pipeline

        self.pipelines = [Pipeline.from_recipe(r) for r in recipes]
        self.keep = max(1, keep)
        self.kept: OrderedDict[int, Any] = OrderedDict()  # key -> the article's EvidenceIndex

    def _index(self, key: int, article: Article) -> Any:
        index = self.kept.get(key)
        if index is None:  # restarted, or evicted: the article is here, its index is built again
            index = EvidenceIndex.build(article)
            self._keep(key, index)
        return index

    def _keep(self, key: int, index: Any) -> None:
        self.kept[key] = index
        while len(self.kept) > self.keep:
            self.kept.popitem(last=False)

    def warm(self) -> None:
        """Run the stages once on a short text of our own: the gazetteer and every table made on first use are
        loaded before the worker says it is ready, not during its first articles (about 50 ms)."""
        from llmextract.pipeline import Pipeline

        Pipeline(None).run(_WARM_UP)

    def do(self, op: str, args: tuple[Any, ...]) -> Any:
        if op == "offline":
            p, article = args
            return self.pipelines[p].run(article).model_dump_json(exclude_computed_fields=True)
        if op == "read":
            p, key, article, grounded = args
            index, facts = self.pipelines[p].read_facts(article, grounded)
            self._keep(key, index)
            return facts
        if op == "check":
            p, key, article, claims = args
            return self.pipelines[p].check_reply(self._index(key, article), claims)
        if op == "finish":
            p, key, article, claims, provenance, grounded = args
            index = self._index(key, article)
            self.kept.pop(key, None)
            result = self.pipelines[p].finish_reply(article, index, claims, provenance, grounded)
            return result.model_dump_json(exclude_computed_fields=True)
        if op == "drop":
            self.kept.pop(args[0], None)
            return None
        raise ValueError(f"unknown worker operation {op!r}")


def _serve(fd: int, parent: int) -> None:
    """A worker process's loop: jobs in, answers out, in order, until the socket closes."""
    for sig in (signal.SIGINT, signal.SIGTERM):  # the run decides when its workers stop
        signal.signal(sig, signal.SIG_IGN)
    _die_with_parent(parent)
    sock = socket.socket(fileno=fd)
    rfile = sock.makefile("rb")

    def receive() -> Any:
        head = rfile.read(_HEADER.size)
        if len(head) < _HEADER.size:
            return None
        return pickle.loads(rfile.read(_HEADER.unpack(head)[0]))

    recipes, keep = receive()
    stages = _Stages(recipes, keep)
    stages.warm()
    sock.sendall(_frame(("ready",)))
    while (message := receive()) is not None:
        job, op, args = message
        try:
            answer: tuple[Any, ...] = (job, True, stages.do(op, args))
        except Exception as exc:  # the article's failure, raised where it is awaited
            answer = (job, False, _portable(exc))
        if job is not None:
            sock.sendall(_frame(answer))
    os._exit(0)  # the run has closed it: nothing is left to write, so no interpreter teardown either


def _portable(exc: BaseException) -> BaseException:
    """The exception, if it survives pickling; else a RuntimeError saying what it was."""
    try:
        pickle.loads(pickle.dumps(exc, protocol=_PROTOCOL))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


# --------------------------------------------------------------------------- the pool (the loop's side)


@dataclass
class _Job:
    op: str
    args: tuple[Any, ...]
    stage: str
    future: asyncio.Future[Any]
    moved: bool = False  # sent to another worker too (the first answer counts)


@dataclass
class _Worker:
    """One worker process and the jobs sent to it, oldest (the one it is running) first."""

    slot: int
    proc: subprocess.Popen[bytes]
    writer: asyncio.StreamWriter
    reader_task: asyncio.Task[None] | None = None
    ready: asyncio.Future[None] | None = None
    jobs: OrderedDict[int, _Job] = field(default_factory=OrderedDict)
    sessions: int = 0  # articles whose index it keeps
    closing: bool = False
    given_up: bool = False  # killed here for a stage nobody waits for: its other jobs are all sent again
    head_since: float = 0.0  # when the job it is running (its oldest) began

    def stuck(self, now: float) -> bool:
        """Running one stage for longer than :data:`_SLOW_S`."""
        return bool(self.jobs) and now - self.head_since > _SLOW_S


def _is_ready(w: _Worker | None) -> bool:
    """The worker has said it is ready (and has not failed to start)."""
    ready = w.ready if w is not None else None
    return ready is not None and ready.done() and not ready.cancelled() and ready.exception() is None


class WorkerPool:
    """``size`` worker processes running the CPU stages of ``pipelines``; use as ``async with``."""

    def __init__(self, pipelines: list[Any], size: int, *, keep: int = 256) -> None:
        if size < 1:
            raise ValueError(f"a worker pool needs at least one worker, got {size}")
        self.recipes = [p.recipe() for p in pipelines]
        self.size = size
        self.keep = keep
        self.workers: list[_Worker | None] = [None] * size
        self.restarts = 0
        self._ids = itertools.count()
        self._keys = itertools.count()
        self._closed = False
        self._starting: set[asyncio.Task[None]] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self.threads = _CpuPool(max_workers=2, name="llmextract-batch-start")  # until a worker is ready

    async def __aenter__(self) -> WorkerPool:
        self.start()
        await self.wait_ready()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- starting and stopping
    def start(self) -> None:
        """Start every worker (in the background: :meth:`session` uses the ones that are ready)."""
        for slot in range(self.size):
            self._spawn(slot)
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    async def wait_ready(self, timeout: float = 30.0) -> int:
        """Wait until every worker started is ready or has failed (at most ``timeout`` s); the ready ones."""
        if self._starting:
            await asyncio.wait(set(self._starting), timeout=timeout)
        return sum(1 for w in self.workers if _is_ready(w))

    def _spawn(self, slot: int) -> None:
        if self._closed:
            return
        task = asyncio.get_running_loop().create_task(self._start(slot))
        self._starting.add(task)
        task.add_done_callback(self._started)

    def _started(self, task: asyncio.Task[None]) -> None:
        self._starting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("batch: a worker process did not start (%s); its articles run in this process",
                           task.exception())

    async def _start(self, slot: int) -> None:
        ours, theirs = socket.socketpair()
        try:
            root = str(Path(__file__).resolve().parents[2])  # the llmextract this process runs, not another
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
            code = f"from llmextract.batch.workers import _serve; _serve({theirs.fileno()}, {os.getpid()})"
            proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(theirs.fileno(),), env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, close_fds=True)
        finally:
            theirs.close()
        try:
            reader, writer = await asyncio.open_connection(sock=ours)
        except BaseException:
            proc.kill()
            raise
        worker = _Worker(slot, proc, writer, ready=asyncio.get_running_loop().create_future())
        self.workers[slot] = worker
        worker.reader_task = asyncio.create_task(self._read(worker, reader))
        writer.write(_frame((self.recipes, self.keep)))
        try:
            await worker.ready
        except BaseException:
            self._kill(worker)
            raise

    async def aclose(self) -> None:
        """End every worker: end-of-file to each, then SIGKILL to any still alive after a moment."""
        if self._closed:
            return
        self._closed = True
        self.threads.close()
        if self._watchdog is not None:
            self._watchdog.cancel()
        for task in list(self._starting):
            task.cancel()
        live = [w for w in self.workers if w is not None]
        for w in live:
            w.closing = True
            with contextlib.suppress(Exception):
                w.writer.close()
        deadline = time.monotonic() + _STOP_WAIT_S
        while any(w.proc.poll() is None for w in live) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for w in live:
            self._kill(w)

    def kill_now(self) -> None:
        """SIGKILL every worker at once (a run that cannot wait for them)."""
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
        for w in self.workers:
            if w is not None:
                self._kill(w)

    def _kill(self, w: _Worker) -> None:
        w.closing = True
        if w.proc.poll() is None:
            with contextlib.suppress(OSError):
                w.proc.kill()
        with contextlib.suppress(Exception):
            w.proc.wait(timeout=5)
        with contextlib.suppress(Exception):
            w.writer.close()
        if w.reader_task is not None and w.reader_task is not asyncio.current_task():
            w.reader_task.cancel()

    # -- jobs
    async def _read(self, w: _Worker, reader: asyncio.StreamReader) -> None:
        """Settle the worker's jobs as its answers come; on its end, fail or re-send what it had."""
        try:
            while True:
                head = await reader.readexactly(_HEADER.size)
                message = pickle.loads(await reader.readexactly(_HEADER.unpack(head)[0]))
                if message == ("ready",):
                    if w.ready is not None and not w.ready.done():
                        w.ready.set_result(None)
                    continue
                job, ok, value = message
                entry = w.jobs.pop(job, None)
                w.head_since = time.monotonic()  # the next job (if any) begins
                if entry is None or entry.future.done():
                    continue
                if ok:
                    entry.future.set_result(value)
                else:
                    entry.future.set_exception(value)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            if not w.closing:
                raise
        self._lost(w)

    def _lost(self, w: _Worker) -> None:
        """The worker ended. Its running job fails (unless the run is closing); the rest go to a new worker.
        A worker that ended before it was ready is not started again (its articles run in this process)."""
        was_ready = _is_ready(w)
        if w.ready is not None and not w.ready.done():
            w.ready.set_exception(WorkerError("the worker process ended before it was ready"))
        code = w.proc.poll()
        if code is None:
            with contextlib.suppress(Exception):
                code = w.proc.wait(timeout=1)
        pending = list(w.jobs.values())
        w.jobs.clear()
        if self.workers[w.slot] is w:
            self.workers[w.slot] = None
        if w.closing or self._closed or not was_ready:
            for job in pending:
                if not job.future.done():
                    job.future.set_exception(WorkerError(f"the run stopped while a worker process was "
                                                         f"running {job.stage}"))
            return
        if pending and not w.given_up:
            first = pending.pop(0)
            if not first.future.done():
                first.future.set_exception(WorkerError(
                    f"the worker process running {first.stage} ended (exit status {code})"))
        self.restarts += 1
        logger.warning("batch: worker process %d ended (exit status %s); starting another", w.slot, code)
        self._spawn(w.slot)
        if pending:
            asyncio.get_running_loop().create_task(self._resend(w.slot, pending))

    async def _resend(self, slot: int, jobs: list[_Job]) -> None:
        worker = await self._ready_at(slot)
        for job in jobs:
            if job.future.done():
                continue
            if worker is None:
                job.future.set_exception(WorkerError(f"no worker process to run {job.stage}"))
                continue
            self._send(worker, job)

    async def _ready_at(self, slot: int) -> _Worker | None:
        while not self._closed:
            w = self.workers[slot]
            if w is not None and w.ready is not None:
                try:
                    await asyncio.shield(w.ready)
                except Exception:
                    return None
                return w
            if not any(t for t in self._starting):
                return None
            await asyncio.sleep(0.01)
        return None

    def _send(self, w: _Worker, job: _Job) -> None:
        job_id = next(self._ids)
        if not w.jobs:
            w.head_since = time.monotonic()
        w.jobs[job_id] = job
        w.writer.write(_frame((job_id, job.op, job.args)))

    def _elsewhere(self, w: _Worker) -> _Worker | None:
        """A ready worker other than ``w``, not stuck, with the fewest jobs; None if there is none."""
        now = time.monotonic()
        others = [o for o in self.workers if o is not None and o is not w and not o.closing and _is_ready(o)
                  and not o.stuck(now)]
        return min(others, key=lambda o: len(o.jobs), default=None)

    async def _watch(self) -> None:
        """Every so often, send the jobs queued behind a stuck stage to another worker (which builds the
        article's index again: it comes with every job), so one slow article does not hold up others."""
        while not self._closed:
            await asyncio.sleep(_SLOW_S / 4)
            now = time.monotonic()
            for w in self.workers:
                if w is None or w.closing or not w.stuck(now):
                    continue
                for job in list(w.jobs.values())[1:]:
                    other = None if job.moved or job.future.done() else self._elsewhere(w)
                    if other is not None:
                        job.moved = True
                        self._send(other, job)

    async def call(self, slot: int, op: str, args: tuple[Any, ...], what: str) -> Any:
        """Run ``op`` at the worker in ``slot`` (another one if that one is stuck in a stage); a cancelled wait
        (a deadline) kills a worker running it."""
        w = self.workers[slot]
        if w is None:
            w = await self._ready_at(slot)
            if w is None:
                raise WorkerError(f"no worker process to run {what}")
        if w.stuck(time.monotonic()):
            w = self._elsewhere(w) or w
        job = _Job(op, args, what, asyncio.get_running_loop().create_future())
        self._send(w, job)
        try:
            return await job.future
        except asyncio.CancelledError:
            self._give_up(job)
            raise

    def _give_up(self, job: _Job) -> None:
        """An article stopped waiting for ``job``: if its worker is running it, kill that worker (it is
        restarted, and its other jobs sent again); if it is still queued, it runs and is ignored."""
        for w in self.workers:
            if w is not None and w.jobs and next(iter(w.jobs.values())) is job and not w.closing:
                logger.warning("batch: worker process %d was still running %s past its article's deadline; "
                               "restarting it", w.slot, job.stage)
                w.jobs.pop(next(iter(w.jobs)))
                w.given_up = True
                with contextlib.suppress(OSError):
                    w.proc.kill()
                return

    def tell(self, slot: int, op: str, args: tuple[Any, ...]) -> None:
        """Send ``op`` to the worker in ``slot`` without waiting for an answer (a drop)."""
        w = self.workers[slot]
        if w is not None and not w.closing:
            w.writer.write(_frame((None, op, args)))

    # -- routing
    def pick(self) -> int | None:
        """The ready worker with the fewest jobs waiting (then: keeping the fewest articles), or None while none
        is ready. Jobs first: a worker stuck in a stage keeps its one job until the article's deadline."""
        best: _Worker | None = None
        for w in self.workers:
            if w is None or w.closing or not _is_ready(w):
                continue
            if best is None or (len(w.jobs), w.sessions) < (len(best.jobs), best.sessions):
                best = w
        return None if best is None else best.slot

    def session(self, pipeline_no: int) -> _Session | None:
        """A place for one article's stages (a ready worker), or None while none is ready."""
        slot = self.pick()
        if slot is None:
            return None
        return _Session(self, pipeline_no, slot, next(self._keys))


class _Session:
    """One article's stages at one worker (:class:`~llmextract.pipeline.SplitStages`), its index kept there."""

    def __init__(self, pool: WorkerPool, pipeline_no: int, slot: int, key: int) -> None:
        self.pool = pool
        self.p = pipeline_no
        self.slot = slot
        self.key = key
        self.article: Article | None = None
        self.open = False
        self._count(+1)

    def _count(self, n: int) -> None:
        w = self.pool.workers[self.slot]
        if w is not None:
            w.sessions = max(0, w.sessions + n)

    async def offline(self, article: Article) -> ExtractionResult:
        text = await self.pool.call(self.slot, "offline", (self.p, article), "the offline extractor")
        return ExtractionResult.model_validate_json(text)

    async def read(self, article: Article, grounded: bool) -> Facts:
        self.article, self.open = article, True
        facts: Facts = await self.pool.call(self.slot, "read", (self.p, self.key, article, grounded),
                                            "reading the article (the evidence index)")
        return facts

    async def check(self, claims: ClaimList) -> list[str]:
        problems: list[str] = await self.pool.call(
            self.slot, "check", (self.p, self.key, self.article, list(claims.claims)),
            "checking the reply against the article")
        return problems

    async def finish(self, claims: ClaimList, provenance: Provenance, grounded: bool) -> ExtractionResult:
        self.open = False  # the worker lets the index go with its answer
        text = await self.pool.call(
            self.slot, "finish", (self.p, self.key, self.article, list(claims.claims), provenance, grounded),
            "grounding the reply")
        return ExtractionResult.model_validate_json(text)

    def close(self) -> None:
        """The article ended: free its index at the worker if it is still kept there."""
        if self.open:
            self.pool.tell(self.slot, "drop", (self.key,))
            self.open = False
        self._count(-1)


class _WorkerRun:
    """A pipeline's ``arun`` for the engine: its CPU stages at a worker of ``pool`` (in-process threads
    until one is ready), telling :data:`~llmextract.batch.offload.stage` each step."""

    #: Its requests wait for the engine's request slots (:mod:`llmextract.extractors.slots`), so the engine
    #: bounds its requests in flight, not its articles.
    waits_for_request_slots = True

    def __init__(self, pipeline: Any, pipeline_no: int, pool: WorkerPool) -> None:
        self.pipeline = pipeline
        self.pipeline_no = pipeline_no
        self.pool = pool

    async def __call__(self, article: Article) -> ExtractionResult:
        session = self.pool.session(self.pipeline_no)
        if session is None:
            result: ExtractionResult = await self.pipeline.arun(article, cpu=self.pool.threads.run,
                                                                on_stage=stage.set)
            return result
        try:
            result = await self.pipeline.arun_split(article, session, on_stage=stage.set)
        finally:
            session.close()
        return result


def _pipeline_of(extract: Any) -> Any:
    """The Pipeline behind an endpoint's extractor (``Pipeline.arun`` or the batch's threaded run), or None."""
    from llmextract.batch.offload import _PipelineRun
    from llmextract.pipeline import Pipeline

    if isinstance(extract, _PipelineRun):
        return extract.pipeline
    owner = getattr(extract, "__self__", None)
    if isinstance(owner, Pipeline) and getattr(extract, "__func__", None) is Pipeline.arun:
        return owner
    return None


def worker_endpoints(endpoints: list[Any], size: int, *, keep: int) -> tuple[WorkerPool, list[Any]]:
    """A pool of ``size`` workers for the endpoints' pipelines, and the endpoints with their CPU stages there.

    Every endpoint must run a :class:`~llmextract.pipeline.Pipeline` (``Pipeline.arun``, or what
    ``build_endpoints`` makes): the workers make their own copies of it; other code cannot be sent.
    """
    from dataclasses import replace

    from llmextract.errors import ConfigError

    pipelines = [_pipeline_of(ep.extract) for ep in endpoints]
    if any(p is None for p in pipelines):
        raise ConfigError("workers run the stages of a Pipeline: every endpoint must be Pipeline.arun (or "
                          "made by build_endpoints); run other extractors with workers=0")
    pool = WorkerPool(pipelines, size, keep=keep)
    return pool, [replace(ep, extract=_WorkerRun(p, i, pool))
                  for i, (ep, p) in enumerate(zip(endpoints, pipelines, strict=True))]
