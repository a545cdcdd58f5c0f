"""What a person running the command waits for: ``llmextract --help``, one offline ``extract``, ``import llmextract``.

    git worktree add /tmp/before f08bf6e        # the code before issue 14 (once)
    python benchmarks/startup.py --trees before=/tmp/before [--runs 9]

Each command runs as a whole new process (the venv's ``llmextract`` console script, or
``python -c "import llmextract"``), with ``PYTHONPATH`` set to the tree measured and the working
directory outside the repository (``/tmp``: ``python -c`` puts the working directory first on
``sys.path``, which would import the checkout there instead). The current checkout is ``after``;
each other ``--trees name=path`` is measured beside it. Runs are interleaved (every command of
every tree once, then again, ``--runs`` times), after one unrecorded warm-up round (the page
cache and ``__pycache__`` filled as a user's second run finds them). Per command and tree: the
median wall-clock time, its spread (min-max), the median CPU time (user + system, from
``os.wait4``) and the median peak RSS (``ru_maxrss`` of that one child). ``LLMEXTRACT_*`` and
``OPENAI_*`` variables are removed, so ``extract`` runs offline. Nothing is asserted. Writes
``benchmarks/results/startup.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "startup.json"
ARTICLE = ROOT / "examples" / "articles" / "001_7324fdaa959f27c2.txt"
AIMS = {"help": {"wall_s": 0.15}, "extract": {"wall_s": 0.4, "peak_rss_mb": 80}, "import": {"wall_s": 0.1}}


def commands(script: str) -> dict[str, list[str]]:
    return {
        "help": [script, "--help"],
        "extract": [script, "extract", str(ARTICLE)],
        "import": [sys.executable, "-c", "import llmextract"],
    }


def run_once(argv: list[str], tree: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMEXTRACT_", "OPENAI_"))}
    env["PYTHONPATH"] = tree
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd="/tmp", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} (PYTHONPATH={tree}) exited {proc.returncode}: {err.decode()[-500:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trees", nargs="*", default=[], metavar="NAME=PATH")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--script", default=str(Path(sys.executable).with_name("llmextract")),
                        help="the console script (default: the one beside this Python)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    trees = dict(t.split("=", 1) for t in args.trees)
    trees["after"] = str(ROOT)
    cmds = commands(args.script)
    samples: dict[str, dict[str, list[dict[str, float]]]] = {t: {c: [] for c in cmds} for t in trees}
    for round_ in range(args.runs + 1):
        for cmd, argv in cmds.items():
            for tree, path in trees.items():
                got = run_once(argv, path)
                if round_:  # round 0 warms the page cache and __pycache__
                    samples[tree][cmd].append(got)

    results: dict[str, Any] = {}
    print(f"{'command':8} {'tree':8} {'wall s (median)':>16} {'spread':>15} {'CPU s':>7} {'peak RSS MB':>12}  aim")
    for cmd in cmds:
        for tree in trees:
            runs = samples[tree][cmd]
            wall = [r["wall_s"] for r in runs]
            row = {
                "wall_s": {"median": round(statistics.median(wall), 4), "min": round(min(wall), 4),
                           "max": round(max(wall), 4)},
                "cpu_s": round(statistics.median(r["cpu_s"] for r in runs), 4),
                "peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
                "runs": len(runs),
            }
            aim = AIMS[cmd]
            row["meets_aim"] = (row["wall_s"]["median"] <= aim["wall_s"]
                                and row["peak_rss_mb"] <= aim.get("peak_rss_mb", float("inf")))
            results.setdefault(cmd, {})[tree] = row
            aim_text = ", ".join(f"{k} <= {v}" for k, v in aim.items())
            print(f"{cmd:8} {tree:8} {row['wall_s']['median']:16.3f} {min(wall):7.3f}-{max(wall):7.3f} "
                  f"{row['cpu_s']:7.3f} {row['peak_rss_mb']:12.1f}  {aim_text}: "
                  f"{'met' if row['meets_aim'] else 'not met'}")
    doc = {
        "benchmark": "startup",
        "command": "python benchmarks/startup.py " + " ".join(sys.argv[1:]),
        "commands": {c: " ".join(a) for c, a in cmds.items()},
        "trees": trees, "cwd": "/tmp", "runs": args.runs, "aims": AIMS,
        "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
        "load_average_1m_at_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
