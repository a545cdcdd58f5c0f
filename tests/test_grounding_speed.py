"""Grounding's look-up tables answer exactly what the scans they replaced answered (no timings here).

The tables (:mod:`llmextract.grounding.tables`, :class:`llmextract.grounding.scopes.Siblings`)
make a claim's checks cost the same however long the text is; each is compared here with the
plain scan it stands for, on random spans, and grounding a text written out many times is
compared claim by claim with grounding it once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from llmextract.grounding import ground
from llmextract.grounding.scopes import Ctx, Scope, Scopes, Siblings
from llmextract.grounding.tables import SCANNED, Overlaps, PerArticle, overlaps
from llmextract.schema import Article, Claim, ClaimList, Count, Evidence
from llmextract.text.index import EvidenceIndex


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int


def _random_mentions(rng: random.Random, n: int) -> list[_Mention]:
    out = []
    for _ in range(n):
        s = rng.randrange(0, 500)
        out.append(_Mention(s, s + rng.randrange(0, 30)))
    return out


@pytest.mark.parametrize("n", [0, 1, 5, SCANNED, SCANNED + 1, 200])
def test_overlaps_table_answers_as_the_scan(n: int) -> None:
    rng = random.Random(n)
    for _ in range(50):
        items = _random_mentions(rng, n)  # in no particular order, some empty, some nested
        table = Overlaps(items)
        spans = tuple(sorted((a, a + rng.randrange(1, 80)) for a in (rng.randrange(0, 520) for _ in range(3))))
        scan = [m for m in items if any(m.start < b and m.end > a for a, b in spans)]
        assert table.within(spans) == scan
        assert table.any_within(spans) == bool(scan)
        assert table.within(()) == []


def _sentences(rng: random.Random) -> list[tuple[int, int]]:
    out, at = [], 0
    for _ in range(30):
        length = rng.randrange(5, 40)
        out.append((at, at + length))
        at += length + rng.randrange(0, 3)  # sentences touch or have a gap between them
    return out


def test_siblings_answer_as_the_scans_of_every_other_claim() -> None:
    rng = random.Random(7)
    for _ in range(200):
        sentences = _sentences(rng)
        owns = {i: tuple(sorted(rng.sample(sentences, rng.randrange(0, 4)))) for i in range(rng.randrange(2, 6))}
        siblings = Siblings(owns, "claims")
        every = sorted({s for own in owns.values() for s in own})
        for mine, own in owns.items():
            foreign = [s for s in every if s not in set(own)]
            others = [(a, f"claims[{j}]") for j, a in owns.items() if j != mine and a]
            for _ in range(20):
                s = rng.randrange(0, sentences[-1][1] + 5)
                e = s + rng.randrange(1, 50)
                whose = next((path for spans, path in others if any(a < e and s < b for a, b in spans)), None)
                assert siblings.whose(s, e, mine) == whose
                assert siblings.holds_inside(s, e, mine) == any(a <= s and e <= b for a, b in foreign)


def test_tables_are_kept_with_the_index_and_read_afresh_when_a_list_changes() -> None:
    index = EvidenceIndex.build("Rebels said 12 people died in Hajin. The army said 3 soldiers died in Hajin.")
    built: list[EvidenceIndex] = []
    table_of = PerArticle(lambda ix: built.append(ix) or len(ix.text))
    assert table_of(index) == len(index.text)
    assert table_of(index) == len(index.text) and built == [index]  # kept: built once
    other = EvidenceIndex.build("A second article.")
    assert table_of(other) == len(other.text) and built == [index, other]  # each article its own
    names = list(index.names)
    table = overlaps(index, names)
    assert overlaps(index, names) is table
    names.append(names[0])  # a list its owner changed is read afresh
    assert overlaps(index, names) is not table
    assert len(overlaps(index, names).within(((0, len(index.text)),))) == len(names)


_PARAGRAPH = ("The health ministry in Sanaa said on Tuesday that {a} people were killed when warplanes struck a "
              "market in Hodeidah. Separately, a local official told Reuters that {b} fishermen died in a strike "
              "near Mocha. The coalition denied both accounts.")


def _text(copies: int) -> str:
    """The paragraph written out ``copies`` times, each copy with figures of its own."""
    return "\n\n".join(_PARAGRAPH.format(a=100 + k, b=300 + k) for k in range(copies))


def _claims(copies: int) -> ClaimList:
    claims = []
    for k in range(copies):
        for quote, low in ((f"{100 + k} people were killed when warplanes struck a market in Hodeidah", 100 + k),
                           (f"{300 + k} fishermen died in a strike near Mocha", 300 + k)):
            claims.append(Claim(evidence=[Evidence(quote=quote)],
                                killed=Count(phrase=quote.split(" were")[0].split(" died")[0], low=low, high=low)))
    return ClaimList(claims=claims)


def test_a_text_written_out_many_times_is_grounded_as_once_claim_by_claim() -> None:
    once = ground(_claims(1), _text(1))
    copies = 40
    many = ground(_claims(copies), _text(copies))

    def shape(report: object, claim: int) -> list[tuple[str, str]]:
        return [(f.path.split(".", 1)[1], f.verdict.value) for f in report.for_claim(claim)]  # type: ignore[attr-defined]

    assert shape(once, 0) and shape(once, 1)
    for k in range(copies):
        # each copy's claims get the verdicts the one paragraph's claims get: their own sentences hold them
        assert shape(many, 2 * k) == shape(once, 0)
        assert shape(many, 2 * k + 1) == shape(once, 1)
    assert {f.verdict.value for f in many.findings} == {f.verdict.value for f in once.findings}


def test_a_value_copied_from_a_far_claim_is_misattached_to_that_claim() -> None:
    copies = 30
    claims = _claims(copies)
    last = claims.claims[-1]  # the Mocha claim of the last copy takes the Hodeidah figure of the first
    claims.claims[-1] = last.model_copy(update={"killed": Count(phrase="100 people", low=100, high=100)})
    report = ground(claims, Article(text=_text(copies)))
    found = report.by_path[f"claims[{2 * copies - 1}].killed.phrase"]
    assert found.verdict.value == "misattached"
    assert "another claim's evidence (claims[0])" in found.reason
    assert report.by_path[f"claims[{2 * copies - 1}].killed.low"].verdict.value == "misattached"
    assert report.by_path[f"claims[{2 * copies - 2}].killed.low"].verdict.value == "exact"


def test_grounding_leaves_no_reference_cycle_through_the_index() -> None:
    """What grounding keeps with an index (name searches, tables) holds no reference back to the run or
    the index: a dropped index is freed at once, not left for the cyclic garbage collector."""
    import gc
    import weakref

    claims = {"claims": [{"source": "the health ministry", "town": "Hodeidah", "deaths": 101,
                          "quote": "101 people were killed when warplanes struck a market in Hodeidah"},
                         {"source": "a local official", "town": "Mocha", "deaths": 301,
                          "quote": "301 fishermen died in a strike near Mocha"}]}
    index = EvidenceIndex.build(_text(3))
    assert ground(claims, index).ok  # fills the index's memo with name searches
    assert index.memo
    ref = weakref.ref(index)
    enabled = gc.isenabled()
    gc.disable()
    try:
        ground(claims, index)  # a second run, as a re-ask makes
        del index
        assert ref() is None
    finally:
        if enabled:
            gc.enable()


def test_a_home_scope_is_kept_apart_for_counts_of_people_and_for_every_number() -> None:
    # the cache of home scopes once keyed on the scopes alone: whichever list was asked first won
    text = "Shelling killed 7 people in Qarabel. The market had been rebuilt in 2019."
    index = EvidenceIndex(text)
    first, second = index.sentences
    inner = Scope(((second.start, second.end),), "the quote")
    outer = Scope(((first.start, second.end),), "the claim")
    ctx = Ctx(scopes=(inner, outer))
    for order in ((index.counts, index.numbers), (index.numbers, index.counts)):
        scopes = Scopes(index, {})
        homes = {id(m): scopes.home(ctx, m) for m in order}
        # the quote's sentence states a year and no count of people
        assert homes[id(index.counts)] is outer
        assert homes[id(index.numbers)] is inner


def test_checked_children_are_the_children_with_a_value_and_not_skipped() -> None:
    # read off the class (a model without extra keys) or filtered from every child (a dict, extra keys)
    from llmextract.grounding.fields import Children
    from llmextract.markers import Skip
    from llmextract.schema import EventDate, Place

    claim = Claim(evidence=[Evidence(quote="12 people died", start=0, end=14)],
                  killed=Count(phrase="12", low=12, high=12), place=Place(phrase="Hajin", country_code="SY"),
                  date=EventDate(phrase="on Monday", date="2018-01-01"))
    nodes = [claim, claim.killed, claim.place, claim.date, claim.evidence[0], claim.attribution,
             {"deaths": 12, "id": 3, "town": None, "quote": "12 people died"}]
    for extras in ({}, {"claims[0]": {"note": "x", "end": 4, "nothing": None}}):
        kids = Children(extras)
        for node in nodes:
            for parent, path in (("claims", "claims[0]"), ("killed", None), ("", "")):
                every = kids(node, parent, path)
                assert every, node
                checked = [kid for kid in every if kid[1] is not None and not isinstance(kid[2], Skip)]
                assert kids.checked(node, parent, path) == checked
                assert kids.checked(node, parent, path) is kids.checked(node, parent, path)  # read once a run
    assert any(piece == "note" for piece, _v, _m in Children({"claims[0]": {"note": "x"}}).checked(
        claim, "claims", "claims[0]"))


def test_keys_a_model_does_not_know_change_nothing_else_it_is_grounded_by() -> None:
    # a node holding keys its model does not know has its quotes and places collected from every child,
    # the others only from the fields that can hold one: both find the same
    from llmextract.grounding.fields import Children
    from llmextract.schema import EventDate, Place

    text = _text(1)
    claim = _claims(1).claims[0].model_copy(update={
        "place": Place(phrase="Hodeidah", name="Al Hudaydah", country="Yemen", latitude=14.8),
        "date": EventDate(phrase="on Tuesday")})
    index = EvidenceIndex.build(text)
    extras = {"claims[0]": {"annotator_note": "checked twice"}, "claims[0].killed": {"remark": "first"},
              "claims[0].place": {"remark": "port"}, "claims[0].evidence[0]": {"remark": "first paragraph"}}
    plain, generic = Scopes(index, Children({})), Scopes(index, Children(extras))
    quotes = plain._collected(claim, "claims[0]")
    assert {q.role for q in quotes} == {"evidence", "figure", "date"}
    assert generic._collected(claim, "claims[0]") == quotes
    assert generic._places_of["claims[0]"] == plain._places_of["claims[0]"] == ["Hodeidah", "Al Hudaydah"]
    # and grounding a dump with such keys: the fields it shares with the model are found alike
    dumped = ClaimList(claims=[claim]).model_dump(mode="json")
    dumped["claims"][0]["annotator_note"] = "checked twice"
    dumped["claims"][0]["evidence"][0]["remark"] = "first paragraph"
    found = {f.path: f for f in ground(ClaimList(claims=[claim]), text).findings}
    with_extra = {f.path: f for f in ground(dumped, text).findings}
    assert set(with_extra) - set(found) == {"claims[0].annotator_note", "claims[0].evidence[0].remark"}
    assert found and all(with_extra[path] == f for path, f in found.items())


def test_gazetteer_variants_are_searched_once_per_fold() -> None:
    from llmextract.grounding.names import NameCheck
    from llmextract.grounding.report import Recorder
    from llmextract.text.names import fold, get_gazetteer

    index = EvidenceIndex.build("Shelling hit Deir ez-Zor. In Deir Ezzor city and in Dayr al-Zawr, 4 people died.")
    found = NameCheck(index, Recorder(index))._variants("Deir ez-Zor")
    every = sorted({span for v in get_gazetteer().variants("Deir ez-Zor") for span in index.find_all_folded(fold(v))})
    assert len(every) >= 2
    assert [f[1] for f in found] == every  # each place of the text once, in text order
