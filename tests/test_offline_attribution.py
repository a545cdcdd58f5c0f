"""Who says so, as the offline extractor reads it: speakers as noun phrases, relays, outlets, pronouns, documents."""

from __future__ import annotations

from llmextract.extractors.offline import extract_offline
from llmextract.schema import Article, ClaimKind


def _claims(text: str, **meta: object):
    return extract_offline(Article(text=text, **meta)).claims


def _one(text: str, **meta: object):
    (claim,) = _claims(text, **meta)
    return claim


def test_the_speaker_is_the_whole_noun_phrase_before_the_verb() -> None:
    c = _one("Artillery fire hit a bakery in Tal Rifaat on Sunday, killing nine people, the Kilis Valley civil "
             "defence directorate said.")
    assert c.attribution.claimant == "the Kilis Valley civil defence directorate"
    c = _one("A spokesman for the Marib health office said 14 people died when a drone hit the camp.")
    assert c.attribution.claimant == "A spokesman for the Marib health office"
    c = _one("Gunmen killed six farmers near Gidan Waya, an official at the district hospital told reporters.")
    assert c.attribution.claimant == "an official at the district hospital"


def test_a_tally_belongs_to_the_one_who_says_it_not_to_a_name_nearby() -> None:
    # the relative clause between the speaker and "says" is skipped; the earlier sentence's speaker is not taken
    text = ("The Crescent Watch monitor reported that eight people died in the shelling of Dabiq. "
            "The Geneva-based Kestrel Fund, which documents attacks on clinics, says a total of at least 312 "
            "health workers have been killed since 2019.")
    tally = next(c for c in _claims(text) if c.kind is ClaimKind.tally)
    assert tally.attribution.claimant == "The Geneva-based Kestrel Fund"
    # an appositive between them too
    c = _one("The Nile Casualty Register, a volunteer project, says 640 civilians have been killed in the state "
             "since January.")
    assert c.attribution.claimant == "The Nile Casualty Register"


def test_so_called_is_the_outlets_comment_not_part_of_the_name() -> None:
    c = _one("The so-called Northern Liberation Council said 14 villagers were killed in the raid.")
    assert c.attribution.claimant == "Northern Liberation Council"


def test_told_names_a_relay_and_citing_names_the_speaker() -> None:
    c = _one("Residents told the Orontes Post that mortar fire killed five people in Kafr Takharim.")
    assert (c.attribution.claimant, c.attribution.relays) == ("Residents", ["the Orontes Post"])
    c = _one("A car bomb killed seven people at a bus station in Kirkuk, the Tigris Herald reported, citing a "
             "police officer.")
    assert (c.attribution.claimant, c.attribution.relays) == ("a police officer", ["the Tigris Herald"])


def test_the_named_one_among_various_sources() -> None:
    c = _one("The militia has used banned cluster munitions in the valley, according to several groups including "
             "Amnesty International.")
    assert c.kind is ClaimKind.allegation and c.attribution.claimant == "Amnesty International"


def test_the_articles_own_outlet_is_not_a_relay() -> None:
    # a source speaking to the outlet that publishes the article: the outlet, not a relay between them
    text = "A ministry spokesman told Harbour News that 31 people were killed in the strike on the port."
    c = _one(text, outlet="Harbour News")
    assert c.attribution.relays == [] and c.attribution.outlet == "Harbour News"
    assert _one(text).attribution.relays == ["Harbour News"]  # another outlet's report: a relay


def test_a_speaker_claims_only_the_figures_its_words_hold() -> None:
    # the ministry's statement follows the attack the outlet narrates: the ministry makes the charge, not the count
    text = ("The shelling of the market in Kafr Nabl, with 45 casualties on May 2, drew a response from the "
            "Interior Ministry, which has stated the massacre shows contempt for civilian life.")
    claims = _claims(text)
    incident = next(c for c in claims if c.kind is ClaimKind.incident)
    allegation = next(c for c in claims if c.kind is ClaimKind.allegation)
    assert incident.attribution.claimant is None
    assert allegation.attribution.claimant == "the Interior Ministry"


def test_narration_by_the_outlet_is_not_credited_to_the_sentence_before() -> None:
    text = ("Local officials told the Delta Herald that 30 people were killed when jets hit the market in Kalma. "
            "The officials added that the toll could rise. "
            "The raid came two days after army jets dropped incendiary bombs on Kalma, leaving several people dead.")
    later = next(c for c in _claims(text) if c.killed is not None and c.killed.phrase == "several")
    assert later.attribution.claimant is None


def test_a_document_speaks_for_its_author() -> None:
    text = ("On March 3, the Foreign Ministry, in a letter to the Security Council, denounced the shelling of "
            "Tal Abyad. \"These are war crimes against our people,\" said the letter.")
    allegation = next(c for c in _claims(text) if c.kind is ClaimKind.allegation)
    assert allegation.attribution.claimant == "the Foreign Ministry"
    assert allegation.date is not None and allegation.date.phrase == "On March 3"
    assert len(allegation.evidence) == 2  # the sentence that names the author is evidence too


def test_a_letter_accusing_a_party_is_an_allegation_by_its_sender() -> None:
    c = _one("On May 9, the Interior Ministry sent a letter to the UN envoy accusing the rebel alliance of killing "
             "civilians in the province of Kassala, according to state media.")
    assert c.kind is ClaimKind.allegation
    assert c.attribution.claimant == "the Interior Ministry"
    assert c.attribution.outlet == "state media"
    assert c.date is not None and c.date.phrase == "On May 9"
    assert c.place is not None and c.place.phrase == "Kassala"


def test_a_passive_charge_with_no_speaker_is_not_an_allegation() -> None:
    assert not any(c.kind is ClaimKind.allegation
                   for c in _claims("The alliance has often been accused of targeting civilians."))


def test_a_wire_dateline_names_the_outlet() -> None:
    c = _one("ODESA, May 4 (Wirewatch) - A missile strike on a grain terminal killed three workers, the regional "
             "governor said.")
    assert c.attribution.claimant == "the regional governor" and c.attribution.outlet == "Wirewatch"
    assert c.attribution.relays == []
