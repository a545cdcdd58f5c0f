"""What a user chooses among, spelled once: structured-output profiles, grounding policies, and the
article deadline's default.

Kept free of imports so that the command line can offer them without loading the library.
"""

from __future__ import annotations

#: Structured-output profiles, "auto" first (detect from the server's /models);
#: :mod:`llmextract.extractors.profiles` says what each one sends.
PROFILES: tuple[str, ...] = ("auto", "openai", "vllm", "ollama", "llamacpp", "json")

#: Grounding policies: ``strict`` re-asks and drops what fails, ``flag`` keeps and flags, ``off`` skips grounding.
POLICIES: tuple[str, ...] = ("strict", "flag", "off")

#: Seconds one article may take in all (every request, retry, back-off and re-ask); 0 turns it off.
#: Room for a 135M-parameter model on 2 CPU cores.
DEFAULT_ARTICLE_TIMEOUT = 600.0

__all__ = ["DEFAULT_ARTICLE_TIMEOUT", "POLICIES", "PROFILES"]
