"""Reading a batch's input, lazily: a folder of ``.txt`` files, a JSONL file, one ``.txt`` file, or stdin.

Every record becomes an :class:`~llmextract.schema.Article`, or a :class:`BadRecord` saying why
it could not (empty, binary, not UTF-8, not JSON, no text, bad metadata): a bad record is a
value the runner writes as an error record, never an exception that stops the run. Only a
source missing as a whole raises, and at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from llmextract.errors import InputError
from llmextract.io import MAX_BYTES, check_article_text, read_article
from llmextract.schema import Article

__all__ = ["BadRecord", "count_articles", "iter_articles"]


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


def count_articles(source: str | Path | IO[Any]) -> int | None:
    """How many records ``source`` holds, for a progress bar's total; None for a stream."""
    if not isinstance(source, str | Path) or str(source) == "-":
        return None
    path = Path(source)
    if path.is_dir():
        return sum(1 for e in os.scandir(path) if _is_article_file(e.name))
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


def _is_article_file(name: str) -> bool:
    return name.endswith(".txt") and not name.startswith(".")


# --------------------------------------------------------------------------- a folder


def _folder_records(folder: Path, only: str | None = None) -> Iterator[Article | BadRecord]:
    if only is not None:
        names = [only]
    else:
        names = sorted(e.name for e in os.scandir(folder) if _is_article_file(e.name))
    for name in names:
        path = folder / name
        try:
            yield read_article(path)
        except InputError as exc:
            yield BadRecord(id=path.stem, source=str(path), message=str(exc))


# --------------------------------------------------------------------------- JSON lines


def _jsonl_file_records(path: Path) -> Iterator[Article | BadRecord]:
    with path.open("rb") as fh:
        yield from _jsonl_line_records(fh, str(path))


def _binary_lines(stream: IO[Any]) -> Iterator[bytes]:
    buf = getattr(stream, "buffer", None)
    if buf is not None:  # a text stream (sys.stdin): read its bytes, so a bad line is one error record
        yield from buf
        return
    for line in stream:
        yield line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")


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
