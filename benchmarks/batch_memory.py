"""Peak memory of the batch runner on 1,000 vs 100,000 small articles streamed as JSONL on stdin.

    python benchmarks/batch_memory.py [--sizes 1000 100000] [--concurrency 16] [--tracemalloc]

Each size runs in a fresh process that reads the articles from stdin (``iter_articles("-")``)
and runs ``run_batch`` with a trivial async extractor (one claim per article, a 0-1 ms await),
writing one JSON line per article to a file. Reported per size: the resident set after imports,
the peak resident set during the run (VmHWM, reset after the imports through
``/proc/self/clear_refs``; else ``ru_maxrss``) and the growth between them; with ``--tracemalloc`` also
the peak of Python allocations (slower). Memory should follow the concurrency, not the input,
but for one table: the runner remembers a 64-bit digest of every id it has read, to report a
duplicate id (``llmextract.batch.digests``), about 20 bytes an article (2 MiB at 100,000, 3 MiB
at the moment the table doubles); beyond that the growth at 100,000 should match the growth at 1,000.

Prints one table and writes ``benchmarks/results/batch_memory.json``. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "results" / "batch_memory.json"

PLACES = ["Hajin", "Raqqa", "Deir ez-Zor", "Idlib", "Azaz", "Palmyra", "Douma", "al-Bab"]


def make_jsonl(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = (f"At least {i % 50 + 2} civilians were killed on Monday in an airstrike on "
                    f"{PLACES[i % len(PLACES)]}, local sources said. Report {i}.")
            fh.write(json.dumps({"id": f"m{i:06d}", "text": text, "outlet": "SANA"}) + "\n")


def status_kb(field: str) -> int:
    """A /proc/self/status figure in KiB (VmRSS: resident now; VmHWM: the resident peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_peak() -> bool:
    """Reset VmHWM to the current resident set (Linux >= 4.0), so the peak is the run's, not the imports'."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def worker(out: Path, concurrency: int, trace: bool) -> dict[str, Any]:
    import tracemalloc

    from llmextract.batch import iter_articles, run_batch
    from llmextract.schema import Article, Claim, Count, Evidence, ExtractionResult, Provenance, Usage

    async def extract(article: Article) -> ExtractionResult:
        await asyncio.sleep(0.001 if hash(article.id) % 2 else 0)
        return ExtractionResult(
            article_id=article.id, content_hash=article.content_hash,
            claims=[Claim(killed=Count(phrase="at least 2", low=2, qualifier="at_least"),
                          evidence=[Evidence(quote=article.text[:60])])],
            provenance=Provenance(extractor="trivial", model_used=False, usage=Usage(prompt_tokens=1)),
        )

    import gc

    gc.collect()
    base = status_kb("VmRSS")
    peak_reset = reset_peak()
    if trace:
        tracemalloc.start()
    t0, cpu0 = time.perf_counter(), time.process_time()
    summary = asyncio.run(run_batch(iter_articles("-"), [extract], out, concurrency=concurrency,
                                    handle_signals=False))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    peak = status_kb("VmHWM") if peak_reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "articles": summary.articles,
        "failed": summary.failed,
        "rss_after_imports_kb": base,
        "peak_rss_kb": peak,
        "growth_kb": peak - base,
        "peak_measured_from": "run" if peak_reset else "process",
        "tracemalloc_peak_kb": None if traced is None else traced // 1024,
        "wall_s": round(wall, 2),
        "cpu_ms_per_article": round(cpu / summary.articles * 1000, 4),
    }


def run_size(n: int, concurrency: int, trace: bool, work: Path) -> dict[str, Any]:
    src = work / f"in_{n}.jsonl"
    make_jsonl(src, n)
    out = work / f"out_{n}.jsonl"
    cmd = [sys.executable, __file__, "--worker", str(out), "--concurrency", str(concurrency)]
    if trace:
        cmd.append("--tracemalloc")
    with src.open("rb") as stdin:
        proc = subprocess.run(cmd, stdin=stdin, capture_output=True, check=True, cwd=ROOT)
    result = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    result["input_mb"] = round(src.stat().st_size / 1e6, 2)
    result["output_mb"] = round(out.stat().st_size / 1e6, 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--worker", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker), args.concurrency, args.tracemalloc)))
        return 0

    with tempfile.TemporaryDirectory(prefix="llmextract-mem-") as tmp:
        rows = {str(n): run_size(n, args.concurrency, args.tracemalloc, Path(tmp)) for n in args.sizes}
    result = {"benchmark": "batch_memory", "command": " ".join(["python", "benchmarks/batch_memory.py", *sys.argv[1:]]),
              "date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
              "cpus": os.cpu_count(), "concurrency": args.concurrency, "sizes": rows}
    first, last = rows[str(args.sizes[0])], rows[str(args.sizes[-1])]
    result["growth_ratio_last_vs_first"] = round(last["growth_kb"] / max(first["growth_kb"], 1), 2)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"batch memory (JSONL on stdin, trivial extractor, concurrency {args.concurrency})",
                  title_justify="left")
    for col in ("articles", "input MB", "RSS after imports MiB", "peak RSS MiB", "growth MiB", "tracemalloc peak MiB",
                "wall s", "CPU ms/article"):
        table.add_column(col, justify="right")
    for n, r in rows.items():
        traced = "" if r["tracemalloc_peak_kb"] is None else f"{r['tracemalloc_peak_kb'] / 1024:.1f}"
        table.add_row(f"{int(n):,}", f"{r['input_mb']:.1f}", f"{r['rss_after_imports_kb'] / 1024:.1f}",
                      f"{r['peak_rss_kb'] / 1024:.1f}", f"{r['growth_kb'] / 1024:.1f}", traced, f"{r['wall_s']:.1f}",
                      f"{r['cpu_ms_per_article']:.3f}")
    Console(width=None if sys.stdout.isatty() else 150).print(table)
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
