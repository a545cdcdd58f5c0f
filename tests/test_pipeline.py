"""The pipeline's contract: the article is indexed once, whatever the extractor and policy."""

from __future__ import annotations

import asyncio
import importlib
import warnings

import pytest

from llmextract import extract
from llmextract.pipeline import Pipeline
from llmextract.schema import SCHEMA_VERSION, Article
from llmextract.testing.scripted import ok, scripted_server
from llmextract.text.index import EvidenceIndex

# Written for these tests: two figures, a place, a claimant and a relay.
TEXT = ("date 2023-05-08\nThe health office in Marib told the agency that eleven people were killed and "
        "at least 30 wounded when a drone struck a market in the town on Sunday. Four of the dead were children.")
MADE_UP = {"claims": [{"kind": "incident", "killed": {"phrase": "17 women and children"}, "evidence": []}]}
EMPTY: dict = {"claims": []}


@pytest.fixture()
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every EvidenceIndex made while the test runs (its text), however it was made."""
    made: list[str] = []
    real = EvidenceIndex.__post_init__

    def counting(self: EvidenceIndex) -> None:
        made.append(self.text)
        real(self)

    monkeypatch.setattr(EvidenceIndex, "__post_init__", counting)
    return made


def test_offline_indexes_the_article_once(builds: list[str]) -> None:
    result = extract(TEXT)
    assert result.claims and result.claims[0].killed.low == 11  # it did extract, from that one index
    assert builds == [TEXT]


@pytest.mark.parametrize("policy", ["flag", "strict"])
@pytest.mark.parametrize("grounded", [False, True])
def test_a_model_run_indexes_the_article_once(builds: list[str], policy: str, grounded: bool) -> None:
    # strict: the first reply makes up a figure, the validator (grounding) re-asks, the second reply is empty
    script = [ok(MADE_UP), ok(EMPTY)] if policy == "strict" else [ok(MADE_UP)]
    with scripted_server(script=script) as server:
        with Pipeline.create(server.url, "scripted-model", profile="llamacpp", policy=policy,
                             grounded_schema=grounded, reask_budget=2, transport_retries=0) as pipeline:
            result = pipeline.run(Article(text=TEXT))
        assert server.count == len(script)
    assert result.provenance.model_used and result.provenance.attempts == len(script)
    if policy == "flag":  # the made-up figure was kept and flagged by grounding, which saw the same index
        assert result.claims[0].killed.low == 17 and not result.findings_for(0)[0].ok
    assert builds == [TEXT]


def test_the_async_path_indexes_once_too(builds: list[str]) -> None:
    async def run() -> object:
        with scripted_server(script=[ok(MADE_UP), ok(EMPTY)]) as server:
            pipeline = Pipeline.create(server.url, "scripted-model", profile="json", policy="strict",
                                       reask_budget=2, transport_retries=0)
            try:
                return await pipeline.arun(TEXT)
            finally:
                await pipeline.aclose()

    result = asyncio.run(run())
    assert result.provenance.attempts == 2
    assert builds == [TEXT]


def test_every_result_carries_the_schema_version() -> None:
    result = extract(TEXT)
    assert result.schema_version == SCHEMA_VERSION
    assert '"schema_version":' in result.model_dump_json()


@pytest.mark.parametrize("old, new", [
    ("llmextract.evidence", "llmextract.text.index"),
    ("llmextract.cassettes", "llmextract.testing.cassettes"),
    ("llmextract.offline", "llmextract.extractors.offline"),
    ("llmextract.cache", "llmextract.batch.cache"),
])
def test_old_import_paths_still_work_with_a_warning(old: str, new: str) -> None:
    import sys

    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__spec__.name == new  # the real module keeps its own spec
    assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message) for w in caught)


def test_a_result_flattens_to_one_row_per_claim() -> None:
    result = extract(TEXT)
    rows = result.to_rows()
    assert len(rows) == len(result.claims) >= 1
    row = rows[0]
    assert (row["killed_low"], row["injured_low"], row["published"]) == (11, 30, "2023-05-08")
    assert row["article_id"] == result.article_id and row["claim_index"] == 0


def test_extract_names_its_keywords_and_rejects_others() -> None:
    with pytest.raises(TypeError) as info:
        extract(TEXT, max_tokens=512)
    message = str(info.value)
    assert "'max_tokens'" in message and "endpoint" in message and "published" in message
    assert "Pipeline" not in message


def test_a_published_date_given_wins_over_the_text_s_own() -> None:
    import datetime as dt

    assert extract(TEXT).published == dt.date(2023, 5, 8)
    given = dt.date(2023, 5, 10)
    assert extract(TEXT, published=given).published == given
    assert extract(Article(text=TEXT), published=given).published == given


def test_import_llmextract_loads_only_what_it_names() -> None:
    import subprocess
    import sys

    code = ("import sys, llmextract; before = set(sys.modules); llmextract.Claim; "
            "print('pydantic' in before, 'llmextract.schema' in before, 'llmextract.schema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"]


def test_the_batch_deadline_and_reply_cap_reach_the_extractor() -> None:
    from llmextract.batch.endpoints import build_endpoints

    async def built() -> tuple[float | None, int, object]:
        b = await build_endpoints(["http://127.0.0.1:9/v1"], model="m", profile="json", prepare=False,
                                  article_timeout=900, max_reply_bytes=12345)
        try:
            llm = b.pipelines[0].llm
            return llm.config.article_timeout, llm.config.max_reply_bytes, b.clients[0]
        finally:
            await b.aclose()

    deadline, cap, client = asyncio.run(built())
    assert (deadline, cap) == (900, 12345)
    assert client._max_reply_bytes == 12345  # the capped client, not the SDK's plain one


def test_the_async_run_can_put_its_cpu_stages_elsewhere() -> None:
    stages: list[str] = []
    ran: list[str] = []

    async def cpu(fn, *args):  # type: ignore[no-untyped-def]
        ran.append(getattr(fn, "__name__", type(fn).__name__))
        return fn(*args)

    async def go() -> object:
        with scripted_server(script=[ok(MADE_UP)]) as server:
            pipeline = Pipeline.create(server.url, "scripted-model", profile="json", transport_retries=0)
            try:
                return await pipeline.arun(TEXT, cpu=cpu, on_stage=stages.append)
            finally:
                await pipeline.aclose()

    result = asyncio.run(go())
    assert result.claims[0].killed.low == 17
    assert ran == ["_read", "_finish"]
    assert stages[0].startswith("reading") and stages[-1].startswith("grounding")
