"""One article's outcome in a batch, a result or a typed error, and the output record it becomes.

:class:`BatchItem` is the one outcome type: the runner writes it, :func:`~llmextract.batch.iter_extract`
yields it, and :func:`~llmextract.batch.extract_many` yields it for an article that failed. A failure
is always an exception (an unreadable input record is an :class:`~llmextract.errors.InputError`), and
its kind is the exception's own ``kind`` (see :mod:`llmextract.errors`), never a guess.

The record of an outcome (one JSON object a line)::

    {"id": ..., "content_hash": ..., "url": ..., "title": ..., "outlet": ...,
     "status": "ok", "cached": false, "endpoint": ..., "model": ..., "result": {...}}
    {"id": ..., "content_hash": ..., "url": ..., "title": ..., "outlet": ...,
     "status": "error", "endpoint": ..., "model": ...,
     "error": {"kind": "endpoint" | "model_output" | "input" | "timeout" | "config" | "internal" | ...,
               "type": ..., "message": ..., "attempts": ..., "status_code": ..., "raw_replies": [...],
               "deadline_s": ..., "stage": ...}}

``url``, ``title`` and ``outlet`` are the article's (null when unknown), at the top level where the
review page and the exports read them; ``endpoint`` and ``model`` say what made the line (null for
an input record that was never sent), so a resumed run can refuse to mix two models' results.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

from llmextract.errors import ArticleTimeoutError, LLMExtractError
from llmextract.schema import Article, ExtractionResult

__all__ = ["BatchItem", "error_kind"]


def error_kind(exc: BaseException) -> str:
    """The kind of a failure: a typed error's own ``kind``; else timeout, endpoint or internal by its class."""
    if isinstance(exc, LLMExtractError):
        return exc.kind
    if isinstance(exc, TimeoutError):  # asyncio.TimeoutError too: an article's deadline
        return "timeout"
    if isinstance(exc, ConnectionError):
        return "endpoint"
    return "internal"


@dataclass
class BatchItem:
    """One article's outcome: its ``result``, or the ``error`` it failed with.

    ``cached``: the result came from the result cache, no request sent. ``endpoint`` and ``model``:
    the label of the endpoint that served it and its model. ``url``, ``title``, ``outlet``: the
    article's. ``article``: the article itself, when the caller asked to keep it. All but the id
    and the content hash are keyword-only.
    """

    article_id: str | None
    content_hash: str | None
    _: KW_ONLY
    result: ExtractionResult | None = None
    error: BaseException | None = None
    cached: bool = False
    endpoint: str | None = None
    model: str | None = None
    url: str | None = None
    title: str | None = None
    outlet: str | None = None
    article: Article | None = None

    @classmethod
    def of(cls, source: Article, /, **fields: Any) -> BatchItem:
        """An outcome of the article ``source``: its id, content hash, url, title and outlet, and ``fields``."""
        return cls(source.id, source.content_hash, url=source.url, title=source.title, outlet=source.outlet,
                   **fields)

    @property
    def ok(self) -> bool:
        return self.result is not None

    @property
    def kind(self) -> str | None:
        """The failure's kind (``error.kind`` of a typed error); None for a result."""
        if self.result is not None:
            return None
        return error_kind(self.error) if self.error is not None else "internal"

    @property
    def message(self) -> str:
        """The failure's message; '' for a result."""
        if self.result is not None or self.error is None:
            return ""
        return str(self.error) or repr(self.error)

    def unwrap(self) -> ExtractionResult:
        """The result, or the article's error raised (an InputError for an unreadable record)."""
        if self.result is not None:
            return self.result
        if self.error is not None:
            raise self.error
        raise LLMExtractError(f"{self.article_id}: neither a result nor an error")

    @property
    def error_info(self) -> dict[str, Any] | None:
        """The ``error`` field of the record: kind, type, message, and what the error carries."""
        if self.result is not None:
            return None
        exc = self.error
        info: dict[str, Any] = {"kind": self.kind, "type": type(exc).__name__ if exc is not None else "None",
                                "message": self.message}
        attempts = getattr(exc, "attempts", None)
        if isinstance(attempts, int):
            info["attempts"] = attempts
        status = getattr(exc, "status_code", None)
        if isinstance(status, int):
            info["status_code"] = status
        raw = getattr(exc, "raw_replies", None)
        if raw:
            info["raw_replies"] = [str(r) for r in raw]
        if isinstance(exc, ArticleTimeoutError):
            info["deadline_s"] = exc.seconds
            info["stage"] = exc.stage
        return info

    def record(self) -> dict[str, Any]:
        """The JSON-able output line of this outcome."""
        rec = self._head()
        if self.result is not None:
            rec["result"] = self.result.model_dump(mode="json")
        return rec

    def _head(self) -> dict[str, Any]:
        """The output line but the result: what the writer writes before the result's own JSON."""
        rec: dict[str, Any] = {"id": self.article_id, "content_hash": self.content_hash, "url": self.url,
                               "title": self.title, "outlet": self.outlet}
        if self.result is not None:
            model = self.model or self.result.provenance.model
            rec.update(status="ok", cached=self.cached, endpoint=self.endpoint, model=model)
        else:
            rec.update(status="error", endpoint=self.endpoint, model=self.model, error=self.error_info)
        return rec
