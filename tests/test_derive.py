"""Derived values: whom each count counts, date spans, and a statement's date kept apart from the event's."""

from __future__ import annotations

import datetime as dt

import pytest

from llmextract import extract
from llmextract.schema import Victims
from llmextract.text.victims import victims_after


@pytest.mark.parametrize("sentence, figure, victims", [
    ("Officials said 17 civilians were killed in the raid.", "17", Victims.civilians),
    ("Nine villagers, including four children, died.", "Nine", Victims.civilians),
    ("At least 30 soldiers were killed at the checkpoint.", "30", Victims.combatants),
    ("The army said 12 militants died in the clashes.", "12", Victims.combatants),
    ("Six people, among them two police officers, were killed.", "Six", Victims.unknown),
    ("Ten civilians, among them two police officers, were killed.", "Ten", Victims.mixed),
    ("The blast killed 8 civilians and fighters at the market.", "8", Victims.mixed),
    ("Eleven people were killed in the explosion.", "Eleven", Victims.unknown),
    ("Five people, including three children, were killed.", "Five", Victims.unknown),
    ("Four IS members were killed near the river.", "Four", Victims.combatants),
])
def test_whom_a_figure_counts(sentence: str, figure: str, victims: Victims) -> None:
    end = sentence.index(figure) + len(figure)
    assert victims_after(sentence, end, len(sentence)) is victims


def test_the_noun_of_another_figure_is_not_read() -> None:
    sentence = "Three people died and 14 soldiers were wounded."
    assert victims_after(sentence, sentence.index("Three") + 5, len(sentence)) is Victims.unknown


TEXT = ("date 2022-06-20\nThe provincial council said on Monday that an airstrike killed 14 civilians and "
        "wounded 22 others in the village of Kafr Saghir on Saturday. The raids since May 2 have killed "
        "at least 60 fighters, the monitor added.")


def test_a_statement_s_date_is_the_report_date_and_the_event_keeps_its_own() -> None:
    claims = extract(TEXT).claims
    incident = next(c for c in claims if c.killed and c.killed.low == 14)
    assert incident.reported is not None and incident.reported.phrase == "on Monday"
    assert incident.reported.date == dt.date(2022, 6, 20)
    assert incident.date is not None and incident.date.phrase == "on Saturday"
    assert (incident.date.date, incident.date.start, incident.date.end) == (dt.date(2022, 6, 18),) * 3
    assert incident.killed.victims is Victims.civilians


def test_a_period_reaches_the_claim_with_its_span() -> None:
    tally = next(c for c in extract(TEXT).claims if c.killed and c.killed.low == 60)
    assert tally.date is not None and tally.date.phrase == "since May 2"
    assert (tally.date.start, tally.date.end, tally.date.date) == (dt.date(2022, 5, 2), dt.date(2022, 6, 20), None)
    assert tally.killed.victims is Victims.combatants


def test_the_civilians_of_a_mixed_total_and_the_party_are_derived() -> None:
    text = ("date 2021-04-02\nThe health office said a Turkish drone strike killed 15 people, including 9 civilians, "
            "near the town of Tell Tamer on Thursday.")
    claim = extract(text).claims[0]
    assert claim.killed.low == 15 and claim.killed.victims is Victims.unknown
    assert claim.civilians_killed is not None and claim.civilians_killed.low == 9
    assert claim.belligerent == "Turkey"


def test_a_place_is_resolved_to_data_at_the_level_the_text_allows() -> None:
    text = ("date 2017-03-02\nLocal officials said a car bomb killed 11 people in the city of Mosul on Tuesday. "
            "Separately, shelling killed four civilians in Idlib province, a monitor said.")
    claims = extract(text).claims
    city = next(c for c in claims if c.killed and c.killed.low == 11).place
    assert city is not None and (city.country_code, city.admin1 is not None, city.precision) == ("IQ", True, 1)
    assert city.geonames_id and 36 < city.latitude < 37 and 42 < city.longitude < 44
    province = next(c for c in claims if c.killed and c.killed.low == 4).place
    assert province is not None and (province.country_code, province.precision) == ("SY", 4)
    assert province.admin1 == "Idlib" and province.latitude is None  # GeoNames gives a division no point


def test_a_model_s_place_phrase_is_resolved_by_the_toolkit() -> None:
    from llmextract.testing.scripted import ok, scripted_server

    text = "date 2022-05-04\nRegional officials said a missile strike killed 3 people in Kharkiv on Tuesday."
    reply = {"claims": [{"kind": "incident", "killed": {"phrase": "3", "low": 3, "high": 3},
                         "place": {"phrase": "Kharkiv"}, "evidence": [{"quote": text.split("\n")[1]}]}]}
    with scripted_server(script=[ok(reply)]) as server:
        result = extract(text, endpoint=server.url, model="scripted-model", profile="json")
    place = result.claims[0].place
    assert place is not None and (place.country_code, place.precision) == ("UA", 1) and place.geonames_id
    assert result.claims[0].killed.victims is Victims.unknown


@pytest.mark.parametrize("sentence, phrase, reported", [
    ("Officials said on Friday that the raid killed 9 people.", "on Friday", True),
    ("On Friday, the governor announced that 9 people had died in the raid.", "On Friday", True),
    ("On Friday, a raid killed 9 people, the governor said.", "On Friday", False),
    ("A raid on Friday killed 9 people, officials said.", "on Friday", False),
])
def test_a_statement_s_date_is_told_from_an_event_s(sentence: str, phrase: str, reported: bool) -> None:
    from llmextract.text.dates import is_report_date

    start = sentence.index(phrase)
    assert is_report_date(sentence, start, start + len(phrase)) is reported
