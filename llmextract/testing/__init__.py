"""Testing code built on llmextract without a model: recorded cassettes and a scripted endpoint.

    from llmextract.testing import PLACEHOLDER_URL, scripted_server, use_cassette
    from llmextract.testing.scripted import http_error

    with use_cassette("cassettes/hajin.yaml"):           # replays; a miss raises CassetteMiss
        result = extract(text, endpoint=PLACEHOLDER_URL)

    with scripted_server(script=[http_error(503)]) as server:   # a 503, then a reply
        result = extract(text, endpoint=server.url)

The pytest plugin (:mod:`llmextract.testing.plugin`, loaded through the ``pytest11`` entry point)
gives the same cassettes to tests as the ``llmx_cassette`` marker and fixtures. The scripted
server's faults and responders (``http_error``, ``rate_limited``, ``stall``, ``per_article``,
``flaky``, ``echo_claims`` ...) are in :mod:`llmextract.testing.scripted`.

The names load on first use: importing this package (as the plugin does in every pytest run)
imports neither openai nor vcrpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from llmextract.testing._common import PLACEHOLDER_URL, RECORD_MODES

if TYPE_CHECKING:
    from llmextract.testing.cassettes import CassetteMiss, CassetteSession, use_cassette
    from llmextract.testing.scripted import ScriptedRequest, ScriptedServer, scripted_server

_WHERE = {
    "CassetteMiss": "cassettes",
    "CassetteSession": "cassettes",
    "use_cassette": "cassettes",
    "ScriptedRequest": "scripted",
    "ScriptedServer": "scripted",
    "scripted_server": "scripted",
}

__all__ = [
    "PLACEHOLDER_URL",
    "RECORD_MODES",
    "CassetteMiss",
    "CassetteSession",
    "ScriptedRequest",
    "ScriptedServer",
    "scripted_server",
    "use_cassette",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
