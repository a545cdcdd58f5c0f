"""Flat exports: one row per claim with the researcher's columns, CSV, JSONL, DataFrame."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from llmextract.review.commands import export_command
from llmextract.review.export import COLUMNS, csv_text, to_dataframe, to_rows, write_csv, write_jsonl
from llmextract.review.results import ResultRecord, read_results
from llmextract.schema import (
    Attribution,
    Claim,
    ClaimKind,
    Count,
    DatePrecision,
    EventDate,
    Evidence,
    ExtractionResult,
    Finding,
    Place,
    Provenance,
    Span,
    Verdict,
)

TEXT = "Rockets struck Beit Surra on Monday. Health workers said 9 people died, 4 of them boys, and 11 were hurt."
#: The columns a conflict researcher expects (the issue's list), by this export's names.
EXPECTED = {"article_id", "url", "outlet", "published", "claim_index", "kind", "claimant", "relays", "date_phrase",
            "date_start", "date_end", "date_precision", "country", "admin1", "place", "latitude", "longitude",
            "place_precision", "perpetrator", "means", "sources_named", "killed_low", "killed_best", "killed_high",
            "injured_low", "injured_best", "injured_high", "children_killed", "women_killed", "men_killed",
            "grounded", "flagged", "unchecked", "evidence"}


def _sample() -> ExtractionResult:
    q = "Health workers said 9 people died, 4 of them boys, and 11 were hurt."
    s = TEXT.index(q)
    claim = Claim(
        kind=ClaimKind.incident,
        attribution=Attribution(claimant="Health workers", relays=["Radio Dawn", "the wire"], outlet="Dawn Daily"),
        date=EventDate(phrase="on Monday", date=dt.date(2021, 5, 3), precision=DatePrecision.day),
        place=Place(phrase="Beit Surra", name="Beit Surra", province="Ramla", country="Atlantis"),
        perpetrator=None, means="rocket fire",
        killed=Count(phrase="9", low=9, high=9), injured=Count(phrase="11", low=11, high=11),
        children_killed=Count(phrase="4", low=4, high=4),
        evidence=[Evidence(quote=q, start=s, end=s + len(q))],
    )
    second = Claim(kind=ClaimKind.allegation, attribution=Attribution(claimant="=HYPERLINK(\"http://x\")"),
                   killed=Count(phrase="dozens", low=12, high=None, qualifier="vague"))
    n = TEXT.index("9 people")
    findings = [
        Finding(path="claims[0].attribution.claimant", value="Health workers", verdict=Verdict.exact),
        Finding(path="claims[0].killed.low", value=9, verdict=Verdict.exact, spans=[Span(start=n, end=n + 1,
                                                                                          text="9")]),
        Finding(path="claims[0].killed.high", value=9, verdict=Verdict.exact),
        Finding(path="claims[0].injured.low", value=11, verdict=Verdict.misattached, reason="outside the quote"),
        Finding(path="claims[1].killed.low", value=12, verdict=Verdict.unsupported, reason="no 'dozens'"),
    ]
    return ExtractionResult(article_id="bs-1", content_hash="cd" * 32, published=dt.date(2021, 5, 4),
                            claims=[claim, second], findings=findings,
                            dropped=[Claim(killed=Count(phrase="70", low=70, high=70))],
                            provenance=Provenance(extractor="offline", model_used=False))


def test_rows_have_the_columns_and_values() -> None:
    rows = to_rows(_sample())
    assert len(rows) == 2
    assert EXPECTED <= set(COLUMNS)
    assert all(list(r) == list(COLUMNS) for r in rows)
    r = rows[0]
    assert (r["article_id"], r["published"], r["claim_index"], r["kind"]) == ("bs-1", "2021-05-04", 0, "incident")
    assert r["relays"] == "Radio Dawn > the wire" and r["sources_named"] == 3 and r["outlet"] == "Dawn Daily"
    assert (r["date_phrase"], r["date_start"], r["date_end"], r["date_precision"]) == (
        "on Monday", "2021-05-03", "2021-05-03", "day")
    assert (r["country"], r["admin1"], r["place"]) == ("Atlantis", "Ramla", "Beit Surra")
    assert (r["latitude"], r["longitude"], r["place_precision"]) == (None, None, None)
    assert (r["killed_low"], r["killed_best"], r["killed_high"], r["injured_best"]) == (9, 9, 9, 11)
    assert (r["children_killed"], r["women_killed"], r["men_killed"]) == (4, None, None)
    assert r["means"] == "rocket fire"
    # grounded: claimant, killed low/high; flagged: injured low; unchecked: the other checkable values
    assert (r["grounded"], r["flagged"]) == (3, 1)
    assert "injured.low: misattached (outside the quote)" in r["flag_reasons"]
    assert "place.name: unchecked" in r["flag_reasons"] and r["unchecked"] > 5
    [ev] = json.loads(r["evidence"])
    assert TEXT[ev["start"]:ev["end"]] == ev["quote"]
    vague = rows[1]
    assert (vague["killed_low"], vague["killed_best"], vague["killed_high"]) == (12, 12, None)
    assert vague["date_start"] is None and vague["evidence"] is None
    assert [r["dropped"] for r in to_rows(_sample(), include_dropped=True)] == [False, False, True]


def test_record_metadata_fills_url_title_and_outlet() -> None:
    rec = ResultRecord(article_id="bs-1", result=_sample(), url="https://example.org/a", title="Rockets",
                       outlet="Example Wire")
    r = to_rows(rec)[0]
    assert (r["url"], r["title"], r["outlet"]) == ("https://example.org/a", "Rockets", "Example Wire")
    assert to_rows(ResultRecord(article_id="x", error={"message": "failed"})) == []


def test_later_fields_fill_their_columns() -> None:
    class GeoPlace(Place):
        latitude: float | None = None
        longitude: float | None = None
        precision: int | None = None

    class RangeDate(EventDate):
        start: dt.date | None = None
        end: dt.date | None = None

    c = Claim(place=GeoPlace(phrase="Beit Surra", latitude=31.9, longitude=35.0, precision=1),
              date=RangeDate(phrase="last month", start=dt.date(2021, 4, 1), end=dt.date(2021, 4, 30),
                             precision=DatePrecision.month))
    res = ExtractionResult(article_id="g", claims=[c], provenance=Provenance(extractor="t", model_used=False))
    r = to_rows(res)[0]
    assert (r["latitude"], r["longitude"], r["place_precision"]) == (31.9, 35.0, 1)
    assert (r["date_start"], r["date_end"], r["date_precision"]) == ("2021-04-01", "2021-04-30", "month")


def test_csv_round_trip_and_formula_guard(tmp_path: Path) -> None:
    out = tmp_path / "claims.csv"
    assert write_csv([_sample()], out) == 2
    with out.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = list(reader)
    assert rows[0]["killed_best"] == "9" and rows[0]["latitude"] == ""
    assert rows[1]["claimant"].startswith("'=HYPERLINK")  # a spreadsheet will not run it
    raw = csv_text([_sample()], excel_safe=False)
    assert "=HYPERLINK" in raw and "'=HYPERLINK" not in raw


def test_jsonl_and_reading_a_batch_file(tmp_path: Path) -> None:
    batch = tmp_path / "results.jsonl"
    r = _sample()
    lines = [{"id": r.article_id, "content_hash": r.content_hash, "status": "ok", "result": r.model_dump(mode="json")},
             {"id": "gone", "content_hash": None, "status": "error", "error": {"message": "timeout"}}]
    batch.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    buf = io.StringIO()
    assert write_jsonl(batch, buf) == 2
    first = json.loads(buf.getvalue().splitlines()[0])
    assert first["claimant"] == "Health workers" and first["killed_best"] == 9
    text, code = export_command(batch, tmp_path / "out.csv", fmt="csv")
    assert code == 0 and "2 row(s) from 2 article(s)" in text
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").startswith("article_id,url,title,")
    with pytest.raises(ValueError):
        export_command(batch, tmp_path / "out.x", fmt="xlsx")
    assert len(read_results(batch)) == 2


def test_to_dataframe_without_pandas_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"llmextract\[pandas\]"):
        to_dataframe([_sample()])


def test_to_dataframe_with_pandas(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    df = to_dataframe([_sample()])
    assert list(df.columns) == list(COLUMNS) and len(df) == 2
    assert df.loc[0, "killed_best"] == 9
    out = tmp_path / "claims.csv"
    write_csv([_sample()], out)
    read: Any = pd.read_csv(out)
    assert EXPECTED <= set(read.columns) and read.loc[0, "injured_best"] == 11


def test_casualties_report_date_and_party_have_columns_of_their_own() -> None:
    claim = Claim(attribution=Attribution(claimant="The clinic"), place=Place(phrase="Tell Abra", admin1="Idlib",
                                                                              province="Idleb", country_code="SY"),
                  date=EventDate(phrase="on Wednesday"), reported=EventDate(phrase="on Friday",
                                                                           date=dt.date(2021, 5, 7)),
                  perpetrator="regime artillery", belligerent="Syrian government",
                  killed=Count(phrase="9 civilians and a soldier", low=10, high=10, victims="mixed"),
                  civilians_killed=Count(phrase="9", low=9, high=9, victims="civilians"),
                  casualties=Count(phrase="about 30", low=30, high=None, qualifier="about"))
    res = ExtractionResult(article_id="ta", claims=[claim], provenance=Provenance(extractor="t", model_used=False))
    r = to_rows(res)[0]
    assert (r["reported_phrase"], r["reported_date"], r["date_phrase"]) == ("on Friday", "2021-05-07", "on Wednesday")
    assert (r["admin1"], r["country_code"], r["belligerent"]) == ("Idlib", "SY", "Syrian government")
    assert (r["casualties_low"], r["casualties_best"], r["casualties_high"]) == (30, 30, None)
    assert (r["killed_best"], r["killed_victims"], r["civilians_killed"]) == (10, "mixed", 9)
    assert r["injured_best"] is None  # casualties are never split into the injured
