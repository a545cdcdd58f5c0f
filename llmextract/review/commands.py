"""What ``llmextract eval``, ``review`` and ``export`` do, as functions that return text and an exit code.

The CLI parses its arguments, calls one of these, prints the text and exits with the code (0 ok;
1 the data has problems: unreadable records, gold articles with no prediction or a failed one).
They raise :class:`~llmextract.errors.InputError` for a missing file or folder (exit 2) and
ValueError for a bad option value (exit 2). Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from llmextract.review.evaluate import MATCH_THRESHOLD, evaluate, format_report
from llmextract.review.export import write_csv, write_jsonl
from llmextract.review.html import render_review
from llmextract.review.results import read_results

__all__ = ["eval_command", "export_command", "review_command"]


def eval_command(gold: str | Path, preds: Sequence[str | Path], *, names: Sequence[str] | None = None,
                 threshold: float = MATCH_THRESHOLD, fmt: str = "table", details: int = 20) -> tuple[str, int]:
    """Score ``preds`` against ``gold``: the table (``fmt="table"``) or the report's JSON, and the exit code."""
    if fmt not in ("table", "json"):
        raise ValueError(f"unknown format {fmt!r}: table or json")
    if not preds:
        raise ValueError("give at least one prediction file (--pred)")
    report = evaluate(gold, *preds, names=names or None, threshold=threshold)
    text = report.model_dump_json(indent=2) + "\n" if fmt == "json" else format_report(report, details=details)
    bad = report.problems or any(s.problems or s.missing or s.failed for s in report.systems)
    return text, 1 if bad else 0


def review_command(results: str | Path, out: str | Path, *, articles: str | Path | None = None,
                   title: str = "llmextract review") -> tuple[str, int]:
    """Write the review page of ``results`` to ``out``; a one-line summary and the exit code."""
    rs = read_results(results)
    page = render_review(rs, articles, title=title)
    Path(out).write_text(page, encoding="utf-8")
    failed = sum(1 for r in rs if r.result is None)
    claims = sum(len(r.result.claims) for r in rs if r.result is not None)
    line = f"wrote {out}: {len(rs)} article(s), {claims} claim(s)" + (f", {failed} failed" if failed else "")
    if rs.problems:
        line += f"; {len(rs.problems)} unreadable record(s): " + "; ".join(rs.problems[:3])
    return line + "\n", 1 if rs.problems else 0


def export_command(results: str | Path, out: str | Path, *, fmt: str = "csv",
                   include_dropped: bool = False, excel_safe: bool = True) -> tuple[str, int]:
    """Write one row per claim of ``results`` to ``out`` as CSV or JSONL; a one-line summary and the exit code."""
    rs = read_results(results)
    if fmt == "csv":
        n = write_csv(rs, out, include_dropped=include_dropped, excel_safe=excel_safe)
    elif fmt == "jsonl":
        n = write_jsonl(rs, out, include_dropped=include_dropped)
    else:
        raise ValueError(f"unknown format {fmt!r}: csv or jsonl")
    line = f"wrote {n} row(s) from {len(rs)} article(s) to {out}"
    if rs.problems:
        line += f"; {len(rs.problems)} unreadable record(s): " + "; ".join(rs.problems[:3])
    return line + "\n", 1 if rs.problems else 0
