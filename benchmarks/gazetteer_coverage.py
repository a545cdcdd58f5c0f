"""How many WAD place names the gazetteer index knows, in the row's own country (training folds only).

    python benchmarks/gazetteer_coverage.py [--data ../shared/data/wad_dev.jsonl]

For each WAD development row of the training folds (0, 1, 3, 4; fold 2 is held out and never
read, see ``benchmarks/wad.py``) that codes a ``locality`` (or a ``region``), is that string, as
WAD writes it, a name of a place (or of a first-level division) of the row's country?

* *index, every name*: among every name of ``llmextract/data/gazetteer.bin`` (what the place
  resolver searches: ``Gazetteer.ids(name, wide=True)``, folded, a generic word such as
  "province" dropped);
* *look-up names*: among the names ``Gazetteer.lookup`` sees (curated, countries and GeoNames
  ``cities5000``, the table the gazetteer searched before the index: what finding names in text
  uses);
* *resolves*: ``resolve_place`` resolves it in that country at the place level (a locality) or
  to a division (a region), which also reads "near X", "X Governate", near-miss division names.

The locality strings are taken as WAD writes them ("near Marikana", "multiple locations" count as
not found). WAD writes ISO 3166-1 alpha-3 codes (and "ELS" for El Salvador), mapped to alpha-2
through the gazetteer's country table. Writes ``benchmarks/results/gazetteer_coverage.json``;
prints only aggregates.
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

from llmextract.text.gazetteer import get_gazetteer, resolve_place  # noqa: E402

WAD_CODES = {"ELS": "SV"}  # WAD's code for El Salvador (ISO: SLV)
VILLAGES = [("Baghouz", "SY"), ("al-Shaafah", "SY"), ("Albu Badran", "SY")]  # issue 13's test


def share(hits: int, n: int) -> float | None:
    return round(hits / n, 4) if n else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "wad_dev.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "gazetteer_coverage.json"))
    args = ap.parse_args()

    lines = Path(args.data).read_text(encoding="utf-8").splitlines()
    rows = [r for r in (json.loads(x) for x in lines if x.strip()) if fold_of(r["id"]) != HELD_OUT]
    t0 = time.perf_counter()
    gaz = get_gazetteer()
    gaz.lookup("Hajin")
    open_s = time.perf_counter() - t0
    iso2 = {row[1]: row[0] for row in gaz.meta["countries"] if row[1]} | WAD_CODES

    def known(name: str, cc: str, *, wide: bool, division: bool) -> bool:
        return any(e.country_code == cc and (not division or e.kind == "province")
                   for e in (gaz.entry(i) for i in gaz.ids(name, wide=wide)))

    counts: dict[str, dict[str, int]] = {"locality": defaultdict(int), "region": defaultdict(int)}
    unmapped = 0
    for r in rows:
        cc = iso2.get(r["country"])
        unmapped += cc is None
        for field, division in (("locality", False), ("region", True)):
            value = (r.get(field) or "").strip()
            if not value:
                continue
            c = counts[field]
            c["rows"] += 1
            if cc is None:
                continue
            c["index_every_name"] += known(value, cc, wide=True, division=division)
            c["lookup_names"] += known(value, cc, wide=False, division=division)
            if division:
                got = resolve_place(value, country=cc, prefer="province")
                c["resolves"] += got.level == "province" and got.admin1_code is not None
            else:
                got = resolve_place(value, province=(r.get("region") or "").strip() or None, country=cc)
                c["resolves"] += got.level == "place"

    def summary(c: dict[str, int]) -> dict[str, Any]:
        n = c["rows"]
        return {"rows": n, **{k: {"found": c[k], "share": share(c[k], n)}
                              for k in ("index_every_name", "lookup_names", "resolves")}}

    loc, reg = summary(counts["locality"]), summary(counts["region"])
    villages = []
    for name, cc in VILLAGES:
        got = resolve_place(name, country=cc)
        villages.append({"name": name, "country": cc, "index": known(name, cc, wide=True, division=False),
                         "resolves_to": {"admin1": got.admin1, "precision": got.precision}})
    print(f"{'training folds 0,1,3,4':40s} {'locality':>10s} {'region':>10s}")
    for label, key in (("index, every name (resolver)", "index_every_name"),
                       ("look-up names (finding names in text)", "lookup_names"),
                       ("resolve_place resolves it", "resolves")):
        print(f"{label:40s} {loc[key]['share'] or 0:>10.3f} {reg[key]['share'] or 0:>10.3f}")
    print(f"{'rows with a value':40s} {loc['rows']:>10d} {reg['rows']:>10d}")
    for v in villages:
        print(f"village test {v['name']!r} ({v['country']}): in the index={v['index']} -> {v['resolves_to']}")

    index = Path(gaz.source)
    out = {
        "benchmark": "gazetteer_coverage",
        "command": "python benchmarks/gazetteer_coverage.py",
        "data": Path(args.data).name,
        "rows_read": "training folds 0,1,3,4 only (fold 2 held out)",
        "training_rows": len(rows),
        "rows_with_unmapped_country": unmapped,
        "index": {"file": "llmextract/data/gazetteer.bin", "bytes": index.stat().st_size if index.is_file() else None,
                  "entries": len(gaz), "names": gaz.meta["keys"], "open_and_first_lookup_seconds": round(open_s, 4)},
        "locality": loc,
        "region_admin1": reg,
        "village_test": villages,
        "note": "a value counts only when it names a place (a division, for a region) of the row's own country",
        "python": platform.python_version(), "machine": platform.machine(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
