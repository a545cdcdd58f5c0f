"""Place resolution on WAD dev (training folds only): do the coded place and the extractor's place resolve alike?

    python benchmarks/place_resolution.py [--data ../shared/data/wad_dev.jsonl]

For each WAD development row of the training folds (0, 1, 3, 4; fold 2 is held out and its rows
are never read, see ``benchmarks/wad.py``):

* the coded place: ``resolve_place(locality, province=region, country=<row country>)`` and, for the
  region, ``resolve_place(region, country=<row country>, prefer="province")``;
* the extractor's place: the offline extractor's claims for the text (``extract_offline``: what
  ``llmextract.extract(text)`` returns offline, before grounding, which never changes a place),
  the first claim that has a place,
  resolved with ``resolve_place(place.phrase, province=place.province, country=place.country,
  countries=<the countries the text names>, prefer=...)``, as the pipeline would: the text's
  countries are ``Gazetteer.countries_in`` its place mentions (a country, a division found in one
  country only, a city of 100,000 people or more), and ``prefer="province"`` when the
  extractor's phrase is a province the text names as one ("the province of X", "X state"), which
  the extractor knows when it takes a province for the place.

Reported, as shares of the rows that code a locality (or a region):

* *locality, same GeoNames place*: both resolve to a place (precision 1-3) with one GeoNames id;
* *region, same admin1*: the coded region resolves to a first-level division and the extractor's
  place resolves (at precision 4 or finer) into the same one (the canonical admin1 key);
* how often each side resolves at all, and at which precision the extractor's places resolve.

WAD writes ISO 3166-1 alpha-3 codes (and "ELS" for El Salvador), mapped to alpha-2 through the
gazetteer's country table. ``--wide-lookup`` lets finding names in text see every name of the
extract (tier 2 as well), to measure that option; the default is what ships. Writes
``benchmarks/results/place_resolution.json``; prints one table.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from wad import HELD_OUT, fold_of  # noqa: E402

from llmextract.extractors.offline import extract_offline  # noqa: E402
from llmextract.schema import Article  # noqa: E402
from llmextract.text import gazetteer as gz  # noqa: E402
from llmextract.text.gazetteer import ResolvedPlace, get_gazetteer, resolve_place  # noqa: E402
from llmextract.text.index import EvidenceIndex  # noqa: E402

WAD_CODES = {"ELS": "SV"}  # WAD's code for El Salvador (ISO: SLV)


def iso2_table() -> dict[str, str]:
    table = {row[1]: row[0] for row in get_gazetteer().meta["countries"] if row[1]}
    return {**table, **WAD_CODES}


def text_countries(text: str) -> frozenset[str]:
    return get_gazetteer().countries_in(n.text for n in EvidenceIndex.build(text).names if n.kind == "place")


def named_as_province(text: str, phrase: str) -> bool:
    p = re.escape(phrase)
    return re.search(rf"\b(?:province|governorate|state|region)\s+of\s+(?:the\s+)?{p}\b|"
                     rf"\b{p}\s+(?:province|governorate|state)\b", text, re.I) is not None


def extractor_place(text: str) -> tuple[Any, ResolvedPlace]:
    result = extract_offline(Article(text=text))
    place = next((c.place for c in result.claims if c.place is not None), None)
    if place is None:
        return None, ResolvedPlace()
    prefer = "province" if place.province is None and named_as_province(text, place.phrase) else None
    return place, resolve_place(place.phrase, province=place.province, country=place.country,
                                countries=text_countries(text), prefer=prefer)


def share(k: int, n: int) -> float | None:
    return round(k / n, 4) if n else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "wad_dev.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "place_resolution.json"))
    ap.add_argument("--wide-lookup", action="store_true",
                    help="finding names in text sees every name of the extract (an option measured, not shipped)")
    args = ap.parse_args()
    if args.wide_lookup:
        get_gazetteer()._lookup_tier = gz._WIDE_TIER
    lines = Path(args.data).read_text(encoding="utf-8").splitlines()
    rows = [r for r in (json.loads(x) for x in lines if x.strip()) if fold_of(r["id"]) != HELD_OUT]
    iso2 = iso2_table()
    t0 = time.perf_counter()
    c: dict[str, Counter[str]] = defaultdict(Counter)
    precisions: Counter[str] = Counter()
    per_fold: dict[int, Counter[str]] = defaultdict(Counter)
    for r in rows:
        cc = iso2.get(r["country"])
        place, got = extractor_place(r["text"])
        precisions[str(got.precision)] += 1
        locality, region = (r.get("locality") or "").strip(), (r.get("region") or "").strip()
        f = per_fold[fold_of(r["id"])]
        if locality:
            loc = c["locality"]
            loc["rows"] += 1
            f["loc_rows"] += 1
            gold = resolve_place(locality, province=region or None, country=cc)
            gold_place = gold.level == "place" and gold.geonames_id is not None
            mine_place = got.level == "place" and got.geonames_id is not None
            loc["coded_resolves_to_a_place"] += gold_place
            loc["extractor_has_a_place"] += place is not None
            loc["extractor_resolves_to_a_place"] += mine_place
            loc["both_resolve_to_a_place"] += gold_place and mine_place
            same = gold_place and mine_place and gold.geonames_id == got.geonames_id
            loc["same_geonames_place"] += same
            f["loc_same"] += same
        if region:
            reg = c["region"]
            reg["rows"] += 1
            f["reg_rows"] += 1
            gold = resolve_place(region, country=cc, prefer="province")
            gold_a1 = gold.precision is not None and gold.precision <= 4 and gold.admin1_code is not None
            mine_a1 = got.precision is not None and got.precision <= 4 and got.admin1_code is not None
            reg["coded_resolves_to_an_admin1"] += gold_a1
            reg["extractor_resolves_to_an_admin1"] += mine_a1
            reg["both_resolve_to_an_admin1"] += gold_a1 and mine_a1
            same = gold_a1 and mine_a1 and gold.admin1_code == got.admin1_code
            reg["same_admin1"] += same
            f["reg_same"] += same
    seconds = time.perf_counter() - t0

    def summary(counts: Counter[str]) -> dict[str, Any]:
        n = counts["rows"]
        both = counts.get("both_resolve_to_a_place", counts.get("both_resolve_to_an_admin1", 0))
        same = counts.get("same_geonames_place", counts.get("same_admin1", 0))
        return {"rows": n, **{k: {"rows": v, "share": share(v, n)} for k, v in counts.items() if k != "rows"},
                "same_when_both_resolve": share(same, both)}

    loc, reg = summary(c["locality"]), summary(c["region"])
    folds = {str(k): {"locality_same": share(v["loc_same"], v["loc_rows"]),
                      "region_same": share(v["reg_same"], v["reg_rows"])} for k, v in sorted(per_fold.items())}
    print(f"{'WAD dev, training folds 0,1,3,4':44s} {'rows':>6s} {'share':>7s}")
    for label, block, key in (
            ("locality: coded place resolves to a place", loc, "coded_resolves_to_a_place"),
            ("locality: extractor's place resolves to one", loc, "extractor_resolves_to_a_place"),
            ("locality: same GeoNames place", loc, "same_geonames_place"),
            ("region: coded region resolves to an admin1", reg, "coded_resolves_to_an_admin1"),
            ("region: extractor's place resolves into one", reg, "extractor_resolves_to_an_admin1"),
            ("region: same canonical admin1", reg, "same_admin1")):
        item = block.get(key, {"rows": 0, "share": None})
        print(f"{label:44s} {item['rows']:>6d} {item['share'] or 0:>7.3f}")
    print(f"{'locality rows / region rows':44s} {loc['rows']:>6d} {reg['rows']:>7d}")
    print(f"same place when both resolve to one: {loc['same_when_both_resolve']}; same admin1 when both resolve: "
          f"{reg['same_when_both_resolve']}")
    print("per fold (locality same / region same):",
          ", ".join(f"{k}: {v['locality_same']} / {v['region_same']}" for k, v in folds.items()))
    print("extractor's place precision (where_prec):", dict(sorted(precisions.items())))
    out = {
        "benchmark": "place_resolution",
        "command": "python benchmarks/place_resolution.py" + (" --wide-lookup" if args.wide_lookup else ""),
        "data": Path(args.data).name,
        "rows_read": "training folds 0,1,3,4 only (fold 2 held out, never read)",
        "training_rows": len(rows),
        "locality": loc,
        "region": reg,
        "per_fold": folds,
        "extractor_place_precision": dict(sorted(precisions.items())),
        "gazetteer": {"file": "llmextract/data/gazetteer.bin",
                      "entries": len(get_gazetteer()), "names": get_gazetteer().meta["keys"],
                      "lookup_sees": "every name (option)" if args.wide_lookup else "tiers 0-1 (shipped)"},
        "seconds": round(seconds, 1),
        "python": platform.python_version(), "machine": platform.machine(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
