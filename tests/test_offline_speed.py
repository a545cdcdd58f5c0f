"""What the offline extractor does to be fast changes nothing it finds.

Its per-article tables (kept in the index's memo) never leak from one article to another: two
articles whose sentences stand at the same offsets but name other speakers, places, figures and
perpetrators, read alternately or at once from two threads, each give what they give alone (a table
kept by sentence offsets in a module global, or by "the last text seen", would mix them). Its word
lists, tried letter by letter, match what they match as written.
"""

from __future__ import annotations

import random
import re
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from llmextract import extract
from llmextract.extractors.offline import attribution, claims, counts, extract_offline, perpetrators
from llmextract.extractors.offline.attribution import sentence_speech
from llmextract.extractors.offline.counts import sentence_figures
from llmextract.extractors.offline.patterns import by_first_letter
from llmextract.extractors.offline.scan import WordList, found, holds
from llmextract.schema import Article
from llmextract.text.index import EvidenceIndex

_FIRST = ("Police said gunmen killed 12 villagers in Kaduna on Monday. "
          "The governor told reporters that 30 others were wounded. "
          "Residents said the toll could rise.")
_SECOND = ("Medics said raiders killed 47 traders in Zamfara on Friday. "
           "The minister told reporters that 18 others were injured. "
           "Witnesses said the toll could rise.")


def _dump(text: str) -> dict:
    got = extract(text).model_dump(mode="json")
    got["provenance"].pop("latency_s", None)
    return got


def test_the_two_articles_differ_at_the_same_offsets() -> None:
    a, b = EvidenceIndex.build(_FIRST), EvidenceIndex.build(_SECOND)
    assert [(s.start, s.end) for s in a.sentences] == [(s.start, s.end) for s in b.sentences]
    assert sentence_speech(a, a.sentences[0]).claimant == "Police"
    assert sentence_speech(b, b.sentences[0]).claimant == "Medics"
    assert [f.mention.text for f in sentence_figures(a, a.sentences[0], False)] == ["12"]
    assert [f.mention.text for f in sentence_figures(b, b.sentences[0], False)] == ["47"]


def test_articles_read_alternately_give_what_they_give_alone() -> None:
    alone = {text: _dump(text) for text in (_FIRST, _SECOND)}
    assert alone[_FIRST]["claims"][0]["killed"]["low"] == 12
    assert alone[_SECOND]["claims"][0]["killed"]["low"] == 47
    assert alone[_FIRST]["claims"][0]["attribution"]["claimant"] == "Police"
    assert alone[_SECOND]["claims"][0]["attribution"]["claimant"] == "Medics"
    for _ in range(3):
        for text in (_FIRST, _SECOND):
            assert _dump(text) == alone[text]


def test_one_index_read_for_two_articles_in_turn() -> None:
    # the extractor asked of two live indexes in turn: what it keeps for one is not read for the other
    first, second = Article(text=_FIRST), Article(text=_SECOND)
    a, b = EvidenceIndex.build(first), EvidenceIndex.build(second)
    want_a = extract_offline(first, EvidenceIndex.build(first)).claims
    want_b = extract_offline(second, EvidenceIndex.build(second)).claims
    for _ in range(2):
        assert extract_offline(first, a).claims == want_a
        assert extract_offline(second, b).claims == want_b


def test_articles_read_from_two_threads_give_what_they_give_alone() -> None:
    alone = {text: _dump(text) for text in (_FIRST, _SECOND)}
    texts = [_FIRST, _SECOND] * 40
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as they can: many interleavings of the two
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(_dump, texts))
    finally:
        sys.setswitchinterval(interval)
    assert [r == alone[t] for r, t in zip(results, texts, strict=True)] == [True] * len(texts)


# -- alternations tried letter by letter -------------------------------------------------------------------------

def test_by_first_letter_groups_words_and_keeps_their_order() -> None:
    assert by_first_letter("kill|dead|killed") == "(?:kill|killed)|dead"
    assert by_first_letter(r"(?:put|puts)\s+x|said") == r"(?:put\s+x|puts\s+x)|said"
    assert by_first_letter(r"x\(y|x[)|]z|(?:q(?:r|s))t") == r"(?:x\(y|x[)|]z)|q(?:r|s)t"


def test_by_first_letter_leaves_what_it_cannot_group_in_place() -> None:
    for source in (r"[ab]x|c", r"(?i:ab)|c", r"a?b|c", r"(?:ab)?c|d", r"\bq|r"):
        assert by_first_letter(source) == source
    # the words either side of a class are grouped apart; a capital groups with its small letter
    assert by_first_letter(r"kill|dead|Killed|[a-z]+s|death|dying") == r"(?:kill|Killed)|dead|[a-z]+s|(?:death|dying)"


def _words_text(alternation: str) -> str:
    """A text of the alternation's plain words and near misses, run together in several ways."""
    words = [w.replace(r"\s+", " ").replace(r"\s*", "") for w in alternation.split("|")]
    words = [w for w in words if re.fullmatch(r"[a-z' -]+", w)]
    pieces = []
    for i, w in enumerate(words):
        pieces += [w, w + "s", w[:-1], "un" + w, w.title(), w.upper(), f"{w} {words[(i + 1) % len(words)]}"]
    return " ".join(pieces) + ". " + ", ".join(reversed(pieces)) + "-" + "-".join(pieces[::3])


@pytest.mark.parametrize("alternation", [counts._KILL, counts._INJURE, perpetrators._HEAD_BODY,
                                         attribution._SPEECH_WORDS, "said|says|say|stated|sa|s"])
def test_words_grouped_by_first_letter_match_as_written(alternation: str) -> None:
    text = _words_text(alternation).lower()
    assert len(text) > 500
    written = re.compile(rf"\b(?:{alternation})\b")
    grouped = re.compile(rf"\b(?:{by_first_letter(alternation)})\b")
    assert grouped.pattern != written.pattern
    found = [m.span() for m in written.finditer(text)]
    assert len(found) > 20
    assert [m.span() for m in grouped.finditer(text)] == found
    caseless = [m.span() for m in re.compile(written.pattern, re.I).finditer(text.upper())]
    assert [m.span() for m in re.compile(grouped.pattern, re.I).finditer(text.upper())] == caseless


# -- shortcuts that skip a rule skip it only where it cannot apply -------------------------------------------------

@pytest.mark.parametrize("mark", ["", "\u200b", "\u00ad"])
def test_a_word_split_by_an_invisible_mark_is_read_as_without_it(mark: str) -> None:
    # the rules read a sentence without its invisible marks; the scans of the whole text read it with them, so a
    # rule they would let skip a sentence ("some ... injured" needs a casualty cue) must still read this one
    text = f"Police said gunmen killed 12 villagers. Some people were inj{mark}ured in the blast, medics said."
    claims = extract(text).claims
    assert [c.killed.low for c in claims if c.killed] == [12]
    assert [c.injured.phrase for c in claims if c.injured] == ["Some people"]


# -- rules tried only on a sentence holding a word they need --------------------------------------------------------

_TALLY_PHRASES = ["a total of 31 were killed", "nine died in total", "since the start of the siege",
                  "since March 2011", "since 2014", "since 3rd May", "since May 3", "since last Friday", "since July",
                  "over the past week", "so far", "to date", "this year", "overall", "between May 1 and June 30",
                  "40 per cent", "in recent months", "as a result of the attacks", "in the second half of 2017",
                  "in 2019", "during the first two weeks of"]
_ALLEGE_PHRASES = ["accused the militia of", "used banned bombs", "white phosphorus", "chemical weapons",
                   "cluster munitions", "war crimes", "crimes against humanity", "a massacre", "genocide",
                   "ethnic cleansing", "targeting civilian homes"]


@pytest.mark.parametrize(("pattern", "words", "phrases"), [
    (claims._TALLY, claims._TALLY_WORDS, _TALLY_PHRASES),
    (claims._ALLEGE, claims._ALLEGE_WORDS, _ALLEGE_PHRASES),
])
def test_a_rule_skipped_for_want_of_its_words_never_matches_without_them(pattern: re.Pattern[str],
                                                                        words: tuple[str, ...],
                                                                        phrases: list[str]) -> None:
    for phrase in phrases:
        for written in (phrase, phrase.upper(), phrase.title()):
            sentence = f"Officials said {written} in the north."
            assert pattern.search(sentence), sentence
            assert any(word in sentence.lower() for word in words), sentence
            index = EvidenceIndex.build(sentence)
            assert holds(index, index.sentences[0], *words)
    assert not holds(EvidenceIndex.build("Officials said nothing."), EvidenceIndex.build(
        "Officials said nothing.").sentences[0], *claims._TALLY_WORDS)


def test_companions_are_looked_for_only_after_a_joining_word() -> None:
    # each pattern for one victim before a counted group ends in a joining word: the shortcut's list holds them all
    joined = ["killing a farmer and", "killing a farmer along with", "killing a farmer alongside",
              "killing a farmer together with", "killing a farmer with", "killing a farmer as well as"]
    for before in joined:
        assert before.rstrip().endswith(counts._JOINING)
        assert counts._ONE_BEFORE[0].search(before + " "), before
    claims_found = extract("Gunmen killed a village chief along with four guards on Sunday, police said.").claims
    assert [c.killed.low for c in claims_found if c.killed] == [5]


def test_a_speaker_is_read_back_only_to_the_last_comma() -> None:
    # the words before the last comma (or colon, quote mark, dash) never change the speaker read before a verb
    tail = "the provincial health directorate said"
    for head in ("", "On Monday, ", "Rebels, who: “denied” it — ", "A, B; C: "):
        text = head + tail
        span = attribution.trailing_np(text, 0, len(text) - len(" said"))
        assert span is not None and text[span[0]:span[1]] == "the provincial health directorate"


# -- the word lists found in one pass -----------------------------------------------------------------------------

def _list_words_text(seed: int) -> str:
    """A text of the word lists' plain words and near misses, in several cases, glued in several ways."""
    rng = random.Random(seed)
    words: list[str] = []
    for wl in WordList.made:
        words += [w.replace(r"\s+", " ").replace(r"\s*", "") for w in wl.words.split("|")
                  if re.fullmatch(r"[a-z' -]+", w)]
    pieces = []
    for _ in range(600):
        w = rng.choice(words)
        pieces.append(rng.choice([w, w.upper(), w.title(), w + "s", "un" + w, w[:-1], f"({w})", f"{w}-led"]))
        pieces.append(rng.choice([" ", " ", ", ", ". ", "\n", "-", "  "]))
    return "".join(pieces)


@pytest.mark.parametrize("seed", range(4))
def test_the_one_pass_finds_what_each_list_finds_alone(seed: int) -> None:
    text = _list_words_text(seed)
    index = EvidenceIndex.build(text)
    low = index.lowered
    assert low is not None
    total = 0
    for wl in WordList.made:
        alone = [m.span() for m in wl.pattern.finditer(low)]
        assert [m.span() for m in found(index, wl)] == alone
        total += len(alone)
    assert total > 300
    assert len(WordList.made) >= 5


def test_a_text_lowering_would_misplace_is_scanned_list_by_list() -> None:
    # "İ" lowers to two characters: no lowered text, no one pass; the cues are found as before
    index = EvidenceIndex.build("İstanbul: gunmen killed 12 people and wounded 30, police said.")
    assert found(index, counts._CUE_WORDS) is None
    assert [k for _s, _e, k in counts._cues(index).cues] == ["kill", "injure"]
    assert [index.text[s:e] for s, e in attribution.SPEECH_SCAN.spans(index)] == ["said"]
