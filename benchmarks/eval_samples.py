"""Per-field scores of the offline extractor and the recorded SmolLM2 results on the five sample articles.

    python benchmarks/eval_samples.py [--label after] [--tree DIR] [--out benchmarks/results/eval_samples.json]
                                      [--details N] [--repeat N] [--cassettes DIR] [--profiles llamacpp,json]

What ``llmextract eval --gold examples/gold --pred OFFLINE --pred MODEL ...`` prints, made here
without files in between: each article of ``examples/articles`` goes through the pipeline with no
model (index, offline extraction, derived values, grounding), and beside it, as further prediction
sets, the results recorded from SmolLM2-135M-Instruct behind ``llmextract serve``
(``cassettes/PROFILE-ARTICLE.json``, one set per ``--profiles`` entry: the claims as recorded,
grounded again with this tree's grounder so the "flagged" column is today's). Every set is scored
against ``examples/gold`` with :func:`llmextract.review.evaluate.evaluate`: one-to-one claim
matching, per-field precision, recall and F1, count exact-match and within-range rates, the share
of predicted values the grounder flags, misses and extras. The printed table is the one
``llmextract eval`` prints; the JSON keeps the whole report of each set.

Time per article: the offline pipeline (index + extraction + derive + grounding), warm (the
gazetteer and the name tables loaded once before timing), the median of ``--repeat`` passes over
the five articles divided by five. Timings are printed and recorded, never asserted.

The figures are written under ``--label`` (``before`` / ``after``) into the output file, so one
file holds both runs; the other labels' figures are kept, and each run records the fingerprint of
the gold it was scored against (runs against another gold are not comparable). ``--tree DIR``
imports ``llmextract`` from ``DIR`` instead of this checkout (a copy of the package with the other
extractor), so a before/after pair runs every other module the same.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_TREE = next((sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--tree"), None)
sys.path.insert(0, _TREE or str(ROOT))

from llmextract.grounding import ground  # noqa: E402
from llmextract.grounding.policy import apply_policy  # noqa: E402
from llmextract.pipeline import Pipeline  # noqa: E402
from llmextract.review.evaluate import EvalReport, SystemReport, evaluate, format_report  # noqa: E402
from llmextract.schema import Article, ExtractionResult  # noqa: E402

MODEL = "SmolLM2-135M-Instruct"


def _articles(folder: Path) -> list[Article]:
    return [Article(text=p.read_text(encoding="utf-8"), id=p.stem) for p in sorted(folder.glob("*.txt"))]


def _time_per_article(pipe: Pipeline, articles: list[Article], repeat: int) -> float:
    for a in articles:  # warm: tables and the gazetteer load once
        pipe.run(a)
    passes = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for a in articles:
            pipe.run(a)
        passes.append((time.perf_counter() - t0) / len(articles))
    return statistics.median(passes)


def recorded_results(folder: Path, profile: str, articles: list[Article]) -> tuple[list[ExtractionResult], list[str]]:
    """The results recorded for ``profile`` (``PROFILE-ARTICLE.json``), grounded again here; and the
    articles with no recorded result (no cassette, or one that recorded an error)."""
    out: list[ExtractionResult] = []
    missing: list[str] = []
    for article in articles:
        path = folder / f"{profile}-{article.id}.json"
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        if data.get("outcome") != "result":
            missing.append(str(article.id))
            continue
        recorded = ExtractionResult.model_validate(data["result"])
        out.append(apply_policy(recorded, ground(recorded, article), "flag"))
    return out, missing


def gold_fingerprint(folder: Path) -> str:
    """sha256 over the gold files' names and bytes, in name order: which gold a run was scored against."""
    h = hashlib.sha256()
    for p in sorted(folder.glob("*.json")):
        h.update(p.name.encode("utf-8") + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _system(s: SystemReport) -> dict[str, Any]:
    return {
        "source": s.source, "joined": s.joined, "missing": s.missing,
        "fields": {f.field: {"gold": f.gold, "pred": f.pred, "correct": f.correct, "precision": f.precision,
                             "recall": f.recall, "f1": f.f1, "flagged_share": f.flagged_share} for f in s.fields},
        "counts": {c.field: {"gold": c.gold, "both": c.both, "exact_rate": c.exact_rate,
                             "within_rate": c.within_rate} for c in s.counts if c.gold},
        "later": {lf.field: {"both": lf.both, "agree": lf.agree, "rate": lf.rate} for lf in s.later},
        "grounding": s.grounding.model_dump(),
        "misses": [f"{m.article_id} gold[{m.claim}] {m.summary}" for m in s.misses],
        "extras": [f"{m.article_id} pred[{m.claim}] {m.summary}" + (f" ({m.flagged} flagged)" if m.flagged else "")
                   for m in s.extras],
    }


def _command(args: argparse.Namespace) -> str:
    parts = ["python benchmarks/eval_samples.py", f"--label {args.label}"]
    if args.tree:
        parts.append(f"--tree {args.tree}")
    if args.profiles != "llamacpp,json":
        parts.append(f"--profiles {args.profiles}")
    return " ".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", default=str(ROOT / "examples" / "articles"))
    ap.add_argument("--gold", default=str(ROOT / "examples" / "gold"))
    ap.add_argument("--label", default="after", help="the run's label in the output file (before / after)")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--tree", default=None, help="import llmextract from this directory (a before/after pair)")
    ap.add_argument("--details", type=int, default=0, help="print up to N misses, extras and mismatches per set")
    ap.add_argument("--cassettes", default=str(ROOT / "cassettes"), help="folder of the recorded results")
    ap.add_argument("--profiles", default="llamacpp,json",
                    help="recorded profiles to score beside the offline extractor (comma-separated; '' for none)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "eval_samples.json"))
    args = ap.parse_args()

    articles = _articles(Path(args.articles))
    pipe = Pipeline(None, policy="flag")
    sets: list[Any] = []
    names = ["offline"]
    notes: dict[str, str] = {}
    for profile in [p for p in args.profiles.split(",") if p.strip()]:
        results, missing = recorded_results(Path(args.cassettes), profile.strip(), articles)
        label = f"SmolLM2 {profile.strip()}"
        sets.append(results)
        names.append(label)
        notes[label] = (f"{MODEL} recorded from llmextract serve, profile {profile.strip()}, temperature 0 "
                        f"(cassettes/{profile.strip()}-*.json); claims as recorded, grounded again with this tree"
                        + (f"; no recorded result for {', '.join(missing)}" if missing else ""))
    with tempfile.TemporaryDirectory() as tmp:
        for a in articles:
            result = pipe.run(a)
            (Path(tmp) / f"{a.id}.json").write_text(result.model_dump_json(indent=1), encoding="utf-8")
        report: EvalReport = evaluate(args.gold, tmp, *sets, names=names)
    print(format_report(report, details=args.details))
    seconds = _time_per_article(pipe, articles, args.repeat)
    print(f"time per article (offline: index + extraction + derive + grounding, warm, median of {args.repeat}): "
          f"{seconds * 1000:.2f} ms")

    offline = report.system("offline")
    run = {
        "command": _command(args),
        "gold": {"path": "examples/gold", "sha256": gold_fingerprint(Path(args.gold)),
                 "articles": report.gold_articles, "claims": report.gold_claims},
        "threshold": report.threshold,
        # the offline extractor's figures under the keys earlier runs used
        "fields": _system(offline)["fields"],
        "counts": _system(offline)["counts"],
        "ms_per_article": round(seconds * 1000, 3),
        "table": report.table(),
        "systems": {s.name: _system(s) for s in report.systems},
        "system_notes": notes,
        "python": platform.python_version(), "machine": platform.machine(),
    }
    out = Path(args.out)
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    data.update({"benchmark": "the offline extractor and the recorded SmolLM2 results on the five sample articles, "
                              "scored against examples/gold (llmextract eval's scorer)",
                 "note": "gold is hand-written (examples/gold/README.md); a run's figures compare only with runs "
                         "scored against the same gold (run.gold.sha256). Time is warm, offline only: index + "
                         "offline extraction + derive + grounding, the median pass over the five articles "
                         "divided by five."})
    data.setdefault("runs", {})[args.label] = run
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
