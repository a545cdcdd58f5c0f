"""Old import paths of the flat layout (0.1), kept working for one release with a DeprecationWarning.

``import llmextract.cassettes`` finds :mod:`llmextract.testing.cassettes` and registers it under
the old name too, so both names are one module. The table is the only record of what moved.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from typing import Any

MOVED = {
    "llmextract.evidence": "llmextract.text.index",
    "llmextract.numbers": "llmextract.text.numbers",
    "llmextract.names": "llmextract.text.names",
    "llmextract.dates": "llmextract.text.dates",
    "llmextract.caseless": "llmextract.text.caseless",
    "llmextract.offline": "llmextract.extractors.offline",
    "llmextract.llm": "llmextract.extractors.llm",
    "llmextract.prompts": "llmextract.extractors.prompts",
    "llmextract.cache": "llmextract.batch.cache",
    "llmextract.cassettes": "llmextract.testing.cassettes",
    "llmextract.scripted": "llmextract.testing.scripted",
}


class _Loader(importlib.abc.Loader):
    def __init__(self, new: str) -> None:
        self._new = new
        self._spec: Any = None

    def create_module(self, spec: Any) -> Any:
        warnings.warn(f"{spec.name} moved to {self._new}; the old path goes in the next release",
                      DeprecationWarning, stacklevel=2)
        module = importlib.import_module(self._new)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: Any) -> None:
        """The new module has run already; importlib stamped the old name's spec on it: put its own back."""
        module.__spec__ = self._spec


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Loader(new))


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
