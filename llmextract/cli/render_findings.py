"""The findings of a grounding report as a rich table (path, value, verdict, where, reason) and a summary line.

Failures are red, ``unchecked`` values dim yellow (listed, never failures), grounded values green
or cyan; every finding shows its reason, so a ``misattached`` value says whose it is and an
``unchecked`` one why nothing checked it.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from llmextract.grounding import GroundingReport
from llmextract.grounding.report import show_value
from llmextract.schema import Verdict

_STYLES = {"exact": "green", "normalized": "green", "alias": "cyan", "fuzzy": "yellow", "inferred": "cyan",
           "unchecked": "dim yellow", "derived": "red", "misattached": "red", "unanchored": "red",
           "suspicious_source": "bold magenta", "unsupported": "bold red"}


def render_findings(report: GroundingReport, *, only_problems: bool = False, title: str | None = None) -> Table:
    """A ``rich`` table of the findings (path, value, verdict, where, reason), problems in red.

    ``only_problems``: the failures and the unchecked values only."""
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("path", no_wrap=True)
    table.add_column("value", overflow="fold", max_width=32)
    table.add_column("verdict", no_wrap=True)
    table.add_column("where", no_wrap=True)
    table.add_column("reason", overflow="fold")
    bad = {id(f) for f in report.unsupported}
    for f in report.findings:
        if only_problems and id(f) not in bad and f.verdict is not Verdict.unchecked:
            continue
        where = ", ".join(f"{s.start}-{s.end}" for s in f.spans[:3])
        verdict = f.verdict.value + (f" {f.score:.2f}" if f.score is not None else "")
        table.add_row(f.path, show_value(f.value), Text(verdict, style=_STYLES.get(f.verdict.value, "")), where,
                      f.reason)
    return table


def summary_line(report: GroundingReport) -> str:
    """"54 checked: 50 grounded, 1 unchecked, 3 failures (misattached 2, unsupported 1)"."""
    counts = report.summary
    failures = report.unsupported
    grounded = sum(1 for f in report.findings if f.ok)
    by_verdict: dict[str, int] = {}
    for f in failures:
        by_verdict[f.verdict.value] = by_verdict.get(f.verdict.value, 0) + 1
    detail = ", ".join(f"{k} {v}" for k, v in sorted(by_verdict.items()))
    return (f"{len(report.findings)} checked: {grounded} grounded, {counts['unchecked']} unchecked, "
            f"{len(failures)} failure{'' if len(failures) == 1 else 's'}" + (f" ({detail})" if detail else ""))
