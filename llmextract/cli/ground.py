"""``llmextract ground TEXT_FILE EXTRACTION_JSON``: check an extraction made elsewhere against its source text."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmextract.cli import EXIT_DATA, EXIT_OK
from llmextract.errors import InputError


def add_ground_parser(sub: Any, add_endpoint_args: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Add ``llmextract ground`` to the CLI's subparsers (it talks to no endpoint: ``add_endpoint_args`` is unused)."""
    p = sub.add_parser("ground", help="check an extraction made elsewhere against its source text")
    p.add_argument("text_file", metavar="TEXT_FILE")
    p.add_argument("extraction_json", metavar="EXTRACTION_JSON")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--problems", action="store_true",
                   help="show only the failures and the unchecked values (the summary counts every finding)")
    p.set_defaults(func=cmd_ground)


def cmd_ground(args: argparse.Namespace) -> int:
    """0 no failure (unchecked values are listed, not failures), 1 some value fails, 2 an unreadable file.

    Every finding is shown with its reason: a ``misattached`` value says whose claim or which role
    it belongs to, an ``unchecked`` one why nothing checked it."""
    from llmextract.cli.render_findings import render_findings, summary_line
    from llmextract.grounding import ground
    from llmextract.io import read_article

    article = read_article(args.text_file)
    data = _read_json(args.extraction_json)
    report = ground(data, article)
    if args.format == "json":
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        from llmextract.cli.render import console

        out = console()
        out.print(render_findings(report, only_problems=args.problems,
                                  title=f"{args.extraction_json} against {args.text_file}"))
        out.print(summary_line(report), markup=False)
    return EXIT_DATA if report.unsupported else EXIT_OK


def _read_json(path: str) -> Any:
    """The extraction file as JSON: UTF-8 (a byte-order mark allowed) or UTF-16 with its mark; one line
    naming the problem otherwise."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=path) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"not {encoding.upper().replace('-SIG', '')} text: {exc.reason} at byte {exc.start}",
                         source=path) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", source=path) from None
    except RecursionError:
        raise InputError("not readable: the JSON is nested too deeply", source=path) from None
