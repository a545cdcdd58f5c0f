"""Recorded HTTP cassettes for the LLM path: record once against a live endpoint, replay offline.

Every call llmextract makes goes over HTTP (``openai`` -> ``httpx2``), so vcrpy can record it
and play it back. This module wraps vcrpy with the rules that make a cassette trustworthy::

    from llmextract import extract
    from llmextract.testing import PLACEHOLDER_URL, use_cassette

    with use_cassette("cassettes/my-test.yaml", record_mode="none"):
        result = extract(text, endpoint=PLACEHOLDER_URL, model="my-model")

* **Matching**: a request matches a recorded one on its method, its path (a different base-URL
  prefix is allowed) and its JSON body compared as data (key order and client headers do not
  count, nor do the scheme, host and port). A changed prompt, schema, model or article misses.
* **Misses are loud**: in a mode that may not record, a request with no recorded reply raises
  :class:`CassetteMiss` (a :class:`~llmextract.errors.CassetteError`) naming the cassette, what
  differs from the closest recorded request (prompt, schema, model, article, parameters) and the
  command that re-records it. Nothing is sent to the network. The error passes through the
  ``openai`` client and llmextract's retry layers unchanged; if the calling code swallows it
  anyway, leaving the ``with`` block raises it again.
* **Secrets never reach the file**: request headers are dropped except ``content-type``
  (so ``authorization``, ``api-key``, cookies and any extra header are never written), response
  headers are kept only for ``content-type`` and ``retry-after``. The values of every header that
  carries a credential (``Authorization`` and the like, and any header whose name says so, such
  as ``X-Custom-Auth``: :func:`llmextract.secrets.is_secret_name`), the URL's ``user:pass`` and its
  secret query parameters (``api-key``, ``key``, ``subscription-key``, ``token`` ...),
  ``$LLMEXTRACT_API_KEY``, ``$OPENAI_API_KEY`` and any configured secret are learnt, and every form
  of each (itself, JSON-escaped, percent-encoded, base64, each half of a split key: see
  :class:`llmextract.secrets.Secrets`) is replaced in the URL and in both bodies, as are ``sk-...``
  and bearer tokens. A server that echoes the request cannot carry a secret into the file.
* **A file is written whole or not at all**: the cassette is serialised, scrubbed once more as a
  whole, checked to load, written to a temporary file beside it and renamed over the old one. A
  ``with`` block that raises writes nothing (the old cassette stays).

Record modes are vcrpy's: ``none`` (replay only; the default everywhere here), ``once`` (record
a cassette that does not exist yet, else replay only), ``new_episodes`` (replay what matches,
record the rest), ``all`` (record everything again and drop what was not re-recorded).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import openai

from llmextract.config import safe_url
from llmextract.errors import CassetteError
from llmextract.secrets import NOT_SECRETS, Secrets, install_log_filter, is_secret_name, register
from llmextract.testing._common import PLACEHOLDER_URL, RECORD_MODES, message_text

__all__ = [
    "KEEP_REQUEST_HEADERS",
    "KEEP_RESPONSE_HEADERS",
    "PLACEHOLDER_URL",
    "RECORD_MODES",
    "REDACTED",
    "SECRET_ENV",
    "SECRET_HEADERS",
    "CassetteMiss",
    "CassetteSession",
    "env_secrets",
    "scrub_url",
    "use_cassette",
]

logger = logging.getLogger(__name__)

REDACTED = "REDACTED"

#: Request headers written to a cassette; every other header (keys, cookies, client details) is dropped.
KEEP_REQUEST_HEADERS = frozenset({"content-type"})
#: Response headers written to a cassette (a 429's Retry-After is part of the behaviour being replayed).
KEEP_RESPONSE_HEADERS = frozenset({"content-type", "retry-after", "retry-after-ms"})
#: Headers that carry credentials: never written, even when asked to keep them; their values are scrubbed.
SECRET_HEADERS = frozenset({
    "authorization", "proxy-authorization", "api-key", "x-api-key", "cookie", "set-cookie",
    "openai-organization", "openai-project", "x-goog-api-key", "anthropic-api-key", "ocp-apim-subscription-key",
})
#: Environment variables whose values are scrubbed wherever they appear.
SECRET_ENV = ("LLMEXTRACT_API_KEY", "OPENAI_API_KEY")
_NOT_SECRETS = NOT_SECRETS | {REDACTED.lower()}
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


# --------------------------------------------------------------------------- errors


class CassetteMiss(CassetteError, openai.OpenAIError):
    """A request found no recorded reply in a cassette that may not record it.

    Also an ``openai.OpenAIError``, so the openai client passes it on as it is instead of wrapping
    it into a connection error (which would be retried and reported as an unreachable endpoint).
    """

    def __init__(self, message: str, *, cassette: str, reason: str, differences: Sequence[str] = (),
                 command: str | None = None) -> None:
        self.cassette = cassette
        self.reason = reason  # "missing", "unreadable", "already_played", "changed", "unknown_route"
        self.differences = list(differences)
        self.command = command
        super().__init__(message)


# --------------------------------------------------------------------------- request bodies


def _digest(data: Any) -> str:
    text = data if isinstance(data, str) else json.dumps(data, sort_keys=True, separators=(",", ":"),
                                                          ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _body_bytes(request: Any) -> bytes:
    body = getattr(request, "body", None)
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if hasattr(body, "getvalue"):
        return bytes(body.getvalue())
    return bytes(b"".join(body)) if isinstance(body, Iterable) else b""



def _body_data(request: Any) -> Any:
    """The request body parsed as JSON (``None`` for no body); raw bytes when it is not JSON."""
    raw = _body_bytes(request)
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _message_text(message: Any) -> str:
    """The message's text; for a tool call with no content, its calls as canonical JSON."""
    if not isinstance(message, dict):
        return ""
    if isinstance(message.get("content"), str | list) or not message.get("tool_calls"):
        return message_text(message)
    return json.dumps(message["tool_calls"], sort_keys=True)


_SCHEMA_INTRO = re.compile(r"json_schema:\s*", re.IGNORECASE)


def _embedded_schema(text: str) -> tuple[Any, str]:
    """A JSON schema embedded in a system message (instructor's JSON mode), and the text without it."""
    decoder = json.JSONDecoder()
    for m in _SCHEMA_INTRO.finditer(text):
        start = text.find("{", m.end())
        if start < 0:
            continue
        try:
            schema, end = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(schema, dict):
            return schema, text[:start] + "<schema>" + text[end:]
    return None, text


@dataclass(frozen=True)
class _RequestSummary:
    """What a chat request asks, in the terms a stale cassette is explained with."""

    model: str | None = None
    prompt: str | None = None  # digest of the system message (schema taken out) and the few-shot turns
    schema: str | None = None  # digest of the JSON schema (response_format, tools or system message)
    article: str | None = None  # digest of the article text
    article_preview: str = ""
    article_message: str | None = None  # digest of the rest of the article's message (hints, dates, outlet)
    followups: int = 0  # messages after the article's (re-asks)
    followups_digest: str | None = None
    params: tuple[tuple[str, str], ...] = ()  # other top-level fields, as canonical JSON
    article_text: str = field(default="", repr=False)
    followups_text: str = field(default="", repr=False)


def _summarize(data: Any) -> _RequestSummary | None:
    """Summarise a chat-completions body; ``None`` when it is not one."""
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        return None
    messages = [m for m in data["messages"] if isinstance(m, dict)]
    schema: Any = None
    params: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("messages", "model"):
            continue
        if key == "response_format" and isinstance(value, dict):
            inner = value.get("json_schema") if isinstance(value.get("json_schema"), dict) else value
            if isinstance(inner.get("schema"), dict):
                schema = inner["schema"]
            params[key] = {k: v for k, v in value.items() if k not in ("schema", "json_schema")}
            continue
        if key == "tools" and isinstance(value, list):
            schema = [t.get("function", {}).get("parameters") for t in value if isinstance(t, dict)]
            params[key] = [t.get("function", {}).get("name") for t in value if isinstance(t, dict)]
            continue
        params[key] = value

    # The article's message: the last user message that wraps a text in <<< >>> (llmextract's
    # template), else the last user message. Messages before it are the prompt's fixed part.
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    marked = [i for i in users if "<<<" in _message_text(messages[i]) and ">>>" in _message_text(messages[i])]
    at = marked[-1] if marked else (users[-1] if users else len(messages))
    head = []
    for m in messages[:at]:
        text = _message_text(m)
        if m.get("role") == "system":
            embedded, text = _embedded_schema(text)
            if schema is None and embedded is not None:
                schema = embedded
        head.append([m.get("role"), text])
    article_text = ""
    rest = ""
    if at < len(messages):
        message = _message_text(messages[at])
        start, end = message.find("<<<"), message.rfind(">>>")
        if start != -1 and end > start:
            article_text = message[start + 3:end].strip("\n")
            rest = message[:start] + message[end + 3:]
        else:
            article_text = message
    tail = [[m.get("role"), _message_text(m)] for m in messages[at + 1:]]
    preview = " ".join(article_text.split())[:60]
    return _RequestSummary(
        model=data.get("model") if isinstance(data.get("model"), str) else None,
        prompt=_digest(head),
        schema=_digest(schema) if schema is not None else None,
        article=_digest(article_text) if at < len(messages) else None,
        article_preview=preview,
        article_message=_digest(rest),
        followups=len(tail),
        followups_digest=_digest(tail) if tail else None,
        params=tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in params.items())),
        article_text=article_text,
        followups_text="\n".join(f"[{role}] {text}" for role, text in tail),
    )


def _first_difference(now: str, recorded: str) -> str:
    i = 0
    for i, (x, y) in enumerate(zip(now, recorded, strict=False)):  # noqa: B007 - i is used after the loop
        if x != y:
            break
    else:
        i = min(len(now), len(recorded))
    start = max(0, i - 20)
    return (f"first difference at character {i}: recorded {recorded[start:i + 30]!r}, "
            f"now {now[start:i + 30]!r}")


def _json_paths_differing(a: Any, b: Any, path: str = "", limit: int = 6) -> list[str]:
    """Up to ``limit`` JSON paths where two documents differ (``messages[3].content``, ``model``)."""
    out: list[str] = []

    def walk(x: Any, y: Any, p: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for key in sorted(set(x) | set(y), key=str):
                sub = f"{p}.{key}" if p else str(key)
                if key not in x or key not in y:
                    out.append(sub + (" (only recorded)" if key in y else " (only in this request)"))
                else:
                    walk(x[key], y[key], sub)
                if len(out) >= limit:
                    return
        elif isinstance(x, list) and isinstance(y, list):
            for i in range(min(len(x), len(y))):
                walk(x[i], y[i], f"{p}[{i}]")
            if len(x) != len(y) and len(out) < limit:
                out.append(f"{p or 'body'} has {len(x)} item(s), {len(y)} recorded")
        elif x != y:
            out.append(p or "body")

    walk(a, b, path)
    return out


# --------------------------------------------------------------------------- matchers


def _route(path: str) -> list[str]:
    return [part for part in (path or "/").split("/") if part]


def _match_path(r1: Any, r2: Any) -> None:
    """Same path, allowing one to carry an extra prefix (a base URL under a sub-path)."""
    a, b = _route(r1.path), _route(r2.path)
    shorter, longer = (a, b) if len(a) <= len(b) else (b, a)
    if not shorter or longer[len(longer) - len(shorter):] != shorter:
        raise AssertionError(f"{r1.path} != {r2.path}")


def _match_json_body(r1: Any, r2: Any) -> None:
    """The bodies are equal as JSON data (key order and whitespace do not count); else as bytes."""
    a, b = _body_data(r1), _body_data(r2)
    if a != b:
        raise AssertionError(", ".join(_json_paths_differing(a, b)) or "the bodies differ")


_MATCH_ON = ("method", "llmx_path", "llmx_body")


# --------------------------------------------------------------------------- scrubbing


def _scrubber(secrets: Iterable[str] | Secrets) -> Secrets:
    found = secrets if isinstance(secrets, Secrets) else Secrets.collect(keys=secrets)
    return Secrets(values=found.values, pairs=found.pairs, mask=REDACTED)


def scrub_url(url: str, secrets: Iterable[str] | Secrets = ()) -> str:
    """A request URL as a cassette stores it: stable from run to run and without secrets.

    This does more than :func:`llmextract.config.safe_url` (the redaction for display, which it
    uses for the scheme, host and path, so the userinfo goes the same way): the query is kept
    (a replay sends the same parameters) with secret-looking values replaced; known ``secrets``
    are replaced wherever they appear in the URL (a key in the path); a loopback host is stored as
    ``localhost`` without its port (a local endpoint's port changes from run to run); the path is
    kept as sent, trailing slash included.
    """
    parts = urlsplit(url)
    netloc = "localhost" if (parts.hostname or "") in _LOOPBACK else parts.netloc
    scrubbed = safe_url(f"{parts.scheme}://{netloc}{parts.path}")
    scrubbed += parts.path[len(parts.path.rstrip("/")):]  # safe_url trims trailing slashes for display
    if parts.query:
        pairs = [(k, REDACTED if is_secret_name(k) else v)
                 for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        scrubbed += "?" + urlencode(pairs)
    return _scrubber(secrets).scrub(scrubbed)


def env_secrets(names: Iterable[str] = SECRET_ENV) -> set[str]:
    """Values of the named environment variables that look like credentials (8 characters or more)."""
    out = set()
    for name in names:
        value = (os.environ.get(name) or "").strip()
        if len(value) >= 8 and value.lower() not in _NOT_SECRETS:
            out.add(value)
    return out


# --------------------------------------------------------------------------- the session


@dataclass
class CassetteSession:
    """One cassette in use: its file, mode, and what happened (handed out by :func:`use_cassette`)."""

    path: Path
    record_mode: str = "none"
    rerecord_command: str | None = None
    name: str = ""
    secrets: set[str] = field(default_factory=set)
    #: (user, password) pairs learnt from URLs and Basic headers: the pair and its base64 are scrubbed too.
    credentials: set[tuple[str, str]] = field(default_factory=set)
    _scrubber_cache: Any = field(default=None, init=False, repr=False, compare=False)
    secret_headers: frozenset[str] = SECRET_HEADERS
    keep_headers: frozenset[str] = KEEP_REQUEST_HEADERS
    misses: list[CassetteMiss] = field(default_factory=list)
    cassette: Any = None  # the vcrpy Cassette while the block runs
    existed: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Set when a miss was already reported to the caller (the pytest plugin sets it when the test failed
    #: with it); otherwise leaving the block raises the first miss again, in case the code swallowed it.
    surfaced: bool = False

    # -- what happened
    @property
    def interactions(self) -> int:
        """Interactions the cassette holds (loaded plus recorded)."""
        return len(self.cassette) if self.cassette is not None else 0

    @property
    def played(self) -> int:
        """Replies played back from the file."""
        return int(self.cassette.play_count) if self.cassette is not None else 0

    @property
    def recorded(self) -> int:
        """Interactions recorded from the network in this session."""
        if self.cassette is None:
            return 0
        return len(self.cassette.data) - int(getattr(self.cassette, "_loaded_count", 0))

    @property
    def all_played(self) -> bool:
        return bool(self.cassette is not None and self.cassette.all_played)

    # -- vcrpy hooks
    def scrubber(self) -> Secrets:
        """Every secret known to the session (given, from the environment, learnt from requests), every form;
        masked with ``***`` as :class:`~llmextract.extractors.llm.LLMExtractor` masks what it scrubs, so a
        re-ask carrying a scrubbed reply matches its recording."""
        key = (frozenset(self.secrets), frozenset(self.credentials))
        cached = self._scrubber_cache
        if cached is None or cached[0] != key:
            found = Secrets.collect(keys=self.secrets)
            # the extractor's mask: a reply it scrubbed and the same reply scrubbed here read back alike
            found = Secrets(values=found.values, pairs=frozenset(self.credentials))
            cached = (key, found)
            self._scrubber_cache = cached
        return cached[1]

    def learn(self, secrets: Secrets) -> None:
        """Add what a request showed to be secret (and scrub it from the log records of this process too)."""
        fresh = {v for v in secrets.values if v.lower() not in _NOT_SECRETS} - self.secrets
        if fresh or not secrets.pairs <= self.credentials:
            self.secrets.update(fresh)
            self.credentials.update(secrets.pairs)
            register(self.scrubber())
            install_log_filter()

    def before_record_request(self, request: Any) -> Any:
        """Scrub one request (vcrpy passes a copy); used both when saving and when matching."""
        kept = {}
        secret = []
        for name, value in list(request.headers.items()):
            lower = name.lower()
            if lower in self.secret_headers or is_secret_name(lower):
                secret.append((name, str(value)))
            elif lower in self.keep_headers:
                kept[name] = value
        self.learn(Secrets.collect(headers=secret, header_names=self.secret_headers, urls=[request.uri]))
        request.headers = kept
        scrubber = self.scrubber()
        request.uri = scrub_url(request.uri, scrubber)
        raw = _body_bytes(request)
        if raw:
            request.body = scrubber.scrub_bytes(raw)
        return request

    def before_record_response(self, response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers") or {}
        response["headers"] = {k: v for k, v in headers.items()
                               if k.lower() in KEEP_RESPONSE_HEADERS and k.lower() not in self.secret_headers}
        body = response.get("body") or {}
        data = body.get("string")
        scrubber = self.scrubber()
        if isinstance(data, str):
            body["string"] = scrubber.scrub(data)
        elif isinstance(data, bytes | bytearray):
            body["string"] = scrubber.scrub_bytes(bytes(data))
        return response

    def before_save(self, request: Any, response: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        """A last pass as the file is written: scrub with every secret learned during the session."""
        request = self.before_record_request(request)
        return request, self.before_record_response(response)

    # -- misses
    def miss(self, cassette: Any, request: Any) -> CassetteMiss:
        reason, lines = _diagnose(cassette, self.before_record_request(copy.deepcopy(request)), self)
        command = self.rerecord_command
        label = self.name or str(self.path)
        where = f"{request.method} {urlsplit(request.uri).path}"
        head = {
            "missing": f"cassette {label!r} does not exist ({self.path})",
            "unreadable": f"cassette {label!r} could not be read ({self.path})",
        }.get(reason, f"cassette {label!r} has no recorded reply for this {where} ({self.path})")
        text = [f"{head}; record mode {self.record_mode!r} does not record, so nothing was sent to the network."]
        text += [f"  {line}" for line in lines]
        if command:
            text.append(f"Re-record it with:\n    {command}")
        else:
            text.append("Re-record it against a live endpoint with record_mode='all' "
                        f"({'once' if reason == 'missing' else 'all'} for a new cassette).")
        error = CassetteMiss("\n".join(text), cassette=str(self.path), reason=reason,
                             differences=[ln.strip() for ln in lines], command=command)
        self.misses.append(error)
        logger.info("%s", error)
        return error


def _current_prompt_hash() -> str | None:
    try:
        from llmextract.extractors.prompts import PromptSet

        return PromptSet.load().hash
    except Exception:  # noqa: BLE001 - a diagnosis must never fail for want of templates
        return None


def _describe(summary: _RequestSummary | None, recorded: _RequestSummary | None) -> list[str]:
    if summary is None or recorded is None:
        return []
    lines = []
    if summary.prompt != recorded.prompt:
        lines.append(f"prompt template (system message and few-shot turns): recorded {recorded.prompt}, "
                     f"now {summary.prompt}")
    if summary.schema != recorded.schema:
        lines.append(f"schema: recorded {recorded.schema}, now {summary.schema}")
    if summary.model != recorded.model:
        lines.append(f"model: recorded {recorded.model!r}, now {summary.model!r}")
    if summary.article != recorded.article:
        if summary.article_preview[:40] == recorded.article_preview[:40]:
            lines.append(f"article text: {_first_difference(summary.article_text, recorded.article_text)}")
        else:
            lines.append(f"article: recorded {recorded.article} {recorded.article_preview!r}, "
                         f"now {summary.article} {summary.article_preview!r}")
    elif summary.article_message != recorded.article_message:
        lines.append("the article's message around the text (hints, published date, outlet) changed: "
                     f"recorded {recorded.article_message}, now {summary.article_message}")
    if (summary.followups, summary.followups_digest) != (recorded.followups, recorded.followups_digest):
        same = summary.followups == recorded.followups
        lines.append(f"re-ask turns after the article: recorded {recorded.followups}, now {summary.followups}"
                     + (" (same count, different content: an earlier reply or the correction changed; "
                        f"{_first_difference(summary.followups_text, recorded.followups_text)})" if same else ""))
    mine, theirs = dict(summary.params), dict(recorded.params)
    for key in sorted(set(mine) | set(theirs)):
        if mine.get(key) != theirs.get(key):
            lines.append(f"parameter {key}: recorded {theirs.get(key, '(absent)')}, now {mine.get(key, '(absent)')}")
    return lines


def _diagnose(cassette: Any, request: Any, session: CassetteSession | None = None) -> tuple[str, list[str]]:
    """Why ``request`` (already scrubbed) found no reply in ``cassette``: (reason, explanation lines)."""
    path = Path(str(cassette._path))
    if not getattr(cassette, "rewound", False) and len(cassette) == 0:
        if path.exists():
            return "unreadable", ["the file exists but holds no interaction vcrpy can load"]
        return "missing", [f"nothing has been recorded yet for {request.method} {urlsplit(request.uri).path}"]
    same_route = []
    for index, recorded in enumerate(cassette.requests):
        if recorded.method != request.method:
            continue
        try:
            _match_path(request, recorded)
        except AssertionError:
            continue
        same_route.append((index, recorded))
    lines: list[str] = []
    if not same_route:
        routes = Counter(f"{r.method} {urlsplit(r.uri).path}" for r in cassette.requests)
        lines.append("nothing was recorded for this method and path; the cassette holds "
                     + ", ".join(f"{route} x{n}" for route, n in sorted(routes.items())))
        return "unknown_route", lines
    mine = _body_data(request)
    equal = [(i, r) for i, r in same_route if _body_data(r) == mine]
    if equal:
        played = sum(1 for i, _r in equal if cassette.play_counts[i])
        lines.append(f"the same request was recorded {len(equal)} time(s) and already replayed {played} time(s): "
                     "the code now sends it more often than when the cassette was recorded")
        return "already_played", lines
    summary = _summarize(mine)

    def closeness(item: tuple[int, Any]) -> tuple[int, int]:
        other = _summarize(_body_data(item[1]))
        if summary is None or other is None:
            return (0, -item[0])
        score = sum((
            4 * (summary.article == other.article),
            2 * (summary.prompt == other.prompt),
            2 * (summary.schema == other.schema),
            2 * (summary.model == other.model),
            1 * (summary.article_message == other.article_message),
            1 * (summary.followups == other.followups),
            1 * (summary.params == other.params),
        ))
        return (score, -item[0])

    index, closest = max(same_route, key=closeness)
    other = _summarize(_body_data(closest))
    described = _describe(summary, other)
    lines.append(f"closest recorded request: interaction {index + 1} of {len(cassette.requests)} "
                 f"({request.method} {urlsplit(closest.uri).path}); it differs in:")
    lines += [f"- {line}" for line in described]
    if not described:
        fields = _json_paths_differing(mine, _body_data(closest))
        lines.append(f"- body fields: {', '.join(fields) or 'the raw bytes'}")
    recorded_hash = ((session.metadata if session else {}).get("llmextract") or {}).get("prompt_hash")
    now_hash = _current_prompt_hash() if recorded_hash else None
    if recorded_hash and now_hash and recorded_hash != now_hash:
        lines.append(f"llmextract's prompt templates changed since recording: prompt hash {recorded_hash[:12]} "
                     f"recorded, {now_hash[:12]} now")
    return "changed", lines


# --------------------------------------------------------------------------- writing


class _Persister:
    """vcrpy's file persister, except that a cassette is written whole or not at all, and scrubbed as a whole.

    The serialised text gets a last pass of the session's scrubbing (every secret learnt while the
    block ran, every form), must load back, and is written to a temporary file in the cassette's
    folder that is renamed over the old file only when complete.
    """

    def __init__(self, session: CassetteSession) -> None:
        self.session = session

    def load_cassette(self, cassette_path: Any, serializer: Any) -> Any:
        from vcr.persisters.filesystem import FilesystemPersister

        return FilesystemPersister.load_cassette(cassette_path, serializer)

    def save_cassette(self, cassette_path: Any, cassette_dict: Any, serializer: Any) -> None:
        from vcr.serialize import deserialize, serialize

        data = self.session.scrubber().scrub(serialize(cassette_dict, serializer))
        try:
            deserialize(data, serializer)
        except Exception as exc:  # noqa: BLE001 - whatever the serializer raises, the file is not written
            raise CassetteError(f"cassette {self.session.name!r} was not written: scrubbing left it unreadable "
                                f"({type(exc).__name__}); the old file, if any, is unchanged") from None
        atomic_write_text(Path(cassette_path), data)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it, renamed over ``path`` once complete."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------- use_cassette


def _vcr_cassette_class() -> type:
    from vcr.cassette import Cassette

    class _Cassette(Cassette):  # type: ignore[misc]
        session: CassetteSession | None = None

        def can_play_response_for(self, request: Any) -> bool:
            if super().can_play_response_for(request):
                return True
            if self.session is not None and self.write_protected and self.filter_request(request):
                raise self.session.miss(self, request)
            return False

    return _Cassette


def _cassette_metadata() -> dict[str, Any]:
    """What a recording stores about the llmextract that made it."""
    from llmextract._version import __version__

    meta: dict[str, Any] = {"version": __version__}
    prompt_hash = _current_prompt_hash()
    if prompt_hash:
        meta["prompt_hash"] = prompt_hash
    return meta


@contextlib.contextmanager
def use_cassette(
    path: str | os.PathLike[str],
    *,
    record_mode: str = "none",
    rerecord_command: str | None = None,
    name: str | None = None,
    secrets: Iterable[str] = (),
    secret_headers: Iterable[str] = (),
    keep_headers: Iterable[str] = (),
    secret_env: Iterable[str] = (),
    allow_playback_repeats: bool = False,
) -> Iterator[CassetteSession]:
    """Record or replay every HTTP request of the ``with`` block through the cassette at ``path``.

    ``rerecord_command`` is quoted in the error a miss raises. ``secrets`` are literal values
    replaced wherever they appear; ``secret_headers`` adds to :data:`SECRET_HEADERS`;
    ``keep_headers`` adds request headers to record (never a secret one); ``secret_env`` names
    more environment variables whose values are scrubbed. Raises :class:`CassetteMiss` from the
    request that misses, and again on leaving the block if the code swallowed it. The file is
    written on leaving the block, whole (see :class:`_Persister`), and not at all if the block raised.
    """
    import vcr
    from vcr.cassette import CassetteContextDecorator

    if record_mode not in RECORD_MODES:
        from llmextract.errors import ConfigError

        raise ConfigError(f"unknown record mode {record_mode!r}; choose one of {', '.join(RECORD_MODES)}")
    target = Path(path)
    if target.suffix not in (".yaml", ".yml"):
        target = target.with_name(target.name + ".yaml")
    session = CassetteSession(
        path=target, record_mode=record_mode, rerecord_command=rerecord_command, name=name or target.stem,
        secrets=set(secrets) | env_secrets(SECRET_ENV) | env_secrets(secret_env),
        secret_headers=SECRET_HEADERS | {h.lower() for h in secret_headers},
        keep_headers=KEEP_REQUEST_HEADERS | {h.lower() for h in keep_headers},
        existed=target.is_file(),
    )
    if session.secrets:  # scrubbed from this process's HTTP log records too
        register(session.scrubber())
        install_log_filter()
    recorder = vcr.VCR(
        record_mode=record_mode,
        match_on=_MATCH_ON,
        before_record_request=session.before_record_request,
        before_record_response=session.before_record_response,
        before_save_interaction=session.before_save,
        decode_compressed_response=True,
        drop_unused_requests=record_mode == "all",
        record_on_exception=False,  # a block that raised may have recorded half a conversation
    )
    recorder.register_persister(_Persister(session))
    recorder.register_matcher("llmx_path", _match_path)
    recorder.register_matcher("llmx_body", _match_json_body)
    config = recorder.get_merged_config(path=str(target), allow_playback_repeats=allow_playback_repeats)
    cls = type("LLMXCassette", (_vcr_cassette_class(),), {"session": session})
    context = CassetteContextDecorator.from_args(cls, **config)
    cassette = context.__enter__()
    session.cassette = cassette
    session.metadata = copy.deepcopy(getattr(cassette, "_metadata", {}) or {})
    if not cassette.write_protected:  # this session may record: say which llmextract did
        cassette._metadata["llmextract"] = _cassette_metadata()
    try:
        yield session
    except BaseException:
        context.__exit__(*sys.exc_info())
        raise
    context.__exit__(None, None, None)
    if session.misses and not session.surfaced:
        first = session.misses[0]
        raise CassetteMiss(
            "a request missed its cassette and the code under test swallowed the error:\n" + str(first),
            cassette=first.cassette, reason=first.reason, differences=first.differences, command=first.command)
