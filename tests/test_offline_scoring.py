"""Which figure a one-event benchmark compares: the first incident's, read as WAD codes deaths when asked."""

from __future__ import annotations

from llmextract.extractors.offline import extract_offline, primary_counts
from llmextract.extractors.offline.scoring import civilian_part
from llmextract.schema import Article
from llmextract.text.index import EvidenceIndex


def _scored(text: str, **readings: bool) -> int | None:
    article = Article(text=text)
    index = EvidenceIndex.build(article)
    killed, _ = primary_counts(extract_offline(article, index), index, **readings)
    return killed.low if killed else None


def test_the_civilian_part_of_a_mixed_total() -> None:
    cases = {
        "Shelling on the market killed at least 18 people, seven of them civilians, the monitor said.": 7,
        "A bomb at the depot killed 12 people, including four civilians, on Sunday.": 4,
        "Nine civilians and three soldiers were killed when the convoy was ambushed.": 9,
        "Fighting near the dam killed 21 people (15 civilians) and wounded 40.": 15,
        "The blast killed 16 people. Among those killed, at least 11 were civilians.": 11,
        "Gunmen attacked the post, killing 10 people. The dead included six civilians and four guards.": 6,
    }
    for text, civilians in cases.items():
        assert _scored(text, civilians=True) == civilians, text
        assert _scored(text) != civilians, text  # the claim keeps the total; only the WAD reading takes the part


def test_a_total_of_civilians_is_its_own_civilian_part() -> None:
    article = Article(text="Airstrikes killed 14 civilians, including three children, in the village.")
    index = EvidenceIndex.build(article)
    (claim,) = extract_offline(article, index).claims
    assert civilian_part(index, claim) is None
    assert _scored(article.text, civilians=True) == 14


def test_fighters_first_then_civilians() -> None:
    text = ("At least 70 insurgents were killed in the offensive, the army said. "
            "During the operation, five civilians were killed and nine wounded.")
    assert _scored(text, civilians=True) == 5
    assert _scored(text) == 70


def test_a_later_higher_report_of_the_same_event() -> None:
    text = ("Eleven people were killed in the clashes on Friday. "
            "Other reports put the death toll at 17.")
    assert _scored(text, restated=True) == 17
    assert _scored(text) == 11
    # a second source in the same sentence
    text = "Officials said six people died in the raid, although witnesses said 15 people were killed."
    assert _scored(text, restated=True) == 15
    # a separate incident is not a restatement
    text = ("Eleven people were killed in the clashes on Friday. "
            "Separately, a bomb killed 17 people in the capital, other reports said.")
    assert _scored(text, restated=True) == 11
    # more dead is not a new figure for the same dead
    assert _scored("Four people were killed on Monday. Later, another 12 bodies were found.", restated=True) == 4


def test_more_dead_of_the_same_event_are_added() -> None:
    assert _scored("Six protesters were killed on Friday. The next day, three more people died.", add=True) == 9
    assert _scored("Five villagers were killed in the raid. Another 8 bodies were found later.", add=True) == 13
    # parts of the first figure are not added: "four ... and two ... also" fit inside "Six"
    text = ("Six people were killed in two attacks on Sunday. Gunmen killed four people in the first. "
            "Two women were also killed in the second.")
    assert _scored(text, add=True) == 6
