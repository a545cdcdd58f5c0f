"""The batch's CPU stages in worker processes (issue 14): the same records as threads, stages at the worker that
keeps the article's index, a stuck or dying worker, and no worker outliving its run (Ctrl-C, SIGKILL, errors)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from test_batch import ids_in, make_articles, wait_for_lines, write_jsonl
from worker_pipelines import WherePipeline

from llmextract.batch import BatchEndpoint, read_records, run_batch
from llmextract.batch.cache import ResponseCache
from llmextract.batch.endpoints import build_endpoints
from llmextract.batch.workers import WorkerPool
from llmextract.errors import ConfigError
from llmextract.pipeline import Pipeline
from llmextract.schema import Article
from llmextract.testing.scripted import echo_claims, ok, per_article, scripted_server

TESTS = Path(__file__).resolve().parent
WORKER_CODE = "llmextract.batch.workers import _serve"  # in every worker process's command line


@pytest.fixture
def importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker processes can import tests/worker_pipelines.py (they take this process's PYTHONPATH)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])))


def worker_pids(parent: int | None = None, mark: str | None = None) -> list[int]:
    """Live worker processes: children of ``parent``, or any whose environment holds ``mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if WORKER_CODE not in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                continue
            status = (entry / "status").read_text()
            if "State:\tZ" in status:
                continue
            if parent is not None and f"PPid:\t{parent}\n" not in status:
                continue
            if mark is not None and mark.encode() not in (entry / "environ").read_bytes():
                continue
        except OSError:
            continue
        found.append(int(entry.name))
    return found


def comparable(path: Path, url: str = "") -> dict[str, Any]:
    """The records by id, without the one timing figure (and with the endpoint's ``url`` as URL)."""
    records = {}
    text = path.read_text(encoding="utf-8")
    if url:
        path = path.with_suffix(".same")
        path.write_text(text.replace(url, "URL"), encoding="utf-8")
    for rec in read_records(path):
        if rec.get("result"):
            rec["result"]["provenance"].pop("latency_s")
        records[rec["id"]] = rec
    return records


async def batch(url: str | None, out: Path, articles: list[Article], *, workers: int, concurrency: int = 4,
                **options: Any) -> Any:
    built = await build_endpoints([url], model="scripted-model", concurrency=concurrency, **options)
    try:
        return await run_batch(articles, built.endpoints, out, concurrency=concurrency, workers=workers,
                               handle_signals=False)
    finally:
        await built.aclose()


# --------------------------------------------------------------------------- the same records


@pytest.mark.parametrize("options", [{"profile": "json"}, {"profile": "json", "policy": "strict"},
                                     {"profile": "llamacpp", "grounded_schema": True}, {"policy": "off"}],
                         ids=["json", "strict", "grounded", "off"])
async def test_workers_write_the_records_threads_write(tmp_path: Path, options: dict[str, Any]) -> None:
    articles = [*make_articles(10), Article(id="long", text="Five people were killed in Raqqa on Monday. " * 30,
                                            title="T", url="https://x.test/long")]
    with scripted_server(responder=echo_claims) as server:
        threads = await batch(server.url, tmp_path / "0.jsonl", articles, workers=0, **options)
        procs = await batch(server.url, tmp_path / "2.jsonl", articles, workers=2, **options)
    assert threads.ok == procs.ok == len(articles) and threads.requests == procs.requests == len(articles)
    assert comparable(tmp_path / "0.jsonl") == comparable(tmp_path / "2.jsonl")
    assert worker_pids(os.getpid()) == []  # the run's workers ended with it


async def test_the_offline_extractor_in_workers_writes_what_it_writes_here(tmp_path: Path) -> None:
    articles = [*make_articles(6), Article(id="blank", text="  \n ")]
    threads = await batch(None, tmp_path / "0.jsonl", articles, workers=0)
    procs = await batch(None, tmp_path / "2.jsonl", articles, workers=2)
    assert (threads.ok, threads.failures) == (procs.ok, procs.failures) == (6, {"input": 1})
    assert comparable(tmp_path / "0.jsonl") == comparable(tmp_path / "2.jsonl")


async def test_a_strict_reask_is_the_same_when_the_index_is_in_a_worker(tmp_path: Path) -> None:
    wrong = {"claims": [{"kind": "incident", "killed": {"phrase": "999 people", "low": 999, "high": 999,
                                                        "qualifier": "exact"},
                         "evidence": [{"quote": "nine hundred and ninety-nine people died"}]}]}
    records = {}
    for workers in (0, 2):
        with scripted_server(per_article(ok(wrong)), responder=echo_claims) as server:
            summary = await batch(server.url, tmp_path / f"{workers}.jsonl", make_articles(4), workers=workers,
                                  profile="json", policy="strict")
            reasks = [r.json["messages"][-1]["content"] for r in server.requests if r.attempt == 1]
        assert summary.ok == 4 and summary.reasks == 4 and summary.requests == 8
        records[workers] = (comparable(tmp_path / f"{workers}.jsonl", server.url), sorted(reasks))
    assert "999" in records[0][1][0]  # the re-ask names what did not fit
    assert records[0] == records[2]


async def test_each_stage_runs_at_a_worker_and_an_articles_stages_at_one(tmp_path: Path, importable: None) -> None:
    out = tmp_path / "o.jsonl"
    with scripted_server(responder=echo_claims) as server:
        pipeline = WherePipeline.create(server.url, "scripted-model", profile="json")
        try:
            summary = await run_batch(make_articles(12), [pipeline.arun], out, concurrency=4, workers=2,
                                      handle_signals=False, wait_for_workers=True)
        finally:
            await pipeline.aclose()
    assert summary.ok == 12
    pids = {note for rec in read_records(out) for note in rec["result"]["provenance"]["notes"]
            if note.startswith("grounded in pid")}
    assert 1 <= len(pids) <= 2 and f"grounded in pid {os.getpid()}" not in pids


async def test_a_worker_answers_from_the_index_it_keeps_and_builds_one_it_lost() -> None:
    pool = WorkerPool([Pipeline(None, policy="strict")], 1)
    async with pool:
        article = make_articles(1)[0]
        session = pool.session(0)
        assert session is not None
        facts = await session.read(article, False)
        assert facts.hints and facts.grounded is None
        grounded = await pool.session(0).read(article, True)  # type: ignore[union-attr]
        assert grounded.grounded is not None and grounded.hints == facts.hints
        session.close()
        # a key the worker never saw (restarted, or evicted): the article comes along, its index is built there
        from llmextract.schema import Claim, ClaimList, Count, Evidence

        stray = pool.session(0)
        assert stray is not None
        stray.article = article
        made_up = ClaimList(claims=[Claim(killed=Count(phrase="999", low=999, high=999, qualifier="exact"),
                                          evidence=[Evidence(quote="no such words")])])
        assert await stray.check(made_up) != []
        stray.close()


# --------------------------------------------------------------------------- what stays the same around them


async def test_a_cached_rerun_with_workers_sends_nothing(tmp_path: Path) -> None:
    articles = make_articles(8)
    cache = ResponseCache(tmp_path / "c.sqlite3")
    with scripted_server(responder=echo_claims) as server:
        built = await build_endpoints([server.url], model="scripted-model", concurrency=4, profile="json")
        try:
            first = await run_batch(articles, built.endpoints, tmp_path / "1.jsonl", cache=cache, workers=2,
                                    handle_signals=False)
            sent = server.count
            second = await run_batch(articles, built.endpoints, tmp_path / "2.jsonl", cache=cache, workers=2,
                                     handle_signals=False)
        finally:
            await built.aclose()
        assert sent == 8 and server.count == sent
    assert first.cached == 0 and second.cached == 8
    a = {r["id"]: r["result"]["claims"] for r in read_records(tmp_path / "1.jsonl")}
    b = {r["id"]: r["result"]["claims"] for r in read_records(tmp_path / "2.jsonl")}
    assert a == b
    cache.close()


async def test_resume_with_workers_does_only_what_is_missing(tmp_path: Path) -> None:
    articles = make_articles(9)
    out = tmp_path / "o.jsonl"
    with scripted_server(responder=echo_claims) as server:
        await batch(server.url, out, articles[:4], workers=2, profile="json")
        built = await build_endpoints([server.url], model="scripted-model", concurrency=3, profile="json")
        try:
            summary = await run_batch(articles, built.endpoints, out, concurrency=3, resume=True, workers=2,
                                      handle_signals=False)
        finally:
            await built.aclose()
        assert server.count == 9
    assert summary.skipped == 4 and summary.ok == 5
    assert ids_in(out) == {a.id: 1 for a in articles}


async def test_a_key_the_server_echoes_reaches_no_record_through_the_workers(tmp_path: Path) -> None:
    key = "sk-workers-" + uuid.uuid4().hex

    def echo_key(request: Any) -> dict[str, Any]:  # a server that writes the key it was sent into its reply
        reply = echo_claims(request)
        for claim in reply["claims"]:
            claim["claimant"] = {"name": f"the agency {key}"}
        return reply

    out = tmp_path / "o.jsonl"
    with scripted_server(responder=echo_key) as server:
        built = await build_endpoints([server.url], model="scripted-model", api_key=key, concurrency=2,
                                      profile="json")
        try:
            summary = await run_batch(make_articles(4), built.endpoints, out, workers=2, handle_signals=False)
        finally:
            await built.aclose()
        assert server.count == 4
    assert summary.ok == 4
    text = out.read_text(encoding="utf-8")
    assert key not in text and key[3:] not in text
    assert "the agency" in text  # the echoed claimant was kept, the key cut out of it


async def test_workers_need_pipelines_and_a_count_of_none_or_more(tmp_path: Path) -> None:
    async def plain(article: Article) -> Any:
        raise AssertionError("never called")

    with pytest.raises(ConfigError, match="Pipeline"):
        await run_batch(make_articles(2), [BatchEndpoint(plain)], tmp_path / "o.jsonl", workers=2)
    with pytest.raises(ConfigError, match="workers"):
        await run_batch(make_articles(2), [Pipeline(None).arun], tmp_path / "p.jsonl", workers=-1)


# --------------------------------------------------------------------------- a stuck or dying worker


async def test_a_stuck_stage_fails_its_article_naming_the_stage_and_its_worker_is_replaced(
        tmp_path: Path, importable: None, caplog: pytest.LogCaptureFixture) -> None:
    from worker_pipelines import StuckPipeline

    out = tmp_path / "o.jsonl"
    with scripted_server(responder=echo_claims) as server:
        pipeline = StuckPipeline.create(server.url, "scripted-model", profile="json")
        try:
            with caplog.at_level(logging.WARNING, logger="llmextract.batch"):
                summary = await run_batch(make_articles(6), [pipeline.arun], out, concurrency=2, workers=2,
                                          article_timeout_s=4, handle_signals=False, wait_for_workers=True)
        finally:
            await pipeline.aclose()
    records = {r["id"]: r for r in read_records(out)}
    assert summary.ok == 5 and summary.failures == {"timeout": 1}
    err = records["a0000"]["error"]
    assert err["kind"] == "timeout" and err["stage"] == "grounding the reply", err
    assert "restarting it" in caplog.text  # the stuck worker was killed, not left computing
    assert worker_pids(os.getpid()) == []


async def test_a_worker_that_dies_fails_the_article_it_was_running_and_the_run_goes_on(
        tmp_path: Path, importable: None) -> None:
    from worker_pipelines import CrashingPipeline

    out = tmp_path / "o.jsonl"
    with scripted_server(responder=echo_claims) as server:
        pipeline = CrashingPipeline.create(server.url, "scripted-model", profile="json")
        try:
            summary = await run_batch(make_articles(6), [pipeline.arun], out, concurrency=3, workers=1,
                                      handle_signals=False, wait_for_workers=True)
        finally:
            await pipeline.aclose()
    records = {r["id"]: r for r in read_records(out)}
    assert summary.ok == 5 and summary.failures == {"internal": 1}
    message = records["a0000"]["error"]["message"]
    assert "grounding the reply" in message and "exit status 3" in message, message
    assert worker_pids(os.getpid()) == []


# --------------------------------------------------------------------------- no worker outlives its run


DRIVER = textwrap.dedent('''
    import asyncio, sys
    from worker_pipelines import StuckPipeline
    from llmextract.batch import iter_articles, run_batch

    url, src, out = sys.argv[1], sys.argv[2], sys.argv[3]

    async def main():
        pipeline = StuckPipeline.create(url, "scripted-model", profile="json")
        try:
            return await run_batch(iter_articles(src), [pipeline.arun], out, concurrency=2, grace_s=1, workers=2,
                                   wait_for_workers=True)
        finally:
            await pipeline.aclose()

    summary = asyncio.run(main())
    print(summary.model_dump_json(), flush=True)
''')


def start_driver(tmp_path: Path, url: str, mark: str) -> tuple[subprocess.Popen[bytes], Path, list[Article]]:
    articles = make_articles(8)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    env = {**os.environ, "LLMEXTRACT_TEST_MARK": mark,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, str(driver), url, str(src), str(tmp_path / "out.jsonl")], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc, tmp_path / "out.jsonl", articles


def gone(mark: str, within_s: float = 10.0) -> bool:
    """Whether every worker process carrying ``mark`` has ended (polling; no time is asserted)."""
    deadline = time.monotonic() + within_s
    while worker_pids(mark=mark):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_ctrl_c_ends_the_run_and_its_workers(tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    with scripted_server(responder=echo_claims) as server:
        proc, out, articles = start_driver(tmp_path, server.url, mark)
        try:
            wait_for_lines(out, 7, proc, limit_s=90)  # every article but the stuck one
            assert worker_pids(proc.pid, mark) != []  # its workers, running
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    summary = json.loads(stdout.decode().strip().splitlines()[-1])
    assert summary["interrupted"] and "Traceback" not in stderr.decode(), stderr.decode()
    assert sorted(ids_in(out)) == [a.id for a in articles[1:]]
    assert gone(mark)


def test_a_killed_run_takes_its_workers_with_it(tmp_path: Path) -> None:
    mark = uuid.uuid4().hex
    with scripted_server(responder=echo_claims) as server:
        proc, out, _ = start_driver(tmp_path, server.url, mark)
        try:
            wait_for_lines(out, 7, proc, limit_s=90)
            assert len(worker_pids(proc.pid, mark)) == 2
            proc.send_signal(signal.SIGKILL)  # no handler, no finally: the kernel ends the workers
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert gone(mark)


# --------------------------------------------------------------------------- no other worker free: this process


async def test_with_one_worker_a_stuck_stage_fails_only_its_own_article(tmp_path: Path, importable: None) -> None:
    from worker_pipelines import StuckPipeline

    out = tmp_path / "o.jsonl"
    with scripted_server(responder=echo_claims) as server:
        pipeline = StuckPipeline.create(server.url, "scripted-model", profile="json")
        try:
            summary = await run_batch(make_articles(8), [pipeline.arun], out, concurrency=2, workers=1,
                                      article_timeout_s=4, handle_signals=False, wait_for_workers=True)
        finally:
            await pipeline.aclose()
    records = {r["id"]: r for r in read_records(out)}
    # the jobs queued behind the stuck stage, with no other worker to take them, ran in this process
    assert summary.ok == 7 and summary.failures == {"timeout": 1}, records
    assert records["a0000"]["error"]["stage"] == "grounding the reply"
    assert worker_pids(os.getpid()) == []


async def test_when_a_dead_worker_cannot_be_started_again_its_jobs_run_here(
        tmp_path: Path, importable: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from worker_pipelines import NoRestartPipeline

    monkeypatch.setenv("LLMEXTRACT_TEST_PARENT", str(os.getpid()))
    monkeypatch.setenv("LLMEXTRACT_TEST_STARTED", str(tmp_path / "started"))
    out = tmp_path / "o.jsonl"
    with scripted_server(responder=echo_claims, latency_s=0.05) as server:
        pipeline = NoRestartPipeline.create(server.url, "scripted-model", profile="json")
        try:
            with caplog.at_level(logging.WARNING, logger="llmextract.batch"):
                summary = await run_batch(make_articles(10), [pipeline.arun], out, concurrency=4, workers=1,
                                          handle_signals=False, wait_for_workers=True)
        finally:
            await pipeline.aclose()
    records = {r["id"]: r for r in read_records(out)}
    assert "starting another" in caplog.text  # its restart (which cannot start) was not waited for
    # only the article whose stage the worker was running when it died fails; the jobs queued behind it ran here
    assert summary.ok == 9 and summary.failures == {"internal": 1}, records
    message = records["a0000"]["error"]["message"]
    assert "grounding the reply" in message and "exit status 3" in message, message
    assert "the run stopped" not in out.read_text(encoding="utf-8")


async def test_a_run_that_stops_on_a_fatal_error_restarts_no_worker(
        tmp_path: Path, importable: None, caplog: pytest.LogCaptureFixture) -> None:
    from dataclasses import replace

    from worker_pipelines import StuckPipeline

    from llmextract.errors import AuthError
    from llmextract.testing.scripted import http_error

    def refuse_but_a0000(request: Any) -> Any:  # a0000 is answered at once; the others' key is refused a moment later
        if "Report number 0." in request.article_message:
            return None
        return replace(http_error(401, body='{"error": {"message": "bad key"}}'), delay_s=0.5)

    with scripted_server(refuse_but_a0000, responder=echo_claims) as server:
        pipeline = StuckPipeline.create(server.url, "scripted-model", profile="json")
        try:
            with caplog.at_level(logging.INFO, logger="llmextract.batch"), pytest.raises(AuthError):
                await run_batch(make_articles(6), [pipeline.arun], tmp_path / "o.jsonl", concurrency=6,
                                workers=2, handle_signals=False, wait_for_workers=True)
        finally:
            await pipeline.aclose()
    # a0000's grounding was stuck at a worker when the run stopped: that worker was killed, and not started again
    assert "restarting it" not in caplog.text and "starting another" not in caplog.text, caplog.text
    assert worker_pids(os.getpid()) == []


# --------------------------------------------------------------------------- what a worker is given


async def test_a_worker_is_given_no_key_nor_endpoint_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmextract.config import API_KEY_ENV, BASE_URL_ENV

    key = "sk-env-" + uuid.uuid4().hex
    for name in API_KEY_ENV:
        monkeypatch.setenv(name, key)
    for name in BASE_URL_ENV:
        monkeypatch.setenv(name, f"http://user:{key}@127.0.0.1:9/v1")
    mark = uuid.uuid4().hex
    monkeypatch.setenv("LLMEXTRACT_TEST_MARK", mark)
    async with WorkerPool([Pipeline(None)], 2) as pool:
        pids = worker_pids(os.getpid(), mark)
        assert len(pids) == 2 and pool.pick() is not None
        environs = [Path(f"/proc/{pid}/environ").read_bytes() for pid in pids]
    for env in environs:
        assert key.encode() not in env
        assert mark.encode() in env  # the rest of the environment is theirs too


def test_a_worker_finds_the_package_where_this_process_found_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import llmextract.batch.workers as workers

    root = str(Path(workers.__file__).resolve().parents[2])
    monkeypatch.setenv("PYTHONPATH", "/somewhere/first")
    monkeypatch.setattr(sys, "path", [sys.path[0], "/usr/lib/python3", root])  # say a regular install
    assert workers._worker_env()["PYTHONPATH"] == "/somewhere/first"  # site-packages is not put before the stdlib
    monkeypatch.setattr(sys, "path", [sys.path[0], "/usr/lib/python3"])  # a path hook (an editable install)
    assert workers._worker_env()["PYTHONPATH"] == os.pathsep.join(["/somewhere/first", root])  # after, not first


# --------------------------------------------------------------------------- while the workers start


async def test_a_run_does_not_wait_for_its_workers_to_start(
        tmp_path: Path, importable: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker_pipelines import SlowStartWherePipeline

    monkeypatch.setenv("LLMEXTRACT_TEST_PARENT", str(os.getpid()))  # its workers take half a minute to start
    mark = uuid.uuid4().hex
    monkeypatch.setenv("LLMEXTRACT_TEST_MARK", mark)
    out = tmp_path / "o.jsonl"
    with scripted_server(responder=echo_claims) as server:
        pipeline = SlowStartWherePipeline.create(server.url, "scripted-model", profile="json")
        try:
            summary = await run_batch(make_articles(8), [pipeline.arun], out, concurrency=4, workers=2,
                                      handle_signals=False)
        finally:
            await pipeline.aclose()
    assert summary.ok == 8 and summary.workers == 2 and summary.workers_start_s == 0
    # every article was grounded here, while the workers were still starting; none waited for them
    where = [note for rec in read_records(out) for note in rec["result"]["provenance"]["notes"]
             if note.startswith("grounded in pid")]
    assert where == [f"grounded in pid {os.getpid()}"] * 8
    assert worker_pids(os.getpid(), mark) == []  # the workers still starting were ended with the run


START_DRIVER = textwrap.dedent('''
    import asyncio, logging, os, sys
    from worker_pipelines import SlowStartPipeline
    from llmextract.batch import iter_articles, run_batch

    url, src, out, wait = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "wait"
    logging.basicConfig(level=logging.WARNING)
    os.environ["LLMEXTRACT_TEST_PARENT"] = str(os.getpid())  # its workers take half a minute to start

    async def main():
        pipeline = SlowStartPipeline.create(url, "scripted-model", profile="json")
        try:
            return await run_batch(iter_articles(src), [pipeline.arun], out, concurrency=2, grace_s=2, workers=2,
                                   wait_for_workers=wait)
        finally:
            await pipeline.aclose()

    summary = asyncio.run(main())
    print(summary.model_dump_json(), flush=True)
''')


@pytest.mark.parametrize("wait", [True, False], ids=["waiting", "not-waiting"])
def test_ctrl_c_while_the_workers_start_stops_the_run(tmp_path: Path, wait: bool) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(20))
    driver = tmp_path / "driver.py"
    driver.write_text(START_DRIVER, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    mark = uuid.uuid4().hex
    with scripted_server(responder=echo_claims, latency_s=0.3) as server:
        proc = subprocess.Popen([sys.executable, str(driver), server.url, str(src), str(out),
                                 "wait" if wait else "no"],
                                env={**os.environ, "LLMEXTRACT_TEST_MARK": mark,
                                     "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS),
                                                                                 os.environ.get("PYTHONPATH")]))},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            limit = time.monotonic() + 60
            while not worker_pids(proc.pid, mark) and proc.poll() is None and time.monotonic() < limit:
                time.sleep(0.02)
            assert worker_pids(proc.pid, mark) != []  # its workers exist, and are still starting (30 s each)
            if not wait:  # the run's articles go on in this process meanwhile
                wait_for_lines(out, 1, proc, limit_s=60)
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        served = server.count
    summary = json.loads(stdout.decode().strip().splitlines()[-1])
    assert summary["interrupted"], (summary, stderr.decode())
    if wait:  # stopped while it waited: before any article
        assert summary["articles"] == 0 and served == 0, (summary, stderr.decode())
    else:  # stopped with articles in flight here: they finished, no other was begun
        assert 1 <= summary["articles"] < 20 and served < 20, (summary, stderr.decode())
        assert "Traceback" not in stderr.decode(), stderr.decode()
    assert "within 2s" in stderr.decode(), stderr.decode()  # the run's grace period, not the default's
    assert gone(mark)
