"""The batch output file: the line writer, the resume scan, and reading the records back.

One JSON object a line, each written whole by one unbuffered write, so a kill leaves at worst a
torn last line. Every record starts with ``{"id":...,"content_hash":...`` (the writer puts them
first), so the resume scan reads the key of a line without parsing the result after it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llmextract.schema import ExtractionResult

logger = logging.getLogger(__name__)

__all__ = ["read_records", "scan_output"]


def read_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """The records of a batch output file, skipping a torn last line."""
    with Path(path).open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break
            with contextlib.suppress(ValueError):
                yield json.loads(line)


def scan_output(path: Path, *, repair: bool = True) -> tuple[set[int], int]:
    """Keys (:func:`_record_key`) of the records already in an output file, and how many there are.

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


def _record_key(article_id: str | None, content_hash: str | None) -> int:
    """An article's identity in an output file: its id and the hash of its text."""
    digest = hashlib.blake2b(f"{article_id}\x1f{content_hash}".encode("utf-8", "surrogatepass"), digest_size=8)
    return int.from_bytes(digest.digest(), "big")


# The id and the content hash at the start of a record, read without parsing the whole line.
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
