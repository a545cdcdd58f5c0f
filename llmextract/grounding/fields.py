"""How each field is checked: markers read off pydantic fields, and the key rules for everything else.

A pydantic model says how a field is checked with a marker of :mod:`llmextract.markers` in its
``Annotated`` metadata (found inside unions and list items too): ``Grounded()`` numbers,
``Name(kind=...)`` names, ``Quote()`` quotes, ``Date()`` dates, ``Skip()`` never checked.

**Key rules.** A field without a marker (in a dict, a list of dicts, or a user's own pydantic
model) is read by its name, split into words (``children_killed``, ``deathToll``, ``death
toll``):

* numbers: killed / dead / deaths / death toll / fatalities / victims -> a count of the killed;
  injured / wounded -> the injured; casualties -> casualties (killed and injured together: it
  grounds neither alone); children / women / men -> breakdowns; civilians / people -> any count of
  people. A role is inherited down the tree (``killed.low``), and a group joins its event
  (``victims.children``);
* names: claimant / source / reporter / spokesperson -> the claimant; relays -> a relay; agency
  -> a source; outlet / publisher / newspaper -> the outlet (grounded anywhere); perpetrator /
  actor / attacker -> the perpetrator; place / location / town / city / village / locality ->
  the place; province / governorate / region / district / admin1 -> the province; country ->
  the country; organisation / group / name / entity -> any name; person / spokesman -> a person;
* quotes: quote / evidence / excerpt / snippet / text / verbatim (and ``*_quote``...) -> evidence;
  ``phrase`` -> a count's figure phrase, a date's phrase, or the place's name under a place;
* dates: date / event_date / ``*_date`` / ``date_*`` / when -> the date check;
* skipped: offsets and identifiers (start, end, id, index, score, confidence...) and the enums
  of the built-in schema (kind, qualifier, precision, toll_may_rise).

A marker overrides the rules, and a marker's ``role`` overrides the role the name gives. A
number under a key no rule covers is grounded by any mention of the text, and its finding says
its role was not checked. A string that no rule or marker covers is ``unchecked``.

Also here: what kind of node a value is: a *count* (:class:`~llmextract.schema.Count`, or a dict
with a ``phrase`` and ``low``/``high``: its numbers are grounded by mentions that count people,
not years or measures) and a *claim* (:class:`~llmextract.schema.Claim`, or a node holding an
evidence quote or a count with a role: its names and dates are checked in its own sentences).
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from llmextract.markers import Date, Grounded, Marker, Name, Quote, Skip
from llmextract.schema import Claim, Count

_MARKERS = (Grounded, Name, Quote, Date, Skip)
GROUNDED = Grounded()  # the marker of an unmarked number
_SKIP = Skip()
_DATE = Date()

#: Name roles grounded only in their claim's own sentences.
SCOPED_NAMES = frozenset({"claimant", "relay", "source", "perpetrator", "place", "province", "country"})
#: Number roles that need a mention counting people.
PEOPLE_ROLES = frozenset({"killed", "injured", "casualties", "children", "women", "men", "people"})

_KILLED = frozenset({"killed", "dead", "deaths", "death", "fatalities", "fatality", "died", "toll", "victims",
                     "killings", "slain", "deathtoll"})
_INJURED = frozenset({"injured", "wounded", "injuries", "injury", "hurt", "wounds", "wound"})
_CASUALTIES = frozenset({"casualties", "casualty"})
_GROUPS = {"children": "children", "child": "children", "minors": "children", "kids": "children",
           "women": "women", "woman": "women", "females": "women", "men": "men", "man": "men", "males": "men",
           "civilians": "people", "civilian": "people", "people": "people", "persons": "people"}
_NAME_ROLES = {
    "claimant": "claimant", "claimants": "claimant", "source": "claimant", "sources": "claimant",
    "reporter": "claimant", "spokesperson": "claimant", "informant": "claimant", "attributed": "claimant",
    "relay": "relay", "relays": "relay", "agency": "source", "agencies": "source",
    "outlet": "outlet", "outlets": "outlet", "publisher": "outlet", "publication": "outlet", "newspaper": "outlet",
    "perpetrator": "perpetrator", "perpetrators": "perpetrator", "actor": "perpetrator", "actor1": "perpetrator",
    "actor2": "perpetrator", "attacker": "perpetrator", "attackers": "perpetrator", "belligerent": "perpetrator",
    "culprit": "perpetrator", "culprits": "perpetrator",
    "place": "place", "places": "place", "location": "place", "locations": "place", "town": "place",
    "city": "place", "village": "place", "locality": "place", "settlement": "place", "where": "place",
    "site": "place",
    "province": "province", "governorate": "province", "region": "province", "district": "province",
    "admin1": "province", "admin2": "province", "admin3": "province", "state": "province", "county": "province",
    "country": "country", "nation": "country",
    "organization": "any", "organisation": "any", "org": "any", "group": "any", "name": "any", "names": "any",
    "entity": "any", "entities": "any",
    "person": "person", "spokesman": "person", "victim_name": "person",
}
_NAME_KINDS = {"claimant": "org", "relay": "org", "source": "org", "outlet": "org", "perpetrator": "org",
               "place": "place", "province": "place", "country": "place", "person": "person", "any": None}
_QUOTE_WORDS = frozenset({"quote", "quotes", "evidence", "excerpt", "excerpts", "snippet", "snippets", "verbatim",
                          "text", "sentence", "passage"})
_SKIP_KEYS = frozenset({"start", "end", "offset", "char_start", "char_end", "start_char", "end_char", "begin",
                        "id", "index", "idx", "score", "confidence", "probability", "prob", "attempts",
                        "version", "page", "line", "latency_s", "tokens", "prompt_tokens", "completion_tokens",
                        "total_tokens", "rank", "position", "kind", "qualifier", "precision", "toll_may_rise",
                        "date_precision", "time_precision", "geo_precision", "where_prec", "date_prec", "url",
                        "article_id", "content_hash", "schema_version", "best", "latitude", "longitude", "lat",
                        "lon", "lng", "uuid", "hash", "sha256", "country_code", "geonames_id", "geonameid", "iso",
                        "iso2", "iso3", "iso_code"})
_DATE_WORDS = frozenset({"date", "when"})
_SPLIT = re.compile(r"[_\-\s.]+|(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True)
class NumberRole:
    """A number's role: the event it counts and the group (None: not said)."""

    event: str | None = None  # killed, injured, casualties
    group: str | None = None  # children, women, men, people
    any: bool = False  # the role is not checked (``Grounded(role="any")``)

    @property
    def people(self) -> bool:
        return not self.any and (self.event is not None or self.group is not None)

    def name(self) -> str:
        if self.group in ("children", "women", "men"):
            return f"{self.group} {self.event or 'counted'}"
        return self.event or ("people" if self.group else "number")

    def join(self, inner: NumberRole | None) -> NumberRole:
        """This role, refined by a key below it (``victims`` + ``children``)."""
        if inner is None:
            return self
        return _joined(self, inner)


@lru_cache(maxsize=256)
def _joined(outer: NumberRole, inner: NumberRole) -> NumberRole:
    if inner.any:
        return inner
    joined = NumberRole(inner.event or outer.event, inner.group or outer.group)
    return outer if joined == outer else joined


def _words(key: str) -> tuple[str, ...]:
    return tuple(w.lower() for w in _SPLIT.split(key) if w)


@lru_cache(maxsize=2048)
def number_role(key: str) -> NumberRole | None:
    """The number role a key names (``children_killed`` -> killed children), or None."""
    words = _words(key)
    if not words:
        return None
    joined = "".join(words)
    event = None
    if any(w in _CASUALTIES for w in words):
        event = "casualties"
    elif any(w in _KILLED for w in words) or joined in ("deathtoll",):
        event = "killed"
    elif any(w in _INJURED for w in words):
        event = "injured"
    group = next((_GROUPS[w] for w in words if w in _GROUPS), None)
    if event is None and group is None:
        return None
    return NumberRole(event, group)


def role_of_marker(role: str | None) -> NumberRole | None:
    """A ``Grounded(role=...)`` as a number role."""
    if role is None:
        return None
    if role == "any":
        return NumberRole(any=True)
    if role in ("killed", "injured", "casualties"):
        return NumberRole(role, None)
    if role in ("children", "women", "men"):
        return NumberRole(None, role)
    return NumberRole(None, "people")


@lru_cache(maxsize=2048)
def key_marker(key: str, parent: str = "") -> Marker | None:
    """The marker a key implies (see the module docstring), or None; ``parent`` is the key of the node
    that holds it (``phrase`` under ``place`` names the place)."""
    k = key.lower()
    words = _words(key)
    if not words:
        return None
    if k in _SKIP_KEYS or (len(words) > 1 and words[-1] in ("id", "start", "end", "offset", "score", "url")):
        return _SKIP
    last = words[-1]
    parent_role = _NAME_ROLES.get(parent.lower()) if parent else None
    if k in ("phrase", "name", "text") and parent_role is not None and parent_role != "any":
        return Name(kind=_NAME_KINDS.get(parent_role), role=parent_role)
    if k == "phrase" and parent and _words(parent)[-1] in _DATE_WORDS:
        return Quote(role="date")
    if k == "phrase" or last == "phrase":
        return Quote()
    if last in _QUOTE_WORDS or k in _QUOTE_WORDS:
        return Quote(role="evidence")
    if last in _DATE_WORDS or words[0] == "date" or k in ("event_date", "published", "start_date", "end_date"):
        return _DATE
    role = _NAME_ROLES.get(k) or _NAME_ROLES.get(last) or (
        _NAME_ROLES.get(words[0]) if words[0] in ("claimant", "perpetrator", "outlet", "place", "country") else None)
    if role is not None:
        return Name(kind=_NAME_KINDS.get(role), role=role)
    return None


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
    """(field name, explicit marker) of a model class, in field order."""
    out: list[tuple[str, Marker | None]] = []
    for name, info in cls.model_fields.items():
        marker = next((m for m in info.metadata if isinstance(m, _MARKERS)), None)
        if marker is None:
            marker = _marker_in(info.annotation)
        out.append((name, marker))
    return tuple(out)


def resolve(marker: Marker | None, key: str, parent: str) -> Marker | None:
    """The marker that decides a field: its own, with the role its name gives filled in; else the key rule's."""
    if marker is None:
        return key_marker(key, parent)
    rule = key_marker(key, parent)
    if isinstance(marker, Name) and marker.role is None and isinstance(rule, Name) and rule.role is not None:
        return replace(marker, role=rule.role)
    if isinstance(marker, Quote) and marker.role is None and isinstance(rule, Quote) and rule.role is not None:
        return replace(marker, role=rule.role)
    return marker


@lru_cache(maxsize=1024)
def _model_markers(cls: type[BaseModel], parent: str) -> tuple[tuple[str, Marker | None], ...]:
    """(field name, the marker that decides it) of a model class held under the key ``parent``."""
    return tuple((name, resolve(marker, name, parent)) for name, marker in _model_fields(cls))


@lru_cache(maxsize=1024)
def _checked_markers(cls: type[BaseModel], parent: str) -> tuple[tuple[str, Marker | None], ...]:
    """:func:`_model_markers` less the fields marked ``Skip()``."""
    return tuple((name, marker) for name, marker in _model_markers(cls, parent) if not isinstance(marker, Skip))


def _models_in(tp: Any) -> tuple[type[BaseModel], ...] | None:
    """The pydantic models a type annotation can hold; None when it can hold anything (a dict, Any)."""
    if isinstance(tp, type):
        if issubclass(tp, BaseModel):
            return (tp,)
        if issubclass(tp, dict):
            return None
        return ()
    if tp is Any or isinstance(tp, typing.TypeVar):
        return None
    out: list[type[BaseModel]] = []
    args = typing.get_args(tp)
    if typing.get_origin(tp) is typing.Annotated:
        args = args[:1]
    for arg in args:
        got = _models_in(arg)
        if got is None:
            return None
        out.extend(got)
    if not args and typing.get_origin(tp) in (dict, typing.Union) or tp is dict:
        return None
    return tuple(out)


@lru_cache(maxsize=512)
def quote_fields(cls: type[BaseModel], parent: str = "") -> frozenset[str]:
    """The fields of a model (held under ``parent``) that can hold a quote or a place name, at any depth:
    a scope root's quotes and places are collected from these only (an Attribution holds neither)."""
    out: set[str] = set()
    for name, marker in _model_markers(cls, parent):
        if isinstance(marker, Skip):
            continue
        if isinstance(marker, Quote | Date) or (isinstance(marker, Name) and marker.role == "place"):
            out.add(name)
            continue
        if marker is not None:
            continue
        models = _models_in(cls.model_fields[name].annotation)
        if models is None or any(quote_fields(m, name) for m in models if m is not cls):
            out.add(name)
    return frozenset(out)


#: What a value is to the walk: a node (a pydantic model or a dict, with children), a sequence (a list or a
#: tuple) or a leaf (anything else: a string, a number, a date...).
NODE, SEQUENCE, LEAF = "node", "sequence", "leaf"


class _ShapeOf(dict[type, str]):
    def __missing__(self, cls: type) -> str:
        got = NODE if issubclass(cls, BaseModel | dict) else SEQUENCE if issubclass(cls, list | tuple) else LEAF
        if len(self) < 1024:  # classes made on the fly are not kept without bound
            self[cls] = got
        return got


#: ``SHAPE_OF[value.__class__]``: :data:`NODE`, :data:`SEQUENCE` or :data:`LEAF`, decided when a class is first
#: met, as the walk meets every value of an extraction (``isinstance`` against a pydantic model is a costly
#: test to repeat).
SHAPE_OF = _ShapeOf()


@lru_cache(maxsize=512)
def quote_holders(cls: type[BaseModel], parent: str = "") -> tuple[tuple[str, Marker | None], ...]:
    """(field name, marker) of the fields of a model (held under ``parent``) that a scope root's quotes and
    places are collected from, in field order: those that can hold one (:func:`quote_fields`) and those
    marked ``Quote()`` or ``Name()``."""
    wanted = quote_fields(cls, parent)
    return tuple((name, marker) for name, marker in _model_markers(cls, parent)
                 if name in wanted or isinstance(marker, Quote | Name))


def children(obj: Any, parent: str = "") -> list[tuple[str, Any, Marker | None]]:
    """(path piece, value, marker) of a model's fields or a dict's items; ``parent`` is the node's own key."""
    if isinstance(obj, BaseModel):
        return [(name, getattr(obj, name, None), marker) for name, marker in _model_markers(type(obj), parent)]
    if isinstance(obj, dict):
        return [(str(k), v, key_marker(str(k), parent)) for k, v in obj.items()]
    return []


class Children:
    """:func:`children` of each node, read once per grounding run (the walk and the scopes both ask)."""

    def __init__(self, extras: dict[str, dict[str, Any]] | None = None) -> None:
        self._of: dict[tuple[int, str, str | None], list[tuple[str, Any, Marker | None]]] = {}
        self._checked: dict[tuple[int, str, str | None], list[tuple[str, Any, Marker | None]]] = {}
        self.extras = extras or {}

    def __call__(self, obj: Any, parent: str = "", path: str | None = None) -> list[tuple[str, Any, Marker | None]]:
        """The children of ``obj`` held under the key ``parent`` (a key rule may read it), with the keys
        its model does not know (kept by ``path``)."""
        extra = self.extras.get(path) if path is not None and self.extras else None
        key = (id(obj), parent, path if extra else None)  # the extraction is alive for the run: ids are not reused
        got = self._of.get(key)
        if got is None:
            got = children(obj, parent)
            if extra:
                got = got + [(str(k), v, key_marker(str(k), parent)) for k, v in extra.items()]
            self._of[key] = got
        return got

    def checked(self, obj: Any, parent: str = "", path: str | None = None) -> list[tuple[str, Any, Marker | None]]:
        """The children that are checked: those with a value and not marked ``Skip()`` (the walk visits
        these only)."""
        key = (id(obj), parent, path if path is not None and path in self.extras else None)
        got = self._checked.get(key)
        if got is None:
            if key[2] is None and isinstance(obj, BaseModel):  # its fields only: the Skip() ones never read
                got = [(name, value, marker) for name, marker in _checked_markers(obj.__class__, parent)
                       if (value := getattr(obj, name, None)) is not None]
            else:
                got = [kid for kid in self(obj, parent, path) if kid[1] is not None and not isinstance(kid[2], Skip)]
            self._checked[key] = got
        return got


def has_date(obj: Any) -> bool:
    """Whether a node has a ``date``: a field of its model (decided once per class), or a key of a dict."""
    if isinstance(obj, BaseModel):
        return _has_date_field(obj.__class__)
    return "date" in obj


@lru_cache(maxsize=512)
def _has_date_field(cls: type[BaseModel]) -> bool:
    return "date" in cls.model_fields


def join(path: str, piece: str) -> str:
    """A child's path: ``claims[0]`` + ``killed`` -> ``claims[0].killed``."""
    return f"{path}.{piece}" if path else piece


def last_key(path: str) -> str:
    """The key a path ends with: ``claims[0].place`` -> ``place``, ``relays[1]`` -> ``relays``."""
    piece = path.rsplit(".", 1)[-1]
    return piece.split("[", 1)[0]


def is_count(obj: Any) -> bool:
    """A count: its numbers are grounded by mentions that count people (not a year, a date or a measure)."""
    return isinstance(obj, Count) or (isinstance(obj, dict) and "phrase" in obj and ("low" in obj or "high" in obj))


def is_claim(obj: Any, kids: list[tuple[str, Any, Marker | None]]) -> bool:
    """A claim: a :class:`~llmextract.schema.Claim`, or a node holding an evidence quote or a count with a role."""
    if isinstance(obj, Claim):
        return True
    if isinstance(obj, Count):
        return False
    for key, value, marker in kids:
        if value is None or isinstance(marker, Skip):
            continue
        if isinstance(marker, Quote) and marker.role == "evidence":
            return True
        role = number_role(key)
        if role is not None and role.event is not None and not isinstance(value, bool) and (
                isinstance(value, int | float | str | BaseModel | dict)):
            return True
    return False


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
