"""What the pytest plugin, the cassettes and the scripted server share, importable without openai or vcrpy.

The plugin is loaded by every pytest run in an environment where llmextract is installed, so it
takes its names from here and imports :mod:`llmextract.testing.cassettes` (openai, vcrpy) only
when a test uses a cassette.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Where replays point the extractor: a reserved name (RFC 2606), so nothing could ever answer it.
PLACEHOLDER_URL = "http://llmx-cassette.invalid/v1"
#: vcrpy's record modes: ``none`` replays only, ``once`` records a cassette that does not exist yet,
#: ``new_episodes`` records what does not match, ``all`` records everything again.
RECORD_MODES: tuple[str, ...] = ("none", "once", "new_episodes", "all")


def message_text(message: Mapping[str, Any]) -> str:
    """The text of a chat message's content: a string, or its content parts' texts joined by newlines."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""
