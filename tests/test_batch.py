"""The batch runner: one record per article, faults, resume after SIGKILL, SIGINT, cache, bounded memory."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from llmextract.batch import (
    BadRecord,
    BatchEndpoint,
    BatchItem,
    BatchSummary,
    iter_articles,
    iter_extract,
    read_records,
    run_batch,
)
from llmextract.batch.cache import CacheScope, ResponseCache
from llmextract.batch.output import _Writer, scan_output
from llmextract.cli.batch import summary_table
from llmextract.config import EndpointConfig, safe_url
from llmextract.errors import EndpointError, InputError, ModelOutputError
from llmextract.schema import Article, Claim, ExtractionResult, Finding, Provenance, Usage, Verdict
from llmextract.testing.scripted import (
    drop,
    echo_claims,
    flaky,
    http_error,
    non_json,
    ok,
    per_article,
    rate_limited,
    scripted_server,
    stall,
    truncated,
)

ROOT = Path(__file__).resolve().parent.parent


def make_articles(n: int, prefix: str = "a") -> list[Article]:
    return [Article(id=f"{prefix}{i:04d}",
                    text=f"On Monday at least {i + 2} civilians were killed in an airstrike on Hajin, "
                         f"local sources told SANA. Report number {i}.")
            for i in range(n)]


def write_jsonl(path: Path, articles: list[Article]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps({"id": a.id, "text": a.text}) + "\n")
    return path


def ids_in(path: Path) -> Counter[str]:
    """Every whole line's id, superseded lines too: a count above 1 is a record written twice."""
    return Counter(r["id"] for r in read_records(path, latest=False))


def fake_result(article: Article, *, attempts: int = 1, transport_retries: int = 0,
                claims: int = 1, unsupported: int = 0) -> ExtractionResult:
    findings = [Finding(path=f"claims[0].x{i}", value=i, verdict=Verdict.unsupported) for i in range(unsupported)]
    findings.append(Finding(path="claims[0].killed.low", value=1, verdict=Verdict.exact))
    return ExtractionResult(
        article_id=article.id, content_hash=article.content_hash, claims=[Claim() for _ in range(claims)],
        findings=findings,
        provenance=Provenance(extractor="fake", model_used=True, attempts=attempts, transport_retries=transport_retries,
                              usage=Usage(prompt_tokens=100, completion_tokens=10)),
    )


class FakeExtractor:
    """An async extractor that records concurrency and fails on chosen articles."""

    def __init__(self, delay: float = 0.0, fail: dict[str, Exception] | None = None) -> None:
        self.delay = delay
        self.fail = fail or {}
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def __call__(self, article: Article) -> ExtractionResult:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            exc = self.fail.get(article.id or "")
            if exc is not None:
                raise exc
            return fake_result(article, attempts=2, transport_retries=1)
        finally:
            self.in_flight -= 1


def llm_for(url: str, **overrides: Any) -> Any:
    from llmextract.extractors.llm import LLMExtractor

    settings: dict[str, Any] = {"model": "scripted-model", "profile": "json", "timeout": 0.5,
                                "transport_retries": 3, "reask_budget": 2}
    settings.update(overrides)
    config = EndpointConfig.resolve(endpoint=url, **settings)
    llm = LLMExtractor(config)

    async def short_sleep(seconds: float) -> None:  # back-off shortened for the test, Retry-After still honoured
        await asyncio.sleep(min(seconds, 0.02))

    llm._asleep = short_sleep
    return llm


# --------------------------------------------------------------------------- reading input


def test_iter_articles_folder_sorted_ids_and_bad_files(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "b.txt").write_text("Five people were killed.", encoding="utf-8")
    (folder / "a.txt").write_text("Two people were killed.", encoding="utf-8")
    (folder / "c.txt").write_bytes(b"")
    (folder / "d.txt").write_bytes(b"caf\xe9 au lait")
    (folder / "e.txt").write_bytes(b"\x00\x01binary")
    (folder / "notes.md").write_text("not an article", encoding="utf-8")
    got = list(iter_articles(folder))
    assert [g.id for g in got] == ["a", "b", "c", "d", "e"]
    assert isinstance(got[0], Article) and got[0].text == "Two people were killed."
    bad = {g.id: g for g in got if isinstance(g, BadRecord)}
    assert set(bad) == {"c", "d", "e"}
    assert "empty" in bad["c"].message and "UTF-8" in bad["d"].message and "binary" in bad["e"].message


def test_iter_articles_jsonl_bad_lines_become_records(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": "ok1", "text": "Ten people were killed.", "outlet": "SANA", "published": "2018-01-01"}),
        "",
        "{not json",
        json.dumps({"id": "notext"}),
        json.dumps({"id": 7, "text": "   "}),
        json.dumps({"id": "baddate", "text": "Three killed.", "published": "yesterday"}),
        json.dumps(["a", "list"]),
    ]
    data = ("\n".join(lines) + "\n").encode() + b'{"id": "latin", "text": "caf\xe9"}\n'
    path.write_bytes(data)
    got = list(iter_articles(path))
    assert [g.id for g in got] == ["ok1", "line-3", "notext", "7", "baddate", "line-7", "line-8"]
    first = got[0]
    assert isinstance(first, Article) and first.outlet == "SANA" and str(first.published) == "2018-01-01"
    assert all(isinstance(g, BadRecord) for g in got[1:])
    assert "not JSON" in got[1].message and "no 'text'" in got[2].message
    assert "empty" in got[3].message and "published" in got[4].message and "UTF-8" in got[6].message
    assert got[3].content_hash is not None  # a record with text keeps its hash


def test_iter_articles_stream_and_missing_source(tmp_path: Path) -> None:
    stream = io.BytesIO(b'{"id": "s1", "text": "One man was killed."}\n{"id": "s2", "text": "No one died."}\n')
    assert [a.id for a in iter_articles(stream)] == ["s1", "s2"]
    text_stream = io.TextIOWrapper(io.BytesIO(b'{"id": "t1", "text": "Two killed."}\n'), encoding="utf-8")
    assert [a.id for a in iter_articles(text_stream)] == ["t1"]
    with pytest.raises(InputError):
        iter_articles(tmp_path / "nope.jsonl")  # raised at once, not at the first next()


def test_stdin_is_read_as_jsonl(tmp_path: Path) -> None:
    code = ("import sys; from llmextract.batch import iter_articles\n"
            "print(','.join(a.id for a in iter_articles('-')))")
    proc = subprocess.run([sys.executable, "-c", code], input=b'{"id": "x", "text": "Six killed."}\n{"id": "y"}\n',
                          capture_output=True, timeout=60)
    assert proc.stdout.decode().strip() == "x,y"


# --------------------------------------------------------------------------- the runner with a fake extractor


async def test_every_article_gets_one_record_and_errors_are_records(tmp_path: Path) -> None:
    articles: list[Any] = make_articles(30)
    fail = {
        "a0003": EndpointError("server down", attempts=4, status_code=503),
        "a0007": ModelOutputError("never valid", raw_replies=["{bad", "{worse"], attempts=3),
        "a0011": ValueError("a bug in an extractor"),
    }
    articles.append(BadRecord(id="broken", message="not JSON"))
    fake = FakeExtractor(delay=0.001, fail=fail)
    out = tmp_path / "out.jsonl"
    summary = await run_batch(articles, [fake], out, concurrency=5)
    counts = ids_in(out)
    assert set(counts) == {a.id for a in articles} and set(counts.values()) == {1}
    records = {r["id"]: r for r in read_records(out)}
    assert records["a0003"]["error"]["kind"] == "endpoint" and records["a0003"]["error"]["status_code"] == 503
    assert records["a0007"]["error"]["kind"] == "model_output"
    assert records["a0007"]["error"]["raw_replies"] == ["{bad", "{worse"]
    assert records["a0011"]["error"]["kind"] == "internal"
    assert records["broken"]["error"]["kind"] == "input" and records["broken"]["content_hash"] is None
    assert records["a0000"]["status"] == "ok" and records["a0000"]["content_hash"] == articles[0].content_hash
    assert summary.articles == 31 and summary.ok == 27 and summary.failed == 4
    assert summary.failures == {"endpoint": 1, "input": 1, "internal": 1, "model_output": 1}
    assert summary.claims == 27
    # 27 results with 2 replies and a noted transport retry each; EndpointError: 4 transport attempts
    assert summary.reasks == 27 + 2
    assert summary.transport_retries == 27 + 3
    assert summary.tokens_in == 2700 and summary.tokens_out == 270
    assert fake.max_in_flight <= 5


async def test_least_outstanding_shares_load_and_respects_limits(tmp_path: Path) -> None:
    slow, fast = FakeExtractor(delay=0.05), FakeExtractor(delay=0.0)
    eps = [BatchEndpoint(slow, label="slow"), BatchEndpoint(fast, label="fast")]
    summary = await run_batch(make_articles(60), eps, tmp_path / "o.jsonl", concurrency=3)
    assert slow.max_in_flight <= 3 and fast.max_in_flight <= 3
    assert summary.per_endpoint["fast"] > summary.per_endpoint["slow"] > 0
    assert summary.per_endpoint["fast"] + summary.per_endpoint["slow"] == 60


async def test_input_is_read_lazily_through_a_bounded_window(tmp_path: Path) -> None:
    pulled = 0
    max_ahead = 0
    written = 0

    def source() -> Any:
        nonlocal pulled
        for a in make_articles(400):
            pulled += 1
            yield a

    class Watch(FakeExtractor):
        async def __call__(self, article: Article) -> ExtractionResult:
            nonlocal max_ahead
            max_ahead = max(max_ahead, pulled - written)
            return await super().__call__(article)

    out = tmp_path / "o.jsonl"
    ext = Watch(delay=0.002)

    async def count_lines() -> None:
        nonlocal written
        while True:
            await asyncio.sleep(0.001)
            written = sum(1 for _ in out.open("rb")) if out.exists() else 0

    watcher = asyncio.create_task(count_lines())
    try:
        summary = await run_batch(source(), [ext], out, concurrency=4)
    finally:
        watcher.cancel()
    assert summary.articles == 400
    # in flight (4) + the read-ahead queue (max(2, 4)) + one in the reader's hand, plus lag of the watcher
    assert max_ahead <= 4 + 4 + 1 + 8, max_ahead


async def test_resume_skips_done_articles_and_cuts_a_torn_line(tmp_path: Path) -> None:
    articles = make_articles(20)
    out = tmp_path / "o.jsonl"
    await run_batch(articles[:8], [FakeExtractor()], out, concurrency=2)
    with out.open("ab") as fh:
        fh.write(b'{"id": "a0008", "content_hash": "abc", "status": "ok", "resu')  # a kill in mid-write
    fake = FakeExtractor()
    summary = await run_batch(articles, [fake], out, concurrency=3, resume=True)
    assert summary.skipped == 8 and summary.articles == 12 and fake.calls == 12
    counts = ids_in(out)
    assert set(counts) == {a.id for a in articles} and set(counts.values()) == {1}
    assert all(line.endswith(b"\n") for line in out.open("rb"))
    for line in out.open("rb"):
        json.loads(line)  # no torn line left anywhere


def test_scan_output_keeps_complete_lines(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_bytes(b'{"id": "x", "content_hash": "h"}\n{"id": "y", "content_hash": "h2"}\n{"id": "z"')
    done, n = scan_output(out)
    assert n == 2 and len(done) == 2
    assert out.read_bytes().endswith(b'"h2"}\n')


async def test_resume_redoes_an_article_whose_text_changed(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    await run_batch([Article(id="x", text="Two people were killed.")], [FakeExtractor()], out)
    fake = FakeExtractor()
    summary = await run_batch([Article(id="x", text="Three people were killed.")], [fake], out, resume=True)
    assert fake.calls == 1 and summary.skipped == 0


async def test_without_resume_the_output_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text('{"id": "old"}\n', encoding="utf-8")
    await run_batch(make_articles(3), [FakeExtractor()], out)
    assert "old" not in ids_in(out) and len(ids_in(out)) == 3


async def test_progress_is_reported_through_the_callback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from llmextract.batch import BatchProgress

    seen: list[BatchProgress] = []
    articles: list[Any] = make_articles(6)
    articles.append(BadRecord(id="broken", message="not JSON"))
    out = tmp_path / "o.jsonl"
    await run_batch(articles[:2], [FakeExtractor()], out)
    summary = await run_batch(articles, [FakeExtractor()], out, resume=True, progress=seen.append)
    assert [p.articles for p in seen] == list(range(1, 6))  # one call per record written
    last = seen[-1]
    assert (last.done, last.skipped, last.failed, last.claims) == (7, 2, 1, 4)
    assert (summary.articles, summary.skipped, summary.failed, summary.claims) == (5, 2, 1, 4)
    assert last.requests == summary.requests == 4 * 3
    assert capsys.readouterr() == ("", "")  # the library drew and printed nothing
    with pytest.raises(TypeError, match="callable"):
        await run_batch(articles, [FakeExtractor()], tmp_path / "x.jsonl", progress=True)  # type: ignore[arg-type]


def test_the_library_loads_no_cli_and_no_drawing() -> None:
    import ast

    code = ("import sys, llmextract.batch, llmextract.batch.engine, llmextract.batch.runner\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich' or m.startswith('llmextract.cli')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().strip() == "[]"
    # nor in any function: no import of rich or the CLI, no print, no log level set
    sources = sorted((ROOT / "llmextract" / "batch").glob("*.py"))
    assert len(sources) >= 8
    found = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: import {n}" for n in names if n.split(".")[0] == "rich"
                      or n.startswith("llmextract.cli")]
            if isinstance(node, ast.Call):
                f = node.func
                called = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
                if called in ("print", "setLevel", "basicConfig"):
                    found.append(f"{path.name}:{node.lineno}: {called}()")
    assert found == []


async def test_cache_answers_a_rerun_and_skips_failures(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "cache.sqlite3")
    articles = make_articles(10)
    scope = CacheScope.of("http://user:secret@127.0.0.1:9/v1?key=sk-secret", "m", "p" * 64, policy="flag")
    fake = FakeExtractor(fail={"a0004": EndpointError("down", attempts=1)})
    first = await run_batch(articles, [BatchEndpoint(fake, label="e", cache_scope=scope)], tmp_path / "1.jsonl",
                            cache=cache)
    assert first.cached == 0 and fake.calls == 10
    fake2 = FakeExtractor()
    second = await run_batch(articles, [BatchEndpoint(fake2, label="e", cache_scope=scope)], tmp_path / "2.jsonl",
                             cache=cache)
    assert fake2.calls == 1  # only the article that failed the first time
    assert second.cached == 9 and second.requests == 3  # the re-done article: 2 replies + 1 noted retry
    records = list(read_records(tmp_path / "2.jsonl"))
    assert sum(r.get("cached", False) for r in records) == 9
    # a different prompt hash is a different key
    other = CacheScope.of("http://127.0.0.1:9/v1", "m", "q" * 64, policy="flag")
    assert cache.get(other, articles[0].content_hash) is None
    # no secret in the store
    cache.close()
    raw = (tmp_path / "cache.sqlite3").read_bytes()
    assert b"secret" not in raw
    assert safe_url("http://user:secret@host:8/v1?api_key=sk-1") == "http://host:8/v1"


async def test_cache_hits_any_endpoint_of_the_run(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite3")
    a, b = CacheScope.of("http://a/v1", "m", "p"), CacheScope.of("http://b/v1", "m", "p")
    articles = make_articles(6)
    await run_batch(articles, [BatchEndpoint(FakeExtractor(), "a", a)], tmp_path / "1.jsonl", cache=cache)
    fa, fb = FakeExtractor(), FakeExtractor()
    s = await run_batch(articles, [BatchEndpoint(fa, "a", a), BatchEndpoint(fb, "b", b)], tmp_path / "2.jsonl",
                        cache=cache)
    assert s.cached == 6 and fa.calls == fb.calls == 0


async def test_cache_key_changes_with_schema_and_package_version(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import llmextract.batch.cache as cache_module
    from llmextract._version import __version__
    from llmextract.schema import SCHEMA_VERSION

    cache = ResponseCache(tmp_path / "c.sqlite3")
    scope = CacheScope.of("http://a/v1", "m", "p")
    articles = make_articles(3)
    await run_batch(articles, [BatchEndpoint(FakeExtractor(), "a", scope)], tmp_path / "1.jsonl", cache=cache)
    assert cache.get(scope, articles[0].content_hash) is not None
    monkeypatch.setattr(cache_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)  # the result layout changed
    assert cache.get(scope, articles[0].content_hash) is None
    fake = FakeExtractor()
    again = await run_batch(articles, [BatchEndpoint(fake, "a", scope)], tmp_path / "2.jsonl", cache=cache)
    assert again.cached == 0 and fake.calls == 3  # nothing stale was served
    monkeypatch.setattr(cache_module, "SCHEMA_VERSION", SCHEMA_VERSION)
    monkeypatch.setattr(cache_module, "__version__", __version__ + ".post1")  # a new release
    assert cache.get(scope, articles[0].content_hash) is None
    monkeypatch.setattr(cache_module, "__version__", __version__)
    assert cache.get(scope, articles[0].content_hash) is not None
    cache.close()


def test_cache_lives_in_the_cache_dir_and_keeps_no_credentials(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from llmextract.config import cache_dir

    monkeypatch.setenv("LLMEXTRACT_CACHE_DIR", str(tmp_path / "here"))
    with ResponseCache() as cache:
        assert cache.path == cache_dir() / "results.sqlite3" == tmp_path / "here" / "results.sqlite3"
    scope = CacheScope.of("http://user:pw@[::1]:8080/v1/?key=sk-1#f", "m", "p")
    assert scope.endpoint == "http://[::1]:8080/v1"  # the one redaction: IPv6 hosts keep their brackets
    assert CacheScope.of(None, "m", "p").endpoint == ""


def test_iter_extract_ordered_and_early_exit() -> None:
    fake = FakeExtractor(delay=0.001, fail={"a0002": EndpointError("x", attempts=1)})
    items = list(iter_extract(make_articles(25), [fake], concurrency=4))
    assert [i.article_id for i in items] == [a.id for a in make_articles(25)]
    assert [i.ok for i in items].count(False) == 1
    with pytest.raises(EndpointError):
        items[2].unwrap()
    slow = FakeExtractor(delay=0.01)
    gen = iter_extract(make_articles(1000), [slow], concurrency=3)
    first = [next(gen) for _ in range(5)]
    gen.close()
    assert len(first) == 5 and slow.calls < 40  # closing stopped the reading; nothing ran to the end


def test_summary_table_renders_the_figures() -> None:
    from rich.console import Console

    s = BatchSummary(articles=12, ok=10, failed=2, failures={"endpoint": 2}, claims=31, unsupported=4,
                     transport_retries=5, reasks=3, tokens_in=1234, tokens_out=56, wall_s=2.0, throughput=6.0)
    console = Console(file=io.StringIO(), width=100)
    console.print(summary_table(s))
    text = console.file.getvalue()  # type: ignore[attr-defined]
    for needle in ("12", "31", "endpoint", "1,234 / 56", "6.00 articles/s", "transport retries"):
        assert needle in text


# --------------------------------------------------------------------------- the scripted server


def test_scripted_server_faults_and_counts() -> None:
    import openai

    script = per_article(http_error(500), rate_limited(0.01), non_json(), truncated(), ok('{"claims": []}'))
    with scripted_server(script, responder=echo_claims) as server:
        client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
        assert client.models.list().data[0].id == "scripted-model"
        msgs = [{"role": "user", "content": "At least 12 civilians were killed on Monday."}]
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(model="m", messages=msgs)
        with pytest.raises(openai.RateLimitError) as info:
            client.chat.completions.create(model="m", messages=msgs)
        assert info.value.response.headers["retry-after"] == "0.01"
        raw = client.chat.completions.with_raw_response.create(model="m", messages=msgs)
        assert raw.http_response.text.startswith("<html>")
        cut = client.chat.completions.create(model="m", messages=msgs)
        assert cut.choices[0].finish_reason == "length"
        with pytest.raises(ValueError):
            json.loads(cut.choices[0].message.content or "")
        fixed = client.chat.completions.create(model="m", messages=msgs)
        assert fixed.choices[0].message.content == '{"claims": []}'
        echoed = client.chat.completions.create(model="m", messages=msgs)
        claims = json.loads(echoed.choices[0].message.content or "")["claims"]
        assert claims[0]["killed"] == {"phrase": "At least 12", "low": 12, "high": None, "qualifier": "at_least"}
        assert server.count == 6 and [r.attempt for r in server.requests] == [0, 1, 2, 3, 4, 5]


def test_scripted_server_recognises_reasks_behind_few_shot_examples() -> None:
    import openai

    with scripted_server(per_article(truncated(finish_reason="stop"))) as server:
        client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
        base = [{"role": "system", "content": "s"}, {"role": "user", "content": "example"},
                {"role": "assistant", "content": '{"claims":[]}'}, {"role": "user", "content": "the article"}]
        first = client.chat.completions.create(model="m", messages=base)
        reask = base + [{"role": "assistant", "content": first.choices[0].message.content},
                        {"role": "user", "content": "fix your JSON"}]
        client.chat.completions.create(model="m", messages=reask)
        a, b = server.requests
        assert a.article_message == b.article_message == "the article"
        assert (a.attempt, b.attempt, a.reasks, b.reasks) == (0, 1, 0, 1)


def test_scripted_stall_and_drop_fail_the_client() -> None:
    import openai

    with scripted_server([stall(5), drop()]) as server:
        client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0, timeout=0.3)
        msgs = [{"role": "user", "content": "x"}]
        with pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(model="m", messages=msgs)
        with pytest.raises(openai.APIConnectionError):
            client.chat.completions.create(model="m", messages=msgs)
        assert client.chat.completions.create(model="m", messages=msgs).choices[0].message.content


# --------------------------------------------------------------------------- the real LLM path over HTTP


# (non_json is not among them: an HTML page with status 200 is an endpoint error now, not a reply to re-ask)
FAULTS = [http_error(500), http_error(503), rate_limited(0.05), stall(3), drop(),
          truncated(finish_reason="stop")]


async def test_flaky_server_through_the_real_llm_extractor(tmp_path: Path) -> None:
    articles = make_articles(40)
    script = flaky(0.6, FAULTS, max_per_article=2, seed=3)
    out = tmp_path / "o.jsonl"
    with scripted_server(script, responder=echo_claims) as server:
        llm = llm_for(server.url)
        try:
            summary = await run_batch(articles, [BatchEndpoint(llm.aextract, label=llm.endpoint)], out,
                                      concurrency=6)
        finally:
            await llm.aclose()
        served = dict(server.served)
        count = server.count
    counts = ids_in(out)
    assert set(counts) == {a.id for a in articles} and set(counts.values()) == {1}
    assert summary.failed == 0, summary.failures  # every fault fits in the budgets
    assert sum(v for k, v in served.items() if k != "ok") > 10  # the script did inject faults
    # each extra request was counted as a transport retry or a re-ask
    assert summary.transport_retries > 0 and summary.reasks > 0
    assert summary.requests == count == len(articles) + summary.transport_retries + summary.reasks
    rec = next(iter(read_records(out)))
    assert rec["result"]["claims"][0]["killed"]["low"] == int(rec["id"][1:]) + 2


async def test_exhausted_budgets_become_error_records(tmp_path: Path) -> None:
    articles = make_articles(4)

    def script(req: Any) -> Any:
        if "number 0." in req.article_message:
            return http_error(500)  # always: the transport budget runs out
        if "number 1." in req.article_message:
            return ok("this is not JSON at all")  # always: the re-ask budget runs out
        return None

    out = tmp_path / "o.jsonl"
    with scripted_server(script, responder=echo_claims) as server:
        llm = llm_for(server.url, transport_retries=2, reask_budget=1)
        try:
            summary = await run_batch(articles, [llm.aextract], out, concurrency=4)
        finally:
            await llm.aclose()
    records = {r["id"]: r for r in read_records(out)}
    assert records["a0000"]["error"]["kind"] == "endpoint" and records["a0000"]["error"]["attempts"] == 3
    assert records["a0001"]["error"]["kind"] == "model_output"
    assert records["a0001"]["error"]["raw_replies"] == ["this is not JSON at all"] * 2
    assert records["a0002"]["status"] == records["a0003"]["status"] == "ok"
    assert summary.failures == {"endpoint": 1, "model_output": 1}
    assert summary.transport_retries >= 2 and summary.reasks >= 1


async def test_cache_rerun_sends_no_request(tmp_path: Path) -> None:
    articles = make_articles(8)
    cache = ResponseCache(tmp_path / "c.sqlite3")
    with scripted_server(responder=echo_claims) as server:
        llm = llm_for(server.url)
        scope = CacheScope.of(llm.endpoint, llm.model, llm.prompts.hash, profile="json")
        ep = BatchEndpoint(llm.aextract, label=llm.endpoint, cache_scope=scope)
        try:
            first = await run_batch(articles, [ep], tmp_path / "1.jsonl", cache=cache, concurrency=4)
            sent = server.count
            second = await run_batch(articles, [ep], tmp_path / "2.jsonl", cache=cache, concurrency=4)
        finally:
            await llm.aclose()
        assert sent == 8 and server.count == sent  # the re-run sent nothing
    assert first.cached == 0 and second.cached == 8 and second.requests == 0
    a = {r["id"]: r["result"]["claims"] for r in read_records(tmp_path / "1.jsonl")}
    b = {r["id"]: r["result"]["claims"] for r in read_records(tmp_path / "2.jsonl")}
    assert a == b


# --------------------------------------------------------------------------- kills and signals (subprocesses)


DRIVER = textwrap.dedent('''
    import asyncio, json, logging, sys
    from pathlib import Path
    from llmextract.batch import BatchEndpoint, iter_articles, run_batch
    from llmextract.config import EndpointConfig
    from llmextract.extractors.llm import LLMExtractor

    url, src, out, resume, grace = sys.argv[1], sys.argv[2], Path(sys.argv[3]), sys.argv[4] == "1", float(sys.argv[5])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    async def main():
        llm = LLMExtractor(EndpointConfig.resolve(endpoint=url, model="scripted-model", profile="json",
                                                  timeout=10, transport_retries=2, reask_budget=1))
        try:
            return await run_batch(iter_articles(src), [BatchEndpoint(llm.aextract, label=llm.endpoint)], out,
                                   concurrency=4, resume=resume, grace_s=grace)
        finally:
            await llm.aclose()

    summary = asyncio.run(main())
    print(summary.model_dump_json(), flush=True)
''')


def start_driver(tmp_path: Path, url: str, src: Path, out: Path, *, resume: bool, grace: float = 30.0
                 ) -> subprocess.Popen[bytes]:
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    return subprocess.Popen([sys.executable, str(driver), url, str(src), str(out), "1" if resume else "0",
                             str(grace)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_lines(path: Path, n: int, proc: subprocess.Popen[bytes], limit_s: float = 60.0) -> int:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if path.exists():
            lines = path.read_bytes().count(b"\n")
            if lines >= n:
                return lines
        if proc.poll() is not None:
            raise AssertionError(f"driver exited early: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.01)
    raise AssertionError(f"fewer than {n} records after {limit_s}s")


def test_sigkill_mid_run_then_resume_leaves_exactly_one_record_each(tmp_path: Path) -> None:
    articles = make_articles(60)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    out = tmp_path / "out.jsonl"
    with scripted_server(flaky(0.2, [http_error(500), rate_limited(0.05)], seed=5), responder=echo_claims,
                         latency_s=0.05) as server:
        proc = start_driver(tmp_path, server.url, src, out, resume=False)
        try:
            wait_for_lines(out, 12, proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        before = ids_in(out)
        assert 12 <= sum(before.values()) < 60 and set(before.values()) == {1}
        with out.open("ab") as fh:  # as if the kill had come in the middle of a write
            fh.write(b'{"id": "a0059", "content_hash": "')
        proc = start_driver(tmp_path, server.url, src, out, resume=True)
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr.decode()
    summary = BatchSummary.model_validate_json(stdout.decode().strip().splitlines()[-1])
    assert summary.skipped == sum(before.values())
    counts = ids_in(out)
    assert set(counts) == {a.id for a in articles}
    assert set(counts.values()) == {1}, [k for k, v in counts.items() if v > 1]
    assert all(line.endswith(b"\n") for line in out.open("rb"))


def test_sigint_finishes_in_flight_and_leaves_a_resumable_file(tmp_path: Path) -> None:
    articles = make_articles(40)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    out = tmp_path / "out.jsonl"
    with scripted_server(responder=echo_claims, latency_s=0.3) as server:
        proc = start_driver(tmp_path, server.url, src, out, resume=False, grace=20)
        try:
            wait_for_lines(out, 4, proc)
            sent_at_signal = server.count
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, stderr.decode()
        summary = BatchSummary.model_validate_json(stdout.decode().strip().splitlines()[-1])
        assert summary.interrupted and summary.unfinished == 0
        first = ids_in(out)
        # every request sent before the signal was allowed to finish and was written
        assert sum(first.values()) >= sent_at_signal - 1 and sum(first.values()) < 40
        proc = start_driver(tmp_path, server.url, src, out, resume=True)
        proc.communicate(timeout=120)
    counts = ids_in(out)
    assert set(counts) == {a.id for a in articles} and set(counts.values()) == {1}


# --------------------------------------------------------------------------- the CLI


def _cli_available() -> bool:
    try:
        import llmextract.cli  # noqa: F401
        import llmextract.pipeline  # noqa: F401
    except Exception:
        return False
    return True


@pytest.mark.skipif(not _cli_available(), reason="llmextract.cli / pipeline not importable yet")
@pytest.mark.parametrize("workers", [0, 2])
def test_cli_batch_against_a_flaky_server(tmp_path: Path, workers: int) -> None:
    articles = make_articles(20)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    with open(src, "a", encoding="utf-8") as fh:
        fh.write("{broken\n")
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "LLMEXTRACT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("LLMEXTRACT_BASE_URL", None)
    env.pop("OPENAI_BASE_URL", None)
    script = flaky(0.5, [http_error(500), rate_limited(0.01), drop(), truncated(finish_reason="stop")], seed=9)
    with scripted_server(script, responder=echo_claims) as server:
        cmd = [sys.executable, "-m", "llmextract.cli", "batch", str(src), "--out", str(out), "--endpoint",
               server.url, "--model", "scripted-model", "--profile", "json", "--concurrency", "4",
               "--summary", "json", "--no-progress", "--workers", str(workers)]
        proc = subprocess.run(cmd, capture_output=True, timeout=180, env=env)
        assert proc.returncode == 1, proc.stderr.decode()  # the broken line is a failure in the data
        summary = BatchSummary.model_validate_json(proc.stdout.decode().strip().splitlines()[-1])
        assert summary.articles == 21 and summary.failures == {"input": 1}
        assert summary.transport_retries > 0
        counts = ids_in(out)
        assert set(counts.values()) == {1} and len(counts) == 21
        sent = server.count
        # a re-run of the same batch is answered by the cache: nothing is sent
        proc = subprocess.run(cmd[:6] + [str(tmp_path / "again.jsonl")] + cmd[7:], capture_output=True,
                              timeout=180, env=env)
        assert server.count == sent, proc.stderr.decode()
        again = BatchSummary.model_validate_json(proc.stdout.decode().strip().splitlines()[-1])
        assert again.cached == 20
        # an existing output without --resume or --overwrite is refused
        proc = subprocess.run(cmd, capture_output=True, timeout=60, env=env)
        assert proc.returncode == 2 and b"--resume" in proc.stderr


def test_article_error_type_for_extract_many() -> None:
    err = BatchItem("x", None, error=InputError("empty"))
    assert not err.ok and err.kind == "input" and err.message == "empty"
    with pytest.raises(InputError):
        err.unwrap()


def test_article_error_is_a_deprecated_alias_of_batch_item() -> None:
    import llmextract.batch as batch

    with pytest.warns(DeprecationWarning, match="BatchItem"):
        from llmextract.batch import ArticleError
    assert ArticleError is BatchItem
    with pytest.warns(DeprecationWarning, match="llmextract.batch.output.scan_output"):
        assert batch.scan_output is scan_output  # the other moved names too, for one release
    with pytest.raises(AttributeError):
        batch.run_batch_sync  # noqa: B018  (dead code, gone)


def test_error_kind_is_the_typed_errors_own() -> None:
    from llmextract.batch.outcomes import error_kind
    from llmextract.errors import CassetteError, ConfigError, LLMExtractError

    class Refused(EndpointError):
        kind = "auth"

    class LooksLikeOpenAI(Exception):
        pass

    LooksLikeOpenAI.__module__ = "openai"  # a module name says nothing about the kind
    cases: list[tuple[BaseException, str]] = [
        (EndpointError("down"), "endpoint"), (ModelOutputError("bad"), "model_output"), (InputError("empty"), "input"),
        (ConfigError("no model"), "config"), (CassetteError("stale"), "other"), (LLMExtractError("?"), "other"),
        (Refused("401"), "auth"), (TimeoutError(), "timeout"),
        (ConnectionResetError(), "endpoint"), (LooksLikeOpenAI("x"), "internal"), (ValueError("bug"), "internal"),
    ]
    for exc, kind in cases:
        assert error_kind(exc) == kind, exc
        item = BatchItem("x", None, error=exc)
        assert item.kind == kind and item.record()["error"]["kind"] == kind and item.record()["status"] == "error"
    assert BatchItem("x", None, result=fake_result(make_articles(1)[0])).kind is None


def _pipeline_available() -> bool:
    try:
        import llmextract.pipeline  # noqa: F401
    except Exception:
        return False
    return True


@pytest.mark.skipif(not _pipeline_available(), reason="llmextract.pipeline not importable yet")
def test_extract_many_through_the_pipeline_in_input_order() -> None:
    from llmextract.batch import extract_many

    articles: list[Any] = make_articles(12)
    articles.insert(5, "   ")  # not an article: an error in its place, not an exception
    with scripted_server(per_article(http_error(503)), responder=echo_claims) as server:
        outcomes = list(extract_many(articles, endpoint=server.url, model="scripted-model", profile="json",
                                     concurrency=3, transport_retries=2, cache=False))
        assert server.count == 2 * 12  # one 503 and one success per article
    assert len(outcomes) == 13
    bad = outcomes[5]
    assert isinstance(bad, BatchItem) and bad.kind == "input"
    good = [o for i, o in enumerate(outcomes) if i != 5]
    assert [o.article_id for o in good] == [a.id for a in make_articles(12)]
    assert all(isinstance(o, ExtractionResult) and o.provenance.model_used for o in good)
    assert good[3].claims[0].killed is not None and good[3].claims[0].killed.low == 5


@pytest.mark.skipif(not _cli_available(), reason="llmextract.cli / pipeline not importable yet")
@pytest.mark.parametrize("workers", [0, 2])
def test_cli_batch_shares_the_load_across_endpoints(tmp_path: Path, workers: int) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for a in make_articles(16):
        (folder / f"{a.id}.txt").write_text(a.text, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    env = {k: v for k, v in os.environ.items() if k not in ("LLMEXTRACT_BASE_URL", "OPENAI_BASE_URL")}
    with scripted_server(responder=echo_claims, latency_s=0.05) as one, \
            scripted_server(responder=echo_claims, latency_s=0.05) as two:
        cmd = [sys.executable, "-m", "llmextract.cli", "batch", str(folder), "-o", str(out), "--endpoint", one.url,
               "--endpoint", two.url, "--model", "scripted-model", "--profile", "json", "-c", "2", "--no-cache",
               "--summary", "json", "--no-progress", "--workers", str(workers)]
        proc = subprocess.run(cmd, capture_output=True, timeout=180, env=env)
        assert proc.returncode == 0, proc.stderr.decode()
        assert one.count > 0 and two.count > 0 and one.count + two.count == 16
    summary = BatchSummary.model_validate_json(proc.stdout.decode().strip().splitlines()[-1])
    assert sorted(summary.per_endpoint.values()) == sorted([one.count, two.count])
    assert sorted(ids_in(out)) == [f"a{i:04d}" for i in range(16)]


def test_the_written_line_is_the_record_as_json(tmp_path: Path, articles: dict[str, str]) -> None:
    from llmextract import extract

    out = tmp_path / "lines.jsonl"
    writer = _Writer(out, append=False)
    items = []
    for name, text in sorted(articles.items()):
        result = extract(Article(text=text, id=name))
        items.append(BatchItem(article_id=name, content_hash=result.content_hash, result=result, endpoint="e"))
    items.append(BatchItem(article_id="bad", content_hash=None, error=InputError("empty")))
    for item in items:
        writer.write(item._head(), item.result)
    writer.close()
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [json.loads(json.dumps(item.record())) for item in items]
    assert "Hajin" in lines[1] and "\\u" not in lines[1]  # non-ASCII stays as it is (al-Buqa’an)
