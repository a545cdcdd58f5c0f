"""The LLM extractor: instructor over the ``openai`` client, against any OpenAI-compatible endpoint.

Two retry layers, kept apart:

* **transport** (tenacity, around every HTTP call): timeouts, connection errors, 408/409, 429
  (honouring ``Retry-After``) and 5xx are retried ``config.transport_retries`` times with
  exponential back-off and jitter; the openai client's own retries are off (``max_retries=0``).
  When they run out, :class:`~llmextract.errors.EndpointError` names the endpoint (never the key).
* **deadlines and sizes**: every request must be answered in full within ``config.timeout``
  seconds, however slowly the server sends its bytes (:mod:`llmextract.extractors.transport`
  bounds each socket operation by what is left; the async path bounds each request with
  ``asyncio.timeout``), and the whole article, retries, back-offs and re-asks included, within
  ``config.article_timeout`` (:class:`~llmextract.errors.ArticleTimeoutError` saying what it was
  waiting for), not counting the time it waits for a batch's request slot
  (:mod:`llmextract.extractors.slots`). A reply larger than ``config.max_reply_bytes`` is refused as it arrives; a 200
  reply that is not a chat completion (a proxy's or a web UI's HTML page) is an
  :class:`~llmextract.errors.EndpointError` saying what came back, not a malformed answer to re-ask.
* **secrets**: the key, URL credentials and secret query values (``config.secrets``) are
  registered with :mod:`llmextract.secrets`, whose log filter then scrubs the HTTP clients'
  records; every text the server wrote that reaches an error or a result (messages, raw replies)
  is scrubbed of every form of them.
* **re-ask**: a reply that is not JSON, misses a field, fails the ``validator`` hook or was cut
  off at the token limit (``finish_reason`` "length") goes back to the model with the errors,
  ``config.reask_budget`` times. When they run out, :class:`~llmextract.errors.ModelOutputError`
  carries every raw reply. Both errors carry ``transport_retries``, the retries made before.

instructor supplies the structured-output mechanics of each mode (its registered handlers: the
request with the schema, the parse of a reply, the re-ask message); the loop around them is
here, and everything that does not depend on the article (the wrapped response model, its JSON
schema, the handlers, the profile's request options) is made once, not per call.

Structured output depends on the server (``profile``)::

    openai    response_format json_schema, strict (a strict-mode copy of the schema)
    vllm      response_format json_schema (vLLM's guided decoding)
    ollama    response_format json_schema (Ollama >= 0.5 maps it to ``format``)
    llamacpp  response_format {"type": "json_object", "schema": ...} sent through extra_body
              (llama.cpp turns it into a grammar; arrays and strings get upper bounds so a small
              model cannot loop to the token limit); the schema is not pasted into the prompt
    json      instructor JSON mode: the schema goes into the system prompt, response_format json_object

``auto`` picks one from ``GET {base_url}/models``: api.openai.com -> openai; ``owned_by`` "vllm"
-> vllm; "me" (llama-cpp-python) or "llamacpp" (llama.cpp's llama-server) -> llamacpp;
"library"/"ollama" or port 11434 -> ollama; anything else -> json.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import logging
import random
import re
import textwrap
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self

import instructor
import openai
from instructor.core.exceptions import ResponseParsingError
from instructor.v2 import mode_registry
from openai.types.chat import ChatCompletion
from pydantic import ValidationError, ValidationInfo, model_validator
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from llmextract._version import __version__
from llmextract.config import EndpointConfig
from llmextract.errors import (
    ArticleTimeoutError,
    AuthError,
    ConfigError,
    EndpointError,
    ModelNotFoundError,
    ModelOutputError,
)
from llmextract.extractors import replies, transport
from llmextract.extractors.profiles import GROUNDED_PROFILES, PROFILES, Profile, detect_profile
from llmextract.extractors.prompts import PromptSet
from llmextract.extractors.replies import Facts
from llmextract.extractors.replies import postprocess as postprocess  # its home before replies.py
from llmextract.extractors.slots import request_slot, waited
from llmextract.schema import (
    Article,
    ClaimList,
    ExtractionResult,
    Provenance,
    Usage,
    claimlist_schema,
)
from llmextract.secrets import install_log_filter, register
from llmextract.text.index import EvidenceIndex

logger = logging.getLogger(__name__)

Validator = Callable[[ClaimList, EvidenceIndex], list[str]]


# --------------------------------------------------------------------------- the response model


_SCHEMAS: dict[type, dict[str, Any]] = {}


class _CheckedClaimList(ClaimList):
    """ClaimList plus the validator hook, run inside pydantic validation (so a failure is re-asked).

    The validation context is ``{"index": EvidenceIndex, "validator": Validator | None}``.
    """

    @model_validator(mode="after")
    def _run_validator(self, info: ValidationInfo) -> Self:
        context = info.context if isinstance(info.context, dict) else {}
        check = context.get("validator")
        index = context.get("index")
        if check is None or index is None:
            return self
        problems = [str(p) for p in (check(self, index) or []) if p]
        if problems:
            raise ValueError("the answer does not fit the article:\n- " + "\n- ".join(problems))
        return self

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """The default JSON schema, generated once per class (pydantic builds it anew on every call, ~5 ms).

        Read-only: instructor's handlers and the request only read it.
        """
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        schema = _SCHEMAS.get(cls)
        if schema is None:
            schema = _SCHEMAS[cls] = super().model_json_schema()
        return schema


# Sent under ClaimList's name and schema: the subclass only adds validation.
_CheckedClaimList.__name__ = _CheckedClaimList.__qualname__ = "ClaimList"
_CheckedClaimList.__doc__ = ClaimList.__doc__
_CheckedClaimList.model_rebuild(force=True)

# instructor's wrapper around the response model, made once (instructor makes a new class on every
# call when it is given a plain pydantic model); instructor passes a wrapped model through as it is.
_RESPONSE_MODEL: type[_CheckedClaimList] = instructor.openai_schema(_CheckedClaimList)


_CHAT = "POST /chat/completions"


class _CutOff(ValueError):
    """The reply stopped at the token limit (``finish_reason`` "length"): re-asked like a malformed one."""


_CUT_OFF = ("the reply was cut off at the token limit before the JSON was complete; reply again with "
            "the complete JSON, shorter (fewer claims, shorter quotes)")
# What a re-ask answers (instructor's own list, plus a cut-off reply).
_REASKABLE = (ValidationError, json.JSONDecodeError, ResponseParsingError, _CutOff)

_NEWLINES = re.compile(r"\r\n|\r")


def _as_sent(text: str) -> str:
    """A message as it has always been sent: newlines normalised, one trailing newline dropped, dedented.

    instructor used to template every message with Jinja (the validation context went in as its
    ``context=``), after its handler had added the schema: that did exactly this to each message's
    text (an article's ``{`` was protected, so nothing else changed). It is kept so the request
    bodies, and the cassettes recorded from them, stay the same.
    """
    text = _NEWLINES.sub("\n", text)
    if text.endswith("\n"):
        text = text[:-1]
    return textwrap.dedent(text)


def _finish_reason(response: Any) -> str | None:
    try:
        return response.choices[0].finish_reason
    except (AttributeError, IndexError, TypeError):
        return None


# --------------------------------------------------------------------------- transport retries


class _RequestTimeout(Exception):
    """An async request got no complete reply within its time (``asyncio.timeout``): retried like a timeout."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"no complete reply within {seconds:g}s")


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError | _RequestTimeout):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def retry_after_seconds(exc: BaseException, now: float | None = None) -> float | None:
    """The wait a 429/503 asks for (``retry-after-ms``, ``Retry-After`` seconds or HTTP date)."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


_KEYISH = re.compile(r"\b(sk-[A-Za-z0-9_*\-]{4,})")


@dataclass
class _Run:
    """What one extraction saw: every reply (scrubbed of secrets), the usage summed over all attempts, the
    request count, and the article's deadline (``time.monotonic()``; None: none)."""

    raw_replies: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    replies: int = 0
    requests: int = 0
    transport_retries: int = 0
    deadline: float | None = None
    scrub: Callable[[str], str] = str

    def on_response(self, response: Any) -> None:
        self.replies += 1
        _scrub_reply_in_place(response, self.scrub)
        self.raw_replies.append(_reply_text(response))
        usage = getattr(response, "usage", None)
        if usage is not None:
            self.usage.add(Usage(prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                                 completion_tokens=getattr(usage, "completion_tokens", 0) or 0))


def _scrub_reply_in_place(response: Any, scrub: Callable[[str], str]) -> None:
    """The reply's text (content, tool-call arguments) scrubbed of secrets before anything reads it: a claim,
    a raw reply kept for review and a re-ask carry the server's words, never the key it echoed."""
    if scrub is str:
        return
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return
    content = getattr(message, "content", None)
    if isinstance(content, str):
        message.content = scrub(content)
    for call in getattr(message, "tool_calls", None) or []:
        function = getattr(call, "function", None)
        if isinstance(getattr(function, "arguments", None), str):
            function.arguments = scrub(function.arguments)


def _reply_text(response: Any) -> str:
    try:
        message = response.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return ""
    content = getattr(message, "content", None)
    if content:
        return str(content)
    for call in getattr(message, "tool_calls", None) or []:
        arguments = getattr(getattr(call, "function", None), "arguments", None)
        if arguments:
            return str(arguments)
    return ""


def _prepare(handlers: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """What instructor did to a request before sending it: the mode's handler (which adds the schema),
    its message converter, then (see :func:`_as_sent`) the template pass; a new list of new messages."""
    _, out = handlers.request_handler(response_model=_RESPONSE_MODEL, kwargs=kwargs)
    if handlers.message_converter is not None and "messages" in out:
        out["messages"] = handlers.message_converter(out["messages"], autodetect_images=False)
    out["messages"] = [{**m, "content": _as_sent(m["content"])} if isinstance(m.get("content"), str) else m
                       for m in out["messages"]]
    return out


# (the messages before the article's, as prepared; arguments the handler adds; arguments it drops)
_Plan = tuple[list[dict[str, Any]], dict[str, Any], tuple[str, ...]]
_PROBE = "\x00llmextract probe: the article's message\x00"


def _plan(handlers: Any, kwargs: dict[str, Any]) -> _Plan | bool:
    """:func:`_prepare` of the part of a request that is the same for every article, or False.

    Everything but the last message (the article's) is the same on every call: the system
    message, the examples and, in JSON mode, the schema instructor pastes into the system
    message (~0.7 ms of ``json.dumps`` a call). The handler is run once with a stand-in for the
    article's message; the plan is used only if the stand-in came through untouched, last, and
    the other arguments passed through as given (so the handler cannot have used them).
    """
    messages = kwargs["messages"]
    probe = {**kwargs, "messages": [*messages[:-1], {"role": messages[-1]["role"], "content": _PROBE}]}
    out = _prepare(handlers, probe)
    got = out["messages"]
    if len(got) != len(messages) or got[-1] != {"role": messages[-1]["role"], "content": _as_sent(_PROBE)}:
        return False
    if any(_PROBE in str(v) for k, v in out.items() if k != "messages") or any(
            _PROBE in str(m) for m in got[:-1]):
        return False
    added = {k: v for k, v in out.items() if k != "messages" and k not in kwargs}
    if any(out[k] is not kwargs[k] for k in kwargs if k in out and k != "messages"):
        return False
    dropped = tuple(k for k in kwargs if k not in out)
    return got[:-1], added, dropped


#: Checks a parsed reply against the article, elsewhere (where its index is): the validator's problems.
RemoteCheck = Callable[[ClaimList], Awaitable[list[str]]]


# --------------------------------------------------------------------------- the extractor


class LLMExtractor:
    """Extract claims with a language model behind an OpenAI-compatible endpoint.

    One instance holds one ``openai.OpenAI`` and one ``openai.AsyncOpenAI`` client (made on first
    use), shared by every call: :meth:`aextract` may run concurrently (within one event loop).
    ``http_client``/``async_http_client`` (``httpx2.Client``/``httpx2.AsyncClient``) set connection
    pool limits or proxies; they are not closed by :meth:`close`.
    """

    def __init__(
        self,
        config: EndpointConfig,
        *,
        prompts: PromptSet | None = None,
        validator: Validator | None = None,
        http_client: Any = None,
        async_http_client: Any = None,
        use_grounded_schema: bool = False,
    ) -> None:
        if config.profile != "auto" and config.profile not in PROFILES:
            raise ConfigError(f"unknown profile {config.profile!r}")
        self.config = config
        self.prompts = prompts if prompts is not None else PromptSet.load()
        self.validator = validator
        # Grounded by construction (llmextract.grounding.grounded_schema): on profiles that enforce a
        # schema, the schema sent has enums of the text's number phrases and names.
        self.use_grounded_schema = use_grounded_schema
        self._http_client = http_client
        self._async_http_client = async_http_client
        # Every form of the key, the URL's credentials and secret query values: scrubbed from what the
        # server writes back, and (through the filter on the HTTP clients' loggers) from their log records.
        self._secrets = config.secrets
        if self._secrets:
            register(self._secrets)
            install_log_filter()
        self._client: openai.OpenAI | None = None
        self._aclient: openai.AsyncOpenAI | None = None
        self._lock = threading.Lock()  # one client each, even when threads race to make it
        self._profile: str | None = None if config.profile == "auto" else config.profile
        self._model: str | None = config.model
        self._schema = claimlist_schema()  # shared: replace it, never change it in place
        self._options_cache: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self._plans: dict[tuple[Any, ...], _Plan | bool] = {}
        # Seams for tests: how transport back-off waits (never wall-clock asserted).
        self._sleep: Callable[[float], None] = time.sleep
        self._asleep: Callable[[float], Any] = asyncio.sleep

    def __repr__(self) -> str:
        return f"LLMExtractor(endpoint={self.endpoint!r}, model={self._model!r}, profile={self._profile!r})"

    # -- public properties
    @property
    def endpoint(self) -> str:
        """The base URL without credentials or query string."""
        return self.config.display_url

    @property
    def model(self) -> str | None:
        """The model id (None until it is known: given, or the first of ``/models``)."""
        return self._model

    @property
    def profile(self) -> str | None:
        """The structured-output profile (None until detected)."""
        return self._profile

    # -- clients
    @property
    def client(self) -> openai.OpenAI:
        with self._lock:
            return self._make_client()

    def _client_options(self) -> dict[str, Any]:
        """What both openai clients are made with: the base URL without credentials or query string (the
        query's parameters go on every request, the credentials in a Basic header), the key, no retries."""
        options: dict[str, Any] = {"base_url": self.config.request_url, "timeout": self.config.timeout,
                                   "api_key": self.config.api_key.get_secret_value(), "max_retries": 0}
        if self.config.query_params:
            options["default_query"] = self.config.query_params
        if self.config.basic_auth:
            options["default_headers"] = {"Authorization": self.config.basic_auth}
        return options

    def _make_client(self) -> openai.OpenAI:
        if self._client is None:
            http = self._http_client or transport.http_client(timeout=self.config.timeout,
                                                              max_reply_bytes=self.config.max_reply_bytes)
            self._client = openai.OpenAI(http_client=http, **self._client_options())
        return self._client

    @property
    def aclient(self) -> openai.AsyncOpenAI:
        with self._lock:
            return self._make_aclient()

    def _make_aclient(self) -> openai.AsyncOpenAI:
        if self._aclient is None:
            http = self._async_http_client or transport.async_http_client(
                timeout=self.config.timeout, max_reply_bytes=self.config.max_reply_bytes)
            self._aclient = openai.AsyncOpenAI(http_client=http, **self._client_options())
        return self._aclient

    def close(self) -> None:
        """Close the sync client (an injected http_client is left open)."""
        if self._client is not None and self._http_client is None:
            self._client.close()
        self._client = None

    async def aclose(self) -> None:
        """Close both clients (injected http clients are left open)."""
        if self._aclient is not None and self._async_http_client is None:
            await self._aclient.close()
        self._aclient = None
        self.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport retries
    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        cap = self.config.retry_max_wait
        asked = retry_after_seconds(exc) if exc is not None else None
        if asked is not None:
            return min(asked, cap)
        base = min(cap, 0.5 * 2 ** (state.attempt_number - 1))
        return min(cap, base + random.uniform(0, base / 2))

    def _retry_policy(self) -> dict[str, Any]:
        return {
            "stop": stop_after_attempt(self.config.transport_retries + 1),
            "wait": self._wait,
            "retry": retry_if_exception(_is_transient),
            "reraise": True,
        }

    def _endpoint_error(self, exc: BaseException, what: str, attempts: int, run: _Run | None) -> EndpointError:
        status = exc.status_code if isinstance(exc, openai.APIStatusError) else None
        if isinstance(exc, openai.APITimeoutError | _RequestTimeout):
            seconds = exc.seconds if isinstance(exc, _RequestTimeout) else self.config.timeout
            reason = f"timed out: no complete reply within {seconds:g}s (the request timeout)"
        elif isinstance(exc, transport.ReplyTooLarge):
            reason = f"refused: {exc}"
        elif isinstance(exc, openai.APIConnectionError):
            reason = "could not connect"
        elif isinstance(exc, openai.APIStatusError):
            reason = f"HTTP {exc.status_code}: {self._scrub(_server_message(exc))}"
        else:
            reason = self._scrub(f"{type(exc).__name__}: {exc}")
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        retries = run.transport_retries if run is not None else max(attempts - 1, 0)
        cls = AuthError if status in (401, 403) else ModelNotFoundError if status == 404 and what.startswith(
            "POST") else EndpointError  # the fatal ones (no retry can fix them) have a class of their own
        return cls(self._scrub(f"{self.endpoint}: {what} {reason} ({tries})", limit=None), endpoint=self.endpoint,
                   attempts=attempts, status_code=status, transport_retries=retries)

    def _article_timeout(self, what: str, attempts: int) -> ArticleTimeoutError:
        seconds = self.config.article_timeout or 0.0
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        return ArticleTimeoutError(
            f"{self.endpoint}: the article's deadline of {seconds:g}s passed while waiting for {what} "
            f"({tries} of this request); article_timeout sets it", seconds=seconds, stage=what)

    def _scrub(self, text: str, limit: int | None = 500) -> str:
        """``text`` (written by the server, or holding what it wrote) without any form of a configured secret."""
        text = _KEYISH.sub("sk-***", self._secrets.scrub(text))
        return text if limit is None or len(text) <= limit else text[:limit] + "..."

    def _scrub_reply(self, text: str) -> str:
        return self._secrets.scrub(text) if self._secrets else text

    def _attempt_time(self, what: str, deadline: float | None, attempts: int) -> tuple[float, bool]:
        """The time one attempt may take, and whether the article's deadline (not the request timeout) set it."""
        timeout = self.config.timeout
        if deadline is None:
            return timeout, False
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._article_timeout(what, attempts)
        return (left, True) if left < timeout else (timeout, False)

    def _check_sleep(self, seconds: float, what: str, deadline: float | None, attempts: int) -> None:
        """A back-off that would end past the article's deadline fails the article now instead."""
        if deadline is not None and time.monotonic() + seconds >= deadline:
            raise self._article_timeout(what, attempts)

    def _completion(self, response: Any, what: str, attempts: int) -> Any:
        """The reply if it is a chat completion; an EndpointError saying what came back if it is not (a proxy's
        HTML page, plain text), or if it is larger than ``max_reply_bytes``."""
        if isinstance(response, str | bytes):
            text = response.decode("utf-8", "replace") if isinstance(response, bytes) else response
            head = text.lstrip()[:200].lower()
            html = head.startswith(("<!doctype html", "<html", "<head", "<body", "<?xml")) or "<html" in head
            what_came = "an HTML page" if html else f"{len(text):,} characters of text that are not JSON"
            message = (f"{self.endpoint}: {what}: the endpoint answered {'HTML' if html else 'text'} with status "
                       f"200 ({what_came}), not a chat completion; is the base URL the API's (usually ending "
                       f"in /v1)? It begins: {text.strip()[:120]!r}")
            raise EndpointError(self._scrub(message, limit=None), endpoint=self.endpoint, attempts=attempts,
                                status_code=200)
        size = len(_reply_text(response).encode("utf-8", "surrogatepass"))
        if size > self.config.max_reply_bytes:
            raise EndpointError(f"{self.endpoint}: {what} refused: the reply was larger than the limit of "
                                f"{self.config.max_reply_bytes:,} bytes (max_reply_bytes)", endpoint=self.endpoint,
                                attempts=attempts, status_code=200)
        return response

    def _log_retry(self, what: str, run: _Run | None) -> Callable[[RetryCallState], None]:
        def log(state: RetryCallState) -> None:
            if run is not None:
                run.transport_retries += 1
            exc = state.outcome.exception() if state.outcome is not None else None
            wait = state.next_action.sleep if state.next_action is not None else 0.0
            if isinstance(exc, _RequestTimeout):
                why = str(exc)
            elif isinstance(exc, openai.APITimeoutError):
                why = f"no complete reply within {self.config.timeout:g}s"
            else:
                why = type(exc).__name__ if exc is None else _short(exc)
            logger.warning("%s: %s failed (%s); retry %d in %.2fs", self.endpoint, what, self._scrub(why),
                           state.attempt_number, wait)
        return log

    def _call(self, fn: Callable[[], Any], what: str, run: _Run | None, deadline: float | None = None) -> Any:
        """``fn()`` with transport retries, each attempt bounded by the request timeout or, when sooner, the
        article's ``deadline`` (at the socket, for the clients made here)."""
        attempts = 0

        def sleep(seconds: float) -> None:
            self._check_sleep(seconds, what, deadline, attempts)
            self._sleep(seconds)

        try:
            for attempt in Retrying(sleep=sleep, before_sleep=self._log_retry(what, run), **self._retry_policy()):
                with attempt:
                    attempts += 1
                    if run is not None:
                        run.requests += 1
                    seconds, by_article = self._attempt_time(what, deadline, attempts - 1)
                    try:
                        with transport.deadline(seconds):
                            return fn()
                    except openai.APITimeoutError:
                        if by_article and deadline is not None and time.monotonic() >= deadline:
                            raise self._article_timeout(what, attempts) from None
                        raise
        except ArticleTimeoutError:
            raise
        except (openai.APIError, transport.ReplyTooLarge, OSError) as exc:
            raise self._endpoint_error(exc, what, attempts, run) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def _acall(self, fn: Callable[[], Any], what: str, run: _Run | None,
                     deadline: float | None = None) -> Any:
        """Async :meth:`_call`; each attempt is bounded with ``asyncio.timeout``, whatever the client. The
        article's ``deadline`` moves on by the time it has waited for a request slot (:func:`waited`)."""
        attempts = 0

        def due() -> float | None:
            return None if deadline is None else deadline + waited()

        async def sleep(seconds: float) -> None:
            self._check_sleep(seconds, what, due(), attempts)
            await self._asleep(seconds)

        try:
            async for attempt in AsyncRetrying(sleep=sleep, before_sleep=self._log_retry(what, run),
                                               **self._retry_policy()):
                with attempt:
                    attempts += 1
                    if run is not None:
                        run.requests += 1
                    async with request_slot():  # a batch's limit of requests in flight; the time starts after
                        seconds, by_article = self._attempt_time(what, due(), attempts - 1)
                        try:
                            async with asyncio.timeout(seconds):
                                return await fn()
                        except TimeoutError:
                            if by_article:
                                raise self._article_timeout(what, attempts) from None
                            raise _RequestTimeout(seconds) from None
        except ArticleTimeoutError:
            raise
        except (openai.APIError, transport.ReplyTooLarge, _RequestTimeout, OSError) as exc:
            raise self._endpoint_error(exc, what, attempts, run) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    # -- model and profile
    def _settle(self, models: list[Any] | None) -> tuple[str, str]:
        if self._model is None:
            ids = [getattr(m, "id", None) for m in models or []]
            ids = [i for i in ids if i]
            if not ids:
                raise ConfigError(f"{self.endpoint}: no model given and GET /models listed none; set a model")
            self._model = str(ids[0])
            logger.info("%s: using model %s (first of /models)", self.endpoint, self._model)
        if self._profile is None:
            owners = [getattr(m, "owned_by", None) for m in models or []]
            self._profile = detect_profile(self.config.base_url, owners)
            logger.info("%s: profile %s (owned_by %s)", self.endpoint, self._profile, sorted(set(map(str, owners))))
        return self._model, self._profile

    def _models_optional(self, exc: EndpointError) -> list[Any]:
        """When /models does not exist but the model is known, carry on with the json profile."""
        if self._model is not None and exc.status_code in (404, 405, 501):
            logger.info("%s: no /models (%s); profile json", self.endpoint, exc.status_code)
            return []
        raise exc

    def prepare(self, deadline: float | None = None) -> tuple[str, str]:
        """Settle the model and profile (GET /models when either is unknown); returns (model, profile).

        ``deadline`` (``time.monotonic()``) is the article's, when an extraction asks."""
        if self._model is not None and self._profile is not None:
            return self._model, self._profile
        try:
            models = list(self._call(lambda: self.client.models.list().data, "GET /models", None, deadline))
        except EndpointError as exc:
            models = self._models_optional(exc)
        return self._settle(models)

    async def aprepare(self, deadline: float | None = None) -> tuple[str, str]:
        """Async :meth:`prepare`."""
        if self._model is not None and self._profile is not None:
            return self._model, self._profile

        async def fetch() -> list[Any]:
            page = await self.aclient.models.list()
            return list(page.data)

        try:
            models = await self._acall(fetch, "GET /models", None, deadline)
        except EndpointError as exc:
            models = self._models_optional(exc)
        return self._settle(models)

    # -- extraction
    def grounds(self, profile: str) -> bool:
        """Whether requests send a grounded schema: when asked for and the profile enforces schemas."""
        return self.use_grounded_schema and profile in GROUNDED_PROFILES

    def facts(self, index: EvidenceIndex, profile: str) -> Facts:
        """What a request for the article needs of its index (:class:`~llmextract.extractors.replies.Facts`)."""
        return replies.facts(index, self.grounds(profile))

    def _request(self, article: Article, facts: Facts, model: str, profile: Profile) -> dict[str, Any]:
        """The chat completion arguments, before instructor's handler adds the schema."""
        kwargs: dict[str, Any] = {
            "messages": self.prompts.render(article, facts.hints),
            "model": model,
            "temperature": self.config.temperature,
        }
        if self.config.max_tokens is not None:
            kwargs["max_tokens"] = self.config.max_tokens
        grounded = facts.grounded
        if grounded is not None and profile.name in ("vllm", "ollama"):
            kwargs["extra_body"] = {"response_format": {
                "type": "json_schema", "json_schema": {"name": "ClaimList", "schema": grounded}}}
        elif grounded is not None:
            kwargs.update(profile.request_options(grounded))
        else:
            kwargs.update(self._options(profile))
        return kwargs

    def _options(self, profile: Profile) -> dict[str, Any]:
        """The profile's request options for ``self._schema``, made once per profile and schema."""
        cached = self._options_cache.get(profile.name)
        if cached is None or cached[0] is not self._schema:
            cached = (self._schema, profile.request_options(self._schema))
            self._options_cache[profile.name] = cached
        return cached[1]

    def _prepared(self, article: Article, facts: Facts, model: str,
                  profile: Profile) -> tuple[Any, dict[str, Any]]:
        """instructor's handlers for the profile's mode, and the first request made with them."""
        handlers = mode_registry.get_handlers(instructor.Provider.OPENAI, profile.mode)
        kwargs = self._request(article, facts, model, profile)
        messages = kwargs["messages"]
        if messages and all(isinstance(m.get("content"), str) and m["content"] and set(m) == {"role", "content"}
                            for m in messages):
            # everything the handler sees but the article's message: mode, model, which other arguments
            # (their values are the profile's, fixed per extractor), the messages before the article's
            key = (profile.mode, model, tuple(sorted(k for k in kwargs if k != "messages")),
                   tuple((m["role"], m["content"]) for m in messages[:-1]), messages[-1]["role"])
            plan = self._plans.get(key)
            if plan is None:
                if len(self._plans) >= 8:
                    self._plans.clear()
                plan = self._plans[key] = _plan(handlers, kwargs)
            if plan is not False:
                head, added, dropped = plan
                for name in dropped:
                    kwargs.pop(name, None)
                kwargs.update(added)
                last = {"role": messages[-1]["role"], "content": _as_sent(messages[-1]["content"])}
                kwargs["messages"] = [*(dict(m) for m in head), last]  # new dicts: nothing shared between calls
                return handlers, kwargs
        return handlers, _prepare(handlers, kwargs)

    @staticmethod
    def _parse(handlers: Any, response: Any, context: dict[str, Any]) -> ClaimList:
        """One reply, checked; a bad or cut-off reply raises one of ``_REASKABLE``. ``context`` is the
        validation context (``{"index": ..., "validator": ...}``, see :class:`_CheckedClaimList`)."""
        if _finish_reason(response) == "length":
            raise _CutOff(_CUT_OFF)
        parsed: ClaimList = handlers.response_parser(
            response=response, response_model=_RESPONSE_MODEL, strict=False, stream=False,
            validation_context=context)
        return parsed

    def _judge(self, handlers: Any, kwargs: dict[str, Any], response: Any, context: dict[str, Any], run: _Run,
               attempt: int) -> ClaimList | dict[str, Any]:
        """The reply parsed, or the next request (the reply and its errors appended) when it does not fit;
        ModelOutputError when the re-ask budget is spent. The reply has been counted (``run.on_response``)."""
        try:
            return self._parse(handlers, response, context)
        except _REASKABLE as exc:
            if attempt >= self.config.reask_budget:
                raise self._model_output_error(exc, run) from exc
            logger.debug("%s: reply %d did not fit (%s); re-asking", self.endpoint, attempt + 1, _short(exc, 200))
            reasked: dict[str, Any] = handlers.reask_handler(kwargs=kwargs, response=response, exception=exc)
            return reasked

    def _model_output_error(self, exc: Exception, run: _Run) -> ModelOutputError:
        n = f"{run.replies} attempt{'s' if run.replies != 1 else ''}"
        if isinstance(exc, _CutOff):
            message = (f"{self.endpoint}: the reply was cut off at the token limit (finish_reason=length) "
                       f"after {n}; raise max_tokens or the server's context size")
        else:
            message = self._scrub(f"{self.endpoint}: the model's replies did not fit the schema after {n}: "
                                  f"{_short(exc)}", limit=None)
        return ModelOutputError(message, raw_replies=run.raw_replies, attempts=run.replies,
                                transport_retries=run.transport_retries)

    def _new_run(self) -> _Run:
        seconds = self.config.article_timeout
        return _Run(deadline=time.monotonic() + seconds if seconds else None,
                    scrub=self._scrub_reply if self._secrets else str)

    def extract(self, article: Article, index: EvidenceIndex | None = None) -> ExtractionResult:
        """Extract the article's claims. Raises EndpointError, ModelOutputError, ConfigError, or
        ArticleTimeoutError when ``config.article_timeout`` passes first.

        ``index`` is the article's evidence index (the pipeline's); without one it is built here, once.
        """
        started = time.perf_counter()
        index = index if index is not None else EvidenceIndex.build(article)
        run = self._new_run()
        model, profile_name = self.prepare(run.deadline)
        profile = PROFILES[profile_name]
        context = {"index": index, "validator": self.validator}
        handlers, kwargs = self._prepared(article, self.facts(index, profile_name), model, profile)
        attempt = 0
        while True:
            response = self._call(functools.partial(self._post, kwargs), _CHAT, run, run.deadline)
            response = self._completion(response, _CHAT, run.requests)
            run.on_response(response)
            outcome = self._judge(handlers, kwargs, response, context, run, attempt)
            if isinstance(outcome, ClaimList):
                break
            kwargs, attempt = outcome, attempt + 1
        return self.result(article, index, outcome, run, model, profile_name, _since(started))

    async def aextract(self, article: Article, index: EvidenceIndex | None = None) -> ExtractionResult:
        """Async :meth:`extract`, on the shared ``AsyncOpenAI`` client."""
        started = time.perf_counter()
        index = index if index is not None else EvidenceIndex.build(article)
        run = self._new_run()
        model, profile_name = await self.aprepare(run.deadline)
        parsed = await self.areplies(article, self.facts(index, profile_name), run, model, profile_name,
                                     context={"index": index, "validator": self.validator})
        return self.result(article, index, parsed, run, model, profile_name, _since(started))

    def new_run(self) -> _Run:
        """What one extraction will see (its replies, usage, requests), its deadline starting now."""
        return self._new_run()

    async def areplies(self, article: Article, facts: Facts, run: _Run, model: str, profile_name: str, *,
                       context: dict[str, Any] | None = None, check: RemoteCheck | None = None) -> ClaimList:
        """The requests and replies of one article, up to a reply that fits: its claims as the model wrote them.

        The article's index is either here (``context``: the validation context, the validator run inside
        the parse) or elsewhere (``check``: the validator's problems with a parsed reply, awaited; a reply
        with problems is parsed again with them, so its re-ask is the same as when the index is here).
        """
        profile = PROFILES[profile_name]
        handlers, kwargs = self._prepared(article, facts, model, profile)
        here = context if context is not None else {}
        attempt = 0
        while True:
            response = await self._acall(functools.partial(self._apost, kwargs), _CHAT, run, run.deadline)
            response = self._completion(response, _CHAT, run.requests)
            run.on_response(response)
            outcome = self._judge(handlers, kwargs, response, here, run, attempt)
            if check is not None and isinstance(outcome, ClaimList) and self.validator is not None:
                problems = await check(outcome)
                if problems:  # the same failure the validator raises in the parse, re-asked the same way
                    said = {"index": True, "validator": _saying(problems)}
                    outcome = self._judge(handlers, kwargs, response, said, run, attempt)
            if isinstance(outcome, ClaimList):
                return outcome
            kwargs, attempt = outcome, attempt + 1

    def _post(self, kwargs: dict[str, Any]) -> Any:
        """One chat completion request (see :func:`_body`)."""
        return self.client.post("/chat/completions", cast_to=ChatCompletion, body=_body(kwargs))

    async def _apost(self, kwargs: dict[str, Any]) -> Any:
        """Async :meth:`_post`."""
        return await self.aclient.post("/chat/completions", cast_to=ChatCompletion, body=_body(kwargs))

    def result(self, article: Article, index: EvidenceIndex, parsed: ClaimList, run: _Run, model: str,
               profile: str, latency_s: float) -> ExtractionResult:
        """The result of the reply that fitted (:func:`llmextract.extractors.replies.result`)."""
        return replies.result(article, index, parsed, self.provenance(run, model, profile, latency_s),
                              grounded=self.grounds(profile))

    def provenance(self, run: _Run, model: str, profile: str, latency_s: float) -> Provenance:
        """The provenance of one extraction (its notes are added as the reply becomes a result)."""
        return Provenance(
            extractor="llm",
            model_used=True,
            endpoint=self.endpoint,
            model=model,
            profile=profile,
            prompt_hash=self.prompts.hash,
            usage=run.usage,
            attempts=run.replies,
            transport_retries=run.transport_retries,
            latency_s=latency_s,
            raw_replies=run.raw_replies,
            version=__version__,
        )


def _saying(problems: list[str]) -> Validator:
    """A validator that finds ``problems``, whatever it is given (those another process found)."""

    def validator(_claims: ClaimList, _index: Any) -> list[str]:
        return problems

    return validator


def _since(started: float) -> float:
    """Seconds since ``started`` (``time.perf_counter()``), as provenance keeps them."""
    return round(time.perf_counter() - started, 4)


def _body(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of a chat completion request with these arguments, as ``chat.completions.create`` sends
    it: ``extra_body`` merged in last (its keys win). The arguments are plain JSON already, so the SDK's
    walk of them against its parameter types (about 0.5 ms a request, the messages' every key) is skipped
    by posting them through the client's ``post`` (the SDK's way to any endpoint)."""
    extra = kwargs.get("extra_body")
    body = {k: v for k, v in kwargs.items() if k != "extra_body"}
    if extra:
        body.update(extra)
    return body


def _server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
        if isinstance(err, str):
            return err
    return str(exc.message or "")


def _short(exc: BaseException, limit: int = 400) -> str:
    text = f"{exc}".strip() or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "..."
