"""Many articles through one or more model endpoints: concurrent, streaming, resumable.

    articles = iter_articles("articles/")               # a folder of .txt, a JSONL file, or "-"
    summary = asyncio.run(run_batch(articles, [pipeline.arun], Path("results.jsonl"),
                                    concurrency=8, resume=True))

The runner reads its input lazily through a bounded queue, keeps at most ``concurrency``
articles in flight per endpoint (a new article goes to the endpoint with the fewest
outstanding requests), and writes one JSON line per article as soon as it finishes, a
result or an error record alike, so memory follows the concurrency, never the input size.

Output records (one JSON object a line)::

    {"id": ..., "content_hash": ..., "status": "ok", "cached": false, "endpoint": ..., "result": {...}}
    {"id": ..., "content_hash": ..., "status": "error", "endpoint": ...,
     "error": {"kind": "endpoint" | "model_output" | "input" | "timeout" | "config" | "internal",
               "type": ..., "message": ..., "attempts": ..., "raw_replies": [...]}}

``resume=True`` truncates a torn last line and skips every (id, content hash) already in the
file, so a run killed at any point and resumed ends with exactly one record per article.
SIGINT or SIGTERM stops taking new articles and gives the ones in flight ``grace_s`` seconds
to finish (a second signal abandons them); whatever was not written is done on resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import inspect
import json
import logging
import os
import queue
import re
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from llmextract.batch.cache import CacheScope, ResponseCache
from llmextract.errors import (
    ConfigError,
    EndpointError,
    InputError,
    LLMExtractError,
    ModelOutputError,
)
from llmextract.io import MAX_BYTES, check_article_text, read_article
from llmextract.schema import Article, ExtractionResult

logger = logging.getLogger(__name__)

__all__ = [
    "ArticleError",
    "AsyncExtract",
    "BadRecord",
    "BatchEndpoint",
    "BatchItem",
    "BatchSummary",
    "add_batch_parser",
    "async_http_client",
    "build_endpoints",
    "cmd_batch",
    "count_articles",
    "error_kind",
    "extract_many",
    "iter_articles",
    "iter_extract",
    "read_records",
    "run_batch",
    "run_batch_sync",
    "scan_output",
    "summary_table",
]


# --------------------------------------------------------------------------- inputs


@runtime_checkable
class AsyncExtract(Protocol):
    """Anything that turns one article into a result, asynchronously (``Pipeline.arun``)."""

    async def __call__(self, article: Article) -> ExtractionResult: ...


@dataclass(frozen=True)
class BadRecord:
    """An input record that could not be read as an article; it becomes an error record."""

    id: str
    message: str
    content_hash: str | None = None
    kind: str = "input"
    source: str | None = None


@dataclass
class BatchEndpoint:
    """One endpoint's extractor, as the runner sees it.

    ``label`` names it in records and logs (never with credentials); ``cache_scope`` says what
    decides its results besides the article (None: its results are not cached); ``concurrency``
    overrides the run's per-endpoint limit.
    """

    extract: AsyncExtract | Callable[[Article], Any]
    label: str = ""
    cache_scope: CacheScope | None = None
    concurrency: int | None = None


def _as_endpoints(extractors: Sequence[AsyncExtract | BatchEndpoint | Callable[[Article], Any]]) -> list[BatchEndpoint]:
    if not extractors:
        raise ConfigError("a batch needs at least one extractor")
    out: list[BatchEndpoint] = []
    for i, e in enumerate(extractors):
        ep = e if isinstance(e, BatchEndpoint) else BatchEndpoint(extract=e)
        if not ep.label:
            ep = BatchEndpoint(ep.extract, label=f"endpoint-{i}" if len(extractors) > 1 else "endpoint",
                               cache_scope=ep.cache_scope, concurrency=ep.concurrency)
        out.append(ep)
    return out


def _jsonl_line_records(lines: Iterable[bytes], source: str) -> Iterator[Article | BadRecord]:
    for lineno, raw in enumerate(lines, 1):
        where = f"{source}:{lineno}"
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield BadRecord(id=f"line-{lineno}", source=where,
                            message=f"{where}: not UTF-8: undecodable byte at offset {exc.start}")
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            yield BadRecord(id=f"line-{lineno}", source=where, message=f"{where}: not JSON: {exc}")
            continue
        yield _record_from_object(obj, lineno, where)


def _record_from_object(obj: Any, lineno: int, where: str) -> Article | BadRecord:
    if not isinstance(obj, dict):
        return BadRecord(id=f"line-{lineno}", source=where,
                         message=f"{where}: expected a JSON object, got {type(obj).__name__}")
    rid = obj.get("id")
    rid = None if rid is None else str(rid)
    text = obj.get("text")
    if not isinstance(text, str):
        what = "no 'text' field" if text is None else f"'text' is {type(text).__name__}, not a string"
        return BadRecord(id=rid or f"line-{lineno}", source=where, message=f"{where}: {what}")
    content_hash = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    try:
        check_article_text(text, source=where, max_bytes=MAX_BYTES)
        fields = {k: obj[k] for k in ("title", "url", "outlet", "published") if obj.get(k) not in (None, "")}
        return Article(text=text, id=rid, **fields)
    except InputError as exc:
        return BadRecord(id=rid or f"line-{lineno}", content_hash=content_hash, source=where, message=str(exc))
    except ValueError as exc:  # pydantic: a bad 'published' date, a non-string title
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in getattr(exc, "errors", list)())
        return BadRecord(id=rid or f"line-{lineno}", content_hash=content_hash, source=where,
                         message=f"{where}: bad metadata: {problems or exc}")


def _folder_records(folder: Path, only: str | None = None) -> Iterator[Article | BadRecord]:
    if only is not None:
        names = [only]
    else:
        names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".txt") and not e.name.startswith("."))
    for name in names:
        path = folder / name
        try:
            yield read_article(path)
        except InputError as exc:
            yield BadRecord(id=path.stem, source=str(path), message=str(exc))


def _binary_lines(stream: IO[Any]) -> Iterator[bytes]:
    buf = getattr(stream, "buffer", None)
    if buf is not None:  # a text stream (sys.stdin): read its bytes, so a bad line is one error record
        yield from buf
        return
    for line in stream:
        yield line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")


def iter_articles(source: str | Path | IO[Any]) -> Iterator[Article | BadRecord]:
    """Read articles lazily from a folder of ``.txt`` files, a JSONL file, one ``.txt`` file, or ``"-"`` (stdin).

    A folder's files are read in name order, each id being the file name without ``.txt``.
    A JSONL record has ``text`` and ``id`` and optionally ``title``, ``url``, ``outlet``,
    ``published``. A record that cannot be read (empty, binary, not UTF-8, not JSON, no text)
    is yielded as a :class:`BadRecord`, not raised. Raises InputError at once when the source
    as a whole is missing.
    """
    if not isinstance(source, str | Path):
        return _jsonl_line_records(_binary_lines(source), getattr(source, "name", "<stream>"))
    if str(source) == "-":
        return _jsonl_line_records(_binary_lines(sys.stdin), "<stdin>")
    path = Path(source)
    if path.is_dir():
        return _folder_records(path)
    if path.is_file():
        if path.suffix.lower() == ".txt":
            return _folder_records(path.parent, only=path.name)
        return _jsonl_file_records(path)
    raise InputError("no such file or folder", source=str(source))


def _jsonl_file_records(path: Path) -> Iterator[Article | BadRecord]:
    with path.open("rb") as fh:
        yield from _jsonl_line_records(fh, str(path))


def count_articles(source: str | Path | IO[Any]) -> int | None:
    """How many records ``source`` holds, for a progress bar's total; None for a stream."""
    if not isinstance(source, str | Path) or str(source) == "-":
        return None
    path = Path(source)
    if path.is_dir():
        return sum(1 for e in os.scandir(path) if e.name.endswith(".txt") and not e.name.startswith("."))
    if path.is_file():
        if path.suffix.lower() == ".txt":
            return 1
        n = 0
        with path.open("rb") as fh:
            for line in fh:
                if line.strip():
                    n += 1
        return n
    return None


# --------------------------------------------------------------------------- output


def _record_key(article_id: str | None, content_hash: str | None) -> int:
    digest = hashlib.blake2b(f"{article_id}\x1f{content_hash}".encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "big")


# Records start with the id and the content hash (the writer puts them first): read them without
# parsing the whole line, which may hold a long result.
_PREFIX = re.compile(rb'\A\{"id":(null|"(?:[^"\\]|\\.)*"),"content_hash":(null|"[0-9a-f]*")[,}]')


def _line_key(line: bytes) -> int | None:
    m = _PREFIX.match(line)
    if m is not None:
        return _record_key(json.loads(m.group(1)), json.loads(m.group(2)))
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    if not isinstance(rec, dict) or "id" not in rec:
        return None
    return _record_key(rec.get("id"), rec.get("content_hash"))


def scan_output(path: Path, *, repair: bool = True) -> tuple[set[int], int]:
    """Keys of the records already in an output file, and how many there are.

    With ``repair``, a torn last line (one without its newline) is cut off. A malformed line in
    the middle is left alone and not counted as done.
    """
    done: set[int] = set()
    count = 0
    if not path.exists():
        return done, 0
    good_end = 0
    with path.open("rb") as fh:
        offset = 0
        for line in fh:
            start, offset = offset, offset + len(line)
            complete = line.endswith(b"\n")
            key = _line_key(line) if complete else None
            if key is not None:
                done.add(key)
                count += 1
                good_end = offset
            elif not complete:  # the last line, torn by a kill in mid-write
                good_end = start
            else:
                logger.warning("%s: skipping a malformed line at byte %d", path, start)
                good_end = offset
        size = offset
    if repair and good_end < size:
        logger.warning("%s: cutting a torn last line (%d bytes)", path, size - good_end)
        with path.open("rb+") as fh:
            fh.truncate(good_end)
    return done, count


def read_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """The records of a batch output file, skipping a torn last line."""
    with Path(path).open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break
            with contextlib.suppress(ValueError):
                yield json.loads(line)


class _Writer:
    """Appends whole lines with one unbuffered write each: a kill leaves at worst one torn last line."""

    def __init__(self, path: Path, append: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        self._fd = os.open(path, flags, 0o644)

    def write(self, record: dict[str, Any], result: ExtractionResult | None = None) -> None:
        """One JSON line: ``record``, with ``result`` (serialised by pydantic, in one pass) as its last key."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        if result is not None:
            line = f'{line[:-1]},"result":{result.model_dump_json()}}}'
        data = (line + "\n").encode("utf-8", "surrogatepass")
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.fsync(self._fd)
        os.close(self._fd)


# --------------------------------------------------------------------------- outcomes


def error_kind(exc: BaseException) -> str:
    """The failure kind recorded for an exception."""
    if isinstance(exc, EndpointError):
        return "endpoint"
    if isinstance(exc, ModelOutputError):
        return "model_output"
    if isinstance(exc, InputError):
        return "input"
    if isinstance(exc, ConfigError):
        return "config"
    if isinstance(exc, asyncio.TimeoutError | TimeoutError):
        return "timeout"
    name = type(exc).__module__.split(".")[0]
    if name in ("openai", "httpx", "httpx2", "httpcore", "httpcore2") or isinstance(exc, ConnectionError):
        return "endpoint"
    if isinstance(exc, LLMExtractError):
        return "other"
    return "internal"


def _error_info(exc: BaseException) -> dict[str, Any]:
    info: dict[str, Any] = {"kind": error_kind(exc), "type": type(exc).__name__, "message": str(exc) or repr(exc)}
    attempts = getattr(exc, "attempts", None)
    if isinstance(attempts, int):
        info["attempts"] = attempts
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        info["status_code"] = status
    raw = getattr(exc, "raw_replies", None)
    if raw:
        info["raw_replies"] = [str(r) for r in raw]
    return info


@dataclass
class BatchItem:
    """One article's outcome, as :func:`iter_extract` yields it."""

    article_id: str | None
    content_hash: str | None
    result: ExtractionResult | None = None
    error: BaseException | None = None
    error_info: dict[str, Any] | None = None
    cached: bool = False
    endpoint: str | None = None
    article: Article | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None

    def unwrap(self) -> ExtractionResult:
        """The result, or the article's error raised (an InputError for a bad record)."""
        if self.result is not None:
            return self.result
        if self.error is not None:
            raise self.error
        raise InputError((self.error_info or {}).get("message", "unreadable record"), source=self.article_id)

    def record(self) -> dict[str, Any]:
        """The JSON-able output line of this outcome."""
        rec = self._head()
        if self.result is not None:
            rec["result"] = self.result.model_dump(mode="json")
        return rec

    def _head(self) -> dict[str, Any]:
        """The output line but the result: what :class:`_Writer` writes before the result's own JSON."""
        rec: dict[str, Any] = {"id": self.article_id, "content_hash": self.content_hash}
        if self.result is not None:
            rec.update(status="ok", cached=self.cached, endpoint=self.endpoint)
        else:
            rec.update(status="error", endpoint=self.endpoint, error=self.error_info)
        return rec


# --------------------------------------------------------------------------- summary


class BatchSummary(BaseModel):
    """What a batch run did."""

    articles: int = Field(0, description="Records written by this run (results and errors).")
    ok: int = 0
    failed: int = 0
    skipped: int = Field(0, description="Already in the output (resume).")
    cached: int = Field(0, description="Results taken from the cache, no request sent.")
    claims: int = 0
    unsupported: int = Field(0, description="Findings whose verdict is not ok (unsupported, derived, misattached).")
    failures: dict[str, int] = Field(default_factory=dict, description="Failed articles by kind.")
    requests: int = Field(0, description="Model requests made (first tries, retries and re-asks).")
    transport_retries: int = 0
    reasks: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    wall_s: float = 0.0
    throughput: float = Field(0.0, description="Articles written per second of wall time.")
    per_endpoint: dict[str, int] = Field(default_factory=dict, description="Articles sent to each endpoint.")
    interrupted: bool = False
    unfinished: int = Field(0, description="In-flight articles abandoned after the grace period (redone on resume).")
    out: str | None = None

    @property
    def exit_code(self) -> int:
        """0 when every article succeeded, 1 when some failed or the run was interrupted."""
        return 1 if (self.failed or self.interrupted) else 0


def _counts_from_provenance(result: ExtractionResult) -> tuple[int, int, int]:
    """(requests, transport retries, re-asks) of one result.

    ``provenance.attempts`` counts model calls (first try + re-asks); ``provenance.transport_retries``
    the requests sent again after a timeout, 429 or 5xx.
    """
    prov = result.provenance
    attempts = max(int(prov.attempts or 0), 1 if prov.model_used else 0)
    reasks = max(attempts - 1, 0)
    retries = prov.transport_retries
    return attempts + retries, retries, reasks


def _counts_from_error(exc: BaseException | None) -> tuple[int, int, int]:
    if exc is None:
        return 0, 0, 0
    attempts = int(getattr(exc, "attempts", 0) or 0)
    retries = int(getattr(exc, "transport_retries", 0) or 0)
    if isinstance(exc, EndpointError):
        # every attempt of an endpoint failure is a transport attempt: the first plus retries
        return attempts, max(attempts - 1, retries), 0
    if isinstance(exc, ModelOutputError):
        return attempts + retries, retries, max(attempts - 1, 0)
    return attempts, retries, 0


@dataclass
class _Counts:
    articles: int = 0
    ok: int = 0
    failed: int = 0
    cached: int = 0
    claims: int = 0
    unsupported: int = 0
    requests: int = 0
    transport_retries: int = 0
    reasks: int = 0
    tokens_in: int = 0
    tokens_out: int = 0


class _Tally:
    def __init__(self) -> None:
        self.s = _Counts()  # plain ints while running (a pydantic model is slow to update)
        self.failures: Counter[str] = Counter()
        self.per_endpoint: Counter[str] = Counter()
        self.t0 = time.perf_counter()

    def add(self, item: BatchItem) -> None:
        s = self.s
        s.articles += 1
        if item.endpoint and not item.cached:
            self.per_endpoint[item.endpoint] += 1
        if item.result is not None:
            s.ok += 1
            r = item.result
            s.claims += len(r.claims)
            s.unsupported += sum(1 for f in r.findings if not f.ok)
            if item.cached:
                s.cached += 1
                return
            requests, retries, reasks = _counts_from_provenance(r)
            s.tokens_in += r.provenance.usage.prompt_tokens
            s.tokens_out += r.provenance.usage.completion_tokens
        else:
            s.failed += 1
            self.failures[(item.error_info or {}).get("kind", "internal")] += 1
            requests, retries, reasks = _counts_from_error(item.error)
        s.requests += requests
        s.transport_retries += retries
        s.reasks += reasks

    def finish(self) -> BatchSummary:
        wall = round(time.perf_counter() - self.t0, 4)
        s = BatchSummary(**vars(self.s))
        s.failures = dict(sorted(self.failures.items()))
        s.per_endpoint = dict(self.per_endpoint)
        s.wall_s = wall
        s.throughput = round(s.articles / wall, 3) if wall > 0 else 0.0
        return s

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0


# --------------------------------------------------------------------------- the engine

_END = object()


class _Engine:
    """Feeds articles from a sync iterable to endpoints under per-endpoint limits; reports each outcome."""

    def __init__(
        self,
        endpoints: list[BatchEndpoint],
        *,
        concurrency: int,
        cache: ResponseCache | None,
        emit: Callable[[BatchItem], None],
        skip: Callable[[Article | BadRecord], bool] | None = None,
        article_timeout_s: float | None = None,
        credits: asyncio.Semaphore | None = None,
        ordered: bool = False,
        keep_articles: bool = False,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"concurrency must be at least 1, got {concurrency}")
        self.endpoints = endpoints
        self.limits = [ep.concurrency or concurrency for ep in endpoints]
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
        self.skipped = 0
        self.interrupted = False
        self.unfinished = 0
        self.fatal: BaseException | None = None
        self.grace_s = 30.0
        self._deadline: float | None = None
        self._slot_free = asyncio.Event()
        self._hard_stop = False
        self._wakeup = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._rr = 0
        # ordered output
        self._seq = 0
        self._next_out = 0
        self._pending: dict[int, BatchItem] = {}

    # -- stopping
    def request_stop(self) -> None:
        """First call: take no new articles, let in-flight ones finish. Second call: abandon them."""
        if not self.interrupted:
            self.interrupted = True
            self._deadline = time.monotonic() + self.grace_s
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
        """An error of the run as a whole (the output cannot be written): stop everything."""
        if self.fatal is None:
            self.fatal = exc
        self.interrupted = True
        self._hard_stop = True
        if self._dispatcher is not None:
            self._dispatcher.cancel()
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
            if self.outstanding[i] < self.limits[i] and (best is None or self.outstanding[i] < self.outstanding[best]):
                best = i
        if best is not None:
            self._rr = (best + 1) % n
        return best

    async def _one(self, seq: int, i: int, article: Article) -> None:
        ep = self.endpoints[i]
        item = BatchItem(article.id, article.content_hash, endpoint=ep.label,
                         article=article if self.keep_articles else None)
        try:
            result = ep.extract(article)
            if inspect.isawaitable(result):
                if self.article_timeout_s:
                    result = await asyncio.wait_for(result, self.article_timeout_s)
                else:
                    result = await result
            if not isinstance(result, ExtractionResult):
                raise TypeError(f"the extractor returned {type(result).__name__}, not an ExtractionResult")
            item.result = result
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # any per-article failure is a record, never a crash of the run
            item.error = exc
            item.error_info = _error_info(exc)
            if item.error_info["kind"] == "internal":
                logger.error("batch: %s: unexpected %s: %s", article.id, type(exc).__name__, exc,
                             exc_info=logger.isEnabledFor(logging.DEBUG))
        finally:
            self.outstanding[i] -= 1
            self._slot_free.set()
        scope = self.scopes[i]
        if item.result is not None and self.cache is not None and scope is not None:
            try:
                self.cache.put(scope, article.content_hash, item.result)
            except Exception as exc:  # a full disk must not lose the result
                logger.warning("batch: cache write failed: %s", exc)
        self._emit(seq, item)

    # -- the loop
    async def _take(self, items: AsyncIterator[Article | BadRecord]) -> None:
        async for entry in items:
            if self.skip is not None and self.skip(entry):
                self.skipped += 1
                continue
            if self.credits is not None:
                await self.credits.acquire()
            seq = self._seq
            self._seq += 1
            if isinstance(entry, BadRecord):
                self._emit(seq, BatchItem(entry.id, entry.content_hash, error_info={
                    "kind": entry.kind, "type": "InputError", "message": entry.message}))
                continue
            if self.use_cache:
                found = None
                try:
                    found = self.cache.lookup(self.scopes, entry.content_hash)  # type: ignore[union-attr]
                except Exception as exc:
                    logger.warning("batch: cache read failed: %s", exc)
                if found is not None:
                    i, cached = found
                    cached.article_id = entry.id
                    self._emit(seq, BatchItem(entry.id, entry.content_hash, result=cached, cached=True,
                                              endpoint=self.endpoints[i].label,
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
            task.add_done_callback(self.tasks.discard)

    async def run(self, items: AsyncIterator[Article | BadRecord], grace_s: float) -> None:
        self.grace_s = grace_s
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
    exc: BaseException


# --------------------------------------------------------------------------- progress


class _Progress:
    """A rich progress bar on a terminal, else a log line every ``every_s`` seconds."""

    def __init__(self, enabled: bool, total: int | None, tally: _Tally, every_s: float = 10.0) -> None:
        self.enabled = enabled
        self.tally = tally
        self.total = total
        self.every_s = every_s
        self._last_log = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]batch"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[claims]} claims"), TextColumn("[red]{task.fields[failed]} failed"),
                TextColumn("{task.fields[rps]} req/s"), TimeElapsedColumn(), TextColumn("ETA"),
                TimeRemainingColumn(), console=Console(stderr=True), transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("batch", total=total, claims=0, failed=0, rps="0.0")

    def update(self, skipped: int = 0) -> None:
        if not self.enabled:
            return
        s = self.tally.s
        if self._bar is not None:
            elapsed = self.tally.elapsed()
            rps = f"{s.requests / elapsed:.1f}" if elapsed > 0 else "0.0"
            self._bar.update(self._task, completed=s.articles + skipped, claims=s.claims, failed=s.failed, rps=rps)
            return
        now = time.monotonic()
        if now - self._last_log >= self.every_s:
            self._last_log = now
            self.log(skipped)

    def log(self, skipped: int = 0) -> None:
        s = self.tally.s
        elapsed = self.tally.elapsed()
        done = s.articles + skipped
        of = f"/{self.total}" if self.total else ""
        rate = s.articles / elapsed if elapsed > 0 else 0.0
        eta = ""
        if self.total and rate > 0:
            eta = f", ETA {max(self.total - done, 0) / rate:.0f}s"
        logger.info("batch: %d%s done (%d skipped), %d claims, %d failed, %.1f req/s, %.2f articles/s%s",
                    done, of, skipped, s.claims, s.failed, s.requests / elapsed if elapsed > 0 else 0.0, rate, eta)

    def close(self, skipped: int = 0) -> None:
        if self._bar is not None:
            self.update(skipped)
            self._bar.stop()
        elif self.enabled:
            self.log(skipped)


# --------------------------------------------------------------------------- run_batch


async def run_batch(
    articles: Iterable[Article | BadRecord],
    extractors: Sequence[AsyncExtract | BatchEndpoint | Callable[[Article], Any]],
    out: str | Path,
    *,
    concurrency: int = 4,
    resume: bool = False,
    cache: ResponseCache | None = None,
    progress: bool = False,
    grace_s: float = 30.0,
    total: int | None = None,
    article_timeout_s: float | None = None,
    handle_signals: bool = True,
    queue_size: int | None = None,
) -> BatchSummary:
    """Run every article through the extractors and stream one JSON line per article to ``out``.

    ``extractors`` has one async extractor per endpoint (``Pipeline.arun`` or a
    :class:`BatchEndpoint` naming it and its cache scope); each gets at most ``concurrency``
    articles at a time and a new article goes to the one with the fewest in flight.
    ``resume`` keeps ``out`` (cutting a torn last line) and skips the articles it already holds;
    without it ``out`` is overwritten. ``cache`` answers unchanged articles without a request.
    On SIGINT/SIGTERM (when ``handle_signals`` and running in the main thread) in-flight articles
    get ``grace_s`` seconds to finish. Per-article failures become error records; nothing but a
    broken output file or input source raises.
    """
    endpoints = _as_endpoints(extractors)
    out = Path(out)
    done: set[int] = set()
    if resume:
        done, existing = scan_output(out)
        logger.info("batch: resuming %s: %d record(s) already there", out, existing)
    writer = _Writer(out, append=resume)
    tally = _Tally()
    bar = _Progress(progress, total, tally)
    engine: _Engine

    def emit(item: BatchItem) -> None:
        writer.write(item._head(), item.result)  # the same line as json.dumps(item.record()), made faster
        tally.add(item)
        bar.update(engine.skipped)

    def skip(entry: Article | BadRecord) -> bool:
        if not done:
            return False
        return _record_key(entry.id, entry.content_hash) in done

    engine = _Engine(endpoints, concurrency=concurrency, cache=cache, emit=emit, skip=skip if resume else None,
                     article_timeout_s=article_timeout_s)
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
        await engine.run(_aiter_threaded(articles, window, stop), grace_s)
    finally:
        stop.set()
        for sig in installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
        bar.close(engine.skipped)
        writer.close()
    summary = tally.finish()
    summary.skipped = engine.skipped
    summary.interrupted = engine.interrupted
    summary.unfinished = engine.unfinished
    summary.out = str(out)
    logger.info("batch: %d article(s) written (%d ok, %d failed, %d cached, %d skipped) in %.1fs",
                summary.articles, summary.ok, summary.failed, summary.cached, summary.skipped, summary.wall_s)
    return summary


def run_batch_sync(*args: Any, **kwargs: Any) -> BatchSummary:
    """:func:`run_batch` in a fresh event loop (for the CLI)."""
    return asyncio.run(run_batch(*args, **kwargs))


# --------------------------------------------------------------------------- a plain iterator


def iter_extract(
    articles: Iterable[Article | BadRecord],
    extractors: Sequence[AsyncExtract | BatchEndpoint | Callable[[Article], Any]],
    *,
    concurrency: int = 4,
    cache: ResponseCache | None = None,
    ordered: bool = True,
    article_timeout_s: float | None = None,
    keep_articles: bool = False,
) -> Iterator[BatchItem]:
    """Extract many articles concurrently, as a plain (synchronous) iterator of :class:`BatchItem`.

    An event loop runs in a background thread; at most about 2 x ``concurrency`` x endpoints
    articles are read ahead, in flight or waiting to be consumed, so memory stays bounded however
    long the input. ``ordered`` yields in input order (else as they finish). Breaking out of the
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
                             keep_articles=keep_articles)
            await engine.run(_aiter_threaded(articles, max(2, window // 2), stop), grace_s=0)
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


# --------------------------------------------------------------------------- summary table


def summary_table(summary: BatchSummary, *, title: str = "batch summary") -> Any:
    """A rich Table of a summary, for the CLI to print (``Console(stderr=True).print(summary_table(s))``)."""
    from rich.table import Table

    s = summary
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    rows: list[tuple[str, str]] = [
        ("articles written", f"{s.articles:,}"),
        ("  ok", f"{s.ok:,}"),
        ("  failed", f"{s.failed:,}"),
    ]
    for kind, n in s.failures.items():
        rows.append((f"    {kind}", f"{n:,}"))
    rows += [
        ("skipped (already done)", f"{s.skipped:,}"),
        ("from cache", f"{s.cached:,}"),
        ("claims", f"{s.claims:,}"),
        ("unsupported findings", f"{s.unsupported:,}"),
        ("model requests", f"{s.requests:,}"),
        ("  transport retries", f"{s.transport_retries:,}"),
        ("  re-asks", f"{s.reasks:,}"),
        ("tokens in / out", f"{s.tokens_in:,} / {s.tokens_out:,}"),
        ("wall time", f"{s.wall_s:,.1f} s"),
        ("throughput", f"{s.throughput:,.2f} articles/s"),
    ]
    if len(s.per_endpoint) > 1:
        for label, n in s.per_endpoint.items():
            rows.append((f"  via {label}", f"{n:,}"))
    if s.interrupted:
        rows.append(("interrupted", f"yes ({s.unfinished} unfinished; run again with --resume)"))
    for k, v in rows:
        table.add_row(k, v)
    return table


# --------------------------------------------------------------------------- endpoints from settings


def async_http_client(concurrency: int) -> Any:
    """An ``httpx2.AsyncClient`` for the openai client whose connection pool matches ``concurrency``."""
    import httpx2
    import openai

    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency,
                           keepalive_expiry=30.0)
    return openai.DefaultAsyncHttpxClient(limits=limits)


@dataclass
class _Built:
    endpoints: list[BatchEndpoint]
    pipelines: list[Any]
    clients: list[Any]

    async def aclose(self) -> None:
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
    each with a connection pool of ``concurrency`` and a cache scope.

    With ``prepare`` the model and profile of each endpoint are settled first (``GET /models`` when
    either was not given), since both are part of the cache key. ``options`` go to ``Pipeline.create``
    (profile, timeout, transport_retries, reask_budget, grounded_schema).
    """
    from llmextract.pipeline import Pipeline

    built = _Built([], [], [])
    try:
        for url in endpoints or [None]:
            client = async_http_client(concurrency)
            built.clients.append(client)
            pipeline = Pipeline.create(url, model, api_key, policy=policy, async_http_client=client, **options)
            built.pipelines.append(pipeline)
            scope: CacheScope | None = None
            label = "offline"
            llm = pipeline.llm
            if llm is not None:
                if prepare:
                    await llm.aprepare()
                ident = pipeline.cache_identity()
                label = str(ident.get("endpoint") or llm.endpoint)
                scope = CacheScope.of(ident.get("endpoint"), ident.get("model"), ident.get("prompt_hash"),
                                      profile=llm.profile, policy=policy,
                                      grounded_schema=bool(options.get("grounded_schema")))
            built.endpoints.append(BatchEndpoint(extract=pipeline.arun, label=label, cache_scope=scope))
    except BaseException:
        await built.aclose()
        raise
    return built


# --------------------------------------------------------------------------- the library's extract_many


@dataclass
class ArticleError:
    """What :func:`extract_many` yields for an article that failed (its input or its extraction)."""

    article_id: str | None
    content_hash: str | None
    kind: str  # endpoint, model_output, input, timeout, config, internal
    message: str
    raw_replies: list[str] = field(default_factory=list)
    exception: BaseException | None = None

    @property
    def ok(self) -> bool:
        return False

    def raise_(self) -> None:
        """Raise the article's error (an InputError for an unreadable record)."""
        if self.exception is not None:
            raise self.exception
        raise InputError(self.message, source=self.article_id)


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
    article_timeout_s: float | None = None,
    **options: Any,
) -> Iterator[ExtractionResult | ArticleError]:
    """Extract many articles concurrently; a plain iterator of one outcome per article.

    Yields an ExtractionResult, or an :class:`ArticleError` for an article that failed, in input
    order (``ordered=False``: as they finish). ``endpoint`` may list several URLs; each gets
    ``concurrency`` requests at a time. ``cache=True`` uses the default on-disk cache. The work
    runs on an event loop in a background thread, reading ``articles`` lazily; leaving the loop
    early cancels what is in flight. ``options`` go to ``Pipeline.create``.
    """
    urls: list[str | None] = [endpoint] if endpoint is None or isinstance(endpoint, str) else list(endpoint)
    store = ResponseCache() if cache is True else (cache or None)

    def as_items(src: Iterable[Article | str | BadRecord]) -> Iterator[Article | BadRecord]:
        for n, a in enumerate(src):
            if isinstance(a, Article | BadRecord):
                yield a
                continue
            try:
                from llmextract.io import as_article

                yield as_article(a)
            except InputError as exc:
                yield BadRecord(id=f"item-{n}", message=str(exc))

    holder: dict[str, _Built] = {}

    # Pipelines hold async clients bound to the runner's loop, so they are built inside it.
    async def setup() -> list[BatchEndpoint]:
        holder["built"] = await build_endpoints(urls, model=model, api_key=api_key, concurrency=concurrency,
                                                policy=policy, **options)
        return holder["built"].endpoints

    async def teardown() -> None:
        if "built" in holder:
            await holder["built"].aclose()

    for item in _iter_engine(as_items(articles), setup, teardown, concurrency=concurrency, cache=store,
                             ordered=ordered, article_timeout_s=article_timeout_s, keep_articles=False):
        if item.result is not None:
            yield item.result
        else:
            info = item.error_info or {}
            yield ArticleError(item.article_id, item.content_hash, kind=str(info.get("kind", "internal")),
                               message=str(info.get("message", "")), raw_replies=list(info.get("raw_replies", [])),
                               exception=item.error)


# --------------------------------------------------------------------------- command line: llmextract batch


def add_batch_parser(sub: Any, add_endpoint_args: Callable[[Any], None]) -> Any:
    """Add ``llmextract batch`` to the CLI's subparsers (``add_endpoint_args`` adds the shared endpoint options)."""
    p = sub.add_parser(
        "batch", help="extract many articles to a JSONL file (concurrent, resumable)", conflict_handler="resolve",
        description="Run a folder of .txt files, a JSONL file of articles (id, text, optional title, url, outlet, "
                    "published) or - (JSONL on stdin) through the extractor, one JSON line per article in --out.",
    )
    p.add_argument("input", metavar="INPUT", help="folder of .txt files, JSONL file, or - for stdin")
    add_endpoint_args(p)
    p.add_argument("--endpoint", action="append", default=None, metavar="URL",
                   help="OpenAI-compatible base URL; repeat to share the load across several servers "
                        "(default: $LLMEXTRACT_BASE_URL, then $OPENAI_BASE_URL; none: offline extractor)")
    p.add_argument("-o", "--out", required=True, metavar="RESULTS.jsonl", help="output file, one JSON line per article")
    p.add_argument("-c", "--concurrency", type=int, default=4, metavar="N", help="requests in flight per endpoint")
    p.add_argument("--resume", action="store_true",
                   help="keep --out and skip the articles it already holds (same id and text)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the on-disk result cache")
    p.add_argument("--cache-path", metavar="FILE",
                   help="the result cache (default: $LLMEXTRACT_CACHE_DIR/results.sqlite3 or "
                        ".llmextract-cache/results.sqlite3)")
    p.add_argument("--retries", type=int, metavar="N", help="transport retries per request (default 3)")
    p.add_argument("--reasks", type=int, metavar="N", help="re-asks when a reply does not fit (default 2)")
    p.add_argument("--grace", type=float, default=30.0, metavar="S",
                   help="on Ctrl-C, seconds to let in-flight articles finish (default 30)")
    p.add_argument("--article-timeout", type=float, metavar="S", help="give up on one article after S seconds")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    p.add_argument("--summary", choices=["table", "json"], default="table", help="how to print the summary")
    p.set_defaults(func=cmd_batch)
    return p


def cmd_batch(args: Any) -> int:
    """``llmextract batch``: 0 all articles ok, 1 some failed or the run was interrupted, 2 bad usage or input."""
    from rich.console import Console

    out = Path(args.out)
    if args.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if out.exists() and out.stat().st_size > 0 and not (args.resume or args.overwrite):
        raise InputError("exists; pass --resume to continue it or --overwrite to replace it", source=str(out))
    if args.input != "-" and Path(args.input).resolve() == out.resolve():
        raise InputError("the input and the output are the same file", source=str(out))
    articles = iter_articles(args.input)
    progress = not args.no_progress
    total = count_articles(args.input) if progress else None
    if progress and not sys.stderr.isatty():
        logging.getLogger(__name__).setLevel(logging.INFO)  # plain progress lines at the default verbosity
    cache = None if args.no_cache else ResponseCache(args.cache_path)
    options: dict[str, Any] = {}
    for name, value in (("profile", args.profile), ("timeout", args.timeout), ("transport_retries", args.retries),
                        ("reask_budget", args.reasks)):
        if value is not None:
            options[name] = value

    async def main() -> BatchSummary:
        built = await build_endpoints(args.endpoint or [None], model=args.model, concurrency=args.concurrency,
                                      policy=args.policy, **options)
        try:
            return await run_batch(articles, built.endpoints, out, concurrency=args.concurrency, resume=args.resume,
                                   cache=cache, progress=progress, grace_s=args.grace, total=total,
                                   article_timeout_s=args.article_timeout)
        finally:
            await built.aclose()

    try:
        summary = asyncio.run(main())
    finally:
        if cache is not None:
            cache.close()
    if args.summary == "json":
        sys.stdout.write(summary.model_dump_json() + "\n")
    else:
        Console(highlight=False).print(summary_table(summary))
        if summary.interrupted:
            Console(stderr=True, highlight=False).print(
                f"llmextract: interrupted; run again with --resume to finish ({out})")
    if summary.interrupted:
        return 130
    return summary.exit_code
