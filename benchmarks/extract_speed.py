"""How fast one ``extract()`` is (offline: index, extraction, derive and grounding together), and how it grows.

    python benchmarks/extract_speed.py [--trees before=/tmp/before-tree] [--rounds 7] [--repeat 20]

Each tree (``name=path``; the current checkout is always ``after``) is measured in its own
worker process (``PYTHONPATH=path``, cwd outside the repository, so the tree's own code is
imported), and the workers run in turn, round after round (interleaved), so a busy machine
disturbs both alike. In each round a worker times, per sample article (``examples/articles``),
``--repeat`` calls of ``extract(text)`` after one warm-up call (gazetteer and regexes loaded)
and reports the median of the thread's CPU time and of wall-clock time; the figure is the median
over rounds, with the spread (min-max) across rounds. It also times the stages apart on a fresh
index (index build, offline extraction, derive, grounding cold) and, for linearity, ``extract``
on synthetic texts made of the five articles joined 1, 2, 4, 8 and 16 times (CPU ms per 1,000
characters should stay flat). Nothing is asserted. Writes ``benchmarks/results/extract_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "extract_speed.json"

WORKER = r"""
import json, statistics, sys, time
from pathlib import Path
repeat, articles = int(sys.argv[1]), sys.argv[2]
from llmextract import extract
from llmextract.schema import Article
from llmextract.text.index import EvidenceIndex
from llmextract.extractors.offline import extract_offline
from llmextract.grounding import ground
try:
    from llmextract.extractors.derive import derive
except ImportError:
    derive = None
texts = {p.stem: p.read_text(encoding="utf-8") for p in sorted(Path(articles).glob("*.txt"))}
def med(fn, n):
    cpu, wall = [], []
    for _ in range(n):
        c, t = time.thread_time(), time.perf_counter()
        fn()
        cpu.append(time.thread_time() - c); wall.append(time.perf_counter() - t)
    return 1000 * statistics.median(cpu), 1000 * statistics.median(wall)
out = {"articles": {}, "stages": {}, "scale": {}}
for stem, text in texts.items():
    extract(text)
    out["articles"][stem] = med(lambda t=text: extract(t), repeat)
stages = {"index": [], "offline": [], "derive": [], "ground_cold": []}
for _ in range(repeat):
    for text in texts.values():
        a = Article(text=text)
        c0 = time.thread_time(); idx = EvidenceIndex.build(a)
        c1 = time.thread_time(); r = extract_offline(a, idx)
        c2 = time.thread_time(); r = derive(r, idx) if derive else r
        c3 = time.thread_time(); ground(r, idx)
        c4 = time.thread_time()
        for k, v in zip(stages, (c1 - c0, c2 - c1, c3 - c2, c4 - c3)):
            stages[k].append(1000 * v)
out["stages"] = {k: statistics.median(v) for k, v in stages.items()}
joined = "\n\n".join(texts.values())
for k in (1, 2, 4, 8, 16):
    text = "\n\n".join([joined] * k)
    extract(text)
    out["scale"][str(k)] = [len(text), *med(lambda t=text: extract(t), max(3, repeat // k))]
print(json.dumps(out))
"""


def run_worker(path: Path, repeat: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(path)}
    env.pop("LLMEXTRACT_BASE_URL", None)
    env.pop("OPENAI_BASE_URL", None)
    done = subprocess.run([sys.executable, "-c", WORKER, str(repeat), str(ROOT / "examples" / "articles")],
                          cwd="/tmp", env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", nargs="*", default=[], metavar="NAME=PATH",
                        help="other checkouts to measure beside this one (say before=/tmp/before)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    trees = dict(t.split("=", 1) for t in args.trees)
    trees["after"] = str(ROOT)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
    for _ in range(args.rounds):
        for name, path in trees.items():
            runs[name].append(run_worker(Path(path), args.repeat))

    results: dict[str, Any] = {}
    print(f"{'tree':8} {'article':22} {'chars':>6} {'CPU ms':>8} {'spread':>15} {'wall ms':>8}")
    for name, rs in runs.items():
        per_article = {}
        for stem in rs[0]["articles"]:
            cpu = [r["articles"][stem][0] for r in rs]
            wall = [r["articles"][stem][1] for r in rs]
            chars = len((ROOT / "examples" / "articles" / f"{stem}.txt").read_text(encoding="utf-8"))
            per_article[stem] = {"chars": chars, "cpu_ms": summary(cpu), "wall_ms": summary(wall)}
            print(f"{name:8} {stem:22} {chars:6} {per_article[stem]['cpu_ms']['median']:8.3f} "
                  f"{min(cpu):7.3f}-{max(cpu):7.3f} {per_article[stem]['wall_ms']['median']:8.3f}")
        medians = [statistics.median(r["articles"][s][0] for s in r["articles"]) for r in rs]
        stages = {k: summary([r["stages"][k] for r in rs]) for k in rs[0]["stages"]}
        scale = {}
        for k in rs[0]["scale"]:
            chars = rs[0]["scale"][k][0]
            cpu = [r["scale"][k][1] for r in rs]
            scale[k] = {"chars": chars, "cpu_ms": summary(cpu),
                        "cpu_ms_per_1000_chars": round(1000 * statistics.median(cpu) / chars, 3)}
        results[name] = {"tree": trees[name], "per_article": per_article,
                         "median_article_cpu_ms": summary(medians), "stages_cpu_ms": stages, "scale": scale}
        print(f"{name:8} median article CPU {results[name]['median_article_cpu_ms']}  stages (median ms): "
              + ", ".join(f"{k} {v['median']}" for k, v in stages.items()))
        print(f"{name:8} scale (CPU ms per 1,000 chars): "
              + ", ".join(f"{k}x {v['cpu_ms_per_1000_chars']}" for k, v in scale.items()))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    doc = {"benchmark": "extract speed", "command": "python benchmarks/extract_speed.py " + " ".join(sys.argv[1:]),
           "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
           "load_average_1m_at_end": load, "rounds": args.rounds, "repeat": args.repeat, "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
