"""``llmextract eval --gold GOLD --pred PRED...``: score predictions against gold; a table, or the report as JSON.

The scoring is :func:`llmextract.review.commands.eval_command`; this module parses the options and
shows its report: a rich table on a terminal (colour only without ``NO_COLOR``), the plain-text
report elsewhere, the JSON report with ``--format json``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from llmextract.cli import EXIT_USAGE, say


def add_eval_parser(sub: Any, add_endpoint_args: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Add ``llmextract eval`` to the CLI's subparsers (it talks to no endpoint: ``add_endpoint_args`` is unused)."""
    p = sub.add_parser("eval", help="score predicted claims against gold claims")
    p.add_argument("--gold", required=True, metavar="GOLD",
                   help="gold claims: a folder of per-article results, a JSONL, flat WAD/Airwars gold, a review file")
    p.add_argument("--pred", action="append", required=True, metavar="PRED",
                   help="predictions, read like the gold (repeat to compare several side by side)")
    p.add_argument("--name", action="append", metavar="NAME", help="a name per --pred, in order (default: file names)")
    p.add_argument("--format", choices=["table", "json"], default="table",
                   help="table (rich on a terminal, plain text otherwise) or json (the whole report)")
    p.add_argument("--threshold", type=float, default=None, metavar="X",
                   help="the similarity below which a gold and a predicted claim do not match (default 0.5)")
    p.add_argument("--details", type=int, default=20, metavar="N",
                   help="misses, extras and mismatches listed per prediction set (0: none)")
    p.add_argument("-o", "--output", metavar="FILE", default="-", help="write the report to FILE (default -)")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    """0 scored with no problem, 1 unreadable records or gold articles unmatched or failed, 2 bad usage."""
    from llmextract.cli.output import Output
    from llmextract.review.commands import eval_command
    from llmextract.review.evaluate import MATCH_THRESHOLD, EvalReport, format_report

    if args.name and len(args.name) != len(args.pred):
        say(f"llmextract: error: {len(args.name)} --name for {len(args.pred)} --pred; give one name per prediction")
        return EXIT_USAGE
    output = Output(args.output)
    output.check()
    threshold = MATCH_THRESHOLD if args.threshold is None else args.threshold
    try:
        text, code = eval_command(args.gold, args.pred, names=args.name, threshold=threshold, fmt="json",
                                  details=args.details)
    except ValueError as exc:
        say(f"llmextract: error: {exc}")
        return EXIT_USAGE
    if args.format == "json":
        with output.open() as fh:
            fh.write(text)
        return code
    report = EvalReport.model_validate_json(text)
    if output.is_terminal:
        from llmextract.cli.render import console

        out = console(output.stdout)
        head, table, rest = _split(report, format_report(report, details=args.details))
        out.print(head, markup=False)
        out.print(_rich_table(report))
        out.print(rest, markup=False)
        return code
    with output.open() as fh:
        fh.write(format_report(report, details=args.details))
    return code


def _split(report: Any, text: str) -> tuple[str, str, str]:
    """The plain report's head line, its score table, and the rest (misses, extras, counts)."""
    lines = text.rstrip("\n").split("\n")
    end = 4 + len(report.table())  # the head line, a blank line, two header lines, a line per row
    return lines[0], "\n".join(lines[1:end]), "\n".join(lines[end:])


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _rich_table(report: Any) -> Any:
    """The side-by-side scores as a rich table: a row per field, P / R / F1 / flagged per prediction set."""
    from rich.table import Table

    from llmextract.review.evaluate import row_cells

    table = Table(show_lines=False, expand=False)
    table.add_column("field")
    table.add_column("gold", justify="right")
    names = [s.name for s in report.systems]
    for name in names:
        table.add_column(f"{name}\nP / R / F1 / flagged", justify="right")
    for row in report.table():
        table.add_row(str(row["field"]), str(row["gold"]), *row_cells(row, names, _pct))
    return table
