"""Where the model is: an OpenAI-compatible endpoint, its model, key and retry budgets.

Resolution order, field by field: explicit arguments, then ``LLMEXTRACT_*`` environment
variables, then the ``OPENAI_*`` ones::

    base_url  LLMEXTRACT_BASE_URL  OPENAI_BASE_URL
    model     LLMEXTRACT_MODEL     OPENAI_MODEL
    api_key   LLMEXTRACT_API_KEY   OPENAI_API_KEY
    profile   LLMEXTRACT_PROFILE
    article_timeout  LLMEXTRACT_ARTICLE_TIMEOUT   (seconds; 0 or "none": no deadline)

With no base URL anywhere, :meth:`EndpointConfig.resolve` returns ``None`` and the offline
extractor is used: a key alone (say ``OPENAI_API_KEY`` left in the shell) never sends an
article anywhere.

The key is a :class:`pydantic.SecretStr`: ``repr``, ``str`` and ``model_dump_json`` show
``**********``, and the base URL is shown without userinfo or query string.

A base URL may carry a query string (``https://host/openai/v1?api-version=2024-06-01``) and
credentials (``http://user:pass@host/v1``): requests go to the path without them
(:attr:`EndpointConfig.request_url`), the query's parameters are added to every request
(:attr:`EndpointConfig.query_params`) and the credentials are sent as HTTP Basic authorization
(:attr:`EndpointConfig.basic_auth`). :attr:`EndpointConfig.secrets` is every secret the
configuration holds (the key, the password, secret query values), for scrubbing.

Time and size bounds, each overridable:

* ``timeout`` (120 s): one HTTP request, from sending it to the last byte of the reply, however
  slowly the server sends it;
* ``article_timeout`` (:data:`DEFAULT_ARTICLE_TIMEOUT`, 600 s): one article, every request, retry,
  back-off and re-ask included (a 135M model on two CPU cores answers in well under a minute);
  ``None`` for none;
* ``max_reply_bytes`` (:data:`DEFAULT_MAX_REPLY_BYTES`, 4 MB): one reply; a ClaimList is a few KB.
"""

from __future__ import annotations

import base64
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_serializer, field_validator

from llmextract.choices import DEFAULT_ARTICLE_TIMEOUT, PROFILES
from llmextract.errors import ConfigError
from llmextract.secrets import Secrets

#: The structured-output profiles (:data:`llmextract.choices.PROFILES`), as a type.
Profile = Literal["auto", "openai", "vllm", "ollama", "llamacpp", "json"]
assert typing.get_args(Profile) == PROFILES

#: The environment variables :meth:`EndpointConfig.resolve` reads the base URL (which may carry credentials)
#: and the key from, in order.
BASE_URL_ENV = ("LLMEXTRACT_BASE_URL", "OPENAI_BASE_URL")
API_KEY_ENV = ("LLMEXTRACT_API_KEY", "OPENAI_API_KEY")

#: Where llmextract keeps what it can rebuild (results of batch runs, the gazetteer index).
CACHE_ENV = "LLMEXTRACT_CACHE_DIR"


def cache_dir() -> Path:
    """``$LLMEXTRACT_CACHE_DIR``, else ``$XDG_CACHE_HOME/llmextract``, else ``~/.cache/llmextract``."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "llmextract"

#: Seconds one article may take through a model endpoint, every request, retry and re-ask included.
#: The largest reply accepted from a model endpoint, in bytes.
DEFAULT_MAX_REPLY_BYTES = 4_000_000

#: The key sent to endpoints that need none (a local llama.cpp server, Ollama, vLLM).
NO_KEY = "not-needed"


def safe_url(url: str) -> str:
    """``url`` without userinfo, query string or fragment: safe to log, print and store."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable url>"
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


class EndpointConfig(BaseModel):
    """One OpenAI-compatible chat endpoint and how to talk to it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(description="OpenAI-compatible base URL, usually ending in /v1.")
    model: str | None = Field(default=None, description="Model id; None: the first id GET /models lists.")
    api_key: SecretStr = Field(default=SecretStr(NO_KEY), description="Bearer key; never printed.")
    profile: Profile = Field(default="auto", description="Structured-output profile; auto: detect from /models.")
    timeout: float = Field(default=120.0, gt=0, description="Seconds per HTTP request.")
    transport_retries: int = Field(default=3, ge=0, description="Retries on timeouts, connection errors, 429, 5xx.")
    reask_budget: int = Field(default=2, ge=0, description="Re-asks when a reply does not validate.")
    temperature: float = Field(default=0.0, ge=0)
    max_tokens: int | None = Field(default=None, gt=0, description="Completion token cap; None: the server's.")
    retry_max_wait: float = Field(default=30.0, ge=0, description="Cap on one transport back-off or Retry-After.")
    article_timeout: float | None = Field(default=DEFAULT_ARTICLE_TIMEOUT, gt=0,
                                          description="Seconds per article, retries and re-asks included; None: none.")
    max_reply_bytes: int = Field(default=DEFAULT_MAX_REPLY_BYTES, gt=0, description="Largest reply accepted, bytes.")

    @field_validator("base_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL must be http(s)://host[:port]/path, got {safe_url(value)!r}")
        return value

    @field_serializer("base_url")
    def _dump_url(self, value: str) -> str:
        return safe_url(value)

    @property
    def display_url(self) -> str:
        """The base URL without credentials or query string (what goes into results and errors)."""
        return safe_url(self.base_url)

    @property
    def has_key(self) -> bool:
        return self.api_key.get_secret_value() not in ("", NO_KEY)

    @property
    def request_url(self) -> str:
        """The base URL requests are made under: without userinfo, query string or fragment (path kept)."""
        parts = urlsplit(self.base_url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))

    @property
    def query_params(self) -> dict[str, str]:
        """The base URL's query parameters, added to every request (``api-version``, an ``api-key``)."""
        return dict(parse_qsl(urlsplit(self.base_url).query, keep_blank_values=True))

    @property
    def basic_auth(self) -> str | None:
        """The ``Authorization`` header value for credentials in the base URL (``user:pass@``), else None."""
        parts = urlsplit(self.base_url)
        if parts.username is None and parts.password is None:
            return None
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")

    @property
    def secrets(self) -> Secrets:
        """Every secret this configuration holds, in every form it could be written (see :mod:`llmextract.secrets`)."""
        return Secrets.collect(keys=[self.api_key.get_secret_value()], urls=[self.base_url])

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield name, (safe_url(value) if name == "base_url" else value)

    @classmethod
    def resolve(
        cls,
        endpoint: str | None = None,
        model: str | None = None,
        api_key: str | SecretStr | None = None,
        *,
        profile: str | None = None,
        timeout: float | None = None,
        transport_retries: int | None = None,
        reask_budget: int | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        article_timeout: float | None = None,
        max_reply_bytes: int | None = None,
        env: Mapping[str, str] | None = None,
    ) -> EndpointConfig | None:
        """Build a config from arguments and the environment; ``None`` when no endpoint is configured.

        Raises :class:`~llmextract.errors.ConfigError` when what is configured does not make sense
        (a base URL that is not http(s), an unknown profile, a negative budget). ``article_timeout``
        of 0 means no deadline (as ``LLMEXTRACT_ARTICLE_TIMEOUT=0`` or ``none``).
        """
        environ = os.environ if env is None else env

        def pick(explicit: Any, *names: str) -> Any:
            if explicit is not None and explicit != "":
                return explicit
            for name in names:
                value = environ.get(name)
                if value:
                    return value.strip()
            return None

        base_url = pick(endpoint, *BASE_URL_ENV)
        if base_url is None:
            return None
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value() or None
        key = pick(api_key, *API_KEY_ENV) or NO_KEY
        chosen_profile = pick(profile, "LLMEXTRACT_PROFILE") or "auto"
        if chosen_profile not in PROFILES:
            raise ConfigError(f"unknown profile {chosen_profile!r}; choose one of {', '.join(PROFILES)}")
        values: dict[str, Any] = {
            "base_url": base_url,
            "model": pick(model, "LLMEXTRACT_MODEL", "OPENAI_MODEL"),
            "api_key": SecretStr(key),
            "profile": chosen_profile,
        }
        for name, value in (("timeout", timeout), ("transport_retries", transport_retries),
                            ("reask_budget", reask_budget), ("temperature", temperature),
                            ("max_tokens", max_tokens), ("max_reply_bytes", max_reply_bytes)):
            if value is not None:
                values[name] = value
        deadline = pick(article_timeout, "LLMEXTRACT_ARTICLE_TIMEOUT")
        if deadline is not None:
            values["article_timeout"] = _seconds_or_none(deadline, "article_timeout")
        try:
            return cls(**values)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            # Never echo the input values (the key is among them): name the fields only.
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in getattr(exc, "errors", list)()
            ) or "invalid endpoint configuration"
            raise ConfigError(f"bad endpoint configuration: {problems}") from None


def _seconds_or_none(value: Any, name: str) -> float | None:
    """A deadline in seconds; 0, "0", "none" or "off" mean none."""
    if isinstance(value, str):
        if value.strip().lower() in ("none", "off", "no", ""):
            return None
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(f"{name}: expected seconds or 'none', got {value!r}") from None
    if value == 0:
        return None
    if value < 0:
        raise ConfigError(f"{name}: must be positive (0 or 'none' for no deadline), got {value:g}")
    return float(value)
