"""The result cache: finished results on disk, so a re-run of an unchanged batch sends nothing.

What is cached is the finished :class:`~llmextract.schema.ExtractionResult` of one article
(claims, findings, provenance with the raw replies), keyed by

    store format + result schema version + llmextract version
    + endpoint (without credentials) + model + prompt hash + options digest + article content hash

where the options digest covers whatever else changes a result (structured-output profile,
grounding policy, grounded schema). Results rather than raw HTTP replies, because a hit then
costs nothing at all (no re-grounding) and a result already carries its raw replies for review;
the price is that a change to the extractor or grounding code must change the key, which the
package version in it does on every release, and a change to the result's layout bumps
:data:`~llmextract.schema.SCHEMA_VERSION`: neither ever serves a stale result.

Only successful results are stored: an article that failed is tried again on the next run.
The store is one SQLite file (stdlib ``sqlite3``, WAL mode), ``results.sqlite3`` in
:func:`~llmextract.config.cache_dir`, safe to share between processes; a key never holds a
secret: endpoints pass through :func:`~llmextract.config.safe_url` before use.

The cache is an optimisation, so it never fails a run, and it repairs itself once rather than
complaining forever: an entry that no longer reads back as a result is deleted (one warning),
a store that SQLite calls corrupt or "not a database" is moved aside to ``results.sqlite3.corrupt``
and a new one started (one warning), and any other failure (a read-only folder, a lock held too
long) turns the cache off for the rest of the session (one warning).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from llmextract._version import __version__
from llmextract.config import cache_dir, safe_url
from llmextract.schema import SCHEMA_VERSION, ExtractionResult

logger = logging.getLogger(__name__)

__all__ = ["CacheScope", "ResponseCache"]

#: The cache's file in :func:`~llmextract.config.cache_dir`.
FILENAME = "results.sqlite3"
_FORMAT = 1  # bump when the stored layout changes
_T = TypeVar("_T")
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def _is_corrupt(exc: BaseException) -> bool:
    """SQLite says the file is damaged or is not a database at all."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int) and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return True
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


def _safe(url: str | None) -> str:
    return safe_url(url) if url else ""


@dataclass(frozen=True)
class CacheScope:
    """What, besides the article, decides a result: one per configured endpoint."""

    endpoint: str
    model: str
    prompt_hash: str
    options: str = ""  # a digest of every other setting that changes the result

    @classmethod
    def of(cls, endpoint: str | None, model: str | None, prompt_hash: str | None,
           **options: Any) -> CacheScope:
        """Build a scope; ``options`` (JSON-able settings) are digested."""
        blob = json.dumps(options, sort_keys=True, default=str)
        return cls(endpoint=_safe(endpoint), model=model or "", prompt_hash=prompt_hash or "",
                   options=hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16])

    def key(self, content_hash: str) -> str:
        """The store's key of an article's result under this scope, in this schema and package version."""
        blob = "\x1f".join((str(_FORMAT), str(SCHEMA_VERSION), __version__, _safe(self.endpoint), self.model,
                            self.prompt_hash, self.options, content_hash))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """A SQLite file of ExtractionResults, ``cache_dir() / "results.sqlite3"`` unless given. Thread-safe.

    :meth:`lookup`, :meth:`get` and :meth:`put` never raise: a failure turns the cache off (``disabled``).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else cache_dir() / FILENAME
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self.disabled = False  # turned off after a failure it could not repair (said once)

    # -- connection
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS results ("
                    " key TEXT PRIMARY KEY, endpoint TEXT, model TEXT, prompt_hash TEXT, content_hash TEXT,"
                    " created REAL, value TEXT NOT NULL)"
                )
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _close_conn(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def _use(self, what: str, op: Callable[[sqlite3.Connection], _T]) -> _T | None:
        """``op`` on the store, under the lock; None when the cache is off or has just been turned off.

        A corrupt store is moved aside and ``op`` tried once on a new one; any other failure turns
        the cache off. Either says so once.
        """
        with self._lock:
            for attempt in (0, 1):
                if self.disabled:
                    return None
                try:
                    return op(self._db())
                except (sqlite3.Error, OSError) as exc:
                    self._close_conn()
                    if attempt == 0 and _is_corrupt(exc) and self._set_aside(exc):
                        continue
                    self.disabled = True
                    logger.warning("cache: %s %s failed (%s); the result cache is off for the rest of this run",
                                   self.path, what, exc)
            return None

    def _set_aside(self, exc: BaseException) -> bool:
        """Move a corrupt store out of the way (and its WAL files); True when a new one can be started."""
        aside = self.path.with_name(self.path.name + ".corrupt")
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.path.with_name(self.path.name + suffix))
        except OSError:
            return False
        logger.warning("cache: %s is corrupt (%s); moved it to %s and started a new one", self.path, exc, aside)
        return True

    def close(self) -> None:
        with self._lock:
            self._close_conn()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads and writes
    def get(self, scope: CacheScope, content_hash: str) -> ExtractionResult | None:
        found = self.lookup([scope], content_hash)
        return found[1] if found else None

    def lookup(self, scopes: Sequence[CacheScope | None], content_hash: str) -> tuple[int, ExtractionResult] | None:
        """The first cached result under any of ``scopes`` (one per endpoint), with the scope's index.

        Several endpoints serving the same model each have their own scope; looking under all of
        them means a re-run hits whichever endpoint happened to serve the article last time. An
        entry that does not read back as a result is deleted, so it is reported once, not on every run.
        """
        keys = [(i, s.key(content_hash)) for i, s in enumerate(scopes) if s is not None]
        if not keys:
            return None

        def find(db: sqlite3.Connection) -> tuple[int, ExtractionResult] | None:
            for i, key in keys:
                row = db.execute("SELECT value FROM results WHERE key = ?", (key,)).fetchone()
                if row is None:
                    continue
                try:
                    result = ExtractionResult.model_validate_json(row[0])
                except ValueError:
                    logger.warning("cache: dropping an unreadable entry %s", key[:12])
                    db.execute("DELETE FROM results WHERE key = ?", (key,))
                    continue
                self.hits += 1
                return i, result
            self.misses += 1
            return None

        return self._use("read", find)

    def put(self, scope: CacheScope, content_hash: str, result: ExtractionResult) -> None:
        value = result.model_dump_json(exclude_computed_fields=True)  # Count forbids extras: keep it loadable

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO results (key, endpoint, model, prompt_hash, content_hash, created, value)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (scope.key(content_hash), _safe(scope.endpoint), scope.model, scope.prompt_hash, content_hash,
                 time.time(), value),
            )
            self.writes += 1

        self._use("write", write)

    def __len__(self) -> int:
        with self._lock:
            return int(self._db().execute("SELECT COUNT(*) FROM results").fetchone()[0])

    def clear(self) -> None:
        with self._lock:
            self._db().execute("DELETE FROM results")

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "writes": self.writes}
