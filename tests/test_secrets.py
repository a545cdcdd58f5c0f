"""No secret, in any encoding, reaches a cassette, a log line, an error record, a file or the terminal.

The servers here are loopback ones that write back what they were sent, in every shape a secret
can take: JSON-escaped (a key holding ``/``), split in two, percent-encoded, base64, the ``Basic``
header of ``user:pass`` credentials. Every request loop is bounded (a fixed number of requests).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import openai
import pytest

from llmextract.config import EndpointConfig
from llmextract.errors import ModelOutputError
from llmextract.extractors.llm import LLMExtractor
from llmextract.schema import Article
from llmextract.secrets import SecretFilter, Secrets, install_log_filter, is_secret_name
from llmextract.testing import use_cassette

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk-e2e/Secret+Key/0123456789abcdefXYZ"  # a "/" (JSON may escape it) and a "+" (URL-encoding changes it)
USER, PASSWORD = "alice", "pw-Hunter2-secret"
CUSTOM = "custom-auth-value-31337"
SUBSCRIPTION = "subscription-value-4242"
TEXT = ("date 2021-03-04\n\nTwelve civilians were killed when shells hit a market in the town of Kafr Nabl "
        "on Tuesday, a local monitoring group said.")


def forms() -> dict[str, str]:
    """Every shape of the secrets the servers below write back; none may be found anywhere."""
    half = len(KEY) // 2
    pair = f"{USER}:{PASSWORD}"
    return {
        "key": KEY,
        "key, first half": KEY[:half],
        "key, second half": KEY[half:],
        "key, JSON-escaped": json.dumps(KEY).strip('"').replace("/", "\\/"),
        "key, URL-encoded": quote(KEY, safe=""),
        "key, form-encoded": quote_plus(KEY),
        "key, base64": base64.b64encode(KEY.encode()).decode(),
        "credentials, base64": base64.b64encode(pair.encode()).decode(),
        "credentials": pair,
        "password": PASSWORD,
        "custom header": CUSTOM,
        "subscription key": SUBSCRIPTION,
    }


def found_in(text: str) -> list[str]:
    return [name for name, form in forms().items() if form in text]


# --------------------------------------------------------------------------- an echoing server


def _echo(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    """What the request carried, written back in every shape a careless or hostile server would use."""
    lines = [f"{method} {path}", "headers: " + json.dumps(headers).replace("/", "\\/"),
             "body: " + body[:120].decode("utf-8", "replace")]
    secrets = [v for k, v in parse_qsl(urlsplit(path).query) if is_secret_name(k)]
    secrets += [v for k, v in headers.items() if k.lower() in ("x-custom-auth",)]
    auth = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, token = auth.partition(" ")
    if scheme == "Bearer":
        secrets.append(token)
    if scheme == "Basic":
        user_pass = base64.b64decode(token).decode()
        secrets += [user_pass, user_pass.partition(":")[2]]
    for s in secrets:
        half = len(s) // 2
        escaped = json.dumps(s).replace("/", "\\/")
        lines += [f"json {escaped}", f"halves {s[:half]} ... and ... {s[half:]}",
                  f"urlencoded {quote(s, safe='')} {quote_plus(s)}", f"b64 {base64.b64encode(s.encode()).decode()}"]
    return "\n".join(lines)


class EchoServer:
    """GET /models lists one model; every chat request gets its own echo back, as the reply (200) or, from
    request ``fail_from`` on, in a 401's error message. At most ``limit`` requests are answered."""

    def __init__(self, *, fail_from: int = 10**6, limit: int = 40) -> None:
        self.fail_from, self.limit = fail_from, limit
        self.chats = 0
        self.requests = 0
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).replace("/", "\\/").encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with server.lock:
                    server.requests += 1
                    n = server.requests
                    chat = self.command == "POST"
                    server.chats += chat
                    chat_no = server.chats
                if n > server.limit:
                    self._send(503, {"error": {"message": "request limit reached"}})
                    return
                echo = _echo(self.command, self.path, dict(self.headers.items()), body)
                if not chat:
                    self._send(200, {"object": "list", "data": [{"id": "echo-model", "object": "model",
                                                                 "created": 0, "owned_by": "echo " + echo}]})
                elif chat_no >= server.fail_from:
                    self._send(401, {"error": {"message": "refused: " + echo, "type": "auth"}})
                else:
                    self._send(200, {"id": "c", "object": "chat.completion", "created": 0, "model": "echo-model",
                                     "choices": [{"index": 0, "finish_reason": "stop",
                                                  "message": {"role": "assistant", "content": echo}}],
                                     "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            do_GET = do_POST = _answer  # noqa: N815 - http.server's naming

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, *, credentials: bool = True, query: bool = True) -> str:
        userinfo = f"{USER}:{quote(PASSWORD, safe='')}@" if credentials else ""
        return f"http://{userinfo}127.0.0.1:{self.port}/v1" + (f"?api-key={quote(KEY, safe='')}" if query else "")

    def __enter__(self) -> EchoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with EchoServer(fail_from=4) as server:
        yield server


# --------------------------------------------------------------------------- the scrubber itself


def test_every_form_of_a_secret_is_scrubbed_and_ordinary_text_is_not() -> None:
    secrets = Secrets.collect(keys=[KEY], urls=[f"http://{USER}:{PASSWORD}@h/v1?subscription-key={SUBSCRIPTION}"],
                              headers={"X-Custom-Auth": CUSTOM, "Content-Type": "application/json"})
    for name, form in forms().items():
        text = f"before {form} after"
        assert secrets.scrub(text) == "before *** after", name
    # inside longer encodings too: the base64 of "Bearer KEY", the base64 of a JSON document holding it
    for payload in (f"Bearer {KEY}", json.dumps({"api_key": KEY})):
        encoded = base64.b64encode(payload.encode()).decode()
        scrubbed = secrets.scrub(encoded)
        assert "***" in scrubbed and len(scrubbed) < len(encoded) - len(KEY), scrubbed
    ordinary = TEXT + " Basic services resumed; the bearer of the news said 5,961 civilians died."
    assert secrets.scrub(ordinary) == ordinary
    assert not is_secret_name("api-version") and not is_secret_name("Content-Type")
    assert all(is_secret_name(n) for n in ("api-key", "key", "subscription-key", "token", "X-Custom-Auth",
                                           "Authorization", "sig", "access_token"))


def test_the_log_filter_scrubs_records_and_their_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    secrets = Secrets.collect(keys=[KEY])
    from llmextract import secrets as module

    module.register(secrets)
    install_log_filter()
    log = logging.getLogger("httpx2")
    assert any(isinstance(f, SecretFilter) for f in log.filters)
    with caplog.at_level(logging.DEBUG, logger="httpx2"):
        try:
            raise ValueError(f"bad url http://x/v1?api-key={quote(KEY, safe='')}")
        except ValueError:
            log.debug("HTTP Request: POST %s", f"http://x/v1?key={KEY}", exc_info=True)
    assert caplog.records and found_in(caplog.text) == []
    assert "HTTP Request: POST http://x/v1?key=***" in caplog.text


# --------------------------------------------------------------------------- the library's paths


def test_the_http_clients_log_lines_and_the_errors_hold_no_secret(echo: EchoServer,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    config = EndpointConfig(base_url=echo.url(), api_key=KEY, profile="json", transport_retries=0, reask_budget=1)
    with caplog.at_level(logging.DEBUG):
        with LLMExtractor(config) as extractor, pytest.raises(ModelOutputError) as caught:
            extractor.extract(Article(text=TEXT))
    assert echo.chats == 2  # the echoes came back as replies, twice (one re-ask)
    assert "HTTP Request: POST" in caplog.text  # the client's own request lines were logged, scrubbed
    error = caught.value
    for text in (caplog.text, str(error), *error.raw_replies):
        assert found_in(text) == [], text[:300]
    assert "***" in error.raw_replies[0]  # the echo is there, its secrets are not


def test_a_query_string_in_the_base_url_builds_a_correct_request_path(echo: EchoServer) -> None:
    config = EndpointConfig(base_url=echo.url(credentials=False) + "&api-version=2024-06-01", api_key=KEY,
                            profile="json", transport_retries=0, reask_budget=0)
    with LLMExtractor(config) as extractor, pytest.raises(ModelOutputError) as caught:
        extractor.extract(Article(text=TEXT))
    # before: the query string sat inside the path ("/v1?api-key=.../chat/completions"), and the server 404ed
    echoed = caught.value.raw_replies[0].splitlines()[0]
    assert echoed.startswith("POST /v1/chat/completions?") and "api-version=2024-06-01" in echoed
    assert config.request_url == f"http://127.0.0.1:{echo.port}/v1"
    assert config.query_params == {"api-key": KEY, "api-version": "2024-06-01"}


def test_a_recorded_cassette_holds_no_form_of_any_secret(tmp_path: Path) -> None:
    cassette = tmp_path / "echo.yaml"
    with EchoServer(fail_from=2) as server:
        client = openai.OpenAI(base_url=server.url(query=False), api_key=KEY, max_retries=0,
                               default_headers={"X-Custom-Auth": CUSTOM},
                               default_query={"subscription-key": SUBSCRIPTION, "api-version": "1"})
        with use_cassette(cassette, record_mode="all") as session:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hello"}])
            with pytest.raises(openai.AuthenticationError):
                client.chat.completions.create(model="m", messages=[{"role": "user", "content": "again"}])
        assert session.recorded == 2
    text = cassette.read_text(encoding="utf-8")
    assert "halves" in text and "b64" in text  # the echoes were recorded ...
    assert found_in(text) == []  # ... without a secret in any shape
    assert [p.name for p in tmp_path.iterdir()] == ["echo.yaml"]  # no temporary file left beside it


def test_a_block_that_raises_leaves_the_old_cassette_as_it_was(tmp_path: Path) -> None:
    cassette = tmp_path / "kept.yaml"
    with EchoServer() as server:
        client = openai.OpenAI(base_url=server.url(credentials=False, query=False), api_key=KEY, max_retries=0)
        with use_cassette(cassette, record_mode="all"):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "first"}])
        before = cassette.read_bytes()
        with pytest.raises(RuntimeError), use_cassette(cassette, record_mode="all"):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "second"}])
            raise RuntimeError("the recording went wrong half way")
    assert cassette.read_bytes() == before  # before: vcrpy saved the half recording over it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.yaml"]


# --------------------------------------------------------------------------- the command line, end to end


_UNDER_CASSETTE = """
import sys
from llmextract.cli import main
from llmextract.testing import use_cassette

with use_cassette(sys.argv[1], record_mode="all"):
    code = main(sys.argv[2:])
sys.exit(code)
"""


def test_a_cli_run_writes_no_secret_to_any_file_or_stream(tmp_path: Path) -> None:
    """extract and batch at -vv, recording a cassette, against a server that echoes everything back."""
    articles = tmp_path / "articles"
    articles.mkdir()
    for name in ("one", "two"):
        (articles / f"{name}.txt").write_text(TEXT.replace("Twelve", "Twelve" if name == "one" else "Nine"),
                                              encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMEXTRACT_", "OPENAI_"))}
    env |= {"LLMEXTRACT_API_KEY": KEY, "LLMEXTRACT_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    streams: list[str] = []
    with EchoServer(fail_from=4, limit=40) as server:
        url = server.url()
        runs = [
            [str(out / "extract.yaml"), "-vv", "extract", str(articles / "one.txt"), str(articles / "two.txt"),
             "--endpoint", url, "--format", "json", "-o", str(out / "extract.json")],
            [str(out / "extract-table.yaml"), "-v", "extract", str(articles / "two.txt"), "--endpoint", url],
            [str(out / "batch.yaml"), "-vv", "batch", str(articles), "-o", str(out / "batch.jsonl"),
             "--endpoint", url, "--no-progress", "--no-cache"],
        ]
        for argv in runs:
            done = subprocess.run([sys.executable, "-c", _UNDER_CASSETTE, *argv], capture_output=True, text=True,
                                  env=env, cwd=tmp_path, timeout=300)
            assert done.returncode in (0, 1, 2), done.stderr[-3000:]  # (at -vv the SDK logs its tracebacks)
            streams += [done.stdout, done.stderr]
        assert server.chats >= 4  # the echoes were made: replies, then 401s
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert {p.name for p in written} >= {"extract.yaml", "extract.json", "extract-table.yaml", "batch.jsonl"}
    assert any("HTTP Request" in s for s in streams)  # the client's request lines were there to leak
    assert any("401" in s for s in streams)  # and the server's refusal, with its echo, was reported
    for path in written:
        assert found_in(path.read_text(encoding="utf-8", errors="replace")) == [], path.name
    for text in streams:
        assert found_in(text) == [], [line[:300] for line in text.splitlines() if found_in(line)]


# --------------------------------------------------------------------------- the maintainer's record script


def _record_script() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("record_cassettes", ROOT / "scripts" / "record_cassettes.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    (root / "examples" / "articles").mkdir(parents=True)
    (root / "examples" / "articles" / "kafr.txt").write_text(TEXT, encoding="utf-8")
    (root / "cassettes").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    return root


def test_the_record_script_scrubs_the_json_beside_the_cassette(checkout: Path) -> None:
    rc = _record_script()
    spec = rc.CassetteSpec(name="echo-kafr", article="examples/articles/kafr.txt", profile="json", source="serve",
                           reask_budget=1)
    with EchoServer() as server:
        report = rc.record_one(spec, checkout, server.url(credentials=False, query=False), api_key=KEY, timeout=30)
    assert report.problem == "" and report.written and report.replay_ok  # the scrubbed files replay as recorded
    cassette, companion = rc.cassette_paths(checkout, spec.name)
    stored = json.loads(companion.read_text(encoding="utf-8"))
    assert stored["outcome"] == "error" and len(stored["error"]["raw_replies"]) == 2  # the echoes, kept ...
    for path in (cassette, companion):
        assert found_in(path.read_text(encoding="utf-8")) == [], path.name  # ... without the key (was 4 times)
    assert sorted(p.name for p in (checkout / "cassettes").iterdir()) == ["echo-kafr.json", "echo-kafr.yaml"]


def test_a_failed_recording_keeps_the_old_files_and_says_none_was_written(checkout: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    rc = _record_script()
    name = "json-kafr"
    cassette, companion = rc.cassette_paths(checkout, name)
    cassette.write_text("the old cassette\n", encoding="utf-8")
    companion.write_text('{"the": "old result"}\n', encoding="utf-8")
    with EchoServer(fail_from=1) as server:  # every chat request refused with a 401 that echoes the request
        code = rc.main(["--root", str(checkout), "--only", name, "--endpoint", server.url(credentials=False,
                                                                                          query=False)])
    out = capsys.readouterr().out
    assert code == 1
    assert f"{name}: FAILED: the endpoint failed" in out and "the old files are unchanged" in out
    assert "0 of 1 cassette(s) written" in out
    assert cassette.read_text(encoding="utf-8") == "the old cassette\n"  # before: overwritten by the failure
    assert companion.read_text(encoding="utf-8") == '{"the": "old result"}\n'
    assert sorted(p.name for p in (checkout / "cassettes").iterdir()) == [f"{name}.json", f"{name}.yaml"]
