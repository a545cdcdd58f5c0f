"""``llmextract export RESULTS --format csv|jsonl -o FILE``: results flattened to one row per claim.

The rows are :func:`llmextract.review.commands.export_command`'s (the columns of
:data:`llmextract.review.export.COLUMNS`); this module parses the options and writes the file
through :class:`~llmextract.cli.output.Output` (whole or not at all; ``-o -``: standard output, the
summary line then goes to standard error). The format defaults to the output's suffix, else CSV.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_export_parser(sub: Any, add_endpoint_args: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Add ``llmextract export`` to the CLI's subparsers (it talks to no endpoint)."""
    p = sub.add_parser("export", help="export results as one flat row per claim (CSV or JSON lines)")
    p.add_argument("results", metavar="RESULTS", help="results: a JSONL (batch output), a folder, a JSON file")
    p.add_argument("--format", choices=["csv", "jsonl"], default=None,
                   help="csv or jsonl (default: from the output's suffix, else csv)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write (- for standard output)")
    p.add_argument("--include-dropped", action="store_true", help="add the claims the strict policy dropped")
    p.add_argument("--no-excel-safe", action="store_true",
                   help="write CSV cells that begin with = + - @ as they are (default: prefixed with ')")
    p.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    """0 written, 1 some records could not be read, 2 bad usage or input."""
    from llmextract.cli.output import Output, write_through
    from llmextract.review.commands import export_command

    fmt = args.format or ("jsonl" if Output(args.output).suffix in (".jsonl", ".ndjson") else "csv")
    return write_through(args.output, lambda path: export_command(
        args.results, path, fmt=fmt, include_dropped=args.include_dropped, excel_safe=not args.no_excel_safe))
