"""A scripted OpenAI-compatible server on loopback, for tests and benchmarks.

It answers ``GET /v1/models`` and ``POST /v1/chat/completions`` with replies built by a
*responder* (a callable that sees the request), and serves scripted faults on chosen
requests: HTTP errors, 429 with ``Retry-After``, stalls past the client's timeout,
non-JSON bodies, truncated model output, dropped connections. Every request is counted,
so a test can assert that a cached re-run sent nothing.

    from llmextract.testing.scripted import scripted_server, http_error, rate_limited

    with scripted_server(script=[http_error(500), rate_limited(1)]) as server:
        client = openai.OpenAI(base_url=server.url, api_key="unused")
        ...
        assert server.count == 3

Faults can be given as a list (served to the first requests in arrival order) or as a
callable of the request. Concurrent clients make arrival order unpredictable, so for
batch tests prefer :func:`per_article` and :func:`flaky`, which decide by the article a
request is about (the article message, see
:meth:`ScriptedServer._article_message`) and by how many requests for that article came
before, whatever the order. ``python -m llmextract.testing.scripted --latency 0.05`` runs one in
its own process and prints its URL.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import BaseModel

from llmextract.testing._common import message_text

logger = logging.getLogger(__name__)

__all__ = [
    "Step",
    "ScriptedRequest",
    "ScriptedServer",
    "scripted_server",
    "ok",
    "http_error",
    "rate_limited",
    "stall",
    "non_json",
    "truncated",
    "drop",
    "per_article",
    "flaky",
    "empty_claims",
    "echo_claims",
]


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Step:
    """What the server does with one request.

    kind is one of ``ok``, ``status`` (an HTTP error), ``stall``, ``non_json``, ``truncated``, ``drop``.
    """

    kind: str = "ok"
    status: int = 200
    content: str | None = None  # the assistant message content; None: ask the responder
    body: bytes | None = None  # a raw body, sent as is
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0  # wait this long before answering (on top of the server's latency)
    keep: float = 0.5  # for ``truncated``: the fraction of the reply that is kept
    finish_reason: str = "length"  # for ``truncated``


def ok(content: str | Mapping[str, Any] | BaseModel | None = None, *, delay_s: float = 0.0) -> Step:
    """A normal reply; ``content`` overrides the responder's."""
    return Step("ok", content=None if content is None else _as_content(content), delay_s=delay_s)


def http_error(status: int = 500, *, retry_after: float | None = None, body: str | None = None) -> Step:
    """An HTTP error reply with an OpenAI-style JSON error body."""
    headers: tuple[tuple[str, str], ...] = ()
    if retry_after is not None:
        headers = (("Retry-After", _fmt_seconds(retry_after)),)
    if body is None:
        body = json.dumps({"error": {"message": f"scripted error {status}", "type": "server_error", "code": status}})
    return Step("status", status=status, body=body.encode("utf-8"), headers=headers)


def rate_limited(retry_after: float = 1.0) -> Step:
    """429 Too Many Requests with a ``Retry-After`` header (seconds)."""
    return http_error(429, retry_after=retry_after)


def stall(seconds: float = 30.0) -> Step:
    """Say nothing for ``seconds`` (past the client's timeout), then answer normally if anyone still listens."""
    return Step("stall", delay_s=seconds)


def non_json(body: str = "<html><body><h1>502 Bad Gateway</h1></body></html>", status: int = 200) -> Step:
    """A body that is not JSON at all (a proxy's error page, say)."""
    return Step("non_json", status=status, body=body.encode("utf-8"), headers=(("Content-Type", "text/html"),))


def truncated(keep: float = 0.5, *, finish_reason: str = "length") -> Step:
    """A well-formed HTTP reply whose model output is cut short.

    ``finish_reason="length"`` is what a server says when it hit the token limit; ``"stop"`` is a
    model that closed its reply early (broken JSON that a re-ask can fix).
    """
    return Step("truncated", keep=keep, finish_reason=finish_reason)


def drop() -> Step:
    """Close the connection without answering."""
    return Step("drop")


def _fmt_seconds(s: float) -> str:
    return str(int(s)) if float(s).is_integer() else f"{s:g}"


def _as_content(content: str | Mapping[str, Any] | BaseModel) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, BaseModel):
        return content.model_dump_json()
    return json.dumps(content)


# --------------------------------------------------------------------------- requests


@dataclass
class ScriptedRequest:
    """One request as the server saw it."""

    seq: int  # 0-based arrival number among chat completion requests
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any = None
    key: str = ""  # a digest of the article message: which article the request is about
    attempt: int = 0  # how many requests with the same key came before this one
    article_message: str = ""  # the user message that asks about the article (see ScriptedServer)

    @property
    def messages(self) -> list[dict[str, Any]]:
        if isinstance(self.json, dict) and isinstance(self.json.get("messages"), list):
            return [m for m in self.json["messages"] if isinstance(m, dict)]
        return []

    @property
    def model(self) -> str | None:
        return self.json.get("model") if isinstance(self.json, dict) else None

    @property
    def user_texts(self) -> list[str]:
        return [message_text(m) for m in self.messages if m.get("role") == "user"]

    @property
    def first_user_text(self) -> str:
        texts = self.user_texts
        return texts[0] if texts else ""

    @property
    def prompt_text(self) -> str:
        """Every message's text, joined: what a token count would be based on."""
        return "\n".join(message_text(m) for m in self.messages)

    @property
    def article_text(self) -> str:
        """The article message, or the text between ``<<<`` and ``>>>`` in it when it marks one."""
        text = self.article_message
        start, end = text.find("<<<"), text.rfind(">>>")
        if start != -1 and end > start:
            return text[start + 3: end].strip("\n")
        return text

    @property
    def reasks(self) -> int:
        """How many of the server's own earlier replies the request carries back (re-asks)."""
        return self._reasks

    _reasks: int = 0


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).digest()


Responder = Callable[[ScriptedRequest], "str | Mapping[str, Any] | BaseModel"]
Script = Sequence[Step] | Callable[[ScriptedRequest], Step | None]


# --------------------------------------------------------------------------- responders


def empty_claims(request: ScriptedRequest) -> str:
    """A valid ClaimList with no claims."""
    return '{"claims": []}'


_KILLED = re.compile(
    r"(?P<phrase>(?:at least |more than |about |some )?\d[\d,]*)\s+(?:people|civilians|persons|men|children)"
    r"[^.]{0,60}?\bkilled",
    re.IGNORECASE,
)


def echo_claims(request: ScriptedRequest) -> dict[str, Any]:
    """A valid ClaimList echoing the first "N people ... killed" of the article it sees (else no claim).

    The number, phrase and quote are copied verbatim from the request, so they ground.
    """
    text = request.article_text
    m = _KILLED.search(text)
    if not m:
        return {"claims": []}
    phrase = m.group("phrase")
    figure = int(re.sub(r"\D", "", phrase))
    lowered = phrase.lower()
    qualifier = "at_least" if lowered.startswith("at least") else "more_than" if lowered.startswith("more") else (
        "about" if lowered.startswith(("about", "some")) else "exact")
    start = max(text.rfind(".", 0, m.start()) + 1, text.rfind("\n", 0, m.start()) + 1)
    end = text.find(".", m.end())
    quote = text[start: end + 1 if end != -1 else len(text)].strip()
    return {
        "claims": [
            {
                "kind": "incident",
                "killed": {"phrase": phrase, "low": figure, "high": None if qualifier != "exact" else figure,
                           "qualifier": qualifier},
                "evidence": [{"quote": quote}],
            }
        ]
    }


# --------------------------------------------------------------------------- fault plans


def per_article(*steps: Step) -> Callable[[ScriptedRequest], Step | None]:
    """Serve ``steps[n]`` to the n-th request about each article, then normal replies.

    ``per_article(http_error(500), rate_limited(0.1))``: every article's first request gets a 500,
    its second a 429, its third and later succeed, whatever order the requests arrive in.
    """

    def script(request: ScriptedRequest) -> Step | None:
        return steps[request.attempt] if request.attempt < len(steps) else None

    return script


def flaky(
    rate: float = 0.3,
    faults: Sequence[Step] | None = None,
    *,
    max_per_article: int = 2,
    seed: int = 0,
    always: Callable[[ScriptedRequest], Step | None] | None = None,
) -> Callable[[ScriptedRequest], Step | None]:
    """Serve a fault to about ``rate`` of requests, chosen by a hash of (seed, article, attempt).

    The choice does not depend on arrival order, so a run is reproducible under concurrency.
    An article gets at most ``max_per_article`` faults, then normal replies (so it succeeds if the
    client's budget is larger); ``always`` may force a step for chosen requests (return None to pass).
    """
    pool = list(faults) if faults is not None else [http_error(500), rate_limited(0.05), non_json(), truncated()]

    def script(request: ScriptedRequest) -> Step | None:
        if always is not None:
            forced = always(request)
            if forced is not None:
                return forced
        if request.attempt >= max_per_article:
            return None
        h = hashlib.sha256(f"{seed}|{request.key}|{request.attempt}".encode()).digest()
        if int.from_bytes(h[:4], "big") / 2**32 >= rate:
            return None
        return pool[h[4] % len(pool)]

    return script


# --------------------------------------------------------------------------- the server


class ScriptedServer:
    """A loopback OpenAI-compatible server. Use :func:`scripted_server` to run one in a ``with`` block."""

    def __init__(
        self,
        script: Script | None = None,
        *,
        responder: Responder = empty_claims,
        latency_s: float = 0.0,
        model: str = "scripted-model",
        host: str = "127.0.0.1",
        port: int = 0,
        record: bool = True,
    ) -> None:
        self.script = script
        self.responder = responder
        self.latency_s = latency_s
        self.model = model
        self.record = record
        self.requests: list[ScriptedRequest] = []
        self.counts: Counter[str] = Counter()  # by path, every request
        self.served: Counter[str] = Counter()  # by step kind, chat completion requests
        self._lock = threading.Lock()
        self._attempts: Counter[str] = Counter()
        self._served: set[bytes] = set()  # digests of the replies sent, to recognise re-asks
        self._count = 0
        self._closing = threading.Event()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.scripted = self
        self._thread: threading.Thread | None = None

    # -- life cycle
    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The OpenAI base URL, ending in ``/v1``."""
        host = self._httpd.server_address[0]
        return f"http://{host}:{self.port}/v1"

    @property
    def base_url(self) -> str:
        return self.url

    def start(self) -> ScriptedServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"scripted-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._closing.set()  # release stalled handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- counters
    @property
    def count(self) -> int:
        """Chat completion requests received so far."""
        with self._lock:
            return self._count

    def reset(self) -> None:
        with self._lock:
            self._count = 0
            self._attempts.clear()
            self.requests.clear()
            self.counts.clear()
            self.served.clear()

    # -- request handling (called from handler threads)
    def _register(self, method: str, path: str, headers: dict[str, str], body: bytes) -> ScriptedRequest:
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        req = ScriptedRequest(seq=0, method=method, path=path, headers=headers, body=body, json=payload)
        with self._lock:
            req.article_message, req._reasks = self._article_message(req.messages)
            req.key = hashlib.sha256(req.article_message.encode("utf-8")).hexdigest()[:16]
            req.seq = self._count
            self._count += 1
            req.attempt = self._attempts[req.key]
            self._attempts[req.key] += 1
            if self.record:
                self.requests.append(req)
        return req

    def _article_message(self, messages: list[dict[str, Any]]) -> tuple[str, int]:
        """The user message the request is about, and how many of this server's replies it quotes.

        Few-shot prompts put example user/assistant pairs before the article, and a re-ask appends
        the model's reply and a correction after it. The server knows its own replies, so the
        article message is the last user message before the first assistant message it wrote.
        """
        last_user = ""
        found: str | None = None
        quoted = 0
        for m in messages:
            role = m.get("role")
            if role == "assistant":
                text = message_text(m) or "".join(
                    str(c.get("function", {}).get("arguments", "")) for c in m.get("tool_calls") or []
                    if isinstance(c, dict))
                if _digest(text) in self._served:
                    quoted += 1
                    if found is None:
                        found = last_user
            elif role == "user":
                last_user = message_text(m)
        return (last_user if found is None else found), quoted

    def _choose(self, req: ScriptedRequest) -> Step:
        script = self.script
        step: Step | None = None
        if callable(script):
            step = script(req)
        elif script is not None and req.seq < len(script):
            step = script[req.seq]
        return step or Step()

    def _completion(self, req: ScriptedRequest, step: Step) -> tuple[int, bytes, list[tuple[str, str]]]:
        content = step.content if step.content is not None else _as_content(self.responder(req))
        finish = "stop"
        if step.kind == "truncated":
            content = content[: max(1, int(len(content) * step.keep))]
            if content.endswith("}") and len(content) > 1:
                content = content[:-1]
            finish = step.finish_reason
        payload = req.json if isinstance(req.json, dict) else {}
        message: dict[str, Any] = {"role": "assistant", "content": content}
        tools = payload.get("tools")
        if isinstance(tools, list) and tools:
            fn = tools[0].get("function", {}) if isinstance(tools[0], dict) else {}
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": f"call_{req.seq}", "type": "function",
                                "function": {"name": fn.get("name", "tool"), "arguments": content}}],
            }
            finish = "tool_calls" if finish == "stop" else finish
        with self._lock:
            self._served.add(_digest(content))
        prompt_tokens = max(1, len(req.prompt_text.split()))
        completion_tokens = max(1, len(content.split()))
        body = {
            "id": f"chatcmpl-scripted-{req.seq}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": req.model or self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }
        return 200, json.dumps(body).encode("utf-8"), [("Content-Type", "application/json")]

    def _wait(self, seconds: float) -> bool:
        """Sleep; False when the server is closing."""
        if seconds <= 0:
            return True
        return not self._closing.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128
    scripted: ScriptedServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        logger.debug("scripted server: " + format, *args)

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> None:
        try:
            self.send_response(status)
            names = {k.lower() for k, _ in headers}
            for k, v in headers:
                self.send_header(k, v)
            if "content-type" not in names:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:  # the client gave up (a stall past its timeout)
            self.close_connection = True

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        scripted = self.server.scripted
        path = self.path.split("?", 1)[0].rstrip("/")
        with scripted._lock:
            scripted.counts[path] += 1
        if path in ("/v1/models", "/models"):
            body = {"object": "list", "data": [{"id": scripted.model, "object": "model", "created": 0,
                                                "owned_by": "llmextract-scripted"}]}
            self._send(200, json.dumps(body).encode())
        elif path in ("/health", "/v1/health"):
            self._send(200, b'{"status": "ok"}')
        else:
            self._send(404, json.dumps({"error": {"message": f"no route {path}"}}).encode())

    def do_POST(self) -> None:  # noqa: N802
        scripted = self.server.scripted
        path = self.path.split("?", 1)[0].rstrip("/")
        body = self._read_body()
        with scripted._lock:
            scripted.counts[path] += 1
        if path not in ("/v1/chat/completions", "/chat/completions"):
            self._send(404, json.dumps({"error": {"message": f"no route {path}"}}).encode())
            return
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() != "authorization"}
        req = scripted._register("POST", path, headers, body)
        try:
            step = scripted._choose(req)
        except Exception as exc:  # a bug in a user's script: answer 500 rather than hang the client
            logger.exception("scripted server: the script raised")
            step = http_error(500, body=json.dumps({"error": {"message": f"script raised {exc!r}"}}))
        with scripted._lock:
            scripted.served[step.kind] += 1
        if not scripted._wait(scripted.latency_s + step.delay_s):
            self.close_connection = True
            return
        if step.kind == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if step.body is not None:
            self._send(step.status, step.body, step.headers)
            return
        try:
            status, out, headers_out = scripted._completion(req, step)
        except Exception as exc:
            logger.exception("scripted server: the responder raised")
            self._send(500, json.dumps({"error": {"message": f"responder raised {exc!r}"}}).encode())
            return
        self._send(status, out, list(step.headers) + headers_out)


@contextlib.contextmanager
def scripted_server(
    script: Script | None = None,
    *,
    responder: Responder = empty_claims,
    latency_s: float = 0.0,
    model: str = "scripted-model",
    port: int = 0,
    record: bool = True,
) -> Iterator[ScriptedServer]:
    """Run a :class:`ScriptedServer` on loopback for the ``with`` block; ``server.url`` is the base URL."""
    server = ScriptedServer(script, responder=responder, latency_s=latency_s, model=model, port=port, record=record)
    server.start()
    try:
        yield server
    finally:
        server.close()


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m llmextract.testing.scripted``: serve until killed or stdin closes; prints the URL first."""
    import sys

    parser = argparse.ArgumentParser(prog="python -m llmextract.testing.scripted", description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before every reply")
    parser.add_argument("--responder", choices=["empty", "echo"], default="echo")
    parser.add_argument("--model", default="scripted-model")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests that get a fault")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--until-stdin-closes", action="store_true",
                        help="stop when stdin reaches end of file (for a parent process that may die)")
    args = parser.parse_args(argv)
    responder: Responder = echo_claims if args.responder == "echo" else empty_claims
    script = flaky(args.fault_rate, seed=args.seed) if args.fault_rate > 0 else None
    with scripted_server(script, responder=responder, latency_s=args.latency, model=args.model, port=args.port,
                         record=False) as server:
        sys.stdout.write(server.url + "\n")
        sys.stdout.flush()
        try:
            if args.until_stdin_closes:
                while sys.stdin.buffer.read(4096):
                    pass
            else:
                while True:
                    time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
