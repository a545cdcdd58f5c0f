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
no other. "Sent again" and "another worker" mean a ready worker that is not stuck, or, when there is
none (one worker, or a restart that fails), this process's threads, which run the job the same way
(every job carries its article). While the run is ending (a fatal error, a second Ctrl-C, the end of
the grace period) a worker killed for its stage is not restarted.

A run does not wait for its workers to start (each imports the pipeline and loads the gazetteer: about
half a second): an article begun while none is ready (still starting, failed to start, or restarting
alone) runs in-process, all its stages (:mod:`~llmextract.batch.offload`'s threads; its index is built
and kept here), with the same results; the articles begun once one is ready go to the workers. A worker
that is not ready when the run ends has nothing to finish: it is killed at once.

Wire format: a frame is an 8-byte big-endian length and a pickle. The first frame to a worker holds
the pipelines' recipes (:meth:`~llmextract.pipeline.Pipeline.recipe`: a class and a policy; no endpoint,
client or key: a worker makes no request and never loads openai, and its environment lacks the key
and base URL variables :mod:`llmextract.config` reads); it answers ``("ready",)``. Then
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
import threading
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
    """A worker's side: the pipelines, and the articles it has read and not finished (a bounded table). The run's
    process keeps one too, for the jobs no worker is free to take (its threads use it: the table has a lock)."""

    def __init__(self, recipes: list[dict[str, Any]], keep: int) -> None:
        from llmextract.pipeline import Pipeline

        self.pipelines = [Pipeline.from_recipe(r) for r in recipes]
        self.keep = max(1, keep)
        self.kept: OrderedDict[int, Any] = OrderedDict()  # key -> the article's EvidenceIndex
        self._lock = threading.Lock()

    def _index(self, key: int, article: Article) -> Any:
        with self._lock:
            index = self.kept.get(key)
        if index is None:  # restarted, evicted, or read elsewhere: the article is here, its index is built again
            index = EvidenceIndex.build(article)
            self._keep(key, index)
        return index

    def _keep(self, key: int, index: Any) -> None:
        with self._lock:
            self.kept[key] = index
            while len(self.kept) > self.keep:
                self.kept.popitem(last=False)

    def drop(self, key: int) -> None:
        with self._lock:
            self.kept.pop(key, None)

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
            self.drop(key)
            result = self.pipelines[p].finish_reply(article, index, claims, provenance, grounded)
            return result.model_dump_json(exclude_computed_fields=True)
        if op == "drop":
            self.drop(args[0])
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
    args: tuple[Any, ...]  # the article comes with every job: any worker (or this process) can run it
    stage: str
    future: asyncio.Future[Any]
    moved: bool = False  # sent to another place too, away from a stuck stage (the first answer counts)
    places: int = 0  # the workers it is queued at, and this process while it runs it here


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
    given_up: bool = False  # killed here for a stage nobody waits for: its other jobs all go elsewhere
    head_since: float = 0.0  # when the job it is running (its oldest) began

    def stuck(self, now: float) -> bool:
        """Running one stage for longer than :data:`_SLOW_S`."""
        return bool(self.jobs) and now - self.head_since > _SLOW_S


def _is_ready(w: _Worker | None) -> bool:
    """The worker has said it is ready (and has not failed to start)."""
    ready = w.ready if w is not None else None
    return ready is not None and ready.done() and not ready.cancelled() and ready.exception() is None


def _worker_env() -> dict[str, str]:
    """A worker's environment: this process's, without the endpoint's key and base URL (a worker makes no request,
    and a URL may carry credentials), with the llmextract this process runs importable there."""
    from llmextract.config import API_KEY_ENV, BASE_URL_ENV

    env = {name: value for name, value in os.environ.items() if name not in (*API_KEY_ENV, *BASE_URL_ENV)}
    root = Path(__file__).resolve().parents[2]
    found = {Path(p).resolve() for p in sys.path[1:] if p}  # what the worker's interpreter finds as this one did
    if root not in found:  # say an editable install or a source tree: added after what the caller put first
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(root)]))
    return env


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
        self._halted = False  # the run is ending: no worker is restarted
        self._starting: set[asyncio.Task[None]] = set()
        self._here: set[asyncio.Task[None]] = set()  # jobs running in this process
        self._watchdog: asyncio.Task[None] | None = None
        self._local: _Stages | None = None
        #: This process's threads: the articles' stages until a worker is ready, and the jobs no worker is free
        #: to take (a stage stuck at the only one, a worker that ended and could not be started again).
        self.threads = _CpuPool(max_workers=2, name="llmextract-batch-here")

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
        if self._closed or self._halted:
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
            code = f"from llmextract.batch.workers import _serve; _serve({theirs.fileno()}, {os.getpid()})"
            proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=(theirs.fileno(),), env=_worker_env(),
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

    def halt(self) -> None:
        """The run is ending (abandoning its articles): a worker that ends now is not started again, and one
        killed for a stage nobody waits for any more is killed without a word."""
        self._halted = True

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
            if not _is_ready(w):  # still starting (or failed to): it holds no job, so nothing to wait for
                self._kill(w)
                continue
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
                if entry is None:
                    continue
                entry.places -= 1
                if entry.future.done():
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
        """The worker ended. Its running job fails, unless the run is stopping (then every job it had fails so)
        or the job is also somewhere else; the rest go to another worker, or run here, and a new worker starts.
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
        for job in pending:
            job.places -= 1
        if self.workers[w.slot] is w:
            self.workers[w.slot] = None
        orphans = [job for job in pending if not job.future.done() and job.places <= 0]  # nowhere else
        if self._closed or self._halted:
            for job in orphans:
                job.future.set_exception(WorkerError(f"the run stopped while a worker process was "
                                                     f"running {job.stage}"))
            return
        if orphans and pending[0] is orphans[0] and not w.given_up:  # the job it was running when it ended
            first = orphans.pop(0)
            first.future.set_exception(WorkerError(
                f"the worker process running {first.stage} ended (exit status {code})"))
        if was_ready:
            self.restarts += 1
            logger.warning("batch: worker process %d ended (exit status %s); starting another", w.slot, code)
            self._spawn(w.slot)
        for job in orphans:
            self._place(job, w)

    def _place(self, job: _Job, avoid: _Worker | None) -> None:
        """Send ``job`` to a ready worker other than ``avoid``, not stuck, with the fewest jobs; with none free,
        run it here (its article comes with it: its index is built again wherever it runs)."""
        other = self._elsewhere(avoid)
        if other is not None:
            self._send(other, job)
        else:
            self._run_here(job)

    def _run_here(self, job: _Job) -> None:
        job.places += 1
        task = asyncio.get_running_loop().create_task(self._do_here(job))
        self._here.add(task)
        task.add_done_callback(self._here.discard)

    async def _do_here(self, job: _Job) -> None:
        if self._local is None:
            self._local = _Stages(self.recipes, self.keep)
        try:
            value = await self.threads.run(self._local.do, job.op, job.args)
        except Exception as exc:  # the article's failure (or a closed pool: the run has stopped)
            if not job.future.done():
                job.future.set_exception(exc)
        else:
            if not job.future.done():
                job.future.set_result(value)
        finally:
            job.places -= 1

    def _send(self, w: _Worker, job: _Job) -> None:
        job_id = next(self._ids)
        if not w.jobs:
            w.head_since = time.monotonic()
        w.jobs[job_id] = job
        job.places += 1
        w.writer.write(_frame((job_id, job.op, job.args)))

    def _elsewhere(self, w: _Worker | None) -> _Worker | None:
        """A ready worker other than ``w``, not stuck, with the fewest jobs; None if there is none."""
        now = time.monotonic()
        others = [o for o in self.workers if o is not None and o is not w and not o.closing and _is_ready(o)
                  and not o.stuck(now)]
        return min(others, key=lambda o: len(o.jobs), default=None)

    async def _watch(self) -> None:
        """Every so often, move the jobs queued behind a stuck stage to another worker, or here when none is free
        (the article's index is built again there: it comes with every job), so one slow article holds up
        no other."""
        while not self._closed:
            await asyncio.sleep(_SLOW_S / 4)
            now = time.monotonic()
            for w in self.workers:
                if w is None or w.closing or not w.stuck(now):
                    continue
                for job in list(w.jobs.values())[1:]:
                    if not job.moved and not job.future.done():
                        job.moved = True
                        self._place(job, w)

    async def call(self, slot: int, op: str, args: tuple[Any, ...], what: str) -> Any:
        """Run ``op`` at the worker in ``slot``: at another one if that one is stuck in a stage or has ended, or
        here if none is free. A cancelled wait (a deadline) kills a worker running it."""
        job = _Job(op, args, what, asyncio.get_running_loop().create_future())
        w = self.workers[slot]
        if w is not None and not w.closing and _is_ready(w) and not w.stuck(time.monotonic()):
            self._send(w, job)
        else:
            self._place(job, w)
        try:
            return await job.future
        except asyncio.CancelledError:
            self._give_up(job)
            raise

    def _give_up(self, job: _Job) -> None:
        """An article stopped waiting for ``job``: if a worker is running it, kill that worker (restarted, its
        other jobs sent elsewhere, unless the run is stopping); if it is queued or runs here, it ends unheard."""
        for w in self.workers:
            if w is not None and w.jobs and next(iter(w.jobs.values())) is job and not w.closing:
                if not (self._halted or self._closed):
                    logger.warning("batch: worker process %d was still running %s past its article's deadline; "
                                   "restarting it", w.slot, job.stage)
                w.jobs.pop(next(iter(w.jobs)))
                job.places -= 1
                w.given_up = True
                with contextlib.suppress(OSError):
                    w.proc.kill()
                return

    def drop(self, slot: int, key: int) -> None:
        """Let an article's index go, at the worker in ``slot`` (without waiting for an answer) and here."""
        w = self.workers[slot]
        if w is not None and not w.closing:
            w.writer.write(_frame((None, "drop", (key,))))
        if self._local is not None:
            self._local.drop(key)

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
            self.pool.drop(self.slot, self.key)
            self.open = False
        self._count(-1)


class _WorkerRun:
    """A pipeline's ``arun`` for the engine: its CPU stages at a worker of ``pool`` (in-process threads
    until one is ready), telling :data:`~llmextract.batch.offload.stage` each step."""

    @property
    def waits_for_request_slots(self) -> bool:
        """A model's requests wait for the engine's request slots (:mod:`llmextract.extractors.slots`), so the
        engine bounds its requests in flight, not its articles; an offline pipeline's articles are bounded."""
        return bool(self.pipeline.uses_model)

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
