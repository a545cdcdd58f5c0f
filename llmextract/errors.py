"""Typed errors raised by the library. Only the CLI turns them into messages and exit codes."""

from __future__ import annotations


class LLMExtractError(Exception):
    """Base class of every error llmextract raises on purpose."""


class InputError(LLMExtractError):
    """The article could not be read as text (empty, binary, not UTF-8, too large, missing)."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class ConfigError(LLMExtractError):
    """The configuration (endpoint, model, profile, policy) is incomplete or contradictory."""


class EndpointError(LLMExtractError):
    """The model endpoint could not be reached or kept failing after the retry budget.

    ``attempts`` counts the tries of the request that failed; ``transport_retries`` every
    transport retry the extraction made before giving up (its earlier requests' too).
    """

    def __init__(self, message: str, *, endpoint: str | None = None, attempts: int = 0,
                 status_code: int | None = None, transport_retries: int = 0) -> None:
        self.endpoint = endpoint
        self.attempts = attempts
        self.status_code = status_code
        self.transport_retries = transport_retries
        super().__init__(message)


class ModelOutputError(LLMExtractError):
    """The model's replies never fitted the schema within the re-ask budget.

    ``raw_replies`` keeps every reply the model sent, so nothing is lost; ``attempts`` counts
    them; ``transport_retries`` counts the transport retries made on the way.
    """

    def __init__(self, message: str, *, raw_replies: list[str] | None = None,
                 attempts: int = 0, transport_retries: int = 0) -> None:
        self.raw_replies = list(raw_replies or [])
        self.attempts = attempts
        self.transport_retries = transport_retries
        super().__init__(message)


class CassetteError(LLMExtractError):
    """A recorded cassette is missing or stale for the request being made."""
