"""Pipelines whose CPU stages misbehave on chosen articles, for the batch's worker processes (which import
this module by name: a test puts this folder on PYTHONPATH)."""

from __future__ import annotations

import os
import threading
from typing import Any

from llmextract.pipeline import Pipeline
from llmextract.schema import Article, ExtractionResult


class WherePipeline(Pipeline):
    """Notes in each result the pid of the process that grounded it."""

    def _finish(self, article: Article, index: Any, result: ExtractionResult) -> ExtractionResult:
        result = super()._finish(article, index, result)
        result.provenance.notes.append(f"grounded in pid {os.getpid()}")
        return result


class StuckPipeline(Pipeline):
    """Grounding article a0000 never ends (two minutes)."""

    def _finish(self, article: Article, index: Any, result: ExtractionResult) -> ExtractionResult:
        if article.id == "a0000":
            threading.Event().wait(120)
        return super()._finish(article, index, result)


class CrashingPipeline(Pipeline):
    """Grounding article a0000 ends its process (exit status 3)."""

    def _finish(self, article: Article, index: Any, result: ExtractionResult) -> ExtractionResult:
        if article.id == "a0000":
            os._exit(3)
        return super()._finish(article, index, result)


def _in_a_worker() -> bool:
    """Whether this process is a worker of the test's run (LLMEXTRACT_TEST_PARENT names the test's process)."""
    return str(os.getppid()) == os.environ.get("LLMEXTRACT_TEST_PARENT")


class SlowStartPipeline(Pipeline):
    """A worker takes half a minute to make it (a slow disk): the run's workers are still starting."""

    def __init__(self, config: Any, **options: Any) -> None:
        if config is None and _in_a_worker():
            threading.Event().wait(30)
        super().__init__(config, **options)


class SlowStartWherePipeline(SlowStartPipeline, WherePipeline):
    """Workers that take half a minute to start, and results that say which process grounded them."""


class NoRestartPipeline(Pipeline):
    """Grounding a0000 waits a moment (the other articles' jobs queue behind it) then ends its process (exit
    status 3); a worker started after the first one fails to start (exit status 1)."""

    def __init__(self, config: Any, **options: Any) -> None:
        if config is None and _in_a_worker():
            try:
                os.close(os.open(os.environ["LLMEXTRACT_TEST_STARTED"], os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                os._exit(1)
        super().__init__(config, **options)

    def _finish(self, article: Article, index: Any, result: ExtractionResult) -> ExtractionResult:
        if article.id == "a0000" and _in_a_worker():
            threading.Event().wait(0.5)
            os._exit(3)
        return super()._finish(article, index, result)
