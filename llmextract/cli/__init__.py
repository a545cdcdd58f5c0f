"""The command line: the parser, ``main`` and the exit codes; one module per command beside it.

Exit codes: 0 ok, 1 problems in the data, 2 bad usage, unreadable input or unwritable output.

    extract.py  llmextract extract      ground.py  llmextract ground      serve.py  llmextract serve
    batch.py    llmextract batch        eval.py    llmextract eval        review.py llmextract review
    export.py   llmextract export       render.py  the claims table       render_findings.py  the findings table
    output.py   where output goes (-o): standard output, or a file written whole

The habits of the ecosystem: ``llmextract`` alone prints the help, ``--version`` the version;
``-o/--output FILE`` on every command that writes (``-`` is standard output); ``-`` reads standard
input; tables and colour only on a terminal, never with ``NO_COLOR``; every command's help has a
one-line description and an example (:data:`EXAMPLES`). Every line printed on an error passes
through :func:`llmextract.secrets.scrub_known`: no configured secret reaches the terminal.

Building the parser imports only the command modules, which import what they run (the pipeline,
openai, rich) when they run it: ``llmextract --help`` loads no model client.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from llmextract._version import __version__
from llmextract.choices import POLICIES, PROFILES
from llmextract.errors import ConfigError, InputError, LLMExtractError, OutputError

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

#: Each command's one-line description and examples, shown by ``llmextract COMMAND --help``.
EXAMPLES: dict[str, tuple[str, list[str]]] = {
    "extract": ("Extract verified casualty claims from article files (a table on a terminal, else JSON lines).", [
        "llmextract extract article.txt",
        "llmextract extract *.txt --endpoint http://127.0.0.1:8080/v1 --format json -o claims.json",
        "curl -s https://example.org/story.txt | llmextract extract - --published 2024-05-01 --format csv",
    ]),
    "ground": ("Check an extraction made elsewhere (JSON) against its source text, value by value.", [
        "llmextract ground article.txt extraction.json",
        "llmextract ground article.txt extraction.json --format json",
    ]),
    "batch": ("Extract many articles to a JSONL file: concurrent, cached and resumable.", [
        "llmextract batch articles/ -o results.jsonl --endpoint http://127.0.0.1:8080/v1",
        "llmextract batch articles/ -o results.jsonl --resume",
    ]),
    "serve": ("Run a small local OpenAI-compatible model server (llama.cpp, SmolLM2-135M) on loopback.", [
        "llmextract serve --port 8080",
    ]),
    "eval": ("Score predicted claims against gold claims, field by field (several predictions side by side).", [
        "llmextract eval --gold examples/gold --pred results.jsonl",
        "llmextract eval --gold gold/ --pred offline.jsonl --pred model.jsonl --name offline --name model",
        "llmextract eval --gold gold/ --pred results.jsonl --format json -o scores.json",
    ]),
    "review": ("Write a self-contained HTML page to review results claim by claim against their text.", [
        "llmextract review results.jsonl -o review.html --articles articles/",
    ]),
    "export": ("Export results as one flat row per claim: CSV or JSON lines.", [
        "llmextract export results.jsonl --format csv -o claims.csv",
        "llmextract export results.jsonl --format jsonl -o -",
    ]),
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"llmextract: error: {message}\n")


def _add_endpoint_args(p: argparse.ArgumentParser) -> None:
    """The options of every command that talks to a model endpoint."""
    p.add_argument("--endpoint", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 "
                   "(default: $LLMEXTRACT_BASE_URL, then $OPENAI_BASE_URL; none: offline extractor)")
    p.add_argument("--model", help="model name (default: $LLMEXTRACT_MODEL, or the endpoint's first model)")
    p.add_argument("--profile", choices=PROFILES, help="structured-output profile (default: detect)")
    p.add_argument("--timeout", type=float, help="seconds per request, from sending it to the last byte of the reply "
                   "(default 120)")
    p.add_argument("--policy", choices=POLICIES, default="flag",
                   help="grounding: strict re-asks then drops unsupported claims; flag keeps them with findings")


def _describe(sub: argparse._SubParsersAction) -> None:
    """Give every command its description and examples (a command module's own, if it set them, stay)."""
    for name, parser in sub.choices.items():
        description, examples = EXAMPLES.get(name, (None, []))
        if description and not parser.description:
            parser.description = description
        if examples and not parser.epilog:
            parser.epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
            parser.formatter_class = argparse.RawDescriptionHelpFormatter


def build_parser() -> argparse.ArgumentParser:
    from llmextract.cli.batch import add_batch_parser
    from llmextract.cli.eval import add_eval_parser
    from llmextract.cli.export import add_export_parser
    from llmextract.cli.extract import add_extract_parser
    from llmextract.cli.ground import add_ground_parser
    from llmextract.cli.review import add_review_parser
    from llmextract.cli.serve import add_serve_parser

    parser = _Parser(prog="llmextract", description="Structured, verified casualty claims from news articles.",
                     epilog="Run `llmextract COMMAND --help` for a command's options and examples. NO_COLOR turns "
                            "colour off; tables and colour appear only on a terminal.")
    parser.add_argument("--version", action="version", version=f"llmextract {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add in (add_extract_parser, add_ground_parser, add_batch_parser, add_eval_parser, add_review_parser,
                add_export_parser, add_serve_parser):
        add(sub, _add_endpoint_args)
    _describe(sub)
    return parser


def say(message: str) -> None:
    """Print one line for the user on standard error, scrubbed of every secret configured in this process."""
    from llmextract.secrets import scrub_known

    print(scrub_known(message), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # `llmextract` alone: what it can do, not an error
        parser.print_help()
        return EXIT_OK
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return int(args.func(args))
    except (InputError, OutputError) as exc:
        say(f"llmextract: {exc}")
        return EXIT_USAGE
    except ConfigError as exc:
        say(f"llmextract: configuration: {exc}")
        return EXIT_USAGE
    except LLMExtractError as exc:
        say(f"llmextract: {exc}")
        return EXIT_DATA
    except BrokenPipeError:  # `llmextract ... | head`: the reader left; say nothing more
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), sys.stdout.fileno())
        return EXIT_DATA
    except KeyboardInterrupt:
        say("llmextract: interrupted")
        return 130
