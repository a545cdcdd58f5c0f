"""The findings of a grounding report as a rich table: path, value, verdict, where, reason; problems in red."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from llmextract.grounding import GroundingReport
from llmextract.grounding.report import show_value

_STYLES = {"exact": "green", "normalized": "green", "alias": "cyan", "fuzzy": "yellow",
           "derived": "red", "misattached": "red", "unsupported": "bold red"}


def render_findings(report: GroundingReport, *, only_problems: bool = False, title: str | None = None) -> Table:
    """A ``rich`` table of the findings (path, value, verdict, where, reason), problems in red."""
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("path", no_wrap=True)
    table.add_column("value", overflow="fold", max_width=32)
    table.add_column("verdict", no_wrap=True)
    table.add_column("where", no_wrap=True)
    table.add_column("reason", overflow="fold")
    bad = {id(f) for f in report.unsupported}
    for f in report.findings:
        if only_problems and id(f) not in bad:
            continue
        where = ", ".join(f"{s.start}-{s.end}" for s in f.spans[:3])
        verdict = f.verdict.value + (f" {f.score:.2f}" if f.score is not None else "")
        table.add_row(f.path, show_value(f.value), Text(verdict, style=_STYLES.get(f.verdict.value, "")), where,
                      f.reason)
    return table
