"""The LLM path: config resolution, profiles, transport retries, re-asks, the validator hook.

Every test talks HTTP to a small scripted server on loopback (stdlib http.server in a thread),
through the real openai client; nothing leaves the machine. The live test needs
LLMEXTRACT_LIVE_URL (a running ``llmextract serve``) and is skipped otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import instructor
import pytest
from instructor.v2 import mode_registry

from llmextract.config import EndpointConfig, safe_url
from llmextract.errors import ConfigError, EndpointError, ModelOutputError
from llmextract.extractors.llm import (
    LLMExtractor,
    _plan,
    _prepare,
    postprocess,
    retry_after_seconds,
)
from llmextract.extractors.profiles import PROFILES, bounded_schema, detect_profile, strict_schema
from llmextract.extractors.prompts import PromptSet
from llmextract.schema import Article, Claim, ClaimList, Count, Evidence, ExtractionResult
from llmextract.text.index import EvidenceIndex

KEY = "sk-test-SECRET-0123456789abcdef"
TEXT = ("date 2018-01-01\n\nTwenty civilians were killed in an airstrike on the town of Hajin on Saturday, "
        "the official news agency SANA said. Nine children were among the dead.")
ARTICLE = Article(text=TEXT, id="hajin-short")

GOOD = {"claims": [{
    "kind": "incident",
    "attribution": {"claimant": "the official news agency SANA", "relays": [], "outlet": None},
    "place": {"phrase": "Hajin"},
    "killed": {"phrase": "Twenty civilians", "low": 20, "high": 20, "qualifier": "exact"},
    "children_killed": {"phrase": "Nine children"},
    "evidence": [{"quote": "Twenty civilians were killed in an airstrike on the town of Hajin on Saturday"},
                 {"quote": "a quote that is not in the article"}],
}]}


# --------------------------------------------------------------------------- a scripted server


def reply(content: str | dict[str, Any], *, prompt_tokens: int = 100, completion_tokens: int = 20,
          finish: str = "stop") -> dict[str, Any]:
    """A chat completion step."""
    text = content if isinstance(content, str) else json.dumps(content)
    return {"status": 200, "body": {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "fake-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}}}


def fail(status: int, message: str = "scripted failure", headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"status": status, "body": {"error": {"message": message, "type": "error"}}, "headers": headers or {}}


class FakeServer:
    """Answers GET /v1/models and POST /v1/chat/completions from a script; records every request."""

    def __init__(self, steps: list[dict[str, Any]] | None = None, *, owned_by: str = "someone",
                 models: tuple[str, ...] = ("fake-model", "other-model"), models_status: int = 200) -> None:
        self.steps = list(steps or [])
        self.owned_by = owned_by
        self.models = models
        self.models_status = models_status
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, step: dict[str, Any]) -> None:
                data = json.dumps(step["body"]).encode()
                self.send_response(step["status"])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in step.get("headers", {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                with server.lock:
                    server.requests.append({"method": "GET", "path": self.path,
                                            "authorization": self.headers.get("Authorization")})
                if self.path.rstrip("/").endswith("/models") and server.models_status == 200:
                    self._send({"status": 200, "body": {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": server.owned_by}
                        for m in server.models]}})
                else:
                    self._send(fail(server.models_status if server.models_status != 200 else 404, "no route"))

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with server.lock:
                    server.requests.append({"method": "POST", "path": self.path, "json": body,
                                            "authorization": self.headers.get("Authorization")})
                    step = server.steps.pop(0) if server.steps else fail(500, "script exhausted")
                self._send(step)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @property
    def chats(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "POST"]

    @property
    def gets(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["method"] == "GET"]

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make(server: FakeServer, sleeps: list[float] | None = None, **overrides: Any) -> LLMExtractor:
    values: dict[str, Any] = {"base_url": server.url, "api_key": KEY, "timeout": 10.0, "transport_retries": 2,
                              "reask_budget": 1}
    values.update(overrides)
    extractor = LLMExtractor(EndpointConfig(**values))
    record = sleeps if sleeps is not None else []
    extractor._sleep = record.append  # never wait for real; keep what back-off asked for

    async def asleep(seconds: float) -> None:
        record.append(seconds)

    extractor._asleep = asleep
    return extractor


# --------------------------------------------------------------------------- config


def test_resolve_returns_none_without_an_endpoint() -> None:
    assert EndpointConfig.resolve(env={}) is None
    # A key alone never sends an article anywhere.
    assert EndpointConfig.resolve(env={"OPENAI_API_KEY": KEY, "OPENAI_MODEL": "gpt"}) is None


def test_resolve_order_explicit_then_llmextract_then_openai() -> None:
    env = {"LLMEXTRACT_BASE_URL": "http://127.0.0.1:1/v1", "OPENAI_BASE_URL": "http://127.0.0.1:2/v1",
           "OPENAI_MODEL": "from-openai-env", "OPENAI_API_KEY": "sk-openai-env-key", "LLMEXTRACT_PROFILE": "vllm"}
    config = EndpointConfig.resolve(env=env)
    assert config is not None
    assert config.base_url == "http://127.0.0.1:1/v1"
    assert config.model == "from-openai-env"
    assert config.api_key.get_secret_value() == "sk-openai-env-key"
    assert config.profile == "vllm"

    env["LLMEXTRACT_MODEL"] = "from-llmextract-env"
    env["LLMEXTRACT_API_KEY"] = "sk-llmextract-env-key"
    config = EndpointConfig.resolve(env=env)
    assert config is not None
    assert (config.model, config.api_key.get_secret_value()) == ("from-llmextract-env", "sk-llmextract-env-key")

    config = EndpointConfig.resolve("http://127.0.0.1:3/v1/", "explicit", KEY, profile="llamacpp", env=env)
    assert config is not None
    assert (config.base_url, config.model, config.profile) == ("http://127.0.0.1:3/v1", "explicit", "llamacpp")
    assert config.api_key.get_secret_value() == KEY

    only_openai = EndpointConfig.resolve(env={"OPENAI_BASE_URL": "http://127.0.0.1:2/v1"})
    assert only_openai is not None and only_openai.base_url == "http://127.0.0.1:2/v1"
    assert only_openai.api_key.get_secret_value() == "not-needed" and only_openai.model is None


def test_key_never_shown() -> None:
    config = EndpointConfig.resolve("http://user:pw@127.0.0.1:9/v1?token=abc", "m", KEY, env={})
    assert config is not None
    for shown in (repr(config), str(config), config.model_dump_json(), json.dumps(config.model_dump(mode="json"))):
        assert KEY not in shown
        assert "pw" not in shown and "token=abc" not in shown
    assert config.display_url == "http://127.0.0.1:9/v1"
    assert config.api_key.get_secret_value() == KEY  # still usable


def test_bad_config_is_a_config_error_without_the_key() -> None:
    with pytest.raises(ConfigError, match="profile"):
        EndpointConfig.resolve("http://127.0.0.1:9/v1", api_key=KEY, profile="gpt5", env={})
    with pytest.raises(ConfigError) as info:
        EndpointConfig.resolve("ftp://127.0.0.1:9/v1", api_key=KEY, env={})
    assert KEY not in str(info.value)
    with pytest.raises(ConfigError, match="transport_retries"):
        EndpointConfig.resolve("http://127.0.0.1:9/v1", api_key=KEY, transport_retries=-1, env={})


def test_safe_url_strips_userinfo_query_fragment() -> None:
    assert safe_url("https://u:p@example.org:8443/v1/?key=1#x") == "https://example.org:8443/v1"
    assert safe_url("http://[::1]:8080/v1") == "http://[::1]:8080/v1"


# --------------------------------------------------------------------------- profiles


@pytest.mark.parametrize(("url", "owners", "expected"), [
    ("https://api.openai.com/v1", ["system"], "openai"),
    ("http://127.0.0.1:8000/v1", ["vllm"], "vllm"),
    ("http://127.0.0.1:8080/v1", ["me"], "llamacpp"),
    ("http://127.0.0.1:8080/v1", ["llamacpp"], "llamacpp"),
    ("http://127.0.0.1:9999/v1", ["library"], "ollama"),
    ("http://127.0.0.1:11434/v1", ["someuser"], "ollama"),
    ("http://127.0.0.1:1234/v1", ["organization_owner"], "json"),
    ("http://127.0.0.1:1234/v1", [], "json"),
])
def test_detect_profile(url: str, owners: list[str], expected: str) -> None:
    assert detect_profile(url, owners) == expected


def test_auto_detects_llamacpp_and_sends_schema_in_extra_body() -> None:
    with FakeServer([reply(GOOD)], owned_by="me") as server:
        result = make(server).extract(ARTICLE)
    assert result.provenance.profile == "llamacpp"
    assert result.provenance.model == "fake-model"  # the first id of /models
    body = server.chats[0]["json"]
    assert body["model"] == "fake-model"
    schema = body["response_format"]["schema"]
    assert body["response_format"] == {"type": "json_object", "schema": bounded_schema(ClaimList.model_json_schema())}
    assert schema["properties"]["claims"]["maxItems"] == 6
    assert schema["$defs"]["Evidence"]["properties"]["quote"]["maxLength"] == 300
    assert body["temperature"] == 0
    assert "max_tokens" not in body
    # The grammar enforces the schema: it is not pasted into the prompt as well.
    assert all('"$defs"' not in m["content"] for m in body["messages"])
    assert server.chats[0]["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("owner", ["vllm", "library"])
def test_vllm_and_ollama_get_json_schema(owner: str) -> None:
    with FakeServer([reply(GOOD)], owned_by=owner) as server:
        result = make(server, model="other-model").extract(ARTICLE)
    body = server.chats[0]["json"]
    assert body["model"] == "other-model"
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == ClaimList.model_json_schema()
    assert result.provenance.profile == {"vllm": "vllm", "library": "ollama"}[owner]


def test_unknown_server_gets_json_mode_with_schema_in_prompt() -> None:
    with FakeServer([reply(GOOD)], owned_by="organization_owner") as server:
        result = make(server).extract(ARTICLE)
    body = server.chats[0]["json"]
    assert result.provenance.profile == "json"
    assert body["response_format"] == {"type": "json_object"}
    assert '"$defs"' in body["messages"][0]["content"]


def test_openai_profile_sends_a_strict_schema() -> None:
    with FakeServer([reply(GOOD)]) as server:
        make(server, profile="openai", model="gpt-test").extract(ARTICLE)
    assert server.gets == []  # profile and model given: no GET /models
    fmt = server.chats[0]["json"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    schema = fmt["json_schema"]["schema"]
    assert schema == strict_schema(ClaimList.model_json_schema())
    count = schema["$defs"]["Count"]
    assert count["additionalProperties"] is False and set(count["required"]) == set(count["properties"])
    assert "default" not in json.dumps(schema).replace('"default_', "")


def test_no_models_route_is_fine_when_the_model_is_known() -> None:
    with FakeServer([reply(GOOD)], models_status=404) as server:
        result = make(server, model="fake-model").extract(ARTICLE)
    assert result.provenance.profile == "json"
    with FakeServer([], models_status=404) as server, pytest.raises(EndpointError, match="404"):
        make(server).extract(ARTICLE)


# --------------------------------------------------------------------------- results


def test_result_provenance_and_postprocessing(sleeps: list[float]) -> None:
    with FakeServer([reply(GOOD, prompt_tokens=321, completion_tokens=45)], owned_by="me") as server:
        extractor = make(server, sleeps)
        result = extractor.extract(ARTICLE)
    assert isinstance(result, ExtractionResult)
    p = result.provenance
    assert (p.extractor, p.model_used, p.endpoint, p.model, p.profile) == (
        "llm", True, server.url, "fake-model", "llamacpp")
    assert p.prompt_hash == extractor.prompts.hash == PromptSet.load().hash
    assert (p.usage.prompt_tokens, p.usage.completion_tokens, p.attempts) == (321, 45, 1)
    assert p.raw_replies == [json.dumps(GOOD)]
    assert p.latency_s > 0 and p.version
    assert (result.article_id, result.published.isoformat()) == ("hajin-short", "2018-01-01")
    claim = result.claims[0]
    quote = claim.evidence[0]
    assert TEXT[quote.start:quote.end] == quote.quote
    assert (claim.evidence[1].start, claim.evidence[1].end) == (None, None)
    # "Nine children" came without bounds: derived from the phrase.
    assert (claim.children_killed.low, claim.children_killed.high) == (9, 9)
    assert any("children_killed" in note for note in p.notes)
    assert sleeps == []
    # The index's hints (its number phrases and names) reach the prompt.
    user = server.chats[0]["json"]["messages"][-1]["content"]
    hints = EvidenceIndex.build(ARTICLE).hints()
    assert "Twenty" in hints and "Hajin" in hints
    assert all(f"- {h}" in user for h in hints) and "2018-01-01 (Monday)" in user
    assert KEY not in result.model_dump_json()


def test_postprocess_keeps_correct_offsets_and_fixes_wrong_ones() -> None:
    text = "Ten people died. Ten people died again."
    claims = [Claim(evidence=[Evidence(quote="Ten people died again", start=0, end=5),
                              Evidence(quote="Ten people died", start=17, end=32)],
                    killed=Count(phrase="at least a dozen"))]
    notes: list[str] = []
    postprocess(claims, EvidenceIndex.build(text), notes)
    assert (claims[0].evidence[0].start, claims[0].evidence[0].end) == (17, 38)
    assert (claims[0].evidence[1].start, claims[0].evidence[1].end) == (17, 32)  # a correct second occurrence stays
    assert (claims[0].killed.low, claims[0].killed.high, claims[0].killed.qualifier) == (12, None, "at_least")


def test_braces_in_the_article_reach_the_model_verbatim() -> None:
    text = "Fifteen people were killed. {{ config }} {% if x %}raw{% endif %} {# note #} }} {"
    with FakeServer([reply({"claims": []})], owned_by="me") as server:
        make(server).extract(Article(text=text))
    user = server.chats[0]["json"]["messages"][-1]["content"]
    assert text in user


# --------------------------------------------------------------------------- transport retries


def test_500_then_success_is_retried(sleeps: list[float]) -> None:
    with FakeServer([fail(500), reply(GOOD)], owned_by="me") as server:
        result = make(server, sleeps).extract(ARTICLE)
    assert len(server.chats) == 2
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 30
    assert result.provenance.attempts == 1  # one model reply; the 500 was a transport retry
    assert result.provenance.transport_retries == 1
    assert result.claims[0].killed.low == 20


def test_429_honours_retry_after(sleeps: list[float]) -> None:
    steps = [fail(429, "slow down", {"Retry-After": "7"}), fail(503, "busy", {"retry-after-ms": "250"}), reply(GOOD)]
    with FakeServer(steps, owned_by="me") as server:
        result = make(server, sleeps).extract(ARTICLE)
    assert len(server.chats) == 3
    assert sleeps == [7.0, 0.25]
    assert result.provenance.transport_retries == 2


def test_retry_after_is_capped(sleeps: list[float]) -> None:
    with FakeServer([fail(429, headers={"Retry-After": "3600"}), reply(GOOD)], owned_by="me") as server:
        make(server, sleeps, retry_max_wait=5.0).extract(ARTICLE)
    assert sleeps == [5.0]


def test_retry_after_parses_http_dates() -> None:
    import httpx2
    import openai

    response = httpx2.Response(429, headers={"Retry-After": "Thu, 01 Jan 2032 00:00:10 GMT"},
                               request=httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions"))
    exc = openai.RateLimitError("rate", response=response, body=None)
    assert retry_after_seconds(exc, now=1956528000.0) == pytest.approx(10.0)


def test_transport_retries_exhausted_is_an_endpoint_error(sleeps: list[float]) -> None:
    with FakeServer([fail(502)] * 3, owned_by="me") as server, pytest.raises(EndpointError) as info:
        make(server, sleeps, transport_retries=2).extract(ARTICLE)
    assert len(server.chats) == 3 and len(sleeps) == 2
    assert info.value.endpoint == server.url and info.value.attempts == 3 and info.value.status_code == 502
    assert server.url in str(info.value)


def test_client_errors_are_not_retried_and_never_show_the_key(sleeps: list[float]) -> None:
    with FakeServer([fail(401, f"Incorrect API key provided: {KEY}")], owned_by="me") as server, \
            pytest.raises(EndpointError) as info:
        make(server, sleeps).extract(ARTICLE)
    assert len(server.chats) == 1 and sleeps == []
    assert info.value.status_code == 401
    assert KEY not in str(info.value) and "SECRET" not in str(info.value)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dead_endpoint_is_an_endpoint_error(sleeps: list[float]) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v1"
    extractor = LLMExtractor(EndpointConfig(base_url=url, api_key=KEY, transport_retries=1, timeout=5))
    extractor._sleep = sleeps.append
    with pytest.raises(EndpointError) as info:
        extractor.extract(ARTICLE)
    assert info.value.endpoint == url and info.value.attempts == 2 and len(sleeps) == 1
    assert "could not connect" in str(info.value) and url in str(info.value)
    assert KEY not in str(info.value)


# --------------------------------------------------------------------------- re-asks


def test_reask_when_the_reply_is_not_json(sleeps: list[float]) -> None:
    steps = [reply("Sure! Here are the claims: none", prompt_tokens=100, completion_tokens=7),
             reply(GOOD, prompt_tokens=130, completion_tokens=40)]
    with FakeServer(steps, owned_by="me") as server:
        result = make(server, sleeps).extract(ARTICLE)
    p = result.provenance
    assert p.attempts == 2
    assert p.raw_replies == ["Sure! Here are the claims: none", json.dumps(GOOD)]
    assert (p.usage.prompt_tokens, p.usage.completion_tokens) == (230, 47)  # summed over both attempts
    second = server.chats[1]["json"]["messages"]
    assert second[-2] == {"role": "assistant", "content": "Sure! Here are the claims: none"}
    assert second[-1]["role"] == "user" and "JSON" in second[-1]["content"]
    assert sleeps == []  # re-asks are not transport retries


def test_reask_when_a_field_is_missing() -> None:
    missing_phrase = {"claims": [{"killed": {"low": 20, "high": 20}}]}
    with FakeServer([reply(missing_phrase), reply(GOOD)], owned_by="me") as server:
        result = make(server).extract(ARTICLE)
    assert result.provenance.attempts == 2
    assert "phrase" in server.chats[1]["json"]["messages"][-1]["content"]


def test_reasks_exhausted_is_a_model_output_error() -> None:
    with FakeServer([reply("nope"), reply('{"claims": [{"kind": "rumour"}]}')], owned_by="me") as server, \
            pytest.raises(ModelOutputError) as info:
        make(server, reask_budget=1).extract(ARTICLE)
    assert info.value.raw_replies == ["nope", '{"claims": [{"kind": "rumour"}]}']
    assert info.value.attempts == 2 and len(server.chats) == 2
    assert KEY not in str(info.value)


def test_truncated_reply_is_reasked() -> None:
    with FakeServer([reply('{"claims": [{"ki', finish="length"), reply(GOOD)], owned_by="me") as server:
        result = make(server).extract(ARTICLE)
    assert result.provenance.attempts == 2 and len(server.chats) == 2
    assert result.provenance.raw_replies == ['{"claims": [{"ki', json.dumps(GOOD)]
    second = server.chats[1]["json"]["messages"]
    assert second[-2] == {"role": "assistant", "content": '{"claims": [{"ki'}
    assert second[-1]["role"] == "user" and "cut off at the token limit" in second[-1]["content"]


def test_a_cut_off_reply_is_refused_even_when_it_parses() -> None:
    # finish_reason "length" says the model had more to say: the JSON may be whole but not the answer
    with FakeServer([reply({"claims": []}, finish="length"), reply(GOOD)], owned_by="me") as server:
        result = make(server).extract(ARTICLE)
    assert result.provenance.attempts == 2 and result.claims[0].killed.low == 20


def test_truncated_replies_exhausting_the_budget_are_a_model_output_error(sleeps: list[float]) -> None:
    steps = [fail(503), reply('{"claims": [{"ki', finish="length"), reply('{"claims": [', finish="length")]
    with FakeServer(steps, owned_by="me") as server, pytest.raises(ModelOutputError, match="cut off") as info:
        make(server, sleeps, reask_budget=1).extract(ARTICLE)
    assert info.value.raw_replies == ['{"claims": [{"ki', '{"claims": [']
    assert info.value.attempts == 2 and len(server.chats) == 3
    assert info.value.transport_retries == 1  # the 503 before the first reply


async def test_async_truncated_reply_goes_through_the_reask_budget() -> None:
    with FakeServer([reply('{"claims"', finish="length")] * 3, owned_by="me") as server:
        extractor = make(server, reask_budget=2)
        with pytest.raises(ModelOutputError, match="cut off") as info:
            await extractor.aextract(ARTICLE)
        await extractor.aclose()
    assert info.value.attempts == 3 and len(server.chats) == 3 and info.value.transport_retries == 0


def test_endpoint_error_counts_the_transport_retries_of_the_whole_extraction(sleeps: list[float]) -> None:
    # first request: a 500, then a reply to re-ask; second request: 502 until the retries run out
    steps = [fail(500), reply("not json"), fail(502), fail(502), fail(502)]
    with FakeServer(steps, owned_by="me") as server, pytest.raises(EndpointError) as info:
        make(server, sleeps, transport_retries=2, reask_budget=1).extract(ARTICLE)
    assert len(server.chats) == 5
    assert info.value.attempts == 3  # the tries of the request that failed
    assert info.value.transport_retries == 3  # one before the first reply, two on the second request


def phrases_in_text(claims: ClaimList, index: EvidenceIndex) -> list[str]:
    """A stand-in for the grounding layer: every count phrase must occur in the text."""
    problems = []
    for i, claim in enumerate(claims.claims):
        for name in ("killed", "injured", "children_killed", "women_killed", "men_killed"):
            count = getattr(claim, name)
            if count is not None and count.phrase not in index.text:
                problems.append(f"claims[{i}].{name}.phrase {count.phrase!r} does not occur in the article")
    return problems


def test_validator_hook_reasks_with_its_problems() -> None:
    made_up = {"claims": [{"killed": {"phrase": "17 women and children", "low": 17, "high": 17}}]}
    with FakeServer([reply(made_up), reply(GOOD)], owned_by="me") as server:
        extractor = make(server)
        extractor.validator = phrases_in_text
        result = extractor.extract(ARTICLE)
    assert result.claims[0].killed.phrase == "Twenty civilians"
    assert result.provenance.attempts == 2
    reask = server.chats[1]["json"]["messages"][-1]["content"]
    assert "'17 women and children' does not occur in the article" in reask


def test_validator_hook_exhausted_keeps_every_reply() -> None:
    made_up = {"claims": [{"killed": {"phrase": "17 women and children"}}]}
    with FakeServer([reply(made_up)] * 2, owned_by="me") as server, pytest.raises(ModelOutputError) as info:
        LLMExtractor(EndpointConfig(base_url=server.url, reask_budget=1), validator=phrases_in_text).extract(ARTICLE)
    assert len(info.value.raw_replies) == 2 and "does not occur" in str(info.value)


def test_a_bug_in_the_validator_is_not_blamed_on_the_model() -> None:
    def broken(claims: ClaimList, index: EvidenceIndex) -> list[str]:
        raise RuntimeError("validator bug")

    with FakeServer([reply(GOOD), reply(GOOD)], owned_by="me") as server, pytest.raises(RuntimeError, match="bug"):
        LLMExtractor(EndpointConfig(base_url=server.url), validator=broken).extract(ARTICLE)
    assert len(server.chats) == 1  # no re-ask: the model did nothing wrong


# --------------------------------------------------------------------------- async


async def test_aextract_concurrently_on_one_client(sleeps: list[float]) -> None:
    steps = [reply({"claims": []})] * 3 + [fail(500), reply({"claims": []})]
    with FakeServer(steps) as server:
        extractor = make(server, sleeps, profile="llamacpp", model="fake-model")
        articles = [Article(text=f"Article {i}: {n} people were killed.") for i, n in enumerate((3, 4, 5, 6))]
        results = await asyncio.gather(*(extractor.aextract(a) for a in articles))
        client = extractor.aclient
        await extractor.aclose()
    assert [r.article_id for r in results] == [a.id for a in articles]
    assert all(r.provenance.profile == "llamacpp" and r.provenance.attempts == 1 for r in results)
    assert len(server.chats) == 5 and len(sleeps) == 1 and server.gets == []
    assert client.is_closed()


async def test_aextract_detects_and_maps_errors(sleeps: list[float]) -> None:
    with FakeServer([reply("x"), reply("y")], owned_by="vllm") as server:
        extractor = make(server, sleeps)
        with pytest.raises(ModelOutputError) as info:
            await extractor.aextract(ARTICLE)
        await extractor.aclose()
    assert extractor.profile == "vllm" and info.value.raw_replies == ["x", "y"]
    url = f"http://127.0.0.1:{closed_port()}/v1"
    dead = LLMExtractor(EndpointConfig(base_url=url, transport_retries=0))
    with pytest.raises(EndpointError, match="could not connect"):
        await dead.aextract(ARTICLE)
    await dead.aclose()


def test_injected_http_client_is_used_and_left_open() -> None:
    import httpx2

    seen: list[str] = []
    http = httpx2.Client(event_hooks={"request": [lambda request: seen.append(str(request.url))]})
    with FakeServer([reply(GOOD)], owned_by="me") as server:
        extractor = LLMExtractor(EndpointConfig(base_url=server.url), http_client=http)
        extractor.extract(ARTICLE)
        extractor.close()
    assert seen == [server.url + "/models", server.url + "/chat/completions"]
    assert not http.is_closed
    http.close()


# --------------------------------------------------------------------------- live


@pytest.mark.live
@pytest.mark.skipif(not os.environ.get("LLMEXTRACT_LIVE_URL"),
                    reason="set LLMEXTRACT_LIVE_URL to a running `llmextract serve` endpoint")
def test_live_endpoint_returns_a_valid_result() -> None:
    config = EndpointConfig(base_url=os.environ["LLMEXTRACT_LIVE_URL"], profile="llamacpp", timeout=600,
                            transport_retries=1, reask_budget=1, max_tokens=1024)
    with LLMExtractor(config) as extractor:
        result = extractor.extract(ARTICLE)
    assert isinstance(result, ExtractionResult)
    p = result.provenance
    assert p.extractor == "llm" and p.model_used and p.profile == "llamacpp" and p.model
    assert p.prompt_hash == PromptSet.load().hash
    assert p.usage.prompt_tokens > 0 and p.usage.completion_tokens > 0
    assert p.attempts >= 1 and len(p.raw_replies) == p.attempts
    ClaimList.model_validate_json(p.raw_replies[-1])  # the accepted reply parses on its own


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_the_reused_request_prefix_gives_the_request_made_in_full(profile: str) -> None:
    # _prepared reuses the handler's work on the messages before the article's; the request must be
    # exactly what instructor's handler makes of the whole request, article after article
    extractor = LLMExtractor(EndpointConfig.resolve(endpoint="http://127.0.0.1:9/v1", model="m", profile=profile))
    articles = [ARTICLE, Article(text="Line one\r\n  {{ not jinja }} {% raw %}\r\nTwenty were killed.\n\n"),
                Article(text="Five people were killed in Raqqa, activists said.", title="T")]
    handlers = mode_registry.get_handlers(instructor.Provider.OPENAI, PROFILES[profile].mode)
    sent = []
    for article in articles * 2:  # the second round reuses the plan made in the first
        index = EvidenceIndex.build(article)
        facts = extractor.facts(index, profile)
        _, got = extractor._prepared(article, facts, "m", PROFILES[profile])
        full = _prepare(handlers, extractor._request(article, facts, "m", PROFILES[profile]))
        assert got == full
        sent.append(got)
    assert len(extractor._plans) == 1 and next(iter(extractor._plans.values())) is not False
    # new message dicts on every call: changing one request's messages cannot reach another's
    assert sent[0]["messages"][0] is not sent[1]["messages"][0]
    assert sent[0]["messages"][-1]["content"] != sent[2]["messages"][-1]["content"]


def test_a_request_the_plan_cannot_serve_is_made_in_full() -> None:
    extractor = LLMExtractor(EndpointConfig.resolve(endpoint="http://127.0.0.1:9/v1", model="m", profile="json"))
    profile = PROFILES["json"]
    handlers = mode_registry.get_handlers(instructor.Provider.OPENAI, profile.mode)
    kwargs = extractor._request(ARTICLE, extractor.facts(EvidenceIndex.build(ARTICLE), "json"), "m", profile)
    # a handler that copies the article into another argument cannot be planned around
    kwargs["messages"][-1]["content"] = "x"
    probe_kwargs = {**kwargs, "messages": list(kwargs["messages"])}
    assert _plan(handlers, probe_kwargs) is not False  # the real handler can

    def leaky(response_model: Any, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        return response_model, {**kwargs, "user": kwargs["messages"][-1]["content"]}

    class Leaky:
        request_handler = staticmethod(leaky)
        message_converter = None

    assert _plan(Leaky(), probe_kwargs) is False


# --------------------------------------------------------------------------- servers that misbehave


class DripServer:
    """A loopback server that answers every request slowly: one byte of its reply every ``interval`` seconds
    (from the status line with ``headers=True``, else after the headers), at most ``len(reply)`` bytes, so every
    request loop ends. It counts the replies it finished and the bytes each connection took before closing."""

    def __init__(self, body: bytes, *, interval: float = 0.05, headers: bool = False,
                 content_length: bool = True) -> None:
        self.body, self.interval, self.drip_headers, self.content_length = body, interval, headers, content_length
        self.finished = 0
        self.sent: list[int] = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.stop = threading.Event()
        self.handlers: list[threading.Thread] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            handler = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self.handlers.append(handler)
            handler.start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(rest) < length:
                rest += conn.recv(65536)
            if head.startswith(b"GET"):
                conn.sendall(_http(json.dumps({"object": "list", "data": [
                    {"id": "m", "object": "model", "created": 0, "owned_by": "someone"}]}).encode()))
                return
            reply = _http(self.body, content_length=self.content_length)
            prefix = 0 if self.drip_headers else reply.index(b"\r\n\r\n") + 4
            sent = 0
            try:
                conn.sendall(reply[:prefix])
                for i in range(prefix, len(reply)):  # bounded: the reply's length
                    if self.stop.wait(self.interval):
                        break
                    conn.sendall(reply[i:i + 1])
                    sent += 1
                else:
                    with self.lock:
                        self.finished += 1
            except OSError:  # the client gave up and closed the connection
                pass
            with self.lock:
                self.sent.append(sent)

    def __enter__(self) -> DripServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.sock.close()
        for handler in self.handlers:  # each counts what it sent before the test looks
            handler.join(timeout=10)


def _http(body: bytes, *, status: str = "200 OK", content_type: str = "application/json",
          content_length: bool = True) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Type: {content_type}", "Connection: close"]
    if content_length:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _completion(content: str) -> bytes:
    return json.dumps(reply(content)["body"]).encode()


@pytest.mark.parametrize("drip_headers", [False, True], ids=["body", "status-line"])
def test_a_server_dripping_bytes_cannot_hold_a_request_past_its_timeout(drip_headers: bool) -> None:
    # 200 bytes at one every 0.05 s: 10 s if the client waits for all of it; every single read is quick
    body = _completion(json.dumps({"claims": []}) + " " * 200)[:200]
    with DripServer(body, headers=drip_headers) as server, pytest.raises(EndpointError) as caught:
        extractor = LLMExtractor(EndpointConfig(base_url=server.url, model="m", profile="json", timeout=0.4,
                                                transport_retries=1, reask_budget=0))
        extractor._sleep = lambda seconds: None
        extractor.extract(ARTICLE)
    assert server.finished == 0 and 1 <= len(server.sent) <= 2  # each attempt was cut off before the reply ended
    assert all(n < len(body) for n in server.sent)
    assert "POST /chat/completions timed out: no complete reply within 0.4s" in str(caught.value)
    assert caught.value.attempts == 2


async def test_a_dripping_server_cannot_hold_an_async_request_past_its_timeout() -> None:
    body = _completion(json.dumps({"claims": []}) + " " * 200)[:200]
    with DripServer(body) as server:
        extractor = LLMExtractor(EndpointConfig(base_url=server.url, model="m", profile="json", timeout=0.4,
                                                transport_retries=0, reask_budget=0))
        with pytest.raises(EndpointError, match=r"timed out: no complete reply within 0.4s"):
            await extractor.aextract(ARTICLE)
        await extractor.aclose()
    assert server.finished == 0 and all(n < len(body) for n in server.sent)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_the_article_deadline_bounds_every_retry_together(asynchronous: bool,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    from llmextract.errors import ArticleTimeoutError

    body = _completion(json.dumps({"claims": []}) + " " * 200)[:200]
    with DripServer(body) as server:
        extractor = LLMExtractor(EndpointConfig(base_url=server.url, model="m", profile="json", timeout=0.3,
                                                transport_retries=40, reask_budget=0, article_timeout=1.0))
        extractor._sleep = lambda seconds: None  # back-off waits for nothing: only the requests take time

        async def no_wait(seconds: float) -> None:
            return None

        extractor._asleep = no_wait
        with pytest.raises(ArticleTimeoutError) as caught:
            if asynchronous:
                await extractor.aextract(ARTICLE)
            else:
                extractor.extract(ARTICLE)
        await extractor.aclose()
    assert caught.value.seconds == 1.0 and caught.value.stage == "POST /chat/completions"
    assert "the article's deadline of 1s passed while waiting for POST /chat/completions" in str(caught.value)
    retries = [r for r in caplog.records if "failed (no complete reply within 0.3s); retry" in r.getMessage()]
    assert 1 <= len(retries) < 40  # several requests timed out, and the retry budget was not what stopped them
    assert server.finished == 0


def test_the_article_deadline_is_on_by_default_and_can_be_turned_off() -> None:
    from llmextract.config import DEFAULT_ARTICLE_TIMEOUT

    config = EndpointConfig.resolve(endpoint="http://127.0.0.1:9/v1", env={})
    assert config is not None and config.article_timeout == DEFAULT_ARTICLE_TIMEOUT
    assert EndpointConfig.resolve(endpoint="http://h/v1", article_timeout=0, env={}).article_timeout is None
    assert EndpointConfig.resolve(endpoint="http://h/v1", env={"LLMEXTRACT_ARTICLE_TIMEOUT": "none"}).article_timeout \
        is None
    assert EndpointConfig.resolve(endpoint="http://h/v1", env={"LLMEXTRACT_ARTICLE_TIMEOUT": "90"}).article_timeout \
        == 90.0
    with pytest.raises(ConfigError, match="article_timeout"):
        EndpointConfig.resolve(endpoint="http://h/v1", env={"LLMEXTRACT_ARTICLE_TIMEOUT": "soon"})


def test_an_html_page_with_status_200_is_named_not_reasked(sleeps: list[float]) -> None:
    from llmextract.testing.scripted import non_json, scripted_server

    page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Welcome</body></html>"
    with scripted_server(script=[non_json(page, status=200)] * 3) as server, pytest.raises(EndpointError) as caught:
        extractor = make(server, sleeps, model="m", profile="json", reask_budget=2)  # type: ignore[arg-type]
        extractor.extract(ARTICLE)
    assert server.count == 1  # before: re-asked twice as "did not fit the schema"
    message = str(caught.value)
    assert "answered HTML" in message and "did not fit" not in message and "Sign in" in message


@pytest.mark.parametrize("content_length", [True, False], ids=["declared", "streamed"])
def test_a_reply_larger_than_the_limit_is_refused_as_it_arrives(content_length: bool) -> None:
    big = _completion(json.dumps({"claims": [{"kind": "incident", "evidence": [{"quote": "x" * 50_000}]}]}))
    with DripServer(big, interval=0.0, content_length=content_length) as server, \
            pytest.raises(EndpointError) as caught:
        extractor = LLMExtractor(EndpointConfig(base_url=server.url, model="m", profile="json", max_reply_bytes=10_000,
                                                transport_retries=2, reask_budget=2))
        extractor._sleep = lambda seconds: None
        extractor.extract(ARTICLE)
    assert "larger than the limit of 10,000 bytes" in str(caught.value)
    assert len(server.sent) == 1  # neither retried nor re-asked
    assert server.finished == 0 or content_length  # streamed: cut off; declared: refused on its header


def test_a_reply_over_the_limit_through_an_injected_client_is_refused_too() -> None:
    import httpx2

    big = _completion(json.dumps({"claims": [{"kind": "incident", "evidence": [{"quote": "x" * 50_000}]}]}))
    with DripServer(big, interval=0.0) as server, httpx2.Client() as http:
        extractor = LLMExtractor(EndpointConfig(base_url=server.url, model="m", profile="json", max_reply_bytes=10_000,
                                                transport_retries=0, reask_budget=2), http_client=http)
        with pytest.raises(EndpointError, match="larger than the limit"):
            extractor.extract(ARTICLE)
    assert len(server.sent) == 1
