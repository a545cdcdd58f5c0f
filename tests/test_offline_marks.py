"""Invisible marks inside a sentence move no value the offline extractor reads from the sentence as read.

The index reads each sentence with its invisible marks removed (``Sentence.text``) but keeps offsets into
the text as written; a match in the sentence as read is mapped back through ``EvidenceIndex.span_in`` /
``offset_in``. Each case puts a zero-width space or a soft hyphen before the value, in the same sentence.
"""

from __future__ import annotations

import pytest

from llmextract import extract
from llmextract.text.index import EvidenceIndex

ZWSP, SHY = "\u200b", "\u00ad"

CASES = [
    # (text, mark inserted after this many characters, the value read)
    ("Militants raided a checkpoint near Harbel, and some people were injured, the governor said.", 14,
     lambda c: c.injured.phrase),
    ("Masked men shot dead a shepherd near Umm Tarfa on Friday, police said.", 4,
     lambda c: c.killed.phrase),
    ("After the second barrage the death toll rose to 23, the civil defence in Kafr Saba said.", 9,
     lambda c: c.killed.phrase),
    ("A day earlier, drones struck a fuel depot outside Marand, killing three guards, the army said.", 3,
     lambda c: c.date.phrase),
]


@pytest.mark.parametrize("mark", [ZWSP, SHY])
@pytest.mark.parametrize(("text", "at", "value"), CASES)
def test_a_mark_before_the_value_moves_nothing(text: str, at: int, value, mark: str) -> None:  # type: ignore[no-untyped-def]
    plain = extract(text).claims
    marked_text = text[:at] + mark + text[at:]
    marked = extract(marked_text).claims
    assert plain and len(marked) == len(plain)
    want = value(plain[0])
    assert want  # the rule under test found its value in the plain sentence
    assert value(marked[0]) == want


def test_span_in_maps_the_sentence_as_read_to_the_text_as_written() -> None:
    text = "Rain fell. Smoke r" + ZWSP + "ose over the p" + SHY + "ort at dawn."
    index = EvidenceIndex(text)
    sent = index.sentences[1]
    assert ZWSP not in sent.text and SHY not in sent.text
    i = sent.text.index("port")
    s, e = index.span_in(sent, i, i + len("port"))
    assert text[s:e] == "p" + SHY + "ort"
    assert index.offset_in(sent, sent.text.index("over")) == text.index("over")
    # a text without marks: the plain sum
    plain = EvidenceIndex("Rain fell. Smoke rose over the port at dawn.")
    sent = plain.sentences[1]
    assert plain.span_in(sent, 2, 5) == (sent.start + 2, sent.start + 5)
