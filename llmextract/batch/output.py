"""The batch output file: its lock, the line writer, the resume scan, compaction, and reading the records back.

One JSON object a line, appended while the run goes, each written whole by one unbuffered write,
so a kill leaves at worst a torn last line. A line counts only when it parses whole (a torn line,
or one with garbage appended, is as if it were not there: its article is done again), and **the
last line per article id wins**: a retried article's new record supersedes its old one. At the
end of a run the file is compacted (:func:`_compact`: a temporary file renamed over it, so a crash
leaves the old file or the new, never half of one) to one current record per article.

A run holds :class:`_OutputLock` on the output for its whole duration: a ``flock`` on a sidecar
file ``OUT.lock`` holding the run's pid, so a second run on the same output refuses at once,
naming the holder, instead of both writing (and a kill releases it: the kernel drops the lock).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from llmextract.batch.digests import DigestMap, DigestSet, digest
from llmextract.errors import OutputError
from llmextract.schema import ExtractionResult

logger = logging.getLogger(__name__)

__all__ = ["read_records", "scan_output"]


# --------------------------------------------------------------------------- reading lines


def _parse_line(line: bytes) -> dict[str, Any] | None:
    """A record when ``line`` is one whole JSON object with an ``id`` and its newline; else None."""
    if not line.endswith(b"\n"):
        return None
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    if not isinstance(rec, dict) or "id" not in rec:
        return None
    return rec


def _id_key(rec: dict[str, Any]) -> int:
    """The digest of a record's article id (the key of "the last line per id")."""
    return digest("id", json.dumps(rec.get("id"), sort_keys=True))


def _latest_lines(path: Path) -> tuple[bytearray, int]:
    """Which lines of ``path`` are the last whole line of their article id (one flag a line), and how
    many lines there are. Memory: a byte a line and a digest map entry an id, not the records."""
    last_line = DigestMap()
    latest = bytearray()
    for n, (_, line) in enumerate(_lines(path)):
        rec = _parse_line(line)
        latest.append(rec is not None)
        if rec is not None:
            key = _id_key(rec)
            before = last_line.get(key)
            if before is not None:
                latest[before] = 0
            last_line.put(key, n)
    return latest, len(latest)


def _is_ok(rec: dict[str, Any]) -> bool:
    """A result, not an error record (a record with neither ``status`` nor ``error`` counts as a result)."""
    return rec.get("status", "ok") == "ok" and "error" not in rec


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(byte offset, line) of every line of ``path``, the last one without its newline if torn."""
    with path.open("rb") as fh:
        offset = 0
        for line in fh:
            yield offset, line
            offset += len(line)


def read_records(path: str | Path, *, latest: bool = True) -> Iterator[dict[str, Any]]:
    """The records of a batch output file, in file order: the last whole line of each article id.

    Lines that do not parse whole (torn, garbage appended) are skipped. ``latest=False`` yields
    every whole line, superseded ones too (what the file holds, line by line).
    """
    path = Path(path)
    if not latest:
        for _, line in _lines(path):
            rec = _parse_line(line)
            if rec is not None:
                yield rec
        return
    keep, _ = _latest_lines(path)
    for n, (_, line) in enumerate(_lines(path)):
        if n < len(keep) and keep[n]:
            rec = _parse_line(line)
            if rec is not None:
                yield rec


# --------------------------------------------------------------------------- the resume scan


def _record_key(article_id: str | None, content_hash: str | None) -> int:
    """An article's identity in an output file: a digest of its id and the hash of its text."""
    return digest(article_id, content_hash)


@dataclass
class _Scan:
    """What an output file holds, as a resumed run needs it."""

    done: DigestSet = field(default_factory=DigestSet)  # keys of the articles whose current record counts as done
    records: int = 0  # whole lines
    articles: int = 0  # distinct ids
    failed: int = 0  # articles whose current record is an error (retried unless skip_failed)
    bad: int = 0  # lines that do not parse whole
    makers: dict[tuple[str, str | None], int] = field(default_factory=dict)  # (endpoint, model) -> records
    torn_bytes: int = 0  # a torn last line, cut off

    @property
    def dirty(self) -> bool:
        """Superseded or unreadable lines that compaction would drop."""
        return self.bad > 0 or self.records > self.articles


def _maker(rec: dict[str, Any]) -> tuple[str, str | None] | None:
    """(endpoint, model) that made a record; None for an input record never sent anywhere."""
    endpoint = rec.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        return None
    model = rec.get("model")
    if model is None:  # a record written before records named their model
        result = rec.get("result")
        prov = result.get("provenance") if isinstance(result, dict) else None
        model = prov.get("model") if isinstance(prov, dict) else None
    return endpoint, model if isinstance(model, str) else None


def _scan(path: Path, *, skip_failed: bool = False, repair: bool = True) -> _Scan:
    """Read an output file as a resumed run sees it; with ``repair``, cut a torn last line off.

    An article is done when its last whole line is a result (or, with ``skip_failed``, any record).
    """
    scan = _Scan()
    if not path.exists():
        return scan
    current = DigestMap()  # id -> its last whole line's record key, the lowest bit set when it is a result
    good_end = size = 0
    for offset, line in _lines(path):
        size = offset + len(line)
        if not line.endswith(b"\n"):  # the last line, torn by a kill in mid-write
            good_end = offset
            continue
        good_end = size
        rec = _parse_line(line)
        if rec is None:
            scan.bad += 1
            logger.warning("%s: a line that does not parse whole at byte %d: its article is done again", path, offset)
            continue
        scan.records += 1
        current.put(_id_key(rec), (_record_key(rec.get("id"), rec.get("content_hash")) & ~1) | _is_ok(rec))
        maker = _maker(rec)
        if maker is not None:
            scan.makers[maker] = scan.makers.get(maker, 0) + 1
    scan.articles = len(current)
    for value in current.values():
        ok = bool(value & 1)
        if ok or skip_failed:
            scan.done.add(value & ~1)
        if not ok:
            scan.failed += 1
    del current
    if repair and good_end < size:
        scan.torn_bytes = size - good_end
        logger.warning("%s: cutting a torn last line (%d bytes)", path, size - good_end)
        with path.open("rb+") as fh:
            fh.truncate(good_end)
    return scan


def _is_done(done: DigestSet, article_id: str | None, content_hash: str | None) -> bool:
    """Whether ``done`` (a scan's) holds the article with this id and text."""
    return (_record_key(article_id, content_hash) & ~1) in done


def scan_output(path: Path, *, repair: bool = True) -> tuple[set[int], int]:
    """Keys (:func:`_record_key`, lowest bit cleared) of the articles an output file holds a result for,
    and its whole lines.

    With ``repair``, a torn last line (one without its newline) is cut off. A line that does not
    parse whole is not counted, and an article whose last record is an error is not done.
    """
    scan = _scan(Path(path), repair=repair)
    return set(scan.done), scan.records


# --------------------------------------------------------------------------- compaction


def _compact(path: Path) -> int:
    """Rewrite ``path`` to its last whole line per article id, atomically; the lines dropped.

    The kept lines go, in file order, to a temporary file beside it, which is synced and renamed
    over it: a crash at any point leaves either the old file or the new one. Nothing is rewritten
    when nothing would be dropped. The caller holds the output's lock.
    """
    keep, total = _latest_lines(path)
    dropped = total - sum(keep)
    if dropped == 0:
        return 0
    target = Path(os.path.realpath(path))  # through a symlink: replace the file, not the link
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            for n, (_, line) in enumerate(_lines(path)):
                if n < total and keep[n]:
                    out.write(line)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself, durable
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return dropped


# --------------------------------------------------------------------------- the lock


class _OutputLock:
    """An exclusive ``flock`` on ``OUT.lock`` for a run's duration, holding the run's pid.

    :meth:`acquire` raises OutputError naming the holder's pid when another run holds it. The lock
    file is removed on release (while still locked; an acquirer checks that the file it locked is
    still the one at the path, so a removal never lets two runs hold it at once).
    """

    def __init__(self, out: Path) -> None:
        self.out = out
        real = Path(os.path.realpath(out))  # two names of one file (a symlink) share one lock
        self.path = real.with_name(real.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        for _ in range(20):  # bounded: each retry means a holder removed the file as we opened it
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise _output_error(self.out, exc, "cannot make its lock file") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _read_pid(fd)
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    who = f"pid {holder}" if holder else "a process whose pid it does not say"
                    raise OutputError(f"{self.out}: in use by another batch run ({who}); wait for it to end, "
                                      "or write to another output", path=str(self.out)) from None
                raise _output_error(self.out, exc, "cannot lock it") from exc
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._fd = fd
            return
        raise OutputError(f"{self.out}: could not take its lock ({self.path} keeps changing)", path=str(self.out))

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> _OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        data = os.pread(fd, 32, 0)
        return int(data.split()[0]) if data.strip() else None
    except (OSError, ValueError, IndexError):
        return None


def _output_error(out: Path | str, exc: OSError, what: str = "cannot write it") -> OutputError:
    """One line for an OSError of the output: the path, what failed and the system's reason."""
    reason = exc.strerror or type(exc).__name__
    if exc.errno is not None:
        reason = f"{reason} (errno {exc.errno})"
    return OutputError(f"{out}: {what}: {reason}", path=str(out))


# --------------------------------------------------------------------------- the writer


class _Writer:
    """Appends whole lines with one unbuffered write each: a kill leaves at worst one torn last line.

    ``path`` None writes to ``stream`` (standard output), flushed after every line and never closed.
    """

    def __init__(self, path: Path | None, append: bool, *, stream: IO[bytes] | None = None) -> None:
        self.written = 0
        self._stream = stream
        self._fd = -1
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
            self._fd = os.open(path, flags, 0o644)
        elif stream is None:
            raise ValueError("a writer needs a path or a stream")

    def write(self, record: dict[str, Any], result: ExtractionResult | None = None) -> None:
        """One JSON line: ``record``, with ``result`` (serialised by pydantic, in one pass) as its last key."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
        if result is not None:
            line = f'{line[:-1]},"result":{result.model_dump_json()}}}'
        data = (line + "\n").encode("utf-8", "surrogatepass")
        if self._stream is not None:
            self._stream.write(data)
            self._stream.flush()
            self.written += 1
            return
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        self.written += 1

    def close(self) -> None:
        if self._stream is not None:
            return
        with contextlib.suppress(OSError):
            os.fsync(self._fd)
        os.close(self._fd)
