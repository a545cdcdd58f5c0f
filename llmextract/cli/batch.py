"""``llmextract batch INPUT -o OUT``: many articles to a JSONL file, with a progress bar and a summary table.

The run itself is :func:`llmextract.batch.run_batch`; this module parses the options, builds the
endpoints, draws the progress ``run_batch`` reports through its callback (a rich bar on a
terminal, else a log line every ten seconds) and prints the summary (a table, or JSON).
Exit codes: 0 every article ok, 1 some failed, 2 bad usage or input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmextract.errors import ConfigError, InputError

if TYPE_CHECKING:
    from llmextract.batch import BatchProgress, BatchSummary

logger = logging.getLogger(__name__)

EXIT_INTERRUPTED = 130


def add_batch_parser(sub: Any, add_endpoint_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``llmextract batch`` to the CLI's subparsers (``add_endpoint_args`` adds the shared endpoint options)."""
    p = sub.add_parser(
        "batch", help="extract many articles to a JSONL file (concurrent, resumable)", conflict_handler="resolve",
        description="Run a folder of .txt files, a JSONL file of articles (id, text, optional title, url, outlet, "
                    "published) or - (JSONL on stdin) through the extractor, one JSON line per article in --out.",
    )
    p.add_argument("input", metavar="INPUT", help="folder of .txt files, JSONL file, or - for stdin")
    add_endpoint_args(p)
    p.add_argument("--endpoint", action="append", default=None, metavar="URL",
                   help="OpenAI-compatible base URL; repeat to share the load across several servers "
                        "(default: $LLMEXTRACT_BASE_URL, then $OPENAI_BASE_URL; none: offline extractor)")
    p.add_argument("-o", "--out", required=True, metavar="RESULTS.jsonl", help="output file, one JSON line per article")
    p.add_argument("-c", "--concurrency", type=int, default=4, metavar="N", help="requests in flight per endpoint")
    p.add_argument("--resume", action="store_true",
                   help="keep --out and skip the articles it already holds (same id and text)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the on-disk result cache")
    p.add_argument("--cache-path", metavar="FILE",
                   help="the result cache (default: results.sqlite3 in $LLMEXTRACT_CACHE_DIR, else in "
                        "$XDG_CACHE_HOME/llmextract or ~/.cache/llmextract)")
    p.add_argument("--retries", type=int, metavar="N", help="transport retries per request (default 3)")
    p.add_argument("--reasks", type=int, metavar="N", help="re-asks when a reply does not fit (default 2)")
    p.add_argument("--grace", type=float, default=30.0, metavar="S",
                   help="on Ctrl-C, seconds to let in-flight articles finish (default 30)")
    p.add_argument("--article-timeout", type=float, metavar="S", help="give up on one article after S seconds")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    p.add_argument("--summary", choices=["table", "json"], default="table", help="how to print the summary")
    p.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    """``llmextract batch``: 0 all articles ok, 1 some failed, 2 bad usage or input, 130 interrupted."""
    import asyncio

    from rich.console import Console

    from llmextract.batch import ResponseCache, iter_articles, run_batch
    from llmextract.batch.endpoints import build_endpoints
    from llmextract.batch.sources import count_articles

    out = Path(args.out)
    if args.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if out.exists() and out.stat().st_size > 0 and not (args.resume or args.overwrite):
        raise InputError("exists; pass --resume to continue it or --overwrite to replace it", source=str(out))
    if args.input != "-" and Path(args.input).resolve() == out.resolve():
        raise InputError("the input and the output are the same file", source=str(out))
    articles = iter_articles(args.input)
    view: _ProgressView | None = None
    if not args.no_progress:
        view = _ProgressView(count_articles(args.input))
    cache = None if args.no_cache else ResponseCache(args.cache_path)
    options: dict[str, Any] = {}
    for name, value in (("profile", args.profile), ("timeout", args.timeout), ("transport_retries", args.retries),
                        ("reask_budget", args.reasks)):
        if value is not None:
            options[name] = value

    async def main() -> BatchSummary:
        built = await build_endpoints(args.endpoint or [None], model=args.model, concurrency=args.concurrency,
                                      policy=args.policy, **options)
        try:
            return await run_batch(articles, built.endpoints, out, concurrency=args.concurrency, resume=args.resume,
                                   cache=cache, progress=view, grace_s=args.grace,
                                   article_timeout_s=args.article_timeout)
        finally:
            await built.aclose()

    try:
        summary = asyncio.run(main())
    except BaseException:
        if view is not None:
            view.close(None)
        raise
    else:
        if view is not None:
            view.close(summary)
    finally:
        if cache is not None:
            cache.close()
    if args.summary == "json":
        sys.stdout.write(summary.model_dump_json() + "\n")
    else:
        Console(highlight=False).print(summary_table(summary))
        if summary.interrupted:
            Console(stderr=True, highlight=False).print(
                f"llmextract: interrupted; run again with --resume to finish ({out})")
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return summary.exit_code


def summary_table(summary: BatchSummary, *, title: str = "batch summary") -> Any:
    """A rich Table of a summary (``Console(stderr=True).print(summary_table(s))``)."""
    from rich.table import Table

    s = summary
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    rows: list[tuple[str, str]] = [
        ("articles written", f"{s.articles:,}"),
        ("  ok", f"{s.ok:,}"),
        ("  failed", f"{s.failed:,}"),
    ]
    for kind, n in s.failures.items():
        rows.append((f"    {kind}", f"{n:,}"))
    rows += [
        ("skipped (already done)", f"{s.skipped:,}"),
        ("from cache", f"{s.cached:,}"),
        ("claims", f"{s.claims:,}"),
        ("unsupported findings", f"{s.unsupported:,}"),
        ("model requests", f"{s.requests:,}"),
        ("  transport retries", f"{s.transport_retries:,}"),
        ("  re-asks", f"{s.reasks:,}"),
        ("tokens in / out", f"{s.tokens_in:,} / {s.tokens_out:,}"),
        ("wall time", f"{s.wall_s:,.1f} s"),
        ("throughput", f"{s.throughput:,.2f} articles/s"),
    ]
    if len(s.per_endpoint) > 1:
        for label, n in s.per_endpoint.items():
            rows.append((f"  via {label}", f"{n:,}"))
    if s.interrupted:
        rows.append(("interrupted", f"yes ({s.unfinished} unfinished; run again with --resume)"))
    for k, v in rows:
        table.add_row(k, v)
    return table


class _ProgressView:
    """``run_batch``'s progress callback: a rich bar on a terminal, else a log line every ``every_s`` seconds.

    Off a terminal the lines go to the log at INFO, which this raises to for the batch loggers (the
    library's and this module's) so that they show at the default verbosity.
    """

    def __init__(self, total: int | None, every_s: float = 10.0) -> None:
        self.total = total
        self.every_s = every_s
        self._last: BatchProgress | None = None
        self._last_log = time.monotonic()
        self._bar: Any = None
        self._task: Any = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]batch"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[claims]} claims"), TextColumn("[red]{task.fields[failed]} failed"),
                TextColumn("{task.fields[rps]} req/s"), TimeElapsedColumn(), TextColumn("ETA"),
                TimeRemainingColumn(), console=Console(stderr=True), transient=False,
            )
            self._bar.start()
            self._task = self._bar.add_task("batch", total=total, claims=0, failed=0, rps="0.0")
        else:
            for name in ("llmextract.batch", __name__):  # plain progress lines at the default verbosity
                named = logging.getLogger(name)
                if named.getEffectiveLevel() > logging.INFO:
                    named.setLevel(logging.INFO)

    def __call__(self, p: BatchProgress) -> None:
        self._last = p
        if self._bar is not None:
            rps = f"{p.requests / p.elapsed_s:.1f}" if p.elapsed_s > 0 else "0.0"
            self._bar.update(self._task, completed=p.done, claims=p.claims, failed=p.failed, rps=rps)
            return
        now = time.monotonic()
        if now - self._last_log >= self.every_s:
            self._last_log = now
            self._log(p)

    def close(self, summary: BatchSummary | None) -> None:
        """The last figures (the summary's, when the run ended with one), and the bar stopped."""
        from llmextract.batch import BatchProgress

        last = self._last
        if summary is not None:
            last = BatchProgress(articles=summary.articles, ok=summary.ok, failed=summary.failed,
                                 skipped=summary.skipped, claims=summary.claims, requests=summary.requests,
                                 elapsed_s=summary.wall_s)
        if self._bar is not None:
            if last is not None:
                self.__call__(last)
            self._bar.stop()
        elif last is not None:
            self._log(last)

    def _log(self, p: BatchProgress) -> None:
        of = f"/{self.total}" if self.total else ""
        rate = p.articles / p.elapsed_s if p.elapsed_s > 0 else 0.0
        eta = ""
        if self.total and rate > 0:
            eta = f", ETA {max(self.total - p.done, 0) / rate:.0f}s"
        logger.info("batch: %d%s done (%d skipped), %d claims, %d failed, %.1f req/s, %.2f articles/s%s",
                    p.done, of, p.skipped, p.claims, p.failed, p.requests / p.elapsed_s if p.elapsed_s > 0 else 0.0,
                    rate, eta)
