"""The sample gold (examples/gold/): it validates, its offsets slice the articles, and it grounds cleanly.

A gold value the grounder fails is either a gold error (fix the gold, from the article) or a
grounding bug (report it); the gold is never edited just to pass. The conventions the gold follows
are in examples/gold/README.md; the tests below pin the ones earlier reviews asked for.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import llmextract
from llmextract.schema import SCHEMA_VERSION, Article, ClaimKind, ExtractionResult, Qualifier, Verdict
from llmextract.text.numbers import VAGUE

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "examples" / "gold"
ARTICLES = ROOT / "examples" / "articles"
STEMS = sorted(p.stem for p in ARTICLES.glob("*.txt"))


def _text(stem: str) -> str:
    return (ARTICLES / f"{stem}.txt").read_text(encoding="utf-8")


def _gold(stem: str) -> ExtractionResult:
    return ExtractionResult.model_validate_json((GOLD / f"{stem}.json").read_text(encoding="utf-8"))


def test_one_gold_file_per_article() -> None:
    assert len(STEMS) == 5
    assert sorted(p.stem for p in GOLD.glob("*.json")) == STEMS


@pytest.mark.parametrize("stem", STEMS)
def test_gold_validates_and_names_its_article(stem: str) -> None:
    raw = json.loads((GOLD / f"{stem}.json").read_text(encoding="utf-8"))
    gold = ExtractionResult.model_validate(raw)
    article = Article(text=_text(stem), id=stem)
    assert gold.schema_version == SCHEMA_VERSION
    assert gold.article_id == stem
    assert gold.content_hash == article.content_hash
    assert gold.published == article.published
    assert gold.provenance.extractor == "gold" and not gold.provenance.model_used
    assert gold.claims and not gold.findings and not gold.dropped
    # what the file says is what the model reads back: no key dropped or renamed on the way
    assert ExtractionResult.model_validate_json(gold.model_dump_json()).claims == gold.claims


@pytest.mark.parametrize("stem", STEMS)
def test_every_quote_slices_the_article(stem: str) -> None:
    text = _text(stem)
    for claim in _gold(stem).claims:
        assert claim.evidence
        for ev in claim.evidence:
            assert ev.start is not None and ev.end is not None
            assert text[ev.start:ev.end] == ev.quote


@pytest.mark.parametrize("stem", STEMS)
def test_phrases_are_the_texts_own_words(stem: str) -> None:
    text = _text(stem)
    for claim in _gold(stem).claims:
        phrases = [getattr(claim, n).phrase for n in ("killed", "injured", "casualties", "children_killed",
                                                      "women_killed", "men_killed") if getattr(claim, n)]
        phrases += [d.phrase for d in (claim.date, claim.reported) if d is not None and d.phrase]
        phrases += [claim.place.phrase] if claim.place is not None else []
        phrases += [x for x in (claim.attribution.claimant, *claim.attribution.relays) if x]
        for phrase in phrases:
            assert phrase in text, (stem, phrase)  # verbatim: no-break spaces and case as written


@pytest.mark.parametrize("stem", STEMS)
def test_gold_grounds_without_failures(stem: str) -> None:
    text = _text(stem)
    report = llmextract.ground(_gold(stem), Article(text=text, id=stem))
    assert report.ok, report.to_messages()
    assert not report.unsupported
    assert report.summary["fuzzy"] == 0  # gold copies the text: nothing a typo away
    for f in report.findings:
        for span in f.spans:
            assert text[span.start:span.end] == span.text


@pytest.mark.parametrize("stem", STEMS)
def test_counts_follow_the_conventions(stem: str) -> None:
    for claim in _gold(stem).claims:
        for name in ("killed", "injured", "casualties", "children_killed", "women_killed", "men_killed"):
            c = getattr(claim, name)
            if c is None:
                continue
            if c.qualifier is Qualifier.exact:
                assert c.low == c.high is not None, (stem, name, c)
            elif c.qualifier in (Qualifier.at_least, Qualifier.more_than):
                assert c.low is not None and c.high is None, (stem, name, c)
            elif c.qualifier is Qualifier.vague and c.low is not None:
                # "dozens" 12, "scores" 20, "a number" 2: the conservative low bound, no high bound
                assert (c.low, c.high) == VAGUE[" ".join(c.phrase.lower().split())], (stem, name, c)
        if claim.kind is ClaimKind.allegation:
            assert claim.killed is None and claim.injured is None and claim.casualties is None
        if claim.perpetrator:
            assert claim.belligerent, (stem, claim.perpetrator)
        for d in (claim.date, claim.reported):
            if d is not None and d.start is not None:
                assert d.end is not None and d.start <= d.end


def test_the_report_date_is_kept_apart_from_the_event_date() -> None:
    soussa = _gold("000_68a82acbaa1f11d0").claims[0]
    assert soussa.place is not None and soussa.place.phrase == "Soussa"
    assert soussa.date is None
    assert soussa.reported is not None and soussa.reported.phrase == "on Monday"
    assert soussa.reported.date == dt.date(2018, 1, 1)


def test_tallies_keep_their_periods() -> None:
    tallies = {c.killed.low: c for c in _gold("000_68a82acbaa1f11d0").claims
               if c.kind is ClaimKind.tally and c.killed is not None}
    assert set(tallies) == {5961, 2759, 98}
    ninety_eight = tallies[98].date
    assert ninety_eight is not None and ninety_eight.phrase == "between October 23 and November 23"
    assert ninety_eight.date is None  # a range is not its first day
    assert (ninety_eight.start, ninety_eight.end) == (dt.date(2017, 10, 23), dt.date(2017, 11, 23))
    months = tallies[2759]
    assert months.date is not None and months.date.end == dt.date(2017, 11, 23)  # 38 months up to the report
    assert months.reported is not None and months.reported.date == dt.date(2017, 11, 23)
    since = [c for c in _gold("002_55de023ae2e06980").claims if c.kind is ClaimKind.tally]
    assert [c.date.phrase for c in since if c.date] == ["since Monday"]


def test_casualties_are_never_split() -> None:
    text = _text("001_7324fdaa959f27c2")
    claims = _gold("001_7324fdaa959f27c2").claims
    [shaafah] = [c for c in claims if c.casualties is not None]
    assert shaafah.kind is ClaimKind.incident
    assert shaafah.place is not None and shaafah.place.phrase == "al-Shaafah"
    assert shaafah.date is not None and shaafah.date.phrase == "on November 13"
    assert (shaafah.casualties.low, shaafah.casualties.high) == (60, 60)
    assert shaafah.killed is None and shaafah.injured is None
    report = llmextract.ground(shaafah, text)
    assert report.by_path["casualties.low"].verdict is Verdict.exact


def test_the_ministrys_massacre_statement_is_an_allegation() -> None:
    allegations = [c for c in _gold("001_7324fdaa959f27c2").claims if c.kind is ClaimKind.allegation]
    massacre = [c for c in allegations if any("the massacre" in e.quote for e in c.evidence)]
    assert len(massacre) == 1
    claimant = massacre[0].attribution.claimant
    assert claimant is not None and "Ministry of Foreign Affairs" in claimant
    assert massacre[0].place is not None and massacre[0].place.phrase == "al-Shaafah"
    assert {c.attribution.claimant for c in allegations} >= {"Human Rights Watch", "The Russian Foreign Ministry"}


def test_a_day_earlier_dates_the_baghouz_raid_from_february_12() -> None:
    claims = _gold("003_292ba422c2383963").claims
    raid = [c for c in claims if c.killed is not None and c.killed.low == 16]
    assert len(raid) == 1
    assert raid[0].date is not None and raid[0].date.phrase == "a day earlier"
    assert raid[0].place is not None and raid[0].place.phrase == "Baghouz"
    [letters] = [c for c in claims if c.kind is ClaimKind.allegation]
    assert letters.reported is not None and letters.reported.phrase == "On February 12"
    assert letters.date is not None and letters.date.phrase == "a day earlier"


def test_a_lede_that_sums_up_an_incident_is_not_a_claim_of_its_own() -> None:
    claims = _gold("003_292ba422c2383963").claims
    assert not any(c.killed is not None and c.killed.phrase.lower() == "dozens" for c in claims)
    baghouz = claims[0]
    assert baghouz.killed is not None and baghouz.killed.low == 50
    assert baghouz.evidence[0].quote.startswith("Dozens of civilians")
