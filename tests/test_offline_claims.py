"""Claims of the offline extractor: places, dates, tallies, breakdowns, casualties, ledes, sources and perpetrators."""

from __future__ import annotations

import datetime as dt

from llmextract.extractors.offline import extract_offline
from llmextract.extractors.offline.perpetrators import normalise_perpetrator
from llmextract.schema import Article, ClaimKind, Qualifier


def _claims(text: str, **meta: object):
    return extract_offline(Article(text=text, **meta)).claims


def _one(text: str, **meta: object):
    (claim,) = _claims(text, **meta)
    return claim


# -- places --------------------------------------------------------------------------------------------------


def test_a_reference_point_is_not_the_place() -> None:
    c = _one("Rockets hit a school in Tel Tamer, 35 km northwest of Hasakah, killing four pupils, teachers said.")
    assert c.place is not None and c.place.phrase == "Tel Tamer"
    c = _one("Fighters stormed a farm 20 km south of Mosul, killing eleven shepherds, police said.")
    assert c.place is None or c.place.phrase != "Mosul"


def test_the_same_province_is_the_province_named_before() -> None:
    text = ("Shelling killed four people in Kafr Nabl in Idlib province on Friday. "
            "Later that day another strike in the same province killed seven people.")
    second = _claims(text)[1]
    assert second.killed is not None and second.killed.low == 7
    assert second.place is not None and second.place.phrase == "Idlib"


def test_a_province_narrowed_by_the_sentence_that_names_the_town() -> None:
    text = ("At least nine civilians were killed in air raids on Syria's Raqqa province. "
            "Residents told the Euphrates Post that jets bombed homes in the town of Tabqa. "
            "Two children were among the dead, they said.")
    (c,) = _claims(text)
    assert c.place is not None and (c.place.phrase, c.place.province) == ("Tabqa", "Raqqa")
    assert c.attribution.claimant == "Residents" and c.children_killed is not None


def test_a_country_is_the_place_when_nothing_finer_is_named() -> None:
    c = _one("The Lakeside Monitor says 1,200 civilians have been killed in Mali since 2020.")
    assert c.kind is ClaimKind.tally and c.place is not None and c.place.phrase == "Mali"


# -- tallies and dates ---------------------------------------------------------------------------------------


def test_a_count_since_a_weekday_adds_up() -> None:
    c = _one("Activists said 52 people have been killed in the shelling of Douma since Thursday.",
             published=dt.date(2021, 3, 9))
    assert c.kind is ClaimKind.tally
    assert c.date is not None and c.date.phrase == "since Thursday"
    assert (c.date.start, c.date.end) == (dt.date(2021, 3, 4), dt.date(2021, 3, 9))


def test_an_ordinal_since_ranks_an_incident_it_does_not_add_up() -> None:
    c = _one("A car bomb killed eight people at the gate of the camp on Monday, the fourth bombing there since "
             "2019, officials said.")
    assert c.kind is ClaimKind.incident
    assert c.date is not None and c.date.phrase == "on Monday"


def test_the_day_before_an_anchor_dates_the_raid() -> None:
    text = ("On March 3, the governor said mortar fire had hit Tal Hamis a day earlier. "
            "Residents said nine people died in the shelling.")
    c = _claims(text, published=dt.date(2021, 3, 10))[-1]
    assert c.killed is not None and c.killed.low == 9
    assert c.place is not None and c.place.phrase == "Tal Hamis"
    assert c.date is not None and c.date.date == dt.date(2021, 3, 2)


# -- counts --------------------------------------------------------------------------------------------------


def test_as_many_women_is_a_breakdown_of_the_same_size() -> None:
    c = _one("The shelling killed 40 people, including six children and as many women, the council said.")
    assert c.children_killed is not None and c.children_killed.low == 6
    assert c.women_killed is not None and (c.women_killed.phrase, c.women_killed.low) == ("as many women", 6)


def test_a_breakdown_right_after_the_figure_needs_no_cue_of_its_own() -> None:
    c = _one("Drones struck the wedding, killing 23 guests, including seven children and four women, medics said.")
    assert (c.killed.low, c.children_killed.low, c.women_killed.low) == (23, 7, 4)


def test_casualties_are_neither_killed_nor_injured() -> None:
    c = _one("The bombing of the depot in Kurnaz, an attack with 30 casualties on May 4, shocked the town.")
    assert c.kind is ClaimKind.incident and c.killed is None and c.injured is None
    assert c.place is not None and c.place.phrase == "Kurnaz"
    c = _one("The blast caused 25 casualties and killed at least nine people, the mayor said.")
    assert c.killed is not None and c.killed.low == 9 and c.injured is None


def test_some_people_injured_is_a_vague_injured_count() -> None:
    c = _one("Eleven people were killed in the raid on the village, whereas some people are badly injured.")
    assert c.injured is not None and c.injured.phrase == "some people" and c.injured.qualifier is Qualifier.vague


# -- one claim per incident, one per source --------------------------------------------------------------------


def test_a_vague_lede_and_its_incident_are_one_claim() -> None:
    text = ("Dozens of people have been killed in air raids on the northern province. "
            "Rescue workers said 48 people were killed when jets struck the market in Saraqib on Friday.")
    (c,) = _claims(text)
    assert c.killed is not None and c.killed.low == 48 and len(c.evidence) == 2


def test_each_source_its_own_claim() -> None:
    text = ("The health ministry said seven people were killed in the shelling of Beit Lahia on Sunday; local "
            "journalists reported nine dead, including three children.")
    claims = _claims(text)
    assert [c.killed.low for c in claims] == [7, 9]
    assert [c.attribution.claimant for c in claims] == ["The health ministry", "local journalists"]
    assert claims[1].children_killed is not None and claims[1].children_killed.low == 3
    assert claims[0].children_killed is None
    # each grounded in its own words: the second claim's evidence is its clause
    assert claims[1].evidence[0].quote.startswith("local journalists")
    text = ("Police said five herders were killed in the raid on Dogo, although residents said more than 12 "
            "people died.")
    assert [(c.killed.low, c.attribution.claimant) for c in _claims(text)] == [(5, "Police"), (12, "residents")]


def test_each_source_in_its_own_sentences() -> None:
    text = ("The governor said 14 people were killed when rockets hit the bus station in Aden on Monday. "
            "Hospital staff told the Gulf Herald that 19 people died, among them four women. "
            "Separately, the coast guard said six fishermen drowned.")
    claims = [c for c in _claims(text) if c.killed is not None]
    assert [(c.killed.low, c.attribution.claimant) for c in claims[:2]] == [(14, "The governor"),
                                                                         (19, "Hospital staff")]
    assert claims[1].women_killed is not None and claims[0].women_killed is None


def test_a_wounded_count_is_a_detail_of_the_claim_before_but_a_new_speaker_with_a_toll_is_not() -> None:
    text = ("A bomb killed six people at a checkpoint in Baiji on Monday, police said. Eleven were wounded. "
            "Later, the army said snipers killed three soldiers near Tikrit.")
    first, second = _claims(text)
    assert (first.killed.low, first.injured.low) == (6, 11)
    assert second.killed.low == 3 and second.injured is None


# -- perpetrators ----------------------------------------------------------------------------------------------


def test_perpetrators_named_as_adjectives_or_actors() -> None:
    cases = {
        "An Israeli airstrike on a house in Khan Younis killed nine people, medics said.": "An Israeli airstrike",
        "A Russian missile strike hit a shopping centre in Kremenchuk, killing 18 people.": "A Russian missile strike",
        "Turkish drones struck a car near Qamishli, killing two people, the council said.": "Turkish drones",
        "Regime forces shelled Kafr Nabl, killing four civilians, activists said.": "Regime forces",
        "Eleven people were killed in airstrikes carried out by the US-led coalition near Hajin.":
            "the US-led coalition",
    }
    for text, phrase in cases.items():
        assert _one(text).perpetrator == phrase, text
    # a weapon alone names nobody
    assert _one("A car bomb killed five people outside the mosque, police said.").perpetrator is None
    # the speaker is not the perpetrator
    assert _one("Police said gunmen killed four traders on the highway.").perpetrator == "gunmen"


def test_perpetrators_normalise_to_one_name_per_party() -> None:
    assert normalise_perpetrator("An Israeli airstrike") == "Israel"
    assert normalise_perpetrator("A Russian missile strike") == "Russia"
    assert normalise_perpetrator("Turkish drones") == "Turkey"
    assert normalise_perpetrator("the coalition led by the United States") == "US-led coalition"
    assert normalise_perpetrator("Regime forces") == "Syrian government forces"
    assert normalise_perpetrator("Daesh militants") == "Islamic State"
    assert normalise_perpetrator("unknown gunmen") is None


def test_one_named_after_a_counted_group_is_one_more() -> None:
    c = _one("Raiders stormed the depot, killing four guards and a night watchman, the company said.")
    assert c.killed is not None and c.killed.low == 5
    assert c.killed.phrase == "four guards and a night watchman"
