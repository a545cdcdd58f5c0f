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
