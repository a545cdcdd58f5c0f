"""``llmextract extract FILE...``: extract claims from article files; a table, JSON or JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from llmextract.cli import EXIT_DATA, EXIT_OK, EXIT_USAGE
from llmextract.errors import EndpointError, InputError, ModelOutputError

NO_MODEL_LINE = ("No model was used: these claims come from the offline extractor. To use a language model, "
                 "pass --endpoint URL (and --model NAME) or set LLMEXTRACT_BASE_URL.")


def add_extract_parser(sub: Any, add_endpoint_args: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``llmextract extract`` to the CLI's subparsers."""
    p = sub.add_parser("extract", help="extract claims from article files")
    p.add_argument("files", nargs="+", metavar="FILE")
    add_endpoint_args(p)
    p.add_argument("--format", choices=["table", "json", "jsonl"], default="table")
    p.set_defaults(func=cmd_extract)


def cmd_extract(args: argparse.Namespace) -> int:
    """0 every article extracted with no unsupported finding, 1 problems in the data, 2 an unreadable file."""
    from llmextract.io import read_article
    from llmextract.pipeline import Pipeline

    pipeline = Pipeline.create(args.endpoint, args.model, profile=args.profile, policy=args.policy,
                               timeout=args.timeout)
    out = None
    if args.format == "table":
        from llmextract.cli.render import console, render_result

        out = console()
    status = EXIT_OK
    extracted = 0
    results: list[dict[str, Any]] = []
    with pipeline:
        for path in args.files:
            try:
                article = read_article(path)
            except InputError as exc:
                print(f"llmextract: {exc}", file=sys.stderr)
                status = EXIT_USAGE
                continue
            try:
                result = pipeline.run(article)
            except (EndpointError, ModelOutputError) as exc:
                print(f"llmextract: {path}: {exc}", file=sys.stderr)
                if isinstance(exc, ModelOutputError) and exc.raw_replies:
                    print(f"llmextract: {len(exc.raw_replies)} raw model repl(ies) kept; --format json shows them",
                          file=sys.stderr)
                    if args.format != "table":
                        results.append({"source": str(path), "error": str(exc), "raw_replies": exc.raw_replies})
                status = max(status, EXIT_DATA)
                continue
            extracted += 1
            if result.unsupported:
                status = max(status, EXIT_DATA)
            if out is not None:
                render_result(result, str(path), out)
            else:
                results.append({"source": str(path), **result.model_dump(mode="json")})
    if args.format == "json":
        sys.stdout.write(json.dumps(results if len(args.files) > 1 else (results[0] if results else None),
                                    indent=2, ensure_ascii=False) + "\n")
    elif args.format == "jsonl":
        for r in results:
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
    if extracted and not pipeline.uses_model:  # said only where there are claims it applies to
        print(NO_MODEL_LINE, file=sys.stdout if args.format == "table" else sys.stderr)
    return status
