"""How ``llmextract extract`` draws a result on the terminal: the claims table, its cells and colours (rich)."""

from __future__ import annotations

import os
import sys
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from llmextract.grounding.report import show_value
from llmextract.schema import Claim, Count, ExtractionResult, Finding


def colour_wanted(stream: Any) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (to anything: https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("NO_COLOR")


def console(stream: Any = None) -> Console:
    """A console on ``stream`` (stdout): the terminal's width, else 160 columns; colour only on a terminal
    without ``NO_COLOR``; no syntax highlighting."""
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    terminal = bool(isatty and isatty())
    return Console(file=stream, width=None if terminal else 160, highlight=False, soft_wrap=False,
                   color_system="auto" if colour_wanted(stream) else None, no_color=not colour_wanted(stream),
                   force_terminal=terminal)


def _count(c: Count | None) -> str:
    if c is None:
        return "-"
    if c.low is not None and c.high is not None and c.low != c.high:
        rng = f"{c.low}-{c.high}"
    elif c.low is not None and c.high is None:
        rng = f"{c.low}+"
    elif c.low is None and c.high is not None:
        rng = f"<={c.high}"
    else:
        rng = str(c.low)
    return f"{rng} ({c.phrase})" if c.phrase and c.phrase != rng else rng


def _who(claim: Claim) -> str:
    a = claim.attribution
    chain = [x for x in [a.claimant, *a.relays, a.outlet] if x]
    return " -> ".join(chain) or "-"


def _where(claim: Claim) -> str:
    p = claim.place
    if p is None:
        return "-"
    parts = [p.phrase]
    if p.province and p.province != p.phrase:
        parts.append(p.province)
    if p.country and p.country not in parts:
        parts.append(p.country)
    return ", ".join(parts)


def _when(claim: Claim) -> str:
    d = claim.date
    if d is None:
        return "-"
    if d.date:
        return f"{d.date.isoformat()} ({d.phrase})" if d.phrase else d.date.isoformat()
    return d.phrase or "-"


def findings_cell(findings: list[Finding]) -> Text:
    """A claim's grounding cell: how many findings are fine, then one line per problem, coloured by verdict."""
    bad = [f for f in findings if not f.ok]
    text = Text(f"{len(findings) - len(bad)} ok", style="green")
    for f in bad:
        rel = f.path.split(".", 1)[1] if "." in f.path else f.path
        text.append(f"\n{f.verdict.value}: {rel}={show_value(f.value)}", style="red" if f.verdict.value == "unsupported"
                    else "yellow")
    return text


def render_result(result: ExtractionResult, source: str, out: Console) -> None:
    """Print one result: a heading (claims, extractor, model), the claims table, the dropped claims."""
    prov = result.provenance
    head = f"{source}: {len(result.claims)} claim(s), extractor {prov.extractor}"
    if prov.model_used:
        head += f", model {prov.model} at {prov.endpoint} ({prov.attempts} attempt(s), " \
                f"{prov.usage.total_tokens} tokens)"
    if result.published:
        head += f", published {result.published.isoformat()}"
    out.print(Text(head, style="bold"))
    table = Table(show_lines=True, expand=False)
    for col in ("#", "kind", "who says", "where", "when", "killed", "injured", "of the killed", "grounding"):
        table.add_column(col, overflow="fold")
    for i, claim in enumerate(result.claims):
        breakdown = ", ".join(f"{label} {_count(c)}" for label, c in
                              (("children", claim.children_killed), ("women", claim.women_killed),
                               ("men", claim.men_killed)) if c is not None) or "-"
        killed = _count(claim.killed) + (" (may rise)" if claim.toll_may_rise else "")
        table.add_row(str(i), claim.kind.value, _who(claim), _where(claim), _when(claim), killed,
                      _count(claim.injured), breakdown, findings_cell(result.findings_for(i)))
    if result.claims:
        out.print(table)
    for claim in result.dropped:
        out.print(Text(f"dropped (unsupported after re-asks): {claim.kind.value} killed {_count(claim.killed)}",
                       style="yellow"))
