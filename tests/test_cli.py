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
    assert cell.splitlines() == ["1 ok", "unsupported: date.date=2017-08-15", "unsupported: place.province='Idlib'"]
