"""The review page: one self-contained HTML file showing every claim, its quotes and its grounding.

::

    page = render_review("results.jsonl", articles="articles/")   # a str; write it to review.html

One file, inline CSS and JavaScript, nothing fetched when it is viewed (its Content-Security-Policy
allows no network at all, and only the page's own script, by its hash). For each article:

* the text, every grounded span highlighted by its verdict (green: exact or normalised; yellow:
  alias or fuzzy; orange: derived; red: misattached or unsupported), evidence quotes underlined;
* the claims, one row each; a click on a row (or Enter on it) scrolls the text to the row's spans
  and marks them;
* below a row, in red, each of its flagged values (unsupported, misattached, derived) with the
  grounder's reason, and each value grounding did not check;
* the claims the strict policy dropped, and an article's error record, in red.

A toolbar filters the articles with problems and searches the page. Keys: ``j`` / ``k`` next /
previous article, ``n`` / ``p`` next / previous problem, ``r`` / ``w`` mark the selected claim
right / wrong, ``/`` search, ``Esc`` clear. Printing gives the articles without the controls.

**Decisions.** Each claim can be marked right or wrong, and its killed, injured and casualties
counts (casualties: killed and injured together, never split by the source), its
place and its claimant corrected; the page keeps the decisions (in the browser's local storage
too, so a reload keeps them). ``window.llmxSave()`` returns them as a JSON string and the *save*
button downloads that file: the review file format that
:func:`llmextract.review.results.read_results` reads as gold (documented there).

Every value from the results and every character of an article is escaped: article text is
untrusted input. Links are kept only for http(s) URLs.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmextract.review._claims import (
    BREAKDOWNS,
    ClaimStatus,
    claim_index,
    claim_status,
    count_text,
    date_text,
    event_date_text,
    finding_field,
    place_text,
)
from llmextract.review.results import ResultRecord, ResultSet, read_articles, read_results
from llmextract.schema import Article, Claim, Verdict

__all__ = ["render_review", "write_review"]

_PROBLEM = {Verdict.unsupported: 3, Verdict.misattached: 3, Verdict.derived: 2}
_RANK = {Verdict.unsupported: 7, Verdict.misattached: 6, Verdict.derived: 5, Verdict.fuzzy: 4, Verdict.alias: 3,
         Verdict.normalized: 2, Verdict.exact: 1}


def _e(value: Any) -> str:
    """Escape for HTML text and attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def _safe_url(url: str | None) -> str | None:
    if not url:
        return None
    u = url.strip()
    return u if u.lower().startswith(("http://", "https://")) else None


def _json_for_script(obj: Any) -> str:
    """JSON that cannot end the <script> element holding it, nor start a comment or markup."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                 ("\u2029", "\\u2029")):
        text = text.replace(a, b)
    return text


# ------------------------------------------------------------------------------------------ spans


@dataclass
class _Mark:
    start: int
    end: int
    claim: str | None  # "c0" (claims[0]), "d1" (dropped[1]) or None
    quote: bool
    verdict: Verdict | None  # None: an evidence offset without a finding
    finding: int | None


@dataclass
class _View:
    record: ResultRecord
    article: Article | None
    marks: list[_Mark] = field(default_factory=list)
    span_notes: list[str] = field(default_factory=list)
    statuses: dict[str, ClaimStatus] = field(default_factory=dict)
    problems: int = 0


def _claim_key(path: str) -> str | None:
    where = claim_index(path)
    if where is None:
        return None
    return ("c" if where[0] == "claims" else "d") + str(where[1])


def _collect_marks(view: _View) -> None:
    result = view.record.result
    text = view.article.text if view.article is not None else None
    if result is None or text is None:
        return
    bad_spans = 0
    for k, f in enumerate(result.findings):
        key = _claim_key(f.path)
        is_quote = f.path.endswith(".quote") or ".evidence[" in f.path
        for s in f.spans:
            if not (0 <= s.start < s.end <= len(text)) or text[s.start:s.end] != s.text:
                bad_spans += 1
                continue
            view.marks.append(_Mark(s.start, s.end, key, is_quote, f.verdict, k))
    for prefix, claims in (("c", result.claims), ("d", result.dropped)):
        for i, claim in enumerate(claims):
            for ev in claim.evidence:
                if ev.start is None or ev.end is None:
                    continue
                if 0 <= ev.start < ev.end <= len(text) and text[ev.start:ev.end] == ev.quote:
                    view.marks.append(_Mark(ev.start, ev.end, f"{prefix}{i}", True, None, None))
    if bad_spans:
        view.span_notes.append(f"{bad_spans} span(s) do not match this text and are not shown: is the "
                               "article text the one the results were made from?")


def _highlight(text: str, marks: list[_Mark]) -> str:
    """The text, escaped, each stretch covered by marks wrapped in one <span> carrying all of them."""
    if not marks:
        return _e(text)
    bounds = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    out: list[str] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a >= b:
            continue
        covering = [m for m in marks if m.start <= a and b <= m.end]
        piece = _e(text[a:b])
        if not covering:
            out.append(piece)
            continue
        values = [m for m in covering if not m.quote and m.verdict is not None]
        quotes = [m for m in covering if m.quote]
        classes = ["hl"]
        if quotes:
            classes.append("q")
            if any(m.verdict is not None and m.verdict in _PROBLEM for m in quotes):
                classes.append("qbad")
        if values:
            worst = max(values, key=lambda m: _RANK.get(m.verdict, 0) if m.verdict is not None else 0)
            assert worst.verdict is not None
            classes.append(f"v-{worst.verdict.value}")
            if worst.verdict in _PROBLEM:
                classes.append("bad")
        claims = " ".join(dict.fromkeys(m.claim for m in covering if m.claim))
        finds = " ".join(dict.fromkeys(f"f{m.finding}" for m in covering if m.finding is not None))
        title = "; ".join(dict.fromkeys(m.verdict.value for m in covering if m.verdict is not None))
        out.append(f'<span class="{" ".join(classes)}" data-c="{_e(claims)}" data-f="{_e(finds)}"'
                   f' title="{_e(title)}">{piece}</span>')
    return "".join(out)


# ------------------------------------------------------------------------------------------ claims


def _field_problem(status: ClaimStatus, prefix: str, name: str) -> bool:
    for f in status.flagged:
        if finding_field(f.path.replace(prefix, "claims[0]", 1)) == name:
            return True
    return any(finding_field(p.replace(prefix, "claims[0]", 1)) == name for p, _ in status.unchecked)


def _cell(content: str, bad: bool, cls: str = "") -> str:
    classes = " ".join(c for c in (cls, "bad" if bad else "") if c)
    return f'<td class="{classes}">{content}</td>' if classes else f"<td>{content}</td>"


def _show_value(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value) if not isinstance(value, str) else f"“{value}”"


def _short(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[: n - 1].rstrip() + "…"


def _problem_items(status: ClaimStatus, prefix: str) -> list[str]:
    items = []
    for f in status.flagged:
        path = f.path[len(prefix) + 1:]
        reason = f" — {_e(f.reason)}" if f.reason else ""
        items.append(f'<li class="bad"><b>{_e(path)}</b> = {_e(_show_value(f.value))}: '
                     f'<span class="verdict">{_e(f.verdict.value)}</span>{reason}</li>')
    for path, value in status.unchecked:
        items.append(f'<li class="bad"><b>{_e(path[len(prefix) + 1:])}</b> = {_e(_show_value(value))}: '
                     '<span class="verdict">unchecked</span> — no grounding finding covers this value</li>')
    return items


def _claim_rows(view: _View, claim: Claim, prefix: str, key: str, index: int, dropped: bool) -> str:
    result = view.record.result
    assert result is not None
    status = claim_status(result, claim, prefix)
    view.statuses[key] = status
    n_problems = status.problems + (1 if dropped else 0)
    view.problems += n_problems
    a = claim.attribution
    who = _e(a.claimant or "")
    if a.relays:
        who += ' <span class="via">via ' + _e(" > ".join(a.relays)) + "</span>"
    if a.outlet:
        who += ' <span class="via">in ' + _e(a.outlet) + "</span>"
    breakdown = ", ".join(f"{b.split('_')[0]} {count_text(getattr(claim, b))}" for b in BREAKDOWNS
                          if getattr(claim, b) is not None)
    fp = lambda name: _field_problem(status, prefix, name)  # noqa: E731
    counts = (f'<span class="ok">{len(status.grounded)}✓</span> '
              f'<span class="{"bad" if status.flagged else "muted"}">{len(status.flagged)}✗</span> '
              f'<span class="{"bad" if status.unchecked else "muted"}">{len(status.unchecked)}?</span>')
    classes = ["claim"] + (["has-problem"] if n_problems else []) + (["dropped"] if dropped else [])
    cells = [
        f'<td class="idx">{_e(("dropped " if dropped else "") + str(index))}</td>',
        _cell(_e(claim.kind.value), False, "kind"),
        _cell(who, fp("claimant") or fp("relays") or fp("outlet")),
        _cell(_e(date_text(claim)) + (f' <span class="via">reported {_e(event_date_text(claim.reported))}</span>'
                                      if claim.reported is not None else ""), fp("date")),
        _cell(_e(place_text(claim)), fp("place")),
        _cell(_e(claim.perpetrator or ""), fp("perpetrator")),
        _cell(_e(count_text(claim.killed)) + (f' <span class="phrase">“{_e(_short(claim.killed.phrase))}”</span>'
                                              if claim.killed and claim.killed.phrase else ""), fp("killed")),
        _cell(_e(count_text(claim.injured)) + (f' <span class="via">casualties {_e(count_text(claim.casualties))}'
                                               '</span>' if claim.casualties is not None else ""),
              fp("injured") or fp("casualties")),
        _cell(_e(breakdown), fp("breakdowns")),
        _cell(counts, False, "status"),
    ]
    controls = "" if dropped else _controls(claim)
    cells.append(f'<td class="decide">{controls}</td>')
    problems = _problem_items(status, prefix)
    if dropped:
        problems.insert(0, '<li class="bad">dropped by the strict grounding policy</li>')
    quotes = " ".join(f'<span class="qref">[{ev.start}–{ev.end}]</span>' if ev.start is not None else ""
                      for ev in claim.evidence)
    extra = ""
    if problems or quotes:
        extra = ('<tr class="detail"><td></td><td colspan="11">'
                 + (f'<ul class="problems">{"".join(problems)}</ul>' if problems else "")
                 + (f'<div class="quotes">quotes {quotes}</div>' if quotes.strip() else "") + "</td></tr>")
    return (f'<tbody class="{" ".join(classes)}" data-claim="{key}" data-index="{index}" '
            f'data-problems="{n_problems}" tabindex="0"><tr class="main">{"".join(cells)}</tr>{extra}</tbody>')


def _controls(claim: Claim) -> str:
    def num(name: str, bound: str) -> str:
        c = getattr(claim, name)
        value = getattr(c, bound) if c is not None else None
        return (f'<label>{name} {bound} <input type="number" min="0" step="1" data-fix="{name}.{bound}" '
                f'value="{_e("" if value is None else value)}"></label>')

    place = claim.place.name or claim.place.phrase if claim.place is not None else ""
    return ('<span class="buttons"><button type="button" class="mark" data-v="right" title="right (r)">✓ right'
            '</button><button type="button" class="mark" data-v="wrong" title="wrong (w)">✗ wrong</button></span>'
            '<details class="fix"><summary>correct…</summary>'
            f'{num("killed", "low")}{num("killed", "high")}{num("injured", "low")}{num("injured", "high")}'
            f'{num("casualties", "low")}{num("casualties", "high")}'
            f'<label>place <input type="text" data-fix="place" value="{_e(place)}"></label>'
            f'<label>claimant <input type="text" data-fix="claimant" value="{_e(claim.attribution.claimant or "")}">'
            '</label><button type="button" class="reset">undo corrections</button></details>')


# ------------------------------------------------------------------------------------------ page


def _article_section(n: int, view: _View) -> str:
    rec, art = view.record, view.article
    title = rec.title or (art.title if art else None) or rec.key or f"article {n + 1}"
    url = rec.url or (art.url if art else None)
    href = _safe_url(url)
    meta: list[str] = []
    if url:
        meta.append(f'<a href="{_e(href)}" rel="noopener noreferrer">{_e(url)}</a>' if href
                    else f'<span class="url">{_e(url)}</span>')
    outlet = rec.outlet or (art.outlet if art else None)
    if outlet:
        meta.append(_e(outlet))
    published = rec.published or (rec.result.published if rec.result else None) or (art.published if art else None)
    if published:
        meta.append(f"published {_e(published.isoformat())}")
    meta.append(f'id <code>{_e(rec.key)}</code>')
    result = rec.result
    body: list[str] = []
    if result is not None:
        prov = result.provenance
        meta.append(_e(f"{prov.extractor}" + (f" · {prov.model}" if prov.model else "")))
        rows = [_claim_rows(view, c, f"claims[{i}]", f"c{i}", i, False) for i, c in enumerate(result.claims)]
        rows += [_claim_rows(view, c, f"dropped[{i}]", f"d{i}", i, True) for i, c in enumerate(result.dropped)]
        other = [f for f in result.findings if _claim_key(f.path) is None and not f.ok]
        view.problems += len(other)
        head = ("<thead><tr><th>#</th><th>kind</th><th>claimant</th><th>date</th><th>place</th><th>perpetrator</th>"
                "<th>killed</th><th>injured · casualties</th><th>breakdown</th><th>grounding</th>"
                "<th class=\"decide\">decision</th></tr></thead>")
        table = (f'<table class="claims">{head}{"".join(rows)}</table>' if rows
                 else '<p class="muted">no claims</p>')
        body.append(table)
        if other:
            items = "".join(f'<li class="bad"><b>{_e(f.path)}</b>: {_e(f.verdict.value)} — {_e(f.reason)}</li>'
                            for f in other)
            body.append(f'<ul class="problems">{items}</ul>')
    else:
        err = rec.error or {}
        view.problems += 1
        body.append(f'<p class="bad error">failed: {_e(err.get("kind") or err.get("type") or "error")}: '
                    f'{_e(err.get("message") or "")}</p>')
    for note in view.span_notes:
        body.append(f'<p class="bad">{_e(note)}</p>')
    if art is not None:
        text_html = f'<div class="text" tabindex="-1">{_highlight(art.text, view.marks)}</div>'
    else:
        text_html = ('<div class="text notext muted">The article text is not in the results: pass the articles '
                     '(the batch input, <code>--articles</code>) to see the quotes highlighted.</div>')
    classes = "article" + (" has-problems" if view.problems else "")
    return (f'<section class="{classes}" id="a{n}" data-n="{n}" data-problems="{view.problems}">'
            f'<header><h2><span class="num">{n + 1}</span> {_e(title)}</h2>'
            f'<div class="meta">{" · ".join(meta)}'
            f' · <span class="{"bad" if view.problems else "ok"}">{view.problems} problem(s)</span></div></header>'
            f'<div class="cols"><div class="left">{"".join(body)}</div>{text_html}</div></section>')


def _page_data(views: list[_View], title: str) -> dict[str, Any]:
    arts = []
    for v in views:
        rec = v.record
        result = None
        if rec.result is not None:
            result = rec.result.model_dump(mode="json", exclude={"findings", "dropped"})
            result["provenance"].pop("raw_replies", None)
        arts.append({"id": rec.article_id, "content_hash": rec.content_hash, "url": rec.url,
                     "title": rec.title or (v.article.title if v.article else None),
                     "outlet": rec.outlet or (v.article.outlet if v.article else None),
                     "published": rec.published.isoformat() if rec.published else None, "result": result})
    data = {"title": title, "articles": arts}
    data["page_id"] = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
    return data


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode() + "'"


def render_review(results: str | Path | ResultSet | Iterable[Any],
                  articles: str | Path | Iterable[Article] | Mapping[str, Article] | None = None, *,
                  title: str = "llmextract review") -> str:
    """The review page for ``results`` (anything :func:`read_results` reads), as one HTML string.

    ``articles`` supplies the texts the results do not carry (a folder of ``.txt``, the batch
    input JSONL, or Articles), joined on the article id, else the content hash.
    """
    rs = read_results(results)
    texts = read_articles(articles)
    views: list[_View] = []
    for rec in rs:
        art = rec.article()
        if art is None:
            art = texts.get(rec.article_id or "") or texts.get(rec.content_hash or "")
            if art is not None and rec.content_hash and art.content_hash != rec.content_hash and \
                    texts.get(rec.content_hash) is not None:
                art = texts[rec.content_hash]
        view = _View(rec, art)
        if art is not None and rec.content_hash and art.content_hash != rec.content_hash:
            view.span_notes.append("this text's content hash differs from the one the result was made from")
        _collect_marks(view)
        views.append(view)
    sections = [_article_section(n, v) for n, v in enumerate(views)]
    n_claims = sum(len(v.record.result.claims) for v in views if v.record.result is not None)
    n_problem_articles = sum(1 for v in views if v.problems)
    data = _page_data(views, title)
    problems_note = "".join(f"<li>{_e(p)}</li>" for p in rs.problems)
    csp = (f"default-src 'none'; script-src {_csp_hash(_JS)}; style-src {_csp_hash(_CSS)}; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        '<div class="toolbar" role="toolbar">'
        f'<strong>{_e(title)}</strong>'
        f'<span class="stats">{len(views)} article(s), {n_claims} claim(s), '
        f'<span class="{"bad" if n_problem_articles else "ok"}">{n_problem_articles} with problems</span></span>'
        '<label><input type="checkbox" id="only-problems"> only articles with problems</label>'
        '<input type="search" id="search" placeholder="search (/)" aria-label="search">'
        '<span id="shown" class="muted"></span>'
        '<span id="decided" class="muted">0 decisions</span>'
        '<button type="button" id="save">save decisions</button>'
        '<span class="keys muted">j/k article · n/p problem · r/w mark · / search</span>'
        '</div>'
        '<div class="legend"><span class="hl v-exact">exact</span> <span class="hl v-normalized">normalised</span> '
        '<span class="hl v-alias">alias</span> <span class="hl v-fuzzy">fuzzy</span> '
        '<span class="hl v-derived bad">derived</span> <span class="hl v-misattached bad">misattached</span> '
        '<span class="hl v-unsupported bad">unsupported</span> <span class="hl q">quote</span></div>'
        + (f'<ul class="problems bad">{problems_note}</ul>' if problems_note else "")
        + f'<main>{"".join(sections)}</main>'
        f'<script type="application/json" id="llmx-data">{_json_for_script(data)}</script>'
        f"<script>{_JS}</script></body></html>\n"
    )


def write_review(results: Any, out: str | Path, articles: Any = None, *, title: str = "llmextract review") -> Path:
    """Render the review page and write it to ``out`` (UTF-8); the path written."""
    path = Path(out)
    path.write_text(render_review(results, articles, title=title), encoding="utf-8")
    return path


_CSS = """
:root{--bad:#b00020;--ok:#1b6e20;--muted:#666;--sel:#1a56db}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#111;background:#fafafa}
.toolbar{position:sticky;top:0;z-index:5;display:flex;flex-wrap:wrap;gap:.8em;align-items:center;padding:.5em 1em;
 background:#fff;border-bottom:1px solid #ccc}
.toolbar input[type=search]{min-width:16em;padding:.2em .4em}
.legend{padding:.3em 1em;font-size:12px}
main{padding:0 1em 4em}
section.article{background:#fff;border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.6em .9em}
section.article.current{border-color:var(--sel)}
section.article.hidden{display:none}
section.article h2{font-size:16px;margin:.1em 0}
.num{color:var(--muted);font-weight:normal}
.meta{font-size:12px;color:var(--muted);overflow-wrap:anywhere}
.cols{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:1em;margin-top:.5em}
.text{white-space:pre-wrap;font-family:Georgia,serif;font-size:14px;line-height:1.6;max-height:75vh;overflow-y:auto;
 border:1px solid #eee;padding:.5em .7em;background:#fffef8}
table.claims{border-collapse:collapse;width:100%;font-size:13px}
table.claims th{text-align:left;font-weight:600;border-bottom:2px solid #ccc;padding:.2em .3em}
table.claims td{padding:.25em .3em;vertical-align:top;border-bottom:1px solid #eee}
tbody.claim{cursor:pointer}
tbody.claim:hover{background:#f3f7ff}
tbody.claim.selected{background:#e3ecff;outline:2px solid var(--sel)}
tbody.claim.dropped{opacity:.85;background:#fff3f3}
tbody.claim.dec-right td.idx{border-left:5px solid var(--ok)}
tbody.claim.dec-wrong td.idx{border-left:5px solid var(--bad)}
tbody.claim.dec-wrong tr.main td{text-decoration:line-through;text-decoration-color:var(--bad)}
tbody.claim.dec-wrong tr.main td.decide{text-decoration:none}
tbody.claim.corrected td.idx::after{content:" ✎";color:var(--sel)}
td.bad,.bad{color:var(--bad)}
td.bad{font-weight:600}
.ok{color:var(--ok)}
.muted{color:var(--muted)}
.via,.phrase{color:var(--muted);font-size:12px}
ul.problems{margin:.2em 0 .2em 1.2em;padding:0;font-size:12px}
.verdict{font-weight:600;text-transform:uppercase;font-size:11px}
.quotes{font-size:11px;color:var(--muted)}
.decide button.mark{font-size:12px;padding:0 .3em;margin-right:.2em}
.decide button.mark.on[data-v=right]{background:#c8f0c8}
.decide button.mark.on[data-v=wrong]{background:#ffc9c9}
details.fix label{display:block;font-size:12px}
details.fix input{width:7em}
details.fix input[type=text]{width:12em}
details.fix input.invalid{outline:2px solid var(--bad)}
.hl.q{text-decoration:underline;text-decoration-color:#7a8cc7;text-decoration-thickness:1px}
.hl.qbad{text-decoration-color:var(--bad);text-decoration-style:wavy}
.hl.v-exact,.hl.v-normalized{background:#c9efc9}
.hl.v-alias,.hl.v-fuzzy{background:#eef5a8}
.hl.v-derived{background:#ffd8a8}
.hl.v-misattached,.hl.v-unsupported{background:#ffb8b8;color:var(--bad);font-weight:600}
.hl.active{background-color:#dbe6ff}
.hl.active[class*=" v-"]{outline:2px solid var(--sel)}
.hl.v-misattached.active,.hl.v-unsupported.active{background:#ff9a9a}
@media (max-width:900px){.cols{grid-template-columns:1fr}}
@media print{
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{background:#fff;font-size:11px}
 .toolbar,td.decide,th.decide,details.fix{display:none}
 .text{max-height:none;overflow:visible;border:none}
 .cols{grid-template-columns:1fr}
 section.article{break-before:page;border:none}
 section.article:first-of-type{break-before:auto}
 tbody.claim{break-inside:avoid}
 a[href]::after{content:" (" attr(href) ")"}
}
"""

_JS = r"""
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('llmx-data').textContent);
  var STORE = 'llmx-review:' + data.page_id;
  var decisions = {};
  try { decisions = JSON.parse(window.localStorage.getItem(STORE) || '{}') || {}; } catch (e) { decisions = {}; }
  var sections = Array.prototype.slice.call(document.querySelectorAll('section.article'));
  var selected = null;
  var current = 0;

  function keyOf(tb) { return tb.closest('section.article').dataset.n + ':' + tb.dataset.index; }
  function persist() {
    try { window.localStorage.setItem(STORE, JSON.stringify(decisions)); } catch (e) { /* private mode */ }
    var n = Object.keys(decisions).length;
    document.getElementById('decided').textContent = n + (n === 1 ? ' decision' : ' decisions');
  }
  function original(tb) {
    var art = data.articles[+tb.closest('section.article').dataset.n];
    return art && art.result ? art.result.claims[+tb.dataset.index] : null;
  }
  function showDecision(tb) {
    var d = decisions[keyOf(tb)] || {};
    tb.classList.toggle('dec-right', d.verdict === 'right');
    tb.classList.toggle('dec-wrong', d.verdict === 'wrong');
    tb.classList.toggle('corrected', !!(d.corrections && Object.keys(d.corrections).length));
    tb.querySelectorAll('button.mark').forEach(function (b) { b.classList.toggle('on', b.dataset.v === d.verdict); });
  }
  function setDecision(tb, change) {
    var k = keyOf(tb);
    var d = decisions[k] || {verdict: null, corrections: {}};
    change(d);
    if (!d.verdict && !Object.keys(d.corrections).length) { delete decisions[k]; } else { decisions[k] = d; }
    showDecision(tb);
    persist();
  }
  function mark(tb, verdict) {
    if (!tb || tb.classList.contains('dropped')) { return; }
    setDecision(tb, function (d) { d.verdict = d.verdict === verdict ? null : verdict; });
  }
  function readCount(tb, name) {
    var out = {};
    var ok = true;
    ['low', 'high'].forEach(function (b) {
      var input = tb.querySelector('input[data-fix="' + name + '.' + b + '"]');
      var raw = input.value.trim();
      var v = raw === '' ? null : Number(raw);
      var bad = v !== null && !(Number.isInteger(v) && v >= 0);
      input.classList.toggle('invalid', bad);
      if (bad) { ok = false; }
      out[b] = v;
    });
    return ok ? out : undefined;
  }
  function correct(tb, input) {
    var orig = original(tb) || {};
    var name = input.dataset.fix.split('.')[0];
    setDecision(tb, function (d) {
      if (name === 'killed' || name === 'injured' || name === 'casualties') {
        var c = readCount(tb, name);
        if (c === undefined) { return; }
        var o = orig[name] || {low: null, high: null};
        if (c.low === (o.low === undefined ? null : o.low) && c.high === (o.high === undefined ? null : o.high)) {
          delete d.corrections[name];
        } else { d.corrections[name] = c; }
      } else {
        var v = input.value.trim();
        var was = name === 'place' ? (orig.place ? (orig.place.name || orig.place.phrase) : '')
                                   : ((orig.attribution || {}).claimant || '');
        if (v === (was || '')) { delete d.corrections[name]; } else { d.corrections[name] = v === '' ? null : v; }
      }
    });
  }
  function resetCorrections(tb) {
    var orig = original(tb) || {};
    tb.querySelectorAll('input[data-fix]').forEach(function (input) {
      var parts = input.dataset.fix.split('.');
      var v = '';
      if (parts.length === 2) {
        var c = orig[parts[0]];
        v = c && c[parts[1]] != null ? c[parts[1]] : '';
      }
      else if (parts[0] === 'place') { v = orig.place ? (orig.place.name || orig.place.phrase) : ''; }
      else { v = (orig.attribution || {}).claimant || ''; }
      input.value = v;
      input.classList.remove('invalid');
    });
    setDecision(tb, function (d) { d.corrections = {}; });
  }
  function clearActive() {
    document.querySelectorAll('.hl.active, .hl.target').forEach(function (m) {
      m.classList.remove('active', 'target');
    });
    document.querySelectorAll('tbody.claim.selected').forEach(function (t) { t.classList.remove('selected'); });
  }
  function selectClaim(tb, scrollRow) {
    clearActive();
    selected = tb;
    tb.classList.add('selected');
    var sec = tb.closest('section.article');
    setCurrent(sections.indexOf(sec), false);
    var marks = sec.querySelectorAll('.hl[data-c~="' + tb.dataset.claim + '"]');
    marks.forEach(function (m) { m.classList.add('active'); });
    if (scrollRow) { tb.scrollIntoView({block: 'center'}); }
    var target = sec.querySelector('.hl.bad[data-c~="' + tb.dataset.claim + '"]') || marks[0];
    if (target) {
      var pane = sec.querySelector('.text');
      var box = pane.getBoundingClientRect();
      if (box.bottom < 0 || box.top > window.innerHeight) { pane.scrollIntoView({block: 'nearest'}); }
      pane.scrollTop += target.getBoundingClientRect().top - pane.getBoundingClientRect().top - pane.clientHeight / 3;
      target.classList.add('target');
      window.llmxTarget = target;
    }
    return target;
  }
  function visible() { return sections.filter(function (s) { return !s.classList.contains('hidden'); }); }
  function setCurrent(i, scroll) {
    if (i < 0 || i >= sections.length) { return; }
    sections.forEach(function (s) { s.classList.remove('current'); });
    current = i;
    sections[i].classList.add('current');
    if (scroll) { sections[i].scrollIntoView({block: 'start'}); }
  }
  function step(dir) {
    var vis = visible();
    if (!vis.length) { return; }
    var pos = vis.indexOf(sections[current]);
    var next = pos < 0 ? 0 : Math.min(vis.length - 1, Math.max(0, pos + dir));
    setCurrent(sections.indexOf(vis[next]), true);
  }
  function nextProblem(dir) {
    var all = [];
    visible().forEach(function (s) {
      var rows = s.querySelectorAll('tbody.claim.has-problem');
      if (rows.length) { rows.forEach(function (r) { all.push(r); }); } else if (+s.dataset.problems) { all.push(s); }
    });
    if (!all.length) { return; }
    var at = selected ? all.indexOf(selected) : -1;
    var item = all[(at + dir + all.length) % all.length];
    if (at < 0 && dir < 0) { item = all[all.length - 1]; }
    if (item.tagName === 'SECTION') { clearActive(); selected = null; setCurrent(sections.indexOf(item), true); }
    else { selectClaim(item, true); }
  }
  function applyFilter() {
    var only = document.getElementById('only-problems').checked;
    var q = document.getElementById('search').value.trim().toLowerCase();
    var shown = 0;
    sections.forEach(function (s) {
      var hide = (only && !s.classList.contains('has-problems')) ||
                 (q !== '' && s.textContent.toLowerCase().indexOf(q) < 0);
      s.classList.toggle('hidden', hide);
      if (!hide) { shown += 1; }
    });
    document.getElementById('shown').textContent = shown + ' of ' + sections.length + ' shown';
  }
  function save() {
    var byArticle = {};
    Object.keys(decisions).forEach(function (k) {
      var parts = k.split(':');
      (byArticle[parts[0]] = byArticle[parts[0]] || []).push({
        claim: +parts[1], verdict: decisions[k].verdict || null, corrections: decisions[k].corrections || {}});
    });
    var arts = [];
    Object.keys(byArticle).sort(function (a, b) { return a - b; }).forEach(function (n) {
      var a = data.articles[+n];
      if (!a || !a.result) { return; }
      arts.push({id: a.id, content_hash: a.content_hash, url: a.url, title: a.title, outlet: a.outlet,
                 published: a.published, result: a.result,
                 decisions: byArticle[n].sort(function (x, y) { return x.claim - y.claim; })});
    });
    return JSON.stringify({format: 'llmextract-review', version: 1, saved_at: new Date().toISOString(),
                           page: data.title, articles: arts}, null, 1);
  }
  window.llmxSave = save;
  window.llmxDecisions = function () { return JSON.parse(JSON.stringify(decisions)); };

  document.querySelectorAll('tbody.claim').forEach(function (tb) {
    showDecision(tb);
    tb.addEventListener('click', function (ev) {
      var t = ev.target;
      if (t.closest('button.mark')) { mark(tb, t.closest('button.mark').dataset.v); }
      else if (t.closest('button.reset')) { resetCorrections(tb); }
      if (t.closest('input, details, label, a')) { return; }
      selectClaim(tb, false);
    });
    tb.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' && ev.target === tb) { selectClaim(tb, false); }
    });
    tb.querySelectorAll('input[data-fix]').forEach(function (input) {
      input.addEventListener('change', function () { correct(tb, input); });
    });
  });
  document.getElementById('only-problems').addEventListener('change', applyFilter);
  document.getElementById('search').addEventListener('input', applyFilter);
  document.getElementById('save').addEventListener('click', function () {
    var blob = new Blob([save()], {type: 'application/json'});
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = 'review-decisions.json';
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  });
  document.addEventListener('keydown', function (ev) {
    var t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var typing = t && (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' ||
                       (t.tagName === 'INPUT' && ['checkbox', 'radio', 'button'].indexOf(t.type) < 0));
    if (typing) {
      if (ev.key === 'Escape') { t.blur(); }
      return;
    }
    var handled = true;
    switch (ev.key) {
      case 'j': step(1); break;
      case 'k': step(-1); break;
      case 'n': nextProblem(1); break;
      case 'p': nextProblem(-1); break;
      case 'r': mark(selected, 'right'); break;
      case 'w': mark(selected, 'wrong'); break;
      case '/': document.getElementById('search').focus(); break;
      case 'Escape': clearActive(); selected = null; break;
      default: handled = false;
    }
    if (handled) { ev.preventDefault(); }
  });
  if (sections.length) { setCurrent(0, false); }
  applyFilter();
  persist();
}());
"""
