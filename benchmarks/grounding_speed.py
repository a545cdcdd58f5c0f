"""How fast grounding is: one article's extraction, and quotes aligned per second beside langextract.

    pip install langextract          # benchmark-only; not a dependency of llmextract
    python benchmarks/grounding_speed.py [--repeat 50]

On the sample articles and their gold extractions (``examples/gold``), in one run:

* building the evidence index of an article (reported apart: grounding is given the index);
* ``ground(result, index)`` for the article's whole extraction: cold (the first
  call on a fresh index, which builds the index's look-up tables grounding asks for) and warm;
* grounding the offline extractor's results on the first ``--wad`` WAD rows (short reports, one
  or two claims each), cold;
* linearity: the five samples joined and written out ``--lengths`` times (1, 8, 32: up to 170
  claims over 416,000 characters), the offline extractor's claims of the whole text grounded
  cold, as milliseconds per 1,000 characters (flat when grounding is linear in the text's length);
* aligning every quote of the extraction (evidence quotes, count and date phrases) with the
  grounding layer (``ground`` over the quotes as Evidence objects) and with langextract's
  resolver (``Resolver().align`` of the same strings as Extractions, exact then fuzzy, its
  defaults), on the same texts; both must find the same quotes.

Figures are medians over ``--repeat`` runs, on this machine, as wall-clock time and as the
thread's CPU time (less disturbed by other processes on a busy machine; the 1-minute load
average is recorded); nothing is asserted. Writes ``benchmarks/results/grounding_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llmextract.grounding import ground  # noqa: E402
from llmextract.schema import Article, Evidence, ExtractionResult  # noqa: E402
from llmextract.text import gazetteer  # noqa: E402
from llmextract.text.index import EvidenceIndex  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "grounding_speed.json"


def quotes_of(result: ExtractionResult) -> list[str]:
    out: list[str] = []
    for claim in result.claims:
        out += [e.quote for e in claim.evidence]
        for field in ("killed", "injured", "children_killed", "women_killed", "men_killed"):
            count = getattr(claim, field)
            if count is not None and count.phrase:
                out.append(count.phrase)
        if claim.date is not None and claim.date.phrase:
            out.append(claim.date.phrase)
    return out


def median_ms(samples: list[float]) -> float:
    return round(1000 * statistics.median(samples), 4)


CPU: dict[int, list[float]] = {}  # id(list of wall samples) -> the CPU-time samples of the same runs


def time_it(fn: Any, repeat: int) -> list[float]:
    """Wall-clock samples; the thread's CPU time of the same runs is kept in CPU (see cpu_ms)."""
    wall, cpu = [], []
    for _ in range(repeat):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    CPU[id(wall)] = cpu
    return wall


def cpu_ms(wall: list[float]) -> float:
    return median_ms(CPU[id(wall)])


def linearity(times: list[int], articles: list[Article], repeat: int = 3) -> list[dict[str, Any]]:
    """Ground the offline extractor's claims of the samples joined and written out ``n`` times, cold (a
    fresh index each run, built outside the timing): CPU ms in all and per 1,000 characters, also with
    the cyclic garbage collector paused (its full collections cost more as the process's heap grows)."""
    import gc

    from llmextract.extractors.derive import derive
    from llmextract.extractors.offline import extract_offline

    joined = "\n\n".join(a.text for a in articles)
    out = []
    for n in times:
        article = Article(text="\n\n".join([joined] * n))
        index = EvidenceIndex.build(article)
        result = derive(extract_offline(article, index), index)
        walls, cpus, paused = [], [], []
        for k in range(2 * repeat):
            fresh = EvidenceIndex.build(article)
            gc.collect()
            if k % 2:
                gc.disable()
            c, t = time.thread_time(), time.perf_counter()
            ground(result, fresh)
            wall, cpu = time.perf_counter() - t, time.thread_time() - c
            gc.enable()
            if k % 2:
                paused.append(cpu)
            else:
                walls.append(wall)
                cpus.append(cpu)
        cpu_ms, paused_ms = median_ms(cpus), median_ms(paused)
        out.append({"times": n, "chars": len(article.text), "claims": len(result.claims),
                    "ground_cold_ms": median_ms(walls), "ground_cold_cpu_ms": cpu_ms,
                    "cpu_ms_per_1k_chars": round(1000 * cpu_ms / len(article.text), 4),
                    "ground_cold_cpu_ms_gc_paused": paused_ms,
                    "cpu_ms_per_1k_chars_gc_paused": round(1000 * paused_ms / len(article.text), 4)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--wad", type=int, default=200,
                        help="also time grounding the offline extractions of the first N WAD rows (0: skip)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "wad_dev.jsonl")
    parser.add_argument("--lengths", default="1,8,32",
                        help="the samples joined and written out this many times, for the linearity rows ('': skip)")
    parser.add_argument("--langextract-path", type=Path, default=None,
                        help="a folder langextract was installed into (pip install --target DIR langextract), "
                             "searched after the venv's own packages")
    args = parser.parse_args()
    if args.langextract_path is not None:
        sys.path.append(str(args.langextract_path))
    logging.disable(logging.WARNING)  # langextract logs every alignment at debug/info level

    t0 = time.perf_counter()
    gazetteer.get_gazetteer()
    gazetteer_s = time.perf_counter() - t0

    cases = []
    for path in sorted((ROOT / "examples" / "gold").glob("*.json")):
        result = ExtractionResult.model_validate_json(path.read_text(encoding="utf-8"))
        text = (ROOT / "examples" / "articles" / f"{path.stem}.txt").read_text(encoding="utf-8")
        cases.append((path.stem, Article(text=text), result))

    try:
        from langextract import data as lx_data
        from langextract.resolver import Resolver
    except ImportError:
        Resolver = None  # noqa: N806
        print("langextract is not installed (pip install langextract): its column is left empty")

    rows = []
    for stem, article, result in cases:
        quotes = quotes_of(result)
        index_s = time_it(lambda a=article: EvidenceIndex.build(a), max(5, args.repeat // 5))

        cold, cold_cpu = [], []
        for _ in range(max(5, args.repeat // 5)):
            fresh = EvidenceIndex.build(article)
            c, t = time.thread_time(), time.perf_counter()
            report = ground(result, fresh)
            cold.append(time.perf_counter() - t)
            cold_cpu.append(time.thread_time() - c)
        CPU[id(cold)] = cold_cpu
        index = EvidenceIndex.build(article)
        ground(result, index)
        warm = time_it(lambda r=result, i=index: ground(r, i), args.repeat)

        evidence = [Evidence(quote=q) for q in quotes]
        ours = time_it(lambda e=evidence, i=index: ground(e, i), args.repeat)
        ours_found = sum(1 for f in ground(evidence, index).findings if f.ok)

        lx_ms = lx_cpu = lx_found = None
        if Resolver is not None:
            resolver = Resolver()

            def lx(qs: list[str] = quotes, text: str = article.text, resolver: Any = resolver) -> list[Any]:
                extractions = [lx_data.Extraction(extraction_class="quote", extraction_text=q) for q in qs]
                return list(resolver.align(extractions, text, token_offset=0, char_offset=0))

            lx_found = sum(1 for e in lx() if e.char_interval is not None)
            lx_samples = time_it(lx, max(5, args.repeat // 5))
            lx_ms, lx_cpu = median_ms(lx_samples), cpu_ms(lx_samples)
        rows.append({
            "article": stem,
            "chars": len(article.text),
            "claims": len(result.claims),
            "findings": len(report.findings),
            "quotes": len(quotes),
            "index_build_ms": median_ms(index_s),
            "ground_cold_ms": median_ms(cold),
            "ground_warm_ms": median_ms(warm),
            "quotes_ms_llmextract": median_ms(ours),
            "quotes_ms_langextract": lx_ms,
            "cpu_ms": {"index_build": cpu_ms(index_s), "ground_cold": cpu_ms(cold), "ground_warm": cpu_ms(warm),
                       "quotes_llmextract": cpu_ms(ours), "quotes_langextract": lx_cpu},
            "quotes_found_llmextract": ours_found,
            "quotes_found_langextract": lx_found,
        })

    def total(key: str) -> float | None:
        vals = [r[key] for r in rows]
        return None if any(v is None for v in vals) else sum(vals)

    n_quotes = sum(r["quotes"] for r in rows)
    ours_cpu = sum(r["cpu_ms"]["quotes_llmextract"] for r in rows)
    lx_cpu_total = None if any(r["cpu_ms"]["quotes_langextract"] is None for r in rows) else sum(
        r["cpu_ms"]["quotes_langextract"] for r in rows)
    ours_total = total("quotes_ms_llmextract")
    lx_total = total("quotes_ms_langextract")
    summary = {
        "median_index_build_ms": round(statistics.median(r["index_build_ms"] for r in rows), 3),
        "median_ground_cold_ms": round(statistics.median(r["ground_cold_ms"] for r in rows), 3),
        "median_ground_warm_ms": round(statistics.median(r["ground_warm_ms"] for r in rows), 3),
        "quotes": n_quotes,
        "quotes_per_s_llmextract": round(1000 * n_quotes / ours_total) if ours_total else None,
        "quotes_per_s_langextract": round(1000 * n_quotes / lx_total) if lx_total else None,
        "speedup_vs_langextract": round(lx_total / ours_total, 1) if ours_total and lx_total else None,
        "cpu": {
            "median_index_build_ms": round(statistics.median(r["cpu_ms"]["index_build"] for r in rows), 3),
            "median_ground_cold_ms": round(statistics.median(r["cpu_ms"]["ground_cold"] for r in rows), 3),
            "median_ground_warm_ms": round(statistics.median(r["cpu_ms"]["ground_warm"] for r in rows), 3),
            "quotes_per_s_llmextract": round(1000 * n_quotes / ours_cpu) if ours_cpu else None,
            "quotes_per_s_langextract": round(1000 * n_quotes / lx_cpu_total) if lx_cpu_total else None,
            "speedup_vs_langextract": round(lx_cpu_total / ours_cpu, 1) if ours_cpu and lx_cpu_total else None,
        },
        "load_average_1m_at_end": None,
        "gazetteer_first_use_s": round(gazetteer_s, 3),
        "gazetteer_timings_s": {k: round(v, 3) for k, v in gazetteer.TIMINGS.items()},
    }
    if args.wad and args.data.is_file():
        from llmextract.extractors.offline import extract_offline

        lines = [json.loads(x) for x in args.data.read_text(encoding="utf-8").splitlines()[:args.wad] if x.strip()]
        walls, cpus, leaves = [], [], []
        for row in lines:
            art = Article(text=row["text"])
            idx = EvidenceIndex.build(art)
            res = extract_offline(art, idx)
            idx = EvidenceIndex.build(art)  # a fresh index: the first ground() call on it pays for its tables
            c, t = time.thread_time(), time.perf_counter()
            rep = ground(res, idx)
            walls.append(time.perf_counter() - t)
            cpus.append(time.thread_time() - c)
            leaves.append(len(rep.findings))
        summary["wad_offline"] = {
            "rows": len(lines),
            "median_findings": statistics.median(leaves),
            "median_ground_cold_ms": median_ms(walls),
            "median_ground_cold_cpu_ms": median_ms(cpus),
            "p90_ground_cold_ms": round(1000 * sorted(walls)[int(0.9 * (len(walls) - 1))], 4),
        }
    if args.lengths:
        summary["linearity"] = linearity([int(x) for x in args.lengths.split(",")], [a for _s, a, _r in cases])
    try:
        import os

        summary["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        pass
    try:
        from importlib.metadata import PackageNotFoundError, version

        lx_version: str | None = version("langextract")
    except PackageNotFoundError:
        lx_version = None
    res = {
        "benchmark": "grounding speed",
        "command": "python benchmarks/grounding_speed.py " + " ".join(sys.argv[1:]),
        "summary": summary,
        "articles": rows,
        "langextract_version": lx_version,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "notes": [
            "ground_* times exclude building the evidence index (reported as index_build_ms); cold includes the "
            "index's look-up tables that grounding asks for (built on first use), warm re-grounds with them built",
            "quotes: every evidence quote, count phrase and date phrase of the gold extraction; langextract aligns "
            "them with Resolver().align (its defaults: exact, then fuzzy LCS)",
            "linearity: the samples joined and written out N times (a repeated text: each quote occurs N times, "
            "which the index's quote search pays for); gc_paused: the same runs with the cyclic garbage "
            "collector paused, whose full collections cost more as the process's heap grows",
        ],
    }
    print(f"{'article':<22} {'chars':>6} {'quotes':>6} {'index ms':>9} {'ground cold':>11} {'warm ms':>8} "
          f"{'quotes ms':>9} {'langextract ms':>14} {'found (ours/lx)':>15}")
    for r in rows:
        lx = "-" if r["quotes_ms_langextract"] is None else f"{r['quotes_ms_langextract']:.3f}"
        print(f"{r['article']:<22} {r['chars']:>6} {r['quotes']:>6} {r['index_build_ms']:>9.2f} "
              f"{r['ground_cold_ms']:>11.3f} {r['ground_warm_ms']:>8.3f} {r['quotes_ms_llmextract']:>9.3f} "
              f"{lx:>14} {str(r['quotes_found_llmextract']) + '/' + str(r['quotes_found_langextract']):>15}")
    s = summary
    c = s["cpu"]
    print(f"median per article, wall: index {s['median_index_build_ms']} ms, ground {s['median_ground_cold_ms']} ms "
          f"cold / {s['median_ground_warm_ms']} ms warm; quotes/s: llmextract {s['quotes_per_s_llmextract']}, "
          f"langextract {s['quotes_per_s_langextract']} (x{s['speedup_vs_langextract']})")
    print(f"median per article, CPU:  index {c['median_index_build_ms']} ms, ground {c['median_ground_cold_ms']} ms "
          f"cold / {c['median_ground_warm_ms']} ms warm; quotes/s: llmextract {c['quotes_per_s_llmextract']}, "
          f"langextract {c['quotes_per_s_langextract']} (x{c['speedup_vs_langextract']}); "
          f"load average {s['load_average_1m_at_end']}")
    for row in s.get("linearity", []):
        print(f"samples joined x{row['times']:<3} {row['chars']:>7} chars {row['claims']:>4} claims: ground cold "
              f"{row['ground_cold_cpu_ms']:>9.2f} ms CPU = {row['cpu_ms_per_1k_chars']:.3f} ms per 1k chars "
              f"({row['cpu_ms_per_1k_chars_gc_paused']:.3f} with the cyclic GC paused)")
    if "wad_offline" in s:
        w = s["wad_offline"]
        print(f"WAD rows (offline extractions, {w['rows']} rows, median {w['median_findings']} findings): ground "
              f"{w['median_ground_cold_ms']} ms wall / {w['median_ground_cold_cpu_ms']} ms CPU median, "
              f"p90 {w['p90_ground_cold_ms']} ms")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
