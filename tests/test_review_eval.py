"""Scoring: the assignment against brute force, claim similarity, per-field scores, flat gold, review files."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest

from llmextract.errors import InputError
from llmextract.review.commands import eval_command
from llmextract.review.evaluate import (
    MATCH_THRESHOLD,
    claim_similarity,
    evaluate,
    format_report,
    max_weight_matching,
)
from llmextract.review.results import REVIEW_FORMAT, apply_review, parse_range, read_results
from llmextract.schema import (
    Attribution,
    Claim,
    ClaimKind,
    Count,
    DatePrecision,
    EventDate,
    Evidence,
    ExtractionResult,
    Finding,
    Place,
    Provenance,
    Verdict,
)

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "examples" / "gold"


def count(low: int | None, high: int | None = -1, phrase: str | None = None) -> Count:
    high = low if high == -1 else high
    return Count(phrase=phrase or str(low), low=low, high=high)


def result(aid: str, claims: list[Claim], findings: list[Finding] | None = None, **kw: Any) -> ExtractionResult:
    return ExtractionResult(article_id=aid, content_hash=kw.pop("content_hash", None), claims=claims,
                            findings=findings or [], provenance=Provenance(extractor="test", model_used=False), **kw)


def write_jsonl(path: Path, objs: list[Any]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
    return path


def batch_line(r: ExtractionResult) -> dict[str, Any]:
    return {"id": r.article_id, "content_hash": r.content_hash, "status": "ok", "result": r.model_dump(mode="json")}


# ------------------------------------------------------------------------------------------ assignment


def _brute(w: list[list[float]]) -> float:
    rows, cols = len(w), len(w[0])
    best = 0.0
    if rows <= cols:
        for perm in itertools.permutations(range(cols), rows):
            best = max(best, sum(max(w[i][perm[i]], 0.0) for i in range(rows)))
    else:
        for perm in itertools.permutations(range(rows), cols):
            best = max(best, sum(max(w[perm[j]][j], 0.0) for j in range(cols)))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_matching_is_optimal_against_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(60):
        rows, cols = rng.randint(1, 6), rng.randint(1, 6)
        kind = rng.random()
        if kind < 0.3:  # ties and zeros, as thresholded similarities give
            w = [[rng.choice([0.0, 0.0, 0.5, 0.75, 1.0]) for _ in range(cols)] for _ in range(rows)]
        else:
            w = [[round(rng.random(), 3) for _ in range(cols)] for _ in range(rows)]
        pairs = max_weight_matching(w)
        assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
        assert all(w[i][j] > 0 for i, j in pairs)
        assert sum(w[i][j] for i, j in pairs) == pytest.approx(_brute(w), abs=1e-9)


def test_matching_prefers_the_total_over_a_greedy_first_pick() -> None:
    # greedy would take (0, 0) = 0.9 and leave 0.1; the best total pairs 0-1 and 1-0
    assert max_weight_matching([[0.9, 0.8], [0.7, 0.1]]) == [(0, 1), (1, 0)]
    assert max_weight_matching([]) == [] and max_weight_matching([[0.0, 0.0]]) == []


# ------------------------------------------------------------------------------------------ similarity


def test_similarity_uses_folding_and_aliases() -> None:
    g = Claim(attribution=Attribution(claimant="the Syrian Observatory for Human Rights"),
              place=Place(phrase="Deir ez-Zor"), killed=count(7))
    p = Claim(attribution=Attribution(claimant="SOHR"), place=Place(phrase="Dayr al-Zawr"), killed=count(7))
    assert claim_similarity(g, p) == pytest.approx(1.0)
    far = Claim(kind=ClaimKind.tally, attribution=Attribution(claimant="a hospital director"),
                place=Place(phrase="Tal Nimr"), killed=count(300))
    assert claim_similarity(g, far) < MATCH_THRESHOLD


def test_similarity_counts_low_bounds_and_ranges() -> None:
    g = Claim(killed=count(10, None, "at least 10"))
    assert claim_similarity(g, Claim(killed=count(10, 10))) == pytest.approx(1.0)
    # 12 lies in "at least 10": half agreement on killed, kind agrees: (1 + 2 * 0.5) / 3
    assert claim_similarity(g, Claim(killed=count(12))) == pytest.approx(2 / 3)
    assert claim_similarity(g, Claim(killed=count(4))) == pytest.approx(1 / 3)


def test_a_one_sided_component_counts_half() -> None:
    g = Claim(killed=count(5), injured=count(2))
    p = Claim(killed=count(5))
    # kind 1 + killed 2 agree; injured only on one side weighs 0.5
    assert claim_similarity(g, p) == pytest.approx(3 / 3.5)


# ------------------------------------------------------------------------------------------ evaluate


def _gold_and_pred(tmp_path: Path) -> tuple[Path, Path]:
    q1 = "Militia fighters shelled Kafr Dalim on Sunday, killing 6 villagers, a medic said."
    g1 = Claim(attribution=Attribution(claimant="a medic"), place=Place(phrase="Kafr Dalim"),
               date=EventDate(phrase="on Sunday"), perpetrator="Militia fighters", killed=count(6),
               evidence=[Evidence(quote=q1)])
    q2 = "The monitor counted 212 deaths in the province since March."
    g2 = Claim(kind=ClaimKind.tally, attribution=Attribution(claimant="The monitor"), killed=count(212),
               evidence=[Evidence(quote=q2)])
    q3 = "Residents accused the militia of burning crops."
    g3 = Claim(kind=ClaimKind.allegation, attribution=Attribution(claimant="Residents"), perpetrator="the militia",
               evidence=[Evidence(quote=q3)])
    gold = [result("art-1", [g1, g2, g3])]
    p1 = Claim(attribution=Attribution(claimant="A medic", relays=["Radio Qamar"]), place=Place(phrase="Kafr Dalim"),
               date=EventDate(phrase="Sunday"), perpetrator="militia fighters", killed=count(8),
               evidence=[Evidence(quote=q1)])
    p2 = Claim(kind=ClaimKind.tally, attribution=Attribution(claimant="the monitor"), killed=count(212),
               evidence=[Evidence(quote=q2)])
    p_extra = Claim(kind=ClaimKind.incident, place=Place(phrase="Umm Sirr"), killed=count(40),
                    evidence=[Evidence(quote="Forty were said to have died in Umm Sirr.")])
    findings = [
        Finding(path="claims[0].killed.low", value=8, verdict=Verdict.unsupported, reason="8 is not stated"),
        Finding(path="claims[0].place.phrase", value="Kafr Dalim", verdict=Verdict.exact),
        Finding(path="claims[1].killed.low", value=212, verdict=Verdict.exact),
        Finding(path="claims[2].place.phrase", value="Umm Sirr", verdict=Verdict.unsupported),
    ]
    pred = [result("art-1", [p1, p2, p_extra], findings)]
    gdir = tmp_path / "gold"
    gdir.mkdir()
    for r in gold:
        (gdir / f"{r.article_id}.json").write_text(r.model_dump_json(), encoding="utf-8")
    return gdir, write_jsonl(tmp_path / "pred.jsonl", [batch_line(r) for r in pred])


def test_evaluate_fields_misses_extras_and_grounding(tmp_path: Path) -> None:
    gold, pred = _gold_and_pred(tmp_path)
    rep = evaluate(gold, pred)
    [s] = rep.systems
    assert s.name == "pred" and s.joined == 1 and not s.missing
    claims = s.field("claims")
    assert (claims.gold, claims.pred, claims.correct) == (3, 3, 2)
    assert claims.precision == pytest.approx(2 / 3, abs=1e-4) and claims.recall == pytest.approx(2 / 3, abs=1e-4)
    killed = s.field("killed")  # gold 6, 212; pred 8, 212, 40: one correct
    assert (killed.gold, killed.pred, killed.correct) == (2, 3, 1)
    assert killed.f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2), abs=1e-4)
    assert (s.field("date").correct, s.field("date").gold) == (1, 1)  # "on Sunday" = "Sunday"
    assert s.field("claimant").correct == 2  # case folded
    assert s.field("perpetrator").correct == 1
    assert (s.field("relays").gold, s.field("relays").pred, s.field("relays").correct) == (0, 1, 0)
    assert s.field("relays").precision == 0.0 and s.field("relays").recall is None
    # counts: 6 vs 8 neither exact nor within; 212 exact
    kc = s.count("killed")
    assert (kc.gold, kc.both, kc.exact, kc.within) == (2, 2, 1, 1)
    # the miss (the allegation) and the extra, with their quotes
    assert [(m.article_id, m.kind, m.quote) for m in s.misses] == [
        ("art-1", "allegation", "Residents accused the militia of burning crops.")]
    assert [(e.claim, e.flagged) for e in s.extras] == [(2, 1)]
    assert "Umm Sirr" in s.extras[0].summary
    # grounding: 2 of 4 findings flagged; killed 1 of 2, place 1 of 2
    g = s.grounding
    assert (g.values, g.flagged, g.extras, g.extras_flagged, g.matched_flagged) == (4, 2, 1, 1, 1)
    assert s.field("killed").flagged_share == 0.5
    assert g.by_verdict == {"exact": 2, "unsupported": 2}
    mism = {(m.field, json.dumps(m.gold), json.dumps(m.pred)) for m in s.mismatches}
    assert ("killed", json.dumps({"low": 6, "high": 6, "phrase": "6"}),
            json.dumps({"low": 8, "high": 8, "phrase": "8"})) in mism
    # JSON all the way
    again = json.loads(rep.model_dump_json())
    assert again["systems"][0]["fields"][0]["field"] == "claims"


def test_a_pair_below_the_threshold_is_a_miss_and_an_extra(tmp_path: Path) -> None:
    g = result("a", [Claim(attribution=Attribution(claimant="Witnesses"), place=Place(phrase="Bir Hakim"),
                           killed=count(3))])
    p = result("a", [Claim(kind=ClaimKind.tally, attribution=Attribution(claimant="The ministry"),
                           place=Place(phrase="Wadi Faris"), killed=count(900))])
    [s] = evaluate([g], [p]).systems
    assert len(s.misses) == 1 and len(s.extras) == 1 and s.field("claims").correct == 0
    assert s.misses[0].best_similarity is not None and s.misses[0].best_similarity < MATCH_THRESHOLD


def test_gold_against_itself_scores_one() -> None:
    rep = evaluate(GOLD, GOLD)
    [s] = rep.systems
    assert rep.gold_articles == 5 and rep.gold_claims >= 15
    for f in s.fields:
        if f.gold:
            assert (f.precision, f.recall, f.f1) == (1.0, 1.0, 1.0), f.field
    assert not s.misses and not s.extras and not s.mismatches


def test_several_prediction_sets_side_by_side(tmp_path: Path) -> None:
    gold, pred = _gold_and_pred(tmp_path)
    rep = evaluate(gold, pred, gold, names=["rules", "perfect"])
    assert [s.name for s in rep.systems] == ["rules", "perfect"]
    row = next(r for r in rep.table() if r["field"] == "claims")
    assert row["rules P"] == pytest.approx(0.6667) and row["perfect P"] == 1.0
    text = format_report(rep)
    assert "rules" in text and "perfect" in text and "burning crops" in text
    same = evaluate(gold, pred, pred)
    assert [s.name for s in same.systems] == ["pred", "pred#2"]


def test_last_line_wins_and_join_on_content_hash(tmp_path: Path) -> None:
    g = result("wire-7", [Claim(killed=count(5))], content_hash="ab" * 32)
    old = result("wire-7", [Claim(killed=count(50))], content_hash="ab" * 32)
    new = result("wire-7", [Claim(killed=count(5))], content_hash="ab" * 32)
    pred = write_jsonl(tmp_path / "p.jsonl", [batch_line(old), batch_line(new)])
    rs = read_results(pred)
    assert len(rs) == 1 and rs.superseded == 1
    [s] = evaluate([g], pred).systems
    assert s.count("killed").exact == 1 and s.superseded == 1
    # a prediction under another id, same content hash, is joined on the hash
    other = result("renamed", [Claim(killed=count(5))], content_hash="ab" * 32)
    [s2] = evaluate([g], [other]).systems
    assert s2.joined == 1 and s2.count("killed").exact == 1


def test_missing_failed_and_unreadable_predictions(tmp_path: Path) -> None:
    g1 = result("one", [Claim(killed=count(1))])
    g2 = result("two", [Claim(killed=count(2))])
    pred = tmp_path / "p.jsonl"
    pred.write_text(json.dumps({"id": "two", "content_hash": None, "status": "error",
                                "error": {"kind": "endpoint", "message": "gave up"}}) + "\nnot json\n",
                    encoding="utf-8")
    [s] = evaluate([g1, g2], pred).systems
    assert s.missing == ["one"] and s.failed == ["two"] and s.joined == 0
    assert len(s.misses) == 2 and any("not JSON" in p for p in s.problems)
    text, code = eval_command(GOLD, [pred])
    assert code == 1 and "missing" in text
    with pytest.raises(InputError):
        evaluate(tmp_path / "nope", pred)


# ------------------------------------------------------------------------------------------ flat gold


def test_parse_range() -> None:
    assert (parse_range("3 – 7").low, parse_range("3 – 7").high, parse_range("3 – 7").qualifier.value) == (
        3, 7, "range")
    assert (parse_range("12").low, parse_range("12").high) == (12, 12)
    assert (parse_range("1,200-1,500").low, parse_range("1,200-1,500").high) == (1200, 1500)
    assert parse_range("Unknown") is None and parse_range(None) is None
    assert parse_range(0).low == 0
    with pytest.raises(ValueError):
        parse_range("several")


def test_wad_style_gold(tmp_path: Path) -> None:
    text_a = "Gunmen killed 4 farmers and wounded 2 near the village of Ogbe on Friday."
    text_b = "A roadside bomb killed a soldier in the hills, the army said."
    gold = write_jsonl(tmp_path / "wad.jsonl", [
        {"id": "w1", "text": text_a, "country": "NGA", "region": "Edo", "locality": "Ogbe",
         "event_date": "2019-03-01", "deaths": 4, "injured": 2},
        {"id": "w2", "text": text_b, "country": "XYZ", "region": None, "locality": None, "event_date": None,
         "deaths": 1, "injured": None},
    ])
    gs = read_results(gold)
    w1, w2 = gs.find("w1"), gs.find("w2")
    assert w1 is not None and w2 is not None
    assert w1.fields == frozenset({"killed", "injured", "place", "date"}) and w2.fields == frozenset({"killed"})
    assert w1.result.claims[0].date.date.isoformat() == "2019-03-01"
    preds = [
        result("w1", [Claim(kind=ClaimKind.tally, killed=count(90)),
                      Claim(attribution=Attribution(claimant="police"), place=Place(phrase="Ogbe"),
                            date=EventDate(phrase="on Friday"), killed=count(4), injured=count(2))]),
        result("w2", [Claim(killed=count(1, 1, "a soldier"))]),
    ]
    [s] = evaluate(gold, preds).systems
    # claimant and kind are not coded by WAD: not scored
    assert s.field("claimant").gold == 0 and s.field("claimant").pred == 0 and s.field("kind").pred == 0
    assert (s.field("killed").correct, s.field("killed").gold) == (2, 2)
    assert s.field("killed").pred == 3  # the tally is an extra
    assert s.field("date").correct == 0  # an unresolved phrase is not the coded date
    docs = {d.field: d for d in s.documents}
    assert docs["killed"].rows == 2 and docs["killed"].matched_exact == 2
    assert docs["killed"].first_exact == 2  # the first incident stating a count, not the tally
    assert docs["injured"].rows == 1 and docs["injured"].matched_exact == 1


def test_airwars_ranges_score_within_and_exact_low(tmp_path: Path) -> None:
    gold = write_jsonl(tmp_path / "airwars.jsonl", [
        {"id": "aw1", "text": "A strike hit a bakery.", "killed": "3 – 7", "injured": "Unknown"},
        {"id": "aw2", "text": "A strike hit a bridge.", "killed": "12", "injured": "2-4"},
    ])
    preds = [result("aw1", [Claim(killed=count(5))]), result("aw2", [Claim(killed=count(12), injured=count(2))])]
    [s] = evaluate(gold, preds).systems
    kc, ic = s.count("killed"), s.count("injured")
    assert (kc.gold, kc.exact, kc.within) == (2, 1, 2)  # 5 lies in 3-7 but is not its low bound
    assert (ic.gold, ic.exact, ic.within) == (1, 1, 1)
    assert s.field("injured").gold == 1  # "Unknown" is not a gold value


# ------------------------------------------------------------------------------------------ later fields


def test_fields_added_later_are_scored_when_both_sides_carry_them() -> None:
    class GeoPlace(Place):
        latitude: float | None = None
        longitude: float | None = None

    class RangeDate(EventDate):
        start: Any = None
        end: Any = None

    g = Claim(place=GeoPlace(phrase="Tell Sabi", latitude=35.10, longitude=39.20), killed=count(2),
              date=RangeDate(phrase="last week", start="2020-01-06", end="2020-01-12",
                             precision=DatePrecision.week))
    near = Claim(place=GeoPlace(phrase="Tell Sabi", latitude=35.12, longitude=39.21), killed=count(2),
                 date=RangeDate(phrase="last week", start="2020-01-06", end="2020-01-13",
                                precision=DatePrecision.week))
    plain = Claim(place=Place(phrase="Tell Sabi"), killed=count(2))
    [s] = evaluate([result("x", [g])], [result("x", [near])]).systems
    later = {lf.field: (lf.both, lf.agree) for lf in s.later}
    assert later["coordinates"] == (1, 1)
    assert later["date_start"] == (1, 1) and later["date_end"] == (1, 0)
    assert later["date_precision"] == (1, 1)
    [s2] = evaluate([result("x", [g])], [result("x", [plain])]).systems
    assert "coordinates" not in {lf.field for lf in s2.later}


# ------------------------------------------------------------------------------------------ review files


def _review_doc(base: ExtractionResult, decisions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format": REVIEW_FORMAT, "version": 1,
            "articles": [{"id": base.article_id, "content_hash": base.content_hash,
                          "result": base.model_dump(mode="json"), "decisions": decisions}]}


def test_review_file_reads_as_gold(tmp_path: Path) -> None:
    base = result("rv", [
        Claim(attribution=Attribution(claimant="a nurse"), place=Place(phrase="Ain Tora", province="Hama"),
              killed=count(3, 3, "three")),
        Claim(kind=ClaimKind.tally, killed=count(77)),
        Claim(kind=ClaimKind.allegation, perpetrator="the garrison"),
    ])
    doc = _review_doc(base, [
        {"claim": 0, "verdict": "right", "corrections": {"killed": {"low": 4, "high": None},
                                                         "place": "Ain Tura", "claimant": "hospital staff"}},
        {"claim": 1, "verdict": "wrong", "corrections": {}},
    ])
    [rec] = apply_review(doc)
    assert rec.result is not None and len(rec.result.claims) == 1
    c = rec.result.claims[0]
    assert (c.killed.low, c.killed.high, c.killed.qualifier.value, c.killed.phrase) == (4, None, "at_least", "three")
    assert (c.place.phrase, c.place.province, c.attribution.claimant) == ("Ain Tura", "Hama", "hospital staff")
    [kept] = apply_review(doc, unreviewed="keep")
    assert len(kept.result.claims) == 2  # the undecided allegation too
    path = tmp_path / "review.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    rs = read_results(path)
    assert [r.article_id for r in rs] == ["rv"]
    # an article with no decision is not gold
    assert apply_review(_review_doc(base, [])) == []
    with pytest.raises(ValueError):
        apply_review({"format": "something-else"})
    bad = _review_doc(base, [{"claim": 0, "verdict": "right", "corrections": {"killed": {"low": -2}}}])
    with pytest.raises(ValueError):
        apply_review(bad)


def test_eval_command_json(tmp_path: Path) -> None:
    gold, pred = _gold_and_pred(tmp_path)
    text, code = eval_command(gold, [pred], fmt="json")
    data = json.loads(text)
    assert code == 0 and data["systems"][0]["fields"][0]["correct"] == 2
    with pytest.raises(ValueError):
        eval_command(gold, [pred], fmt="xml")


# ------------------------------------------------------------------------------------------ casualties, report date


def test_casualties_are_a_field_of_their_own_and_never_match_killed() -> None:
    q = "Shelling of Tell Abra left 30 casualties on Friday, the clinic said."
    g = Claim(attribution=Attribution(claimant="the clinic"), place=Place(phrase="Tell Abra"),
              casualties=count(30), evidence=[Evidence(quote=q)])
    same = Claim(attribution=Attribution(claimant="the clinic"), place=Place(phrase="Tell Abra"),
                 casualties=count(30), evidence=[Evidence(quote=q)])
    split = Claim(attribution=Attribution(claimant="the clinic"), place=Place(phrase="Tell Abra"),
                  killed=count(30), evidence=[Evidence(quote=q)])
    rep = evaluate([result("ta", [g])], [result("ta", [same])], [result("ta", [split])], names=["same", "split"])
    c = rep.system("same").field("casualties")
    assert (c.gold, c.pred, c.correct, c.f1) == (1, 1, 1, 1.0)
    assert rep.system("same").count("casualties").exact_rate == 1.0
    s = rep.system("split")
    assert (s.field("casualties").correct, s.field("casualties").recall) == (0, 0.0)
    assert (s.field("killed").pred, s.field("killed").correct, s.field("killed").precision) == (1, 0, 0.0)
    # matched on who and where, the pair shows both disagreements: casualties left out, killed made up
    assert {(m.field, m.gold is not None, m.pred is not None) for m in s.mismatches} == {
        ("casualties", True, False), ("killed", False, True)}


def test_the_report_date_and_the_belligerent_are_scored_where_both_carry_them() -> None:
    q = "The ministry said on Monday that a drone strike by the Northern Army killed 4 herders."
    gold = Claim(attribution=Attribution(claimant="The ministry"), killed=count(4), perpetrator="the Northern Army",
                 belligerent="Northern Army", reported=EventDate(phrase="on Monday"), evidence=[Evidence(quote=q)])
    good = gold.model_copy(update={"reported": EventDate(phrase="Monday"), "belligerent": "northern army"})
    bad = gold.model_copy(update={"reported": EventDate(phrase="on Tuesday"), "belligerent": "Southern Army"})
    none = gold.model_copy(update={"reported": None, "belligerent": None})
    rep = evaluate([result("na", [gold])], [result("na", [good])], [result("na", [bad])], [result("na", [none])],
                   names=["good", "bad", "none"])
    later = {s.name: {lf.field: (lf.agree, lf.both) for lf in s.later} for s in rep.systems}
    assert later["good"]["reported"] == (1, 1) and later["good"]["belligerent"] == (1, 1)
    assert later["bad"]["reported"] == (0, 1) and later["bad"]["belligerent"] == (0, 1)
    assert "reported" not in later["none"] and "belligerent" not in later["none"]


def test_a_perpetrator_in_other_words_agrees_through_its_belligerent() -> None:
    q = "Northern Army drones struck Tell Abra, killing 4 herders, the clinic said."
    gold = Claim(attribution=Attribution(claimant="the clinic"), killed=count(4), perpetrator="the Northern Army",
                 belligerent="Northern Army", evidence=[Evidence(quote=q)])
    words = gold.model_copy(update={"perpetrator": "Northern Army drones"})
    other = gold.model_copy(update={"perpetrator": "Northern Army drones", "belligerent": "Southern Army"})
    bare = gold.model_copy(update={"perpetrator": "Northern Army drones", "belligerent": None})
    rep = evaluate([result("na", [gold])], [result("na", [words])], [result("na", [other])],
                   [result("na", [bare])], names=["words", "other", "bare"])
    assert [rep.system(n).field("perpetrator").correct for n in ("words", "other", "bare")] == [1, 0, 0]
