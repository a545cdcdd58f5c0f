"""Reading articles and JSON from files, standard input and bytes, refusing what is not readable with a clear reason.

Every read is bounded: at most the limit plus one byte is read from anything (a file, ``-`` for
standard input, a pipe), so ``/dev/zero`` or an endless pipe is refused as too large instead of
filling memory. Only regular files are opened by name: a folder, a named pipe (FIFO), a device
(``/dev/zero``), a socket, a symbolic link loop or a dangling link is refused with one line naming
what it is (a pipe never blocks the open: it is opened non-blocking and checked first). Standard
input is ``-``.

Text is UTF-8, with or without a byte-order mark; UTF-16 and UTF-32 with their byte-order mark are
read too. UTF-16 without a mark (every other byte NUL) is named as such rather than "binary".
JSON documents (:func:`read_json`, :func:`load_json`) are decoded the same way and refused when
nested deeper than :data:`MAX_JSON_DEPTH`, before the parser could exhaust the stack.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import re
import stat
import sys
from pathlib import Path
from typing import IO, Any

from llmextract.errors import InputError
from llmextract.schema import Article

__all__ = [
    "MAX_BYTES",
    "MAX_JSON_DEPTH",
    "STDIN",
    "as_article",
    "check_article_text",
    "decode_article_bytes",
    "decode_text",
    "load_json",
    "read_article",
    "read_bytes",
    "read_json",
    "what_it_is",
]

MAX_BYTES = 2_000_000  # a news article is a few KB; 2 MB is far past any real one
#: Deepest nesting accepted in a JSON document (an extraction is about 6 deep).
MAX_JSON_DEPTH = 64
#: The name that means standard input.
STDIN = "-"

_BOMS: tuple[tuple[bytes, str, str], ...] = (  # longest first: UTF-32 LE begins with UTF-16 LE's mark
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def what_it_is(mode: int) -> str | None:
    """What a file that is not a regular file is, in a reader's words (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file; pipe it to standard input with - instead"
    if stat.S_ISCHR(mode):
        return "is a character device (like /dev/zero), not a regular file"
    if stat.S_ISBLK(mode):
        return "is a block device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def _open_error(exc: OSError, path: str) -> InputError:
    if exc.errno == errno.ELOOP:
        return InputError("is a symbolic link loop (the links never reach a file)", source=path)
    if exc.errno == errno.ENOENT:
        if os.path.islink(path):
            return InputError(f"is a symbolic link to a missing file ({os.readlink(path)})", source=path)
        return InputError("no such file", source=path)
    if exc.errno == errno.ENOTDIR:
        return InputError("no such file (a part of the path is not a folder)", source=path)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return InputError("permission denied", source=path)
    if exc.errno == errno.EISDIR:
        return InputError("is a directory, not a file", source=path)
    return InputError(f"cannot read: {exc.strerror or exc}", source=path)


def _read_bounded(fh: IO[bytes] | int, limit: int, source: str) -> bytes:
    """At most ``limit + 1`` bytes; InputError when there are more than ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        want = min(1 << 20, limit + 1 - size)
        chunk = os.read(fh, want) if isinstance(fh, int) else fh.read(want)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise InputError(f"too large: more than {limit:,} bytes (the limit); split it or raise max_bytes",
                         source=source)
    return b"".join(chunks)


def read_bytes(path: str | Path, *, max_bytes: int = MAX_BYTES, stdin: IO[Any] | None = None) -> bytes:
    """The bytes of a regular file, or of standard input for ``-``: at most ``max_bytes`` (InputError past it).

    Anything that is not a regular file is refused with one line saying what it is (see the module
    docstring); ``stdin`` replaces ``sys.stdin`` for ``-``.
    """
    source = str(path)
    if source == STDIN:
        stream = stdin if stdin is not None else sys.stdin
        raw = getattr(stream, "buffer", stream)
        try:
            return _read_bounded(raw, max_bytes, "<stdin>")
        except OSError as exc:
            raise InputError(f"cannot read standard input: {exc.strerror or exc}", source="<stdin>") from None
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise _open_error(exc, source) from None
    try:
        mode = os.fstat(fd).st_mode
        problem = what_it_is(mode)
        if problem is not None:
            raise InputError(problem, source=source)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return _read_bounded(fd, max_bytes, source)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=source) from None
    finally:
        os.close(fd)


def _looks_utf16(data: bytes) -> bool:
    """Every other byte NUL over the first few hundred: UTF-16 text without its byte-order mark."""
    sample = data[:512]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return even.count(0) > 0.8 * len(even) or odd.count(0) > 0.8 * len(odd)


def decode_text(data: bytes, *, source: str | None = None) -> str:
    """Bytes as text: UTF-8 (a byte-order mark dropped), or UTF-16/UTF-32 with their mark. InputError naming
    the problem otherwise (NUL bytes, UTF-16 without a mark, an undecodable byte and where)."""
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(f"not {name}: undecodable bytes at offset {exc.start} (it begins with a {name} "
                                 "byte-order mark)", source=source) from None
    if b"\x00" in data[:8192]:
        if _looks_utf16(data):
            raise InputError("UTF-16 without a byte-order mark: save it as UTF-8 (or as UTF-16 with its mark)",
                             source=source)
        raise InputError("binary: the file holds NUL bytes, it is not text", source=source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8: undecodable byte 0x{data[exc.start]:02x} at offset {exc.start}",
                         source=source) from None


def decode_article_bytes(data: bytes, *, source: str | None = None, max_bytes: int = MAX_BYTES) -> str:
    """Check and decode raw bytes as article text. Raises InputError naming the problem."""
    if len(data) > max_bytes:
        raise InputError(f"too large: {len(data):,} bytes (the limit is {max_bytes:,}); "
                         "split it or raise max_bytes", source=source)
    if not data:
        raise InputError("empty: the file has no content", source=source)
    text = decode_text(data, source=source)
    check_article_text(text, source=source, max_bytes=max_bytes)
    return text


_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")  # control characters other than \t \n \v \f \r


def check_article_text(text: str, *, source: str | None = None, max_bytes: int = MAX_BYTES) -> None:
    """Refuse text that cannot be an article: empty, whitespace only, control bytes, too large."""
    if not isinstance(text, str):
        raise InputError(f"expected text (str), got {type(text).__name__}", source=source)
    if len(text) > max_bytes:
        raise InputError(f"too large: {len(text):,} characters (the limit is {max_bytes:,})", source=source)
    if not text.strip():
        raise InputError("empty: the text is blank or whitespace only", source=source)
    if "\x00" in text:
        raise InputError("binary: the text holds NUL characters", source=source)
    sample = text[:8192]
    controls = len(_CONTROLS.findall(sample))
    if controls > max(8, len(sample) // 100):
        raise InputError(f"binary: {controls} control characters in the first {len(sample)} characters",
                         source=source)


def read_article(path: str | Path, *, max_bytes: int = MAX_BYTES, stdin: IO[Any] | None = None,
                 **metadata: object) -> Article:
    """Read one article file (``-``: standard input). The id defaults to the file name without its extension
    (``stdin`` for standard input)."""
    source = str(path)
    data = read_bytes(path, max_bytes=max_bytes, stdin=stdin)
    where = "<stdin>" if source == STDIN else source
    text = decode_article_bytes(data, source=where, max_bytes=max_bytes)
    fields: dict[str, object] = {"id": "stdin" if source == STDIN else Path(path).stem, **metadata}
    return Article(text=text, **fields)  # type: ignore[arg-type]


def as_article(article: Article | str, **metadata: object) -> Article:
    """Accept an Article or plain text (checked) and return an Article."""
    if isinstance(article, Article):
        check_article_text(article.text, source=article.id)
        return article
    if isinstance(article, bytes | bytearray):
        return Article(text=decode_article_bytes(bytes(article)), **metadata)  # type: ignore[arg-type]
    check_article_text(article)
    return Article(text=article, **metadata)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- JSON documents


def _depth(text: str, limit: int) -> int:
    """How deep ``text``'s brackets nest (strings skipped), stopping once past ``limit``: linear, no recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def load_json(data: bytes | str, *, source: str | None = None, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A JSON document from bytes (decoded as :func:`decode_text`: a UTF-8 byte-order mark is fine) or text.

    InputError, one line, for text that is not JSON (where it breaks), or that nests deeper than
    ``max_depth``.
    """
    text = decode_text(data, source=source) if isinstance(data, bytes | bytearray) else data.lstrip("\ufeff")
    if not text.strip():
        raise InputError("empty: no JSON in it", source=source)
    if _depth(text, max_depth) > max_depth:
        raise InputError(f"JSON nested deeper than {max_depth} levels; an extraction is a few levels deep",
                         source=source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source=source) from None
    except RecursionError:
        raise InputError("JSON nested too deeply to read", source=source) from None


def read_json(path: str | Path, *, max_bytes: int = 6 * MAX_BYTES, max_depth: int = MAX_JSON_DEPTH,
              stdin: IO[Any] | None = None) -> Any:
    """A JSON document from a regular file or ``-`` (standard input), bounded as :func:`read_bytes` and
    :func:`load_json` are."""
    source = "<stdin>" if str(path) == STDIN else str(path)
    return load_json(read_bytes(path, max_bytes=max_bytes, stdin=stdin), source=source, max_depth=max_depth)
