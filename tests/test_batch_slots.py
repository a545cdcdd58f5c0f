"""Request slots (issue 14): what concurrency bounds, and an article's deadlines not counting its wait for a slot."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from test_batch import make_articles

from llmextract.batch import read_records, run_batch
from llmextract.batch.endpoints import build_endpoints
from llmextract.batch.offload import _CpuPool, _PipelineRun
from llmextract.batch.workers import WorkerPool, _WorkerRun
from llmextract.extractors.slots import WAITING, exclude_waits, limit_requests, request_slot, waited
from llmextract.pipeline import Pipeline
from llmextract.testing.scripted import echo_claims, scripted_server


async def test_a_wait_for_a_slot_stops_the_deadline_and_says_what_it_waits_for() -> None:
    slots = asyncio.Semaphore(1)
    await slots.acquire()  # another article's request holds the only slot
    stage: contextvars.ContextVar[str | None] = contextvars.ContextVar("stage", default=None)
    held: list[Any] = []

    async def article() -> None:
        limit_requests(slots, stage=stage)
        stage.set("the model's reply")
        async with asyncio.timeout(0.2) as deadline:
            exclude_waits(deadline)
            async with request_slot():
                held.append((stage.get(), waited()))

    context = contextvars.copy_context()
    task = asyncio.create_task(article(), context=context)
    await asyncio.sleep(0.5)  # more than the deadline: it stands still while the article waits
    assert not task.done() and context[stage] == WAITING
    slots.release()
    await task  # no TimeoutError
    assert held[0][0] == "the model's reply" and held[0][1] >= 0.5
    assert slots.locked() is False  # the slot went back


async def test_without_a_limit_a_request_goes_at_once_and_nothing_is_waited() -> None:
    limit_requests(None)
    async with request_slot():
        assert waited() == 0.0


@pytest.mark.parametrize(("deadline", "workers"), [("run", 0), ("extractor", 0), ("run", 2)])
async def test_the_wait_for_a_request_slot_is_not_the_articles_own_time(tmp_path: Path, deadline: str,
                                                                        workers: int) -> None:
    # one request at a time, each 0.4 s: an article admitted beside it waits for up to two others' requests
    # (0.8 s) and then takes 0.4 s itself, more than the 1 s deadline, which its own work never reaches
    options = {"article_timeout": 1.0} if deadline == "extractor" else {}
    out = tmp_path / "o.jsonl"
    with scripted_server(responder=echo_claims, latency_s=0.4) as server:
        built = await build_endpoints([server.url], model="scripted-model", concurrency=1, profile="json",
                                      **options)
        try:
            summary = await run_batch(make_articles(6), built.endpoints, out, concurrency=1, workers=workers,
                                      article_timeout_s=1.0 if deadline == "run" else None, handle_signals=False)
        finally:
            await built.aclose()
        assert server.count == 6
    errors = [r["error"] for r in read_records(out) if r.get("error")]
    assert summary.ok == 6 and errors == []


async def test_offline_pipelines_bound_their_articles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lock = threading.Lock()
    now, most = [0], [0]
    run = Pipeline.run

    def counted(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.05)
        try:
            return run(self, *args, **kwargs)
        finally:
            with lock:
                now[0] -= 1

    monkeypatch.setattr(Pipeline, "run", counted)
    built = await build_endpoints([None], concurrency=1)
    try:
        summary = await run_batch(make_articles(8), built.endpoints, tmp_path / "o.jsonl", concurrency=1,
                                  handle_signals=False)
    finally:
        await built.aclose()
    assert summary.ok == 8 and most[0] == 1  # -c 1: one article at a time (no request to bound instead)


def test_only_a_pipeline_with_a_model_waits_for_request_slots() -> None:
    offline, model = Pipeline(None), Pipeline.create("http://127.0.0.1:9/v1", "m", profile="json")
    pool = _CpuPool(1)
    workers = WorkerPool([offline, model], 1)
    try:
        assert not _PipelineRun(offline, pool).waits_for_request_slots
        assert _PipelineRun(model, pool).waits_for_request_slots
        assert not _WorkerRun(offline, 0, workers).waits_for_request_slots
        assert _WorkerRun(model, 1, workers).waits_for_request_slots
    finally:
        pool.close()
        workers.threads.close()
        model.close()
