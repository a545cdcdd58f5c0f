"""What a batch run did: the running tallies, the progress snapshots a callback is given, and BatchSummary.

Requests, transport retries and re-asks are counted from each result's provenance
(``attempts``: model calls, the first try and its re-asks; ``transport_retries``: requests sent
again after a timeout, 429 or 5xx) or from the typed error an article failed with.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from pydantic import BaseModel, Field

from llmextract.batch.outcomes import BatchItem
from llmextract.errors import EndpointError, ModelOutputError
from llmextract.schema import ExtractionResult

__all__ = ["BatchProgress", "BatchSummary"]


class BatchSummary(BaseModel):
    """What a batch run did."""

    articles: int = Field(0, description="Records written by this run (results and errors).")
    ok: int = 0
    failed: int = 0
    skipped: int = Field(0, description="Already in the output (resume).")
    duplicates: int = Field(0, description="Input records whose id came before (skipped: the first one wins).")
    duplicate_ids: list[str] = Field(default_factory=list, description="The first of those ids (up to 20).")
    cached: int = Field(0, description="Results taken from the cache, no request sent.")
    claims: int = 0
    unsupported: int = Field(0, description="Findings whose verdict is not ok (unsupported, derived, misattached).")
    failures: dict[str, int] = Field(default_factory=dict, description="Failed articles by kind.")
    requests: int = Field(0, description="Model requests made (first tries, retries and re-asks).")
    transport_retries: int = 0
    reasks: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    wall_s: float = 0.0
    throughput: float = Field(0.0, description="Articles written per second of wall time.")
    per_endpoint: dict[str, int] = Field(default_factory=dict, description="Articles sent to each endpoint.")
    workers: int = Field(0, description="Worker processes that ran the CPU stages (0: threads of this process).")
    workers_start_s: float = Field(0.0, description="Seconds the run waited for its worker processes to start "
                                                     "(part of wall_s).")
    interrupted: bool = False
    unfinished: int = Field(0, description="In-flight articles abandoned after the grace period (redone on resume).")
    out: str | None = None

    @property
    def exit_code(self) -> int:
        """0 when every article succeeded, 1 when some failed or the run was interrupted."""
        return 1 if (self.failed or self.interrupted) else 0


@dataclass(frozen=True)
class BatchProgress:
    """Where a run stands, handed to the ``progress`` callback of ``run_batch`` after every record."""

    articles: int  # records written by this run
    ok: int
    failed: int
    skipped: int  # already in the output (resume)
    claims: int
    requests: int
    elapsed_s: float

    @property
    def done(self) -> int:
        """Articles accounted for: written by this run or skipped."""
        return self.articles + self.skipped


def _counts_from_provenance(result: ExtractionResult) -> tuple[int, int, int]:
    """(requests, transport retries, re-asks) of one result."""
    prov = result.provenance
    attempts = max(int(prov.attempts or 0), 1 if prov.model_used else 0)
    reasks = max(attempts - 1, 0)
    retries = prov.transport_retries
    return attempts + retries, retries, reasks


def _counts_from_error(exc: BaseException | None) -> tuple[int, int, int]:
    """(requests, transport retries, re-asks) of one failure."""
    if exc is None:
        return 0, 0, 0
    attempts = int(getattr(exc, "attempts", 0) or 0)
    retries = int(getattr(exc, "transport_retries", 0) or 0)
    if isinstance(exc, EndpointError):
        # every attempt of an endpoint failure is a transport attempt: the first plus retries
        return attempts, max(attempts - 1, retries), 0
    if isinstance(exc, ModelOutputError):
        return attempts + retries, retries, max(attempts - 1, 0)
    return attempts, retries, 0


@dataclass
class _Counts:
    articles: int = 0
    ok: int = 0
    failed: int = 0
    cached: int = 0
    claims: int = 0
    unsupported: int = 0
    requests: int = 0
    transport_retries: int = 0
    reasks: int = 0
    tokens_in: int = 0
    tokens_out: int = 0


class _Tally:
    """The counts of a run as its records are written: plain ints (a pydantic model is slow to update)."""

    def __init__(self) -> None:
        self.s = _Counts()
        self.failures: Counter[str] = Counter()
        self.per_endpoint: Counter[str] = Counter()
        self.t0 = time.perf_counter()

    def add(self, item: BatchItem) -> None:
        s = self.s
        s.articles += 1
        if item.endpoint and not item.cached:
            self.per_endpoint[item.endpoint] += 1
        if item.result is not None:
            s.ok += 1
            r = item.result
            s.claims += len(r.claims)
            s.unsupported += sum(1 for f in r.findings if not f.ok)
            if item.cached:
                s.cached += 1
                return
            requests, retries, reasks = _counts_from_provenance(r)
            s.tokens_in += r.provenance.usage.prompt_tokens
            s.tokens_out += r.provenance.usage.completion_tokens
        else:
            s.failed += 1
            self.failures[item.kind or "internal"] += 1
            requests, retries, reasks = _counts_from_error(item.error)
        s.requests += requests
        s.transport_retries += retries
        s.reasks += reasks

    def progress(self, skipped: int) -> BatchProgress:
        s = self.s
        return BatchProgress(articles=s.articles, ok=s.ok, failed=s.failed, skipped=skipped, claims=s.claims,
                             requests=s.requests, elapsed_s=self.elapsed())

    def finish(self) -> BatchSummary:
        wall = round(time.perf_counter() - self.t0, 4)
        s = BatchSummary(**vars(self.s))
        s.failures = dict(sorted(self.failures.items()))
        s.per_endpoint = dict(self.per_endpoint)
        s.wall_s = wall
        s.throughput = round(s.articles / wall, 3) if wall > 0 else 0.0
        return s

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0
