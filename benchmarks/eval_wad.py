"""The WAD development rows scored by ``llmextract eval``'s scorer: deaths and injured exact match per fold group.

    python benchmarks/eval_wad.py [--data ../shared/data/wad_dev.jsonl] [--details N]
                                  [--out benchmarks/results/eval_wad.json]

Each row of ``wad_dev.jsonl`` goes through the pipeline with no model (index, offline extraction,
derived values, grounding; no published date is given, so relative dates stay phrases), and the
results are scored against the rows read as flat WAD gold (one incident claim per row: ``deaths``,
``injured``, ``locality`` / ``region``, ``event_date``) by :func:`llmextract.review.evaluate.evaluate`,
the scorer of ``llmextract eval``. Reported per group of rows:

* deaths and injured exact match per row, as WAD benchmarks count them, two ways: the figure of
  the claim matched to the row's gold claim ("matched"), and the first incident claim's figure as
  the extractor states it, chosen looking at no gold ("first"; the column to set beside the
  published anchors); a row with no such figure counts 0, as WAD codes "none reported" as 0.
  Injured: rows whose gold is stated;
* per-field precision, recall and F1 of the claims (killed, injured, place, date) and the share of
  predicted values the grounder flags.

Folds as in ``benchmarks/wad.py``: ``int(sha256(id).hexdigest(), 16) % 5``; fold 2 is held out and
reported apart; nothing of its rows is printed or written (``--details`` lists misses and
mismatches of the training folds only). A line whose id repeats an earlier line's replaces it
(the scorer reads every result file so: the last line per id wins); the data set has three, so
1,437 rows are scored where ``benchmarks/wad.py`` counts 1,440 lines. The results file holds
aggregates only: no text of the data set (its licence is not stated) goes into the repository.

``benchmarks/wad.py`` scores the same rows with its own reading of WAD's coding (the civilian part of
a mixed total, a later higher report, added dead); its figures are quoted beside these from
``benchmarks/results/wad.json`` when that file exists, not recomputed.

Published anchors from Zhong, Dhuliawala and Stoehr (EACL 2023), death counts on WAD: fine-tuned
T5 0.813, semantic-role baseline 0.741, regex baseline 0.117 (published figures, not re-run here).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from wad import ANCHORS, FOLDS, HELD_OUT, TRAINING, fold_of  # noqa: E402

from llmextract.pipeline import Pipeline  # noqa: E402
from llmextract.review.evaluate import EvalReport, evaluate, format_report  # noqa: E402
from llmextract.schema import Article, ExtractionResult  # noqa: E402

SCORED = ("claims", "killed", "injured", "place", "date")


def _group(report: EvalReport) -> dict[str, Any]:
    s = report.system("offline")
    docs = {d.field: d for d in s.documents}
    out: dict[str, Any] = {"rows": report.gold_articles}
    for name, key in (("killed", "deaths"), ("injured", "injured")):
        d = docs.get(name)
        out[key] = None if d is None else {
            "rows": d.rows, "exact_match_first": d.first_exact_rate, "exact_match_matched": d.matched_exact_rate,
            "within_range_first": d.first_within_rate, "within_range_matched": d.matched_within_rate}
    out["fields"] = {f.field: {"gold": f.gold, "pred": f.pred, "correct": f.correct, "precision": f.precision,
                               "recall": f.recall, "f1": f.f1, "flagged_share": f.flagged_share}
                     for f in s.fields if f.field in SCORED}
    out["grounding"] = {"values": s.grounding.values, "flagged": s.grounding.flagged, "share": s.grounding.share,
                        "by_verdict": s.grounding.by_verdict}
    return out


def _fmt(v: float | None) -> str:
    return f"{v:.3f}" if v is not None else "-"


def _line(label: str, g: dict[str, Any]) -> str:
    d, i = g["deaths"] or {}, g["injured"] or {}
    f = g["fields"]
    return (f"  {label:26s} {g['rows']:>5d} {_fmt(d.get('exact_match_first')):>9s} "
            f"{_fmt(d.get('exact_match_matched')):>9s} {_fmt(i.get('exact_match_first')):>9s} "
            f"{_fmt(i.get('exact_match_matched')):>9s} {i.get('rows', 0):>6d} {_fmt(f['claims']['f1']):>7s} "
            f"{_fmt(f['place']['f1']):>7s} {_fmt(f['date']['f1']):>7s} {_fmt(g['grounding']['share']):>8s}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "wad_dev.jsonl"))
    ap.add_argument("--details", type=int, default=0, metavar="N",
                    help="print N misses, extras and mismatches of the training folds (never fold 2)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "eval_wad.json"))
    args = ap.parse_args()
    raw = Path(args.data).read_bytes()
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    pipe = Pipeline(None, policy="flag")
    t0 = time.perf_counter()
    preds: dict[str, ExtractionResult] = {r["id"]: pipe.run(Article(text=r["text"], id=r["id"])) for r in rows}
    ms = 1000 * (time.perf_counter() - t0) / len(rows)

    def score(fold_set: tuple[int, ...]) -> EvalReport:
        chosen = [r for r in rows if fold_of(r["id"]) in fold_set]
        return evaluate(chosen, [preds[r["id"]] for r in chosen], names=["offline"])

    groups: list[tuple[str, str, tuple[int, ...]]] = [
        *((f"fold {f}" + (" (held out)" if f == HELD_OUT else ""), str(f), (f,)) for f in range(FOLDS)),
        ("training folds 0,1,3,4", "training_folds", TRAINING),
        (f"held-out fold {HELD_OUT}", "held_out_fold", (HELD_OUT,)),
        ("all rows", "all_rows", tuple(range(FOLDS))),
    ]
    results: dict[str, dict[str, Any]] = {}
    training_report: EvalReport | None = None
    for _label, key, folds in groups:
        rep = score(folds)
        results[key] = _group(rep)
        lines = sum(1 for r in rows if fold_of(r["id"]) in folds)
        results[key]["lines_superseded"] = lines - rep.gold_articles  # an id seen again: the last line wins
        if key == "training_folds":
            training_report = rep

    print(f"{'llmextract eval scorer, offline':28s} {'rows':>5s} {'deaths EM':>9s} {'(matched)':>9s} "
          f"{'inj. EM':>9s} {'(matched)':>9s} {'inj.rows':>6s} {'claimF1':>7s} {'placeF1':>7s} {'dateF1':>7s} "
          f"{'flagged':>8s}")
    for label, key, _ in groups:
        print(_line(label, results[key]))
    for name, v in ANCHORS.items():
        print(f"{name:44s} deaths EM {v:.3f}")
    wad_json = ROOT / "benchmarks" / "results" / "wad.json"
    reference = None
    if wad_json.exists():
        w = json.loads(wad_json.read_text(encoding="utf-8"))
        if w.get("data_sha256") == hashlib.sha256(raw).hexdigest():
            reference = {"source": "benchmarks/results/wad.json (" + str(w.get("command")) + ")",
                         "training_folds": w["training_folds"]["deaths_exact_match"],
                         "held_out_fold": w["held_out_fold"]["deaths_exact_match"],
                         "training_folds_first_incident_only":
                             w["training_folds"]["deaths_exact_match_first_incident_only"],
                         "held_out_fold_first_incident_only":
                             w["held_out_fold"]["deaths_exact_match_first_incident_only"]}
            print(f"benchmarks/wad.py (its WAD reading; quoted, not re-run): deaths EM training "
                  f"{reference['training_folds']:.3f}, held out {reference['held_out_fold']:.3f}; its first "
                  f"incident only {reference['training_folds_first_incident_only']:.3f} / "
                  f"{reference['held_out_fold_first_incident_only']:.3f}")
    duplicates = len(rows) - len({r["id"] for r in rows})
    if duplicates:
        print(f"{duplicates} line(s) repeat an earlier id: the scorer keeps the last line per id, as llmextract eval "
              f"reads result files ({len(rows)} lines, {len(rows) - duplicates} rows scored)")
    print(f"deaths / injured EM: 'first' the first incident claim's figure as stated (no gold looked at), "
          f"'matched' the claim matched to the gold row; time {ms:.2f} ms/row (index + extraction + derive + "
          f"grounding)")
    if args.details and training_report is not None:
        print("\ntraining folds only (fold 2 is never shown):")
        print(format_report(training_report, details=args.details))

    out = {
        "benchmark": "WAD development rows scored by llmextract eval's scorer (offline extractor)",
        "command": "python benchmarks/eval_wad.py",
        "data": Path(args.data).name,
        "data_sha256": hashlib.sha256(raw).hexdigest(),
        "folds": {"rule": "int(sha256(id.encode('utf-8')).hexdigest(), 16) % 5", "held_out": HELD_OUT,
                  "training": list(TRAINING)},
        "scorer": "llmextract.review.evaluate.evaluate (flat WAD gold: one incident claim per row; "
                  "deaths/injured per row: 'first' = the first incident claim's figure, 'matched' = the "
                  "claim matched to the row's gold; 0 when none, as WAD codes none reported)",
        "per_fold": {k: results[k] for k in (str(f) for f in range(FOLDS))},
        "training_folds": results["training_folds"],
        "held_out_fold": results["held_out_fold"],
        "all_rows": results["all_rows"],
        "anchors": ANCHORS,
        "wad_py_reference": reference,
        "ms_per_row": round(ms, 3),
        "note": "anchors are published figures on WAD (Zhong et al. 2023), not re-run here. Fold 2 is held out: "
                "only its aggregates are reported. No text of the data set is written here.",
        "python": platform.python_version(), "machine": platform.machine(),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
