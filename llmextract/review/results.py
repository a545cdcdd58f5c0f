"""Reading result files, in every shape the project writes them, as one record per article.

:func:`read_results` takes any of:

* a **folder** of per-article JSON files (``examples/gold/``): each file one result;
* a **JSONL** file, one object a line, each line one of
  - a batch record ``{"id", "content_hash", "status", "result": {...}}`` (``llmextract batch``);
    an ``"status": "error"`` record is kept as a failed article;
  - a result ``{"claims": [...], "provenance": {...}, ...}`` (``extract --format jsonl`` adds
    ``source``; any of ``text``, ``url``, ``title``, ``outlet`` beside it are kept);
  - a **flat gold** row (WAD-style: ``text`` plus ``deaths`` / ``injured`` / ``locality`` /
    ``region`` / ``country`` / ``event_date``; Airwars-style: ``killed`` / ``injured`` as a range
    string, ``"3 – 7"``, ``"12"`` or ``"Unknown"``), read as one incident claim; only the fields
    the row states are scored (:attr:`ResultRecord.fields`);
* a **JSON** file: one result, a list of results, or a review file saved by the review page
  (below);
* an iterable of :class:`~llmextract.schema.ExtractionResult`, :class:`ResultRecord` or dicts.

**The last line per article wins.** A record's key is its article id, else its content hash; a
later record with the same key replaces an earlier one (a resumed or re-run batch may hold
superseded lines), and :attr:`ResultSet.superseded` counts them. Sets are joined article to
article on the id, else on the content hash (:meth:`ResultSet.find`).

**Review files.** The review page (:mod:`llmextract.review.html`) saves a JSON document::

    {"format": "llmextract-review", "version": 1, "saved_at": "2024-05-01T10:00:00Z",
     "articles": [{"id": ..., "content_hash": ..., "url": ..., "title": ..., "outlet": ...,
                   "result": {... the result as reviewed ...},
                   "decisions": [{"claim": 0, "verdict": "right" | "wrong" | null,
                                  "corrections": {"killed": {"low": 5, "high": 5},
                                                  "injured": {"low": 2, "high": null},
                                                  "casualties": {"low": 30, "high": 30},
                                                  "place": "Hajin", "claimant": "SOHR"}}]}]}

Read as gold, an article's claims are those marked right, with their corrections applied (a
corrected claim counts as right unless marked wrong); claims marked wrong and claims without a
decision are left out (``unreviewed="keep"`` keeps the latter). An article with no decision at
all is not gold and is skipped. Such gold holds only claims the extractor found: it measures
precision and correction rates, not what the extractor missed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llmextract.errors import InputError
from llmextract.schema import (
    Article,
    Attribution,
    Claim,
    ClaimKind,
    Count,
    DatePrecision,
    EventDate,
    ExtractionResult,
    Place,
    Provenance,
    Qualifier,
)
from llmextract.text.dates import as_date

logger = logging.getLogger(__name__)

__all__ = [
    "REVIEW_FORMAT",
    "ResultRecord",
    "ResultSet",
    "apply_review",
    "parse_range",
    "read_articles",
    "read_results",
]

#: The ``format`` value of a review file saved by the review page.
REVIEW_FORMAT = "llmextract-review"

_META = ("url", "title", "outlet")
_KILLED_KEYS = ("deaths", "killed", "civilians_killed", "civilian_deaths", "fatalities")
_INJURED_KEYS = ("injured", "civilians_injured", "injuries", "wounded")
_PLACE_KEYS = ("locality", "place", "location")
_DATE_KEYS = ("event_date", "date")
_FLAT_KEYS = frozenset(_KILLED_KEYS + _INJURED_KEYS + _PLACE_KEYS + _DATE_KEYS)
_RANGE = re.compile(r"^\s*(\d[\d,]*)\s*(?:[-‐‑‒–—―−]|to)\s*(\d[\d,]*)\s*$", re.I)
_NUMBER = re.compile(r"^\s*(\d[\d,]*)\s*$")
_UNKNOWN = frozenset({"", "unknown", "n/a", "na", "none", "?", "-", "–"})


class ResultRecord(BaseModel):
    """One article's outcome: its result (or the error that took its place) and what is known of it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    article_id: str | None = None
    content_hash: str | None = None
    result: ExtractionResult | None = None
    error: dict[str, Any] | None = None
    text: str | None = None
    url: str | None = None
    title: str | None = None
    outlet: str | None = None
    published: dt.date | None = None
    fields: frozenset[str] | None = Field(
        default=None, description="The fields this (flat) gold codes; None: every field.")
    decisions: list[dict[str, Any]] | None = Field(default=None, description="A review file's decisions.")
    source: str = ""

    @property
    def key(self) -> str | None:
        return self.article_id or self.content_hash

    @property
    def ok(self) -> bool:
        return self.result is not None

    def article(self) -> Article | None:
        """The article, when this record carries its text."""
        if self.text is None:
            return None
        return Article(text=self.text, id=self.article_id, url=self.url, title=self.title, outlet=self.outlet,
                       published=self.published or (self.result.published if self.result else None))


class ResultSet:
    """The records of one result source, one per article (the last record per article wins)."""

    def __init__(self, name: str = "", source: str = "") -> None:
        self.name = name
        self.source = source
        self.superseded = 0
        self.problems: list[str] = []
        self._records: dict[str, ResultRecord] = {}
        self._by_hash: dict[str, str] = {}

    def add(self, record: ResultRecord) -> None:
        key = record.key
        if key is None:
            self.problems.append(f"{record.source}: a record with neither an article id nor a content hash")
            return
        if key in self._records:
            self.superseded += 1
            del self._records[key]  # re-insert: the order follows the last line
        self._records[key] = record
        if record.content_hash:
            self._by_hash[record.content_hash] = key

    def __iter__(self) -> Iterator[ResultRecord]:
        return iter(self._records.values())

    def __len__(self) -> int:
        return len(self._records)

    def find(self, article_id: str | None, content_hash: str | None = None) -> ResultRecord | None:
        """The record of an article, joined on its id, else on its content hash."""
        if article_id is not None and article_id in self._records:
            return self._records[article_id]
        if content_hash:
            key = self._by_hash.get(content_hash)
            if key is not None:
                return self._records[key]
        return None

    def results(self) -> list[ExtractionResult]:
        return [r.result for r in self if r.result is not None]


# ------------------------------------------------------------------------------------------ parsing


def parse_range(value: Any) -> Count | None:
    """An Airwars-style figure as a Count: ``"3 – 7"`` -> 3..7, ``"12"`` -> 12, ``"Unknown"`` -> None.

    Integers are exact counts. Raises ValueError for a string that is none of these.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"a negative count: {value}")
        return Count(phrase=str(value), low=value, high=value, qualifier=Qualifier.exact)
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return parse_range(int(value))
    if not isinstance(value, str):
        raise ValueError(f"not a count: {value!r}")
    if value.strip().lower() in _UNKNOWN:
        return None
    m = _NUMBER.match(value)
    if m:
        n = int(m.group(1).replace(",", ""))
        return Count(phrase=value.strip(), low=n, high=n, qualifier=Qualifier.exact)
    m = _RANGE.match(value)
    if m:
        lo, hi = sorted(int(g.replace(",", "")) for g in m.groups())
        return Count(phrase=value.strip(), low=lo, high=hi,
                     qualifier=Qualifier.exact if lo == hi else Qualifier.range)
    raise ValueError(f"not a count or a range: {value!r}")


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _first(obj: Mapping[str, Any], keys: Iterable[str]) -> tuple[str | None, Any]:
    for k in keys:
        if k in obj:
            return k, obj[k]
    return None, None


def _flat_gold(obj: Mapping[str, Any], where: str) -> ResultRecord:
    """A WAD- or Airwars-style row as one incident claim, with the fields it codes."""
    fields: set[str] = set()
    claim = Claim(kind=ClaimKind.incident)
    for name, keys in (("killed", _KILLED_KEYS), ("injured", _INJURED_KEYS)):
        key, value = _first(obj, keys)
        if key is None:
            continue
        try:
            count = parse_range(value)
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
        if count is not None:
            setattr(claim, name, count)
            fields.add(name)
    _, locality = _first(obj, _PLACE_KEYS)
    region = _str(obj.get("region") or obj.get("admin1") or obj.get("province"))
    country = _str(obj.get("country"))
    if _str(locality) or region:
        phrase = _str(locality) or region
        assert phrase is not None
        claim.place = Place(phrase=phrase, name=phrase, province=region if phrase != region else None,
                            country=country)
        fields.add("place")
    _, when = _first(obj, _DATE_KEYS)
    day = as_date(when)
    if day is not None:
        claim.date = EventDate(date=day, precision=DatePrecision.day)
        fields.add("date")
    elif _str(when):
        claim.date = EventDate(phrase=str(when))
        fields.add("date")
    text = obj.get("text") if isinstance(obj.get("text"), str) else None
    content_hash = _str(obj.get("content_hash")) or (_hash(text) if text is not None else None)
    rid = _str(obj.get("id"))
    result = ExtractionResult(article_id=rid or (content_hash[:16] if content_hash else None),
                              content_hash=content_hash, published=as_date(obj.get("published")), claims=[claim],
                              provenance=Provenance(extractor="gold", model_used=False,
                                                    notes=[f"flat gold row ({where})"]))
    return ResultRecord(article_id=result.article_id, content_hash=content_hash, result=result, text=text,
                        url=_str(obj.get("url")), title=_str(obj.get("title")), outlet=_str(obj.get("outlet")),
                        published=result.published, fields=frozenset(fields), source=where)


def _result_record(data: Mapping[str, Any], where: str, outer: Mapping[str, Any] | None = None) -> ResultRecord:
    result = ExtractionResult.model_validate({k: v for k, v in data.items() if k in ExtractionResult.model_fields})
    meta = {**(outer or {}), **data}
    text = meta.get("text") if isinstance(meta.get("text"), str) else None
    article_id = result.article_id or _str((outer or {}).get("id"))
    content_hash = result.content_hash or _str((outer or {}).get("content_hash")) or (
        _hash(text) if text is not None else None)
    return ResultRecord(article_id=article_id, content_hash=content_hash, result=result, text=text,
                        url=_str(meta.get("url")), title=_str(meta.get("title")), outlet=_str(meta.get("outlet")),
                        published=result.published or as_date(meta.get("published")), source=where)


def _record(obj: Any, where: str) -> ResultRecord:
    """One object of a result file as a record. Raises ValueError naming what it is not."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    if isinstance(obj.get("result"), dict):
        return _result_record(obj["result"], where, outer=obj)
    if obj.get("status") == "error" or ("error" in obj and "claims" not in obj):
        err = obj.get("error")
        error = err if isinstance(err, dict) else {"message": str(err)}
        text = obj.get("text") if isinstance(obj.get("text"), str) else None
        return ResultRecord(article_id=_str(obj.get("id")), content_hash=_str(obj.get("content_hash")),
                            error=error, text=text, source=where)
    if isinstance(obj.get("claims"), list):
        return _result_record(obj, where)
    if _FLAT_KEYS & obj.keys():
        return _flat_gold(obj, where)
    raise ValueError("neither a result, a batch record nor a flat gold row (no 'claims', 'result', 'deaths', "
                     "'killed' or 'injured')")


def _read_jsonl(path: Path, into: ResultSet) -> None:
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            where = f"{path}:{lineno}"
            if not raw.strip():
                continue
            if not raw.endswith(b"\n"):
                try:  # a complete last line without its newline is fine; a torn one is skipped
                    obj = json.loads(raw)
                except ValueError:
                    into.problems.append(f"{where}: a torn last line (skipped)")
                    continue
            else:
                try:
                    obj = json.loads(raw.decode("utf-8-sig" if lineno == 1 else "utf-8"))
                except (ValueError, UnicodeDecodeError) as exc:
                    into.problems.append(f"{where}: not JSON: {exc}")
                    continue
            _add(obj, where, into)


def _add(obj: Any, where: str, into: ResultSet, *, unreviewed: str = "drop") -> None:
    if isinstance(obj, dict) and obj.get("format") == REVIEW_FORMAT:
        for rec in apply_review(obj, source=where, unreviewed=unreviewed):
            into.add(rec)
        return
    try:
        into.add(_record(obj, where))
    except (ValueError, ValidationError) as exc:
        into.problems.append(f"{where}: {_short(exc)}")


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errs = exc.errors()
        first = errs[0] if errs else {}
        loc = ".".join(str(p) for p in first.get("loc", ()))
        more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
        return f"not a valid result: {loc}: {first.get('msg', exc)}{more}"
    return str(exc)


def _read_json(path: Path, into: ResultSet, unreviewed: str) -> None:
    try:
        obj = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:
        into.problems.append(f"{path}: not JSON: {exc}")
        return
    if isinstance(obj, list):
        for i, item in enumerate(obj):
            _add(item, f"{path}[{i}]", into, unreviewed=unreviewed)
    else:
        _add(obj, str(path), into, unreviewed=unreviewed)


def read_results(source: str | Path | Iterable[Any] | ResultSet, *, name: str | None = None,
                 unreviewed: str = "drop") -> ResultSet:
    """Read results from a folder, a JSONL or JSON file, or an iterable (see the module docstring).

    Lines and files that cannot be read are listed in :attr:`ResultSet.problems`, not raised.
    Raises InputError when ``source`` does not exist.
    """
    if isinstance(source, ResultSet):
        return source
    if unreviewed not in ("drop", "keep"):
        raise ValueError("unreviewed must be 'drop' or 'keep'")
    if not isinstance(source, str | Path):
        out = ResultSet(name or "results", "<memory>")
        for i, item in enumerate(source):
            if isinstance(item, ResultRecord):
                out.add(item)
            elif isinstance(item, ExtractionResult):
                out.add(ResultRecord(article_id=item.article_id, content_hash=item.content_hash, result=item,
                                     published=item.published, source=f"<memory>[{i}]"))
            else:
                _add(item, f"<memory>[{i}]", out, unreviewed=unreviewed)
        return out
    path = Path(source)
    out = ResultSet(name or (path.stem or str(path)), str(path))
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".jsonl")
                       and not p.name.startswith("."))
        for f in files:
            (_read_jsonl(f, out) if f.suffix.lower() == ".jsonl" else _read_json(f, out, unreviewed))
        return out
    if not path.is_file():
        raise InputError("no such file or folder", source=str(path))
    if path.suffix.lower() == ".json":
        _read_json(path, out, unreviewed)
    else:
        _read_jsonl(path, out)
    return out


# ------------------------------------------------------------------------------------------ review files


def _corrected_count(old: Count | None, new: Any) -> Count | None:
    if not isinstance(new, dict):
        return old
    low, high = new.get("low"), new.get("high")
    if low is None and high is None:
        return None
    for v in (low, high):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise ValueError(f"a corrected count must be a whole number >= 0, got {v!r}")
    if low is not None and high is not None and high < low:
        low, high = high, low
    if low is not None and high is not None:
        qualifier = Qualifier.exact if low == high else Qualifier.range
    elif low is not None:
        qualifier = Qualifier.at_least
    else:
        qualifier = Qualifier.up_to
    phrase = old.phrase if old is not None and old.phrase else str(low if low is not None else high)
    return Count(phrase=phrase, low=low, high=high, qualifier=qualifier)


def _apply_corrections(claim: Claim, corrections: Mapping[str, Any]) -> Claim:
    claim = claim.model_copy(deep=True)
    for name in ("killed", "injured", "casualties", "children_killed", "women_killed", "men_killed"):
        if name in corrections:
            setattr(claim, name, _corrected_count(getattr(claim, name), corrections[name]))
    if "place" in corrections:
        new = _str(corrections["place"])
        old = claim.place
        claim.place = None if new is None else Place(phrase=new, name=new, province=old.province if old else None,
                                                     country=old.country if old else None)
    if "claimant" in corrections:
        claim.attribution = Attribution(claimant=_str(corrections["claimant"]), relays=claim.attribution.relays,
                                        outlet=claim.attribution.outlet)
    return claim


def apply_review(document: Mapping[str, Any], *, source: str = "<review>",
                 unreviewed: str = "drop") -> list[ResultRecord]:
    """The gold records of a saved review file: the claims marked right, corrected (see the module docstring)."""
    if document.get("format") != REVIEW_FORMAT:
        raise ValueError(f"not a review file (format is {document.get('format')!r}, not {REVIEW_FORMAT!r})")
    out: list[ResultRecord] = []
    for i, art in enumerate(document.get("articles") or []):
        where = f"{source}: articles[{i}]"
        if not isinstance(art, dict) or not isinstance(art.get("result"), dict):
            logger.warning("%s: no result; skipped", where)
            continue
        decisions = [d for d in art.get("decisions") or [] if isinstance(d, dict)]
        if not decisions:
            continue
        base = _result_record(art["result"], where, outer=art)
        assert base.result is not None
        by_claim = {int(d["claim"]): d for d in decisions if isinstance(d.get("claim"), int)}
        kept: list[Claim] = []
        for k, claim in enumerate(base.result.claims):
            d = by_claim.get(k)
            verdict = d.get("verdict") if d else None
            corrections = (d.get("corrections") or {}) if d else {}
            if verdict == "wrong":
                continue
            if verdict is None and not corrections and unreviewed == "drop":
                continue
            kept.append(_apply_corrections(claim, corrections) if corrections else claim)
        notes = [f"gold from a review file ({source}): {len(kept)} of {len(base.result.claims)} claim(s) kept"]
        result = base.result.model_copy(update={
            "claims": kept, "findings": [], "dropped": [],
            "provenance": Provenance(extractor="review", model_used=False, notes=notes)})
        out.append(base.model_copy(update={"result": result, "decisions": decisions}))
    return out


# ------------------------------------------------------------------------------------------ articles


def read_articles(source: str | Path | Iterable[Article] | Mapping[str, Article] | None) -> dict[str, Article]:
    """Articles by id and by content hash, from a folder of ``.txt`` files (id: the file name without
    ``.txt``), a JSONL file of articles (``id``, ``text``, optional ``title``, ``url``, ``outlet``,
    ``published``: the batch input), one ``.txt`` file, or Articles. Unreadable entries are skipped
    with a logged warning. Raises InputError when ``source`` does not exist.
    """
    out: dict[str, Article] = {}
    if source is None:
        return out

    def put(a: Article) -> None:
        if a.id:
            out[a.id] = a
        out[a.content_hash] = a

    if isinstance(source, Mapping):
        for a in source.values():
            put(a)
        return out
    if not isinstance(source, str | Path):
        for a in source:
            put(a)
        return out
    path = Path(source)
    if path.is_dir():
        for f in sorted(path.glob("*.txt")):
            _put_txt(f, put)
        return out
    if not path.is_file():
        raise InputError("no such file or folder", source=str(path))
    if path.suffix.lower() == ".txt":
        _put_txt(path, put)
        return out
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
                meta = {k: obj[k] for k in (*_META, "published") if obj.get(k) not in (None, "")}
                put(Article(text=obj["text"], id=_str(obj.get("id")), **meta))
            except (ValueError, KeyError, TypeError, ValidationError) as exc:
                logger.warning("%s:%d: not an article: %s", path, lineno, exc)
    return out


def _put_txt(path: Path, put: Any) -> None:
    try:
        text = path.read_bytes().decode("utf-8-sig")  # as llmextract.io reads it: offsets index this text
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("%s: not readable as UTF-8 text: %s", path, exc)
        return
    put(Article(text=text, id=path.stem))
