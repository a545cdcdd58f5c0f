"""Scoring predicted claims against gold: one-to-one claim matching, per-field scores, misses and extras.

::

    report = evaluate("examples/gold/", "offline.jsonl", "model.jsonl")   # any number of predictions
    print(format_report(report))              # one table, the prediction sets side by side
    report.model_dump_json()                  # everything, JSON

Gold and predictions are anything :func:`llmextract.review.results.read_results` reads (a folder
of per-article results, a JSONL of results or batch records, WAD- or Airwars-style flat gold, a
review file saved by the review page). Articles are joined on their id, else their content hash.

**Matching.** In each article, gold and predicted claims are paired one to one by a maximum-weight
assignment (the Hungarian algorithm, :func:`max_weight_matching`) over their similarity; a pair
whose similarity is below :data:`MATCH_THRESHOLD` (0.5) is no match: one miss and one extra.

**Similarity** of a gold and a predicted claim is the weighted mean, over the components at least
one of them states, of each component's agreement; a component only one side states agrees 0 and
counts half its weight (:data:`ONE_SIDED`: a value left out is weaker evidence than one that differs):

============  ======  =================================================================
component     weight  agreement
============  ======  =================================================================
kind          1       the same kind (incident, tally, allegation)
claimant      1       the same name after the grounder's folding and aliases (1), or its
                      fuzzy score (:func:`llmextract.text.names.match_name`)
place         1       the same, between the place phrases and normalised names; 0.5 for
                      a place inside the other's name or province ("Adamawa")
date          1       the same resolved date, else the same phrase ("on Monday" = "Monday");
                      0.5 for a phrase alone that allows the other's date ("on Sunday")
killed        2       the same low bound (1); one low bound inside the other's range (0.5)
injured       1       as killed
casualties    1       as killed (killed and wounded together, "60 casualties": never split)
breakdowns    0.5     each of children, women and men killed, as killed
============  ======  =================================================================

Flat gold (WAD, Airwars) codes only some fields; only those are compared and scored.

**Per-field scores.** For each field (kind, claimant, relays, place, date, perpetrator, killed,
injured, casualties, breakdowns) a gold claim that states it is one gold value, a predicted claim that states
it one predicted value (so misses cost recall and extras cost precision), and a matched pair that
agrees on it one correct value: precision = correct / predicted, recall = correct / gold. Relays
count one value per relay, breakdowns one per stated breakdown. Counts agree on their low bound
(the conservative figure, ``Count.best``); names as in the similarity (a fuzzy match agrees; a
perpetrator also agrees when both claims carry the same ``belligerent``, the party under one name,
as the text's words for it vary: "US-led strikes", "the coalition led by the United States"); dates
on the resolved date when both have one, else on the phrase (an unresolved "on Sunday" does not
agree with a coded 2016-01-17). ``flagged`` is the share of the predicted values of the
field that the grounding layer flagged (from the predictions' findings).

**Counts.** For killed, injured, casualties and each breakdown: the exact-match rate (the same low bound) and
the within-range rate (the predicted low bound inside the gold range, open-ended above for "at
least"), over the gold values and over the matched pairs that both state it. For flat gold also
per article, as WAD benchmarks count them: the matched claim's figure, else 0 (WAD codes "none
reported" as 0), and, looking at no gold, the first incident claim stating a count (else the first
claim stating one), as ``benchmarks/wad.py`` picks it without refining a vague lede.

Fields that later schema versions add are scored where both sides of a matched pair carry them
(agreement rate): coordinates (``place.latitude`` / ``longitude``, within 0.05 degrees), place
precision, date start and end, date precision (not ``unknown``), the report's date (``reported``:
the same resolved date, else the same phrase) and the belligerent (the same name, case folded).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from llmextract.review._claims import BREAKDOWNS, describe, finding_field, first_quote
from llmextract.review.results import ResultRecord, ResultSet, read_results
from llmextract.schema import Claim, Count, ExtractionResult

__all__ = [
    "FIELDS",
    "MATCH_THRESHOLD",
    "WEIGHTS",
    "ClaimRef",
    "CountScore",
    "EvalReport",
    "FieldScore",
    "Mismatch",
    "SystemReport",
    "claim_similarity",
    "evaluate",
    "format_report",
    "max_weight_matching",
]

#: A gold and a predicted claim whose similarity is below this are no match.
MATCH_THRESHOLD = 0.5
#: Weights of the similarity's components.
WEIGHTS: dict[str, float] = {"kind": 1.0, "claimant": 1.0, "place": 1.0, "date": 1.0, "killed": 2.0,
                             "injured": 1.0, "casualties": 1.0, "children_killed": 0.5, "women_killed": 0.5,
                             "men_killed": 0.5}
#: The share of its weight a component counts with when only one of the two claims states it.
ONE_SIDED = 0.5
#: The fields scored with precision, recall and F1.
FIELDS = ("kind", "claimant", "relays", "place", "date", "perpetrator", "killed", "injured", "casualties",
          "breakdowns")
COUNT_NAMES = ("killed", "injured", "casualties", *BREAKDOWNS)
_COORD_TOLERANCE = 0.05  # degrees, about 5 km


# ------------------------------------------------------------------------------------------ assignment


def max_weight_matching(weights: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """Pairs (row, column), each row and column at most once, maximising the summed weight.

    The Hungarian algorithm (shortest augmenting paths with potentials), O(n² m) for n <= m.
    Pairs of weight 0 or less are left out of the answer (they add nothing).
    """
    rows = len(weights)
    cols = len(weights[0]) if rows else 0
    if rows == 0 or cols == 0:
        return []
    transposed = rows > cols
    w = [list(r) for r in zip(*weights, strict=True)] if transposed else [list(r) for r in weights]
    n, m = len(w), len(w[0])
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    p = [0] * (m + 1)  # p[j]: the row assigned to column j (1-based; 0 none)
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = p[j0]
            delta = inf
            j1 = 0
            row = w[i0 - 1]
            for j in range(1, m + 1):
                if not used[j]:
                    cur = -row[j - 1] - u[i0] - v[j]
                    if cur < minv[j]:
                        minv[j] = cur
                        way[j] = j0
                    if minv[j] < delta:
                        delta = minv[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    pairs = [(p[j] - 1, j - 1) for j in range(1, m + 1) if p[j]]
    if transposed:
        pairs = [(j, i) for i, j in pairs]
    return sorted((i, j) for i, j in pairs if weights[i][j] > 0)


# ------------------------------------------------------------------------------------------ comparing values


@lru_cache(maxsize=65536)
def name_score(a: str, b: str) -> float:
    """1.0 for the same name after folding and aliases, the fuzzy score for a near one, else 0."""
    from llmextract.text.names import match_name

    if not a.strip() or not b.strip():
        return 0.0
    found = match_name(a, b) or match_name(b, a)
    return found[1] if found else 0.0


def _names_agree(a: str | None, b: str | None) -> bool:
    """The same name, or a near one (a fuzzy match at the grounder's threshold)."""
    return bool(a and b) and name_score(a or "", b or "") > 0


def _place_names(claim: Claim) -> list[str]:
    p = claim.place
    if p is None:
        return []
    return [x for x in dict.fromkeys((p.phrase, p.name)) if x]


def _same_place(g: Claim, p: Claim) -> float:
    """The best name score between the two places' phrases and normalised names."""
    return max((name_score(a, b) for a in _place_names(g) for b in _place_names(p)), default=0.0)


@lru_cache(maxsize=65536)
def _inside(a: str, b: str) -> bool:
    """One name's folded words run inside the other's: "Adamawa" in "Madagali, Adamawa State"."""
    from llmextract.text.names import fold

    fa, fb = fold(a), fold(b)
    return bool(fa and fb) and (f" {fa} " in f" {fb} " or f" {fb} " in f" {fa} ")


def _place_score(g: Claim, p: Claim) -> float:
    """1 (or a fuzzy score) for the same place; 0.5 for a place inside the other's name or province."""
    best = _same_place(g, p)
    if best > 0 or g.place is None or p.place is None:
        return best
    g_wide = [*_place_names(g), *([g.place.province] if g.place.province else [])]
    p_wide = [*_place_names(p), *([p.place.province] if p.place.province else [])]
    if any(_inside(a, b) or name_score(a, b) > 0 for a in g_wide for b in p_wide):
        return 0.5
    return 0.0


_DATE_LEAD = re.compile(r"^(?:on|in|at|during|since)\s+", re.I)


def _date_phrase(claim: Claim) -> str:
    phrase = claim.date.phrase if claim.date is not None else None
    return _DATE_LEAD.sub("", " ".join((phrase or "").split())).casefold()


def _has_date(claim: Claim) -> bool:
    return claim.date is not None and (claim.date.date is not None or bool(claim.date.phrase))


def _dates_agree(g: Claim, p: Claim) -> bool:
    assert g.date is not None and p.date is not None
    if g.date.date is not None and p.date.date is not None:
        return g.date.date == p.date.date
    gp, pp = _date_phrase(g), _date_phrase(p)
    return bool(gp) and gp == pp


def _date_fits(resolved: Claim, phrased: Claim) -> bool:
    """``phrased`` states only a phrase ("on Sunday"), and ``resolved``'s date is one it allows."""
    from llmextract.text.dates import consistent

    a, b = resolved.date, phrased.date
    if a is None or b is None or a.date is None or b.date is not None or not b.phrase:
        return False
    return consistent(b.phrase, a.date, None)[0]


def _count(claim: Claim, name: str) -> Count | None:
    c = getattr(claim, name, None)
    return c if c is not None and c.best is not None else None


def _within(value: int | None, c: Count) -> bool:
    """``value`` inside the range of ``c`` (open-ended above when ``c`` has no high bound)."""
    if value is None:
        return False
    low = c.low if c.low is not None else 0
    return value >= low and (c.high is None or value <= c.high)


def _count_score(g: Count, p: Count) -> float:
    if g.best == p.best:
        return 1.0
    if _within(p.best, g) or _within(g.best, p):
        return 0.5
    return 0.0


def _present(claim: Claim, component: str) -> bool:
    if component == "kind":
        return True
    if component == "claimant":
        return bool(claim.attribution.claimant)
    if component == "place":
        return bool(_place_names(claim))
    if component == "date":
        return _has_date(claim)
    return _count(claim, component) is not None


def _component_score(g: Claim, p: Claim, component: str) -> float:
    if component == "kind":
        return 1.0 if g.kind == p.kind else 0.0
    if component == "claimant":
        return name_score(g.attribution.claimant or "", p.attribution.claimant or "")
    if component == "place":
        return _place_score(g, p)
    if component == "date":
        return 1.0 if _dates_agree(g, p) else 0.5 if _date_fits(g, p) or _date_fits(p, g) else 0.0
    gc, pc = _count(g, component), _count(p, component)
    assert gc is not None and pc is not None
    return _count_score(gc, pc)


def _components(fields: frozenset[str] | None) -> list[str]:
    if fields is None:
        return list(WEIGHTS)
    allowed = set(fields) | (set(BREAKDOWNS) if "breakdowns" in fields else set())
    return [c for c in WEIGHTS if c in allowed]


def claim_similarity(gold: Claim, pred: Claim, *, fields: frozenset[str] | None = None) -> float:
    """The similarity of two claims in [0, 1] (the table in the module docstring).

    ``fields`` restricts it to the components a flat gold codes (None: all).
    """
    total = weight = 0.0
    for c in _components(fields):
        g_has, p_has = _present(gold, c), _present(pred, c)
        if g_has and p_has:
            weight += WEIGHTS[c]
            total += WEIGHTS[c] * _component_score(gold, pred, c)
        elif g_has or p_has:
            weight += ONE_SIDED * WEIGHTS[c]
    return total / weight if weight else 0.0


# ------------------------------------------------------------------------------------------ per-field values


def _field_values(claim: Claim, field: str) -> int:
    """How many values of ``field`` the claim states."""
    if field == "kind":
        return 1
    if field == "claimant":
        return 1 if claim.attribution.claimant else 0
    if field == "relays":
        return len([r for r in claim.attribution.relays if r])
    if field == "place":
        return 1 if _place_names(claim) else 0
    if field == "date":
        return 1 if _has_date(claim) else 0
    if field == "perpetrator":
        return 1 if claim.perpetrator else 0
    if field == "breakdowns":
        return sum(1 for b in BREAKDOWNS if _count(claim, b) is not None)
    return 1 if _count(claim, field) is not None else 0


def _relays_agreeing(g: list[str], p: list[str]) -> int:
    left = [x for x in p if x]
    n = 0
    for r in (x for x in g if x):
        for k, q in enumerate(left):
            if name_score(r, q) > 0:
                n += 1
                del left[k]
                break
    return n


def _field_correct(g: Claim, p: Claim, field: str) -> int:
    """How many of the pair's values of ``field`` agree."""
    if field == "kind":
        return int(g.kind == p.kind)
    if field == "claimant":
        return int(_names_agree(g.attribution.claimant, p.attribution.claimant))
    if field == "relays":
        return _relays_agreeing(g.attribution.relays, p.attribution.relays)
    if field == "place":
        return int(_same_place(g, p) > 0)
    if field == "date":
        return int(_has_date(g) and _has_date(p) and _dates_agree(g, p))
    if field == "perpetrator":
        return int(_names_agree(g.perpetrator, p.perpetrator) or _same_party(g, p))
    if field == "breakdowns":
        return sum(1 for b in BREAKDOWNS if _counts_equal(g, p, b))
    return int(_counts_equal(g, p, field))


def _same_party(g: Claim, p: Claim) -> bool:
    """Both perpetrators stated and both claims name the same belligerent ("US-led strikes" and "the
    coalition led by the United States" are both the US-led coalition)."""
    a, b = getattr(g, "belligerent", None), getattr(p, "belligerent", None)
    return bool(g.perpetrator and p.perpetrator and a and b) and " ".join(a.split()).casefold() == " ".join(
        b.split()).casefold()


def _counts_equal(g: Claim, p: Claim, name: str) -> bool:
    gc, pc = _count(g, name), _count(p, name)
    return gc is not None and pc is not None and gc.best == pc.best


def _field_text(claim: Claim, field: str) -> Any:
    if field == "kind":
        return claim.kind.value
    if field == "claimant":
        return claim.attribution.claimant
    if field == "relays":
        return list(claim.attribution.relays) or None
    if field == "place":
        return claim.place.phrase if claim.place is not None else None
    if field == "date":
        if claim.date is None:
            return None
        return claim.date.date.isoformat() if claim.date.date is not None else claim.date.phrase
    if field == "perpetrator":
        return claim.perpetrator
    if field == "breakdowns":
        out = {b: c.best for b in BREAKDOWNS if (c := _count(claim, b)) is not None}
        return out or None
    c = _count(claim, field)
    return None if c is None else {"low": c.low, "high": c.high, "phrase": c.phrase}


# ------------------------------------------------------------------------------------------ later fields


def _attr(obj: Any, *names: str) -> Any:
    for n in names:
        value = getattr(obj, n, None)
        if value is not None:
            return value
    return None


def _coords(claim: Claim) -> tuple[float, float] | None:
    lat, lon = _attr(claim.place, "latitude", "lat"), _attr(claim.place, "longitude", "lon", "lng")
    return (float(lat), float(lon)) if lat is not None and lon is not None else None


def _later(claim: Claim, field: str) -> Any:
    if field == "coordinates":
        return _coords(claim)
    if field == "place_precision":
        return _attr(claim.place, "precision", "where_prec")
    if field == "date_start":
        return _attr(claim.date, "start", "date_start")
    if field == "date_end":
        return _attr(claim.date, "end", "date_end")
    if field == "date_precision":
        value = _attr(claim.date, "precision")
        return None if value is None or str(getattr(value, "value", value)) == "unknown" else value
    if field == "reported":
        reported = getattr(claim, "reported", None)
        if reported is None:
            return None
        phrase = _DATE_LEAD.sub("", " ".join((reported.phrase or "").split())).casefold()
        return reported.date or phrase or None
    if field == "belligerent":
        party = getattr(claim, "belligerent", None)
        return " ".join(party.split()).casefold() if party else None
    return None


def _later_agree(field: str, a: Any, b: Any) -> bool:
    if field == "coordinates":
        return abs(a[0] - b[0]) <= _COORD_TOLERANCE and abs(a[1] - b[1]) <= _COORD_TOLERANCE
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return str(a) == str(b)
    return str(getattr(a, "value", a)) == str(getattr(b, "value", b))


LATER_FIELDS = ("coordinates", "place_precision", "date_start", "date_end", "date_precision", "reported",
                "belligerent")


# ------------------------------------------------------------------------------------------ report models


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _f1(p: float | None, r: float | None) -> float | None:
    if p is None or r is None:
        return None
    return round(2 * p * r / (p + r), 4) if p + r else 0.0


class FieldScore(BaseModel):
    """Precision, recall and F1 of one field (``claims``: of the claims themselves)."""

    field: str
    gold: int = 0
    pred: int = 0
    correct: int = 0
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    checked: int = Field(0, description="Predicted values of the field with a grounding finding.")
    flagged: int = Field(0, description="Of those, the findings that are not ok.")
    flagged_share: float | None = None

    def finish(self) -> FieldScore:
        self.precision = _ratio(self.correct, self.pred)
        self.recall = _ratio(self.correct, self.gold)
        self.f1 = _f1(self.precision, self.recall)
        self.flagged_share = _ratio(self.flagged, self.checked)
        return self


class CountScore(BaseModel):
    """Exact-match and within-range rates of one count field."""

    field: str
    gold: int = Field(0, description="Gold claims stating the count.")
    both: int = Field(0, description="Matched pairs where both state it.")
    exact: int = 0
    within: int = 0
    exact_rate: float | None = None
    within_rate: float | None = None
    exact_rate_matched: float | None = None
    within_rate_matched: float | None = None

    def finish(self) -> CountScore:
        self.exact_rate, self.within_rate = _ratio(self.exact, self.gold), _ratio(self.within, self.gold)
        self.exact_rate_matched = _ratio(self.exact, self.both)
        self.within_rate_matched = _ratio(self.within, self.both)
        return self


class DocumentCountScore(BaseModel):
    """Flat gold: one figure per article, as the WAD benchmarks score it."""

    field: str
    rows: int = 0
    matched_exact: int = 0
    matched_within: int = 0
    first_exact: int = 0
    first_within: int = 0
    matched_exact_rate: float | None = None
    matched_within_rate: float | None = None
    first_exact_rate: float | None = None
    first_within_rate: float | None = None

    def finish(self) -> DocumentCountScore:
        self.matched_exact_rate = _ratio(self.matched_exact, self.rows)
        self.matched_within_rate = _ratio(self.matched_within, self.rows)
        self.first_exact_rate = _ratio(self.first_exact, self.rows)
        self.first_within_rate = _ratio(self.first_within, self.rows)
        return self


class LaterFieldScore(BaseModel):
    """A field a later schema adds, scored where both claims of a matched pair carry it."""

    field: str
    both: int = 0
    agree: int = 0
    rate: float | None = None


class ClaimRef(BaseModel):
    """A missed or an extra claim: where it is and what it says."""

    article_id: str | None
    claim: int
    kind: str
    summary: str
    quote: str
    best_similarity: float | None = Field(None, description="Its best similarity on the other side, if any.")
    flagged: int = Field(0, description="An extra's values the grounding flagged.")


class Mismatch(BaseModel):
    """A field on which a matched pair disagrees (or which the prediction leaves out)."""

    article_id: str | None
    gold_claim: int
    pred_claim: int
    field: str
    gold: Any = None
    pred: Any = None
    quote: str = ""


class GroundingShare(BaseModel):
    """What the grounding layer said about the predicted claims."""

    values: int = Field(0, description="Findings on predicted claims.")
    flagged: int = 0
    share: float | None = None
    by_verdict: dict[str, int] = Field(default_factory=dict)
    extras: int = 0
    extras_flagged: int = Field(0, description="Extra claims with at least one flagged value.")
    matched: int = 0
    matched_flagged: int = Field(0, description="Matched claims with at least one flagged value.")


class SystemReport(BaseModel):
    """One prediction set scored against the gold."""

    name: str
    source: str
    articles: int = Field(0, description="Gold articles.")
    joined: int = Field(0, description="Gold articles with a predicted result.")
    missing: list[str] = Field(default_factory=list, description="Gold articles with no prediction.")
    failed: list[str] = Field(default_factory=list, description="Gold articles whose prediction is an error.")
    ignored: int = Field(0, description="Predicted articles not in the gold.")
    superseded: int = 0
    problems: list[str] = Field(default_factory=list)
    fields: list[FieldScore] = Field(default_factory=list)
    counts: list[CountScore] = Field(default_factory=list)
    documents: list[DocumentCountScore] = Field(default_factory=list)
    later: list[LaterFieldScore] = Field(default_factory=list)
    grounding: GroundingShare = Field(default_factory=GroundingShare)
    misses: list[ClaimRef] = Field(default_factory=list)
    extras: list[ClaimRef] = Field(default_factory=list)
    mismatches: list[Mismatch] = Field(default_factory=list)

    def field(self, name: str) -> FieldScore:
        return next(f for f in self.fields if f.field == name)

    def count(self, name: str) -> CountScore:
        return next(c for c in self.counts if c.field == name)


class EvalReport(BaseModel):
    """Every prediction set scored against one gold."""

    gold: str
    gold_articles: int
    gold_claims: int
    threshold: float
    weights: dict[str, float]
    problems: list[str] = Field(default_factory=list)
    systems: list[SystemReport] = Field(default_factory=list)

    def system(self, name: str) -> SystemReport:
        return next(s for s in self.systems if s.name == name)

    def table(self) -> list[dict[str, Any]]:
        """Side by side, one row per field: ``{"field", "gold", "<name> P", "<name> R", "<name> F1", ...}``."""
        rows: list[dict[str, Any]] = []
        if not self.systems:
            return rows
        for k, fs in enumerate(self.systems[0].fields):
            row: dict[str, Any] = {"field": fs.field, "gold": fs.gold}
            for s in self.systems:
                f = s.fields[k]
                row.update({f"{s.name} P": f.precision, f"{s.name} R": f.recall, f"{s.name} F1": f.f1,
                            f"{s.name} flagged": f.flagged_share})
            rows.append(row)
        for k, cs in enumerate(self.systems[0].counts):
            if not cs.gold:
                continue
            row = {"field": f"{cs.field} exact / within", "gold": cs.gold}
            for s in self.systems:
                c = s.counts[k]
                row.update({f"{s.name} P": c.exact_rate, f"{s.name} R": c.within_rate, f"{s.name} F1": None,
                            f"{s.name} flagged": None})
            rows.append(row)
        return rows


# ------------------------------------------------------------------------------------------ scoring


class _Scorer:
    def __init__(self, name: str, preds: ResultSet, threshold: float) -> None:
        self.report = SystemReport(name=name, source=preds.source, superseded=preds.superseded,
                                   problems=list(preds.problems))
        self.preds = preds
        self.threshold = threshold
        self.fields = {f: FieldScore(field=f) for f in ("claims", *FIELDS)}
        self.counts = {c: CountScore(field=c) for c in COUNT_NAMES}
        self.docs: dict[str, DocumentCountScore] = {}
        self.later = {f: LaterFieldScore(field=f) for f in LATER_FIELDS}
        self.verdicts: Counter[str] = Counter()

    def article(self, gold: ResultRecord) -> None:
        rep = self.report
        rep.articles += 1
        label = gold.key or "?"
        assert gold.result is not None
        fields = gold.fields
        pred = self.preds.find(gold.article_id, gold.content_hash)
        if pred is None:
            rep.missing.append(label)
        elif pred.result is None:
            rep.failed.append(label)
        else:
            rep.joined += 1
        result = pred.result if pred is not None else None
        g_claims = gold.result.claims
        p_claims = result.claims if result is not None else []
        sims = [[claim_similarity(g, p, fields=fields) for p in p_claims] for g in g_claims]
        weights = [[s if s >= self.threshold else 0.0 for s in row] for row in sims]
        pairs = max_weight_matching(weights) if g_claims and p_claims else []
        matched_g = {i for i, _ in pairs}
        matched_p = {j for _, j in pairs}
        scored = self._scored_fields(fields)
        flagged_by_claim = self._grounding(result, scored) if result is not None else {}

        f = self.fields
        f["claims"].gold += len(g_claims)
        f["claims"].pred += len(p_claims)
        f["claims"].correct += len(pairs)
        for g in g_claims:
            for name in scored:
                f[name].gold += _field_values(g, name)
            for c in COUNT_NAMES:
                if self._counted(c, scored) and _count(g, c) is not None:
                    self.counts[c].gold += 1
        for p in p_claims:
            for name in scored:
                f[name].pred += _field_values(p, name)
        for i, j in pairs:
            g, p = g_claims[i], p_claims[j]
            for name in scored:
                f[name].correct += _field_correct(g, p, name)
                self._mismatch(gold, i, j, g, p, name)
            for c in COUNT_NAMES:
                gc, pc = _count(g, c), _count(p, c)
                if gc is None or pc is None or not self._counted(c, scored):
                    continue
                cs = self.counts[c]
                cs.both += 1
                cs.exact += int(gc.best == pc.best)
                cs.within += int(_within(pc.best, gc))
            for name in LATER_FIELDS:
                a, b = _later(g, name), _later(p, name)
                if a is not None and b is not None:
                    self.later[name].both += 1
                    self.later[name].agree += int(_later_agree(name, a, b))
        grounding = rep.grounding
        grounding.extras += len(p_claims) - len(matched_p)
        grounding.matched += len(matched_p)
        for j in range(len(p_claims)):
            if flagged_by_claim.get(j):
                if j in matched_p:
                    grounding.matched_flagged += 1
                else:
                    grounding.extras_flagged += 1
        for i, g in enumerate(g_claims):
            if i not in matched_g:
                best = max(sims[i], default=None)
                rep.misses.append(ClaimRef(article_id=label, claim=i, kind=g.kind.value, summary=describe(g),
                                           quote=first_quote(g), best_similarity=_round(best)))
        for j, p in enumerate(p_claims):
            if j not in matched_p:
                best = max((row[j] for row in sims), default=None)
                rep.extras.append(ClaimRef(article_id=label, claim=j, kind=p.kind.value, summary=describe(p),
                                           quote=first_quote(p), best_similarity=_round(best),
                                           flagged=flagged_by_claim.get(j, 0)))
        if fields is not None:
            self._documents(gold, g_claims, p_claims, pairs, scored)

    @staticmethod
    def _scored_fields(fields: frozenset[str] | None) -> tuple[str, ...]:
        if fields is None:
            return FIELDS
        return tuple(f for f in FIELDS if f in fields or (f == "breakdowns" and set(BREAKDOWNS) & fields))

    @staticmethod
    def _counted(count: str, scored: tuple[str, ...]) -> bool:
        return count in scored or (count in BREAKDOWNS and "breakdowns" in scored)

    def _grounding(self, result: ExtractionResult, scored: tuple[str, ...]) -> dict[int, int]:
        """Tally the result's findings on its claims; flagged findings per claim index."""
        from llmextract.review._claims import claim_index

        per_claim: Counter[int] = Counter()
        g = self.report.grounding
        for finding in result.findings:
            where = claim_index(finding.path)
            if where is None or where[0] != "claims":
                continue
            g.values += 1
            self.verdicts[finding.verdict.value] += 1
            bad = not finding.ok
            g.flagged += int(bad)
            if bad:
                per_claim[where[1]] += 1
            name = finding_field(finding.path)
            if name in self.fields and name in scored:
                self.fields[name].checked += 1
                self.fields[name].flagged += int(bad)
        return dict(per_claim)

    def _mismatch(self, gold: ResultRecord, i: int, j: int, g: Claim, p: Claim, name: str) -> None:
        n_gold = _field_values(g, name)
        if n_gold == 0 and _field_values(p, name) == 0:
            return
        if n_gold and _field_correct(g, p, name) == n_gold == _field_values(p, name):
            return
        self.report.mismatches.append(Mismatch(article_id=gold.key, gold_claim=i, pred_claim=j, field=name,
                                               gold=_field_text(g, name), pred=_field_text(p, name),
                                               quote=first_quote(g)))

    def _documents(self, gold: ResultRecord, g_claims: list[Claim], p_claims: list[Claim],
                   pairs: list[tuple[int, int]], scored: tuple[str, ...]) -> None:
        if not g_claims:
            return
        g = g_claims[0]
        matched = next((p_claims[j] for i, j in pairs if i == 0), None)
        stating = [p for p in p_claims if _count(p, "killed") is not None or _count(p, "injured") is not None]
        first = next((p for p in stating if p.kind.value == "incident"), stating[0] if stating else None)
        for name in ("killed", "injured"):
            gc = _count(g, name)
            if name not in scored or gc is None:
                continue
            d = self.docs.setdefault(name, DocumentCountScore(field=name))
            d.rows += 1
            for how, claim in (("matched", matched), ("first", first)):
                pc = _count(claim, name) if claim is not None else None
                value = pc.best if pc is not None else 0  # WAD codes "none reported" as 0
                setattr(d, f"{how}_exact", getattr(d, f"{how}_exact") + int(value == gc.best))
                setattr(d, f"{how}_within", getattr(d, f"{how}_within") + int(_within(value, gc)))

    def finish(self) -> SystemReport:
        rep = self.report
        rep.fields = [fs.finish() for fs in self.fields.values()]
        rep.counts = [c.finish() for c in self.counts.values()]
        rep.documents = [d.finish() for d in self.docs.values()]
        rep.later = []
        for lf in self.later.values():
            if lf.both:
                lf.rate = _ratio(lf.agree, lf.both)
                rep.later.append(lf)
        rep.grounding.share = _ratio(rep.grounding.flagged, rep.grounding.values)
        rep.grounding.by_verdict = dict(sorted(self.verdicts.items()))
        return rep


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _name_of(source: Any, k: int) -> str:
    if isinstance(source, ResultSet):
        return source.name or f"pred{k}"
    if isinstance(source, str | Path):
        p = Path(source)
        return p.stem or p.name or f"pred{k}"
    return f"pred{k}"


def evaluate(gold: str | Path | ResultSet | Iterable[Any], *preds: str | Path | ResultSet | Iterable[Any],
             names: Sequence[str] | None = None, threshold: float = MATCH_THRESHOLD) -> EvalReport:
    """Score each prediction set against ``gold`` (see the module docstring); the report of all of them.

    ``names`` labels the prediction sets (default: their file names without the extension, made
    unique). Raises InputError when a file or folder does not exist.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError("threshold must be in (0, 1]")
    gold_set = read_results(gold, name="gold")
    labels = list(names) if names is not None else [_name_of(p, k + 1) for k, p in enumerate(preds)]
    if len(labels) != len(preds):
        raise ValueError(f"{len(preds)} prediction set(s) but {len(labels)} name(s)")
    seen: Counter[str] = Counter()
    unique = []
    for label in labels:
        seen[label] += 1
        unique.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    gold_records = [r for r in gold_set if r.result is not None]
    report = EvalReport(gold=gold_set.source, gold_articles=len(gold_records),
                        gold_claims=sum(len(r.result.claims) for r in gold_records if r.result is not None),
                        threshold=threshold, weights=dict(WEIGHTS), problems=list(gold_set.problems))
    for label, source in zip(unique, preds, strict=True):
        pred_set = read_results(source, name=label)
        scorer = _Scorer(label, pred_set, threshold)
        for record in gold_records:
            scorer.article(record)
        scorer.report.ignored = sum(1 for r in pred_set if gold_set.find(r.article_id, r.content_hash) is None)
        report.systems.append(scorer.finish())
    return report


# ------------------------------------------------------------------------------------------ text


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def row_cells(row: dict[str, Any], names: list[str], show: Callable[[float | None], str] = _pct) -> list[str]:
    """One row of :meth:`EvalReport.table` as the cells shown per prediction set: "P / R / F1 / flagged",
    or "exact / within" for a count's rates, each figure written by ``show``."""
    if row["field"].endswith("exact / within"):
        return [f"{show(row[f'{n} P'])} / {show(row[f'{n} R'])}" for n in names]
    return [" / ".join(show(row[f"{n} {k}"]) for k in ("P", "R", "F1", "flagged")) for n in names]


def format_report(report: EvalReport, *, details: int = 20) -> str:
    """The report as plain text: the side-by-side table, counts, grounding, then up to ``details``
    misses, extras and mismatches per prediction set (0: none)."""
    out: list[str] = []
    names = [s.name for s in report.systems]
    out.append(f"gold: {report.gold} ({report.gold_articles} articles, {report.gold_claims} claims); "
               f"match threshold {report.threshold}")
    head = f"{'field':<32}{'gold':>6}" + "".join(f"  {n[:24]:>24}" for n in names)
    out += ["", head, f"{'':<38}" + "".join(f"  {'P / R / F1 / flagged':>24}" for _ in names)]
    for row in report.table():
        cells = row_cells(row, names)
        out.append(f"{row['field']:<32}{row['gold']:>6}" + "".join(f"  {c:>24}" for c in cells))
    for s in report.systems:
        g = s.grounding
        out += ["", f"[{s.name}] {s.joined} of {s.articles} gold articles joined"
                    + (f"; missing {', '.join(s.missing)}" if s.missing else "")
                    + (f"; failed {', '.join(s.failed)}" if s.failed else "")
                    + (f"; {s.superseded} superseded line(s)" if s.superseded else "")]
        out.append(f"  grounding flagged {g.flagged} of {g.values} predicted values ({_pct(g.share)}); "
                   f"extras with a flag {g.extras_flagged} of {g.extras}; matched with a flag "
                   f"{g.matched_flagged} of {g.matched}")
        for d in s.documents:
            out.append(f"  per article {d.field}: exact {_pct(d.matched_exact_rate)} (matched claim), "
                       f"{_pct(d.first_exact_rate)} (first incident); within range {_pct(d.matched_within_rate)}"
                       f" / {_pct(d.first_within_rate)} over {d.rows} rows")
        for lf in s.later:
            out.append(f"  {lf.field}: {lf.agree} of {lf.both} agree")
        if details:
            lists: list[tuple[str, list[Any], Callable[[Any], str]]] = [
                ("missed", s.misses, lambda m: f"{m.article_id} gold[{m.claim}] {m.summary} | \"{m.quote[:100]}\""),
                ("extra", s.extras, lambda m: f"{m.article_id} pred[{m.claim}] {m.summary} | \"{m.quote[:100]}\""
                 + (f" ({m.flagged} flagged)" if m.flagged else "")),
                ("mismatch", s.mismatches, lambda m: f"{m.article_id} gold[{m.gold_claim}]~pred[{m.pred_claim}] "
                 f"{m.field}: gold {m.gold!r} pred {m.pred!r}"),
            ]
            for title, items, show in lists:
                if not items:
                    continue
                out.append(f"  {title} ({len(items)}):")
                out += [f"    {show(m)}" for m in items[:details]]
                if len(items) > details:
                    out.append(f"    ... {len(items) - details} more (--format json lists all)")
    problems = report.problems + [p for s in report.systems for p in s.problems]
    if problems:
        out += ["", f"{len(problems)} unreadable record(s):"] + [f"  {p}" for p in problems[:details or 5]]
    return "\n".join(out) + "\n"
