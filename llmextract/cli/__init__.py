"""The command line: the parser, ``main`` and the exit codes; one module per command beside it.

Exit codes: 0 ok, 1 problems in the data, 2 bad usage or input.

    extract.py  llmextract extract      ground.py  llmextract ground      serve.py  llmextract serve
    batch.py    llmextract batch        render.py  the claims table       render_findings.py  the findings table

Building the parser imports only the command modules, which import what they run (the pipeline,
openai, rich) when they run it: ``llmextract --help`` loads no model client.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from llmextract.choices import POLICIES, PROFILES
from llmextract.errors import ConfigError, InputError, LLMExtractError

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"llmextract: error: {message}\n")


def _add_endpoint_args(p: argparse.ArgumentParser) -> None:
    """The options of every command that talks to a model endpoint."""
    p.add_argument("--endpoint", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 "
                   "(default: $LLMEXTRACT_BASE_URL, then $OPENAI_BASE_URL; none: offline extractor)")
    p.add_argument("--model", help="model name (default: $LLMEXTRACT_MODEL, or the endpoint's first model)")
    p.add_argument("--profile", choices=PROFILES, help="structured-output profile (default: detect)")
    p.add_argument("--timeout", type=float, help="seconds per request")
    p.add_argument("--policy", choices=POLICIES, default="flag",
                   help="grounding: strict re-asks then drops unsupported claims; flag keeps them with findings")


def build_parser() -> argparse.ArgumentParser:
    from llmextract.cli.batch import add_batch_parser
    from llmextract.cli.extract import add_extract_parser
    from llmextract.cli.ground import add_ground_parser
    from llmextract.cli.serve import add_serve_parser

    parser = _Parser(prog="llmextract", description="Structured, verified casualty claims from news articles.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in (add_extract_parser, add_ground_parser, add_serve_parser, add_batch_parser):
        add(sub, _add_endpoint_args)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(f"llmextract: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"llmextract: configuration: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LLMExtractError as exc:
        print(f"llmextract: {exc}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("llmextract: interrupted", file=sys.stderr)
        return 130
