"""How each field is checked: markers read off pydantic fields, and the key rules for plain dicts.

A pydantic model says how a field is checked with a marker of :mod:`llmextract.markers` in its
``Annotated`` metadata (found inside unions and list items too): ``Grounded()`` numbers,
``Name(kind=...)`` names, ``Quote()`` quotes, ``Skip()`` never checked. Unmarked numbers are
grounded; unmarked strings are not checked.

**Plain dicts and lists** carry no annotations, so their keys say it: every number is grounded
(except under keys such as ``start``, ``end``, ``id``, ``score``), strings under place keys
(``place``, ``village``, ``city``, ``province``, ``country``, ``location``, ...) are place
names, under party keys (``claimant``, ``source``, ``perpetrator``, ``outlet``, ``agency``, ...)
organisation names, under ``name`` any name, and strings under ``quote``, ``evidence``,
``text``, ``phrase`` (or ending in ``_quote``/``_phrase``) are quotes.

Also here: what kind of node a value is: a *count* (:class:`~llmextract.schema.Count`, or a dict
with a ``phrase`` and ``low``/``high``: its numbers are grounded by counts only, not years or
measures) and a node whose quote states its own figures (its quote is a *figure phrase*).
"""

from __future__ import annotations

import typing
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from llmextract.markers import Grounded, Marker, Name, Quote, Skip
from llmextract.schema import Count

_MARKERS = (Grounded, Name, Quote, Skip)
GROUNDED = Grounded()  # the marker of an unmarked number
_QUOTE = Quote()
_SKIP = Skip()

# Plain dicts: how a key says what its value is.
_PLACE_KEYS = frozenset({"place", "places", "location", "locations", "village", "city", "town", "province",
                         "country", "district", "region", "locality", "governorate", "settlement", "admin1",
                         "admin2", "admin3", "where"})
_ORG_KEYS = frozenset({"claimant", "source", "sources", "perpetrator", "perpetrators", "relay", "relays", "outlet",
                       "actor", "actor1", "actor2", "organization", "organisation", "org", "agency", "group"})
_PERSON_KEYS = frozenset({"person", "victim_name", "spokesperson", "spokesman"})
_ANY_NAME_KEYS = frozenset({"name", "names", "entity", "entities"})
_QUOTE_KEYS = frozenset({"quote", "quotes", "evidence", "text", "phrase", "excerpt", "snippet", "span_text",
                         "source_text", "verbatim"})
_SKIP_KEYS = frozenset({"start", "end", "offset", "char_start", "char_end", "start_char", "end_char", "begin",
                        "id", "index", "idx", "score", "confidence", "probability", "prob", "attempts",
                        "version", "page", "line", "latency_s", "tokens", "prompt_tokens", "completion_tokens",
                        "total_tokens", "rank", "position"})


def _marker_in(tp: Any) -> Marker | None:
    """The first marker anywhere inside a type annotation (Annotated, unions, list items)."""
    if typing.get_origin(tp) is typing.Annotated:
        for meta in tp.__metadata__:
            if isinstance(meta, _MARKERS):
                return meta
        return _marker_in(typing.get_args(tp)[0])
    for arg in typing.get_args(tp):
        found = _marker_in(arg)
        if found is not None:
            return found
    return None


@lru_cache(maxsize=512)
def _model_fields(cls: type[BaseModel]) -> tuple[tuple[str, Marker | None], ...]:
    """(field name, marker) of a model class, in field order."""
    out: list[tuple[str, Marker | None]] = []
    for name, info in cls.model_fields.items():
        marker = next((m for m in info.metadata if isinstance(m, _MARKERS)), None)
        if marker is None:
            marker = _marker_in(info.annotation)
        out.append((name, marker))
    return tuple(out)


def key_marker(key: str) -> Marker | None:
    """The marker a plain dict's key implies (see the module docstring), or None."""
    k = key.lower()
    last = k.rsplit("_", 1)[-1]
    if k in _SKIP_KEYS:
        return _SKIP
    if k in _QUOTE_KEYS or last in ("quote", "phrase", "evidence", "excerpt"):
        return _QUOTE
    if k in _PLACE_KEYS or last in ("place", "village", "city", "town", "province", "country", "location"):
        return Name(kind="place")
    if k in _ORG_KEYS or last in ("claimant", "perpetrator", "source", "outlet", "agency"):
        return Name(kind="org")
    if k in _PERSON_KEYS:
        return Name(kind="person")
    if k in _ANY_NAME_KEYS or last == "name":
        return Name()
    return None


def children(obj: Any) -> list[tuple[str, Any, Marker | None]]:
    """(path piece, value, marker) of a model's fields or a dict's items."""
    if isinstance(obj, BaseModel):
        return [(name, getattr(obj, name, None), marker) for name, marker in _model_fields(type(obj))]
    if isinstance(obj, dict):
        return [(str(k), v, key_marker(str(k))) for k, v in obj.items()]
    return []


class Children:
    """:func:`children` of each node, read once per grounding run (the walk and the scopes both ask)."""

    def __init__(self) -> None:
        self._of: dict[int, list[tuple[str, Any, Marker | None]]] = {}

    def __call__(self, obj: Any) -> list[tuple[str, Any, Marker | None]]:
        got = self._of.get(id(obj))  # the extraction is alive for the whole run: ids are not reused
        if got is None:
            got = self._of[id(obj)] = children(obj)
        return got


def child_names(obj: Any) -> Any:
    """The field names of a model (cached per class) or the keys of a dict."""
    if isinstance(obj, BaseModel):
        return _field_names(type(obj))
    return obj.keys() if isinstance(obj, dict) else ()


@lru_cache(maxsize=512)
def _field_names(cls: type[BaseModel]) -> frozenset[str]:
    return frozenset(cls.model_fields)


def join(path: str, piece: str) -> str:
    """A child's path: ``claims[0]`` + ``killed`` -> ``claims[0].killed``."""
    return f"{path}.{piece}" if path else piece


def is_count(obj: Any) -> bool:
    """A count: its numbers are grounded by mentions that count (not a year, a date or a measure)."""
    return isinstance(obj, Count) or (isinstance(obj, dict) and "phrase" in obj and ("low" in obj or "high" in obj))


@lru_cache(maxsize=512)
def _states_figures_model(cls: type[BaseModel]) -> bool:
    return issubclass(cls, Count) or any(isinstance(m, Grounded) for _n, m in _model_fields(cls))


def states_figures(obj: Any) -> bool:
    """A node whose quote states its own figures (a Count and its phrase): its quotes are figure phrases."""
    if isinstance(obj, BaseModel):
        return _states_figures_model(type(obj))
    if isinstance(obj, dict):
        return "low" in obj or "high" in obj or any(
            isinstance(v, int | float) and not isinstance(v, bool) and not isinstance(key_marker(str(k)), Skip)
            for k, v in obj.items())
    return False
