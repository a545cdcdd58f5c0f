"""Claim-level verification (issue 10): each value checked in its own claim, in its own role.

Pinned with sentences written here and with the sample articles (read from ``examples/``,
their sentences located by a few words, never copied): claim scope and ``misattached`` with the
claim a value belongs to; back-references and the gazetteer (``inferred``); reference points;
``unanchored`` claims; number roles (killed, injured, casualties, breakdowns; years, days, ages,
ordinals, measures, phones and identifiers never count people); key rules for any schema and the
markers that override them; ``unchecked``; the policies and the re-ask messages on the new verdicts.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from llmextract.grounding import apply_policy, claims_validator, ground
from llmextract.markers import Date, Grounded, Name, Quote
from llmextract.schema import (
    Article,
    Attribution,
    Claim,
    ClaimList,
    Count,
    EventDate,
    Evidence,
    ExtractionResult,
    Place,
    Provenance,
    Verdict,
)
from llmextract.text.index import EvidenceIndex

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "examples" / "gold"

# Two claims in one article, written for these tests.
TWO = ("Local sources told SANA that 20 civilians were killed in coalition airstrikes on Hajin on Saturday. "
       "Separately, the Syrian Observatory for Human Rights said 7 people died in Russian strikes on "
       "Maarat al-Numan in Idlib province on Friday.")
HAJIN_SENTENCE = "Local sources told SANA that 20 civilians were killed in coalition airstrikes on Hajin on Saturday."
IDLIB_SENTENCE = ("the Syrian Observatory for Human Rights said 7 people died in Russian strikes on Maarat al-Numan in "
                  "Idlib province on Friday")


def gold(stem: str) -> ExtractionResult:
    return ExtractionResult.model_validate_json((GOLD / f"{stem}.json").read_text(encoding="utf-8"))


def sentence(text: str, words: str) -> str:
    """The sentence of ``text`` that holds ``words`` (a sample's sentence, found rather than copied)."""
    index = EvidenceIndex(text)
    return next(s.text for s in index.sentences if words in s.text)


def hajin_claim(**changes: Any) -> Claim:
    claim = Claim(attribution=Attribution(claimant="Local sources", relays=["SANA"]), place=Place(phrase="Hajin"),
                  date=EventDate(phrase="on Saturday"), perpetrator="coalition",
                  killed=Count(phrase="20", low=20, high=20), evidence=[Evidence(quote=HAJIN_SENTENCE)])
    return claim.model_copy(update=changes)


def idlib_claim() -> Claim:
    return Claim(attribution=Attribution(claimant="the Syrian Observatory for Human Rights"),
                 place=Place(phrase="Maarat al-Numan", province="Idlib"), date=EventDate(phrase="on Friday"),
                 perpetrator="Russian strikes", killed=Count(phrase="7", low=7, high=7),
                 evidence=[Evidence(quote=IDLIB_SENTENCE)])


def assert_slices(report: Any, text: str) -> None:
    for f in report.findings:
        assert f.reason, f.path
        for s in f.spans:
            assert text[s.start:s.end] == s.text, (f.path, s)


# ----------------------------------------------------------------------------- claim scope


def test_both_claims_ground_in_their_own_sentences() -> None:
    r = ground(ClaimList(claims=[hajin_claim(), idlib_claim()]), TWO)
    assert r.ok, r.to_messages()
    assert r.by_path["claims[1].place.province"].verdict is Verdict.exact


@pytest.mark.parametrize("field,value,words", [
    ("attribution", Attribution(claimant="the Syrian Observatory for Human Rights"), "Syrian Observatory"),
    ("place", Place(phrase="Maarat al-Numan"), "Maarat al-Numan"),
    ("date", EventDate(phrase="on Friday"), "on Friday"),
    ("perpetrator", "Russian strikes", "Russian strikes"),
])
def test_a_value_of_the_other_claim_is_misattached_and_says_whose(field: str, value: Any, words: str) -> None:
    lifted = hajin_claim(**{field: value})
    r = ground(ClaimList(claims=[lifted, idlib_claim()]), TWO)
    path = {"attribution": "claims[0].attribution.claimant", "place": "claims[0].place.phrase",
            "date": "claims[0].date.phrase", "perpetrator": "claims[0].perpetrator"}[field]
    f = r.by_path[path]
    assert f.verdict is Verdict.misattached, f.reason
    assert "claims[1]" in f.reason  # whose sentence it is
    assert f.spans and words in f.spans[0].text
    assert not r.ok and f in r.unsupported
    # the re-ask message tells the model the value belongs to the other claim
    message = next(m for m in r.to_messages() if m.startswith(path))
    assert "claims[1]" in message and "belongs to the other claim" in message
    assert_slices(r, TWO)


def test_a_value_found_only_outside_the_claim_is_misattached_even_with_one_claim() -> None:
    r = ground(hajin_claim(attribution=Attribution(claimant="the Syrian Observatory for Human Rights")), TWO)
    f = r.by_path["attribution.claimant"]
    assert f.verdict is Verdict.misattached and "outside this claim" in f.reason


def test_the_sentence_before_the_evidence_is_in_scope() -> None:
    text = ("The Orontes Network counted the dead at the market. The network said 11 civilians were killed in "
            "Saraqib on Sunday.")
    claim = Claim(attribution=Attribution(claimant="The Orontes Network"), place=Place(phrase="Saraqib"),
                  killed=Count(phrase="11", low=11, high=11),
                  evidence=[Evidence(quote="The network said 11 civilians were killed in Saraqib on Sunday.")])
    assert ground(claim, text).by_path["attribution.claimant"].verdict is Verdict.exact


def test_the_outlet_may_be_named_anywhere(articles: dict[str, str]) -> None:
    text = articles["001_7324fdaa959f27c2"]
    claim = gold("001_7324fdaa959f27c2").claims[2]  # the al-Buqa'an strike; Press TV heads the article
    r = ground(claim, text)
    assert r.by_path["attribution.outlet"].verdict is Verdict.exact


def test_gold_claims_ground_in_their_scope_with_back_references_and_the_gazetteer(articles: dict[str, str]) -> None:
    text = articles["001_7324fdaa959f27c2"]
    r = ground(gold("001_7324fdaa959f27c2"), Article(text=text))
    assert r.ok, r.to_messages()
    # "in the same province": the place of the second strike, through the back-reference, spans of both
    f = r.by_path["claims[1].place.province"]
    assert f.verdict is Verdict.inferred and "same province" in f.reason
    assert [s.text for s in f.spans] == ["the same province", "Deir Ezzor"]
    # a province and a country that follow from the place through the gazetteer say so
    f = r.by_path["claims[2].place.province"]
    assert f.verdict is Verdict.inferred and "gazetteer" in f.reason and "al-Buqa'an" in f.reason
    assert r.by_path["claims[3].place.country"].verdict is Verdict.inferred
    assert_slices(r, text)


def test_as_many_women_is_inferred_from_the_figure_before(articles: dict[str, str]) -> None:
    text = articles["000_68a82acbaa1f11d0"]
    r = ground(gold("000_68a82acbaa1f11d0"), Article(text=text))
    f = r.by_path["claims[3].women_killed.low"]
    assert f.verdict is Verdict.inferred
    assert [s.text for s in f.spans] == ["as many women", "four"]


def test_a_day_before_a_date_is_inferred() -> None:
    text = ("The ministry said on February 12 that the strikes had killed 9 people. Residents said the day before "
            "February 12 a market in Baghouz was hit and 4 civilians were killed.")
    quote = "Residents said the day before February 12 a market in Baghouz was hit and 4 civilians were killed."
    claim = Claim(date=EventDate(phrase="the day before February 12", date=dt.date(2019, 2, 11)),
                  killed=Count(phrase="4", low=4, high=4), evidence=[Evidence(quote=quote)])
    r = ground(claim, Article(text=text, published=dt.date(2019, 2, 20)))
    f = r.by_path["date.date"]
    assert f.verdict is Verdict.inferred
    assert [s.text for s in f.spans] == ["the day before February 12", "February 12"]
    wrong = claim.model_copy(update={"date": EventDate(phrase="the day before February 12", date=dt.date(2019, 2, 12))})
    assert ground(wrong, Article(text=text, published=dt.date(2019, 2, 20))).by_path["date.date"].verdict \
        is Verdict.unsupported


def test_a_day_earlier_counts_from_the_date_before_it(articles: dict[str, str]) -> None:
    text = articles["003_292ba422c2383963"]
    quote = sentence(text, "a day earlier")
    claim = Claim(date=EventDate(phrase="a day earlier", date=dt.date(2019, 2, 11)), evidence=[Evidence(quote=quote)])
    r = ground(claim, Article(text=text, published=dt.date(2019, 2, 20)))
    f = r.by_path["date.date"]
    assert f.verdict is Verdict.inferred and "February 12" in f.reason


def test_reference_points_do_not_ground_a_place(articles: dict[str, str]) -> None:
    text = articles["002_55de023ae2e06980"]
    claim = gold("002_55de023ae2e06980").claims[2]  # 38 killed in Raqqah: Damascus only locates the city
    moved = claim.model_copy(update={"place": Place(phrase="Damascus")})
    f = ground(moved, text).by_path["place.phrase"]
    assert f.verdict is Verdict.misattached
    assert "named as a reference point" in f.reason and "northeast of the capital Damascus" in f.reason
    mine = "Shelling hit the village of Khasham, 20 km south of Deir ez-Zor city, killing three farmers."
    r = ground(Claim(place=Place(phrase="Deir ez-Zor"), killed=Count(phrase="three", low=3, high=3),
                     evidence=[Evidence(quote=mine)]), mine)
    assert r.by_path["place.phrase"].verdict is Verdict.misattached
    assert "named as a reference point" in r.by_path["place.phrase"].reason
    assert ground(Claim(place=Place(phrase="Khasham"), killed=Count(phrase="three", low=3, high=3),
                        evidence=[Evidence(quote=mine)]), mine).ok


def test_a_claim_without_evidence_or_count_phrases_is_unanchored() -> None:
    claim = Claim(attribution=Attribution(claimant="Local sources"), place=Place(phrase="Hajin"))
    r = ground(claim, TWO)
    for path in ("attribution.claimant", "place.phrase"):
        f = r.by_path[path]
        assert f.verdict is Verdict.unanchored and "no evidence quote and no count phrase" in f.reason
        assert f.spans  # where the text names it
    assert not r.ok
    # a count phrase is enough to anchor it
    anchored = claim.model_copy(update={"killed": Count(phrase="20 civilians", low=20, high=20)})
    assert ground(anchored, TWO).ok


def test_a_party_named_on_its_attacks(articles: dict[str, str]) -> None:
    text = articles["002_55de023ae2e06980"]
    r = ground(gold("002_55de023ae2e06980"), Article(text=text))
    f = r.by_path["claims[2].perpetrator"]
    assert f.verdict is Verdict.inferred and "name the attackers by 'US-led'" in f.reason
    assert f.spans[0].text.startswith("US-led") and f.spans[0].text != "US-led coalition"
    assert r.ok, r.to_messages()


# ----------------------------------------------------------------------------- number roles


@pytest.mark.parametrize("data,text,what", [
    ({"deaths": 15}, "On November 15, local reports said coalition warplanes had killed 23 civilians.", "a date"),
    ({"fatalities": 2014}, "The coalition has struck targets in the province since September 2014.", "year"),
    ({"killed": 12}, "A 12-year-old boy was killed when the shell hit the yard.", "an age"),
    ({"killed": 25}, "A shepherd aged 25 was killed by a mine.", "an age"),
    ({"killed": 3}, "It was the third raid on the market, and one man was killed.", "an ordinal"),
    ({"killed": 30}, "The convoy was hit 30 km from the town; one driver was killed.", "a measure"),
    ({"killed": 20}, "The strikes destroyed 20 percent of the homes; a boy was killed.", "a percentage"),
    ({"killed": 555}, "Call 0800 555 0199 for news of the two men killed.", "phone number"),
    ({"killed": 7946}, "Relatives can ring +44 20 7946 0958; one man was killed.", "phone number"),
    ({"killed": 2254}, "Resolution 2254 was ignored, and one civilian was killed.", "an identifier"),
    ({"killed": 4}, "Gunmen on Highway 4 killed a driver.", "an identifier"),
    ({"killed": 12}, "Page 12 lists the two people killed.", "an identifier"),
    ({"killed": 370}, "Flight 370 was not involved; one man was killed.", "an identifier"),
    ({"killed": 7}, "Building 7 collapsed and one firefighter was killed.", "an identifier"),
    ({"killed": 5}, "Militants fired 5 rockets at the base, and one soldier was killed.", "a count of things"),
])
def test_a_number_that_counts_no_people_grounds_no_count(data: dict[str, int], text: str, what: str) -> None:
    f = ground(data, text).by_path[next(iter(data))]
    assert f.verdict is Verdict.unsupported, f.reason
    assert what in f.reason and "never as a count of people" in f.reason


def test_the_same_numbers_in_a_count_form_without_evidence() -> None:
    text = "Call 0800 555 0199, said the agency; a shepherd aged 25 was found dead 30 km away."
    for value in (555, 25, 30):
        r = ground(Count(phrase=str(value), low=value, high=value), text)
        assert r.by_path["low"].verdict is Verdict.unsupported, (value, r.by_path["low"].reason)


def test_killed_and_injured_swapped_are_misattached_naming_the_roles() -> None:
    text = "Five people were killed and 12 were wounded when the market was shelled."
    quote = "Five people were killed and 12 were wounded"
    r = ground({"killed": 12, "injured": 5, "quote": quote}, text)
    assert r.by_path["killed"].verdict is Verdict.misattached
    reason = r.by_path["killed"].reason
    assert "a wounded figure" in reason and "not a count of the killed" in reason
    assert r.by_path["injured"].verdict is Verdict.misattached
    assert "a killed figure" in r.by_path["injured"].reason
    assert ground({"killed": 5, "injured": 12, "quote": quote}, text).ok
    message = " ".join(ground({"killed": 12, "injured": 5, "quote": quote}, text).to_messages())
    assert "killed for the dead, injured for the wounded" in message


def test_breakdowns_and_totals_are_distinct_roles(hajin: str) -> None:
    quote = sentence(hajin, "the same province")  # 11 civilians, including three women and five children
    swapped = Claim(killed=Count(phrase="five", low=5, high=5), children_killed=Count(phrase="11", low=11, high=11),
                    evidence=[Evidence(quote=quote)])
    r = ground(swapped, hajin)
    assert r.by_path["killed.low"].verdict is Verdict.misattached
    assert "a count of children" in r.by_path["killed.low"].reason
    assert r.by_path["children_killed.low"].verdict is Verdict.misattached
    right = Claim(killed=Count(phrase="11", low=11, high=11), children_killed=Count(phrase="five", low=5, high=5),
                  women_killed=Count(phrase="three", low=3, high=3), evidence=[Evidence(quote=quote)])
    assert ground(right, hajin).ok
    # a breakdown that is the whole toll counts as the total: "Five children were killed"
    mine = "Five children were killed when a shell hit their school."
    assert ground(Claim(killed=Count(phrase="Five", low=5, high=5), evidence=[Evidence(quote=mine)]), mine).ok


def test_casualties_is_a_role_of_its_own(hajin: str) -> None:
    quote = sentence(hajin, "casualties")
    assert ground({"casualties": 60, "quote": quote}, hajin).ok
    for key in ("killed", "injured"):
        f = ground({key: 60, "quote": quote}, hajin).by_path[key]
        assert f.verdict is Verdict.misattached and "casualty figure" in f.reason
    mine = "Officials said 9 people were killed, and the strike caused 30 casualties in all."
    assert ground({"casualties": 9, "quote": mine}, mine).by_path["casualties"].verdict is Verdict.misattached


def test_a_number_under_a_key_no_rule_covers_is_grounded_with_its_role_unchecked() -> None:
    text = "The council met in 2019 and counted 14 damaged schools."
    f = ground({"year": 2019}, text).by_path["year"]
    assert f.ok and "role is not checked" in f.reason
    f = ground({"total": 14}, text).by_path["total"]
    assert f.ok and "'total'" in f.reason


# ----------------------------------------------------------------------------- any schema by its names


class Report(BaseModel):
    agency: str
    town: str
    deaths: int
    quote: str


def test_an_unmarked_pydantic_model_is_checked_by_its_field_names() -> None:
    r = ground(Report(agency="Sputnik", town="Hajin", deaths=20, quote="SANA said the strike hit a crowded hospital"),
               TWO)
    assert not r.ok
    assert r.by_path["agency"].verdict is Verdict.unsupported
    assert r.by_path["quote"].verdict is Verdict.unsupported
    assert r.by_path["town"].verdict is Verdict.unanchored  # the quote is not in the text: nothing anchors it
    good = Report(agency="SANA", town="Hajin", deaths=20, quote=HAJIN_SENTENCE)
    assert ground(good, TWO).ok
    lifted = Report(agency="SANA", town="Maarat al-Numan", deaths=20, quote=HAJIN_SENTENCE)
    assert ground(lifted, TWO).by_path["town"].verdict is Verdict.misattached


def test_the_same_data_as_a_dict_is_checked_the_same_way() -> None:
    data = {"agency": "SANA", "town": "Maarat al-Numan", "deaths": 20, "quote": HAJIN_SENTENCE}
    r = ground(data, TWO)
    assert r.by_path["town"].verdict is Verdict.misattached and r.by_path["deaths"].ok


@pytest.mark.parametrize("key,role", [
    ("killed", "killed"), ("dead", "killed"), ("deaths", "killed"), ("fatalities", "killed"),
    ("death toll", "killed"), ("death_toll", "killed"), ("deathToll", "killed"), ("victims", "killed"),
    ("injured", "injured"), ("wounded", "injured"), ("casualties", "casualties"),
])
def test_count_keys(key: str, role: str) -> None:
    text = "Nine people were killed, 4 were wounded and the attack caused 13 casualties."
    quote = text
    want = {"killed": 9, "injured": 4, "casualties": 13}
    assert ground({key: want[role], "quote": quote}, text).ok, key
    other = next(v for r, v in want.items() if r != role)
    assert ground({key: other, "quote": quote}, text).by_path[key].verdict is Verdict.misattached, key


@pytest.mark.parametrize("key", ["children", "women", "men"])
def test_breakdown_keys(key: str) -> None:
    text = "The strike killed 9 people, including 3 children, 2 women and 4 men."
    want = {"children": 3, "women": 2, "men": 4}
    assert ground({key: want[key], "killed": 9, "quote": text}, text).ok
    wrong = next(v for k, v in want.items() if k != key)
    assert ground({key: wrong, "killed": 9, "quote": text}, text).by_path[key].verdict is Verdict.misattached


@pytest.mark.parametrize("key", ["claimant", "source", "agency", "reporter"])
def test_organisation_keys_are_names_in_the_claim(key: str) -> None:
    r = ground({key: "the Syrian Observatory for Human Rights", "killed": 20, "quote": HAJIN_SENTENCE}, TWO)
    assert r.by_path[key].verdict is Verdict.misattached
    assert ground({key: "SANA", "killed": 20, "quote": HAJIN_SENTENCE}, TWO).by_path[key].ok


@pytest.mark.parametrize("key", ["place", "location", "town", "city", "village"])
def test_place_keys_are_places_of_the_claim(key: str) -> None:
    r = ground({key: "Maarat al-Numan", "killed": 20, "quote": HAJIN_SENTENCE}, TWO)
    assert r.by_path[key].verdict is Verdict.misattached
    assert ground({key: "Hajin", "killed": 20, "quote": HAJIN_SENTENCE}, TWO).by_path[key].verdict is Verdict.exact


@pytest.mark.parametrize("key", ["province", "region", "country"])
def test_province_and_country_keys(key: str) -> None:
    value = "Syria" if key == "country" else "Deir ez-Zor"
    r = ground({"town": "Hajin", key: value, "killed": 20, "quote": HAJIN_SENTENCE}, TWO)
    f = r.by_path[key]
    assert f.verdict is Verdict.inferred and "gazetteer" in f.reason


@pytest.mark.parametrize("key", ["quote", "evidence", "excerpt"])
def test_quote_keys(key: str) -> None:
    r = ground({key: "Local sources told SANA that 200 civilians were killed", "killed": 20}, TWO)
    assert r.by_path[key].verdict is Verdict.unsupported


def test_outlet_key_is_grounded_anywhere() -> None:
    r = ground({"outlet": "SANA", "claimant": "the Syrian Observatory for Human Rights", "killed": 7,
                "quote": IDLIB_SENTENCE}, TWO)
    assert r.by_path["outlet"].verdict is Verdict.exact and r.ok


def test_date_keys_are_checked_against_the_text_dates() -> None:
    text = "On November 15, 2019, gunmen killed 4 villagers in Djibo."
    quote = text
    assert ground({"event_date": "2019-11-15", "killed": 4, "quote": quote}, text).by_path["event_date"].ok
    f = ground({"event_date": "2019-11-16", "killed": 4, "quote": quote}, text).by_path["event_date"]
    assert f.verdict is Verdict.unsupported
    f = ground({"date": dt.date(2019, 11, 15), "killed": 4, "quote": quote}, text).by_path["date"]
    assert f.verdict is Verdict.normalized and f.spans[0].text == "On November 15, 2019"


def test_markers_override_the_key_rules() -> None:
    class Strike(BaseModel):
        victims: Annotated[int, Grounded(role="injured")]  # the name says killed; the marker says injured
        town: Annotated[str, Name(kind="place", role="any")]  # grounded anywhere
        when: Annotated[dt.date, Date()]
        notes: Annotated[str, Quote()]

    text = "Gunmen killed 3 people and wounded 8 in Djibo on 2019-11-15. The army later sealed off Arbinda."
    quote = "Gunmen killed 3 people and wounded 8 in Djibo on 2019-11-15."
    r = ground(Strike(victims=8, town="Arbinda", when=dt.date(2019, 11, 15), notes=quote), text)
    assert r.ok, r.to_messages()
    r = ground(Strike(victims=3, town="Arbinda", when=dt.date(2019, 11, 15), notes=quote), text)
    assert r.by_path["victims"].verdict is Verdict.misattached


def test_unchecked_strings_are_listed_never_failures() -> None:
    data = {"killed": 20, "quote": HAJIN_SENTENCE, "weather": "clear", "comment": "as reported"}
    r = ground(data, TWO)
    assert [f.path for f in r.unchecked] == ["weather", "comment"]
    assert all(f.verdict is Verdict.unchecked and "'weather'" in r.by_path["weather"].reason for f in r.unchecked)
    assert r.ok and not r.unsupported and r.summary["unchecked"] == 2


def test_strings_holding_numbers_are_numbers_and_what_cannot_be_checked_is_reported() -> None:
    quote = HAJIN_SENTENCE
    assert ground({"killed": "20", "quote": quote}, TWO).by_path["killed"].verdict is Verdict.exact
    f = ground({"killed": "twenty", "quote": quote}, TWO).by_path["killed"]
    assert f.ok and f.value == "twenty" and f.spans[0].text == "20"
    f = ground({"killed": "500", "quote": quote}, TWO).by_path["killed"]
    assert f.verdict is Verdict.unsupported and f.value == "500"
    f = ground({"killed": True, "quote": quote}, TWO).by_path["killed"]
    assert f.verdict is Verdict.unsupported and "yes/no" in f.reason
    f = ground({"killed": "many", "quote": quote}, TWO).by_path["killed"]
    assert f.verdict is Verdict.unchecked and "states no number" in f.reason


def test_a_key_a_claim_does_not_know_is_walked_not_dropped() -> None:
    data = {"claims": [{"deaths": 500, "evidence": [{"quote": HAJIN_SENTENCE}],
                        "killed": {"phrase": "20", "low": 20, "high": 20}}]}
    r = ground(data, TWO)
    f = r.by_path["claims[0].deaths"]
    assert f.verdict is Verdict.unsupported and not r.ok
    assert r.by_path["claims[0].killed.low"].verdict is Verdict.exact  # the claim itself is still read as a Claim
    assert ground(json.dumps(data), TWO).summary == r.summary


# ----------------------------------------------------------------------------- verdict semantics, policies


def _result(*claims: Claim) -> ExtractionResult:
    return ExtractionResult(claims=list(claims), provenance=Provenance(extractor="test", model_used=False))


def test_strict_drops_misattached_and_unanchored_claims_and_keeps_unchecked() -> None:
    lifted = hajin_claim(attribution=Attribution(claimant="the Syrian Observatory for Human Rights"))
    floating = Claim(place=Place(phrase="Hajin"))
    result = _result(hajin_claim(), lifted, idlib_claim(), floating)
    report = ground(result, TWO)
    strict = apply_policy(result, report, "strict")
    assert len(strict.claims) == 2 and len(strict.dropped) == 2
    assert any("misattached" in n for n in strict.provenance.notes)
    assert any("unanchored" in n for n in strict.provenance.notes)
    # an unchecked value never drops a claim
    plain = {"claims": [{"claimant": "Local sources", "killed": 20, "quote": HAJIN_SENTENCE, "mood": "grim"}]}
    r = ground(plain, TWO)
    assert r.ok and r.unchecked and r.unchecked[0].path == "claims[0].mood"


def test_the_validator_sends_failures_with_their_claim_and_not_unchecked_values() -> None:
    index = EvidenceIndex.build(Article(text=TWO))
    claims = ClaimList(claims=[hajin_claim(date=EventDate(phrase="on Friday")), idlib_claim()])
    problems = claims_validator()(claims, index)
    assert len(problems) == 1
    assert problems[0].startswith('claims[0].date.phrase = "on Friday": misattached.') and "claims[1]" in problems[0]
