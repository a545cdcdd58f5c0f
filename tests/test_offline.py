"""The offline extractor on the sample articles: the claims a reader finds there, with no model."""

from __future__ import annotations

import datetime as dt

from llmextract import extract
from llmextract.evidence import EvidenceIndex
from llmextract.offline import extract_offline
from llmextract.schema import Article, ClaimKind, Qualifier


def _claims(text: str):
    return extract_offline(Article(text=text)).claims


def test_hajin_incident(hajin: str) -> None:
    result = extract(hajin)
    assert result.provenance.extractor == "offline"
    assert result.provenance.model_used is False
    assert any("No model was used" in n for n in result.provenance.notes)
    first = result.claims[0]
    assert first.kind is ClaimKind.incident
    assert first.place is not None and first.place.phrase == "Hajin"
    assert first.killed is not None and (first.killed.low, first.killed.phrase) == (20, "Twenty")
    assert first.children_killed is not None and first.children_killed.low == 9
    assert first.women_killed is not None and first.women_killed.low == 8
    assert first.attribution.claimant == "Local sources"
    assert first.attribution.relays == ["SANA"]
    assert first.attribution.outlet == "Press TV"
    assert first.date is not None and first.date.phrase == "on Saturday"
    assert first.date.date is None  # no published date: the phrase is kept, not resolved
    # the headline "Kill 20 more civilians" and the lede "Twenty civilians" are one incident
    assert sum(1 for c in result.claims if c.killed and c.killed.low == 20) == 1


def test_evidence_offsets_slice_back(articles: dict[str, str]) -> None:
    for text in articles.values():
        for claim in _claims(text):
            assert claim.evidence
            for ev in claim.evidence:
                assert text[ev.start:ev.end] == ev.quote


def test_tallies_are_kept_apart_from_incidents(articles: dict[str, str]) -> None:
    claims = _claims(articles["000_68a82acbaa1f11d0"])
    tallies = [c for c in claims if c.kind is ClaimKind.tally]
    incidents = [c for c in claims if c.kind is ClaimKind.incident]
    assert {c.killed.low for c in tallies if c.killed} >= {5961, 2759, 98}
    assert all(c.killed is None or c.killed.low not in (5961, 2759, 98) for c in incidents)
    assert incidents[0].killed is not None and incidents[0].killed.low == 12
    # "on Monday" in an article published Monday 2018-01-01 is that day
    monday = next(c for c in claims if c.date and c.date.phrase == "on Monday")
    assert monday.date is not None and monday.date.date == dt.date(2018, 1, 1)
    assert monday.toll_may_rise
    # "five women and children" is not a count of either: no breakdown is invented
    assert incidents[0].children_killed is None and incidents[0].women_killed is None


def test_vague_injured_and_rising_toll(articles: dict[str, str]) -> None:
    claims = _claims(articles["003_292ba422c2383963"])
    baghouz = next(c for c in claims if c.killed and c.killed.low == 50)
    assert baghouz.place is not None and baghouz.place.phrase == "Baghouz"
    assert baghouz.injured is not None and baghouz.injured.qualifier is Qualifier.vague
    assert baghouz.injured.phrase == "scores" and baghouz.injured.high is None
    assert baghouz.toll_may_rise
    assert baghouz.attribution.relays == ["SANA"]
    lede = claims[0]
    assert lede.killed is not None and lede.killed.phrase == "Dozens" and lede.killed.low == 12


def test_breakdown_in_a_later_sentence(articles: dict[str, str]) -> None:
    claims = _claims(articles["002_55de023ae2e06980"])
    first = claims[0]
    assert first.killed is not None and (first.killed.low, first.killed.qualifier) == (6, Qualifier.at_least)
    assert first.children_killed is not None and first.children_killed.low == 3
    assert first.place is not None and first.place.phrase == "Dayr al-Zawr"


def test_hedged_words_and_women(articles: dict[str, str]) -> None:
    claims = _claims(articles["004_1a277f37133431af"])
    first = claims[0]
    assert first.killed is not None and (first.killed.phrase, first.killed.low) == ("Fifteen", 15)
    assert first.women_killed is not None and first.women_killed.low == 7
    assert first.place is not None and first.place.phrase == "al-Shaaf"


def test_single_victims_and_attackers_are_not_counts() -> None:
    (c,) = _claims("A muezzin was shot dead near his home in Iskandariyah, police and medics said.")
    assert c.killed is not None and c.killed.low == 1 and c.killed.phrase == "A muezzin"
    claims = _claims("Two female suicide bombers have killed at least 12 people and injured 11 at a mosque.")
    assert claims[0].killed is not None and claims[0].killed.low == 12
    assert claims[0].injured is not None and claims[0].injured.low == 11


def test_coordinated_groups_keep_their_phrase_and_parts() -> None:
    (c,) = _claims("Gunmen ambushed a truck, killing nine men and four women in a region plagued by violence.")
    # the total is the groups' sum: kept with the phrase that states the groups, so grounding can
    # label it derived rather than pass it off as a figure the text states
    assert c.killed is not None and (c.killed.phrase, c.killed.low) == ("nine men and four women", 13)
    assert c.men_killed is not None and c.men_killed.low == 9
    assert c.women_killed is not None and c.women_killed.low == 4


def test_a_breakdown_is_never_summed(hajin: str) -> None:
    # "nine children and eight women were among the dead" is part of the twenty, not a toll of 17
    claims = _claims(hajin)
    assert all(c.killed is None or c.killed.low != 17 for c in claims[:1])
    assert all(c.killed is None or c.killed.phrase != "nine children and eight women" for c in claims)


def test_index_is_built_once_and_reused(hajin: str) -> None:
    art = Article(text=hajin)
    index = EvidenceIndex.build(art)
    assert extract_offline(art, index).claims == extract_offline(art).claims
