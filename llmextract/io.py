"""Reading articles from files and bytes, refusing what is not readable text with a clear reason."""

from __future__ import annotations

import re
from pathlib import Path

from llmextract.errors import InputError
from llmextract.schema import Article

__all__ = ["MAX_BYTES", "as_article", "check_article_text", "decode_article_bytes", "read_article"]

MAX_BYTES = 2_000_000  # a news article is a few KB; 2 MB is far past any real one


def decode_article_bytes(data: bytes, *, source: str | None = None, max_bytes: int = MAX_BYTES) -> str:
    """Check and decode raw bytes as article text. Raises InputError naming the problem."""
    if len(data) > max_bytes:
        raise InputError(f"too large: {len(data):,} bytes (the limit is {max_bytes:,}); "
                         "split it or raise max_bytes", source=source)
    if not data:
        raise InputError("empty: the file has no content", source=source)
    if b"\x00" in data[:8192]:
        raise InputError("binary: the file holds NUL bytes, it is not text", source=source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8: undecodable byte 0x{data[exc.start]:02x} at offset {exc.start}",
                         source=source) from None
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


def read_article(path: str | Path, *, max_bytes: int = MAX_BYTES, **metadata: object) -> Article:
    """Read one article file. The id defaults to the file name without its extension."""
    p = Path(path)
    source = str(path)
    if not p.exists():
        raise InputError("no such file", source=source)
    if p.is_dir():
        raise InputError("is a directory, not a file", source=source)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(f"too large: {size:,} bytes (the limit is {max_bytes:,}); split it or raise "
                             "max_bytes", source=source)
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=source) from None
    text = decode_article_bytes(data, source=source, max_bytes=max_bytes)
    fields: dict[str, object] = {"id": p.stem, **metadata}
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
