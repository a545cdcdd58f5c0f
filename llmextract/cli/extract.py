"""``llmextract extract FILE...``: claims from article files (``-``: standard input) as a table, JSON, JSONL or CSV.

The format defaults to a table on a terminal, else to what ``-o FILE``'s suffix says (``.json``,
``.jsonl``, ``.csv``), else JSON lines. ``--format json`` is always a list, one item per article.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Callable
from typing import IO, Any

from llmextract.cli import EXIT_DATA, EXIT_OK, EXIT_USAGE, say
from llmextract.errors import ArticleTimeoutError, EndpointError, InputError, ModelOutputError

NO_MODEL_LINE = ("No model was used: these claims come from the offline extractor. To use a language model, "
                 "pass --endpoint URL (and --model NAME) or set LLMEXTRACT_BASE_URL.")
FORMATS = ("table", "json", "jsonl", "csv")
_BY_SUFFIX = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".txt": "table"}


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if seconds < 0:
        raise argparse.ArgumentTypeError("must be 0 (no deadline) or more")
    return seconds


def add_extract_parser(sub: Any, add_endpoint_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``llmextract extract`` to the CLI's subparsers."""
    p = sub.add_parser("extract", help="extract claims from article files")
    p.add_argument("files", nargs="+", metavar="FILE", help="article text files; - reads standard input")
    add_endpoint_args(p)
    p.add_argument("--article-timeout", type=_seconds, metavar="S",
                   help="seconds one article may take through a model, retries and re-asks included "
                        "(default 600; 0: no deadline; or $LLMEXTRACT_ARTICLE_TIMEOUT)")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="table (the default on a terminal), json (a list), jsonl (the default otherwise) or csv "
                        "(one row per claim)")
    p.add_argument("-o", "--output", metavar="FILE", default="-",
                   help="write the results to FILE, whole or not at all (default -: standard output)")
    p.add_argument("--published", type=_date, metavar="YYYY-MM-DD",
                   help="the articles' publication date (relative dates resolve against it), instead of the "
                        "date the text states")
    p.set_defaults(func=cmd_extract)


def _format(args: argparse.Namespace, terminal: bool, suffix: str) -> str:
    if args.format:
        return str(args.format)
    if terminal:
        return "table"
    return _BY_SUFFIX.get(suffix, "jsonl")


def cmd_extract(args: argparse.Namespace) -> int:
    """0 every article extracted with no unsupported finding, 1 problems in the data, 2 an unreadable file."""
    from llmextract.cli.output import Output
    from llmextract.config import EndpointConfig
    from llmextract.io import STDIN, read_article
    from llmextract.pipeline import Pipeline

    if sum(1 for f in args.files if f == STDIN) > 1:
        raise InputError("standard input (-) can be read only once")
    output = Output(args.output)
    output.check()
    fmt = _format(args, output.is_terminal, output.suffix)
    config = EndpointConfig.resolve(args.endpoint, args.model, profile=args.profile, timeout=args.timeout,
                                    article_timeout=args.article_timeout)
    pipeline = Pipeline(config, policy=args.policy)
    metadata: dict[str, Any] = {"published": args.published} if args.published else {}
    status = EXIT_OK
    extracted = 0
    records: list[dict[str, Any]] = []
    results: list[Any] = []
    live = output.is_stdout and fmt in ("table", "jsonl")  # shown as each article finishes
    out = None
    if live and fmt == "table":
        from llmextract.cli.render import console

        out = console(output.stdout)
    with pipeline:
        for path in args.files:
            try:
                article = read_article(path, **metadata)
                result = pipeline.run(article)
            except InputError as exc:
                say(f"llmextract: {exc}")
                status = EXIT_USAGE
                continue
            except (EndpointError, ModelOutputError, ArticleTimeoutError) as exc:
                say(f"llmextract: {path}: {exc}")
                status = max(status, EXIT_DATA)
                if isinstance(exc, ModelOutputError) and exc.raw_replies:
                    say(f"llmextract: {len(exc.raw_replies)} raw model repl(ies) kept; --format json shows them")
                    if fmt in ("json", "jsonl"):
                        records.append(_emit(output, live, fmt, {"source": str(path), "error": str(exc),
                                                                 "raw_replies": exc.raw_replies}))
                if getattr(exc, "fatal", False):  # a refused key, no such model: every other file would fail alike
                    say("llmextract: stopping: the endpoint would refuse every article alike")
                    break
                continue
            extracted += 1
            if result.unsupported:
                status = max(status, EXIT_DATA)
            results.append(result)
            if out is not None:
                from llmextract.cli.render import render_result

                render_result(result, str(path), out)
            elif fmt != "table" or not live:
                records.append(_emit(output, live, fmt, {"source": str(path), **result.model_dump(mode="json")}))
    if not live:
        with output.open() as fh:
            _write(fh, fmt, records, results)
    if extracted and not pipeline.uses_model:  # said only where there are claims it applies to
        if fmt == "table" and output.is_stdout:
            print(NO_MODEL_LINE, file=output.stdout)
        else:
            say(NO_MODEL_LINE)
    return status


def _emit(output: Any, live: bool, fmt: str, record: dict[str, Any]) -> dict[str, Any]:
    """A JSON record: written at once when it goes to standard output line by line, else kept for the end."""
    if live and fmt == "jsonl":
        output.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        output.stdout.flush()
    return record


def _write(fh: IO[str], fmt: str, records: list[dict[str, Any]], results: list[Any]) -> None:
    if fmt == "json":
        fh.write(json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "jsonl":
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        from llmextract.review.export import write_csv

        write_csv(results, fh)
    else:  # a table into a file: plain text, no colour
        from llmextract.cli.render import console, render_result

        out = console(fh)
        for record, result in zip((r for r in records if "error" not in r), results, strict=False):
            render_result(result, record["source"], out)
