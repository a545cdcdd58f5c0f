"""One article through the whole flow: text -> EvidenceIndex -> extractor -> derived values -> grounding -> result.

This is the one place that builds an article's evidence index: the extractor (and its re-ask
validator and grounded schema) and the grounding layer are all handed the same index.

The pipeline picks the extractor: a language model when an endpoint is configured (argument
or environment), else the offline extractor, and says which in the result's provenance.

A batch may keep an article's index in another process (:mod:`llmextract.batch.workers`): there
:meth:`Pipeline.arun_split` runs the model's requests here and hands the CPU stages to a
:class:`SplitStages` (reading the article, checking a reply, finishing the result), each of which
the other process runs with its own copy of this pipeline (:meth:`Pipeline.recipe`).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from llmextract._version import __version__
from llmextract.config import EndpointConfig
from llmextract.errors import ConfigError
from llmextract.extractors import replies
from llmextract.extractors.derive import derive
from llmextract.extractors.offline import extract_offline
from llmextract.extractors.replies import Facts
from llmextract.grounding import POLICIES, apply_policy, claims_validator, ground
from llmextract.io import as_article
from llmextract.schema import Article, Claim, ClaimList, ExtractionResult, Provenance
from llmextract.text.index import EvidenceIndex

log = logging.getLogger(__name__)

_T = TypeVar("_T")
#: Runs a CPU stage elsewhere and awaits it: ``await cpu(fn, *args)`` (a worker pool's ``run``).
CpuRunner = Callable[..., Awaitable[Any]]


def _nothing(_stage: str) -> None:
    """No one to tell."""


class SplitStages(Protocol):
    """The CPU stages of one article, run where its evidence index is kept (another process)."""

    async def offline(self, article: Article) -> ExtractionResult:
        """The whole offline extraction of the article."""

    async def read(self, article: Article, grounded: bool) -> Facts:
        """Build and keep the article's index: :meth:`Pipeline.read_facts` there."""

    async def check(self, claims: ClaimList) -> list[str]:
        """The validator's problems with a parsed reply: :meth:`Pipeline.check_reply` there."""

    async def finish(self, claims: ClaimList, provenance: Provenance, grounded: bool) -> ExtractionResult:
        """The result of the reply that fitted: :meth:`Pipeline.finish_reply` there."""


class Pipeline:
    """Reusable extraction set-up: one LLM client (if any) shared by every article."""

    def __init__(self, config: EndpointConfig | None, *, policy: str = "flag", prompts: Any = None,
                 grounded_schema: bool = False, http_client: Any = None, async_http_client: Any = None) -> None:
        if policy not in POLICIES:
            raise ConfigError(f"unknown grounding policy {policy!r}; choose one of {', '.join(POLICIES)}")
        self.config = config
        self.policy = policy
        self._llm = None
        if config is not None:
            from llmextract.extractors.llm import LLMExtractor

            self._llm = LLMExtractor(
                config, prompts=prompts, http_client=http_client, async_http_client=async_http_client,
                validator=claims_validator() if policy == "strict" else None,
                use_grounded_schema=grounded_schema,
            )

    @classmethod
    def create(cls, endpoint: str | None = None, model: str | None = None, api_key: str | None = None, *,
               profile: str | None = None, policy: str = "flag", grounded_schema: bool = False,
               timeout: float | None = None, transport_retries: int | None = None,
               reask_budget: int | None = None, article_timeout: float | None = None,
               max_reply_bytes: int | None = None, **clients: Any) -> Pipeline:
        config = EndpointConfig.resolve(endpoint, model, api_key, profile=profile, timeout=timeout,
                                        transport_retries=transport_retries, reask_budget=reask_budget,
                                        article_timeout=article_timeout, max_reply_bytes=max_reply_bytes)
        return cls(config, policy=policy, grounded_schema=grounded_schema, **clients)

    @property
    def uses_model(self) -> bool:
        return self._llm is not None

    @property
    def llm(self) -> Any:
        return self._llm

    def cache_identity(self) -> dict[str, str | None]:
        """What a cached result depends on besides the article: endpoint, model, prompt hash."""
        if self._llm is None:
            return {"endpoint": None, "model": None, "prompt_hash": f"offline-{__version__}"}
        return {"endpoint": self._llm.endpoint, "model": self._llm.model, "prompt_hash": self._llm.prompts.hash}

    def _finish(self, article: Article, index: EvidenceIndex, result: ExtractionResult) -> ExtractionResult:
        result = derive(result, index)
        if self.policy == "off":
            return result
        report = ground(result, index)
        return apply_policy(result, report, self.policy)

    def _article(self, article: Article | str, metadata: dict[str, Any]) -> Article:
        """The article, checked, with ``metadata`` (url, title, outlet, published) given here winning."""
        art = as_article(article, **metadata)
        return art.model_copy(update=metadata) if metadata and isinstance(article, Article) else art

    def run(self, article: Article | str, **metadata: Any) -> ExtractionResult:
        art, index = self._read(article, metadata)
        if self._llm is None:
            result = extract_offline(art, index)
        else:
            result = self._llm.extract(art, index)
        return self._finish(art, index, result)

    async def arun(self, article: Article | str, *, cpu: CpuRunner | None = None,
                   on_stage: Callable[[str], object] | None = None, **metadata: Any) -> ExtractionResult:
        """:meth:`run` on an event loop. ``cpu`` runs the CPU stages (reading the article, the offline
        extractor, derivation and grounding) elsewhere, say in a worker thread: ``await cpu(fn, *args)``;
        without it they run on the loop. ``on_stage`` is told what the article waits for next."""
        note = on_stage or _nothing

        async def compute(fn: Callable[..., _T], *args: Any) -> _T:
            return fn(*args) if cpu is None else await cpu(fn, *args)

        if self._llm is None:
            note("the offline extractor")
            return await compute(functools.partial(self.run, article, **metadata))
        note("reading the article (the evidence index)")
        art, index = await compute(self._read, article, metadata)
        note(f"the model's reply from {self._llm.endpoint}")
        result = await self._llm.aextract(art, index)
        note("grounding the reply")
        return await compute(self._finish, art, index, result)

    def _read(self, article: Article | str, metadata: dict[str, Any]) -> tuple[Article, EvidenceIndex]:
        art = self._article(article, metadata)
        return art, EvidenceIndex.build(art)

    # -- a run whose CPU stages are elsewhere (llmextract.batch.workers)
    async def arun_split(self, article: Article | str, stages: SplitStages, *,
                         on_stage: Callable[[str], object] | None = None, **metadata: Any) -> ExtractionResult:
        """:meth:`arun` with the article's index kept by ``stages`` (another process): only the model's
        requests and the parse of its replies run here. The same result as :meth:`arun`."""
        note = on_stage or _nothing
        art = self._article(article, metadata)
        llm = self._llm
        if llm is None:
            note("the offline extractor")
            return await stages.offline(art)
        run = llm.new_run()
        model, profile = await llm.aprepare(run.deadline)
        grounded = llm.grounds(profile)
        note("reading the article (the evidence index)")
        facts = await stages.read(art, grounded)
        note(f"the model's reply from {llm.endpoint}")
        started = time.perf_counter()
        claims = await llm.areplies(art, facts, run, model, profile, check=stages.check)
        provenance = llm.provenance(run, model, profile, round(time.perf_counter() - started, 4))
        note("grounding the reply")
        return await stages.finish(claims, provenance, grounded)

    def read_facts(self, article: Article, grounded: bool) -> tuple[EvidenceIndex, Facts]:
        """The split run's first stage: the article's index, and what a request needs of it."""
        index = EvidenceIndex.build(article)
        return index, replies.facts(index, grounded)

    def check_reply(self, index: EvidenceIndex, claims: list[Claim]) -> list[str]:
        """The split run's check of a parsed reply: the strict policy's validator's problems (else none)."""
        if self.policy != "strict":
            return []
        return [str(p) for p in (claims_validator()(ClaimList(claims=claims), index) or []) if p]

    def finish_reply(self, article: Article, index: EvidenceIndex, claims: list[Claim], provenance: Provenance,
                     grounded: bool) -> ExtractionResult:
        """The split run's last stage: the reply's result (offsets, derived values, grounding, the policy)."""
        result = replies.result(article, index, ClaimList(claims=claims), provenance, grounded=grounded)
        return self._finish(article, index, result)

    def recipe(self) -> dict[str, Any]:
        """What another process needs to run this pipeline's CPU stages (:meth:`from_recipe`): its class (by
        reference: a subclass must be importable there) and policy. Never the endpoint, client or key: the
        requests stay here, and what the stages need of them comes with each article."""
        return {"class": type(self), "policy": self.policy}

    @classmethod
    def from_recipe(cls, recipe: dict[str, Any]) -> Pipeline:
        """A pipeline that runs the CPU stages :meth:`recipe` describes (it makes no request itself)."""
        made = recipe.get("class") or cls
        if not (isinstance(made, type) and issubclass(made, Pipeline)):
            raise TypeError(f"a pipeline recipe names {made!r}, not a Pipeline class")
        return made(None, policy=recipe["policy"])

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()

    async def aclose(self) -> None:
        if self._llm is not None:
            await self._llm.aclose()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
