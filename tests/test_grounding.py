"""The grounding layer: every verdict kind pinned with real sentences of the sample articles.

Also: any pydantic model, dicts and lists; offsets that slice back; Arabic script; the
strict/flag/off policies; the validator and re-ask loop against a scripted server; the
grounded-by-construction schema.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from llmextract.cli.render_findings import render_findings
from llmextract.config import EndpointConfig
from llmextract.errors import ConfigError, InputError
from llmextract.extractors.grounded import from_grounded, grounded_schema
from llmextract.grounding import (
    POLICIES,
    GroundingReport,
    apply_policy,
    claims_validator,
    ground,
)
from llmextract.markers import Grounded, Name, Quote, Skip
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
    Qualifier,
    Verdict,
)
from llmextract.text.index import EvidenceIndex

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "examples" / "gold"

# Sentences of the sample articles used below, verbatim.
HAJIN_LEDE = ("Twenty civilians, including women and children, have been killed in airstrikes carried out by the "
              "coalition led by the United States in the town of Hajin")
HAJIN_SOURCES = ("Local sources, requesting anonymity, told Syria's official news agency SANA that nine children "
                 "and eight women were among the dead after an airstrike targeted a local market on Saturday.")
ALBU_BADRAN = ("On November 15, local reports claimed coalition warplanes had killed 23 civilians, including 17 people "
               "of the same family, after firing missiles at buildings in the village of Albu Badran.")
BUQAAN = ("Last week, the so-called coalition killed at least 40 people after its warplanes struck the village of "
          "al-Buqa'an on the outskirts of Hajin.")


def by_path(report: GroundingReport) -> dict[str, Any]:
    return report.by_path


def assert_spans_slice(report: GroundingReport, text: str) -> None:
    for f in report.findings:
        assert f.reason, f.path
        for s in f.spans:
            assert text[s.start:s.end] == s.text, (f.path, s)


@pytest.fixture(scope="module")
def texts(articles: dict[str, str]) -> dict[str, str]:
    return articles


@pytest.fixture(scope="module")
def deir(articles: dict[str, str]) -> str:
    return articles["000_68a82acbaa1f11d0"]


@pytest.fixture(scope="module")
def baghouz(articles: dict[str, str]) -> str:
    return articles["003_292ba422c2383963"]


# ----------------------------------------------------------------------------- numbers


def test_number_exact_digits_and_hedge_bound(hajin: str, baghouz: str) -> None:
    r = ground(Count(phrase="50", low=50, high=50), baghouz)
    f = r.by_path["low"]
    assert f.verdict is Verdict.exact and f.spans[0].text == "50"
    r = ground(Count(phrase="at least 40", low=40, qualifier=Qualifier.at_least), hajin)
    f = r.by_path["low"]
    assert f.verdict is Verdict.exact and f.spans[0].text == "at least 40"
    assert r.ok


def test_number_normalized_words_dozen_and_separators(hajin: str, deir: str) -> None:
    r = ground(Count(phrase="Twenty", low=20, high=20), hajin)
    assert r.by_path["low"].verdict is Verdict.normalized
    assert "'Twenty' = 20" in r.by_path["low"].reason
    r = ground(Count(phrase="at least a dozen", low=12, qualifier=Qualifier.at_least), deir)
    assert r.by_path["low"].verdict is Verdict.normalized
    assert r.by_path["low"].spans[0].text == "at least a dozen"
    r = ground(Count(phrase="at least 5,961", low=5961, qualifier=Qualifier.at_least), deir)
    assert r.by_path["low"].verdict is Verdict.normalized
    assert r.ok


def test_dozens_grounds_only_its_conservative_bound(baghouz: str) -> None:
    r = ground(Count(phrase="Dozens", low=12, high=50, qualifier=Qualifier.vague), baghouz)
    assert r.by_path["low"].verdict is Verdict.normalized
    assert "conservative low bound" in r.by_path["low"].reason
    # 50 is stated, but by another sentence ("50 people were killed"): not by "Dozens"
    assert r.by_path["high"].verdict is Verdict.misattached
    r = ground(Count(phrase="Dozens", low=12, high=36, qualifier=Qualifier.vague), baghouz)
    assert r.by_path["high"].verdict is Verdict.unsupported


def test_derived_sum_is_never_exact(hajin: str) -> None:
    claim = Claim(killed=Count(phrase="nine children and eight women", low=17, high=17),
                  evidence=[Evidence(quote=HAJIN_SOURCES)])
    r = ground(claim, hajin)
    f = r.by_path["killed.low"]
    assert f.verdict is Verdict.derived
    assert "9 + 8 = 17" in f.reason
    assert [s.text for s in f.spans] == ["nine", "eight"]
    assert not r.ok and f in r.unsupported
    assert_spans_slice(r, hajin)


def test_derived_ok_marker_accepts_a_sum(hajin: str) -> None:
    class Total(BaseModel):
        total: Annotated[int, Grounded(derived_ok=True)]
        quote: Annotated[str, Quote()]

    r = ground(Total(total=17, quote="nine children and eight women"), hajin)
    assert r.by_path["total"].verdict is Verdict.derived
    assert r.ok and r.accepted == ["total"]


def test_misattached_figure_from_another_sentence(hajin: str) -> None:
    claim = Claim(killed=Count(phrase="Twenty", low=11, high=11), evidence=[Evidence(quote=HAJIN_LEDE)])
    r = ground(claim, hajin)
    f = r.by_path["killed.low"]
    assert f.verdict is Verdict.misattached
    assert f.spans[0].text == "11"
    assert "Twenty" in f.reason


def test_misattached_figure_and_phrase_from_another_claim(hajin: str) -> None:
    lifted = Claim(killed=Count(phrase="17", low=17, high=17), evidence=[Evidence(quote=HAJIN_LEDE)])
    other = Claim(killed=Count(phrase="23", low=23, high=23), evidence=[Evidence(quote=ALBU_BADRAN)])
    r = ground(ClaimList(claims=[lifted, other]), hajin)
    assert r.by_path["claims[0].killed.phrase"].verdict is Verdict.misattached
    assert "another claim's evidence" in r.by_path["claims[0].killed.phrase"].reason
    assert r.by_path["claims[0].killed.low"].verdict is Verdict.misattached
    assert r.by_path["claims[1].killed.low"].verdict is Verdict.exact


def test_unsupported_number(hajin: str) -> None:
    r = ground(Claim(killed=Count(phrase="Twenty", low=25, high=25), evidence=[Evidence(quote=HAJIN_LEDE)]), hajin)
    f = r.by_path["killed.low"]
    assert f.verdict is Verdict.unsupported and not f.spans
    assert "25 is not stated" in f.reason and "'Twenty'" in f.reason


def test_singular_victims() -> None:
    text = "A muezzin was shot dead by gunmen in Kano on Friday. Gunmen killed a mayor and his secretary in Zamfara."
    claims = ClaimList(claims=[
        Claim(killed=Count(phrase="A muezzin", low=1, high=1), evidence=[Evidence(quote="A muezzin was shot dead")]),
        Claim(killed=Count(phrase="a mayor and his secretary", low=2, high=2),
              evidence=[Evidence(quote="Gunmen killed a mayor and his secretary")]),
    ])
    r = ground(claims, text)
    assert r.ok
    assert r.by_path["claims[0].killed.low"].verdict is Verdict.normalized
    assert r.by_path["claims[1].killed.low"].spans[0].text == "a mayor and his secretary"
    r = ground(Count(phrase="A muezzin", low=2, high=2), text)
    assert r.by_path["low"].verdict is Verdict.unsupported


# ----------------------------------------------------------------------------- names


def test_name_exact_normalized_alias(hajin: str, deir: str) -> None:
    r = ground(Place(phrase="Hajin", name="Hajeen", province="Deir Ez-Zor", country="Syria"), hajin)
    assert r.by_path["phrase"].verdict is Verdict.exact
    assert r.by_path["name"].verdict is Verdict.alias  # Hajeen is a transliteration of Hajin
    assert r.by_path["province"].verdict is Verdict.normalized  # Deir Ezzor, folded
    assert r.by_path["province"].spans[0].text == "Deir Ezzor"
    r = ground(Place(phrase="Dayr al-Zawr"), deir)
    assert r.by_path["phrase"].verdict is Verdict.alias
    assert r.by_path["phrase"].spans[0].text == "Deir ez-Zor"
    r = ground(Attribution(claimant="Local sources", relays=["Syrian Arab News Agency"]), hajin)
    assert r.by_path["claimant"].verdict is Verdict.exact
    assert r.by_path["relays[0]"].verdict is Verdict.alias
    assert r.by_path["relays[0]"].spans[0].text in ("SANA", "Syria's official news agency")


def test_name_fuzzy_with_score(baghouz: str) -> None:
    r = ground(Place(phrase="Bagouz"), baghouz)
    f = r.by_path["phrase"]
    assert f.verdict is Verdict.fuzzy
    assert f.score is not None and 0.85 <= f.score < 1
    assert f.spans[0].text == "Baghouz"


def test_name_unsupported_only_when_no_variant_is_there(hajin: str) -> None:
    # the article names Deir Ezzor: another spelling passes
    assert ground(Place(phrase="Deir al-Zour"), hajin).ok
    # a sentence with no Deir ez-Zor variant at all
    r = ground(Place(phrase="Deir al-Zour"), BUQAAN)
    f = r.by_path["phrase"]
    assert f.verdict is Verdict.unsupported and "Deir al-Zour" in f.reason
    # a real place the article does not name
    assert ground(Place(phrase="Mayadin"), hajin).by_path["phrase"].verdict is Verdict.unsupported


def test_fuzzy_and_transliteration_stop_at_another_place(baghouz: str) -> None:
    text = "Rebels attacked Bangui on Sunday. Fighting near Beni killed 12 people."
    assert ground(Place(phrase="Bobangui"), text).by_path["phrase"].verdict is Verdict.unsupported  # two edits away
    assert ground(Place(phrase="Bunia"), text).by_path["phrase"].verdict is Verdict.unsupported  # skeleton "ban" only
    assert ground(Place(phrase="Bagui"), text).by_path["phrase"].verdict is Verdict.fuzzy  # a typo of Bangui


def test_arabic_script_offsets() -> None:
    text = "قالت وكالة سانا إن 20 مدنيا قتلوا في غارة على بلدة هجين في ريف دير الزور يوم السبت."
    r = ground({"killed": 20, "place": "هجين", "province": "Deir ez-Zor", "source": "SANA", "city": "Hajin",
                "quote": "20 مدنيا قتلوا في غارة"}, text)
    assert r.ok, r.to_messages()
    assert r.by_path["killed"].verdict is Verdict.exact
    assert r.by_path["place"].verdict is Verdict.exact
    assert r.by_path["province"].verdict is Verdict.alias and r.by_path["province"].spans[0].text == "دير الزور"
    assert r.by_path["source"].spans[0].text == "سانا"
    assert_spans_slice(r, text)
    assert ground({"city": "Raqqa", "killed": 21}, text).summary["unsupported"] == 2


# ----------------------------------------------------------------------------- quotes


def test_quote_exact_normalized_fuzzy_ellipsis(hajin: str, deir: str) -> None:
    assert ground(Evidence(quote=HAJIN_SOURCES), hajin).by_path["quote"].verdict is Verdict.exact
    # straight apostrophe for the article's ’
    f = ground(Evidence(quote="Syria's eastern province of Deir ez-Zor"), deir).by_path["quote"]
    assert f.verdict is Verdict.normalized and f.spans[0].text == "Syria’s eastern province of Deir ez-Zor"
    # one misspelt word
    typo = "Local sources, requesting anonimity, told Syria's official news agency SANA that nine children"
    f = ground(Evidence(quote=typo), hajin).by_path["quote"]
    assert f.verdict is Verdict.fuzzy and f.score is not None and f.score >= 0.9
    assert f.spans[0].text.startswith("Local sources, requesting anonymity")
    f = ground(Evidence(quote="Local sources ... told Syria's official news agency SANA"), hajin).by_path["quote"]
    assert f.verdict is Verdict.normalized and [s.text for s in f.spans][0] == "Local sources"


def test_quote_unsupported_when_a_figure_or_name_changes(hajin: str) -> None:
    changed = HAJIN_SOURCES.replace("eight women", "seven women")
    f = ground(Evidence(quote=changed), hajin).by_path["quote"]
    assert f.verdict is Verdict.unsupported and "closest passage" in f.reason
    f = ground(Evidence(quote=BUQAAN.replace("al-Buqa'an", "al-Baghuz")), hajin).by_path["quote"]
    assert f.verdict is Verdict.unsupported
    f = ground(Evidence(quote="Local sources told SANA that 17 women and children were killed in Hajin."),
               hajin).by_path["quote"]
    assert f.verdict is Verdict.unsupported


def test_quote_with_a_figure_swapped_for_another_of_the_sentence(texts: dict[str, str]) -> None:
    text = texts["002_55de023ae2e06980"]
    real = "reported that 17 civilians, including five children, had been killed in US-led strikes"
    assert ground(Evidence(quote=real), text).by_path["quote"].verdict is Verdict.exact
    swapped = real.replace("17 civilians", "5 civilians")
    assert ground(Evidence(quote=swapped), text).by_path["quote"].verdict is Verdict.unsupported


# ----------------------------------------------------------------------------- dates


def test_dates_follow_from_phrase_and_published(deir: str, hajin: str) -> None:
    article = Article(text=deir)
    assert article.published == dt.date(2018, 1, 1)  # a Monday
    f = ground(EventDate(phrase="on Monday", date=dt.date(2018, 1, 1)), article).by_path["date"]
    assert f.verdict is Verdict.exact and f.spans[0].text == "on Monday"
    f = ground(EventDate(phrase="on Monday", date=dt.date(2017, 12, 25)), article).by_path["date"]
    assert f.verdict is Verdict.normalized  # an earlier Monday
    f = ground(EventDate(phrase="on Monday", date=dt.date(2018, 1, 2)), article).by_path["date"]
    assert f.verdict is Verdict.unsupported and "Tuesday" in f.reason
    f = ground(EventDate(phrase="On December 14", date=dt.date(2017, 12, 14)), article).by_path["date"]
    assert f.verdict is Verdict.exact
    # the bare text is read as an Article: its "date" header is the published date
    f = ground(EventDate(phrase="on Monday", date=dt.date(2018, 1, 1)), deir).by_path["date"]
    assert f.verdict is Verdict.exact
    # no published date: a weekday cannot be resolved
    f = ground(EventDate(phrase="on Saturday", date=dt.date(2017, 11, 25)), hajin).by_path["date"]
    assert f.verdict is Verdict.unsupported and "no published date" in f.reason
    assert "date" not in ground(EventDate(phrase="on Saturday"), hajin).by_path


# ----------------------------------------------------------------------------- any model, dicts, lists


class Strike(BaseModel):
    village: Annotated[str, Name(kind="place")]
    killed: Annotated[int, Grounded()]
    quote: Annotated[str, Quote()]
    source_id: Annotated[int, Skip()] = 0
    note: str = "free text is not checked"


def test_any_pydantic_model_with_markers(hajin: str) -> None:
    strikes = [Strike(village="al-Buqa'an", killed=40, quote=BUQAAN, source_id=99),
               Strike(village="Albu Badran", killed=17, quote=ALBU_BADRAN)]
    r = ground(strikes, hajin)
    assert set(r.by_path) == {"[0].village", "[0].killed", "[0].quote", "[1].village", "[1].killed", "[1].quote",
                              "[0].note", "[1].note"}
    # an unmarked string no key rule covers is listed as unchecked, never a failure
    assert r.by_path["[0].note"].verdict is Verdict.unchecked and "note" in r.by_path["[0].note"].reason
    assert r.ok and [f.path for f in r.unchecked] == ["[0].note", "[1].note"]
    r = ground(Strike(village="Abu Kamal", killed=60, quote=BUQAAN), hajin)
    assert r.by_path["village"].verdict is Verdict.unsupported
    assert r.by_path["killed"].verdict is Verdict.misattached  # 60 is the al-Shaafah attack's


def test_plain_dict_keys_and_json(hajin: str) -> None:
    data = {"incidents": [{"place": "Hajin", "killed": 20, "quote": HAJIN_LEDE, "start": 86, "id": 7,
                           "claimant": "Local sources", "comment": "Hajin", "wounded": 3}]}
    r = ground(data, hajin)
    paths = r.by_path
    assert {"incidents[0].place", "incidents[0].killed", "incidents[0].quote", "incidents[0].claimant"} <= set(paths)
    assert "incidents[0].start" not in paths and "incidents[0].id" not in paths
    # a string under a key no rule covers is listed as unchecked, not skipped and not a failure
    assert paths["incidents[0].comment"].verdict is Verdict.unchecked
    assert paths["incidents[0].killed"].verdict is Verdict.normalized
    assert paths["incidents[0].wounded"].verdict is Verdict.misattached  # "three" women of another strike
    assert ground({"place": "Hajin", "injured": 999}, hajin).by_path["injured"].verdict is Verdict.unsupported
    assert ground(json.dumps(data), hajin).summary == r.summary


def test_extraction_result_json_with_computed_best(hajin: str) -> None:
    result = ExtractionResult(claims=[Claim(killed=Count(phrase="Twenty", low=20, high=20),
                                            evidence=[Evidence(quote=HAJIN_LEDE)])],
                              provenance=Provenance(extractor="test", model_used=False))
    dumped = json.loads(result.model_dump_json())
    assert dumped["claims"][0]["killed"]["best"] == 20  # Count forbids extra keys; ground() drops it
    r = ground(dumped, hajin)
    assert "claims[0].killed.best" not in r.by_path and r.by_path["claims[0].killed.low"].ok


# ----------------------------------------------------------------------------- gold and offsets


def test_gold_extractions_are_fully_grounded(texts: dict[str, str]) -> None:
    files = sorted(GOLD.glob("*.json"))
    assert len(files) == 5
    for path in files:
        result = ExtractionResult.model_validate_json(path.read_text(encoding="utf-8"))
        text = texts[path.stem]
        report = ground(result, Article(text=text))
        assert report.ok, (path.stem, report.to_messages())
        assert report.summary["fuzzy"] == 0
        assert_spans_slice(report, text)
        for claim in result.claims:
            for ev in claim.evidence:
                assert text[ev.start:ev.end] == ev.quote


def test_offline_results_ground_and_slice(texts: dict[str, str]) -> None:
    from llmextract.extractors.offline import extract_offline

    for text in texts.values():
        article = Article(text=text)
        index = EvidenceIndex.build(article)
        report = ground(extract_offline(article, index), index)
        assert_spans_slice(report, text)
        assert report.findings


def test_ground_asks_the_index_it_is_handed_and_keeps_none(hajin: str, monkeypatch: pytest.MonkeyPatch) -> None:
    index = EvidenceIndex.build(Article(text=hajin))
    built: list[str] = []
    real = EvidenceIndex.__post_init__

    def counting(self: EvidenceIndex) -> None:
        built.append(self.text)
        real(self)

    monkeypatch.setattr(EvidenceIndex, "__post_init__", counting)
    claim = Claim(killed=Count(phrase="Twenty", low=20, high=20), evidence=[Evidence(quote=HAJIN_LEDE)])
    assert ground(claim, index).ok and ground(claim, index).ok
    assert built == []  # the index handed in is the one asked
    assert ground(claim, hajin).ok and ground(claim, Article(text=hajin)).ok
    assert built == [hajin, hajin]  # a text or an Article is indexed for that call: no cache keeps it
    with pytest.raises(InputError):
        ground(claim, 20)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- report, policies, validator


def _mixed_result(hajin: str) -> ExtractionResult:
    good = Claim(place=Place(phrase="Hajin"), killed=Count(phrase="Twenty", low=20, high=20),
                 evidence=[Evidence(quote=HAJIN_LEDE)])
    bad = Claim(place=Place(phrase="Mayadin"), killed=Count(phrase="nine children and eight women", low=17, high=17),
                evidence=[Evidence(quote=HAJIN_SOURCES)])
    also_good = Claim(killed=Count(phrase="at least 40", low=40, qualifier=Qualifier.at_least),
                      evidence=[Evidence(quote=BUQAAN)])
    return ExtractionResult(claims=[good, bad, also_good], provenance=Provenance(extractor="test", model_used=False))


def test_report_helpers_and_messages(hajin: str) -> None:
    result = _mixed_result(hajin)
    report = ground(result, hajin)
    assert report.summary["derived"] == 2 and report.summary["unsupported"] == 1
    assert not report.ok
    messages = report.to_messages()
    assert any(m.startswith("claims[1].killed.low = 17: derived.") for m in messages)
    assert any("claims[1].place.phrase" in m and '"Mayadin"' in m for m in messages)
    assert [f.path for f in report.for_claim(2)][0].startswith("claims[2]")
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(render_findings(report, only_problems=True))
    out = console.export_text()
    assert "claims[1].killed.low" in out and "claims[0]" not in out


def test_policies(hajin: str) -> None:
    assert POLICIES == ("strict", "flag", "off")
    result = _mixed_result(hajin)
    report = ground(result, hajin)
    assert apply_policy(result, report, "off") is result
    flagged = apply_policy(result, report, "flag")
    assert len(flagged.claims) == 3 and flagged.findings == report.findings
    strict = apply_policy(result, report, "strict")
    assert [c.killed.low for c in strict.claims if c.killed] == [20, 40]
    assert len(strict.dropped) == 1 and strict.dropped[0].killed.low == 17
    assert any("claims[1] moved to dropped[0]" in n for n in strict.provenance.notes)
    paths = {f.path for f in strict.findings}
    assert "dropped[0].killed.low" in paths and "claims[1].killed.low" in paths  # re-indexed: 40 is claims[1] now
    assert strict.findings_for(1)[0].path.startswith("claims[1]")
    assert all(f.ok for f in strict.findings if f.path.startswith("claims["))
    with pytest.raises(ConfigError):
        apply_policy(result, report, "lenient")


def test_claims_validator_messages_name_path_value_and_text(hajin: str) -> None:
    validate = claims_validator()
    index = EvidenceIndex.build(Article(text=hajin))
    claims = ClaimList(claims=_mixed_result(hajin).claims)
    problems = validate(claims, index)
    assert len(problems) == 3
    assert any("claims[1].killed.low = 17" in p and "'nine' and 'eight'" in p for p in problems)
    assert validate(ClaimList(claims=[claims.claims[0]]), index) == []


# ----------------------------------------------------------------------------- grounded by construction


def _sentence(index: EvidenceIndex, start: str) -> str:
    return next(s.text for s in index.sentences if s.text.startswith(start))


def test_grounded_schema_enums_and_from_grounded(hajin: str) -> None:
    index = EvidenceIndex.build(Article(text=hajin))
    lede = _sentence(index, "Twenty civilians")
    schema = grounded_schema(index)
    count = schema["$defs"]["Count"]
    assert set(count["properties"]) == {"phrase"}
    assert {"Twenty", "at least 40", "nine", "eight", "11"} <= set(count["properties"]["phrase"]["enum"])
    place_enum = schema["$defs"]["Place"]["properties"]["phrase"]["enum"]
    assert "Hajin" in place_enum and "Mayadin" not in place_enum
    claimant = schema["$defs"]["Attribution"]["properties"]["claimant"]["anyOf"][0]["enum"]
    assert "Local sources" in claimant and "SANA" in claimant
    assert HAJIN_SOURCES in schema["$defs"]["Evidence"]["properties"]["quote"]["enum"]
    reply = {"claims": [{"kind": "incident", "killed": {"phrase": "Twenty"}, "women_killed": {"phrase": "eight"},
                         "injured": {"phrase": "at least 40", "low": 999}, "place": {"phrase": "Hajin"},
                         "date": {"phrase": "on Saturday"}, "attribution": {"claimant": "Local sources",
                                                                            "relays": ["SANA"]},
                         "evidence": [{"quote": lede}, {"quote": HAJIN_SOURCES}]}]}
    claims = from_grounded(reply, index).claims
    c = claims[0]
    assert (c.killed.low, c.killed.high, c.killed.qualifier) == (20, 20, Qualifier.exact)
    assert (c.injured.low, c.injured.high, c.injured.qualifier) == (40, None, Qualifier.at_least)  # 999 replaced
    assert c.women_killed.low == 8 and c.date.phrase == "on Saturday" and c.date.date is None
    assert hajin[c.evidence[1].start:c.evidence[1].end] == HAJIN_SOURCES
    # a schema of the text's phrases cannot stop a phrase of another sentence: grounding still flags it
    report = ground(ClaimList(claims=claims), hajin)
    assert [f.path for f in report.unsupported] == ["claims[0].injured.phrase", "claims[0].injured.low"]
    assert report.by_path["claims[0].injured.low"].verdict is Verdict.misattached


# ----------------------------------------------------------------------------- the LLM extractor


def reask_replies() -> tuple[dict[str, Any], dict[str, Any]]:
    """The two replies of the re-ask test (Hajin article): ungrounded first, fixed second.

    Reused by the cassette version of the test: keep them plain data.
    """
    bad = {"claims": [{
        "kind": "incident",
        "attribution": {"claimant": "Local sources", "relays": ["SANA"], "outlet": "Press TV"},
        "place": {"phrase": "Mayadin", "province": "Deir Ezzor", "country": "Syria"},
        "killed": {"phrase": "nine children and eight women", "low": 17, "high": 17, "qualifier": "exact"},
        "evidence": [{"quote": HAJIN_SOURCES}],
    }]}
    good = {"claims": [{
        "kind": "incident",
        "attribution": {"claimant": "Local sources", "relays": ["SANA"], "outlet": "Press TV"},
        "place": {"phrase": "Hajin", "province": "Deir Ezzor", "country": "Syria"},
        "killed": {"phrase": "Twenty", "low": 20, "high": 20, "qualifier": "exact"},
        "children_killed": {"phrase": "nine", "low": 9, "high": 9, "qualifier": "exact"},
        "women_killed": {"phrase": "eight", "low": 8, "high": 8, "qualifier": "exact"},
        "evidence": [{"quote": HAJIN_LEDE}, {"quote": HAJIN_SOURCES}],
    }]}
    return bad, good


def _config(url: str, profile: str = "llamacpp") -> EndpointConfig:
    return EndpointConfig(base_url=url, model="scripted-model", profile=profile, transport_retries=0, reask_budget=2,
                          timeout=20)


def test_reask_until_grounded(hajin: str) -> None:
    from llmextract.extractors.llm import LLMExtractor
    from llmextract.testing.scripted import ok, scripted_server

    bad, good = reask_replies()
    article = Article(text=hajin)
    with scripted_server(script=[ok(bad), ok(good)]) as server:
        with LLMExtractor(_config(server.url), validator=claims_validator()) as llm:
            result = llm.extract(article)
        assert server.count == 2
        second = server.requests[-1]
        assert second.reasks == 1
        sent_back = "\n".join(m.get("content") or "" for m in second.messages[-2:])
        assert "claims[0].killed.low = 17: derived" in sent_back
        assert "claims[0].place.phrase" in sent_back and "Mayadin" in sent_back
    assert result.provenance.attempts == 2
    assert [json.loads(r) for r in result.provenance.raw_replies] == [bad, good]
    assert [c.killed.low for c in result.claims] == [20]
    assert ground(result, article).ok


def test_grounded_schema_sent_and_reply_converted(hajin: str) -> None:
    from llmextract.extractors.llm import LLMExtractor
    from llmextract.testing.scripted import ok, scripted_server

    article = Article(text=hajin)
    lede = _sentence(EvidenceIndex.build(article), "Twenty civilians")
    reply = {"claims": [{"kind": "incident", "killed": {"phrase": "Twenty"}, "children_killed": {"phrase": "nine"},
                         "place": {"phrase": "Hajin", "province": None, "country": None},
                         "attribution": {"claimant": "Local sources", "relays": ["SANA"], "outlet": None},
                         "evidence": [{"quote": lede}, {"quote": HAJIN_SOURCES}]}]}
    for profile in ("llamacpp", "vllm"):
        with scripted_server(script=[ok(reply)]) as server:
            with LLMExtractor(_config(server.url, profile), use_grounded_schema=True,
                              validator=claims_validator()) as llm:
                result = llm.extract(article)
            body = server.requests[0].json
        fmt = body["response_format"]
        schema = fmt["schema"] if profile == "llamacpp" else fmt["json_schema"]["schema"]
        enum = schema["$defs"]["Count"]["properties"]["phrase"]["enum"]
        assert "Twenty" in enum and "17" in enum and "nine children and eight women" not in enum
        assert "low" not in schema["$defs"]["Count"]["properties"]
        assert server.count == 1
        c = result.claims[0]
        assert (c.killed.low, c.killed.high, c.children_killed.low) == (20, 20, 9)
        assert hajin[c.evidence[1].start:c.evidence[1].end] == HAJIN_SOURCES
        assert ground(result, article).ok
    # off by default: the plain schema goes out
    with scripted_server(script=[ok(reply)]) as server:
        with LLMExtractor(_config(server.url)) as llm:
            llm.extract(article)
        plain = server.requests[0].json["response_format"]["schema"]
    assert "low" in plain["$defs"]["Count"]["properties"]
