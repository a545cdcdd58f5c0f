"""The review page in headless Chromium: highlights, red findings, a click that scrolls, decisions saved as gold.

The driver is the DevTools protocol over Chromium's own pipe (``--remote-debugging-pipe``: JSON
messages on file descriptors 3 and 4, each ended by a NUL byte), written here with the standard
library alone. It needs only Debian's ``chromium`` package: no WebDriver, no Node.js, no Python
package, nothing that downloads a browser of its own, and no port to open. Without a browser the
test is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmextract.review.html import render_review
from llmextract.review.results import apply_review, read_results
from llmextract.schema import (
    Attribution,
    Claim,
    ClaimKind,
    Count,
    Evidence,
    ExtractionResult,
    Finding,
    Place,
    Provenance,
    Span,
    Verdict,
)

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-pipe"]
TIMEOUT = 60.0  # seconds for one protocol answer; generous for a loaded 2-core machine


def _chromium() -> str | None:
    for name in (os.environ.get("LLMEXTRACT_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class BrowserError(RuntimeError):
    pass


class Chromium:
    """A headless Chromium driven through the DevTools protocol on its pipe."""

    def __init__(self, exe: str, profile: Path, log: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        high = [os.dup(fd) for fd in (to_child_r, from_child_w)]  # away from 3 and 4 before dup2 in the child
        for fd in (to_child_r, from_child_w):
            os.close(fd)

        def wire() -> None:
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self._log = log
        with log.open("wb") as err:
            self.proc = subprocess.Popen([exe, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                         stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                                         preexec_fn=wire, pass_fds=(3, 4), close_fds=True)
        for fd in high:
            os.close(fd)
        self._next = 0
        self._answers: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._closed = False
        threading.Thread(target=self._read, daemon=True).start()
        self.session: str | None = None

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_child, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._answers[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                    self._cond.notify_all()

    def send(self, method: str, params: dict[str, Any] | None = None, *, browser: bool = False) -> dict[str, Any]:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if self.session and not browser:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT
        with self._cond:
            while self._next not in self._answers:
                if self._closed:
                    raise BrowserError(f"chromium closed its pipe during {method}: {self.log_tail()}")
                if not self._cond.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise BrowserError(f"no answer to {method} in {TIMEOUT:.0f} s")
            answer = self._answers.pop(self._next)
        if "error" in answer:
            raise BrowserError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def wait_event(self, method: str) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        with self._cond:
            while True:
                for k, ev in enumerate(self.events):
                    if ev.get("method") == method:
                        return self.events.pop(k)
                if self._closed or not self._cond.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise BrowserError(f"no {method} event")

    def open(self, url: str, width: int = 1280, height: int = 900) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in res:
            raise BrowserError(f"script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (scrolled into view first)."""
        box = self.js(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                      "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
                      "return [r.left+r.width/2, r.top+Math.min(r.height/2, 10)];})()")
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def key(self, key: str) -> None:
        code = f"Key{key.upper()}" if len(key) == 1 and key.isalpha() else key
        vk = ord(key.upper()) if len(key) == 1 else 0
        self.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": key, "code": code, "text": key,
                                             "windowsVirtualKeyCode": vk})
        self.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code, "windowsVirtualKeyCode": vk})

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))

    def log_tail(self) -> str:
        try:
            return self._log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self.send("Browser.close", browser=True)
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=15)
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass


@contextlib.contextmanager
def launched(tmp_path: Path) -> Iterator[Chromium]:
    """A started browser, closed afterwards. Inside the test, so that under CI=true a browser that
    cannot start fails the test itself (FAILED, not a setup error, never a skip)."""
    exe = _chromium()
    in_ci = os.environ.get("CI", "").lower() == "true"
    if exe is None:
        if in_ci:
            pytest.fail("no chromium under CI=true: scripts/test.sh installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    b: Chromium | None = None
    try:
        b = Chromium(exe, tmp_path / "profile", tmp_path / "chromium.log")
        b.send("Browser.getVersion", browser=True)
    except (BrowserError, OSError) as exc:
        if b is not None:
            b.close()
        if in_ci:
            pytest.fail(f"chromium did not start under CI=true: {exc}")
        pytest.skip(f"chromium did not start: {exc}")
    try:
        yield b
    finally:
        b.close()


# ------------------------------------------------------------------------------------------ the page


FILLER = "".join(f"Paragraph {k} of background that names no figure at all.\n" for k in range(1, 80))
LEAD = "Shelling hit the river town of Qarabel on Tuesday, the district council said.\n"
CLOSING = ("The council said 14 people were killed and 6 were hurt in Qarabel.\n"
           "A separate statement said the market fire injured nine traders.\n")
HOSTILE = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">"


def _span(text: str, piece: str, start_at: int = 0) -> Span:
    s = text.index(piece, start_at)
    return Span(start=s, end=s + len(piece), text=piece)


def _page_results() -> tuple[list[ExtractionResult], dict[str, str]]:
    text = LEAD + FILLER + CLOSING + HOSTILE + "\n"
    sentence = CLOSING.splitlines()[0]
    s0 = text.index(sentence)
    claim = Claim(kind=ClaimKind.incident, attribution=Attribution(claimant="The council"),
                  place=Place(phrase="Qarabel", name="Qarabel"),
                  killed=Count(phrase="14", low=14, high=14), injured=Count(phrase="6", low=6, high=6),
                  evidence=[Evidence(quote=sentence, start=s0, end=s0 + len(sentence))])
    second = text.index("A separate statement")
    extra = Claim(kind=ClaimKind.incident, killed=Count(phrase="nine", low=19, high=19),
                  evidence=[Evidence(quote="A separate statement said the market fire injured nine traders.")])
    findings = [
        Finding(path="claims[0].attribution.claimant", value="The council", verdict=Verdict.exact,
                spans=[_span(text, "The council", s0)]),
        Finding(path="claims[0].place.phrase", value="Qarabel", verdict=Verdict.exact,
                spans=[_span(text, "Qarabel", s0)]),
        Finding(path="claims[0].killed.low", value=14, verdict=Verdict.exact, spans=[_span(text, "14", s0)]),
        Finding(path="claims[0].injured.low", value=6, verdict=Verdict.exact, spans=[_span(text, "6 were", s0)]),
        Finding(path="claims[0].evidence[0].quote", value=sentence, verdict=Verdict.exact,
                spans=[Span(start=s0, end=s0 + len(sentence), text=sentence)]),
        Finding(path="claims[1].killed.low", value=19, verdict=Verdict.unsupported,
                reason="no mention of 19 in the text"),
        Finding(path="claims[1].killed.phrase", value="nine", verdict=Verdict.misattached,
                spans=[_span(text, "nine", second)], reason="the phrase counts the injured, not the killed"),
    ]
    result = ExtractionResult(article_id="qarabel", content_hash=None, claims=[claim, extra], findings=findings,
                              provenance=Provenance(extractor="offline", model_used=False))
    quiet_text = "Nothing happened in the valley of Semra this week, officials said.\n"
    quiet = ExtractionResult(article_id="semra", claims=[], provenance=Provenance(extractor="offline",
                                                                                   model_used=False))
    return [result, quiet], {"qarabel": text, "semra": quiet_text}


def _write_page(tmp_path: Path) -> Path:
    from llmextract.schema import Article

    results, texts = _page_results()
    arts = [Article(text=t, id=k, title=f"Report on {k} {HOSTILE}", url="javascript:window.pwned=3")
            for k, t in texts.items()]
    page = tmp_path / "review.html"
    page.write_text(render_review(results, arts), encoding="utf-8")
    return page


def test_review_page_in_chromium(tmp_path: Path) -> None:
    with launched(tmp_path) as browser:
        _review_page_in_chromium(browser, tmp_path)


def _review_page_in_chromium(browser: Chromium, tmp_path: Path) -> None:
    page = _write_page(tmp_path)
    browser.open(page.as_uri())

    # the page ran its own script and nothing from the article text
    assert browser.js("typeof window.llmxSave") == "function"
    assert browser.js("typeof window.pwned") == "undefined"
    assert browser.js("document.querySelectorAll('section.article').length") == 2
    assert browser.js("document.querySelector('section#a0 .text').textContent").count("<script>") == 1

    # highlighted spans, by verdict
    marks = browser.js("Array.from(document.querySelectorAll('#a0 .hl')).map(e => [e.className, e.textContent])")
    classes = {c for c, _ in marks}
    assert any("v-exact" in c and t == "14" for c, t in marks)
    assert any("v-misattached" in c and "bad" in c and t == "nine" for c, t in marks)
    assert any(" q" in f" {c}" for c in classes)
    # red findings with their reasons, and an unchecked value
    red = browser.js("Array.from(document.querySelectorAll('#a0 ul.problems li.bad')).map(e => e.textContent)")
    assert any("unsupported" in r and "no mention of 19" in r for r in red)
    assert any("misattached" in r and "counts the injured" in r for r in red)
    assert browser.js("getComputedStyle(document.querySelector('#a0 ul.problems li.bad')).color") == \
        "rgb(176, 0, 32)"

    # a click on the first claim's row scrolls the text to its spans and marks them
    pane_top = browser.js("document.querySelector('#a0 .text').scrollTop")
    assert pane_top == 0
    browser.click('#a0 tbody.claim[data-claim="c0"] td.kind')
    state = browser.js("""(function(){
        var pane = document.querySelector('#a0 .text'), t = window.llmxTarget;
        var p = pane.getBoundingClientRect(), r = t.getBoundingClientRect();
        return {scroll: pane.scrollTop, inside: r.top >= p.top && r.bottom <= p.bottom,
                inViewport: r.top >= 0 && r.bottom <= window.innerHeight,
                active: Array.from(document.querySelectorAll('#a0 .hl.active')).map(e => e.textContent),
                targetClaims: t.dataset.c,
                selected: document.querySelector('tbody.claim.selected').dataset.claim};
    })()""")
    assert state["scroll"] > 0
    assert state["inside"] and state["inViewport"]
    assert "c0" in state["targetClaims"].split()
    assert state["selected"] == "c0"
    assert "14" in state["active"] and "Qarabel" in state["active"]
    assert not any("nine" in t for t in state["active"])

    # keyboard: next problem selects the claim with problems, and marks its misattached span as the target
    browser.key("n")
    assert browser.js("document.querySelector('tbody.claim.selected').dataset.claim") == "c1"
    assert browser.js("window.llmxTarget.textContent") == "nine"

    # keyboard: next / previous article
    browser.key("j")
    assert browser.js("document.querySelector('section.current').id") == "a1"
    browser.key("k")
    assert browser.js("document.querySelector('section.current').id") == "a0"

    # search: a word of the quiet article's title shows it alone
    browser.click("#search")
    browser.send("Input.insertText", {"text": "semra"})
    assert browser.js("Array.from(document.querySelectorAll('section.article:not(.hidden)')).map(s => s.id)") == \
        ["a1"]
    browser.js("(function(){var s=document.querySelector('#search'); s.value=''; "
               "s.dispatchEvent(new Event('input')); s.blur();})()")
    assert browser.js("document.querySelectorAll('section.article.hidden').length") == 0

    # printing: no toolbar, no decision controls, the whole text
    browser.send("Emulation.setEmulatedMedia", {"media": "print"})
    assert browser.js("getComputedStyle(document.querySelector('.toolbar')).display") == "none"
    assert browser.js("getComputedStyle(document.querySelector('td.decide')).display") == "none"
    assert browser.js("getComputedStyle(document.querySelector('.text')).maxHeight") == "none"
    browser.send("Emulation.setEmulatedMedia", {"media": ""})

    # filter: only articles with problems hides the quiet article
    browser.click("#only-problems")
    assert browser.js("document.querySelector('#a1').classList.contains('hidden')") is True
    assert browser.js("document.querySelector('#shown').textContent") == "1 of 2 shown"

    # mark claim 1 wrong with the key, claim 0 right with its button, and correct its killed count
    browser.key("w")
    browser.click('#a0 tbody.claim[data-claim="c0"] button.mark[data-v="right"]')
    browser.click('#a0 tbody.claim[data-claim="c0"] details.fix summary')
    browser.js("(function(){var i=document.querySelector("
               "'#a0 tbody.claim[data-claim=\"c0\"] input[data-fix=\"killed.low\"]'); i.focus(); i.select();})()")
    browser.send("Input.insertText", {"text": "15"})
    browser.js("document.activeElement.blur()")
    browser.js("(function(){var i=document.querySelector("
               "'#a0 tbody.claim[data-claim=\"c0\"] input[data-fix=\"killed.high\"]'); i.focus(); i.select();})()")
    browser.send("Input.insertText", {"text": "16"})
    browser.js("document.activeElement.blur()")
    # and give it a casualties figure (killed and injured together) it did not have
    browser.js("(function(){var i=document.querySelector("
               "'#a0 tbody.claim[data-claim=\"c0\"] input[data-fix=\"casualties.low\"]'); i.focus(); i.select();})()")
    browser.send("Input.insertText", {"text": "40"})
    browser.js("document.activeElement.blur()")
    assert browser.js("document.querySelector('#decided').textContent") == "2 decisions"

    saved = json.loads(browser.js("window.llmxSave()"))
    assert saved["format"] == "llmextract-review"
    [art] = saved["articles"]
    assert art["id"] == "qarabel"
    assert art["decisions"] == [
        {"claim": 0, "verdict": "right", "corrections": {"killed": {"low": 15, "high": 16},
                                                          "casualties": {"low": 40, "high": None}}},
        {"claim": 1, "verdict": "wrong", "corrections": {}},
    ]
    # the saved file reads back as gold: the right claim, corrected; the wrong one gone
    [gold] = apply_review(saved)
    assert gold.result is not None and len(gold.result.claims) == 1
    assert (gold.result.claims[0].killed.low, gold.result.claims[0].killed.high) == (15, 16)
    casualties = gold.result.claims[0].casualties
    assert casualties is not None and (casualties.low, casualties.high, casualties.qualifier) == (40, None, "at_least")
    out = tmp_path / "decisions.json"
    out.write_text(browser.js("window.llmxSave()"), encoding="utf-8")
    assert [r.article_id for r in read_results(out)] == ["qarabel"]

    # the decisions survive a reload (local storage)
    browser.send("Page.reload")
    browser.wait_event("Page.loadEventFired")
    assert browser.js("document.querySelector('#decided').textContent") == "2 decisions"
    assert browser.js("document.querySelector('#a0 tbody.claim[data-claim=\"c1\"]').classList.contains('dec-wrong')")

    shot = tmp_path / "review.png"
    browser.click('#a0 tbody.claim[data-claim="c0"] td.kind')
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_save_button_downloads_the_review_file(tmp_path: Path) -> None:
    with launched(tmp_path) as browser:
        _save_button_downloads(browser, tmp_path)


def _save_button_downloads(browser: Chromium, tmp_path: Path) -> None:
    page = _write_page(tmp_path)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads),
                                                 "eventsEnabled": True}, browser=True)
    browser.open(page.as_uri())
    browser.click('#a0 tbody.claim[data-claim="c1"] button.mark[data-v="wrong"]')
    browser.click("#save")
    deadline = time.monotonic() + TIMEOUT
    target = downloads / "review-decisions.json"
    while time.monotonic() < deadline and not target.exists():
        time.sleep(0.1)
    assert target.exists(), f"no download in {downloads}: {list(downloads.iterdir())}"
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["articles"][0]["decisions"] == [{"claim": 1, "verdict": "wrong", "corrections": {}}]
