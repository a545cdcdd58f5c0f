"""The review page as HTML: escaping of hostile text, spans that render the text losslessly, red findings."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

from llmextract.review.commands import review_command
from llmextract.review.html import render_review
from llmextract.review.results import ResultRecord
from llmextract.schema import (
    Article,
    Attribution,
    Claim,
    Count,
    EventDate,
    Evidence,
    ExtractionResult,
    Finding,
    Place,
    Provenance,
    Span,
    Verdict,
)

ROOT = Path(__file__).resolve().parent.parent
ATTACK = '</div><script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" \u2028'
TEXT = (f"Drones hit the depot at Marj Ayla, the governor said. {ATTACK}\n"
        "The governor said 5 guards died and 3 were injured at Marj Ayla.\n")


def _span(piece: str, after: int = 0) -> Span:
    s = TEXT.index(piece, after)
    return Span(start=s, end=s + len(piece), text=piece)


def _result(**kw: object) -> ExtractionResult:
    sentence = "The governor said 5 guards died and 3 were injured at Marj Ayla."
    s0 = TEXT.index(sentence)
    claim = Claim(attribution=Attribution(claimant='The governor"><script>alert(2)</script>'),
                  place=Place(phrase="Marj Ayla", name="Marj Ayla"),
                  killed=Count(phrase="5", low=5, high=5), injured=Count(phrase="3", low=3, high=3),
                  evidence=[Evidence(quote=sentence, start=s0, end=s0 + len(sentence))])
    findings = [
        Finding(path="claims[0].place.phrase", value="Marj Ayla", verdict=Verdict.exact,
                spans=[_span("Marj Ayla", s0)]),
        Finding(path="claims[0].killed.low", value=5, verdict=Verdict.exact, spans=[_span("5 guards", s0)]),
        Finding(path="claims[0].injured.low", value=3, verdict=Verdict.unsupported,
                reason="<b>no</b> such figure"),
        Finding(path="claims[0].evidence[0].quote", value=sentence, verdict=Verdict.exact,
                spans=[Span(start=s0, end=s0 + len(sentence), text=sentence)]),
        Finding(path="claims[0].killed.phrase", value="5", verdict=Verdict.misattached,
                spans=[_span("Marj Ayla")], reason="found only in another sentence"),
    ]
    return ExtractionResult(article_id="marj", claims=[claim], findings=findings,
                            provenance=Provenance(extractor="offline", model_used=False), **kw)


def _article() -> Article:
    return Article(text=TEXT, id="marj", title="Depot <b>strike</b>", url="javascript:alert(3)")


def _text_div(page: str, n: int = 0) -> str:
    m = re.search(rf'<section class="[^"]*" id="a{n}".*?<div class="text" tabindex="-1">(.*?)</div></div></section>',
                  page, re.S)
    assert m, "no text pane"
    return m.group(1)


def test_hostile_text_and_values_are_escaped() -> None:
    page = render_review([_result()], [_article()])
    # our two script elements only: the data and the code
    assert len(re.findall(r"<script\b", page)) == 2
    outside = re.sub(r"<script(?: type=\"application/json\" id=\"llmx-data\")?>.*?</script>", "", page, flags=re.S)
    assert "<script" not in outside and "onerror=" not in outside.replace("onerror=alert(1)&gt;", "")
    assert '<script>alert("x")' not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'The governor&quot;&gt;&lt;script&gt;alert(2)' in page
    assert "&lt;b&gt;no&lt;/b&gt; such figure" in page
    assert "Depot &lt;b&gt;strike&lt;/b&gt;" in page
    assert 'href="javascript' not in page and "javascript:alert(3)" in page  # shown, not linked
    # the embedded JSON cannot close its element
    data = re.search(r'<script type="application/json" id="llmx-data">(.*?)</script>', page, re.S).group(1)
    assert "<" not in data and ">" not in data and "\u2028" not in data
    parsed = json.loads(data)
    assert parsed["articles"][0]["result"]["claims"][0]["attribution"]["claimant"].endswith("</script>")


def test_csp_allows_only_the_pages_own_script_and_no_network() -> None:
    page = render_review([_result()], [_article()])
    csp = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1))
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    code = re.search(r"<script>(.*?)</script></body>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    assert base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() in csp
    assert not re.search(r"""\s(?:src|href)=["']?(?:https?:)?//""", page)  # nothing loaded from anywhere
    assert "<link" not in page and "@import" not in page


def test_text_renders_losslessly_with_spans_by_verdict() -> None:
    page = render_review([_result()], [_article()])
    body = _text_div(page)
    assert html.unescape(re.sub(r"<[^>]+>", "", body)) == TEXT
    assert "<span" in body and not re.search(r"<span[^>]*>[^<]*<span", body)  # flat, not nested
    marks = re.findall(r'<span class="([^"]+)" data-c="([^"]*)" data-f="[^"]*" title="[^"]*">([^<]*)</span>', body)
    by_text = {html.unescape(t): c for c, _, t in marks}
    assert "v-exact" in by_text["5 guards"] and " q" in f" {by_text['5 guards']}"
    # the misattached finding points at the first sentence's Marj Ayla: red there
    first = next(c for c, _, t in marks if t == "Marj Ayla")
    assert "v-misattached" in first and "bad" in first
    assert all(cl == "c0" for _, cl, _ in marks)


def test_red_findings_with_reasons_and_unchecked_values() -> None:
    page = render_review([_result()], [_article()])
    problems = re.findall(r'<li class="bad">(.*?)</li>', page)
    flat = [html.unescape(re.sub(r"<[^>]+>", "", p)) for p in problems]
    assert any(p.startswith("injured.low = 3: unsupported") and "<b>no</b> such figure" in p for p in flat)
    assert any("killed.phrase" in p and "misattached" in p for p in flat)
    assert any(p.startswith("place.name") and "unchecked" in p for p in flat)
    assert 'class="article has-problems"' in page
    assert re.search(r'<td class="bad">3</td>', page)  # the injured cell is red


def test_spans_that_do_not_match_the_text_are_not_drawn() -> None:
    other = Article(text="A different text of the same length, or not, with 5 in it.", id="marj")
    page = render_review([_result()], [other])
    assert "do not match this text" in page
    assert "hl v-" not in _text_div(page)


def test_no_text_errors_dropped_claims_and_join_on_hash() -> None:
    no_text = render_review([_result()])
    assert "The article text is not in the results" in no_text
    err = ResultRecord(article_id="late", error={"kind": "timeout", "message": "<no answer>"})
    page = render_review([err, _result(dropped=[Claim(killed=Count(phrase="50", low=50, high=50))])], [_article()])
    assert "failed: timeout: &lt;no answer&gt;" in page
    assert "dropped by the strict grounding policy" in page and 'data-claim="d0"' in page
    # a result under another id is joined to its text by the content hash
    art = _article()
    renamed = _result().model_copy(update={"article_id": "other", "content_hash": art.content_hash})
    joined = render_review([renamed], [art])
    assert "The article text is not in the results" not in joined


def test_review_command_writes_the_page_for_the_samples(tmp_path: Path) -> None:
    out = tmp_path / "review.html"
    line, code = review_command(ROOT / "examples" / "gold", out, articles=ROOT / "examples" / "articles")
    assert code == 0 and "5 article(s)" in line
    page = out.read_text(encoding="utf-8")
    assert page.count('<section class="article') == 5
    # gold has no findings: every checked value is unchecked, shown as a problem
    assert "unchecked" in page and "Soussa" in page


def test_casualties_and_the_report_date_are_shown_apart() -> None:
    text = "The clinic said on Friday that shelling of Tell Abra on Wednesday left 30 casualties.\n"
    quote = text.strip()
    claim = Claim(attribution=Attribution(claimant="The clinic"), place=Place(phrase="Tell Abra"),
                  date=EventDate(phrase="on Wednesday"), reported=EventDate(phrase="on Friday"),
                  casualties=Count(phrase="30", low=30, high=30), evidence=[Evidence(quote=quote, start=0,
                                                                                      end=len(quote))])
    res = ExtractionResult(article_id="ta", claims=[claim], provenance=Provenance(extractor="t", model_used=False))
    page = render_review([res], [Article(text=text, id="ta")])
    row = page[page.index('data-claim="c0"'):]
    row = row[:row.index("</tbody>")]
    assert "casualties 30" in row and "reported on Friday" in row
    assert "on Wednesday" in row.split("reported on Friday")[0]  # the event's date first, the report's apart
