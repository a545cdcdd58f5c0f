"""Flat exports of results: one row per claim, as CSV, JSONL or a pandas DataFrame.

::

    rows = to_rows(result)                    # list of flat dicts, the columns of COLUMNS
    write_csv(read_results("results.jsonl"), "claims.csv")
    df = to_dataframe(read_results("results.jsonl"))   # needs pandas: pip install 'llmextract[pandas]'

The columns follow UCDP GED and ACLED practice (:data:`COLUMNS`). A column whose data the schema
does not hold yet (coordinates, place precision, a date range) is left empty (None; an empty
cell in CSV) and fills itself once the schema carries it (``place.latitude``, ``date.start``, ...).

* ``relays``: the relaying parties nearest the claimant first, joined by `` > ``;
  ``sources_named``: how many distinct parties the claim names as its sources (the claimant and
  the relays; the publishing outlet is not counted);
* ``date_start`` / ``date_end``: a date range when the schema has one, else the resolved date of
  a claim dated to the day (UCDP codes a single day as start = end);
* ``reported_phrase`` / ``reported_date``: when the claim was made ("reported on Monday"), kept
  apart from the event's date;
* ``admin1``: the province's canonical spelling (GeoNames admin1) when the place resolved, else
  the province as the text writes it; ``belligerent``: the perpetrator's party under one name;
* ``killed_best``: the conservative figure (the low bound, ACLED's rule), as ``Count.best``;
  ``killed_victims``: whom the killed figure counts (civilians, combatants, mixed, unknown);
  ``casualties_*``: killed and wounded together, as the text gives them ("60 casualties"), never
  split into killed or injured; ``children_killed`` / ``women_killed`` / ``men_killed`` /
  ``civilians_killed``: their best figures (civilians: the civilian part of a mixed total);
* ``grounded`` / ``flagged`` / ``unchecked``: how many of the claim's checked values the grounding
  layer grounded, flagged (unsupported, misattached, derived), or did not check;
  ``flag_reasons``: ``path: verdict (reason)`` per flagged value, ``; ``-joined;
* ``evidence``: the quotes with their offsets, as JSON (``[{"quote", "start", "end"}]``).

CSV cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return: article text is untrusted) are prefixed with ``'`` unless
``excel_safe=False``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from llmextract.review._claims import claim_status
from llmextract.review.results import ResultRecord, ResultSet, read_results
from llmextract.schema import Claim, Count, ExtractionResult

__all__ = ["COLUMNS", "csv_text", "iter_rows", "to_dataframe", "to_rows", "write_csv", "write_jsonl"]

#: The export's columns, in order.
COLUMNS: tuple[str, ...] = (
    "article_id", "url", "title", "outlet", "published",
    "claim_index", "kind", "claimant", "relays",
    "date_phrase", "date_start", "date_end", "date_precision", "reported_phrase", "reported_date",
    "country", "country_code", "admin1", "place", "geonames_id", "latitude", "longitude", "place_precision",
    "perpetrator", "belligerent", "means", "sources_named",
    "killed_phrase", "killed_low", "killed_best", "killed_high", "killed_victims",
    "injured_phrase", "injured_low", "injured_best", "injured_high",
    "casualties_phrase", "casualties_low", "casualties_best", "casualties_high",
    "children_killed", "women_killed", "men_killed", "civilians_killed", "toll_may_rise",
    "grounded", "flagged", "unchecked", "flag_reasons", "evidence", "dropped",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _get(obj: Any, *names: str) -> Any:
    for n in names:
        value = getattr(obj, n, None) if obj is not None else None
        if value is not None:
            return value
    return None


def _plain(value: Any) -> Any:
    """A cell value: dates as ISO strings, enums as their value."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return getattr(value, "value", value)


def _count_cells(prefix: str, c: Count | None) -> dict[str, Any]:
    if c is None:
        return {f"{prefix}_phrase": None, f"{prefix}_low": None, f"{prefix}_best": None, f"{prefix}_high": None}
    return {f"{prefix}_phrase": c.phrase, f"{prefix}_low": c.low, f"{prefix}_best": c.best, f"{prefix}_high": c.high}


def _sources_named(claim: Claim) -> int:
    names = [claim.attribution.claimant, *claim.attribution.relays]
    return len({n.strip().casefold() for n in names if n and n.strip()})


def _dates(claim: Claim) -> tuple[Any, Any]:
    d = claim.date
    if d is None:
        return None, None
    start, end = _get(d, "start", "date_start"), _get(d, "end", "date_end")
    if start is None and end is None and d.date is not None and _plain(d.precision) == "day":
        return d.date, d.date
    return start, end


def _claim_row(result: ExtractionResult, claim: Claim, prefix: str, index: int,
               meta: ResultRecord | None) -> dict[str, Any]:
    status = claim_status(result, claim, prefix)
    place, date, reported = claim.place, claim.date, _get(claim, "reported")
    civilians = _get(claim, "civilians_killed")
    start, end = _dates(claim)
    reasons = [f"{f.path[len(prefix) + 1:]}: {f.verdict.value}" + (f" ({f.reason})" if f.reason else "")
               for f in status.flagged]
    reasons += [f"{p[len(prefix) + 1:]}: unchecked" for p, _ in status.unchecked]
    row: dict[str, Any] = {
        "article_id": result.article_id or (meta.article_id if meta else None),
        "url": meta.url if meta else None,
        "title": meta.title if meta else None,
        "outlet": (meta.outlet if meta else None) or claim.attribution.outlet,
        "published": _plain(result.published or (meta.published if meta else None)),
        "claim_index": index,
        "kind": claim.kind.value,
        "claimant": claim.attribution.claimant,
        "relays": " > ".join(claim.attribution.relays) or None,
        "date_phrase": date.phrase if date else None,
        "date_start": _plain(start),
        "date_end": _plain(end),
        "date_precision": _plain(date.precision) if date else None,
        "reported_phrase": reported.phrase if reported else None,
        "reported_date": _plain(reported.date) if reported else None,
        "country": place.country if place else None,
        "country_code": _get(place, "country_code"),
        "admin1": _get(place, "admin1", "province"),
        "place": (place.name or place.phrase) if place else None,
        "geonames_id": _get(place, "geonames_id"),
        "latitude": _get(place, "latitude", "lat"),
        "longitude": _get(place, "longitude", "lon", "lng"),
        "place_precision": _plain(_get(place, "precision", "where_prec")),
        "perpetrator": claim.perpetrator,
        "belligerent": _get(claim, "belligerent"),
        "means": claim.means,
        "sources_named": _sources_named(claim),
        **_count_cells("killed", claim.killed),
        "killed_victims": _plain(claim.killed.victims) if claim.killed else None,
        **_count_cells("injured", claim.injured),
        **_count_cells("casualties", _get(claim, "casualties")),
        "children_killed": claim.children_killed.best if claim.children_killed else None,
        "women_killed": claim.women_killed.best if claim.women_killed else None,
        "men_killed": claim.men_killed.best if claim.men_killed else None,
        "civilians_killed": civilians.best if civilians is not None else None,
        "toll_may_rise": claim.toll_may_rise,
        "grounded": len(status.grounded),
        "flagged": len(status.flagged),
        "unchecked": len(status.unchecked),
        "flag_reasons": "; ".join(reasons) or None,
        "evidence": json.dumps([{"quote": e.quote, "start": e.start, "end": e.end} for e in claim.evidence],
                               ensure_ascii=False) if claim.evidence else None,
        "dropped": prefix.startswith("dropped"),
    }
    return row


def to_rows(result: ExtractionResult | ResultRecord, *, include_dropped: bool = False) -> list[dict[str, Any]]:
    """One flat dict per claim of ``result``, keyed by :data:`COLUMNS` (a record adds url, title, outlet).

    With ``include_dropped``, the claims the strict policy dropped follow, with ``dropped`` True.
    """
    meta = result if isinstance(result, ResultRecord) else None
    res = result.result if isinstance(result, ResultRecord) else result
    if res is None:
        return []
    rows = [_claim_row(res, c, f"claims[{i}]", i, meta) for i, c in enumerate(res.claims)]
    if include_dropped:
        rows += [_claim_row(res, c, f"dropped[{i}]", i, meta) for i, c in enumerate(res.dropped)]
    return rows


def _records(results: Any) -> Iterator[ExtractionResult | ResultRecord]:
    if isinstance(results, ExtractionResult | ResultRecord):
        yield results
        return
    if isinstance(results, str | Path):
        results = read_results(results)
    if isinstance(results, ResultSet):
        yield from results
        return
    yield from results


def iter_rows(results: ExtractionResult | ResultRecord | ResultSet | str | Path | Iterable[Any], *,
              include_dropped: bool = False) -> Iterator[dict[str, Any]]:
    """The rows of many results (a path is read with :func:`~llmextract.review.results.read_results`)."""
    for r in _records(results):
        yield from to_rows(r, include_dropped=include_dropped)


def to_dataframe(results: Any, *, include_dropped: bool = False) -> Any:
    """The rows as a ``pandas.DataFrame`` with the columns of :data:`COLUMNS` (pandas is an optional extra)."""
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("to_dataframe needs pandas, an optional extra: pip install 'llmextract[pandas]'") from exc
    return pd.DataFrame(list(iter_rows(results, include_dropped=include_dropped)), columns=list(COLUMNS))


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _open(target: str | Path | IO[str]) -> tuple[IO[str], bool]:
    if isinstance(target, str | Path):
        return open(target, "w", encoding="utf-8", newline=""), True
    return target, False


def write_csv(results: Any, target: str | Path | IO[str], *, include_dropped: bool = False,
              excel_safe: bool = True) -> int:
    """Write the rows as CSV (a header of :data:`COLUMNS`, UTF-8); the number of rows written."""
    fh, close = _open(target)
    n = 0
    try:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in iter_rows(results, include_dropped=include_dropped):
            writer.writerow({k: _safe(v) for k, v in row.items()} if excel_safe else row)
            n += 1
    finally:
        if close:
            fh.close()
    return n


def write_jsonl(results: Any, target: str | Path | IO[str], *, include_dropped: bool = False) -> int:
    """Write the rows as JSON lines (one flat object per claim); the number of rows written."""
    fh, close = _open(target)
    n = 0
    try:
        for row in iter_rows(results, include_dropped=include_dropped):
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    finally:
        if close:
            fh.close()
    return n


def csv_text(results: Any, **options: Any) -> str:
    """The CSV as a string."""
    buf = io.StringIO()
    write_csv(results, buf, **options)
    return buf.getvalue()
