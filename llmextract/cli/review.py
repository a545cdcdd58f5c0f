"""``llmextract review RESULTS -o OUT.html``: a self-contained page to review results claim by claim.

The page is :func:`llmextract.review.commands.review_command`'s; this module parses the options and
writes it through :class:`~llmextract.cli.output.Output` (whole or not at all; ``-o -``: standard
output, the summary line then goes to standard error).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_review_parser(sub: Any, add_endpoint_args: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Add ``llmextract review`` to the CLI's subparsers (it talks to no endpoint)."""
    p = sub.add_parser("review", help="write an HTML page to review results claim by claim")
    p.add_argument("results", metavar="RESULTS", help="results: a JSONL (batch output), a folder, a JSON file")
    p.add_argument("-o", "--output", required=True, metavar="OUT.html", help="the page to write (- for standard "
                   "output)")
    p.add_argument("--articles", metavar="INPUT", help="the articles' texts (a folder of .txt files or a JSONL), "
                   "so each claim is shown in its text")
    p.add_argument("--title", default="llmextract review", help="the page's title")
    p.set_defaults(func=cmd_review)


def cmd_review(args: argparse.Namespace) -> int:
    """0 the page was written, 1 some records could not be read, 2 bad usage or input."""
    from llmextract.cli.output import write_through
    from llmextract.review.commands import review_command

    return write_through(args.output, lambda path: review_command(args.results, path, articles=args.articles,
                                                                  title=args.title))
