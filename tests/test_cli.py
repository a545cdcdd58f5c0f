"""The command line's rendering of results."""

from __future__ import annotations

import datetime as dt

from llmextract.cli.render import findings_cell
from llmextract.schema import Finding, Verdict


def test_the_findings_cell_shows_values_as_a_reader_writes_them() -> None:
    cell = findings_cell([
        Finding(path="claims[0].killed.low", value=20, verdict=Verdict.exact),
        Finding(path="claims[0].date.date", value=dt.date(2017, 8, 15), verdict=Verdict.unsupported),
        Finding(path="claims[0].place.province", value="Idlib", verdict=Verdict.unsupported),
    ]).plain
    # the same display as the findings table of `llmextract ground` (grounding.report.show_value)
    assert cell.splitlines() == ["1 ok", "unsupported: date.date=2017-08-15", 'unsupported: place.province="Idlib"']


def _choices(command: str, dest: str) -> tuple[str, ...]:
    import argparse

    from llmextract.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    action = next(a for a in sub.choices[command]._actions if a.dest == dest)
    return tuple(action.choices or ())


def test_the_endpoint_options_offer_what_the_library_accepts() -> None:
    from llmextract.config import PROFILES
    from llmextract.grounding import POLICIES

    for command in ("extract", "batch"):
        assert _choices(command, "profile") == PROFILES
        assert _choices(command, "policy") == POLICIES  # llmextract.choices: one spelling, no grounding at --help
