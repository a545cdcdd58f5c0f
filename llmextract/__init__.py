"""llmextract: structured, verified casualty claims from news articles.

    >>> from llmextract import extract
    >>> result = extract(open("examples/articles/001_7324fdaa959f27c2.txt").read())
    >>> result.claims[0].killed.low
    20

With no endpoint configured the offline extractor runs and ``result.provenance.model_used``
is False. ``extract(text, endpoint=URL, model=NAME)`` (or ``LLMEXTRACT_BASE_URL``) asks a
language model behind any OpenAI-compatible endpoint instead; either way every number, name,
quote and date is grounded against the text and the findings are in ``result.findings``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from llmextract import _deprecated
from llmextract._version import __version__
from llmextract.errors import (
    CassetteError,
    ConfigError,
    EndpointError,
    InputError,
    LLMExtractError,
    ModelOutputError,
)
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
)

_deprecated.install()

if TYPE_CHECKING:
    from llmextract.grounding import GroundingReport
    from llmextract.text.index import EvidenceIndex


def extract(article: Article | str, *, endpoint: str | None = None, model: str | None = None,
            api_key: str | None = None, policy: str = "flag", **options: Any) -> ExtractionResult:
    """Extract verified claims from one article (an Article or its text).

    Raises InputError for text that cannot be an article, EndpointError or ModelOutputError when a
    configured model endpoint fails past its retry and re-ask budgets, ConfigError for bad settings.
    """
    from llmextract.pipeline import Pipeline

    with Pipeline.create(endpoint, model, api_key, policy=policy, **options) as pipeline:
        return pipeline.run(article)


def extract_many(articles: Iterable[Article | str], *, endpoint: str | list[str] | None = None,
                 model: str | None = None, concurrency: int = 4, **options: Any) -> Iterator[Any]:
    """Extract many articles concurrently; yields one record per article as each finishes.

    Each record is an ExtractionResult or, for an article that failed, a batch error record
    (see ``llmextract.batch``). The work runs on an event loop in a background thread.
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
    "Article", "Attribution", "CassetteError", "Claim", "ClaimKind", "ConfigError", "Count", "EndpointError",
    "EventDate", "Evidence", "ExtractionResult", "Finding", "InputError", "LLMExtractError", "ModelOutputError",
    "Place", "Provenance", "Qualifier", "Span", "Verdict", "__version__", "extract", "extract_many", "ground",
]
