"""The typed errors the library raises, each naming its ``kind``; only the CLI turns them into messages and exit codes.

The tree, with each class's ``kind``::

    LLMExtractError              "other"         every error llmextract raises on purpose
     ├── InputError              "input"         an article could not be read as text
     ├── ConfigError             "config"        settings incomplete or contradictory
     ├── EndpointError           "endpoint"      the endpoint unreachable, or failing past the retry budget
     │    ├── AuthError          "auth"             401/403: the key is missing, wrong or not allowed   (fatal)
     │    └── ModelNotFoundError "model_not_found"  404 on the chat request: no such model (or route) (fatal)
     ├── ModelOutputError        "model_output"  the replies never fitted the schema within the re-ask budget
     ├── ArticleTimeoutError     "timeout"       an article's whole-article deadline passed (also a TimeoutError)
     ├── OutputError             "output"        a batch output cannot be written, is in use, or is another run's
     └── CassetteError           "other"         a recorded cassette is missing or stale
          └── llmextract.testing.cassettes.CassetteMiss

``kind`` is a class attribute, so the class says what went wrong and nothing guesses it from a
message or a module name; a subclass (or, where one class covers several causes, the raise site)
may give a narrower kind. A batch error record carries it as ``error.kind``. Exceptions that are
not an LLMExtractError get a kind only from what they are: a ``TimeoutError`` (an article's
deadline) is ``"timeout"``, a ``ConnectionError`` is ``"endpoint"``, anything else is
``"internal"`` (a bug: see :func:`llmextract.batch.outcomes.error_kind`).

An endpoint error is ``fatal`` when no retry can fix it and every other request to the same
endpoint would fail alike (a refused key, a model the server does not have): a batch stops at
once on one instead of writing an error record for every article.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ArticleTimeoutError",
    "AuthError",
    "CassetteError",
    "ConfigError",
    "EndpointError",
    "InputError",
    "LLMExtractError",
    "ModelNotFoundError",
    "ModelOutputError",
    "OutputError",
]


class LLMExtractError(Exception):
    """Base class of every error llmextract raises on purpose."""

    kind: str = "other"


class InputError(LLMExtractError):
    """The article could not be read as text (empty, binary, not UTF-8, too large, missing)."""

    kind = "input"

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class ConfigError(LLMExtractError):
    """The configuration (endpoint, model, profile, policy) is incomplete or contradictory."""

    kind = "config"


class EndpointError(LLMExtractError):
    """The model endpoint could not be reached or kept failing after the retry budget.

    ``attempts`` counts the tries of the request that failed; ``transport_retries`` every
    transport retry the extraction made before giving up (its earlier requests' too).
    """

    kind = "endpoint"
    #: No retry can fix it and every request to the endpoint would fail alike: a batch stops at once.
    fatal: ClassVar[bool] = False

    def __init__(self, message: str, *, endpoint: str | None = None, attempts: int = 0,
                 status_code: int | None = None, transport_retries: int = 0) -> None:
        self.endpoint = endpoint
        self.attempts = attempts
        self.status_code = status_code
        self.transport_retries = transport_retries
        super().__init__(message)


class AuthError(EndpointError):
    """The endpoint refused the credentials (HTTP 401 or 403): the key is missing, wrong or not allowed."""

    kind = "auth"
    fatal = True


class ModelNotFoundError(EndpointError):
    """The endpoint answered the chat request with 404: it has no such model (or no such route)."""

    kind = "model_not_found"
    fatal = True


class ModelOutputError(LLMExtractError):
    """The model's replies never fitted the schema within the re-ask budget.

    ``raw_replies`` keeps every reply the model sent, so nothing is lost; ``attempts`` counts
    them; ``transport_retries`` counts the transport retries made on the way.
    """

    kind = "model_output"

    def __init__(self, message: str, *, raw_replies: list[str] | None = None,
                 attempts: int = 0, transport_retries: int = 0) -> None:
        self.raw_replies = list(raw_replies or [])
        self.attempts = attempts
        self.transport_retries = transport_retries
        super().__init__(message)


class ArticleTimeoutError(LLMExtractError, TimeoutError):
    """One article had no result within its whole-article deadline.

    ``seconds`` is the deadline; ``stage`` says what the article was waiting for when it passed
    (the model's reply, the grounding, ...). Also a :class:`TimeoutError`, for code that catches those.
    """

    kind = "timeout"

    def __init__(self, message: str, *, seconds: float | None = None, stage: str | None = None) -> None:
        self.seconds = seconds
        self.stage = stage
        super().__init__(message)


class OutputError(LLMExtractError):
    """A batch output cannot be used: it cannot be written (a folder, no permission, a full disk), another
    run holds it, or it holds another model's results."""

    kind = "output"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(message)


class CassetteError(LLMExtractError):
    """A recorded cassette is missing or stale for the request being made."""
