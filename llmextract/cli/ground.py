"""``llmextract ground TEXT_FILE EXTRACTION_JSON``: check an extraction made elsewhere against its source text."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from llmextract.cli import EXIT_DATA, EXIT_OK
from llmextract.errors import InputError


def add_ground_parser(sub: Any, add_endpoint_args: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Add ``llmextract ground`` to the CLI's subparsers (it talks to no endpoint: ``add_endpoint_args`` is unused)."""
    p = sub.add_parser("ground", help="check an extraction made elsewhere against its source text")
    p.add_argument("text_file", metavar="TEXT_FILE")
    p.add_argument("extraction_json", metavar="EXTRACTION_JSON")
    p.add_argument("--format", choices=["table", "json"], default=None,
                   help="a table on a terminal, JSON otherwise (default: by where the output goes)")
    p.add_argument("-o", "--output", metavar="FILE", default="-",
                   help="write the report to FILE, whole or not at all (default -: standard output)")
    p.add_argument("--problems", action="store_true",
                   help="show only the failures and the unchecked values (the summary counts every finding)")
    p.set_defaults(func=cmd_ground)


def cmd_ground(args: argparse.Namespace) -> int:
    """0 no failure (unchecked values are listed, not failures), 1 some value fails, 2 an unreadable file.

    Every finding is shown with its reason: a ``misattached`` value says whose claim or which role
    it belongs to, an ``unchecked`` one why nothing checked it."""
    from llmextract.cli.output import Output
    from llmextract.cli.render_findings import render_findings, summary_line
    from llmextract.grounding import ground
    from llmextract.io import read_article, read_json

    if args.text_file == "-" and args.extraction_json == "-":
        raise InputError("only one of TEXT_FILE and EXTRACTION_JSON can be standard input (-)")
    output = Output(args.output)
    output.check()
    article = read_article(args.text_file)
    data = read_json(args.extraction_json)
    report = ground(data, article)
    fmt = args.format or ("table" if output.is_terminal else "json")
    if fmt == "json":
        with output.open() as fh:
            fh.write(report.model_dump_json(indent=2) + "\n")
    else:
        from llmextract.cli.render import console

        with output.open() as fh:
            out = console(fh)
            out.print(render_findings(report, only_problems=args.problems,
                                      title=f"{args.extraction_json} against {args.text_file}"))
            out.print(summary_line(report), markup=False)
    return EXIT_DATA if report.unsupported else EXIT_OK
