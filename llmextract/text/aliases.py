"""One name for a party or place that the text calls many ways: the alias table.

``canonical_alias(name)`` maps a party's many names to one (SANA, "Syria's official news
agency" -> "Syrian Arab News Agency"); the table is ``data/aliases.json``, and the curated
places of ``data/places.json`` (provinces and villages the city table lacks) join it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from llmextract.text.folding import _APOSTROPHES, _DASHES, fold

log = logging.getLogger(__name__)

__all__ = ["canonical_alias"]


# --------------------------------------------------------------------------------------------
# Alias table
# --------------------------------------------------------------------------------------------


def _data_bytes(name: str) -> bytes:
    return resources.files("llmextract").joinpath("data", name).read_bytes()


@lru_cache(maxsize=65536)  # asked for every capitalised segment of every text
def _alias_key(name: str) -> str:
    key = fold(name)
    if key.startswith("the "):
        key = key[4:]
    return key


def _acronym(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _case_sensitive(alias: str) -> bool:
    """Acronym tokens (SANA, IS, TV) and single capitalised words (Reuters, Amaq) keep their case;
    an alias with one of them matches only when written that way (see :func:`_case_ok`)."""
    tokens = [t for t in re.split(r"[ -]", alias) if t]
    return any(_acronym(t) for t in tokens) or (len(tokens) == 1 and any(c.isupper() for c in alias))


@dataclass(frozen=True, slots=True)
class _AliasTable:
    ci: dict[str, str]  # folded key -> canonical, aliases without case-sensitive parts
    cs: dict[str, str]  # folded key -> canonical, aliases with case-sensitive parts
    kinds: dict[str, str]  # canonical -> kind
    cs_forms: dict[str, list[str]]  # folded key -> the case-sensitive aliases written that way
    search: re.Pattern[str]  # every alias lowercased, bounded by non-word characters, run on lowered text


def _trie_regex(phrases: Iterable[str]) -> str:
    """One regex alternative that matches any of ``phrases`` (literally, longest first), with
    flexible separators: a space is any run of whitespace, a hyphen a dash or whitespace, an
    apostrophe any apostrophe."""
    trie: dict[str, Any] = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = True

    def piece(ch: str) -> str:
        if ch == " ":
            return r"[\s\u00a0]+"
        if ch == "-":
            return r"(?:[\s\u00a0]*[-‐‑–—][\s\u00a0]*|[\s\u00a0]+)"
        if ch == "'":
            return "['’‘ʼ`]"
        return re.escape(ch)

    def emit(node: dict[str, Any]) -> str:
        branches = [piece(ch) + emit(node[ch]) for ch in sorted(node) if ch]
        if not branches:
            return ""
        alt = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return "(?:" + alt + ")?"  # greedy: the longer alias is tried first
        return alt

    return emit(trie)


_ALIAS_MARKS = str.maketrans({**dict.fromkeys(_APOSTROPHES, "'"), **dict.fromkeys(_DASHES, "-")})


def _normalise_alias(alias: str) -> str:
    """Whitespace runs to one space, every apostrophe to ', every dash to -, " - " to "-"."""
    return " ".join(alias.split()).translate(_ALIAS_MARKS).replace(" - ", "-")


@lru_cache(maxsize=1)
def _aliases() -> _AliasTable:
    raw = json.loads(_data_bytes("aliases.json"))
    ci: dict[str, str] = {}
    cs: dict[str, str] = {}
    kinds: dict[str, str] = {}
    cs_forms: dict[str, list[str]] = {}
    phrases: dict[str, None] = {}
    for canonical, spec in raw.items():
        if canonical.startswith("_"):
            continue
        kinds[canonical] = spec["kind"]
        for alias in [canonical, *spec["aliases"]]:
            norm = _normalise_alias(alias)
            key = _alias_key(norm)
            if not key:
                continue
            phrases[norm.lower()] = None
            target = ci
            if _case_sensitive(norm):
                target = cs
                cs_forms.setdefault(key, []).append(norm)
            previous = target.setdefault(key, canonical)
            if previous != canonical:
                log.debug("alias %r names both %r and %r; keeping the first", alias, previous, canonical)
    # Searching lowercased text with plain literals is twice as fast as case classes; the case
    # rules of an alias are checked on the original text afterwards (:func:`_case_ok`).
    trie = _trie_regex(phrases)
    search = re.compile(r"(?<![\w'’‘ʼ`-])(?:" + trie + r")(?!\w|['’](?!s\b)\w)")  # "Daesh's" is Daesh
    return _AliasTable(ci, cs, kinds, cs_forms, search)


_TOKEN_SPLIT = re.compile(r"[\s\u00a0-]+")


@cache  # called with the alias table's case-sensitive forms only
def _case_rules(alias: str) -> tuple[tuple[str, bool], ...]:
    """The tokens of a case-sensitive alias as (token, exact): exact tokens (acronyms, a single
    capitalised word) as written, the others lowercased."""
    want = _TOKEN_SPLIT.split(alias)
    single = len(want) == 1
    rules = []
    for w in want:
        exact = _acronym(w) or (single and any(c.isupper() for c in w))
        rules.append((w if exact else w.lower(), exact))
    return tuple(rules)


def _case_ok(written: str, alias: str) -> bool:
    """Does ``written`` keep the case rules of the case-sensitive ``alias``? Acronym tokens
    ("SANA", "US" in "US-led coalition") and single capitalised words ("Reuters") must match
    exactly; the other tokens in any case."""
    got = _TOKEN_SPLIT.split(_normalise_alias(written).strip())
    rules = _case_rules(alias)
    if len(got) != len(rules):
        return False
    for g, (w, exact) in zip(got, rules, strict=True):
        if (g if exact else g.lower()) != w:
            return False
    return True


def _cs_alias(table: _AliasTable, written: str) -> str | None:
    key = _alias_key(written)
    if key in table.cs and any(_case_ok(written, form) for form in table.cs_forms[key]):
        return table.cs[key]
    return None


def canonical_alias(name: str) -> str | None:
    """The canonical name of the party ``name`` names, from the alias table, else from the curated places.

    >>> canonical_alias("Syria's official news agency")
    'Syrian Arab News Agency'
    """
    table = _aliases()
    norm = _normalise_alias(name.strip())
    if not norm:
        return None
    bare = norm[4:] if norm[:4].lower() == "the " else norm
    for form in (norm, bare):
        found = table.ci.get(_alias_key(form)) or _cs_alias(table, form)
        if found is not None:
            return found
    key = _alias_key(norm)
    if " " in key and key in table.cs:  # "us-led coalition": in a phrase, an acronym's case hardly matters
        return table.cs[key]
    # An acronym written in another case ("Sana" for SANA), but never a plain lowercase word ("is").
    if len(bare) >= 3 and not bare.islower():
        found = _cs_alias(table, bare.upper())
        if found is not None:
            return found
    return _curated_place_names().get(key)


@lru_cache(maxsize=1)
def _places_data() -> dict[str, Any]:
    return json.loads(_data_bytes("places.json"))


@lru_cache(maxsize=1)
def _curated_place_names() -> dict[str, str]:
    out: dict[str, str] = {}
    for place in _places_data()["places"]:
        for alias in [place["name"], *place["aliases"]]:
            out.setdefault(_alias_key(alias), place["name"])
    return out
