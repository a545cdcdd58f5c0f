"""The names a user chooses among, spelled once: structured-output profiles and grounding policies.

Kept free of imports so that the command line can offer them without loading the library.
"""

from __future__ import annotations

#: Structured-output profiles, "auto" first (detect from the server's /models);
#: :mod:`llmextract.extractors.profiles` says what each one sends.
PROFILES: tuple[str, ...] = ("auto", "openai", "vllm", "ollama", "llamacpp", "json")

#: Grounding policies: ``strict`` re-asks and drops what fails, ``flag`` keeps and flags, ``off`` skips grounding.
POLICIES: tuple[str, ...] = ("strict", "flag", "off")

__all__ = ["POLICIES", "PROFILES"]
