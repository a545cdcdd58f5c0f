"""Structured-output profiles: how to ask each kind of server for JSON that fits a schema.

One :class:`Profile` per name in :data:`llmextract.config.PROFILES` ("auto" aside): the instructor
mode it is driven by and the request options it adds (OpenAI's strict ``json_schema``, llama.cpp's
``json_object`` + schema in ``extra_body``); :func:`detect_profile` picks one from a server's
``/models``; :func:`strict_schema` and :func:`bounded_schema` adapt the schema each one is sent.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import instructor


@dataclass(frozen=True)
class Profile:
    """How to ask one kind of server for JSON that fits a schema."""

    name: str
    mode: instructor.Mode

    def request_options(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Extra keyword arguments for ``chat.completions.create`` (sent as they are)."""
        if self.name == "openai":
            return {"extra_body": {"response_format": {
                "type": "json_schema",
                "json_schema": {"name": "ClaimList", "strict": True, "schema": strict_schema(schema)},
            }}}
        if self.name == "llamacpp":
            # instructor sets response_format itself; extra_body wins in the request body.
            return {"extra_body": {"response_format": {"type": "json_object", "schema": bounded_schema(schema)}}}
        return {}


PROFILES: dict[str, Profile] = {
    "openai": Profile("openai", instructor.Mode.JSON_SCHEMA),
    "vllm": Profile("vllm", instructor.Mode.JSON_SCHEMA),
    "ollama": Profile("ollama", instructor.Mode.JSON_SCHEMA),
    # JSON_SCHEMA mode leaves the messages alone (JSON mode would paste ~2,200 tokens of schema into the
    # system prompt, which the grammar already enforces); extra_body then swaps in llama.cpp's format.
    "llamacpp": Profile("llamacpp", instructor.Mode.JSON_SCHEMA),
    "json": Profile("json", instructor.Mode.JSON),
}

# Profiles whose servers enforce the schema sent (so a grounded schema's enums bind the model).
GROUNDED_PROFILES = ("openai", "vllm", "ollama", "llamacpp")

_LLAMACPP_OWNERS = {"me", "llamacpp", "llama.cpp", "llama-cpp"}
_OLLAMA_OWNERS = {"library", "ollama"}


def detect_profile(base_url: str, owners: Sequence[str | None]) -> str:
    """The profile for a server, from its URL and the ``owned_by`` values its ``/models`` lists."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if host == "api.openai.com":
        return "openai"
    seen = {(o or "").strip().lower() for o in owners}
    if "vllm" in seen:
        return "vllm"
    if seen & _LLAMACPP_OWNERS:
        return "llamacpp"
    if seen & _OLLAMA_OWNERS:
        return "ollama"
    try:
        if parts.port == 11434:  # Ollama's port; its owned_by is the model's namespace
            return "ollama"
    except ValueError:
        pass
    return "json"


def _rewritten(schema: dict[str, Any], visit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A deep copy of ``schema`` with ``visit`` applied to every object node, outermost first."""
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            visit(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(out)
    return out


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` fit for OpenAI's strict structured outputs.

    Every object lists all its properties as required and forbids others; defaults are dropped
    (optional fields are already nullable in ClaimList's schema, so the model answers null).
    """

    def strict(node: dict[str, Any]) -> None:
        node.pop("default", None)
        if node.get("type") == "object" and isinstance(node.get("properties"), dict):
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        if "$ref" in node and len(node) > 1:  # strict mode wants a bare $ref
            for key in [k for k in node if k != "$ref"]:
                node.pop(key)

    return _rewritten(schema, strict)


def bounded_schema(schema: dict[str, Any], *, max_items: int = 6, max_length: int = 300) -> dict[str, Any]:
    """A copy of ``schema`` whose arrays and strings have an upper bound.

    A grammar built from it cannot loop forever: small models under greedy decoding tend to
    repeat a list item or a phrase until the token limit (SmolLM2 listed countries as "relays"
    for 1,000 tokens). Bounds already in the schema are kept; dates keep their own format.
    """

    def bound(node: dict[str, Any]) -> None:
        if node.get("type") == "array":
            node.setdefault("maxItems", max_items)
        if node.get("type") == "string" and "format" not in node and "enum" not in node:
            node.setdefault("maxLength", max_length)

    return _rewritten(schema, bound)
