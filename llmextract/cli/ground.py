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
    p.set_defaults(func=cmd_ground)


def cmd_ground(args: argparse.Namespace) -> int:
    """0 every checked value is supported by the text, 1 some are not, 2 an unreadable file."""
    from llmextract.cli.render_findings import render_findings
    from llmextract.grounding import ground
    from llmextract.io import read_article

    article = read_article(args.text_file)
    try:
        raw = Path(args.extraction_json).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", source=args.extraction_json) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                         source=args.extraction_json) from None
    report = ground(data, article)
    if args.format == "json":
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        from llmextract.cli.render import console

        out = console()
        out.print(render_findings(report, title=f"{args.extraction_json} against {args.text_file}"))
        out.print(f"{len(report.findings)} checked, {len(report.unsupported)} not supported by the text",
                  markup=False)
    return EXIT_DATA if report.unsupported else EXIT_OK
