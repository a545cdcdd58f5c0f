"""Reading a batch's input, lazily: a folder of ``.txt`` files, a JSONL file, one ``.txt`` file, or stdin.

Every record becomes an :class:`~llmextract.schema.Article`, or a :class:`BadRecord` saying why
it could not (empty, binary, not UTF-8, not JSON, no text, bad metadata, one line per bad field):
a bad record is a value the runner writes as an error record, never an exception that stops the
run. Only a source unusable as a whole (missing, not a regular file) raises, and at once.

A folder is read by :func:`scan_folder`, which also says what it left out and why (not ``.txt``,
hidden, not a regular file, a subfolder without ``recursive``). A JSON line longer than
:data:`MAX_LINE_BYTES` is a bad record, and the stream is not read past it (``/dev/zero`` is
not one endless line in memory).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from llmextract.errors import InputError
from llmextract.io import MAX_BYTES, check_article_text, read_article, what_it_is
from llmextract.schema import Article

__all__ = ["MAX_LINE_BYTES", "SUBFOLDER", "BadRecord", "FolderScan", "count_articles", "iter_articles", "scan_folder"]

#: The longest JSON line read: an article at the size limit with every character escaped, and room to spare.
MAX_LINE_BYTES = 6 * MAX_BYTES + (1 << 16)


@dataclass(frozen=True)
class BadRecord:
    """An input record that could not be read as an article; it becomes an error record."""

    id: str
    message: str
    content_hash: str | None = None
    source: str | None = None

    def as_error(self) -> InputError:
        """The record's failure as the typed error (its message as it is: it names the place already)."""
        error = InputError(self.message)
        error.source = self.source
        return error


def iter_articles(source: str | Path | IO[Any], *, recursive: bool = False) -> Iterator[Article | BadRecord]:
    """Read articles lazily from a folder of ``.txt`` files, a JSONL file, one ``.txt`` file, or ``"-"`` (stdin).

    A folder's files are read in name order, each id being the file's path below the folder
    without ``.txt`` (``recursive`` reads its subfolders too: ids like ``2019/a``; see
    :func:`scan_folder` for what is left out). A JSONL record has ``text`` and ``id`` and
    optionally ``title``, ``url``, ``outlet``, ``published`` (a date, or an ISO 8601 date and
    time). A record that cannot be read (empty, binary, not UTF-8, not JSON, no text, bad
    metadata) is yielded as a :class:`BadRecord`, not raised. Raises InputError at once when the
    source as a whole is missing or is not a regular file.
    """
    if not isinstance(source, str | Path):
        return _jsonl_line_records(_binary_lines(source), getattr(source, "name", "<stream>"))
    if str(source) == "-":
        return _jsonl_line_records(_binary_lines(sys.stdin), "<stdin>")
    path = Path(source)
    kind = _kind(path)
    if kind == "dir":
        return _folder_records(path, scan_folder(path, recursive=recursive).files)
    if kind == "file":
        if path.suffix.lower() == ".txt":
            return _folder_records(path.parent, [(path.stem, path)])
        return _jsonl_file_records(path)
    if kind == "missing":
        raise InputError("no such file or folder", source=str(source))
    raise InputError(kind, source=str(source))


def count_articles(source: str | Path | IO[Any], *, recursive: bool = False) -> int | None:
    """How many records ``source`` holds, for a progress bar's total; None for a stream."""
    if not isinstance(source, str | Path) or str(source) == "-":
        return None
    path = Path(source)
    kind = _kind(path)
    if kind == "dir":
        return len(scan_folder(path, recursive=recursive).files)
    if kind == "file":
        if path.suffix.lower() == ".txt":
            return 1
        n = 0
        with path.open("rb") as fh:
            for line in _bounded_lines(fh):
                if line is None or line.strip():
                    n += 1
        return n
    return None


def _kind(path: Path) -> str:
    """'file', 'dir', 'missing', or what else the path is in a reader's words (:func:`llmextract.io.what_it_is`)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    if stat.S_ISDIR(mode):
        return "dir"
    return what_it_is(mode) or "file"


# --------------------------------------------------------------------------- a folder


@dataclass
class FolderScan:
    """The article files of a folder, as (id, path) in name order, and what was left out and why."""

    files: list[tuple[str, Path]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> files (or folders) left out
    examples: dict[str, list[str]] = field(default_factory=dict)  # reason -> a few of their names

    def skip(self, reason: str, name: str) -> None:
        self.skipped[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < 3:
            shown.append(name)

    def describe(self) -> str:
        """What was left out, in one line ('' when nothing was): '3 left out: 2 not .txt (a.md, b.csv), ...'."""
        if not self.skipped:
            return ""
        parts = []
        for reason, n in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0])):
            names = self.examples.get(reason, [])
            more = ", ..." if n > len(names) else ""
            parts.append(f"{n} {reason} ({', '.join(names)}{more})")
        return f"{sum(self.skipped.values())} left out: " + "; ".join(parts)


#: The reason a subfolder is left out (without ``recursive``).
SUBFOLDER = "subfolder(s) not read"


def scan_folder(folder: str | Path, *, recursive: bool = False) -> FolderScan:
    """The ``.txt`` files of ``folder`` (and, with ``recursive``, of its subfolders), and what was left out.

    Left out, each counted by reason: files not ending in ``.txt``, hidden files and folders (a
    name starting with a dot), what is not a regular file (a FIFO would block the run), links
    that lead nowhere, folder links (never followed) and, without ``recursive``, subfolders.
    """
    root = Path(folder)
    scan = FolderScan()
    pending = [root]
    while pending:
        here = pending.pop()
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError as exc:
            raise InputError(f"cannot read the folder: {exc.strerror or exc}", source=str(here)) from None
        subfolders = []
        for e in entries:
            rel = Path(e.path).relative_to(root).as_posix()
            if e.name.startswith("."):
                scan.skip("hidden", rel)
                continue
            try:
                is_dir = e.is_dir()
                if is_dir and e.is_symlink():
                    scan.skip("folder link(s) not followed", rel)
                    continue
                if is_dir:
                    if recursive:
                        subfolders.append(Path(e.path))
                    else:
                        scan.skip(SUBFOLDER, rel + "/")
                    continue
                if not e.name.endswith(".txt"):
                    scan.skip("not .txt", rel)
                    continue
                if not e.is_file():
                    what = "broken link(s)" if e.is_symlink() and not os.path.exists(e.path) else \
                        "not a regular file (FIFO, device, socket)"
                    scan.skip(what, rel)
                    continue
            except OSError:
                scan.skip("unreadable", rel)
                continue
            scan.files.append((rel[: -len(".txt")], Path(e.path)))
        pending.extend(reversed(subfolders))
    scan.files.sort(key=lambda f: f[0])
    return scan


def _folder_records(folder: Path, files: list[tuple[str, Path]]) -> Iterator[Article | BadRecord]:
    for rid, path in files:
        try:
            yield read_article(path, id=rid)
        except InputError as exc:
            yield BadRecord(id=rid, source=str(path), message=str(exc))


# --------------------------------------------------------------------------- JSON lines


def _jsonl_file_records(path: Path) -> Iterator[Article | BadRecord]:
    with path.open("rb") as fh:
        yield from _jsonl_line_records(_bounded_lines(fh), str(path))


def _bounded_lines(fh: Any, limit: int = MAX_LINE_BYTES) -> Iterator[bytes | None]:
    """The lines of a binary stream, each at most ``limit`` bytes; None for a longer one, after which
    the stream is not read any further (it is not JSON lines, and it may never end)."""
    while True:
        line = fh.readline(limit + 1)
        if not line:
            return
        if len(line) > limit:
            yield None
            return
        yield line


def _binary_lines(stream: IO[Any]) -> Iterator[bytes | None]:
    buf = getattr(stream, "buffer", None)
    if buf is not None:  # a text stream (sys.stdin): read its bytes, so a bad line is one error record
        yield from _bounded_lines(buf)
        return
    if hasattr(stream, "readline") and isinstance(stream.readline(0), bytes):
        yield from _bounded_lines(stream)
        return
    for line in stream:
        yield line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")


def _jsonl_line_records(lines: Iterable[bytes | None], source: str) -> Iterator[Article | BadRecord]:
    for lineno, raw in enumerate(lines, 1):
        where = f"{source}:{lineno}"
        if raw is None:
            yield BadRecord(id=f"line-{lineno}", source=where,
                            message=f"{where}: a line longer than {MAX_LINE_BYTES:,} bytes: not JSON lines of "
                                    "articles; nothing after it is read")
            return
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


_META = ("title", "url", "outlet", "published")


def _published(value: Any) -> tuple[dt.date | None, str | None]:
    """A ``published`` value as a date, or the reason it is not one: a date (``2019-02-19``), or an
    ISO 8601 date and time (``2019-02-19T10:00:00Z``: the day as written, its offset not applied)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return dt.date.fromisoformat(text), None
        except ValueError:
            pass
        try:
            return dt.datetime.fromisoformat(text).date(), None
        except ValueError:
            pass
    shown = repr(value) if isinstance(value, str) else json.dumps(value)
    return None, f"published: {shown} is not a date (expected YYYY-MM-DD, or an ISO 8601 date and time)"


def _metadata(obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The record's title, url, outlet and published, and one readable problem per bad field."""
    fields: dict[str, Any] = {}
    problems: list[str] = []
    for name in _META:
        value = obj.get(name)
        if value is None or value == "":
            continue
        if name == "published":
            day, problem = _published(value)
            if problem is not None:
                problems.append(problem)
            else:
                fields[name] = day
        elif isinstance(value, str):
            fields[name] = value
        else:
            problems.append(f"{name}: expected text, got {_json_type(value)} {json.dumps(value)[:60]}")
    return fields, problems


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


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
    except InputError as exc:
        return BadRecord(id=rid or f"line-{lineno}", content_hash=content_hash, source=where, message=str(exc))
    fields, problems = _metadata(obj)
    if problems:  # one line per bad field, each naming the place
        return BadRecord(id=rid or f"line-{lineno}", content_hash=content_hash, source=where,
                         message="\n".join(f"{where}: {p}" for p in problems))
    try:
        return Article(text=text, id=rid, **fields)
    except ValueError as exc:  # pydantic, for anything the checks above let through
        errors = getattr(exc, "errors", list)()
        lines = [f"{where}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors] or [f"{where}: {exc}"]
        return BadRecord(id=rid or f"line-{lineno}", content_hash=content_hash, source=where,
                         message="\n".join(lines))
