"""``llmextract batch INPUT -o OUT``: many articles to a JSONL file, with a progress bar and a summary table.

The run itself is :func:`llmextract.batch.run_batch`; this module parses the options, checks the
input and output before anything is sent (the same file, an empty folder, an output that exists),
builds the endpoints, draws the progress ``run_batch`` reports through its callback (a rich bar on
a terminal, else a log line every ten seconds) and prints the summary (a table, or JSON; on
standard error when the records go to standard output). Every refusal is one line.
Exit codes: 0 every article ok, 1 some failed, 2 bad usage, input or output (or an endpoint that
refuses every request: a wrong key, a model it does not have), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmextract.choices import DEFAULT_ARTICLE_TIMEOUT
from llmextract.errors import ConfigError, EndpointError, InputError, OutputError

if TYPE_CHECKING:
    from llmextract.batch import BatchProgress, BatchSummary

logger = logging.getLogger(__name__)

EXIT_DATA, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
#: The whole-article deadline by default, seconds (``llmextract.batch.engine.DEFAULT_ARTICLE_TIMEOUT_S``;
#: spelled here so that --help imports no engine).
DEFAULT_ARTICLE_TIMEOUT_S = DEFAULT_ARTICLE_TIMEOUT  # one default, the extractor's own

_EXAMPLES = """examples:
  llmextract batch articles/ -o results.jsonl --endpoint http://127.0.0.1:8080/v1
  llmextract batch articles/ -o results.jsonl --resume        # finish it: the missing and the failed
  llmextract batch news.jsonl -o - --summary json > results.jsonl
  llmextract batch archive/ --recursive -o results.jsonl -c 8 --endpoint URL1 --endpoint URL2
  llmextract batch news.jsonl -o results.jsonl -c 16 --workers 2   # CPU stages in 2 worker processes
"""


def add_batch_parser(sub: Any, add_endpoint_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``llmextract batch`` to the CLI's subparsers (``add_endpoint_args`` adds the shared endpoint options)."""
    p = sub.add_parser(
        "batch", help="extract many articles to a JSONL file (concurrent, resumable)", conflict_handler="resolve",
        description="Run a folder of .txt files, a JSONL file of articles (id, text, optional title, url, outlet, "
                    "published) or - (JSONL on stdin) through the extractor, one JSON line per article in the "
                    "output. The output is locked while a run writes it; a resumed run redoes what failed.",
        epilog=_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", metavar="INPUT", help="folder of .txt files, JSONL file, or - for stdin")
    add_endpoint_args(p)
    p.add_argument("--endpoint", action="append", default=None, metavar="URL",
                   help="OpenAI-compatible base URL; repeat to share the load across several servers "
                        "(default: $LLMEXTRACT_BASE_URL, then $OPENAI_BASE_URL; none: offline extractor)")
    p.add_argument("-o", "--output", "--out", dest="out", required=True, metavar="FILE",
                   help="the JSONL file to write, one line per article; - for standard output (--out is an alias)")
    p.add_argument("-c", "--concurrency", type=int, default=4, metavar="N",
                   help="requests in flight per endpoint (offline: articles at once)")
    p.add_argument("--resume", action="store_true",
                   help="keep the output and do what it lacks: articles not in it, changed since, or failed "
                        "(refused when another model or endpoint made it)")
    p.add_argument("--skip-failed", action="store_true",
                   help="with --resume, keep the error records of failed articles instead of trying them again")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    p.add_argument("-r", "--recursive", action="store_true",
                   help="read the input folder's subfolders too (ids are paths: 2019/a for 2019/a.txt)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the on-disk result cache")
    p.add_argument("--cache-path", metavar="FILE",
                   help="the result cache (default: results.sqlite3 in $LLMEXTRACT_CACHE_DIR, else in "
                        "$XDG_CACHE_HOME/llmextract or ~/.cache/llmextract)")
    p.add_argument("--retries", type=int, metavar="N", help="transport retries per request (default 3)")
    p.add_argument("--reasks", type=int, metavar="N", help="re-asks when a reply does not fit (default 2)")
    p.add_argument("--grace", type=float, default=30.0, metavar="S",
                   help="on Ctrl-C, seconds to let in-flight articles finish (default 30; Ctrl-C again: at once)")
    p.add_argument("--article-timeout", type=float, default=DEFAULT_ARTICLE_TIMEOUT_S, metavar="S",
                   help="give up on one article after S seconds in all: requests, retries, re-asks and grounding "
                        f"(default {DEFAULT_ARTICLE_TIMEOUT_S:g}, room for a 135M model on 2 CPU cores; 0: no limit)")
    p.add_argument("--workers", type=int, default=0, metavar="N",
                   help="run the CPU stages (evidence index, grounding, the result's JSON) in N worker processes, "
                        "leaving this process to the requests (default 0: threads of this process; the records "
                        "are the same)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar or progress lines")
    p.add_argument("--summary", choices=["table", "json"], default="table", help="how to print the summary")
    p.set_defaults(func=cmd_batch)


def _say(message: str) -> None:
    print(f"llmextract: {message}", file=sys.stderr)


def _same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file (a hard link, a symlink, another spelling): by device and inode."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _check_input(args: argparse.Namespace, out: Path | None) -> int | None:
    """Refuse, before anything is sent, an input that holds no article or that the output would overwrite.

    Says what a folder's scan left out. Returns the number of articles, None for a stream."""
    from llmextract.batch.sources import SUBFOLDER, count_articles, scan_folder

    if args.input == "-":
        return None
    src = Path(args.input)
    if src.is_dir():
        scan = scan_folder(src, recursive=args.recursive)
        left_out = scan.describe() + ("; pass --recursive to read the subfolders" if scan.skipped[SUBFOLDER] else "")
        if not scan.files:
            raise InputError("no articles: no .txt files" + (f" ({left_out})" if left_out else ""), source=str(src))
        if left_out:
            _say(f"{src}: {len(scan.files)} article file(s); {left_out}")
        if out is not None and out.exists() and any(_same_file(path, out) for _, path in scan.files):
            raise InputError("the output is one of the input's files", source=str(out))
        return len(scan.files)
    if out is not None and out.exists() and _same_file(src, out):
        raise InputError("the input and the output are the same file", source=str(out))
    n = count_articles(src, recursive=args.recursive)
    if n == 0:
        raise InputError("no articles: the file holds no records", source=str(src))
    return n


def cmd_batch(args: argparse.Namespace) -> int:
    """``llmextract batch``: 0 all articles ok, 1 some failed, 2 bad usage, input or output, 130 interrupted."""
    import asyncio

    from rich.console import Console

    from llmextract.batch import ResponseCache, iter_articles, run_batch
    from llmextract.batch.endpoints import build_endpoints

    to_stdout = args.out == "-"
    out: Path | None = None if to_stdout else Path(args.out)
    if args.concurrency < 1:
        raise ConfigError("--concurrency must be at least 1")
    if args.skip_failed and not args.resume:
        raise ConfigError("--skip-failed goes with --resume (a new run has no failed articles to keep)")
    if to_stdout and args.resume:
        raise ConfigError("standard output cannot be resumed: write to a file (-o FILE)")
    if args.workers < 0:
        raise ConfigError("--workers must be 0 (threads of this process) or more")
    if args.article_timeout is not None and args.article_timeout < 0:
        raise ConfigError("--article-timeout must be 0 (no limit) or more")
    if out is not None and out.is_dir():
        _say(f"{out}: is a folder; name a file to write the records to (-o FILE)")
        return EXIT_USAGE
    if out is not None and out.is_file() and out.stat().st_size > 0 and not (args.resume or args.overwrite):
        raise InputError("exists; pass --resume to continue it or --overwrite to replace it", source=str(out))
    total = _check_input(args, out)
    articles = iter_articles(args.input, recursive=args.recursive)
    view: _ProgressView | None = None
    if not args.no_progress:
        view = _ProgressView(total)
    cache = None if args.no_cache else ResponseCache(args.cache_path)
    options: dict[str, Any] = {}
    for name, value in (("profile", args.profile), ("timeout", args.timeout), ("transport_retries", args.retries),
                        ("reask_budget", args.reasks)):
        if value is not None:
            options[name] = value
    if args.article_timeout is not None:  # the extractor's own deadline is the run's (0: none)
        options["article_timeout"] = args.article_timeout

    async def main() -> BatchSummary:
        built = await build_endpoints(args.endpoint or [None], model=args.model, concurrency=args.concurrency,
                                      policy=args.policy, **options)
        try:
            return await run_batch(articles, built.endpoints, "-" if to_stdout else out,  # type: ignore[arg-type]
                                   concurrency=args.concurrency, resume=args.resume, skip_failed=args.skip_failed,
                                   overwrite=args.overwrite or args.resume, cache=cache, progress=view,
                                   grace_s=args.grace, article_timeout_s=args.article_timeout or None,
                                   workers=args.workers)
        finally:
            await built.aclose()

    try:
        summary = asyncio.run(main())
    except BaseException as exc:
        if view is not None:
            view.close(None)
        if isinstance(exc, OutputError):
            _say(str(exc))
            return EXIT_USAGE
        if isinstance(exc, EndpointError) and exc.fatal:
            _say(f"batch stopped: {exc}. No retry can fix this, so no article was tried further; fix it and "
                 "run again (with --resume to keep what was written)")
            return EXIT_USAGE
        raise
    else:
        if view is not None:
            view.close(summary)
    finally:
        if cache is not None:
            cache.close()
    if args.input == "-" and not (summary.articles or summary.skipped or summary.duplicates):
        _say("<stdin>: no articles: standard input held no records")
        return EXIT_USAGE
    report = Console(stderr=to_stdout, highlight=False)
    if args.summary == "json":
        (sys.stderr if to_stdout else sys.stdout).write(summary.model_dump_json() + "\n")
    else:
        report.print(summary_table(summary))
    if summary.interrupted:
        _say(f"interrupted; run again with --resume to finish ({summary.out})")
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
        *([("duplicate ids skipped", f"{s.duplicates:,}")] if s.duplicates else []),
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
    if s.workers:
        waited = f" (waited {s.workers_start_s:,.1f} s for them to start)" if s.workers_start_s else ""
        rows.append(("worker processes", f"{s.workers}{waited}"))
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
