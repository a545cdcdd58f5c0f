"""Exact-match rate of the offline extractor on deaths and injured over the WAD development set.

    python benchmarks/wad.py [--data ../shared/data/wad_dev.jsonl] [--errors N]

Scoring: the predicted figure is the first incident claim's conservative count (its low bound,
ACLED's rule), except that a vague first figure ("Several were killed") gives way to the next
incident's stated figure when that is at least as large (``primary_counts``; the score without
that step is reported too). Deaths: every row.
Injured: rows whose gold is stated (not null); a claim with no injured count is read as 0, as WAD
codes "none reported" as 0. Published anchors from Zhong, Dhuliawala and Stoehr (EACL 2023),
death counts on WAD: fine-tuned T5 0.813, semantic-role baseline 0.741, regex baseline 0.117.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llmextract.extractors.offline import extract_offline, primary_counts  # noqa: E402
from llmextract.schema import Article  # noqa: E402

ANCHORS = {"fine-tuned T5 (Zhong et al. 2023)": 0.813, "semantic-role baseline (Zhong et al. 2023)": 0.741,
           "regex baseline (Zhong et al. 2023)": 0.117}


def score(rows: list[dict], show_errors: int = 0) -> dict:
    deaths_ok = injured_ok = injured_n = plain_ok = 0
    errors: list[str] = []
    elapsed = 0.0
    for row in rows:
        t0 = time.perf_counter()
        result = extract_offline(Article(text=row["text"], id=row["id"]))
        elapsed += time.perf_counter() - t0
        killed, injured = primary_counts(result)
        plain_killed, _ = primary_counts(result, refine_vague=False)
        plain_ok += (plain_killed.best if plain_killed else 0) == row["deaths"]
        pred_d = killed.best if killed else 0
        if pred_d == row["deaths"]:
            deaths_ok += 1
        elif len(errors) < show_errors:
            errors.append(f"deaths gold={row['deaths']} pred={pred_d} ({killed.phrase if killed else '-'}): "
                          f"{row['text'][:300]}")
        if row["injured"] is not None:
            injured_n += 1
            pred_i = injured.best if injured and injured.best is not None else 0
            if pred_i == row["injured"]:
                injured_ok += 1
    return {
        "rows": len(rows),
        "deaths_exact_match": round(deaths_ok / len(rows), 4),
        "deaths_exact_match_first_incident_only": round(plain_ok / len(rows), 4),
        "injured_rows_with_gold": injured_n,
        "injured_exact_match": round(injured_ok / injured_n, 4) if injured_n else None,
        "ms_per_text": round(1000 * elapsed / len(rows), 3),
        "errors": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "wad_dev.jsonl"))
    ap.add_argument("--errors", type=int, default=0, help="print this many misses")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "wad.json"))
    args = ap.parse_args()
    rows = [json.loads(line) for line in Path(args.data).read_text(encoding="utf-8").splitlines() if line.strip()]
    res = score(rows, args.errors)
    for e in res.pop("errors"):
        print(e, "\n")
    print(f"{'extractor':45s} {'deaths EM':>10s} {'injured EM':>11s}")
    print(f"{'llmextract offline (this run)':45s} {res['deaths_exact_match']:>10.3f} "
          f"{res['injured_exact_match'] or 0:>11.3f}")
    print(f"{'  the same, a vague lede not refined':45s} "
          f"{res['deaths_exact_match_first_incident_only']:>10.3f} {'':>11s}")
    for name, v in ANCHORS.items():
        print(f"{name:45s} {v:>10.3f} {'-':>11s}")
    print(f"rows={res['rows']} injured rows with gold={res['injured_rows_with_gold']} "
          f"time={res['ms_per_text']} ms/text")
    out = {"benchmark": "wad_exact_match", "command": "python benchmarks/wad.py", "data": Path(args.data).name,
           **res, "anchors": ANCHORS,
           "note": "anchors are published figures on WAD (Zhong et al. 2023), not re-run here; this run scores the "
                   "development split in ../shared/data",
           "python": platform.python_version(), "machine": platform.machine()}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
