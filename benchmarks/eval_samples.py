"""Per-field F1 of the offline extractor on the five sample articles, and its time per article.

    python benchmarks/eval_samples.py [--label after] [--tree DIR] [--out benchmarks/results/eval_samples.json]
                                      [--details N]

Each article of ``examples/articles`` goes through the pipeline with no model (index, offline
extraction, derived values, grounding); the results are scored against ``examples/gold`` with
:func:`llmextract.review.evaluate.evaluate` (one-to-one claim matching, per-field precision,
recall and F1). The gold is hand-written and under review: read the figures as a guide.

Time per article: the whole pipeline (index + extraction + derive + grounding), warm (the
gazetteer and the name tables loaded once before timing), the median of ``--repeat`` passes over
the five articles divided by five. Timings are printed and recorded, never asserted.

The figures are written under ``--label`` (``before`` / ``after``) into the output file, so one
file holds both runs; the other label's figures are kept. ``--tree DIR`` imports ``llmextract``
from ``DIR`` instead of this checkout (a copy of the package with the other extractor), so a
before/after pair runs every other module the same.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_TREE = next((sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "--tree"), None)
sys.path.insert(0, _TREE or str(ROOT))

from llmextract.pipeline import Pipeline  # noqa: E402
from llmextract.review.evaluate import evaluate, format_report  # noqa: E402
from llmextract.schema import Article  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", default=str(ROOT / "examples" / "articles"))
    ap.add_argument("--gold", default=str(ROOT / "examples" / "gold"))
    ap.add_argument("--label", default="after", help="the run's label in the output file (before / after)")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--tree", default=None, help="import llmextract from this directory (a before/after pair)")
    ap.add_argument("--details", type=int, default=0, help="print up to N misses, extras and mismatches")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "eval_samples.json"))
    args = ap.parse_args()

    articles = _articles(Path(args.articles))
    pipe = Pipeline(None, policy="flag")
    with tempfile.TemporaryDirectory() as tmp:
        for a in articles:
            result = pipe.run(a)
            (Path(tmp) / f"{a.id}.json").write_text(result.model_dump_json(indent=1), encoding="utf-8")
        report = evaluate(args.gold, tmp, names=["offline"])
    print(format_report(report, details=args.details))
    seconds = _time_per_article(pipe, articles, args.repeat)
    print(f"time per article (index + extraction + derive + grounding, warm, median of {args.repeat}): "
          f"{seconds * 1000:.2f} ms")

    system = report.system("offline")
    run = {
        "command": f"python benchmarks/eval_samples.py --label {args.label}"
                   + (f" --tree {args.tree}" if args.tree else ""),
        "fields": {f.field: {"gold": f.gold, "pred": f.pred, "correct": f.correct, "precision": f.precision,
                             "recall": f.recall, "f1": f.f1, "flagged_share": f.flagged_share}
                   for f in system.fields},
        "counts": {c.field: {"gold": c.gold, "both": c.both, "exact_rate": c.exact_rate,
                             "within_rate": c.within_rate} for c in system.counts},
        "ms_per_article": round(seconds * 1000, 3),
        "python": platform.python_version(), "machine": platform.machine(),
    }
    out = Path(args.out)
    data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    data.update({"benchmark": "offline extractor on the five sample articles, scored against examples/gold",
                 "note": "gold is hand-written and under review (a guide, not truth); time is warm, "
                         "index + offline extraction + derive + grounding, the median pass over the "
                         "five articles divided by five"})
    data.setdefault("runs", {})[args.label] = run
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
