"""Where ``extract()``'s time goes on the sample articles: a cProfile by package and by function.

    python benchmarks/profile_extract.py [--rounds 40] [--top 15]

After one warm-up call per article, ``extract(text)`` (offline: index, extraction, derive,
grounding) runs ``--rounds`` times over the sample articles (``examples/articles``) under
cProfile. Reported: the share of the profiled time (own time of each function, summed) by package
of llmextract (``text``, ``extractors/offline``, ``grounding``, ...), by the regex engine's pattern
methods, by pydantic and by the rest; the ``--top`` functions by own time with their calls per
article; and the regex calls per article. cProfile slows Python code more than C code, so the shares
are a guide to where the time is, not a measurement of it (``benchmarks/extract_speed.py`` measures).
Writes ``benchmarks/results/profile_extract.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import platform
import pstats
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "profile_extract.json"


def _where(filename: str, name: str) -> str:
    """The group a profiled function is counted in."""
    if "/llmextract/" in filename:
        rel = filename.split("/llmextract/", 1)[1]
        return "llmextract/" + (rel.rsplit("/", 1)[0] if "/" in rel else rel)
    if "pydantic" in filename:
        return "pydantic"
    if filename == "~" and "of 're.Pattern' objects" in name:
        return "re (compiled patterns)"
    if filename == "~":
        return "builtins"
    return "other Python (stdlib, packages)"


def _label(filename: str, line: int, name: str) -> str:
    if "/llmextract/" in filename:
        return f"{filename.split('/llmextract/', 1)[1]}:{line}({name})"
    return name if filename == "~" else f"{Path(filename).name}:{line}({name})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from llmextract import extract

    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples" / "articles").glob("*.txt"))]
    for text in texts:
        extract(text)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.rounds):
        for text in texts:
            extract(text)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    runs = args.rounds * len(texts)
    total = sum(v[2] for v in stats.values())
    groups: Counter[str] = Counter()
    for (filename, _line, name), v in stats.items():
        groups[_where(filename, name)] += v[2]
    top = sorted(stats.items(), key=lambda kv: -kv[1][2])[:args.top]
    regex_calls = sum(v[1] for (f, _l, n), v in stats.items() if f == "~" and "of 're.Pattern' objects" in n)
    out = {
        "benchmark": "profile of extract()",
        "command": "python benchmarks/profile_extract.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "python": platform.python_version(),
        "articles": len(texts),
        "rounds": args.rounds,
        "share_by_group": {k: round(v / total, 4) for k, v in groups.most_common()},
        "top_functions_by_own_time": [
            {"function": _label(f, line, n), "share": round(v[2] / total, 4),
             "calls_per_article": round(v[1] / runs, 1)} for (f, line, n), v in top],
        "regex_calls_per_article": round(regex_calls / runs, 1),
    }
    print("share of profiled time by group:")
    for k, v in out["share_by_group"].items():
        print(f"  {100 * v:5.1f}%  {k}")
    print(f"top {args.top} functions by own time:")
    for row in out["top_functions_by_own_time"]:
        print(f"  {100 * row['share']:5.1f}%  {row['calls_per_article']:8.1f} calls/article  {row['function']}")
    print(f"regex calls per article: {out['regex_calls_per_article']}")
    RESULTS.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
