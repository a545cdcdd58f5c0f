"""Batch runs against hostile servers and inputs (issue 12): fatal endpoint errors stop at once, a whole-article
deadline, CPU work off the event loop, Ctrl-C, a corrupt cache, duplicate ids, folders, bad metadata."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from hostile_servers import drip_server
from test_batch import FakeExtractor, ids_in, make_articles, wait_for_lines, write_jsonl
from test_batch_output import cli, cli_env, model_args, one_line

from llmextract.batch import (
    BadRecord,
    BatchEndpoint,
    extract_many,
    iter_articles,
    iter_extract,
    read_records,
    run_batch,
)
from llmextract.batch.cache import CacheScope, ResponseCache
from llmextract.errors import ArticleTimeoutError, AuthError, InputError, ModelNotFoundError
from llmextract.schema import Article
from llmextract.testing.scripted import echo_claims, http_error, ok, scripted_server

# --------------------------------------------------------------------------- errors no retry can fix


@pytest.mark.parametrize(("status", "error", "kind"), [(401, AuthError, "auth"), (403, AuthError, "auth"),
                                                        (404, ModelNotFoundError, "model_not_found")])
@pytest.mark.parametrize("workers", [0, 2])
async def test_a_fatal_endpoint_error_stops_the_run_and_writes_no_record(tmp_path: Path, status: int,
                                                                         error: type, kind: str, workers: int) -> None:
    from llmextract.batch.endpoints import build_endpoints

    out = tmp_path / "o.jsonl"
    with scripted_server(lambda req: http_error(status), responder=echo_claims) as server:
        built = await build_endpoints([server.url], model="scripted-model", concurrency=2, profile="json")
        try:
            with pytest.raises(error) as info:
                await run_batch(make_articles(20), built.endpoints, out, concurrency=2, workers=workers)
        finally:
            await built.aclose()
        assert server.count <= 2  # the requests in flight when the first answer came; no more
    assert info.value.kind == kind and info.value.fatal and str(status) in str(info.value)
    assert out.read_bytes() == b""  # no error record per article


def test_the_cli_stops_a_refused_batch_in_one_line_and_resume_then_finishes_it(tmp_path: Path) -> None:
    articles = make_articles(20)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    out = tmp_path / "out.jsonl"
    env = cli_env(tmp_path)
    with scripted_server(lambda req: http_error(401), responder=echo_claims) as bad:
        proc = cli(str(src), "-o", str(out), "-c", "2", *model_args(bad.url), env=env)
        refused = bad.count
    assert proc.returncode == 2
    line = one_line(proc.stderr)
    assert "batch stopped" in line and "401" in line, line
    assert refused <= 2 and ids_in(out) == {}
    with scripted_server(responder=echo_claims) as good:
        proc = cli(str(src), "-o", str(out), "--resume", *model_args(good.url), env=env)
        assert proc.returncode == 0, proc.stderr.decode()
        assert good.count == 20
    assert ids_in(out) == {a.id: 1 for a in articles}
    assert all(r["status"] == "ok" for r in read_records(out))


# --------------------------------------------------------------------------- the whole-article deadline


def test_the_deadline_is_on_by_default_everywhere() -> None:
    from llmextract.batch.engine import DEFAULT_ARTICLE_TIMEOUT_S
    from llmextract.cli import build_parser
    from llmextract.cli.batch import DEFAULT_ARTICLE_TIMEOUT_S as CLI_DEFAULT

    assert DEFAULT_ARTICLE_TIMEOUT_S == CLI_DEFAULT == 600.0
    for fn in (run_batch, iter_extract, extract_many):
        assert inspect.signature(fn).parameters["article_timeout_s"].default == DEFAULT_ARTICLE_TIMEOUT_S, fn
    args = build_parser().parse_args(["batch", "in.jsonl", "-o", "out.jsonl"])
    assert args.article_timeout == DEFAULT_ARTICLE_TIMEOUT_S


@pytest.mark.parametrize("workers", [0, 2])
def test_a_dripping_server_cannot_hang_a_batch(tmp_path: Path, workers: int) -> None:
    articles = make_articles(3)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    out = tmp_path / "out.jsonl"
    with drip_server(interval_s=0.3) as server:
        # each read gets a byte well within the request timeout: only the article's deadline can end it
        proc = cli(str(src), "-o", str(out), "--endpoint", server.url, "--model", "drip-model", "--profile", "json",
                   "--timeout", "60", "--retries", "0", "--article-timeout", "1.5", "--no-progress", "--summary",
                   "json", "--no-cache", "--workers", str(workers), env=cli_env(tmp_path), timeout=120)
        assert server.requests == 3 and server.bytes_sent > 0
    assert proc.returncode == 1, proc.stderr.decode()
    records = list(read_records(out))
    assert len(records) == 3
    for r in records:
        err = r["error"]
        assert err["kind"] == "timeout" and err["type"] == "ArticleTimeoutError" and err["deadline_s"] == 1.5
        assert "1.5 s" in err["message"] and f"the model's reply from {server.url}" in err["message"], err


async def test_a_deadline_error_says_what_it_waited_for() -> None:
    async def slow(article: Article) -> Any:
        await asyncio.sleep(30)

    item = next(iter_extract(make_articles(1), [BatchEndpoint(slow, label="slowpoke")], article_timeout_s=0.2))
    assert isinstance(item.error, ArticleTimeoutError) and isinstance(item.error, TimeoutError)
    assert item.kind == "timeout" and item.error.seconds == 0.2
    assert "0.2 s" in item.message and "the extractor of slowpoke" in item.message
    assert item.record()["error"]["stage"] == "the extractor of slowpoke"


# --------------------------------------------------------------------------- CPU work off the event loop


async def test_a_long_stage_does_not_stall_the_other_articles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    from llmextract.batch.endpoints import build_endpoints
    from llmextract.pipeline import Pipeline

    other_done = threading.Event()
    waited: dict[str, bool] = {}
    finish = Pipeline._finish

    def slow_finish(self: Pipeline, article: Article, index: Any, result: Any) -> Any:
        if article.id == "a0000":  # a grounding that takes long: until the other article is through
            waited["other done first"] = other_done.wait(10)
        out = finish(self, article, index, result)
        if article.id == "a0001":
            other_done.set()
        return out

    monkeypatch.setattr(Pipeline, "_finish", slow_finish)

    def script(req: Any) -> Any:  # the other article's reply comes after the first one's stage has begun
        return ok(delay_s=0.5) if "number 1." in req.article_message else None

    out = tmp_path / "o.jsonl"
    with scripted_server(script, responder=echo_claims) as server:
        built = await build_endpoints([server.url], model="scripted-model", concurrency=2, profile="json")
        try:
            summary = await run_batch(make_articles(2), built.endpoints, out, concurrency=2, article_timeout_s=5)
        finally:
            await built.aclose()
    assert waited == {"other done first": True}  # the reply was read and grounded while the stage ran
    assert summary.ok == 2 and summary.failures == {}  # nothing recorded as a timeout


async def test_the_offloaded_run_is_the_pipelines_run() -> None:
    from llmextract.batch.offload import _CpuPool, _PipelineRun
    from llmextract.pipeline import Pipeline

    articles = [*make_articles(3), Article(id="long", text="Five people were killed in Raqqa. " * 40)]

    def same(result: Any) -> Any:
        data = result.model_dump(mode="json")
        data["provenance"].pop("latency_s")
        return data

    pool = _CpuPool(2)
    with scripted_server(responder=echo_claims) as server:
        for endpoint in (server.url, None):  # the model, and the offline extractor
            pipeline = Pipeline.create(endpoint, "scripted-model", profile="json") if endpoint else Pipeline(None)
            try:
                for a in articles:
                    assert same(await _PipelineRun(pipeline, pool)(a)) == same(await pipeline.arun(a)), a.id
                blank = Article(id="blank", text="   \n ")
                for run in (_PipelineRun(pipeline, pool), pipeline.arun):  # checked alike
                    with pytest.raises(InputError, match="empty"):
                        await run(blank)
            finally:
                await pipeline.aclose()
    pool.close()


DRIVER = textwrap.dedent('''
    import sys, threading
    from llmextract.pipeline import Pipeline

    finish = Pipeline._finish

    def stuck(self, article, index, result):  # a stage that computes for very long
        if article.id == "a0000":
            threading.Event().wait(120)
        return finish(self, article, index, result)

    Pipeline._finish = stuck
    from llmextract.cli import main
    sys.exit(main(sys.argv[1:]))
''')


def test_ctrl_c_is_handled_while_a_stage_computes(tmp_path: Path) -> None:
    articles = make_articles(6)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    out = tmp_path / "out.jsonl"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    with scripted_server(responder=echo_claims) as server:
        proc = subprocess.Popen([sys.executable, str(driver), "batch", str(src), "-o", str(out), "-c", "2",
                                 "--grace", "1", "--no-cache", *model_args(server.url)], env=cli_env(tmp_path),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for_lines(out, 5, proc, limit_s=60)  # every article but the stuck one
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, stderr.decode()
    assert "interrupted" in stderr.decode() and "Traceback" not in stderr.decode()
    assert sorted(ids_in(out)) == [a.id for a in articles[1:]]


# --------------------------------------------------------------------------- the cache


async def test_a_corrupt_cache_is_set_aside_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database " * 100)
    scope = CacheScope.of("http://e/v1", "m", "p")
    articles = make_articles(6)
    cache = ResponseCache(path)
    with caplog.at_level(logging.WARNING):
        first = await run_batch(articles, [BatchEndpoint(FakeExtractor(), "e", scope)], tmp_path / "1.jsonl",
                                cache=cache)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "corrupt" in warnings[0], warnings
    assert first.ok == 6 and (tmp_path / "c.sqlite3.corrupt").exists()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        second = await run_batch(articles, [BatchEndpoint(FakeExtractor(), "e", scope)], tmp_path / "2.jsonl",
                                 cache=cache)
    assert second.cached == 6 and not [r for r in caplog.records if r.levelno >= logging.WARNING]
    cache.close()


async def test_an_unusable_cache_says_so_once_and_the_run_goes_on(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    cache = ResponseCache(tmp_path / "file" / "c.sqlite3")  # its folder cannot be made
    with caplog.at_level(logging.WARNING):
        summary = await run_batch(make_articles(5), [BatchEndpoint(FakeExtractor(), "e", CacheScope.of("e", "m", "p"))],
                                  tmp_path / "o.jsonl", cache=cache)
    assert summary.ok == 5
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "cache is off" in warnings[0], warnings


# --------------------------------------------------------------------------- inputs


async def test_duplicate_ids_are_reported_and_the_first_one_wins(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    first = Article(id="x", text="Two people were killed in Hajin.")
    articles: list[Any] = [first, *make_articles(3), Article(id="x", text="Nine people were killed in Raqqa."),
                           BadRecord(id="x", message="not JSON")]
    for run in range(2):
        out = tmp_path / f"o{run}.jsonl"
        with caplog.at_level(logging.WARNING):
            summary = await run_batch(articles, [FakeExtractor()], out)
        assert summary.duplicates == 2 and summary.duplicate_ids == ["x", "x"] and summary.articles == 4
        records = {r["id"]: r for r in read_records(out)}
        assert ids_in(out)["x"] == 1 and records["x"]["content_hash"] == first.content_hash
        assert any("id seen before" in r.getMessage() and "x" in r.getMessage() for r in caplog.records)
        caplog.clear()


def test_an_empty_input_says_so(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    only_notes = tmp_path / "notes"
    only_notes.mkdir()
    (only_notes / "readme.md").write_text("notes", encoding="utf-8")
    (tmp_path / "empty.jsonl").write_bytes(b"\n\n")
    for source, needle in ((empty, "no .txt files"), (only_notes, "1 not .txt (readme.md)"),
                           (tmp_path / "empty.jsonl", "no records")):
        proc = cli(str(source), "-o", str(tmp_path / "out.jsonl"), "--no-progress", env=env)
        assert proc.returncode == 2
        line = one_line(proc.stderr)
        assert "no articles" in line and needle in line, line
    proc = subprocess.run([sys.executable, "-m", "llmextract.cli", "batch", "-", "-o", str(tmp_path / "o2.jsonl"),
                           "--no-progress"], input=b"", capture_output=True, timeout=120, env=env)
    assert proc.returncode == 2 and "no articles" in one_line(proc.stderr)


def test_a_folder_recursive_and_what_was_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "2019").mkdir(parents=True)
    (folder / "a.txt").write_text("Two people were killed in Hajin.", encoding="utf-8")
    (folder / "2019" / "b.txt").write_text("Three people were killed in Raqqa.", encoding="utf-8")
    (folder / "notes.md").write_text("notes", encoding="utf-8")
    (folder / ".draft.txt").write_text("One man was killed.", encoding="utf-8")
    os.mkfifo(folder / "pipe.txt")  # would block a reader forever
    assert [a.id for a in iter_articles(folder)] == ["a"]
    assert [a.id for a in iter_articles(folder, recursive=True)] == ["2019/b", "a"]
    env = cli_env(tmp_path)
    proc = cli(str(folder), "-o", str(tmp_path / "o.jsonl"), "--no-progress", env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    note = one_line(proc.stderr)
    for needle in ("1 article file", "4 left out", "1 not .txt (notes.md)", "1 hidden (.draft.txt)",
                   "1 subfolder(s) not read (2019/)", "--recursive", "not a regular file (FIFO"):
        assert needle in note, note
    proc = cli(str(folder), "-o", str(tmp_path / "o2.jsonl"), "--recursive", "--no-progress", env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert sorted(ids_in(tmp_path / "o2.jsonl")) == ["2019/b", "a"]


def test_published_values_and_one_readable_line_per_bad_field(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    rows = [
        {"id": "iso", "text": "Two killed.", "published": "2019-02-19T10:00:00Z"},
        {"id": "offset", "text": "Two killed.", "published": "2019-02-19T23:30:00-05:00"},
        {"id": "bad", "text": "Two killed.", "published": "yesterday", "title": 5, "url": ["x"]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    iso, offset, bad = iter_articles(path)
    assert isinstance(iso, Article) and str(iso.published) == "2019-02-19"
    assert isinstance(offset, Article) and str(offset.published) == "2019-02-19"  # the day as written
    assert isinstance(bad, BadRecord)
    lines = bad.message.splitlines()
    assert len(lines) == 3 and all(line.startswith(f"{path}:3: ") for line in lines), lines
    assert lines[2].endswith("published: 'yesterday' is not a date (expected YYYY-MM-DD, or an ISO 8601 date "
                             "and time)"), lines
    assert any(ln.endswith("title: expected text, got a number 5") for ln in lines), lines
    assert any("url: expected text, got a list" in ln for ln in lines), lines
    assert "Input should" not in bad.message  # not pydantic's raw text


def test_endless_input_lines_are_bounded(tmp_path: Path) -> None:
    code = ("import sys; from llmextract.batch import iter_articles\n"
            "items = list(iter_articles('-'))\n"
            "print(len(items), items[0].message.split(': ', 1)[1][:40])")
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run([sys.executable, "-c", code], stdin=zero, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert proc.stdout.decode().startswith("1 a line longer than")
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    proc = cli(str(fifo), "-o", str(tmp_path / "o.jsonl"), "--no-progress", env=cli_env(tmp_path), timeout=120)
    assert proc.returncode == 2 and "not a regular file" in one_line(proc.stderr)
