"""Every form a secret takes in text, and scrubbing text of them: the one place that knows what a secret looks like.

A key or a password leaks in more shapes than itself. A server that echoes a request writes the
key JSON-escaped (``sk-a\\/b`` for a key holding ``/``), percent-encoded, inside the base64 of a
``Basic`` header (``user:pass``), or split in two; an HTTP client logs the URL with its userinfo
and query string. :class:`Secrets` holds the secret values and scrubs every one of these forms::

    secrets = Secrets.collect(keys=["sk-ab/cd..."], urls=["http://alice:PW@host/v1?api-key=K"])
    secrets.scrub(text)          # each form of each secret replaced by ***

The forms of a value ``s`` (4 characters or more; shorter ones cannot be told from ordinary text):

* ``s`` itself; JSON-escaped (``\\"``, ``\\\\``, ``\\uXXXX`` and ``\\/``); percent-encoded (``%2F``,
  ``+`` for a space); base64 and URL-safe base64, with or without padding, at each of the three
  byte alignments (so the base64 of ``Bearer s`` or of a JSON document holding ``s`` is caught too);
* any run of 8 characters or more (a third of the form for a long one) of ``s``, of its JSON or
  percent-encoded forms or of its base64: each half of a split key, a quote cut short;
* for credentials ``user:pass``: the pair and the password, each in all the forms above.

Where the values come from (:meth:`Secrets.collect`): keys; a URL's password and ``user:pass`` and
the values of its query parameters whose name says they are secret (:func:`is_secret_name`:
``api-key``, ``key``, ``subscription-key``, ``token``, ``sig`` ...); headers whose name says so
(``Authorization``, ``X-Custom-Auth``, ``Cookie`` ...), a ``Bearer``/``Basic`` token decoded;
``$LLMEXTRACT_API_KEY`` and ``$OPENAI_API_KEY``.

The secrets configured in this process are kept (:func:`register`): :func:`scrub_known` scrubs
text of all of them (the CLI passes every line it prints through it), and
:func:`install_log_filter` puts a :class:`SecretFilter` on the loggers of the HTTP clients
(``httpx``, ``httpx2``, ``httpcore``, ``openai`` ...) and llmextract's own, so their records,
including the tracebacks they carry, are scrubbed before any handler sees them. The library never
adds a handler.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

__all__ = [
    "MASK",
    "SECRET_ENV",
    "SecretFilter",
    "Secrets",
    "install_log_filter",
    "is_secret_name",
    "known",
    "register",
    "scrub_known",
]

#: What a secret is replaced with.
MASK = "***"
#: Environment variables whose values are secrets wherever they appear.
SECRET_ENV: tuple[str, ...] = ("LLMEXTRACT_API_KEY", "OPENAI_API_KEY")
#: Shorter values are not scrubbed alone (they would blank out ordinary text); a pair holding one is.
MIN_LENGTH = 4
#: The shortest run of a secret scrubbed as a fragment (a half of a split key).
MIN_FRAGMENT = 8
#: Placeholders that are not secrets (the key sent to endpoints that need none).
NOT_SECRETS = frozenset({"", "not-needed", "unused", "none", "null", "redacted", "***", "sk-***", "dummy"})

_SECRET_NAME = re.compile(
    r"(?:^|[-_.])(?:api[-_]?key|apikey|key|token|access[-_]?token|auth|authorization|secret|client[-_]?secret|"
    r"password|passwd|pwd|sig|signature|session|sessionid|cookie|credentials?|subscription[-_]?key|code)$|"
    r"auth|token|secret|passw|api[-_]?key|apikey|signature|cookie|credential|subscription",
    re.IGNORECASE)
#: Token shapes scrubbed whatever their origin: an OpenAI-style key, a bearer token.
_TOKEN_SHAPES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
    # a token holds a digit: "Basic services" and "bearer bonds" are words, not credentials
    re.compile(r"(?i)\b(?:bearer|basic)\s+(?=[A-Za-z._~+/=\-]*[0-9])[A-Za-z0-9._~+/=\-]{8,}"),
)


#: Names that look secret but carry none (a request's retry identity).
_NOT_SECRET_NAMES = frozenset({"idempotency-key", "x-idempotency-key"})


def is_secret_name(name: str) -> bool:
    """Whether a header or query parameter named ``name`` carries a credential (``api-key``, ``X-Custom-Auth``,
    ``subscription-key``, ``token``, ``sig``, ``Cookie`` ...)."""
    name = name.strip()
    return name.lower() not in _NOT_SECRET_NAMES and bool(_SECRET_NAME.search(name))


def _b64_cores(value: str) -> set[str]:
    """The base64 (standard and URL-safe, padded or not) of ``value`` at each byte alignment: the
    characters that depend on ``value`` alone, 8 or more of them."""
    raw = value.encode("utf-8")
    out: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\x00" * shift + raw).decode("ascii")
        bare = encoded.rstrip("=")
        start = -(-8 * shift // 6)  # the first character made of value bits only
        end = (8 * (shift + len(raw))) // 6  # one past the last
        core = bare[start:end]
        if shift == 0:
            out.update({encoded, bare})
        for text in (core, bare[start:] if shift else bare):
            if len(text) >= MIN_FRAGMENT:
                out.add(text)
                out.add(text.replace("+", "-").replace("/", "_"))
    return out


def _json_forms(value: str, depth: int = 2) -> set[str]:
    """``value`` JSON-escaped (with and without ``\\/`` and ``\\uXXXX``), and escaped again: a JSON document
    inside a JSON string (a server echoing a request body in its error message)."""
    forms = {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    forms |= {f.replace("/", "\\/") for f in forms}
    if depth > 1:
        forms |= {twice for once in list(forms) for twice in _json_forms(once, depth - 1)}
    return forms


def _url_forms(value: str) -> set[str]:
    return {quote(value, safe=""), quote(value, safe="/"), quote_plus(value), quote(value, safe="").lower()}


@dataclass(frozen=True)
class Secrets:
    """A set of secret values (``values``) and the credentials pairs among them; scrubs text of every form."""

    values: frozenset[str] = frozenset()
    pairs: frozenset[tuple[str, str]] = frozenset()  # (user, password) of URLs and Basic headers
    mask: str = field(default=MASK, compare=False)

    # -- building
    @classmethod
    def collect(cls, *, keys: Iterable[str | None] = (), urls: Iterable[str | None] = (),
                headers: Mapping[str, str] | Iterable[tuple[str, str]] = (), env: bool | Iterable[str] = False,
                environ: Mapping[str, str] | None = None, header_names: Iterable[str] = ()) -> Secrets:
        """The secrets in ``keys``, in ``urls`` (userinfo, secret query values), in ``headers`` (those with
        a secret name, or named in ``header_names``) and, with ``env`` (True: :data:`SECRET_ENV`; or names),
        in the environment."""
        more_names = {n.lower() for n in header_names}
        values: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for key in keys:
            if key:
                values.add(str(key).strip())
        for url in urls:
            if url:
                _from_url(str(url), values, pairs)
        items = headers.items() if isinstance(headers, Mapping) else headers
        for name, value in items:
            if str(name).lower() in more_names or is_secret_name(str(name)):
                _from_header(str(value), values, pairs)
        if env:
            names = SECRET_ENV if env is True else tuple(env)  # type: ignore[arg-type]
            source = os.environ if environ is None else environ
            values.update((source.get(n) or "").strip() for n in names)
        return cls._of(values, pairs)

    @classmethod
    def _of(cls, values: Iterable[str], pairs: Iterable[tuple[str, str]] = ()) -> Secrets:
        kept = frozenset(v for v in values if _worth(v))
        return cls(values=kept, pairs=frozenset((u, p) for u, p in pairs if p))

    def __or__(self, other: Secrets) -> Secrets:
        return Secrets(values=self.values | other.values, pairs=self.pairs | other.pairs)

    def with_values(self, values: Iterable[str]) -> Secrets:
        """These secrets and ``values``."""
        return self | Secrets._of(values)

    def __bool__(self) -> bool:
        return bool(self.values or self.pairs)

    # -- the forms
    @cached_property
    def _patterns(self) -> tuple[re.Pattern[str] | None, tuple[str, ...], re.Pattern[str] | None]:
        exact: set[str] = set()
        fragmentable: set[str] = set()
        secrets = set(self.values)
        for user, password in self.pairs:
            pair = f"{user}:{password}"
            secrets.add(pair)
            exact.update(_b64_cores(pair))
            if _worth(password):
                secrets.add(password)
            else:  # too short to scrub alone: scrub it where it sits after the user name
                exact.update({pair, f"{quote(user, safe='')}:{quote(password, safe='')}"})
        for value in secrets:
            if not _worth(value):
                continue
            forms = {value} | _json_forms(value) | _url_forms(value)
            exact.update(forms)
            cores = _b64_cores(value)
            exact.update(cores)
            # runs of the base64 too: a message that shortens what it quotes keeps only a piece of it
            fragmentable.update(f for f in forms | {c for c in cores if "=" not in c} if len(f) >= MIN_FRAGMENT)
        exact = {e for e in exact if len(e) >= MIN_LENGTH}
        grams: set[str] = set()
        for form in sorted(fragmentable):
            size = max(MIN_FRAGMENT, len(form) // 3)
            if size >= len(form):
                continue
            for j in range(len(form) - size + 1):
                gram = form[j:j + size]
                if gram == gram.strip():  # a run of a secret never takes the spaces around it
                    grams.add(gram)
        by_length = sorted(exact, key=lambda s: (-len(s), s))
        exact_re = re.compile("|".join(map(re.escape, by_length))) if by_length else None
        gram_re = re.compile("|".join(map(re.escape, sorted(grams, key=lambda s: (-len(s), s))))) if grams else None
        return exact_re, tuple(sorted(fragmentable)), gram_re

    # -- scrubbing
    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where ``text`` holds a form of a secret: sorted, merged ``(start, end)`` spans."""
        exact_re, fragmentable, gram_re = self._patterns
        found: list[tuple[int, int]] = []
        if exact_re is not None:
            found += [m.span() for m in exact_re.finditer(text)]
        if gram_re is not None:
            pos = 0
            while (m := gram_re.search(text, pos)) is not None:
                start, end = m.span()
                run = m.group()
                for form in fragmentable:  # extended as far as any form holding the run goes
                    j = form.find(run)
                    while j >= 0:
                        right, k = m.end(), j + len(run)
                        while right < len(text) and k < len(form) and text[right] == form[k]:
                            right, k = right + 1, k + 1
                        left, k = m.start(), j - 1
                        while left > 0 and k >= 0 and text[left - 1] == form[k]:
                            left, k = left - 1, k - 1
                        start, end = min(start, left), max(end, right)
                        j = form.find(run, j + 1)
                found.append((start, end))
                pos = end
        for shape in _TOKEN_SHAPES:
            found += [m.span() for m in shape.finditer(text)]
        found = [_whole_escapes(text, start, end) for start, end in found]
        found.sort()
        merged: list[tuple[int, int]] = []
        for start, end in found:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def scrub(self, text: str) -> str:
        """``text`` with every form of every secret (and any ``sk-...`` key or bearer token) replaced by the mask."""
        if not text:
            return text
        spans = self.spans(text)
        if not spans:
            return text
        out, last = [], 0
        for start, end in spans:
            out += [text[last:start], self.mask]
            last = end
        out.append(text[last:])
        return "".join(out)

    def scrub_bytes(self, data: bytes) -> bytes:
        """:meth:`scrub` of UTF-8 bytes (bytes that are not UTF-8 are scrubbed as latin-1, byte for byte)."""
        try:
            return self.scrub(data.decode("utf-8")).encode("utf-8")
        except UnicodeDecodeError:
            return self.scrub(data.decode("latin-1")).encode("latin-1", "replace")

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and bool(self.spans(text))


def _whole_escapes(text: str, start: int, end: int) -> tuple[int, int]:
    """A span widened so that it neither leaves an escaping backslash before it nor takes one without the
    character it escapes: masked, JSON (or YAML) text holding a secret escaped once or twice stays valid."""
    while start > 0 and text[start - 1] == "\\":
        start -= 1
    trailing = 0
    while end - trailing > start and text[end - 1 - trailing] == "\\":
        trailing += 1
    if trailing % 2 and end < len(text):
        end += 5 if text[end] == "u" else 1
    return start, min(end, len(text))


def _worth(value: str | None) -> bool:
    return bool(value) and len(value.strip()) >= MIN_LENGTH and value.strip().lower() not in NOT_SECRETS  # type: ignore[union-attr]


def _from_url(url: str, values: set[str], pairs: set[tuple[str, str]]) -> None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return
    netloc = parts.netloc
    if "@" in netloc:
        userinfo = netloc.rsplit("@", 1)[0]
        user, _, password = userinfo.partition(":")
        for u, p in {(user, password), (unquote(user), unquote(password))}:
            if p:
                pairs.add((u, p))
                values.add(p)
    for name, value in parse_qsl(parts.query, keep_blank_values=False):
        if is_secret_name(name):
            values.add(value)
    for raw in parts.query.split("&"):
        name, _, value = raw.partition("=")
        if value and is_secret_name(unquote(name)):
            values.add(value)


def _from_header(value: str, values: set[str], pairs: set[tuple[str, str]]) -> None:
    value = value.strip()
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if not token or not scheme.isalpha():  # a bare value, not "Scheme token"
        values.add(value)
        return
    values.add(token)
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return
        user, sep, password = decoded.partition(":")
        if sep and password:
            pairs.add((user, password))
            values.add(password)


# --------------------------------------------------------------------------- the secrets of this process


_lock = threading.Lock()
_known = Secrets()


def register(secrets: Secrets) -> None:
    """Add ``secrets`` to the secrets of this process (what :func:`scrub_known` and the log filter scrub)."""
    global _known
    if not secrets:
        return
    with _lock:
        if secrets.values <= _known.values and secrets.pairs <= _known.pairs:
            return
        _known = _known | secrets


_cache: tuple[tuple[Secrets, tuple[str, ...]], Secrets] | None = None


def known() -> Secrets:
    """The secrets registered in this process, with those of :data:`SECRET_ENV` as they are now."""
    global _cache
    key = (_known, tuple(os.environ.get(n) or "" for n in SECRET_ENV))
    cached = _cache
    if cached is not None and cached[0] == key:
        return cached[1]
    secrets = _known | Secrets.collect(keys=key[1])
    _cache = (key, secrets)
    return secrets


def scrub_known(text: str) -> str:
    """``text`` scrubbed of every registered secret and of the environment's keys."""
    return known().scrub(text)


class SecretFilter(logging.Filter):
    """Scrubs a record's message, arguments and traceback of the process's secrets; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = known()
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is the handler's business, not ours
            return True
        clean = secrets.scrub(message)
        if clean != message:  # the arguments held a secret: the record keeps only the scrubbed text
            record.msg, record.args = clean, ()
        if record.exc_info and record.exc_info[0] is not None:
            text = record.exc_text or logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = secrets.scrub(text), None
        elif record.exc_text:
            record.exc_text = secrets.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = secrets.scrub(record.stack_info)
        return True


#: The loggers a configured secret could reach: the HTTP clients', the SDKs', vcrpy's and llmextract's own.
LOGGERS: tuple[str, ...] = (
    "httpx", "httpx2", "httpcore", "httpcore2", "openai", "instructor", "urllib3", "vcr", "llmextract",
    "httpcore.connection", "httpcore.http11", "httpcore2.connection", "httpcore2.http11", "httpcore2.http2",
    "httpcore2.proxy", "openai._base_client", "httpx._client", "vcr.request", "vcr.stubs", "vcr.cassette",
)
_FILTER = SecretFilter()


def install_log_filter(prefixes: Iterable[str] = LOGGERS) -> None:
    """Put the :class:`SecretFilter` on the named loggers and every existing logger below them.

    A filter on a logger sees only the records logged on that very logger (not its children's), so
    each one gets it; installing twice is harmless.
    """
    names = set(prefixes)
    roots = tuple(n.split(".")[0] for n in names)
    with _lock:
        existing = [n for n in list(logging.Logger.manager.loggerDict) if n.split(".")[0] in roots]
    for name in names | set(existing):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
