"""The pytest plugin, used the way a user would: in a throwaway project, record once, then replay offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from llmextract.testing.scripted import echo_claims, scripted_server

pytest_plugins = ("pytester",)

FAKE_KEY = "sk-test-FAKE-1234567890"
BAGHOUZ = (
    "Local sources, speaking on condition of anonymity, told Syria's official news agency SANA that 50 people "
    "were killed and scores of others injured on Monday when US-led warplanes targeted families fleeing the "
    "besieged village of Baghouz near the Iraqi border.\n\nThe sources added that the death toll was expected "
    "to rise as some of the wounded were in critical condition.\n"
)

USER_TESTS = f'''
import pytest
from llmextract import extract

TEXT = {BAGHOUZ!r}


@pytest.mark.llmx_cassette("baghouz")
def test_baghouz(llmx_endpoint):
    result = extract(TEXT, endpoint=llmx_endpoint, api_key={FAKE_KEY!r}, profile="json")
    assert result.provenance.model_used
    assert result.claims[0].killed.low == 50


def test_default_name(llmx_cassette, llmx_endpoint):
    result = extract(TEXT.split("\\n")[0], endpoint=llmx_endpoint, api_key={FAKE_KEY!r}, profile="json")
    assert result.claims[0].killed.phrase == "50"
    assert llmx_cassette.name == "test_user/test_default_name"
'''


@pytest.fixture(scope="module", autouse=True)
def _import_everything_first(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Record and replay once in this process before any in-process pytester run.

    An in-process run drops the modules first imported during it; importing instructor's lazily
    loaded handlers or yaml's C loader a second time into fresh modules breaks them. Importing
    everything here keeps the runs independent.
    """
    from llmextract import extract
    from llmextract.testing.cassettes import PLACEHOLDER_URL, use_cassette

    path = tmp_path_factory.mktemp("warm") / "warm.yaml"
    with scripted_server(responder=echo_claims) as server, use_cassette(path, record_mode="once"):
        extract(BAGHOUZ, endpoint=server.url, profile="json")
    with use_cassette(path, record_mode="none"):
        extract(BAGHOUZ, endpoint=PLACEHOLDER_URL, profile="json")


def _unshare() -> list[str] | None:
    exe = shutil.which("unshare")
    if exe is None:
        return None
    for flags in (["-rn"], ["-n"]):
        try:
            if subprocess.run([exe, *flags, "true"], capture_output=True, timeout=20).returncode == 0:
                return [exe, *flags]
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A user's project: one test module and an ini naming the cassette directory."""
    monkeypatch.delenv("LLMEXTRACT_LIVE_URL", raising=False)
    for name in ("LLMEXTRACT_BASE_URL", "OPENAI_BASE_URL", "LLMEXTRACT_MODEL", "LLMEXTRACT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    pytester.makeini("[pytest]\nllmx_cassette_dir = recorded\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_user=USER_TESTS)
    return pytester


def _cassettes(root: Path) -> list[Path]:
    return sorted((root / "recorded").rglob("*.yaml"))


def test_the_plugin_registers_its_options(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--llmx-record={none,once,new_episodes,all}*", "*--llmx-endpoint*",
                                 "*llmx_cassette_dir*"])
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["*llmx_cassette(name=None*"])


def test_record_once_then_replay_offline(project: pytest.Pytester) -> None:
    # 1. Record against a live local endpoint (a scripted one: fast and deterministic).
    with scripted_server(responder=echo_claims) as server:
        recorded = project.runpytest("--llmx-record=once", f"--llmx-endpoint={server.url}")
        sent = server.count
    recorded.assert_outcomes(passed=2)
    assert sent == 2
    files = _cassettes(project.path)
    assert [p.relative_to(project.path).as_posix() for p in files] == [
        "recorded/baghouz.yaml", "recorded/test_user/test_default_name.yaml"]
    for path in files:  # the fake key was sent (as a bearer token) and is nowhere in the files
        text = path.read_text(encoding="utf-8")
        assert FAKE_KEY not in text and "FAKE-1234567890" not in text and "authorization" not in text.lower()

    # 2. Replay with the endpoint gone; under a blocked network when the system allows it.
    prefix = _unshare()
    if prefix is not None:
        replayed = project.run(*prefix, sys.executable, "-m", "pytest", "-p", "no:cacheprovider")
    else:
        replayed = project.runpytest_subprocess()
    replayed.assert_outcomes(passed=2)
    assert [p.stat().st_mtime_ns for p in _cassettes(project.path)] == [p.stat().st_mtime_ns for p in files]

    # 3. The article of one test changes: its cassette is stale, and the failure says why and how to
    #    re-record; the other test's request did not change and still replays.
    changed = USER_TESTS.replace(f"TEXT = {BAGHOUZ!r}", f"TEXT = {BAGHOUZ!r} + 'A later update.'", 1)
    assert changed != USER_TESTS
    project.makepyfile(test_user=changed)
    stale = project.runpytest("-p", "no:cacheprovider")
    stale.assert_outcomes(failed=1, passed=1)
    out = stale.stdout.str()
    assert "CassetteMiss" in out and "nothing was sent to the network" in out
    assert f"article text: first difference at character {len(BAGHOUZ.rstrip())}" in out
    assert "pytest test_user.py::test_baghouz --llmx-record=all --llmx-endpoint URL_OF_A_LIVE_ENDPOINT" in out
    assert "EndpointError" not in out and "could not connect" not in out
    assert "swallowed" not in out  # reported once, by the test that failed, not again at teardown
    assert "httpx_stubs.py" not in out and "_base_client.py" not in out  # no HTTP-client traceback
    assert "test_user.py:9: in test_baghouz" in out


def test_a_missing_cassette_names_the_record_command(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "no:cacheprovider", "-k", "baghouz")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "cassette 'baghouz' does not exist" in out
    assert "pytest test_user.py::test_baghouz --llmx-record=once" in out
    assert not (project.path / "recorded").exists()


def test_recording_needs_an_endpoint(project: pytest.Pytester) -> None:
    result = project.runpytest("-p", "no:cacheprovider", "--llmx-record=once", "-k", "baghouz")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*recording cassette 'baghouz' (record mode once) needs a live endpoint*"])


@pytest.mark.live
def test_record_against_the_live_local_endpoint(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``llmextract serve`` running (CI sets LLMEXTRACT_LIVE_URL): record a small chat call, replay it."""
    live = os.environ.get("LLMEXTRACT_LIVE_URL")
    if not live:
        pytest.skip("set LLMEXTRACT_LIVE_URL to a running `llmextract serve` to record against it")
    pytester.makepyfile(test_live=f'''
import openai, pytest

@pytest.mark.llmx_cassette("hello")
def test_hello(llmx_endpoint):
    client = openai.OpenAI(base_url=llmx_endpoint, api_key={FAKE_KEY!r}, max_retries=0)
    model = client.models.list().data[0].id
    reply = client.chat.completions.create(model=model, max_tokens=8, temperature=0,
                                           messages=[{{"role": "user", "content": "Say hello."}}])
    assert reply.choices[0].message.content is not None
''')
    recorded = pytester.runpytest_subprocess("--llmx-record=once", f"--llmx-endpoint={live}")
    recorded.assert_outcomes(passed=1)
    monkeypatch.delenv("LLMEXTRACT_LIVE_URL")
    replayed = pytester.runpytest_subprocess()
    replayed.assert_outcomes(passed=1)
    text = (pytester.path / "cassettes" / "hello.yaml").read_text(encoding="utf-8")
    assert FAKE_KEY not in text
