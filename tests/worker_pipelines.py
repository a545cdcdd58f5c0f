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
