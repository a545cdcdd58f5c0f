"""Throughput of ``llmextract batch`` against a plain asyncio + openai client sending the same requests.

    python benchmarks/batch_throughput.py [--articles 800] [--seconds 5] [--concurrency 16]
                                          [--latencies 0.1 1.0] [--workers 2] [--repeats 5]
                                          [--serve-articles 4] [--no-serve]

(a) A fixed-latency scripted server (``python -m llmextract.testing.scripted``) in its own process: every
reply takes the latency, so the ideal rate is concurrency / latency and whatever falls short of it
is the client's own cost. Each run is about ``--seconds`` long at the ideal rate (at most
``--articles``). Four clients, interleaved, ``--repeats`` times each:

* ``plain``: asyncio + ``openai.AsyncOpenAI``, a semaphore of ``--concurrency``, sending the very
  request bodies ``llmextract batch`` sends (recorded beforehand on a loopback scripted server) and
  parsing each reply into a ClaimList: the least any client must do.
* ``batch``: what ``llmextract batch`` runs: JSONL input read lazily, the Pipeline (evidence index,
  hints, instructor over the openai client, grounding), one JSON line written and flushed per
  article, no cache; its CPU stages in threads of the process (``--workers 0``, the default).
* ``batch --workers N``: the same with the CPU stages in N worker processes, started and ended
  with each run. The run does not wait for them: articles begun before a worker is ready run in
  this process. Its throughput is over the whole run, start-up included (a run made to wait,
  ``wait_for_workers=True``, would also be given after the workers were ready: ``after_start``).
* ``runner+llm``: the batch runner over the bare LLMExtractor (no evidence index, no grounding),
  to separate the runner's cost from the pipeline's.

CPU time per article is this process's CPU time (``time.process_time``: every thread) plus that of
the worker processes the run started and ended (``RUSAGE_CHILDREN``, which counts children once they
have ended and been waited for: the server, another child, ends only after every run), divided by
the articles. Every figure is the median of the runs, with the lowest and highest beside it.

``runner only`` is the batch runner with an extractor that returns at once: its own CPU cost.

(b) ``llmextract serve`` (llama-cpp-python with SmolLM2-135M) when it is installed: ``plain`` and
``batch`` on a few short articles, one request each (no retries, no re-asks, the same recorded
bodies for ``plain``), at concurrency 2.

Prints one table and writes ``benchmarks/results/batch_throughput.json``. Asserts no timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llmextract.batch import BatchEndpoint, iter_articles, run_batch  # noqa: E402
from llmextract.batch.endpoints import async_http_client, build_endpoints  # noqa: E402
from llmextract.config import EndpointConfig  # noqa: E402
from llmextract.schema import Article, ClaimList  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "batch_throughput.json"
EXAMPLES = ROOT / "examples" / "articles"
_TICKS = os.sysconf("SC_CLK_TCK")


def make_articles(n: int) -> list[Article]:
    """``n`` distinct articles: the sample articles, cycled, each with a distinct last line."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.txt"))]
    return [Article(id=f"bench-{i:05d}", text=f"{texts[i % len(texts)].rstrip()}\n\n(Report {i}.)\n")
            for i in range(n)]


def write_jsonl(path: Path, articles: list[Article]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps({"id": a.id, "text": a.text}) + "\n")


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of another process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


class ScriptedProcess:
    """The scripted server in its own process, so its CPU time is not the client's."""

    def __init__(self, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "llmextract.testing.scripted", "--latency", str(latency), "--responder", "echo",
             "--until-stdin-closes"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT)
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().decode().strip()

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --------------------------------------------------------------------------- the three clients


async def run_plain(url: str, bodies: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    """asyncio + openai.AsyncOpenAI: send each recorded request body, parse the reply into a ClaimList."""
    import openai

    http = async_http_client(concurrency)
    client = openai.AsyncOpenAI(base_url=url, api_key="not-needed", max_retries=0, http_client=http, timeout=600)
    sem = asyncio.Semaphore(concurrency)
    failures = 0

    async def one(body: dict[str, Any]) -> None:
        nonlocal failures
        rest = {k: v for k, v in body.items() if k not in ("model", "messages")}
        async with sem:
            try:
                reply = await client.chat.completions.create(model=body["model"], messages=body["messages"],
                                                             extra_body=rest)
                ClaimList.model_validate_json(reply.choices[0].message.content or "")
            except Exception:
                failures += 1

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(b) for b in bodies))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    await client.close()
    await http.aclose()
    return {"wall_s": wall, "cpu_s": cpu, "failures": failures}


def recorded_bodies(src: Path, work: Path, **options: Any) -> list[dict[str, Any]]:
    """The exact request bodies ``llmextract batch`` sends for ``src`` (one per article), recorded on a
    loopback scripted server, for the plain client to send the same requests."""
    from llmextract.testing.scripted import echo_claims, scripted_server

    with scripted_server(responder=echo_claims) as server:
        asyncio.run(run_batch_cli_path(server.url, server.model, src, work / "record.jsonl", 4, **options))
        bodies = [r.json for r in server.requests if r.attempt == 0]
    return bodies


def children_cpu() -> float:
    """CPU seconds of this process's children that have ended and been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def run_batch_cli_path(url: str, model: str, src: Path, out: Path, concurrency: int, workers: int = 0,
                             **options: Any) -> dict[str, Any]:
    """What ``llmextract batch SRC --out OUT --endpoint URL --model M --concurrency C --workers W --no-cache`` runs."""
    built = await build_endpoints([url], model=model, concurrency=concurrency, **options)
    try:
        cpu0, kids0, t0 = time.process_time(), children_cpu(), time.perf_counter()
        summary = await run_batch(iter_articles(src), built.endpoints, out, concurrency=concurrency,
                                  handle_signals=False, workers=workers)
        wall, cpu, kids = time.perf_counter() - t0, time.process_time() - cpu0, children_cpu() - kids0
    finally:
        await built.aclose()
    return {"wall_s": wall, "cpu_s": cpu + kids, "workers_cpu_s": kids, "workers_start_s": summary.workers_start_s,
            "failures": summary.failed, "requests": summary.requests}


async def run_runner_llm(url: str, model: str, src: Path, out: Path, concurrency: int) -> dict[str, Any]:
    from llmextract.extractors.llm import LLMExtractor

    http = async_http_client(concurrency)
    llm = LLMExtractor(EndpointConfig.resolve(endpoint=url, model=model, profile="json"), async_http_client=http)
    try:
        cpu0, t0 = time.process_time(), time.perf_counter()
        summary = await run_batch(iter_articles(src), [BatchEndpoint(llm.aextract, label=llm.endpoint)], out,
                                  concurrency=concurrency, handle_signals=False)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        await llm.aclose()
        await http.aclose()
    return {"wall_s": wall, "cpu_s": cpu, "failures": summary.failed, "requests": summary.requests}


def summarise(runs: list[dict[str, Any]], n: int) -> dict[str, Any]:
    rates = [n / r["wall_s"] for r in runs]
    cpus = [r["cpu_s"] / n * 1000 for r in runs]
    out = {
        "runs": runs,
        "articles_per_s": round(statistics.median(rates), 2),
        "articles_per_s_min_max": [round(min(rates), 2), round(max(rates), 2)],
        "articles_per_s_each": [round(x, 2) for x in rates],
        "cpu_ms_per_article": round(statistics.median(cpus), 3),
        "cpu_ms_per_article_min_max": [round(min(cpus), 3), round(max(cpus), 3)],
        "failures": max(r["failures"] for r in runs),
    }
    if any(r.get("workers_cpu_s") for r in runs):
        out["workers_cpu_ms_per_article"] = round(statistics.median(r["workers_cpu_s"] / n * 1000 for r in runs), 3)
    if any(r.get("workers_start_s") for r in runs):  # a run that waited for its workers (wait_for_workers=True)
        after = [n / (r["wall_s"] - r["workers_start_s"]) for r in runs]
        out["after_start_articles_per_s"] = round(statistics.median(after), 2)
        out["after_start_articles_per_s_min_max"] = [round(min(after), 2), round(max(after), 2)]
        out["workers_start_s"] = round(statistics.median(r["workers_start_s"] for r in runs), 3)
    return out


# --------------------------------------------------------------------------- (a) scripted server


def bench_scripted(n: int, concurrency: int, latency: float, repeats: int, workers: int, work: Path
                   ) -> dict[str, Any]:
    articles = make_articles(n)
    src = work / f"articles_{n}.jsonl"
    write_jsonl(src, articles)
    model = "scripted-model"
    bodies = recorded_bodies(src, work, profile="json")
    server = ScriptedProcess(latency)
    with_workers = f"batch --workers {workers}"
    runs: dict[str, list[dict[str, Any]]] = {"plain": [], "batch": [], with_workers: [], "runner+llm": []}
    server_cpu: dict[str, float] = {k: 0.0 for k in runs}
    try:
        # warm-up: imports, connections, the gazetteer
        asyncio.run(run_plain(server.url, bodies[:concurrency], concurrency))
        write_jsonl(work / "warm.jsonl", articles[:concurrency])
        asyncio.run(run_batch_cli_path(server.url, model, work / "warm.jsonl", work / "warm_out.jsonl", concurrency,
                                       profile="json"))
        for _ in range(repeats):
            for name in runs:
                before = server.cpu()
                if name == "plain":
                    r = asyncio.run(run_plain(server.url, bodies, concurrency))
                elif name == "batch":
                    r = asyncio.run(run_batch_cli_path(server.url, model, src, work / "out.jsonl", concurrency,
                                                       profile="json"))
                elif name == with_workers:
                    r = asyncio.run(run_batch_cli_path(server.url, model, src, work / "out_w.jsonl", concurrency,
                                                       workers, profile="json"))
                else:
                    r = asyncio.run(run_runner_llm(server.url, model, src, work / "out2.jsonl", concurrency))
                server_cpu[name] += server.cpu() - before
                runs[name].append(r)
    finally:
        server.close()
    out = {k: summarise(v, n) for k, v in runs.items()}
    for k in out:
        out[k]["server_cpu_ms_per_request"] = round(server_cpu[k] / (n * repeats) * 1000, 3)
    plain = out["plain"]
    for k in ("batch", with_workers, "runner+llm"):
        out[k]["vs_plain"] = round(out[k]["articles_per_s"] / plain["articles_per_s"], 3)
        out[k]["toolkit_cpu_ms_per_article"] = round(out[k]["cpu_ms_per_article"] - plain["cpu_ms_per_article"], 3)
    w = out[with_workers]
    if "after_start_articles_per_s" in w:
        w["after_start_vs_plain"] = round(w["after_start_articles_per_s"] / plain["articles_per_s"], 3)
    return {"articles": n, "concurrency": concurrency, "latency_s": latency, "repeats": repeats,
            "ideal_articles_per_s": round(concurrency / latency, 2), "clients": out}


def runner_overhead(n: int, concurrency: int) -> dict[str, Any]:
    """CPU per article of the runner alone: an extractor that returns at once, output written to a file."""
    from llmextract.schema import Claim, Count, ExtractionResult, Provenance

    async def extract(article: Article) -> ExtractionResult:
        return ExtractionResult(article_id=article.id, content_hash=article.content_hash,
                                claims=[Claim(killed=Count(phrase="at least 12", low=12, qualifier="at_least"))],
                                provenance=Provenance(extractor="trivial", model_used=False))

    articles = make_articles(n)
    with tempfile.TemporaryDirectory() as tmp:
        cpu0, t0 = time.process_time(), time.perf_counter()
        asyncio.run(run_batch(iter(articles), [extract], Path(tmp) / "o.jsonl", concurrency=concurrency,
                              handle_signals=False))
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {"articles": n, "cpu_ms_per_article": round(cpu / n * 1000, 3), "articles_per_s": round(n / wall, 1)}


# --------------------------------------------------------------------------- (b) llmextract serve


def bench_serve(n: int, concurrency: int, repeats: int, work: Path) -> dict[str, Any]:
    try:
        from llmextract.serve import local_server
    except Exception as exc:  # pragma: no cover
        return {"skipped": f"llmextract.serve not importable: {exc}"}
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return {"skipped": "llama_cpp is not installed (pip install 'llmextract[local]')"}
    # short articles keep a 135M model on 2 cores within minutes
    texts = [row for row in _short_texts()][:n]
    articles = [Article(id=f"serve-{i}", text=t) for i, t in enumerate(texts)]
    src = work / "serve.jsonl"
    write_jsonl(src, articles)
    max_tokens = 192
    runs: dict[str, list[dict[str, Any]]] = {"plain": [], "batch": []}
    with local_server() as url:
        from llmextract.extractors.llm import LLMExtractor

        probe = LLMExtractor(EndpointConfig.resolve(endpoint=url))
        model, profile = probe.prepare()
        probe.close()
        bodies = recorded_bodies(src, work, profile=profile, transport_retries=0, reask_budget=0)
        for body in bodies:
            body["model"] = model
            body["max_tokens"] = max_tokens
        # warm-up: llama.cpp reuses the KV cache of a shared prompt prefix (system prompt, few-shot
        # example), so whichever client went first would pay for it alone
        asyncio.run(run_plain(url, bodies[:1], 1))
        for _ in range(repeats):
            for name in ("plain", "batch"):
                if name == "plain":
                    r = asyncio.run(run_plain(url, bodies, concurrency))
                else:
                    r = asyncio.run(_serve_batch(url, model, src, work / "serve_out.jsonl", concurrency, max_tokens))
                runs[name].append(r)
    out = {k: summarise(v, n) for k, v in runs.items()}
    out["batch"]["vs_plain"] = round(out["batch"]["articles_per_s"] / out["plain"]["articles_per_s"], 3)
    return {"articles": n, "concurrency": concurrency, "model": model, "profile": profile,
            "max_tokens": max_tokens, "repeats": repeats, "clients": out}


async def _serve_batch(url: str, model: str, src: Path, out: Path, concurrency: int, max_tokens: int
                       ) -> dict[str, Any]:
    from llmextract.pipeline import Pipeline

    http = async_http_client(concurrency)
    config = EndpointConfig.resolve(endpoint=url, model=model, transport_retries=0, reask_budget=0,
                                    max_tokens=max_tokens, timeout=600)  # one request per article, as plain
    pipeline = Pipeline(config, async_http_client=http)
    try:
        cpu0, t0 = time.process_time(), time.perf_counter()
        summary = await run_batch(iter_articles(src), [BatchEndpoint(pipeline.arun, label=url)], out,
                                  concurrency=concurrency, handle_signals=False)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        await pipeline.aclose()
        await http.aclose()
    return {"wall_s": wall, "cpu_s": cpu, "failures": summary.failed, "requests": summary.requests}


def _short_texts() -> list[str]:
    return [
        "At least 12 civilians were killed on Monday in an airstrike on the village of Hajin, local sources said.",
        "Three children and their mother were killed when a shell hit their home in Raqqa, the monitor said.",
        "The Syrian Observatory for Human Rights said 20 people were killed in strikes on Deir ez-Zor province.",
        "Seven fighters were killed and nine wounded in clashes near Idlib on Saturday, activists said.",
        "An explosion in a market in Azaz killed at least five people and injured dozens, the agency reported.",
        "Airwars says a total of at least 5,961 civilians have been killed in coalition strikes since 2014.",
        "Two men were killed by a landmine near Palmyra on Friday, state media reported.",
        "Dozens of civilians were killed in shelling of eastern Ghouta, rescue workers said on Sunday.",
    ] * 4


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=800, help="at most this many articles per run")
    parser.add_argument("--seconds", type=float, default=5.0, help="aim each run at about this long (ideal rate)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latencies", type=float, nargs="+", default=[0.1, 1.0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the batch --workers client")
    parser.add_argument("--serve-articles", type=int, default=4)
    parser.add_argument("--serve-concurrency", type=int, default=2)
    parser.add_argument("--serve-repeats", type=int, default=2)
    parser.add_argument("--no-scripted", action="store_true", help="only the llmextract serve part")
    parser.add_argument("--no-serve", action="store_true")
    args = parser.parse_args()

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="llmextract-bench-") as tmp:
        work = Path(tmp)
        runner = runner_overhead(5000, args.concurrency)
        scripted = []
        for latency in [] if args.no_scripted else args.latencies:
            n = int(min(args.articles, max(64, args.concurrency / latency * args.seconds)))
            scripted.append(bench_scripted(n, args.concurrency, latency, args.repeats, args.workers, work))
        serve = {"skipped": "--no-serve"} if args.no_serve else bench_serve(
            args.serve_articles, args.serve_concurrency, args.serve_repeats, work)
    result = {
        "benchmark": "batch_throughput",
        "command": " ".join(["python", "benchmarks/batch_throughput.py", *sys.argv[1:]]),
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "runner_only": runner,
        "scripted": scripted,
        "serve": serve,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"batch throughput ({os.cpu_count()} CPUs; median of {args.repeats})", title_justify="left")
    for col in ("server", "client", "articles", "articles/s (min-max)", "vs plain", "client CPU ms/article (min-max)",
                "toolkit CPU ms/article", "failures"):
        table.add_column(col, justify="left" if col in ("server", "client") else "right")
    table.add_row("none (returns at once)", "runner only", f"{runner['articles']:,}",
                  f"{runner['articles_per_s']:.0f}", "", f"{runner['cpu_ms_per_article']:.2f}",
                  f"{runner['cpu_ms_per_article']:.2f}", "0")
    for sc in scripted:
        label = (f"scripted {sc['latency_s'] * 1000:.0f} ms, c={sc['concurrency']} "
                 f"(ideal {sc['ideal_articles_per_s']:g}/s)")
        for name, c in sc["clients"].items():
            lo, hi = c["articles_per_s_min_max"]
            clo, chi = c["cpu_ms_per_article_min_max"]
            table.add_row(label, name, f"{sc['articles']:,}", f"{c['articles_per_s']:.1f} ({lo:.1f}-{hi:.1f})",
                          f"{c.get('vs_plain', 1.0):.3f}", f"{c['cpu_ms_per_article']:.2f} ({clo:.2f}-{chi:.2f})",
                          f"{c.get('toolkit_cpu_ms_per_article', 0.0):.2f}", str(c["failures"]))
            if "after_start_articles_per_s" in c:
                lo, hi = c["after_start_articles_per_s_min_max"]
                table.add_row(label, f"{name}, after its {c['workers_start_s']:.2f} s start",
                              f"{sc['articles']:,}", f"{c['after_start_articles_per_s']:.1f} ({lo:.1f}-{hi:.1f})",
                              f"{c['after_start_vs_plain']:.3f}", "", "", "")
    if "clients" in serve:
        label = f"llmextract serve ({serve['model']}), c={serve['concurrency']}"
        for name, c in serve["clients"].items():
            table.add_row(label, name, str(serve["articles"]), f"{c['articles_per_s']:.3f}",
                          f"{c.get('vs_plain', 1.0):.3f}", f"{c['cpu_ms_per_article']:.2f}", "", str(c["failures"]))
    else:
        table.add_row("llmextract serve", "skipped", "", "", "", "", "", serve.get("skipped", ""))
    Console(width=None if sys.stdout.isatty() else 160).print(table)
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
