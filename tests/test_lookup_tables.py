"""The look-up tables that replaced scans give what the scans gave (issue 14: the same answers, faster)."""

from __future__ import annotations

from dataclasses import replace

from llmextract.text.gazetteer import GazetteerEntry, get_gazetteer
from llmextract.text.index import EvidenceIndex

TEXT = ("Shelling killed 4 people and wounded 11 in Aleppo on Monday, a monitor said. "
        "On Tuesday 7 more died near Idlib, and 3 were hurt in Hama province. "
        "Officials in Damascus put the toll at 15 by Wednesday.")


def _spans(text: str) -> list[tuple[int, int]]:
    cuts = range(0, len(text) + 1, 7)
    return [(s, e) for s in cuts for e in cuts if s <= e] + [(0, len(text)), (5, 5), (len(text), len(text))]


def test_mentions_within_a_span_are_those_a_scan_finds() -> None:
    index = EvidenceIndex(TEXT)
    assert index.numbers and index.names and index.dates
    for s, e in _spans(TEXT):
        assert index.numbers_in(s, e) == [m for m in index.numbers if m.start >= s and m.end <= e]
        assert index.names_in(s, e) == [m for m in index.names if m.start >= s and m.end <= e]
        assert index.dates_in(s, e) == [m for m in index.dates if m.start >= s and m.end <= e]


def test_mentions_out_of_text_order_are_still_found() -> None:
    index = EvidenceIndex(TEXT)
    index.numbers = list(reversed(index.numbers))  # a list replaced by the index's owner, out of order
    for s, e in _spans(TEXT):
        assert index.numbers_in(s, e) == [m for m in index.numbers if m.start >= s and m.end <= e]
    moved = [replace(m, start=m.start + 1, end=m.end + 1) for m in index.numbers]
    index.numbers = moved
    assert index.numbers_in(0, len(TEXT) + 1) == list(reversed(sorted(moved, key=lambda m: m.start)))


def _scanned(gaz, code: str) -> GazetteerEntry | None:  # type: ignore[no-untyped-def]
    """What admin1_entry answered before its key table: the first division with the key, by a scan."""
    from llmextract.text.gazetteer import _WIDE_TIER, fold

    for row in gaz._admin1():
        if row[0] == code:
            for j in gaz._get(fold(row[1]), _WIDE_TIER):
                e = gaz.entry(j)
                if e.kind == "province" and e.admin1_code == code:
                    return e
            return GazetteerEntry(row[1], code.partition(".")[0], row[1], row[3], None, "province",
                                  admin1_code=code, iso3166_2=row[4], feature_class="A", feature_code="ADM1")
    return None


def test_a_division_by_its_key_is_the_one_a_scan_finds() -> None:
    gaz = get_gazetteer()
    codes = [row[0] for row in gaz._admin1()]
    repeated = sorted({c for c in codes if codes.count(c) > 1 and isinstance(c, str)})
    asked = [c for c in codes[::97] if isinstance(c, str)] + repeated[:3] + ["SY.07", "XX.99", ""]
    assert "SY.07" in codes
    for code in asked:
        assert gaz.admin1_entry(code) == _scanned(gaz, code), code
        assert gaz.admin1_entry(code) == _scanned(gaz, code), code  # asked again: the kept answer
    assert gaz.admin1_entry("XX.99") is None
