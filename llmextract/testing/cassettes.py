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
  headers are kept only for ``content-type`` and ``retry-after``, credentials in the URL and
  secret-looking query parameters are replaced, and known key values (the key the client sent,
  ``$LLMEXTRACT_API_KEY``, ``$OPENAI_API_KEY``, any configured secret) and ``sk-...`` /
  ``Bearer ...`` tokens are replaced in bodies.

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
_SECRET_QUERY = re.compile(
    r"^(?:api[-_]?key|key|access[-_]?token|token|auth|authorization|secret|client[-_]?secret|password|passwd|"
    r"sig|signature|code|session|apikey)$", re.IGNORECASE)
#: Token shapes scrubbed from bodies whatever their origin.
_KEY_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]{8,}"),
)
_NOT_SECRETS = frozenset({"", "not-needed", "unused", "none", "null", REDACTED})
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


def _scrub_text(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret and secret not in _NOT_SECRETS:
            text = text.replace(secret, REDACTED)
    for pattern in _KEY_PATTERNS:
        text = pattern.sub(lambda m: m.group(0)[:3] + REDACTED if m.group(0).startswith("sk-") else
                           m.group(0).split()[0] + " " + REDACTED, text)
    return text


def _scrub_bytes(data: bytes, secrets: Iterable[str]) -> bytes:
    try:
        return _scrub_text(data.decode("utf-8"), secrets).encode("utf-8")
    except UnicodeDecodeError:
        for secret in secrets:
            if secret and secret not in _NOT_SECRETS:
                data = data.replace(secret.encode("utf-8"), REDACTED.encode())
        return data


def scrub_url(url: str, secrets: Iterable[str] = ()) -> str:
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
        pairs = [(k, REDACTED if _SECRET_QUERY.match(k) else v)
                 for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        scrubbed += "?" + urlencode(pairs)
    return _scrub_text(scrubbed, secrets)


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
    def before_record_request(self, request: Any) -> Any:
        """Scrub one request (vcrpy passes a copy); used both when saving and when matching."""
        learned = set()
        kept = {}
        for name, value in list(request.headers.items()):
            lower = name.lower()
            if lower in self.secret_headers:
                text = str(value)
                learned.add(text)
                if " " in text:
                    learned.add(text.split(None, 1)[1])
            elif lower in self.keep_headers:
                kept[name] = value
        self.secrets.update(s for s in learned if len(s) >= 8 and s.lower() not in _NOT_SECRETS)
        request.headers = kept
        request.uri = scrub_url(request.uri, self.secrets)
        raw = _body_bytes(request)
        if raw:
            request.body = _scrub_bytes(raw, self.secrets)
        return request

    def before_record_response(self, response: dict[str, Any]) -> dict[str, Any]:
        headers = response.get("headers") or {}
        response["headers"] = {k: v for k, v in headers.items()
                               if k.lower() in KEEP_RESPONSE_HEADERS and k.lower() not in self.secret_headers}
        body = response.get("body") or {}
        data = body.get("string")
        if isinstance(data, str):
            body["string"] = _scrub_text(data, self.secrets)
        elif isinstance(data, bytes | bytearray):
            body["string"] = _scrub_bytes(bytes(data), self.secrets)
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
    request that misses, and again on leaving the block if the code swallowed it.
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
    recorder = vcr.VCR(
        record_mode=record_mode,
        match_on=_MATCH_ON,
        before_record_request=session.before_record_request,
        before_record_response=session.before_record_response,
        before_save_interaction=session.before_save,
        decode_compressed_response=True,
        drop_unused_requests=record_mode == "all",
    )
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
