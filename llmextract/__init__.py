"""llmextract: structured, verified casualty claims from news articles.

    >>> from llmextract import extract
    >>> result = extract(open("examples/articles/001_7324fdaa959f27c2.txt").read())
    >>> result.claims[0].killed.low
    20

With no endpoint configured the offline extractor runs and ``result.provenance.model_used``
is False. ``extract(text, endpoint=URL, model=NAME)`` (or ``LLMEXTRACT_BASE_URL``) asks a
language model behind any OpenAI-compatible endpoint instead; either way every value of every
claim is grounded against the text, in its claim and its role, and the findings are in
``result.findings``.

This module is the public surface and nothing else. Its names load on first use, so
``import llmextract`` (and ``llmextract --help``) costs almost nothing.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from llmextract import _deprecated
from llmextract._version import __version__

_deprecated.install()

if TYPE_CHECKING:
    from llmextract.batch import BatchItem
    from llmextract.errors import (
        CassetteError,
        ConfigError,
        EndpointError,
        InputError,
        LLMExtractError,
        ModelOutputError,
    )
    from llmextract.grounding import GroundingReport
    from llmextract.schema import (
        Article,
        Attribution,
        Claim,
        ClaimKind,
        Count,
        EventDate,
        Evidence,
        ExtractionResult,
        Finding,
        Place,
        Provenance,
        Qualifier,
        Span,
        Verdict,
        Victims,
    )
    from llmextract.text.index import EvidenceIndex

# Where each exported name lives; loaded by __getattr__ when first asked for.
_EXPORTS = {
    **dict.fromkeys(("CassetteError", "ConfigError", "EndpointError", "InputError", "LLMExtractError",
                     "ModelOutputError"), "llmextract.errors"),
    **dict.fromkeys(("Article", "Attribution", "Claim", "ClaimKind", "Count", "EventDate", "Evidence",
                     "ExtractionResult", "Finding", "Place", "Provenance", "Qualifier", "Span", "Verdict",
                     "Victims"), "llmextract.schema"),
    "BatchItem": "llmextract.batch",
    "GroundingReport": "llmextract.grounding",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'llmextract' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


_EXTRACT_OPTIONS = ("endpoint", "model", "api_key", "policy", "profile", "grounded_schema", "timeout",
                    "transport_retries", "reask_budget", "article_timeout", "max_reply_bytes", "published", "prompts",
                    "http_client")


def extract(article: Article | str, *, endpoint: str | None = None, model: str | None = None,
            api_key: str | None = None, policy: str = "flag", profile: str | None = None,
            grounded_schema: bool = False, timeout: float | None = None, transport_retries: int | None = None,
            reask_budget: int | None = None, article_timeout: float | None = None,
            max_reply_bytes: int | None = None, published: dt.date | None = None, prompts: Any = None,
            http_client: Any = None, **unknown: Any) -> ExtractionResult:
    """Extract verified claims from one article (an :class:`Article` or its text).

    Keyword arguments (all optional):

    * ``endpoint``, ``model``, ``api_key``: an OpenAI-compatible endpoint (else ``LLMEXTRACT_BASE_URL``,
      ``LLMEXTRACT_MODEL``, ``LLMEXTRACT_API_KEY``, then the ``OPENAI_*`` ones); with none, the
      offline extractor runs and the result says no model was used.
    * ``policy``: ``"flag"`` (keep every claim, with its findings), ``"strict"`` (re-ask the model
      with the findings, then drop what still fails) or ``"off"`` (no grounding).
    * ``profile``: the structured-output profile (:data:`llmextract.choices.PROFILES`; default: detect).
    * ``grounded_schema``: send a schema whose choices are the text's own phrases.
    * ``timeout``, ``transport_retries``, ``reask_budget``: per-request seconds, retries after a
      timeout/429/5xx, re-asks after a reply that does not fit.
    * ``article_timeout``: seconds for the whole article, every request, retry and re-ask included
      (default 600; 0: none); ``max_reply_bytes``: the largest reply accepted (default 4 MB).
    * ``published``: the publication date (overrides the one the text states; relative dates resolve against it).
    * ``prompts`` (a :class:`~llmextract.extractors.prompts.PromptSet`), ``http_client`` (an ``httpx`` client).

    Raises TypeError for an unknown keyword, InputError for text that cannot be an article,
    EndpointError or ModelOutputError when a configured endpoint fails past its retry and re-ask
    budgets, ConfigError for bad settings.
    """
    if unknown:
        raise TypeError(f"extract() got unknown keyword argument(s) {', '.join(map(repr, sorted(unknown)))}; "
                        f"it takes {', '.join(_EXTRACT_OPTIONS)}")
    from llmextract.pipeline import Pipeline

    clients = {k: v for k, v in (("prompts", prompts), ("http_client", http_client)) if v is not None}
    with Pipeline.create(endpoint, model, api_key, policy=policy, profile=profile, grounded_schema=grounded_schema,
                         timeout=timeout, transport_retries=transport_retries, reask_budget=reask_budget,
                         article_timeout=article_timeout, max_reply_bytes=max_reply_bytes, **clients) as pipeline:
        return pipeline.run(article, **({"published": published} if published is not None else {}))


def extract_many(articles: Iterable[Article | str], *, endpoint: str | list[str] | None = None,
                 model: str | None = None, concurrency: int = 4,
                 **options: Any) -> Iterator[ExtractionResult | BatchItem]:
    """Extract many articles concurrently; yields one outcome per article as each finishes.

    Each is an :class:`ExtractionResult` or, for an article that failed, a :class:`~llmextract.batch.BatchItem`
    (its ``kind``, ``message`` and ``error``). The work runs on an event loop in a background thread;
    see :func:`llmextract.batch.extract_many` for the options.
    """
    from llmextract.batch import extract_many as _extract_many

    return _extract_many(articles, endpoint=endpoint, model=model, concurrency=concurrency, **options)


def ground(extraction: Any, source: Article | str | EvidenceIndex) -> GroundingReport:
    """Check every value of every claim of an extraction against the source text, in its claim and role.

    ``source`` is the text, an :class:`Article` (its published date resolves relative dates) or an
    already built :class:`~llmextract.text.index.EvidenceIndex`.
    """
    from llmextract.grounding import ground as _ground

    return _ground(extraction, source)


__all__ = [
    "Article", "Attribution", "BatchItem", "CassetteError", "Claim", "ClaimKind", "ConfigError", "Count",
    "EndpointError", "EventDate", "Evidence", "ExtractionResult", "Finding", "GroundingReport", "InputError",
    "LLMExtractError", "ModelOutputError", "Place", "Provenance", "Qualifier", "Span", "Verdict", "Victims",
    "__version__", "extract", "extract_many", "ground",
]
